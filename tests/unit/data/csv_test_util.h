/*
 * csv_test_util.h - reading a CSV text or a file in one call, shared by the
 * CSV reader's unit tests (header-only so each test stays one file; include
 * after cmocka.h).
 */
#ifndef FERRY_CSV_TEST_UTIL_H
#define FERRY_CSV_TEST_UTIL_H

#include <string.h>

#include "base/afile.h"
#include "data/csv.h"

/* Read text as the file "t.csv" and require return code want_rc; a failed
 * read must hand back no table. */
static table_t *read_str(const char *text, const csv_opts_t *o, int want_rc,
                         ferr_t *e, csv_report_t *rep)
{
    table_t *t = NULL;
    memset(e, 0, sizeof(*e));
    int rc = csv_read_mem("t.csv", text, strlen(text), o, &t, rep, e);
    if (rc != want_rc)
        fail_msg("rc %d (%s), want %d", rc, ferr_msg(e), want_rc);
    if (rc != FERR_OK)
        assert_null(t);
    return t;
}

/* The whole file at path, NUL-terminated; the caller frees it. */
static char *slurp(const char *path)
{
    char *p;
    size_t n;
    ferr_t e = {0};
    if (file_read_all(path, 0, &p, &n, &e) != FERR_OK)
        fail_msg("%s", ferr_msg(&e));
    return p;
}

#endif

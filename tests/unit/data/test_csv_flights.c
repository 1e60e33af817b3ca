/*
 * test_csv_flights.c - the CSV reader on the real flights file (68,206
 * departures, UTF-8 headers) against Python's csv module, row by row.
 *
 * The file lives in the shared data directory ($FERRY_SHARED/data, beside
 * the clone), never in the repository: without it this test exits 77,
 * ctest's skip code (SKIP_RETURN_CODE in CMakeLists.txt), naming the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/str.h"
#include "data/csv.h"

static char path[1024];

static void test_flights_vs_python(void **state)
{
    (void)state;
    char cmd[4096], out[] = "/tmp/ferry_flights_XXXXXX";
    csv_opts_t o;
    csv_colopt_t c[5];
    ferr_t e = {0};
    table_t *t = NULL;
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "Fecha-I", FT_DATETIME);
    csv_colopt_init(&c[1], "Vlo-I", FT_STRING);
    csv_colopt_init(&c[2], "AÑO", FT_INT);
    csv_colopt_init(&c[3], "Emp-O", FT_CATEGORY);
    csv_colopt_init(&c[4], "DIANOM", FT_STRING);
    o.cols = c;
    o.ncols = 5;
    if (csv_read_file(path, &o, &t, NULL, &e) != FERR_OK)
        fail_msg("%s", ferr_msg(&e));
    close(mkstemp(out));
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 -c '"
             "import csv, sys, datetime as dt\n"
             "r = csv.DictReader(open(sys.argv[1], encoding=\"utf-8\", newline=\"\"))\n"
             "ep = dt.datetime(1970, 1, 1)\n"
             "for x in r:\n"
             "  s = int((dt.datetime.fromisoformat(x[\"Fecha-I\"]) - ep).total_seconds())\n"
             "  print(s, x[\"Vlo-I\"], x[\"AÑO\"], x[\"Emp-O\"], x[\"DIANOM\"], sep=\"|\")\n"
             "' %s > %s",
             path, out);
    /* through a file, not a pipe: line-by-line pipe traffic between two
     * processes costs seconds on a loaded VM */
    assert_int_equal(system(cmd), 0);
    FILE *fp = fopen(out, "r");
    assert_non_null(fp);
    char line[512], mine[512];
    size_t i = 0;
    while (fgets(line, sizeof(line), fp)) {
        assert_true(i < t->nrows);
        str_t v = col_str(t->cols[1], i), cat = col_str(t->cols[3], i),
              dn = col_str(t->cols[4], i);
        snprintf(mine, sizeof(mine), "%lld|%.*s|%lld|%.*s|%.*s\n",
                 (long long)t->cols[0]->i64[i], STR_FMT(v),
                 (long long)t->cols[2]->i64[i], STR_FMT(cat), STR_FMT(dn));
        if (strcmp(line, mine) != 0)
            fail_msg("row %zu: python %s ferry  %s", i, line, mine);
        i++;
    }
    fclose(fp);
    unlink(out);
    assert_int_equal(i, t->nrows);
    assert_int_equal(i, 68206);
    table_free(t);
}

int main(void)
{
    const char *shared = getenv("FERRY_SHARED");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flights_vs_python),
    };
    snprintf(path, sizeof(path), "%s/data/flights_scl.csv",
             shared ? shared : "../shared");
    if (access(path, R_OK) != 0) {
        printf("skip: needs %s (the shared data beside the clone)\n", path);
        return 77;
    }
    if (access("/usr/bin/python3", X_OK) != 0) {
        printf("skip: needs /usr/bin/python3\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_csv.c - the CSV reader on arbitrary bytes.
 *
 * The first byte picks one of a few option sets (all-string, typed with
 * ISO dates, European numbers with Spanish month formats and custom nulls,
 * tiny max_line); the rest is the file.  Each input is read twice, serially
 * and in parallel with tiny chunks and tiny read windows, so chunk starts
 * land inside quoted fields and records are cut by window ends, and the two
 * results must be identical: the reader must never
 * crash, leak, or let the split change the answer.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv.h"

static void check_same(const table_t *a, const table_t *b)
{
    if (a->nrows != b->nrows || a->ncols != b->ncols)
        abort();
    for (size_t j = 0; j < a->ncols; j++) {
        const column_t *x = a->cols[j], *y = b->cols[j];
        for (size_t i = 0; i < a->nrows; i++) {
            double u = col_num(x, i), v = col_num(y, i);
            if (col_is_null(x, i) != col_is_null(y, i))
                abort();
            if (col_is_null(x, i))
                continue; /* an all-null CATEGORY has an empty dict */
            if (!str_eq(col_str(x, i), col_str(y, i)))
                abort();
            if (!(u == v || (isnan(u) && isnan(v))))
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const nulls[] = {"", "NA", "-"};
    csv_colopt_t c[4];
    csv_opts_t o;
    table_t *t1 = NULL, *t2 = NULL;
    ferr_t e1 = {0}, e2 = {0};
    csv_report_t r1, r2;
    if (size < 1)
        return 0;
    csv_opts_init(&o);
    o.max_rejects = SIZE_MAX;
    switch (data[0] % 4) {
    case 0: /* every column as text */
        break;
    case 1:
        csv_colopt_init(&c[0], "a", FT_INT);
        csv_colopt_init(&c[1], "b", FT_FLOAT);
        csv_colopt_init(&c[2], "c", FT_DATE);
        csv_colopt_init(&c[3], "d", FT_CATEGORY);
        o.cols = c;
        o.ncols = 4;
        break;
    case 2:
        csv_colopt_init(&c[0], "a", FT_FLOAT);
        c[0].decimal = ',';
        c[0].thousands = '.';
        csv_colopt_init(&c[1], "b", FT_DATE);
        c[1].format = "%b-%Y";
        csv_colopt_init(&c[2], "c", FT_DATETIME);
        csv_colopt_init(&c[3], "d", FT_BOOL);
        c[3].rename = "flag";
        o.cols = c;
        o.ncols = 4;
        o.delimiter = ';';
        o.nulls = nulls;
        o.nnulls = 3;
        o.trim = true;
        break;
    default:
        csv_colopt_init(&c[0], "a", FT_STRING);
        csv_colopt_init(&c[1], "b", FT_INT);
        o.cols = c;
        o.ncols = 2;
        o.max_line = 16;
        break;
    }
    if (data[0] & 4)
        o.max_line = 48; /* small windows in the segmented read below */
    data++;
    size--;
    o.threads = 1;
    int rc1 = csv_read_mem("fuzz.csv", (const char *)data, size, &o, &t1,
                           &r1, &e1);
    o.threads = 3;
    o.chunk_size = 7;
    o.segment_size = 8; /* windows of 8 + max_line + 64 bytes */
    int rc2 = csv_read_mem("fuzz.csv", (const char *)data, size, &o, &t2,
                           &r2, &e2);
    if (rc1 != rc2 || (t1 == NULL) != (t2 == NULL))
        abort();
    if (rc1 != FERR_OK && strcmp(e1.msg, e2.msg) != 0)
        abort();
    if (t1 && t2) {
        if (r1.rows != r2.rows || r1.rejected != r2.rejected)
            abort();
        check_same(t1, t2);
    }
    table_free(t1);
    table_free(t2);
    return 0;
}

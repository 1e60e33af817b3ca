/*
 * fuzz_csv.c - the CSV reader on arbitrary bytes.
 *
 * Input layout: byte 0 picks one of a few option sets (bits 0-1:
 * all-string, typed with ISO dates, European numbers with Spanish month
 * formats and custom nulls, tiny max_line), a 48-byte max_line (bit 2) and
 * the windowed read (bit 3), and the row size the value slab is sized
 * for (bits 4-7: sampled, or a wrong guess of 1 to 16384 bytes, which must
 * never change the answer); byte 1 the parallel plan: 1-4 workers (bits
 * 0-1) and 1-16 chunks (bits 2-5); the rest is the file, which may be
 * spelled "#rep N\n...@@line\n@@..." (fuzz_rep.h): 64 long rows then
 * hundreds of short ones, the shape of issue 10's crash, in a few bytes
 * (expanded to 2 KiB at most: bigger inputs only cost speed).  Each input
 * is read serially (one chunk, the path of every small file), then with
 * the parallel plan, and, when flagged, again through tiny read windows, so
 * chunk starts land inside quoted fields, records are cut by window ends,
 * and chunks of short rows outgrow the slab slots sized for long ones.  The
 * results must be identical: the reader must never crash, leak, or let the
 * split change the answer.
 *
 * Speed is coverage: the workers run inline (csv_opts_t.inline_workers,
 * the same plan and merge without a thread start per read), a read makes
 * at most 16 chunks, and the windowed read (a window mapped per read, a
 * chunk plan per window) runs only when flagged.  Inputs of 2 KiB cut
 * into at most 16 chunks run ~1,900 a second on one core where 8 KiB and
 * 64 chunks ran ~1,250 (a chunk's setup, not its bytes, is the cost), ~2,600
 * with ASan's shorter allocation stacks (below), and
 * find the slab overflow on the unfixed reader in 1-5 s instead of
 * 3-35 s.  Run: docs/csv.md, "Fuzzing".
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv.h"
#include "fuzz_rep.h"

#ifdef FERRY_LIBFUZZER
/* ASan records 30 frames of the allocating stack for every malloc; a read
 * makes hundreds of small allocations, so that is ~15% of an input's time.
 * Two frames still name the allocating function; replay_csv in the
 * sanitizer build (or ASAN_OPTIONS=malloc_context_size=30) gives the whole
 * stack of a crash input. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "malloc_context_size=2";
}
#endif

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

/* Read with o and compare with the serial result. */
static void read_same(const char *data, size_t size, const csv_opts_t *o,
                      int rc1, const table_t *t1, const ferr_t *e1,
                      const csv_report_t *r1)
{
    table_t *t2 = NULL;
    ferr_t e2 = {0};
    csv_report_t r2;
    int rc2 = csv_read_mem("fuzz.csv", data, size, o, &t2, &r2, &e2);
    if (rc1 != rc2 || (t1 == NULL) != (t2 == NULL))
        abort();
    if (rc1 != FERR_OK && strcmp(e1->msg, e2.msg) != 0)
        abort();
    if (t1 && t2) {
        if (r1->rows != r2.rows || r1->rejected != r2.rejected)
            abort();
        check_same(t1, t2);
    }
    table_free(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *raw, size_t rawsize)
{
    static const char *const nulls[] = {"", "NA", "-"};
    csv_colopt_t c[4];
    csv_opts_t o;
    table_t *t1 = NULL;
    ferr_t e1 = {0};
    csv_report_t r1;
    if (rawsize < 2)
        return 0;
    csv_opts_init(&o);
    o.max_rejects = SIZE_MAX;
    o.quiet = true;
    switch (raw[0] % 4) {
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
    if (raw[0] & 4)
        o.max_line = 48; /* small windows in the segmented read below */
    bool windows = (raw[0] & 8) != 0;
    if (raw[0] >> 4)
        o.row_bytes = (size_t)1 << ((raw[0] >> 4) - 1);
    int threads = 1 + (raw[1] & 3);
    size_t nchunks = 1 + ((raw[1] >> 2) & 15); /* 1 .. 16 */
    size_t size;
    char *text = fuzz_rep_expand(raw + 2, rawsize - 2, 2000, 2u << 10,
                                 &size);
    size_t chunk = size / nchunks + 1;

    o.inline_workers = true;
    o.threads = 1;
    int rc1 = csv_read_mem("fuzz.csv", text, size, &o, &t1, &r1, &e1);
    o.threads = threads;
    o.chunk_size = chunk;
    read_same(text, size, &o, rc1, t1, &e1, &r1);
    if (windows) {
        /* windows of segment + max_line + 64 bytes; at most ~64 of them */
        o.segment_size = size / 64 > 8 ? size / 64 : 8;
        read_same(text, size, &o, rc1, t1, &e1, &r1);
    }
    table_free(t1);
    free(text);
    return 0;
}

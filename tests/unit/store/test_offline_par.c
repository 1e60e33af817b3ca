/*
 * test_offline_par.c - the CSV writer's parallel, fixed-width fast path.
 *
 * Tables of 50,000 rows (several 16k-row blocks, so several threads and the
 * in-order writer take part) are written with offline_write_csv and
 * compared byte for byte with text built independently here: integers by
 * %lld, dates by gmtime_r + strftime, floats by the shortest %.Ng that
 * strtod reads back.  Nulls are interleaved with runs of equal dates (the
 * date memo must not leak a value into a null cell or across a change),
 * and a second table with a text column takes the general path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/afile.h"
#include "base/str.h"
#include "store/offline.h"

#define NROWS 50000

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void put_time(buf_t *b, int64_t secs, bool with_time)
{
    time_t t = (time_t)secs;
    struct tm tm;
    char s[64];
    gmtime_r(&t, &tm);
    if (with_time)
        strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
    else
        strftime(s, sizeof(s), "%Y-%m-%d", &tm);
    buf_puts(b, s);
}

static void put_shortest(buf_t *b, double x)
{
    char s[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(s, sizeof(s), "%.*g", p, x);
        if (strtod(s, NULL) == x)
            break;
    }
    buf_puts(b, s);
}

/* A table of NROWS rows and its expected CSV. */
static table_t *make_table(bool with_text, buf_t *want)
{
    table_t *t = table_new();
    column_t *id = col_new("id", FT_INT, NROWS);
    column_t *amt = col_new("amount", FT_FLOAT, NROWS);
    column_t *flag = col_new("flag", FT_BOOL, NROWS);
    column_t *day = col_new("day", FT_DATE, NROWS);
    column_t *ts = col_new("ts", FT_DATETIME, NROWS);
    column_t *txt = with_text ? col_new("note", FT_STRING, NROWS) : NULL;
    int64_t d = 17000;

    buf_puts(want, with_text ? "id,amount,flag,day,ts,note\n"
                             : "id,amount,flag,day,ts\n");
    for (size_t i = 0; i < NROWS; i++) {
        uint64_t r = next_rand();
        id->i64[i] = (int64_t)(r >> 20) * ((r & 1) ? -1 : 1);
        if (i == 7)
            id->i64[i] = INT64_MIN;
        amt->f64[i] = (double)(r % 100000) / 100.0 + 0.001; /* never %g exponent form */
        flag->u8[i] = (r >> 8) & 1;
        if (r % 7 == 0)
            d += (int64_t)(r % 3); /* runs of equal days */
        day->i64[i] = d;
        ts->i64[i] = d * 86400 + (int64_t)(r % 86400);
        if (r % 11 == 0)
            col_set_null(amt, i), amt->f64[i] = NAN;
        if (r % 13 == 0)
            col_set_null(day, i), day->i64[i] = 0;
        if (txt) {
            const char *v = (r % 5 == 0) ? "a,\"b\"" : "plain";
            col_str_append(txt, i, v, strlen(v));
        }
        buf_printf(want, "%" PRId64 ",", id->i64[i]);
        if (!col_is_null(amt, i))
            put_shortest(want, amt->f64[i]);
        buf_printf(want, ",%d,", flag->u8[i]);
        if (!col_is_null(day, i))
            put_time(want, day->i64[i] * 86400, false);
        buf_putc(want, ',');
        put_time(want, ts->i64[i], true);
        if (txt)
            buf_puts(want, (r % 5 == 0) ? ",\"a,\"\"b\"\"\"" : ",plain");
        buf_putc(want, '\n');
    }
    table_add(t, id, NULL);
    table_add(t, amt, NULL);
    table_add(t, flag, NULL);
    table_add(t, day, NULL);
    table_add(t, ts, NULL);
    if (txt)
        table_add(t, txt, NULL);
    return t;
}

static void check(bool with_text)
{
    char dir[] = "/tmp/ferry_csvpar_XXXXXX", path[64];
    buf_t want = {0};
    table_t *t = make_table(with_text, &want);
    ferr_t e = {0};
    char *got = NULL;
    size_t n = 0;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.csv", dir);
    assert_int_equal(offline_write_csv(t, path, &e), FERR_OK);
    assert_int_equal(file_read_all(path, 0, &got, &n, &e), FERR_OK);
    for (size_t i = 0; i < n && i < want.n; i++)
        if (got[i] != want.p[i]) {
            size_t k = i > 40 ? i - 40 : 0;
            fail_msg("byte %zu differs: got '%.160s' want '%.160s'", i, got + k,
                     want.p + k);
        }
    assert_int_equal(n, want.n);
    free(got);
    unlink(path);
    rmdir(dir);
    buf_free(&want);
    table_free(t);
}

static void test_fixed_width_parallel(void **state)
{
    (void)state;
    check(false);
}

static void test_text_parallel(void **state)
{
    (void)state;
    check(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_width_parallel),
        cmocka_unit_test(test_text_parallel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

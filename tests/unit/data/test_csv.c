/*
 * test_csv.c - the CSV reader: framing, typing, rejects, budget, parallelism.
 *
 * Every bad input of issue #3 (wrong field count, non-numeric value, invalid
 * date, unterminated quote, empty file, missing header column, binary
 * garbage, over-long line) is checked for its message or rejects entry.
 * Differential checks: threads=1 vs many threads on a generated file whose
 * chunk boundaries fall inside multi-line quoted fields (the real flights
 * file against Python's csv module is test_csv_flights.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/afile.h"
#include "base/str.h"
#include "data/csv.h"
#include "csv_test_util.h"
#include "data/parse.h"

static void test_quoting(void **state)
{
    (void)state;
    csv_opts_t o;
    ferr_t e;
    csv_report_t rep;
    csv_opts_init(&o);
    /* BOM, CRLF, doubled quotes, delimiter and newlines inside quotes,
     * a final line without newline */
    const char *text = "\xEF\xBB\xBF" "a,\"b c\",d\r\n"
                       "1,\"x,y\",\"he said \"\"hi\"\"\"\r\n"
                       "2,\"multi\r\nline\nfield\",plain\r\n"
                       "3,,\"\"\r\n"
                       "4,\"q\"tail,\"\"\"\"";
    table_t *t = read_str(text, &o, FERR_OK, &e, &rep);
    assert_int_equal(t->ncols, 3);
    assert_int_equal(t->nrows, 4);
    assert_int_equal(rep.rows, 4);
    assert_string_equal(t->cols[0]->name, "a");
    assert_string_equal(t->cols[1]->name, "b c");
    column_t *b = table_find(t, "b c"), *d = table_find(t, "d");
    assert_true(str_eq_cstr(col_str(b, 0), "x,y"));
    assert_true(str_eq_cstr(col_str(d, 0), "he said \"hi\""));
    assert_true(str_eq_cstr(col_str(b, 1), "multi\r\nline\nfield"));
    assert_true(str_eq_cstr(col_str(d, 1), "plain"));
    assert_true(col_is_null(b, 2)); /* empty is null by default */
    assert_true(col_is_null(d, 2));
    assert_true(str_eq_cstr(col_str(b, 3), "qtail"));
    assert_true(str_eq_cstr(col_str(d, 3), "\""));
    assert_false(col_is_null(d, 3));
    table_free(t);

    /* stray quote inside an unquoted field is data; blank lines skipped */
    t = read_str("a,b\n5'3\",x\n\n\r\n6,y\n", &o, FERR_OK, &e, NULL);
    assert_int_equal(t->nrows, 2);
    assert_true(str_eq_cstr(col_str(t->cols[0], 0), "5'3\""));
    assert_true(str_eq_cstr(col_str(t->cols[1], 1), "y"));
    table_free(t);

    /* other delimiter, trimming */
    o.delimiter = ';';
    o.trim = true;
    t = read_str(" a ; b\n 1 ;  \"z;z\"  \n", &o, FERR_OK, &e, NULL);
    assert_string_equal(t->cols[0]->name, "a");
    assert_true(str_eq_cstr(col_str(t->cols[0], 0), "1"));
    assert_true(str_eq_cstr(col_str(t->cols[1], 0), "z;z"));
    table_free(t);
}

static void test_typed(void **state)
{
    (void)state;
    csv_opts_t o;
    ferr_t e;
    csv_colopt_t c[7];
    static const char *const nulls[] = {"", "NA", "-"};
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "AÑO", FT_INT);
    csv_colopt_init(&c[1], "monto", FT_FLOAT);
    c[1].decimal = ',';
    c[1].thousands = '.';
    csv_colopt_init(&c[2], "mes", FT_DATE);
    c[2].format = "%b-%Y";
    c[2].rename = "month";
    csv_colopt_init(&c[3], "ok", FT_BOOL);
    csv_colopt_init(&c[4], "cat", FT_CATEGORY);
    csv_colopt_init(&c[5], "ts", FT_DATETIME);
    csv_colopt_init(&c[6], "vlo", FT_INT);
    o.cols = c;
    o.ncols = 7;
    o.nulls = nulls;
    o.nnulls = 3;
    const char *text =
        "skip,AÑO,monto,mes,ok,cat,ts,vlo\r\n"
        "x,2017,\"1.234.567,5\",Ene-2014,yes,b,2017-01-01 23:30:00,1.0\r\n"
        "y,NA,-,Dic-2014,0,a,2017-01-02T01:02,226\r\n"
        "z,2018,12,Sept-2015,T,b,,-\r\n";
    table_t *t = read_str(text, &o, FERR_OK, &e, NULL);
    assert_int_equal(t->nrows, 3);
    assert_int_equal(t->ncols, 7);
    column_t *y = table_find(t, "AÑO");
    assert_non_null(y);
    assert_int_equal(y->type, FT_INT);
    assert_int_equal(y->i64[0], 2017);
    assert_true(col_is_null(y, 1));
    assert_int_equal(y->i64[1], 0);
    column_t *m = t->cols[1];
    assert_true(m->f64[0] == 1234567.5);
    assert_true(col_is_null(m, 1) && isnan(m->f64[1]));
    assert_true(m->f64[2] == 12.0);
    column_t *mo = table_find(t, "month");
    assert_non_null(mo);
    assert_int_equal(mo->i64[0], days_from_civil(2014, 1, 1));
    assert_int_equal(mo->i64[1], days_from_civil(2014, 12, 1));
    assert_int_equal(mo->i64[2], days_from_civil(2015, 9, 1));
    assert_int_equal(t->cols[3]->u8[0], 1);
    assert_int_equal(t->cols[3]->u8[1], 0);
    assert_int_equal(t->cols[3]->u8[2], 1);
    column_t *cat = t->cols[4];
    assert_int_equal(cat->code[0], 0); /* first appearance order */
    assert_int_equal(cat->code[1], 1);
    assert_int_equal(cat->code[2], 0);
    assert_true(str_eq_cstr(col_str(cat, 1), "a"));
    column_t *ts = t->cols[5];
    assert_int_equal(ts->i64[0],
                     days_from_civil(2017, 1, 1) * 86400 + 23 * 3600 + 1800);
    assert_int_equal(ts->i64[1],
                     days_from_civil(2017, 1, 2) * 86400 + 3600 + 120);
    assert_true(col_is_null(ts, 2));
    assert_int_equal(t->cols[6]->i64[0], 1);
    assert_true(col_is_null(t->cols[6], 2));
    table_free(t);
}

/* Each bad row lands in the rejects file with its physical line, column and
 * reason; the rest of the table is intact. */
static void test_rejects(void **state)
{
    (void)state;
    csv_opts_t o;
    ferr_t e;
    csv_report_t rep;
    csv_colopt_t c[3];
    char path[] = "/tmp/ferry_rejects_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "id", FT_INT);
    csv_colopt_init(&c[1], "amount", FT_FLOAT);
    csv_colopt_init(&c[2], "day", FT_DATE);
    o.cols = c;
    o.ncols = 3;
    o.rejects_path = path;
    o.max_rejects = 10;
    o.max_line = 60;
    const char *text =
        "id,amount,day,note\n"                     /* 1 */
        "1,1.5,2020-01-01,ok\n"                    /* 2 */
        "2,abc,2020-01-02,bad number\n"            /* 3 */
        "3,2.5,2020-13-01,bad date\n"              /* 4 */
        "4,3.5,2020-01-04\n"                       /* 5: 3 fields */
        "5,4.5,2020-01-05,\"two\nlines\"\n"        /* 6-7 */
        "6,5.5,2020-01-06,ok,extra\n"              /* 8: 5 fields */
        "7,6.5,2020-01-07,"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n" /* 9 */
        "x8,7.5,2020-01-08,bad int\n"              /* 10 */
        "9,8.5,2021-02-29,not leap\n";             /* 11 */
    table_t *t = read_str(text, &o, FERR_OK, &e, &rep);
    assert_int_equal(rep.rows, 2);
    assert_int_equal(rep.rejected, 7);
    assert_int_equal(t->nrows, 2);
    assert_int_equal(t->cols[0]->i64[0], 1);
    assert_int_equal(t->cols[0]->i64[1], 5);
    table_free(t);
    char *rej = slurp(path);
    const char *want =
        "line,column,value,reason\n"
        "3,amount,abc,is not a number\n"
        "4,day,2020-13-01,is not a valid date (format %Y-%m-%d)\n"
        "5,,,\"expected 4 fields, found 3\"\n"
        "8,,,\"expected 4 fields, found 5\"\n"
        "9,,,\"line is 78 bytes, longer than max_line_bytes (60)\"\n"
        "10,id,x8,is not an integer\n"
        "11,day,2021-02-29,is not a valid date (format %Y-%m-%d)\n";
    if (strncmp(rej, want, strlen(want)) != 0)
        fail_msg("rejects file:\n%s\nwant:\n%s", rej, want);
    free(rej);

    /* the same through 8-byte read windows (records re-read when cut) */
    o.segment_size = 8;
    table_free(read_str(text, &o, FERR_OK, &e, &rep));
    assert_int_equal(rep.rows, 2);
    assert_int_equal(rep.rejected, 7);
    rej = slurp(path);
    assert_string_equal(rej, want);
    free(rej);
    /* a record longer than the window grows it, and is still rejected */
    {
        buf_t big = {0};
        buf_puts(&big, "id,amount,day,note\n1,1.5,2020-01-01,ok\n2,2.5,2020-01-02,");
        for (int k = 0; k < 500; k++)
            buf_putc(&big, 'x');
        buf_puts(&big, "\n3,3.5,2020-01-03,ok\n");
        table_free(read_str(big.p, &o, FERR_OK, &e, &rep));
        assert_int_equal(rep.rows, 2);
        assert_int_equal(rep.rejected, 1);
        rej = slurp(path);
        if (!strstr(rej, "3,,,\"line is 518 bytes, longer than max_line_bytes (60)\""))
            fail_msg("%s", rej);
        assert_non_null(strstr(rej, "3,,,\"line is 518 bytes, longer than max_line_bytes (60)\""));
        free(rej);
        buf_free(&big);
    }
    o.segment_size = 0;

    /* budget: 7 rejects of 9 rows fails with max_rejects 6 */
    o.max_rejects = 6;
    read_str(text, &o, FERR_BUDGET, &e, NULL);
    assert_string_equal(
        e.msg, "t.csv: 7 of 9 rows rejected (budget 6); first: t.csv:3: "
               "column amount: 'abc' is not a number");
    /* ... and the rejects file is still written, as the diagnosis */
    rej = slurp(path);
    assert_non_null(strstr(rej, "3,amount,abc"));
    free(rej);
    /* fraction: 80% of 9 allows 7 and passes, 70% allows 6 and fails;
     * the strict default fails */
    o.max_rejects = 0;
    o.max_reject_frac = 0.8;
    table_free(read_str(text, &o, FERR_OK, &e, NULL));
    o.max_reject_frac = 0.7;
    read_str(text, &o, FERR_BUDGET, &e, NULL);
    o.max_reject_frac = 0;
    o.rejects_path = NULL;
    read_str(text, &o, FERR_BUDGET, &e, NULL);
    assert_non_null(strstr(e.msg, "7 of 9 rows rejected (budget 0)"));
    unlink(path);
}

static void test_fatal(void **state)
{
    (void)state;
    csv_opts_t o;
    ferr_t e;
    csv_colopt_t c[1];
    csv_opts_init(&o);

    read_str("", &o, FERR_PARSE, &e, NULL);
    assert_string_equal(e.msg, "t.csv:1: empty file (no header line)");
    read_str("\xEF\xBB\xBF", &o, FERR_PARSE, &e, NULL);
    assert_non_null(strstr(e.msg, "empty file"));
    read_str("\n1,2\n", &o, FERR_PARSE, &e, NULL);
    assert_string_equal(e.msg, "t.csv:1: empty header line");

    read_str("a,b\n1,2\n3,\"open\n4,5\n", &o, FERR_PARSE, &e, NULL);
    assert_string_equal(e.msg,
                        "t.csv:3: unterminated quoted field (opened on this "
                        "line, still open at end of file)");
    o.max_line = 30;
    read_str("a,b\n1,2\n3,\"open\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n", &o,
             FERR_LIMIT, &e, NULL);
    assert_non_null(strstr(e.msg, "t.csv:3: quoted field runs past max_line_bytes"));
    o.max_line = 0;

    const char bin[] = "a,b\n1,2\n3,\x01\x02\0\xff\n";
    table_t *t = NULL;
    memset(&e, 0, sizeof(e));
    assert_int_equal(csv_read_mem("t.csv", bin, sizeof(bin) - 1, &o, &t, NULL,
                                  &e),
                     FERR_PARSE);
    assert_string_equal(e.msg, "t.csv:3: NUL byte in input (binary file?)");
    const char binh[] = "a\0b,c\n";
    assert_int_equal(csv_read_mem("t.csv", binh, sizeof(binh) - 1, &o, &t,
                                  NULL, &e),
                     FERR_PARSE);
    assert_non_null(strstr(e.msg, "t.csv:1: NUL byte in header"));

    csv_colopt_init(&c[0], "loan_amout", FT_FLOAT);
    o.cols = c;
    o.ncols = 1;
    read_str("id,loan_amount,loan_date\n1,2,3\n", &o, FERR_NOTFOUND, &e,
             NULL);
    assert_string_equal(e.msg, "t.csv:1: column 'loan_amout' not in header; "
                               "did you mean 'loan_amount'");
    csv_colopt_init(&c[0], "zzz", FT_FLOAT);
    read_str("id,loan_amount\n1,2\n", &o, FERR_NOTFOUND, &e, NULL);
    assert_string_equal(e.msg, "t.csv:1: column 'zzz' not in header; "
                               "2 header columns: id, loan_amount");

    /* a missing file names the path */
    memset(&e, 0, sizeof(e));
    assert_int_equal(csv_read_file("/nonexistent/x.csv", &o, &t, NULL, &e),
                     FERR_NOTFOUND);
    assert_non_null(strstr(e.msg, "/nonexistent/x.csv"));
}

static void test_header_only_and_cell(void **state)
{
    (void)state;
    csv_opts_t o;
    ferr_t e = {0};
    csv_colopt_t c;
    csv_opts_init(&o);
    table_t *t = read_str("a,b\n", &o, FERR_OK, &e, NULL);
    assert_int_equal(t->nrows, 0);
    assert_int_equal(t->ncols, 2);
    table_free(t);

    column_t *col = col_new("amount", FT_FLOAT, 3);
    csv_colopt_init(&c, "amount", FT_FLOAT);
    assert_int_equal(csv_parse_cell(STR_LIT("1.5"), &c, NULL, col, 0, &e),
                     FERR_OK);
    assert_true(col->f64[0] == 1.5);
    assert_int_equal(csv_parse_cell(STR_LIT(""), &c, NULL, col, 1, &e),
                     FERR_OK);
    assert_true(col_is_null(col, 1));
    assert_int_equal(csv_parse_cell(STR_LIT("abc"), &c, NULL, col, 2, &e),
                     FERR_PARSE);
    assert_string_equal(e.msg, "column amount: 'abc' is not a number");
    assert_int_equal(csv_parse_cell(STR_LIT("1"), &c, NULL, col, 3, &e),
                     FERR_RANGE);
    col_free(col);

    col = col_new("d", FT_DATE, 1);
    csv_colopt_init(&c, "d", FT_DATE);
    assert_int_equal(csv_parse_cell(STR_LIT("2020-13-01"), &c, NULL, col, 0,
                                    &e),
                     FERR_RANGE);
    assert_string_equal(
        e.msg, "column d: '2020-13-01' is not a valid date (format %Y-%m-%d)");
    o.trim = true;
    assert_int_equal(csv_parse_cell(STR_LIT(" 2020-12-01 "), &c, &o, col, 0,
                                    &e),
                     FERR_OK);
    assert_int_equal(col->i64[0], days_from_civil(2020, 12, 1));
    col_free(col);

    col = col_new("s", FT_CATEGORY, 2);
    csv_colopt_init(&c, "s", FT_CATEGORY);
    csv_parse_cell(STR_LIT("x"), &c, NULL, col, 0, &e);
    csv_parse_cell(STR_LIT("x"), &c, NULL, col, 1, &e);
    assert_int_equal(col->dict->n, 1);
    col_free(col);
}

/* ---- parallel == serial on a file whose chunks split quoted newlines */

static char *gen_big(size_t *len)
{
    buf_t b = {0};
    unsigned long long s = 42;
#define R() (s = s * 6364136223846793005ULL + 1442695040888963407ULL, \
             (unsigned)(s >> 33))
    buf_puts(&b, "id,name,city,amount,day,note\n");
    for (int i = 0; i < 130000; i++) {
        unsigned r = R();
        buf_printf(&b, "%d,", r % 997 == 0 ? -1 : i);
        if (r % 5 == 0)
            buf_printf(&b, "\"n,%u\"\"q\",", r % 1000);
        else
            buf_printf(&b, "name%u,", r % 5000);
        buf_printf(&b, "%s,", (const char *[]){"SCL", "LIM", "", "BUE"}[r % 4]);
        if (r % 1009 == 0)
            buf_puts(&b, "abc,");
        else
            buf_printf(&b, "%u.%02u,", r % 100000, r % 100);
        buf_printf(&b, "2020-%02u-%02u,", 1 + r % 12, 1 + r % 28);
        if (r % 3 == 0) { /* long multi-line quoted note */
            buf_putc(&b, '"');
            for (unsigned k = 0; k < 40 + r % 200; k++)
                buf_putc(&b, k % 37 == 5 ? '\n' : (char)('a' + k % 26));
            buf_puts(&b, "\"\r\n");
        } else {
            buf_puts(&b, "short\n");
        }
    }
    *len = b.n;
    return buf_steal(&b);
}

static size_t big_segment; /* 0, or a small read window for read_big */

static table_t *read_big(const char *p, size_t n, int threads,
                         const char *rejects, csv_report_t *rep)
{
    csv_opts_t o;
    csv_colopt_t c[6];
    ferr_t e = {0};
    table_t *t = NULL;
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "id", FT_INT);
    csv_colopt_init(&c[1], "name", FT_STRING);
    csv_colopt_init(&c[2], "city", FT_CATEGORY);
    csv_colopt_init(&c[3], "amount", FT_FLOAT);
    csv_colopt_init(&c[4], "day", FT_DATE);
    csv_colopt_init(&c[5], "note", FT_STRING);
    o.cols = c;
    o.ncols = 6;
    o.threads = threads;
    o.max_rejects = 1000;
    o.rejects_path = rejects;
    o.segment_size = big_segment;
    if (big_segment)
        o.max_line = 4096;
    if (csv_read_mem("big.csv", p, n, &o, &t, rep, &e) != FERR_OK)
        fail_msg("%s", ferr_msg(&e));
    return t;
}

static void assert_tables_equal(const table_t *a, const table_t *b)
{
    assert_int_equal(a->nrows, b->nrows);
    assert_int_equal(a->ncols, b->ncols);
    for (size_t j = 0; j < a->ncols; j++) {
        const column_t *x = a->cols[j], *y = b->cols[j];
        for (size_t i = 0; i < a->nrows; i++) {
            if (col_is_null(x, i) != col_is_null(y, i))
                fail_msg("col %s row %zu: null differs", x->name, i);
            if (x->type == FT_STRING || x->type == FT_CATEGORY) {
                if (!str_eq(col_str(x, i), col_str(y, i)))
                    fail_msg("col %s row %zu differs", x->name, i);
                if (x->type == FT_CATEGORY && x->code[i] != y->code[i])
                    fail_msg("col %s row %zu: code differs", x->name, i);
            } else if (!(col_num(x, i) == col_num(y, i)) &&
                       !(isnan(col_num(x, i)) && isnan(col_num(y, i)))) {
                fail_msg("col %s row %zu: %g vs %g", x->name, i,
                         col_num(x, i), col_num(y, i));
            }
        }
    }
}

static void test_parallel_equals_serial(void **state)
{
    (void)state;
    size_t n;
    char *p = gen_big(&n);
    char r1[] = "/tmp/ferry_rej1_XXXXXX", r4[] = "/tmp/ferry_rej4_XXXXXX";
    close(mkstemp(r1));
    close(mkstemp(r4));
    csv_report_t rep1, rep4;
    assert_true(n > 8u << 20); /* several 1 MiB chunks; the huge-page path */
    table_t *a = read_big(p, n, 1, r1, &rep1);
    table_t *b = read_big(p, n, 4, r4, &rep4);
    table_t *c = read_big(p, n, 3, NULL, NULL);
    /* 64 KiB read windows: records cut by window ends are re-read */
    big_segment = 64u << 10;
    table_t *w1 = read_big(p, n, 1, NULL, NULL);
    table_t *w3 = read_big(p, n, 3, NULL, NULL);
    big_segment = 0;
    assert_tables_equal(a, w1);
    assert_tables_equal(a, w3);
    table_free(w1);
    table_free(w3);
    assert_true(rep1.rejected > 20);
    assert_int_equal(rep1.rows + rep1.rejected, 130000);
    assert_int_equal(rep1.rejected, rep4.rejected);
    assert_tables_equal(a, b);
    assert_tables_equal(a, c);
    /* through csv_read_file too: a file over 8 MiB takes the huge-page
     * pread path when THP is available, the mmap path otherwise */
    {
        char fp[] = "/tmp/ferry_big_XXXXXX";
        int fd = mkstemp(fp);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, p, n), (ssize_t)n);
        close(fd);
        csv_opts_t fo;
        csv_colopt_t fc[6];
        ferr_t fe = {0};
        table_t *f = NULL;
        csv_opts_init(&fo);
        csv_colopt_init(&fc[0], "id", FT_INT);
        csv_colopt_init(&fc[1], "name", FT_STRING);
        csv_colopt_init(&fc[2], "city", FT_CATEGORY);
        csv_colopt_init(&fc[3], "amount", FT_FLOAT);
        csv_colopt_init(&fc[4], "day", FT_DATE);
        csv_colopt_init(&fc[5], "note", FT_STRING);
        fo.cols = fc;
        fo.ncols = 6;
        fo.max_rejects = 1000;
        if (csv_read_file(fp, &fo, &f, NULL, &fe) != FERR_OK)
            fail_msg("%s", ferr_msg(&fe));
        assert_tables_equal(a, f);
        table_free(f);
        fo.segment_size = 1u << 20; /* several windows of the file */
        if (csv_read_file(fp, &fo, &f, NULL, &fe) != FERR_OK)
            fail_msg("%s", ferr_msg(&fe));
        assert_tables_equal(a, f);
        table_free(f);
        unlink(fp);
    }
    char *x = slurp(r1), *y = slurp(r4);
    assert_string_equal(x, y);
    /* reject line numbers are physical lines: the first reject is the
     * first 'abc' amount (ids of -1 are valid); count lines by hand */
    const char *first = strchr(x, '\n') + 1, *bad = strstr(p, ",abc,");
    size_t want_line = (size_t)atol(first), line = 1;
    assert_non_null(bad);
    while (bad > p && bad[-1] != '\n')
        bad--;
    for (const char *q = p; q < bad; q++)
        line += *q == '\n';
    assert_int_equal(want_line, line);
    free(x);
    free(y);
    unlink(r1);
    unlink(r4);
    table_free(a);
    table_free(b);
    table_free(c);
    free(p);
}

/* ---- rows of very different lengths (issue 10, item 1) */

/* Blocks of long rows (a long pad) and short ones (empty pad): the value
 * slab is sized from a bytes-per-row estimate, so a short-row region holds
 * far more rows than its slots.  lens[] gives the pad length per block,
 * counts[] the rows; y = row number, c = y % 7 as a category, b = y % 2. */
static char *gen_skewed(const size_t *lens, const size_t *counts, int nblk,
                        size_t *len, size_t *rows)
{
    buf_t b = {0};
    size_t y = 0;
    buf_puts(&b, "pad,y,c,b\n");
    for (int k = 0; k < nblk; k++)
        for (size_t i = 0; i < counts[k]; i++, y++) {
            for (size_t q = 0; q < lens[k]; q++)
                buf_putc(&b, (char)('a' + q % 26));
            buf_printf(&b, ",%zu,k%zu,%zu\n", y, y % 7, y % 2);
        }
    *len = b.n;
    *rows = y;
    return buf_steal(&b);
}

static size_t skew_row_bytes; /* csv_opts_t.row_bytes for check_skewed */

static void check_skewed(const char *p, size_t n, size_t rows,
                         const size_t *lens, const size_t *counts, int threads,
                         size_t chunk, size_t segment, bool inline_workers)
{
    csv_opts_t o;
    csv_colopt_t c[4];
    ferr_t e = {0};
    table_t *t = NULL;
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "pad", FT_STRING);
    csv_colopt_init(&c[1], "y", FT_INT);
    csv_colopt_init(&c[2], "c", FT_CATEGORY);
    csv_colopt_init(&c[3], "b", FT_BOOL);
    o.cols = c;
    o.ncols = 4;
    o.threads = threads;
    o.chunk_size = chunk;
    o.segment_size = segment;
    o.inline_workers = inline_workers;
    o.row_bytes = skew_row_bytes;
    if (csv_read_mem("skew.csv", p, n, &o, &t, NULL, &e) != FERR_OK)
        fail_msg("threads %d chunk %zu segment %zu: %s", threads, chunk,
                 segment, ferr_msg(&e));
    if (t->nrows != rows)
        fail_msg("threads %d chunk %zu segment %zu: %zu rows, want %zu",
                 threads, chunk, segment, t->nrows, rows);
    size_t blk = 0, left = counts[0];
    for (size_t i = 0; i < rows; i++, left--) {
        while (left == 0)
            left = counts[++blk];
        char want[16];
        snprintf(want, sizeof(want), "k%zu", i % 7);
        if (t->cols[1]->i64[i] != (int64_t)i ||
            !str_eq_cstr(col_str(t->cols[2], i), want) ||
            t->cols[3]->u8[i] != i % 2 ||
            col_str(t->cols[0], i).n != lens[blk] ||
            col_is_null(t->cols[0], i) != (lens[blk] == 0))
            fail_msg("threads %d chunk %zu segment %zu: row %zu: y %lld "
                     "c %.*s b %d pad %zu bytes",
                     threads, chunk, segment, i,
                     (long long)t->cols[1]->i64[i],
                     STR_FMT(col_str(t->cols[2], i)), t->cols[3]->u8[i],
                     col_str(t->cols[0], i).n);
    }
    /* codes in order of first appearance, whatever the split */
    for (size_t k = 0; k < 7 && k < rows; k++)
        assert_int_equal(t->cols[2]->code[k], (int32_t)k);
    table_free(t);
}

static void test_skewed_row_lengths(void **state)
{
    (void)state;
    /* the repro: 64 rows of 60+ bytes, then 5000 of a few bytes;
     * the serial read overflowed the slab in the merge */
    static const size_t repro_len[] = {60, 0}, repro_n[] = {64, 5000};
    /* long, short, long, short: the sampled estimate sees mostly long
     * rows, so chunks in the short regions outgrow their slots */
    static const size_t blk_len[] = {300, 0, 200, 0, 1},
                        blk_n[] = {700, 3000, 300, 2500, 40};
    /* short first: over-reserved, the plain in-place path */
    static const size_t rev_len[] = {0, 400}, rev_n[] = {3000, 500};
    static const struct {
        const size_t *lens, *counts;
        int nblk;
    } files[] = {{repro_len, repro_n, 2}, {blk_len, blk_n, 5},
                 {rev_len, rev_n, 2}};
    static const size_t chunks[] = {0, 7, 300, 4096, 65536};
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        size_t n, rows;
        char *p = gen_skewed(files[f].lens, files[f].counts, files[f].nblk,
                             &n, &rows);
        for (int threads = 1; threads <= 4; threads++)
            for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++)
                check_skewed(p, n, rows, files[f].lens, files[f].counts,
                             threads, chunks[k], 0, false);
        /* small read windows: many segments, each with its own chunks */
        check_skewed(p, n, rows, files[f].lens, files[f].counts, 1, 0, 8192,
                     false);
        check_skewed(p, n, rows, files[f].lens, files[f].counts, 3, 500,
                     8192, false);
        /* the fuzzer's mode: the same plan, workers run inline */
        check_skewed(p, n, rows, files[f].lens, files[f].counts, 4, 300, 0,
                     true);
        check_skewed(p, n, rows, files[f].lens, files[f].counts, 3, 500,
                     8192, true);
        /* a wildly wrong row size must not change the answer either */
        for (size_t rb = 1; rb <= (1u << 16); rb *= 16) {
            skew_row_bytes = rb;
            check_skewed(p, n, rows, files[f].lens, files[f].counts, 1, 0, 0,
                         false);
            check_skewed(p, n, rows, files[f].lens, files[f].counts, 4, 300,
                         0, false);
        }
        skew_row_bytes = 0;
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_typed),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_fatal),
        cmocka_unit_test(test_header_only_and_cell),
        cmocka_unit_test(test_parallel_equals_serial),
        cmocka_unit_test(test_skewed_row_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_csv_dirty.c - dirty data the reader must reject rather than pass on
 * (issue 10, items 12 and 13): empty required keys, text that is not UTF-8
 * (or Latin-1 transcoded on request), a read whose every row is rejected,
 * and a selected column named twice in the header.  Each reject is checked
 * for its line, column and reason, serially and through the parallel chunk
 * path, and the UTF-8 validator for the RFC 3629 edge cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/afile.h"
#include "base/str.h"
#include "data/csv.h"
#include "csv_test_util.h"

static void assert_slice(str_t got, const char *want)
{
    if (got.n != strlen(want) || memcmp(got.p, want, got.n) != 0)
        fail_msg("'%.*s' != '%s'", (int)got.n, got.p, want);
}

static void assert_has(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' lacks '%s'", hay, needle);
}

/* RFC 3629 table 3-7, byte by byte. */
static void test_utf8_validator(void **state)
{
    (void)state;
    static const struct { const char *s; size_t bad; } cases[] = {
        {"", 0},
        {"plain ascii text, longer than a word", 36},
        {"A\xC3\x91O", 4},                  /* Ñ */
        {"\xE2\x82\xAC", 3},                /* € */
        {"\xF0\x9F\x98\x80", 4},            /* U+1F600 */
        {"\xF4\x8F\xBF\xBF", 4},            /* U+10FFFF, the last */
        {"caf\xE9", 3},                     /* Latin-1 é */
        {"abcdefgh\xE9", 8},                /* after a whole ASCII word */
        {"\xC0\xAF", 0},                    /* overlong '/' */
        {"\xC1\xBF", 0},                    /* overlong */
        {"\xE0\x80\xAF", 0},                /* overlong, 3 bytes */
        {"\xF0\x8F\xBF\xBF", 0},            /* overlong, 4 bytes */
        {"\xED\xA0\x80", 0},                /* surrogate U+D800 */
        {"x\xF4\x90\x80\x80", 1},           /* past U+10FFFF */
        {"\xF5\x80\x80\x80", 0},            /* never a lead byte */
        {"ok\xE2\x82", 2},                  /* cut by the end */
        {"\x80", 0},                        /* lone continuation */
        {"\xC3\x28", 0},                    /* bad continuation */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t got = str_utf8_invalid(str_from(cases[i].s));
        if (got != cases[i].bad)
            fail_msg("case %zu: offset %zu, want %zu", i, got, cases[i].bad);
    }
    buf_t b = {0};
    buf_append_latin1(&b, str_from("A\xD1O caf\xE9 \xFF"));
    assert_string_equal(b.p, "A\xC3\x91O caf\xC3\xA9 \xC3\xBF");
    buf_reset(&b);
    buf_append_printable(&b, str_from("caf\xE9\x1B[2J\xC3\x91"), 100);
    assert_string_equal(b.p, "caf\\xE9\\x1B[2J\xC3\x91");
    buf_free(&b);
}

/* A required column: null, empty (whatever the null markers) rejects the
 * row with "is empty: <why>"; other columns' nulls are still fine. */
static void test_required_key(void **state)
{
    (void)state;
    csv_opts_t o;
    ferr_t e;
    csv_report_t rep;
    csv_colopt_t c[3];
    char path[] = "/tmp/ferry_dirty_XXXXXX";
    close(mkstemp(path));
    static const char *nulls[] = {"NA"};
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "id", FT_STRING);
    csv_colopt_init(&c[1], "n", FT_INT);
    csv_colopt_init(&c[2], "day", FT_DATE);
    c[0].required = "the entity key";
    c[2].required = "the timestamp";
    o.cols = c;
    o.ncols = 3;
    o.rejects_path = path;
    o.max_rejects = 10;
    o.nulls = nulls;
    o.nnulls = 1;
    const char *text = "id,n,day\n"
                       "a,1,2020-01-01\n"   /* 2 */
                       ",2,2020-01-02\n"    /* 3: empty, not a null marker */
                       "NA,3,2020-01-03\n"  /* 4: null */
                       "\"\",4,2020-01-04\n" /* 5: quoted empty */
                       "b,NA,2020-01-05\n"  /* 6: a null n is fine */
                       "c,6,NA\n";          /* 7: null time */
    table_t *t = read_str(text, &o, FERR_OK, &e, &rep);
    assert_int_equal(rep.rows, 2);
    assert_int_equal(rep.rejected, 4);
    assert_slice(col_str(t->cols[0], 1), "b");
    assert_true(col_is_null(t->cols[1], 1));
    table_free(t);
    char *rej = slurp(path);
    assert_string_equal(rej, "line,column,value,reason\n"
                             "3,id,,is empty: the entity key\n"
                             "4,id,NA,is empty: the entity key\n"
                             "5,id,,is empty: the entity key\n"
                             "7,day,NA,is empty: the timestamp\n");
    free(rej);
    /* an int key, default null markers, over the budget: the message
     * names file, line and column */
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "id", FT_INT);
    c[0].required = "the entity key";
    o.cols = c;
    o.ncols = 1;
    read_str("id,x\n1,a\n,b\n", &o, FERR_BUDGET, &e, NULL);
    assert_has(e.msg, "t.csv:3: column id: '' is empty: the entity key");
    unlink(path);
}

/* Text columns must be UTF-8; numbers, unselected columns and valid
 * multi-byte text are untouched; the rejects file shows the bad byte. */
static void test_utf8_rejects(void **state)
{
    (void)state;
    csv_opts_t o;
    ferr_t e;
    csv_report_t rep;
    csv_colopt_t c[3];
    char path[] = "/tmp/ferry_dirty_XXXXXX";
    close(mkstemp(path));
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "name", FT_STRING);
    csv_colopt_init(&c[1], "city", FT_CATEGORY);
    csv_colopt_init(&c[2], "n", FT_INT);
    o.cols = c;
    o.ncols = 3;
    o.rejects_path = path;
    o.max_rejects = 10;
    const char *text = "name,city,n,junk\n"
                       "Mu\xC3\xB1oz,Valpara\xC3\xADso,1,\xFF\xFE\n" /* 2 ok */
                       "caf\xE9,Santiago,2,x\n"                      /* 3 */
                       "ok,\"Conc\xE9pci\xF3n, \"\"8\"\"\",3,x\n"    /* 4 */
                       "ok,Santiago,4,x\n"                           /* 5 */
                       "\xC0\xAF,Temuco,5,x\n";                      /* 6 */
    table_t *t = read_str(text, &o, FERR_OK, &e, &rep);
    assert_int_equal(rep.rows, 2);
    assert_int_equal(rep.rejected, 3);
    assert_slice(col_str(t->cols[0], 0), "Mu\xC3\xB1oz");
    assert_int_equal(t->cols[2]->i64[1], 4);
    /* the rejected city never entered the vocabulary */
    assert_int_equal(t->cols[1]->dict->n, 2);
    table_free(t);
    char *rej = slurp(path);
    assert_string_equal(
        rej, "line,column,value,reason\n"
             "3,name,caf\\xE9,is not valid UTF-8 (a Latin-1 file needs "
             "encoding: latin1)\n"
             "4,city,\"Conc\\xE9pci\\xF3n, \"\"8\"\"\",is not valid UTF-8 (a "
             "Latin-1 file needs encoding: latin1)\n"
             "6,name,\\xC0\\xAF,is not valid UTF-8 (a Latin-1 file needs "
             "encoding: latin1)\n");
    free(rej);
    o.max_rejects = 0;
    read_str(text, &o, FERR_BUDGET, &e, NULL);
    assert_has(e.msg, "t.csv:3: column name: 'caf\\xE9' is not valid UTF-8");
    unlink(path);
}

/* encoding latin1: every byte is a character, values and header names
 * arrive as UTF-8 (quoted, doubled quotes and trimmed fields too). */
static void test_latin1(void **state)
{
    (void)state;
    csv_opts_t o;
    ferr_t e;
    csv_colopt_t c[3];
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "A\xC3\x91O", FT_INT); /* AÑO, as in ferry.yaml */
    csv_colopt_init(&c[1], "name", FT_STRING);
    csv_colopt_init(&c[2], "city", FT_CATEGORY);
    o.cols = c;
    o.ncols = 3;
    o.encoding = CSV_LATIN1;
    o.trim = true;
    const char *text = "A\xD1O,name,city\n"
                       "2017,caf\xE9,\"Conc\xE9pci\xF3n \"\"8\"\"\"\n"
                       "2018, plain ,  Ays\xE9n \n";
    table_t *t = read_str(text, &o, FERR_OK, &e, NULL);
    assert_int_equal(t->nrows, 2);
    assert_string_equal(t->cols[0]->name, "A\xC3\x91O");
    assert_int_equal(t->cols[0]->i64[1], 2018);
    assert_slice(col_str(t->cols[1], 0), "caf\xC3\xA9");
    assert_slice(col_str(t->cols[1], 1), "plain");
    str_t c0 = dict_str(t->cols[2]->dict, t->cols[2]->code[0]);
    str_t c1 = dict_str(t->cols[2]->dict, t->cols[2]->code[1]);
    assert_slice(c0, "Conc\xC3\xA9pci\xC3\xB3n \"8\"");
    assert_slice(c1, "Ays\xC3\xA9n");
    table_free(t);
}

/* However generous the budget, a read that keeps no row fails (an empty
 * table would replace good outputs); a header-only file is still a table. */
static void test_all_rejected(void **state)
{
    (void)state;
    csv_opts_t o;
    ferr_t e;
    csv_colopt_t c[1];
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "n", FT_INT);
    o.cols = c;
    o.ncols = 1;
    o.max_rejects = 1000000;
    read_str("n\nx\ny\n", &o, FERR_BUDGET, &e, NULL);
    assert_has(e.msg, "t.csv: 2 of 2 rows rejected (budget 1000000, and no row "
                      "is left); first: t.csv:2: column n: 'x' is not an integer");
    o.max_rejects = 0;
    o.max_reject_frac = 1.0;
    read_str("n\nx\n", &o, FERR_BUDGET, &e, NULL);
    assert_has(e.msg, "and no row is left");
    table_t *t = read_str("n\n", &o, FERR_OK, &e, NULL);
    assert_int_equal(t->nrows, 0);
    table_free(t);
    t = read_str("n\nx\n1\n", &o, FERR_OK, &e, NULL);
    assert_int_equal(t->nrows, 1);
    table_free(t);
}

/* A selected name carried by two header fields is refused (which one was
 * meant?); a duplicate the spec does not select is harmless. */
static void test_duplicate_header(void **state)
{
    (void)state;
    csv_opts_t o;
    ferr_t e;
    csv_colopt_t c[2];
    csv_opts_init(&o);
    csv_colopt_init(&c[0], "a", FT_INT);
    csv_colopt_init(&c[1], "b", FT_INT);
    o.cols = c;
    o.ncols = 2;
    read_str("a,b,x,a\n1,2,3,4\n", &o, FERR_PARSE, &e, NULL);
    assert_string_equal(e.msg, "t.csv:1: column 'a' appears twice in the header "
                               "(fields 1 and 4); rename one in the file");
    read_str("x,a,\"b\",b\n1,2,3,4\n", &o, FERR_PARSE, &e, NULL);
    assert_has(e.msg, "t.csv:1: column 'b' appears twice in the header "
                      "(fields 3 and 4)");
    table_t *t = read_str("x,a,x,b,,\n1,2,3,4,,\n", &o, FERR_OK, &e, NULL);
    assert_int_equal(t->cols[0]->i64[0], 2);
    assert_int_equal(t->cols[1]->i64[0], 4);
    table_free(t);
    /* every column read: every name must be unique */
    csv_opts_init(&o);
    read_str("x,y,z,y\n1,2,3,4\n", &o, FERR_PARSE, &e, NULL);
    assert_has(e.msg, "t.csv:1: column 'y' appears twice in the header "
                      "(fields 2 and 4)");
}

/* The new rejects through the parallel chunk and window paths: the same
 * rejects file, line for line, as a serial read. */
static void test_dirty_parallel(void **state)
{
    (void)state;
    buf_t text = {0};
    buf_puts(&text, "id,name,n\n");
    for (int i = 0; i < 4000; i++) {
        if (i % 97 == 5)
            buf_printf(&text, ",x%d,%d\n", i, i);            /* empty key */
        else if (i % 89 == 7)
            buf_printf(&text, "k%d,caf\xE9%d,%d\n", i % 50, i, i); /* Latin-1 */
        else if (i % 83 == 3)
            buf_printf(&text, "k%d,\"multi\nline \xC3\xA9\",%d\n", i % 50, i);
        else
            buf_printf(&text, "k%d,n%d,%d\n", i % 50, i, i);
    }
    char r1[] = "/tmp/ferry_dirty_XXXXXX", r4[] = "/tmp/ferry_dirty_XXXXXX";
    close(mkstemp(r1));
    close(mkstemp(r4));
    csv_colopt_t c[3];
    csv_colopt_init(&c[0], "id", FT_CATEGORY);
    csv_colopt_init(&c[1], "name", FT_STRING);
    csv_colopt_init(&c[2], "n", FT_INT);
    c[0].required = "the entity key";
    size_t rows[2];
    for (int k = 0; k < 2; k++) {
        csv_opts_t o;
        ferr_t e = {0};
        csv_report_t rep;
        table_t *t = NULL;
        csv_opts_init(&o);
        o.cols = c;
        o.ncols = 3;
        o.max_rejects = 1000;
        o.rejects_path = k ? r4 : r1;
        o.threads = k ? 4 : 1;
        o.chunk_size = k ? 997 : 0;
        o.segment_size = k ? 4096 : 0;
        if (k)
            o.max_line = 1024;
        assert_int_equal(csv_read_mem("t.csv", text.p, text.n, &o, &t, &rep, &e),
                         FERR_OK);
        assert_int_equal(rep.rejected, 42 + 45);
        rows[k] = t->nrows;
        table_free(t);
    }
    assert_int_equal(rows[0], rows[1]);
    char *x = slurp(r1), *y = slurp(r4);
    assert_string_equal(x, y);
    /* row i is on line i + 2, plus one per multi-line row before it */
    assert_has(x, "\n8,id,,is empty: the entity key\n");
    assert_has(x, "\n10,name,caf\\xE97,is not valid UTF-8");
    free(x);
    free(y);
    unlink(r1);
    unlink(r4);
    buf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_validator),
        cmocka_unit_test(test_required_key),
        cmocka_unit_test(test_utf8_rejects),
        cmocka_unit_test(test_latin1),
        cmocka_unit_test(test_all_rejected),
        cmocka_unit_test(test_duplicate_header),
        cmocka_unit_test(test_dirty_parallel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

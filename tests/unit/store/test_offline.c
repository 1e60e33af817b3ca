/*
 * test_offline.c - CSV writer and .fcol round trips, corruption, atomicity.
 *
 * The float formatter is checked against a brute-force shortest search
 * (%.1g .. %.17g with strtod), the CSV bytes against hand-written text, and
 * the .fcol reader against every single-byte corruption and every
 * truncation of a real file: each must be FERR_CORRUPT or (a flip inside
 * alignment padding, which carries no data) read back the identical table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/afile.h"
#include "store/offline.h"
#include "store/store_int.h"
#include "store_test_util.h"

static int setup(void **state)
{
    (void)state;
    return tu_tmpdir_make("offline");
}

static int teardown(void **state)
{
    (void)state;
    return tu_tmpdir_remove();
}

/* Significant digits of a %g / store_fmt_f64 text. */
static int sig_digits(const char *s)
{
    int n = 0, started = 0, trailing = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (*s != '0')
            started = 1;
        if (started) {
            n++;
            trailing = *s == '0' ? trailing + 1 : 0;
        }
    }
    /* "1200" has 2 significant digits in the shortest sense. */
    return n - trailing > 0 ? n - trailing : 1;
}

static void check_shortest(double x)
{
    char ours[STORE_FMT_MAX], ref[64];
    size_t n = store_fmt_f64(x, ours);
    int best = 17;
    assert_int_equal(n, strlen(ours));
    assert_true(strtod(ours, NULL) == x);
    for (int p = 1; p <= 17; p++) {
        snprintf(ref, sizeof(ref), "%.*g", p, x);
        if (strtod(ref, NULL) == x) {
            best = p;
            break;
        }
    }
    if (sig_digits(ours) != best)
        fail_msg("%.17g: ours '%s' has %d digits, shortest has %d", x, ours,
                 sig_digits(ours), best);
}

static void test_float_format(void **state)
{
    static const double fixed[] = {0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 1e-5,
                                   1.5e-5, 123456789.125, 1e15, 1e16,
                                   9007199254740993.0, 5e-324, 1.7976931348623157e308,
                                   -2.5, 100, 1e22, 0.000123, 4.35, 1234.56};
    char out[STORE_FMT_MAX];
    uint64_t s = 42;
    (void)state;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_shortest(fixed[i]);
    for (int i = 0; i < 100000; i++) {
        uint64_t bits = tu_rand(&s);
        double x;
        memcpy(&x, &bits, 8);
        if (isfinite(x) && x != 0)
            check_shortest(x);
        /* Decimal-looking values: the fast path. */
        x = (double)(int64_t)(tu_rand(&s) % 2000000001 - 1000000000) /
            pow(10, (double)(tu_rand(&s) % 12));
        if (x != 0)
            check_shortest(x);
    }
    /* Random doubles across the exact-arithmetic range 1e-5..1e15, and
     * powers of two with their neighbours (the halved lower gap). */
    for (int i = 0; i < 200000; i++) {
        double x = ldexp((double)(tu_rand(&s) >> 11), -53) *
                   pow(10, (double)(tu_rand(&s) % 21) - 5);
        if (x != 0)
            check_shortest(x);
    }
    for (int ex = -20; ex < 52; ex++) {
        double x = ldexp(1, ex);
        check_shortest(x);
        check_shortest(nextafter(x, 0));
        check_shortest(nextafter(x, INFINITY));
        check_shortest(-x);
    }
    store_fmt_f64(0.0, out);
    assert_string_equal(out, "0");
    store_fmt_f64(-0.0, out);
    assert_string_equal(out, "-0");
    store_fmt_f64(NAN, out);
    assert_string_equal(out, "nan");
    store_fmt_f64(-INFINITY, out);
    assert_string_equal(out, "-inf");
    store_fmt_f64(0.5, out);
    assert_string_equal(out, "0.5");
    store_fmt_f64(-1234.5, out);
    assert_string_equal(out, "-1234.5");
    store_fmt_i64(INT64_MIN, out);
    assert_string_equal(out, "-9223372036854775808");
}

static void test_dates(void **state)
{
    char out[STORE_FMT_MAX];
    int64_t v;
    (void)state;
    store_fmt_date(0, out);
    assert_string_equal(out, "1970-01-01");
    store_fmt_date(-1, out);
    assert_string_equal(out, "1969-12-31");
    store_fmt_date(11016, out);
    assert_string_equal(out, "2000-02-29");
    store_fmt_datetime(-1, out);
    assert_string_equal(out, "1969-12-31 23:59:59");
    store_fmt_datetime(1700000000, out);
    assert_string_equal(out, "2023-11-14 22:13:20");
    /* Every day over ~550 years: format then parse is the identity and
     * consecutive days are consecutive dates (checked by the parser's own
     * calendar validation). */
    for (int64_t d = -100000; d < 100000; d++) {
        size_t n = store_fmt_date(d, out);
        assert_int_equal(store_parse_date(out, n, &v), 0);
        assert_int_equal(v, d);
    }
    assert_int_equal(store_parse_date("2021-02-29", 10, &v), -1);
    assert_int_equal(store_parse_date("2020-02-29", 10, &v), 0);
    assert_int_equal(store_parse_datetime("2023-11-14 22:13:20", 19, &v), 0);
    assert_int_equal(v, 1700000000);
}

static void test_crc32c(void **state)
{
    (void)state;
    /* The standard check value of CRC-32C. */
    assert_int_equal(store_crc32c(0, "123456789", 9), 0xE3069283);
    assert_int_equal(store_crc32c(store_crc32c(0, "1234", 4), "56789", 5),
                     0xE3069283);
}

static char *slurp(const char *path)
{
    char *data = NULL;
    size_t n;
    ferr_t e = {0};
    if (file_read_all(path, 0, &data, &n, &e) != FERR_OK)
        fail_msg("%s", ferr_msg(&e));
    return data;
}

static void test_csv_exact(void **state)
{
    table_t *t = table_new();
    column_t *a = col_new("id", FT_INT, 4), *f = col_new("x,y", FT_FLOAT, 4);
    column_t *b = col_new("ok", FT_BOOL, 4), *s = col_new("name", FT_STRING, 4);
    column_t *c = col_new("cat", FT_CATEGORY, 4), *d = col_new("d", FT_DATE, 4);
    column_t *dt = col_new("ts", FT_DATETIME, 4);
    char path[300];
    ferr_t e = {0};
    (void)state;
    a->i64[0] = -5, a->i64[1] = 0, a->i64[2] = 1234567890123, a->i64[3] = 7;
    f->f64[0] = 0.1, f->f64[1] = 1e21, f->f64[2] = -3;
    col_set_null(f, 3);
    b->u8[0] = 1;
    col_set_null(b, 2);
    col_str_append(s, 0, "plain", 5);
    col_str_append(s, 1, "", 0);
    col_str_append(s, 2, "a \"q\", b", 8);
    col_str_append(s, 3, "x\ny", 3);
    col_set_null(s, 3);
    c->code[0] = dict_intern(c->dict, "red", 3);
    c->code[1] = dict_intern(c->dict, "r\r\n", 3);
    c->code[2] = 0;
    col_set_null(c, 3);
    d->i64[0] = 18628, d->i64[1] = -719528;
    col_set_null(d, 2);
    dt->i64[0] = 1609459199, dt->i64[3] = 86399;
    column_t *cols[] = {a, f, b, s, c, d, dt};
    for (int j = 0; j < 7; j++)
        assert_int_equal(table_add(t, cols[j], &e), FERR_OK);
    path_in(path, sizeof(path), "exact.csv");
    assert_int_equal(offline_write_csv(t, path, &e), FERR_OK);
    char *got = slurp(path);
    assert_string_equal(
        got, "id,\"x,y\",ok,name,cat,d,ts\n"
             "-5,0.1,1,plain,red,2021-01-01,2020-12-31 23:59:59\n"
             "0,1e+21,0,\"\",\"r\r\n\",0000-01-01,1970-01-01 00:00:00\n"
             "1234567890123,-3,,\"a \"\"q\"\", b\",red,,1970-01-01 00:00:00\n"
             "7,,0,,,1970-01-01,1970-01-01 23:59:59\n");
    free(got);
    table_free(t);
}

/* A failed write (file size limit hit mid-way) leaves the old file
 * byte-identical and no temporary behind. */
static void test_csv_failed_write_keeps_old(void **state)
{
    char path[300];
    ferr_t e = {0};
    table_t *small = tu_all_types(10, 1), *big = tu_all_types(200000, 2);
    (void)state;
    path_in(path, sizeof(path), "keep.csv");
    assert_int_equal(offline_write_csv(small, path, &e), FERR_OK);
    char *before = slurp(path);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {1 << 20, 1 << 20};
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &rl);
        _exit(offline_write_csv(big, path, NULL) == FERR_IO ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *after = slurp(path);
    assert_string_equal(before, after);
    free(before);
    free(after);
    DIR *dir = opendir(tmpdir);
    struct dirent *de;
    while ((de = readdir(dir)) != NULL)
        assert_null(strstr(de->d_name, ".tmp."));
    closedir(dir);
    table_free(small);
    table_free(big);
}

/* Large random table: every cell parses back to the exact value. */
static void test_csv_floats_roundtrip(void **state)
{
    size_t n = 20000;
    table_t *t = tu_all_types(n, 7);
    char path[300];
    ferr_t e = {0};
    (void)state;
    path_in(path, sizeof(path), "floats.csv");
    assert_int_equal(offline_write_csv(t, path, &e), FERR_OK);
    char *text = slurp(path), *p = strchr(text, '\n') + 1;
    const column_t *f = table_find(t, "f");
    /* Column f is second and column i (an integer) first: no quoting. */
    for (size_t i = 0; i < n; i++) {
        char *comma = strchr(p, ',') + 1, *end;
        double v = strtod(comma, &end);
        if (col_is_null(f, i))
            assert_ptr_equal(end, comma);
        else
            assert_true(v == f->f64[i]);
        /* skip to the next record: quoted fields may hold newlines */
        int inq = 0;
        for (p = comma; *p && (inq || *p != '\n'); p++)
            if (*p == '"')
                inq = !inq;
        p++;
    }
    assert_int_equal(*p, '\0');
    free(text);
    table_free(t);
}

static void roundtrip(size_t n, uint64_t seed)
{
    table_t *t = tu_all_types(n, seed), *back = NULL;
    char path[300], why[200];
    ferr_t e = {0};
    path_in(path, sizeof(path), "rt.fcol");
    assert_int_equal(fcol_write(t, path, &e), FERR_OK);
    if (fcol_read(path, &back, &e) != FERR_OK)
        fail_msg("%s", ferr_msg(&e));
    if (!tu_table_eq(t, back, why, sizeof(why)))
        fail_msg("n=%zu: %s", n, why);
    table_free(back);
    table_free(t);
}

static void test_fcol_roundtrip(void **state)
{
    (void)state;
    roundtrip(0, 1);
    roundtrip(1, 2);
    roundtrip(7, 3);
    roundtrip(1000, 4);
}

static void test_fcol_edge_tables(void **state)
{
    table_t *t = table_new(), *back;
    char path[300], why[200];
    ferr_t e = {0};
    (void)state;
    path_in(path, sizeof(path), "edge.fcol");
    /* No columns at all. */
    assert_int_equal(fcol_write(t, path, &e), FERR_OK);
    assert_int_equal(fcol_read(path, &back, &e), FERR_OK);
    assert_int_equal(back->ncols, 0);
    table_free(back);
    /* All-empty strings (no data array), all-null category, empty dict. */
    column_t *s = col_new("s", FT_STRING, 3), *c = col_new("c", FT_CATEGORY, 3);
    for (int i = 0; i < 3; i++)
        col_set_null(c, (size_t)i);
    table_add(t, s, &e);
    table_add(t, c, &e);
    assert_int_equal(fcol_write(t, path, &e), FERR_OK);
    assert_int_equal(fcol_read(path, &back, &e), FERR_OK);
    assert_true(tu_table_eq(t, back, why, sizeof(why)));
    assert_int_equal(table_find(back, "c")->dict->n, 0);
    table_free(back);
    table_free(t);
}

static void test_fcol_subset(void **state)
{
    table_t *t = tu_all_types(100, 9), *back;
    char path[300];
    const char *want[] = {"t", "s", "i"};
    const char *missing[] = {"i", "nope"};
    ferr_t e = {0};
    (void)state;
    path_in(path, sizeof(path), "sub.fcol");
    assert_int_equal(fcol_write(t, path, &e), FERR_OK);
    assert_int_equal(fcol_read_cols(path, want, 3, &back, &e), FERR_OK);
    assert_int_equal(back->ncols, 3);
    assert_int_equal(back->nrows, 100);
    assert_string_equal(back->cols[0]->name, "t");
    assert_true(str_eq(col_str(back->cols[1], 5), col_str(table_find(t, "s"), 5)));
    assert_int_equal(back->cols[2]->i64[3], table_find(t, "i")->i64[3]);
    table_free(back);
    assert_int_equal(fcol_read_cols(path, missing, 2, &back, &e), FERR_NOTFOUND);
    assert_non_null(strstr(e.msg, "nope"));
    assert_null(back);
    table_free(t);
}

static void test_fcol_corruption(void **state)
{
    table_t *t = tu_all_types(40, 11), *back;
    char path[300], why[200];
    char *raw;
    size_t n;
    ferr_t e = {0};
    size_t corrupt = 0, harmless = 0;
    (void)state;
    path_in(path, sizeof(path), "c.fcol");
    assert_int_equal(fcol_write(t, path, &e), FERR_OK);
    assert_int_equal(file_read_all(path, 0, &raw, &n, &e), FERR_OK);
    /* Every truncation. */
    for (size_t k = 0; k < n; k++) {
        int rc = fcol_read_mem(raw, k, "trunc.fcol", NULL, 0, &back, &e);
        if (rc != FERR_CORRUPT)
            fail_msg("truncated to %zu: rc %d", k, rc);
        assert_non_null(strstr(e.msg, "trunc.fcol"));
    }
    /* Every byte, two different flips. */
    for (size_t k = 0; k < n; k++) {
        for (int f = 0; f < 2; f++) {
            uint8_t old = (uint8_t)raw[k];
            raw[k] = (char)(f ? old ^ 0x01 : old ^ 0x80);
            int rc = fcol_read_mem(raw, n, "flip.fcol", NULL, 0, &back, &e);
            raw[k] = (char)old;
            if (rc == FERR_OK) {
                if (!tu_table_eq(t, back, why, sizeof(why)))
                    fail_msg("flip at %zu read wrong data: %s", k, why);
                table_free(back);
                harmless++;
            } else {
                if (rc != FERR_CORRUPT)
                    fail_msg("flip at %zu: rc %d (%s)", k, rc, e.msg);
                corrupt++;
            }
        }
    }
    /* Padding only: a few bytes per section. */
    assert_true(harmless < n / 10);
    assert_true(corrupt > 0);
    /* A file that ends in garbage, and one that is not .fcol at all. */
    assert_int_equal(fcol_read_mem("ferry,csv\n1,2\n", 14, "x.csv", NULL, 0,
                                   &back, &e),
                     FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "x.csv: not a .fcol file"));
    free(raw);
    /* A file on disk that grew after writing. */
    FILE *fp = fopen(path, "ab");
    fputs("junk", fp);
    fclose(fp);
    assert_int_equal(fcol_read(path, &back, &e), FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "trailing bytes"));
    assert_int_equal(fcol_read("/nonexistent/x.fcol", &back, &e), FERR_NOTFOUND);
    table_free(t);
}

/* The corpus's crafted files (fuzz/corpus/fcol) are rejected for the
 * right reason; the valid ones read. */
static void test_fcol_corpus_verdicts(void **state)
{
    static const struct {
        const char *file;
        int rc;
        const char *msg;
    } cases[] = {
        {"valid_20rows.fcol", FERR_OK, NULL},
        {"valid_0rows.fcol", FERR_OK, NULL},
        {"valid_0cols.fcol", FERR_OK, NULL},
        {"bad_bool.fcol", FERR_CORRUPT, "row 2: bool byte is 2"},
        {"bad_null_byte.fcol", FERR_CORRUPT, "row 3: null byte is 7"},
        {"bad_code.fcol", FERR_CORRUPT, "category code 5 outside"},
        {"bad_negative_code.fcol", FERR_CORRUPT, "category code -1 outside"},
        {"bad_dup_dict.fcol", FERR_CORRUPT, "entry 1 is a duplicate"},
        {"bad_offsets.fcol", FERR_CORRUPT, "string offset 2 goes backwards"},
        {"flip_section.fcol", FERR_CORRUPT, "values section checksum"},
        {"flip_dir.fcol", FERR_CORRUPT, "directory checksum"},
        {"flip_magic.fcol", FERR_CORRUPT, "not a .fcol file"},
        {"trunc_mid.fcol", FERR_CORRUPT, "truncated: header says 2200"},
        {"hdr_version2.fcol", FERR_UNSUPPORTED, "version 2"},
        {"hdr_huge_nrows.fcol", FERR_CORRUPT, "rows cannot fit"},
        {"hdr_dir_off.fcol", FERR_CORRUPT, "does not fit the file"},
        {"hdr_file_len.fcol", FERR_CORRUPT, "trailing bytes"},
    };
    const char *src = getenv("FERRY_SRC");
    (void)state;
    if (src == NULL)
        skip();
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char path[1024];
        table_t *t = NULL;
        ferr_t e = {0};
        snprintf(path, sizeof(path), "%s/fuzz/corpus/fcol/%s", src,
                 cases[k].file);
        int rc = fcol_read(path, &t, &e);
        if (rc != cases[k].rc ||
            (cases[k].msg && (!strstr(e.msg, cases[k].msg) ||
                              !strstr(e.msg, cases[k].file))))
            fail_msg("%s: rc %d '%s'", cases[k].file, rc, e.msg);
        table_free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_format),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_csv_exact),
        cmocka_unit_test(test_csv_failed_write_keeps_old),
        cmocka_unit_test(test_csv_floats_roundtrip),
        cmocka_unit_test(test_fcol_roundtrip),
        cmocka_unit_test(test_fcol_edge_tables),
        cmocka_unit_test(test_fcol_subset),
        cmocka_unit_test(test_fcol_corruption),
        cmocka_unit_test(test_fcol_corpus_verdicts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

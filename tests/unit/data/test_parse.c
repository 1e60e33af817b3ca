/*
 * test_parse.c - single-value parsing: numbers, booleans, dates, formats.
 *
 * Edge cases by hand, plus two differential checks against independent
 * implementations: the calendar against SQLite's date()/julianday() (linked
 * in-process), and every float fast path against glibc's correctly rounded
 * strtod on random decimal literals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "data/parse.h"

static str_t S(const char *s)
{
    return str_from(s);
}

static void test_int(void **state)
{
    int64_t v = -1;
    (void)state;
    static const struct {
        const char *in;
        char dec, th;
        int rc;
        int64_t v;
    } cases[] = {
        {"0", '.', 0, FERR_OK, 0},
        {"-0", '.', 0, FERR_OK, 0},
        {"+42", '.', 0, FERR_OK, 42},
        {"-17", '.', 0, FERR_OK, -17},
        {"12.0", '.', 0, FERR_OK, 12},
        {"12.000", '.', 0, FERR_OK, 12},
        {"12.", '.', 0, FERR_OK, 12},
        {"12.5", '.', 0, FERR_PARSE, 0},
        {"12.0", 0, 0, FERR_PARSE, 0},
        {"1.234.567", ',', '.', FERR_OK, 1234567},
        {"1.234.567,00", ',', '.', FERR_OK, 1234567},
        {"1,234,567", '.', ',', FERR_OK, 1234567},
        {"-1.234", ',', '.', FERR_OK, -1234},
        {"1.23", ',', '.', FERR_PARSE, 0},
        {"1234.567", ',', '.', FERR_PARSE, 0},
        {".123", ',', '.', FERR_PARSE, 0},
        {"1..234", ',', '.', FERR_PARSE, 0},
        {"1.234.", ',', '.', FERR_PARSE, 0},
        {"", '.', 0, FERR_PARSE, 0},
        {"-", '.', 0, FERR_PARSE, 0},
        {"+", '.', 0, FERR_PARSE, 0},
        {" 1", '.', 0, FERR_PARSE, 0},
        {"1 ", '.', 0, FERR_PARSE, 0},
        {"abc", '.', 0, FERR_PARSE, 0},
        {"1e3", '.', 0, FERR_PARSE, 0},
        {"0x10", '.', 0, FERR_PARSE, 0},
        {"9223372036854775807", '.', 0, FERR_OK, INT64_MAX},
        {"-9223372036854775808", '.', 0, FERR_OK, INT64_MIN},
        {"9223372036854775808", '.', 0, FERR_RANGE, 0},
        {"-9223372036854775809", '.', 0, FERR_RANGE, 0},
        {"99999999999999999999999", '.', 0, FERR_RANGE, 0},
        {"000000000000000000000000001", '.', 0, FERR_OK, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v = 777;
        int rc = parse_int64(S(cases[i].in), cases[i].dec, cases[i].th, &v);
        if (rc != cases[i].rc)
            fail_msg("parse_int64('%s') = %d, want %d", cases[i].in, rc,
                     cases[i].rc);
        if (rc == FERR_OK)
            assert_int_equal(v, cases[i].v);
        else
            assert_int_equal(v, 777); /* untouched on failure */
    }
    /* slices are not NUL-terminated: the parser must stop at n */
    assert_int_equal(parse_int64((str_t){"12345", 3}, '.', 0, &v), FERR_OK);
    assert_int_equal(v, 123);
}

static void test_double(void **state)
{
    double v;
    (void)state;
    static const struct {
        const char *in;
        char dec, th;
        int rc;
        double v;
    } cases[] = {
        {"0", '.', 0, FERR_OK, 0.0},
        {"1.5", '.', 0, FERR_OK, 1.5},
        {"-2.25", '.', 0, FERR_OK, -2.25},
        {".5", '.', 0, FERR_OK, 0.5},
        {"5.", '.', 0, FERR_OK, 5.0},
        {"1e3", '.', 0, FERR_OK, 1000.0},
        {"1E-2", '.', 0, FERR_OK, 0.01},
        {"+1e+2", '.', 0, FERR_OK, 100.0},
        {"1,5", ',', 0, FERR_OK, 1.5},
        {"1.234.567", ',', '.', FERR_OK, 1234567.0},
        {"1.234.567,89", ',', '.', FERR_OK, 1234567.89},
        {"-1,234,567.5", '.', ',', FERR_OK, -1234567.5},
        {"1.23", ',', '.', FERR_PARSE, 0},
        {"12,34,567", '.', ',', FERR_PARSE, 0},
        {"183.15802728755412", '.', 0, FERR_OK, 183.15802728755412},
        {"0.1", '.', 0, FERR_OK, 0.1},
        {"1e308", '.', 0, FERR_OK, 1e308},
        {"1e309", '.', 0, FERR_RANGE, 0},
        {"-1e400", '.', 0, FERR_RANGE, 0},
        {"1e-400", '.', 0, FERR_OK, 0.0},
        {"4.9406564584124654e-324", '.', 0, FERR_OK, 4.9406564584124654e-324},
        {"0e999999999", '.', 0, FERR_OK, 0.0},
        {"inf", '.', 0, FERR_OK, INFINITY},
        {"-Infinity", '.', 0, FERR_OK, -INFINITY},
        {"", '.', 0, FERR_PARSE, 0},
        {".", '.', 0, FERR_PARSE, 0},
        {"-", '.', 0, FERR_PARSE, 0},
        {"e5", '.', 0, FERR_PARSE, 0},
        {"1e", '.', 0, FERR_PARSE, 0},
        {"1e+", '.', 0, FERR_PARSE, 0},
        {"1.2.3", '.', 0, FERR_PARSE, 0},
        {"abc", '.', 0, FERR_PARSE, 0},
        {"0x1p3", '.', 0, FERR_PARSE, 0},
        {"1 ", '.', 0, FERR_PARSE, 0},
        {"1.5", ',', 0, FERR_PARSE, 0},
        {"nanx", '.', 0, FERR_PARSE, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v = 777;
        int rc = parse_double(S(cases[i].in), cases[i].dec, cases[i].th, &v);
        if (rc != cases[i].rc)
            fail_msg("parse_double('%s') = %d, want %d", cases[i].in, rc,
                     cases[i].rc);
        if (rc == FERR_OK && v != cases[i].v)
            fail_msg("parse_double('%s') = %.17g, want %.17g", cases[i].in, v,
                     cases[i].v);
        if (rc != FERR_OK)
            assert_true(v == 777);
    }
    assert_int_equal(parse_double(S("NaN"), '.', 0, &v), FERR_OK);
    assert_true(isnan(v));
    assert_int_equal(parse_double(S("-0.0"), '.', 0, &v), FERR_OK);
    assert_true(v == 0 && signbit(v));
}

/* Differential: random literals of 1..22 digits, decimal point anywhere,
 * optional exponent; must match strtod bit for bit (this exercises the
 * Clinger path, the extended-precision path and the strtod fallback). */
static void test_double_vs_strtod(void **state)
{
    char lit[64];
    unsigned long long seed = 0x9e3779b97f4a7c15ULL;
    (void)state;
#define RND() (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, \
               (unsigned)(seed >> 33))
    for (int it = 0; it < 300000; it++) {
        int nd = 1 + (int)(RND() % 22), dot = (int)(RND() % (unsigned)(nd + 1));
        size_t k = 0;
        if (RND() % 4 == 0)
            lit[k++] = '-';
        for (int j = 0; j < nd; j++) {
            if (j == dot && j > 0)
                lit[k++] = '.';
            lit[k++] = (char)('0' + RND() % 10);
        }
        if (RND() % 3 == 0)
            k += (size_t)snprintf(lit + k, sizeof(lit) - k, "e%d",
                                  (int)(RND() % 80) - 40);
        lit[k] = '\0';
        double want = strtod(lit, NULL), got = -12345;
        int rc = parse_double((str_t){lit, k}, '.', 0, &got);
        if (rc != FERR_OK || memcmp(&got, &want, sizeof(got)) != 0)
            fail_msg("'%s': got %.17g (rc %d), strtod %.17g", lit, got, rc,
                     want);
    }
    /* decimal ',' with thousands '.' agrees with the plain literal */
    assert_int_equal(parse_double(S("9.007.199.254.740.993,125"), ',', '.',
                                  &(double){0}),
                     FERR_OK);
    double a, b;
    parse_double(S("9.007.199.254.740.993,125"), ',', '.', &a);
    b = strtod("9007199254740993.125", NULL);
    assert_true(a == b);
}

static void test_bool(void **state)
{
    uint8_t v = 9;
    (void)state;
    const char *yes[] = {"true", "TRUE", "1", "yes", "Y", "t", "True"};
    const char *no[] = {"false", "0", "No", "n", "F"};
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(parse_bool(S(yes[i]), &v), FERR_OK);
        assert_int_equal(v, 1);
    }
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(parse_bool(S(no[i]), &v), FERR_OK);
        assert_int_equal(v, 0);
    }
    v = 9;
    assert_int_equal(parse_bool(S("maybe"), &v), FERR_PARSE);
    assert_int_equal(parse_bool(S(""), &v), FERR_PARSE);
    assert_int_equal(parse_bool(S("2"), &v), FERR_PARSE);
    assert_int_equal(v, 9);
}

static void test_months(void **state)
{
    (void)state;
    static const char *es[] = {"Ene", "Feb", "Mar", "Abr", "May", "Jun",
                               "Jul", "Ago", "Sep", "Oct", "Nov", "Dic"};
    static const char *esf[] = {"Enero", "Febrero", "Marzo", "Abril",
                                "Mayo", "Junio", "Julio", "Agosto",
                                "Septiembre", "Octubre", "Noviembre",
                                "Diciembre"};
    static const char *en[] = {"January", "February", "March", "April",
                               "May", "June", "July", "August",
                               "September", "October", "November",
                               "December"};
    for (int m = 0; m < 12; m++) {
        assert_int_equal(month_from_name(S(es[m])), m + 1);
        assert_int_equal(month_from_name(S(esf[m])), m + 1);
        assert_int_equal(month_from_name(S(en[m])), m + 1);
        char ab[4] = {en[m][0], en[m][1], en[m][2], 0};
        assert_int_equal(month_from_name(S(ab)), m + 1);
    }
    assert_int_equal(month_from_name(S("Sept")), 9);
    assert_int_equal(month_from_name(S("sept.")), 9);
    assert_int_equal(month_from_name(S("dic.")), 12);
    assert_int_equal(month_from_name(S("ENE")), 1);
    assert_int_equal(month_from_name(S("ju")), 0);
    assert_int_equal(month_from_name(S("Foo")), 0);
    assert_int_equal(month_from_name(S("")), 0);
    assert_int_equal(month_from_name(S(".")), 0);
}

static void test_dates(void **state)
{
    int64_t d = 555, t = 555;
    (void)state;
    assert_int_equal(parse_date(S("1970-01-01"), NULL, &d), FERR_OK);
    assert_int_equal(d, 0);
    assert_int_equal(parse_date(S("2000-03-01"), "", &d), FERR_OK);
    assert_int_equal(d, 11017);
    assert_int_equal(parse_date(S("1969-12-31"), NULL, &d), FERR_OK);
    assert_int_equal(d, -1);
    assert_int_equal(parse_date(S("3021-09-18"), NULL, &d), FERR_OK);
    assert_int_equal(d, days_from_civil(3021, 9, 18));
    d = 555;
    assert_int_equal(parse_date(S("2020-13-01"), NULL, &d), FERR_RANGE);
    assert_int_equal(parse_date(S("2021-02-29"), NULL, &d), FERR_RANGE);
    assert_int_equal(parse_date(S("2020-00-10"), NULL, &d), FERR_RANGE);
    assert_int_equal(parse_date(S("2020-04-31"), NULL, &d), FERR_RANGE);
    assert_int_equal(parse_date(S("1900-02-29"), NULL, &d), FERR_RANGE);
    assert_int_equal(parse_date(S("2020-1-01"), NULL, &d), FERR_PARSE);
    assert_int_equal(parse_date(S("2020/01/01"), NULL, &d), FERR_PARSE);
    assert_int_equal(parse_date(S("2020-01-01 00:00:00"), NULL, &d),
                     FERR_PARSE);
    assert_int_equal(parse_date(S(""), NULL, &d), FERR_PARSE);
    assert_int_equal(parse_date(S("abcd-ef-gh"), NULL, &d), FERR_PARSE);
    assert_int_equal(d, 555);
    assert_int_equal(parse_date(S("2000-02-29"), NULL, &d), FERR_OK);

    /* formats */
    assert_int_equal(parse_date(S("Ene-2014"), "%b-%Y", &d), FERR_OK);
    assert_int_equal(d, days_from_civil(2014, 1, 1));
    assert_int_equal(parse_date(S("dic.-2014"), "%b-%Y", &d), FERR_OK);
    assert_int_equal(d, days_from_civil(2014, 12, 1));
    assert_int_equal(parse_date(S("15 Septiembre 2019"), "%d %B %Y", &d),
                     FERR_OK);
    assert_int_equal(d, days_from_civil(2019, 9, 15));
    assert_int_equal(parse_date(S("3/7/21"), "%d/%m/%y", &d), FERR_OK);
    assert_int_equal(d, days_from_civil(2021, 7, 3));
    assert_int_equal(parse_date(S("31/12/69"), "%d/%m/%y", &d), FERR_OK);
    assert_int_equal(d, days_from_civil(1969, 12, 31));
    assert_int_equal(parse_date(S("2020-060"), "%Y-%j", &d), FERR_OK);
    assert_int_equal(d, days_from_civil(2020, 2, 29));
    assert_int_equal(parse_date(S("2021-366"), "%Y-%j", &d), FERR_RANGE);
    assert_int_equal(parse_date(S("100%2020"), "100%%%Y", &d), FERR_OK);
    assert_int_equal(parse_date(S("31/02/2020"), "%d/%m/%Y", &d), FERR_RANGE);
    assert_int_equal(parse_date(S("Foo-2014"), "%b-%Y", &d), FERR_PARSE);
    assert_int_equal(parse_date(S("01/2014x"), "%m/%Y", &d), FERR_PARSE);
    assert_int_equal(parse_date(S("01/2014"), "%m/%Y%", &d), FERR_PARSE);
    assert_int_equal(parse_date(S("01/2014"), "%m/%Q", &d), FERR_PARSE);
    assert_int_equal(parse_date(S("01-02"), "%m-%d", &d), FERR_PARSE);
    assert_int_equal(parse_date(S("2020-01-01 10:00"), "%Y-%m-%d %H:%M", &d),
                     FERR_PARSE);

    /* datetimes */
    assert_int_equal(parse_datetime(S("1970-01-01T00:00:01"), NULL, &t),
                     FERR_OK);
    assert_int_equal(t, 1);
    assert_int_equal(parse_datetime(S("2017-01-01 23:30:00"), NULL, &t),
                     FERR_OK);
    assert_int_equal(t, days_from_civil(2017, 1, 1) * 86400 + 23 * 3600 +
                            30 * 60);
    assert_int_equal(parse_datetime(S("2017-01-01 23:30"), NULL, &t), FERR_OK);
    assert_int_equal(t % 86400, 23 * 3600 + 30 * 60);
    assert_int_equal(parse_datetime(S("2017-01-01 23:30:59.999"), NULL, &t),
                     FERR_OK);
    assert_int_equal(t % 86400, 23 * 3600 + 30 * 60 + 59);
    assert_int_equal(parse_datetime(S("2017-01-01"), NULL, &t), FERR_OK);
    assert_int_equal(t, days_from_civil(2017, 1, 1) * 86400);
    assert_int_equal(parse_datetime(S("1969-12-31 23:59:59"), NULL, &t),
                     FERR_OK);
    assert_int_equal(t, -1);
    t = 555;
    assert_int_equal(parse_datetime(S("2017-01-01 24:00:00"), NULL, &t),
                     FERR_RANGE);
    assert_int_equal(parse_datetime(S("2017-01-01 23:60"), NULL, &t),
                     FERR_RANGE);
    assert_int_equal(parse_datetime(S("2017-02-30 10:00"), NULL, &t),
                     FERR_RANGE);
    assert_int_equal(parse_datetime(S("2017-01-01X10:00"), NULL, &t),
                     FERR_PARSE);
    assert_int_equal(parse_datetime(S("2017-01-01 10"), NULL, &t), FERR_PARSE);
    assert_int_equal(parse_datetime(S("2017-01-01 10:00:00."), NULL, &t),
                     FERR_PARSE);
    assert_int_equal(parse_datetime(S("2017-01-01 10:00:0a"), NULL, &t),
                     FERR_PARSE);
    assert_int_equal(t, 555);
    assert_int_equal(parse_datetime(S("05/03/2019 7:05"), "%d/%m/%Y %H:%M",
                                    &t),
                     FERR_OK);
    assert_int_equal(t, days_from_civil(2019, 3, 5) * 86400 + 7 * 3600 +
                            5 * 60);
}

static void test_format(void **state)
{
    char b[32];
    (void)state;
    assert_int_equal(format_date(0, b, sizeof(b)), 10);
    assert_string_equal(b, "1970-01-01");
    format_date(days_from_civil(2020, 2, 29), b, sizeof(b));
    assert_string_equal(b, "2020-02-29");
    format_date(-1, b, sizeof(b));
    assert_string_equal(b, "1969-12-31");
    assert_int_equal(format_datetime(-1, b, sizeof(b)), 19);
    assert_string_equal(b, "1969-12-31 23:59:59");
    format_datetime(days_from_civil(2017, 1, 1) * 86400 + 84600, b, sizeof(b));
    assert_string_equal(b, "2017-01-01 23:30:00");
    assert_int_equal(format_date(0, b, 5), 4); /* truncated, NUL-terminated */
    assert_string_equal(b, "1970");
    /* round trip over 800 years of days */
    for (int64_t z = -200000; z < 100000; z += 7) {
        int64_t y;
        int m, d;
        civil_from_days(z, &y, &m, &d);
        assert_true(civil_valid(y, m, d));
        assert_int_equal(days_from_civil(y, m, d), z);
    }
}

/* Differential against SQLite: for random (y, m, d) with d up to 31, the
 * date is valid iff SQLite's date(julianday()) returns it unchanged (it normalises
 * 2021-02-30 to 2021-03-02), and the day number matches julianday(). */
static void test_calendar_vs_sqlite(void **state)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    unsigned long long seed = 12345;
    int checked = 0, invalid = 0;
    (void)state;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT date(julianday(?1)), CAST(julianday(?1) - 2440587.5 "
                           "AS INTEGER)",
                           -1, &st, NULL),
        SQLITE_OK);
    for (int it = 0; it < 5000; it++) {
        char s[16];
        int y = 1 + (int)(RND() % 9999), m = 1 + (int)(RND() % 12),
            d = 1 + (int)(RND() % 31);
        if (it % 3 == 0)
            m = 2, d = 28 + (int)(RND() % 2); /* leap-year edge */
        snprintf(s, sizeof(s), "%04d-%02d-%02d", y, m, d);
        sqlite3_bind_text(st, 1, s, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        const char *norm = (const char *)sqlite3_column_text(st, 0);
        int64_t sd = sqlite3_column_int64(st, 1), got = 0;
        int valid = norm && strcmp(norm, s) == 0;
        int rc = parse_date(str_from(s), NULL, &got);
        if (valid != civil_valid(y, m, d) || valid != (rc == FERR_OK))
            fail_msg("%s: sqlite says %s, ferry civil_valid %d rc %d", s,
                     norm ? norm : "NULL", civil_valid(y, m, d), rc);
        if (valid && got != sd)
            fail_msg("%s: ferry %lld days, sqlite %lld", s, (long long)got,
                     (long long)sd);
        if (!valid)
            invalid++;
        checked++;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(checked, 5000);
    assert_true(invalid > 100); /* the test really sees invalid dates */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_double_vs_strtod),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_months),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_calendar_vs_sqlite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

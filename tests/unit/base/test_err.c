/*
 * test_err.c - error names and locations (base/err.h).
 *
 * The names are an interface (an HTTP error body, JSON output): this file
 * pins every one, so renaming a code's name breaks a test rather than a
 * client.  The location is checked to leave messages exactly as before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

static const struct { int code; const char *name; } pinned[] = {
    {FERR_OK, "ok"},
    {FERR_NOMEM, "out_of_memory"},
    {FERR_IO, "io_error"},
    {FERR_NOTFOUND, "not_found"},
    {FERR_PARSE, "parse_error"},
    {FERR_TYPE, "type_error"},
    {FERR_RANGE, "out_of_range"},
    {FERR_LIMIT, "limit_exceeded"},
    {FERR_SPEC, "invalid_spec"},
    {FERR_BUDGET, "budget_exceeded"},
    {FERR_EXISTS, "already_exists"},
    {FERR_UNSUPPORTED, "unsupported"},
    {FERR_CORRUPT, "corrupt_data"},
    {FERR_REFUSED, "refused"},
    {FERR_BUSY, "busy"},
    {FERR_USAGE, "usage_error"},
    {FERR_EXTERNAL, "external_error"},
};
#define NPINNED (sizeof(pinned) / sizeof(pinned[0]))

static void test_names_pinned(void **state)
{
    size_t ncodes = 0;
    (void)state;
    for (size_t i = 0; i < NPINNED; i++)
        assert_string_equal(ferr_name(pinned[i].code), pinned[i].name);
    /* every code of the table is pinned above */
#define COUNT_(name, c, id, msg) ncodes++;
    FERR_TABLE(COUNT_)
#undef COUNT_
    assert_int_equal(ncodes, NPINNED);
    assert_string_equal(ferr_name(12345), "unknown");
    assert_string_equal(ferr_name(-17), "unknown");
}

static void test_names_shape(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPINNED; i++) {
        const char *n = ferr_name(pinned[i].code);
        /* snake_case: a JSON value and a Prometheus label as is */
        assert_true(islower((unsigned char)n[0]));
        for (const char *c = n; *c; c++)
            assert_true(islower((unsigned char)*c) || *c == '_');
        assert_true(n[strlen(n) - 1] != '_');
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(n, ferr_name(pinned[j].code));
        /* the name does not replace the message */
        assert_string_not_equal(ferr_str(pinned[i].code), "unknown error");
    }
}

static void test_zero_init_has_no_location(void **state)
{
    ferr_t e = {0};
    (void)state;
    assert_string_equal(ferr_msg(&e), "ok");
    assert_string_equal(e.where, "");
    assert_int_equal(e.line, 0);
    assert_int_equal(ferr_set(&e, FERR_PARSE, "x.csv:%d: bad", 3), FERR_PARSE);
    assert_string_equal(e.where, "");
    assert_int_equal(e.line, 0);
}

static void test_set_at(void **state)
{
    ferr_t e = {0};
    (void)state;
    assert_int_equal(ferr_set_at(&e, FERR_RANGE, "$.flights[0].MES", 0,
                                 "field 'MES': %d was not seen", 13),
                     FERR_RANGE);
    assert_string_equal(e.msg, "field 'MES': 13 was not seen");
    assert_string_equal(e.where, "$.flights[0].MES");
    assert_int_equal(e.line, 0);
    ferr_set_at(&e, FERR_SPEC, "ferry.yaml", 12, "bad key");
    assert_string_equal(e.where, "ferry.yaml");
    assert_int_equal(e.line, 12);
    ferr_set_at(&e, FERR_IO, NULL, -3, "no where");
    assert_string_equal(e.where, "");
    assert_int_equal(e.line, 0);
    /* a new ferr_set is a new error: the old location goes */
    ferr_set_at(&e, FERR_IO, "a.csv", 7, "old");
    ferr_set(&e, FERR_TYPE, "new");
    assert_string_equal(e.where, "");
    assert_int_equal(e.line, 0);
    assert_int_equal(ferr_set_at(NULL, FERR_BUSY, "x", 1, "ignored"),
                     FERR_BUSY);
}

static void test_where_and_prefix(void **state)
{
    ferr_t e = {0};
    (void)state;
    ferr_set(&e, FERR_PARSE, "field 'MES': '13' is not allowed");
    assert_int_equal(ferr_where(&e, "%s", "MES"), FERR_PARSE);
    assert_int_equal(ferr_where_prefix(&e, "$.records[%d].", 4), FERR_PARSE);
    assert_string_equal(e.where, "$.records[4].MES");
    /* ferr_prefix changes the message only, ferr_where* the location only */
    ferr_prefix(&e, "line 9: ");
    assert_string_equal(e.msg, "line 9: field 'MES': '13' is not allowed");
    assert_string_equal(e.where, "$.records[4].MES");
    /* an empty location becomes the prefix */
    ferr_set(&e, FERR_PARSE, "bad JSON");
    ferr_where_prefix(&e, "$.records[%d]", 0);
    assert_string_equal(e.where, "$.records[0]");
    assert_int_equal(ferr_where(NULL, "x"), FERR_OK);
    assert_int_equal(ferr_where_prefix(NULL, "x"), FERR_OK);
}

static void test_where_truncates_keeping_prefix(void **state)
{
    ferr_t e = {0};
    char longname[2 * FERR_WHERE_MAX];
    (void)state;
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ferr_set(&e, FERR_PARSE, "m");
    ferr_where(&e, "%s", longname);
    assert_int_equal(strlen(e.where), FERR_WHERE_MAX - 1);
    ferr_where_prefix(&e, "$.r[1].");
    assert_int_equal(strlen(e.where), FERR_WHERE_MAX - 1);
    assert_memory_equal(e.where, "$.r[1].aaa", 10);
    /* a prefix longer than the room: the prefix, cut */
    ferr_where_prefix(&e, "%s", longname);
    assert_int_equal(strlen(e.where), FERR_WHERE_MAX - 1);
    assert_int_equal(e.where[FERR_WHERE_MAX - 2], 'a');
    /* the message prefix still truncates as before */
    ferr_set(&e, FERR_IO, "tail");
    ferr_prefix(&e, "%s", longname);
    assert_int_equal(strlen(e.msg), sizeof(longname) - 1 + 4);
    assert_string_equal(e.msg + sizeof(longname) - 1, "tail");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_pinned),
        cmocka_unit_test(test_names_shape),
        cmocka_unit_test(test_zero_init_has_no_location),
        cmocka_unit_test(test_set_at),
        cmocka_unit_test(test_where_and_prefix),
        cmocka_unit_test(test_where_truncates_keeping_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

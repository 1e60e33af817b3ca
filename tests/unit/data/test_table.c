/*
 * test_table.c - columns, nulls, strings, dict interning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/table.h"

static void test_types(void **state)
{
    (void)state;
    assert_int_equal(ftype_parse(STR_LIT("datetime")), FT_DATETIME);
    assert_int_equal(ftype_parse(STR_LIT("nope")), -1);
    assert_string_equal(ftype_name(FT_CATEGORY), "category");
}

static void test_columns(void **state)
{
    table_t *t = table_new();
    column_t *a = col_new("a", FT_FLOAT, 3), *s = col_new("s", FT_STRING, 3);
    column_t *bad = col_new("b", FT_INT, 2);
    ferr_t e = {0};
    (void)state;

    a->f64[0] = 1.5;
    col_set_null(a, 1);
    assert_true(isnan(col_num(a, 1)));
    assert_int_equal(col_null_count(a), 1);
    col_str_append(s, 0, "x", 1);
    col_str_append(s, 1, "", 0);
    col_str_append(s, 2, "hello", 5);
    assert_true(str_eq_cstr(col_str(s, 2), "hello"));
    assert_true(str_eq_cstr(col_str(s, 1), ""));
    assert_int_equal(table_add(t, a, &e), FERR_OK);
    assert_int_equal(table_add(t, s, &e), FERR_OK);
    assert_int_equal(table_add(t, bad, &e), FERR_RANGE);
    col_free(bad);
    assert_ptr_equal(table_find(t, "s"), s);
    column_t *c = col_clone(s, "s2");
    assert_true(str_eq_cstr(col_str(c, 2), "hello"));
    col_free(c);
    table_free(t);
}

static void test_dict(void **state)
{
    dict_t *d = dict_new();
    char key[32];
    (void)state;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(dict_intern(d, key, strlen(key)), i);
    }
    assert_int_equal(dict_find(d, "k500", 4), 500);
    assert_int_equal(dict_find(d, "zz", 2), -1);
    assert_int_equal(dict_intern(d, "k7", 2), 7);
    assert_true(str_eq_cstr(dict_str(d, 999), "k999"));
    dict_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_dict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

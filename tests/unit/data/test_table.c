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

/* col_copy_cell: values, nulls (a null overwritten, a value nulled), text
 * in row order, category to string and back. */
static void test_copy_cell(void **state)
{
    column_t *f = col_new("f", FT_FLOAT, 2), *g = col_new("g", FT_FLOAT, 2);
    column_t *s = col_new("s", FT_STRING, 2), *c = col_new("c", FT_CATEGORY, 2);
    column_t *s2 = col_new("s2", FT_STRING, 3);
    (void)state;
    f->f64[0] = 1.5;
    col_set_null(f, 1);
    col_set_null(g, 0);
    col_copy_cell(g, 0, f, 0);
    col_copy_cell(g, 1, f, 1);
    assert_false(col_is_null(g, 0));
    assert_true(g->f64[0] == 1.5);
    assert_true(col_is_null(g, 1));
    col_str_append(s, 0, "ab", 2);
    col_str_append(s, 1, "", 0);
    col_set_null(s, 1);
    col_copy_cell(c, 0, s, 0);
    col_copy_cell(c, 1, s, 1);
    assert_true(str_eq_cstr(col_str(c, 0), "ab"));
    assert_true(col_is_null(c, 1));
    col_copy_cell(s2, 0, c, 0);
    col_copy_cell(s2, 1, c, 1);
    col_copy_cell(s2, 2, s, 0);
    assert_true(str_eq_cstr(col_str(s2, 0), "ab"));
    assert_true(col_is_null(s2, 1));
    assert_true(str_eq_cstr(col_str(s2, 2), "ab"));
    col_free(f);
    col_free(g);
    col_free(s);
    col_free(c);
    col_free(s2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_dict),
        cmocka_unit_test(test_copy_cell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

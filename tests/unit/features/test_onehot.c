/*
 * test_onehot.c - vocabulary learning order and limits, application to
 * category/string/int columns, strict unknowns, JSON round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "features/onehot.h"

static column_t *cat(const char *const *v, size_t n)
{
    column_t *c = col_new("airline", FT_CATEGORY, n);
    for (size_t i = 0; i < n; i++) {
        if (v[i] == NULL)
            col_set_null(c, i);
        else
            c->code[i] = dict_intern(c->dict, v[i], strlen(v[i]));
    }
    return c;
}

static void test_learn(void **state)
{
    (void)state;
    const char *vals[] = {"LA", "AA", "LA", NULL, "SKY", "AA", "LA", "JAT", "SKY"};
    column_t *c = cat(vals, 9);
    onehot_t *v;
    ferr_t e = {0};
    assert_int_equal(onehot_learn(c, NULL, &v, &e), FERR_OK);
    /* LA 3, then AA 2 and SKY 2 tie (byte order), then JAT 1 */
    assert_int_equal(v->n, 4);
    assert_true(str_eq_cstr(onehot_value(v, 0), "LA"));
    assert_true(str_eq_cstr(onehot_value(v, 1), "AA"));
    assert_true(str_eq_cstr(onehot_value(v, 2), "SKY"));
    assert_true(str_eq_cstr(onehot_value(v, 3), "JAT"));
    onehot_free(v);
    onehot_opts_t o = {.min_count = 2};
    assert_int_equal(onehot_learn(c, &o, &v, &e), FERR_OK);
    assert_int_equal(v->n, 3);
    onehot_free(v);
    o = (onehot_opts_t){.max_categories = 2};
    assert_int_equal(onehot_learn(c, &o, &v, &e), FERR_OK);
    assert_int_equal(v->n, 2);

    table_t *t = table_new();
    assert_int_equal(onehot_apply(v, c, false, FT_INT, t, &e), FERR_OK);
    assert_int_equal(t->ncols, 2);
    assert_string_equal(t->cols[0]->name, "airline=LA");
    assert_string_equal(t->cols[1]->name, "airline=AA");
    int64_t la[] = {1, 0, 1, 0, 0, 0, 1, 0, 0}, aa[] = {0, 1, 0, 0, 0, 1, 0, 0, 0};
    for (int i = 0; i < 9; i++) {
        assert_int_equal(t->cols[0]->i64[i], la[i]);
        assert_int_equal(t->cols[1]->i64[i], aa[i]);
    }
    table_free(t);
    t = table_new();
    assert_int_equal(onehot_apply(v, c, true, FT_BOOL, t, &e), FERR_RANGE);
    assert_non_null(strstr(ferr_msg(&e), "column airline: row 5: value 'SKY'"));
    table_free(t);
    onehot_free(v);
    col_free(c);
}

static void test_types_and_json(void **state)
{
    (void)state;
    column_t *c = col_new("month", FT_INT, 4);
    c->i64[0] = 12; c->i64[1] = 1; c->i64[2] = 12; c->i64[3] = 13;
    onehot_t *v, *w;
    ferr_t e = {0};
    const char *given[] = {"1", "12", "x\"y"};
    assert_int_equal(onehot_from_list(given, 3, &v, &e), FERR_OK);
    char *json;
    assert_int_equal(onehot_to_json(v, &json, &e), FERR_OK);
    assert_string_equal(json, "[\"1\",\"12\",\"x\\\"y\"]");
    assert_int_equal(onehot_from_json(json, &w, &e), FERR_OK);
    assert_int_equal(w->n, 3);
    assert_true(str_eq_cstr(onehot_value(w, 2), "x\"y"));
    free(json);
    table_t *t = table_new();
    assert_int_equal(onehot_apply(w, c, false, FT_BOOL, t, &e), FERR_OK);
    assert_string_equal(t->cols[1]->name, "month=12");
    assert_int_equal(t->cols[1]->u8[0], 1);
    assert_int_equal(t->cols[1]->u8[1], 0);
    assert_int_equal(t->cols[0]->u8[1], 1);
    assert_int_equal(t->cols[0]->u8[3] + t->cols[1]->u8[3] + t->cols[2]->u8[3], 0);
    table_free(t);
    t = table_new();
    assert_int_equal(onehot_apply(w, c, true, FT_INT, t, &e), FERR_RANGE);
    assert_non_null(strstr(ferr_msg(&e), "value '13'"));
    table_free(t);
    onehot_free(v);
    onehot_free(w);
    assert_int_equal(onehot_from_json("{\"a\":1}", &w, &e), FERR_PARSE);
    assert_int_equal(onehot_from_json("[1]", &w, &e), FERR_PARSE);
    assert_int_equal(onehot_from_json("[\"a\",\"a\"]", &w, &e), FERR_EXISTS);
    assert_int_equal(onehot_from_json("[", &w, &e), FERR_PARSE);
    const char *dup[] = {"a", "a"};
    assert_int_equal(onehot_from_list(dup, 2, &w, &e), FERR_EXISTS);
    column_t *f = col_new("f", FT_FLOAT, 1);
    assert_int_equal(onehot_learn(f, NULL, &w, &e), FERR_TYPE);
    col_free(f);
    col_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learn),
        cmocka_unit_test(test_types_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_record.c - the compiled scoring plan of one record (record.h):
 * required fields are what the model's features reach (not the label, not
 * an unused column), the model row holds what the batch table would,
 * validation names the field, and the one-hot `unknown:` policies.  The
 * history side (windows from the online store) is exercised end to end by
 * tests/integration/record_*_history.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "features/record.h"
#include "project/project.h"

#define SPEC \
    "name: rec\n" \
    "sources:\n" \
    "  s:\n" \
    "    path: s.csv\n" \
    "    columns:\n" \
    "      id: int\n" \
    "      a: int\n" \
    "      b: float\n" \
    "      c: category\n" \
    "      d: {type: date, format: \"%%d/%%m/%%Y\"}\n" \
    "      y: int\n" \
    "features:\n" \
    "  - name: unused\n" \
    "    expr: b * 3\n" \
    "  - name: twice\n" \
    "    expr: a * 2\n" \
    "  - name: year\n" \
    "    expr: year(d)\n" \
    "  - onehot: c\n" \
    "    unknown: %s\n" \
    "label: y\n"

typedef struct fx {
    project_t *p;
    rec_plan_t *pl;
    rec_ctx_t *cx;
    json_t *state, *inputs;
} fx_t;

static void fx_open(fx_t *f, const char *unknown)
{
    char text[2048];
    const char *feats[] = {"twice", "c=x", "year", "c=w"};
    ferr_t e = {0};
    snprintf(text, sizeof(text), SPEC, unknown);
    memset(f, 0, sizeof(*f));
    if (project_load_mem("rec.yaml", text, strlen(text), "/tmp", NULL, 0,
                         &f->p, &e))
        fail_msg("%s", ferr_msg(&e));
    f->state = json_pack("{s:[s,s]}", "c", "x", "w");
    /* training saw empty values in d only */
    f->inputs = json_pack("{s:{s:i}, s:{s:i}, s:{s:i}, s:{s:i}}", "a", "nulls",
                          0, "c", "nulls", 0, "d", "nulls", 4, "b", "nulls", 0);
    if (rec_plan_new(f->p, f->state, f->inputs, feats, 4, NULL, &f->pl, &e))
        fail_msg("%s", ferr_msg(&e));
    if (rec_ctx_new(f->pl, NULL, &f->cx, &e))
        fail_msg("%s", ferr_msg(&e));
}

static void fx_close(fx_t *f)
{
    rec_ctx_free(f->cx);
    rec_plan_free(f->pl);
    project_free(f->p);
    json_decref(f->state);
    json_decref(f->inputs);
}

/* vals in field order a, c, d ("-" = absent) */
static int eval3(fx_t *f, const char *a, const char *c, const char *d,
                 float *x, ferr_t *e)
{
    const char *in[3] = {a, c, d};
    str_t v[3];
    for (int i = 0; i < 3; i++)
        v[i] = strcmp(in[i], "-") == 0 ? (str_t){NULL, 0} : str_from(in[i]);
    return rec_eval(f->cx, v, x, e);
}

static void test_required_fields(void **state)
{
    fx_t f;
    (void)state;
    fx_open(&f, "reject");
    /* b feeds only an unused feature, id nothing, y is the label */
    assert_int_equal(rec_plan_nfields(f.pl), 3);
    assert_string_equal(rec_plan_field(f.pl, 0)->name, "a");
    assert_string_equal(rec_plan_field(f.pl, 1)->name, "c");
    assert_string_equal(rec_plan_field(f.pl, 2)->name, "d");
    assert_int_equal(rec_plan_field_index(f.pl, "y"), -1);
    assert_int_equal(rec_plan_field_index(f.pl, "b"), -1);
    assert_false(rec_plan_field(f.pl, 0)->nullable);
    assert_true(rec_plan_field(f.pl, 2)->nullable);
    assert_string_equal(rec_plan_field(f.pl, 2)->format, "%d/%m/%Y");
    /* the one-hot's field lists the training vocabulary */
    assert_int_equal(rec_plan_field(f.pl, 1)->nvalues, 2);
    assert_string_equal(rec_plan_field(f.pl, 1)->values[0], "x");
    assert_false(rec_plan_needs_history(f.pl));
    fx_close(&f);
}

static void test_model_row(void **state)
{
    fx_t f;
    float x[4];
    ferr_t e = {0};
    buf_t b = {0};
    (void)state;
    fx_open(&f, "reject");
    assert_int_equal(eval3(&f, "21", "w", "31/12/2019", x, &e), FERR_OK);
    assert_true(x[0] == 42.0f && x[1] == 0.0f && x[2] == 2019.0f &&
                x[3] == 1.0f);
    assert_true(rec_value_text(f.cx, "twice", &b));
    assert_string_equal(b.p, "42");
    /* an empty date (training had some) is null, and so is its year */
    assert_int_equal(eval3(&f, "1", "x", "", x, &e), FERR_OK);
    assert_true(x[0] == 2.0f && x[1] == 1.0f && isnan(x[2]) && x[3] == 0.0f);
    buf_free(&b);
    fx_close(&f);
}

static void test_rejections(void **state)
{
    fx_t f;
    float x[4];
    ferr_t e = {0};
    (void)state;
    fx_open(&f, "reject");
    assert_int_equal(eval3(&f, "-", "x", "", x, &e), FERR_PARSE);
    assert_non_null(strstr(ferr_msg(&e), "field 'a': missing"));
    assert_int_equal(rec_bad_field(f.cx), 0);
    assert_string_equal(e.where, "a"); /* the location names it apart */
    assert_int_equal(eval3(&f, "", "x", "", x, &e), FERR_PARSE);
    assert_non_null(strstr(ferr_msg(&e), "field 'a': empty, and training had "
                                         "no empty value in it"));
    assert_int_equal(eval3(&f, "1.5", "x", "", x, &e), FERR_PARSE);
    assert_non_null(strstr(ferr_msg(&e), "field 'a': '1.5' is not an integer"));
    assert_int_equal(eval3(&f, "1", "x", "2019-12-31", x, &e), FERR_PARSE);
    assert_non_null(strstr(ferr_msg(&e), "field 'd': '2019-12-31' is not a "
                                         "valid date (format %d/%m/%Y)"));
    assert_string_equal(e.where, "d");
    assert_int_equal(eval3(&f, "1", "z", "", x, &e), FERR_PARSE);
    assert_non_null(strstr(ferr_msg(&e), "field 'c': 'z' is not a category "
                                         "the model was trained on (2 known"));
    assert_int_equal(rec_bad_field(f.cx), 1);
    assert_string_equal(e.where, "c");
    /* the next record is not affected by the last one's rejection */
    assert_int_equal(eval3(&f, "3", "x", "", x, &e), FERR_OK);
    assert_true(x[0] == 6.0f && x[1] == 1.0f);
    /* lenient (features show/push): absent fields are empty, unknown
     * categories are all zeros as the batch encodes them */
    rec_ctx_set_lenient(f.cx, true);
    assert_int_equal(eval3(&f, "3", "z", "-", x, &e), FERR_OK);
    assert_true(x[1] == 0.0f && x[3] == 0.0f && isnan(x[2]));
    fx_close(&f);
}

static void test_unknown_policies(void **state)
{
    fx_t f;
    float x[4];
    ferr_t e = {0};
    buf_t b = {0};
    (void)state;
    fx_open(&f, "ignore");
    assert_int_equal(eval3(&f, "1", "z", "", x, &e), FERR_OK);
    assert_true(x[1] == 0.0f && x[3] == 0.0f);
    assert_true(rec_value_text(f.cx, "c", &b));
    assert_string_equal(b.p, "z"); /* the value itself is kept */
    fx_close(&f);
    fx_open(&f, "missing");
    assert_int_equal(eval3(&f, "1", "z", "", x, &e), FERR_OK);
    assert_true(x[1] == 0.0f && x[3] == 0.0f);
    b.n = 0;
    assert_true(rec_value_text(f.cx, "c", &b));
    assert_int_equal(b.n, 0); /* scored as if empty */
    buf_free(&b);
    fx_close(&f);
}

static void test_model_feature_unknown(void **state)
{
    project_t *p = NULL;
    rec_plan_t *pl = NULL;
    ferr_t e = {0};
    char text[2048];
    const char *feats[] = {"twice", "nope"};
    (void)state;
    snprintf(text, sizeof(text), SPEC, "reject");
    assert_int_equal(project_load_mem("rec.yaml", text, strlen(text), "/tmp",
                                      NULL, 0, &p, &e), FERR_OK);
    json_t *st = json_pack("{s:[s]}", "c", "x");
    assert_int_equal(rec_plan_new(p, st, NULL, feats, 2, NULL, &pl, &e),
                     FERR_NOTFOUND);
    assert_non_null(strstr(ferr_msg(&e), "the model reads feature 'nope'"));
    assert_null(pl);
    /* a one-hot with no learned vocabulary: named */
    assert_int_not_equal(rec_plan_new(p, NULL, NULL, feats, 1, NULL, &pl, &e),
                         FERR_OK);
    assert_non_null(strstr(ferr_msg(&e), "no learned vocabulary for 'c'"));
    json_decref(st);
    project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_required_fields),
        cmocka_unit_test(test_model_row),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_unknown_policies),
        cmocka_unit_test(test_model_feature_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

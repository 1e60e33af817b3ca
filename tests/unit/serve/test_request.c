/*
 * test_request.c - JSON records reach the scoring plan as the same text a
 * CSV line would give (numbers exact, null as empty, a missing key as an
 * absent field), and a record's error carries its JSON path.
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
#include "serve/request.h"

static const char *SPEC =
    "name: req\n"
    "sources:\n"
    "  s:\n"
    "    path: s.csv\n"
    "    columns:\n"
    "      a: int\n"
    "      b: float\n"
    "      c: category\n"
    "      f: bool\n"
    "features:\n"
    "  - name: a2\n"
    "    expr: a * 2\n"
    "  - name: b1\n"
    "    expr: b + 0\n"
    "  - name: fi\n"
    "    expr: if(f, 1, 0)\n"
    "  - onehot: c\n";

typedef struct fx {
    project_t *p;
    rec_plan_t *pl;
    rec_ctx_t *cx;
} fx_t;

static void fx_open(fx_t *f)
{
    const char *feats[] = {"a2", "b1", "fi", "c=3"};
    json_t *st = json_pack("{s:[s,s]}", "c", "3", "x");
    ferr_t e = {0};
    memset(f, 0, sizeof(*f));
    if (project_load_mem("req.yaml", SPEC, strlen(SPEC), "/tmp", NULL, 0,
                         &f->p, &e) ||
        rec_plan_new(f->p, st, NULL, feats, 4, NULL, &f->pl, &e) ||
        rec_ctx_new(f->pl, NULL, &f->cx, &e))
        fail_msg("%s", ferr_msg(&e));
    json_decref(st);
}

static void fx_close(fx_t *f)
{
    rec_ctx_free(f->cx);
    rec_plan_free(f->pl);
    project_free(f->p);
}

/* score the JSON text; returns rec_eval's code, e set on error */
static int run(fx_t *f, const char *text, float *x, ferr_t *e)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    str_t vals[8];
    buf_t scratch = {0};
    int rc;
    assert_non_null(j);
    rc = serve_record_fields(f->pl, j, "$.records[0]", vals, &scratch, e);
    if (rc == FERR_OK)
        rc = rec_eval(f->cx, vals, x, e);
    json_decref(j);
    buf_free(&scratch);
    return rc;
}

static void test_numbers_and_literals(void **state)
{
    fx_t f;
    float x[4];
    ferr_t e = {0};
    (void)state;
    fx_open(&f);
    /* the plan's fields: a, b, c, f */
    assert_int_equal(rec_plan_nfields(f.pl), 4);
    assert_int_equal(run(&f, "{\"a\": 21, \"b\": 0.1, \"c\": 3, \"f\": true, "
                             "\"extra\": [1, 2]}", x, &e), FERR_OK);
    assert_true(x[0] == 42.0f && x[1] == 0.1f && x[2] == 1.0f && x[3] == 1.0f);
    /* a category sent as a string or a number is the same */
    assert_int_equal(run(&f, "{\"a\": 1, \"b\": 1e-300, \"c\": \"3\", "
                             "\"f\": false}", x, &e), FERR_OK);
    assert_true(x[3] == 1.0f && x[2] == 0.0f);
    {
        /* a real goes through text and back to the same double */
        buf_t b = {0};
        run(&f, "{\"a\": 1, \"b\": 0.30000000000000004, \"c\": \"x\", "
                "\"f\": null}", x, &e);
        assert_true(rec_value_text(f.cx, "b", &b));
        assert_string_equal(b.p, "0.30000000000000004");
        buf_free(&b);
    }
    fx_close(&f);
}

static void test_errors_have_paths(void **state)
{
    fx_t f;
    float x[4];
    ferr_t e = {0};
    json_t *err;
    (void)state;
    fx_open(&f);
    assert_int_equal(run(&f, "{\"a\": 1.5, \"b\": 1, \"c\": \"x\", \"f\": true}",
                         x, &e), FERR_PARSE);
    err = serve_record_error(f.pl, f.cx, "$.records[0]", &e);
    assert_string_equal(json_string_value(json_object_get(err, "path")),
                        "$.records[0].a");
    assert_non_null(strstr(json_string_value(json_object_get(err, "message")),
                           "'1.5' is not an integer"));
    json_decref(err);
    assert_int_equal(run(&f, "{\"a\": 1, \"b\": 1, \"c\": \"9\", \"f\": true}",
                         x, &e), FERR_PARSE);
    err = serve_record_error(f.pl, f.cx, "$.records[0]", &e);
    assert_string_equal(json_string_value(json_object_get(err, "path")),
                        "$.records[0].c");
    json_decref(err);
    assert_int_equal(run(&f, "{\"b\": 1, \"c\": \"x\", \"f\": true}", x, &e),
                     FERR_PARSE);
    assert_non_null(strstr(ferr_msg(&e), "field 'a': missing"));
    assert_int_equal(run(&f, "{\"a\": {\"n\": 1}, \"b\": 1}", x, &e),
                     FERR_PARSE);
    assert_non_null(strstr(ferr_msg(&e), "$.records[0].a: expected a string, "
                                         "number, boolean or null, not an "
                                         "object"));
    assert_int_equal(run(&f, "[1, 2]", x, &e), FERR_PARSE);
    assert_non_null(strstr(ferr_msg(&e), "$.records[0]: expected an object"));
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_and_literals),
        cmocka_unit_test(test_errors_have_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_profile.c - training profiles against numpy (quantiles, bins, mean,
 * std) and exact category counts; the schema's vocabulary and ranges.
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

#include "registry/profile.h"

#define N 2000

static uint64_t lcg = 42;
static double next_unif(void)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

static table_t *make_table(void)
{
    table_t *t = table_new();
    column_t *f = col_new("amount", FT_FLOAT, N);
    column_t *k = col_new("age", FT_INT, N);
    column_t *c = col_new("purpose", FT_CATEGORY, N);
    column_t *s = col_new("city", FT_STRING, N);
    static const char *const purposes[] = {"car", "home", "edu", "biz"};
    static const char *const cities[] = {"Lima", "Quito", "Bogota"};
    ferr_t e = {0};
    for (size_t i = 0; i < N; i++) {
        double u = next_unif();
        /* Skewed values with heavy ties: duplicate deciles must collapse. */
        f->f64[i] = u < 0.3 ? 0.0 : round(exp(6 * u)) / 4;
        if (i % 97 == 0) {
            col_set_null(f, i);
            f->f64[i] = NAN;
        }
        k->i64[i] = 18 + (int64_t)(next_unif() * 60);
        c->code[i] = dict_intern(c->dict, purposes[i % 7 % 4],
                                 strlen(purposes[i % 7 % 4]));
        col_str_append(s, i, cities[i % 3], strlen(cities[i % 3]));
        if (i % 50 == 0)
            col_set_null(c, i);
    }
    assert_int_equal(table_add(t, f, &e), 0);
    assert_int_equal(table_add(t, k, &e), 0);
    assert_int_equal(table_add(t, c, &e), 0);
    assert_int_equal(table_add(t, s, &e), 0);
    return t;
}

/* numpy's view of a numeric column, as JSON. */
static json_t *numpy_profile(const column_t *c)
{
    char path[] = "/tmp/ferry_prof_XXXXXX", cmd[1024];
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w"), *p;
    json_error_t je;
    json_t *j;
    for (size_t i = 0; i < c->n; i++)
        if (!col_is_null(c, i))
            fprintf(fp, "%.17g\n", col_num(c, i));
    fclose(fp);
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 -c '"
             "import numpy as np, json, sys\n"
             "x = np.loadtxt(\"%s\")\n"
             "q = np.quantile(x, np.linspace(0, 1, 11))\n"
             "e = np.unique(np.quantile(x, [k / 10 for k in range(1, 10)]))\n"
             "b = np.bincount(np.searchsorted(e, x, side=\"left\"), minlength=len(e) + 1)\n"
             "print(json.dumps({\"quantiles\": q.tolist(), \"edges\": e.tolist(),"
             " \"counts\": b.tolist(), \"mean\": x.mean(), \"std\": x.std(),"
             " \"count\": len(x)}))'",
             path);
    p = popen(cmd, "r");
    assert_non_null(p);
    j = json_loadf(p, 0, &je);
    pclose(p);
    unlink(path);
    assert_non_null(j);
    return j;
}

static void assert_close(double a, double b)
{
    if (fabs(a - b) > 1e-9 * (1 + fabs(b)))
        fail_msg("%.17g != %.17g", a, b);
}

static void test_numeric_vs_numpy(void **state)
{
    table_t *t = make_table();
    const char *cols[] = {"amount", "age"};
    json_t *prof;
    ferr_t e = {0};
    (void)state;
    assert_int_equal(profile_compute(t, cols, 2, &prof, &e), 0);
    for (size_t k = 0; k < 2; k++) {
        json_t *mine = json_object_get(prof, cols[k]);
        json_t *ref = numpy_profile(table_find(t, cols[k]));
        static const char *const arrays[] = {"quantiles", "edges", "counts"};
        for (size_t a = 0; a < 3; a++) {
            json_t *x = json_object_get(mine, arrays[a]);
            json_t *y = json_object_get(ref, arrays[a]);
            assert_int_equal(json_array_size(x), json_array_size(y));
            for (size_t i = 0; i < json_array_size(x); i++)
                assert_close(json_number_value(json_array_get(x, i)),
                             json_number_value(json_array_get(y, i)));
        }
        assert_close(json_number_value(json_object_get(mine, "mean")),
                     json_number_value(json_object_get(ref, "mean")));
        assert_close(json_number_value(json_object_get(mine, "std")),
                     json_number_value(json_object_get(ref, "std")));
        assert_int_equal(json_integer_value(json_object_get(mine, "count")),
                         json_integer_value(json_object_get(ref, "count")));
        json_decref(ref);
    }
    /* The ties collapse the amount's deciles: fewer than 9 edges. */
    assert_true(json_array_size(json_object_get(
                    json_object_get(prof, "amount"), "edges")) < 9);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(prof, "amount"), "nulls")),
                     (N + 96) / 97);
    json_decref(prof);
    table_free(t);
}

static void test_categorical_counts(void **state)
{
    table_t *t = make_table();
    json_t *prof, *cats;
    ferr_t e = {0};
    size_t want[4] = {0}, nulls = 0;
    static const char *const purposes[] = {"car", "home", "edu", "biz"};
    (void)state;
    for (size_t i = 0; i < N; i++) {
        if (i % 50 == 0)
            nulls++;
        else
            want[i % 7 % 4]++;
    }
    assert_int_equal(profile_compute(t, NULL, 0, &prof, &e), 0);
    assert_int_equal(json_object_size(prof), 4);
    cats = json_object_get(json_object_get(prof, "purpose"), "categories");
    for (size_t k = 0; k < 4; k++)
        assert_int_equal(json_integer_value(json_object_get(cats, purposes[k])),
                         want[k]);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(prof, "purpose"), "nulls")),
                     nulls);
    cats = json_object_get(json_object_get(prof, "city"), "categories");
    assert_int_equal(json_integer_value(json_object_get(cats, "Lima")), 667);
    assert_int_equal(json_integer_value(json_object_get(cats, "Bogota")), 666);
    json_decref(prof);
    {
        const char *bad[] = {"nope"};
        assert_int_equal(profile_compute(t, bad, 1, &prof, &e), FERR_NOTFOUND);
        assert_non_null(strstr(e.msg, "nope"));
    }
    table_free(t);
}

static void test_schema(void **state)
{
    table_t *t = make_table();
    json_t *s, *f;
    ferr_t e = {0};
    (void)state;
    assert_int_equal(profile_schema(t, NULL, 0, &s, &e), 0);
    assert_int_equal(json_array_size(s), 4);
    f = json_array_get(s, 2);
    assert_string_equal(json_string_value(json_object_get(f, "type")), "category");
    assert_int_equal(json_array_size(json_object_get(f, "categories")), 4);
    assert_string_equal(json_string_value(json_array_get(json_object_get(f, "categories"), 0)),
                        "car");
    f = json_array_get(s, 1);
    assert_true(json_number_value(json_object_get(f, "min")) >= 18);
    assert_true(json_number_value(json_object_get(f, "max")) <= 77);
    json_decref(s);
    table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric_vs_numpy),
        cmocka_unit_test(test_categorical_counts),
        cmocka_unit_test(test_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

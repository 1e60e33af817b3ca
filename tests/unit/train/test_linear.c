/*
 * test_linear.c - ridge and logistic coefficients, selection and
 * predictions against the same scikit-learn pipeline on the same data, plus
 * the JSON round trip and the error paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "train/linear.h"
#include "train_test_util.h"

static const char *const NAMES[] = {"a", "b", "c", "d", "e", "f"};

/* n x p data with float-exact values (sklearn reads the same doubles). */
static void make_data(size_t n, size_t p, bool logistic, uint64_t seed,
                      float *x, double *y, char *path)
{
    uint64_t st = seed;
    FILE *f = fdopen(mkstemp(path), "w");
    for (size_t i = 0; i < n; i++) {
        double t = 0.3;
        for (size_t j = 0; j < p; j++) {
            /* different scales per column, so standardization matters */
            x[i * p + j] = (float)((tu_uniform(&st) - 0.4) * (double)(j + 1) * 3);
            t += (j % 2 ? -0.7 : 0.5) * x[i * p + j] / (double)(j + 1);
        }
        t += 0.25 * x[i * p] * x[i * p + 1]; /* an interaction to find */
        if (logistic)
            y[i] = tu_uniform(&st) < 1 / (1 + exp(-t));
        else
            y[i] = t + (tu_uniform(&st) - 0.5) * 0.8;
        for (size_t j = 0; j < p; j++)
            fprintf(f, "%.17g ", (double)x[i * p + j]);
        fprintf(f, "%.17g\n", y[i]);
    }
    fclose(f);
}

static void check(linear_kind_t kind, double strength, bool inter, size_t k,
                  bool std, double tol)
{
    size_t n = 600, p = 5;
    float *x = malloc(n * p * sizeof(float));
    double *y = malloc(n * sizeof(double)), pred[20];
    char path[] = "/tmp/ferry_linear_XXXXXX", args[512], key[32];
    make_data(n, p, kind == LINEAR_LOGISTIC, 42 + k, x, y, path);
    linear_config_t cfg;
    linear_config_default(&cfg, kind);
    cfg.alpha = cfg.C = strength;
    cfg.interactions = inter;
    cfg.k_best = k;
    cfg.standardize = std;
    linear_model_t m;
    ferr_t e = {0};
    assert_int_equal(linear_fit(x, y, n, p, NAMES, &cfg, &m, &e), FERR_OK);
    ref_vals_t r;
    snprintf(args, sizeof(args), "%s %s %.17g %d %zu %d", path,
             kind == LINEAR_LOGISTIC ? "logistic" : "ridge", strength, inter, k,
             std);
    assert_int_equal(tu_run_ref("linear_ref.py", args, &r), 0);
    if (k) {
        for (size_t j = 0; j < m.nsel; j++) {
            snprintf(key, sizeof(key), "sel_%zu", j);
            assert_int_equal(m.sel[j], (size_t)tu_ref(&r, key));
        }
        for (size_t j = 0; j < m.nexp; j++) {
            snprintf(key, sizeof(key), "fscore_%zu", j);
            double want = tu_ref(&r, key);
            assert_true(fabs(m.fscore[j] - want) <= 1e-7 * fmax(1, fabs(want)));
        }
    }
    for (size_t j = 0; j < m.nsel; j++) {
        snprintf(key, sizeof(key), "coef_%zu", j);
        double want = tu_ref(&r, key);
        if (!(fabs(m.coef[j] - want) <= tol * fmax(1, fabs(want)))) {
            fprintf(stderr, "%s: ferry %.17g sklearn %.17g\n", key, m.coef[j], want);
            fail();
        }
    }
    for (size_t j = 0; kind == LINEAR_LOGISTIC && j < m.nsel; j++) {
        snprintf(key, sizeof(key), "lcoef_%zu", j); /* sklearn's default lbfgs */
        assert_true(fabs(m.coef[j] - tu_ref(&r, key)) <= 1e-4);
    }
    assert_true(fabs(m.intercept - tu_ref(&r, "intercept")) <= tol);
    linear_predict(&m, x, 20, pred);
    for (size_t i = 0; i < 20; i++) {
        snprintf(key, sizeof(key), "pred_%zu", i);
        assert_true(fabs(pred[i] - tu_ref(&r, key)) <= tol);
    }
    /* JSON round trip predicts bit-identically */
    size_t len;
    char *js = linear_to_json(&m, &len);
    linear_model_t back;
    double pred2[20];
    assert_int_equal(linear_from_json(js, len, &back, &e), FERR_OK);
    linear_predict(&back, x, 20, pred2);
    assert_memory_equal(pred, pred2, sizeof(pred));
    free(js);
    linear_free(&back);
    linear_free(&m);
    unlink(path);
    free(x), free(y);
}

static void test_ridge(void **state)
{
    (void)state;
    check(LINEAR_RIDGE, 1.0, false, 0, true, 1e-9);
    check(LINEAR_RIDGE, 25.0, true, 0, true, 1e-9);
    check(LINEAR_RIDGE, 0.5, true, 6, true, 1e-9);
    check(LINEAR_RIDGE, 3.0, false, 0, false, 1e-9);
}

static void test_logistic(void **state)
{
    (void)state;
    /* against newton-cholesky (which stops at a gradient of ~1e-10, so
     * coefficients agree to ~1e-8 relative); lbfgs within 1e-4 in check() */
    check(LINEAR_LOGISTIC, 1.0, false, 0, true, 1e-7);
    check(LINEAR_LOGISTIC, 0.05, true, 0, true, 1e-7);
    check(LINEAR_LOGISTIC, 10.0, true, 4, true, 1e-7);
}

static void test_errors(void **state)
{
    (void)state;
    float x[] = {1, 2, 3, 4};
    double yc[] = {1, 1, 1, 1}, y2[] = {0, 2, 0, 1};
    linear_config_t cfg;
    linear_model_t m;
    ferr_t e = {0};
    linear_config_default(&cfg, LINEAR_LOGISTIC);
    assert_int_equal(linear_fit(x, yc, 4, 1, NAMES, &cfg, &m, &e), FERR_RANGE);
    assert_non_null(strstr(e.msg, "one class"));
    assert_int_equal(linear_fit(x, y2, 4, 1, NAMES, &cfg, &m, &e), FERR_RANGE);
    assert_non_null(strstr(e.msg, "row 1"));
    assert_int_equal(linear_fit(x, y2, 0, 1, NAMES, &cfg, &m, &e), FERR_RANGE);
    const char *bad[] = {
        "", "{", "[]", "{\"format\":\"ferry-linear\",\"version\":2}",
        "{\"format\":\"ferry-linear\",\"version\":1,\"kind\":\"ridge\","
        "\"features\":[\"a\"],\"selected\":[3],\"intercept\":0}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_not_equal(linear_from_json(bad[i], strlen(bad[i]), &m, &e),
                             FERR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ridge),
        cmocka_unit_test(test_logistic),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

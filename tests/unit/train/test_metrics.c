/*
 * test_metrics.c - every metric against scikit-learn 1.2 on the same labels
 * and scores (random, with ties, balanced and heavily imbalanced), within
 * 1e-9, plus the hand-checkable corner cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "train/metrics.h"
#include "train_test_util.h"

#define TOL 1e-9

static void close_to(const char *what, double got, double want)
{
    if (!(fabs(got - want) <= TOL * fmax(1.0, fabs(want)))) {
        fprintf(stderr, "%s: ferry %.17g sklearn %.17g\n", what, got, want);
        fail();
    }
}

/* One classification case: n rows, positive rate, scores rounded to
 * `levels` distinct values (few levels = many ties). */
static void check_class(size_t n, double pos_rate, int levels, uint64_t seed,
                        double thr)
{
    double *y = malloc(n * sizeof(double)), *s = malloc(n * sizeof(double));
    uint64_t st = seed;
    char path[] = "/tmp/ferry_metrics_XXXXXX", args[256];
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < n; i++) {
        y[i] = tu_uniform(&st) < pos_rate;
        double raw = 0.35 * y[i] + 0.65 * tu_uniform(&st); /* informative */
        s[i] = levels > 0 ? floor(raw * levels) / levels : raw;
        if (i % 97 == 0)
            s[i] = y[i] > 0.5 ? 1.0 : 0.0; /* exact 0/1: exercises clipping */
        if (i % 89 == 0)
            s[i] = y[i] > 0.5 ? 0.0 : 1.0; /* confidently wrong: eps matters */
        fprintf(f, "%.17g %.17g\n", y[i], s[i]);
    }
    fclose(f);
    ref_vals_t r;
    snprintf(args, sizeof(args), "%s class %.17g", path, thr);
    assert_int_equal(tu_run_ref("metrics_ref.py", args, &r), 0);
    for (const metric_def_t *d = metric_defs; d->name; d++)
        if (d->kind == METRIC_CLASSIFICATION)
            close_to(d->name, d->fn(y, s, n, thr), tu_ref(&r, d->name));
    metric_prf_t prf;
    metric_prf(y, s, n, thr, &prf);
    close_to("precision0", prf.precision[0], tu_ref(&r, "precision0"));
    close_to("recall0", prf.recall[0], tu_ref(&r, "recall0"));
    close_to("f10", prf.f1[0], tu_ref(&r, "f10"));
    size_t cm[2][2];
    metric_confusion(y, s, n, thr, cm);
    close_to("tn", (double)cm[0][0], tu_ref(&r, "tn"));
    close_to("fp", (double)cm[0][1], tu_ref(&r, "fp"));
    close_to("fn", (double)cm[1][0], tu_ref(&r, "fn"));
    close_to("tp", (double)cm[1][1], tu_ref(&r, "tp"));
    /* the F1-maximizing threshold reaches sklearn's best F1 on the PR curve */
    double bt = metric_best_f1_threshold(y, s, n);
    close_to("bestf1", metric_f1(y, s, n, bt), tu_ref(&r, "bestf1"));
    unlink(path);
    free(y), free(s);
}

static void test_class_balanced(void **state)
{
    (void)state;
    check_class(5000, 0.5, 0, 1, 0.5);
    check_class(3000, 0.4, 20, 2, 0.5);
}

static void test_class_imbalanced_ties(void **state)
{
    (void)state;
    check_class(20000, 0.015, 50, 3, 0.5);  /* credit-like positive rate */
    check_class(4000, 0.05, 5, 4, 0.3);     /* five score levels: huge ties */
    check_class(200, 0.02, 3, 5, 0.9);      /* few positives, few levels */
}

static void test_regression(void **state)
{
    (void)state;
    size_t n = 7000;
    double *y = malloc(n * sizeof(double)), *s = malloc(n * sizeof(double));
    uint64_t st = 9;
    char path[] = "/tmp/ferry_metrics_XXXXXX", args[256];
    FILE *f = fdopen(mkstemp(path), "w");
    for (size_t i = 0; i < n; i++) {
        y[i] = (tu_uniform(&st) - 0.3) * 1000;
        if (i % 50 == 0)
            y[i] = 0; /* MAPE's epsilon floor */
        s[i] = y[i] + (tu_uniform(&st) - 0.5) * 120;
        fprintf(f, "%.17g %.17g\n", y[i], s[i]);
    }
    fclose(f);
    ref_vals_t r;
    snprintf(args, sizeof(args), "%s reg 0", path);
    assert_int_equal(tu_run_ref("metrics_ref.py", args, &r), 0);
    for (const metric_def_t *d = metric_defs; d->name; d++)
        if (d->kind == METRIC_REGRESSION)
            close_to(d->name, d->fn(y, s, n, 0), tu_ref(&r, d->name));
    unlink(path);
    free(y), free(s);
}

static void test_corners(void **state)
{
    (void)state;
    double y1[] = {1, 1, 1}, s1[] = {0.2, 0.4, 0.9};
    assert_true(isnan(metric_roc_auc(y1, s1, 3, 0.5))); /* one class */
    double y2[] = {0, 1, 0, 1}, s2[] = {0.5, 0.5, 0.5, 0.5};
    assert_true(fabs(metric_roc_auc(y2, s2, 4, 0.5) - 0.5) < 1e-15);
    double y3[] = {0, 0, 1, 1}, s3[] = {0.1, 0.4, 0.35, 0.8};
    assert_true(fabs(metric_roc_auc(y3, s3, 4, 0.5) - 0.75) < 1e-15);
    /* zero_division=0: nothing predicted positive */
    double s4[] = {0.1, 0.1, 0.1, 0.1};
    assert_true(metric_precision(y3, s4, 4, 0.5) == 0.0);
    assert_true(metric_f1(y3, s4, 4, 0.5) == 0.0);
    assert_non_null(metric_find("auc"));
    assert_null(metric_find("nope"));
    assert_true(metric_better(metric_find("rmse"), 1.0, 2.0));
    assert_true(metric_better(metric_find("auc"), 0.9, 0.8));
    assert_false(metric_better(metric_find("auc"), NAN, 0.8));
    /* constant y: sklearn's r2 convention */
    double yc[] = {2, 2, 2}, sc[] = {2, 2, 2}, sd[] = {1, 2, 3};
    assert_true(metric_r2(yc, sc, 3, 0) == 1.0);
    assert_true(metric_r2(yc, sd, 3, 0) == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_balanced),
        cmocka_unit_test(test_class_imbalanced_ties),
        cmocka_unit_test(test_regression),
        cmocka_unit_test(test_corners),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

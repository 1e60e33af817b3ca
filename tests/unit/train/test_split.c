/*
 * test_split.c - splits and k-fold: sizes, reproducibility per seed, class
 * ratios kept by stratification, time order, no entity on both sides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "train/split.h"
#include "train_test_util.h"

#define N 10000

static table_t *make_table(double *label)
{
    table_t *t = table_new();
    column_t *day = col_new("day", FT_DATE, N), *cust = col_new("cust", FT_STRING, N);
    ferr_t e = {0};
    uint64_t st = 7;
    char buf[32];
    for (size_t i = 0; i < N; i++) {
        day->i64[i] = 18000 + (int64_t)(i / 7); /* 7 rows per day: ties */
        snprintf(buf, sizeof(buf), "c%zu", (size_t)(tu_uniform(&st) * 700));
        col_str_append(cust, i, buf, strlen(buf));
        label[i] = tu_uniform(&st) < 0.03;
    }
    assert_int_equal(table_add(t, day, &e), 0);
    assert_int_equal(table_add(t, cust, &e), 0);
    return t;
}

static void test_random_and_stratified(void **state)
{
    (void)state;
    static double y[N];
    table_t *t = make_table(y);
    split_config_t c = {.method = SPLIT_RANDOM, .valid_fraction = 0.1,
                        .test_fraction = 0.2, .seed = 1};
    split_t a, b, d;
    ferr_t e = {0};
    assert_int_equal(split_make(t, y, &c, &a, &e), 0);
    assert_int_equal(a.count[SPLIT_TEST], 2000);
    assert_int_equal(a.count[SPLIT_VALID], 1000);
    assert_int_equal(a.count[SPLIT_TRAIN], 7000);
    assert_int_equal(split_make(t, y, &c, &b, &e), 0);
    assert_memory_equal(a.part, b.part, N); /* same seed, same split */
    c.seed = 2;
    assert_int_equal(split_make(t, y, &c, &d, &e), 0);
    assert_true(memcmp(a.part, d.part, N) != 0);
    split_free(&a), split_free(&b), split_free(&d);

    c.method = SPLIT_STRATIFIED;
    assert_int_equal(split_make(t, y, &c, &a, &e), 0);
    double pos[3] = {0}, all = 0;
    for (size_t i = 0; i < N; i++) {
        pos[a.part[i]] += y[i];
        all += y[i];
    }
    /* each part holds its fraction of the positives, to the rounding */
    assert_true(fabs(pos[SPLIT_TEST] - 0.2 * all) <= 1);
    assert_true(fabs(pos[SPLIT_VALID] - 0.1 * all) <= 1);
    split_free(&a);
    table_free(t);
}

static void test_time(void **state)
{
    (void)state;
    static double y[N];
    table_t *t = make_table(y);
    split_config_t c = {.method = SPLIT_TIME, .test_fraction = 0.25,
                        .valid_fraction = 0.1, .time_column = "day"};
    split_t s;
    ferr_t e = {0};
    const column_t *day = table_find(t, "day");
    assert_int_equal(split_make(t, y, &c, &s, &e), 0);
    int64_t max_tr = INT64_MIN, min_va = INT64_MAX, max_va = INT64_MIN,
            min_te = INT64_MAX;
    for (size_t i = 0; i < N; i++) {
        int64_t d = day->i64[i];
        if (s.part[i] == SPLIT_TRAIN && d > max_tr) max_tr = d;
        if (s.part[i] == SPLIT_VALID && d < min_va) min_va = d;
        if (s.part[i] == SPLIT_VALID && d > max_va) max_va = d;
        if (s.part[i] == SPLIT_TEST && d < min_te) min_te = d;
    }
    assert_true(max_tr < min_va && max_va < min_te); /* ties stay together */
    assert_true(fabs((double)s.count[SPLIT_TEST] - 2500) <= 7);
    split_free(&s);
    /* explicit cutoff: day 19000 is 2022-01-08 */
    c.test_from = "2022-01-08";
    c.valid_fraction = 0;
    assert_int_equal(split_make(t, y, &c, &s, &e), 0);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(s.part[i] == SPLIT_TEST, day->i64[i] >= 19000);
    split_free(&s);
    c.test_from = "2100-01-01"; /* nothing after it: an empty test part */
    assert_int_equal(split_make(t, y, &c, &s, &e), FERR_RANGE);
    assert_non_null(strstr(e.msg, "test part is empty"));
    c.test_from = "soon";
    assert_int_equal(split_make(t, y, &c, &s, &e), FERR_PARSE);
    c.time_column = "nope";
    assert_int_equal(split_make(t, y, &c, &s, &e), FERR_NOTFOUND);
    table_free(t);
}

static void test_group(void **state)
{
    (void)state;
    static double y[N];
    table_t *t = make_table(y);
    split_config_t c = {.method = SPLIT_GROUP, .test_fraction = 0.2,
                        .valid_fraction = 0.1, .group_column = "cust", .seed = 3};
    split_t s;
    ferr_t e = {0};
    uint64_t keys[N];
    assert_int_equal(split_make(t, y, &c, &s, &e), 0);
    split_group_keys(table_find(t, "cust"), keys);
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N && j < i + 400; j++)
            if (keys[i] == keys[j])
                assert_int_equal(s.part[i], s.part[j]);
    assert_true(fabs((double)s.count[SPLIT_TEST] - 2000) < 100);
    split_free(&s);
    /* tiny table: a fraction that rounds to nothing is an error, not silence */
    c.method = SPLIT_RANDOM;
    c.test_fraction = 0.01;
    table_t *small = table_new();
    assert_int_equal(table_add(small, col_new("x", FT_INT, 10), &e), 0);
    assert_int_equal(split_make(small, y, &c, &s, &e), FERR_RANGE);
    assert_non_null(strstr(e.msg, "empty"));
    table_free(small);
    table_free(t);
}

static void test_kfold(void **state)
{
    (void)state;
    static double y[N];
    static int fold[N];
    static uint64_t keys[N];
    table_t *t = make_table(y);
    ferr_t e = {0};
    size_t cnt[5] = {0}, pos[5] = {0};
    assert_int_equal(split_kfold(N, 5, SPLIT_KFOLD_PLAIN, NULL, NULL, 1, fold, &e), 0);
    for (size_t i = 0; i < N; i++)
        cnt[fold[i]]++;
    for (int f = 0; f < 5; f++)
        assert_int_equal(cnt[f], 2000);
    assert_int_equal(split_kfold(N, 5, SPLIT_KFOLD_STRATIFIED, y, NULL, 1, fold, &e), 0);
    size_t allpos = 0;
    for (size_t i = 0; i < N; i++)
        pos[fold[i]] += y[i] > 0.5, allpos += y[i] > 0.5;
    for (int f = 0; f < 5; f++)
        assert_true(pos[f] * 5 >= allpos - 5 && pos[f] * 5 <= allpos + 5);
    split_group_keys(table_find(t, "cust"), keys);
    assert_int_equal(split_kfold(N, 5, SPLIT_KFOLD_GROUP, NULL, keys, 1, fold, &e), 0);
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N && j < i + 400; j++)
            if (keys[i] == keys[j])
                assert_int_equal(fold[i], fold[j]);
    assert_int_equal(split_kfold(3, 5, SPLIT_KFOLD_PLAIN, NULL, NULL, 1, fold, &e),
                     FERR_RANGE);
    table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_and_stratified),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_kfold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

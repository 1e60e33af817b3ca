/*
 * test_train.c - train_run end to end on a synthetic table: byte-identical
 * models for the same seed, python xgboost agreeing with ferry's saved model
 * and metrics, early stopping, scale_pos_weight auto, CV search, linear
 * models through the same entry point, and the bad-input errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "train/metrics.h"
#include "train/train.h"
#include "train_test_util.h"

#define N 4000

static table_t *make_table(size_t n, double pos_shift)
{
    table_t *t = table_new();
    column_t *a = col_new("amount", FT_FLOAT, n), *k = col_new("n_prev", FT_INT, n);
    column_t *car = col_new("own_car", FT_BOOL, n), *d = col_new("day", FT_DATE, n);
    column_t *y = col_new("label", FT_INT, n), *s = col_new("name", FT_STRING, n);
    column_t *cust = col_new("cust", FT_STRING, n);
    ferr_t e = {0};
    uint64_t st = 11;
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        a->f64[i] = tu_uniform(&st) * 1000;
        k->i64[i] = (int64_t)(tu_uniform(&st) * 10);
        car->u8[i] = tu_uniform(&st) < 0.4;
        d->i64[i] = 18000 + (int64_t)i / 10;
        double z = -2.5 + pos_shift + a->f64[i] / 400 - 0.3 * (double)k->i64[i] +
                   (car->u8[i] ? 0.8 : 0);
        y->i64[i] = tu_uniform(&st) < 1 / (1 + exp(-z));
        if (i % 31 == 0)
            col_set_null(a, i); /* missing values reach XGBoost as NaN */
        snprintf(buf, sizeof(buf), "c%zu", i % 300);
        col_str_append(cust, i, buf, strlen(buf));
        col_str_append(s, i, "x", 1);
    }
    column_t *cols[] = {a, k, car, d, y, s, cust};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(table_add(t, cols[i], &e), 0);
    return t;
}

static const char *const FEATS[] = {"amount", "n_prev", "own_car", "day"};
static const train_param_t PARAMS[] = {
    {"max_depth", "4"}, {"eta", "0.1"}, {"subsample", "0.8"},
    {"colsample_bytree", "0.9"}, {"scale_pos_weight", "auto"},
};

static void base_config(train_config_t *c)
{
    train_config_default(c);
    c->label = "label";
    c->features = FEATS;
    c->nfeatures = 4;
    c->params = PARAMS;
    c->nparams = 5;
    c->num_rounds = 30;
    c->nthread = 2;
    c->quiet = true;
    c->split.method = SPLIT_STRATIFIED;
    c->split.test_fraction = 0.25;
}

static void test_matrix(void **state)
{
    (void)state;
    table_t *t = make_table(50, 0);
    train_matrix_t m;
    ferr_t e = {0};
    const char *bad[] = {"amount", "name"};
    assert_int_equal(train_matrix_from_table(t, FEATS, 4, "label", &m, &e), 0);
    assert_true(isnan(m.x[0]));                            /* row 0 is null */
    assert_true(m.x[1 * 4 + 1] == (float)table_find(t, "n_prev")->i64[1]);
    assert_true(m.x[3] == 18000.0f);                       /* DATE in days */
    assert_true(m.y[2] == (double)table_find(t, "label")->i64[2]);
    train_matrix_free(&m);
    assert_int_equal(train_matrix_from_table(t, bad, 2, "label", &m, &e), FERR_TYPE);
    assert_non_null(strstr(e.msg, "name"));
    assert_non_null(strstr(e.msg, "string"));
    assert_int_equal(train_matrix_from_table(t, FEATS, 4, "nolabel", &m, &e),
                     FERR_NOTFOUND);
    assert_non_null(strstr(e.msg, "label column nolabel not found"));
    table_free(t);
}

static void test_bad_input(void **state)
{
    (void)state;
    table_t *t = make_table(N, 0);
    train_config_t c;
    train_result_t r;
    ferr_t e = {0};
    base_config(&c);
    c.label = "missing";
    assert_int_equal(train_run(t, &c, &r, &e), FERR_NOTFOUND);
    assert_non_null(strstr(e.msg, "missing"));
    /* default features: every column, so the string column is named */
    base_config(&c);
    c.features = NULL;
    assert_int_equal(train_run(t, &c, &r, &e), FERR_TYPE);
    assert_non_null(strstr(e.msg, "name is string"));
    /* constant label */
    column_t *y = table_find(t, "label");
    for (size_t i = 0; i < N; i++)
        y->i64[i] = 1;
    base_config(&c);
    assert_int_equal(train_run(t, &c, &r, &e), FERR_RANGE);
    assert_non_null(strstr(e.msg, "constant"));
    y->i64[5] = 0; /* one negative: the table has 2 classes, train may not */
    c.split.method = SPLIT_TIME;
    c.split.time_column = "day";
    c.split.test_fraction = 0.5;
    y->i64[5] = 1, y->i64[N - 1] = 0;
    assert_int_equal(train_run(t, &c, &r, &e), FERR_RANGE);
    assert_non_null(strstr(e.msg, "training part"));
    /* empty split */
    base_config(&c);
    c.split.method = SPLIT_TIME;
    c.split.time_column = "day";
    c.split.test_from = "2999-01-01";
    assert_int_equal(train_run(t, &c, &r, &e), FERR_RANGE);
    assert_non_null(strstr(e.msg, "test part is empty"));
    /* a booster param XGBoost rejects is named */
    base_config(&c);
    train_param_t badp[] = {{"max_depth", "deep"}};
    c.params = badp;
    c.nparams = 1;
    table_free(t);
    t = make_table(N, 0);
    assert_int_not_equal(train_run(t, &c, &r, &e), 0);
    assert_non_null(strstr(e.msg, "max_depth"));
    table_free(t);
}

static int write_and_check_python(const train_result_t *r, const table_t *t,
                                  ref_vals_t *ref)
{
    /* the whole table as the matrix; ferry's predictions of its own bytes */
    train_matrix_t m;
    ferr_t e = {0};
    char mp[] = "/tmp/ferry_model_XXXXXX", dp[] = "/tmp/ferry_data_XXXXXX",
         pp[] = "/tmp/ferry_pred_XXXXXX", args[512];
    assert_int_equal(train_matrix_from_table(t, FEATS, 4, "label", &m, &e), 0);
    double *pred = malloc(m.nrows * sizeof(double));
    assert_int_equal(train_predict_bytes(r->kind, r->model, r->model_len, &m, 1,
                                         pred, &e), 0);
    FILE *f = fdopen(mkstemp(mp), "w");
    fwrite(r->model, 1, r->model_len, f);
    fclose(f);
    FILE *fd = fdopen(mkstemp(dp), "w"), *fp = fdopen(mkstemp(pp), "w");
    for (size_t i = 0; i < m.nrows; i++) {
        for (size_t j = 0; j < 4; j++)
            fprintf(fd, "%.9g ", (double)m.x[i * 4 + j]);
        fprintf(fd, "%g\n", m.y[i]);
        fprintf(fp, "%.17g\n", pred[i]);
    }
    fclose(fd), fclose(fp);
    snprintf(args, sizeof(args), "%s %s %s", mp, dp, pp);
    int rc = tu_run_ref("xgb_ref.py", args, ref);
    /* ferry's AUC over the same rows, for the caller to compare */
    ref->v[ref->n] = metric_roc_auc(m.y, pred, m.nrows, 0.5);
    snprintf(ref->name[ref->n++], 64, "ferry_auc");
    unlink(mp), unlink(dp), unlink(pp);
    free(pred);
    train_matrix_free(&m);
    return rc;
}

static void test_deterministic_and_python(void **state)
{
    (void)state;
    table_t *t = make_table(N, 0);
    train_config_t c;
    train_result_t r1, r2, r3;
    ferr_t e = {0};
    base_config(&c);
    assert_int_equal(train_run(t, &c, &r1, &e), 0);
    assert_int_equal(train_run(t, &c, &r2, &e), 0);
    assert_int_equal(r1.model_len, r2.model_len);
    assert_memory_equal(r1.model, r2.model, r1.model_len); /* byte-identical */
    c.seed = 43; /* another seed: another subsample, another model */
    assert_int_equal(train_run(t, &c, &r3, &e), 0);
    assert_true(r3.model_len != r1.model_len ||
                memcmp(r1.model, r3.model, r1.model_len) != 0);
    assert_string_equal(r1.kind, "xgboost");
    assert_int_equal(r1.rounds, 30);
    assert_int_equal(r1.rows[SPLIT_TEST], 1000);
    /* scale_pos_weight auto = negatives / positives of the training part */
    json_t *spw = json_object_get(r1.params, "scale_pos_weight");
    json_t *trm = json_object_get(r1.metrics, "train");
    double rate = json_real_value(json_object_get(trm, "positive_rate"));
    assert_true(fabs(json_number_value(spw) - (1 - rate) / rate) < 1e-9);
    assert_non_null(json_object_get(json_object_get(r1.importance, "gain"), "amount"));
    assert_true(json_real_value(json_object_get(json_object_get(r1.importance,
                "weight"), "amount")) > 0);
    /* python xgboost reads the bytes and predicts what ferry predicts */
    ref_vals_t ref;
    assert_int_equal(write_and_check_python(&r1, t, &ref), 0);
    /* the compiled predictor is bit-exact to XGBoost: float results agree */
    assert_true(tu_ref(&ref, "maxdiff") == 0.0);
    assert_true(fabs(tu_ref(&ref, "auc") - tu_ref(&ref, "ferry_auc")) < 1e-9);
    assert_int_equal((int)tu_ref(&ref, "rounds"), 30);
    train_result_free(&r1), train_result_free(&r2), train_result_free(&r3);
    table_free(t);
}

static void test_early_stopping_threshold(void **state)
{
    (void)state;
    table_t *t = make_table(N, 0);
    train_config_t c;
    train_result_t r;
    ferr_t e = {0};
    base_config(&c);
    c.num_rounds = 400;
    c.early_stopping_rounds = 10;
    c.split.valid_fraction = 0.2;
    train_param_t p[] = {{"eta", "0.5"}, {"max_depth", "6"}};
    c.params = p;
    c.nparams = 2;
    c.eval_metric = "logloss";
    c.threshold = "f1";
    assert_int_equal(train_run(t, &c, &r, &e), 0);
    assert_true(r.rounds < 400);
    assert_int_equal(r.rounds, r.best_iteration + 1);
    assert_true(r.threshold > 0 && r.threshold < 1 && r.threshold != 0.5);
    ref_vals_t ref;
    assert_int_equal(write_and_check_python(&r, t, &ref), 0);
    assert_int_equal((int)tu_ref(&ref, "rounds"), r.rounds); /* sliced model */
    train_result_free(&r);
    c.split.valid_fraction = 0; /* stopping without a valid part: an error */
    assert_int_equal(train_run(t, &c, &r, &e), FERR_SPEC);
    table_free(t);
}

static void test_search(void **state)
{
    (void)state;
    table_t *t = make_table(N, 0);
    train_config_t c;
    train_result_t r;
    ferr_t e = {0};
    base_config(&c);
    const char *depth[] = {"1", "3"}, *eta[] = {"0.01", "0.3"};
    train_search_dim_t dims[] = {{"max_depth", depth, 2}, {"eta", eta, 2}};
    c.search = (train_search_t){.method = TRAIN_SEARCH_GRID, .dims = dims,
                                .ndims = 2, .folds = 3, .threads = 2};
    c.split.group_column = "cust"; /* cv auto: grouped */
    assert_int_equal(train_run(t, &c, &r, &e), 0);
    json_t *res = json_object_get(r.search, "results");
    assert_int_equal(json_array_size(res), 4);
    assert_string_equal(json_string_value(json_object_get(r.search, "cv")), "group");
    assert_int_equal(json_integer_value(json_object_get(r.search, "threads")), 2);
    size_t best = (size_t)json_integer_value(json_object_get(r.search, "best"));
    double bm = json_real_value(json_object_get(json_array_get(res, best), "mean"));
    for (size_t i = 0; i < 4; i++) {
        json_t *row = json_array_get(res, i);
        assert_true(json_real_value(json_object_get(row, "mean")) <= bm);
        assert_int_equal(json_array_size(json_object_get(row, "folds")), 3);
    }
    /* the refit uses the winner's params */
    json_t *bp = json_object_get(json_array_get(res, best), "params");
    assert_int_equal(json_integer_value(json_object_get(bp, "max_depth")),
                     json_integer_value(json_object_get(r.params, "max_depth")));
    train_result_free(&r);
    /* random search: 3 of the 4 grid points, reproducibly */
    c.search.method = TRAIN_SEARCH_RANDOM;
    c.search.n_iter = 3;
    c.search.cv = "stratified";
    assert_int_equal(train_run(t, &c, &r, &e), 0);
    assert_int_equal(json_array_size(json_object_get(r.search, "results")), 3);
    train_result_free(&r);
    table_free(t);
}

static void test_linear_via_run(void **state)
{
    (void)state;
    table_t *t = make_table(N, 0);
    train_config_t c;
    train_result_t r, r2;
    ferr_t e = {0};
    base_config(&c);
    c.model = TRAIN_LOGISTIC;
    c.params = NULL;
    c.nparams = 0;
    c.linear.C = 0.5;
    const char *cs[] = {"0.01", "1"};
    train_search_dim_t dims[] = {{"C", cs, 2}};
    c.search = (train_search_t){.method = TRAIN_SEARCH_GRID, .dims = dims,
                                .ndims = 1, .folds = 3};
    /* a search value out of ferry.yaml's range for C (0: an unregularized
     * useless model) is refused like model.C: 0 */
    const char *bad_cs[] = {"0", "1"};
    train_search_dim_t bad_dims[] = {{"C", bad_cs, 2}};
    c.search = (train_search_t){.method = TRAIN_SEARCH_GRID, .dims = bad_dims,
                                .ndims = 1, .folds = 3};
    assert_int_equal(train_run(t, &c, &r, &e), FERR_SPEC);
    assert_non_null(strstr(ferr_msg(&e), "model param C: '0' is not a number in"));
    c.search = (train_search_t){.method = TRAIN_SEARCH_GRID, .dims = dims,
                                .ndims = 1, .folds = 3};
    assert_int_equal(train_run(t, &c, &r, &e), 0);
    assert_int_equal(train_run(t, &c, &r2, &e), 0);
    assert_string_equal(r.kind, "logistic");
    assert_memory_equal(r.model, r2.model, r.model_len);
    double auc = json_real_value(json_object_get(json_object_get(r.metrics, "test"),
                                                 "auc"));
    assert_true(auc > 0.7);
    assert_non_null(json_object_get(json_object_get(r.importance, "coef"), "amount"));
    train_result_free(&r), train_result_free(&r2);
    /* regression objective with ridge */
    c.model = TRAIN_RIDGE;
    c.split.method = SPLIT_RANDOM;
    c.search.method = TRAIN_SEARCH_NONE;
    c.label = "amount";
    const char *f2[] = {"n_prev", "own_car", "label"};
    c.features = f2;
    c.nfeatures = 3;
    table_find(t, "amount")->null = (free(table_find(t, "amount")->null), NULL);
    assert_int_equal(train_run(t, &c, &r, &e), 0);
    assert_non_null(json_object_get(json_object_get(r.metrics, "test"), "rmse"));
    train_result_free(&r);
    table_free(t);
}

static void test_xgb_regression(void **state)
{
    (void)state;
    table_t *t = make_table(N, 0);
    train_config_t c;
    train_result_t r;
    ferr_t e = {0};
    base_config(&c);
    const char *f2[] = {"n_prev", "own_car", "label", "day"};
    c.features = f2;
    c.label = "amount";
    c.objective = "reg:squarederror";
    c.split.method = SPLIT_TIME;
    c.split.time_column = "day";
    c.split.valid_fraction = 0.2;
    c.early_stopping_rounds = 5;
    c.num_rounds = 300;
    c.params = NULL;
    c.nparams = 0;
    column_t *a = table_find(t, "amount");
    free(a->null);
    a->null = NULL; /* a regression label has no nulls */
    for (size_t i = 0; i < N; i++)
        a->f64[i] = 100.0 * (double)table_find(t, "n_prev")->i64[i] +
                    (double)(i % 17);
    assert_int_equal(train_run(t, &c, &r, &e), 0);
    assert_string_equal(r.objective, "reg:squarederror");
    assert_true(r.rounds < 300); /* rmse on valid stops improving */
    json_t *te = json_object_get(r.metrics, "test");
    assert_true(json_real_value(json_object_get(te, "r2")) > 0.9);
    assert_null(json_object_get(te, "auc"));
    train_result_free(&r);
    /* a regression metric cannot rank a classifier, and vice versa */
    c.metric = "auc";
    assert_int_equal(train_run(t, &c, &r, &e), FERR_SPEC);
    table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_deterministic_and_python),
        cmocka_unit_test(test_early_stopping_threshold),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_linear_via_run),
        cmocka_unit_test(test_xgb_regression),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

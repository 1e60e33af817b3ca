/*
 * test_tree.c - the tree predictor: a hand-computed model, loader errors
 * (each names its JSON path), reference counting across threads, both node
 * layouts and the batch API against XGBoost's own C API on 100,000 random
 * rows with 10% missing (a model trained here through the C API, so the
 * test needs no Python).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "base/refslot.h"
#include "predict/tree.h"
#include "predict/tree_int.h"

/* Two trees over features a, b.  Tree 0: a < 0.5 (missing -> left) ? -0.25
 * : 0.75.  Tree 1: b < -1 (missing -> right) ? (a < 2 (missing -> left) ?
 * 0.125 : 0.5) : -0.375.  base_score 0.25 with binary:logistic. */
static const char *TINY =
    "{\"learner\":{\"attributes\":{},\"feature_names\":[\"a\",\"b\"],"
    "\"feature_types\":[\"float\",\"int\"],"
    "\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":\"1\","
    "\"num_trees\":\"2\",\"size_leaf_vector\":\"0\"},\"tree_info\":[0,0],\"trees\":["
    "{\"base_weights\":[0,0,0],\"categories\":[],\"categories_nodes\":[],"
    "\"categories_segments\":[],\"categories_sizes\":[],\"default_left\":[1,0,0],"
    "\"id\":0,\"left_children\":[1,-1,-1],\"loss_changes\":[0,0,0],"
    "\"parents\":[2147483647,0,0],\"right_children\":[2,-1,-1],"
    "\"split_conditions\":[0.5,-0.25,0.75],\"split_indices\":[0,0,0],"
    "\"split_type\":[0,0,0],\"sum_hessian\":[1,1,1],\"tree_param\":{\"num_deleted\":\"0\","
    "\"num_feature\":\"2\",\"num_nodes\":\"3\",\"size_leaf_vector\":\"0\"}},"
    "{\"default_left\":[0,1,0,0,0],\"id\":1,\"left_children\":[1,3,-1,-1,-1],"
    "\"right_children\":[2,4,-1,-1,-1],"
    "\"split_conditions\":[-1,2,-0.375,0.125,0.5],\"split_indices\":[1,0,0,0,0],"
    "\"split_type\":[0,0,0,0,0],\"tree_param\":{\"num_nodes\":\"5\"}}]},"
    "\"name\":\"gbtree\"},"
    "\"learner_model_param\":{\"base_score\":\"2.5E-1\",\"boost_from_average\":\"1\","
    "\"num_class\":\"0\",\"num_feature\":\"2\",\"num_target\":\"1\"},"
    "\"objective\":{\"name\":\"binary:logistic\",\"reg_loss_param\":{\"scale_pos_weight\":\"1\"}}},"
    "\"version\":[1,7,4]}";

static tree_model_t *load_ok(const char *json)
{
    tree_model_t *m = NULL;
    ferr_t e = {0};
    int rc = tree_model_load_json(json, strlen(json), &m, &e);
    if (rc)
        fail_msg("load: %s", ferr_msg(&e));
    return m;
}

static float expect_margin(float a, float b, float thr0)
{
    float base = -logf(1.0f / 0.25f - 1.0f);
    float t0 = isnan(a) || a < thr0 ? -0.25f : 0.75f;
    float t1 = (!isnan(b) && b < -1.0f) ? ((isnan(a) || a < 2.0f) ? 0.125f : 0.5f)
                                        : -0.375f;
    return base + t0 + t1;
}

static char *mutate(const char *from, const char *to);

/* TINY (with tree 0's threshold thr0) against expect_margin on every pair
 * of awkward values, through each layout: as loaded, packed in both node
 * orders, compact only. */
static void check_tiny_layouts(tree_model_t *m, float thr0)
{
    /* signed zeros and the smallest subnormals: the packed layout compares
     * integer keys of floats, which must order them as float compares do */
    const float vals[] = {NAN, -5.0f, -1.0f, 0.4999f, 0.5f, 1.0f, 2.0f, 3.0f,
                          INFINITY, -INFINITY, 0.0f, -0.0f, 1e-45f, -1e-45f,
                          FLT_MAX, -FLT_MAX};
    size_t nv = sizeof(vals) / sizeof(vals[0]);
    for (int layout = 0; layout < 3; layout++) {
        if (layout == 1)
            assert_int_equal(tree__build_packed(m, 1, TREE_ORDER_BFS, NULL), 0);
        if (layout == 2) {
            assert_int_equal(tree__build_packed(m, 0, TREE_ORDER_BFS, NULL), 0);
            assert_int_equal(tree__build_perfect(m, 0, NULL), 0);
        }
        for (size_t i = 0; i < nv; i++)
            for (size_t j = 0; j < nv; j++) {
                float x[2] = {vals[i], vals[j]};
                float mg = expect_margin(x[0], x[1], thr0);
                float p = 1.0f / (1.0f + expf(-mg));
                double out[2];
                assert_true(tree_predict_margin(m, x) == (double)mg);
                assert_true(tree_predict_row(m, x) == (double)p);
                assert_true(tree__margin_compact(m, x) == mg);
                assert_int_equal(tree_predict_batch_ex(m, x, 1, 2,
                                 TREE_OUT_MARGIN, out, 1, NULL), 0);
                assert_true(out[0] == (double)mg);
            }
    }
}

static void test_tiny_model(void **state)
{
    (void)state;
    tree_model_t *m = load_ok(TINY);
    assert_int_equal(tree_model_num_features(m), 2);
    assert_int_equal(tree_model_num_trees(m), 2);
    assert_int_equal(tree_model_max_depth(m), 2);
    assert_string_equal(tree_model_objective(m), "binary:logistic");
    assert_string_equal(tree_model_feature_name(m, 1), "b");
    assert_string_equal(tree_model_feature_type(m, 1), "int");
    assert_null(tree_model_feature_name(m, 2));
    assert_int_equal(tree_model_feature_index(m, "b"), 1);
    assert_int_equal(tree_model_feature_index(m, "zz"), -1);
    assert_true(tree_model_base_score(m) == 0.25);

    check_tiny_layouts(m, 0.5f);
    tree_model_unref(m);
}

/* A threshold below every float (1e39 is -inf as a float): XGBoost sends
 * every value right and a missing one by its default (left).  The perfect
 * layout cannot express it and is not built; the packed one must be. */
static void test_infinite_threshold(void **state)
{
    (void)state;
    char *json = mutate("\"split_conditions\":[0.5,", "\"split_conditions\":[-1e39,");
    tree_model_t *m = load_ok(json);
    assert_null(m->pnodes);
    assert_non_null(m->knodes);
    check_tiny_layouts(m, -INFINITY);
    tree_model_unref(m);
    free(json);
}

/* Thresholds at the float edges the packed layout's integer keys must get
 * right: +0 and -0 (equal as floats: -0 at threshold 0 goes right), the
 * smallest subnormals, the largest finite floats. */
static void test_edge_thresholds(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        float thr;
    } edges[] = {{"0.0,", 0.0f},         {"-0.0,", -0.0f},
                 {"1e-45,", 1e-45f},     {"-1e-45,", -1e-45f},
                 {"3.4028234663852886e38,", FLT_MAX},
                 {"-3.4028234663852886e38,", -FLT_MAX}};
    for (size_t k = 0; k < sizeof(edges) / sizeof(edges[0]); k++) {
        char to[64];
        snprintf(to, sizeof(to), "\"split_conditions\":[%s", edges[k].text);
        char *json = mutate("\"split_conditions\":[0.5,", to);
        tree_model_t *m = load_ok(json);
        assert_non_null(m->knodes);
        check_tiny_layouts(m, edges[k].thr);
        tree_model_unref(m);
        free(json);
    }
}

/* Replace the first occurrence of `from` in TINY by `to`. */
static char *mutate(const char *from, const char *to)
{
    const char *at = strstr(TINY, from);
    assert_non_null(at);
    size_t n = strlen(TINY) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - TINY), TINY, to, at + strlen(from));
    return s;
}

static void test_load_errors(void **state)
{
    (void)state;
    static const struct {
        const char *from, *to;
        int code;
        const char *msg;
    } cases[] = {
        {"\"split_indices\":[0,0,0]", "\"split_indices\":\"x\"", FERR_PARSE,
         "learner.gradient_booster.model.trees[0].split_indices: expected array, found string"},
        {"\"split_indices\":[1,0,0,0,0]", "\"split_indices\":[7,0,0,0,0]", FERR_CORRUPT,
         "trees[1].split_indices[0]: feature 7, model has 2 features"},
        {"\"left_children\":[1,3,-1,-1,-1]", "\"left_children\":[1,0,-1,-1,-1]",
         FERR_CORRUPT, "trees[1]: node 1: children 0, 4 out of range"},
        {"\"left_children\":[1,3,-1,-1,-1]", "\"left_children\":[1,2,-1,-1,-1]",
         FERR_CORRUPT, "reached twice"},
        {"\"split_type\":[0,0,0]", "\"split_type\":[1,0,0]", FERR_UNSUPPORTED,
         "trees[0].split_type[0]: categorical splits are not supported"},
        {"\"name\":\"gbtree\"", "\"name\":\"dart\"", FERR_UNSUPPORTED,
         "learner.gradient_booster.name: 'dart' is not supported"},
        {"\"num_class\":\"0\"", "\"num_class\":\"3\"", FERR_UNSUPPORTED,
         "only single-output models"},
        {"binary:logistic", "multi:softprob", FERR_UNSUPPORTED,
         "learner.objective.name: 'multi:softprob' is not supported"},
        {"\"num_nodes\":\"3\"", "\"num_nodes\":\"4\"", FERR_PARSE,
         "trees[0].left_children: expected 4 elements, found 3"},
        {"\"base_score\":\"2.5E-1\"", "\"base_score\":\"1.5\"", FERR_RANGE,
         "base_score: 1.5 is not in (0,1)"},
        {"\"base_score\":\"2.5E-1\"", "\"base_score\":\"abc\"", FERR_PARSE,
         "learner.learner_model_param.base_score: expected a number"},
        {"\"feature_names\":[\"a\",\"b\"]", "\"feature_names\":[\"a\"]", FERR_PARSE,
         "learner.feature_names: 1 names for 2 features"},
        {"\"tree_info\":[0,0]", "\"tree_info\":[0,1]", FERR_UNSUPPORTED,
         "tree_info[1]: output group other than 0"},
        {"\"default_left\":[1,0,0]", "\"default_left\":[2,0,0]", FERR_PARSE,
         "trees[0].default_left[0]: expected 0 or 1"},
        {"\"split_conditions\":[0.5,", "\"split_conditions\":[\"x\",", FERR_PARSE,
         "trees[0].split_conditions[0]: expected number, found string"},
        {"\"num_feature\":\"2\",\"num_target\"", "\"num_feature\":\"-2\",\"num_target\"",
         FERR_PARSE, "num_feature: expected a non-negative integer"},
        {"\"tree_info\":[0,0],\"trees\":[", "\"tree_info\":[0,0,0],\"trees\":[7,", FERR_PARSE,
         "learner.gradient_booster.model.trees[0]: expected object, found integer"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = mutate(cases[i].from, cases[i].to);
        tree_model_t *m = (tree_model_t *)1;
        ferr_t e = {0};
        int rc = tree_model_load_json(s, strlen(s), &m, &e);
        if (rc != cases[i].code || !strstr(ferr_msg(&e), cases[i].msg))
            fail_msg("case %zu: rc %d, message '%s'", i, rc, ferr_msg(&e));
        assert_null(m);
        free(s);
    }
    /* every truncation of a valid model is an error, never a crash */
    size_t n = strlen(TINY);
    for (size_t k = 0; k < n; k++) {
        tree_model_t *m;
        ferr_t e = {0};
        assert_int_not_equal(tree_model_load_json(TINY, k, &m, &e), 0);
        assert_true(e.msg[0] != '\0');
    }
    tree_model_t *m;
    ferr_t e = {0};
    assert_int_equal(tree_model_load_file("/nonexistent/m.json", &m, &e), FERR_NOTFOUND);
    assert_non_null(strstr(ferr_msg(&e), "/nonexistent/m.json"));
}

static void *predict_thread(void *arg)
{
    tree_model_t *m = arg;
    float x[2] = {0.1f, -2.0f};
    for (int i = 0; i < 10000; i++)
        if (tree_predict_margin(m, x) != (double)expect_margin(x[0], x[1], 0.5f))
            abort();
    tree_model_unref(m);
    return NULL;
}

static void test_refcount_threads(void **state)
{
    (void)state;
    tree_model_t *m = load_ok(TINY);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, predict_thread, tree_model_ref(m)), 0);
    tree_model_unref(m); /* the "swap": threads still hold theirs */
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    tree_model_unref(NULL);
}

/* Hot reload: readers score through whatever model a refslot holds while
 * a writer keeps installing freshly loaded ones (two versions that disagree
 * on the test row).  Every score must be one of the two versions' exact
 * margins, and under ASan a reference dropped too early is a
 * use-after-free. */
typedef struct {
    refslot_t *slot;
    double want[2];
    long seen[2];
    atomic_int *stop;
} swap_reader_t;

static void *slot_model_ref(void *p) { return tree_model_ref(p); }
static void slot_model_unref(void *p) { tree_model_unref(p); }

static void *swap_reader(void *arg)
{
    swap_reader_t *r = arg;
    const float x[2] = {0.4f, -2.0f};
    while (!atomic_load(r->stop)) {
        tree_model_t *m = refslot_get(r->slot);
        double v = tree_predict_margin(m, x);
        if (v == r->want[0])
            r->seen[0]++;
        else if (v == r->want[1])
            r->seen[1]++;
        else
            abort();
        tree_model_unref(m);
    }
    return NULL;
}

static void test_hot_swap(void **state)
{
    (void)state;
    char *json_b = mutate("\"split_conditions\":[0.5,", "\"split_conditions\":[0.3,");
    const char *json[2] = {TINY, json_b};
    refslot_t slot;
    atomic_int stop = 0;
    swap_reader_t r[4];
    pthread_t t[4];
    refslot_init(&slot, slot_model_ref, slot_model_unref);
    refslot_set(&slot, load_ok(TINY));
    for (int i = 0; i < 4; i++) {
        r[i] = (swap_reader_t){&slot, {expect_margin(0.4f, -2.0f, 0.5f),
                                       expect_margin(0.4f, -2.0f, 0.3f)},
                               {0, 0}, &stop};
        assert_int_equal(pthread_create(&t[i], NULL, swap_reader, &r[i]), 0);
    }
    assert_true(r[0].want[0] != r[0].want[1]);
    for (int k = 0; k < 2000; k++)
        refslot_set(&slot, load_ok(json[k % 2 == 0])); /* b, a, b, ... */
    atomic_store(&stop, 1);
    long total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += r[i].seen[0] + r[i].seen[1];
    }
    assert_true(total > 0);
    refslot_destroy(&slot);
    free(json_b);
}

#define XCHECK(call) assert_int_equal((call), 0)

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static float rnd_value(uint64_t *s, double missing)
{
    double u = (double)(rnd(s) >> 11) / 9007199254740992.0;
    if (u < missing)
        return NAN;
    return (float)(((double)(rnd(s) >> 11) / 9007199254740992.0) * 6.0 - 3.0);
}

static void xgb_predict(BoosterHandle b, const float *X, size_t n, size_t nf,
                        int margin, float *out)
{
    char arr[256], cfg[256];
    const bst_ulong *shape;
    bst_ulong dim;
    const float *res;
    snprintf(arr, sizeof(arr),
             "{\"data\":[%llu,true],\"shape\":[%zu,%zu],\"typestr\":\"<f4\",\"version\":3}",
             (unsigned long long)(uintptr_t)X, n, nf);
    snprintf(cfg, sizeof(cfg),
             "{\"type\":%d,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
             "\"strict_shape\":false,\"cache_id\":0,\"missing\":NaN}", margin);
    XCHECK(XGBoosterPredictFromDense(b, arr, cfg, NULL, &shape, &dim, &res));
    memcpy(out, res, n * sizeof(float));
}

/* Train through XGBoost's C API, then compare everything on 100,000 rows. */
static void diff_objective(const char *objective, const char *depth, int rounds)
{
    enum { NF = 7, NTRAIN = 2000, NTEST = 100000 };
    uint64_t s = 99;
    float *X = malloc(sizeof(float) * NTRAIN * NF), y[NTRAIN];
    for (size_t i = 0; i < NTRAIN; i++) {
        for (size_t f = 0; f < NF; f++)
            X[i * NF + f] = rnd_value(&s, 0.2);
        float a = isnan(X[i * NF]) ? 1.0f : X[i * NF];
        float b = isnan(X[i * NF + 1]) ? -1.0f : X[i * NF + 1];
        float v = a * b + sinf(2 * (isnan(X[i * NF + 2]) ? 0 : X[i * NF + 2]));
        y[i] = strcmp(objective, "reg:squarederror") == 0 ? v : (v > 0.2f);
    }
    DMatrixHandle d;
    BoosterHandle b;
    XCHECK(XGDMatrixCreateFromMat(X, NTRAIN, NF, NAN, &d));
    XCHECK(XGDMatrixSetFloatInfo(d, "label", y, NTRAIN));
    XCHECK(XGBoosterCreate(&d, 1, &b));
    XCHECK(XGBoosterSetParam(b, "objective", objective));
    XCHECK(XGBoosterSetParam(b, "max_depth", depth));
    XCHECK(XGBoosterSetParam(b, "tree_method", "hist"));
    XCHECK(XGBoosterSetParam(b, "nthread", "2"));
    XCHECK(XGBoosterSetParam(b, "base_score", "0.35"));
    for (int i = 0; i < rounds; i++)
        XCHECK(XGBoosterUpdateOneIter(b, i, d));
    bst_ulong len;
    const char *json;
    XCHECK(XGBoosterSaveModelToBuffer(b, "{\"format\":\"json\"}", &len, &json));
    tree_model_t *m;
    ferr_t e = {0};
    if (tree_model_load_json(json, len, &m, &e))
        fail_msg("%s", ferr_msg(&e));
    assert_int_equal(tree_model_num_features(m), NF);
    assert_int_equal(tree_model_num_trees(m), rounds);

    /* rows at stride NF+3 for ferry's batch; dense copy for XGBoost */
    const size_t stride = NF + 3;
    float *T = malloc(sizeof(float) * NTEST * stride);
    float *D = malloc(sizeof(float) * NTEST * NF);
    for (size_t i = 0; i < NTEST; i++)
        for (size_t f = 0; f < stride; f++) {
            float v = f < NF ? rnd_value(&s, 0.1) : 1e30f;
            T[i * stride + f] = v;
            if (f < NF)
                D[i * NF + f] = v;
        }
    float *xv = malloc(sizeof(float) * NTEST), *xm = malloc(sizeof(float) * NTEST);
    double *fb = malloc(sizeof(double) * NTEST), *fbm = malloc(sizeof(double) * NTEST);
    xgb_predict(b, D, NTEST, NF, 0, xv);
    xgb_predict(b, D, NTEST, NF, 1, xm);
    size_t bad = 0;
    /* every model here fits the packed layout; it must have been built */
    assert_non_null(m->knodes);
    for (int layout = 0; layout < 4; layout++) {
        /* 0: as loaded (packed rows, perfect batches when small enough);
         * 1: packed batches too; 2: packed in breadth-first order;
         * 3: compact only */
        if (layout == 1)
            assert_int_equal(tree__build_perfect(m, 0, NULL), 0);
        if (layout == 2)
            assert_int_equal(tree__build_packed(m, 1, TREE_ORDER_BFS, NULL), 0);
        if (layout == 3)
            assert_int_equal(tree__build_packed(m, 0, TREE_ORDER_BFS, NULL), 0);
        assert_true(layout == 3 ? m->knodes == NULL : m->knodes != NULL);
        for (size_t i = 0; i < NTEST; i++) {
            double v = tree_predict_row(m, T + i * stride);
            double mg = tree_predict_margin(m, T + i * stride);
            bad += v != (double)xv[i] || mg != (double)xm[i];
        }
        const int threads[] = {1, 2, 3, 0};
        for (size_t k = 0; k < 4; k++) {
            size_t n = NTEST - k * 17; /* ragged tails */
            XCHECK(tree_predict_batch(m, T, n, stride, fb, threads[k]));
            XCHECK(tree_predict_batch_ex(m, T, n, stride, TREE_OUT_MARGIN, fbm,
                                         threads[k], NULL));
            for (size_t i = 0; i < n; i++)
                bad += fb[i] != (double)xv[i] || fbm[i] != (double)xm[i];
        }
    }
    if (bad)
        fail_msg("%s depth %s: %zu predictions differ from XGBoost", objective,
                 depth, bad);
    assert_int_equal(tree_predict_batch_ex(m, T, 10, NF - 1, TREE_OUT_VALUE, fb,
                                           1, &e), FERR_USAGE);
    tree_model_unref(m);
    XGBoosterFree(b);
    XGDMatrixFree(d);
    free(X);
    free(T);
    free(D);
    free(xv);
    free(xm);
    free(fb);
    free(fbm);
}

static void test_vs_xgboost_logistic(void **state)
{
    (void)state;
    diff_objective("binary:logistic", "6", 40);
}

static void test_vs_xgboost_regression(void **state)
{
    (void)state;
    diff_objective("reg:squarederror", "4", 30);
}

static void test_vs_xgboost_deep(void **state)
{
    (void)state;
    diff_objective("reg:logistic", "12", 10); /* above the perfect layout */
}

/* Append to a growing string (the test's JSON builder). */
static void jcat(char **s, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(*s + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return;
        }
        *cap *= 2;
        *s = realloc(*s, *cap);
    }
}

/* One complete tree of the given depth on feature 0 (XGBoost numbering,
 * children 2n+1 and 2n+2): leaf k covers [k, k+1) and holds k, a missing
 * value goes left, base_score 0, so the margin of x is floor(x) on
 * [0, 2^depth) and 0 for NaN. */
static char *complete_tree_json(int depth)
{
    size_t n = ((size_t)2 << depth) - 1, ni = n / 2, len = 0, cap = 1 << 16;
    char *s = malloc(cap);
    static const char *const keys[] = {"left_children", "right_children",
                                       "split_indices", "split_conditions",
                                       "default_left"};
    jcat(&s, &len, &cap, "{\"learner\":{\"gradient_booster\":{\"name\":\"gbtree\","
         "\"model\":{\"tree_info\":[0],\"trees\":[{\"tree_param\":"
         "{\"num_nodes\":\"%zu\"}", n);
    for (int k = 0; k < 5; k++) {
        jcat(&s, &len, &cap, ",\"%s\":[", keys[k]);
        for (size_t i = 0; i < n; i++) {
            const char *sep = i + 1 < n ? "," : "]";
            int leaf = i >= ni;
            /* node i at level d spans [lo, lo + w); split at its middle */
            size_t d = 0, pos = i + 1;
            while (pos >> (d + 1))
                d++;
            size_t w = (size_t)1 << (depth - d), lo = (pos - ((size_t)1 << d)) * w;
            if (k == 0)
                jcat(&s, &len, &cap, "%lld%s", leaf ? -1LL : (long long)(2 * i + 1), sep);
            else if (k == 1)
                jcat(&s, &len, &cap, "%lld%s", leaf ? -1LL : (long long)(2 * i + 2), sep);
            else if (k == 2 || k == 4)
                jcat(&s, &len, &cap, "%d%s", k == 4 && !leaf, sep);
            else
                jcat(&s, &len, &cap, "%zu%s", leaf ? lo : lo + w / 2, sep);
        }
    }
    jcat(&s, &len, &cap, "}]}},\"learner_model_param\":{\"base_score\":\"0\","
         "\"num_feature\":\"1\"},\"objective\":{\"name\":\"reg:squarederror\"}}}");
    return s;
}

/* The packed layout's 16-bit child offsets: a depth-14 tree fits, a
 * depth-16 one (131,071 nodes) does not and the compact layout serves;
 * both predict floor(x). */
static void test_wide_trees(void **state)
{
    (void)state;
    const int depths[] = {14, 16};
    for (int k = 0; k < 2; k++) {
        char *json = complete_tree_json(depths[k]);
        tree_model_t *m = load_ok(json);
        free(json);
        assert_true(depths[k] == 14 ? m->knodes != NULL : m->knodes == NULL);
        assert_int_equal(tree_model_max_depth(m), depths[k]);
        float top = (float)(1u << depths[k]);
        const float xs[] = {0.0f, 0.5f, 1.0f, 77.25f, top / 2 - 0.5f, top / 2,
                            top - 1.0f, top + 5.0f, -3.0f, NAN};
        for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
            float x = xs[i];
            float want = isnan(x) || x < 0 ? 0.0f : x >= top ? top - 1 : floorf(x);
            if (tree_predict_margin(m, &x) != (double)want)
                fail_msg("depth %d, x=%g: %g, want %g", depths[k], x,
                         tree_predict_margin(m, &x), want);
        }
        tree_model_unref(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_model),
        cmocka_unit_test(test_infinite_threshold),
        cmocka_unit_test(test_edge_thresholds),
        cmocka_unit_test(test_wide_trees),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_refcount_threads),
        cmocka_unit_test(test_hot_swap),
        cmocka_unit_test(test_vs_xgboost_logistic),
        cmocka_unit_test(test_vs_xgboost_regression),
        cmocka_unit_test(test_vs_xgboost_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_pipeline.c - the feature pipeline's cache of compiled expressions
 * (feat_exprs_t): runs through a shared cache give exactly what uncached
 * runs give, on the cached schema, after a column changes type (the cache
 * must not be used then), and from several threads sharing one fresh cache
 * (the first runs race to publish; ASan in CI catches a double free or a
 * use after free).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "features/pipeline.h"
#include "project/project.h"

static const char *SPEC =
    "name: cache\n"
    "sources:\n"
    "  s:\n"
    "    path: s.csv\n"
    "    columns:\n"
    "      id: int\n"
    "      x: float\n"
    "      y: int\n"
    "features:\n"
    "  - name: a\n"
    "    expr: x * 2 + y\n"
    "  - name: b\n"
    "    expr: if(y > 3, x / (y - 5), 0)\n"
    "  - name: c\n"
    "    expr: a - b\n";

static project_t *load_spec(void)
{
    project_t *p = NULL;
    ferr_t e = {0};
    if (project_load_mem("cache.yaml", SPEC, strlen(SPEC), "/tmp", NULL, 0,
                         &p, &e))
        fail_msg("%s", ferr_msg(&e));
    return p;
}

/* id 0..n-1, x = i * 0.37 - 5, y = i % 9 (as float when y_float). */
static table_t *source(size_t n, bool y_float)
{
    table_t *t = table_new();
    column_t *id = col_new("id", FT_INT, n), *x = col_new("x", FT_FLOAT, n);
    column_t *y = col_new("y", y_float ? FT_FLOAT : FT_INT, n);
    for (size_t i = 0; i < n; i++) {
        id->i64[i] = (int64_t)i;
        x->f64[i] = (double)i * 0.37 - 5.0;
        if (y_float)
            y->f64[i] = (double)(i % 9) + 0.5;
        else
            y->i64[i] = (int64_t)(i % 9);
    }
    assert_int_equal(table_add(t, id, NULL), 0);
    assert_int_equal(table_add(t, x, NULL), 0);
    assert_int_equal(table_add(t, y, NULL), 0);
    t->nrows = n;
    return t;
}

static table_t *run(const project_t *p, feat_exprs_t *cache, table_t *src)
{
    feat_schema_t s = {0};
    table_t *out = NULL;
    ferr_t e = {0};
    s.vocabularies = NULL;
    if (feat_run_cached(p, cache, &src, FEAT_APPLY, &s, &out, &e))
        fail_msg("%s", ferr_msg(&e));
    return out;
}

/* Features a, b, c of two tables equal bit for bit (nulls included). */
static bool same_features(const table_t *u, const table_t *v)
{
    const char *names[] = {"a", "b", "c"};
    for (size_t k = 0; k < 3; k++) {
        const column_t *cu = table_find(u, names[k]), *cv = table_find(v, names[k]);
        if (!cu || !cv || cu->type != cv->type || cu->n != cv->n)
            return false;
        for (size_t i = 0; i < cu->n; i++) {
            bool nu = cu->null && cu->null[i], nv = cv->null && cv->null[i];
            if (nu != nv)
                return false;
            if (!nu && cu->type == FT_FLOAT &&
                memcmp(&cu->f64[i], &cv->f64[i], sizeof(double)) != 0)
                return false;
            if (!nu && cu->type == FT_INT && cu->i64[i] != cv->i64[i])
                return false;
        }
    }
    return true;
}

static void test_cached_equals_uncached(void **state)
{
    (void)state;
    project_t *p = load_spec();
    feat_exprs_t *cache = feat_exprs_new(p);
    table_t *src = source(1000, false), *one = source(1, false);
    table_t *ref = run(p, NULL, src), *ref1 = run(p, NULL, one);
    for (int k = 0; k < 3; k++) { /* compile, then reuse twice */
        table_t *got = run(p, cache, src), *got1 = run(p, cache, one);
        assert_true(same_features(ref, got));
        assert_true(same_features(ref1, got1));
        table_free(got);
        table_free(got1);
    }
    /* y becomes float: the cached int-typed expressions must not serve */
    table_t *fsrc = source(500, true);
    table_t *fref = run(p, NULL, fsrc), *fgot = run(p, cache, fsrc);
    assert_true(same_features(fref, fgot));
    assert_int_equal(table_find(fgot, "a")->type, FT_FLOAT);
    /* and the int schema still gets its exact results afterwards */
    table_t *again = run(p, cache, src);
    assert_true(same_features(ref, again));
    table_free(again);
    table_free(fref);
    table_free(fgot);
    table_free(fsrc);
    table_free(ref);
    table_free(ref1);
    table_free(src);
    table_free(one);
    feat_exprs_free(cache);
    project_free(p);
}

typedef struct {
    const project_t *p;
    feat_exprs_t *cache;
    const table_t *ref;
    int bad;
} racer_t;

static void *racer(void *arg)
{
    racer_t *r = arg;
    for (int k = 0; k < 200; k++) {
        table_t *src = source(64, false);
        feat_schema_t s = {0};
        table_t *out = NULL;
        ferr_t e = {0};
        if (feat_run_cached(r->p, r->cache, &src, FEAT_APPLY, &s, &out, &e) ||
            !same_features(r->ref, out))
            r->bad++;
        table_free(out);
        table_free(src);
    }
    return NULL;
}

static void test_threads_share_a_fresh_cache(void **state)
{
    (void)state;
    project_t *p = load_spec();
    table_t *src = source(64, false), *ref = run(p, NULL, src);
    for (int round = 0; round < 20; round++) {
        feat_exprs_t *cache = feat_exprs_new(p); /* empty: the runs race */
        racer_t r[4];
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
            r[i] = (racer_t){p, cache, ref, 0};
            assert_int_equal(pthread_create(&t[i], NULL, racer, &r[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(t[i], NULL);
            assert_int_equal(r[i].bad, 0);
        }
        feat_exprs_free(cache);
    }
    table_free(ref);
    table_free(src);
    project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cached_equals_uncached),
        cmocka_unit_test(test_threads_share_a_fresh_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_record_history.c - a scoring context's history (record.h): window
 * features of a record come from its entity's stored events (none for a
 * new entity; a record with no store is refused), events appended in the
 * context are seen by the next record of the same entity (features push),
 * an equal event is a duplicate and an older one is refused, and a new
 * store renamed over the file is picked up within the refresh interval
 * (the context caches the histories it read until then).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "features/record.h"
#include "project/project.h"
#include "store/online.h"

static const char *SPEC =
    "name: hist\n"
    "sources:\n"
    "  s:\n"
    "    path: s.csv\n"
    "    entity: id\n"
    "    timestamp: day\n"
    "    columns:\n"
    "      id: int\n"
    "      day: int\n"
    "      amount: float\n"
    "features:\n"
    "  - name: n_before\n"
    "    window: count\n"
    "  - name: mean_before\n"
    "    window: mean\n"
    "    of: amount\n";

static char dir[64];

/* A store whose history holds, for id 7, the events (day, amount) given. */
static void store(const char *path, const int64_t *days, const double *amt,
                  size_t n)
{
    table_t *ev = table_new(), *latest = table_new();
    column_t *k = col_new("key", FT_STRING, n), *d = col_new("day", FT_INT, n),
             *a = col_new("amount", FT_FLOAT, n);
    column_t *lid = col_new("id", FT_INT, 1), *lv = col_new("v", FT_INT, 1);
    online_history_in_t h = {ev, "id"};
    online_build_t *b;
    ferr_t e = {0};
    for (size_t i = 0; i < n; i++) {
        col_str_append(k, i, "7", 1);
        d->i64[i] = days[i];
        a->f64[i] = amt[i];
    }
    table_add(ev, k, NULL);
    table_add(ev, d, NULL);
    table_add(ev, a, NULL);
    lid->i64[0] = 7;
    table_add(latest, lid, NULL);
    table_add(latest, lv, NULL);
    if (online_prepare_with_history(latest, "id", NULL, &h, path, NULL, &b,
                                    &e) || online_publish(b, &e))
        fail_msg("%s", ferr_msg(&e));
    table_free(ev);
    table_free(latest);
}

typedef struct fx {
    project_t *p;
    rec_plan_t *pl;
    rec_ctx_t *cx;
    char path[128];
} fx_t;

static void fx_open(fx_t *f, const char *store_name)
{
    const char *feats[] = {"n_before", "mean_before"};
    ferr_t e = {0};
    memset(f, 0, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "%s/%s", dir, store_name);
    if (project_load_mem("hist.yaml", SPEC, strlen(SPEC), "/tmp", NULL, 0,
                         &f->p, &e) ||
        rec_plan_new(f->p, NULL, NULL, feats, 2, NULL, &f->pl, &e) ||
        rec_ctx_new(f->pl, f->path, &f->cx, &e))
        fail_msg("%s", ferr_msg(&e));
}

static void fx_close(fx_t *f)
{
    rec_ctx_free(f->cx);
    rec_plan_free(f->pl);
    project_free(f->p);
}

/* Score (id, day, amount); x[0] count, x[1] mean. */
static int score(fx_t *f, const char *id, const char *day, const char *amt,
                 float *x, ferr_t *e)
{
    str_t v[3] = {str_from(id), str_from(day), str_from(amt)};
    return rec_eval(f->cx, v, x, e);
}

static void test_history_windows(void **state)
{
    const int64_t days[] = {1, 3, 3, 9};
    const double amt[] = {10, 20, 30, 40};
    fx_t f;
    float x[2];
    ferr_t e = {0};
    (void)state;
    fx_open(&f, "a.db");
    /* no store yet: refused, never scored without history */
    assert_int_equal(score(&f, "7", "10", "1", x, &e), FERR_NOTFOUND);
    assert_non_null(strstr(ferr_msg(&e), "window features need the entity's "
                                         "history"));
    fx_close(&f);

    store(f.path, days, amt, 4);
    fx_open(&f, "a.db");
    assert_true(rec_plan_needs_history(f.pl));
    assert_string_equal(rec_plan_history_by(f.pl), "id");
    /* after every event */
    assert_int_equal(score(&f, "7", "10", "5", x, &e), FERR_OK);
    assert_true(x[0] == 4.0f && x[1] == 25.0f);
    /* as of day 3: the events at or before it (ties came earlier) */
    assert_int_equal(score(&f, "7", "3", "5", x, &e), FERR_OK);
    assert_true(x[0] == 3.0f && x[1] == 20.0f);
    /* before every event; a new entity: no events, a real answer */
    assert_int_equal(score(&f, "7", "0", "5", x, &e), FERR_OK);
    assert_true(x[0] == 0.0f && isnan(x[1]));
    assert_int_equal(score(&f, "8", "10", "5", x, &e), FERR_OK);
    assert_true(x[0] == 0.0f && isnan(x[1]));
    /* an empty entity cannot find its history */
    assert_int_equal(score(&f, "", "10", "5", x, &e), FERR_PARSE);
    assert_non_null(strstr(ferr_msg(&e), "field 'id': empty"));
    fx_close(&f);
}

static void test_append_and_refresh(void **state)
{
    const int64_t days[] = {1, 3};
    const double amt[] = {10, 20};
    const int64_t days2[] = {1, 3, 5, 6};
    const double amt2[] = {10, 20, 30, 40};
    fx_t f;
    float x[2];
    ferr_t e = {0};
    (void)state;
    fx_open(&f, "b.db");
    store(f.path, days, amt, 2);
    /* an event of day 4, scored then appended: the next record sees it */
    assert_int_equal(score(&f, "7", "4", "60", x, &e), FERR_OK);
    assert_true(x[0] == 2.0f && x[1] == 15.0f);
    assert_int_equal(rec_ctx_append(f.cx, &e), FERR_OK);
    assert_int_equal(score(&f, "7", "8", "1", x, &e), FERR_OK);
    assert_true(x[0] == 3.0f && x[1] == 30.0f);
    /* the same event again is a duplicate; an older one is refused */
    assert_int_equal(score(&f, "7", "4", "60", x, &e), FERR_OK);
    assert_int_equal(rec_ctx_append(f.cx, &e), FERR_EXISTS);
    assert_int_equal(score(&f, "7", "2", "5", x, &e), FERR_OK);
    assert_int_equal(rec_ctx_append(f.cx, &e), FERR_RANGE);
    assert_non_null(strstr(ferr_msg(&e), "older than the latest event"));
    {
        const table_t *ap = rec_ctx_appended(f.cx);
        assert_non_null(ap);
        assert_int_equal(ap->nrows, 1);
        assert_string_equal(ap->cols[0]->name, "key");
    }
    fx_close(&f);

    /* a new store renamed over the file reaches a context within its
     * refresh interval (1 s), not before: histories are cached */
    fx_open(&f, "b.db");
    assert_int_equal(score(&f, "7", "10", "1", x, &e), FERR_OK);
    assert_true(x[0] == 2.0f);
    store(f.path, days2, amt2, 4);
    assert_int_equal(score(&f, "7", "10", "1", x, &e), FERR_OK);
    assert_true(x[0] == 2.0f); /* cached, still the store it opened */
    usleep(1300 * 1000);
    assert_int_equal(score(&f, "7", "10", "1", x, &e), FERR_OK);
    assert_true(x[0] == 4.0f && x[1] == 25.0f);
    fx_close(&f);
}

/* The plan's duplicate rule is the store's: -0.0 is 0.0 (and a NaN is a
 * null), so an event the store would count as held is not appended. */
static void test_duplicate_as_stored(void **state)
{
    const int64_t days[] = {1};
    const double amt[] = {0.0};
    fx_t f;
    float x[2];
    ferr_t e = {0};
    (void)state;
    fx_open(&f, "c.db");
    store(f.path, days, amt, 1);
    assert_int_equal(score(&f, "7", "1", "-0.0", x, &e), FERR_OK);
    assert_int_equal(rec_ctx_append(f.cx, &e), FERR_EXISTS);
    assert_int_equal(score(&f, "7", "1", "0.5", x, &e), FERR_OK);
    assert_int_equal(rec_ctx_append(f.cx, &e), FERR_OK);
    fx_close(&f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ferry_rechist_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_windows),
        cmocka_unit_test(test_append_and_refresh),
        cmocka_unit_test(test_duplicate_as_stored),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

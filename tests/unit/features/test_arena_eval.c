/*
 * test_arena_eval.c - featurizing one record inside a per-request arena
 * makes no malloc (issue 11: "a record runs from a per-request arena with
 * no other allocation").
 *
 * The record path is what a scoring plan runs per record: the record's
 * fields parsed into a one-row table, compiled expressions evaluated over
 * it, a one-hot applied, and window features computed over the entity's
 * earlier events plus the record (a 20-row table).  Everything is built
 * inside the arena, freed with the module's own free functions (xfree: no
 * effect there) and forgotten by mem_arena_reset.
 *
 * Calls are counted by interposing malloc, calloc, realloc and free in
 * this binary and forwarding them to glibc's __libc_* entry points.  Under
 * AddressSanitizer, whose allocator owns those symbols, nothing is
 * interposed: the same record path still runs (so ASan checks every xfree,
 * the arena's poisoning and the results), only the count is skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"
#include "data/parse.h"
#include "data/table.h"
#include "features/expr.h"
#include "features/onehot.h"
#include "features/window.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

static bool counting;
static size_t n_alloc, n_free;

#ifndef TEST_ASAN
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

void *malloc(size_t n)
{
    n_alloc += counting;
    return __libc_malloc(n);
}

void *calloc(size_t count, size_t size)
{
    n_alloc += counting;
    return __libc_calloc(count, size);
}

void *realloc(void *p, size_t n)
{
    n_alloc += counting;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    n_free += counting && p != NULL;
    __libc_free(p);
}
#endif

#define NHIST 20

static const char *const exprs[] = {
    "if(job_start_date = date '3021-09-18', null, "
    "years_between(job_start_date, loan_date))",
    "case when hour(ts) between 5 and 11 then 'morning' else 'night' end",
    "years_between(birthday, loan_date)",
    "if(flag_own_car = 'N', 0, 1)",
};
#define NEXPR (sizeof(exprs) / sizeof(*exprs))

/* What a scoring plan holds, built once outside any arena. */
typedef struct {
    expr_t *x[NEXPR];
    onehot_t *oh;
} plan_t;

/* One raw record, as text. */
typedef struct {
    const char *birthday, *job_start_date, *loan_date, *ts, *flag;
    double amount;
} rec_t;

/* What the record's features came to, checked after the arena is gone. */
typedef struct {
    double years_on_job, age, flag01;
    bool job_null, morning;
    int64_t onehot_n, onehot_y;
    int64_t nb_previous;
    double avg_previous, avg_last3, lag1;
    bool ok;
} result_t;

static table_t *record_table(const rec_t *r)
{
    table_t *t = table_new();
    const char *dates[] = {"birthday", "job_start_date", "loan_date"};
    const char *vals[] = {r->birthday, r->job_start_date, r->loan_date};
    for (int k = 0; k < 3; k++) {
        column_t *c = col_new(dates[k], FT_DATE, 1);
        if (parse_date(str_from(vals[k]), NULL, &c->i64[0]) != 0)
            col_set_null(c, 0);
        table_add(t, c, NULL);
    }
    column_t *ts = col_new("ts", FT_DATETIME, 1);
    if (parse_datetime(str_from(r->ts), NULL, &ts->i64[0]) != 0)
        col_set_null(ts, 0);
    table_add(t, ts, NULL);
    column_t *f = col_new("flag_own_car", FT_CATEGORY, 1);
    f->code[0] = dict_intern(f->dict, r->flag, strlen(r->flag));
    table_add(t, f, NULL);
    return t;
}

/* The entity's 19 earlier events and the record (row 19). */
static table_t *history_table(const rec_t *r)
{
    table_t *t = table_new();
    column_t *id = col_new("id", FT_INT, NHIST);
    column_t *day = col_new("loan_date", FT_DATE, NHIST);
    column_t *amt = col_new("loan_amount", FT_FLOAT, NHIST);
    column_t *flag = col_new("flag_own_car", FT_CATEGORY, NHIST);
    int64_t last;
    parse_date(str_from(r->loan_date), NULL, &last);
    for (size_t i = 0; i < NHIST; i++) {
        const char *fl = i % 3 ? "Y" : "N";
        id->i64[i] = 5000049;
        day->i64[i] = last - 30 * (int64_t)(NHIST - 1 - i);
        amt->f64[i] = i + 1 < NHIST ? 100.0 * (double)(i + 1) : r->amount;
        if (i + 1 == NHIST)
            fl = r->flag;
        flag->code[i] = dict_intern(flag->dict, fl, strlen(fl));
    }
    table_add(t, id, NULL);
    table_add(t, day, NULL);
    table_add(t, amt, NULL);
    table_add(t, flag, NULL);
    return t;
}

static void featurize(const plan_t *pl, const rec_t *r, result_t *out)
{
    ferr_t e = {0};
    table_t *t = record_table(r), *h = history_table(r);
    column_t *c[NEXPR];
    out->ok = true;
    for (size_t k = 0; k < NEXPR; k++) {
        char name[16];
        snprintf(name, sizeof(name), "f%zu", k);
        if (expr_eval(pl->x[k], t, name, &c[k], &e) != FERR_OK) {
            out->ok = false;
            c[k] = NULL;
        }
    }
    if (out->ok) {
        out->job_null = col_is_null(c[0], 0);
        out->years_on_job = col_num(c[0], 0);
        out->morning = str_eq_cstr(col_str(c[1], 0), "morning");
        out->age = col_num(c[2], 0);
        out->flag01 = col_num(c[3], 0);
    }
    for (size_t k = 0; k < NEXPR; k++)
        if (c[k] && table_add(t, c[k], &e) != FERR_OK) {
            col_free(c[k]);
            out->ok = false;
        }

    /* one-hot of the history's flag column into the history table */
    if (onehot_apply(pl->oh, table_find(h, "flag_own_car"), false, FT_INT, h,
                     &e) != FERR_OK)
        out->ok = false;
    else {
        out->onehot_n = table_find(h, "flag_own_car=N")->i64[NHIST - 1];
        out->onehot_y = table_find(h, "flag_own_car=Y")->i64[NHIST - 1];
    }

    win_spec_t specs[] = {
        {.agg = WIN_COUNT, .entity = "id", .time = "loan_date"},
        {.agg = WIN_MEAN, .value = "loan_amount", .entity = "id",
         .time = "loan_date"},
        {.agg = WIN_MEAN, .value = "loan_amount", .entity = "id",
         .time = "loan_date", .frame = WIN_FRAME_ROWS, .rows = 3},
        {.agg = WIN_LAG, .lag = 1, .value = "loan_amount", .entity = "id",
         .time = "loan_date"},
        {.agg = WIN_STD, .value = "loan_amount", .entity = "id",
         .time = "loan_date", .frame = WIN_FRAME_DURATION, .duration = 90},
    };
    double got[5] = {0};
    for (size_t k = 0; k < sizeof(specs) / sizeof(*specs); k++) {
        column_t *w;
        if (win_compute(h, &specs[k], "w", &w, &e) != FERR_OK) {
            out->ok = false;
            continue;
        }
        got[k] = col_num(w, NHIST - 1);
        col_free(w);
    }
    out->nb_previous = (int64_t)got[0];
    out->avg_previous = got[1];
    out->avg_last3 = got[2];
    out->lag1 = got[3];
    table_free(t);
    table_free(h);
}

static const rec_t records[] = {
    {"1990-05-17", "3021-09-18", "2020-01-15", "2020-01-15 07:30:00", "N",
     2500.0},
    {"1985-12-31", "2012-03-01", "2021-06-30", "2021-06-30 22:05:00", "Y",
     1200.0},
    {"1970-02-28", "2019-02-28", "2023-02-28", "2023-02-28 11:59:59", "N",
     50.5},
};
#define NREC (sizeof(records) / sizeof(*records))

static void check(const rec_t *r, const result_t *res)
{
    assert_true(res->ok);
    if (strcmp(r->job_start_date, "3021-09-18") == 0)
        assert_true(res->job_null);
    else
        assert_false(res->job_null);
    if (r == &records[1]) {
        assert_true(res->years_on_job == 9.0);
        assert_false(res->morning);
    } else {
        assert_true(res->morning);
    }
    assert_true(res->age == (r == &records[0] ? 29.0
                             : r == &records[1] ? 35.0 : 53.0));
    assert_true(res->flag01 == (r->flag[0] == 'N' ? 0.0 : 1.0));
    assert_int_equal(res->onehot_n, r->flag[0] == 'N');
    assert_int_equal(res->onehot_y, r->flag[0] == 'Y');
    /* 19 earlier loans of 100, 200, ..., 1900 */
    assert_int_equal(res->nb_previous, NHIST - 1);
    assert_true(fabs(res->avg_previous - 1000.0) < 1e-9);
    assert_true(fabs(res->avg_last3 - 1800.0) < 1e-9);
    assert_true(res->lag1 == 1900.0);
}

static void plan_new(plan_t *pl)
{
    ferr_t e = {0};
    rec_t r = records[0];
    table_t *schema = record_table(&r);
    for (size_t k = 0; k < NEXPR; k++)
        if (expr_compile(exprs[k], schema, &pl->x[k], &e) != FERR_OK)
            fail_msg("%s: %s", exprs[k], ferr_msg(&e));
    const char *vocab[] = {"N", "Y"};
    assert_int_equal(onehot_from_list(vocab, 2, &pl->oh, &e), FERR_OK);
    table_free(schema);
}

static void plan_free(plan_t *pl)
{
    for (size_t k = 0; k < NEXPR; k++)
        expr_free(pl->x[k]);
    onehot_free(pl->oh);
}

/* Records scored one after another, each from the same arena reset after
 * it: after the first (which may size the arena's chunks), none mallocs. */
static void score_records(size_t chunk, size_t *heap_calls, size_t *arena_calls)
{
    plan_t pl;
    result_t res[NREC];
    mem_arena_t *a = mem_arena_new(chunk);
    plan_new(&pl);

    /* without an arena: what the record costs today */
    n_alloc = n_free = 0;
    counting = true;
    for (size_t i = 0; i < NREC; i++)
        featurize(&pl, &records[i], &res[i]);
    counting = false;
    *heap_calls = n_alloc;
    for (size_t i = 0; i < NREC; i++)
        check(&records[i], &res[i]);

    for (int round = 0; round < 3; round++) {
        n_alloc = n_free = 0;
        counting = round > 0; /* round 0 warms the arena up */
        for (size_t i = 0; i < NREC; i++) {
            mem_arena_t *prev = mem_arena_enter(a);
            featurize(&pl, &records[i], &res[i]);
            mem_arena_leave(prev);
            mem_arena_reset(a);
        }
        counting = false;
        for (size_t i = 0; i < NREC; i++)
            check(&records[i], &res[i]);
        if (round > 0) {
            *arena_calls = n_alloc;
            assert_int_equal(n_free, 0);
        }
    }
    assert_true(mem_arena_allocs(a) > 0);
    plan_free(&pl);
    mem_arena_free(a);
}

static void test_record_makes_no_malloc(void **state)
{
    (void)state;
    size_t heap_calls = 0, arena_calls = 0;
    score_records(0, &heap_calls, &arena_calls);
#ifdef TEST_ASAN
    skip(); /* ran under ASan; ASan's allocator cannot be interposed */
#else
    print_message("%zu records: %zu malloc/calloc/realloc calls on the heap, "
                  "%zu in an arena\n", NREC, heap_calls, arena_calls);
    assert_true(heap_calls > 10 * NREC); /* the interposition counts */
    assert_int_equal(arena_calls, 0);
#endif
}

/* A first chunk too small for one record: the warm-up grows the arena, the
 * reset keeps the chunks, and the steady state still makes no malloc. */
static void test_small_chunks_steady_state(void **state)
{
    (void)state;
    size_t heap_calls = 0, arena_calls = 0;
    score_records(1024, &heap_calls, &arena_calls);
#ifdef TEST_ASAN
    skip();
#else
    assert_int_equal(arena_calls, 0);
#endif
}

/* Compiling and freeing expressions inside an arena (every free of the
 * compiler goes through xfree): under ASan any plain free() of arena
 * memory would be reported here. */
static void test_compile_inside_arena(void **state)
{
    (void)state;
    mem_arena_t *a = mem_arena_new(4096);
    for (int round = 0; round < 3; round++) {
        mem_arena_t *prev = mem_arena_enter(a);
        plan_t pl;
        result_t res;
        ferr_t e = {0};
        expr_t *bad = NULL;
        plan_new(&pl);
        featurize(&pl, &records[round], &res);
        table_t *schema = record_table(&records[0]);
        assert_int_not_equal(expr_compile("years_between(birthday, nope) +",
                                          schema, &bad, &e), FERR_OK);
        assert_int_not_equal(expr_compile("hour(nope)", schema, &bad, &e),
                             FERR_OK);
        table_free(schema);
        plan_free(&pl);
        mem_arena_leave(prev);
        mem_arena_reset(a);
        check(&records[round], &res);
    }
    mem_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_makes_no_malloc),
        cmocka_unit_test(test_small_chunks_steady_state),
        cmocka_unit_test(test_compile_inside_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

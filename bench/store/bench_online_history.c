/*
 * bench_online_history.c - the cost of the online store's event history
 * (issue 11) on the reference loan log, in one run:
 *
 *   build:   online_materialize of the loan table (latest loan per id)
 *            vs online_prepare_with_history + publish of the same table
 *            with every loan as an event (key, loan_date, loan_amount):
 *            the history must not more than double the store phase.
 *   history: online_history per call for customers with 17 loans (what
 *            scoring one record pays), next to online_get_json.
 *   push:    online_push of 100 new loans (copy, insert, rehash, rename).
 * Usage: bench_online_history LOANS.csv [dir]   (gen_credit_risk.py's log)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/progress.h"
#include "data/csv.h"
#include "store/online.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median3(double *v)
{
    qsort(v, 3, sizeof(*v), cmp_double);
    return v[1];
}

static int die(const char *what, const ferr_t *e)
{
    fprintf(stderr, "bench_online_history: %s: %s\n", what, e->msg);
    return 1;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        ftype_t type;
    } want[] = {{"loan_id", FT_INT},        {"id", FT_INT},
                {"flag_own_car", FT_CATEGORY}, {"birthday", FT_DATE},
                {"job_start_date", FT_DATE}, {"loan_date", FT_DATE},
                {"loan_amount", FT_FLOAT},  {"status", FT_INT}};
    const size_t nwant = sizeof(want) / sizeof(*want);
    csv_colopt_t cols[8];
    csv_opts_t opts;
    table_t *t, *ev;
    ferr_t e = {0};
    char db[512];
    double plain[3], hist[3], cplain[3], chist[3];
    online_stats_t st;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_online_history LOANS.csv [dir]\n");
        return 2;
    }
    snprintf(db, sizeof(db), "%s/bench_online_history.db",
             argc > 2 ? argv[2] : "/tmp");
    csv_opts_init(&opts);
    for (size_t j = 0; j < nwant; j++)
        csv_colopt_init(&cols[j], want[j].name, want[j].type);
    opts.cols = cols;
    opts.ncols = nwant;
    opts.quiet = true;
    if (csv_read_file(argv[1], &opts, &t, NULL, &e))
        return die(argv[1], &e);

    /* the events: the customer as text, then the window inputs */
    const column_t *id = table_find(t, "id");
    column_t *key = col_new("key", FT_STRING, t->nrows);
    for (size_t i = 0; i < t->nrows; i++) {
        char buf[24];
        int n = snprintf(buf, sizeof(buf), "%lld", (long long)id->i64[i]);
        col_str_append(key, i, buf, (size_t)n);
    }
    ev = table_new();
    table_add(ev, key, NULL);
    table_add(ev, col_clone(table_find(t, "loan_date"), NULL), NULL);
    table_add(ev, col_clone(table_find(t, "loan_amount"), NULL), NULL);

    for (int r = 0; r < 3; r++) {
        online_history_in_t h = {ev, "id"};
        online_build_t *b;
        double t0, c0;
        unlink(db);
        t0 = now_seconds();
        c0 = cpu_seconds();
        if (online_materialize(t, "id", "loan_date", db, &st, &e))
            return die("materialize", &e);
        plain[r] = now_seconds() - t0;
        cplain[r] = cpu_seconds() - c0;
        unlink(db);
        t0 = now_seconds();
        c0 = cpu_seconds();
        if (online_prepare_with_history(t, "id", "loan_date", &h, db, &st, &b,
                                        &e) ||
            online_publish(b, &e))
            return die("materialize with history", &e);
        hist[r] = now_seconds() - t0;
        chist[r] = cpu_seconds() - c0;
    }
    printf("rows %zu entities %zu events %zu\n", t->nrows, st.entities,
           st.events);
    printf("materialize: %.3f s without history, %.3f s with (x%.2f), "
           "median of 3; CPU %.3f s and %.3f s\n", median3(plain),
           median3(hist), median3(hist) / median3(plain), median3(cplain),
           median3(chist));

    /* customers with exactly 17 loans */
    online_t *o;
    if (online_open(db, &o, &e))
        return die("open", &e);
    char (*keys)[24] = malloc(64 * sizeof(*keys));
    size_t nk = 0;
    {
        size_t *count = calloc(6000000, sizeof(*count));
        for (size_t i = 0; i < t->nrows; i++)
            if (id->i64[i] >= 0 && id->i64[i] < 6000000)
                count[id->i64[i]]++;
        for (size_t k = 0; k < 6000000 && nk < 64; k++)
            if (count[k] == 17)
                snprintf(keys[nk++], 24, "%zu", k);
        free(count);
    }
    if (nk == 0) {
        fprintf(stderr, "no customer with 17 loans\n");
        return 1;
    }
    const size_t calls = 200000;
    buf_t js = {0};
    double t0 = now_seconds();
    for (size_t i = 0; i < calls; i++) {
        table_t *h;
        if (online_history(o, keys[i % nk], &h, &e))
            return die("history", &e);
        if (h->nrows != 17)
            return die("history: not 17 events", &e);
        table_free(h);
    }
    double us_hist = (now_seconds() - t0) / (double)calls * 1e6;
    t0 = now_seconds();
    for (size_t i = 0; i < calls; i++) {
        buf_reset(&js);
        if (online_get_json(o, keys[i % nk], &js, &e))
            return die("get", &e);
    }
    double us_get = (now_seconds() - t0) / (double)calls * 1e6;
    printf("online_history (17 events, %zu customers): %.2f us/call; "
           "online_get_json %.2f us/call\n", nk, us_hist, us_get);
    t0 = now_seconds();
    if (online_verify(o, &e))
        return die("verify", &e);
    printf("online_verify: %.3f s\n", now_seconds() - t0);
    online_close(o);
    buf_free(&js);

    /* push 100 new loans of existing customers */
    table_t *pe = table_new();
    column_t *pk = col_new("key", FT_STRING, 100);
    column_t *pd = col_new("loan_date", FT_DATE, 100);
    column_t *pa = col_new("loan_amount", FT_FLOAT, 100);
    for (size_t i = 0; i < 100; i++) {
        const char *k = keys[i % nk];
        col_str_append(pk, i, k, strlen(k));
        pd->i64[i] = 20000 + (int64_t)i;
        pa->f64[i] = 100.0 + (double)i;
    }
    table_add(pe, pk, NULL);
    table_add(pe, pd, NULL);
    table_add(pe, pa, NULL);
    size_t added;
    t0 = now_seconds();
    if (online_push(db, pe, NULL, &added, &e))
        return die("push", &e);
    printf("online_push of 100 events: %.3f s (added %zu)\n",
           now_seconds() - t0, added);
    t0 = now_seconds();
    if (online_push(db, pe, NULL, &added, &e))
        return die("push", &e);
    printf("online_push again (idempotent): %.3f s (added %zu)\n",
           now_seconds() - t0, added);
    unlink(db);
    table_free(pe);
    table_free(ev);
    table_free(t);
    free(keys);
    return 0;
}

/*
 * bench_predict.c - ferry's tree predictor against XGBoost's C API, same run,
 * same rows, same threads.
 *
 *   bench_predict MODEL.json... [--rows N] [--single N] [--threads N]
 *
 * For each model: single-row latency (median and p99 over --single calls)
 * of ferry's tree_predict_row and of XGBoosterPredictFromDense with a 1-row
 * array and the config NOTES.md gives (cache_id), on a booster with one
 * thread (XGBoost's best serving setup).  The two alternate in blocks of
 * SINGLE_BLOCK calls: each side runs warm, as a server answering a stream of
 * requests does, and drifts in machine load hit both alike; the first
 * SINGLE_WARMUP calls of each block refill caches and are reported apart.
 * Another line shows ferry right after an XGBoost call, whose memory
 * traffic evicts ferry's nodes (for information: no server interleaves the
 * two).  Then a
 * batch of --rows rows (best of 3) with the same thread count on both sides,
 * and the largest absolute difference over every prediction made.  Rows are
 * standard normals with 10% missing, the distribution bench/predict/run
 * trains on.  The last line is the RESULT line: single_* are the medians of
 * the model with the lowest single-row speedup (named on the line above);
 * the speedups are the worst over all models.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/tree.h"
#include "xgb_ref.h"

#define SINGLE_BLOCK 1000
#define SINGLE_WARMUP 50

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof(*v), cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

int main(int argc, char **argv)
{
    const char *models[8];
    int nmodels = 0, threads = 2;
    size_t nrows = 100000, nsingle = 20000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            nrows = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--single") && i + 1 < argc)
            nsingle = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (nmodels < 8)
            models[nmodels++] = argv[i];
    }
    if (nmodels == 0 || nrows == 0 || nsingle == 0 || threads <= 0) {
        fprintf(stderr, "usage: %s MODEL.json... [--rows N] [--single N] "
                        "[--threads N]\n", argv[0]);
        return 2;
    }

    const char *worst_model = NULL;
    double worst_f = 0, worst_x = 0, worst_single = INFINITY,
           worst_p99 = INFINITY, worst_batch = INFINITY, maxdiff = 0;
    for (int k = 0; k < nmodels; k++) {
        tree_model_t *m;
        ferr_t e = {0};
        if (tree_model_load_file(models[k], &m, &e)) {
            fprintf(stderr, "bench: %s\n", ferr_msg(&e));
            return 2;
        }
        size_t nf = tree_model_num_features(m);
        BoosterHandle b = xref_load(models[k], threads);
        /* one OpenMP thread for 1-row calls, XGBoost's best serving setup:
         * with more, every call wakes spinning workers (p99 of tens of ms) */
        BoosterHandle b1 = xref_load(models[k], 1);
        float *X = xref_random_rows(NULL, 0, nf, nrows, 0.1, 1234 + (uint64_t)k);
        double *tf = xmalloc(nsingle * sizeof(double));
        double *tx = xmalloc(nsingle * sizeof(double));
        double *tc = xmalloc(nsingle * sizeof(double));
        double *fs = xmalloc(nsingle * sizeof(double));
        size_t nblocks = (nsingle + SINGLE_BLOCK - 1) / SINGLE_BLOCK;
        double *wf = xmalloc((nsingle + nblocks * SINGLE_WARMUP) * sizeof(double));
        double *wx = xmalloc((nsingle + nblocks * SINGLE_WARMUP) * sizeof(double));
        double *fo = xmalloc(nrows * sizeof(double));
        float *xo = xmalloc(nrows * sizeof(float));
        volatile double sink = 0;

        /* warm both up: page in the model and XGBoost's thread-local state */
        for (size_t i = 0; i < 200; i++) {
            float y;
            sink += tree_predict_row(m, X + (i % nrows) * nf);
            xref_predict(b1, X + (i % nrows) * nf, 1, nf, 0, &y);
        }
        /* Steady state: blocks of SINGLE_BLOCK calls of one side, then of
         * the other, so each runs with its own working set in cache, as a
         * server answering a stream of requests does, while slow drifts in
         * machine load still hit both alike.  The first SINGLE_WARMUP calls
         * of a block refill the caches the other side emptied: they are
         * kept apart (the "incl. warm-up" p99) and not in the steady-state
         * median and p99. */
        size_t nw = 0;
        for (size_t i0 = 0; i0 < nsingle; i0 += SINGLE_BLOCK) {
            size_t i1 = i0 + SINGLE_BLOCK < nsingle ? i0 + SINGLE_BLOCK : nsingle;
            for (size_t i = i0; i < i1 + SINGLE_WARMUP; i++) {
                const float *x = X + (i % nrows) * nf;
                double t0 = xref_now();
                double v = tree_predict_row(m, x);
                double us = (xref_now() - t0) * 1e6;
                if (i < i0 + SINGLE_WARMUP) {
                    wf[nw + i - i0] = us;
                    sink += v;
                } else {
                    fs[i - SINGLE_WARMUP] = v;
                    tf[i - SINGLE_WARMUP] = us;
                }
            }
            for (size_t i = i0; i < i1 + SINGLE_WARMUP; i++) {
                const float *x = X + (i % nrows) * nf;
                float y;
                double t0 = xref_now();
                xref_predict(b1, x, 1, nf, 0, &y);
                double us = (xref_now() - t0) * 1e6;
                if (i < i0 + SINGLE_WARMUP) {
                    wx[nw + i - i0] = us;
                    continue;
                }
                tx[i - SINGLE_WARMUP] = us;
                if (fabs(fs[i - SINGLE_WARMUP] - (double)y) > maxdiff)
                    maxdiff = fabs(fs[i - SINGLE_WARMUP] - (double)y);
            }
            nw += SINGLE_WARMUP;
        }
        /* p99 over every call, warm-up included */
        memcpy(wf + nw, tf, nsingle * sizeof(double));
        memcpy(wx + nw, tx, nsingle * sizeof(double));
        double fp99w = pct(wf, nw + nsingle, 0.99);
        double xp99w = pct(wx, nw + nsingle, 0.99);
        /* Cold: ferry right after an XGBoost call, which evicts ferry's
         * nodes from L2 (and, for big models, L3); shown, not targeted. */
        size_t ncold = nsingle / 10 ? nsingle / 10 : 1;
        for (size_t i = 0; i < ncold; i++) {
            const float *x = X + (i % nrows) * nf;
            float y;
            xref_predict(b1, x, 1, nf, 0, &y);
            double t0 = xref_now();
            sink += tree_predict_row(m, x);
            tc[i] = (xref_now() - t0) * 1e6;
        }
        double cmed = pct(tc, ncold, 0.5);
        double fmed = pct(tf, nsingle, 0.5), fp99 = pct(tf, nsingle, 0.99);
        double xmed = pct(tx, nsingle, 0.5), xp99 = pct(tx, nsingle, 0.99);

        double bf = INFINITY, bx = INFINITY;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = xref_now();
            tree_predict_batch(m, X, nrows, nf, fo, threads);
            double t1 = xref_now();
            xref_predict(b, X, nrows, nf, 0, xo);
            double t2 = xref_now();
            bf = fmin(bf, t1 - t0);
            bx = fmin(bx, t2 - t1);
        }
        for (size_t i = 0; i < nrows; i++)
            if (fabs(fo[i] - (double)xo[i]) > maxdiff)
                maxdiff = fabs(fo[i] - (double)xo[i]);

        printf("model %s: %zu trees, depth %d, %zu features\n"
               "  single row  ferry median %.3f us p99 %.3f us | xgboost "
               "median %.3f us p99 %.3f us | speedup median %.1fx p99 %.1fx\n"
               "  single row p99 incl. each block's %d warm-up calls  ferry "
               "%.3f us | xgboost %.3f us | speedup %.1fx\n"
               "  single row right after an XGBoost call (cache cold, not the "
               "target)  ferry median %.3f us | speedup %.1fx\n"
               "  batch %zu rows, %d threads  ferry %.2f ms (%.3f us/row) | "
               "xgboost %.2f ms (%.3f us/row) | speedup %.1fx\n",
               models[k], tree_model_num_trees(m), tree_model_max_depth(m), nf,
               fmed, fp99, xmed, xp99, xmed / fmed, xp99 / fp99,
               SINGLE_WARMUP, fp99w, xp99w, xp99w / fp99w, cmed,
               xmed / cmed, nrows, threads, bf * 1e3,
               bf * 1e6 / (double)nrows, bx * 1e3, bx * 1e6 / (double)nrows,
               bx / bf);
        if (xmed / fmed < worst_single) {
            worst_model = models[k];
            worst_f = fmed;
            worst_x = xmed;
        }
        worst_single = fmin(worst_single, xmed / fmed);
        worst_p99 = fmin(worst_p99, xp99 / fp99);
        worst_batch = fmin(worst_batch, bx / bf);
        (void)sink;
        XGBoosterFree(b);
        XGBoosterFree(b1);
        tree_model_unref(m);
        free(tc);
        free(fs);
        free(wf);
        free(wx);
        free(X);
        free(tf);
        free(tx);
        free(fo);
        free(xo);
    }
    printf("single_ferry_us/single_xgb_us: medians of %s (the model with the "
           "lowest single-row speedup); speedups: worst over all models\n",
           worst_model);
    printf("RESULT predict single_ferry_us=%.3f single_xgb_us=%.3f "
           "single_speedup=%.1fx p99_speedup=%.1fx batch_speedup=%.1fx "
           "max_abs_diff=%.3g\n",
           worst_f, worst_x, worst_single, worst_p99, worst_batch, maxdiff);
    return 0;
}

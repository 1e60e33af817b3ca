/*
 * bench_predict_compare.c - exactness check of ferry's tree predictor against
 * XGBoost on any numeric CSV.
 *
 *   bench_predict_compare MODEL.json [DATA.csv] [--random N] [--missing F]
 *                         [--seed S] [--tol T] [--threads N] [--single N]
 *
 * DATA.csv has a header and one column per model feature, in the model's
 * order (empty or non-numeric cells are missing).  Every row is predicted by
 * ferry (tree_predict_row, tree_predict_margin, tree_predict_batch) and by
 * XGBoost's XGBoosterPredictFromDense as one batch, as probabilities/values
 * and as margins; the first --single rows (default 2000) also through
 * XGBoost one row at a time, the serving path (slow: ~20-100 us a call).  --random N adds N rows drawn from
 * the CSV's columns (or standard normals without a CSV) with a fraction F
 * (default 0.1) missing.  Prints the largest absolute difference and exits 1
 * when it exceeds --tol (default 1e-6).  The integration tests use it on
 * models trained by Python xgboost; point it at a feature table to check a
 * production model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/tree.h"
#include "xgb_ref.h"

static double maxdiff(const double *a, const float *b, size_t n, size_t *exact)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - (double)b[i]);
        if (isnan(a[i]) != isnan(b[i]))
            d = INFINITY;
        if (d > m)
            m = d;
        if (exact && a[i] == (double)b[i])
            (*exact)++;
    }
    return m;
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *csv = NULL;
    size_t nrandom = 0;
    double missing = 0.1, tol = 1e-6;
    unsigned long long seed = 42;
    int threads = 0;
    size_t nsingle = 2000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--random") && i + 1 < argc)
            nrandom = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--missing") && i + 1 < argc)
            missing = atof(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--tol") && i + 1 < argc)
            tol = atof(argv[++i]);
        else if (!strcmp(argv[i], "--single") && i + 1 < argc)
            nsingle = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!model_path)
            model_path = argv[i];
        else if (!csv)
            csv = argv[i];
        else {
            fprintf(stderr, "usage: %s MODEL.json [DATA.csv] [--random N] "
                            "[--missing F] [--seed S] [--tol T]\n", argv[0]);
            return 2;
        }
    }
    if (!model_path) {
        fprintf(stderr, "usage: %s MODEL.json [DATA.csv] [--random N]\n", argv[0]);
        return 2;
    }

    tree_model_t *m;
    ferr_t e = {0};
    if (tree_model_load_file(model_path, &m, &e)) {
        fprintf(stderr, "compare: %s\n", ferr_msg(&e));
        return 2;
    }
    size_t nf = tree_model_num_features(m), srows = 0, scols = nf;
    float *src = NULL;
    if (csv) {
        src = xref_read_csv(csv, &srows, &scols);
        if (scols != nf) {
            fprintf(stderr, "compare: %s has %zu columns, model has %zu "
                            "features\n", csv, scols, nf);
            return 2;
        }
    }
    size_t n = srows + nrandom;
    float *X = xmalloc((n ? n : 1) * nf * sizeof(float));
    if (srows)
        memcpy(X, src, srows * nf * sizeof(float));
    if (nrandom) {
        float *R = xref_random_rows(src, srows, nf, nrandom, missing, seed);
        memcpy(X + srows * nf, R, nrandom * nf * sizeof(float));
        free(R);
    }

    BoosterHandle b = xref_load(model_path, threads > 0 ? threads : 2);
    /* one OpenMP thread for 1-row calls: more only spin-wait */
    BoosterHandle b1 = xref_load(model_path, 1);
    float *xv = xmalloc((n ? n : 1) * sizeof(float));
    float *xm = xmalloc((n ? n : 1) * sizeof(float));
    float *xs = xmalloc((n ? n : 1) * sizeof(float));
    double *fv = xmalloc((n ? n : 1) * sizeof(double));
    double *fm = xmalloc((n ? n : 1) * sizeof(double));
    double *fb = xmalloc((n ? n : 1) * sizeof(double));
    double *fbm = xmalloc((n ? n : 1) * sizeof(double));
    xref_predict(b, X, n, nf, 0, xv);
    xref_predict(b, X, n, nf, 1, xm);
    if (nsingle > n)
        nsingle = n;
    for (size_t i = 0; i < nsingle; i++)
        xref_predict(b1, X + i * nf, 1, nf, 0, &xs[i]); /* the serving path */
    for (size_t i = 0; i < n; i++) {
        fv[i] = tree_predict_row(m, X + i * nf);
        fm[i] = tree_predict_margin(m, X + i * nf);
    }
    if (tree_predict_batch(m, X, n, nf, fb, threads) ||
        tree_predict_batch_ex(m, X, n, nf, TREE_OUT_MARGIN, fbm, threads, &e)) {
        fprintf(stderr, "compare: %s\n", ferr_msg(&e));
        return 2;
    }
    size_t exact = 0;
    double dv = maxdiff(fv, xv, n, &exact);
    double ds = maxdiff(fv, xs, nsingle, NULL);
    double db = maxdiff(fb, xv, n, NULL);
    double dm = maxdiff(fm, xm, n, NULL);
    double dbm = maxdiff(fbm, xm, n, NULL);
    double worst = fmax(fmax(dv, ds), fmax(db, fmax(dm, dbm)));
    printf("compare: model=%s trees=%zu depth=%d objective=%s rows=%zu "
           "(csv %zu, random %zu) row_diff=%.3g single_xgb_diff=%.3g "
           "(%zu rows) batch_diff=%.3g margin_diff=%.3g batch_margin_diff=%.3g "
           "bit_exact=%zu/%zu max_abs_diff=%.3g %s\n",
           model_path, tree_model_num_trees(m), tree_model_max_depth(m),
           tree_model_objective(m), n, srows, nrandom, dv, ds, nsingle, db, dm, dbm,
           exact, n, worst, worst <= tol ? "OK" : "FAIL");
    XGBoosterFree(b);
    XGBoosterFree(b1);
    tree_model_unref(m);
    free(X);
    free(src);
    free(xv);
    free(xm);
    free(xs);
    free(fv);
    free(fm);
    free(fb);
    free(fbm);
    return worst <= tol ? 0 : 1;
}

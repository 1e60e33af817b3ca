/*
 * xgb_ref.h - the reference side of ferry's predictor comparisons: XGBoost's
 * own C API (XGBoosterPredictFromDense, the call the acceptance criteria name)
 * plus a tiny numeric CSV reader and a row generator.  Header-only (static
 * functions) because it is shared by two benchmark executables and the build
 * compiles each bench_*.c on its own.
 */
#ifndef FERRY_BENCH_XGB_REF_H
#define FERRY_BENCH_XGB_REF_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xgboost/c_api.h>

#include "base/afile.h"
#include "base/mem.h"

#define XREF_CHECK(call)                                                     \
    do {                                                                     \
        if ((call) != 0) {                                                   \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,    \
                    XGBGetLastError());                                      \
            exit(2);                                                         \
        }                                                                    \
    } while (0)

static inline BoosterHandle xref_load(const char *path, int nthread)
{
    BoosterHandle b;
    char nt[16];
    XREF_CHECK(XGBoosterCreate(NULL, 0, &b));
    XREF_CHECK(XGBoosterLoadModel(b, path));
    snprintf(nt, sizeof(nt), "%d", nthread);
    XREF_CHECK(XGBoosterSetParam(b, "nthread", nt));
    return b;
}

/* Predict rows [X, X + nrows*ncols) (row-major, NaN missing) into out;
 * margin != 0 asks for output_margin.  The config is the one NOTES.md says
 * 1.7.4 needs (cache_id). */
static inline void xref_predict(BoosterHandle b, const float *X, size_t nrows,
                         size_t ncols, int margin, float *out)
{
    char arr[256], cfg[256];
    const bst_ulong *shape;
    bst_ulong dim;
    const float *res;
    snprintf(arr, sizeof(arr),
             "{\"data\":[%llu,true],\"shape\":[%zu,%zu],\"typestr\":\"<f4\","
             "\"version\":3}",
             (unsigned long long)(uintptr_t)X, nrows, ncols);
    snprintf(cfg, sizeof(cfg),
             "{\"type\":%d,\"training\":false,\"iteration_begin\":0,"
             "\"iteration_end\":0,\"strict_shape\":false,\"cache_id\":0,"
             "\"missing\":NaN}", margin ? 1 : 0);
    XREF_CHECK(XGBoosterPredictFromDense(b, arr, cfg, NULL, &shape, &dim, &res));
    memcpy(out, res, nrows * sizeof(float));
}

/* A numeric CSV: header line, comma-separated; an empty or non-numeric cell
 * is NaN (missing).  Returns a malloc'ed row-major matrix. */
static inline float *xref_read_csv(const char *path, size_t *nrows, size_t *ncols)
{
    char *p, *s, *end;
    size_t n, cols = 1, rows = 0, cap = 0;
    float *X = NULL;
    ferr_t e = {0};
    if (file_read_all(path, (size_t)4 << 30, &p, &n, &e)) {
        fprintf(stderr, "%s\n", ferr_msg(&e));
        exit(2);
    }
    end = p + n;
    s = p;
    for (; s < end && *s != '\n'; s++)
        cols += *s == ',';
    if (s < end)
        s++;
    while (s < end) {
        if (*s == '\n' || *s == '\r') {
            s++;
            continue;
        }
        if ((rows + 1) * cols > cap) {
            cap = cap ? cap * 2 : cols * 1024;
            X = xrealloc(X, cap * sizeof(float));
        }
        for (size_t c = 0; c < cols; c++) {
            char *cell = s, *q;
            while (s < end && *s != ',' && *s != '\n' && *s != '\r')
                s++;
            float v = strtof(cell, &q);
            X[rows * cols + c] = (q == s && q != cell) ? v : NAN;
            if (s < end && *s == ',')
                s++;
        }
        while (s < end && *s != '\n')
            s++;
        rows++;
    }
    free(p);
    *nrows = rows;
    *ncols = cols;
    return X;
}

/* splitmix64: a seeded, portable generator for reproducible random rows */
static inline uint64_t xref_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline double xref_unif(uint64_t *s)
{
    return (double)(xref_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* n random rows: with a source matrix, each cell is the same column of a
 * random source row (the column's own distribution, columns shuffled
 * independently); without one, a standard normal.  A fraction `missing` of
 * the cells is NaN. */
static inline float *xref_random_rows(const float *src, size_t srows, size_t ncols,
                               size_t n, double missing, uint64_t seed)
{
    float *X = xmalloc(n * ncols * sizeof(float));
    uint64_t s = seed;
    for (size_t i = 0; i < n * ncols; i++) {
        float v;
        if (src && srows) {
            v = src[(xref_rand(&s) % srows) * ncols + i % ncols];
        } else {
            double u1 = xref_unif(&s), u2 = xref_unif(&s);
            v = (float)(sqrt(-2.0 * log(u1 + 1e-300)) * cos(6.283185307179586 * u2));
        }
        X[i] = xref_unif(&s) < missing ? NAN : v;
    }
    return X;
}

static inline double xref_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif

/*
 * metrics.c - scikit-learn-compatible metrics (see metrics.h).
 *
 * The ranking metrics follow sklearn's _binary_clf_curve: rows sorted by
 * descending score, one curve point per distinct score, so tied scores move
 * the curve diagonally (AUC counts a tied pair as half) and AP is the
 * step-wise sum of precision times recall increments, never interpolated.
 * Sums run in the natural row order with plain doubles, like numpy's
 * pairwise sums closely enough for 1e-9 agreement on any realistic n.
 */
#include "train/metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

const metric_def_t metric_defs[] = {
#define METRIC_ROW_(name, fn, hib, kind, doc) {name, fn, hib, kind, doc},
    METRIC_TABLE(METRIC_ROW_)
#undef METRIC_ROW_
    {NULL, NULL, false, METRIC_CLASSIFICATION, NULL},
};

const metric_def_t *metric_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (const metric_def_t *d = metric_defs; d->name != NULL; d++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

bool metric_better(const metric_def_t *def, double a, double b)
{
    if (isnan(a))
        return false;
    if (isnan(b))
        return true;
    return def->higher_is_better ? a > b : a < b;
}

/* ---- ranking curve ------------------------------------------------------ */

/* Rows by descending score.  The metrics run on search worker threads, so
 * the comparator must not read shared state: sort (score, index) pairs,
 * ties by index, a total and deterministic order. */
typedef struct { double s; size_t i; } scored_t;

static int cmp_scored(const void *pa, const void *pb)
{
    const scored_t *a = pa, *b = pb;
    if (a->s > b->s)
        return -1;
    if (a->s < b->s)
        return 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* The ranking curve: one point per distinct score, by descending score,
 * with the true and false positives of calling every row that scores at
 * least that much positive.  A tie group moves the curve in one step, so
 * tied scores count as half-ordered (sklearn's definitions).  Returns the
 * number of points; *out (malloc'd) holds them. */
typedef struct { double s, tp, fp; } curve_pt_t;

static size_t ranking_curve(const double *y, const double *s, size_t n,
                            curve_pt_t **out)
{
    scored_t *v = xmalloc((n ? n : 1) * sizeof(*v));
    curve_pt_t *c = xmalloc((n ? n : 1) * sizeof(*c));
    size_t k = 0;
    double tp = 0, fp = 0;
    for (size_t i = 0; i < n; i++)
        v[i] = (scored_t){s[i], i};
    qsort(v, n, sizeof(*v), cmp_scored);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        for (; j < n && v[j].s == v[i].s; j++) {
            if (y[v[j].i] > 0.5)
                tp++;
            else
                fp++;
        }
        c[k++] = (curve_pt_t){v[i].s, tp, fp};
        i = j;
    }
    free(v);
    *out = c;
    return k;
}

double metric_roc_auc(const double *y, const double *s, size_t n, double thr)
{
    (void)thr;
    double P = 0, N = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] > 0.5)
            P++;
        else
            N++;
    }
    if (P == 0 || N == 0)
        return NAN;
    curve_pt_t *c;
    size_t k = ranking_curve(y, s, n, &c);
    double tp0 = 0, fp0 = 0, area = 0;
    for (size_t i = 0; i < k; i++) {
        /* trapezoid between consecutive curve points */
        area += (c[i].fp / N - fp0 / N) * (c[i].tp / P + tp0 / P) / 2.0;
        tp0 = c[i].tp;
        fp0 = c[i].fp;
    }
    free(c);
    return area;
}

double metric_avg_prec(const double *y, const double *s, size_t n, double thr)
{
    (void)thr;
    double P = 0;
    for (size_t i = 0; i < n; i++)
        P += y[i] > 0.5;
    if (P == 0)
        return NAN;
    curve_pt_t *c;
    size_t k = ranking_curve(y, s, n, &c);
    double ap = 0, rprev = 0;
    /* points after the last positive add no recall: stop there */
    for (size_t i = 0; i < k && rprev < 1.0; i++) {
        double r = c[i].tp / P, p = c[i].tp / (c[i].tp + c[i].fp);
        ap += (r - rprev) * p;
        rprev = r;
    }
    free(c);
    return ap;
}

double metric_log_loss(const double *y, const double *s, size_t n, double thr)
{
    (void)thr;
    /* sklearn 1.2.1: eps="auto" is float64's machine epsilon; p is clipped,
     * the two-column [1-p, p] is renormalised, then -log of the true one. */
    const double eps = DBL_EPSILON;
    double sum = 0;
    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        double p = s[i] < eps ? eps : s[i] > 1 - eps ? 1 - eps : s[i];
        double q = 1 - p, tot = q + p;
        sum += -log((y[i] > 0.5 ? p : q) / tot);
    }
    return sum / (double)n;
}

void metric_confusion(const double *y, const double *s, size_t n,
                      double threshold, size_t cm[2][2])
{
    cm[0][0] = cm[0][1] = cm[1][0] = cm[1][1] = 0;
    for (size_t i = 0; i < n; i++)
        cm[y[i] > 0.5][s[i] >= threshold]++;
}

static double safe_div(double a, double b)
{
    return b == 0 ? 0.0 : a / b; /* zero_division=0 */
}

void metric_prf(const double *y, const double *s, size_t n, double threshold,
                metric_prf_t *out)
{
    size_t cm[2][2];
    metric_confusion(y, s, n, threshold, cm);
    for (int c = 0; c < 2; c++) {
        double tp = (double)cm[c][c];
        double pred = (double)(cm[0][c] + cm[1][c]);
        double act = (double)(cm[c][0] + cm[c][1]);
        out->precision[c] = safe_div(tp, pred);
        out->recall[c] = safe_div(tp, act);
        /* sklearn 1.2: F = 2tp / (pred + true), 0 when both are 0 */
        out->f1[c] = safe_div(2 * tp, pred + act);
        out->support[c] = (size_t)act;
    }
}

double metric_accuracy(const double *y, const double *s, size_t n, double thr)
{
    size_t cm[2][2];
    if (n == 0)
        return NAN;
    metric_confusion(y, s, n, thr, cm);
    return (double)(cm[0][0] + cm[1][1]) / (double)n;
}

double metric_precision(const double *y, const double *s, size_t n, double thr)
{
    metric_prf_t r;
    metric_prf(y, s, n, thr, &r);
    return r.precision[1];
}

double metric_recall(const double *y, const double *s, size_t n, double thr)
{
    metric_prf_t r;
    metric_prf(y, s, n, thr, &r);
    return r.recall[1];
}

double metric_f1(const double *y, const double *s, size_t n, double thr)
{
    metric_prf_t r;
    metric_prf(y, s, n, thr, &r);
    return r.f1[1];
}

double metric_best_f1_threshold(const double *y, const double *s, size_t n)
{
    double P = 0;
    for (size_t i = 0; i < n; i++)
        P += y[i] > 0.5;
    if (P == 0 || n == 0)
        return 0.5;
    curve_pt_t *c;
    size_t k = ranking_curve(y, s, n, &c);
    double best = -1, best_thr = 0.5;
    for (size_t i = 0; i < k; i++) {
        /* predicting s >= c[i].s positive: F1 = 2tp / (tp + fp + P) */
        double f1 = 2 * c[i].tp / (c[i].tp + c[i].fp + P);
        if (f1 > best) {
            best = f1;
            best_thr = c[i].s;
        }
    }
    free(c);
    return best_thr;
}

/* ---- regression --------------------------------------------------------- */

double metric_rmse(const double *y, const double *s, size_t n, double thr)
{
    (void)thr;
    double sum = 0;
    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++)
        sum += (y[i] - s[i]) * (y[i] - s[i]);
    return sqrt(sum / (double)n);
}

double metric_mae(const double *y, const double *s, size_t n, double thr)
{
    (void)thr;
    double sum = 0;
    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++)
        sum += fabs(y[i] - s[i]);
    return sum / (double)n;
}

double metric_r2(const double *y, const double *s, size_t n, double thr)
{
    (void)thr;
    double mean = 0, num = 0, den = 0;
    if (n < 2)
        return NAN; /* sklearn: not well-defined with fewer than 2 samples */
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        num += (y[i] - s[i]) * (y[i] - s[i]);
        den += (y[i] - mean) * (y[i] - mean);
    }
    if (den == 0)
        return num == 0 ? 1.0 : 0.0; /* sklearn's convention */
    return 1.0 - num / den;
}

double metric_mape(const double *y, const double *s, size_t n, double thr)
{
    (void)thr;
    double sum = 0;
    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(y[i]);
        sum += fabs(y[i] - s[i]) / (d > DBL_EPSILON ? d : DBL_EPSILON);
    }
    return sum / (double)n;
}

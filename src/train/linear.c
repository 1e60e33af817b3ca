/*
 * linear.c - ridge and L2 logistic regression with sklearn's pipeline
 * semantics (see linear.h).
 *
 * Both solvers work on the normal equations in double precision: the
 * baselines are meant for small data (thousands of rows, tens of columns),
 * where an exact Cholesky solve is both faster and more precise than the
 * iterative solvers sklearn defaults to, which is what lets the tests demand
 * agreement to 1e-6 on coefficients instead of "roughly the same".
 */
#include "train/linear.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/mem.h"

#define LINEAR_MAX_COLS 4096 /* interactions grow as p^2: cap the system */

void linear_config_default(linear_config_t *cfg, linear_kind_t kind)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->kind = kind;
    cfg->alpha = 1.0;
    cfg->C = 1.0;
    cfg->standardize = true;
    cfg->max_iter = 100;
    cfg->tol = 1e-12;
}

/* In-place Cholesky of the SPD matrix a (m x m, row-major, lower triangle
 * used), then solve a z = b into b.  Returns -1 if not positive definite. */
static int chol_solve(double *a, double *b, size_t m)
{
    for (size_t j = 0; j < m; j++) {
        double d = a[j * m + j];
        for (size_t k = 0; k < j; k++)
            d -= a[j * m + k] * a[j * m + k];
        if (!(d > 0))
            return -1;
        d = sqrt(d);
        a[j * m + j] = d;
        for (size_t i = j + 1; i < m; i++) {
            double s = a[i * m + j];
            for (size_t k = 0; k < j; k++)
                s -= a[i * m + k] * a[j * m + k];
            a[i * m + j] = s / d;
        }
    }
    for (size_t i = 0; i < m; i++) { /* L y = b */
        double s = b[i];
        for (size_t k = 0; k < i; k++)
            s -= a[i * m + k] * b[k];
        b[i] = s / a[i * m + i];
    }
    for (size_t i = m; i-- > 0;) { /* L^T z = y */
        double s = b[i];
        for (size_t k = i + 1; k < m; k++)
            s -= a[k * m + i] * b[k];
        b[i] = s / a[i * m + i];
    }
    return 0;
}

static size_t expanded_cols(size_t p, bool inter)
{
    return inter ? p + p * (p - 1) / 2 : p;
}

/* One input row -> expanded row (imputed, interactions; not standardized). */
static void expand_row(const float *xr, size_t p, const double *impute,
                       bool inter, double *out)
{
    for (size_t j = 0; j < p; j++) {
        double v = xr[j];
        out[j] = isnan(v) ? impute[j] : v;
    }
    if (inter) {
        size_t c = p;
        for (size_t a = 0; a < p; a++)
            for (size_t b = a + 1; b < p; b++)
                out[c++] = out[a] * out[b];
    }
}

void linear_f_scores(const double *x, const double *y, size_t n, size_t p,
                     bool classification, double *out)
{
    double ymean = 0, yss = 0;
    for (size_t i = 0; i < n; i++)
        ymean += y[i];
    ymean /= (double)n;
    for (size_t i = 0; i < n; i++)
        yss += (y[i] - ymean) * (y[i] - ymean);
    for (size_t j = 0; j < p; j++) {
        double mean = 0;
        for (size_t i = 0; i < n; i++)
            mean += x[i * p + j];
        mean /= (double)n;
        if (!classification) {
            /* sklearn 1.2 f_regression: r^2 / (1 - r^2) * (n - 2) */
            double xy = 0, xx = 0;
            for (size_t i = 0; i < n; i++) {
                double d = x[i * p + j] - mean;
                xy += d * (y[i] - ymean);
                xx += d * d;
            }
            double r = xy / (sqrt(xx) * sqrt(yss));
            out[j] = r * r / (1 - r * r) * (double)(n - 2);
        } else {
            /* f_classif for two classes (labels 0/1): one-way ANOVA */
            double s[2] = {0, 0}, ss = 0, tot = 0;
            size_t cnt[2] = {0, 0};
            for (size_t i = 0; i < n; i++) {
                double v = x[i * p + j];
                int c = y[i] > 0.5;
                s[c] += v;
                cnt[c]++;
                ss += v * v;
                tot += v;
            }
            double sstot = ss - tot * tot / (double)n;
            double ssbn = -tot * tot / (double)n;
            for (int c = 0; c < 2; c++)
                if (cnt[c])
                    ssbn += s[c] * s[c] / (double)cnt[c];
            double sswn = sstot - ssbn;
            double k = (cnt[0] > 0) + (cnt[1] > 0);
            out[j] = (ssbn / (k - 1)) / (sswn / ((double)n - k));
        }
        if (!isfinite(out[j]) && !(out[j] > 0))
            out[j] = NAN; /* constant column: 0/0 */
    }
}

typedef struct { double s; size_t j; } fscore_t;

static int cmp_fscore(const void *pa, const void *pb)
{
    /* ascending score, then index: the stable mergesort sklearn uses */
    const fscore_t *a = pa, *b = pb;
    if (a->s != b->s)
        return a->s < b->s ? -1 : 1;
    return a->j < b->j ? -1 : a->j > b->j;
}

static int cmp_size(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return a < b ? -1 : a > b;
}

static int fit_ridge(const double *z, const double *y, size_t n, size_t m,
                     double alpha, linear_model_t *out, ferr_t *e)
{
    double *zm = xcalloc(m ? m : 1, sizeof(double));
    double *a = xcalloc((m * m) > 0 ? m * m : 1, sizeof(double));
    double *b = xcalloc(m ? m : 1, sizeof(double));
    double ym = 0;
    for (size_t i = 0; i < n; i++) {
        ym += y[i];
        for (size_t j = 0; j < m; j++)
            zm[j] += z[i * m + j];
    }
    ym /= (double)n;
    for (size_t j = 0; j < m; j++)
        zm[j] /= (double)n;
    double *row = xmalloc((m ? m : 1) * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < m; j++)
            row[j] = z[i * m + j] - zm[j];
        double yc = y[i] - ym;
        for (size_t j = 0; j < m; j++) {
            b[j] += row[j] * yc;
            for (size_t k = 0; k <= j; k++)
                a[j * m + k] += row[j] * row[k];
        }
    }
    for (size_t j = 0; j < m; j++)
        a[j * m + j] += alpha;
    int rc = m == 0 ? 0 : chol_solve(a, b, m);
    if (rc == 0) {
        out->intercept = ym;
        for (size_t j = 0; j < m; j++) {
            out->coef[j] = b[j];
            out->intercept -= zm[j] * b[j];
        }
    }
    free(zm), free(a), free(b), free(row);
    if (rc != 0)
        return ferr_set(e, FERR_RANGE, "ridge: the system is singular (alpha %g "
                        "too small for collinear features?)", alpha);
    return FERR_OK;
}

static double logistic_objective(const double *z, const double *y, size_t n,
                                 size_t m, const double *w, double C)
{
    double f = 0;
    for (size_t j = 0; j < m; j++)
        f += 0.5 * w[j] * w[j];
    for (size_t i = 0; i < n; i++) {
        double t = w[m];
        for (size_t j = 0; j < m; j++)
            t += w[j] * z[i * m + j];
        double s = y[i] > 0.5 ? -t : t; /* log(1 + exp(s)), stably */
        f += C * (s > 0 ? s + log1p(exp(-s)) : log1p(exp(s)));
    }
    return f;
}

static int fit_logistic(const double *z, const double *y, size_t n, size_t m,
                        const linear_config_t *cfg, linear_model_t *out,
                        ferr_t *e)
{
    size_t q = m + 1; /* last unknown is the unpenalized intercept */
    double *w = xcalloc(q, sizeof(double));
    double *g = xmalloc(q * sizeof(double));
    double *h = xmalloc(q * q * sizeof(double));
    double *wn = xmalloc(q * sizeof(double));
    double C = cfg->C;
    int it, rc = FERR_OK;
    double f = logistic_objective(z, y, n, m, w, C);
    for (it = 0; it < cfg->max_iter; it++) {
        memset(h, 0, q * q * sizeof(double));
        for (size_t j = 0; j < m; j++) {
            g[j] = w[j];
            h[j * q + j] = 1.0;
        }
        g[m] = 0;
        for (size_t i = 0; i < n; i++) {
            const double *zr = z + i * m;
            double t = w[m];
            for (size_t j = 0; j < m; j++)
                t += w[j] * zr[j];
            double pr = 1.0 / (1.0 + exp(-t));
            double r = C * (pr - (y[i] > 0.5)), d = C * pr * (1 - pr);
            for (size_t j = 0; j < m; j++) {
                g[j] += r * zr[j];
                double dz = d * zr[j];
                for (size_t k = 0; k <= j; k++)
                    h[j * q + k] += dz * zr[k];
                h[m * q + j] += dz;
            }
            g[m] += r;
            h[m * q + m] += d;
        }
        double gmax = 0;
        for (size_t j = 0; j < q; j++)
            gmax = fmax(gmax, fabs(g[j]));
        if (gmax < 1e-13 * (1 + C * (double)n))
            break;
        if (chol_solve(h, g, q) != 0) {
            rc = ferr_set(e, FERR_RANGE, "logistic: singular Hessian at step %d "
                          "(perfectly separable data with a huge C?)", it);
            break;
        }
        /* g now holds the Newton direction; halve it until f decreases */
        double step = 1.0, fn = f, smax = 0;
        for (int ls = 0; ls < 60; ls++) {
            for (size_t j = 0; j < q; j++)
                wn[j] = w[j] - step * g[j];
            fn = logistic_objective(z, y, n, m, wn, C);
            if (fn <= f)
                break;
            step *= 0.5;
        }
        for (size_t j = 0; j < q; j++) {
            smax = fmax(smax, fabs(wn[j] - w[j]));
            w[j] = wn[j];
        }
        f = fn;
        if (smax < cfg->tol)
            break;
    }
    if (rc == FERR_OK) {
        memcpy(out->coef, w, m * sizeof(double));
        out->intercept = w[m];
        out->iterations = it;
    }
    free(w), free(g), free(h), free(wn);
    return rc;
}

int linear_fit(const float *x, const double *y, size_t n, size_t p,
               const char *const *names, const linear_config_t *cfg,
               linear_model_t *out, ferr_t *e)
{
    int rc;
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return ferr_set(e, FERR_RANGE, "linear: no training rows");
    if (p == 0)
        return ferr_set(e, FERR_RANGE, "linear: no features");
    size_t m = expanded_cols(p, cfg->interactions);
    if (m > LINEAR_MAX_COLS)
        return ferr_set(e, FERR_LIMIT, "linear: %zu columns after interactions "
                        "(max %d)", m, LINEAR_MAX_COLS);
    if ((double)n * (double)m > 4e8)
        return ferr_set(e, FERR_LIMIT, "linear: %zu x %zu design matrix is too "
                        "large for the linear baseline", n, m);
    if (cfg->kind == LINEAR_LOGISTIC) {
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) {
            if (y[i] != 0 && y[i] != 1)
                return ferr_set(e, FERR_RANGE, "logistic: label at row %zu is "
                                "%g, not 0 or 1", i, y[i]);
            pos += y[i] == 1;
        }
        if (pos == 0 || pos == n)
            return ferr_set(e, FERR_RANGE, "logistic: the label has one class "
                            "only (%zu of %zu rows positive)", pos, n);
    }
    double *z = malloc(n * m * sizeof(double));
    if (z == NULL)
        return ferr_set(e, FERR_NOMEM, "linear: %zu x %zu matrix", n, m);

    out->kind = cfg->kind;
    out->nin = p;
    out->names = xcalloc(p, sizeof(char *));
    out->impute = xcalloc(p, sizeof(double));
    for (size_t j = 0; j < p; j++) {
        double s = 0;
        size_t c = 0;
        out->names[j] = xstrdup(names[j]);
        for (size_t i = 0; i < n; i++)
            if (!isnan(x[i * p + j]))
                s += x[i * p + j], c++;
        out->impute[j] = c ? s / (double)c : 0.0;
    }
    out->interactions = cfg->interactions;
    out->nexp = m;
    out->mean = xcalloc(m, sizeof(double));
    out->scale = xmalloc(m * sizeof(double));
    for (size_t i = 0; i < n; i++)
        expand_row(x + i * p, p, out->impute, cfg->interactions, z + i * m);
    for (size_t j = 0; j < m; j++) {
        out->scale[j] = 1.0;
        if (!cfg->standardize)
            continue;
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++)
            mean += z[i * m + j];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++)
            var += (z[i * m + j] - mean) * (z[i * m + j] - mean);
        var /= (double)n;
        double sd = sqrt(var);
        out->mean[j] = mean;
        /* sklearn's _handle_zeros_in_scale: a near-constant column keeps 1 */
        out->scale[j] = sd < 10 * DBL_EPSILON * fmax(fabs(mean), 1e-300) || sd == 0
                      ? 1.0 : sd;
        for (size_t i = 0; i < n; i++)
            z[i * m + j] = (z[i * m + j] - mean) / out->scale[j];
    }
    /* column selection */
    out->nsel = m;
    out->sel = xmalloc(m * sizeof(size_t));
    for (size_t j = 0; j < m; j++)
        out->sel[j] = j;
    if (cfg->k_best > 0 && cfg->k_best < m) {
        out->fscore = xmalloc(m * sizeof(double));
        linear_f_scores(z, y, n, m, cfg->kind == LINEAR_LOGISTIC, out->fscore);
        fscore_t *fs = xmalloc(m * sizeof(*fs));
        for (size_t j = 0; j < m; j++)
            fs[j] = (fscore_t){isnan(out->fscore[j]) ? -DBL_MAX : out->fscore[j], j};
        qsort(fs, m, sizeof(*fs), cmp_fscore);
        out->nsel = cfg->k_best;
        for (size_t j = 0; j < cfg->k_best; j++)
            out->sel[j] = fs[m - cfg->k_best + j].j;
        qsort(out->sel, out->nsel, sizeof(size_t), cmp_size);
        free(fs);
        /* compact z to the selected columns, row by row in place */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < out->nsel; j++)
                z[i * out->nsel + j] = z[i * m + out->sel[j]];
    }
    out->coef = xcalloc(out->nsel, sizeof(double));
    rc = cfg->kind == LINEAR_RIDGE
       ? fit_ridge(z, y, n, out->nsel, cfg->alpha, out, e)
       : fit_logistic(z, y, n, out->nsel, cfg, out, e);
    free(z);
    if (rc != FERR_OK)
        linear_free(out);
    return rc;
}

void linear_predict(const linear_model_t *m, const float *x, size_t n,
                    double *out)
{
    double *row = xmalloc((m->nexp ? m->nexp : 1) * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        expand_row(x + i * m->nin, m->nin, m->impute, m->interactions, row);
        double t = m->intercept;
        for (size_t j = 0; j < m->nsel; j++) {
            size_t c = m->sel[j];
            t += m->coef[j] * (row[c] - m->mean[c]) / m->scale[c];
        }
        out[i] = m->kind == LINEAR_LOGISTIC ? 1.0 / (1.0 + exp(-t)) : t;
    }
    free(row);
}

void linear_free(linear_model_t *m)
{
    if (m->names)
        for (size_t j = 0; j < m->nin; j++)
            free(m->names[j]);
    free(m->names), free(m->impute), free(m->mean), free(m->scale);
    free(m->sel), free(m->coef), free(m->fscore);
    memset(m, 0, sizeof(*m));
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *darr(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

char *linear_to_json(const linear_model_t *m, size_t *len)
{
    json_t *o = json_object(), *names = json_array(), *sel = json_array();
    for (size_t j = 0; j < m->nin; j++)
        json_array_append_new(names, json_string(m->names[j]));
    for (size_t j = 0; j < m->nsel; j++)
        json_array_append_new(sel, json_integer((json_int_t)m->sel[j]));
    json_object_set_new(o, "format", json_string("ferry-linear"));
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "kind", json_string(m->kind == LINEAR_LOGISTIC
                                               ? "logistic" : "ridge"));
    json_object_set_new(o, "features", names);
    json_object_set_new(o, "impute", darr(m->impute, m->nin));
    json_object_set_new(o, "interactions", json_boolean(m->interactions));
    json_object_set_new(o, "mean", darr(m->mean, m->nexp));
    json_object_set_new(o, "scale", darr(m->scale, m->nexp));
    json_object_set_new(o, "selected", sel);
    json_object_set_new(o, "coef", darr(m->coef, m->nsel));
    json_object_set_new(o, "intercept", json_real(m->intercept));
    /* 17 significant digits: doubles survive the round trip exactly */
    char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(o);
    *len = strlen(s);
    char *copy = xstrdup(s); /* jansson's allocator may not be ours */
    free(s);
    return copy;
}

static int get_darr(json_t *o, const char *key, size_t n, double **out, ferr_t *e)
{
    json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) != n)
        return ferr_set(e, FERR_CORRUPT, "linear model: field %s must be an "
                        "array of %zu numbers", key, n);
    *out = xcalloc(n ? n : 1, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_number(v))
            return ferr_set(e, FERR_CORRUPT, "linear model: %s[%zu] is not a "
                            "number", key, i);
        (*out)[i] = json_number_value(v);
    }
    return FERR_OK;
}

int linear_from_json(const char *s, size_t len, linear_model_t *out, ferr_t *e)
{
    json_error_t je;
    int rc = FERR_OK;
    memset(out, 0, sizeof(*out));
    json_t *o = json_loadb(s, len, 0, &je);
    if (o == NULL)
        return ferr_set(e, FERR_PARSE, "linear model: line %d: %s", je.line, je.text);
    const char *fmt = json_string_value(json_object_get(o, "format"));
    const char *kind = json_string_value(json_object_get(o, "kind"));
    json_t *names = json_object_get(o, "features"), *sel = json_object_get(o, "selected");
    json_t *icpt = json_object_get(o, "intercept");
    if (fmt == NULL || strcmp(fmt, "ferry-linear") != 0 ||
        json_integer_value(json_object_get(o, "version")) != 1) {
        rc = ferr_set(e, FERR_CORRUPT, "linear model: not a ferry-linear "
                      "version 1 document");
        goto done;
    }
    if (kind == NULL || (strcmp(kind, "ridge") != 0 && strcmp(kind, "logistic") != 0)) {
        rc = ferr_set(e, FERR_CORRUPT, "linear model: kind must be ridge or logistic");
        goto done;
    }
    if (!json_is_array(names) || json_array_size(names) == 0 ||
        json_array_size(names) > LINEAR_MAX_COLS || !json_is_array(sel) ||
        !json_is_number(icpt)) {
        rc = ferr_set(e, FERR_CORRUPT, "linear model: features, selected and "
                      "intercept are required");
        goto done;
    }
    out->kind = strcmp(kind, "logistic") == 0 ? LINEAR_LOGISTIC : LINEAR_RIDGE;
    out->nin = json_array_size(names);
    out->interactions = json_is_true(json_object_get(o, "interactions"));
    out->nexp = expanded_cols(out->nin, out->interactions);
    out->names = xcalloc(out->nin, sizeof(char *));
    for (size_t j = 0; j < out->nin; j++) {
        const char *nm = json_string_value(json_array_get(names, j));
        if (nm == NULL) {
            rc = ferr_set(e, FERR_CORRUPT, "linear model: features[%zu] is not a "
                          "string", j);
            goto done;
        }
        out->names[j] = xstrdup(nm);
    }
    out->nsel = json_array_size(sel);
    if (out->nsel > out->nexp) {
        rc = ferr_set(e, FERR_CORRUPT, "linear model: %zu selected of %zu columns",
                      out->nsel, out->nexp);
        goto done;
    }
    out->sel = xcalloc(out->nsel ? out->nsel : 1, sizeof(size_t));
    for (size_t j = 0; j < out->nsel; j++) {
        json_t *v = json_array_get(sel, j);
        json_int_t k = json_integer_value(v);
        if (!json_is_integer(v) || k < 0 || (size_t)k >= out->nexp) {
            rc = ferr_set(e, FERR_CORRUPT, "linear model: selected[%zu] out of range",
                          j);
            goto done;
        }
        out->sel[j] = (size_t)k;
    }
    if ((rc = get_darr(o, "impute", out->nin, &out->impute, e)) != FERR_OK ||
        (rc = get_darr(o, "mean", out->nexp, &out->mean, e)) != FERR_OK ||
        (rc = get_darr(o, "scale", out->nexp, &out->scale, e)) != FERR_OK ||
        (rc = get_darr(o, "coef", out->nsel, &out->coef, e)) != FERR_OK)
        goto done;
    for (size_t j = 0; j < out->nexp; j++) {
        if (!(out->scale[j] != 0) || !isfinite(out->scale[j])) {
            rc = ferr_set(e, FERR_CORRUPT, "linear model: scale[%zu] is %g", j,
                          out->scale[j]);
            goto done;
        }
    }
    out->intercept = json_number_value(icpt);
done:
    json_decref(o);
    if (rc != FERR_OK)
        linear_free(out);
    return rc;
}

/*
 * profile.c - training profiles and feature schemas (see profile.h).
 *
 * Quantiles are exact (sort a copy of the column) rather than sketched: a
 * training set fits in memory by construction, sorting a million doubles
 * takes ~0.1 s, and exact values let tests compare with numpy bit for bit.
 */
#include "registry/profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/vec.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.quantile(x, p) with the default 'linear' method; x sorted, n > 0. */
static double quantile(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* Number of sorted values <= v. */
static size_t count_le(const double *x, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static json_t *profile_numeric(const column_t *c)
{
    double *x = malloc((c->n ? c->n : 1) * sizeof(double));
    size_t n = 0, nulls = 0, nonfinite = 0;
    json_t *p, *q, *edges, *counts;
    double sum = 0, sq = 0, mean, prev_edge = 0;
    size_t prev_le = 0;
    bool have_edge = false;

    if (x == NULL)
        return NULL;
    for (size_t i = 0; i < c->n; i++) {
        double v = col_num(c, i);
        if (col_is_null(c, i) || isnan(v))
            nulls++;
        else if (!isfinite(v))
            nonfinite++;
        else
            x[n++] = v;
    }
    p = json_pack("{s:s,s:s,s:I,s:I,s:I}", "kind", "numeric", "type",
                  ftype_name(c->type), "count", (json_int_t)n, "nulls",
                  (json_int_t)nulls, "nonfinite", (json_int_t)nonfinite);
    if (n == 0) {
        free(x);
        return p;
    }
    qsort(x, n, sizeof(double), cmp_double);
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        sq += (x[i] - mean) * (x[i] - mean);
    q = json_array();
    for (int k = 0; k <= 10; k++)
        json_array_append_new(q, json_real(quantile(x, n, k / 10.0)));
    edges = json_array();
    counts = json_array();
    for (int k = 1; k <= 9; k++) {
        double ed = quantile(x, n, k / 10.0);
        size_t le;
        if (have_edge && !(ed > prev_edge))
            continue;
        le = count_le(x, n, ed);
        json_array_append_new(edges, json_real(ed));
        json_array_append_new(counts, json_integer((json_int_t)(le - prev_le)));
        prev_le = le;
        prev_edge = ed;
        have_edge = true;
    }
    json_array_append_new(counts, json_integer((json_int_t)(n - prev_le)));
    json_object_set_new(p, "min", json_real(x[0]));
    json_object_set_new(p, "max", json_real(x[n - 1]));
    json_object_set_new(p, "mean", json_real(mean));
    json_object_set_new(p, "std", json_real(sqrt(sq / (double)n)));
    json_object_set_new(p, "quantiles", q);
    json_object_set_new(p, "edges", edges);
    json_object_set_new(p, "counts", counts);
    free(x);
    return p;
}

typedef struct cat_count {
    const char *s;
    size_t len;
    size_t n;
} cat_count_t;

static int cmp_cat(const void *a, const void *b)
{
    const cat_count_t *x = a, *y = b;
    int c;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static json_t *profile_categorical(const column_t *c)
{
    /* STRING and BOOL columns are interned into a scratch dict so all three
     * types count by code. */
    dict_t *scratch = NULL;
    const dict_t *d = c->dict;
    size_t *cnt, nulls = 0, other = 0, total = 0, nc;
    cat_count_t *cc;
    json_t *p, *cats;

    if (c->type != FT_CATEGORY) {
        scratch = dict_new();
        if (c->type == FT_BOOL) {
            dict_intern(scratch, "false", 5);
            dict_intern(scratch, "true", 4);
        }
        d = scratch;
    }
    cnt = NULL;
    {
        VEC(size_t) v = {0};
        for (size_t i = 0; i < c->n; i++) {
            int32_t code;
            if (col_is_null(c, i)) {
                nulls++;
                continue;
            }
            if (c->type == FT_CATEGORY) {
                code = c->code[i];
            } else if (c->type == FT_BOOL) {
                code = c->u8[i] ? 1 : 0;
            } else {
                str_t s = col_str(c, i);
                code = dict_intern(scratch, s.p ? s.p : "", s.n);
            }
            if (code < 0)
                continue;
            VEC_RESERVE(&v, (size_t)code + 1);
            while (v.n <= (size_t)code)
                v.a[v.n++] = 0;
            v.a[code]++;
            total++;
        }
        cnt = v.a;
        nc = v.n;
    }
    cc = xcalloc(nc ? nc : 1, sizeof(*cc));
    for (size_t k = 0; k < nc; k++) {
        str_t s = dict_str(d, (int32_t)k);
        cc[k] = (cat_count_t){s.p, s.n, cnt[k]};
    }
    qsort(cc, nc, sizeof(*cc), cmp_cat);
    cats = json_object();
    for (size_t k = 0; k < nc; k++) {
        if (cc[k].n == 0)
            continue;
        if (k < PROFILE_MAX_CATEGORIES)
            json_object_setn_new(cats, cc[k].s, cc[k].len,
                                 json_integer((json_int_t)cc[k].n));
        else
            other += cc[k].n;
    }
    p = json_pack("{s:s,s:s,s:I,s:I,s:o,s:I}", "kind", "categorical", "type",
                  ftype_name(c->type), "count", (json_int_t)total, "nulls",
                  (json_int_t)nulls, "categories", cats, "other",
                  (json_int_t)other);
    free(cc);
    free(cnt);
    dict_free(scratch);
    return p;
}

static int find_cols(const table_t *t, const char *const *cols, size_t *n,
                     const column_t ***out, ferr_t *e)
{
    size_t k = cols ? *n : t->ncols;
    const column_t **cs = xcalloc(k ? k : 1, sizeof(*cs));
    for (size_t i = 0; i < k; i++) {
        cs[i] = cols ? table_find(t, cols[i]) : t->cols[i];
        if (cs[i] == NULL) {
            free(cs);
            return ferr_set(e, FERR_NOTFOUND, "profile: no column '%s'",
                            cols[i]);
        }
    }
    *n = k;
    *out = cs;
    return FERR_OK;
}

int profile_compute(const table_t *t, const char *const *cols, size_t n,
                    json_t **out, ferr_t *e)
{
    const column_t **cs;
    json_t *o;
    int rc = find_cols(t, cols, &n, &cs, e);
    *out = NULL;
    if (rc)
        return rc;
    o = json_object();
    for (size_t i = 0; i < n; i++) {
        const column_t *c = cs[i];
        bool cat = c->type == FT_CATEGORY || c->type == FT_STRING ||
                   c->type == FT_BOOL;
        json_t *p = cat ? profile_categorical(c) : profile_numeric(c);
        if (p == NULL) {
            json_decref(o);
            free(cs);
            return ferr_set(e, FERR_NOMEM, "profile: column %s: out of memory",
                            c->name);
        }
        json_object_set_new(o, c->name, p);
    }
    free(cs);
    *out = o;
    return FERR_OK;
}

int profile_schema(const table_t *t, const char *const *cols, size_t n,
                   json_t **out, ferr_t *e)
{
    const column_t **cs;
    json_t *arr;
    int rc = find_cols(t, cols, &n, &cs, e);
    *out = NULL;
    if (rc)
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const column_t *c = cs[i];
        json_t *f = json_pack("{s:s,s:s}", "name", c->name, "type",
                              ftype_name(c->type));
        if (c->type == FT_CATEGORY) {
            json_t *v = json_array();
            for (size_t k = 0; k < c->dict->n; k++) {
                str_t s = dict_str(c->dict, (int32_t)k);
                json_array_append_new(v, json_stringn(s.p, s.n));
            }
            json_object_set_new(f, "categories", v);
        } else if (ftype_is_numeric(c->type)) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t r = 0; r < c->n; r++) {
                double v = col_num(c, r);
                if (!col_is_null(c, r) && isfinite(v)) {
                    lo = v < lo ? v : lo;
                    hi = v > hi ? v : hi;
                }
            }
            if (lo <= hi) {
                json_object_set_new(f, "min", json_real(lo));
                json_object_set_new(f, "max", json_real(hi));
            }
        }
        json_array_append_new(arr, f);
    }
    free(cs);
    *out = arr;
    return FERR_OK;
}

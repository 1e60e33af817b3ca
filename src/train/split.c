/*
 * split.c - train/valid/test splits and k-fold assignment (see split.h).
 *
 * Everything random goes through one splitmix64 stream seeded from the
 * config, so a split depends only on (data, config, seed) and never on the
 * platform's rand().  Fractions become whole row counts with round-half-up;
 * a requested part that rounds to zero rows is reported, not silently empty.
 */
#include "train/split.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "data/parse.h"

const char *const split_part_names[SPLIT_NPARTS] = {"train", "valid", "test"};

static const struct { const char *name; split_method_t m; } split_methods[] = {
#define SPLIT_ROW_(name, e, doc) {name, e},
    SPLIT_METHOD_TABLE(SPLIT_ROW_)
#undef SPLIT_ROW_
};

int split_method_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(split_methods) / sizeof(split_methods[0]); i++)
        if (name != NULL && strcmp(split_methods[i].name, name) == 0)
            return (int)split_methods[i].m;
    return -1;
}

const char *split_method_name(split_method_t m)
{
    for (size_t i = 0; i < sizeof(split_methods) / sizeof(split_methods[0]); i++)
        if (split_methods[i].m == m)
            return split_methods[i].name;
    return "?";
}

uint64_t split_rand_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias (Lemire's rejection). */
static uint64_t rand_below(uint64_t *state, uint64_t bound)
{
    uint64_t threshold = -bound % bound;
    for (;;) {
        uint64_t r = split_rand_next(state);
        if (r >= threshold)
            return r % bound;
    }
}

void split_shuffle(size_t *idx, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rand_below(state, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

static size_t frac_rows(double frac, size_t n)
{
    return (size_t)floor(frac * (double)n + 0.5);
}

/* Assign a shuffled list: first ntest to test, next nvalid to valid. */
/* Put into idx the rows not yet done whose label is the smallest such
 * value, in row order, and mark them done; returns how many (0 when every
 * row is done).  Stratified splits and stratified k-fold walk the classes
 * with it, smallest first. */
static size_t next_class(const double *label, size_t n, uint8_t *done,
                         size_t *idx)
{
    double cls = 0;
    int found = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!done[i] && (!found || label[i] < cls))
            cls = label[i], found = 1;
    if (!found)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!done[i] && label[i] == cls)
            idx[m++] = i, done[i] = 1;
    return m;
}

static void assign_list(uint8_t *part, const size_t *idx, size_t n,
                        size_t ntest, size_t nvalid)
{
    for (size_t i = 0; i < n; i++)
        part[idx[i]] = i < ntest ? SPLIT_TEST
                     : i < ntest + nvalid ? SPLIT_VALID : SPLIT_TRAIN;
}

static int split_random(size_t n, const split_config_t *cfg, uint8_t *part)
{
    size_t *idx = xmalloc((n ? n : 1) * sizeof(*idx));
    uint64_t st = cfg->seed;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    split_shuffle(idx, n, &st);
    assign_list(part, idx, n, frac_rows(cfg->test_fraction, n),
                frac_rows(cfg->valid_fraction, n));
    free(idx);
    return FERR_OK;
}

static int split_stratified(size_t n, const double *label,
                            const split_config_t *cfg, uint8_t *part, ferr_t *e)
{
    /* Classes are the distinct label values, visited in sorted order so the
     * random stream is consumed identically for identical input. */
    size_t *idx = xmalloc((n ? n : 1) * sizeof(*idx));
    size_t m = 0;
    uint64_t st = cfg->seed;
    if (label == NULL)
        return free(idx), ferr_set(e, FERR_USAGE, "stratified split needs a label");
    for (size_t i = 0; i < n; i++) {
        if (isnan(label[i])) {
            free(idx);
            return ferr_set(e, FERR_RANGE,
                            "stratified split: label is null at row %zu", i);
        }
    }
    uint8_t *done = xcalloc(n ? n : 1, 1);
    while ((m = next_class(label, n, done, idx)) > 0) {
        split_shuffle(idx, m, &st);
        assign_list(part, idx, m, frac_rows(cfg->test_fraction, m),
                    frac_rows(cfg->valid_fraction, m));
    }
    free(done);
    free(idx);
    return FERR_OK;
}

/* ISO date or datetime, or a number, into the column's numeric scale
 * (parse.h's strict calendar: 2021-02-30 is refused). */
static int parse_cutoff(const column_t *c, const char *text, double *out,
                        ferr_t *e)
{
    if (c->type == FT_DATE || c->type == FT_DATETIME) {
        int64_t v;
        int rc = c->type == FT_DATE ? parse_date(str_from(text), NULL, &v)
                                    : parse_datetime(str_from(text), NULL, &v);
        if (rc != FERR_OK && c->type == FT_DATE &&
            parse_datetime(str_from(text), NULL, &v) == FERR_OK) {
            v = v >= 0 ? v / 86400 : -((-v + 86399) / 86400); /* floor */
            rc = FERR_OK;
        }
        if (rc != FERR_OK)
            return ferr_set(e, rc, "split cutoff '%s' on column %s is not a "
                            "valid date (YYYY-MM-DD[ HH:MM:SS])", text, c->name);
        *out = (double)v;
        return FERR_OK;
    }
    char *end;
    *out = strtod(text, &end);
    if (end == text || *end != '\0')
        return ferr_set(e, FERR_PARSE, "split cutoff '%s' on column %s is not a "
                        "number", text, c->name);
    return FERR_OK;
}

typedef struct { double t; size_t i; } timed_t;

static int cmp_timed(const void *pa, const void *pb)
{
    const timed_t *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int split_time(const table_t *t, const split_config_t *cfg,
                      uint8_t *part, ferr_t *e)
{
    size_t n = t->nrows;
    const column_t *c = cfg->time_column ? table_find(t, cfg->time_column) : NULL;
    double test_cut = INFINITY, valid_cut = INFINITY;
    int rc;
    if (cfg->time_column == NULL)
        return ferr_set(e, FERR_USAGE, "split method time needs time_column");
    if (c == NULL)
        return ferr_set(e, FERR_NOTFOUND, "split: time column %s not found",
                        cfg->time_column);
    if (!ftype_is_numeric(c->type))
        return ferr_set(e, FERR_TYPE, "split: time column %s is %s, not a "
                        "date, datetime or number", c->name, ftype_name(c->type));
    size_t nulls = col_null_count(c);
    if (nulls > 0)
        return ferr_set(e, FERR_RANGE, "split: time column %s has %zu null "
                        "values", c->name, nulls);
    timed_t *v = xmalloc((n ? n : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = (timed_t){col_num(c, i), i};
    qsort(v, n, sizeof(*v), cmp_timed);
    if (cfg->test_from != NULL) {
        if ((rc = parse_cutoff(c, cfg->test_from, &test_cut, e)) != FERR_OK)
            return free(v), rc;
    } else if (cfg->test_fraction > 0) {
        size_t k = frac_rows(cfg->test_fraction, n);
        /* the cutoff is the time of the first test row: ties move with it */
        test_cut = k == 0 || k > n ? INFINITY : v[n - k].t;
    }
    if (cfg->valid_from != NULL) {
        if ((rc = parse_cutoff(c, cfg->valid_from, &valid_cut, e)) != FERR_OK)
            return free(v), rc;
        if (valid_cut > test_cut)
            return free(v), ferr_set(e, FERR_RANGE, "split: valid_from %s is "
                                     "after test_from", cfg->valid_from);
    } else if (cfg->valid_fraction > 0) {
        size_t ntest = 0, k = frac_rows(cfg->valid_fraction, n);
        for (size_t i = 0; i < n; i++)
            ntest += v[i].t >= test_cut;
        valid_cut = k == 0 || k + ntest > n ? test_cut : v[n - ntest - k].t;
    }
    for (size_t i = 0; i < n; i++)
        part[v[i].i] = v[i].t >= test_cut ? SPLIT_TEST
                     : v[i].t >= valid_cut ? SPLIT_VALID : SPLIT_TRAIN;
    free(v);
    return FERR_OK;
}

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

void split_group_keys(const column_t *c, uint64_t *out)
{
    const uint64_t basis = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < c->n; i++) {
        if (col_is_null(c, i)) {
            out[i] = fnv1a("\0null", 5, basis);
        } else if (c->type == FT_STRING || c->type == FT_CATEGORY) {
            str_t s = col_str(c, i);
            out[i] = fnv1a(s.p, s.n, basis);
        } else {
            double v = col_num(c, i);
            v = v == 0 ? 0 : v; /* -0 and 0 are one group */
            out[i] = fnv1a(&v, sizeof(v), basis ^ 1);
        }
    }
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Unique sorted keys with their row counts; returns the number of groups. */
static size_t unique_groups(const uint64_t *keys, size_t n, uint64_t **ukeys,
                            size_t **counts)
{
    uint64_t *k = xmalloc((n ? n : 1) * sizeof(*k));
    size_t *cnt = xmalloc((n ? n : 1) * sizeof(*cnt));
    size_t g = 0;
    memcpy(k, keys, n * sizeof(*k));
    qsort(k, n, sizeof(*k), cmp_u64);
    for (size_t i = 0; i < n; i++) {
        if (g > 0 && k[g - 1] == k[i]) {
            cnt[g - 1]++;
        } else {
            k[g] = k[i];
            cnt[g++] = 1;
        }
    }
    *ukeys = k;
    *counts = cnt;
    return g;
}

static size_t group_index(const uint64_t *ukeys, size_t g, uint64_t key)
{
    const uint64_t *p = bsearch(&key, ukeys, g, sizeof(*ukeys), cmp_u64);
    return (size_t)(p - ukeys);
}

static int split_group(const table_t *t, const split_config_t *cfg,
                       uint8_t *part, ferr_t *e)
{
    size_t n = t->nrows;
    const column_t *c = cfg->group_column ? table_find(t, cfg->group_column) : NULL;
    if (cfg->group_column == NULL)
        return ferr_set(e, FERR_USAGE, "split method group needs group_column");
    if (c == NULL)
        return ferr_set(e, FERR_NOTFOUND, "split: group column %s not found",
                        cfg->group_column);
    uint64_t *keys = xmalloc((n ? n : 1) * sizeof(*keys)), *ukeys;
    size_t *counts;
    split_group_keys(c, keys);
    size_t g = unique_groups(keys, n, &ukeys, &counts);
    size_t *order = xmalloc((g ? g : 1) * sizeof(*order));
    uint8_t *gpart = xmalloc(g ? g : 1);
    uint64_t st = cfg->seed;
    for (size_t i = 0; i < g; i++)
        order[i] = i;
    split_shuffle(order, g, &st);
    /* whole groups fill test, then valid, until each reaches its row target */
    size_t want[SPLIT_NPARTS] = {0, frac_rows(cfg->valid_fraction, n),
                                 frac_rows(cfg->test_fraction, n)};
    size_t got[SPLIT_NPARTS] = {0};
    for (size_t j = 0; j < g; j++) {
        size_t gi = order[j];
        int p = got[SPLIT_TEST] < want[SPLIT_TEST] ? SPLIT_TEST
              : got[SPLIT_VALID] < want[SPLIT_VALID] ? SPLIT_VALID : SPLIT_TRAIN;
        gpart[gi] = (uint8_t)p;
        got[p] += counts[gi];
    }
    for (size_t i = 0; i < n; i++)
        part[i] = gpart[group_index(ukeys, g, keys[i])];
    free(keys);
    free(ukeys);
    free(counts);
    free(order);
    free(gpart);
    return FERR_OK;
}

int split_make(const table_t *t, const double *label, const split_config_t *cfg,
               split_t *out, ferr_t *e)
{
    size_t n = t->nrows;
    int rc;
    memset(out, 0, sizeof(*out));
    if (cfg->test_fraction < 0 || cfg->valid_fraction < 0 ||
        cfg->test_fraction + cfg->valid_fraction >= 1)
        return ferr_set(e, FERR_RANGE, "split: test_fraction %g + valid_fraction "
                        "%g must be >= 0 and < 1", cfg->test_fraction,
                        cfg->valid_fraction);
    if (n == 0)
        return ferr_set(e, FERR_RANGE, "split: the table has no rows");
    out->part = xcalloc(n, 1);
    out->n = n;
    switch (cfg->method) {
    case SPLIT_RANDOM:
        rc = split_random(n, cfg, out->part);
        break;
    case SPLIT_STRATIFIED:
        rc = split_stratified(n, label, cfg, out->part, e);
        break;
    case SPLIT_TIME:
        rc = split_time(t, cfg, out->part, e);
        break;
    case SPLIT_GROUP:
        rc = split_group(t, cfg, out->part, e);
        break;
    default:
        rc = ferr_set(e, FERR_USAGE, "split: unknown method %d", (int)cfg->method);
    }
    if (rc != FERR_OK) {
        split_free(out);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        out->count[out->part[i]]++;
    bool asked[SPLIT_NPARTS] = {
        true,
        cfg->valid_fraction > 0 || (cfg->method == SPLIT_TIME && cfg->valid_from),
        cfg->test_fraction > 0 || (cfg->method == SPLIT_TIME && cfg->test_from)};
    for (int p = 0; p < SPLIT_NPARTS; p++) {
        if (asked[p] && out->count[p] == 0) {
            rc = ferr_set(e, FERR_RANGE, "split %s: the %s part is empty "
                          "(%zu rows; valid_fraction %g, test_fraction %g)",
                          split_method_name(cfg->method), split_part_names[p], n,
                          cfg->valid_fraction, cfg->test_fraction);
            split_free(out);
            return rc;
        }
    }
    return FERR_OK;
}

void split_free(split_t *s)
{
    free(s->part);
    memset(s, 0, sizeof(*s));
}

/* ---- k-fold ------------------------------------------------------------- */

typedef struct { size_t size; size_t rank; size_t g; } gsize_t;

static int cmp_gsize(const void *pa, const void *pb)
{
    const gsize_t *a = pa, *b = pb;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return a->rank < b->rank ? -1 : a->rank > b->rank;
}

int split_kfold(size_t n, unsigned k, split_kfold_kind_t kind,
                const double *label, const uint64_t *groups, uint64_t seed,
                int *fold, ferr_t *e)
{
    uint64_t st = seed;
    if (k < 2)
        return ferr_set(e, FERR_RANGE, "cv: folds must be >= 2 (got %u)", k);
    if (n < k)
        return ferr_set(e, FERR_RANGE, "cv: %u folds need at least %u rows "
                        "(have %zu)", k, k, n);
    size_t *idx = xmalloc(n * sizeof(*idx));
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    if (kind == SPLIT_KFOLD_PLAIN) {
        split_shuffle(idx, n, &st);
        for (size_t i = 0; i < n; i++)
            fold[idx[i]] = (int)(i * k / n); /* contiguous, sizes differ by 1 */
    } else if (kind == SPLIT_KFOLD_STRATIFIED) {
        if (label == NULL)
            return free(idx), ferr_set(e, FERR_USAGE, "cv: stratified needs a label");
        /* Rows sorted by class then shuffled within it, dealt round-robin:
         * each fold gets floor or ceil of every class's share. */
        uint8_t *done = xcalloc(n, 1);
        size_t pos = 0, m;
        while ((m = next_class(label, n, done, idx)) > 0) {
            split_shuffle(idx, m, &st);
            for (size_t i = 0; i < m; i++)
                fold[idx[i]] = (int)(pos++ % k);
        }
        free(done);
    } else {
        if (groups == NULL)
            return free(idx), ferr_set(e, FERR_USAGE, "cv: grouped needs groups");
        uint64_t *ukeys;
        size_t *counts;
        size_t g = unique_groups(groups, n, &ukeys, &counts);
        if (g < k) {
            free(idx), free(ukeys), free(counts);
            return ferr_set(e, FERR_RANGE, "cv: %u folds need at least %u groups "
                            "(have %zu)", k, k, g);
        }
        size_t *order = xmalloc(g * sizeof(*order));
        gsize_t *gs = xmalloc(g * sizeof(*gs));
        int *gfold = xmalloc(g * sizeof(*gfold));
        size_t load[256] = {0};
        if (k > 256)
            k = 256;
        for (size_t i = 0; i < g; i++)
            order[i] = i;
        split_shuffle(order, g, &st);
        for (size_t i = 0; i < g; i++)
            gs[i] = (gsize_t){counts[order[i]], i, order[i]};
        qsort(gs, g, sizeof(*gs), cmp_gsize);
        for (size_t i = 0; i < g; i++) {
            unsigned best = 0;
            for (unsigned f = 1; f < k; f++)
                if (load[f] < load[best])
                    best = f;
            gfold[gs[i].g] = (int)best;
            load[best] += gs[i].size;
        }
        for (size_t i = 0; i < n; i++)
            fold[i] = gfold[group_index(ukeys, g, groups[i])];
        free(ukeys), free(counts), free(order), free(gs), free(gfold);
    }
    free(idx);
    return FERR_OK;
}

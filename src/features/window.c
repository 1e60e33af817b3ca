/*
 * window.c - point-in-time windows (see window.h for the semantics).
 *
 * How it is fast: rows are put in (entity, time, row) order once, with a
 * dense entity code from a hash and two stable linear-time sorts (radix on
 * the time, counting sort on the entity code), and that permutation is
 * cached in a win_plan_t for every feature over the same entity and time.
 * Each feature is then one pass over the sorted positions with a frame
 * [lo, hi) whose two ends only move forward inside an entity: running sums
 * (compensated, so sliding frames do not drift), a monotonic deque for
 * min/max, and two pointers for duration frames.  Everything is O(n).
 *
 * The SQL side (win_to_sql) emits the same definition as standard window
 * functions; see the comment above win_to_sql for how ties and duration
 * frames are expressed exactly.
 */
#include "features/window.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* ---- name tables ------------------------------------------------------ */

static const struct {
    const char *name;
    bool needs_value;
    const char *doc;
} win_aggs[] = {
#define WIN_AGG_ROW_(e, name, needs, doc) {name, needs, doc},
    WIN_AGG_TABLE(WIN_AGG_ROW_)
#undef WIN_AGG_ROW_
};

static const char *const win_frames[] = {
#define WIN_FRAME_ROW_(e, name, doc) name,
    WIN_FRAME_TABLE(WIN_FRAME_ROW_)
#undef WIN_FRAME_ROW_
};

const char *win_agg_name(win_agg_t a)
{
    return (a >= 0 && a < WIN_AGG_COUNT_) ? win_aggs[a].name : "?";
}

const char *win_agg_doc(win_agg_t a)
{
    return (a >= 0 && a < WIN_AGG_COUNT_) ? win_aggs[a].doc : "?";
}

bool win_agg_needs_value(win_agg_t a)
{
    return a >= 0 && a < WIN_AGG_COUNT_ && win_aggs[a].needs_value;
}

int win_agg_parse(str_t name)
{
    for (int a = 0; a < WIN_AGG_COUNT_; a++)
        if (str_eq_cstr(name, win_aggs[a].name))
            return a;
    return -1;
}

const char *win_frame_name(win_frame_t f)
{
    return (f >= 0 && f < WIN_FRAME_COUNT_) ? win_frames[f] : "?";
}

int win_frame_parse(str_t name)
{
    for (int f = 0; f < WIN_FRAME_COUNT_; f++)
        if (str_eq_cstr(name, win_frames[f]))
            return f;
    return -1;
}

/* ---- durations -------------------------------------------------------- */

/* Fixed-length units only: a month or a year has no fixed length, and a
 * RANGE frame in SQL needs a constant offset. */
static const struct {
    const char *unit;
    int64_t seconds;
} win_units[] = {
    {"s", 1},        {"sec", 1},       {"min", 60},    {"h", 3600},
    {"hour", 3600},  {"d", 86400},     {"day", 86400}, {"days", 86400},
    {"w", 604800},   {"week", 604800}, {"weeks", 604800},
};

int win_parse_duration(const char *s, ftype_t tt, int64_t *out, ferr_t *e)
{
    const char *p = s ? s : "";
    int64_t n = 0;
    size_t nd = 0;

    while (*p == ' ')
        p++;
    for (; isdigit((unsigned char)*p); p++, nd++) {
        if (n > (INT64_MAX - 9) / 10)
            return ferr_set(e, FERR_RANGE, "duration '%s' is too large", s);
        n = n * 10 + (*p - '0');
    }
    if (nd == 0)
        return ferr_set(e, FERR_PARSE,
                        "duration '%s': expected a number and a unit such as "
                        "90d, 12h, 2w, 30min", s ? s : "");
    while (*p == ' ')
        p++;
    if (tt == FT_INT) {
        if (*p != '\0')
            return ferr_set(e, FERR_TYPE,
                            "duration '%s': the time column is an int, give a "
                            "bare number in its unit", s);
        *out = n;
        return FERR_OK;
    }
    if (tt != FT_DATE && tt != FT_DATETIME)
        return ferr_set(e, FERR_TYPE,
                        "duration '%s': time column must be date, datetime or "
                        "int, not %s", s, ftype_name(tt));
    if (*p == '\0')
        return ferr_set(e, FERR_PARSE, "duration '%s': missing unit (s, min, "
                        "h, d, w)", s);
    if (strcmp(p, "m") == 0 || strcmp(p, "mo") == 0 || strcmp(p, "month") == 0 ||
        strcmp(p, "months") == 0 || strcmp(p, "y") == 0 || strcmp(p, "year") == 0)
        return ferr_set(e, FERR_PARSE,
                        "duration '%s': months and years have no fixed length "
                        "(and 'm' is ambiguous); use 'min' for minutes, days "
                        "such as 90d, or a rows frame over a monthly series", s);
    for (size_t i = 0; i < sizeof(win_units) / sizeof(win_units[0]); i++) {
        int64_t sec = win_units[i].seconds, v;
        if (strcmp(p, win_units[i].unit) != 0)
            continue;
        if (tt == FT_DATE) {
            if (sec % 86400 != 0)
                return ferr_set(e, FERR_TYPE,
                                "duration '%s': the time column is a date, use "
                                "days or weeks", s);
            sec /= 86400;
        }
        if (__builtin_mul_overflow(n, sec, &v))
            return ferr_set(e, FERR_RANGE, "duration '%s' is too large", s);
        *out = v;
        return FERR_OK;
    }
    return ferr_set(e, FERR_PARSE, "duration '%s': unknown unit '%s' (use s, "
                    "min, h, d, w)", s, p);
}

/* ---- dense entity codes ------------------------------------------------ */

static uint64_t win_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* code[i] in [0, *ncodes) for every row; equal entities get equal codes.
 * A null entity is no entity: each such row gets a code of its own, so
 * rows without a key are never pooled into one made-up entity (a source
 * with null_keys: keep; reject drops them at read).  Codes come in
 * first-appearance order, which keeps the counting sort stable and cache
 * friendly. */
static int win_entity_codes(const column_t *c, size_t n, uint32_t *code,
                            size_t *ncodes, ferr_t *e)
{
    if (c == NULL) {
        memset(code, 0, n * sizeof(*code));
        *ncodes = 1;
        return FERR_OK;
    }
    if (c->type == FT_CATEGORY) {
        /* The dict already gives dense codes; nulls get dict->n, +1, ... */
        size_t next = c->dict->n;
        for (size_t i = 0; i < n; i++)
            code[i] = col_is_null(c, i) ? (uint32_t)next++
                                        : (uint32_t)c->code[i];
        *ncodes = next ? next : 1;
        return FERR_OK;
    }
    if (c->type == FT_STRING) {
        dict_t *d = dict_new();
        size_t k;
        for (size_t i = 0; i < n; i++) {
            str_t s = col_str(c, i);
            code[i] = col_is_null(c, i) ? UINT32_MAX
                                        : (uint32_t)dict_intern(d, s.p, s.n);
        }
        k = d->n;
        dict_free(d);
        for (size_t i = 0; i < n; i++) /* nulls after the interned keys */
            if (code[i] == UINT32_MAX)
                code[i] = (uint32_t)k++;
        *ncodes = k ? k : 1;
        return FERR_OK;
    }
    if (c->type == FT_FLOAT)
        return ferr_set(e, FERR_TYPE, "entity column '%s' is a float; use an "
                        "int, string or category id", c->name);
    {
        /* Integer-like ids: open addressing on the 64-bit value, sized by
         * the number of distinct ids (tens of thousands of customers fit in
         * cache; a table sized by rows would not). */
        size_t cap = 1024, next = 0;
        int64_t *keys = mem_try_malloc(cap * sizeof(*keys));
        uint32_t *vals = mem_try_malloc(cap * sizeof(*vals));
        int rc = FERR_OK;
        if (keys == NULL || vals == NULL)
            goto nomem;
        memset(vals, 0xff, cap * sizeof(*vals));
        for (size_t i = 0; i < n; i++) {
            int64_t v;
            size_t h;
            if (col_is_null(c, i)) {
                code[i] = (uint32_t)next++;
                continue;
            }
            v = c->type == FT_BOOL ? c->u8[i] : c->i64[i];
            h = win_mix64((uint64_t)v) & (cap - 1);
            while (vals[h] != UINT32_MAX && keys[h] != v)
                h = (h + 1) & (cap - 1);
            if (vals[h] == UINT32_MAX) {
                keys[h] = v;
                vals[h] = (uint32_t)next++;
                if (2 * next > cap) { /* keep the load under 1/2 */
                    size_t ncap = cap * 2;
                    int64_t *nk = mem_try_malloc(ncap * sizeof(*nk));
                    uint32_t *nv = mem_try_malloc(ncap * sizeof(*nv));
                    if (nk == NULL || nv == NULL) {
                        xfree(nk);
                        xfree(nv);
                        goto nomem;
                    }
                    memset(nv, 0xff, ncap * sizeof(*nv));
                    for (size_t j = 0; j < cap; j++) {
                        size_t g;
                        if (vals[j] == UINT32_MAX)
                            continue;
                        g = win_mix64((uint64_t)keys[j]) & (ncap - 1);
                        while (nv[g] != UINT32_MAX)
                            g = (g + 1) & (ncap - 1);
                        nk[g] = keys[j];
                        nv[g] = vals[j];
                    }
                    xfree(keys);
                    xfree(vals);
                    keys = nk;
                    vals = nv;
                    cap = ncap;
                    code[i] = (uint32_t)next - 1;
                    continue;
                }
            }
            code[i] = vals[h];
        }
        *ncodes = next ? next : 1;
        goto done;
    nomem:
        rc = ferr_set(e, FERR_NOMEM, "entity '%s': no memory for the id table",
                      c->name);
    done:
        xfree(keys);
        xfree(vals);
        return rc;
    }
}

/* ---- the plan: (entity, time, row) order -------------------------------- */

struct win_plan {
    char *entity;      /* NULL: one series */
    char *time;
    ftype_t time_type;
    size_t nrows;      /* table rows */
    size_t n;          /* rows with a non-null time (sorted positions) */
    uint32_t *perm;    /* sorted position -> row */
    int64_t *tkey;     /* sorted position -> time */
    uint32_t *seg;     /* sorted position -> first position of its entity */
    uint32_t *code;    /* row -> dense entity code */
    size_t ncodes;
    bool time_sorted;  /* times never decrease in row order (event logs) */
};

void win_plan_free(win_plan_t *p)
{
    if (p == NULL)
        return;
    xfree(p->entity);
    xfree(p->time);
    xfree(p->perm);
    xfree(p->tkey);
    xfree(p->seg);
    xfree(p->code);
    xfree(p);
}

/* Stable LSD radix sort of rows[0..n) by key[row] (as unsigned offsets from
 * the minimum), 11 bits per pass, only as many passes as the range needs:
 * dates span a few thousand days, so two passes. */
static int win_radix_by_time(uint32_t *rows, size_t n, const int64_t *key,
                             ferr_t *e)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    uint32_t *tmp, *src, *dst;
    uint64_t range;
    size_t cnt[2048];

    for (size_t i = 0; i < n; i++) {
        int64_t k = key[rows[i]];
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
    }
    if (n < 2 || lo == hi)
        return FERR_OK;
    range = (uint64_t)hi - (uint64_t)lo;
    tmp = mem_try_malloc(n * sizeof(*tmp));
    if (tmp == NULL)
        return ferr_set(e, FERR_NOMEM, "window sort: no memory for %zu rows", n);
    src = rows;
    dst = tmp;
    for (int shift = 0; shift < 64 && (range >> shift) != 0; shift += 11) {
        size_t sum = 0;
        uint32_t *sw;
        memset(cnt, 0, sizeof(cnt));
        for (size_t i = 0; i < n; i++)
            cnt[(((uint64_t)key[src[i]] - (uint64_t)lo) >> shift) & 2047]++;
        for (size_t b = 0; b < 2048; b++) {
            size_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[cnt[(((uint64_t)key[src[i]] - (uint64_t)lo) >> shift) & 2047]++] =
                src[i];
        sw = src;
        src = dst;
        dst = sw;
    }
    if (src != rows) /* an odd number of passes left it in the scratch */
        memcpy(rows, src, n * sizeof(*rows));
    xfree(tmp);
    return FERR_OK;
}

static const int64_t *win_time_values(const column_t *c)
{
    return c->i64;
}

int win_plan_new(const table_t *t, const char *entity, const char *time,
                 win_plan_t **out, ferr_t *e)
{
    const column_t *ec = NULL, *tc;
    size_t n = t->nrows;
    win_plan_t *p = NULL;
    int rc;

    *out = NULL;
    if (time == NULL)
        return ferr_set(e, FERR_SPEC, "window: no time column given");
    tc = table_find(t, time);
    if (tc == NULL)
        return ferr_set(e, FERR_NOTFOUND, "window: time column '%s' not found",
                        time);
    if (tc->type != FT_DATE && tc->type != FT_DATETIME && tc->type != FT_INT)
        return ferr_set(e, FERR_TYPE, "window: time column '%s' is %s; it must "
                        "be date, datetime or int", time, ftype_name(tc->type));
    if (entity != NULL && (ec = table_find(t, entity)) == NULL)
        return ferr_set(e, FERR_NOTFOUND, "window: entity column '%s' not "
                        "found", entity);
    if (n >= UINT32_MAX)
        return ferr_set(e, FERR_LIMIT, "window: %zu rows is more than %u", n,
                        UINT32_MAX - 1);

    p = xcalloc(1, sizeof(*p));
    p->entity = entity ? xstrdup(entity) : NULL;
    p->time = xstrdup(time);
    p->time_type = tc->type;
    p->nrows = n;
    p->code = mem_try_malloc((n ? n : 1) * sizeof(*p->code));
    if (p->code == NULL) {
        rc = ferr_set(e, FERR_NOMEM, "window: no memory for %zu rows", n);
        goto fail;
    }
    if ((rc = win_entity_codes(ec, n, p->code, &p->ncodes, e)) != FERR_OK)
        goto fail;
    /* Event logs are usually written in time order: that skips the radix
     * sort, and lets `all` frames run in row order without any sort. */
    {
        const int64_t *tv = win_time_values(tc);
        int64_t prev = INT64_MIN;
        p->time_sorted = true;
        for (size_t i = 0; i < n && p->time_sorted; i++) {
            if (col_is_null(tc, i))
                continue;
            p->time_sorted = tv[i] >= prev;
            prev = tv[i];
        }
    }
    *out = p;
    return FERR_OK;
fail:
    win_plan_free(p);
    return rc;
}

/* The (entity, time, row) permutation, built on first use: a plan used
 * only for `all` frames over a time-ordered log never needs it. */
static int win_plan_sort(win_plan_t *p, const table_t *t, ferr_t *e)
{
    const column_t *tc = table_find(t, p->time);
    const int64_t *tv = win_time_values(tc);
    size_t n = p->nrows, nv = 0, ncodes = p->ncodes;
    uint32_t *rows = NULL, first = 0;
    size_t *start = NULL;
    int rc = FERR_OK;

    if (p->perm != NULL)
        return FERR_OK;
    rows = mem_try_malloc((n ? n : 1) * sizeof(*rows));
    p->perm = mem_try_malloc((n ? n : 1) * sizeof(*p->perm));
    p->tkey = mem_try_malloc((n ? n : 1) * sizeof(*p->tkey));
    p->seg = mem_try_malloc((n ? n : 1) * sizeof(*p->seg));
    start = mem_try_calloc(ncodes + 1, sizeof(*start));
    if (!rows || !p->perm || !p->tkey || !p->seg || !start) {
        rc = ferr_set(e, FERR_NOMEM, "window: no memory to sort %zu rows", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (!col_is_null(tc, i))
            rows[nv++] = (uint32_t)i;
    if (!p->time_sorted && (rc = win_radix_by_time(rows, nv, tv, e)) != FERR_OK)
        goto done;
    /* Stable counting sort by entity code: (entity, time, row). */
    for (size_t i = 0; i < nv; i++)
        start[p->code[rows[i]] + 1]++;
    for (size_t k = 0; k < ncodes; k++)
        start[k + 1] += start[k];
    for (size_t i = 0; i < nv; i++) {
        uint32_t r = rows[i];
        p->perm[start[p->code[r]]++] = r;
    }
    p->n = nv;
    for (size_t q = 0; q < nv; q++) {
        uint32_t r = p->perm[q];
        if (q > 0 && p->code[r] != p->code[p->perm[q - 1]])
            first = (uint32_t)q;
        p->seg[q] = first;
        p->tkey[q] = tv[r];
    }
done:
    if (rc != FERR_OK) {
        xfree(p->perm);
        xfree(p->tkey);
        xfree(p->seg);
        p->perm = NULL;
        p->tkey = NULL;
        p->seg = NULL;
    }
    xfree(rows);
    xfree(start);
    return rc;
}

/* ---- checks ------------------------------------------------------------ */

static bool win_type_summable(ftype_t t)
{
    return t == FT_INT || t == FT_FLOAT || t == FT_BOOL;
}

static bool win_type_ordered(ftype_t t)
{
    return ftype_is_numeric(t);
}

int win_check(const table_t *t, const win_spec_t *w, ferr_t *e)
{
    const column_t *v = NULL;
    const char *an = win_agg_name(w->agg);

    if (w->agg < 0 || w->agg >= WIN_AGG_COUNT_)
        return ferr_set(e, FERR_SPEC, "window: unknown aggregate %d", (int)w->agg);
    if (w->frame < 0 || w->frame >= WIN_FRAME_COUNT_)
        return ferr_set(e, FERR_SPEC, "window: unknown frame %d", (int)w->frame);
    if (w->value == NULL && win_agg_needs_value(w->agg))
        return ferr_set(e, FERR_SPEC, "window %s: needs a value column", an);
    if (w->value != NULL && (v = table_find(t, w->value)) == NULL)
        return ferr_set(e, FERR_NOTFOUND, "window %s: value column '%s' not "
                        "found", an, w->value);
    if (w->frame == WIN_FRAME_ROWS && w->rows < 1)
        return ferr_set(e, FERR_SPEC, "window %s: rows must be >= 1, not %" PRId64,
                        an, w->rows);
    if (w->frame == WIN_FRAME_DURATION && w->duration < 0)
        return ferr_set(e, FERR_SPEC, "window %s: negative duration %" PRId64,
                        an, w->duration);
    if (w->agg == WIN_LAG && w->lag < 0)
        return ferr_set(e, FERR_SPEC, "window lag: lag must be >= 1, not %d",
                        w->lag);
    if (v == NULL)
        return FERR_OK;
    switch (w->agg) {
    case WIN_SUM:
    case WIN_MEAN:
    case WIN_STD:
        if (!win_type_summable(v->type))
            return ferr_set(e, FERR_TYPE, "window %s: value column '%s' is %s; "
                            "%s needs int, float or bool", an, v->name,
                            ftype_name(v->type), an);
        break;
    case WIN_MIN:
    case WIN_MAX:
        if (!win_type_ordered(v->type))
            return ferr_set(e, FERR_TYPE, "window %s: value column '%s' is %s; "
                            "%s needs a number, date or datetime", an, v->name,
                            ftype_name(v->type), an);
        break;
    default:
        break;
    }
    return FERR_OK;
}

/* ---- gather -------------------------------------------------------------- */

column_t *win_gather(const column_t *src, const int64_t *rows, size_t n,
                     const char *name)
{
    column_t *c = col_new(name, src->type, n);
    if (src->type == FT_CATEGORY) {
        dict_free(c->dict);
        c->dict = dict_clone(src->dict);
    }
    for (size_t i = 0; i < n; i++) {
        int64_t r = rows[i];
        bool null = r < 0 || col_is_null(src, (size_t)r);
        switch (src->type) {
        case FT_INT:
        case FT_DATE:
        case FT_DATETIME:
            c->i64[i] = null ? 0 : src->i64[r];
            break;
        case FT_FLOAT:
            c->f64[i] = null ? 0 : src->f64[r];
            break;
        case FT_BOOL:
            c->u8[i] = null ? 0 : src->u8[r];
            break;
        case FT_CATEGORY:
            c->code[i] = null ? 0 : src->code[r];
            break;
        case FT_STRING: {
            str_t s = null ? (str_t){"", 0} : col_str(src, (size_t)r);
            col_str_append(c, i, s.p, s.n);
            break;
        }
        default:
            break;
        }
        if (null)
            col_set_null(c, i);
    }
    return c;
}

/* ---- computing one feature ------------------------------------------------ */

/* Neumaier compensated sum: sliding frames add and remove values for the
 * life of an entity, and plain doubles would drift by the rounding of every
 * step. */
typedef struct {
    double s, c;
} win_ksum_t;

static inline void win_kadd(win_ksum_t *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

static inline double win_kval(const win_ksum_t *k)
{
    return k->s + k->c;
}

/* Sliding state over sorted positions [lo, hi) of one entity. */
typedef struct {
    int64_t cnt;       /* non-null values in the frame */
    int64_t isum;      /* exact sum for int/bool values */
    bool overflow;     /* isum left the int64 range */
    win_ksum_t fsum;   /* sum for float values */
    win_ksum_t d1, d2; /* sums of (x - shift) and its square, for std */
    double shift;
    bool have_shift;
    uint32_t *dq;      /* monotonic deque of positions (min/max) */
    size_t dh, dt;     /* head, tail */
    int64_t lastnn;    /* latest non-null position < hi, or -1 */
} win_state_t;

typedef struct {
    win_agg_t agg;
    bool is_float;       /* value stored as f64 */
    const uint8_t *vnn;  /* sorted position -> 1 if value non-null */
    const double *vd;    /* sorted position -> value as double */
    const int64_t *vi;   /* sorted position -> value as int64 (int-like) */
} win_vals_t;

static inline bool win_better(const win_vals_t *v, uint32_t a, uint32_t b)
{
    /* true if a should evict b from the back of the deque: a is at least
     * as good and newer, so b can never be the answer again */
    if (v->is_float)
        return v->agg == WIN_MIN ? v->vd[a] <= v->vd[b] : v->vd[a] >= v->vd[b];
    return v->agg == WIN_MIN ? v->vi[a] <= v->vi[b] : v->vi[a] >= v->vi[b];
}

static inline void win_add(win_state_t *s, const win_vals_t *v, uint32_t q)
{
    if (v->vnn != NULL && !v->vnn[q])
        return;
    s->cnt++;
    s->lastnn = q;
    switch (v->agg) {
    case WIN_SUM:
    case WIN_MEAN:
        if (v->is_float)
            win_kadd(&s->fsum, v->vd[q]);
        else
            s->overflow |= __builtin_add_overflow(s->isum, v->vi[q], &s->isum);
        break;
    case WIN_STD: {
        double d;
        if (!s->have_shift) {
            s->shift = v->vd[q];
            s->have_shift = true;
        }
        d = v->vd[q] - s->shift;
        win_kadd(&s->d1, d);
        win_kadd(&s->d2, d * d);
        break;
    }
    case WIN_MIN:
    case WIN_MAX:
        while (s->dt > s->dh && win_better(v, q, s->dq[s->dt - 1]))
            s->dt--;
        s->dq[s->dt++] = q;
        break;
    default:
        break;
    }
}

static inline void win_remove(win_state_t *s, const win_vals_t *v, uint32_t q)
{
    if (v->vnn != NULL && !v->vnn[q])
        return;
    s->cnt--;
    switch (v->agg) {
    case WIN_SUM:
    case WIN_MEAN:
        if (v->is_float)
            win_kadd(&s->fsum, -v->vd[q]);
        else
            s->overflow |= __builtin_sub_overflow(s->isum, v->vi[q], &s->isum);
        break;
    case WIN_STD: {
        double d = v->vd[q] - s->shift;
        win_kadd(&s->d1, -d);
        win_kadd(&s->d2, -(d * d));
        break;
    }
    case WIN_MIN:
    case WIN_MAX:
        if (s->dt > s->dh && s->dq[s->dh] == q)
            s->dh++;
        break;
    default:
        break;
    }
}

static void win_state_reset(win_state_t *s, uint32_t seg)
{
    uint32_t *dq = s->dq;
    memset(s, 0, sizeof(*s));
    s->dq = dq;
    s->dh = s->dt = seg; /* the deque of an entity fits in its positions */
    s->lastnn = -1;
}

/* Sample std of the non-null values at sorted positions [lo, hi), in two
 * passes.  The running shifted sums lose digits when a series drifts far
 * from its first value (monthly prices around 1.4e6 with a std of 300 gave
 * 1.1e-9 relative error against pandas); small frames, the usual rolling
 * 3/6/12 periods, are recomputed exactly instead. */
#define WIN_STD_EXACT_MAX 1024

static double win_std_exact(const win_vals_t *v, size_t lo, size_t hi)
{
    double sum = 0, ss = 0, mean;
    size_t n = 0;
    for (size_t q = lo; q < hi; q++)
        if (v->vnn == NULL || v->vnn[q]) {
            sum += v->vd[q];
            n++;
        }
    mean = sum / (double)n;
    for (size_t q = lo; q < hi; q++)
        if (v->vnn == NULL || v->vnn[q]) {
            double d = v->vd[q] - mean;
            ss += d * d;
        }
    return sqrt(ss / (double)(n - 1));
}

/* Output type of a numeric aggregate. */
static ftype_t win_out_type(win_agg_t a, const column_t *v)
{
    switch (a) {
    case WIN_COUNT:
        return FT_INT;
    case WIN_SUM:
        return v->type == FT_FLOAT ? FT_FLOAT : FT_INT;
    default:
        return FT_FLOAT;
    }
}

static bool win_is_selection(win_agg_t a)
{
    return a == WIN_MIN || a == WIN_MAX || a == WIN_LAST || a == WIN_LAG;
}

/* Fast path for the commonest case, an all-previous frame over a log whose
 * rows are already in time order: then file order is (time, row) order
 * inside every entity, and one sequential pass with a small state per
 * entity replaces the gather/scatter through the permutation (which costs
 * two cache misses per row on a 777k-row log). */
typedef struct {
    int64_t cnt, isum, sel;
    win_ksum_t s, d2;
    double shift, bestd;
    int64_t besti;
    bool overflow;
} win_ent_t;

static int win_row_order_pass(const win_plan_t *p, const table_t *t,
                              const win_spec_t *w, const column_t *v,
                              column_t *res, int64_t *sel, ferr_t *e)
{
    const column_t *tc = table_find(t, w->time);
    win_ent_t *st = mem_try_calloc(p->ncodes ? p->ncodes : 1, sizeof(*st));
    bool isf = v != NULL && v->type == FT_FLOAT;
    bool isb = v != NULL && v->type == FT_BOOL;
    bool num = v != NULL && ftype_is_numeric(v->type);

    if (st == NULL)
        return ferr_set(e, FERR_NOMEM, "window: no memory for %zu entities",
                        p->ncodes);
    for (size_t k = 0; k < p->ncodes; k++)
        st[k].sel = -1;
    for (size_t i = 0; i < p->nrows; i++) {
        win_ent_t *s;
        bool nn;
        double xd = 0;
        int64_t xi = 0;
        if (col_is_null(tc, i))
            continue; /* already null in res; sel stays -1 */
        s = &st[p->code[i]];
        nn = v == NULL || !col_is_null(v, i);
        if (num && nn) {
            if (isf) {
                xd = v->f64[i];
                nn = !isnan(xd);
            } else {
                xi = isb ? v->u8[i] : v->i64[i];
                xd = (double)xi;
            }
        }
        for (int phase = 0; phase < 2; phase++) {
            /* phase 0 emits before adding (current row excluded), phase 1
             * after; include_current swaps them */
            bool emit = (phase == 0) != w->include_current;
            if (!emit) {
                if (!nn)
                    continue;
                s->cnt++;
                switch (w->agg) {
                case WIN_SUM:
                case WIN_MEAN:
                    if (isf)
                        win_kadd(&s->s, xd);
                    else
                        s->overflow |= __builtin_add_overflow(s->isum, xi, &s->isum);
                    break;
                case WIN_STD: {
                    double d;
                    if (s->cnt == 1)
                        s->shift = xd;
                    d = xd - s->shift;
                    win_kadd(&s->s, d);
                    win_kadd(&s->d2, d * d);
                    break;
                }
                case WIN_MIN:
                case WIN_MAX: {
                    bool better = s->sel < 0;
                    if (!better && isf)
                        better = w->agg == WIN_MIN ? xd < s->bestd : xd > s->bestd;
                    else if (!better)
                        better = w->agg == WIN_MIN ? xi < s->besti : xi > s->besti;
                    if (better) {
                        s->sel = (int64_t)i;
                        s->bestd = xd;
                        s->besti = xi;
                    }
                    break;
                }
                case WIN_LAST:
                    s->sel = (int64_t)i;
                    break;
                default:
                    break;
                }
                continue;
            }
            if (s->overflow) {
                xfree(st);
                return ferr_set(e, FERR_RANGE, "window %s of '%s' overflows a "
                                "64-bit integer at row %zu", win_agg_name(w->agg),
                                v->name, i + 1);
            }
            switch (w->agg) {
            case WIN_COUNT:
                res->i64[i] = s->cnt;
                break;
            case WIN_SUM:
                if (s->cnt == 0)
                    col_set_null(res, i);
                else if (isf)
                    res->f64[i] = win_kval(&s->s);
                else
                    res->i64[i] = s->isum;
                break;
            case WIN_MEAN:
                if (s->cnt == 0)
                    col_set_null(res, i);
                else
                    res->f64[i] = (isf ? win_kval(&s->s) : (double)s->isum) /
                                  (double)s->cnt;
                break;
            case WIN_STD:
                if (s->cnt < 2) {
                    col_set_null(res, i);
                } else {
                    double s1 = win_kval(&s->s), s2 = win_kval(&s->d2);
                    double var = (s2 - s1 * s1 / (double)s->cnt) /
                                 (double)(s->cnt - 1);
                    res->f64[i] = sqrt(var > 0 ? var : 0);
                }
                break;
            default: /* min, max, last */
                sel[i] = s->sel;
                break;
            }
        }
    }
    xfree(st);
    return FERR_OK;
}

int win_plan_compute(win_plan_t *p, const table_t *t,
                     const win_spec_t *w, const char *outname,
                     column_t **out, ferr_t *e)
{
    const column_t *v = NULL;
    win_vals_t vals = {0};
    win_state_t st = {0};
    uint8_t *vnn = NULL;
    double *vd = NULL;
    int64_t *vi = NULL, *sel = NULL;
    column_t *res = NULL;
    size_t n;
    bool fast;
    int rc;

    *out = NULL;
    if ((rc = win_check(t, w, e)) != FERR_OK)
        return rc;
    if (t->nrows != p->nrows || strcmp(w->time, p->time) != 0 ||
        (w->entity == NULL) != (p->entity == NULL) ||
        (w->entity && strcmp(w->entity, p->entity) != 0))
        return ferr_set(e, FERR_USAGE, "window: the plan was built for another "
                        "table, entity or time");
    if (w->value)
        v = table_find(t, w->value);

    /* Values in sorted order, so the pass below streams through memory. */
    vals.agg = w->agg;
    /* std is left to the sorted pass: it recomputes small frames exactly
     * (win_std_exact), so the fast path's running sums would make the
     * result depend on whether the file happens to be in time order (and
     * a record scored alone, over its entity's events, would differ from
     * its row of a build over an unsorted log). */
    fast = p->time_sorted && w->frame == WIN_FRAME_ALL && w->agg != WIN_LAG &&
           w->agg != WIN_STD;
    if (!fast && (rc = win_plan_sort(p, t, e)) != FERR_OK)
        return rc;
    n = p->n;
    if (v != NULL && w->agg != WIN_LAG && !fast) {
        vnn = mem_try_malloc(n ? n : 1);
        if (vnn == NULL)
            goto nomem;
        vals.is_float = v->type == FT_FLOAT;
        if (ftype_is_numeric(v->type)) {
            vd = mem_try_malloc((n ? n : 1) * sizeof(*vd));
            vi = mem_try_malloc((n ? n : 1) * sizeof(*vi));
            if (vd == NULL || vi == NULL)
                goto nomem;
        }
        for (size_t q = 0; q < n; q++) {
            uint32_t r = p->perm[q];
            bool nn = !col_is_null(v, r);
            if (vd != NULL) {
                switch (v->type) {
                case FT_FLOAT:
                    vd[q] = v->f64[r];
                    vi[q] = 0;
                    nn = nn && !isnan(vd[q]); /* NaN is missing, as in pandas */
                    break;
                case FT_BOOL:
                    vi[q] = v->u8[r];
                    vd[q] = (double)vi[q];
                    break;
                default:
                    vi[q] = v->i64[r];
                    vd[q] = (double)vi[q];
                    break;
                }
            }
            vnn[q] = nn;
        }
        vals.vnn = vnn;
        vals.vd = vd;
        vals.vi = vi;
    }

    if (win_is_selection(w->agg)) {
        sel = mem_try_malloc((p->nrows ? p->nrows : 1) * sizeof(*sel));
        if (sel == NULL)
            goto nomem;
        for (size_t i = 0; i < p->nrows; i++)
            sel[i] = -1;
    } else {
        res = col_new(outname, win_out_type(w->agg, v), p->nrows);
        /* rows without a time are outside every window */
        if (n < p->nrows) {
            const column_t *tc = table_find(t, w->time);
            for (size_t i = 0; i < p->nrows; i++)
                if (col_is_null(tc, i))
                    col_set_null(res, i);
        }
    }

    if (fast) {
        rc = win_row_order_pass(p, t, w, v, res, sel, e);
        if (rc != FERR_OK)
            goto fail;
        goto done;
    }

    if (w->agg == WIN_LAG) {
        int64_t k = w->lag > 0 ? w->lag : 1;
        for (size_t q = 0; q < n; q++)
            if ((int64_t)q - k >= (int64_t)p->seg[q])
                sel[p->perm[q]] = p->perm[q - (size_t)k];
        goto done;
    }

    if (w->agg == WIN_MIN || w->agg == WIN_MAX) {
        st.dq = mem_try_malloc((n ? n : 1) * sizeof(*st.dq));
        if (st.dq == NULL)
            goto nomem;
    }
    {
        size_t lo = 0, hi = 0;
        bool inc = w->include_current;
        for (size_t q = 0; q < n; q++) {
            uint32_t seg = p->seg[q], r = p->perm[q];
            size_t want_hi = q + (inc ? 1 : 0);
            size_t want_lo;
            if (q == seg) { /* a new entity */
                win_state_reset(&st, seg);
                lo = hi = seg;
            }
            while (hi < want_hi)
                win_add(&st, &vals, (uint32_t)hi++);
            switch (w->frame) {
            case WIN_FRAME_ROWS:
                want_lo = want_hi > seg + (size_t)w->rows
                              ? want_hi - (size_t)w->rows
                              : seg;
                break;
            case WIN_FRAME_DURATION:
                want_lo = lo;
                while (want_lo < hi &&
                       (__int128)p->tkey[q] - p->tkey[want_lo] > w->duration)
                    want_lo++;
                break;
            default:
                want_lo = seg;
                break;
            }
            while (lo < want_lo)
                win_remove(&st, &vals, (uint32_t)lo++);
            if (st.overflow) {
                rc = ferr_set(e, FERR_RANGE, "window %s of '%s' overflows a "
                              "64-bit integer at row %u", win_agg_name(w->agg),
                              v->name, r + 1);
                goto fail;
            }
            switch (w->agg) {
            case WIN_COUNT:
                res->i64[r] = v ? st.cnt : (int64_t)(hi - lo);
                break;
            case WIN_SUM:
                if (st.cnt == 0)
                    col_set_null(res, r);
                else if (vals.is_float)
                    res->f64[r] = win_kval(&st.fsum);
                else
                    res->i64[r] = st.isum;
                break;
            case WIN_MEAN:
                if (st.cnt == 0)
                    col_set_null(res, r);
                else
                    res->f64[r] = (vals.is_float ? win_kval(&st.fsum)
                                                 : (double)st.isum) /
                                  (double)st.cnt;
                break;
            case WIN_STD:
                if (st.cnt < 2) {
                    col_set_null(res, r);
                } else if (hi - lo <= WIN_STD_EXACT_MAX) {
                    res->f64[r] = win_std_exact(&vals, lo, hi);
                } else {
                    double s1 = win_kval(&st.d1), s2 = win_kval(&st.d2);
                    double var = (s2 - s1 * s1 / (double)st.cnt) /
                                 (double)(st.cnt - 1);
                    res->f64[r] = sqrt(var > 0 ? var : 0);
                }
                break;
            case WIN_MIN:
            case WIN_MAX:
                if (st.dt > st.dh)
                    sel[r] = p->perm[st.dq[st.dh]];
                break;
            case WIN_LAST:
                if (st.lastnn >= (int64_t)lo)
                    sel[r] = p->perm[st.lastnn];
                break;
            default:
                break;
            }
        }
    }

done:
    if (sel != NULL)
        res = win_gather(v, sel, p->nrows, outname);
    xfree(vnn);
    xfree(vd);
    xfree(vi);
    xfree(sel);
    xfree(st.dq);
    *out = res;
    return FERR_OK;
nomem:
    rc = ferr_set(e, FERR_NOMEM, "window: no memory for %zu rows", p->nrows);
fail:
    xfree(vnn);
    xfree(vd);
    xfree(vi);
    xfree(sel);
    xfree(st.dq);
    col_free(res);
    return rc;
}

int win_compute(const table_t *t, const win_spec_t *w, const char *outname,
                column_t **out, ferr_t *e)
{
    win_plan_t *p;
    int rc;

    *out = NULL;
    if ((rc = win_check(t, w, e)) != FERR_OK)
        return rc;
    if ((rc = win_plan_new(t, w->entity, w->time, &p, e)) != FERR_OK)
        return rc;
    rc = win_plan_compute(p, t, w, outname, out, e);
    win_plan_free(p);
    return rc;
}

/* ---- SQL ---------------------------------------------------------------
 *
 * all / rows frames are one standard window:
 *   AGG(x) OVER (PARTITION BY e ORDER BY t NULLS LAST, _row
 *                ROWS BETWEEN {UNBOUNDED|N} PRECEDING AND {1 PRECEDING|CURRENT ROW})
 * A duration frame cannot be one window: RANGE offsets need a single numeric
 * ORDER BY key, and then earlier and later rows of the same time are peers
 * that the frame cannot tell apart.  So it is the union of two disjoint
 * frames, combined per aggregate:
 *   R: earlier times   ORDER BY tk RANGE BETWEEN d PRECEDING AND 1 PRECEDING
 *   P: same time, earlier in the file (and the current row if included)
 *      PARTITION BY e, t ORDER BY _row ROWS UNBOUNDED PRECEDING AND ...
 * where tk is the time as an integer (days or epoch seconds), so "1
 * PRECEDING" means "strictly earlier".  Rows with a null time sort last and
 * get NULL, as in win_compute. */

typedef struct {
    sql_dialect_t d;
    const win_spec_t *w;
    char *x;  /* quoted value */
    char *t;  /* quoted time */
    char *tk; /* time as an integer */
    char *row; /* quoted _row */
    char *ov; /* main OVER (...) */
    char *ovr, *ovp; /* duration parts */
} win_sql_t;

static char *win_sql_quote(sql_dialect_t d, const char *name)
{
    buf_t b = {0};
    sql_quote_ident(d, name, &b);
    return buf_steal(&b);
}

static const char *win_sql_float(sql_dialect_t d)
{
    return d == SQL_SQLITE ? "REAL" : d == SQL_POSTGRES ? "DOUBLE PRECISION"
                                                        : "DOUBLE";
}

int win_sql_time_key(sql_dialect_t d, ftype_t tt, const char *t, buf_t *out)
{
    buf_t b = *out;
    int rc;
    if (tt == FT_DATE) {
        if (d == SQL_SQLITE)
            buf_printf(&b, "CAST(julianday(%s) - 2440587.5 AS INTEGER)", t);
        else if (d == SQL_POSTGRES)
            buf_printf(&b, "(%s - DATE '1970-01-01')", t);
        else
            buf_printf(&b, "DATEDIFF(%s, DATE'1970-01-01')", t);
    } else if (tt == FT_DATETIME) {
        if (d == SQL_SQLITE)
            buf_printf(&b, "CAST(strftime('%%s', %s) AS INTEGER)", t);
        else if (d == SQL_POSTGRES)
            buf_printf(&b, "CAST(EXTRACT(EPOCH FROM %s) AS BIGINT)", t);
        else
            buf_printf(&b, "UNIX_TIMESTAMP(%s)", t);
    } else {
        buf_puts(&b, t);
    }
    rc = b.p == NULL ? FERR_LIMIT : FERR_OK;
    *out = b;
    return rc;
}

static char *win_sql_tkey(sql_dialect_t d, ftype_t tt, const char *t)
{
    buf_t b = {0};
    win_sql_time_key(d, tt, t, &b);
    return buf_steal(&b);
}

/* "x" for min/max/last/lag; numeric for sum/mean/std (PostgreSQL and Spark
 * cannot add booleans). */
static void win_sql_num(const win_sql_t *c, buf_t *o)
{
    if (c->w->value_type == FT_BOOL)
        buf_printf(o, "CAST(%s AS INTEGER)", c->x);
    else
        buf_puts(o, c->x);
}

static void win_sql_fnum(const win_sql_t *c, buf_t *o)
{
    buf_printf(o, "CAST(%s AS %s)", c->x, win_sql_float(c->d));
}

/* AGG(arg) OVER ov with arg one of: x, numeric x, float x, x*x. */
enum { ARG_X, ARG_NUM, ARG_F, ARG_FSQ, ARG_STAR };

static void win_sql_call(const win_sql_t *c, const char *fn, int arg,
                         const char *ov, buf_t *o)
{
    buf_printf(o, "%s(", fn);
    switch (arg) {
    case ARG_X:
        buf_puts(o, c->x);
        break;
    case ARG_NUM:
        win_sql_num(c, o);
        break;
    case ARG_F:
        win_sql_fnum(c, o);
        break;
    case ARG_FSQ:
        win_sql_fnum(c, o);
        buf_putc(o, '*');
        win_sql_fnum(c, o);
        break;
    default:
        buf_putc(o, '*');
        break;
    }
    buf_printf(o, ") OVER (%s)", ov);
}

/* Latest non-null value in a frame.  Within a duration frame's RANGE part
 * rows of one earlier time are peers in no defined order, so "latest" must
 * carry its own tie-break: the value is packed behind a fixed-width
 * (time, row) key and the MAX of that text is the latest; 17 significant
 * digits (or the engine's exact float text) make doubles round-trip.
 * Spark's LAST(x, TRUE) is exact when the order has no ties (rows/all). */
static const char *win_sql_cast_name(sql_dialect_t d, ftype_t vt)
{
    static const char *const names[SQL_DIALECT_COUNT_][FT_COUNT_] = {
        [SQL_SQLITE] = {[FT_INT] = "INTEGER", [FT_FLOAT] = "REAL",
                        [FT_BOOL] = "INTEGER"},
        [SQL_POSTGRES] = {[FT_INT] = "BIGINT", [FT_FLOAT] = "DOUBLE PRECISION",
                          [FT_BOOL] = "BOOLEAN", [FT_DATE] = "DATE",
                          [FT_DATETIME] = "TIMESTAMP"},
        [SQL_SPARK] = {[FT_INT] = "BIGINT", [FT_FLOAT] = "DOUBLE",
                       [FT_BOOL] = "BOOLEAN", [FT_DATE] = "DATE",
                       [FT_DATETIME] = "TIMESTAMP"},
    };
    return (vt >= 0 && vt < FT_COUNT_) ? names[d][vt] : NULL;
}

static void win_sql_pad20(sql_dialect_t d, const char *expr, buf_t *o)
{
    if (d == SQL_SQLITE)
        buf_printf(o, "printf('%%020d', %s)", expr);
    else
        buf_printf(o, "lpad(CAST(%s AS %s), 20, '0')", expr,
                   d == SQL_SPARK ? "STRING" : "TEXT");
}

static void win_sql_last(const win_sql_t *c, const char *ov, bool ties,
                         buf_t *o)
{
    ftype_t vt = c->w->value_type;
    const char *cast = win_sql_cast_name(c->d, vt);
    buf_t key = {0};

    if (c->d == SQL_SPARK && !ties) {
        buf_printf(o, "LAST(%s, TRUE) OVER (%s)", c->x, ov);
        return;
    }
    buf_printf(&key, "%s + 4611686018427387904", c->tk);
    buf_puts(o, cast ? "CAST(substr(" : "substr(");
    buf_printf(o, "MAX((CASE WHEN %s IS NOT NULL THEN ", c->x);
    win_sql_pad20(c->d, key.p, o);
    buf_puts(o, " || ");
    win_sql_pad20(c->d, c->row, o);
    buf_puts(o, " || ");
    if (c->d == SQL_SQLITE && vt == FT_FLOAT)
        buf_printf(o, "printf('%%!.17g', %s)", c->x);
    else if (c->d == SQL_SQLITE)
        buf_puts(o, c->x);
    else
        buf_printf(o, "CAST(%s AS %s)", c->x, c->d == SQL_SPARK ? "STRING" : "TEXT");
    buf_printf(o, " END)%s) OVER (%s), 41)",
               c->d == SQL_POSTGRES ? " COLLATE \"C\"" : "", ov);
    if (cast)
        buf_printf(o, " AS %s)", cast);
    buf_free(&key);
}

/* min/max of two partial results, either of which may be NULL. */
static void win_sql_pick(const char *a, const char *b, const char *op,
                         buf_t *o)
{
    buf_printf(o, "CASE WHEN %s IS NULL THEN %s WHEN %s IS NULL THEN %s "
               "WHEN %s %s %s THEN %s ELSE %s END", a, b, b, a, a, op, b, a, b);
}

static void win_sql_std_from_sums(const win_sql_t *c, const char *n,
                                  const char *s, const char *q, buf_t *o)
{
    const char *mx = c->d == SQL_SQLITE ? "MAX" : "GREATEST";
    buf_printf(o, "CASE WHEN %s < 2 THEN NULL ELSE SQRT(%s(0, (%s - %s * %s / "
               "%s) / (%s - 1))) END", n, mx, q, s, s, n, n);
}

/* One frame: the aggregate over ov. */
static void win_sql_single(const win_sql_t *c, const char *ov, buf_t *o)
{
    const win_spec_t *w = c->w;
    switch (w->agg) {
    case WIN_COUNT:
        win_sql_call(c, "COUNT", w->value ? ARG_X : ARG_STAR, ov, o);
        break;
    case WIN_SUM:
        win_sql_call(c, "SUM", ARG_NUM, ov, o);
        break;
    case WIN_MEAN:
        win_sql_call(c, "AVG", ARG_F, ov, o);
        break;
    case WIN_MIN:
        win_sql_call(c, "MIN", ARG_X, ov, o);
        break;
    case WIN_MAX:
        win_sql_call(c, "MAX", ARG_X, ov, o);
        break;
    case WIN_STD:
        if (c->d != SQL_SQLITE) {
            win_sql_call(c, "STDDEV_SAMP", ARG_F, ov, o);
        } else {
            buf_t n = {0}, s = {0}, q = {0};
            win_sql_call(c, "COUNT", ARG_X, ov, &n);
            win_sql_call(c, "SUM", ARG_F, ov, &s);
            win_sql_call(c, "SUM", ARG_FSQ, ov, &q);
            win_sql_std_from_sums(c, n.p, s.p, q.p, o);
            buf_free(&n);
            buf_free(&s);
            buf_free(&q);
        }
        break;
    case WIN_LAST:
        win_sql_last(c, ov, c->w->frame == WIN_FRAME_DURATION, o);
        break;
    default:
        break;
    }
}

/* Duration: combine the R and P parts. */
static void win_sql_duration(const win_sql_t *c, buf_t *o)
{
    const win_spec_t *w = c->w;
    buf_t a = {0}, b = {0}, na = {0}, nb = {0}, s = {0}, n = {0}, q = {0};
    int targ = w->agg == WIN_MEAN || w->agg == WIN_STD ? ARG_F : ARG_NUM;

    switch (w->agg) {
    case WIN_COUNT:
        buf_putc(o, '(');
        win_sql_single(c, c->ovr, o);
        buf_puts(o, " + ");
        win_sql_single(c, c->ovp, o);
        buf_putc(o, ')');
        break;
    case WIN_MIN:
    case WIN_MAX:
        win_sql_single(c, c->ovr, &a);
        win_sql_single(c, c->ovp, &b);
        win_sql_pick(a.p, b.p, w->agg == WIN_MIN ? "<" : ">", o);
        break;
    case WIN_LAST:
        buf_puts(o, "COALESCE(");
        win_sql_single(c, c->ovp, o);
        buf_puts(o, ", ");
        win_sql_single(c, c->ovr, o);
        buf_putc(o, ')');
        break;
    default: /* sum, mean, std from counts and sums of both parts */
        win_sql_call(c, "COUNT", ARG_X, c->ovr, &na);
        win_sql_call(c, "COUNT", ARG_X, c->ovp, &nb);
        buf_printf(&n, "(%s + %s)", na.p, nb.p);
        buf_puts(&s, "(COALESCE(");
        win_sql_call(c, "SUM", targ, c->ovr, &s);
        buf_puts(&s, ", 0) + COALESCE(");
        win_sql_call(c, "SUM", targ, c->ovp, &s);
        buf_puts(&s, ", 0))");
        if (w->agg == WIN_SUM) {
            buf_printf(o, "CASE WHEN %s = 0 THEN NULL ELSE %s END", n.p, s.p);
        } else if (w->agg == WIN_MEAN) {
            buf_printf(o, "CASE WHEN %s = 0 THEN NULL ELSE %s / %s END", n.p,
                       s.p, n.p);
        } else {
            buf_puts(&q, "(COALESCE(");
            win_sql_call(c, "SUM", ARG_FSQ, c->ovr, &q);
            buf_puts(&q, ", 0) + COALESCE(");
            win_sql_call(c, "SUM", ARG_FSQ, c->ovp, &q);
            buf_puts(&q, ", 0))");
            win_sql_std_from_sums(c, n.p, s.p, q.p, o);
        }
        break;
    }
    buf_free(&a);
    buf_free(&b);
    buf_free(&na);
    buf_free(&nb);
    buf_free(&s);
    buf_free(&n);
    buf_free(&q);
}

int win_to_sql(const win_spec_t *w, sql_dialect_t d, buf_t *out, ferr_t *e)
{
    win_sql_t c = {.d = d, .w = w};
    buf_t part = {0}, b = {0}, body = {0};
    const char *an = win_agg_name(w->agg);
    char *en = NULL;
    int rc = FERR_OK;

    if (d < 0 || d >= SQL_DIALECT_COUNT_)
        return ferr_set(e, FERR_USAGE, "window: unknown SQL dialect %d", (int)d);
    if (w->agg < 0 || w->agg >= WIN_AGG_COUNT_ || w->frame < 0 ||
        w->frame >= WIN_FRAME_COUNT_ || w->time == NULL ||
        (w->value == NULL && win_agg_needs_value(w->agg)))
        return ferr_set(e, FERR_SPEC, "window %s: incomplete spec (agg, frame, "
                        "time and value)", an);
    if (w->frame == WIN_FRAME_ROWS && w->rows < 1)
        return ferr_set(e, FERR_SPEC, "window %s: rows must be >= 1", an);
    if (w->frame == WIN_FRAME_DURATION && w->duration < 0)
        return ferr_set(e, FERR_SPEC, "window %s: negative duration", an);
    if (d == SQL_POSTGRES && w->value_type == FT_BOOL &&
        (w->agg == WIN_MIN || w->agg == WIN_MAX))
        return ferr_set(e, FERR_UNSUPPORTED, "window %s of bool column '%s': "
                        "PostgreSQL has no MIN/MAX of boolean", an, w->value);

    c.x = w->value ? win_sql_quote(d, w->value) : xstrdup("*");
    c.t = win_sql_quote(d, w->time);
    c.tk = win_sql_tkey(d, w->time_type, c.t);
    c.row = win_sql_quote(d, "_row");
    if (w->entity) {
        /* a null entity is a partition of its own row, as in win_compute */
        buf_t q = {0};
        char *qe = win_sql_quote(d, w->entity);
        buf_printf(&q, "%s, CASE WHEN %s IS NULL THEN %s END", qe, qe, c.row);
        xfree(qe);
        en = buf_steal(&q);
        buf_printf(&part, "PARTITION BY %s ", en);
    }

    if (w->agg == WIN_LAG) {
        buf_printf(&b, "%sORDER BY %s NULLS LAST, %s", part.p ? part.p : "",
                   c.t, c.row);
        c.ov = buf_steal(&b);
        buf_printf(&body, "LAG(%s, %d) OVER (%s)", c.x, w->lag > 0 ? w->lag : 1,
                   c.ov);
    } else if (w->frame == WIN_FRAME_DURATION) {
        buf_printf(&b, "%sORDER BY %s NULLS LAST RANGE BETWEEN %" PRId64
                   " PRECEDING AND 1 PRECEDING", part.p ? part.p : "", c.tk,
                   w->duration);
        c.ovr = buf_steal(&b);
        if (w->entity)
            buf_printf(&b, "PARTITION BY %s, %s", en, c.t);
        else
            buf_printf(&b, "PARTITION BY %s", c.t);
        buf_printf(&b, " ORDER BY %s ROWS BETWEEN UNBOUNDED PRECEDING AND %s",
                   c.row, w->include_current ? "CURRENT ROW" : "1 PRECEDING");
        c.ovp = buf_steal(&b);
        win_sql_duration(&c, &body);
    } else {
        buf_printf(&b, "%sORDER BY %s NULLS LAST, %s ROWS BETWEEN ",
                   part.p ? part.p : "", c.t, c.row);
        if (w->frame == WIN_FRAME_ALL)
            buf_puts(&b, "UNBOUNDED PRECEDING");
        else if (w->include_current && w->rows == 1)
            buf_puts(&b, "CURRENT ROW");
        else
            buf_printf(&b, "%" PRId64 " PRECEDING",
                       w->include_current ? w->rows - 1 : w->rows);
        buf_puts(&b, w->include_current ? " AND CURRENT ROW" : " AND 1 PRECEDING");
        c.ov = buf_steal(&b);
        win_sql_single(&c, c.ov, &body);
    }
    if (body.p == NULL) {
        rc = ferr_set(e, FERR_SPEC, "window %s: nothing to emit", an);
    } else if (buf_printf(out, "CASE WHEN %s IS NULL THEN NULL ELSE %s END",
                          c.t, body.p) != FERR_OK) {
        rc = ferr_set(e, FERR_LIMIT, "window %s: SQL longer than the output "
                      "buffer allows", an);
    }
    xfree(c.x);
    xfree(c.t);
    xfree(c.tk);
    xfree(c.ov);
    xfree(c.ovr);
    xfree(c.ovp);
    xfree(c.row);
    xfree(en);
    buf_free(&part);
    buf_free(&b);
    buf_free(&body);
    return rc;
}

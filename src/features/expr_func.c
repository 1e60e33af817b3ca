/*
 * expr_func.c - the function table of the expression language.
 *
 * Every function is one row of xfunc_table (Redis's command table): name,
 * arity, argument and result types, how it evaluates, how it translates to
 * SQL per dialect and its one-line documentation.  The parser, the
 * evaluator, the SQL emitter, `ferry help` and docs/expressions.md (checked
 * by test_expr_docs) all read this table, so adding a function is one row
 * plus, when no SQL template fits, an emitter next to its evaluator.
 *
 * Evaluators get their arguments already typed (the parser inserted the
 * casts) and, for XF_PROPAGATE functions, the result's null map already
 * merged from the arguments; they skip null rows and never fail: a value
 * they cannot compute is null.
 */
#include "features/expr_int.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "data/parse.h"

#define ROWS for (size_t i = 0; i < n; i++)
#define ONULL(o, i) ((o)->c->null != NULL && (o)->c->null[i])

static void set_null(xval_t *o, size_t i)
{
    col_set_null(o->c, i);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Dates beyond +-100000 years are nonsense a user typed; keeping values in
 * this range keeps the calendar arithmetic free of overflow. */
#define XDAYS_MAX (INT64_C(36524250))

/* Day number of row i of a DATE or DATETIME argument. */
static int64_t arg_day(const xnode_t *nd, int k, const xval_t *v, size_t i)
{
    int64_t x = v->c->i64[XI(v, i)];
    return nd->args[k]->type == FT_DATETIME ? floor_div(x, 86400) : x;
}

static int64_t arg_secs(const xnode_t *nd, int k, const xval_t *v, size_t i)
{
    int64_t x = v->c->i64[XI(v, i)];
    return nd->args[k]->type == FT_DATETIME ? x : x * 86400;
}

static double arg_num(const xval_t *v, size_t i)
{
    const column_t *c = v->c;
    size_t j = XI(v, i);
    switch (c->type) {
    case FT_FLOAT: return c->f64[j];
    case FT_BOOL: return c->u8[j];
    default: return (double)c->i64[j];
    }
}

/* Characters (UTF-8 lead bytes), as SQL's length() counts them. */
static size_t utf8_len(str_t s)
{
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++)
        k += ((unsigned char)s.p[i] & 0xC0) != 0x80;
    return k;
}

/* Byte offset of character number `ch` (0-based), clamped to s.n. */
static size_t utf8_off(str_t s, size_t ch)
{
    size_t i = 0;
    while (i < s.n) {
        if (((unsigned char)s.p[i] & 0xC0) != 0x80) {
            if (ch == 0)
                return i;
            ch--;
        }
        i++;
    }
    return s.n;
}

/* ---- null handling and choice ----------------------------------------- */

static int check_unify(xnode_t *nd, int first, ferr_t *e)
{
    int t = XT_NULL;
    for (int i = first; i < nd->nargs; i++) {
        int u = xtype_unify((ftype_t)t, nd->args[i]->type);
        if (u < 0)
            return ferr_set(e, FERR_TYPE, "cannot mix %s and %s",
                            ftype_name((ftype_t)t),
                            ftype_name(nd->args[i]->type));
        t = u;
    }
    if (t == XT_NULL)
        t = FT_FLOAT;
    nd->type = (ftype_t)t;
    for (int i = first; i < nd->nargs; i++)
        xnode_cast(&nd->args[i], nd->type);
    return 0;
}

static int check_if(xnode_t *nd, ferr_t *e)
{
    return check_unify(nd, 1, e);
}

static void eval_if(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    int32_t *pick = xmalloc((n ? n : 1) * sizeof(*pick));
    ROWS pick[i] = (!xnull(&a[0], i) && a[0].c->u8[XI(&a[0], i)]) ? 0 : 1;
    xselect(o->c, a + 1, pick, n);
    xfree(pick);
}

static int check_coalesce(xnode_t *nd, ferr_t *e)
{
    return check_unify(nd, 0, e);
}

static void eval_coalesce(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    int32_t *pick = xmalloc((n ? n : 1) * sizeof(*pick));
    ROWS {
        int32_t k = 0;
        while (k < nd->nargs && xnull(&a[k], i))
            k++;
        pick[i] = k < nd->nargs ? k : -1;
    }
    xselect(o->c, a, pick, n);
    xfree(pick);
}

/* map(x, k1, v1, k2, v2, ..., [default]): keys are literals compared with
 * x; values are any expressions of one type. */
static int check_map(xnode_t *nd, ferr_t *e)
{
    ftype_t xt = nd->args[0]->type;
    int nkeys = (nd->nargs - 1) / 2;
    for (int k = 0; k < nkeys; k++) {
        xnode_t **key = &nd->args[1 + 2 * k];
        ftype_t kt = (*key)->type;
        if ((*key)->kind != XN_CONST)
            return ferr_set(e, FERR_TYPE, "key %d must be a literal", k + 1);
        if (kt == XT_NULL)
            continue;
        bool ok = (xtype_text(xt) && xtype_text(kt)) ||
                  (xtype_numeric(xt) && xtype_numeric(kt)) ||
                  (xtype_time(xt) && (kt == xt));
        if (!ok)
            return ferr_set(e, FERR_TYPE, "key %d is %s but the value mapped is %s",
                            k + 1, ftype_name(kt), ftype_name(xt));
    }
    int t = XT_NULL;
    for (int i = 2; i < nd->nargs; i += 2) {
        int u = xtype_unify((ftype_t)t, nd->args[i]->type);
        if (u < 0)
            return ferr_set(e, FERR_TYPE, "values mix %s and %s",
                            ftype_name((ftype_t)t), ftype_name(nd->args[i]->type));
        t = u;
    }
    if (nd->nargs % 2 == 0) { /* a default */
        int u = xtype_unify((ftype_t)t, nd->args[nd->nargs - 1]->type);
        if (u < 0)
            return ferr_set(e, FERR_TYPE, "default is %s but values are %s",
                            ftype_name(nd->args[nd->nargs - 1]->type),
                            ftype_name((ftype_t)t));
        t = u;
    }
    if (t == XT_NULL)
        t = FT_FLOAT;
    nd->type = (ftype_t)t;
    for (int i = 2; i < nd->nargs; i += 2)
        xnode_cast(&nd->args[i], nd->type);
    if (nd->nargs % 2 == 0)
        xnode_cast(&nd->args[nd->nargs - 1], nd->type);
    return 0;
}

static bool map_key_eq(const xval_t *x, size_t i, const column_t *key)
{
    if (col_is_null(key, 0))
        return false; /* x = null is never true */
    if (xtype_text(x->c->type))
        return str_eq(xstr(x, i), col_str(key, 0));
    if (xtype_numeric(x->c->type))
        return arg_num(x, i) == col_num(key, 0);
    return x->c->i64[XI(x, i)] == key->i64[0];
}

static void eval_map(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    int nkeys = (nd->nargs - 1) / 2;
    bool has_default = nd->nargs % 2 == 0;
    int32_t dflt = has_default ? nkeys : -1;
    xval_t *vals = xmalloc((size_t)(nkeys + 1) * sizeof(*vals));
    for (int k = 0; k < nkeys; k++)
        vals[k] = a[2 + 2 * k];
    if (has_default)
        vals[nkeys] = a[nd->nargs - 1];
    int32_t *pick = xmalloc((n ? n : 1) * sizeof(*pick));
    const xval_t *x = &a[0];
    int32_t *bycode = NULL; /* category: code -> branch, computed once */
    if (x->c->type == FT_CATEGORY) {
        const dict_t *d = x->c->dict;
        bycode = xmalloc((d->n ? d->n : 1) * sizeof(*bycode));
        for (size_t c = 0; c < d->n; c++) {
            bycode[c] = dflt;
            str_t s = dict_str(d, (int32_t)c);
            for (int k = 0; k < nkeys; k++) {
                const column_t *key = a[1 + 2 * k].c;
                if (!col_is_null(key, 0) && str_eq(s, col_str(key, 0))) {
                    bycode[c] = k;
                    break;
                }
            }
        }
    }
    ROWS {
        if (xnull(x, i)) {
            pick[i] = dflt; /* null matches no key: the default */
            continue;
        }
        if (bycode) {
            pick[i] = bycode[x->c->code[XI(x, i)]];
            continue;
        }
        int32_t k = 0;
        while (k < nkeys && !map_key_eq(x, i, a[1 + 2 * k].c))
            k++;
        pick[i] = k < nkeys ? k : dflt;
    }
    xselect(o->c, vals, pick, n);
    xfree(bycode);
    xfree(pick);
    xfree(vals);
}

/* ---- numbers ---------------------------------------------------------- */

static void eval_abs(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    if (o->c->type == FT_FLOAT)
        ROWS o->c->f64[i] = fabs(a[0].c->f64[XI(&a[0], i)]);
    else
        ROWS {
            int64_t v = a[0].c->i64[XI(&a[0], i)];
            o->c->i64[i] = v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
        }
}

/* clip(x, lo, hi): a null bound does not clip (SQL CASE semantics). */
static void eval_clip(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    bool f = o->c->type == FT_FLOAT;
    ROWS {
        if (xnull(&a[0], i)) {
            set_null(o, i);
            continue;
        }
        if (f) {
            double v = a[0].c->f64[XI(&a[0], i)];
            if (!xnull(&a[1], i) && v < a[1].c->f64[XI(&a[1], i)])
                v = a[1].c->f64[XI(&a[1], i)];
            else if (!xnull(&a[2], i) && v > a[2].c->f64[XI(&a[2], i)])
                v = a[2].c->f64[XI(&a[2], i)];
            o->c->f64[i] = v;
        } else {
            int64_t v = a[0].c->i64[XI(&a[0], i)];
            if (!xnull(&a[1], i) && v < a[1].c->i64[XI(&a[1], i)])
                v = a[1].c->i64[XI(&a[1], i)];
            else if (!xnull(&a[2], i) && v > a[2].c->i64[XI(&a[2], i)])
                v = a[2].c->i64[XI(&a[2], i)];
            o->c->i64[i] = v;
        }
    }
}

static void eval_log(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    ROWS {
        double v = arg_num(&a[0], i);
        o->c->f64[i] = v > 0 ? log(v) : NAN;
    }
}

static void eval_exp(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    ROWS o->c->f64[i] = exp(arg_num(&a[0], i));
}

static void eval_sqrt(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    ROWS {
        double v = arg_num(&a[0], i);
        o->c->f64[i] = v >= 0 ? sqrt(v) : NAN;
    }
}

static void eval_floor(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    if (o->c->type == FT_FLOAT)
        ROWS o->c->f64[i] = floor(a[0].c->f64[XI(&a[0], i)]);
    else
        ROWS o->c->i64[i] = a[0].c->i64[XI(&a[0], i)];
}

static void eval_ceil(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    if (o->c->type == FT_FLOAT)
        ROWS o->c->f64[i] = ceil(a[0].c->f64[XI(&a[0], i)]);
    else
        ROWS o->c->i64[i] = a[0].c->i64[XI(&a[0], i)];
}

/* round(x[, digits]): half away from zero, like SQLite's round(). */
static void eval_round(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    ROWS {
        double v = arg_num(&a[0], i);
        int64_t d = nd->nargs > 1 ? a[1].c->i64[XI(&a[1], i)] : 0;
        if (d < 0)
            d = 0;
        if (d > 15 || !isfinite(v)) {
            o->c->f64[i] = v;
            continue;
        }
        double s = pow(10.0, (double)d);
        o->c->f64[i] = round(v * s) / s;
    }
}

/* ---- dates ------------------------------------------------------------ */

enum { DP_YEAR, DP_MONTH, DP_DAY, DP_HOUR, DP_MINUTE, DP_SECOND, DP_WEEKDAY,
       DP_YDAY };

static void eval_part(const xnode_t *nd, xval_t *a, size_t n, xval_t *o,
                      int part)
{
    ROWS {
        if (ONULL(o, i))
            continue;
        int64_t d = arg_day(nd, 0, &a[0], i);
        int64_t s = arg_secs(nd, 0, &a[0], i) - d * 86400;
        int64_t y;
        int m, dd;
        int64_t v = 0;
        if (part <= DP_DAY || part == DP_YDAY)
            civil_from_days(d, &y, &m, &dd);
        switch (part) {
        case DP_YEAR: v = y; break;
        case DP_MONTH: v = m; break;
        case DP_DAY: v = dd; break;
        case DP_HOUR: v = s / 3600; break;
        case DP_MINUTE: v = s / 60 % 60; break;
        case DP_SECOND: v = s % 60; break;
        case DP_WEEKDAY: v = (d + 3) - floor_div(d + 3, 7) * 7 + 1; break;
        case DP_YDAY: v = d - days_from_civil(y, 1, 1) + 1; break;
        default: break;
        }
        o->c->i64[i] = v;
    }
}

#define PART_FN(name, part)                                                 \
    static void eval_##name(const xnode_t *nd, xval_t *a, size_t n,         \
                            xval_t *o)                                      \
    {                                                                       \
        eval_part(nd, a, n, o, part);                                       \
    }
PART_FN(year, DP_YEAR)
PART_FN(month, DP_MONTH)
PART_FN(day, DP_DAY)
PART_FN(hour, DP_HOUR)
PART_FN(minute, DP_MINUTE)
PART_FN(second, DP_SECOND)
PART_FN(weekday, DP_WEEKDAY)
PART_FN(yday, DP_YDAY)

static void eval_days_between(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    ROWS o->c->i64[i] = arg_day(nd, 1, &a[1], i) - arg_day(nd, 0, &a[0], i);
}

static void eval_minutes_between(const xnode_t *nd, xval_t *a, size_t n,
                                 xval_t *o)
{
    ROWS o->c->f64[i] =
        (double)(arg_secs(nd, 1, &a[1], i) - arg_secs(nd, 0, &a[0], i)) / 60.0;
}

static void eval_hours_between(const xnode_t *nd, xval_t *a, size_t n,
                               xval_t *o)
{
    ROWS o->c->f64[i] =
        (double)(arg_secs(nd, 1, &a[1], i) - arg_secs(nd, 0, &a[0], i)) /
        3600.0;
}

/* Whole years from a to b the way birthdays count them: the year
 * difference, minus one when b's month-day comes before a's (someone born
 * on 29 February turns a year older on 1 March in common years). */
static void eval_years_between(const xnode_t *nd, xval_t *a, size_t n,
                               xval_t *o)
{
    ROWS {
        if (ONULL(o, i))
            continue;
        int64_t ya, yb;
        int ma, da, mb, db;
        civil_from_days(arg_day(nd, 0, &a[0], i), &ya, &ma, &da);
        civil_from_days(arg_day(nd, 1, &a[1], i), &yb, &mb, &db);
        o->c->i64[i] = yb - ya - (mb * 100 + db < ma * 100 + da);
    }
}

static int check_add_days(xnode_t *nd, ferr_t *e)
{
    nd->type = nd->args[0]->type;
    return 0;
}

static void eval_add_days(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    bool dt = nd->type == FT_DATETIME;
    ROWS {
        if (ONULL(o, i))
            continue;
        int64_t k = a[1].c->i64[XI(&a[1], i)];
        int64_t d = arg_day(nd, 0, &a[0], i);
        if (k > XDAYS_MAX || k < -XDAYS_MAX || d + k > XDAYS_MAX ||
            d + k < -XDAYS_MAX) {
            set_null(o, i);
            continue;
        }
        o->c->i64[i] = a[0].c->i64[XI(&a[0], i)] + (dt ? k * 86400 : k);
    }
}

/* in_day_ranges(d, 'MM-DD..MM-DD', ...): ranges parsed once into aux as
 * month*100+day pairs; a range whose start is after its end wraps the
 * year end (12-15..03-03). */
typedef struct {
    int n;
    int lo[32], hi[32];
} dayranges_t;

static int parse_md(str_t s, int *md)
{
    if (s.n != 5 || s.p[2] != '-')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s.p[i] < '0' || s.p[i] > '9'))
            return -1;
    int m = (s.p[0] - '0') * 10 + (s.p[1] - '0');
    int d = (s.p[3] - '0') * 10 + (s.p[4] - '0');
    if (!civil_valid(2000, m, d)) /* a leap year: 02-29 is a day */
        return -1;
    *md = m * 100 + d;
    return 0;
}

static int check_day_ranges(xnode_t *nd, ferr_t *e)
{
    if (nd->nargs - 1 > 32)
        return ferr_set(e, FERR_LIMIT, "at most 32 ranges");
    dayranges_t *r = xcalloc(1, sizeof(*r));
    for (int k = 1; k < nd->nargs; k++) {
        str_t s = col_str(nd->args[k]->konst, 0);
        const char *dots = s.n >= 2 ? memmem(s.p, s.n, "..", 2) : NULL;
        size_t cut = dots ? (size_t)(dots - s.p) : 0;
        if (dots == NULL ||
            parse_md((str_t){s.p, cut}, &r->lo[r->n]) != 0 ||
            parse_md((str_t){s.p + cut + 2, s.n - cut - 2}, &r->hi[r->n]) != 0) {
            xfree(r);
            return ferr_set(e, FERR_PARSE,
                            "range %d '%.*s' is not 'MM-DD..MM-DD'", k,
                            STR_FMT(s));
        }
        r->n++;
    }
    nd->aux = r;
    nd->aux_free = xfree;
    return 0;
}

static void eval_day_ranges(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    const dayranges_t *r = nd->aux;
    ROWS {
        if (ONULL(o, i))
            continue;
        int64_t y;
        int m, d;
        civil_from_days(arg_day(nd, 0, &a[0], i), &y, &m, &d);
        int md = m * 100 + d;
        uint8_t in = 0;
        for (int k = 0; k < r->n && !in; k++)
            in = r->lo[k] <= r->hi[k] ? (md >= r->lo[k] && md <= r->hi[k])
                                      : (md >= r->lo[k] || md <= r->hi[k]);
        o->c->u8[i] = in;
    }
}

/* make_date(year, month[, day]): month is a number or an English/Spanish
 * name ('Ene', 'enero', 'Sept'); an impossible date is null. */
static int check_make_date(xnode_t *nd, ferr_t *e)
{
    ftype_t mt = nd->args[1]->type;
    if (mt == XT_NULL) {
        xnode_cast(&nd->args[1], FT_INT);
    } else if (mt == FT_BOOL || mt == FT_INT) {
        xnode_cast(&nd->args[1], FT_INT);
    } else if (!xtype_text(mt)) {
        return ferr_set(e, FERR_TYPE,
                        "month must be a number or a month name, got %s",
                        ftype_name(mt));
    }
    return 0;
}

static str_t trim_spaces(str_t s)
{
    while (s.n && s.p[0] == ' ') {
        s.p++;
        s.n--;
    }
    while (s.n && s.p[s.n - 1] == ' ')
        s.n--;
    return s;
}

static void eval_make_date(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    bool named = xtype_text(nd->args[1]->type);
    ROWS {
        if (ONULL(o, i))
            continue;
        int64_t y = a[0].c->i64[XI(&a[0], i)];
        int64_t m = named ? month_from_name(trim_spaces(xstr(&a[1], i)))
                          : a[1].c->i64[XI(&a[1], i)];
        int64_t d = nd->nargs > 2 ? a[2].c->i64[XI(&a[2], i)] : 1;
        if (y < 0 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 ||
            !civil_valid(y, (int)m, (int)d)) {
            set_null(o, i);
            continue;
        }
        o->c->i64[i] = days_from_civil(y, (int)m, (int)d);
    }
}

/* to_date(x[, format]) / to_datetime: parse text with parse.h, or truncate
 * a datetime to its date. */
static int check_to_time(xnode_t *nd, ferr_t *e)
{
    ftype_t t = nd->args[0]->type;
    if (xtype_text(t) || t == XT_NULL) {
        if (t == XT_NULL)
            xnode_cast(&nd->args[0], FT_STRING);
        return 0;
    }
    if (xtype_time(t) && nd->nargs == 1)
        return 0;
    return ferr_set(e, FERR_TYPE, "needs text%s, got %s",
                    nd->nargs == 1 ? " or a date/datetime" : "", ftype_name(t));
}

static const char *fmt_of(const xnode_t *nd, int k, char *buf, size_t n)
{
    if (nd->nargs <= k)
        return NULL;
    str_t f = col_str(nd->args[k]->konst, 0);
    snprintf(buf, n, "%.*s", STR_FMT(f));
    return buf;
}

static void eval_to_time(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    char fbuf[128];
    const char *fmt = fmt_of(nd, 1, fbuf, sizeof(fbuf));
    ftype_t from = nd->args[0]->type;
    bool to_date = nd->type == FT_DATE;
    ROWS {
        if (ONULL(o, i))
            continue;
        if (from == FT_DATETIME && !to_date) {
            o->c->i64[i] = a[0].c->i64[XI(&a[0], i)];
            continue;
        }
        if (xtype_time(from)) {
            int64_t d = arg_day(nd, 0, &a[0], i);
            o->c->i64[i] = to_date ? d : d * 86400;
            continue;
        }
        str_t s = trim_spaces(xstr(&a[0], i));
        int rc = to_date ? parse_date(s, fmt, &o->c->i64[i])
                         : parse_datetime(s, fmt, &o->c->i64[i]);
        if (rc != FERR_OK)
            set_null(o, i);
    }
}

/* ---- text ------------------------------------------------------------- */

static void eval_to_number(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    char dec = '.', th = 0;
    if (nd->nargs > 1) {
        str_t s = col_str(nd->args[1]->konst, 0);
        dec = s.n ? s.p[0] : '.';
    }
    if (nd->nargs > 2) {
        str_t s = col_str(nd->args[2]->konst, 0);
        th = s.n ? s.p[0] : 0;
    }
    ROWS {
        if (ONULL(o, i))
            continue;
        double v;
        if (parse_double(trim_spaces(xstr(&a[0], i)), dec, th, &v) != FERR_OK ||
            !isfinite(v))
            set_null(o, i);
        else
            o->c->f64[i] = v;
    }
}

static int check_to_number(xnode_t *nd, ferr_t *e)
{
    for (int k = 1; k < nd->nargs; k++)
        if (col_str(nd->args[k]->konst, 0).n != 1)
            return ferr_set(e, FERR_TYPE,
                            "the %s separator must be one character",
                            k == 1 ? "decimal" : "thousands");
    return 0;
}

static void eval_length(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    ROWS o->c->i64[i] = (int64_t)utf8_len(xstr(&a[0], i));
}

/* String results: every row is appended, in order (table.h's builder). */
#define STR_OUT(o, i, p, len) col_str_append((o)->c, (i), (p), (len))

static void eval_case_fn(xval_t *a, size_t n, xval_t *o, bool up)
{
    char small[256];
    ROWS {
        str_t s = ONULL(o, i) ? (str_t){"", 0} : xstr(&a[0], i);
        char *t = s.n <= sizeof(small) ? small : xmalloc(s.n);
        for (size_t k = 0; k < s.n; k++) {
            char c = s.p[k];
            if (up && c >= 'a' && c <= 'z')
                c = (char)(c - 32);
            else if (!up && c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            t[k] = c;
        }
        STR_OUT(o, i, t, s.n);
        if (t != small)
            xfree(t);
    }
}

static void eval_lower(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    eval_case_fn(a, n, o, false);
}

static void eval_upper(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    eval_case_fn(a, n, o, true);
}

static void eval_trim(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    ROWS {
        str_t s = ONULL(o, i) ? (str_t){"", 0} : trim_spaces(xstr(&a[0], i));
        STR_OUT(o, i, s.p, s.n);
    }
}

/* substr(s, start[, len]): 1-based character positions; the result covers
 * positions [start, start + len) within the string (PostgreSQL's rule, so
 * start 0 with len 3 gives 2 characters). */
static void eval_substr(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    ROWS {
        if (ONULL(o, i)) {
            STR_OUT(o, i, "", 0);
            continue;
        }
        str_t s = xstr(&a[0], i);
        int64_t st = a[1].c->i64[XI(&a[1], i)];
        int64_t nch = (int64_t)utf8_len(s);
        int64_t end = nch + 1; /* exclusive, 1-based */
        if (nd->nargs > 2) {
            int64_t len = a[2].c->i64[XI(&a[2], i)];
            if (len < 0) {
                set_null(o, i); /* PostgreSQL refuses, SQLite counts back */
                STR_OUT(o, i, "", 0);
                continue;
            }
            if (st < end - len)
                end = st + len;
        }
        if (st < 1)
            st = 1;
        if (st >= end) {
            STR_OUT(o, i, "", 0);
            continue;
        }
        size_t b0 = utf8_off(s, (size_t)(st - 1));
        size_t b1 = utf8_off(s, (size_t)(end - 1));
        STR_OUT(o, i, s.p + b0, b1 - b0);
    }
}

static void eval_replace(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    buf_t b = {0};
    ROWS {
        if (ONULL(o, i)) {
            STR_OUT(o, i, "", 0);
            continue;
        }
        str_t s = xstr(&a[0], i), f = xstr(&a[1], i), t = xstr(&a[2], i);
        if (f.n == 0 || f.n > s.n) {
            STR_OUT(o, i, s.p, s.n);
            continue;
        }
        buf_reset(&b);
        size_t k = 0;
        while (k < s.n) {
            if (k + f.n <= s.n && memcmp(s.p + k, f.p, f.n) == 0) {
                buf_append(&b, t.p, t.n);
                k += f.n;
            } else {
                buf_putc(&b, s.p[k++]);
            }
        }
        STR_OUT(o, i, b.p ? b.p : "", b.n);
    }
    buf_free(&b);
}

static int check_split_part(xnode_t *nd, ferr_t *e)
{
    if (nd->args[2]->kind != XN_CONST || col_is_null(nd->args[2]->konst, 0) ||
        nd->args[2]->konst->i64[0] < 1)
        return ferr_set(e, FERR_TYPE, "the part number must be a literal >= 1");
    return 0;
}

/* split_part(s, delim, k): the k-th field (1-based), '' past the end. */
static void eval_split_part(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    int64_t want = nd->args[2]->konst->i64[0];
    ROWS {
        if (ONULL(o, i)) {
            STR_OUT(o, i, "", 0);
            continue;
        }
        str_t s = xstr(&a[0], i), d = xstr(&a[1], i);
        if (d.n == 0) {
            if (want == 1)
                STR_OUT(o, i, s.p, s.n);
            else
                STR_OUT(o, i, "", 0);
            continue;
        }
        int64_t field = 1;
        size_t start = 0, k = 0;
        str_t got = {"", 0};
        bool found = false;
        while (k <= s.n) {
            bool at_delim = k + d.n <= s.n && memcmp(s.p + k, d.p, d.n) == 0;
            if (at_delim || k == s.n) {
                if (field == want) {
                    got = (str_t){s.p + start, k - start};
                    found = true;
                    break;
                }
                if (!at_delim)
                    break;
                field++;
                k += d.n;
                start = k;
                continue;
            }
            k++;
        }
        if (found)
            STR_OUT(o, i, got.p, got.n);
        else
            STR_OUT(o, i, "", 0);
    }
}

static void eval_starts_with(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    ROWS {
        str_t s = xstr(&a[0], i), p = xstr(&a[1], i);
        o->c->u8[i] = p.n <= s.n && (p.n == 0 || memcmp(s.p, p.p, p.n) == 0);
    }
}

static void eval_contains(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    ROWS {
        str_t s = xstr(&a[0], i), p = xstr(&a[1], i);
        o->c->u8[i] = p.n == 0 || (s.n && memmem(s.p, s.n, p.p, p.n) != NULL);
    }
}

static int check_concat(xnode_t *nd, ferr_t *e)
{
    for (int k = 0; k < nd->nargs; k++) {
        ftype_t t = nd->args[k]->type;
        if (t == XT_NULL)
            xnode_cast(&nd->args[k], FT_STRING);
        else if (!xtype_text(t) && t != FT_INT && !xtype_time(t))
            return ferr_set(e, FERR_TYPE,
                            "argument %d is %s; concat takes text, integers "
                            "and dates",
                            k + 1, ftype_name(t));
    }
    return 0;
}

static void eval_concat(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    buf_t b = {0};
    ROWS {
        buf_reset(&b);
        if (!ONULL(o, i)) {
            for (int k = 0; k < nd->nargs; k++) {
                char tmp[32];
                const column_t *c = a[k].c;
                size_t j = XI(&a[k], i);
                switch (nd->args[k]->type) {
                case FT_INT:
                    buf_printf(&b, "%lld", (long long)c->i64[j]);
                    break;
                case FT_DATE:
                    format_date(c->i64[j], tmp, sizeof(tmp));
                    buf_puts(&b, tmp);
                    break;
                case FT_DATETIME:
                    format_datetime(c->i64[j], tmp, sizeof(tmp));
                    buf_puts(&b, tmp);
                    break;
                default: {
                    str_t s = col_str(c, j);
                    buf_append(&b, s.p, s.n);
                }
                }
            }
        }
        STR_OUT(o, i, b.p ? b.p : "", b.n);
    }
    buf_free(&b);
}

/* Regular expressions: POSIX extended, compiled once at compile time. */
typedef struct {
    regex_t re;
    int group;
} xregex_t;

static void xregex_free(void *p)
{
    xregex_t *r = p;
    regfree(&r->re);
    xfree(r);
}

static int check_regex(xnode_t *nd, ferr_t *e)
{
    str_t pat = col_str(nd->args[1]->konst, 0);
    char *cpat = str_dup(pat);
    xregex_t *r = xcalloc(1, sizeof(*r));
    int flags = REG_EXTENDED | (nd->type == FT_BOOL ? REG_NOSUB : 0);
    int rc = regcomp(&r->re, cpat, flags);
    xfree(cpat);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &r->re, msg, sizeof(msg));
        xfree(r);
        return ferr_set(e, FERR_PARSE, "pattern '%.*s': %s", STR_FMT(pat), msg);
    }
    if (nd->nargs > 2) {
        const xnode_t *g = nd->args[2];
        if (g->type != FT_INT || col_is_null(g->konst, 0) ||
            g->konst->i64[0] < 0 || g->konst->i64[0] > (int64_t)r->re.re_nsub ||
            g->konst->i64[0] > 9) {
            size_t nsub = r->re.re_nsub;
            regfree(&r->re);
            xfree(r);
            return ferr_set(e, FERR_RANGE,
                            "group must be an integer literal from 0 to %zu",
                            nsub);
        }
        r->group = (int)g->konst->i64[0];
    }
    nd->aux = r;
    nd->aux_free = xregex_free;
    return 0;
}

/* regexec wants NUL-terminated text: copy each value into a scratch. */
static const char *cstr_of(str_t s, buf_t *b)
{
    buf_reset(b);
    buf_append(b, s.p, s.n);
    return b->p ? b->p : "";
}

static void eval_regexp_like(const xnode_t *nd, xval_t *a, size_t n, xval_t *o)
{
    const xregex_t *r = nd->aux;
    buf_t b = {0};
    ROWS {
        if (ONULL(o, i))
            continue;
        o->c->u8[i] = regexec(&r->re, cstr_of(xstr(&a[0], i), &b), 0, NULL, 0) == 0;
    }
    buf_free(&b);
}

static void eval_regexp_extract(const xnode_t *nd, xval_t *a, size_t n,
                                xval_t *o)
{
    const xregex_t *r = nd->aux;
    buf_t b = {0};
    regmatch_t m[10];
    ROWS {
        if (ONULL(o, i)) {
            STR_OUT(o, i, "", 0);
            continue;
        }
        const char *s = cstr_of(xstr(&a[0], i), &b);
        if (regexec(&r->re, s, 10, m, 0) != 0 || r->group > 9 ||
            m[r->group].rm_so < 0) {
            set_null(o, i);
            STR_OUT(o, i, "", 0);
            continue;
        }
        STR_OUT(o, i, s + m[r->group].rm_so,
                (size_t)(m[r->group].rm_eo - m[r->group].rm_so));
    }
    buf_free(&b);
}

/* ---- SQL emitters for functions without a template -------------------- */

static const char *sql_float_type(sql_dialect_t d)
{
    return d == SQL_SQLITE ? "REAL" : d == SQL_POSTGRES ? "DOUBLE PRECISION"
                                                        : "DOUBLE";
}

static int emit_map(const xnode_t *nd, sql_dialect_t d, char **a, buf_t *out,
                    ferr_t *e)
{
    int nkeys = (nd->nargs - 1) / 2;
    buf_printf(out, "CASE %s", a[0]);
    for (int k = 0; k < nkeys; k++)
        buf_printf(out, " WHEN %s THEN %s", a[1 + 2 * k], a[2 + 2 * k]);
    if (nd->nargs % 2 == 0)
        buf_printf(out, " ELSE %s", a[nd->nargs - 1]);
    return buf_puts(out, " END");
}

static int emit_concat(const xnode_t *nd, sql_dialect_t d, char **a,
                       buf_t *out, ferr_t *e)
{
    buf_puts(out, d == SQL_SPARK ? "concat(" : "(");
    for (int k = 0; k < nd->nargs; k++) {
        if (k)
            buf_puts(out, d == SQL_SPARK ? ", " : " || ");
        if (d != SQL_SQLITE && !xtype_text(nd->args[k]->type))
            buf_printf(out, "CAST(%s AS %s)", a[k],
                       d == SQL_POSTGRES ? "TEXT" : "STRING");
        else
            buf_puts(out, a[k]);
    }
    return buf_puts(out, ")");
}

static int emit_in_day_ranges(const xnode_t *nd, sql_dialect_t d, char **a,
                              buf_t *out, ferr_t *e)
{
    const dayranges_t *r = nd->aux;
    buf_t x = {0};
    if (d == SQL_SQLITE)
        buf_printf(&x, "strftime('%%m-%%d', %s)", a[0]);
    else if (d == SQL_POSTGRES)
        buf_printf(&x, "to_char(%s, 'MM-DD')", a[0]);
    else
        buf_printf(&x, "date_format(%s, 'MM-dd')", a[0]);
    buf_puts(out, "(");
    for (int k = 0; k < r->n; k++) {
        int lo = r->lo[k], hi = r->hi[k];
        if (k)
            buf_puts(out, " OR ");
        if (lo <= hi)
            buf_printf(out, "%s BETWEEN '%02d-%02d' AND '%02d-%02d'", x.p,
                       lo / 100, lo % 100, hi / 100, hi % 100);
        else
            buf_printf(out, "%s >= '%02d-%02d' OR %s <= '%02d-%02d'", x.p,
                       lo / 100, lo % 100, x.p, hi / 100, hi % 100);
    }
    buf_free(&x);
    return buf_puts(out, ")");
}

static int emit_years_between(const xnode_t *nd, sql_dialect_t d, char **a,
                              buf_t *out, ferr_t *e)
{
    switch (d) {
    case SQL_SQLITE:
        return buf_printf(out,
                          "(CAST(strftime('%%Y', %s) AS INTEGER) - "
                          "CAST(strftime('%%Y', %s) AS INTEGER) - "
                          "(strftime('%%m-%%d', %s) < strftime('%%m-%%d', %s)))",
                          a[1], a[0], a[1], a[0]);
    case SQL_POSTGRES:
        return buf_printf(out,
                          "(CAST(EXTRACT(YEAR FROM %s) AS INTEGER) - "
                          "CAST(EXTRACT(YEAR FROM %s) AS INTEGER) - "
                          "CASE WHEN to_char(%s, 'MM-DD') < to_char(%s, 'MM-DD') "
                          "THEN 1 ELSE 0 END)",
                          a[1], a[0], a[1], a[0]);
    default:
        return buf_printf(out,
                          "(year(%s) - year(%s) - CASE WHEN date_format(%s, "
                          "'MM-dd') < date_format(%s, 'MM-dd') THEN 1 ELSE 0 END)",
                          a[1], a[0], a[1], a[0]);
    }
}

static int emit_add_days(const xnode_t *nd, sql_dialect_t d, char **a,
                         buf_t *out, ferr_t *e)
{
    bool dt = nd->type == FT_DATETIME;
    switch (d) {
    case SQL_SQLITE:
        return buf_printf(out, "%s(%s, %s || ' days')", dt ? "datetime" : "date",
                          a[0], a[1]);
    case SQL_POSTGRES:
        return dt ? buf_printf(out, "(%s + make_interval(days => %s))", a[0], a[1])
                  : buf_printf(out, "(%s + %s)", a[0], a[1]);
    default:
        return dt ? buf_printf(out, "(%s + make_interval(0, 0, 0, %s))", a[0], a[1])
                  : buf_printf(out, "date_add(%s, %s)", a[0], a[1]);
    }
}

/* The SQL side of month_from_name: a CASE over the first three letters,
 * derived by asking parse.h about every three-letter word, so this file
 * holds no month table of its own. */
static int emit_month_case(buf_t *out, const char *m)
{
    buf_printf(out, "CASE lower(substr(trim(%s), 1, 3))", m);
    char w[4] = {0};
    for (int x = 0; x < 26 * 26 * 26; x++) {
        w[0] = (char)('a' + x / 676);
        w[1] = (char)('a' + x / 26 % 26);
        w[2] = (char)('a' + x % 26);
        int mo = month_from_name((str_t){w, 3});
        if (mo)
            buf_printf(out, " WHEN '%s' THEN %d", w, mo);
    }
    return buf_puts(out, " END");
}

static int emit_make_date(const xnode_t *nd, sql_dialect_t d, char **a,
                          buf_t *out, ferr_t *e)
{
    buf_t m = {0};
    if (xtype_text(nd->args[1]->type))
        emit_month_case(&m, a[1]);
    else
        buf_puts(&m, a[1]);
    const char *day = nd->nargs > 2 ? a[2] : "1";
    int rc;
    if (d == SQL_SQLITE) {
        /* printf() turns a null into 0 and date() keeps an impossible
         * 02-30 as it is, so test nulls first and keep only dates that
         * survive a trip through the day number */
        rc = buf_printf(out,
                        "(SELECT CASE WHEN y_ IS NULL OR m_ IS NULL OR d_ IS NULL "
                        "THEN NULL WHEN date(julianday(v_)) = v_ THEN v_ END FROM (SELECT "
                        "y_, m_, d_, printf('%%04d-%%02d-%%02d', y_, m_, d_) AS v_ "
                        "FROM (SELECT %s AS y_, %s AS m_, %s AS d_)))",
                        a[0], m.p, day);
    } else {
        rc = buf_printf(out, "make_date(%s, %s, %s)", a[0], m.p, day);
    }
    buf_free(&m);
    return rc;
}

/* strptime-like format -> PostgreSQL / Spark pattern. */
static int translate_fmt(const char *fmt, sql_dialect_t d, buf_t *out,
                         ferr_t *e)
{
    static const struct {
        char c;
        const char *pg, *spark;
    } tr[] = {{'Y', "YYYY", "yyyy"}, {'y', "YY", "yy"},   {'m', "MM", "M"},
              {'d', "DD", "d"},      {'b', "Mon", "MMM"}, {'B', "Month", "MMMM"},
              {'H', "HH24", "H"},    {'M', "MI", "m"},    {'S', "SS", "s"},
              {'j', "DDD", "D"},     {'%', "%", "%"}};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            if (d == SQL_SPARK && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                buf_printf(out, "''%c''", *p);
            else if (*p == '\'')
                buf_puts(out, "''");
            else
                buf_putc(out, *p);
            continue;
        }
        p++;
        size_t k = 0;
        while (k < sizeof(tr) / sizeof(*tr) && tr[k].c != *p)
            k++;
        if (k == sizeof(tr) / sizeof(*tr))
            return ferr_set(e, FERR_UNSUPPORTED, "format '%s' has no SQL form", fmt);
        buf_puts(out, d == SQL_POSTGRES ? tr[k].pg : tr[k].spark);
        if (*p == '\0')
            break;
    }
    return FERR_OK;
}

static int emit_to_time(const xnode_t *nd, sql_dialect_t d, char **a,
                        buf_t *out, ferr_t *e)
{
    bool date = nd->type == FT_DATE;
    char fbuf[128];
    const char *fmt = fmt_of(nd, 1, fbuf, sizeof(fbuf));
    if (xtype_time(nd->args[0]->type)) {
        if (d == SQL_SQLITE)
            return buf_printf(out, "%s(%s)", date ? "date" : "datetime", a[0]);
        return buf_printf(out, "CAST(%s AS %s)", a[0], date ? "DATE" : "TIMESTAMP");
    }
    bool iso = fmt == NULL || fmt[0] == '\0' || strcmp(fmt, "%Y-%m-%d") == 0;
    if (d == SQL_SQLITE) {
        if (!iso)
            return ferr_set(e, FERR_UNSUPPORTED,
                            "%s with format '%s' has no SQLite form (SQLite "
                            "reads only ISO dates)",
                            date ? "to_date" : "to_datetime", fmt);
        /* date() passes 02-30 through: keep only values that survive a
         * trip through the day number, as parse.h's strict calendar does */
        if (date)
            return buf_printf(out,
                              "(SELECT CASE WHEN date(julianday(v_)) = v_ THEN v_ END FROM "
                              "(SELECT trim(%s) AS v_))", a[0]);
        return buf_printf(out, "datetime(trim(%s))", a[0]);
    }
    buf_t f = {0};
    int rc = translate_fmt(iso ? (date ? "%Y-%m-%d" : "%Y-%m-%d %H:%M:%S") : fmt,
                           d, &f, e);
    if (rc == FERR_OK) {
        if (d == SQL_POSTGRES)
            rc = buf_printf(out, "%s(trim(%s), '%s')",
                            date ? "to_date" : "to_timestamp", a[0], f.p);
        else
            rc = buf_printf(out, "%s(trim(%s), '%s')",
                            date ? "to_date" : "to_timestamp", a[0], f.p);
    }
    buf_free(&f);
    return rc;
}

static int emit_to_number(const xnode_t *nd, sql_dialect_t d, char **a,
                          buf_t *out, ferr_t *e)
{
    buf_t v = {0};
    buf_printf(&v, "trim(%s)", a[0]);
    if (nd->nargs > 2) {
        char *t = buf_steal(&v);
        buf_printf(&v, "replace(%s, %s, '')", t, a[2]);
        xfree(t);
    }
    if (nd->nargs > 1) {
        char *t = buf_steal(&v);
        buf_printf(&v, "replace(%s, %s, '.')", t, a[1]);
        xfree(t);
    }
    int rc;
    if (d == SQL_SQLITE)
        /* CAST('abc' AS REAL) is 0 in SQLite: accept only JSON numbers */
        rc = buf_printf(out,
                        "(SELECT CASE WHEN json_valid(v_) THEN CASE WHEN "
                        "json_type(v_) IN ('integer', 'real') THEN CAST(v_ AS "
                        "REAL) END END FROM (SELECT %s AS v_))",
                        v.p);
    else if (d == SQL_POSTGRES)
        rc = buf_printf(out,
                        "(SELECT CASE WHEN v_ ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)"
                        "([eE][+-]?[0-9]+)?$' THEN CAST(v_ AS DOUBLE PRECISION) END "
                        "FROM (SELECT %s AS v_) t_)",
                        v.p);
    else
        rc = buf_printf(out, "CAST(%s AS DOUBLE)", v.p);
    buf_free(&v);
    return rc;
}

static int emit_substr(const xnode_t *nd, sql_dialect_t d, char **a,
                       buf_t *out, ferr_t *e)
{
    if (d == SQL_POSTGRES)
        return nd->nargs > 2
                   ? buf_printf(out, "substr(%s, %s, %s)", a[0], a[1], a[2])
                   : buf_printf(out, "substr(%s, %s)", a[0], a[1]);
    /* SQLite and Spark count a negative start from the end: clamp it */
    const char *mx = d == SQL_SQLITE ? "max" : "greatest";
    if (nd->nargs == 2)
        return buf_printf(out, "substr(%s, %s(%s, 1))", a[0], mx, a[1]);
    return buf_printf(out,
                      "CASE WHEN %s < 0 THEN NULL ELSE substr(%s, %s(%s, 1), "
                      "%s(%s + %s - %s(%s, 1), 0)) END",
                      a[2], a[0], mx, a[1], mx, a[1], a[2], mx, a[1]);
}

static int emit_split_part(const xnode_t *nd, sql_dialect_t d, char **a,
                           buf_t *out, ferr_t *e)
{
    int64_t k = nd->args[2]->konst->i64[0];
    if (d == SQL_POSTGRES)
        return buf_printf(out, "split_part(%s, %s, %lld)", a[0], a[1], (long long)k);
    if (d == SQL_SPARK)
        return buf_printf(out,
                          "coalesce(element_at(split(%s, concat('\\\\Q', %s, "
                          "'\\\\E')), %lld), CASE WHEN %s IS NOT NULL AND %s IS "
                          "NOT NULL THEN '' END)",
                          a[0], a[1], (long long)k, a[0], a[1]);
    /* SQLite has no split: make a JSON array of the fields and index it */
    return buf_printf(out,
                      "CASE WHEN %s IS NULL OR %s IS NULL THEN NULL ELSE "
                      "coalesce(json_extract('[\"' || replace(replace(replace(%s, "
                      "'\\', '\\\\'), '\"', '\\\"'), replace(replace(%s, '\\', "
                      "'\\\\'), '\"', '\\\"'), '\",\"') || '\"]', '$[%lld]'), '') END",
                      a[0], a[1], a[0], a[1], (long long)(k - 1));
}

static int emit_regexp_extract(const xnode_t *nd, sql_dialect_t d, char **a,
                               buf_t *out, ferr_t *e)
{
    const xregex_t *r = nd->aux;
    if (d == SQL_SQLITE)
        return ferr_set(e, FERR_UNSUPPORTED,
                        "regexp_extract has no SQLite translation");
    if (d == SQL_SPARK)
        return buf_printf(out, "nullif(regexp_extract(%s, %s, %d), '')", a[0],
                          a[1], r->group);
    if (r->group == 0)
        return buf_printf(out, "(regexp_match(%s, '(' || %s || ')'))[1]", a[0],
                          a[1]);
    return buf_printf(out, "(regexp_match(%s, %s))[%d]", a[0], a[1], r->group);
}

static int emit_round(const xnode_t *nd, sql_dialect_t d, char **a,
                      buf_t *out, ferr_t *e)
{
    const char *ft = sql_float_type(d);
    if (d == SQL_POSTGRES) /* round(double, int) does not exist there */
        return buf_printf(out, "CAST(round(CAST(%s AS NUMERIC), %s) AS %s)", a[0],
                          nd->nargs > 1 ? a[1] : "0", ft);
    return buf_printf(out, "CAST(round(%s, %s) AS %s)", a[0],
                      nd->nargs > 1 ? a[1] : "0", ft);
}

/* ---- the table -------------------------------------------------------- */

#define S3(a, b, c) {a, b, c}
#define S1(a) {a, NULL, NULL}
#define NOSQL {NULL, NULL, NULL}

const xfunc_t xfunc_table[] = {
    /* choice and nulls */
    {"if", 3, 3, "baa", '?', 0, check_if, eval_if,
     S1("CASE WHEN $1 THEN $2 ELSE $3 END"), NULL,
     "if(cond, a, b) -> type of a/b",
     "a when cond is true, else b (a null cond takes b)"},
    {"coalesce", 1, -1, "a", '?', 0, check_coalesce, eval_coalesce,
     S1("coalesce($*)"), NULL, "coalesce(x, ...) -> type of x",
     "the first argument that is not null"},
    {"map", 3, -1, "a", '?', 0, check_map, eval_map, NOSQL, emit_map,
     "map(x, key1, value1, ..., [default]) -> type of the values",
     "the value paired with the first key equal to x, else default (or null); "
     "keys are literals"},
    /* numbers */
    {"abs", 1, 1, "n", 'n', XF_PROPAGATE, NULL, eval_abs, S1("abs($1)"), NULL,
     "abs(x: number) -> number", "absolute value"},
    {"clip", 3, 3, "nnn", 'n', 0, NULL, eval_clip,
     S1("CASE WHEN $1 < $2 THEN $2 WHEN $1 > $3 THEN $3 ELSE $1 END"), NULL,
     "clip(x: number, lo, hi) -> number",
     "x limited to [lo, hi]; a null bound does not limit"},
    {"log", 1, 1, "n", 'f', XF_PROPAGATE, NULL, eval_log,
     S1("CASE WHEN $1 > 0 THEN ln($1) END"), NULL, "log(x: number) -> float",
     "natural logarithm; null when x <= 0"},
    {"exp", 1, 1, "n", 'f', XF_PROPAGATE, NULL, eval_exp, S1("exp($1)"), NULL,
     "exp(x: number) -> float", "e raised to x"},
    {"sqrt", 1, 1, "n", 'f', XF_PROPAGATE, NULL, eval_sqrt,
     S1("CASE WHEN $1 >= 0 THEN sqrt($1) END"), NULL,
     "sqrt(x: number) -> float", "square root; null when x < 0"},
    {"floor", 1, 1, "n", 'n', XF_PROPAGATE, NULL, eval_floor, S1("floor($1)"),
     NULL, "floor(x: number) -> number", "largest integer not above x"},
    {"ceil", 1, 1, "n", 'n', XF_PROPAGATE, NULL, eval_ceil, S1("ceil($1)"),
     NULL, "ceil(x: number) -> number", "smallest integer not below x"},
    {"round", 1, 2, "ni", 'f', XF_PROPAGATE, NULL, eval_round, NOSQL,
     emit_round, "round(x: number, [digits: int]) -> float",
     "x rounded half away from zero to digits decimals (default 0)"},
    /* date parts */
    {"year", 1, 1, "d", 'i', XF_PROPAGATE, NULL, eval_year,
     S3("CAST(strftime('%Y', $1) AS INTEGER)",
        "CAST(EXTRACT(YEAR FROM $1) AS INTEGER)", "year($1)"),
     NULL, "year(d: date|datetime) -> int", "calendar year"},
    {"month", 1, 1, "d", 'i', XF_PROPAGATE, NULL, eval_month,
     S3("CAST(strftime('%m', $1) AS INTEGER)",
        "CAST(EXTRACT(MONTH FROM $1) AS INTEGER)", "month($1)"),
     NULL, "month(d: date|datetime) -> int", "month 1-12"},
    {"day", 1, 1, "d", 'i', XF_PROPAGATE, NULL, eval_day,
     S3("CAST(strftime('%d', $1) AS INTEGER)",
        "CAST(EXTRACT(DAY FROM $1) AS INTEGER)", "dayofmonth($1)"),
     NULL, "day(d: date|datetime) -> int", "day of the month 1-31"},
    {"weekday", 1, 1, "d", 'i', XF_PROPAGATE, NULL, eval_weekday,
     S3("((CAST(strftime('%w', $1) AS INTEGER) + 6) % 7 + 1)",
        "CAST(EXTRACT(ISODOW FROM $1) AS INTEGER)", "(weekday($1) + 1)"),
     NULL, "weekday(d: date|datetime) -> int",
     "ISO day of the week: 1 = Monday ... 7 = Sunday"},
    {"day_of_year", 1, 1, "d", 'i', XF_PROPAGATE, NULL, eval_yday,
     S3("CAST(strftime('%j', $1) AS INTEGER)",
        "CAST(EXTRACT(DOY FROM $1) AS INTEGER)", "dayofyear($1)"),
     NULL, "day_of_year(d: date|datetime) -> int", "day of the year 1-366"},
    {"hour", 1, 1, "d", 'i', XF_PROPAGATE, NULL, eval_hour,
     S3("CAST(strftime('%H', $1) AS INTEGER)",
        "CAST(EXTRACT(HOUR FROM CAST($1 AS TIMESTAMP)) AS INTEGER)", "hour($1)"),
     NULL, "hour(d: date|datetime) -> int", "hour 0-23 (0 for a date)"},
    {"minute", 1, 1, "d", 'i', XF_PROPAGATE, NULL, eval_minute,
     S3("CAST(strftime('%M', $1) AS INTEGER)",
        "CAST(EXTRACT(MINUTE FROM CAST($1 AS TIMESTAMP)) AS INTEGER)",
        "minute($1)"),
     NULL, "minute(d: date|datetime) -> int", "minute 0-59"},
    {"second", 1, 1, "d", 'i', XF_PROPAGATE, NULL, eval_second,
     S3("CAST(strftime('%S', $1) AS INTEGER)",
        "CAST(floor(EXTRACT(SECOND FROM CAST($1 AS TIMESTAMP))) AS INTEGER)",
        "second($1)"),
     NULL, "second(d: date|datetime) -> int", "second 0-59"},
    /* date arithmetic */
    {"days_between", 2, 2, "dd", 'i', XF_PROPAGATE, NULL, eval_days_between,
     S3("CAST(julianday(date($2)) - julianday(date($1)) AS INTEGER)",
        "(CAST($2 AS DATE) - CAST($1 AS DATE))", "datediff($2, $1)"),
     NULL, "days_between(a: date|datetime, b: date|datetime) -> int",
     "calendar days from a to b (negative when b is earlier)"},
    {"hours_between", 2, 2, "dd", 'f', XF_PROPAGATE, NULL, eval_hours_between,
     S3("((unixepoch($2) - unixepoch($1)) / 3600.0)",
        "(EXTRACT(EPOCH FROM (CAST($2 AS TIMESTAMP) - CAST($1 AS TIMESTAMP))) "
        "/ 3600.0)",
        "((unix_timestamp($2) - unix_timestamp($1)) / 3600.0)"),
     NULL, "hours_between(a: date|datetime, b: date|datetime) -> float",
     "hours from a to b"},
    {"minutes_between", 2, 2, "dd", 'f', XF_PROPAGATE, NULL,
     eval_minutes_between,
     S3("((unixepoch($2) - unixepoch($1)) / 60.0)",
        "(EXTRACT(EPOCH FROM (CAST($2 AS TIMESTAMP) - CAST($1 AS TIMESTAMP))) "
        "/ 60.0)",
        "((unix_timestamp($2) - unix_timestamp($1)) / 60.0)"),
     NULL, "minutes_between(a: date|datetime, b: date|datetime) -> float",
     "minutes from a to b"},
    {"years_between", 2, 2, "dd", 'i', XF_PROPAGATE, NULL, eval_years_between,
     NOSQL, emit_years_between,
     "years_between(a: date|datetime, b: date|datetime) -> int",
     "whole years from a to b, counted like birthdays (age at b of someone "
     "born on a)"},
    {"add_days", 2, 2, "di", '?', XF_PROPAGATE, check_add_days, eval_add_days,
     NOSQL, emit_add_days, "add_days(d: date|datetime, n: int) -> type of d",
     "d moved by n days"},
    {"in_day_ranges", 2, 33, "dc", 'b', XF_PROPAGATE, check_day_ranges,
     eval_day_ranges, NOSQL, emit_in_day_ranges,
     "in_day_ranges(d: date|datetime, 'MM-DD..MM-DD', ...) -> bool",
     "whether d's day of the year falls in one of the inclusive ranges; "
     "12-15..03-03 wraps the year end"},
    {"make_date", 2, 3, "iai", 'd', XF_PROPAGATE, check_make_date,
     eval_make_date, NOSQL, emit_make_date,
     "make_date(year: int, month: int|string, [day: int]) -> date",
     "the date of year, month (a number or an English/Spanish name such as "
     "'Ene' or 'March') and day (default 1); null when impossible"},
    {"to_date", 1, 2, "ac", 'd', XF_PROPAGATE, check_to_time, eval_to_time,
     NOSQL, emit_to_time, "to_date(x: string|datetime, [format]) -> date",
     "text parsed as a date (ISO, or a strptime-like format such as "
     "'%d/%m/%Y' or '%b-%Y'), or a datetime's date; null when invalid"},
    {"to_datetime", 1, 2, "ac", 't', XF_PROPAGATE, check_to_time, eval_to_time,
     NOSQL, emit_to_time, "to_datetime(x: string|date, [format]) -> datetime",
     "text parsed as a datetime (ISO or a format), or a date at midnight"},
    /* text */
    {"to_number", 1, 3, "scc", 'f', XF_PROPAGATE, check_to_number,
     eval_to_number, NOSQL, emit_to_number,
     "to_number(s: string, [decimal: char], [thousands: char]) -> float",
     "text parsed as a number ('1.234,5' with ',' and '.'); null when invalid"},
    {"length", 1, 1, "s", 'i', XF_PROPAGATE, NULL, eval_length,
     S1("length($1)"), NULL, "length(s: string) -> int",
     "number of characters"},
    {"lower", 1, 1, "s", 's', XF_PROPAGATE, NULL, eval_lower, S1("lower($1)"),
     NULL, "lower(s: string) -> string", "ASCII letters in lower case"},
    {"upper", 1, 1, "s", 's', XF_PROPAGATE, NULL, eval_upper, S1("upper($1)"),
     NULL, "upper(s: string) -> string", "ASCII letters in upper case"},
    {"trim", 1, 1, "s", 's', XF_PROPAGATE, NULL, eval_trim, S1("trim($1)"),
     NULL, "trim(s: string) -> string", "s without leading and trailing spaces"},
    {"substr", 2, 3, "sii", 's', XF_PROPAGATE, NULL, eval_substr, NOSQL,
     emit_substr, "substr(s: string, start: int, [len: int]) -> string",
     "len characters (default: all) from 1-based position start"},
    {"replace", 3, 3, "sss", 's', XF_PROPAGATE, NULL, eval_replace,
     S1("replace($1, $2, $3)"), NULL,
     "replace(s: string, from: string, to: string) -> string",
     "every occurrence of from replaced by to"},
    {"split_part", 3, 3, "ssi", 's', XF_PROPAGATE, check_split_part,
     eval_split_part, NOSQL, emit_split_part,
     "split_part(s: string, delim: string, k: int literal) -> string",
     "the k-th field (from 1) of s split on delim; '' past the last"},
    {"starts_with", 2, 2, "ss", 'b', XF_PROPAGATE, NULL, eval_starts_with,
     S3("(substr($1, 1, length($2)) = $2)", "starts_with($1, $2)",
        "(substring($1, 1, length($2)) = $2)"),
     NULL, "starts_with(s: string, prefix: string) -> bool",
     "whether s begins with prefix"},
    {"contains", 2, 2, "ss", 'b', XF_PROPAGATE, NULL, eval_contains,
     S3("(instr($1, $2) > 0)", "(strpos($1, $2) > 0)", "(instr($1, $2) > 0)"),
     NULL, "contains(s: string, part: string) -> bool",
     "whether part occurs in s"},
    {"concat", 1, -1, "a", 's', XF_PROPAGATE, check_concat, eval_concat, NOSQL,
     emit_concat, "concat(x, ...) -> string",
     "text, integers and dates joined; null if any is null"},
    {"regexp_like", 2, 2, "sc", 'b', XF_PROPAGATE, check_regex,
     eval_regexp_like, S3("($1 REGEXP $2)", "($1 ~ $2)", "($1 RLIKE $2)"), NULL,
     "regexp_like(s: string, pattern: string literal) -> bool",
     "whether the POSIX extended regular expression matches somewhere in s"},
    {"regexp_extract", 2, 3, "sck", 's', XF_PROPAGATE, check_regex,
     eval_regexp_extract, NOSQL, emit_regexp_extract,
     "regexp_extract(s: string, pattern: string literal, [group: int]) -> string",
     "the first match (or its group-th parenthesised group); null without a "
     "match"},
};

const size_t xfunc_ntable = sizeof(xfunc_table) / sizeof(xfunc_table[0]);

const xfunc_t *xfunc_find(str_t name)
{
    for (size_t i = 0; i < xfunc_ntable; i++)
        if (str_ieq_cstr(name, xfunc_table[i].name))
            return &xfunc_table[i];
    return NULL;
}

size_t expr_func_count(void)
{
    return xfunc_ntable;
}

void expr_func_info(size_t i, const char **name, const char **sig,
                    const char **doc)
{
    const xfunc_t *f = &xfunc_table[i < xfunc_ntable ? i : 0];
    *name = f->name;
    *sig = f->sig;
    *doc = f->doc;
}

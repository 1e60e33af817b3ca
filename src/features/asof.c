/*
 * asof.c - as-of joins (see asof.h for the semantics).
 *
 * Right rows are grouped by key (a dict over the key's bytes, so int and
 * text keys share one path) and sorted by (time, row) inside each group;
 * each left row is then a binary search for the last right time at or
 * before its own.  O((n + m) log m), no assumption about either side's
 * order.
 */
#include "features/asof.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "features/window.h"

static bool asof_is_text(ftype_t t)
{
    return t == FT_STRING || t == FT_CATEGORY;
}

/* Bytes that identify row i's key: text for string/category, the 8 bytes
 * of the value otherwise. */
static str_t asof_key_bytes(const column_t *c, size_t i, int64_t *tmp)
{
    if (asof_is_text(c->type))
        return col_str(c, i);
    *tmp = c->type == FT_BOOL ? c->u8[i] : c->i64[i];
    return (str_t){(const char *)tmp, sizeof(*tmp)};
}

typedef struct {
    int64_t t;
    uint32_t row;
    int32_t code;
} asof_ent_t;

static int asof_cmp(const void *a, const void *b)
{
    const asof_ent_t *x = a, *y = b;
    if (x->code != y->code)
        return x->code < y->code ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int asof_columns(const table_t *left, const table_t *right,
                        const asof_spec_t *s, const column_t **lt,
                        const column_t **rt, const column_t **lk,
                        const column_t **rk, ferr_t *e)
{
    const char *rtn = s->right_time ? s->right_time : s->left_time;
    const char *rkn = s->right_key ? s->right_key : s->left_key;

    if (s->left_time == NULL)
        return ferr_set(e, FERR_SPEC, "asof: no time column given");
    if ((*lt = table_find(left, s->left_time)) == NULL)
        return ferr_set(e, FERR_NOTFOUND, "asof: time column '%s' not found on "
                        "the left", s->left_time);
    if ((*rt = table_find(right, rtn)) == NULL)
        return ferr_set(e, FERR_NOTFOUND, "asof: time column '%s' not found on "
                        "the right", rtn);
    if ((*lt)->type != (*rt)->type ||
        ((*lt)->type != FT_DATE && (*lt)->type != FT_DATETIME &&
         (*lt)->type != FT_INT))
        return ferr_set(e, FERR_TYPE, "asof: time columns '%s' (%s) and '%s' "
                        "(%s) must both be date, datetime or int",
                        s->left_time, ftype_name((*lt)->type), rtn,
                        ftype_name((*rt)->type));
    *lk = *rk = NULL;
    if (s->left_key == NULL && s->right_key == NULL)
        return FERR_OK;
    if (s->left_key == NULL)
        return ferr_set(e, FERR_SPEC, "asof: right_key '%s' without a left key",
                        s->right_key);
    if ((*lk = table_find(left, s->left_key)) == NULL)
        return ferr_set(e, FERR_NOTFOUND, "asof: key column '%s' not found on "
                        "the left", s->left_key);
    if ((*rk = table_find(right, rkn)) == NULL)
        return ferr_set(e, FERR_NOTFOUND, "asof: key column '%s' not found on "
                        "the right", rkn);
    if ((*lk)->type == FT_FLOAT || (*rk)->type == FT_FLOAT ||
        (asof_is_text((*lk)->type) != asof_is_text((*rk)->type)) ||
        (!asof_is_text((*lk)->type) && (*lk)->type != (*rk)->type))
        return ferr_set(e, FERR_TYPE, "asof: keys '%s' (%s) and '%s' (%s) do "
                        "not compare", s->left_key, ftype_name((*lk)->type),
                        rkn, ftype_name((*rk)->type));
    return FERR_OK;
}

int asof_match(const table_t *left, const table_t *right,
               const asof_spec_t *s, int64_t *out, ferr_t *e)
{
    const column_t *lt = NULL, *rt = NULL, *lk = NULL, *rk = NULL;
    asof_ent_t *ent = NULL;
    size_t m = right->nrows, nv = 0, ncodes = 1;
    size_t *gstart = NULL;
    dict_t *keys = NULL;
    int rc;

    if ((rc = asof_columns(left, right, s, &lt, &rt, &lk, &rk, e)) != FERR_OK)
        return rc;
    if (m >= UINT32_MAX)
        return ferr_set(e, FERR_LIMIT, "asof: %zu right rows is too many", m);
    ent = mem_try_malloc((m ? m : 1) * sizeof(*ent));
    if (ent == NULL)
        return ferr_set(e, FERR_NOMEM, "asof: no memory for %zu rows", m);
    if (rk != NULL)
        keys = dict_new();
    for (size_t j = 0; j < m; j++) {
        int64_t tmp;
        if (col_is_null(rt, j) || (rk && col_is_null(rk, j)))
            continue;
        ent[nv].t = rt->i64[j];
        ent[nv].row = (uint32_t)j;
        if (rk) {
            str_t k = asof_key_bytes(rk, j, &tmp);
            ent[nv].code = dict_intern(keys, k.p, k.n);
        } else {
            ent[nv].code = 0;
        }
        nv++;
    }
    if (keys)
        ncodes = keys->n;
    qsort(ent, nv, sizeof(*ent), asof_cmp);
    gstart = mem_try_calloc(ncodes + 1, sizeof(*gstart));
    if (gstart == NULL) {
        rc = ferr_set(e, FERR_NOMEM, "asof: no memory for %zu keys", ncodes);
        goto done;
    }
    for (size_t q = 0; q < nv; q++)
        gstart[ent[q].code + 1]++;
    for (size_t k = 0; k < ncodes; k++)
        gstart[k + 1] += gstart[k];

    for (size_t i = 0; i < left->nrows; i++) {
        int32_t code = 0;
        size_t lo, hi;
        int64_t t;
        out[i] = -1;
        if (col_is_null(lt, i) || (lk && col_is_null(lk, i)))
            continue;
        if (lk) {
            int64_t tmp;
            str_t k = asof_key_bytes(lk, i, &tmp);
            if ((code = dict_find(keys, k.p, k.n)) < 0)
                continue;
        }
        t = lt->i64[i];
        /* first position in the group with time > t (>= t if not exact) */
        lo = gstart[code];
        hi = gstart[code + 1];
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            bool before = s->allow_exact ? ent[mid].t <= t : ent[mid].t < t;
            if (before)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == gstart[code])
            continue;
        lo--; /* the latest eligible time; last in file order among ties */
        if (s->tolerance > 0 && (__int128)t - ent[lo].t > s->tolerance)
            continue;
        out[i] = ent[lo].row;
    }
    rc = FERR_OK;
done:
    xfree(ent);
    xfree(gstart);
    dict_free(keys);
    return rc;
}

/* The right columns to attach: named ones, or all but key and time. */
static int asof_pick(const table_t *right, const asof_spec_t *s,
                     const char ***names, size_t *n, ferr_t *e)
{
    const char *rtn = s->right_time ? s->right_time : s->left_time;
    const char *rkn = s->right_key ? s->right_key : s->left_key;
    const char **v;
    size_t k = 0;

    if (s->ncolumns > 0) {
        for (size_t i = 0; i < s->ncolumns; i++)
            if (table_find(right, s->columns[i]) == NULL)
                return ferr_set(e, FERR_NOTFOUND, "asof: column '%s' not found "
                                "on the right", s->columns[i]);
        v = xmalloc(s->ncolumns * sizeof(*v));
        for (size_t i = 0; i < s->ncolumns; i++)
            v[k++] = s->columns[i];
    } else {
        v = xmalloc((right->ncols + 1) * sizeof(*v));
        for (size_t i = 0; i < right->ncols; i++) {
            const char *nm = right->cols[i]->name;
            if (strcmp(nm, rtn) == 0 || (rkn && strcmp(nm, rkn) == 0))
                continue;
            v[k++] = nm;
        }
    }
    *names = v;
    *n = k;
    return FERR_OK;
}

int asof_join(table_t *left, const table_t *right, const asof_spec_t *s,
              ferr_t *e)
{
    const char *prefix = s->prefix ? s->prefix : "";
    const char **names = NULL;
    char **out = NULL;
    int64_t *match = NULL;
    size_t n = 0;
    int rc;

    if ((rc = asof_pick(right, s, &names, &n, e)) != FERR_OK)
        return rc;
    out = xcalloc(n ? n : 1, sizeof(*out));
    /* Check every output name before adding any: on error left is as it
     * was. */
    for (size_t i = 0; i < n; i++) {
        buf_t b = {0};
        buf_printf(&b, "%s%s", prefix, names[i]);
        out[i] = buf_steal(&b);
        if (table_find(left, out[i]) != NULL) {
            rc = ferr_set(e, FERR_EXISTS, "asof: column '%s' already exists on "
                          "the left; set a prefix", out[i]);
            goto done;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(out[i], out[j]) == 0) {
                rc = ferr_set(e, FERR_EXISTS, "asof: column '%s' attached twice",
                              out[i]);
                goto done;
            }
    }
    match = mem_try_malloc((left->nrows ? left->nrows : 1) * sizeof(*match));
    if (match == NULL) {
        rc = ferr_set(e, FERR_NOMEM, "asof: no memory for %zu rows", left->nrows);
        goto done;
    }
    if ((rc = asof_match(left, right, s, match, e)) != FERR_OK)
        goto done;
    for (size_t i = 0; i < n; i++) {
        column_t *c = win_gather(table_find(right, names[i]), match,
                                 left->nrows, out[i]);
        if ((rc = table_add(left, c, e)) != FERR_OK) {
            col_free(c); /* cannot happen: names and sizes checked above */
            goto done;
        }
    }
done:
    for (size_t i = 0; i < n; i++)
        xfree(out[i]);
    xfree(out);
    xfree(names);
    xfree(match);
    return rc;
}

/* ---- SQL ------------------------------------------------------------------ */

static void asof_q(sql_dialect_t d, buf_t *b, const char *alias,
                   const char *col)
{
    if (alias) {
        sql_quote_ident(d, alias, b);
        buf_putc(b, '.');
    }
    sql_quote_ident(d, col, b);
}

/* The match condition between a right row (ra) and a left row (la). */
static void asof_sql_cond(const asof_spec_t *s, sql_dialect_t d,
                          const char *ra, const char *la, buf_t *b)
{
    const char *rtn = s->right_time ? s->right_time : s->left_time;
    const char *rkn = s->right_key ? s->right_key : s->left_key;
    if (s->left_key) {
        asof_q(d, b, ra, rkn);
        buf_puts(b, " = ");
        asof_q(d, b, la, s->left_key);
        buf_puts(b, " AND ");
    }
    asof_q(d, b, ra, rtn);
    buf_puts(b, s->allow_exact ? " <= " : " < ");
    asof_q(d, b, la, s->left_time);
    if (s->tolerance > 0) {
        buf_t lt = {0}, rt = {0};
        asof_q(d, &lt, la, s->left_time);
        asof_q(d, &rt, ra, rtn);
        buf_puts(b, " AND ");
        win_sql_time_key(d, s->time_type, lt.p, b);
        buf_puts(b, " - ");
        win_sql_time_key(d, s->time_type, rt.p, b);
        buf_printf(b, " <= %" PRId64, s->tolerance);
        buf_free(&lt);
        buf_free(&rt);
    }
}

int asof_to_sql(const asof_spec_t *s, sql_dialect_t d, const char *left_rel,
                const char *left_alias, const char *right_rel,
                const char *alias, const char *const *right_cols,
                size_t nright, buf_t *join, buf_t *select, ferr_t *e)
{
    const char *rtn = s->right_time ? s->right_time : s->left_time;
    const char *rkn = s->right_key ? s->right_key : s->left_key;
    const char *prefix = s->prefix ? s->prefix : "";
    buf_t ra = {0}, la = {0};
    size_t k = 0;

    if (d < 0 || d >= SQL_DIALECT_COUNT_)
        return ferr_set(e, FERR_USAGE, "asof: unknown SQL dialect %d", (int)d);
    if (s->left_time == NULL || left_rel == NULL || left_alias == NULL ||
        right_rel == NULL || alias == NULL)
        return ferr_set(e, FERR_SPEC, "asof: SQL needs the time column and the "
                        "relation names");
    if (s->ncolumns == 0 && right_cols == NULL)
        return ferr_set(e, FERR_SPEC, "asof: SQL needs the columns to attach");
    buf_printf(&ra, "%s_r", alias);
    buf_printf(&la, "%s_l", alias);

    buf_puts(join, "LEFT JOIN ");
    if (d != SQL_SPARK) {
        sql_quote_ident(d, right_rel, join);
        buf_puts(join, " AS ");
        sql_quote_ident(d, alias, join);
        buf_puts(join, " ON ");
        asof_q(d, join, alias, "_row");
        buf_puts(join, " = (SELECT ");
        asof_q(d, join, ra.p, "_row");
        buf_puts(join, " FROM ");
        sql_quote_ident(d, right_rel, join);
        buf_puts(join, " AS ");
        sql_quote_ident(d, ra.p, join);
        buf_puts(join, " WHERE ");
        asof_sql_cond(s, d, ra.p, left_alias, join);
        buf_puts(join, " ORDER BY ");
        asof_q(d, join, ra.p, rtn);
        buf_puts(join, " DESC, ");
        asof_q(d, join, ra.p, "_row");
        buf_puts(join, " DESC LIMIT 1)");
    } else {
        buf_puts(join, "(SELECT ");
        asof_q(d, join, la.p, "_row");
        buf_puts(join, " AS `_lrow`, ");
        sql_quote_ident(d, ra.p, join);
        buf_puts(join, ".*, ROW_NUMBER() OVER (PARTITION BY ");
        asof_q(d, join, la.p, "_row");
        buf_puts(join, " ORDER BY ");
        asof_q(d, join, ra.p, rtn);
        buf_puts(join, " DESC, ");
        asof_q(d, join, ra.p, "_row");
        buf_puts(join, " DESC) AS `_rn` FROM ");
        sql_quote_ident(d, left_rel, join);
        buf_puts(join, " AS ");
        sql_quote_ident(d, la.p, join);
        buf_puts(join, " JOIN ");
        sql_quote_ident(d, right_rel, join);
        buf_puts(join, " AS ");
        sql_quote_ident(d, ra.p, join);
        buf_puts(join, " ON ");
        asof_sql_cond(s, d, ra.p, la.p, join);
        buf_puts(join, ") AS ");
        sql_quote_ident(d, alias, join);
        buf_puts(join, " ON ");
        asof_q(d, join, alias, "_lrow");
        buf_puts(join, " = ");
        asof_q(d, join, left_alias, "_row");
        buf_puts(join, " AND ");
        asof_q(d, join, alias, "_rn");
        buf_puts(join, " = 1");
    }

    for (size_t i = 0; i < (s->ncolumns ? s->ncolumns : nright); i++) {
        const char *c = s->ncolumns ? s->columns[i] : right_cols[i];
        buf_t nm = {0};
        if (s->ncolumns == 0 && (strcmp(c, rtn) == 0 || strcmp(c, "_row") == 0 ||
                                 (rkn && strcmp(c, rkn) == 0)))
            continue;
        if (k++ > 0)
            buf_puts(select, ", ");
        asof_q(d, select, alias, c);
        buf_puts(select, " AS ");
        buf_printf(&nm, "%s%s", prefix, c);
        sql_quote_ident(d, nm.p, select);
        buf_free(&nm);
    }
    buf_free(&ra);
    buf_free(&la);
    if (join->p == NULL || (k > 0 && select->p == NULL))
        return ferr_set(e, FERR_LIMIT, "asof: SQL longer than the buffer allows");
    return FERR_OK;
}

/*
 * table.c - typed columns and tables (see table.h).
 */
#include "data/table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

static const char *const ftype_names[] = {
#define FTYPE_NAME_(e, name, doc) name,
    FTYPE_TABLE(FTYPE_NAME_)
#undef FTYPE_NAME_
};

const char *ftype_name(ftype_t t)
{
    return (t >= 0 && t < FT_COUNT_) ? ftype_names[t] : "?";
}

int ftype_parse(str_t name)
{
    for (int t = 0; t < FT_COUNT_; t++)
        if (str_eq_cstr(name, ftype_names[t]))
            return t;
    return -1;
}

bool ftype_is_numeric(ftype_t t)
{
    return t == FT_INT || t == FT_FLOAT || t == FT_BOOL || t == FT_DATE ||
           t == FT_DATETIME;
}

column_t *col_new(const char *name, ftype_t type, size_t n)
{
    column_t *c = xcalloc(1, sizeof(*c));
    c->name = xstrdup(name);
    c->type = type;
    c->n = n;
    switch (type) {
    case FT_INT:
    case FT_DATE:
    case FT_DATETIME:
        c->i64 = xcalloc(n, sizeof(int64_t));
        break;
    case FT_FLOAT:
        c->f64 = xcalloc(n, sizeof(double));
        break;
    case FT_BOOL:
        c->u8 = xcalloc(n, 1);
        break;
    case FT_STRING:
        c->off = xcalloc(n + 1, sizeof(uint64_t));
        break;
    case FT_CATEGORY:
        c->code = xcalloc(n, sizeof(int32_t));
        c->dict = dict_new();
        break;
    default:
        break;
    }
    return c;
}

void col_free(column_t *c)
{
    if (c == NULL)
        return;
    xfree(c->name);
    xfree(c->i64);
    xfree(c->f64);
    xfree(c->u8);
    xfree(c->code);
    xfree(c->off);
    xfree(c->data);
    xfree(c->null);
    dict_free(c->dict);
    xfree(c);
}

void col_rename(column_t *c, const char *name)
{
    xfree(c->name);
    c->name = xstrdup(name);
}

void col_set_null(column_t *c, size_t i)
{
    if (c->null == NULL)
        c->null = xcalloc(c->n ? c->n : 1, 1);
    c->null[i] = 1;
    if (c->type == FT_FLOAT)
        c->f64[i] = NAN;
}

void col_copy_cell(column_t *dst, size_t i, const column_t *src, size_t r)
{
    str_t v;
    if (col_is_null(src, r)) {
        if (dst->type == FT_STRING)
            col_str_append(dst, i, "", 0);
        col_set_null(dst, i);
        return;
    }
    if (dst->null)
        dst->null[i] = 0;
    switch (dst->type) {
    case FT_FLOAT: dst->f64[i] = src->f64[r]; break;
    case FT_BOOL: dst->u8[i] = src->u8[r]; break;
    case FT_STRING:
        v = col_str(src, r);
        col_str_append(dst, i, v.p, v.n);
        break;
    case FT_CATEGORY:
        v = col_str(src, r);
        dst->code[i] = dict_intern(dst->dict, v.p, v.n);
        break;
    default: dst->i64[i] = src->i64[r]; break;
    }
}

size_t col_null_count(const column_t *c)
{
    size_t k = 0;
    if (c->null == NULL)
        return 0;
    for (size_t i = 0; i < c->n; i++)
        k += c->null[i] != 0;
    return k;
}

str_t col_str(const column_t *c, size_t i)
{
    if (c->type == FT_STRING)
        return (str_t){c->data ? c->data + c->off[i] : "",
                       (size_t)(c->off[i + 1] - c->off[i])};
    if (c->type == FT_CATEGORY) /* a null row may have no valid code */
        return col_is_null(c, i) || c->code[i] < 0 ||
                       (size_t)c->code[i] >= c->dict->n
                   ? (str_t){"", 0}
                   : dict_str(c->dict, c->code[i]);
    return (str_t){"", 0};
}

double col_num(const column_t *c, size_t i)
{
    if (col_is_null(c, i))
        return NAN;
    switch (c->type) {
    case FT_INT:
    case FT_DATE:
    case FT_DATETIME:
        return (double)c->i64[i];
    case FT_FLOAT:
        return c->f64[i];
    case FT_BOOL:
        return c->u8[i];
    default:
        return NAN;
    }
}

void col_str_append(column_t *c, size_t i, const char *p, size_t len)
{
    size_t need = c->data_len + len;
    if (need > c->data_cap) {
        size_t cap = c->data_cap ? c->data_cap : 64;
        while (cap < need)
            cap *= 2;
        c->data = xrealloc(c->data, cap);
        c->data_cap = cap;
    }
    if (len)
        memcpy(c->data + c->data_len, p, len);
    c->data_len += len;
    c->off[i + 1] = c->data_len;
}

column_t *col_clone(const column_t *c, const char *name)
{
    column_t *d = xcalloc(1, sizeof(*d));
    size_t n = c->n;
    d->name = xstrdup(name ? name : c->name);
    d->type = c->type;
    d->n = n;
#define CLONE_(f, count)                                                     \
    if (c->f) {                                                              \
        d->f = xmalloc((count) * sizeof(*c->f) + 1);                         \
        memcpy(d->f, c->f, (count) * sizeof(*c->f));                         \
    }
    CLONE_(i64, n)
    CLONE_(f64, n)
    CLONE_(u8, n)
    CLONE_(code, n)
    CLONE_(off, n + 1)
    CLONE_(null, n)
    CLONE_(data, c->data_len)
#undef CLONE_
    d->data_len = d->data_cap = c->data_len;
    if (c->dict)
        d->dict = dict_clone(c->dict);
    return d;
}

table_t *table_new(void)
{
    return xcalloc(1, sizeof(table_t));
}

void table_free(table_t *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        col_free(t->cols[i]);
    xfree(t->cols);
    xfree(t);
}

int table_index(const table_t *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i]->name, name) == 0)
            return (int)i;
    return -1;
}

column_t *table_find(const table_t *t, const char *name)
{
    int i = table_index(t, name);
    return i < 0 ? NULL : t->cols[i];
}

int table_add(table_t *t, column_t *c, ferr_t *e)
{
    if (table_index(t, c->name) >= 0)
        return ferr_set(e, FERR_EXISTS, "column '%s' already exists", c->name);
    if (t->ncols == 0)
        t->nrows = c->n;
    else if (c->n != t->nrows)
        return ferr_set(e, FERR_RANGE, "column '%s' has %zu rows, table has %zu",
                        c->name, c->n, t->nrows);
    t->cols = xrealloc(t->cols, (t->ncols + 1) * sizeof(*t->cols));
    t->cols[t->ncols++] = c;
    return FERR_OK;
}

column_t *table_take(table_t *t, const char *name)
{
    int i = table_index(t, name);
    column_t *c;
    if (i < 0)
        return NULL;
    c = t->cols[i];
    memmove(t->cols + i, t->cols + i + 1,
            (t->ncols - (size_t)i - 1) * sizeof(*t->cols));
    t->ncols--;
    return c;
}

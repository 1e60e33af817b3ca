/*
 * expr_fixture.h - the small table and the row renderer shared by the
 * expression tests (header-only so each test stays one executable).
 *
 * Rows are chosen for edge cases: a row of nulls, leap days, year ends,
 * the epoch, Spanish month names, quotes and non-ASCII text.
 */
#ifndef TEST_EXPR_FIXTURE_H
#define TEST_EXPR_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "data/parse.h"
#include "data/table.h"
#include "features/expr.h"

#define FX_ROWS 8

typedef struct {
    long long i;
    double f;
    int b;
    const char *s, *c, *d, *t, *mon;
    long long yr;
    const char *t2;
} fx_row_t;

/* NULL / NAN / -99 mark nulls */
static const fx_row_t fx_rows[FX_ROWS] = {
    {1, 1.5, 1, "  Hello ", "N", "2020-02-29", "2021-03-01 10:30:00", "Ene", 2014, "2021-03-01 10:50:00"},
    {2, -2.25, 0, "a,b,c", "Y", "2021-12-31", "2021-12-31 23:59:59", "marzo", 2015, "2022-01-01 00:10:59"},
    {-99, NAN, -99, NULL, NULL, NULL, NULL, NULL, -99, NULL},
    {-7, 0.0, 1, "", "N", "1999-01-01", "1970-01-01 00:00:00", "Dic.", 2020, "1969-12-31 23:00:00"},
    {0, 100.0, 0, "x'y\"z", "Z", "2000-03-01", "2019-07-20 05:00:00", "September", 2019, "2019-07-20 05:15:00"},
    {10, 3.75, 1, "\xc3\x81\xc3\x91O \xc3\xb1", "Y", "1980-06-15", "2022-12-15 12:00:00", "Feb", 2021, "2022-12-15 11:00:00"},
    {3, 1e10, 0, "1.234,5", "N", "2016-02-29", "2023-03-03 18:00:00", "xyz", 2000, "2023-03-04 18:00:00"},
    {-3, -0.5, 1, "  pre_fix-42 ", "Y", "1996-02-28", "2000-02-29 06:45:30", "JULIO", 1900, "2000-02-29 06:45:30"},
};

static table_t *fx_table(void)
{
    table_t *t = table_new();
    column_t *ci = col_new("i", FT_INT, FX_ROWS), *cf = col_new("f", FT_FLOAT, FX_ROWS),
             *cb = col_new("b", FT_BOOL, FX_ROWS), *cs = col_new("s", FT_STRING, FX_ROWS),
             *cc = col_new("c", FT_CATEGORY, FX_ROWS), *cd = col_new("d", FT_DATE, FX_ROWS),
             *ct = col_new("Fecha-I", FT_DATETIME, FX_ROWS),
             *ct2 = col_new("Fecha-O", FT_DATETIME, FX_ROWS),
             *cm = col_new("mon", FT_STRING, FX_ROWS), *cy = col_new("AÑO", FT_INT, FX_ROWS);
    for (size_t r = 0; r < FX_ROWS; r++) {
        const fx_row_t *x = &fx_rows[r];
        if (x->i == -99) col_set_null(ci, r); else ci->i64[r] = x->i;
        if (isnan(x->f)) col_set_null(cf, r); else cf->f64[r] = x->f;
        if (x->b < 0) col_set_null(cb, r); else cb->u8[r] = (uint8_t)x->b;
        if (x->s) col_str_append(cs, r, x->s, strlen(x->s));
        else { col_str_append(cs, r, "", 0); col_set_null(cs, r); }
        if (x->c) cc->code[r] = dict_intern(cc->dict, x->c, strlen(x->c));
        else col_set_null(cc, r);
        if (x->d) parse_date(str_from(x->d), NULL, &cd->i64[r]); else col_set_null(cd, r);
        if (x->t) parse_datetime(str_from(x->t), NULL, &ct->i64[r]); else col_set_null(ct, r);
        if (x->t2) parse_datetime(str_from(x->t2), NULL, &ct2->i64[r]); else col_set_null(ct2, r);
        if (x->mon) col_str_append(cm, r, x->mon, strlen(x->mon));
        else { col_str_append(cm, r, "", 0); col_set_null(cm, r); }
        if (x->yr == -99) col_set_null(cy, r); else cy->i64[r] = x->yr;
    }
    column_t *cols[] = {ci, cf, cb, cs, cc, cd, ct, ct2, cm, cy};
    for (size_t k = 0; k < sizeof(cols) / sizeof(*cols); k++)
        table_add(t, cols[k], NULL);
    return t;
}

/* One value as text; floats with 12 significant digits so independent
 * implementations compare equal when they agree to ~1e-12. */
static void fx_render_value(const column_t *c, size_t r, buf_t *b)
{
    char tmp[64];
    if (col_is_null(c, r)) {
        buf_puts(b, "null");
        return;
    }
    switch (c->type) {
    case FT_INT: buf_printf(b, "%lld", (long long)c->i64[r]); break;
    case FT_FLOAT:
        snprintf(tmp, sizeof(tmp), "%.12g", c->f64[r]);
        buf_puts(b, strcmp(tmp, "-0") == 0 ? "0" : tmp);
        break;
    case FT_BOOL: buf_printf(b, "%d", c->u8[r]); break;
    case FT_DATE: format_date(c->i64[r], tmp, sizeof(tmp)); buf_puts(b, tmp); break;
    case FT_DATETIME: format_datetime(c->i64[r], tmp, sizeof(tmp)); buf_puts(b, tmp); break;
    default: {
        str_t s = col_str(c, r);
        buf_append(b, s.p, s.n);
    }
    }
}

static char *fx_render(const column_t *c)
{
    buf_t b = {0};
    for (size_t r = 0; r < c->n; r++) {
        if (r)
            buf_putc(&b, '|');
        fx_render_value(c, r, &b);
    }
    return buf_steal(&b);
}

#endif

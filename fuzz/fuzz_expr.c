/*
 * fuzz_expr.c - compile arbitrary text as an expression over a small fixed
 * table, evaluate it (whole table and one row) and translate it to every
 * SQL dialect.  Must never crash, leak or trip the sanitizers; errors are
 * fine.  "#rep N" inputs (fuzz_rep.h) spell long regular expressions (a
 * 32,700-term `a-1-1-...` chain overflowed the stack) in a few bytes; they
 * expand up to just past EXPR_MAX_SRC, raw inputs stay under 4 KB.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/parse.h"
#include "features/expr.h"
#include "fuzz_rep.h"

static table_t *fx(size_t n)
{
    static const char *const strs[] = {"a,b", "", "Ene", "12-15", "x'y", "ÁÑO"};
    table_t *t = table_new();
    column_t *i = col_new("i", FT_INT, n), *f = col_new("f", FT_FLOAT, n),
             *b = col_new("b", FT_BOOL, n), *s = col_new("s", FT_STRING, n),
             *c = col_new("c", FT_CATEGORY, n), *d = col_new("d", FT_DATE, n),
             *ts = col_new("Fecha-I", FT_DATETIME, n);
    for (size_t r = 0; r < n; r++) {
        i->i64[r] = (int64_t)r * 7 - 10;
        f->f64[r] = (double)r / 3.0 - 1.0;
        b->u8[r] = r & 1;
        col_str_append(s, r, strs[r % 6], strlen(strs[r % 6]));
        c->code[r] = dict_intern(c->dict, strs[(r + 1) % 6], strlen(strs[(r + 1) % 6]));
        d->i64[r] = 18000 + (int64_t)r * 97;
        ts->i64[r] = 1600000000 + (int64_t)r * 40000;
        if (r % 4 == 3) {
            col_set_null(i, r);
            col_set_null(f, r);
            col_set_null(s, r);
            col_set_null(d, r);
        }
    }
    column_t *cols[] = {i, f, b, s, c, d, ts};
    for (size_t k = 0; k < 7; k++)
        table_add(t, cols[k], NULL);
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static table_t *t, *one;
    if (t == NULL) {
        t = fx(9);
        one = fx(1);
    }
    if (size > 4096)
        return 0;
    size_t n;
    char *src = fuzz_rep_expand(data, size, 70000, EXPR_MAX_SRC + 16, &n);
    expr_t *x = NULL;
    ferr_t e = {0};
    if (expr_compile(src, t, &x, &e) == FERR_OK) {
        column_t *c = NULL;
        if (expr_eval(x, t, "v", &c, &e) == FERR_OK)
            col_free(c);
        if (expr_eval(x, one, "v", &c, &e) == FERR_OK)
            col_free(c);
        for (int d = 0; d < SQL_DIALECT_COUNT_; d++) {
            buf_t b = {0};
            buf_init(&b, 1 << 20);
            expr_to_sql(x, (sql_dialect_t)d, &b, &e);
            buf_free(&b);
        }
        expr_free(x);
    }
    free(src);
    return 0;
}

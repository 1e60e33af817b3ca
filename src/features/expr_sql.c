/*
 * expr_sql.c - translation of compiled expressions to SQL (expr_to_sql).
 *
 * The translation walks the same typed tree the evaluator runs, so every
 * implicit conversion the parser inserted (int to float, date to datetime,
 * text literal to date) is spelled out for the target engine.  Each
 * operator is fully parenthesised; division and modulo go through NULLIF so
 * a zero divisor is null everywhere, as in ferry.  Functions translate by
 * the template or emitter in their table row (expr_func.c).  Dialect facts
 * relied on: SQLite stores dates as ISO text and booleans as 0/1, so text
 * comparison orders dates; Spark string literals treat backslash as an
 * escape, PostgreSQL's and SQLite's do not.
 */
#include "features/expr_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/parse.h"

static int put_text(sql_dialect_t d, str_t s, buf_t *out)
{
    buf_putc(out, '\'');
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '\'')
            buf_putc(out, '\'');
        else if (s.p[i] == '\\' && d == SQL_SPARK)
            buf_putc(out, '\\');
        buf_putc(out, s.p[i]);
    }
    return buf_putc(out, '\'');
}

int xsql_literal(const column_t *k, ftype_t t, sql_dialect_t d, buf_t *out)
{
    char tmp[64];
    if (t == XT_NULL || col_is_null(k, 0))
        return buf_puts(out, "NULL");
    switch (t) {
    case FT_INT:
        return buf_printf(out, k->i64[0] < 0 ? "(%lld)" : "%lld",
                          (long long)k->i64[0]);
    case FT_FLOAT: {
        double v = k->f64[0];
        if (isinf(v)) {
            const char *inf = d == SQL_SQLITE ? "9e999"
                              : d == SQL_POSTGRES ? "CAST('Infinity' AS DOUBLE PRECISION)"
                                                  : "double('inf')";
            return buf_printf(out, v < 0 ? "(-%s)" : "%s", inf);
        }
        snprintf(tmp, sizeof(tmp), "%.17g", v);
        bool plain = strpbrk(tmp, ".e") == NULL;
        return buf_printf(out, v < 0 ? "(%s%s)" : "%s%s", tmp, plain ? ".0" : "");
    }
    case FT_BOOL:
        if (d == SQL_SQLITE)
            return buf_puts(out, k->u8[0] ? "1" : "0");
        return buf_puts(out, k->u8[0] ? "TRUE" : "FALSE");
    case FT_DATE:
        format_date(k->i64[0], tmp, sizeof(tmp));
        return buf_printf(out, d == SQL_SQLITE ? "'%s'" : "DATE '%s'", tmp);
    case FT_DATETIME:
        format_datetime(k->i64[0], tmp, sizeof(tmp));
        return buf_printf(out, d == SQL_SQLITE ? "'%s'" : "TIMESTAMP '%s'", tmp);
    default:
        return put_text(d, col_str(k, 0), out);
    }
}

static int sql_cast(const xnode_t *nd, sql_dialect_t d, buf_t *out, ferr_t *e)
{
    ftype_t from = nd->args[0]->type, to = nd->type;
    if (from == XT_NULL)
        return buf_puts(out, "NULL");
    /* the converted operand goes between pre and post */
    const char *pre = "", *post = "";
    switch (to) {
    case FT_FLOAT:
        pre = "CAST(";
        post = d == SQL_SQLITE ? " AS REAL)"
               : d == SQL_POSTGRES ? " AS DOUBLE PRECISION)" : " AS DOUBLE)";
        break;
    case FT_INT: /* from bool: SQLite's booleans already are 0/1 */
        if (d != SQL_SQLITE) {
            pre = "CAST(";
            post = " AS BIGINT)";
        }
        break;
    case FT_BOOL:
        pre = "(";
        post = " <> 0)";
        break;
    case FT_DATE:
        pre = d == SQL_SQLITE ? "date(" : "CAST(";
        post = d == SQL_SQLITE ? ")" : " AS DATE)";
        break;
    case FT_DATETIME:
        pre = d == SQL_SQLITE ? "datetime(" : "CAST(";
        post = d == SQL_SQLITE ? ")" : " AS TIMESTAMP)";
        break;
    default: /* category -> string: the same text */
        break;
    }
    buf_puts(out, pre);
    int rc = xsql(nd->args[0], d, out, e);
    if (rc == FERR_OK)
        rc = buf_puts(out, post);
    return rc;
}

static const char *const op_sql[] = {
#define XOP_SQL_(e, s) s,
    XOP_TABLE(XOP_SQL_)
#undef XOP_SQL_
};

static int sql_op(const xnode_t *nd, sql_dialect_t d, buf_t *out, ferr_t *e)
{
    int rc = FERR_OK;
    switch (nd->op) {
    case XOP_NEG:
        buf_puts(out, "(- ");
        rc = xsql(nd->args[0], d, out, e);
        return rc ? rc : buf_puts(out, ")");
    case XOP_NOT:
        buf_puts(out, "(NOT ");
        rc = xsql(nd->args[0], d, out, e);
        return rc ? rc : buf_puts(out, ")");
    case XOP_ISNULL:
    case XOP_NOTNULL:
        buf_puts(out, "(");
        rc = xsql(nd->args[0], d, out, e);
        return rc ? rc : buf_printf(out, " %s)", op_sql[nd->op]);
    case XOP_DIV:
    case XOP_MOD:
        buf_puts(out, "(");
        if ((rc = xsql(nd->args[0], d, out, e)) != FERR_OK)
            return rc;
        buf_printf(out, " %s NULLIF(", op_sql[nd->op]);
        if ((rc = xsql(nd->args[1], d, out, e)) != FERR_OK)
            return rc;
        return buf_puts(out, ", 0))");
    case XOP_IN:
        buf_puts(out, "(");
        if ((rc = xsql(nd->args[0], d, out, e)) != FERR_OK)
            return rc;
        buf_puts(out, nd->negate ? " NOT IN (" : " IN (");
        for (int i = 1; i < nd->nargs && rc == FERR_OK; i++) {
            if (i > 1)
                buf_puts(out, ", ");
            rc = xsql(nd->args[i], d, out, e);
        }
        return rc ? rc : buf_puts(out, "))");
    case XOP_CASE:
        buf_puts(out, "CASE");
        for (int i = 0; i + 1 < nd->nargs && rc == FERR_OK; i += 2) {
            buf_puts(out, " WHEN ");
            if ((rc = xsql(nd->args[i], d, out, e)) != FERR_OK)
                break;
            buf_puts(out, " THEN ");
            rc = xsql(nd->args[i + 1], d, out, e);
        }
        if (rc == FERR_OK) {
            buf_puts(out, " ELSE ");
            rc = xsql(nd->args[nd->nargs - 1], d, out, e);
        }
        return rc ? rc : buf_puts(out, " END");
    default:
        buf_puts(out, "(");
        if ((rc = xsql(nd->args[0], d, out, e)) != FERR_OK)
            return rc;
        buf_printf(out, " %s ", op_sql[nd->op]);
        if ((rc = xsql(nd->args[1], d, out, e)) != FERR_OK)
            return rc;
        return buf_puts(out, ")");
    }
}

/* Expand a template: $1..$9 are arguments, $* all of them. */
static int expand(const char *tmpl, char **a, int nargs, buf_t *out)
{
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '$' && p[1] >= '1' && p[1] <= '9' && p[1] - '1' < nargs) {
            buf_puts(out, a[p[1] - '1']);
            p++;
        } else if (p[0] == '$' && p[1] == '*') {
            for (int i = 0; i < nargs; i++) {
                if (i)
                    buf_puts(out, ", ");
                buf_puts(out, a[i]);
            }
            p++;
        } else {
            buf_putc(out, *p);
        }
    }
    return FERR_OK;
}

static int sql_call(const xnode_t *nd, sql_dialect_t d, buf_t *out, ferr_t *e)
{
    const xfunc_t *fn = nd->fn;
    char **a = calloc((size_t)nd->nargs + 1, sizeof(*a));
    if (a == NULL)
        return ferr_set(e, FERR_NOMEM, "out of memory");
    int rc = FERR_OK;
    for (int i = 0; i < nd->nargs && rc == FERR_OK; i++) {
        buf_t b = {0};
        rc = xsql(nd->args[i], d, &b, e);
        a[i] = buf_steal(&b);
    }
    if (rc == FERR_OK) {
        const char *tmpl = fn->sql[d] ? fn->sql[d] : fn->sql[SQL_SQLITE];
        if (tmpl)
            rc = expand(tmpl, a, nd->nargs, out);
        else if (fn->emit)
            rc = fn->emit(nd, d, a, out, e);
        else
            rc = ferr_set(e, FERR_UNSUPPORTED, "%s has no SQL translation",
                          fn->name);
    }
    for (int i = 0; i < nd->nargs; i++)
        free(a[i]);
    free(a);
    return rc;
}

int xsql(const xnode_t *nd, sql_dialect_t d, buf_t *out, ferr_t *e)
{
    switch (nd->kind) {
    case XN_CONST:
        return xsql_literal(nd->konst, nd->type, d, out);
    case XN_COL:
        return sql_quote_ident(d, nd->name, out);
    case XN_CAST:
        return sql_cast(nd, d, out, e);
    case XN_OP:
        return sql_op(nd, d, out, e);
    case XN_CALL:
        return sql_call(nd, d, out, e);
    }
    return FERR_OK;
}

int expr_to_sql(const expr_t *x, sql_dialect_t dialect, buf_t *out, ferr_t *e)
{
    if ((int)dialect < 0 || dialect >= SQL_DIALECT_COUNT_)
        return ferr_set(e, FERR_USAGE, "unknown SQL dialect %d", (int)dialect);
    int rc = xsql(x->root, dialect, out, e);
    if (rc != FERR_OK && e && e->code == rc)
        ferr_prefix(e, "expr '%.120s': ", x->src);
    else if (rc != FERR_OK)
        rc = ferr_set(e, rc, "expr '%.120s': SQL output too long", x->src);
    return rc;
}

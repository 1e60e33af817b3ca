/*
 * expr_int.h - internals of the expression language shared by the parser
 * (expr.c), the evaluator and function table (expr_func.c) and the SQL
 * emitter (expr_sql.c).  Not a public header.
 *
 * A compiled expression is a tree of xnode_t.  Every node has a result type
 * fixed at compile time; implicit conversions are explicit XN_CAST nodes, so
 * the evaluator and the SQL emitter never guess.  At evaluation each node
 * produces an xval_t: a column_t holding either one value per row or, when
 * `konst` is set, a single row that stands for every row (literals and
 * folded subtrees are never broadcast into n-row arrays).
 */
#ifndef FERRY_EXPR_INT_H
#define FERRY_EXPR_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "features/expr.h"

/* The type of the literal `null` before it meets another type. */
#define XT_NULL ((ftype_t)FT_COUNT_)

typedef enum {
    XN_CONST, /* konst: a 1-row column */
    XN_COL,   /* input column, by name */
    XN_CAST,  /* args[0] converted to type */
    XN_OP,    /* operator op over args */
    XN_CALL,  /* function fn over args */
} xkind_t;

/* Operators, in one table: symbol as written, SQL spelling. */
#define XOP_TABLE(X)                    \
    X(XOP_ADD, "+")                     \
    X(XOP_SUB, "-")                     \
    X(XOP_MUL, "*")                     \
    X(XOP_DIV, "/")                     \
    X(XOP_MOD, "%")                     \
    X(XOP_NEG, "-")                     \
    X(XOP_EQ, "=")                      \
    X(XOP_NE, "<>")                     \
    X(XOP_LT, "<")                      \
    X(XOP_LE, "<=")                     \
    X(XOP_GT, ">")                      \
    X(XOP_GE, ">=")                     \
    X(XOP_AND, "AND")                   \
    X(XOP_OR, "OR")                     \
    X(XOP_NOT, "NOT")                   \
    X(XOP_ISNULL, "IS NULL")            \
    X(XOP_NOTNULL, "IS NOT NULL")       \
    X(XOP_IN, "IN")                     \
    X(XOP_CASE, "CASE")

typedef enum {
#define XOP_ENUM_(e, s) e,
    XOP_TABLE(XOP_ENUM_)
#undef XOP_ENUM_
    XOP_COUNT_
} xop_t;

struct xfunc;

typedef struct xnode {
    xkind_t kind;
    xop_t op;               /* XN_OP */
    ftype_t type;           /* result type (XT_NULL for a bare null) */
    int pos;                /* byte offset in the source, for messages */
    int height;             /* 1 + the tallest argument's height (<=
                               EXPR_MAX_HEIGHT + 1, so every recursive walk
                               over the tree is bounded) */
    int nargs;
    struct xnode **args;
    const struct xfunc *fn; /* XN_CALL */
    char *name;             /* XN_COL: column name */
    ftype_t coltype;        /* XN_COL: schema type */
    column_t *konst;        /* XN_CONST: one row */
    void *aux;              /* per-node compiled state (regex, ranges) */
    void (*aux_free)(void *);
    bool negate;            /* XOP_IN: not in */
} xnode_t;

struct expr {
    char *src;
    xnode_t *root;
    char **inputs;
    size_t ninputs;
};

typedef struct xval {
    column_t *c;
    bool owned;
    bool konst;
} xval_t;

#define XI(v, i) ((v)->konst ? 0 : (i))

static inline bool xnull(const xval_t *v, size_t i)
{
    return v->c->null != NULL && v->c->null[XI(v, i)] != 0;
}

/* Text of row i of a STRING or CATEGORY value. */
static inline str_t xstr(const xval_t *v, size_t i)
{
    return col_str(v->c, XI(v, i));
}

/* Compile-time hook: checks argument types beyond the signature string,
 * sets nd->type, may insert casts and build nd->aux.  Returns 0 or an error
 * (message without the position prefix, which the caller adds). */
typedef int (*xcheck_fn)(xnode_t *nd, ferr_t *e);
/* Evaluation: args are evaluated; out->c is allocated with `n` rows of
 * nd->type (null map pre-merged from the args when XF_PROPAGATE).  Never
 * fails on data. */
typedef void (*xeval_fn)(const xnode_t *nd, xval_t *args, size_t n,
                         xval_t *out);
/* SQL emission for functions whose translation is not a template.  a[i]
 * is the SQL text of argument i. */
typedef int (*xsql_fn)(const xnode_t *nd, sql_dialect_t d, char **a,
                       buf_t *out, ferr_t *e);

enum {
    XF_PROPAGATE = 1, /* null in any argument -> null result */
};

/* One row of the function table.  args: one letter per argument, the last
 * repeating for variadic functions:
 *   n number (int/float/bool)  i int  b bool  s string/category
 *   d date or datetime  a any  c string constant  k constant of any type
 * ret: f float, i int, b bool, s string, d date, t datetime, n int when
 * all numeric arguments are int else float, '?' set by the check hook.
 * sql: a template per dialect with $1..$9 for the arguments ($* all,
 * comma-separated); NULL for a dialect means "same as SQLite"; all NULL
 * means emit() is used. */
typedef struct xfunc {
    const char *name;
    int min_args, max_args; /* max -1: variadic */
    const char *args;
    char ret;
    unsigned flags;
    xcheck_fn check;
    xeval_fn eval;
    const char *sql[SQL_DIALECT_COUNT_];
    xsql_fn emit;
    const char *sig;
    const char *doc;
} xfunc_t;

const xfunc_t *xfunc_find(str_t name);
extern const xfunc_t xfunc_table[];
extern const size_t xfunc_ntable;

/* Type rules shared by the parser and the function checks. */
bool xtype_numeric(ftype_t t); /* INT FLOAT BOOL */
bool xtype_text(ftype_t t);    /* STRING CATEGORY */
bool xtype_time(ftype_t t);    /* DATE DATETIME */
/* Common type of two branch values (if/case/coalesce); -1 if none. */
int xtype_unify(ftype_t a, ftype_t b);
/* Wrap *slot in a cast to t when its type differs. */
void xnode_cast(xnode_t **slot, ftype_t t);
bool xnode_is_const(const xnode_t *nd);

/* Evaluation (expr_func.c). */
int xeval(const xnode_t *nd, const table_t *in, size_t n, xval_t *out,
          ferr_t *e);
void xval_release(xval_t *v);
/* Null map of out becomes the union of the args' null maps. */
void xnull_merge(column_t *out, xval_t *args, int nargs, size_t n);
/* Row i of o := row i of vals[pick[i]] (null when pick[i] < 0); o's type
 * is the common type of vals.  The back end of case/if/coalesce/map. */
void xselect(column_t *o, xval_t *vals, const int32_t *pick, size_t n);

/* SQL (expr_sql.c). */
int xsql(const xnode_t *nd, sql_dialect_t d, buf_t *out, ferr_t *e);
int xsql_literal(const column_t *k, ftype_t t, sql_dialect_t d, buf_t *out);

#endif

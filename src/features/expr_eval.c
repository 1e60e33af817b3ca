/*
 * expr_eval.c - vectorised evaluation of compiled expressions.
 *
 * Each node turns its operands' columns into one result column in a tight
 * loop per operator and type; a constant operand is a one-row column read
 * with index 0 (XI), never broadcast.  Null maps are merged once per node
 * and float results that come out NaN (inf - inf, 0 * inf) become null, as
 * in SQLite, so a null is always visible in the null map.  The same code
 * runs on a million-row table and on the server's one-row table.
 */
#include "features/expr_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "data/parse.h"

void xval_release(xval_t *v)
{
    if (v->owned)
        col_free(v->c);
    v->c = NULL;
    v->owned = false;
}

static column_t *xcol_new(ftype_t t, size_t n)
{
    return col_new("", t == XT_NULL ? FT_INT : t, n);
}

static void ensure_null(column_t *c)
{
    if (c->null == NULL)
        c->null = xcalloc(c->n ? c->n : 1, 1);
}

void xnull_merge(column_t *out, xval_t *args, int nargs, size_t n)
{
    for (int k = 0; k < nargs; k++) {
        const column_t *a = args[k].c;
        if (a->null == NULL)
            continue;
        ensure_null(out);
        if (args[k].konst) {
            if (a->null[0])
                memset(out->null, 1, n);
        } else {
            for (size_t i = 0; i < n; i++)
                out->null[i] |= a->null[i];
        }
    }
}

/* Float results: NaN is null (and null is NaN), as table.h requires. */
static void float_finish(column_t *c)
{
    if (c->type != FT_FLOAT)
        return;
    for (size_t i = 0; i < c->n; i++) {
        if (isnan(c->f64[i]) || (c->null && c->null[i])) {
            ensure_null(c);
            c->null[i] = 1;
            c->f64[i] = NAN;
        }
    }
}

/* Zero the value slots of null rows: table.h promises 0 there, and the
 * operators compute garbage for them. */
static void zero_nulls(column_t *c)
{
    if (c->null == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->null[i])
            continue;
        switch (c->type) {
        case FT_INT: case FT_DATE: case FT_DATETIME: c->i64[i] = 0; break;
        case FT_BOOL: c->u8[i] = 0; break;
        case FT_CATEGORY: c->code[i] = 0; break;
        default: break;
        }
    }
}

/* ---- casts ------------------------------------------------------------ */

static void eval_cast(const xnode_t *nd, xval_t *a, size_t n, column_t *o)
{
    ftype_t from = nd->args[0]->type, to = nd->type;
    const column_t *c = a->c;
    if (from == XT_NULL) {
        ensure_null(o);
        memset(o->null, 1, n);
        if (xtype_text(to))
            for (size_t i = 0; i < n; i++)
                col_str_append(o, i, "", 0);
        return;
    }
    xnull_merge(o, a, 1, n);
    switch (to) {
    case FT_FLOAT:
        for (size_t i = 0; i < n; i++)
            o->f64[i] = c->type == FT_BOOL ? c->u8[XI(a, i)]
                                           : (double)c->i64[XI(a, i)];
        break;
    case FT_INT:
        for (size_t i = 0; i < n; i++)
            o->i64[i] = c->u8[XI(a, i)];
        break;
    case FT_BOOL:
        for (size_t i = 0; i < n; i++)
            o->u8[i] = c->i64[XI(a, i)] != 0;
        break;
    case FT_DATETIME:
        if (from == FT_DATE) {
            for (size_t i = 0; i < n; i++)
                o->i64[i] = c->i64[XI(a, i)] * 86400;
            break;
        }
        __attribute__((fallthrough)); /* text */
    case FT_DATE:
        for (size_t i = 0; i < n; i++) {
            if (xnull(a, i))
                continue;
            str_t s = xstr(a, i);
            int rc = to == FT_DATE ? parse_date(s, NULL, &o->i64[i])
                                   : parse_datetime(s, NULL, &o->i64[i]);
            if (rc != FERR_OK) {
                ensure_null(o);
                o->null[i] = 1;
            }
        }
        break;
    case FT_STRING:
        for (size_t i = 0; i < n; i++) {
            str_t s = xnull(a, i) ? (str_t){"", 0} : xstr(a, i);
            col_str_append(o, i, s.p, s.n);
        }
        break;
    default:
        break;
    }
}

/* ---- operators -------------------------------------------------------- */

/* A loop over rows for an operand pair, specialised on which operand is a
 * constant so the common `col op literal` case runs without index math. */
#define LOOP2(ak, bk, pa, pb, po, n, EXPR)                                  \
    do {                                                                    \
        if ((ak) == (bk)) {                                                 \
            for (size_t i_ = 0; i_ < (n); i_++) {                           \
                __typeof__(*(pa)) x_ = (pa)[i_];                            \
                __typeof__(*(pb)) y_ = (pb)[i_];                            \
                (po)[i_] = (EXPR);                                          \
            }                                                               \
        } else if (ak) {                                                    \
            __typeof__(*(pa)) x_ = (pa)[0];                                 \
            for (size_t i_ = 0; i_ < (n); i_++) {                           \
                __typeof__(*(pb)) y_ = (pb)[i_];                            \
                (po)[i_] = (EXPR);                                          \
            }                                                               \
        } else {                                                            \
            __typeof__(*(pb)) y_ = (pb)[0];                                 \
            for (size_t i_ = 0; i_ < (n); i_++) {                           \
                __typeof__(*(pa)) x_ = (pa)[i_];                            \
                (po)[i_] = (EXPR);                                          \
            }                                                               \
        }                                                                   \
    } while (0)

static void eval_arith(xop_t op, xval_t *a, xval_t *b, size_t n, column_t *o)
{
    bool ak = a->konst, bk = b->konst;
    xnull_merge(o, a, 1, n);
    xnull_merge(o, b, 1, n);
    if (o->type == FT_FLOAT) {
        /* an int operand arrives uncast (see xeval): converting inside the
         * loop saves a whole intermediate column */
        double *r = o->f64;
#define FARITH_(x, y)                                                           \
    switch (op) {                                                               \
    case XOP_ADD: LOOP2(ak, bk, x, y, r, n, (double)x_ + (double)y_); break;    \
    case XOP_SUB: LOOP2(ak, bk, x, y, r, n, (double)x_ - (double)y_); break;    \
    case XOP_MUL: LOOP2(ak, bk, x, y, r, n, (double)x_ * (double)y_); break;    \
    case XOP_DIV:                                                               \
        LOOP2(ak, bk, x, y, r, n, y_ == 0 ? NAN : (double)x_ / (double)y_);     \
        break;                                                                  \
    default: break;                                                             \
    }
        bool ai = a->c->type == FT_INT, bi = b->c->type == FT_INT;
        if (ai && bi)
            FARITH_(a->c->i64, b->c->i64)
        else if (ai)
            FARITH_(a->c->i64, b->c->f64)
        else if (bi)
            FARITH_(a->c->f64, b->c->i64)
        else
            FARITH_(a->c->f64, b->c->f64)
#undef FARITH_
        return;
    }
    /* int: wrap on overflow (through uint64) instead of undefined behaviour */
    const int64_t *x = a->c->i64, *y = b->c->i64;
    int64_t *r = o->i64;
    switch (op) {
    case XOP_ADD:
        LOOP2(ak, bk, x, y, r, n, (int64_t)((uint64_t)x_ + (uint64_t)y_));
        break;
    case XOP_SUB:
        LOOP2(ak, bk, x, y, r, n, (int64_t)((uint64_t)x_ - (uint64_t)y_));
        break;
    case XOP_MUL:
        LOOP2(ak, bk, x, y, r, n, (int64_t)((uint64_t)x_ * (uint64_t)y_));
        break;
    case XOP_MOD:
        LOOP2(ak, bk, x, y, r, n, (y_ == 0 || y_ == -1) ? 0 : x_ % y_);
        for (size_t i = 0; i < n; i++)
            if (b->c->i64[XI(b, i)] == 0) {
                ensure_null(o);
                o->null[i] = 1;
            }
        break;
    default:
        break;
    }
}

static int text_cmp(str_t x, str_t y)
{
    size_t m = x.n < y.n ? x.n : y.n;
    int c = m ? memcmp(x.p, y.p, m) : 0;
    return c ? c : (x.n > y.n) - (x.n < y.n);
}

#define CMP_ALL(ak, bk, x, y, r, n)                                         \
    do {                                                                    \
        switch (op) {                                                       \
        case XOP_EQ: LOOP2(ak, bk, x, y, r, n, x_ == y_); break;            \
        case XOP_NE: LOOP2(ak, bk, x, y, r, n, x_ != y_); break;            \
        case XOP_LT: LOOP2(ak, bk, x, y, r, n, x_ < y_); break;             \
        case XOP_LE: LOOP2(ak, bk, x, y, r, n, x_ <= y_); break;            \
        case XOP_GT: LOOP2(ak, bk, x, y, r, n, x_ > y_); break;             \
        case XOP_GE: LOOP2(ak, bk, x, y, r, n, x_ >= y_); break;            \
        default: break;                                                     \
        }                                                                   \
    } while (0)

static bool cmp_holds(xop_t op, int c)
{
    switch (op) {
    case XOP_EQ: return c == 0;
    case XOP_NE: return c != 0;
    case XOP_LT: return c < 0;
    case XOP_LE: return c <= 0;
    case XOP_GT: return c > 0;
    case XOP_GE: return c >= 0;
    default: return false;
    }
}

static void eval_compare(xop_t op, xval_t *a, xval_t *b, size_t n,
                         column_t *o)
{
    bool ak = a->konst, bk = b->konst;
    const column_t *ca = a->c, *cb = b->c;
    uint8_t *r = o->u8;
    xnull_merge(o, a, 1, n);
    xnull_merge(o, b, 1, n);
    if (xtype_text(ca->type)) {
        /* category = 'literal': look the literal up once, compare codes */
        if ((op == XOP_EQ || op == XOP_NE) && ca->type == FT_CATEGORY && bk &&
            !ak) {
            str_t s = col_str(cb, 0);
            int32_t k = dict_find(ca->dict, s.p, s.n);
            const int32_t *x = ca->code;
            if (op == XOP_EQ)
                for (size_t i = 0; i < n; i++) r[i] = x[i] == k;
            else
                for (size_t i = 0; i < n; i++) r[i] = x[i] != k;
            return;
        }
        for (size_t i = 0; i < n; i++)
            r[i] = cmp_holds(op, text_cmp(xstr(a, i), xstr(b, i)));
        return;
    }
    switch (ca->type) {
    case FT_FLOAT: CMP_ALL(ak, bk, ca->f64, cb->f64, r, n); break;
    case FT_BOOL: CMP_ALL(ak, bk, ca->u8, cb->u8, r, n); break;
    default: CMP_ALL(ak, bk, ca->i64, cb->i64, r, n); break;
    }
}

/* Three-valued and/or/not. */
static void eval_logic(xop_t op, xval_t *args, int nargs, size_t n,
                       column_t *o)
{
    xval_t *a = &args[0];
    if (op == XOP_NOT) {
        xnull_merge(o, a, 1, n);
        for (size_t i = 0; i < n; i++)
            o->u8[i] = !a->c->u8[XI(a, i)];
        return;
    }
    xval_t *b = &args[1];
    uint8_t dom = op == XOP_OR; /* the value that decides alone */
    if (a->c->null == NULL && b->c->null == NULL) {
        const uint8_t *x = a->c->u8, *y = b->c->u8;
        if (op == XOP_AND)
            LOOP2(a->konst, b->konst, x, y, o->u8, n, x_ & y_);
        else
            LOOP2(a->konst, b->konst, x, y, o->u8, n, x_ | y_);
        return;
    }
    (void)nargs;
    for (size_t i = 0; i < n; i++) {
        bool an = xnull(a, i), bn = xnull(b, i);
        uint8_t x = a->c->u8[XI(a, i)], y = b->c->u8[XI(b, i)];
        if ((!an && x == dom) || (!bn && y == dom)) {
            o->u8[i] = dom;
        } else if (an || bn) {
            ensure_null(o);
            o->null[i] = 1;
        } else {
            o->u8[i] = !dom;
        }
    }
}

/* x [not] in (constants): SQL semantics, a null in the list makes a miss
 * unknown. */
static void eval_in(const xnode_t *nd, xval_t *args, size_t n, column_t *o)
{
    xval_t *x = &args[0];
    int nv = nd->nargs - 1;
    bool list_null = false;
    for (int k = 1; k <= nv; k++)
        list_null |= col_is_null(args[k].c, 0);
    uint8_t hit = nd->negate ? 0 : 1;
    uint8_t *memb = NULL; /* per category code: in the list? */
    if (x->c->type == FT_CATEGORY) {
        const dict_t *d = x->c->dict;
        memb = xcalloc(d->n ? d->n : 1, 1);
        for (int k = 1; k <= nv; k++) {
            if (col_is_null(args[k].c, 0))
                continue;
            str_t s = col_str(args[k].c, 0);
            int32_t c = dict_find(d, s.p, s.n);
            if (c >= 0)
                memb[c] = 1;
        }
    }
    xnull_merge(o, x, 1, n);
    for (size_t i = 0; i < n; i++) {
        if (xnull(x, i))
            continue;
        bool found = false;
        if (memb) {
            found = memb[x->c->code[XI(x, i)]];
        } else {
            for (int k = 1; k <= nv && !found; k++) {
                const column_t *v = args[k].c;
                if (col_is_null(v, 0))
                    continue;
                switch (x->c->type) {
                case FT_FLOAT: found = x->c->f64[XI(x, i)] == v->f64[0]; break;
                case FT_BOOL: found = x->c->u8[XI(x, i)] == v->u8[0]; break;
                case FT_STRING:
                    found = str_eq(xstr(x, i), col_str(v, 0));
                    break;
                default: found = x->c->i64[XI(x, i)] == v->i64[0]; break;
                }
            }
        }
        if (found) {
            o->u8[i] = hit;
        } else if (list_null) {
            ensure_null(o);
            o->null[i] = 1;
        } else {
            o->u8[i] = !hit;
        }
    }
    xfree(memb);
}

/* Copy row i of the chosen value into row i of o: the shared back end of
 * case, if, coalesce and map.  pick[i] < 0 means null. */
void xselect(column_t *o, xval_t *vals, const int32_t *pick, size_t n)
{
    bool text = xtype_text(o->type);
    for (size_t i = 0; i < n; i++) {
        int32_t k = pick[i];
        if (k < 0 || xnull(&vals[k], i)) {
            ensure_null(o);
            o->null[i] = 1;
            if (text)
                col_str_append(o, i, "", 0);
            if (o->type == FT_FLOAT)
                o->f64[i] = NAN;
            continue;
        }
        const xval_t *v = &vals[k];
        size_t j = XI(v, i);
        switch (o->type) {
        case FT_FLOAT: o->f64[i] = v->c->f64[j]; break;
        case FT_BOOL: o->u8[i] = v->c->u8[j]; break;
        case FT_STRING:
        case FT_CATEGORY: {
            str_t s = col_str(v->c, j);
            col_str_append(o, i, s.p, s.n);
            break;
        }
        default: o->i64[i] = v->c->i64[j]; break;
        }
    }
}

static void eval_case(const xnode_t *nd, xval_t *args, size_t n, column_t *o)
{
    int nb = nd->nargs / 2; /* when/then pairs; the default is last */
    int32_t *pick = xmalloc((n ? n : 1) * sizeof(*pick));
    xval_t *vals = xmalloc((size_t)(nb + 1) * sizeof(*vals));
    for (int k = 0; k < nb; k++)
        vals[k] = args[2 * k + 1];
    vals[nb] = args[nd->nargs - 1];
    for (size_t i = 0; i < n; i++) {
        int32_t k = 0;
        while (k < nb && (xnull(&args[2 * k], i) ||
                          !args[2 * k].c->u8[XI(&args[2 * k], i)]))
            k++;
        pick[i] = k;
    }
    xselect(o, vals, pick, n);
    xfree(vals);
    xfree(pick);
}

/* ---- the walk --------------------------------------------------------- */

static bool runtime_type_ok(ftype_t want, ftype_t have)
{
    return want == have || (xtype_text(want) && xtype_text(have));
}

static bool node_fits(const xnode_t *nd, const table_t *t)
{
    if (nd->kind == XN_COL) {
        const column_t *c = table_find(t, nd->name);
        return c && runtime_type_ok(nd->coltype, c->type);
    }
    for (int i = 0; i < nd->nargs; i++)
        if (!node_fits(nd->args[i], t))
            return false;
    return true;
}

bool expr_fits(const expr_t *x, const table_t *t)
{
    return node_fits(x->root, t);
}

int xeval(const xnode_t *nd, const table_t *in, size_t n, xval_t *out,
          ferr_t *e)
{
    memset(out, 0, sizeof(*out));
    if (nd->kind == XN_CONST) {
        out->c = nd->konst;
        out->konst = true;
        return FERR_OK;
    }
    if (nd->kind == XN_COL) {
        column_t *c = in ? table_find(in, nd->name) : NULL;
        if (c == NULL)
            return ferr_set(e, FERR_NOTFOUND, "column '%s' is missing",
                            nd->name);
        if (!runtime_type_ok(nd->coltype, c->type))
            return ferr_set(e, FERR_TYPE,
                            "column '%s' is %s, the expression was compiled "
                            "for %s",
                            nd->name, ftype_name(c->type),
                            ftype_name(nd->coltype));
        if (c->n != n)
            return ferr_set(e, FERR_RANGE, "column '%s' has %zu rows, not %zu",
                            nd->name, c->n, n);
        out->c = c;
        return FERR_OK;
    }

    xval_t stack[4];
    xval_t *args = nd->nargs <= 4 ? stack : xmalloc((size_t)nd->nargs * sizeof(*args));
    bool allk = true;
    int rc = FERR_OK, done = 0;
    /* float arithmetic reads int operands directly: skip their casts */
    bool fuse = nd->kind == XN_OP && nd->type == FT_FLOAT &&
                (nd->op == XOP_ADD || nd->op == XOP_SUB || nd->op == XOP_MUL ||
                 nd->op == XOP_DIV);
    for (; done < nd->nargs; done++) {
        const xnode_t *an = nd->args[done];
        if (fuse && an->kind == XN_CAST && an->args[0]->type == FT_INT)
            an = an->args[0];
        if ((rc = xeval(an, in, n, &args[done], e)) != FERR_OK)
            break;
        allk &= args[done].konst;
    }
    if (rc == FERR_OK) {
        size_t m = allk ? 1 : n;
        column_t *o = xcol_new(nd->type, m);
        if (nd->kind == XN_CAST) {
            eval_cast(nd, &args[0], m, o);
        } else if (nd->kind == XN_OP) {
            switch (nd->op) {
            case XOP_ADD: case XOP_SUB: case XOP_MUL: case XOP_DIV:
            case XOP_MOD:
                eval_arith(nd->op, &args[0], &args[1], m, o);
                break;
            case XOP_NEG: {
                xnull_merge(o, args, 1, m);
                xval_t *a = &args[0];
                if (o->type == FT_FLOAT)
                    for (size_t i = 0; i < m; i++) o->f64[i] = -a->c->f64[XI(a, i)];
                else
                    for (size_t i = 0; i < m; i++)
                        o->i64[i] = (int64_t)(0 - (uint64_t)a->c->i64[XI(a, i)]);
                break;
            }
            case XOP_EQ: case XOP_NE: case XOP_LT: case XOP_LE: case XOP_GT:
            case XOP_GE:
                eval_compare(nd->op, &args[0], &args[1], m, o);
                break;
            case XOP_AND: case XOP_OR: case XOP_NOT:
                eval_logic(nd->op, args, nd->nargs, m, o);
                break;
            case XOP_ISNULL: case XOP_NOTNULL: {
                xval_t *a = &args[0];
                uint8_t want = nd->op == XOP_ISNULL;
                for (size_t i = 0; i < m; i++)
                    o->u8[i] = xnull(a, i) == want;
                break;
            }
            case XOP_IN:
                eval_in(nd, args, m, o);
                break;
            case XOP_CASE:
                eval_case(nd, args, m, o);
                break;
            default:
                break;
            }
        } else {
            if (nd->fn->flags & XF_PROPAGATE)
                xnull_merge(o, args, nd->nargs, m);
            xval_t ov = {.c = o, .owned = true, .konst = allk};
            nd->fn->eval(nd, args, m, &ov);
            o = ov.c;
        }
        float_finish(o);
        zero_nulls(o);
        out->c = o;
        out->owned = true;
        out->konst = allk;
    }
    for (int i = 0; i < done; i++)
        xval_release(&args[i]);
    if (args != stack)
        xfree(args);
    return rc;
}

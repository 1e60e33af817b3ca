/*
 * expr.c - parsing and type checking of feature expressions (see expr.h).
 *
 * A hand-written lexer and precedence-climbing parser build the typed tree
 * of expr_int.h directly: every node is type-checked as soon as its operands
 * exist, implicit conversions become explicit XN_CAST nodes, and a node whose
 * operands are all constants is evaluated on the spot (constant folding), so
 * `date '2021-09-18'` or `'2020-13-01'` compared with a date column is
 * checked once, at compile time, with the position of the mistake.
 *
 * Grammar, loosest binding first:
 *   or -> and -> not -> comparison (= <> < .. is null, between, in)
 *   -> + - -> * / % -> unary - -> primary
 *   primary: number 'string' `ident` "ident" ident true false null
 *            date 'YYYY-MM-DD'  datetime|timestamp 'YYYY-MM-DD HH:MM:SS'
 *            case [x] when .. then .. [else ..] end   f(args)   ( expr )
 */
#include "features/expr_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/vec.h"
#include "data/parse.h"

/* ---- lexer ------------------------------------------------------------ */

typedef enum {
    TK_EOF, TK_NUM, TK_STR, TK_IDENT, TK_QIDENT, TK_OP, TK_LP, TK_RP,
    TK_COMMA, TK_BAD
} tkind_t;

typedef struct {
    tkind_t kind;
    int pos, len;    /* span in the source */
    bool isfloat;    /* TK_NUM */
} tok_t;

typedef struct {
    const char *src;
    int n;
    int pos;         /* lexer position */
    tok_t t;         /* current token */
    const table_t *schema;
    ferr_t *e;
    int rc;
    int depth;
} parser_t;

/* Error at byte offset pos: "expr 'x + ': 1:5: expected an operand".  Only
 * the first error is kept; later ones are consequences of it. */
static xnode_t *perr(parser_t *p, int pos, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static xnode_t *perr(parser_t *p, int pos, int code, const char *fmt, ...)
{
    if (p->rc != FERR_OK)
        return NULL;
    int line = 1, col = 1;
    for (int i = 0; i < pos && i < p->n; i++) {
        if (p->src[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int shown = p->n > 120 ? 120 : p->n;
    p->rc = ferr_set(p->e, code, "expr '%.*s%s': %d:%d: %s", shown, p->src,
                     shown < p->n ? "..." : "", line, col, msg);
    return NULL;
}

static bool ident_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c >= 0x80; /* UTF-8: AÑO, año */
}

static bool ident_char(unsigned char c)
{
    return ident_start(c) || isdigit(c);
}

/* Words that never parse as a column name unquoted. */
static const char *const keywords[] = {
    "and", "or", "not", "is", "in", "between", "case", "when", "then",
    "else", "end", "null", "true", "false"};

static bool is_keyword(str_t w)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++)
        if (str_ieq_cstr(w, keywords[i]))
            return true;
    return false;
}

const char *expr_ident_problem(const char *name)
{
    const unsigned char *c = (const unsigned char *)name;
    if (*c == '\0')
        return "is empty";
    if (isdigit(*c))
        return "starts with a digit";
    for (; *c; c++)
        if (!ident_char(*c))
            return "has a character other than letters, digits and '_'";
    if (is_keyword(str_from(name)))
        return "is a keyword of the expression language";
    return NULL;
}

/* Scan the next token into p->t. */
static void lex(parser_t *p)
{
    const char *s = p->src;
    int i = p->pos;
    while (i < p->n && isspace((unsigned char)s[i]))
        i++;
    tok_t t = {.kind = TK_EOF, .pos = i, .len = 0};
    if (i >= p->n) {
        p->t = t;
        p->pos = i;
        return;
    }
    unsigned char c = (unsigned char)s[i];
    int j = i + 1;
    if (isdigit(c) || (c == '.' && i + 1 < p->n && isdigit((unsigned char)s[i + 1]))) {
        t.kind = TK_NUM;
        j = i;
        while (j < p->n && isdigit((unsigned char)s[j]))
            j++;
        if (j < p->n && s[j] == '.') {
            t.isfloat = true;
            j++;
            while (j < p->n && isdigit((unsigned char)s[j]))
                j++;
        }
        if (j < p->n && (s[j] == 'e' || s[j] == 'E')) {
            int k = j + 1;
            if (k < p->n && (s[k] == '+' || s[k] == '-'))
                k++;
            if (k < p->n && isdigit((unsigned char)s[k])) {
                t.isfloat = true;
                j = k;
                while (j < p->n && isdigit((unsigned char)s[j]))
                    j++;
            }
        }
    } else if (c == '\'' || c == '`' || c == '"') {
        /* quotes are escaped by doubling them, as in SQL */
        t.kind = c == '\'' ? TK_STR : TK_QIDENT;
        for (;;) {
            if (j >= p->n) {
                t.kind = TK_BAD;
                break;
            }
            if ((unsigned char)s[j] == c) {
                if (j + 1 < p->n && (unsigned char)s[j + 1] == c) {
                    j += 2;
                    continue;
                }
                j++;
                break;
            }
            j++;
        }
    } else if (ident_start(c)) {
        t.kind = TK_IDENT;
        while (j < p->n && ident_char((unsigned char)s[j]))
            j++;
    } else if (c == '(') {
        t.kind = TK_LP;
    } else if (c == ')') {
        t.kind = TK_RP;
    } else if (c == ',') {
        t.kind = TK_COMMA;
    } else if (strchr("+-*/%", c)) {
        t.kind = TK_OP;
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
        t.kind = TK_OP;
        if (j < p->n && (s[j] == '=' || (c == '<' && s[j] == '>')))
            j++;
        else if (c == '!')
            t.kind = TK_BAD;
    } else {
        t.kind = TK_BAD;
    }
    t.len = j - i;
    p->t = t;
    p->pos = j;
}

static bool tok_is(const parser_t *p, const char *text)
{
    const tok_t *t = &p->t;
    if (t->kind != TK_IDENT && t->kind != TK_OP)
        return false;
    str_t s = {p->src + t->pos, (size_t)t->len};
    return t->kind == TK_IDENT ? str_ieq_cstr(s, text) : str_eq_cstr(s, text);
}

static bool accept(parser_t *p, const char *text)
{
    if (!tok_is(p, text))
        return false;
    lex(p);
    return true;
}

/* Unquote a quoted token ('it''s' -> it's): xmalloc'd. */
static char *tok_unquote(const parser_t *p, const tok_t *t)
{
    char q = p->src[t->pos];
    char *out = xmalloc((size_t)t->len);
    size_t k = 0;
    for (int i = t->pos + 1; i < t->pos + t->len - 1; i++) {
        out[k++] = p->src[i];
        if (p->src[i] == q)
            i++;
    }
    out[k] = '\0';
    return out;
}

static const char *tok_desc(const parser_t *p, char *buf, size_t n)
{
    if (p->t.kind == TK_EOF)
        return "end of input";
    snprintf(buf, n, "'%.*s'", p->t.len > 40 ? 40 : p->t.len,
             p->src + p->t.pos);
    return buf;
}

/* ---- nodes ------------------------------------------------------------ */

static xnode_t *node_new(xkind_t kind, int pos, int nargs)
{
    xnode_t *nd = xcalloc(1, sizeof(*nd));
    nd->kind = kind;
    nd->pos = pos;
    nd->height = 1;
    nd->nargs = nargs;
    if (nargs > 0)
        nd->args = xcalloc((size_t)nargs, sizeof(*nd->args));
    return nd;
}

static void node_free(xnode_t *nd)
{
    if (nd == NULL)
        return;
    for (int i = 0; i < nd->nargs; i++)
        node_free(nd->args[i]);
    xfree(nd->args);
    xfree(nd->name);
    col_free(nd->konst);
    if (nd->aux_free)
        nd->aux_free(nd->aux);
    xfree(nd);
}

static xnode_t *node_clone(const xnode_t *src)
{
    xnode_t *nd = node_new(src->kind, src->pos, src->nargs);
    nd->op = src->op;
    nd->height = src->height;
    nd->type = src->type;
    nd->fn = src->fn;
    nd->coltype = src->coltype;
    nd->negate = src->negate;
    if (src->name)
        nd->name = xstrdup(src->name);
    if (src->konst)
        nd->konst = col_clone(src->konst, NULL);
    for (int i = 0; i < src->nargs; i++)
        nd->args[i] = node_clone(src->args[i]);
    /* aux (regex, parsed ranges) only exists on calls, which compile it
     * again in their check hook; clones are made before that. */
    return nd;
}

static xnode_t *const_new(int pos, ftype_t t)
{
    xnode_t *nd = node_new(XN_CONST, pos, 0);
    nd->type = t;
    nd->konst = col_new("", t == XT_NULL ? FT_INT : t, 1);
    if (t == XT_NULL)
        col_set_null(nd->konst, 0);
    return nd;
}

bool xnode_is_const(const xnode_t *nd)
{
    return nd->kind == XN_CONST;
}

bool xtype_numeric(ftype_t t)
{
    return t == FT_INT || t == FT_FLOAT || t == FT_BOOL;
}

bool xtype_text(ftype_t t)
{
    return t == FT_STRING || t == FT_CATEGORY;
}

bool xtype_time(ftype_t t)
{
    return t == FT_DATE || t == FT_DATETIME;
}

int xtype_unify(ftype_t a, ftype_t b)
{
    if (a == FT_CATEGORY)
        a = FT_STRING; /* branch values from different vocabularies */
    if (b == FT_CATEGORY)
        b = FT_STRING;
    if (a == XT_NULL)
        return b;
    if (b == XT_NULL || a == b)
        return a;
    if (xtype_numeric(a) && xtype_numeric(b))
        return (a == FT_FLOAT || b == FT_FLOAT) ? FT_FLOAT : FT_INT;
    if (xtype_time(a) && xtype_time(b))
        return FT_DATETIME;
    return -1;
}

void xnode_cast(xnode_t **slot, ftype_t t)
{
    xnode_t *a = *slot;
    if (t == FT_CATEGORY) /* a category has no text of its own to cast to */
        t = FT_STRING;
    if (a->type == t)
        return;
    xnode_t *c = node_new(XN_CAST, a->pos, 1);
    c->type = t;
    c->height = a->height + 1;
    c->args[0] = a;
    *slot = c;
}

/* Evaluate a node whose operands are all constants and replace it by the
 * constant.  Evaluation never fails on data, so this cannot fail either. */
static xnode_t *fold(xnode_t *nd)
{
    if (nd == NULL || nd->kind == XN_CONST || nd->kind == XN_COL)
        return nd;
    for (int i = 0; i < nd->nargs; i++)
        if (nd->args[i]->kind != XN_CONST)
            return nd;
    xval_t v = {0};
    if (xeval(nd, NULL, 1, &v, NULL) != FERR_OK)
        return nd;
    xnode_t *k = node_new(XN_CONST, nd->pos, 0);
    k->type = nd->type;
    k->konst = v.owned ? v.c : col_clone(v.c, NULL);
    if (nd->type == XT_NULL && k->konst->null == NULL)
        col_set_null(k->konst, 0);
    node_free(nd);
    return k;
}

/* ---- did you mean ----------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 64 || nb > 64)
        return (size_t)-1;
    size_t row[65];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) !=
                          tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

/* The closest of n names to `name`, or NULL when none is close. */
static const char *closest(const char *name, const char *const *names,
                           size_t n, size_t stride)
{
    const char *best = NULL;
    size_t bestd = strlen(name) / 3 + 2;
    for (size_t i = 0; i < n; i++) {
        const char *cand = *(const char *const *)((const char *)names + i * stride);
        size_t d = edit_distance(name, cand);
        if (d < bestd) {
            bestd = d;
            best = cand;
        }
    }
    return best;
}

/* ---- type checking of operators --------------------------------------- */

static const char *tname(ftype_t t)
{
    return t == XT_NULL ? "null" : ftype_name(t);
}

/* A text literal compared with a date is parsed now, once. */
static int const_to_time(parser_t *p, xnode_t **slot, ftype_t t)
{
    str_t s = col_str((*slot)->konst, 0);
    bool was_null = col_is_null((*slot)->konst, 0);
    char text[128];
    snprintf(text, sizeof(text), "%.*s", s.n > 100 ? 100 : (int)s.n, s.p);
    xnode_cast(slot, t);
    *slot = fold(*slot);
    if (!was_null && col_is_null((*slot)->konst, 0)) {
        perr(p, (*slot)->pos, FERR_PARSE, "'%s' is not a %s (expected %s)", text,
             ftype_name(t), t == FT_DATE ? "YYYY-MM-DD" : "YYYY-MM-DD HH:MM:SS");
        return -1;
    }
    return 0;
}

/* Two operands of a comparison: numeric with numeric, text with text,
 * time with time; a string constant meets a time by being parsed. */
static int check_compare(parser_t *p, xnode_t *nd)
{
    xnode_t **a = &nd->args[0], **b = &nd->args[1];
    ftype_t ta = (*a)->type, tb = (*b)->type;
    if (ta == XT_NULL || tb == XT_NULL) {
        ftype_t t = ta == XT_NULL ? tb : ta;
        if (t == XT_NULL)
            t = FT_INT;
        /* `category = null`: the null becomes text; the category stays
         * (text meets text as it is) */
        if (ta != FT_CATEGORY)
            xnode_cast(a, t);
        if (tb != FT_CATEGORY)
            xnode_cast(b, t);
        return 0;
    }
    if (xtype_numeric(ta) && xtype_numeric(tb)) {
        if (ta != tb) {
            ftype_t t = (ta == FT_FLOAT || tb == FT_FLOAT) ? FT_FLOAT : FT_INT;
            xnode_cast(a, t);
            xnode_cast(b, t);
        }
        return 0;
    }
    if (xtype_text(ta) && xtype_text(tb))
        return 0;
    if (xtype_time(ta) && xtype_text(tb) && (*b)->kind == XN_CONST)
        return const_to_time(p, b, ta);
    if (xtype_time(tb) && xtype_text(ta) && (*a)->kind == XN_CONST)
        return const_to_time(p, a, tb);
    if (xtype_time(ta) && xtype_time(tb)) {
        if (ta == tb)
            return 0;
        xnode_cast(a, FT_DATETIME);
        xnode_cast(b, FT_DATETIME);
        return 0;
    }
    perr(p, nd->pos, FERR_TYPE, "cannot compare %s with %s", tname(ta),
         tname(tb));
    return -1;
}

/* Type an operator node; casts operands as needed. */
static int check_op(parser_t *p, xnode_t *nd)
{
    xnode_t **a = &nd->args[0];
    ftype_t ta = (*a)->type;
    ftype_t tb = nd->nargs > 1 ? nd->args[1]->type : XT_NULL;
    switch (nd->op) {
    case XOP_ADD:
    case XOP_SUB:
    case XOP_MUL:
    case XOP_DIV:
    case XOP_MOD: {
        if ((ta != XT_NULL && !xtype_numeric(ta)) ||
            (tb != XT_NULL && !xtype_numeric(tb))) {
            perr(p, nd->pos, FERR_TYPE,
                 "arithmetic needs numbers, got %s and %s%s", tname(ta),
                 tname(tb),
                 xtype_time(ta) || xtype_time(tb)
                     ? " (use days_between, minutes_between or add_days)"
                     : "");
            return -1;
        }
        ftype_t t = (ta == FT_FLOAT || tb == FT_FLOAT) ? FT_FLOAT : FT_INT;
        if (nd->op == XOP_DIV)
            t = FT_FLOAT; /* ratios are what features want */
        if (nd->op == XOP_MOD && t != FT_INT) {
            perr(p, nd->pos, FERR_TYPE, "%% needs integers, got %s and %s",
                 tname(ta), tname(tb));
            return -1;
        }
        xnode_cast(a, t);
        xnode_cast(&nd->args[1], t);
        nd->type = t;
        return 0;
    }
    case XOP_NEG:
        if (ta != XT_NULL && !xtype_numeric(ta)) {
            perr(p, nd->pos, FERR_TYPE, "cannot negate %s", tname(ta));
            return -1;
        }
        nd->type = ta == FT_FLOAT ? FT_FLOAT : FT_INT;
        xnode_cast(a, nd->type);
        return 0;
    case XOP_EQ:
    case XOP_NE:
    case XOP_LT:
    case XOP_LE:
    case XOP_GT:
    case XOP_GE:
        nd->type = FT_BOOL;
        return check_compare(p, nd);
    case XOP_AND:
    case XOP_OR:
    case XOP_NOT:
        for (int i = 0; i < nd->nargs; i++) {
            ftype_t t = nd->args[i]->type;
            if (t != FT_BOOL && t != XT_NULL) {
                perr(p, nd->args[i]->pos, FERR_TYPE,
                     "'%s' needs a boolean, got %s",
                     nd->op == XOP_AND ? "and" : nd->op == XOP_OR ? "or" : "not",
                     tname(t));
                return -1;
            }
            xnode_cast(&nd->args[i], FT_BOOL);
        }
        nd->type = FT_BOOL;
        return 0;
    case XOP_ISNULL:
    case XOP_NOTNULL:
        nd->type = FT_BOOL;
        return 0;
    default:
        return 0;
    }
}

/* A node whose arguments (and their casts) are final: its height, and
 * the limit on it.  Left-associative chains (`a - 1 - 1 ...`, `x and y and
 * ...`) grow the tree without recursing in the parser, so the parser's
 * depth counter cannot bound them; this does, before anything walks the
 * tree.  Frees nd and returns NULL when it is too tall. */
static xnode_t *seal(parser_t *p, xnode_t *nd)
{
    int h = 0;
    for (int i = 0; i < nd->nargs; i++)
        if (nd->args[i]->height > h)
            h = nd->args[i]->height;
    nd->height = h + 1;
    if (nd->height > EXPR_MAX_HEIGHT) {
        perr(p, nd->pos, FERR_LIMIT, "more than %d nested operations (a "
             "chain this long is better split into several features)",
             EXPR_MAX_HEIGHT);
        node_free(nd);
        return NULL;
    }
    return nd;
}

static xnode_t *mk_op(parser_t *p, xop_t op, int pos, xnode_t *a, xnode_t *b)
{
    if (a == NULL || (b == NULL && op != XOP_NEG && op != XOP_NOT &&
                      op != XOP_ISNULL && op != XOP_NOTNULL)) {
        node_free(a);
        node_free(b);
        return NULL;
    }
    xnode_t *nd = node_new(XN_OP, pos, b ? 2 : 1);
    nd->op = op;
    nd->args[0] = a;
    if (b)
        nd->args[1] = b;
    if (check_op(p, nd) != 0) {
        node_free(nd);
        return NULL;
    }
    return fold(seal(p, nd));
}

/* ---- parser ----------------------------------------------------------- */

static xnode_t *parse_expr(parser_t *p);

static xnode_t *parse_column(parser_t *p, char *name, int pos)
{
    const table_t *s = p->schema;
    column_t *c = s ? table_find(s, name) : NULL;
    if (c == NULL) {
        const char *hint = NULL;
        if (s && s->ncols > 0) {
            /* column_t's first member is the name pointer */
            const char **names = xmalloc(s->ncols * sizeof(*names));
            for (size_t i = 0; i < s->ncols; i++)
                names[i] = s->cols[i]->name;
            hint = closest(name, names, s->ncols, sizeof(*names));
            if (hint)
                perr(p, pos, FERR_NOTFOUND,
                     "unknown column '%s' (did you mean '%s'?)", name, hint);
            xfree(names);
        }
        if (!hint)
            perr(p, pos, FERR_NOTFOUND, "unknown column '%s'", name);
        xfree(name);
        return NULL;
    }
    xnode_t *nd = node_new(XN_COL, pos, 0);
    nd->name = name;
    nd->type = c->type;
    nd->coltype = c->type;
    return nd;
}

static xnode_t *check_call(parser_t *p, xnode_t *nd);

static xnode_t *parse_call(parser_t *p, str_t name, int pos)
{
    const xfunc_t *fn = xfunc_find(name);
    if (fn == NULL) {
        char *nm = str_dup(name);
        const char *hint = closest(nm, &xfunc_table[0].name, xfunc_ntable,
                                   sizeof(xfunc_t));
        if (hint)
            perr(p, pos, FERR_NOTFOUND,
                 "unknown function '%s' (did you mean '%s'?)", nm, hint);
        else
            perr(p, pos, FERR_NOTFOUND, "unknown function '%s'", nm);
        xfree(nm);
        return NULL;
    }
    lex(p); /* ( */
    VEC(xnode_t *) args = {0};
    if (p->t.kind != TK_RP) {
        for (;;) {
            xnode_t *a = parse_expr(p);
            if (a == NULL)
                goto fail;
            VEC_PUSH(&args, a);
            if (p->t.kind == TK_COMMA) {
                lex(p);
                continue;
            }
            break;
        }
    }
    if (p->t.kind != TK_RP) {
        char b[64];
        perr(p, p->t.pos, FERR_PARSE, "expected ',' or ')' in call to %s, found %s",
             fn->name, tok_desc(p, b, sizeof(b)));
        goto fail;
    }
    lex(p);
    if ((int)args.n < fn->min_args ||
        (fn->max_args >= 0 && (int)args.n > fn->max_args)) {
        if (fn->min_args == fn->max_args)
            perr(p, pos, FERR_TYPE, "%s takes %d argument%s, got %zu", fn->name,
                 fn->min_args, fn->min_args == 1 ? "" : "s", args.n);
        else if (fn->max_args < 0)
            perr(p, pos, FERR_TYPE, "%s takes at least %d arguments, got %zu",
                 fn->name, fn->min_args, args.n);
        else
            perr(p, pos, FERR_TYPE, "%s takes %d to %d arguments, got %zu",
                 fn->name, fn->min_args, fn->max_args, args.n);
        goto fail;
    }
    xnode_t *nd = node_new(XN_CALL, pos, (int)args.n);
    nd->fn = fn;
    for (size_t i = 0; i < args.n; i++)
        nd->args[i] = args.a[i];
    xfree(args.a);
    return check_call(p, nd);
fail:
    for (size_t i = 0; i < args.n; i++)
        node_free(args.a[i]);
    xfree(args.a);
    return NULL;
}

/* Generic argument check from the signature letters, then the hook. */
static xnode_t *check_call(parser_t *p, xnode_t *nd)
{
    const xfunc_t *fn = nd->fn;
    size_t nl = strlen(fn->args);
    bool anyfloat = false;
    for (int i = 0; i < nd->nargs; i++) {
        char want = fn->args[(size_t)i < nl ? (size_t)i : nl - 1];
        xnode_t **a = &nd->args[i];
        ftype_t t = (*a)->type;
        bool ok = true;
        const char *need = "";
        switch (want) {
        case 'n':
            ok = t == XT_NULL || xtype_numeric(t);
            need = "a number";
            anyfloat |= t == FT_FLOAT;
            break;
        case 'i':
            ok = t == XT_NULL || t == FT_INT || t == FT_BOOL;
            need = "an integer";
            if (ok)
                xnode_cast(a, FT_INT);
            break;
        case 'b':
            ok = t == XT_NULL || t == FT_BOOL;
            need = "a boolean";
            if (ok)
                xnode_cast(a, FT_BOOL);
            break;
        case 's':
            ok = t == XT_NULL || xtype_text(t);
            need = "a string";
            if (t == XT_NULL)
                xnode_cast(a, FT_STRING);
            break;
        case 'd':
            ok = t == XT_NULL || xtype_time(t) ||
                 (xtype_text(t) && (*a)->kind == XN_CONST);
            need = "a date or datetime";
            if (t == XT_NULL || xtype_text(t))
                xnode_cast(a, xtype_text(t) ? FT_DATE : FT_DATETIME);
            break;
        case 'c':
            ok = (*a)->kind == XN_CONST && xtype_text(t) &&
                 !col_is_null((*a)->konst, 0);
            need = "a string literal";
            break;
        case 'k':
            ok = (*a)->kind == XN_CONST;
            need = "a literal";
            break;
        default:
            break;
        }
        if (!ok) {
            perr(p, (*a)->pos, FERR_TYPE, "argument %d of %s must be %s, got %s",
                 i + 1, fn->name, need, tname(t));
            node_free(nd);
            return NULL;
        }
        if (p->rc != FERR_OK) { /* a folded string -> date failed */
            node_free(nd);
            return NULL;
        }
    }
    switch (fn->ret) {
    case 'f': nd->type = FT_FLOAT; break;
    case 'i': nd->type = FT_INT; break;
    case 'b': nd->type = FT_BOOL; break;
    case 's': nd->type = FT_STRING; break;
    case 'd': nd->type = FT_DATE; break;
    case 't': nd->type = FT_DATETIME; break;
    case 'n':
        nd->type = anyfloat ? FT_FLOAT : FT_INT;
        for (int i = 0; i < nd->nargs; i++)
            if (fn->args[(size_t)i < nl ? (size_t)i : nl - 1] == 'n')
                xnode_cast(&nd->args[i], nd->type);
        break;
    default: break;
    }
    /* string constants cast to dates above are folded now, so a bad
     * literal is reported here, at its position */
    for (int i = 0; i < nd->nargs; i++) {
        xnode_t *a = nd->args[i];
        if (a->kind == XN_CAST && a->args[0]->kind == XN_CONST &&
            xtype_text(a->args[0]->type) && xtype_time(a->type)) {
            /* fold() frees a: keep the literal's text for the message */
            char *text = str_dup(col_str(a->args[0]->konst, 0));
            nd->args[i] = fold(a);
            if (col_is_null(nd->args[i]->konst, 0)) {
                perr(p, nd->args[i]->pos, FERR_PARSE, "'%s' is not a %s",
                     text, ftype_name(nd->args[i]->type));
                xfree(text);
                node_free(nd);
                return NULL;
            }
            xfree(text);
        }
    }
    if (fn->check) {
        ferr_t e2 = {0};
        if (fn->check(nd, &e2) != 0) {
            perr(p, e2.msg[0] && e2.msg[0] == '@' ? nd->pos : nd->pos,
                 e2.code ? e2.code : FERR_TYPE, "%s: %s", fn->name, e2.msg);
            node_free(nd);
            return NULL;
        }
    }
    return fold(seal(p, nd));
}

/* A literal date/datetime after the keyword: date '2021-09-18'. */
static xnode_t *parse_time_literal(parser_t *p, ftype_t t, int pos)
{
    if (p->t.kind != TK_STR)
        return perr(p, p->t.pos, FERR_PARSE, "expected a quoted %s after '%s'",
                    ftype_name(t), ftype_name(t));
    char *s = tok_unquote(p, &p->t);
    xnode_t *nd = const_new(pos, t);
    int rc = t == FT_DATE ? parse_date(str_from(s), NULL, &nd->konst->i64[0])
                          : parse_datetime(str_from(s), NULL, &nd->konst->i64[0]);
    if (rc != FERR_OK) {
        perr(p, p->t.pos, FERR_PARSE, "'%s' is not a %s (expected %s)", s,
             ftype_name(t), t == FT_DATE ? "YYYY-MM-DD" : "YYYY-MM-DD HH:MM:SS");
        xfree(s);
        node_free(nd);
        return NULL;
    }
    xfree(s);
    lex(p);
    return nd;
}

/* case [x] when c then v ... [else d] end -> XOP_CASE(c1, v1, ..., d) with
 * the branch values unified to one type. */
static xnode_t *parse_case(parser_t *p, int pos)
{
    xnode_t *subject = NULL;
    VEC(xnode_t *) a = {0};
    if (!tok_is(p, "when")) {
        subject = parse_expr(p);
        if (subject == NULL)
            return NULL;
    }
    while (accept(p, "when")) {
        int wpos = p->t.pos;
        xnode_t *c = parse_expr(p);
        if (c == NULL)
            goto fail;
        if (subject)
            c = mk_op(p, XOP_EQ, wpos, node_clone(subject), c);
        if (c == NULL)
            goto fail;
        if (c->type != FT_BOOL && c->type != XT_NULL) {
            perr(p, wpos, FERR_TYPE, "'when' needs a boolean, got %s",
                 tname(c->type));
            node_free(c);
            goto fail;
        }
        xnode_cast(&c, FT_BOOL);
        VEC_PUSH(&a, c);
        if (!accept(p, "then")) {
            char b[64];
            perr(p, p->t.pos, FERR_PARSE, "expected 'then', found %s",
                 tok_desc(p, b, sizeof(b)));
            goto fail;
        }
        xnode_t *v = parse_expr(p);
        if (v == NULL)
            goto fail;
        VEC_PUSH(&a, v);
    }
    if (a.n == 0) {
        char b[64];
        perr(p, p->t.pos, FERR_PARSE, "expected 'when', found %s",
             tok_desc(p, b, sizeof(b)));
        goto fail;
    }
    xnode_t *dflt;
    if (accept(p, "else")) {
        dflt = parse_expr(p);
        if (dflt == NULL)
            goto fail;
    } else {
        dflt = const_new(p->t.pos, XT_NULL);
    }
    VEC_PUSH(&a, dflt);
    if (!accept(p, "end")) {
        char b[64];
        perr(p, p->t.pos, FERR_PARSE, "expected 'end' to close 'case', found %s",
             tok_desc(p, b, sizeof(b)));
        goto fail;
    }
    node_free(subject);
    subject = NULL;
    xnode_t *nd = node_new(XN_OP, pos, (int)a.n);
    nd->op = XOP_CASE;
    for (size_t i = 0; i < a.n; i++)
        nd->args[i] = a.a[i];
    xfree(a.a);
    int t = XT_NULL;
    for (int i = 1; i < nd->nargs; i += 2) {
        int u = xtype_unify((ftype_t)t, nd->args[i]->type);
        if (u < 0) {
            perr(p, nd->args[i]->pos, FERR_TYPE,
                 "case branches mix %s and %s", tname((ftype_t)t),
                 tname(nd->args[i]->type));
            node_free(nd);
            return NULL;
        }
        t = u;
        if (i == nd->nargs - 2)
            i--; /* the default sits alone at the end */
    }
    nd->type = (ftype_t)t;
    for (int i = 1; i < nd->nargs; i += 2) {
        xnode_cast(&nd->args[i], nd->type);
        if (i == nd->nargs - 2)
            i--;
    }
    return fold(seal(p, nd));
fail:
    node_free(subject);
    for (size_t i = 0; i < a.n; i++)
        node_free(a.a[i]);
    xfree(a.a);
    return NULL;
}

static xnode_t *parse_primary(parser_t *p)
{
    tok_t t = p->t;
    char b[64];
    switch (t.kind) {
    case TK_NUM: {
        char num[64];
        int len = t.len < 63 ? t.len : 63;
        memcpy(num, p->src + t.pos, (size_t)len);
        num[len] = '\0';
        xnode_t *nd = const_new(t.pos, t.isfloat ? FT_FLOAT : FT_INT);
        int rc = t.isfloat
                     ? parse_double(str_from(num), '.', 0, &nd->konst->f64[0])
                     : parse_int64(str_from(num), 0, 0, &nd->konst->i64[0]);
        if (rc != FERR_OK || t.len > 63) {
            node_free(nd);
            return perr(p, t.pos, FERR_RANGE, "number '%.*s' is out of range",
                        t.len, p->src + t.pos);
        }
        lex(p);
        return nd;
    }
    case TK_STR: {
        char *s = tok_unquote(p, &t);
        xnode_t *nd = const_new(t.pos, FT_STRING);
        col_str_append(nd->konst, 0, s, strlen(s));
        xfree(s);
        lex(p);
        return nd;
    }
    case TK_QIDENT: {
        char *name = tok_unquote(p, &t);
        lex(p);
        return parse_column(p, name, t.pos);
    }
    case TK_LP: {
        lex(p);
        xnode_t *nd = parse_expr(p);
        if (nd == NULL)
            return NULL;
        if (p->t.kind != TK_RP) {
            node_free(nd);
            return perr(p, p->t.pos, FERR_PARSE, "expected ')', found %s",
                        tok_desc(p, b, sizeof(b)));
        }
        lex(p);
        return nd;
    }
    case TK_IDENT: {
        str_t w = {p->src + t.pos, (size_t)t.len};
        lex(p);
        if (p->t.kind == TK_LP)
            return parse_call(p, w, t.pos);
        if (str_ieq_cstr(w, "null"))
            return const_new(t.pos, XT_NULL);
        if (str_ieq_cstr(w, "true") || str_ieq_cstr(w, "false")) {
            xnode_t *nd = const_new(t.pos, FT_BOOL);
            nd->konst->u8[0] = str_ieq_cstr(w, "true");
            return nd;
        }
        if (str_ieq_cstr(w, "date") && p->t.kind == TK_STR)
            return parse_time_literal(p, FT_DATE, t.pos);
        if ((str_ieq_cstr(w, "datetime") || str_ieq_cstr(w, "timestamp")) &&
            p->t.kind == TK_STR)
            return parse_time_literal(p, FT_DATETIME, t.pos);
        if (str_ieq_cstr(w, "case"))
            return parse_case(p, t.pos);
        /* (null, true, false and case were taken above) */
        if (is_keyword(w))
            return perr(p, t.pos, FERR_PARSE,
                        "expected an operand, found '%.*s' (quote a column "
                        "with that name as `%.*s`)",
                        STR_FMT(w), STR_FMT(w));
        return parse_column(p, str_dup(w), t.pos);
    }
    case TK_BAD:
        if (t.len > 0 && strchr("'`\"", p->src[t.pos]))
            return perr(p, t.pos, FERR_PARSE, "unterminated quote");
        return perr(p, t.pos, FERR_PARSE, "unexpected character '%.*s'",
                    t.len, p->src + t.pos);
    default:
        return perr(p, t.pos, FERR_PARSE, "expected an operand, found %s",
                    tok_desc(p, b, sizeof(b)));
    }
}

static xnode_t *parse_unary(parser_t *p)
{
    int pos = p->t.pos;
    if (++p->depth > EXPR_MAX_DEPTH)
        return perr(p, pos, FERR_LIMIT, "nested deeper than %d", EXPR_MAX_DEPTH);
    xnode_t *r;
    if (accept(p, "-"))
        r = mk_op(p, XOP_NEG, pos, parse_unary(p), NULL);
    else if (accept(p, "+"))
        r = parse_unary(p);
    else
        r = parse_primary(p);
    p->depth--;
    return r;
}

static xnode_t *parse_mul(parser_t *p)
{
    xnode_t *a = parse_unary(p);
    while (a) {
        int pos = p->t.pos;
        xop_t op;
        if (accept(p, "*"))
            op = XOP_MUL;
        else if (accept(p, "/"))
            op = XOP_DIV;
        else if (accept(p, "%"))
            op = XOP_MOD;
        else
            break;
        a = mk_op(p, op, pos, a, parse_unary(p));
    }
    return a;
}

static xnode_t *parse_add(parser_t *p)
{
    xnode_t *a = parse_mul(p);
    while (a) {
        int pos = p->t.pos;
        xop_t op;
        if (accept(p, "+"))
            op = XOP_ADD;
        else if (accept(p, "-"))
            op = XOP_SUB;
        else
            break;
        a = mk_op(p, op, pos, a, parse_mul(p));
    }
    return a;
}

static xnode_t *parse_in(parser_t *p, xnode_t *x, int pos, bool negate)
{
    char b[64];
    if (p->t.kind != TK_LP) {
        node_free(x);
        return perr(p, p->t.pos, FERR_PARSE, "expected '(' after 'in', found %s",
                    tok_desc(p, b, sizeof(b)));
    }
    lex(p);
    VEC(xnode_t *) a = {0};
    VEC_PUSH(&a, x);
    for (;;) {
        xnode_t *v = parse_add(p);
        if (v == NULL)
            goto fail;
        VEC_PUSH(&a, v);
        if (v->kind != XN_CONST) {
            perr(p, v->pos, FERR_TYPE, "'in' takes a list of literals");
            goto fail;
        }
        if (p->t.kind == TK_COMMA) {
            lex(p);
            continue;
        }
        break;
    }
    if (p->t.kind != TK_RP) {
        perr(p, p->t.pos, FERR_PARSE, "expected ',' or ')' in list, found %s",
             tok_desc(p, b, sizeof(b)));
        goto fail;
    }
    lex(p);
    xnode_t *nd = node_new(XN_OP, pos, (int)a.n);
    nd->op = XOP_IN;
    nd->negate = negate;
    nd->type = FT_BOOL;
    for (size_t i = 0; i < a.n; i++)
        nd->args[i] = a.a[i];
    xfree(a.a);
    /* one comparison type for x and every value (the values are literals
     * and fold to it at once; text meeting a date is parsed) */
    ftype_t xt = nd->args[0]->type, target = xt;
    for (int i = 1; i < nd->nargs; i++) {
        ftype_t vt = nd->args[i]->type;
        int u = -1;
        if (vt == XT_NULL || (xtype_text(vt) && xtype_text(target)))
            continue;
        if (target == XT_NULL)
            u = vt;
        else if (xtype_numeric(target) && xtype_numeric(vt))
            u = xtype_unify(target, vt);
        else if (xtype_time(target) && xtype_text(vt))
            u = target;
        else if (xtype_time(target) && xtype_time(vt))
            u = xtype_unify(target, vt);
        if (u < 0) {
            perr(p, nd->args[i]->pos, FERR_TYPE, "cannot compare %s with %s",
                 tname(xt), tname(vt));
            node_free(nd);
            return NULL;
        }
        target = (ftype_t)u;
    }
    if (target == XT_NULL)
        target = FT_INT;
    if (!xtype_text(target))
        xnode_cast(&nd->args[0], target);
    for (int i = 1; i < nd->nargs; i++) {
        xnode_t *v = nd->args[i];
        bool was_text = xtype_text(v->type);
        xnode_cast(&nd->args[i], xtype_text(target) ? FT_STRING : target);
        if (xtype_text(target) && xtype_text(v->type))
            nd->args[i] = v;
        nd->args[i] = fold(nd->args[i]);
        if (was_text && xtype_time(target) && col_is_null(nd->args[i]->konst, 0)) {
            perr(p, nd->args[i]->pos, FERR_PARSE, "not a %s", ftype_name(target));
            node_free(nd);
            return NULL;
        }
    }
    return fold(seal(p, nd));
fail:
    for (size_t i = 0; i < a.n; i++)
        node_free(a.a[i]);
    xfree(a.a);
    return NULL;
}

static xnode_t *parse_cmp(parser_t *p)
{
    xnode_t *a = parse_add(p);
    if (a == NULL)
        return NULL;
    int pos = p->t.pos;
    static const struct {
        const char *sym;
        xop_t op;
    } cmp[] = {{"=", XOP_EQ},  {"==", XOP_EQ}, {"!=", XOP_NE}, {"<>", XOP_NE},
               {"<", XOP_LT},  {"<=", XOP_LE}, {">", XOP_GT},  {">=", XOP_GE}};
    for (size_t i = 0; i < sizeof(cmp) / sizeof(*cmp); i++)
        if (accept(p, cmp[i].sym))
            return mk_op(p, cmp[i].op, pos, a, parse_add(p));
    if (accept(p, "is")) {
        bool neg = accept(p, "not");
        if (!accept(p, "null")) {
            char b[64];
            node_free(a);
            return perr(p, p->t.pos, FERR_PARSE, "expected 'null' after 'is', found %s",
                        tok_desc(p, b, sizeof(b)));
        }
        return mk_op(p, neg ? XOP_NOTNULL : XOP_ISNULL, pos, a, NULL);
    }
    bool neg = false;
    if (tok_is(p, "not")) {
        /* only `not between` / `not in` may follow an operand */
        neg = true;
        lex(p);
        if (!tok_is(p, "between") && !tok_is(p, "in")) {
            char b[64];
            node_free(a);
            return perr(p, p->t.pos, FERR_PARSE,
                        "expected 'between' or 'in' after 'not', found %s",
                        tok_desc(p, b, sizeof(b)));
        }
    }
    if (accept(p, "between")) {
        xnode_t *lo = parse_add(p);
        if (lo == NULL || !accept(p, "and")) {
            char b[64];
            if (lo)
                perr(p, p->t.pos, FERR_PARSE, "expected 'and' in 'between', found %s",
                     tok_desc(p, b, sizeof(b)));
            node_free(a);
            node_free(lo);
            return NULL;
        }
        xnode_t *hi = parse_add(p);
        if (hi == NULL) {
            node_free(a);
            node_free(lo);
            return NULL;
        }
        xnode_t *a2 = node_clone(a);
        xnode_t *r = mk_op(p, XOP_AND, pos, mk_op(p, XOP_GE, pos, a, lo),
                           mk_op(p, XOP_LE, pos, a2, hi));
        return neg ? mk_op(p, XOP_NOT, pos, r, NULL) : r;
    }
    if (accept(p, "in"))
        return parse_in(p, a, pos, neg);
    return a;
}

static xnode_t *parse_not(parser_t *p)
{
    int pos = p->t.pos;
    if (accept(p, "not")) {
        if (++p->depth > EXPR_MAX_DEPTH)
            return perr(p, pos, FERR_LIMIT, "nested deeper than %d",
                        EXPR_MAX_DEPTH);
        xnode_t *r = mk_op(p, XOP_NOT, pos, parse_not(p), NULL);
        p->depth--;
        return r;
    }
    return parse_cmp(p);
}

static xnode_t *parse_and(parser_t *p)
{
    xnode_t *a = parse_not(p);
    while (a) {
        int pos = p->t.pos;
        if (!accept(p, "and"))
            break;
        a = mk_op(p, XOP_AND, pos, a, parse_not(p));
    }
    return a;
}

static xnode_t *parse_expr(parser_t *p)
{
    if (++p->depth > EXPR_MAX_DEPTH)
        return perr(p, p->t.pos, FERR_LIMIT, "nested deeper than %d",
                    EXPR_MAX_DEPTH);
    xnode_t *a = parse_and(p);
    while (a) {
        int pos = p->t.pos;
        if (!accept(p, "or"))
            break;
        a = mk_op(p, XOP_OR, pos, a, parse_and(p));
    }
    p->depth--;
    return a;
}

/* ---- public ----------------------------------------------------------- */

static void collect_inputs(expr_t *x, const xnode_t *nd)
{
    if (nd->kind == XN_COL) {
        for (size_t i = 0; i < x->ninputs; i++)
            if (strcmp(x->inputs[i], nd->name) == 0)
                return;
        x->inputs = xrealloc(x->inputs, (x->ninputs + 1) * sizeof(char *));
        x->inputs[x->ninputs++] = nd->name;
    }
    for (int i = 0; i < nd->nargs; i++)
        collect_inputs(x, nd->args[i]);
}

int expr_compile(const char *src, const table_t *schema, expr_t **out,
                 ferr_t *e)
{
    *out = NULL;
    size_t n = strlen(src);
    if (n > EXPR_MAX_SRC)
        return ferr_set(e, FERR_LIMIT, "expr: longer than %d bytes",
                        EXPR_MAX_SRC);
    parser_t p = {.src = src, .n = (int)n, .schema = schema, .e = e};
    lex(&p);
    if (p.t.kind == TK_EOF)
        return ferr_set(e, FERR_PARSE, "expr '%s': 1:1: empty expression", src);
    xnode_t *root = parse_expr(&p);
    if (root && p.t.kind != TK_EOF) {
        char b[64];
        if (p.t.kind == TK_BAD)
            perr(&p, p.t.pos, FERR_PARSE, "unexpected character '%.*s'",
                 p.t.len, p.src + p.t.pos);
        else
            perr(&p, p.t.pos, FERR_PARSE, "expected an operator or end, found %s",
                 tok_desc(&p, b, sizeof(b)));
        node_free(root);
        root = NULL;
    }
    if (root == NULL) {
        if (p.rc == FERR_OK) /* defensive: every failure path sets it */
            p.rc = ferr_set(e, FERR_PARSE, "expr '%s': invalid", src);
        return p.rc;
    }
    if (root->type == XT_NULL) {
        xnode_cast(&root, FT_FLOAT); /* a bare null is a missing number */
        root = fold(root);
    }
    expr_t *x = xcalloc(1, sizeof(*x));
    x->src = xstrdup(src);
    x->root = root;
    collect_inputs(x, root);
    *out = x;
    return FERR_OK;
}

ftype_t expr_type(const expr_t *x)
{
    return x->root->type;
}

const char *expr_src(const expr_t *x)
{
    return x->src;
}

size_t expr_ninputs(const expr_t *x)
{
    return x->ninputs;
}

const char *expr_input(const expr_t *x, size_t i)
{
    return i < x->ninputs ? x->inputs[i] : NULL;
}

void expr_free(expr_t *x)
{
    if (x == NULL)
        return;
    node_free(x->root);
    xfree(x->inputs);
    xfree(x->src);
    xfree(x);
}

int expr_eval(const expr_t *x, const table_t *in, const char *outname,
              column_t **out, ferr_t *e)
{
    *out = NULL;
    size_t n = in ? in->nrows : 0;
    xval_t v = {0};
    int rc = xeval(x->root, in, n, &v, e);
    if (rc != FERR_OK) {
        ferr_prefix(e, "expr '%.120s': ", x->src);
        return rc;
    }
    column_t *c;
    if (v.konst || v.c->n != n) {
        /* a constant expression: broadcast its one row */
        c = col_new(outname, v.c->type, n);
        bool isnull = col_is_null(v.c, 0);
        for (size_t i = 0; i < n; i++) {
            switch (c->type) {
            case FT_INT: case FT_DATE: case FT_DATETIME:
                c->i64[i] = v.c->i64[0]; break;
            case FT_FLOAT: c->f64[i] = v.c->f64[0]; break;
            case FT_BOOL: c->u8[i] = v.c->u8[0]; break;
            case FT_STRING: case FT_CATEGORY: {
                str_t s = col_str(v.c, 0);
                if (c->type == FT_CATEGORY)
                    c->code[i] = dict_intern(c->dict, s.p, s.n);
                else
                    col_str_append(c, i, s.p, s.n);
                break;
            }
            default: break;
            }
            if (isnull)
                col_set_null(c, i);
        }
        xval_release(&v);
    } else if (v.owned) {
        c = v.c;
        col_rename(c, outname);
    } else {
        c = col_clone(v.c, outname);
    }
    *out = c;
    return FERR_OK;
}

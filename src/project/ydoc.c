/*
 * ydoc.c - libyaml events -> ynode_t tree, overrides, typed getters.
 *
 * The tree is built from libyaml's event stream, not from its document
 * loader, so that a hostile file is refused while it is being read:
 * nesting is checked as each collection opens (libyaml's scanner does work
 * per open flow level, so 100,000 `[` took over a minute before a check on
 * the finished document could run), and aliases are expanded here, by
 * copying the anchored node under a budget, so nested aliases cannot
 * multiply a 1 KB file into gigabytes ("billion laughs").  The tree keeps
 * single ownership: every alias is a copy.
 */
#include "project/ydoc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/afile.h"
#include "base/mem.h"
#include "base/str.h"

#define YDOC_MAX_BYTES (16u << 20) /* a project file is small; cap it */

static ynode_t *ynode_new(ynode_kind_t kind, int line)
{
    ynode_t *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->line = line;
    return n;
}

static void ynode_free(ynode_t *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            free(n->keys[i]);
        ynode_free(n->vals[i]);
    }
    free(n->keys);
    free(n->klines);
    free(n->vals);
    free(n->str);
    free(n);
}

void ydoc_free(ydoc_t *d)
{
    if (d == NULL)
        return;
    ynode_free(d->root);
    free(d->name);
    free(d);
}

const char *ynode_kind_name(ynode_kind_t k)
{
    static const char *const names[] = {"null", "a scalar", "a list", "a map"};
    return names[k];
}

static void ynode_push(ynode_t *parent, char *key, int kline, ynode_t *child)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? 2 * parent->cap : 4;
        parent->vals = xrealloc(parent->vals, cap * sizeof(*parent->vals));
        if (parent->kind == YN_MAP) {
            parent->keys = xrealloc(parent->keys, cap * sizeof(*parent->keys));
            parent->klines = xrealloc(parent->klines, cap * sizeof(*parent->klines));
        }
        parent->cap = cap;
    }
    if (parent->kind == YN_MAP) {
        parent->keys[parent->n] = key;
        parent->klines[parent->n] = kline;
    }
    parent->vals[parent->n++] = child;
}

/* ---- building the tree from events ------------------------------------ */

typedef struct {
    char *name;
    ynode_t *node; /* NULL while the anchored collection is still open */
} yanchor_t;

typedef struct {
    ynode_t *node; /* the open collection (owned until it is closed) */
    char *key;     /* MAP: the key waiting for its value, or NULL */
    int kline;
    long anchor;   /* index into anchors, or -1 */
    /* MAP with many keys: open-addressing set of key positions + 1, over
     * the first `indexed` keys (a linear duplicate check made a map of
     * 100,000 keys take a minute) */
    uint32_t *index;
    size_t index_cap, indexed;
} yframe_t;

typedef struct {
    const char *name;
    yframe_t stack[YDOC_MAX_DEPTH];
    int depth;
    yanchor_t *anchors;
    size_t nanchors, capanchors;
    size_t nodes;       /* every node made, alias copies included */
    size_t alias_nodes; /* nodes made by copying an anchor */
    ynode_t *root;
    bool done;
    ferr_t *e;
} ybuild_t;

static bool is_null_scalar(const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    return strcmp(s, "") == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static int count_node(ybuild_t *b, int line)
{
    if (++b->nodes > YDOC_MAX_NODES)
        return ferr_set(b->e, FERR_LIMIT, "%s:%d: more than %d YAML nodes",
                        b->name, line, YDOC_MAX_NODES);
    return FERR_OK;
}

static int too_deep(ybuild_t *b, int line)
{
    return ferr_set(b->e, FERR_SPEC, "%s:%d: nesting deeper than %d", b->name,
                    line, YDOC_MAX_DEPTH);
}

static void add_anchor(ybuild_t *b, const yaml_char_t *name, ynode_t *node)
{
    if (b->nanchors == b->capanchors) { /* doubling: 20,000 anchors took
                                           seconds growing one by one */
        b->capanchors = b->capanchors ? 2 * b->capanchors : 8;
        b->anchors = xrealloc(b->anchors, b->capanchors * sizeof(*b->anchors));
    }
    b->anchors[b->nanchors].name = xstrdup((const char *)name);
    b->anchors[b->nanchors].node = node;
    b->nanchors++;
}

static size_t key_hash(const char *k)
{
    size_t h = 14695981039346656037u; /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211u;
    return h;
}

/* Whether the open map f already has key k: a scan while it is small,
 * a hash set of its keys once it is not. */
static bool map_has_key(yframe_t *f, const char *k)
{
    const ynode_t *m = f->node;
    size_t mask, h;
    if (m->n <= 16)
        return yn_get(m, k) != NULL;
    if (2 * (m->n + 1) > f->index_cap) { /* grow: reinsert every key */
        free(f->index);
        f->index_cap = 64;
        while (f->index_cap < 4 * (m->n + 1))
            f->index_cap *= 2;
        f->index = xcalloc(f->index_cap, sizeof(*f->index));
        f->indexed = 0;
    }
    mask = f->index_cap - 1;
    for (; f->indexed < m->n; f->indexed++) {
        for (h = key_hash(m->keys[f->indexed]) & mask; f->index[h]; h = (h + 1) & mask)
            ;
        f->index[h] = (uint32_t)f->indexed + 1;
    }
    for (h = key_hash(k) & mask; f->index[h]; h = (h + 1) & mask)
        if (strcmp(m->keys[f->index[h] - 1], k) == 0)
            return true;
    return false;
}

/* The value of `key` in the open map on top of the stack: a duplicate is
 * an error at the key's line. */
static int take_key(ybuild_t *b, yframe_t *f, const char *key, size_t len,
                    int line)
{
    char *k = xstrndup(key, len);
    if (strlen(k) != len || map_has_key(f, k)) {
        int rc = strlen(k) != len
                     ? ferr_set(b->e, FERR_SPEC, "%s:%d: map key contains a "
                                "NUL character", b->name, line)
                     : ferr_set(b->e, FERR_SPEC, "%s:%d: duplicate key '%s'",
                                b->name, line, k);
        free(k);
        return rc;
    }
    f->key = k;
    f->kline = line;
    return FERR_OK;
}

/* A finished node goes to its parent (or becomes the root); takes it. */
static int attach(ybuild_t *b, ynode_t *n)
{
    yframe_t *f;
    if (b->depth == 0) {
        b->root = n;
        return FERR_OK;
    }
    f = &b->stack[b->depth - 1];
    if (f->node->kind == YN_SEQ) {
        ynode_push(f->node, NULL, 0, n);
        return FERR_OK;
    }
    if (f->key == NULL) { /* a key that is not text: a list, a map */
        int rc = ferr_set(b->e, FERR_SPEC, "%s:%d: map keys must be plain text",
                          b->name, n->line);
        ynode_free(n);
        return rc;
    }
    ynode_push(f->node, f->key, f->kline, n);
    f->key = NULL;
    return FERR_OK;
}

/* Copy of an anchored node for an alias at depth `depth`, counted against
 * the alias budget. */
static int copy_node(ybuild_t *b, const ynode_t *src, int depth, int line,
                     ynode_t **out)
{
    ynode_t *n;
    int rc;
    *out = NULL;
    if (src->kind == YN_SEQ || src->kind == YN_MAP) {
        if (depth >= YDOC_MAX_DEPTH)
            return too_deep(b, line);
    }
    if (++b->alias_nodes > YDOC_MAX_ALIAS_NODES)
        return ferr_set(b->e, FERR_LIMIT, "%s:%d: aliases expand to more than "
                        "%d nodes (each alias copies its anchor, so nested "
                        "aliases multiply)", b->name, line, YDOC_MAX_ALIAS_NODES);
    if ((rc = count_node(b, line)))
        return rc;
    n = ynode_new(src->kind, src->line);
    n->quoted = src->quoted;
    if (src->str)
        n->str = xstrdup(src->str);
    for (size_t i = 0; i < src->n; i++) {
        ynode_t *child;
        if ((rc = copy_node(b, src->vals[i], depth + 1, line, &child))) {
            ynode_free(n);
            return rc;
        }
        ynode_push(n, src->kind == YN_MAP ? xstrdup(src->keys[i]) : NULL,
                   src->kind == YN_MAP ? src->klines[i] : 0, child);
    }
    *out = n;
    return FERR_OK;
}

static int on_scalar(ybuild_t *b, const yaml_event_t *ev, int line)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    ynode_t *n;
    int rc;

    if (b->depth > 0) {
        yframe_t *f = &b->stack[b->depth - 1];
        if (f->node->kind == YN_MAP && f->key == NULL) {
            if (ev->data.scalar.anchor) /* an anchored key: its text */
                add_anchor(b, ev->data.scalar.anchor, NULL);
            return take_key(b, f, s, len, line);
        }
    }
    if (strlen(s) != len)
        return ferr_set(b->e, FERR_SPEC, "%s:%d: value contains a NUL "
                        "character", b->name, line);
    if ((rc = count_node(b, line)))
        return rc;
    if (is_null_scalar(ev)) {
        n = ynode_new(YN_NULL, line);
    } else {
        n = ynode_new(YN_SCALAR, line);
        n->str = xstrndup(s, len);
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    }
    if (ev->data.scalar.anchor)
        add_anchor(b, ev->data.scalar.anchor, n);
    return attach(b, n);
}

static int on_start(ybuild_t *b, ynode_kind_t kind, const yaml_char_t *anchor,
                    int line)
{
    yframe_t *f;
    int rc;
    if (b->depth >= YDOC_MAX_DEPTH)
        return too_deep(b, line);
    if (b->depth > 0 && b->stack[b->depth - 1].node->kind == YN_MAP &&
        b->stack[b->depth - 1].key == NULL)
        return ferr_set(b->e, FERR_SPEC, "%s:%d: map keys must be plain text",
                        b->name, line);
    if ((rc = count_node(b, line)))
        return rc;
    f = &b->stack[b->depth++];
    memset(f, 0, sizeof(*f));
    f->node = ynode_new(kind, line);
    f->anchor = -1;
    if (anchor) {
        add_anchor(b, anchor, NULL);
        f->anchor = (long)b->nanchors - 1;
    }
    return FERR_OK;
}

static int on_end(ybuild_t *b)
{
    yframe_t *f = &b->stack[--b->depth];
    ynode_t *n = f->node;
    f->node = NULL;
    free(f->index);
    f->index = NULL;
    if (f->anchor >= 0)
        b->anchors[f->anchor].node = n;
    return attach(b, n);
}

static int on_alias(ybuild_t *b, const yaml_char_t *name, int line)
{
    const yanchor_t *a = NULL;
    ynode_t *n;
    int rc;
    for (size_t i = b->nanchors; i-- > 0;) /* a later anchor hides an earlier */
        if (strcmp(b->anchors[i].name, (const char *)name) == 0) {
            a = &b->anchors[i];
            break;
        }
    if (a == NULL)
        return ferr_set(b->e, FERR_SPEC, "%s:%d: alias '*%s' names no anchor "
                        "defined before it", b->name, line, (const char *)name);
    if (a->node == NULL)
        return ferr_set(b->e, FERR_SPEC, "%s:%d: alias '*%s' refers to a map "
                        "key or to a collection that contains it", b->name,
                        line, (const char *)name);
    if (b->depth > 0) {
        yframe_t *f = &b->stack[b->depth - 1];
        if (f->node->kind == YN_MAP && f->key == NULL) {
            if (a->node->kind != YN_SCALAR)
                return ferr_set(b->e, FERR_SPEC, "%s:%d: map keys must be "
                                "plain text", b->name, line);
            return take_key(b, f, a->node->str, strlen(a->node->str), line);
        }
    }
    if ((rc = copy_node(b, a->node, b->depth, line, &n)))
        return rc;
    return attach(b, n);
}

static int on_event(ybuild_t *b, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev, line);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(b, YN_SEQ, ev->data.sequence_start.anchor, line);
    case YAML_MAPPING_START_EVENT:
        return on_start(b, YN_MAP, ev->data.mapping_start.anchor, line);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(b);
    case YAML_ALIAS_EVENT:
        return on_alias(b, ev->data.alias.anchor, line);
    case YAML_DOCUMENT_END_EVENT: /* only the first document is read */
    case YAML_STREAM_END_EVENT:
        b->done = true;
        return FERR_OK;
    default:
        return FERR_OK;
    }
}

static void ybuild_free(ybuild_t *b)
{
    for (int i = 0; i < b->depth; i++) {
        ynode_free(b->stack[i].node);
        free(b->stack[i].key);
        free(b->stack[i].index);
    }
    for (size_t i = 0; i < b->nanchors; i++)
        free(b->anchors[i].name);
    free(b->anchors);
    ynode_free(b->root);
}

int ydoc_parse(const char *name, const char *text, size_t len, ydoc_t **out,
               ferr_t *e)
{
    yaml_parser_t parser;
    ybuild_t b = {.name = name, .e = e};
    ydoc_t *d;
    int rc = FERR_OK;

    *out = NULL;
    if (!yaml_parser_initialize(&parser))
        return ferr_set(e, FERR_NOMEM, "%s: cannot initialise YAML parser", name);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (rc == FERR_OK && !b.done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = ferr_set(e, FERR_SPEC, "%s:%zu:%zu: YAML syntax error: %s%s%s",
                          name, parser.problem_mark.line + 1,
                          parser.problem_mark.column + 1,
                          parser.problem ? parser.problem : "invalid YAML",
                          parser.context ? " " : "",
                          parser.context ? parser.context : "");
            break;
        }
        rc = on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc) {
        ybuild_free(&b);
        return rc;
    }
    d = xcalloc(1, sizeof(*d));
    d->name = xstrdup(name);
    d->root = b.root ? b.root : ynode_new(YN_MAP, 1); /* empty: empty map */
    b.root = NULL;
    ybuild_free(&b);
    *out = d;
    return FERR_OK;
}

int ydoc_load(const char *path, ydoc_t **out, ferr_t *e)
{
    char *text;
    size_t n;
    int rc = file_read_all(path, YDOC_MAX_BYTES, &text, &n, e);
    if (rc)
        return rc;
    rc = ydoc_parse(path, text, n, out, e);
    free(text);
    return rc;
}

ynode_t *yn_get(const ynode_t *map, const char *key)
{
    if (map == NULL || map->kind != YN_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->vals[i];
    return NULL;
}

int yn_fail(ferr_t *e, const ydoc_t *d, const ynode_t *at, const char *where,
            const char *fmt, ...)
{
    char msg[FERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (at && at->line > 0)
        return ferr_set(e, FERR_SPEC, "%s:%d: %s%s%s", d->name, at->line,
                        where ? where : "", where && *where ? ": " : "", msg);
    return ferr_set(e, FERR_SPEC, "%s: %s%s%s", at ? "--set" : d->name,
                    where ? where : "", where && *where ? ": " : "", msg);
}

/* A --set value has no line in the project file: 0, which messages show
 * as "--set". */
static void clear_lines(ynode_t *n)
{
    n->line = 0;
    for (size_t i = 0; i < n->n; i++) {
        if (n->klines)
            n->klines[i] = 0;
        clear_lines(n->vals[i]);
    }
}

/* Replace one node (by pointer to its slot) with a parsed --set value;
 * depth counts the path's steps (a path of 60,000 keys recursed until the
 * stack overflowed). */
static int set_path(ynode_t **slot, const char *path, ynode_t *value, ferr_t *e,
                    const char *full, int depth)
{
    char key[256];
    size_t k = 0;
    const char *p = path;
    ynode_t *cur;

    if (depth > YDOC_MAX_DEPTH)
        return ferr_set(e, FERR_USAGE, "--set %.100s...: more than %d keys "
                        "deep", full, YDOC_MAX_DEPTH);
    if (*p == '\0') {
        ynode_free(*slot);
        *slot = value;
        return FERR_OK;
    }
    if (*p == '[') {
        char *end;
        long idx = strtol(p + 1, &end, 10);
        cur = *slot;
        if (*end != ']' || idx < 0)
            return ferr_set(e, FERR_USAGE, "--set %s: bad index", full);
        if (cur == NULL || cur->kind != YN_SEQ || (size_t)idx >= cur->n)
            return ferr_set(e, FERR_USAGE, "--set %s: no item [%ld]", full, idx);
        p = end + 1;
        if (*p == '.')
            p++;
        return set_path(&cur->vals[idx], p, value, e, full, depth + 1);
    }
    while (*p && *p != '.' && *p != '[' && k + 1 < sizeof(key))
        key[k++] = *p++;
    key[k] = '\0';
    if (k == 0)
        return ferr_set(e, FERR_USAGE, "--set %s: empty key", full);
    if (*p && *p != '.' && *p != '[')
        return ferr_set(e, FERR_USAGE, "--set %.100s...: a key longer than %zu "
                        "bytes", full, sizeof(key) - 1);
    if (*p == '.')
        p++;
    cur = *slot;
    if (cur == NULL || cur->kind != YN_MAP) {
        ynode_free(cur);
        cur = *slot = ynode_new(YN_MAP, 0);
    }
    for (size_t i = 0; i < cur->n; i++)
        if (strcmp(cur->keys[i], key) == 0)
            return set_path(&cur->vals[i], p, value, e, full, depth + 1);
    ynode_push(cur, xstrdup(key), 0, NULL);
    return set_path(&cur->vals[cur->n - 1], p, value, e, full, depth + 1);
}

int ydoc_set(ydoc_t *d, const char *assignment, ferr_t *e)
{
    const char *eq = strchr(assignment, '=');
    ydoc_t *vd;
    ynode_t *value;
    char *path;
    int rc;

    if (eq == NULL || eq == assignment)
        return ferr_set(e, FERR_USAGE, "--set %s: expected KEY=VALUE", assignment);
    rc = ydoc_parse("--set", eq + 1, strlen(eq + 1), &vd, e);
    if (rc)
        return rc;
    value = vd->root;
    vd->root = NULL;
    ydoc_free(vd);
    clear_lines(value);
    if (value->kind == YN_MAP && value->n == 0 && eq[1] == '\0') {
        ynode_free(value);
        value = ynode_new(YN_NULL, 0);
    }
    path = xstrndup(assignment, (size_t)(eq - assignment));
    rc = set_path(&d->root, path, value, e, assignment, 0);
    if (rc)
        ynode_free(value);
    free(path);
    return rc;
}

static int scalar_of(const ydoc_t *d, const ynode_t *map, const char *where,
                     const char *key, const char *want, ynode_t **out, ferr_t *e)
{
    ynode_t *n = yn_get(map, key);
    *out = NULL;
    if (n == NULL || n->kind == YN_NULL)
        return FERR_OK;
    if (n->kind != YN_SCALAR)
        return yn_fail(e, d, n, where, "key '%s': expected %s, found %s", key,
                       want, ynode_kind_name(n->kind));
    *out = n;
    return FERR_OK;
}

int yn_str(const ydoc_t *d, const ynode_t *map, const char *where,
           const char *key, const char **out, ferr_t *e)
{
    ynode_t *n;
    int rc = scalar_of(d, map, where, key, "text", &n, e);
    if (rc == FERR_OK && n)
        *out = n->str;
    return rc;
}

int yn_int(const ydoc_t *d, const ynode_t *map, const char *where,
           const char *key, int64_t *out, ferr_t *e)
{
    ynode_t *n;
    char *end;
    long long v;
    int rc = scalar_of(d, map, where, key, "an integer", &n, e);
    if (rc || n == NULL)
        return rc;
    errno = 0;
    v = strtoll(n->str, &end, 10);
    if (errno || end == n->str || *end != '\0')
        return yn_fail(e, d, n, where, "key '%s': expected an integer, found '%s'",
                       key, n->str);
    *out = v;
    return FERR_OK;
}

int yn_num(const ydoc_t *d, const ynode_t *map, const char *where,
           const char *key, double *out, ferr_t *e)
{
    ynode_t *n;
    char *end;
    double v;
    int rc = scalar_of(d, map, where, key, "a number", &n, e);
    if (rc || n == NULL)
        return rc;
    errno = 0;
    v = strtod(n->str, &end);
    if (errno || end == n->str || *end != '\0' || !isfinite(v))
        return yn_fail(e, d, n, where, "key '%s': expected a number, found '%s'",
                       key, n->str);
    *out = v;
    return FERR_OK;
}

int yn_bool(const ydoc_t *d, const ynode_t *map, const char *where,
            const char *key, bool *out, ferr_t *e)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", "1"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "off", "0"};
    ynode_t *n;
    int rc = scalar_of(d, map, where, key, "true or false", &n, e);
    if (rc || n == NULL)
        return rc;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(n->str, yes[i]) == 0) {
            *out = true;
            return FERR_OK;
        }
        if (strcmp(n->str, no[i]) == 0) {
            *out = false;
            return FERR_OK;
        }
    }
    return yn_fail(e, d, n, where, "key '%s': expected true or false, found '%s'",
                   key, n->str);
}

int yn_char(const ydoc_t *d, const ynode_t *map, const char *where,
            const char *key, char *out, ferr_t *e)
{
    ynode_t *n;
    int rc = scalar_of(d, map, where, key, "one character", &n, e);
    if (rc || n == NULL)
        return rc;
    if (strcmp(n->str, "\\t") == 0 || strcmp(n->str, "tab") == 0) {
        *out = '\t';
        return FERR_OK;
    }
    if (strlen(n->str) != 1)
        return yn_fail(e, d, n, where, "key '%s': expected one character, "
                       "found '%s'", key, n->str);
    *out = n->str[0];
    return FERR_OK;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof(size_t));
    }
    return prev[lb];
}

const char *closest_name(const char *name, const char *const *cands,
                         size_t ncands)
{
    const char *best = NULL;
    size_t bestd = 2 + strlen(name) / 4 + 1;
    for (size_t i = 0; i < ncands; i++) {
        size_t dist = edit_distance(name, cands[i]);
        if (dist < bestd) {
            bestd = dist;
            best = cands[i];
        }
    }
    return best;
}

int yn_check_keys(const ydoc_t *d, const ynode_t *map, const char *where,
                  const char *const *allowed, ferr_t *e)
{
    size_t nallowed = 0;
    if (map == NULL)
        return FERR_OK;
    if (map->kind != YN_MAP)
        return yn_fail(e, d, map, where, "expected a map of keys, found %s",
                       ynode_kind_name(map->kind));
    while (allowed[nallowed])
        nallowed++;
    for (size_t i = 0; i < map->n; i++) {
        bool ok = false;
        for (size_t j = 0; j < nallowed && !ok; j++)
            ok = strcmp(map->keys[i], allowed[j]) == 0;
        if (!ok) {
            const char *hint = closest_name(map->keys[i], allowed, nallowed);
            ynode_t at = {.line = map->klines[i]};
            if (hint)
                return yn_fail(e, d, &at, where, "unknown key '%s' (did you mean "
                               "'%s'?)", map->keys[i], hint);
            return yn_fail(e, d, &at, where, "unknown key '%s'", map->keys[i]);
        }
    }
    return FERR_OK;
}

int yn_str_list(const ydoc_t *d, const ynode_t *map, const char *where,
                const char *key, const char ***out, size_t *n, ferr_t *e)
{
    ynode_t *l = yn_get(map, key);
    *out = NULL;
    *n = 0;
    if (l == NULL || l->kind == YN_NULL)
        return FERR_OK;
    if (l->kind == YN_SCALAR) {
        *out = xmalloc(sizeof(char *));
        (*out)[0] = l->str;
        *n = 1;
        return FERR_OK;
    }
    if (l->kind != YN_SEQ)
        return yn_fail(e, d, l, where, "key '%s': expected a list, found %s",
                       key, ynode_kind_name(l->kind));
    *out = xcalloc(l->n + 1, sizeof(char *));
    for (size_t i = 0; i < l->n; i++) {
        ynode_t *it = l->vals[i];
        if (it->kind == YN_NULL) {
            (*out)[(*n)++] = "";
            continue;
        }
        if (it->kind != YN_SCALAR)
            return yn_fail(e, d, it, where, "key '%s': item %zu: expected a "
                           "value, found %s", key, i, ynode_kind_name(it->kind));
        (*out)[(*n)++] = it->str;
    }
    return FERR_OK;
}

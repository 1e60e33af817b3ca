/*
 * ydoc.c - libyaml document -> ynode_t tree, overrides, typed getters.
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
#define YDOC_MAX_DEPTH 64

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
    parent->vals = xrealloc(parent->vals, (parent->n + 1) * sizeof(*parent->vals));
    if (parent->kind == YN_MAP) {
        parent->keys = xrealloc(parent->keys, (parent->n + 1) * sizeof(*parent->keys));
        parent->klines = xrealloc(parent->klines, (parent->n + 1) * sizeof(*parent->klines));
        parent->keys[parent->n] = key;
        parent->klines[parent->n] = kline;
    }
    parent->vals[parent->n++] = child;
}

static bool is_null_scalar(const yaml_node_t *yn)
{
    const char *s = (const char *)yn->data.scalar.value;
    if (yn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    return strcmp(s, "") == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static int convert(const char *name, yaml_document_t *doc, yaml_node_t *yn,
                   int depth, ynode_t **out, ferr_t *e)
{
    int line = (int)yn->start_mark.line + 1;
    ynode_t *n;

    if (depth > YDOC_MAX_DEPTH)
        return ferr_set(e, FERR_SPEC, "%s:%d: nesting deeper than %d", name,
                        line, YDOC_MAX_DEPTH);
    switch (yn->type) {
    case YAML_SCALAR_NODE:
        if (is_null_scalar(yn)) {
            *out = ynode_new(YN_NULL, line);
            return FERR_OK;
        }
        n = ynode_new(YN_SCALAR, line);
        n->str = xstrndup((const char *)yn->data.scalar.value, yn->data.scalar.length);
        n->quoted = yn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        *out = n;
        return FERR_OK;
    case YAML_SEQUENCE_NODE:
        n = ynode_new(YN_SEQ, line);
        for (yaml_node_item_t *it = yn->data.sequence.items.start;
             it < yn->data.sequence.items.top; it++) {
            ynode_t *child;
            int rc = convert(name, doc, yaml_document_get_node(doc, *it),
                             depth + 1, &child, e);
            if (rc) {
                ynode_free(n);
                return rc;
            }
            ynode_push(n, NULL, 0, child);
        }
        *out = n;
        return FERR_OK;
    case YAML_MAPPING_NODE:
        n = ynode_new(YN_MAP, line);
        for (yaml_node_pair_t *p = yn->data.mapping.pairs.start;
             p < yn->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            ynode_t *child;
            char *key;
            int rc;
            if (k == NULL || k->type != YAML_SCALAR_NODE) {
                ynode_free(n);
                return ferr_set(e, FERR_SPEC, "%s:%d: map keys must be plain "
                                "text", name, line);
            }
            key = xstrndup((const char *)k->data.scalar.value, k->data.scalar.length);
            if (yn_get(n, key) != NULL) {
                rc = ferr_set(e, FERR_SPEC, "%s:%d: duplicate key '%s'", name,
                              (int)k->start_mark.line + 1, key);
                free(key);
                ynode_free(n);
                return rc;
            }
            rc = convert(name, doc, yaml_document_get_node(doc, p->value),
                         depth + 1, &child, e);
            if (rc) {
                free(key);
                ynode_free(n);
                return rc;
            }
            ynode_push(n, key, (int)k->start_mark.line + 1, child);
        }
        *out = n;
        return FERR_OK;
    default:
        *out = ynode_new(YN_NULL, line);
        return FERR_OK;
    }
}

int ydoc_parse(const char *name, const char *text, size_t len, ydoc_t **out,
               ferr_t *e)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    ydoc_t *d;
    int rc;

    *out = NULL;
    if (!yaml_parser_initialize(&parser))
        return ferr_set(e, FERR_NOMEM, "%s: cannot initialise YAML parser", name);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = ferr_set(e, FERR_SPEC, "%s:%zu:%zu: YAML syntax error: %s%s%s", name,
                      parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                      parser.problem ? parser.problem : "invalid YAML",
                      parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return rc;
    }
    d = xcalloc(1, sizeof(*d));
    d->name = xstrdup(name);
    root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        d->root = ynode_new(YN_MAP, 1); /* empty document: empty map */
        rc = FERR_OK;
    } else {
        rc = convert(name, &doc, root, 0, &d->root, e);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) {
        ydoc_free(d);
        return rc;
    }
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
    return ferr_set(e, FERR_SPEC, "%s: %s%s%s", d->name, where ? where : "",
                    where && *where ? ": " : "", msg);
}

/* Replace one node (by pointer to its slot) with a parsed --set value. */
static int set_path(ynode_t **slot, const char *path, ynode_t *value, ferr_t *e,
                    const char *full)
{
    char key[256];
    size_t k = 0;
    const char *p = path;
    ynode_t *cur;

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
        return set_path(&cur->vals[idx], p, value, e, full);
    }
    while (*p && *p != '.' && *p != '[' && k + 1 < sizeof(key))
        key[k++] = *p++;
    key[k] = '\0';
    if (k == 0)
        return ferr_set(e, FERR_USAGE, "--set %s: empty key", full);
    if (*p == '.')
        p++;
    cur = *slot;
    if (cur == NULL || cur->kind != YN_MAP) {
        ynode_free(cur);
        cur = *slot = ynode_new(YN_MAP, 0);
    }
    for (size_t i = 0; i < cur->n; i++)
        if (strcmp(cur->keys[i], key) == 0)
            return set_path(&cur->vals[i], p, value, e, full);
    ynode_push(cur, xstrdup(key), 0, NULL);
    return set_path(&cur->vals[cur->n - 1], p, value, e, full);
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
    if (value->kind == YN_MAP && value->n == 0 && eq[1] == '\0') {
        ynode_free(value);
        value = ynode_new(YN_NULL, 0);
    }
    path = xstrndup(assignment, (size_t)(eq - assignment));
    rc = set_path(&d->root, path, value, e, assignment);
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

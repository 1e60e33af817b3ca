/*
 * onehot.c - vocabularies and one-hot columns (see onehot.h).
 *
 * The vocabulary is a dict whose codes are the output positions, so
 * applying it is one hash lookup per distinct input value: for a CATEGORY
 * column the input dict's codes are mapped once, then each row is an array
 * index.
 */
#include "features/onehot.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"

/* Text of row i for the accepted input types. */
str_t onehot_key(const column_t *c, size_t i, char *tmp, size_t n)
{
    if (c->type == FT_INT) {
        int k = snprintf(tmp, n, "%lld", (long long)c->i64[i]);
        return (str_t){tmp, k > 0 ? (size_t)k : 0};
    }
    return col_str(c, i);
}

static int check_type(const column_t *c, ferr_t *e)
{
    if (c->type != FT_CATEGORY && c->type != FT_STRING && c->type != FT_INT)
        return ferr_set(e, FERR_TYPE,
                        "one-hot column %s is %s; it must be category, string "
                        "or int",
                        c->name, ftype_name(c->type));
    return FERR_OK;
}

typedef struct {
    str_t s;
    size_t count;
} vcount_t;

static int by_count(const void *pa, const void *pb)
{
    const vcount_t *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    size_t m = a->s.n < b->s.n ? a->s.n : b->s.n;
    int c = m ? memcmp(a->s.p, b->s.p, m) : 0;
    return c ? c : (a->s.n > b->s.n) - (a->s.n < b->s.n);
}

int onehot_learn(const column_t *c, const onehot_opts_t *opts, onehot_t **out,
                 ferr_t *e)
{
    *out = NULL;
    int rc = check_type(c, e);
    if (rc != FERR_OK)
        return rc;
    dict_t *seen = dict_new();
    size_t *count = NULL, cap = 0;
    char tmp[32];
    for (size_t i = 0; i < c->n; i++) {
        if (col_is_null(c, i))
            continue;
        str_t s = onehot_key(c, i, tmp, sizeof(tmp));
        int32_t k = dict_intern(seen, s.p, s.n);
        if ((size_t)k >= cap) {
            size_t old = cap;
            count = xgrow(count, sizeof(*count), &cap, (size_t)k + 1);
            memset(count + old, 0, (cap - old) * sizeof(*count));
        }
        count[k]++;
    }
    vcount_t *vc = xmalloc((seen->n ? seen->n : 1) * sizeof(*vc));
    for (size_t k = 0; k < seen->n; k++)
        vc[k] = (vcount_t){dict_str(seen, (int32_t)k), count[k]};
    qsort(vc, seen->n, sizeof(*vc), by_count);
    onehot_t *v = xcalloc(1, sizeof(*v));
    v->vocab = dict_new();
    size_t min = opts ? opts->min_count : 0;
    size_t max = opts && opts->max_categories ? opts->max_categories : (size_t)-1;
    for (size_t k = 0; k < seen->n && v->n < max; k++) {
        if (vc[k].count < min)
            break; /* sorted by count: the rest are rarer */
        dict_intern(v->vocab, vc[k].s.p, vc[k].s.n);
        v->n++;
    }
    xfree(vc);
    xfree(count);
    dict_free(seen);
    *out = v;
    return FERR_OK;
}

int onehot_from_list(const char *const *values, size_t n, onehot_t **out,
                     ferr_t *e)
{
    onehot_t *v = xcalloc(1, sizeof(*v));
    v->vocab = dict_new();
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(values[i]);
        if (dict_find(v->vocab, values[i], len) >= 0) {
            onehot_free(v);
            *out = NULL;
            return ferr_set(e, FERR_EXISTS, "one-hot vocabulary lists '%s' twice",
                            values[i]);
        }
        dict_intern(v->vocab, values[i], len);
        v->n++;
    }
    *out = v;
    return FERR_OK;
}

str_t onehot_value(const onehot_t *v, size_t i)
{
    return dict_str(v->vocab, (int32_t)i);
}

int onehot_apply(const onehot_t *v, const column_t *c, bool strict,
                 ftype_t out_type, table_t *dst, ferr_t *e)
{
    int rc = check_type(c, e);
    if (rc != FERR_OK)
        return rc;
    if (out_type != FT_INT && out_type != FT_BOOL)
        return ferr_set(e, FERR_TYPE, "one-hot output must be int or bool");
    /* position of each row's value, -1 = none */
    int32_t *pos = xmalloc((c->n ? c->n : 1) * sizeof(*pos));
    int32_t *bycode = NULL;
    if (c->type == FT_CATEGORY) {
        bycode = xmalloc((c->dict->n ? c->dict->n : 1) * sizeof(*bycode));
        for (size_t k = 0; k < c->dict->n; k++) {
            str_t s = dict_str(c->dict, (int32_t)k);
            bycode[k] = dict_find(v->vocab, s.p, s.n);
        }
    }
    char tmp[32];
    for (size_t i = 0; i < c->n; i++) {
        if (col_is_null(c, i)) {
            pos[i] = -1;
            continue;
        }
        if (bycode) {
            pos[i] = bycode[c->code[i]];
        } else {
            str_t s = onehot_key(c, i, tmp, sizeof(tmp));
            pos[i] = dict_find(v->vocab, s.p, s.n);
        }
        if (pos[i] < 0 && strict) {
            str_t s = onehot_key(c, i, tmp, sizeof(tmp));
            xfree(pos);
            xfree(bycode);
            return ferr_set(e, FERR_RANGE,
                            "column %s: row %zu: value '%.*s' was not seen in "
                            "training",
                            c->name, i + 1, (int)(s.n > 100 ? 100 : s.n), s.p);
        }
    }
    xfree(bycode);
    buf_t name = {0};
    for (size_t k = 0; k < v->n && rc == FERR_OK; k++) {
        str_t s = onehot_value(v, k);
        buf_reset(&name);
        buf_printf(&name, "%s=%.*s", c->name, STR_FMT(s));
        column_t *o = col_new(name.p, out_type, c->n);
        for (size_t i = 0; i < c->n; i++) {
            if (out_type == FT_INT)
                o->i64[i] = pos[i] == (int32_t)k;
            else
                o->u8[i] = pos[i] == (int32_t)k;
        }
        if ((rc = table_add(dst, o, e)) != FERR_OK)
            col_free(o);
    }
    buf_free(&name);
    xfree(pos);
    return rc;
}

int onehot_to_json(const onehot_t *v, char **out, ferr_t *e)
{
    json_t *a = json_array();
    for (size_t k = 0; k < v->n; k++) {
        str_t s = onehot_value(v, k);
        json_array_append_new(a, json_stringn(s.p, s.n));
    }
    *out = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    if (*out == NULL)
        return ferr_set(e, FERR_NOMEM, "one-hot vocabulary: cannot encode JSON");
    return FERR_OK;
}

int onehot_from_json(const char *json, onehot_t **out, ferr_t *e)
{
    *out = NULL;
    json_error_t je;
    json_t *a = json_loads(json, 0, &je);
    if (a == NULL)
        return ferr_set(e, FERR_PARSE, "one-hot vocabulary: %d:%d: %s", je.line,
                        je.column, je.text);
    if (!json_is_array(a)) {
        json_decref(a);
        return ferr_set(e, FERR_PARSE, "one-hot vocabulary: expected a JSON array");
    }
    onehot_t *v = xcalloc(1, sizeof(*v));
    v->vocab = dict_new();
    for (size_t k = 0; k < json_array_size(a); k++) {
        json_t *s = json_array_get(a, k);
        if (!json_is_string(s)) {
            json_decref(a);
            onehot_free(v);
            return ferr_set(e, FERR_PARSE,
                            "one-hot vocabulary: element %zu is not a string", k);
        }
        const char *p = json_string_value(s);
        size_t n = json_string_length(s);
        if (dict_find(v->vocab, p, n) >= 0) {
            int rc = ferr_set(e, FERR_EXISTS, "one-hot vocabulary: '%s' twice", p);
            json_decref(a); /* p points into it */
            onehot_free(v);
            return rc;
        }
        dict_intern(v->vocab, p, n);
        v->n++;
    }
    json_decref(a);
    *out = v;
    return FERR_OK;
}

void onehot_free(onehot_t *v)
{
    if (v == NULL)
        return;
    dict_free(v->vocab);
    xfree(v);
}

/*
 * manifest.c - the registry manifest's schema, its validation and hashing.
 *
 * A manifest is read back by the server, the monitor and `ferry models`
 * long after it was written, possibly by a newer ferry or after someone
 * edited it by hand, so every consumer goes through reg_manifest_check: one
 * declarative table per JSON object kind says which fields exist, their
 * type and whether they are required.  An error names the file and the JSON
 * path ("manifest.json: $.metrics.test.roc_auc: expected a number, found a
 * string") so a user can fix the file instead of guessing.  Unknown fields
 * are allowed, which keeps old ferry binaries able to read newer manifests.
 */
#include "registry/registry.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"
#include "data/table.h"
#include "registry/reg_int.h"

typedef enum {
    V_STR,      /* string */
    V_NAME,     /* string, a valid model name */
    V_FILE,     /* string, a bare file name (no '/', not "." or "..") */
    V_TYPE,     /* string, a ferry column type name */
    V_INT,      /* integer */
    V_VERSION,  /* integer >= 1 */
    V_PARENT,   /* integer >= 1 or null */
    V_NUM,      /* number */
    V_NONNEG,   /* number >= 0 */
    V_HEX64,    /* 64 lowercase hex digits (SHA-256) */
    V_OBJ,      /* any object */
    V_OBJOBJ,   /* object whose values are objects (profile) */
    V_STRARR,   /* array of strings */
    V_NUMMAP2,  /* object of objects of numbers (metrics, importance) */
    V_MODEL,    /* the model{} object */
    V_LINEAGE,  /* the lineage{} object */
    V_FEATURES, /* non-empty array of feature objects */
} vkind_t;

typedef struct vfield {
    const char *key;
    vkind_t kind;
    bool required;        /* always required */
    bool required_stored; /* required once the registry has stored it */
} vfield_t;

#define VF_END {NULL, V_STR, false, false}

static const vfield_t manifest_fields[] = {
    {"format", V_VERSION, false, true},
    {"name", V_NAME, false, true},
    {"version", V_VERSION, false, true},
    {"created_at", V_STR, false, true},
    {"ferry_version", V_STR, false, false},
    {"registered_by", V_STR, false, false},
    {"model", V_MODEL, false, true},
    {"objective", V_STR, true, true},
    {"params", V_OBJ, false, false},
    {"metrics", V_NUMMAP2, false, false},
    {"features", V_FEATURES, true, true},
    {"profile", V_OBJOBJ, false, false},
    {"importance", V_NUMMAP2, false, false},
    {"data_sha256", V_HEX64, false, false},
    {"spec_sha256", V_HEX64, false, false},
    {"seed", V_INT, false, false},
    {"duration_s", V_NONNEG, false, false},
    {"lineage", V_LINEAGE, false, false},
    VF_END,
};

static const vfield_t model_fields[] = {
    {"file", V_FILE, true, true},
    {"format", V_STR, true, true},
    {"sha256", V_HEX64, true, true},
    {"bytes", V_INT, true, true},
    VF_END,
};

static const vfield_t lineage_fields[] = {
    {"parent", V_PARENT, false, false},
    {"source_files", V_STRARR, false, false},
    {"spec_file", V_STR, false, false},
    {"imported_from", V_STR, false, false},
    VF_END,
};

static const vfield_t feature_fields[] = {
    {"name", V_STR, true, true},
    {"type", V_TYPE, true, true},
    {"categories", V_STRARR, false, false},
    {"min", V_NUM, false, false},
    {"max", V_NUM, false, false},
    VF_END,
};

static const char *json_kind(const json_t *v)
{
    static const char *const names[] = {
        [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
        [JSON_STRING] = "a string",  [JSON_INTEGER] = "an integer",
        [JSON_REAL] = "a number",    [JSON_TRUE] = "true",
        [JSON_FALSE] = "false",      [JSON_NULL] = "null",
    };
    return names[json_typeof(v)];
}


static bool is_hex64(const char *s)
{
    size_t i;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return i == 64;
}

static int check_object(const json_t *o, const vfield_t *fields, bool stored,
                        const char *where, buf_t *path, ferr_t *e);

static int bad(ferr_t *e, const char *where, const buf_t *path,
               const char *expected, const json_t *v)
{
    return ferr_set(e, FERR_CORRUPT, "%s: %s: expected %s, found %s", where,
                    path->p, expected, json_kind(v));
}

static int check_value(const json_t *v, vkind_t kind, bool stored,
                       const char *where, buf_t *path, ferr_t *e)
{
    size_t mark = path->n, i;
    const char *k;
    json_t *x;
    int rc = FERR_OK;

    switch (kind) {
    case V_STR:
    case V_NAME:
    case V_FILE:
    case V_TYPE:
    case V_HEX64: {
        const char *s;
        if (!json_is_string(v))
            return bad(e, where, path, "a string", v);
        s = json_string_value(v);
        if (kind == V_NAME && !reg_name_valid(s))
            return ferr_set(e, FERR_CORRUPT,
                            "%s: %s: '%s' is not a valid model name", where,
                            path->p, s);
        if (kind == V_FILE && (strchr(s, '/') || strcmp(s, ".") == 0 ||
                               strcmp(s, "..") == 0 || s[0] == '\0'))
            return ferr_set(e, FERR_CORRUPT,
                            "%s: %s: '%s' is not a plain file name", where,
                            path->p, s);
        if (kind == V_TYPE && ftype_parse(str_from(s)) < 0)
            return ferr_set(e, FERR_CORRUPT, "%s: %s: unknown type '%s'",
                            where, path->p, s);
        if (kind == V_HEX64 && !is_hex64(s))
            return ferr_set(e, FERR_CORRUPT,
                            "%s: %s: expected 64 lowercase hex digits", where,
                            path->p);
        return FERR_OK;
    }
    case V_INT:
    case V_VERSION:
    case V_PARENT:
        if (kind == V_PARENT && json_is_null(v))
            return FERR_OK;
        if (!json_is_integer(v))
            return bad(e, where, path, "an integer", v);
        if (kind != V_INT &&
            (json_integer_value(v) < 1 || json_integer_value(v) > INT32_MAX))
            return ferr_set(e, FERR_CORRUPT,
                            "%s: %s: %lld is not a version number", where,
                            path->p, (long long)json_integer_value(v));
        return FERR_OK;
    case V_NUM:
    case V_NONNEG:
        if (!json_is_number(v))
            return bad(e, where, path, "a number", v);
        if (kind == V_NONNEG && !(json_number_value(v) >= 0))
            return ferr_set(e, FERR_CORRUPT, "%s: %s: must not be negative",
                            where, path->p);
        return FERR_OK;
    case V_OBJ:
        return json_is_object(v) ? FERR_OK : bad(e, where, path, "an object", v);
    case V_OBJOBJ:
    case V_NUMMAP2:
        if (!json_is_object(v))
            return bad(e, where, path, "an object", v);
        json_object_foreach((json_t *)v, k, x) {
            buf_printf(path, ".%s", k);
            if (!json_is_object(x)) {
                rc = bad(e, where, path, "an object", x);
            } else if (kind == V_NUMMAP2) {
                const char *k2;
                json_t *y;
                size_t mark2 = path->n;
                json_object_foreach(x, k2, y) {
                    buf_printf(path, ".%s", k2);
                    rc = check_value(y, V_NUM, stored, where, path, e);
                    path->n = mark2;
                    path->p[mark2] = '\0';
                    if (rc)
                        break;
                }
            }
            path->n = mark;
            path->p[mark] = '\0';
            if (rc)
                return rc;
        }
        return FERR_OK;
    case V_STRARR:
        if (!json_is_array(v))
            return bad(e, where, path, "an array", v);
        json_array_foreach(v, i, x) {
            if (!json_is_string(x)) {
                buf_printf(path, "[%zu]", i);
                return bad(e, where, path, "a string", x);
            }
        }
        return FERR_OK;
    case V_MODEL:
    case V_LINEAGE:
        if (!json_is_object(v))
            return bad(e, where, path, "an object", v);
        return check_object(v, kind == V_MODEL ? model_fields : lineage_fields,
                            stored, where, path, e);
    case V_FEATURES:
        if (!json_is_array(v))
            return bad(e, where, path, "an array", v);
        if (json_array_size(v) == 0)
            return ferr_set(e, FERR_CORRUPT, "%s: %s: no features", where,
                            path->p);
        json_array_foreach(v, i, x) {
            buf_printf(path, "[%zu]", i);
            if (!json_is_object(x))
                rc = bad(e, where, path, "an object", x);
            else
                rc = check_object(x, feature_fields, stored, where, path, e);
            path->n = mark;
            path->p[mark] = '\0';
            if (rc)
                return rc;
        }
        return FERR_OK;
    }
    return FERR_OK;
}

static int check_object(const json_t *o, const vfield_t *fields, bool stored,
                        const char *where, buf_t *path, ferr_t *e)
{
    size_t mark = path->n;
    for (const vfield_t *f = fields; f->key; f++) {
        json_t *v = json_object_get(o, f->key);
        int rc;
        buf_printf(path, ".%s", f->key);
        if (v == NULL) {
            rc = (f->required || (stored && f->required_stored))
                     ? ferr_set(e, FERR_CORRUPT,
                                "%s: %s: missing required field", where,
                                path->p)
                     : FERR_OK;
        } else {
            rc = check_value(v, f->kind, stored, where, path, e);
        }
        path->n = mark;
        path->p[mark] = '\0';
        if (rc)
            return rc;
    }
    return FERR_OK;
}

int reg_manifest_check(const json_t *m, const char *where, bool stored,
                       ferr_t *e)
{
    buf_t path;
    int rc;

    if (!json_is_object(m))
        return ferr_set(e, FERR_CORRUPT, "%s: $: expected an object, found %s",
                        where, m ? json_kind(m) : "nothing");
    buf_init(&path, 0);
    buf_puts(&path, "$");
    rc = check_object(m, manifest_fields, stored, where, &path, e);
    buf_free(&path);
    return rc;
}

int reg_manifest_parse(const char *text, size_t n, const char *where,
                       bool stored, json_t **out, ferr_t *e)
{
    json_error_t je;
    json_t *m;
    int rc;

    *out = NULL;
    m = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
    if (m == NULL)
        return ferr_set(e, FERR_CORRUPT, "%s:%d:%d: invalid JSON: %s", where,
                        je.line, je.column, je.text);
    rc = reg_manifest_check(m, where, stored, e);
    if (rc) {
        json_decref(m);
        return rc;
    }
    *out = m;
    return FERR_OK;
}

static void to_hex(const unsigned char *md, unsigned len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < len && i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

void reg_sha256(const void *p, size_t n, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    to_hex(md, len, hex);
}

int reg_sha256_files(const char *const *paths, size_t n, char hex[65],
                     ferr_t *e)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    char *chunk;
    unsigned len = 0;
    int rc = FERR_OK;

    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(ctx);
        return ferr_set(e, FERR_EXTERNAL, "sha256: OpenSSL init failed");
    }
    chunk = xmalloc(1 << 16);
    for (size_t i = 0; i < n && rc == FERR_OK; i++) {
        FILE *fp = fopen(paths[i], "rb");
        size_t got;
        if (fp == NULL) {
            rc = ferr_set(e, errno == ENOENT ? FERR_NOTFOUND : FERR_IO,
                          "%s: %s", paths[i], strerror(errno));
            break;
        }
        while ((got = fread(chunk, 1, 1 << 16, fp)) > 0)
            EVP_DigestUpdate(ctx, chunk, got);
        if (ferror(fp))
            rc = ferr_set(e, FERR_IO, "%s: read error", paths[i]);
        fclose(fp);
    }
    if (rc == FERR_OK) {
        EVP_DigestFinal_ex(ctx, md, &len);
        to_hex(md, len, hex);
    }
    EVP_MD_CTX_free(ctx);
    free(chunk);
    return rc;
}

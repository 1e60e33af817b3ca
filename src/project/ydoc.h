/*
 * ydoc.h - a YAML document as a small tree with line numbers.
 *
 * The project file is read once with libyaml into ynode_t trees so every
 * later check can name the line it is about ("ferry.yaml:14: key
 * 'expresion': unknown key in features[2] (did you mean 'expr'?)").  Scalars
 * stay text; the typed getters convert and report type errors with the line.
 * `--set a.b[2].c=value` overrides edit the tree before it is interpreted,
 * so every key can be overridden.  Each node remembers whether it was read,
 * which is how unknown keys are found.
 *
 * Ownership: a ydoc_t owns all its nodes; getters return borrowed pointers.
 */
#ifndef FERRY_YDOC_H
#define FERRY_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef enum { YN_NULL, YN_SCALAR, YN_SEQ, YN_MAP } ynode_kind_t;

typedef struct ynode ynode_t;
struct ynode {
    ynode_kind_t kind;
    int line;          /* 1-based line in the file; 0 for --set values,
                        * which messages call "--set" instead of file:line */
    bool quoted;       /* scalar was quoted: never null/bool by spelling */
    char *str;         /* SCALAR text */
    char **keys;       /* MAP keys, parallel to vals */
    int *klines;       /* MAP key lines, parallel to vals */
    ynode_t **vals;    /* MAP values or SEQ items */
    size_t n, cap;
};

/* What a document may make the parser build, checked while it is read:
 * nesting (maps and lists), nodes in all, and nodes copied by aliases (an
 * alias is expanded by copying its anchor, so nested aliases multiply: a
 * small budget keeps a 1 KB "billion laughs" from taking gigabytes). */
#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_NODES 1000000
#define YDOC_MAX_ALIAS_NODES 10000

typedef struct ydoc {
    char *name;        /* file name used in messages */
    ynode_t *root;
} ydoc_t;

int ydoc_parse(const char *name, const char *text, size_t len, ydoc_t **out,
               ferr_t *e);
int ydoc_load(const char *path, ydoc_t **out, ferr_t *e);
void ydoc_free(ydoc_t *d);

/* Apply "path=value": path is dot-separated keys with optional [index]
 * (sources.loans.path, features[0].expr); value is parsed as YAML (so
 * `[a, b]` is a list).  Missing maps along the path are created. */
int ydoc_set(ydoc_t *d, const char *assignment, ferr_t *e);

/* Map lookup (NULL when absent or map is not a map). */
ynode_t *yn_get(const ynode_t *map, const char *key);
const char *ynode_kind_name(ynode_kind_t k);

/* Typed reads of a map's key.  Absent (or YAML null) keys leave *out at the
 * default the caller stored there and return FERR_OK; a present value of
 * the wrong type is FERR_SPEC with "file:line: key: expected ..., found ...".
 * `where` names the enclosing section for messages ("sources.loans"). */
int yn_str(const ydoc_t *d, const ynode_t *map, const char *where,
           const char *key, const char **out, ferr_t *e);
int yn_int(const ydoc_t *d, const ynode_t *map, const char *where,
           const char *key, int64_t *out, ferr_t *e);
int yn_num(const ydoc_t *d, const ynode_t *map, const char *where,
           const char *key, double *out, ferr_t *e);
int yn_bool(const ydoc_t *d, const ynode_t *map, const char *where,
            const char *key, bool *out, ferr_t *e);
/* A scalar node's text as a single char (delimiter, decimal separator). */
int yn_char(const ydoc_t *d, const ynode_t *map, const char *where,
            const char *key, char *out, ferr_t *e);

/* A list of scalars (a single scalar is a list of one; a YAML null item
 * is ""), as a malloc'd array of borrowed strings the caller frees; absent
 * or null: *out NULL, *n 0. */
int yn_str_list(const ydoc_t *d, const ynode_t *map, const char *where,
                const char *key, const char ***out, size_t *n, ferr_t *e);

/* Fail if `map` is not a map or has a key not in `allowed` (NULL-terminated
 * list), naming the line and suggesting the closest allowed key. */
int yn_check_keys(const ydoc_t *d, const ynode_t *map, const char *where,
                  const char *const *allowed, ferr_t *e);
/* Set e to FERR_SPEC with "file:line: where: message" and return it. */
int yn_fail(ferr_t *e, const ydoc_t *d, const ynode_t *at, const char *where,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Closest candidate by edit distance (<= 2 + len/4), or NULL. */
const char *closest_name(const char *name, const char *const *cands,
                         size_t ncands);

#endif

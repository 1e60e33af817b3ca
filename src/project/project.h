/*
 * project.h - the project file (ferry.yaml) interpreted.
 *
 * project_load() reads ferry.yaml, applies --set overrides, validates every
 * key against the key table (proj_keys[], which also generates
 * docs/reference.md) and resolves paths relative to the project directory.
 * The result is plain structs: sources with their CSV options and typed
 * columns, joins, feature definitions in order, the label, outputs.  The
 * model/split/search/gate sections are validated here and handed to the
 * training glue as YAML nodes (proj->model etc.).
 *
 * Ownership: a project_t owns everything it points to (strings are either
 * owned copies or point into proj->doc, which it also owns); free with
 * project_free().
 */
#ifndef FERRY_PROJECT_H
#define FERRY_PROJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "data/table.h"
#include "project/ydoc.h"

/* One row per key of ferry.yaml: the single source of validation and of
 * docs/reference.md.  `section` uses <name> for user-chosen map keys and []
 * for list items.  An "integer" or "number" key has the inclusive range
 * [min, max] (±INFINITY: open on that side), checked with the value's line
 * for the file and --set alike; other keys have 0, 0. */
typedef struct proj_key {
    const char *section;
    const char *key;
    const char *type;
    const char *dflt;
    const char *doc;
    double min, max;
} proj_key_t;

/* The most threads any key may ask for (parsing, training, search). */
#define PROJ_MAX_THREADS 1024
/* Longest feature name: PostgreSQL's identifier limit, so SQL export never
 * truncates one. */
#define PROJ_MAX_NAME 63
extern const proj_key_t proj_keys[]; /* terminated by section == NULL */

typedef struct proj_column {
    const char *name;    /* header name in the file */
    const char *rename;  /* output name, or NULL */
    ftype_t type;
    const char *format;  /* date/datetime format, NULL = ISO */
    char decimal;        /* '.' */
    char thousands;      /* 0 = none */
    int line;
} proj_column_t;

typedef struct proj_source {
    const char *name;
    char *path;          /* resolved against the project directory (owned) */
    char delimiter, quote;
    const char **nulls;  /* owned array of borrowed strings */
    size_t nnulls;
    bool trim;
    int64_t max_line;
    int64_t max_rejects;      /* error budget (the more generous of the */
    double max_reject_frac;   /* two wins); 0 and 0: no bad row allowed */
    char *rejects_path;       /* owned; NULL: <output.dir>/rejects-<name>.csv */
    int64_t threads;
    const char *entity;       /* NULL when none */
    const char *timestamp;    /* NULL when none */
    bool keep_null_keys;      /* null_keys: keep (default reject) */
    bool latin1;              /* encoding: latin1 (default utf-8) */
    proj_column_t *cols;
    size_t ncols;
    int line;
} proj_source_t;

typedef struct proj_join {
    const char *source;
    const char *left_time, *right_time;
    const char *left_key, *right_key;
    const char *tolerance;    /* duration text ("31d"), NULL = none */
    bool exact;               /* match right_time == left_time */
    const char *prefix;
    const char **columns;     /* owned array; NULL = all */
    size_t ncolumns;
    int line;
} proj_join_t;

typedef enum { FEAT_EXPR, FEAT_WINDOW, FEAT_ONEHOT } proj_feat_kind_t;

typedef struct proj_feature {
    proj_feat_kind_t kind;
    const char *name;         /* output name (onehot: prefix, default column) */
    const char *expr;         /* FEAT_EXPR */
    /* FEAT_WINDOW */
    const char *agg;          /* count, sum, mean, ... */
    const char *of;           /* value column, NULL for count of events */
    const char *by;           /* entity, NULL = single series */
    const char *order;        /* time column */
    const char *over;         /* "all", "3", "90d" */
    int64_t lag;
    bool include_current;
    /* FEAT_ONEHOT */
    const char *column;
    const char **vocabulary;  /* owned array; NULL = learn */
    size_t nvocabulary;
    int64_t min_count, max_categories;
    bool strict;
    const char *unknown;      /* reject|missing|ignore (records), NULL = reject */
    bool keep;                /* false: intermediate, not in the output */
    int line;
} proj_feature_t;

typedef struct project {
    ydoc_t *doc;
    char *dir;                /* project directory (absolute, owned) */
    char *file;               /* project file path (owned) */
    const char *name;
    proj_source_t *sources;   /* sources[0] is the primary source */
    size_t nsources;
    proj_join_t *joins;
    size_t njoins;
    proj_feature_t *features;
    size_t nfeatures;
    const char *label;        /* NULL: no label */
    char *output_dir;         /* owned, resolved */
    const char *output_name;  /* "features" */
    bool write_csv, write_binary;
    const char **carry;       /* extra source columns to keep; owned array */
    size_t ncarry;
    bool online;
    char *online_path;        /* owned, resolved */
    const char *online_entity;
    char *registry_dir;       /* owned, resolved */
    /* Validated sections for the training and registry glue. */
    const ynode_t *model, *split, *search, *gate;
} project_t;

/* Load `path`, apply `sets` (KEY=VALUE overrides, in order), validate. */
int project_load(const char *path, const char *const *sets, size_t nsets,
                 project_t **out, ferr_t *e);
/* The same from text (tests, fuzzing); dir resolves relative paths. */
int project_load_mem(const char *name, const char *text, size_t len,
                     const char *dir, const char *const *sets, size_t nsets,
                     project_t **out, ferr_t *e);
void project_free(project_t *p);
const proj_source_t *project_source(const project_t *p, const char *name);

/* Markdown reference of every key (docs/reference.md is this output). */
void project_reference_md(buf_t *out);

#endif

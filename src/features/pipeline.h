/*
 * pipeline.h - a project's feature definitions, compiled and run.
 *
 * The pipeline turns the loaded sources of a project into the feature
 * table: as-of joins onto the primary source, then every feature in file
 * order (expressions, point-in-time windows, one-hot expansions), each able
 * to use the columns made before it.  The same compiled pipeline runs on a
 * whole file (`ferry features build`) and on a one-row table built from a
 * raw record (the server), so offline and online features cannot differ.
 *
 * Learned state (one-hot vocabularies) is captured in a feat_schema_t when
 * the pipeline runs in LEARN mode on training data, saved next to the
 * feature files and with every model, and replayed in APPLY mode.
 *
 * Ownership: feat_run returns a new table the caller frees; it does not
 * take the inputs (feat_run_take moves the primary source's columns into
 * the result instead of copying them).  A feat_schema_t is owned by the caller (feat_schema_free).
 */
#ifndef FERRY_PIPELINE_H
#define FERRY_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "data/table.h"
#include "project/project.h"

typedef struct feat_schema {
    json_t *vocabularies; /* {"OPERA": ["Grupo LATAM", ...], ...} */
    json_t *columns;      /* [{"name":..., "type":..., "role": "feature"|"label"|"entity"|"time"|"carry"}] */
    json_t *inputs;       /* LEARN: {"source column": {"rows": N, "nulls": N}} of
                             the primary source (NULL when not recorded) */
} feat_schema_t;

typedef enum { FEAT_LEARN, FEAT_APPLY } feat_mode_t;

/* Read every source of p (CSV, typed, rejects to the project's rejects
 * files).  tables[i] belongs to p->sources[i]; caller frees each.  A
 * primary source with no data row is an error (FERR_PARSE): a build must
 * never replace its last outputs with an empty table. */
typedef struct feat_read_report {
    size_t rows, rejected, bytes;
    double seconds;
} feat_read_report_t;
int feat_read_sources(const project_t *p, table_t **tables,
                      feat_read_report_t *reports, ferr_t *e);
/* Where feat_read_sources writes the rejects of source i (appended). */
void feat_rejects_path(const project_t *p, size_t i, buf_t *out);

/* Read source i of p from path (NULL: its own file) with the same options
 * (scoring a file of raw records).  Rejected rows go to rejects_path, or
 * are only counted (report->rejected) when it is NULL: scoring never
 * overwrites the rejects file of the last `features build`. */
int feat_read_source_file(const project_t *p, size_t i, const char *path,
                          const char *rejects_path, table_t **out,
                          feat_read_report_t *report, ferr_t *e);

/* Compute the feature table from the loaded sources: joins, features,
 * then keep carry columns, kept features and the label, in that order.
 * In FEAT_LEARN mode, schema is filled; in FEAT_APPLY mode it is read,
 * and a missing label or carry column is left out instead of an error
 * (raw records to score have no label). */
int feat_run(const project_t *p, table_t *const *sources, feat_mode_t mode,
             feat_schema_t *schema, table_t **out, ferr_t *e);

/* feat_run without the copy of the primary source: the columns of
 * sources[0] are moved into the working table (and the result), leaving
 * sources[0] with no columns (its nrows kept; table_free it as usual), even
 * on error.  Other sources are only read.  For a whole-file build, where
 * copying every source column costs more than computing the features. */
int feat_run_take(const project_t *p, table_t *const *sources,
                  feat_mode_t mode, feat_schema_t *schema, table_t **out,
                  ferr_t *e);

/* The events window features read, captured by a build for the online
 * store's history (online.h, record.h): a key column (STRING: the
 * partition value as rec_key_text writes it, "" for one series) then the
 * time and value columns of every window as the window saw them, rows
 * in event order (time, then file order; rows without a time or key left
 * out), keys interleaved as they come (online_prepare_with_history groups
 * them, stably).  Kept only when every window partitions by the
 * same column and orders by the same time; otherwise events is NULL and
 * why says so. */
typedef struct feat_history {
    table_t *events;
    const char *by;             /* partition column; NULL: one series */
    char why[FERR_MSG_MAX];
} feat_history_t;
void feat_history_free(feat_history_t *h);

/* The entity column of a single series' online store (its one key is "",
 * as in its history). */
#define FEAT_SERIES_KEY "_series"

/* feat_run_take that also captures hist (events stays NULL when the spec
 * has no window). */
int feat_run_take_history(const project_t *p, table_t *const *sources,
                          feat_mode_t mode, feat_schema_t *schema,
                          feat_history_t *hist, table_t **out, ferr_t *e);

/* Compiled feature expressions kept across runs: a loaded model version
 * featurizes every request through the same project, and parsing and
 * type-checking its expressions each time was a fifth of scoring one
 * record.  An expression is compiled by the first run that needs it and
 * reused by later runs while the columns it reads have the types it was
 * compiled against (otherwise that run compiles its own).  Runs may share
 * one cache from several threads at once. */
typedef struct feat_exprs feat_exprs_t;
feat_exprs_t *feat_exprs_new(const project_t *p);
void feat_exprs_free(feat_exprs_t *c);

/* feat_run with a cache of compiled expressions (NULL: none).  In
 * FEAT_APPLY mode, a NULL schema->columns asks for no description of the
 * output columns (building it was another fifth of scoring one record). */
int feat_run_cached(const project_t *p, feat_exprs_t *cache,
                    table_t *const *sources, feat_mode_t mode,
                    feat_schema_t *schema, table_t **out, ferr_t *e);

/* Compile the whole spec without reading data (`ferry validate`): every
 * join, expression, window and one-hot runs on zero-row sources holding
 * the declared columns (their types from ferry.yaml), so an unknown
 * column, a type error or a bad window fails as `features build` would,
 * naming the feature.  Fills schema as FEAT_LEARN does (one-hot
 * vocabularies empty). */
int feat_check(const project_t *p, feat_schema_t *schema, ferr_t *e);

void feat_schema_free(feat_schema_t *s);
int feat_schema_save(const feat_schema_t *s, const char *path, ferr_t *e);
int feat_schema_load(const char *path, feat_schema_t *s, ferr_t *e);

/* Names of the feature columns (role "feature") in order; borrowed from
 * the schema's JSON. */
size_t feat_schema_features(const feat_schema_t *s, const char **names,
                            size_t max);

#endif

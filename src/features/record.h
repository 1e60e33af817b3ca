/*
 * record.h - one raw record to one model input row, compiled.
 *
 * A model version scores raw records (a CSV line of `ferry predict`, a
 * JSON object sent to the server) through a scoring plan compiled once
 * when the version is loaded from its frozen spec:
 *
 *   - only the features the model reads are kept, with everything they
 *     depend on (earlier features, joins, source columns); the rest of
 *     the spec is dropped;
 *   - the source columns those need are the record's required fields
 *     (rec_plan_field): the label and unused columns never are, and a
 *     record may carry any other field, which is ignored;
 *   - expressions are compiled against a one-row working table whose
 *     columns are resolved to indexes, one-hot vocabularies are built
 *     into hash lookups, and every model input is written straight into
 *     the caller's row in the model's feature order;
 *   - window features read the entity's earlier events from the online
 *     store's history (online_history) and are computed by the same
 *     window code as `features build`, over those events followed by the
 *     record, so a record scored alone gets exactly the features its row
 *     of the training table had.
 *
 * Validation is per record and names the field, the value and the reason:
 * a required field missing, a value that does not parse as the field's
 * type, an empty value where training had none, a category outside the
 * vocabulary a one-hot was trained on (per feature `unknown: reject |
 * missing | ignore`, default reject), an entity the history cannot serve.
 * A rejected record is an error for that record only (FERR_PARSE, or
 * FERR_NOTFOUND for missing history); the caller goes on with the next.
 *
 * Threads: a rec_plan_t is immutable after rec_plan_new and shared by
 * every thread; each thread scores through its own rec_ctx_t (its scratch
 * row and its history connection).
 *
 * Ownership: p must outlive the plan (names point into it); state,
 * inputs, features and sources are only read during rec_plan_new.
 */
#ifndef FERRY_RECORD_H
#define FERRY_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "base/str.h"
#include "data/table.h"
#include "project/project.h"

typedef struct rec_plan rec_plan_t;
typedef struct rec_ctx rec_ctx_t;

/* What to do with a category outside a one-hot's training vocabulary. */
typedef enum {
    REC_UNKNOWN_REJECT = 0, /* the record is rejected (default) */
    REC_UNKNOWN_MISSING,    /* scored as if the value were empty */
    REC_UNKNOWN_IGNORE,     /* scored as all zeros, like training did */
} rec_unknown_t;

/* One input field a record must carry. */
typedef struct rec_field {
    const char *name;         /* the source column's header name */
    ftype_t type;
    const char *format;       /* date/datetime format; NULL = ISO */
    bool nullable;            /* an empty value is accepted (training had
                                 empty values in this column, or the version
                                 records no input profile) */
    const char *const *values;/* allowed values (a one-hot's vocabulary
                                 with unknown: reject), else NULL */
    size_t nvalues;
    rec_unknown_t unknown;
    const char *role;         /* "entity", "time" or "value" */
} rec_field_t;

/* Compile p's features for a model reading features[0..nfeatures) in that
 * order.  state is the manifest's learned feature state (one-hot
 * vocabularies by feature name; may be NULL when there are no one-hots);
 * inputs is the manifest's input profile ({"column": {"nulls": N}, ...};
 * NULL: every field nullable).  sources holds the loaded tables of p's
 * secondary sources for joins (sources[i] for p->sources[i], i >= 1;
 * sources[0] is ignored; may be NULL when p has no joins).  The plan
 * copies what it needs from them.  A model feature the spec cannot make is
 * an error naming it. */
int rec_plan_new(const project_t *p, const json_t *state,
                 const json_t *inputs, const char *const *features,
                 size_t nfeatures, table_t *const *sources, rec_plan_t **out,
                 ferr_t *e);
void rec_plan_free(rec_plan_t *pl);

size_t rec_plan_nfields(const rec_plan_t *pl);
const rec_field_t *rec_plan_field(const rec_plan_t *pl, size_t i);
/* Index of the field named name, or -1. */
int rec_plan_field_index(const rec_plan_t *pl, const char *name);
size_t rec_plan_nfeatures(const rec_plan_t *pl);
/* True when some kept feature is a window (records need history). */
bool rec_plan_needs_history(const rec_plan_t *pl);
/* The column windows partition by (NULL: one series), when they do. */
const char *rec_plan_history_by(const rec_plan_t *pl);
/* Names of the history columns the windows read, as `features build`
 * stores them (time and value columns of every window). */
size_t rec_plan_history_columns(const rec_plan_t *pl, const char ***names);

/* A scoring context for one thread.  online_path: the store holding the
 * history (NULL when the plan needs none; opened lazily). */
int rec_ctx_new(const rec_plan_t *pl, const char *online_path,
                rec_ctx_t **out, ferr_t *e);
void rec_ctx_free(rec_ctx_t *cx);

/* Featurize one record.  vals[i] is the text of field i (vals[i].p NULL:
 * the record has no such field).  The model row x gets rec_plan_nfeatures
 * values converted exactly as the training matrix converts a feature table
 * (float; NaN: missing).  On a rejection, e says which field, which value
 * and why, its location (e->where) is the field's name when the reason is
 * one field's (rec_bad_field), and x is unspecified. */
int rec_eval(rec_ctx_t *cx, const str_t *vals, float *x, ferr_t *e);
/* x may be NULL: the features only (rec_ctx_column, rec_feature_value). */

/* The entity key as the history stores it: INT as decimal text, STRING
 * and CATEGORY as is; "" for a NULL column (windows over one series).
 * false for a null or otherwise typed value. */
bool rec_key_text(const column_t *c, size_t row, buf_t *out);

/* After a successful rec_eval: model input j as the working row holds it
 * (before the model's float conversion; NaN for null). */
bool rec_feature_value(const rec_ctx_t *cx, size_t j, double *v);

/* Score like `features build` reads: a field the record lacks is empty,
 * only the entity and time must not be (unless null_keys: keep), an
 * unknown category is all zeros, and a time that does not match the
 * field's format may be ISO (`features show`, `features push`). */
void rec_ctx_set_lenient(rec_ctx_t *cx, bool on);

/* After a successful rec_eval: the working row's column (borrowed until
 * the next rec_eval), or NULL. */
const column_t *rec_ctx_column(const rec_ctx_t *cx, const char *name);

/* After a successful rec_eval of an event: make it part of its entity's
 * history for the records this context scores next (`features push`
 * scores a file of events in order).  FERR_EXISTS: an event equal to it
 * in every history column is already there (pushed before); FERR_RANGE:
 * it is older than the entity's latest event (history only grows at the
 * end).  Nothing to do when the plan has no window. */
int rec_ctx_append(rec_ctx_t *cx, ferr_t *e);
/* The events appended so far: a key column then the history columns
 * (online_history_in_t's layout), or NULL. */
const table_t *rec_ctx_appended(rec_ctx_t *cx);

/* After a rejected rec_eval: the field it names (an index of
 * rec_plan_field), or -1 when the reason is not one field's. */
int rec_bad_field(const rec_ctx_t *cx);

/* After a successful rec_eval: the record's value of the named column of
 * the working row (a feature, a source column) appended to out as text
 * ("" for null); false if the plan does not compute it. */
bool rec_value_text(rec_ctx_t *cx, const char *name, buf_t *out);

#endif

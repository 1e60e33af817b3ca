/*
 * predictor.h - a servable model version: features + model, loaded once.
 *
 * Its own floor (src/scoring), above features, registry, train and the
 * tree evaluator it combines, so src/predict stays a leaf that training
 * and the registry can include without pulling in the pipeline.
 *
 * A predictor is what the server holds per route and what `ferry predict`
 * uses: the registry version's model compiled for evaluation (tree_model_t
 * for XGBoost, the linear model otherwise), its feature list in model
 * order, the learned feature state (one-hot vocabularies) from the
 * manifest, and the decision threshold.  Raw records go through the
 * feature pipeline (feat_run in APPLY mode) of the spec the version was
 * trained with: the manifest's spec_yaml with its spec_sets applied, not
 * whatever the project file says today.  So a record sent to the server is
 * featurized by exactly the definitions that built the training table, and
 * editing ferry.yaml cannot skew a deployed version.  Versions that record
 * no spec (models imported from elsewhere) use the project passed in.
 *
 * Ownership: immutable after load and reference-counted (atomics), so a
 * server can swap in a newly promoted version while requests still hold
 * the old one: predictor_ref() per request, predictor_unref() when done.
 * A route keeps its current version in a refslot (base/refslot.h), whose
 * get/set make that hand-over safe between threads (test_hot_swap in
 * tests/unit/predict runs it under ASan with tree models).
 * The project passed to predictor_load (its directory resolves the
 * frozen spec's relative paths) must outlive the predictor.
 */
#ifndef FERRY_PREDICTOR_H
#define FERRY_PREDICTOR_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "data/table.h"
#include "project/project.h"

typedef struct predictor predictor_t;

/* Load NAME@REF (REF: a version number, "latest" or an alias) from the
 * registry in dir.  sets (may be NULL) are this invocation's --set
 * overrides, applied on top of the frozen spec after its own spec_sets
 * (an explicit per-run choice, such as an error budget, wins). */
int predictor_load(const char *registry_dir, const char *name,
                   const char *ref, const project_t *p,
                   const char *const *sets, size_t nsets, predictor_t **out,
                   ferr_t *e);
predictor_t *predictor_ref(predictor_t *pr);
void predictor_unref(predictor_t *pr);

int predictor_version(const predictor_t *pr);
/* The spec raw records go through: the frozen one, or the caller's. */
const project_t *predictor_project(const predictor_t *pr);
double predictor_threshold(const predictor_t *pr);
const char *predictor_objective(const predictor_t *pr);
size_t predictor_num_features(const predictor_t *pr);
const char *predictor_feature(const predictor_t *pr, size_t i);

/* Score a table of FEATURES (columns named like the model's features):
 * out has t->nrows entries (probability or value). */
int predictor_score_features(const predictor_t *pr, const table_t *t,
                             double *out, ferr_t *e);
/* Score RAW source records: predictor_project()'s pipeline runs on
 * `sources` (sources[0] the primary, read with that project's source
 * definitions, as feat_read_sources gives them), then the model.  *features (if not NULL) receives the feature table. */
int predictor_score_raw(const predictor_t *pr, table_t *const *sources,
                        double *out, table_t **features, ferr_t *e);

/* ---- one raw record at a time (features/record.h) --------------------
 * The version's scoring plan, compiled at load: the required input fields
 * (rec_plan_field), validation and history-aware windows. */
#include "features/record.h"
const rec_plan_t *predictor_plan(const predictor_t *pr);
/* A per-thread context for predictor_score_record; online_path NULL: the
 * project's online store when the plan needs history. */
int predictor_ctx_new(const predictor_t *pr, const char *online_path,
                      rec_ctx_t **out, ferr_t *e);
/* Score one record: vals[i] is the text of plan field i (.p NULL:
 * absent).  *score gets the probability or value.  A rejected record
 * returns its error (rec_eval) and leaves *score alone. */
int predictor_score_record(const predictor_t *pr, rec_ctx_t *cx,
                           const str_t *vals, double *score, ferr_t *e);

/* What a record must carry, for `ferry models show` and the server's
 * OpenAPI document: {"fields": [{"name", "type", "role", "nullable",
 * "format"?, "values"?, "unknown"?}], "history"?: {"by", "columns"}}, or
 * {"error": why, "fields": []} when the version cannot score a record. */
json_t *predictor_inputs_json(const predictor_t *pr);

#endif

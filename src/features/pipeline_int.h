/*
 * pipeline_int.h - pipeline internals shared with the SQL assembly, so a
 * window spec or an output column list is derived in exactly one place.
 */
#ifndef FERRY_PIPELINE_INT_H
#define FERRY_PIPELINE_INT_H

#include "features/pipeline.h"
#include "features/window.h"

/* The win_spec_t of a window feature over the columns of t. */
int feat_window_spec(const table_t *t, const proj_feature_t *f, win_spec_t *w,
                     ferr_t *e);

/* Output columns of the feature table over the columns of t: carry,
 * kept features (one-hot: their expansions), label; each once.  *names and
 * *roles ("carry", "feature", "label") are malloc'd arrays of borrowed
 * strings; returns their length. */
size_t feat_output_names(const project_t *p, const table_t *t,
                         const char ***names, const char ***roles);

/* Put c into t, replacing a column of the same name (position kept). */
void feat_put_column(table_t *t, column_t *c);

/* Run join j of p onto t (sources[i] the table of p->sources[i]). */
int feat_run_join(const project_t *p, table_t *t, table_t *const *sources,
                  const proj_join_t *j, ferr_t *e);

/* One-hot f's vocabulary when applying: the spec's own list, else the
 * learned one in vocabularies (a feature schema's), by feature name. */
struct onehot;
int feat_onehot_vocab(const proj_feature_t *f, const json_t *vocabularies,
                      struct onehot **out, ferr_t *e);

#endif

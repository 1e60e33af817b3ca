/*
 * tree.h - ferry's compiled tree-ensemble predictor.
 *
 * Loads a gradient-boosted tree ensemble from XGBoost's JSON model format
 * (what XGBoosterSaveModel writes for "*.json", version 1.x) into a flat,
 * immutable, cache-friendly form and evaluates it on dense float rows.  The
 * numbers are those of XGBoost 1.7.4's XGBoosterPredictFromDense: leaf values
 * are summed in float, in tree order, starting from base_score turned into a
 * margin by the objective, and the objective's transform (sigmoid, exp, ...)
 * is applied in float.  NaN in an input row means "missing" and follows the
 * split's default direction.
 *
 * Ownership: tree_model_load_* returns a model with one reference.  The model
 * never changes after load, so any number of threads may predict with it at
 * once; the server takes a reference per request (tree_model_ref) and drops
 * it when done (tree_model_unref), so swapping in a new model never frees one
 * that a request still uses.  Strings returned by accessors live as long as
 * the model.
 *
 * Supported: booster "gbtree" with one output (binary:logistic, reg:logistic,
 * binary:logitraw, binary:hinge, reg:squarederror, reg:squaredlogerror,
 * reg:pseudohubererror, reg:absoluteerror, count:poisson, reg:gamma,
 * reg:tweedie), numerical splits with default directions.  Anything else
 * (dart, multi-class, multi-target, categorical splits) is a FERR_UNSUPPORTED
 * error naming the JSON path, never a silently wrong prediction.
 */
#ifndef FERRY_PREDICT_TREE_H
#define FERRY_PREDICT_TREE_H

#include <stddef.h>

#include "base/err.h"

typedef struct tree_model tree_model_t;

/* Largest model file tree_model_load_file reads. */
#define TREE_MODEL_MAX_BYTES ((size_t)1 << 30)

/* Parse n bytes of XGBoost JSON.  On success *out holds one reference. */
int tree_model_load_json(const char *json, size_t n, tree_model_t **out,
                         ferr_t *e);
/* Read and parse a model file (error messages are prefixed with the path). */
int tree_model_load_file(const char *path, tree_model_t **out, ferr_t *e);

/* Take another reference (returns m).  Thread-safe. */
tree_model_t *tree_model_ref(tree_model_t *m);
/* Drop a reference; the last one frees the model.  NULL is a no-op. */
void tree_model_unref(tree_model_t *m);

/* Row width every predict call expects (learner_model_param.num_feature). */
size_t tree_model_num_features(const tree_model_t *m);
size_t tree_model_num_trees(const tree_model_t *m);
/* Deepest root-to-leaf path over all trees (0 when every tree is a leaf). */
int tree_model_max_depth(const tree_model_t *m);
/* "binary:logistic", ... */
const char *tree_model_objective(const tree_model_t *m);
/* base_score as stored (probability space for logistic objectives) and the
 * margin every prediction starts from. */
double tree_model_base_score(const tree_model_t *m);
double tree_model_base_margin(const tree_model_t *m);
/* learner.feature_names / feature_types when the model has them, else NULL
 * (also NULL for i >= num_features). */
const char *tree_model_feature_name(const tree_model_t *m, size_t i);
const char *tree_model_feature_type(const tree_model_t *m, size_t i);
/* Index of a named feature, or -1. */
long tree_model_feature_index(const tree_model_t *m, const char *name);
/* The n names a row is built from (a manifest's features, in order) fit the
 * model: n is its num_feature, and no name the model itself has sits at
 * another index (a shifted list; renaming is allowed).  FERR_CORRUPT naming
 * the JSON path ($.features[i]) otherwise. */
int tree_model_check_features(const tree_model_t *m, const char *const *names,
                              size_t n, ferr_t *e);

/* One row of tree_model_num_features floats (NaN = missing).  The output is
 * XGBoost's float result widened to double: the probability for logistic
 * objectives, the value for regression. */
double tree_predict_row(const tree_model_t *m, const float *x);
/* The same before the objective's transform (XGBoost's output_margin). */
double tree_predict_margin(const tree_model_t *m, const float *x);

/* Output of the batch calls. */
typedef enum {
    TREE_OUT_VALUE = 0, /* transformed, as tree_predict_row */
    TREE_OUT_MARGIN = 1 /* raw margin, as tree_predict_margin */
} tree_output_t;

/* nrows rows, row r at X + r * row_stride (row_stride >= num_features, in
 * floats), results in out[0..nrows).  nthreads <= 0 uses every online core;
 * small batches run on the calling thread (a thread that cannot be started
 * leaves its share to the caller's thread).  Returns 0, or FERR_USAGE for a
 * row_stride below num_features. */
int tree_predict_batch(const tree_model_t *m, const float *X, size_t nrows,
                       size_t row_stride, double *out, int nthreads);
int tree_predict_batch_ex(const tree_model_t *m, const float *X, size_t nrows,
                          size_t row_stride, tree_output_t what, double *out,
                          int nthreads, ferr_t *e);

#endif

/*
 * train.h - model training: features table -> trained model + evaluation.
 *
 * train_run is the whole `ferry train` step after the features exist: it
 * turns the feature columns of a table_t into a dense float matrix, splits
 * the rows (split.h), optionally searches a parameter space with k-fold CV
 * on both cores, fits the final model (XGBoost through its C API, or a
 * linear baseline from linear.h), evaluates it on every part with the
 * scikit-learn-compatible metrics of metrics.h, and returns the model bytes
 * plus everything the registry stores next to them (effective params,
 * metrics, threshold, importances, timings, search table).
 *
 * Determinism: the same table, config and seed give byte-identical model
 * bytes.  Every random choice (splits, folds, random search, XGBoost's
 * subsampling) is derived from train_config_t.seed, and XGBoost runs with a
 * fixed nthread (the result of `hist` does not depend on it, but we pin it
 * anyway so nothing has to be taken on faith).
 *
 * The config structs below are plain C; each field names the ferry.yaml key
 * the CLI maps into it.  String pointers are borrowed for the duration of
 * the call.  Ownership of results: train_result_t owns everything it points
 * to; release it with train_result_free.
 */
#ifndef FERRY_TRAIN_TRAIN_H
#define FERRY_TRAIN_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "data/table.h"
#include "train/linear.h"
#include "train/split.h"

/* The most threads one training run uses, whatever it asks for (the key
 * table refuses more in ferry.yaml; library callers are clamped). */
#define TRAIN_MAX_THREADS 1024

/* ---- the dense matrix -------------------------------------------------- */

typedef struct train_matrix {
    size_t nrows, nfeat;
    float *x;     /* nrows x nfeat, row-major, NaN = missing (owned) */
    double *y;    /* nrows labels (owned; NULL if built without a label) */
    char **names; /* nfeat feature names (owned) */
} train_matrix_t;

/* Build the matrix from t: each named feature must be INT, FLOAT, BOOL,
 * DATE (days) or DATETIME (seconds); nulls become NaN.  CATEGORY and STRING
 * are an error naming the column (the features stage one-hot encodes
 * categories).  label NULL: no labels (prediction); otherwise it must exist,
 * be numeric or bool and have no nulls.  Errors: FERR_NOTFOUND (column),
 * FERR_TYPE (wrong type), FERR_RANGE (null labels, no rows). */
int train_matrix_from_table(const table_t *t, const char *const *features,
                            size_t nfeat, const char *label,
                            train_matrix_t *out, ferr_t *e);
/* Copy rows[0..n) of m into out (names copied). */
void train_matrix_take(const train_matrix_t *m, const size_t *rows, size_t n,
                       train_matrix_t *out);
void train_matrix_free(train_matrix_t *m);

/* ---- configuration ------------------------------------------------------ */

/* YAML model.type, enum, doc */
#define TRAIN_MODEL_TABLE(X)                                                  \
    X("xgboost",  TRAIN_XGBOOST,  "gradient-boosted trees (XGBoost C API)")   \
    X("ridge",    TRAIN_RIDGE,    "ridge regression baseline (linear.h)")     \
    X("logistic", TRAIN_LOGISTIC, "L2 logistic regression baseline (linear.h)")

typedef enum {
#define TRAIN_MODEL_ENUM_(name, e, doc) e,
    TRAIN_MODEL_TABLE(TRAIN_MODEL_ENUM_)
#undef TRAIN_MODEL_ENUM_
} train_model_kind_t;

int train_model_kind_parse(const char *name); /* -1 if unknown */
const char *train_model_kind_name(train_model_kind_t k);

/* One key/value of a pass-through map (model.params, a search override). */
typedef struct train_param {
    const char *key;
    const char *value;
} train_param_t;

/* One search dimension: search.space.<key>: [values...] */
typedef struct train_search_dim {
    const char *key;
    const char *const *values;
    size_t nvalues;
} train_search_dim_t;

typedef enum { TRAIN_SEARCH_NONE, TRAIN_SEARCH_GRID, TRAIN_SEARCH_RANDOM }
    train_search_method_t;

typedef struct train_search {
    train_search_method_t method;   /* search.method: none|grid|random */
    const train_search_dim_t *dims; /* search.space */
    size_t ndims;
    int n_iter;        /* search.n_iter: random configs (default 10) */
    unsigned folds;    /* search.folds (default 3) */
    const char *cv;    /* search.cv: auto|plain|stratified|group
                          (auto: group if split.group_column is set, else
                          stratified for classification, else plain) */
    int threads;       /* search.threads: parallel fits (0: all cores) */
} train_search_t;

typedef struct train_config {
    /* data */
    const char *label;              /* label */
    const char *const *features;    /* model.features (NULL: every column but
                                       the label, split columns, exclude) */
    size_t nfeatures;
    const char *const *exclude;     /* model.exclude (ids, timestamps) */
    size_t nexclude;
    /* model */
    train_model_kind_t model;       /* model.type (default xgboost) */
    const char *objective;          /* model.objective: binary:logistic |
                                       reg:squarederror (default
                                       binary:logistic; linear: from type) */
    const train_param_t *params;    /* model.params: booster params passed
                                       verbatim (max_depth, eta, subsample,
                                       colsample_bytree, min_child_weight,
                                       lambda, alpha, gamma, max_bin, ...);
                                       scale_pos_weight: auto = neg/pos of
                                       the training part.  Keys num_rounds
                                       and early_stopping_rounds are also
                                       accepted here and in the search. */
    size_t nparams;
    int num_rounds;                 /* model.num_rounds (default 100) */
    int early_stopping_rounds;      /* model.early_stopping_rounds (0: off;
                                       needs a valid part) */
    const char *eval_metric;        /* model.eval_metric: XGBoost metric for
                                       early stopping (default auc / rmse) */
    int nthread;                    /* model.threads (0: all cores; at
                                       most TRAIN_MAX_THREADS are used) */
    linear_config_t linear;         /* model.alpha, model.C, model.standardize,
                                       model.interactions, model.k_best,
                                       model.max_iter (ridge / logistic) */
    /* rows */
    split_config_t split;           /* split.*; its seed is ignored:
                                       train_config_t.seed is used */
    uint64_t seed;                  /* model.seed (default 42) */
    /* evaluation */
    const char *metric;             /* model.metric: metrics.h name used to
                                       rank search configs (default auc /
                                       rmse) */
    const char *threshold;          /* model.threshold: a number or "f1" (the
                                       F1-maximizing score on valid, else on
                                       train); default 0.5 */
    train_search_t search;          /* search.* */
    bool quiet;                     /* no progress output (--quiet) */
} train_config_t;

/* Defaults above (model xgboost, binary:logistic, 100 rounds, seed 42,
 * random split 0.2 test, 3-fold search when a space is given). */
void train_config_default(train_config_t *cfg);

/* ---- result ------------------------------------------------------------- */

typedef struct train_result {
    char *model;             /* model bytes: XGBoost JSON or ferry-linear JSON */
    size_t model_len;
    const char *kind;        /* "xgboost" | "ridge" | "logistic" (static) */
    char *objective;         /* "binary:logistic" | "reg:squarederror" */
    json_t *params;          /* effective params, incl. search winner */
    json_t *metrics;         /* {"train": {...}, "valid": {...}, "test": {...}} */
    double threshold;        /* decision threshold (classification) */
    json_t *importance;      /* {"gain": {f: v}, "weight": {f: v}} (xgboost)
                                or {"coef": {f: v}} (linear) */
    char **feature_names;    /* nfeatures, in matrix column order */
    size_t nfeatures;
    uint64_t seed;
    json_t *durations;       /* seconds: matrix, split, search, fit,
                                evaluate, total */
    size_t rows[SPLIT_NPARTS];
    int rounds;              /* trees kept (after early stopping); 0 linear */
    int best_iteration;      /* early stopping's best round, -1 if unused */
    json_t *search;          /* NULL without search; else {"metric", "folds",
                                "cv", "results": [{"params", "mean", "std",
                                "folds": [...]}], "best": index} */
} train_result_t;

/* The checks train_run makes before reading any row (label set, metric
 * known and fitting the objective, objective supported): `ferry validate`
 * makes them without data. */
int train_config_check(const train_config_t *cfg, ferr_t *e);

/* Train from t.  On error res is left empty (nothing to free, but
 * train_result_free is harmless). */
int train_run(const table_t *t, const train_config_t *cfg, train_result_t *res,
              ferr_t *e);
void train_result_free(train_result_t *res);

/* Predict with model bytes produced by train_run (XGBoost JSON or
 * ferry-linear JSON) on m's rows: probabilities for binary:logistic, values
 * for regression.  out has m->nrows entries.  For evaluation and tests; the
 * server uses the compiled predictor. */
int train_predict_bytes(const char *kind, const char *model, size_t len,
                        const train_matrix_t *m, int nthread, double *out,
                        ferr_t *e);

#endif

/*
 * metrics.h - evaluation metrics with scikit-learn 1.2's exact definitions.
 *
 * One table (METRIC_TABLE) maps a metric name to its function, whether higher
 * is better and whether it reads scores or thresholded classes, so the YAML
 * key `train.metric`, the docs and the search code all read the same list and
 * adding a metric is one line.  Every function takes true labels y (0/1 for
 * classification, real values for regression) and predictions s
 * (probabilities/scores for classification, values for regression) of length
 * n; classification metrics that need classes predict 1 when s >= threshold.
 * A metric that is undefined on the input (AUC with one class) returns NaN.
 * Nothing here allocates except the ranking metrics (a sorted index).
 */
#ifndef FERRY_TRAIN_METRICS_H
#define FERRY_TRAIN_METRICS_H

#include <stdbool.h>
#include <stddef.h>

typedef double (*metric_fn)(const double *y, const double *s, size_t n,
                            double threshold);

typedef enum { METRIC_CLASSIFICATION, METRIC_REGRESSION } metric_kind_t;

/* name, function, higher is better, kind, doc */
#define METRIC_TABLE(X)                                                        \
    X("auc",       metric_roc_auc,   true,  METRIC_CLASSIFICATION,             \
      "ROC AUC (sklearn roc_auc_score; ties count half)")                     \
    X("aucpr",     metric_avg_prec,  true,  METRIC_CLASSIFICATION,             \
      "average precision (sklearn average_precision_score, step-wise)")       \
    X("logloss",   metric_log_loss,  false, METRIC_CLASSIFICATION,             \
      "log loss (sklearn log_loss, eps = float64 machine epsilon)")           \
    X("accuracy",  metric_accuracy,  true,  METRIC_CLASSIFICATION,             \
      "fraction of correct classes at the threshold")                         \
    X("precision", metric_precision, true,  METRIC_CLASSIFICATION,             \
      "precision of class 1 at the threshold (zero_division=0)")              \
    X("recall",    metric_recall,    true,  METRIC_CLASSIFICATION,             \
      "recall of class 1 at the threshold (zero_division=0)")                 \
    X("f1",        metric_f1,        true,  METRIC_CLASSIFICATION,             \
      "F1 of class 1 at the threshold (zero_division=0)")                     \
    X("rmse",      metric_rmse,      false, METRIC_REGRESSION,                 \
      "root mean squared error")                                              \
    X("mae",       metric_mae,       false, METRIC_REGRESSION,                 \
      "mean absolute error")                                                  \
    X("r2",        metric_r2,        true,  METRIC_REGRESSION,                 \
      "coefficient of determination (sklearn r2_score)")                      \
    X("mape",      metric_mape,      false, METRIC_REGRESSION,                 \
      "mean absolute percentage error (sklearn, |y| floored at float64 eps)")

#define METRIC_DECL_(name, fn, hib, kind, doc)                                 \
    double fn(const double *y, const double *s, size_t n, double threshold);
METRIC_TABLE(METRIC_DECL_)
#undef METRIC_DECL_

typedef struct metric_def {
    const char *name;
    metric_fn fn;
    bool higher_is_better;
    metric_kind_t kind;
    const char *doc;
} metric_def_t;

/* The whole table, terminated by a {NULL} entry. */
extern const metric_def_t metric_defs[];
/* Look a metric up by name; NULL if unknown. */
const metric_def_t *metric_find(const char *name);
/* true if a is strictly better than b under def's direction (NaN loses). */
bool metric_better(const metric_def_t *def, double a, double b);

/* Per-class scores at a threshold, sklearn precision_recall_fscore_support
 * with zero_division=0: index 0 is class 0, index 1 is class 1. */
typedef struct metric_prf {
    double precision[2], recall[2], f1[2];
    size_t support[2];
} metric_prf_t;
void metric_prf(const double *y, const double *s, size_t n, double threshold,
                metric_prf_t *out);

/* Confusion matrix at a threshold: cm[true][pred] (sklearn's layout:
 * [[tn, fp], [fn, tp]]). */
void metric_confusion(const double *y, const double *s, size_t n,
                      double threshold, size_t cm[2][2]);

/* The threshold that maximizes F1 of class 1 (over the distinct scores, as
 * sklearn's precision_recall_curve thresholds; the highest one wins ties).
 * Returns 0.5 when there is no positive. */
double metric_best_f1_threshold(const double *y, const double *s, size_t n);

#endif

/*
 * linear.h - linear baselines: ridge regression and L2 logistic regression.
 *
 * The model is a small fixed pipeline with scikit-learn's semantics, step by
 * step, so coefficients can be checked against sklearn:
 *   1. missing inputs (NaN) are replaced by the training mean of the column
 *      (sklearn would refuse them; tests use complete data);
 *   2. optional degree-2 interactions, PolynomialFeatures(degree=2,
 *      interaction_only=True, include_bias=False) order: x0..xp-1, then
 *      x0*x1, x0*x2, ..., x1*x2, ...;
 *   3. optional standardization, StandardScaler (population std; a constant
 *      column keeps scale 1);
 *   4. optional SelectKBest(k) with f_regression (ridge) or f_classif
 *      (logistic), sklearn's tie-break (later columns win ties);
 *   5. Ridge(alpha) (exact Cholesky solve on centered data) or
 *      LogisticRegression(C, penalty l2, intercept not penalized), solved by
 *      Newton's method to the exact optimum lbfgs approaches.
 * A model serialises to JSON (format "ferry-linear", version 1) so the
 * registry can store it and the server can load it without this code's
 * training half.
 *
 * Ownership: linear_fit and linear_from_json fill a caller-owned
 * linear_model_t; release its arrays with linear_free.
 */
#ifndef FERRY_TRAIN_LINEAR_H
#define FERRY_TRAIN_LINEAR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

typedef enum { LINEAR_RIDGE, LINEAR_LOGISTIC } linear_kind_t;

typedef struct linear_config {
    linear_kind_t kind; /* model.type: ridge | logistic */
    double alpha;       /* model.alpha: ridge L2 strength (default 1.0) */
    double C;           /* model.C: logistic inverse L2 strength (default 1.0) */
    bool standardize;   /* model.standardize (default true) */
    bool interactions;  /* model.interactions: degree-2 products (default false) */
    size_t k_best;      /* model.k_best: keep the k best columns (0: all) */
    int max_iter;       /* model.max_iter: Newton steps (default 100) */
    double tol;         /* model.tol: step size to stop at (default 1e-12) */
} linear_config_t;

/* Fill cfg with the defaults above for kind. */
void linear_config_default(linear_config_t *cfg, linear_kind_t kind);

typedef struct linear_model {
    linear_kind_t kind;
    size_t nin;         /* input features */
    char **names;       /* nin input names (owned) */
    double *impute;     /* nin training means used for NaN */
    bool interactions;
    size_t nexp;        /* columns after the interaction step */
    double *mean;       /* nexp: standardization (0 when off) */
    double *scale;      /* nexp: (1 when off) */
    size_t nsel;        /* columns the model uses */
    size_t *sel;        /* nsel indexes into the nexp columns, ascending */
    double *coef;       /* nsel coefficients on standardized columns */
    double intercept;
    double *fscore;     /* nexp univariate F scores (NULL if k_best unused) */
    int iterations;     /* Newton steps taken (logistic) */
} linear_model_t;

/* Fit on a dense row-major float matrix x (n x p, NaN = missing) and y
 * (0/1 for logistic).  names: p feature names (copied).  Errors: n == 0,
 * a logistic label outside {0, 1} or with one class, a singular system. */
int linear_fit(const float *x, const double *y, size_t n, size_t p,
               const char *const *names, const linear_config_t *cfg,
               linear_model_t *out, ferr_t *e);

/* Predict n rows of x (n x m->nin): values for ridge, P(y=1) for logistic. */
void linear_predict(const linear_model_t *m, const float *x, size_t n,
                    double *out);

/* JSON text of the model (malloc'ed, NUL-terminated; *len without the NUL). */
char *linear_to_json(const linear_model_t *m, size_t *len);
/* Parse what linear_to_json wrote.  FERR_PARSE / FERR_CORRUPT with the
 * offending field named. */
int linear_from_json(const char *s, size_t len, linear_model_t *out, ferr_t *e);

void linear_free(linear_model_t *m);

/* Univariate scores as sklearn's f_regression (classification false) or
 * f_classif (true) over the columns of a dense row-major double matrix
 * (n x p); out gets p scores (NaN for a constant column). */
void linear_f_scores(const double *x, const double *y, size_t n, size_t p,
                     bool classification, double *out);

#endif

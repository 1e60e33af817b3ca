/*
 * profile.h - the training profile and feature schema of a model version.
 *
 * At registration time ferry records how every feature looked in the
 * training data, so the monitor can later measure drift of live traffic
 * against it (PSI over the same bins, chi-square over the same categories)
 * and the server can reject values outside the training domain.
 *
 * Numeric features (int, float, date, datetime) get count, nulls,
 * nonfinite, min, max, mean, std (population), the 11 deciles q0..q100
 * (numpy's default linear interpolation), and histogram bins: `edges` are
 * the distinct interior deciles e0 < e1 < ... < ek-1 and `counts` has k + 1
 * entries, bin i holding values v with e(i-1) < v <= e(i) (the first bin
 * is unbounded below, the last unbounded above).  Categorical features
 * (category, string, bool) get count, nulls and `categories` {value:
 * count}, keeping the PROFILE_MAX_CATEGORIES most frequent and folding the
 * rest into `other`.
 *
 * Both functions return a new json_t the caller decrefs.  cols == NULL
 * means every column of t.
 */
#ifndef FERRY_PROFILE_H
#define FERRY_PROFILE_H

#include <jansson.h>
#include <stddef.h>

#include "base/err.h"
#include "data/table.h"

#define PROFILE_MAX_CATEGORIES 1000

/* {column: profile} for the named columns. */
int profile_compute(const table_t *t, const char *const *cols, size_t n,
                    json_t **out, ferr_t *e);

/* The manifest's feature schema: [{name, type, categories?, min?, max?}]
 * (categories: a CATEGORY column's whole vocabulary, in code order; min and
 * max: the finite range seen, for numeric columns). */
int profile_schema(const table_t *t, const char *const *cols, size_t n,
                   json_t **out, ferr_t *e);

#endif

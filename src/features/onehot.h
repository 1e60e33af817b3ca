/*
 * onehot.h - one-hot encoding of categorical columns.
 *
 * A vocabulary is the ordered list of values that get their own 0/1
 * column.  It is learned from training data (most frequent first, ties by
 * byte order, with an optional minimum count and maximum size) or given by
 * the user, stored with the model as a JSON array, and applied identically
 * to the offline table and to a one-row table in the server.  Output
 * columns are named "<col>=<value>".  A null input row is all zeros; a value
 * outside the vocabulary is all zeros, or an error naming the column, row
 * and value when strict (the server turns that into a 400).
 *
 * Ownership: onehot_t is created by onehot_learn / onehot_from_list /
 * onehot_from_json and freed by onehot_free; onehot_apply adds new columns
 * to a table the caller owns.
 */
#ifndef FERRY_ONEHOT_H
#define FERRY_ONEHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "data/dict.h"
#include "data/table.h"

typedef struct onehot {
    size_t n;      /* vocabulary size */
    dict_t *vocab; /* value -> output position 0..n-1 (codes are positions) */
} onehot_t;

typedef struct onehot_opts {
    size_t min_count;      /* keep values seen at least this often (0 or 1: all) */
    size_t max_categories; /* keep at most this many (0: no limit) */
} onehot_opts_t;

/* Learn from a CATEGORY, STRING or INT column (INT values as decimal
 * text).  Nulls are not counted.  opts may be NULL. */
int onehot_learn(const column_t *c, const onehot_opts_t *opts, onehot_t **out,
                 ferr_t *e);
/* A given vocabulary, in the given order; duplicates are FERR_EXISTS. */
int onehot_from_list(const char *const *values, size_t n, onehot_t **out,
                     ferr_t *e);
/* Value i of the vocabulary (borrowed). */
str_t onehot_value(const onehot_t *v, size_t i);

/* The text row i of c (CATEGORY, STRING or INT, not null) is looked up
 * by in a vocabulary: INT values in decimal, written into tmp. */
str_t onehot_key(const column_t *c, size_t i, char *tmp, size_t n);

/* Append one column per vocabulary value to dst, named "<c->name>=<value>",
 * of out_type FT_INT or FT_BOOL, with c->n rows (dst's row count must
 * match, see table_add). */
int onehot_apply(const onehot_t *v, const column_t *c, bool strict,
                 ftype_t out_type, table_t *dst, ferr_t *e);

/* JSON array of strings: ["Y", "N"].  *out is malloc'd. */
int onehot_to_json(const onehot_t *v, char **out, ferr_t *e);
int onehot_from_json(const char *json, onehot_t **out, ferr_t *e);

void onehot_free(onehot_t *v);

#endif

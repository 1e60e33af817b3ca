/*
 * split.h - seeded, reproducible train/valid/test splits and k-fold CV.
 *
 * A split assigns every row of a table to one part (train, valid, test).
 * Four methods, all deterministic for a given seed and input:
 *   random      shuffled rows, fractions rounded to whole rows
 *   stratified  the same per label class, so every part keeps the class
 *               ratio (what a 1.5% positive rate needs)
 *   time        rows at or after a cutoff on a time column go to test (and a
 *               second cutoff before it to valid); without cutoffs, the last
 *               test_fraction (then valid_fraction) of time.  Rows sharing a
 *               timestamp always stay on the same side.
 *   group       unique values of an entity column are shuffled and whole
 *               groups fill test, then valid: no entity on both sides.
 * K-fold iterators (plain, stratified, grouped) assign a fold number to each
 * row of a subset, for cross-validation in the search.
 *
 * Ownership: split_make fills a caller-owned split_t whose `part` array is
 * malloc'ed; free it with split_free.
 */
#ifndef FERRY_TRAIN_SPLIT_H
#define FERRY_TRAIN_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "data/table.h"

enum { SPLIT_TRAIN = 0, SPLIT_VALID = 1, SPLIT_TEST = 2, SPLIT_NPARTS = 3 };

/* YAML `split.method` value, enum, doc. */
#define SPLIT_METHOD_TABLE(X)                                                  \
    X("random",     SPLIT_RANDOM,     "shuffled rows")                         \
    X("stratified", SPLIT_STRATIFIED, "shuffled rows per label class")        \
    X("time",       SPLIT_TIME,       "by a time column (cutoff or last fraction)") \
    X("group",      SPLIT_GROUP,      "whole entities (group_column) per part")

typedef enum {
#define SPLIT_ENUM_(name, e, doc) e,
    SPLIT_METHOD_TABLE(SPLIT_ENUM_)
#undef SPLIT_ENUM_
} split_method_t;

/* Parse a method name; -1 if unknown. */
int split_method_parse(const char *name);
const char *split_method_name(split_method_t m);
extern const char *const split_part_names[SPLIT_NPARTS]; /* train valid test */

typedef struct split_config {
    split_method_t method;   /* split.method (default random) */
    double valid_fraction;   /* split.valid_fraction (0: no valid) */
    double test_fraction;    /* split.test_fraction (0: no test) */
    const char *time_column; /* split.time_column (method time) */
    const char *test_from;   /* split.test_from: cutoff, "2020-06-01",
                                "2020-06-01 12:00:00" or a number; NULL:
                                last test_fraction of time */
    const char *valid_from;  /* split.valid_from: likewise, < test_from */
    const char *group_column;/* split.group_column (method group) */
    uint64_t seed;           /* model.seed */
} split_config_t;

typedef struct split {
    uint8_t *part;                /* n entries, SPLIT_TRAIN/VALID/TEST */
    size_t n;
    size_t count[SPLIT_NPARTS];
} split_t;

/* Split t's rows.  label (n values, NaN allowed only for non-stratified) is
 * read by the stratified method only.  A part whose fraction is > 0 (or
 * whose cutoff is set) but which receives no row is an error (FERR_RANGE),
 * as is an empty train part. */
int split_make(const table_t *t, const double *label, const split_config_t *cfg,
               split_t *out, ferr_t *e);
void split_free(split_t *s);

/* 64-bit keys identifying each row's group in column c (strings hashed,
 * numbers by value, null is its own group); out has c->n entries. */
void split_group_keys(const column_t *c, uint64_t *out);

/* K-fold CV over n rows.  kind plain ignores label and groups; stratified
 * reads label (0/1 or any discrete values); grouped reads groups and keeps
 * each group in one fold (largest groups first into the lightest fold, like
 * sklearn's GroupKFold, ties in a seeded order).  fold[i] gets 0..k-1. */
typedef enum { SPLIT_KFOLD_PLAIN, SPLIT_KFOLD_STRATIFIED, SPLIT_KFOLD_GROUP }
    split_kfold_kind_t;
int split_kfold(size_t n, unsigned k, split_kfold_kind_t kind,
                const double *label, const uint64_t *groups, uint64_t seed,
                int *fold, ferr_t *e);

/* The seeded generator every shuffle in train/ uses (splitmix64), exposed
 * so tests and the search draw the same streams. */
uint64_t split_rand_next(uint64_t *state);
/* Fisher-Yates shuffle of idx[0..n) with the given state. */
void split_shuffle(size_t *idx, size_t n, uint64_t *state);

#endif

/*
 * fmt.h - the text the stores write a number as: the feature CSV's cells,
 * the online store's JSON, the history keys.  Public so that every other
 * place that prints a value for a user (a scored record's carried
 * columns, a JSON record's fields) prints the same text (store/fmt.c).
 */
#ifndef FERRY_STORE_FMT_H
#define FERRY_STORE_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Room for any value store_fmt_* writes, including the NUL. */
#define STORE_FMT_MAX 48

/* Decimal int64; returns the length (no NUL written). */
size_t store_fmt_i64(int64_t v, char *out);
/* The shortest decimal text that parses back (strtod) to exactly x:
 * "0.1", "1234.5", "3", "1e+300"; "nan", "inf", "-inf".  Returns length. */
size_t store_fmt_f64(double x, char *out);

#endif

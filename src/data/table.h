/*
 * table.h - ferry's typed, in-memory column store.
 *
 * A table_t is an ordered set of equally long columns.  Every subsystem
 * speaks it: the CSV reader produces one, expressions and windows read
 * columns and produce new ones, the stores write them, training reads them,
 * and the server evaluates a single raw record as a one-row table so offline
 * and online features go through exactly the same code.
 *
 * Physical layout by type (one array is set per column):
 *   FT_INT       i64   int64_t
 *   FT_FLOAT     f64   double (a null FLOAT is also NaN in f64)
 *   FT_BOOL      u8    0 or 1
 *   FT_DATE      i64   days since 1970-01-01 (proleptic Gregorian)
 *   FT_DATETIME  i64   seconds since 1970-01-01T00:00:00 (naive, no zone)
 *   FT_STRING    off/data: row i is data[off[i] .. off[i+1])
 *   FT_CATEGORY  code  int32_t index into dict (strings interned)
 * Nulls: `null` is NULL when the column has none, otherwise n bytes with 1
 * marking a null row; the value slot of a null row is 0 (NaN for FLOAT).
 *
 * Ownership: a table owns its columns, a column owns its arrays and dict.
 */
#ifndef FERRY_TABLE_H
#define FERRY_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"
#include "data/dict.h"

/* name, C-visible enum, doc: the single source for type names in the YAML
 * project file, the docs and error messages. */
#define FTYPE_TABLE(X)                                                       \
    X(FT_INT,      "int",      "64-bit signed integer")                       \
    X(FT_FLOAT,    "float",    "double-precision number")                     \
    X(FT_BOOL,     "bool",     "true/false (1/0, yes/no, y/n, t/f accepted)") \
    X(FT_STRING,   "string",   "UTF-8 text")                                  \
    X(FT_CATEGORY, "category", "interned text with a vocabulary")             \
    X(FT_DATE,     "date",     "calendar date (days since 1970-01-01)")       \
    X(FT_DATETIME, "datetime", "date and time to the second, no time zone")

typedef enum {
#define FTYPE_ENUM_(e, name, doc) e,
    FTYPE_TABLE(FTYPE_ENUM_)
#undef FTYPE_ENUM_
    FT_COUNT_
} ftype_t;

const char *ftype_name(ftype_t t);
/* Parse a type name ("int", "datetime", ...); returns -1 if unknown. */
int ftype_parse(str_t name);
/* INT, FLOAT, BOOL, DATE, DATETIME: stored as numbers. */
bool ftype_is_numeric(ftype_t t);

typedef struct column {
    char *name;
    ftype_t type;
    size_t n;       /* rows */
    int64_t *i64;   /* INT, DATE, DATETIME */
    double *f64;    /* FLOAT */
    uint8_t *u8;    /* BOOL */
    int32_t *code;  /* CATEGORY */
    uint64_t *off;  /* STRING: n + 1 offsets */
    char *data;     /* STRING bytes */
    size_t data_len;
    size_t data_cap;
    uint8_t *null;  /* NULL or n bytes, 1 = null */
    dict_t *dict;   /* CATEGORY vocabulary */
} column_t;

typedef struct table {
    size_t nrows;
    size_t ncols;
    column_t **cols;
} table_t;

/* A column of n rows, values zeroed, no nulls.  STRING columns get n + 1
 * zero offsets (all empty strings) and no data; CATEGORY columns get an
 * empty dict. */
column_t *col_new(const char *name, ftype_t type, size_t n);
void col_free(column_t *c);
/* Rename (the column keeps its data). */
void col_rename(column_t *c, const char *name);

static inline bool col_is_null(const column_t *c, size_t i)
{
    return c->null != NULL && c->null[i] != 0;
}
/* Mark row i null (allocating the null map on first use). */
void col_set_null(column_t *c, size_t i);
/* Row i of dst becomes row r of src, null included (same type; STRING
 * and CATEGORY may be mixed).  A STRING dst is filled in row order, so i
 * must be its next row. */
void col_copy_cell(column_t *dst, size_t i, const column_t *src, size_t r);
/* Number of null rows. */
size_t col_null_count(const column_t *c);

/* Text of row i of a STRING or CATEGORY column (borrowed). */
str_t col_str(const column_t *c, size_t i);
/* Numeric value of row i as double: INT/DATE/DATETIME/BOOL/FLOAT; NaN when
 * null or for non-numeric types. */
double col_num(const column_t *c, size_t i);

/* Build a STRING column row by row: strings must be appended in row order
 * 0..n-1. */
void col_str_append(column_t *c, size_t i, const char *p, size_t len);

/* Deep copy, optionally renamed (NULL keeps the name). */
column_t *col_clone(const column_t *c, const char *name);

table_t *table_new(void);
void table_free(table_t *t);
/* Append a column (the table takes ownership).  The first column sets
 * nrows; later ones must match or FERR_RANGE is returned (and the column is
 * not taken).  A name already present is FERR_EXISTS. */
int table_add(table_t *t, column_t *c, ferr_t *e);
column_t *table_find(const table_t *t, const char *name);
int table_index(const table_t *t, const char *name); /* -1 if absent */
/* Remove and return column by name (caller owns it), or NULL. */
column_t *table_take(table_t *t, const char *name);

#endif

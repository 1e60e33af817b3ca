/*
 * err.h - error codes as values, with context.
 *
 * Every fallible function in ferry returns an int: 0 on success or a
 * negative FERR_* code.  The codes and their generic messages come from one
 * X-macro table so ferr_str() can never drift from the enum.  A ferr_t
 * carries the human message naming the input and the place ("loans.csv:48213:
 * column loan_amount: 'abc' is not a number"); callers pass one down and the
 * innermost function that knows the context fills it in.  A NULL ferr_t* is
 * allowed everywhere and means "the caller only wants the code".
 *
 * For machines (an HTTP error body, a JSON report) an error also has a
 * stable name, ferr_name() (third column of the table: the generic message
 * in snake_case, "parse_error", "not_found"), and may carry a structured
 * location apart from the message: where (a JSON path such as
 * "$.records[0].MES", a field or column name, a file) and line.  The names
 * are an interface: clients match on them, so a name never changes once
 * released (tests/unit/base/test_err.c pins every one); a new code gets a
 * new name.
 */
#ifndef FERRY_ERR_H
#define FERRY_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define FERR_TABLE(X)                                                       \
    X(FERR_OK,          0,  "ok",              "ok")                       \
    X(FERR_NOMEM,      -1,  "out_of_memory",   "out of memory")            \
    X(FERR_IO,         -2,  "io_error",        "input/output error")       \
    X(FERR_NOTFOUND,   -3,  "not_found",       "not found")                \
    X(FERR_PARSE,      -4,  "parse_error",     "parse error")              \
    X(FERR_TYPE,       -5,  "type_error",      "type error")               \
    X(FERR_RANGE,      -6,  "out_of_range",    "value out of range")       \
    X(FERR_LIMIT,      -7,  "limit_exceeded",  "limit exceeded")           \
    X(FERR_SPEC,       -8,  "invalid_spec",    "invalid project file")     \
    X(FERR_BUDGET,     -9,  "budget_exceeded", "error budget exceeded")    \
    X(FERR_EXISTS,    -10,  "already_exists",  "already exists")           \
    X(FERR_UNSUPPORTED,-11, "unsupported",     "unsupported")              \
    X(FERR_CORRUPT,   -12,  "corrupt_data",    "corrupt data")             \
    X(FERR_REFUSED,   -13,  "refused",         "refused")                  \
    X(FERR_BUSY,      -14,  "busy",            "busy")                     \
    X(FERR_USAGE,     -15,  "usage_error",     "usage error")              \
    X(FERR_EXTERNAL,  -16,  "external_error",  "external library error")

typedef enum {
#define FERR_ENUM_(name, code, id, msg) name = code,
    FERR_TABLE(FERR_ENUM_)
#undef FERR_ENUM_
} ferr_code_t;

#define FERR_MSG_MAX 1024
#define FERR_WHERE_MAX 256

/* Caller-owned error context.  Zero-initialise it (ferr_t e = {0};): no
 * code, no message, no location.  where and line are the location of the
 * last error, set only by the functions below that say so ("" and 0: none);
 * the message stays the human text and names the place itself, the
 * location does not change it. */
typedef struct ferr {
    int code;
    char msg[FERR_MSG_MAX];
    char where[FERR_WHERE_MAX]; /* "$.records[0].MES", "MES", "loans.csv" */
    int line;                   /* 1-based line of `where`, 0: none */
} ferr_t;

/* Generic text of a code ("parse error"); never NULL. */
const char *ferr_str(int code);

/* Stable snake_case name of a code ("parse_error"), for machines: error
 * bodies, JSON output, metrics labels.  "unknown" for a code outside the
 * table; never NULL. */
const char *ferr_name(int code);

/* Record code and a printf-style message in e (if e is not NULL) and return
 * code, so callers can write `return ferr_set(e, FERR_PARSE, "...")`.  A
 * new error: any earlier location is cleared. */
int ferr_set(ferr_t *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ferr_vset(ferr_t *e, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prefix the existing message with more context ("loans.csv: " + msg).
 * The location is kept. */
int ferr_prefix(ferr_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ferr_set with a location: where (NULL: none) and line (0: none). */
int ferr_set_at(ferr_t *e, int code, const char *where, int line,
                const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Set the location of the error already in e (printf-style where, line
 * untouched) and return e->code (FERR_OK if e is NULL): the function that
 * knows the field adds it after the one that failed filled the message. */
int ferr_where(ferr_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the location, as ferr_prefix does the message: a field "MES"
 * becomes "$.records[3].MES" with ferr_where_prefix(e, "$.records[%zu].",
 * i) (the two are joined as they are: an empty location becomes the
 * prefix, so a caller adds the "." only before a field).  Truncated to
 * FERR_WHERE_MAX - 1 bytes keeping the prefix.  Returns e->code. */
int ferr_where_prefix(ferr_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The best message available: e->msg if set, otherwise ferr_str(e->code). */
const char *ferr_msg(const ferr_t *e);

#endif

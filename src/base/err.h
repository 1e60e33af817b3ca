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
 */
#ifndef FERRY_ERR_H
#define FERRY_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define FERR_TABLE(X)                                                   \
    X(FERR_OK,          0,  "ok")                                      \
    X(FERR_NOMEM,      -1,  "out of memory")                           \
    X(FERR_IO,         -2,  "input/output error")                      \
    X(FERR_NOTFOUND,   -3,  "not found")                               \
    X(FERR_PARSE,      -4,  "parse error")                             \
    X(FERR_TYPE,       -5,  "type error")                              \
    X(FERR_RANGE,      -6,  "value out of range")                      \
    X(FERR_LIMIT,      -7,  "limit exceeded")                          \
    X(FERR_SPEC,       -8,  "invalid project file")                    \
    X(FERR_BUDGET,     -9,  "error budget exceeded")                   \
    X(FERR_EXISTS,    -10,  "already exists")                          \
    X(FERR_UNSUPPORTED,-11, "unsupported")                             \
    X(FERR_CORRUPT,   -12,  "corrupt data")                            \
    X(FERR_REFUSED,   -13,  "refused")                                 \
    X(FERR_BUSY,      -14,  "busy")                                    \
    X(FERR_USAGE,     -15,  "usage error")                             \
    X(FERR_EXTERNAL,  -16,  "external library error")

typedef enum {
#define FERR_ENUM_(name, code, msg) name = code,
    FERR_TABLE(FERR_ENUM_)
#undef FERR_ENUM_
} ferr_code_t;

#define FERR_MSG_MAX 1024

/* Caller-owned error context.  Zero-initialise it (ferr_t e = {0};). */
typedef struct ferr {
    int code;
    char msg[FERR_MSG_MAX];
} ferr_t;

/* Generic text of a code ("parse error"); never NULL. */
const char *ferr_str(int code);

/* Record code and a printf-style message in e (if e is not NULL) and return
 * code, so callers can write `return ferr_set(e, FERR_PARSE, "...")`. */
int ferr_set(ferr_t *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ferr_vset(ferr_t *e, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prefix the existing message with more context ("loans.csv: " + msg). */
int ferr_prefix(ferr_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The best message available: e->msg if set, otherwise ferr_str(e->code). */
const char *ferr_msg(const ferr_t *e);

#endif

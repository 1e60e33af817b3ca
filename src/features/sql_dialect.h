/*
 * sql_dialect.h - the SQL dialects that feature definitions compile to.
 *
 * `ferry features sql --dialect NAME` prints a query that computes the same
 * offline table as `ferry features build`, so the definitions run unchanged on
 * a warehouse or a Spark cluster.  Expressions (expr_to_sql), windows
 * (win_to_sql) and as-of joins (asof_to_sql) each translate themselves; the
 * query assembly lives in features/sql.c.
 */
#ifndef FERRY_SQL_DIALECT_H
#define FERRY_SQL_DIALECT_H

#define SQL_DIALECT_TABLE(X)                      \
    X(SQL_SQLITE,   "sqlite",   "SQLite 3.40+")   \
    X(SQL_POSTGRES, "postgres", "PostgreSQL 15")  \
    X(SQL_SPARK,    "spark",    "Spark SQL 3")

typedef enum {
#define SQL_DIALECT_ENUM_(e, name, doc) e,
    SQL_DIALECT_TABLE(SQL_DIALECT_ENUM_)
#undef SQL_DIALECT_ENUM_
    SQL_DIALECT_COUNT_
} sql_dialect_t;

/* Quote an identifier for the dialect ("x" or `x`), into out. */
#include "base/str.h"
int sql_quote_ident(sql_dialect_t d, const char *name, buf_t *out);

#endif

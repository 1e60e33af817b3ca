/*
 * expr.h - ferry's feature expression language.
 *
 * A feature in ferry.yaml is one SQL-like expression over the columns of a
 * source: `minutes_between(`Fecha-I`, `Fecha-O`) > 15`,
 * `case when hour(ts) between 5 and 11 then 'morning' else 'night' end`.
 * This module owns the whole life of such an expression: parsing, type
 * checking against a schema, vectorised evaluation (a column at a time) and
 * translation to SQL for SQLite, PostgreSQL and Spark.  The language and
 * every function are documented in docs/expressions.md, which a unit test
 * keeps in sync with the function table.
 *
 * The compiled form is a typed tree whose nodes each produce a whole column
 * (with a null map); constant subtrees are folded at compile time.  The
 * server evaluates one raw record by building a one-row table and calling
 * the same expr_eval, so offline and online features cannot differ.
 *
 * Null semantics follow SQL: null propagates through operators and
 * functions; comparisons with null are null; `and`/`or` are three-valued;
 * `if(null, a, b)` and `case` treat a null condition as false.  Evaluation
 * never fails on data: a value a function cannot compute (division by zero,
 * log of a negative, an unparsable date) is null.
 *
 * Ownership: expr_compile returns an expr_t the caller frees with expr_free.
 * A compiled expression is immutable and may be evaluated concurrently from
 * several threads.  expr_eval returns a new column the caller owns.
 */
#ifndef FERRY_EXPR_H
#define FERRY_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/str.h"
#include "data/table.h"
#include "features/sql_dialect.h"

typedef struct expr expr_t;

/* Longest accepted source text, deepest nesting of parentheses and calls,
 * tallest compiled tree (a chain `a - 1 - 1 ...` nests without
 * parentheses; evaluation, SQL output and freeing recurse over the tree,
 * and SQLite refuses expressions nested 1000 deep): inputs beyond them are
 * FERR_LIMIT (they come from a user file). */
#define EXPR_MAX_SRC 65536
#define EXPR_MAX_DEPTH 200
#define EXPR_MAX_HEIGHT 256

/* Parse and type-check src against the column names and types of schema
 * (rows are ignored; 0 rows is fine).  Errors give the position and name
 * the problem: "expr 'x + ': 1:5: expected an operand", "unknown column
 * 'amout' (did you mean 'amount'?)". */
int expr_compile(const char *src, const table_t *schema, expr_t **out,
                 ferr_t *e);

/* Why `name` cannot stand for a column unquoted in an expression, or NULL:
 * an identifier is letters (ASCII or UTF-8), digits and '_', not starting
 * with a digit, and not a keyword (and, or, null, case, ...).  Feature
 * names are checked with it, since later expressions name them as is. */
const char *expr_ident_problem(const char *name);

/* Result type.  Boolean expressions are FT_BOOL; string results FT_STRING. */
ftype_t expr_type(const expr_t *x);

/* The source text the expression was compiled from (borrowed). */
const char *expr_src(const expr_t *x);

/* Number of input columns the expression reads and the name of the i-th
 * (borrowed), so callers can check or load only what is needed. */
size_t expr_ninputs(const expr_t *x);
const char *expr_input(const expr_t *x, size_t i);

/* True when t has every column x reads, with the type x was compiled for
 * (the check expr_eval makes on each input), so x may be evaluated on t;
 * a caller keeping compiled expressions across tables asks this first. */
bool expr_fits(const expr_t *x, const table_t *t);

/* Evaluate over every row of `in`, which must have the referenced columns
 * with the types of the compile-time schema (FT_STRING and FT_CATEGORY are
 * interchangeable).  *out is a new column named outname with in->nrows
 * rows. */
int expr_eval(const expr_t *x, const table_t *in, const char *outname,
              column_t **out, ferr_t *e);

/* Append an equivalent SQL expression for the dialect to out.  Columns are
 * quoted identifiers; in SQLite, dates are ISO text ('YYYY-MM-DD',
 * 'YYYY-MM-DD HH:MM:SS') and booleans 0/1.  FERR_UNSUPPORTED when a
 * function has no translation for that dialect. */
int expr_to_sql(const expr_t *x, sql_dialect_t dialect, buf_t *out,
                ferr_t *e);

void expr_free(expr_t *x);

/* The function table, for docs and `ferry help expressions`: name, argument
 * signature ("(x: number, lo, hi) -> number") and one-line description.
 * Returns the number of functions; *name etc. are static strings. */
size_t expr_func_count(void);
void expr_func_info(size_t i, const char **name, const char **sig,
                    const char **doc);

#endif

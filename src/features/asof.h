/*
 * asof.h - as-of joins: attach another source's latest row at or before
 * each event.
 *
 * For every left row, the match is the right row with the same key (when
 * keys are given) whose time is the latest one at or before the left time
 * (strictly before when allow_exact is false), and, with a tolerance, no
 * more than `tolerance` older than the left time.  Right rows with the same
 * key and time: the last in file order wins.  No match (no earlier row, key
 * absent on the right, too old, null left key or time) gives nulls.  Right
 * rows with a null key or time never match.  This is pandas'
 * merge_asof(direction="backward") with `by`, `tolerance` and
 * `allow_exact_matches`.
 *
 * Keys compare by value: int with int (also bool, date, datetime of the
 * same type), text with text (string and category mix freely).  The two
 * time columns must have the same type (date, datetime or int).
 *
 * Ownership: asof_join appends new columns to left (left owns them); right
 * is not modified.  On error left is unchanged.
 */
#ifndef FERRY_ASOF_H
#define FERRY_ASOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"
#include "data/table.h"
#include "features/sql_dialect.h"

/* The comment after each field is the ferry.yaml key the lead maps it from
 * (under a feature of `kind: asof`, whose `source:` names the right side). */
typedef struct asof_spec {
    const char *left_time;   /* time: the left source's event time column   */
    const char *right_time;  /* right_time: defaults to the right source's
                              * event time column                           */
    const char *left_key;    /* key: left column; NULL = join on time only   */
    const char *right_key;   /* right_key: defaults to `key`                */
    int64_t tolerance;       /* tolerance: "35d" via win_parse_duration, in
                              * the time unit; 0 or negative = none         */
    bool allow_exact;        /* allow_exact: default true (right_time <=
                              * left_time); false means strictly before     */
    const char *prefix;      /* prefix: output names are prefix + right
                              * column name; NULL = ""                      */
    const char *const *columns; /* columns: right columns to attach        */
    size_t ncolumns;         /* 0: every right column except its key and
                              * time                                        */
    ftype_t time_type;       /* not YAML: the time type, for asof_to_sql    */
} asof_spec_t;

/* allow_exact defaults to true, which a zeroed struct does not give:
 * start from this.  asof_spec_t s = ASOF_SPEC_INIT; */
#define ASOF_SPEC_INIT ((asof_spec_t){.allow_exact = true})

/* The match of every left row: out[i] = right row index or -1.  out has
 * left->nrows entries (caller-allocated).  Exposed for tests and for
 * callers that want to attach computed columns themselves. */
int asof_match(const table_t *left, const table_t *right,
               const asof_spec_t *s, int64_t *out, ferr_t *e);

/* Append the chosen right columns (named prefix + name) to left, in left
 * row order. */
int asof_join(table_t *left, const table_t *right, const asof_spec_t *s,
              ferr_t *e);

/* SQL.  The relations must have a `_row` column with the file order.
 * Appends to `join` a join clause that attaches to the left relation (as
 * left_alias) the matched right row under the alias `alias`:
 *   SQLite, PostgreSQL: LEFT JOIN right AS alias ON alias._row = (SELECT
 *     r._row FROM right r WHERE ... ORDER BY r.t DESC, r._row DESC LIMIT 1)
 *   Spark (no correlated LIMIT): LEFT JOIN a ROW_NUMBER() ranking of the
 *     (left, right) pairs, keeping rank 1.
 * and to `select` the attached columns, comma-separated:
 *   alias."col" AS "prefixcol".
 * columns must be given explicitly in s (the SQL side has no schema), or
 * right_cols/nright list the right relation's columns for the default. */
int asof_to_sql(const asof_spec_t *s, sql_dialect_t d, const char *left_rel,
                const char *left_alias, const char *right_rel,
                const char *alias, const char *const *right_cols,
                size_t nright, buf_t *join, buf_t *select, ferr_t *e);

#endif

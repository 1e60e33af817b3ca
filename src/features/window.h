/*
 * window.h - point-in-time window features over previous events.
 *
 * For every row of an event log, aggregate a value over the earlier events of
 * the same entity (or of the whole table when there is no entity): "number of
 * this customer's previous loans", "mean amount of the previous 3 loans",
 * "std of the target over the previous 90 days", "status of the previous
 * loan".  Nothing at or after the current event leaks in unless asked for.
 *
 * Order.  Events are ordered by (entity, time, row): ties on the time are
 * broken by file order (the table's row order).  Rows with a null time are
 * outside every window and get a null result.  A null entity is one entity
 * of its own, as in SQL's PARTITION BY.
 *
 * Frames (the set of earlier events a row aggregates), for the row at sorted
 * position p of its entity:
 *   all        every earlier event: positions [first, p)
 *   rows N     the N events before the current one: [p - N, p)
 *   duration d earlier events whose time u satisfies t - d <= u <= t, where t
 *              is the current time, i.e. positions [q, p) with q the first
 *              position of time >= t - d.  Earlier rows of the same time are
 *              in, later rows of the same time (and the current row) are out.
 * include_current adds position p itself: all -> [first, p], duration ->
 * [q, p], and rows N becomes the current event plus the N - 1 before it (the
 * window size stays N, like pandas rolling(N)).
 *
 * Aggregates skip null values (like SQL); see WIN_AGG_TABLE for each one's
 * result type and empty-frame value.  The result is a new column in the
 * table's row order.
 *
 * Ownership: win_compute/win_plan_compute return a new column the caller
 * frees (col_free) or hands to table_add.  A win_plan_t borrows nothing
 * from the table after win_plan_new returns (it copies what it needs).
 */
#ifndef FERRY_WINDOW_H
#define FERRY_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"
#include "data/table.h"
#include "features/sql_dialect.h"

/* name (the YAML `agg:` value), enum, needs a value column, doc.  The one
 * source for the YAML keyword list, docs/windows.md and error messages. */
#define WIN_AGG_TABLE(X)                                                     \
    X(WIN_COUNT, "count", false,                                             \
      "number of non-null values (rows when no value column); int, 0 when empty") \
    X(WIN_SUM,   "sum",   true,                                              \
      "sum of values; int for int/bool values, float for float; null when empty") \
    X(WIN_MEAN,  "mean",  true, "arithmetic mean; float; null when empty")  \
    X(WIN_MIN,   "min",   true, "smallest value; value's type; null when empty") \
    X(WIN_MAX,   "max",   true, "largest value; value's type; null when empty") \
    X(WIN_STD,   "std",   true,                                              \
      "sample standard deviation (ddof=1); float; null below 2 values")      \
    X(WIN_LAST,  "last",  true,                                              \
      "latest non-null value in the frame; value's type; null when none")    \
    X(WIN_LAG,   "lag",   true,                                              \
      "value of the event `lag` events back (frame ignored), even if null")

typedef enum {
#define WIN_AGG_ENUM_(e, name, needs, doc) e,
    WIN_AGG_TABLE(WIN_AGG_ENUM_)
#undef WIN_AGG_ENUM_
    WIN_AGG_COUNT_
} win_agg_t;

/* The YAML `frame:` value: all | rows | duration. */
#define WIN_FRAME_TABLE(X)                                                   \
    X(WIN_FRAME_ALL,      "all",      "every earlier event")                 \
    X(WIN_FRAME_ROWS,     "rows",     "the `rows` earlier events")           \
    X(WIN_FRAME_DURATION, "duration", "earlier events within `duration`")

typedef enum {
#define WIN_FRAME_ENUM_(e, name, doc) e,
    WIN_FRAME_TABLE(WIN_FRAME_ENUM_)
#undef WIN_FRAME_ENUM_
    WIN_FRAME_COUNT_
} win_frame_t;

/* One window feature.  The comment after each field is the ferry.yaml key
 * the lead maps it from (under a feature of `kind: window`). */
typedef struct win_spec {
    win_agg_t agg;        /* agg: count|sum|mean|min|max|std|last|lag      */
    int lag;              /* lag: k >= 1 (agg lag only; 0 means 1)         */
    const char *value;    /* value: column; NULL only for count (rows)     */
    const char *entity;   /* entity: column, NULL = one series              */
    const char *time;     /* time: the source's event timestamp column     */
    win_frame_t frame;    /* frame: all|rows|duration (default all; the
                           * parser may infer it from rows:/duration:)     */
    int64_t rows;         /* rows: N >= 1 (frame rows)                     */
    int64_t duration;     /* duration: "90d" via win_parse_duration, in the
                           * time column's unit (days for DATE, seconds for
                           * DATETIME, raw units for INT)                  */
    bool include_current; /* include_current: false by default            */
    ftype_t time_type;    /* not YAML: types of the time and value columns */
    ftype_t value_type;   /* from the source schema; only win_to_sql reads
                           * them (win_compute reads the table)            */
} win_spec_t;

const char *win_agg_name(win_agg_t a);
/* Agg by name; -1 if unknown. */
int win_agg_parse(str_t name);
/* true if the agg needs a `value` column. */
bool win_agg_needs_value(win_agg_t a);
/* One line of documentation per agg ("count: number of ..."). */
const char *win_agg_doc(win_agg_t a);
const char *win_frame_name(win_frame_t f);
int win_frame_parse(str_t name); /* -1 if unknown */

/* Parse a duration "90d", "12h", "2w", "30min", "45s" into the unit of a time
 * column of type tt: DATE counts days (only d and w allowed), DATETIME
 * seconds, INT takes a bare integer in its own unit.  Months and years are
 * not durations (their length varies): use a rows frame on a monthly series.
 * "3m" is refused as ambiguous (minutes or months?). */
int win_parse_duration(const char *s, ftype_t tt, int64_t *out, ferr_t *e);

/* Check a spec against a table: columns exist, types fit the agg, frame
 * fields are sane.  win_compute calls it; the spec parser may call it early
 * to report errors with the YAML line. */
int win_check(const table_t *t, const win_spec_t *w, ferr_t *e);

/* Compute one window feature: *out is a new column named outname with
 * t->nrows rows in table row order. */
int win_compute(const table_t *t, const win_spec_t *w, const char *outname,
                column_t **out, ferr_t *e);

/* A plan caches the (entity, time, row) ordering of one table so several
 * window features over the same entity and time sort only once.  The plan
 * is tied to the table's rows: use it only with the table it was built
 * from (columns may be added in between).  The sort itself happens on the
 * first feature that needs it (never for `all` frames over a log already in
 * time order), so win_plan_compute updates the plan: one thread at a time. */
typedef struct win_plan win_plan_t;

int win_plan_new(const table_t *t, const char *entity, const char *time,
                 win_plan_t **out, ferr_t *e);
void win_plan_free(win_plan_t *p);
/* Like win_compute; w->entity and w->time must name the plan's columns. */
int win_plan_compute(win_plan_t *p, const table_t *t,
                     const win_spec_t *w, const char *outname,
                     column_t **out, ferr_t *e);

/* Append the SQL expression computing w for dialect d to out: a window
 * function call over the source relation, which must have a `_row` column
 * holding the file order (0-based or 1-based, only its order matters).
 * Dates are SQL DATE (ISO text in SQLite), datetimes TIMESTAMP (ISO text in
 * SQLite); w->time_type must be set. */
int win_to_sql(const win_spec_t *w, sql_dialect_t d, buf_t *out, ferr_t *e);

/* The SQL of a time expression (already quoted) as an integer: days since
 * 1970-01-01 for DATE, epoch seconds for DATETIME, itself for INT.  Used
 * for duration frames and as-of tolerances. */
int win_sql_time_key(sql_dialect_t d, ftype_t tt, const char *t, buf_t *out);

/* Gather: a new column named name whose row i is src's row rows[i], or null
 * when rows[i] < 0.  Shared by windows (min/max/last/lag) and as-of joins. */
column_t *win_gather(const column_t *src, const int64_t *rows, size_t n,
                     const char *name);

#endif

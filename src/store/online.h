/*
 * online.h - the online feature store: the latest feature row per entity.
 *
 * `ferry features build` materializes the offline table into a SQLite file
 * that the server reads per request ("latest features of customer 42").
 * Materializing builds a NEW database under a temporary name next to the
 * target, fsyncs it and renames it over the target (then fsyncs the
 * directory), so a reader - this API, the sqlite3 CLI, another process -
 * only ever sees the previous complete store or the new complete store,
 * even if the build is killed.  Concurrent builds of the same store are
 * serialized by an flock on "<path>.lock"; temporaries left by a killed
 * build are removed by the next build.  Building the same content twice is
 * a no-op (the content hash in the meta table matches and the file passes
 * online_verify; a store that fails it is rebuilt).
 *
 * Store layout (SQLite): table `features` (the entity column is the
 * PRIMARY KEY, other columns typed INTEGER/REAL/TEXT; DATE and DATETIME as
 * ISO text "YYYY-MM-DD[ HH:MM:SS]", BOOL as 0/1) and table `meta(key,
 * value)` with format, entity_column, entity_type, time_column, schema (a
 * JSON array of {"name","type"} with ferry type names), row_count,
 * created_at (UTC ISO 8601) and content_hash.
 *
 * Threads: an online_t is one SQLite connection with its prepared lookup;
 * use one online_t per thread (open is cheap).  Ownership: online_open's
 * handle is freed by online_close; online_get's row belongs to the caller.
 */
#ifndef FERRY_STORE_ONLINE_H
#define FERRY_STORE_ONLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"
#include "data/table.h"

typedef struct online_stats {
    size_t rows_in;         /* rows of the input table */
    size_t entities;        /* rows in the store (distinct non-null keys) */
    size_t null_keys;       /* input rows skipped: null entity */
    size_t events;          /* history events stored (0: no history) */
    uint64_t content_hash;  /* hash of schema + stored rows */
    bool unchanged;         /* the store already held exactly this */
    bool repaired;          /* the store claimed this content but failed
                               online_verify: rebuilt; damage says why */
    char damage[FERR_MSG_MAX];
    double seconds;
} online_stats_t;

/* Keep the latest row per value of entity_col (INT, STRING or CATEGORY):
 * the row with the greatest time_col (INT, FLOAT, DATE or DATETIME; null
 * times are older than any time), ties and time_col == NULL resolved by
 * table order (the later row wins); write the store atomically to path.
 * st may be NULL. */
int online_materialize(const table_t *t, const char *entity_col,
                       const char *time_col, const char *path,
                       online_stats_t *st, ferr_t *e);

/* online_materialize in two phases, for a build that publishes several
 * outputs together: online_prepare does all the work (pick, hash, build
 * and fsync the new store under its temporary name) holding the store's
 * lock; then exactly one of online_publish (rename over path, fsync the
 * directory) or online_discard (remove the temporary; path untouched)
 * releases the lock and frees the handle.  When the store already holds
 * this content (st->unchanged), publishing does nothing.  On error
 * online_prepare leaves no handle and path untouched. */
typedef struct online_build online_build_t;
int online_prepare(const table_t *t, const char *entity_col,
                   const char *time_col, const char *path,
                   online_stats_t *st, online_build_t **out, ferr_t *e);
int online_publish(online_build_t *b, ferr_t *e);
void online_discard(online_build_t *b);

typedef struct online online_t;

int online_open(const char *path, online_t **out, ferr_t *e);
/* The latest row of entity (its text; an INT key must parse as an
 * integer, else FERR_PARSE) as a one-row table with the store's column
 * names and ferry types, entity column included; FERR_NOTFOUND if absent. */
int online_get(online_t *o, const char *entity, table_t **row, ferr_t *e);
/* The same row appended to out_json as one JSON object {"col": value, ...}
 * (numbers, true/false, strings, null; NaN/inf as null). */
int online_get_json(online_t *o, const char *entity, buf_t *out_json,
                    ferr_t *e);
/* If path now holds a different store (a new build was renamed over it),
 * reopen it; *changed says whether it did.  On failure o keeps serving the
 * store it had. */
int online_refresh(online_t *o, bool *changed, ferr_t *e);
/* Check that the file still holds what its build wrote: SQLite's
 * quick_check over every page, then the content hash recomputed from the
 * stored rows against meta's content_hash (and the row count), so an
 * edited value, a deleted row or a damaged page is found.  One pass over
 * the store; FERR_CORRUPT "PATH: online store is corrupt: WHAT". */
int online_verify(online_t *o, ferr_t *e);
const char *online_entity_column(const online_t *o);
size_t online_row_count(const online_t *o);
void online_close(online_t *o);

/* ---- history: the events window features need (issue 11) -------------
 *
 * A record scored alone gets its window features from its entity's
 * earlier events.  `features build` stores them beside the latest rows:
 * table `history(key TEXT PRIMARY KEY, n INTEGER, events BLOB)`, one row
 * per key holding its n events in event order, packed column by column
 * (online.c documents the encoding).  key is the entity as text
 * (online_get's form), "" for windows over one series (no `by`).  The
 * columns are the window inputs as the build computed them (time and
 * value columns of every window).  Meta key `history` holds {"by":
 * COLUMN or null, "columns": [{"name","type"}], "events": N}.  The
 * history is covered by content_hash and online_verify like the features
 * table.  A store with a history is of format "ferry-online-4"; one
 * without stays "ferry-online-2" (both are read; online_has_history tells
 * them apart).  Events with a null key are not stored.
 */
typedef struct online_history_in {
    const table_t *events; /* key column (STRING or CATEGORY, first) then
                              the history columns (none named key or
                              seq); in event order within a key (the
                              caller's sort); keys may interleave: the
                              rows are taken by a stable sort on key */
    const char *by;        /* the partition column's name, NULL: none */
} online_history_in_t;

/* online_prepare with a history (hist may be NULL: none stored). */
int online_prepare_with_history(const table_t *t, const char *entity_col,
                                const char *time_col,
                                const online_history_in_t *hist,
                                const char *path, online_stats_t *st,
                                online_build_t **out, ferr_t *e);

/* Whether the store holds a history, and its partition column (NULL: one
 * series) and columns (borrowed, until online_close/online_refresh). */
bool online_has_history(const online_t *o);
const char *online_history_by(const online_t *o);
size_t online_history_columns(const online_t *o, const char ***names,
                              const ftype_t **types);
/* The events of key in event order as a table of the history columns (no
 * key column), typed as stored; 0 rows when key has none.  FERR_NOTFOUND
 * when the store holds no history. */
int online_history(online_t *o, const char *key, table_t **out, ferr_t *e);

/* Append events and replace latest rows without a rebuild (`ferry
 * features push`): a copy of the store gets, in one transaction, every
 * row of events (same layout as online_history_in_t.events) not already
 * in its key's history (an event equal in every column to one stored is
 * skipped: pushing a file twice changes nothing), appended after the
 * key's last event, and the rows of latest (the features table's
 * columns) inserted or replacing the entity's row; then the content hash
 * and counts are recomputed, the copy fsynced and renamed over path
 * (readers see the old or the new store, never a mix).  *added counts the
 * events appended.  Equal events are counted: the k-th copy of an event in
 * events is appended only while its key holds fewer than k copies (so an
 * event that happened twice is kept twice, as a build keeps it).  Columns
 * are matched by name; other names or types are FERR_USAGE naming the
 * column.  events or latest may be NULL; events need a store with a
 * history.  The store must pass online_verify first (FERR_CORRUPT).  When
 * nothing changes the store file is left as it is.  Same lock as a build;
 * on error path is untouched and the copy removed. */
int online_push(const char *path, const table_t *events, const table_t *latest,
                size_t *added, ferr_t *e);

#endif

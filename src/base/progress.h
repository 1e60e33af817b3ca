/*
 * progress.h - progress lines for long work (rows/s, ETA) on a terminal.
 *
 * A progress_t prints to stderr at most ~10 times a second, only when stderr
 * is a terminal and ferry was not given --quiet (progress_set_quiet).  It is
 * safe to call progress_update from a hot loop: it checks a counter before it
 * looks at the clock.  Thread-safe only if one thread updates it.
 */
#ifndef FERRY_PROGRESS_H
#define FERRY_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct progress {
    const char *label;  /* "parse loans.csv" (borrowed) */
    const char *unit;   /* "rows", "bytes", "configs" (borrowed) */
    uint64_t total;     /* 0 when unknown: no ETA */
    uint64_t done;
    const char *unit2;  /* a second count shown with its rate, e.g. "rows"
                         * while the total is in bytes; NULL: none */
    uint64_t done2;
    double t0, tlast;
    bool active;
    bool printed;
} progress_t;

void progress_set_quiet(bool quiet);
bool progress_enabled(void);

void progress_start(progress_t *p, const char *label, const char *unit,
                    uint64_t total);
void progress_update(progress_t *p, uint64_t done);
/* Show a second count (unit2, e.g. rows while done counts bytes) and its
 * rate on the same line; progress_start clears it. */
void progress_show_count(progress_t *p, const char *unit2);
void progress_update2(progress_t *p, uint64_t done, uint64_t done2);
/* Clear the line (if one was printed). */
void progress_finish(progress_t *p);

/* Monotonic seconds, for timings. */
double now_seconds(void);

#endif

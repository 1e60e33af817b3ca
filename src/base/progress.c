/*
 * progress.c - terminal progress lines (see progress.h).
 */
#include "base/progress.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static bool g_quiet;
static double g_interval = -1; /* seconds between lines; env override */

static double interval(void)
{
    if (g_interval < 0) {
        /* FERRY_PROGRESS_INTERVAL lets tests see every update on fast
         * machines; 0.1 s keeps a terminal readable. */
        const char *s = getenv("FERRY_PROGRESS_INTERVAL");
        g_interval = s ? atof(s) : 0.1;
    }
    return g_interval;
}

void progress_set_quiet(bool quiet)
{
    g_quiet = quiet;
}

bool progress_enabled(void)
{
    /* isatty is a syscall; asked once (a server featurizes every request
     * through code that starts a progress line) */
    static atomic_int tty = -1;
    int t = atomic_load_explicit(&tty, memory_order_relaxed);
    if (t < 0) {
        t = isatty(STDERR_FILENO);
        atomic_store_explicit(&tty, t, memory_order_relaxed);
    }
    return !g_quiet && t;
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_start(progress_t *p, const char *label, const char *unit,
                    uint64_t total)
{
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->done = 0;
    p->unit2 = NULL;
    p->done2 = 0;
    p->t0 = p->tlast = now_seconds();
    p->active = progress_enabled();
    p->printed = false;
}

static void human(double v, char *out, size_t n)
{
    if (v >= 1e9)
        snprintf(out, n, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(out, n, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(out, n, "%.1fk", v / 1e3);
    else
        snprintf(out, n, "%.0f", v);
}

void progress_show_count(progress_t *p, const char *unit2)
{
    p->unit2 = unit2;
}

void progress_update2(progress_t *p, uint64_t done, uint64_t done2)
{
    p->done2 = done2;
    progress_update(p, done);
}

void progress_update(progress_t *p, uint64_t done)
{
    double t, rate;
    char r[32], d[32], second[96] = "";

    p->done = done;
    if (!p->active)
        return;
    t = now_seconds();
    if (t - p->tlast < interval())
        return;
    p->tlast = t;
    rate = (t > p->t0) ? (double)done / (t - p->t0) : 0.0;
    if (p->unit2) {
        char r2[32], d2[32];
        human((double)p->done2, d2, sizeof(d2));
        human(t > p->t0 ? (double)p->done2 / (t - p->t0) : 0.0, r2, sizeof(r2));
        snprintf(second, sizeof(second), ", %s %s (%s %s/s)", d2, p->unit2,
                 r2, p->unit2);
    }
    human(rate, r, sizeof(r));
    human((double)done, d, sizeof(d));
    if (p->total > 0 && rate > 0) {
        double eta = (double)(p->total - (done < p->total ? done : p->total)) /
                     rate;
        fprintf(stderr, "\r\033[K%s: %s %s (%.0f%%), %s %s/s%s, ETA %.0fs",
                p->label, d, p->unit, 100.0 * (double)done / (double)p->total,
                r, p->unit, second, eta);
    } else {
        fprintf(stderr, "\r\033[K%s: %s %s, %s %s/s%s", p->label, d, p->unit,
                r, p->unit, second);
    }
    p->printed = true;
}

void progress_finish(progress_t *p)
{
    if (p->active && p->printed)
        fprintf(stderr, "\r\033[K");
    p->printed = false;
}

/*
 * bench_record.c - one raw record scored through a registered model
 * version's compiled scoring plan, timed and its allocations counted.
 *
 *   bench_record PROJECT.yaml NAME RECORDS.tsv SCORES.out [--set K=V]...
 *                [--calls N]
 *
 * Loads the project (its registry, and its online store for window
 * history), then NAME@latest with predictor_load, one predictor_ctx_new,
 * and scores records with predictor_score_record: vals[i] is the raw text
 * of plan field i, taken from the RECORDS column of the same name
 * (rec_plan_field_index maps the header; other columns are ignored, as a
 * record's extra fields are).  RECORDS is TSV without quoting, one record a
 * line (bench/predict/record_py.py prep writes it); the records are split
 * before timing, as a server's JSON parser hands them over.
 *
 * A first pass scores every record once (warm-up: it pages in the model,
 * the plan and the store) and writes each score to SCORES.out (%.17g; "nan"
 * for a rejected record, whose reason goes to stderr), for record_py.py to
 * compare with the Python baseline.  The timed pass then makes --calls
 * (default 20,000) calls over the scored records in turn, single thread,
 * one clock_gettime pair per call: median and p99.  Per-record history
 * lookups (window features) are part of each call.
 *
 * Allocations: this binary interposes malloc, calloc, realloc and the
 * aligned allocators (forwarding to glibc's __libc_*), so every heap
 * allocation in the process, the library's, sqlite's and libc's own,
 * passes through a counter; allocations per record are the timed pass's
 * count over its calls.  Sanitizer builds keep their own allocator: there
 * the count is not available.
 *
 * Last line, machine readable:
 *   FERREC NAME median_us p99_us allocs_per_record calls rejected
 * (allocs_per_record -1 when not counted).
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/afile.h"
#include "base/mem.h"
#include "scoring/predictor.h"

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define BENCH_COUNT_ALLOCS 0
#endif
#endif
#ifndef BENCH_COUNT_ALLOCS
#define BENCH_COUNT_ALLOCS 1
#endif

#if BENCH_COUNT_ALLOCS
/* glibc's allocator under its internal names: the definitions below take
 * the public names for the whole process (glibc routes its own internal
 * allocations through them too), count, and forward. */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

static atomic_ulong n_allocs;

void *malloc(size_t n)
{
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return __libc_malloc(n);
}

void *calloc(size_t count, size_t size)
{
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return __libc_calloc(count, size);
}

void *realloc(void *p, size_t n)
{
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}

void *aligned_alloc(size_t align, size_t n)
{
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n);
void *memalign(size_t align, size_t n)
{
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    void *p = __libc_memalign(align, n);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

static unsigned long allocs_now(void)
{
    return atomic_load_explicit(&n_allocs, memory_order_relaxed);
}
#else
static unsigned long allocs_now(void)
{
    return 0;
}
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[(size_t)(p * (double)(n - 1) + 0.5)];
}

/* Split s[0..n) at sep in place into at most max slices; returns the
 * count, or max + 1 when there are more. */
static size_t split(char *s, size_t n, char sep, str_t *out, size_t max)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != sep)
            continue;
        if (k == max)
            return max + 1;
        out[k].p = s + start;
        out[k].n = i - start;
        k++;
        start = i + 1;
    }
    return k;
}

#define MAX_COLS 256

int main(int argc, char **argv)
{
    const char *args[4], *sets[16];
    size_t nargs = 0, nsets = 0, ncalls = 20000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--set") && i + 1 < argc && nsets < 16)
            sets[nsets++] = argv[++i];
        else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
            ncalls = strtoull(argv[++i], NULL, 10);
        else if (nargs < 4 && argv[i][0] != '-')
            args[nargs++] = argv[i];
        else
            nargs = 5;
    }
    if (nargs != 4 || ncalls == 0) {
        fprintf(stderr, "usage: %s PROJECT.yaml NAME RECORDS.tsv SCORES.out "
                        "[--set K=V]... [--calls N]\n", argv[0]);
        return 2;
    }
    const char *name = args[1];
    ferr_t e = {0};
    project_t *p = NULL;
    predictor_t *pr = NULL;
    rec_ctx_t *cx = NULL;
    char *text = NULL;
    size_t len;
    if (project_load(args[0], sets, nsets, &p, &e) ||
        predictor_load(p->registry_dir, name, "latest", p, NULL, 0, &pr, &e) ||
        predictor_ctx_new(pr, NULL, &cx, &e) ||
        file_read_all(args[2], 0, &text, &len, &e)) {
        fprintf(stderr, "bench_record: %s\n", ferr_msg(&e));
        return 2;
    }
    const rec_plan_t *pl = predictor_plan(pr);
    size_t nf = rec_plan_nfields(pl);

    /* header: which TSV column holds each plan field */
    str_t cols[MAX_COLS];
    char *line = text, *eol = memchr(text, '\n', len);
    if (eol == NULL) {
        fprintf(stderr, "bench_record: %s: no header line\n", args[2]);
        return 2;
    }
    size_t ncols = split(line, (size_t)(eol - line), '\t', cols, MAX_COLS);
    if (ncols > MAX_COLS) {
        fprintf(stderr, "bench_record: %s: over %d columns\n", args[2], MAX_COLS);
        return 2;
    }
    int *colof = xmalloc((nf ? nf : 1) * sizeof(int));
    for (size_t i = 0; i < nf; i++)
        colof[i] = -1;
    for (size_t c = 0; c < ncols; c++) {
        char h[256];
        snprintf(h, sizeof(h), "%.*s", (int)cols[c].n, cols[c].p);
        int f = rec_plan_field_index(pl, h);
        if (f >= 0)
            colof[f] = (int)c;
    }
    printf("  %s plan: %zu input fields:", name, nf);
    for (size_t i = 0; i < nf; i++) {
        const rec_field_t *f = rec_plan_field(pl, i);
        printf("%s %s", i ? "," : "", f->name);
        if (colof[i] < 0) {
            fprintf(stderr, "\nbench_record: %s: plan field '%s' is not a "
                            "column of %s\n", name, f->name, args[2]);
            return 2;
        }
    }
    printf("%s\n", rec_plan_needs_history(pl) ? " (window history from the "
                                                "online store)" : "");

    /* records, split before timing: vals[r * nf + i] is field i of r */
    size_t cap = 1024, nrec = 0;
    str_t *vals = xmalloc(cap * nf * sizeof(str_t));
    for (char *s = eol + 1; s < text + len; s = eol + 1) {
        eol = memchr(s, '\n', (size_t)(text + len - s));
        if (eol == NULL)
            eol = text + len;
        if (eol == s)
            continue;
        size_t n = split(s, (size_t)(eol - s), '\t', cols, MAX_COLS);
        if (n != ncols) {
            fprintf(stderr, "bench_record: %s: record %zu has %zu fields, "
                            "the header %zu\n", args[2], nrec + 1, n, ncols);
            return 2;
        }
        if (nrec == cap) {
            cap *= 2;
            vals = xrealloc(vals, cap * nf * sizeof(str_t));
        }
        for (size_t i = 0; i < nf; i++)
            vals[nrec * nf + i] = cols[colof[i]];
        nrec++;
    }
    if (nrec == 0) {
        fprintf(stderr, "bench_record: %s: no records\n", args[2]);
        return 2;
    }

    /* first pass: every record once (warm-up), scores kept */
    double *score = xmalloc(nrec * sizeof(double));
    double *us = xmalloc((ncalls > nrec ? ncalls : nrec) * sizeof(double));
    size_t *ok = xmalloc(nrec * sizeof(size_t));
    size_t nok = 0, rejected = 0;
    for (size_t r = 0; r < nrec; r++) {
        double t0 = now_s();
        int rc = predictor_score_record(pr, cx, vals + r * nf, &score[r], &e);
        us[r] = (now_s() - t0) * 1e6;
        if (rc) {
            score[r] = NAN;
            if (++rejected <= 3)
                fprintf(stderr, "  %s: record %zu rejected: %s\n", name, r + 1,
                        ferr_msg(&e));
            continue;
        }
        ok[nok++] = r;
    }
    double first_med = pct(us, nrec, 0.5);
    FILE *f = fopen(args[3], "w");
    if (f == NULL) {
        fprintf(stderr, "bench_record: %s: %s\n", args[3], strerror(errno));
        return 2;
    }
    for (size_t r = 0; r < nrec; r++)
        fprintf(f, "%.17g\n", score[r]);
    if (fclose(f)) {
        fprintf(stderr, "bench_record: %s: %s\n", args[3], strerror(errno));
        return 2;
    }
    if (nok == 0) {
        fprintf(stderr, "bench_record: %s: every record was rejected\n", name);
        return 1;
    }

    /* timed pass over the records that scored */
    volatile double sink = 0;
    unsigned long a0 = allocs_now();
    for (size_t c = 0; c < ncalls; c++) {
        size_t r = ok[c % nok];
        double s = 0;
        double t0 = now_s();
        predictor_score_record(pr, cx, vals + r * nf, &s, &e);
        us[c] = (now_s() - t0) * 1e6;
        sink += s;
    }
    double allocs = BENCH_COUNT_ALLOCS
                        ? (double)(allocs_now() - a0) / (double)ncalls : -1;
    (void)sink;
    double med = pct(us, ncalls, 0.5), p99 = pct(us, ncalls, 0.99);
    char atext[64];
    if (BENCH_COUNT_ALLOCS)
        snprintf(atext, sizeof(atext), "%.2f", allocs);
    else
        snprintf(atext, sizeof(atext), "n/a (sanitizer build)");
    printf("  ferry %s: median %.3f us p99 %.3f us per record over %zu calls "
           "(%zu distinct records, each scored once before: median %.3f us); "
           "allocations per record %s; %zu of %zu records rejected\n",
           name, med, p99, ncalls, nok, first_med, atext, rejected, nrec);
    printf("FERREC %s %.3f %.3f %.2f %zu %zu\n", name, med, p99, allocs, ncalls,
           rejected);

    rec_ctx_free(cx);
    predictor_unref(pr);
    project_free(p);
    free(score);
    free(us);
    free(ok);
    free(vals);
    free(colof);
    free(text);
    return 0;
}

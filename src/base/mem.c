/*
 * mem.c - abort-on-OOM allocation wrappers (see mem.h).
 */
#include "base/mem.h"

#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void oom(size_t n)
{
    fprintf(stderr, "ferry: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        oom(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

void *xgrow(void *p, size_t elem, size_t *cap, size_t need)
{
    size_t c = *cap ? *cap : 8;
    if (need <= *cap)
        return p;
    while (c < need)
        c *= 2;
    *cap = c;
    return xrealloc(p, c * elem);
}

void mem_bulk_mode(size_t expect)
{
    static int done;
    const uintptr_t huge = (uintptr_t)2 << 20;
    char *before, *after;
    void *probe;

    if (done++)
        return;
    if (expect > (size_t)INT_MAX / 2)
        expect = (size_t)INT_MAX / 2;
    if (expect < ((size_t)64 << 20))
        expect = (size_t)64 << 20;
    /* Columns (a few MB each) come from the heap, not from one mmap per
     * array whose pages are faulted in again after every munmap. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's maximum */
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_TOP_PAD, (int)expect);
    /* Make the heap grow by expect now (a request larger than the current
     * top does it), so huge pages can be asked for over the whole range. */
    before = sbrk(0);
    probe = malloc((size_t)4 << 20);
    after = sbrk(0);
    if (probe && before != (char *)-1 && after != (char *)-1 && after > before) {
        uintptr_t lo = ((uintptr_t)before + huge - 1) & ~(huge - 1);
        uintptr_t hi = (uintptr_t)after & ~(huge - 1);
        if (hi > lo)
            madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
    free(probe);
}

void mem_bulk_end(void)
{
    /* glibc's defaults (128 KiB top pad and trim threshold): the next free
     * at the top of the heap trims it.  No malloc_trim here: a command that
     * exits next would pay for returning pages nobody reuses. */
    mallopt(M_TOP_PAD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

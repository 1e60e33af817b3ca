/*
 * mem.c - abort-on-OOM allocation wrappers and the per-thread arena they
 * draw from while one is entered (see mem.h).
 *
 * Arena layout.  A chunk is one malloc: a header, then cap bytes handed out
 * by bumping `used`.  Each block is a 16-byte header (its size and the span
 * it occupies), the caller's bytes rounded up to 16, and under ASan a
 * 16-byte redzone; headers and redzones stay poisoned.  Chunks form a list:
 * head .. cur hold this request's blocks, the chunks after cur are spares
 * kept by mem_arena_reset.  The first chunk lives in the arena's own
 * allocation, so an arena costs one malloc until a request outgrows it.
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

#if defined(__SANITIZE_ADDRESS__)
#define MEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEM_ASAN 1
#endif
#endif

#ifdef MEM_ASAN
#include <sanitizer/asan_interface.h>
#define MEM_REDZONE 16
#define MEM_NO_ASAN __attribute__((no_sanitize_address))
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define MEM_REDZONE 0
#define MEM_NO_ASAN
#endif

#define MEM_ALIGN 16
#define MEM_HDR 16
#define MEM_DEFAULT_CHUNK ((size_t)64 << 10)
/* A chunk added when the current one is full doubles the last, up to this,
 * unless one block needs more. */
#define MEM_MAX_GROW ((size_t)1 << 20)

typedef struct mem_chunk {
    struct mem_chunk *next;
    size_t cap;  /* bytes at data */
    size_t used; /* bytes handed out */
    char *data;  /* 16-byte aligned, right after this header */
} mem_chunk_t;

/* Block header, just before the caller's pointer. */
typedef struct mem_hdr {
    size_t size; /* bytes asked for (what xrealloc copies) */
    size_t span; /* bytes the block occupies from its header on */
} mem_hdr_t;

struct mem_arena {
    mem_chunk_t *head; /* the first chunk (in this allocation) */
    mem_chunk_t *cur;  /* the chunk being bumped */
    mem_arena_t *outer;/* entered before this one on its thread */
    size_t chunk;      /* first chunk's size, the grow unit */
    size_t keep;       /* bytes of spare chunks mem_arena_reset keeps */
    size_t allocs, mallocs, bytes;
};

/* The arena this thread allocates from (NULL: the heap).  One TLS load and
 * a branch is all an x* call pays when no arena is entered. */
static _Thread_local mem_arena_t *mem_cur;

static void oom(size_t n)
{
    fprintf(stderr, "ferry: out of memory allocating %zu bytes\n", n);
    abort();
}

static size_t round_up(size_t n)
{
    return (n + MEM_ALIGN - 1) & ~(size_t)(MEM_ALIGN - 1);
}

/* Headers are poisoned under ASan; only the allocator reads them. */
static MEM_NO_ASAN mem_hdr_t hdr_get(const void *p)
{
    const mem_hdr_t *h = (const mem_hdr_t *)((const char *)p - MEM_HDR);
    return *h;
}

static MEM_NO_ASAN void hdr_set(void *p, size_t size, size_t span)
{
    mem_hdr_t *h = (mem_hdr_t *)((char *)p - MEM_HDR);
    h->size = size;
    h->span = span;
}

static mem_chunk_t *chunk_init(void *mem, size_t cap)
{
    mem_chunk_t *c = mem;
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    c->data = (char *)mem + round_up(sizeof(*c));
    ASAN_POISON_MEMORY_REGION(c->data, cap);
    return c;
}

/* Make a->cur a chunk with need free bytes: a spare that fits, or a new
 * one.  NULL when malloc fails. */
static mem_chunk_t *arena_grow(mem_arena_t *a, size_t need)
{
    mem_chunk_t *cur = a->cur, *prev = cur, *s = cur->next, *c;
    size_t cap;
    for (; s; prev = s, s = s->next) {
        if (s->cap >= need) {
            prev->next = s->next; /* move it right after cur */
            s->next = cur->next;
            cur->next = s;
            return a->cur = s;
        }
    }
    cap = cur->cap < MEM_MAX_GROW / 2 ? cur->cap * 2 : MEM_MAX_GROW;
    if (cap < a->chunk)
        cap = a->chunk;
    if (cap < need)
        cap = need;
    if (cap > SIZE_MAX - round_up(sizeof(mem_chunk_t)))
        return NULL;
    void *mem = malloc(round_up(sizeof(mem_chunk_t)) + cap);
    if (mem == NULL)
        return NULL;
    c = chunk_init(mem, cap);
    c->next = cur->next;
    cur->next = c;
    a->mallocs++;
    a->bytes += cap;
    return a->cur = c;
}

static void *arena_alloc(mem_arena_t *a, size_t n)
{
    mem_chunk_t *c = a->cur;
    size_t span = MEM_HDR + round_up(n) + MEM_REDZONE;
    char *p;
    if (n > SIZE_MAX / 2)
        return NULL;
    if (c->cap - c->used < span && (c = arena_grow(a, span)) == NULL)
        return NULL;
    p = c->data + c->used + MEM_HDR;
    c->used += span;
    hdr_set(p, n, span);
    ASAN_UNPOISON_MEMORY_REGION(p, n);
    a->allocs++;
    return p;
}

/* The chunk of an entered arena holding p (and its arena), or NULL: p is
 * heap memory.  Spares count too, so a stale pointer from before a reset
 * is never handed to free(). */
static mem_chunk_t *arena_owner(const void *p, mem_arena_t **owner)
{
    const char *q = p;
    for (mem_arena_t *a = mem_cur; a; a = a->outer)
        for (mem_chunk_t *c = a->head; c; c = c->next)
            if (q >= c->data && q < c->data + c->cap) {
                *owner = a;
                return c;
            }
    return NULL;
}

void *xmalloc(size_t n)
{
    mem_arena_t *a = mem_cur;
    void *p = a ? arena_alloc(a, n) : malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    mem_arena_t *a = mem_cur;
    void *p;
    if (a == NULL) {
        p = calloc(count ? count : 1, size ? size : 1);
        if (p == NULL)
            oom(count * size);
        return p;
    }
    if (size && count > SIZE_MAX / size)
        oom(SIZE_MAX);
    p = arena_alloc(a, count * size);
    if (p == NULL)
        oom(count * size);
    memset(p, 0, count * size);
    return p;
}

void xfree(void *p)
{
    mem_arena_t *a;
    mem_chunk_t *c;
    if (mem_cur == NULL || p == NULL) {
        free(p);
        return;
    }
    if ((c = arena_owner(p, &a)) == NULL) {
        free(p);
        return;
    }
    mem_hdr_t h = hdr_get(p);
    ASAN_POISON_MEMORY_REGION(p, h.size);
    /* the last block of its chunk goes back (a buffer freed right after
     * use, a temporary array): the space serves the next request */
    if ((char *)p - MEM_HDR + h.span == c->data + c->used)
        c->used -= h.span;
}

/* xrealloc of a block of arena a: in place when it fits its span or is
 * the last block of its chunk, else moved within a. */
static void *arena_realloc(mem_arena_t *a, mem_chunk_t *c, void *p, size_t n)
{
    mem_hdr_t h = hdr_get(p);
    char *start = (char *)p - MEM_HDR;
    size_t span = MEM_HDR + round_up(n) + MEM_REDZONE;
    void *q;
    if (n > SIZE_MAX / 2)
        return NULL;
    if (span <= h.span ||
        (start + h.span == c->data + c->used &&
         (size_t)(c->data + c->cap - start) >= span)) {
        if (span > h.span)
            c->used += span - h.span;
        else
            span = h.span;
        ASAN_POISON_MEMORY_REGION(p, h.size);
        hdr_set(p, n, span);
        ASAN_UNPOISON_MEMORY_REGION(p, n);
        return p;
    }
    if ((q = arena_alloc(a, n)) == NULL)
        return NULL;
    memcpy(q, p, h.size < n ? h.size : n);
    ASAN_POISON_MEMORY_REGION(p, h.size);
    if (start + h.span == c->data + c->used)
        c->used -= h.span;
    return q;
}

void *xrealloc(void *p, size_t n)
{
    mem_arena_t *a = mem_cur;
    mem_chunk_t *c = NULL;
    void *q;
    if (a == NULL || (p != NULL && (c = arena_owner(p, &a)) == NULL))
        q = realloc(p, n ? n : 1); /* heap memory stays on the heap */
    else if (p == NULL)
        q = arena_alloc(a, n);
    else
        q = arena_realloc(a, c, p, n);
    if (q == NULL)
        oom(n);
    return q;
}

void *mem_try_malloc(size_t n)
{
    mem_arena_t *a = mem_cur;
    return a ? arena_alloc(a, n) : malloc(n ? n : 1);
}

void *mem_try_calloc(size_t count, size_t size)
{
    mem_arena_t *a = mem_cur;
    void *p;
    if (size && count > SIZE_MAX / size)
        return NULL; /* before calloc: ASan would report it, not return NULL */
    if (a == NULL)
        return calloc(count ? count : 1, size ? size : 1);
    if ((p = arena_alloc(a, count * size)) != NULL)
        memset(p, 0, count * size);
    return p;
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

/* ---- arenas ------------------------------------------------------------- */

mem_arena_t *mem_arena_new(size_t chunk)
{
    size_t off = round_up(sizeof(mem_arena_t));
    mem_arena_t *a;
    if (chunk == 0)
        chunk = MEM_DEFAULT_CHUNK;
    chunk = round_up(chunk);
    /* malloc, not xmalloc: an arena made while another is entered must
     * not live inside it */
    a = malloc(off + round_up(sizeof(mem_chunk_t)) + chunk);
    if (a == NULL)
        oom(chunk);
    memset(a, 0, sizeof(*a));
    a->head = a->cur = chunk_init((char *)a + off, chunk);
    a->chunk = chunk;
    a->keep = chunk * 16 > ((size_t)1 << 20) ? chunk * 16 : (size_t)1 << 20;
    a->mallocs = 1;
    a->bytes = chunk;
    return a;
}

void mem_arena_free(mem_arena_t *a)
{
    mem_chunk_t *c, *next;
    if (a == NULL)
        return;
    for (c = a->head->next; c; c = next) {
        next = c->next;
        ASAN_UNPOISON_MEMORY_REGION(c->data, c->cap);
        free(c);
    }
    ASAN_UNPOISON_MEMORY_REGION(a->head->data, a->head->cap);
    free(a);
}

void mem_arena_reset(mem_arena_t *a)
{
    mem_chunk_t *prev = a->head, *c, *next;
    size_t kept = 0;
    a->head->used = 0;
    ASAN_POISON_MEMORY_REGION(a->head->data, a->head->cap);
    /* spares beyond keep bytes go back to malloc: one huge request must not
     * pin its memory for the life of the thread */
    for (c = a->head->next; c; c = next) {
        next = c->next;
        if (kept + c->cap <= a->keep) {
            kept += c->cap;
            c->used = 0;
            ASAN_POISON_MEMORY_REGION(c->data, c->cap);
            prev = c;
        } else {
            prev->next = next;
            a->bytes -= c->cap;
            ASAN_UNPOISON_MEMORY_REGION(c->data, c->cap);
            free(c);
        }
    }
    a->cur = a->head;
}

mem_arena_t *mem_arena_enter(mem_arena_t *a)
{
    mem_arena_t *prev = mem_cur;
    if (a == prev)
        return prev;
    for (mem_arena_t *o = prev; a && o; o = o->outer)
        if (o == a) {
            /* a cycle would make arena_owner loop forever */
            fprintf(stderr, "ferry: arena entered twice on one thread\n");
            abort();
        }
    if (a)
        a->outer = prev;
    mem_cur = a;
    return prev;
}

void mem_arena_leave(mem_arena_t *prev)
{
    mem_cur = prev;
}

size_t mem_arena_allocs(const mem_arena_t *a)
{
    return a->allocs;
}

size_t mem_arena_mallocs(const mem_arena_t *a)
{
    return a->mallocs;
}

size_t mem_arena_bytes(const mem_arena_t *a)
{
    return a->bytes;
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

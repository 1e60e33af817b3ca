/*
 * mem.h - allocation wrappers for small internal allocations, and the
 * per-request arena they can draw from.
 *
 * Like Redis's zmalloc: the x* functions abort with a message on OOM, so
 * callers never carry an error path for a 40-byte struct.  Allocations whose
 * size comes from user input (a file, a request) must instead be capped by
 * the caller and checked: mem_try_malloc / mem_try_calloc return NULL.
 *
 * Arena (h2o's per-request pool).  Featurizing one record builds a one-row
 * table, evaluates expressions into new columns, one-hot and window
 * columns, then throws all of it away: a hundred small mallocs and frees
 * that cost more than the work.  While an arena is entered on a thread
 * (mem_arena_enter), every x* and mem_try_* allocation of that thread is
 * carved from the arena's chunks instead, xfree of such memory does nothing
 * (mem_arena_reset forgets it all at once), and a steady state of records
 * of similar size makes no malloc at all.  Code that may run inside an
 * arena therefore frees x* memory with xfree, never free(): xfree of heap
 * memory is free(), so xfree is always right for x* memory.
 *
 * Rules while an arena is entered:
 *   - memory allocated there lives until mem_arena_reset/mem_arena_free:
 *     nothing long-lived (a cache, a compiled plan) may be allocated then;
 *     suspend the arena around it with mem_arena_enter(NULL);
 *   - arena memory must be xfree'd (or dropped) before mem_arena_leave: after
 *     leaving, xfree of it would be free() of a pointer malloc never made;
 *   - xrealloc keeps a block where it lives: a heap block (allocated before
 *     entering) is realloc'd on the heap, an arena block in its arena;
 *   - an arena belongs to one thread at a time (it has no lock); each
 *     thread scoring records keeps its own.
 * Under AddressSanitizer the unused part of every chunk, each block's header
 * and a redzone after it are poisoned, and xfree poisons the block, so
 * overflows and use after xfree inside an arena are still reported.
 */
#ifndef FERRY_MEM_H
#define FERRY_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* free() for memory from the x* and mem_try_* functions: nothing for a block
 * of an arena entered on this thread, free() otherwise.  NULL is fine. */
void xfree(void *p);

/* Grow *cap geometrically until it holds need elements; returns the new
 * array (xrealloc'd).  Used by the vector macros. */
void *xgrow(void *p, size_t elem, size_t *cap, size_t need);

/* For sizes that come from input: NULL when the memory is not there (or
 * count * size overflows) instead of aborting; arena-aware like xmalloc.
 * Release with xfree. */
void *mem_try_malloc(size_t n);
void *mem_try_calloc(size_t count, size_t size);

typedef struct mem_arena mem_arena_t;

/* An arena whose first chunk holds chunk bytes (0: 64 KiB); it grows by
 * chaining further chunks.  Aborts on OOM like xmalloc. */
mem_arena_t *mem_arena_new(size_t chunk);
/* Release the arena and all its chunks (it must not be entered). */
void mem_arena_free(mem_arena_t *a);
/* Forget every block allocated from a.  Chunks are kept for reuse (up to
 * a bound, the rest freed), so the next request of a similar size makes no
 * malloc. */
void mem_arena_reset(mem_arena_t *a);
/* Make a the source of this thread's x* allocations; returns the arena
 * entered before (NULL: none) for mem_arena_leave.  Nests: blocks of an
 * outer arena stay valid and xfree/xrealloc still recognise them.  a NULL
 * suspends the current arena (allocations go to the heap).  An arena may
 * be entered at most once in a thread's stack of entered arenas. */
mem_arena_t *mem_arena_enter(mem_arena_t *a);
void mem_arena_leave(mem_arena_t *prev);

/* Statistics since mem_arena_new: blocks served, chunks malloc'd (the
 * first one included), bytes of chunk memory currently held. */
size_t mem_arena_allocs(const mem_arena_t *a);
size_t mem_arena_mallocs(const mem_arena_t *a);
size_t mem_arena_bytes(const mem_arena_t *a);

/* Tune malloc for one process that builds a few hundred MB of columns and
 * then exits (`ferry features build`): keep freed memory for reuse instead
 * of returning it to the kernel, one arena so memory freed by worker
 * threads serves the main thread, and about expect bytes of heap reserved
 * up front with transparent huge pages requested over it.  Why: on this
 * kind of (virtualised) machine a page fault costs microseconds, and a
 * build that faults in every fresh 4 KiB page of every column spent a
 * third of its time in the kernel.  Best effort, idempotent; never for a
 * long-running server (it would keep its peak forever).  mem_bulk_end
 * restores heap trimming (for commands that go on in the same process,
 * such as the demo); the single arena stays. */
void mem_bulk_mode(size_t expect);
void mem_bulk_end(void);

#endif

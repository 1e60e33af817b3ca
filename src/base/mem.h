/*
 * mem.h - allocation wrappers for small internal allocations.
 *
 * Like Redis's zmalloc: the x* functions abort with a message on OOM, so
 * callers never carry an error path for a 40-byte struct.  Allocations whose
 * size comes from user input (a file, a request) must instead be capped by
 * the caller and use the plain libc functions with a checked result.
 */
#ifndef FERRY_MEM_H
#define FERRY_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow *cap geometrically until it holds need elements; returns the new
 * array (xrealloc'd).  Used by the vector macros. */
void *xgrow(void *p, size_t elem, size_t *cap, size_t need);

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

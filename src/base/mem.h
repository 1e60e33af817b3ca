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

#endif

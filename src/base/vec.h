/*
 * vec.h - a typed growable vector (h2o's H2O_VECTOR).
 *
 *   VEC(int) v = {0};
 *   VEC_PUSH(&v, 42);
 *   for (size_t i = 0; i < v.n; i++) use(v.a[i]);
 *   xfree(v.a);
 */
#ifndef FERRY_VEC_H
#define FERRY_VEC_H

#include "base/mem.h"

#define VEC(T)                                                          \
    struct {                                                            \
        T *a;                                                           \
        size_t n, cap;                                                  \
    }

#define VEC_RESERVE(v, need)                                            \
    ((v)->a = xgrow((v)->a, sizeof(*(v)->a), &(v)->cap, (need)))

#define VEC_PUSH(v, x)                                                  \
    do {                                                                \
        VEC_RESERVE((v), (v)->n + 1);                                   \
        (v)->a[(v)->n++] = (x);                                         \
    } while (0)

#endif

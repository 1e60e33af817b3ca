/*
 * refslot.c - see refslot.h.
 */
#include "base/refslot.h"

#include <stddef.h>

void refslot_init(refslot_t *s, void *(*ref)(void *), void (*unref)(void *))
{
    pthread_mutex_init(&s->mu, NULL);
    s->cur = NULL;
    s->ref = ref;
    s->unref = unref;
}

void *refslot_get(refslot_t *s)
{
    pthread_mutex_lock(&s->mu);
    void *o = s->cur ? s->ref(s->cur) : NULL;
    pthread_mutex_unlock(&s->mu);
    return o;
}

void refslot_set(refslot_t *s, void *obj)
{
    pthread_mutex_lock(&s->mu);
    void *old = s->cur;
    s->cur = obj;
    pthread_mutex_unlock(&s->mu);
    if (old)
        s->unref(old); /* may free: never under the lock */
}

void refslot_destroy(refslot_t *s)
{
    refslot_set(s, NULL);
    pthread_mutex_destroy(&s->mu);
}

/*
 * refslot.h - one swappable reference to an immutable, reference-counted
 * object: the model version a server route is serving right now.
 *
 * Readers take their own reference (refslot_get) for the length of a
 * request; a reload installs the next object (refslot_set) without waiting
 * for them, and the old one is freed by whichever of the slot and the
 * readers drops the last reference.  The lock covers only the pointer load
 * and the reference increment (tens of nanoseconds), never a request, so
 * readers do not queue behind each other or behind a reload.  (A plain
 * atomic pointer is not enough: between loading it and incrementing the
 * count, a concurrent set could free the object.)
 *
 * The object type supplies ref/unref with void * signatures; a NULL object
 * is allowed and unref(NULL) is never called.
 */
#ifndef FERRY_REFSLOT_H
#define FERRY_REFSLOT_H

#include <pthread.h>

typedef struct refslot {
    pthread_mutex_t mu;
    void *cur;
    void *(*ref)(void *);  /* returns its argument with one more reference */
    void (*unref)(void *);
} refslot_t;

void refslot_init(refslot_t *s, void *(*ref)(void *), void (*unref)(void *));
/* A new reference to the current object (the caller drops it), or NULL. */
void *refslot_get(refslot_t *s);
/* Install obj, taking over the caller's reference; the slot's reference to
 * the previous object is dropped after the lock is released. */
void refslot_set(refslot_t *s, void *obj);
/* Drop the slot's reference; no reader may use the slot afterwards. */
void refslot_destroy(refslot_t *s);

#endif

/*
 * dict.c - open-addressing string interning (see dict.h).
 */
#include "data/dict.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* FNV-1a, 64-bit: short keys (categories, ids) dominate, where it is as fast
 * as anything fancier and has no tail-handling edge cases. */
uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

dict_t *dict_new(void)
{
    dict_t *d = xcalloc(1, sizeof(*d));
    d->nslots = 16;
    d->slots = xmalloc(d->nslots * sizeof(*d->slots));
    memset(d->slots, 0xff, d->nslots * sizeof(*d->slots));
    return d;
}

void dict_free(dict_t *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++)
        xfree(d->str[i]);
    xfree(d->str);
    xfree(d->len);
    xfree(d->hash);
    xfree(d->slots);
    xfree(d);
}

static void dict_rehash(dict_t *d)
{
    size_t ns = d->nslots * 2;
    int32_t *slots = xmalloc(ns * sizeof(*slots));
    memset(slots, 0xff, ns * sizeof(*slots));
    for (size_t c = 0; c < d->n; c++) {
        size_t j = d->hash[c] & (ns - 1);
        while (slots[j] >= 0)
            j = (j + 1) & (ns - 1);
        slots[j] = (int32_t)c;
    }
    xfree(d->slots);
    d->slots = slots;
    d->nslots = ns;
}

static int32_t dict_lookup(const dict_t *d, const char *p, size_t n,
                           uint64_t h, size_t *slot)
{
    size_t j = h & (d->nslots - 1);
    for (;;) {
        int32_t c = d->slots[j];
        if (c < 0) {
            *slot = j;
            return -1;
        }
        if (d->hash[c] == h && d->len[c] == n &&
            (n == 0 || memcmp(d->str[c], p, n) == 0))
            return c;
        j = (j + 1) & (d->nslots - 1);
    }
}

int32_t dict_find(const dict_t *d, const char *p, size_t n)
{
    size_t slot;
    return dict_lookup(d, p, n, hash_bytes(p, n), &slot);
}

int32_t dict_intern(dict_t *d, const char *p, size_t n)
{
    uint64_t h = hash_bytes(p, n);
    size_t slot;
    int32_t c = dict_lookup(d, p, n, h, &slot);
    if (c >= 0)
        return c;
    if ((d->n + 1) * 2 > d->nslots) {
        dict_rehash(d);
        dict_lookup(d, p, n, h, &slot);
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->str = xrealloc(d->str, d->cap * sizeof(*d->str));
        d->len = xrealloc(d->len, d->cap * sizeof(*d->len));
        d->hash = xrealloc(d->hash, d->cap * sizeof(*d->hash));
    }
    c = (int32_t)d->n++;
    d->str[c] = xstrndup(p, n);
    d->len[c] = (uint32_t)n;
    d->hash[c] = h;
    d->slots[slot] = c;
    return c;
}

dict_t *dict_clone(const dict_t *d)
{
    dict_t *c = dict_new();
    for (size_t i = 0; i < d->n; i++)
        dict_intern(c, d->str[i], d->len[i]);
    return c;
}

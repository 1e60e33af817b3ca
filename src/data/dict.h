/*
 * dict.h - string interning: a vocabulary mapping strings to dense codes.
 *
 * Used for CATEGORY columns, one-hot vocabularies and hash lookups by key
 * (entity ids).  Codes are assigned in insertion order 0, 1, 2, ... and never
 * change, so a vocabulary learned in training can be stored and replayed.
 * The dict owns copies of its strings.
 */
#ifndef FERRY_DICT_H
#define FERRY_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "base/str.h"

typedef struct dict {
    char **str;      /* code -> string (owned, NUL-terminated) */
    uint32_t *len;   /* code -> length */
    size_t n, cap;
    int32_t *slots;  /* open addressing: -1 empty, else code */
    uint64_t *hash;  /* code -> hash */
    size_t nslots;
} dict_t;

dict_t *dict_new(void);
void dict_free(dict_t *d);
/* Code of s, inserting it if absent. */
int32_t dict_intern(dict_t *d, const char *p, size_t n);
/* Code of s, or -1 if absent. */
int32_t dict_find(const dict_t *d, const char *p, size_t n);
static inline str_t dict_str(const dict_t *d, int32_t code)
{
    return (str_t){d->str[code], d->len[code]};
}
dict_t *dict_clone(const dict_t *d);
uint64_t hash_bytes(const void *p, size_t n);

#endif

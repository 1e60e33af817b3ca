/*
 * store_test_util.h - tables with every type, and deep comparison, shared
 * by the store unit tests (header-only so each test stays one file).
 */
#ifndef FERRY_STORE_TEST_UTIL_H
#define FERRY_STORE_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/table.h"

/* One temporary directory per test program: cmocka group setup/teardown
 * call tu_tmpdir_make/remove, tests name files in it with path_in. */
static char tmpdir[256];

static inline int tu_tmpdir_make(const char *tag)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry_%s_XXXXXX", tag);
    return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int tu_tmpdir_remove(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd);
}

static inline void path_in(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Deterministic xorshift so failures reproduce. */
static inline uint64_t tu_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* n rows, one column of every type; every 7th row null in each column
 * (offset per column), strings include "", commas, quotes and newlines. */
static inline table_t *tu_all_types(size_t n, uint64_t seed)
{
    static const char *const words[] = {"", "plain", "a,b", "say \"hi\"",
                                        "two\nlines", "caf\xc3\xa9", " sp "};
    table_t *t = table_new();
    column_t *ci = col_new("i", FT_INT, n), *cf = col_new("f", FT_FLOAT, n);
    column_t *cb = col_new("b", FT_BOOL, n), *cs = col_new("s", FT_STRING, n);
    column_t *cc = col_new("c", FT_CATEGORY, n), *cd = col_new("d", FT_DATE, n);
    column_t *ct = col_new("t", FT_DATETIME, n);
    column_t *all[] = {ci, cf, cb, cs, cc, cd, ct};
    uint64_t s = seed | 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = tu_rand(&s);
        const char *w = words[r % 7];
        ci->i64[i] = (int64_t)(r >> 3) - (int64_t)(1ULL << 59);
        if (i == 1)
            ci->i64[i] = INT64_MIN;
        cf->f64[i] = (double)(int64_t)(r % 2000001 - 1000000) / 100.0;
        if (i % 5 == 2) {
            uint64_t bits = tu_rand(&s);
            memcpy(&cf->f64[i], &bits, 8);
            if (!isfinite(cf->f64[i]))
                cf->f64[i] = 1.0 / 3.0;
        }
        cb->u8[i] = (uint8_t)(r >> 9 & 1);
        col_str_append(cs, i, w, strlen(w));
        cc->code[i] = dict_intern(cc->dict, words[(r >> 20) % 7],
                                  strlen(words[(r >> 20) % 7]));
        cd->i64[i] = (int64_t)((r >> 30) % 80000) - 30000;
        ct->i64[i] = (int64_t)((r >> 24) % 4000000000ULL) - 1000000000;
    }
    for (size_t j = 0; j < 7; j++) {
        for (size_t i = j; i < n; i += 7) {
            col_set_null(all[j], i);
            if (all[j]->type == FT_CATEGORY)
                all[j]->code[i] = 0;
            else if (all[j]->i64)
                all[j]->i64[i] = 0;
            else if (all[j]->u8)
                all[j]->u8[i] = 0;
        }
        table_add(t, all[j], NULL);
    }
    t->nrows = n;
    return t;
}

/* 1 when equal in names, types, nulls and values (NaN == NaN bitwise). */
static inline int tu_table_eq(const table_t *a, const table_t *b, char *why,
                              size_t whylen)
{
    if (a->ncols != b->ncols || a->nrows != b->nrows) {
        snprintf(why, whylen, "shape %zux%zu vs %zux%zu", a->nrows, a->ncols,
                 b->nrows, b->ncols);
        return 0;
    }
    for (size_t j = 0; j < a->ncols; j++) {
        const column_t *x = a->cols[j], *y = b->cols[j];
        if (strcmp(x->name, y->name) || x->type != y->type) {
            snprintf(why, whylen, "column %zu: %s/%d vs %s/%d", j, x->name,
                     x->type, y->name, y->type);
            return 0;
        }
        for (size_t i = 0; i < a->nrows; i++) {
            int nx = col_is_null(x, i), ny = col_is_null(y, i), same = 1;
            if (nx != ny) {
                same = 0;
            } else if (nx) {
                continue;
            } else if (x->type == FT_STRING || x->type == FT_CATEGORY) {
                same = str_eq(col_str(x, i), col_str(y, i));
            } else if (x->type == FT_FLOAT) {
                same = memcmp(&x->f64[i], &y->f64[i], 8) == 0;
            } else if (x->type == FT_BOOL) {
                same = x->u8[i] == y->u8[i];
            } else {
                same = x->i64[i] == y->i64[i];
            }
            if (!same) {
                snprintf(why, whylen, "column %s row %zu differs", x->name, i);
                return 0;
            }
        }
    }
    return 1;
}

#endif

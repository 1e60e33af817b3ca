/*
 * train_test_util.h - helpers shared by the train unit tests: a seeded
 * generator, temp files and running a /usr/bin/python3 reference script
 * that prints "name value" lines.
 */
#ifndef FERRY_TRAIN_TEST_UTIL_H
#define FERRY_TRAIN_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/split.h"

#define REF_MAX 256

typedef struct ref_vals {
    size_t n;
    char name[REF_MAX][64];
    double v[REF_MAX];
} ref_vals_t;

static inline double tu_uniform(uint64_t *st)
{
    return (double)(split_rand_next(st) >> 11) * 0x1.0p-53;
}

/* Path of a script next to this file ($FERRY_SRC/tests/unit/train/...). */
static inline void tu_script(char *out, size_t n, const char *name)
{
    const char *src = getenv("FERRY_SRC");
    snprintf(out, n, "%s/tests/unit/train/%s", src ? src : "..", name);
}

/* Run "/usr/bin/python3 script args" and collect its "name value" lines.
 * Returns 0 on success. */
static inline int tu_run_ref(const char *script, const char *args, ref_vals_t *r)
{
    char path[1024], cmd[4096], line[512];
    tu_script(path, sizeof(path), script);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s", path, args);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    r->n = 0;
    while (fgets(line, sizeof(line), p) != NULL && r->n < REF_MAX) {
        char nm[64];
        double v;
        if (sscanf(line, "%63s %lf", nm, &v) == 2) {
            snprintf(r->name[r->n], sizeof(r->name[0]), "%s", nm);
            r->v[r->n++] = v;
        }
    }
    return pclose(p) == 0 ? 0 : -1;
}

static inline double tu_ref(const ref_vals_t *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->name[i], name) == 0)
            return r->v[i];
    fprintf(stderr, "reference value %s missing\n", name);
    return -12345.678;
}

#endif

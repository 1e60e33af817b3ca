/*
 * fuzz_spec.c - the project file parser: YAML -> ynode tree -> project_t.
 *
 * Any input must either load or fail with a message; never crash or leak.
 * The first line, when it starts with "#set ", is used as a --set override
 * so the override path parser is fuzzed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "project/project.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *sets[1];
    size_t nsets = 0;
    char *set = NULL;
    project_t *p = NULL;
    ferr_t e = {0};

    if (size > 5 && memcmp(data, "#set ", 5) == 0) {
        const char *nl = memchr(data, '\n', size);
        size_t n = nl ? (size_t)(nl - text) - 5 : size - 5;
        set = xstrndup(text + 5, n);
        sets[nsets++] = set;
    }
    if (project_load_mem("fuzz.yaml", text, size, "/nonexistent", sets, nsets,
                         &p, &e) == FERR_OK) {
        buf_t b = {0};
        project_reference_md(&b); /* touch the tables too */
        buf_free(&b);
        project_free(p);
    } else if (e.msg[0] == '\0') {
        abort(); /* every failure must say why */
    }
    free(set);
    return 0;
}

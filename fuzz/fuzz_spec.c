/*
 * fuzz_spec.c - the project file parser: YAML -> ynode tree -> project_t.
 *
 * Any input must either load or fail with a message; never crash or leak,
 * and never take long or much memory: run it with -rss_limit_mb=2048
 * -timeout=5 (and -malloc_limit_mb defaults to the RSS limit), which is
 * what catches an alias bomb (a 400-byte "billion laughs" took 17 GB) or
 * deep nesting (100,000 `[` took 79 s).  "#rep N" inputs (fuzz_rep.h)
 * reach such sizes from a few bytes.  The first line (after any #rep
 * expansion), when it starts with "#set ", is used as a --set override so
 * the override path parser is fuzzed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "fuzz_rep.h"
#include "project/project.h"

int LLVMFuzzerTestOneInput(const uint8_t *raw, size_t rawsize)
{
    size_t size;
    char *expanded = fuzz_rep_expand(raw, rawsize, 200000, 4u << 20, &size);
    const uint8_t *data = (const uint8_t *)expanded;
    const char *text = expanded;
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
    free(expanded);
    return 0;
}

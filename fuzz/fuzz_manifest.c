/*
 * fuzz_manifest.c - manifest JSON parsing and schema validation.
 *
 * Every manifest the registry reads goes through reg_manifest_parse, and
 * manifests are files users can edit, so it must reject anything without
 * crashing and name the place.  Properties checked beyond "no crash": a
 * rejection always carries a message, and an accepted manifest survives a
 * serialise/parse round trip (what the registry does when it stores one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int stored = 0; stored <= 1; stored++) {
        ferr_t e = {0};
        json_t *m = NULL, *again = NULL;
        char *text;
        int rc = reg_manifest_parse((const char *)data, size, "fuzz.json",
                                    stored, &m, &e);
        if (rc != FERR_OK) {
            if (m != NULL || e.msg[0] == '\0')
                abort(); /* failures hand out nothing and always explain */
            continue;
        }
        text = json_dumps(m, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        if (text == NULL ||
            reg_manifest_parse(text, strlen(text), "again", stored, &again,
                               &e) != FERR_OK) {
            fprintf(stderr, "round trip failed: %s\n", ferr_msg(&e));
            abort();
        }
        free(text);
        json_decref(again);
        json_decref(m);
    }
    return 0;
}

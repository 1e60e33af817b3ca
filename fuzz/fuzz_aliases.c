/*
 * fuzz_aliases.c - a model's alias files as the registry reads them: the
 * aliases.json checkpoint caught up with the history.jsonl log.
 *
 * Both files are user-editable and a crash can leave the log ahead of the
 * checkpoint or a last line torn, so every reader replays log entries it
 * has never seen validated.  Input: aliases.json's text, a NUL byte, then
 * history.jsonl's text (no NUL: no aliases.json, the whole input is the
 * log).  Properties beyond "no crash": a failure hands out nothing and
 * always explains; a success is well-formed (every alias and earlier target
 * a version number, "applied" the log's entry count); and saving it as the
 * checkpoint then reading again gives the same aliases (what a writer does
 * after recovering).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/reg_int.h"

static int is_version(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 1 &&
           json_integer_value(v) <= INT32_MAX;
}

static void check_shape(const json_t *a)
{
    const char *k;
    json_t *v, *x;
    size_t i;
    if (!json_is_object(json_object_get(a, "aliases")) ||
        !json_is_object(json_object_get(a, "previous")) ||
        !json_is_integer(json_object_get(a, "applied")))
        abort();
    json_object_foreach(json_object_get(a, "aliases"), k, v) {
        if (!is_version(v))
            abort();
    }
    json_object_foreach(json_object_get(a, "previous"), k, v) {
        json_array_foreach(v, i, x) {
            if (!is_version(x))
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    const char *atext = nul ? text : NULL, *htext = nul ? nul + 1 : text;
    size_t an = nul ? (size_t)(nul - text) : 0;
    size_t hn = size - (size_t)(htext - text);
    ferr_t e = {0};
    json_t *a = NULL, *again = NULL;
    char *saved;

    if (reg__aliases_from_text(atext, an, htext, hn, &a, &e) != FERR_OK) {
        if (a != NULL || e.msg[0] == '\0')
            abort();
        return 0;
    }
    check_shape(a);
    saved = json_dumps(a, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (saved == NULL ||
        reg__aliases_from_text(saved, strlen(saved), htext, hn, &again,
                               &e) != FERR_OK ||
        !json_equal(a, again)) {
        fprintf(stderr, "checkpoint round trip: %s\n", ferr_msg(&e));
        abort();
    }
    free(saved);
    json_decref(a);
    json_decref(again);
    return 0;
}

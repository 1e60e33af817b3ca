/*
 * request.c - JSON records to plan fields, and their errors (request.h).
 */
#include "serve/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/fmt.h"

int serve_record_fields(const rec_plan_t *pl, const json_t *rec,
                        const char *path, str_t *vals, buf_t *scratch,
                        ferr_t *e)
{
    size_t nf = rec_plan_nfields(pl);
    size_t *at;  /* offsets into scratch: it may move while filled */
    int rc = FERR_OK;

    if (!json_is_object(rec))
        return ferr_set(e, FERR_PARSE, "%s: expected an object of fields",
                        path);
    buf_reset(scratch);
    buf_append(scratch, "", 0);
    at = calloc(nf + 1, sizeof(*at));
    if (at == NULL)
        return ferr_set(e, FERR_NOMEM, "%s: no memory", path);
    for (size_t i = 0; i < nf && rc == FERR_OK; i++) {
        const char *name = rec_plan_field(pl, i)->name;
        const json_t *v = json_object_get(rec, name);
        char num[STORE_FMT_MAX];
        int k;
        at[i] = SIZE_MAX;
        vals[i] = (str_t){NULL, 0};
        if (v == NULL)
            continue; /* absent: rec_eval names it */
        switch (json_typeof(v)) {
        case JSON_STRING:
            vals[i] = (str_t){json_string_value(v), json_string_length(v)};
            continue;
        case JSON_NULL:
            vals[i] = (str_t){"", 0};
            continue;
        case JSON_TRUE:
        case JSON_FALSE:
            vals[i] = str_from(json_is_true(v) ? "true" : "false");
            continue;
        case JSON_INTEGER:
            k = (int)store_fmt_i64((int64_t)json_integer_value(v), num);
            break;
        case JSON_REAL: /* the shortest text that reads back as x */
            k = (int)store_fmt_f64(json_real_value(v), num);
            break;
        default:
            rc = ferr_set(e, FERR_PARSE, "%s.%s: expected a string, number, "
                          "boolean or null, not an %s", path, name,
                          json_is_object(v) ? "object" : "array");
            continue;
        }
        at[i] = scratch->n;
        buf_append(scratch, num, (size_t)k);
        buf_append(scratch, "", 1); /* each number ends at its own NUL */
    }
    for (size_t i = 0; i < nf && rc == FERR_OK; i++)
        if (at[i] != SIZE_MAX)
            vals[i] = str_from(scratch->p + at[i]);
    free(at);
    return rc;
}

json_t *serve_record_error(const rec_plan_t *pl, const rec_ctx_t *cx,
                           const char *path, const ferr_t *e)
{
    int bf = cx ? rec_bad_field(cx) : -1;
    char where[512];
    if (bf >= 0)
        snprintf(where, sizeof(where), "%s.%s", path,
                 rec_plan_field(pl, (size_t)bf)->name);
    else
        snprintf(where, sizeof(where), "%s", path);
    return json_pack("{s:s, s:s}", "path", where, "message", ferr_msg(e));
}

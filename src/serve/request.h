/*
 * request.h - the JSON of the prediction routes, to and from a version's
 * scoring plan (features/record.h).  Engine-free, so the HTTP layer only
 * moves bytes and every mapping is unit-tested here.
 *
 * A record is a JSON object of raw fields, as a client sends it:
 * {"OPERA": "Grupo LATAM", "TIPOVUELO": "N", "MES": 3}.  Each plan field
 * gets the text the CSV reader would have read, so a record sent as JSON
 * parses exactly like the same record in a file: strings as they are,
 * integers in decimal, other numbers in the shortest text that reads back
 * as the same double, true/false as such, null as an empty value, a
 * missing key as an absent field.  Keys the plan does not read are
 * ignored; an object or array where a field's value should be is an error
 * naming its JSON path.
 *
 * Errors of a record carry its JSON path: "$.records[2].MES: '13' is not
 * a category the model was trained on (12 known, ...)": the plan's
 * message with the field's path in front.
 */
#ifndef FERRY_SERVE_REQUEST_H
#define FERRY_SERVE_REQUEST_H

#include <jansson.h>

#include "base/err.h"
#include "base/str.h"
#include "features/record.h"

/* The plan fields of one JSON record.  vals gets rec_plan_nfields(pl)
 * entries pointing into scratch (valid until scratch changes) or into
 * rec's strings.  path is the record's JSON path ("$.records[2]"). */
int serve_record_fields(const rec_plan_t *pl, const json_t *rec,
                        const char *path, str_t *vals, buf_t *scratch,
                        ferr_t *e);

/* A rejected record's error as JSON for a response body:
 * {"path": "$.records[2].MES", "message": "..."}: the field rec_eval
 * named (rec_bad_field), else the record's own path. */
json_t *serve_record_error(const rec_plan_t *pl, const rec_ctx_t *cx,
                           const char *path, const ferr_t *e);

#endif

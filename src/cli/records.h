/*
 * records.h - a file of raw records read as text, for the commands that
 * score or push records one at a time (`ferry predict`, `ferry features
 * push`): every column a STRING with the source's CSV options, so each
 * field reaches the scoring plan as the text the record carried.
 */
#ifndef FERRY_CLI_RECORDS_H
#define FERRY_CLI_RECORDS_H

#include <stdint.h>

#include "base/err.h"
#include "data/table.h"
#include "project/project.h"

/* Read path with source s's options.  Rows the reader cannot split (wrong
 * field count, bad UTF-8) are not errors: they come back in *rej (the
 * reader's rejects: line, column, value, reason; NULL when none), read
 * from rej_tmp, a temporary path this call removes. */
int records_read(const proj_source_t *s, const char *path,
                 const char *rej_tmp, table_t **out, table_t **rej,
                 ferr_t *e);

/* The physical line of each record of t (1 is the header), given the
 * reader's rejects; malloc'd, t->nrows entries. */
int64_t *records_lines(const table_t *t, const table_t *rej);

/* Record r's text per plan field: vals[i] from column map[i] of t (an
 * empty cell is "", map[i] < 0 an absent field: .p NULL). */
void records_fields(const table_t *t, size_t r, const int *map, size_t n,
                    str_t *vals);

/* After a successful rec_eval: model input j into row `row` of the FLOAT
 * column cols[j], j < n (null when the record has none): predict's and
 * push's --with-features. */
struct rec_ctx;
void records_put_features(const struct rec_ctx *cx, column_t *const *cols,
                          size_t n, size_t row);

#endif

/*
 * sql.h - a project's features as one SQL query (`ferry features sql`).
 *
 * The query reads one table per source, named after the source, holding
 * the CSV's columns as text exactly as in the file (what `.import`,
 * `\copy` or `spark.read.csv` produce) plus the file order: SQLite's
 * rowid, a `_row` column elsewhere.  It casts the declared columns (null
 * markers, decimal and thousands separators), then adds each feature in a
 * CTE of its own, in file order, so later features can use earlier ones,
 * and returns the same columns in the same order as the offline table.
 * Each expression, window and join translates itself (expr_to_sql,
 * win_to_sql, asof_to_sql); this module only assembles.
 */
#ifndef FERRY_FEATURES_SQL_H
#define FERRY_FEATURES_SQL_H

#include <stdbool.h>

#include "base/err.h"
#include "base/str.h"
#include "project/project.h"

/* dialect: "sqlite", "postgres" or "spark".  ddl: also print CREATE TABLE
 * statements for the raw source tables. */
int feat_sql(const project_t *p, const char *dialect, bool ddl, buf_t *out,
             ferr_t *e);

#endif

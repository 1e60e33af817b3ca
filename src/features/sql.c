/*
 * sql.c - assemble a project's features into one SQL query (see sql.h).
 *
 * The query is a chain of CTEs: s0 casts the raw text table, then one CTE
 * per feature (and per join) adds its column, so each step sees exactly
 * the columns the C pipeline saw at that point.  Types come from running
 * the real pipeline steps on zero-row tables: the SQL can only be as
 * right as the types, and this way they are the same types.
 */
#include "features/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "features/asof.h"
#include "features/expr.h"
#include "features/onehot.h"
#include "features/pipeline.h"
#include "features/pipeline_int.h"
#include "features/window.h"

static const char *const dialect_names[] = {
#define SQL_DIALECT_NAME_(e, name, doc) name,
    SQL_DIALECT_TABLE(SQL_DIALECT_NAME_)
#undef SQL_DIALECT_NAME_
};

static void q(sql_dialect_t d, buf_t *b, const char *name)
{
    sql_quote_ident(d, name, b);
}

static void lit(buf_t *b, const char *s)
{
    buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            buf_putc(b, '\'');
        buf_putc(b, *s);
    }
    buf_putc(b, '\'');
}

/* NULL when the raw text is one of the null markers, else the text. */
static void raw_value(sql_dialect_t d, buf_t *b, const proj_source_t *s,
                      const proj_column_t *c)
{
    buf_puts(b, "CASE WHEN ");
    q(d, b, c->name);
    buf_puts(b, " IN (");
    for (size_t i = 0; i < s->nnulls; i++) {
        if (i)
            buf_puts(b, ", ");
        lit(b, s->nulls[i]);
    }
    buf_puts(b, ") THEN NULL ELSE ");
    if (c->thousands || (c->decimal && c->decimal != '.')) {
        char th[2] = {c->thousands, 0}, dec[2] = {c->decimal, 0};
        buf_puts(b, "REPLACE(REPLACE(");
        q(d, b, c->name);
        buf_puts(b, ", ");
        lit(b, c->thousands ? th : "");
        buf_puts(b, ", ''), ");
        lit(b, dec);
        buf_puts(b, ", '.')");
    } else {
        q(d, b, c->name);
    }
    buf_puts(b, " END");
}

static int cast_column(sql_dialect_t d, buf_t *b, const proj_source_t *s,
                       const proj_column_t *c, ferr_t *e)
{
    static const char *const int_t[] = {"INTEGER", "BIGINT", "BIGINT"};
    static const char *const float_t[] = {"REAL", "DOUBLE PRECISION", "DOUBLE"};
    buf_t v = {0};
    int rc = FERR_OK;

    raw_value(d, &v, s, c);
    if ((c->type == FT_DATE || c->type == FT_DATETIME) && c->format &&
        strcmp(c->format, c->type == FT_DATE ? "%Y-%m-%d" : "%Y-%m-%d %H:%M:%S") != 0) {
        buf_free(&v);
        return ferr_set(e, FERR_UNSUPPORTED, "sources.%s.columns.%s: format "
                        "'%s' has no SQL translation (only ISO dates)", s->name,
                        c->name, c->format);
    }
    switch (c->type) {
    case FT_INT:
        buf_printf(b, "CAST(%s AS %s)", v.p, int_t[d]);
        break;
    case FT_FLOAT:
        buf_printf(b, "CAST(%s AS %s)", v.p, float_t[d]);
        break;
    case FT_BOOL:
        buf_printf(b, "CASE WHEN LOWER(%s) IN ('true','1','yes','y','t') THEN 1 "
                   "WHEN LOWER(%s) IN ('false','0','no','n','f') THEN 0 END",
                   v.p, v.p);
        break;
    case FT_DATE:
        buf_printf(b, d == SQL_SQLITE ? "date(%s)" : d == SQL_POSTGRES ?
                   "CAST(%s AS DATE)" : "to_date(%s)", v.p);
        break;
    case FT_DATETIME:
        buf_printf(b, d == SQL_SQLITE ? "datetime(%s)" : d == SQL_POSTGRES ?
                   "CAST(%s AS TIMESTAMP)" : "to_timestamp(%s)", v.p);
        break;
    default:
        buf_puts(b, v.p);
        break;
    }
    buf_free(&v);
    return rc;
}

/* Zero-row table with the declared columns of a source. */
static table_t *empty_source(const proj_source_t *s)
{
    table_t *t = table_new();
    for (size_t i = 0; i < s->ncols; i++) {
        const proj_column_t *c = &s->cols[i];
        table_add(t, col_new(c->rename ? c->rename : c->name, c->type, 0), NULL);
    }
    return t;
}

static void select_all_but(sql_dialect_t d, buf_t *b, const table_t *t,
                           const char *except)
{
    buf_puts(b, "SELECT ");
    q(d, b, "_row");
    for (size_t i = 0; i < t->ncols; i++) {
        if (except && strcmp(t->cols[i]->name, except) == 0)
            continue;
        buf_puts(b, ", ");
        q(d, b, t->cols[i]->name);
    }
}

static void ddl_for(sql_dialect_t d, buf_t *b, const proj_source_t *s)
{
    buf_puts(b, "CREATE TABLE ");
    q(d, b, s->name);
    buf_puts(b, " (");
    for (size_t i = 0; i < s->ncols; i++) {
        if (i)
            buf_puts(b, ", ");
        q(d, b, s->cols[i].name);
        buf_puts(b, d == SQL_SPARK ? " STRING" : " TEXT");
    }
    if (d == SQL_POSTGRES)
        buf_puts(b, ", \"_row\" BIGSERIAL");
    buf_puts(b, ");\n");
}

int feat_sql(const project_t *p, const char *dialect, bool ddl, buf_t *out,
             ferr_t *e)
{
    sql_dialect_t d = SQL_DIALECT_COUNT_;
    table_t **srcs, *t;
    feat_schema_t schema = {0};
    buf_t path = {0};
    char cte[32], prev[32];
    int rc = FERR_OK;

    for (int i = 0; i < SQL_DIALECT_COUNT_; i++)
        if (strcmp(dialect, dialect_names[i]) == 0)
            d = (sql_dialect_t)i;
    if (d == SQL_DIALECT_COUNT_)
        return ferr_set(e, FERR_USAGE, "unknown dialect '%s' (sqlite, postgres, "
                        "spark)", dialect);
    /* One-hot vocabularies are learned by `features build`. */
    buf_printf(&path, "%s/%s.schema.json", p->output_dir, p->output_name);
    for (size_t i = 0; i < p->nfeatures; i++)
        if (p->features[i].kind == FEAT_ONEHOT && !p->features[i].vocabulary &&
            schema.columns == NULL) {
            rc = feat_schema_load(path.p, &schema, e);
            if (rc) {
                ferr_prefix(e, "one-hot vocabularies are learned from the data: "
                            "run `ferry features build` first: ");
                buf_free(&path);
                return rc;
            }
        }
    buf_free(&path);

    buf_printf(out, "-- ferry features sql --dialect %s: project %s\n"
                    "-- Input: one table per source, named after it, with the "
                    "CSV's columns as text\n-- (",
               dialect_names[d], p->name);
    buf_puts(out, d == SQL_SQLITE ? "sqlite3: .import --csv FILE NAME; rowid "
                                    "keeps the file order" :
                  d == SQL_POSTGRES ? "psql: \\copy NAME(columns) FROM FILE CSV "
                                      "HEADER; _row BIGSERIAL keeps the file order" :
                  "spark.read.csv(FILE, header=True); _row = file order, e.g. "
                  "monotonically_increasing_id()");
    buf_puts(out, ").\n");
    if (ddl)
        for (size_t i = 0; i < p->nsources; i++)
            ddl_for(d, out, &p->sources[i]);
    buf_puts(out, "WITH\n");
    srcs = xcalloc(p->nsources, sizeof(*srcs));
    for (size_t i = 0; i < p->nsources && rc == FERR_OK; i++) {
        const proj_source_t *s = &p->sources[i];
        srcs[i] = empty_source(s);
        buf_printf(out, "%s%s_src AS (SELECT ", i ? ",\n" : "", s->name);
        if (d == SQL_SQLITE)
            buf_puts(out, "rowid");
        else
            q(d, out, "_row");
        buf_puts(out, " AS ");
        q(d, out, "_row");
        for (size_t c = 0; c < s->ncols && rc == FERR_OK; c++) {
            buf_puts(out, ", ");
            rc = cast_column(d, out, s, &s->cols[c], e);
            buf_puts(out, " AS ");
            q(d, out, s->cols[c].rename ? s->cols[c].rename : s->cols[c].name);
        }
        buf_puts(out, " FROM ");
        q(d, out, s->name);
        buf_puts(out, ")");
    }
    t = srcs[0];
    snprintf(prev, sizeof(prev), "%s_src", p->sources[0].name);
    for (size_t j = 0; j < p->njoins && rc == FERR_OK; j++) {
        const proj_join_t *jn = &p->joins[j];
        const proj_source_t *rs = project_source(p, jn->source);
        table_t *right = srcs[rs - p->sources];
        asof_spec_t s = ASOF_SPEC_INIT;
        buf_t join = {0}, sel = {0};
        char prefix[256], rrel[300];
        const char **rcols = xcalloc(right->ncols + 1, sizeof(char *));
        for (size_t c = 0; c < right->ncols; c++)
            rcols[c] = right->cols[c]->name;
        snprintf(prefix, sizeof(prefix), "%s_", jn->source);
        snprintf(rrel, sizeof(rrel), "%s_src", jn->source);
        s.left_time = jn->left_time;
        s.right_time = jn->right_time;
        s.left_key = jn->left_key;
        s.right_key = jn->right_key;
        s.allow_exact = jn->exact;
        s.prefix = jn->prefix ? jn->prefix : prefix;
        s.columns = jn->columns;
        s.ncolumns = jn->ncolumns;
        s.time_type = table_find(t, jn->left_time) ?
                          table_find(t, jn->left_time)->type : FT_DATE;
        if (jn->tolerance)
            rc = win_parse_duration(jn->tolerance, s.time_type, &s.tolerance, e);
        if (rc == FERR_OK)
            rc = asof_to_sql(&s, d, prev, "l", rrel, "r", rcols, right->ncols,
                             &join, &sel, e);
        if (rc == FERR_OK)
            rc = asof_join(t, right, &s, e); /* zero rows: learns the types */
        if (rc == FERR_OK) {
            snprintf(cte, sizeof(cte), "j%zu", j + 1);
            buf_printf(out, ",\n%s AS (SELECT l.*, %s FROM %s AS l %s)", cte,
                       sel.p, prev, join.p);
            snprintf(prev, sizeof(prev), "%s", cte);
        }
        free(rcols);
        buf_free(&join);
        buf_free(&sel);
    }
    for (size_t i = 0; i < p->nfeatures && rc == FERR_OK; i++) {
        const proj_feature_t *f = &p->features[i];
        buf_t x = {0};
        snprintf(cte, sizeof(cte), "f%zu", i + 1);
        buf_printf(out, ",\n%s AS (", cte);
        if (f->kind == FEAT_EXPR) {
            expr_t *ex;
            column_t *col;
            rc = expr_compile(f->expr, t, &ex, e);
            if (rc == FERR_OK)
                rc = expr_to_sql(ex, d, &x, e);
            if (rc == FERR_OK && expr_eval(ex, t, f->name, &col, e) == FERR_OK) {
                int k = table_index(t, f->name);
                select_all_but(d, out, t, f->name);
                buf_printf(out, ", %s AS ", x.p);
                q(d, out, f->name);
                if (k >= 0) {
                    col_free(table_take(t, f->name));
                }
                table_add(t, col, NULL);
            }
            if (ex)
                expr_free(ex);
        } else if (f->kind == FEAT_WINDOW) {
            win_spec_t w;
            column_t *col;
            rc = feat_window_spec(t, f, &w, e);
            if (rc == FERR_OK)
                rc = win_to_sql(&w, d, &x, e);
            if (rc == FERR_OK)
                rc = win_compute(t, &w, f->name, &col, e);
            if (rc == FERR_OK) {
                select_all_but(d, out, t, f->name);
                buf_printf(out, ", %s AS ", x.p);
                q(d, out, f->name);
                col_free(table_take(t, f->name));
                table_add(t, col, NULL);
            }
        } else {
            json_t *voc = f->vocabulary ? NULL :
                          json_object_get(schema.vocabularies, f->name);
            size_t nv = f->vocabulary ? f->nvocabulary : json_array_size(voc);
            select_all_but(d, out, t, NULL);
            if (f->vocabulary == NULL && !json_is_array(voc))
                rc = ferr_set(e, FERR_NOTFOUND, "no learned vocabulary for '%s'",
                              f->name);
            for (size_t v = 0; v < nv && rc == FERR_OK; v++) {
                const char *val = f->vocabulary ? f->vocabulary[v] :
                                  json_string_value(json_array_get(voc, v));
                buf_t name = {0};
                buf_printf(&name, "%s=%s", f->name, val);
                buf_puts(out, ", CASE WHEN CAST(");
                q(d, out, f->column);
                buf_puts(out, d == SQL_SPARK ? " AS STRING) = " : " AS TEXT) = ");
                lit(out, val);
                buf_puts(out, " THEN 1 ELSE 0 END AS ");
                q(d, out, name.p);
                if (table_find(t, name.p) == NULL)
                    table_add(t, col_new(name.p, FT_INT, 0), NULL);
                buf_free(&name);
            }
        }
        if (rc)
            ferr_prefix(e, "%s:%d: features[%zu] '%s': ", p->file, f->line, i,
                        f->name);
        buf_printf(out, " FROM %s)", prev);
        snprintf(prev, sizeof(prev), "%s", cte);
        buf_free(&x);
    }
    if (rc == FERR_OK) {
        const char **names, **roles;
        size_t n = feat_output_names(p, t, &names, &roles);
        buf_puts(out, "\nSELECT ");
        for (size_t i = 0; i < n; i++) {
            if (i)
                buf_puts(out, ", ");
            q(d, out, names[i]);
        }
        buf_printf(out, " FROM %s ORDER BY ", prev);
        q(d, out, "_row");
        buf_puts(out, ";\n");
        free(names);
        free(roles);
    }
    for (size_t i = 0; i < p->nsources; i++)
        table_free(srcs[i]);
    free(srcs);
    feat_schema_free(&schema);
    return rc;
}

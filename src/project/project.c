/*
 * project.c - ferry.yaml interpretation and the key table (see project.h).
 */
#include "project/project.h"

#include <ctype.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/str.h"
#include "features/expr.h"

/* The key table.  Adding a key: one row here, then read it below; the
 * reference doc test fails until docs/reference.md is regenerated. */
const proj_key_t proj_keys[] = {
    {"", "name", "text", "directory name", "project and model name", 0, 0},
    {"", "sources", "map", "required", "input files by source name; the first is the primary source the features are computed on", 0, 0},
    {"", "joins", "list", "none", "as-of joins of other sources onto the primary source", 0, 0},
    {"", "features", "list", "none", "feature definitions, evaluated in order; later ones may use earlier ones", 0, 0},
    {"", "label", "text", "none", "the column to predict (a source column or a feature)", 0, 0},
    {"", "output", "map", "", "where the offline feature table goes", 0, 0},
    {"", "online", "map", "", "the online store (latest feature row per entity)", 0, 0},
    {"", "registry", "map", "", "the model registry", 0, 0},
    {"", "model", "map", "", "the model to train (see docs/train.md)", 0, 0},
    {"", "split", "map", "", "how rows are split into train/valid/test (see docs/train.md)", 0, 0},
    {"", "search", "map", "", "hyper-parameter search (see docs/train.md)", 0, 0},
    {"", "gate", "map", "", "validation gate for promotion to champion (see docs/registry.md)", 0, 0},

    {"sources.<name>", "path", "text", "required", "CSV file, relative to the project directory", 0, 0},
    {"sources.<name>", "delimiter", "char", ",", "field delimiter (\\t or tab for TSV)", 0, 0},
    {"sources.<name>", "quote", "char", "\"", "quote character (RFC 4180)", 0, 0},
    {"sources.<name>", "nulls", "list of text", "[\"\"]", "field values read as null", 0, 0},
    {"sources.<name>", "trim", "bool", "false", "trim spaces around unquoted fields", 0, 0},
    {"sources.<name>", "max_line_bytes", "integer", "1048576", "longer lines are rejected", 16, 1073741824},
    {"sources.<name>", "max_rejects", "integer", "0", "error budget: rows that may be rejected (the more generous of this and max_reject_fraction); with both 0 any bad row fails the build", 0, INFINITY},
    {"sources.<name>", "max_reject_fraction", "number", "0", "error budget as a fraction of the data rows", 0, 1},
    {"sources.<name>", "rejects", "text", "<output.dir>/rejects-<name>.csv", "file of rejected rows: line, column, value, reason", 0, 0},
    {"sources.<name>", "threads", "integer", "0 (all cores)", "parser threads", 0, PROJ_MAX_THREADS},
    {"sources.<name>", "entity", "text", "none", "entity key column (customer id)", 0, 0},
    {"sources.<name>", "timestamp", "text", "none", "event time column (point-in-time order)", 0, 0},
    {"sources.<name>", "null_keys", "text", "reject", "a row whose entity or timestamp is empty: reject (a rejects entry, counted against the budget) or keep (it is never pooled with other empty keys: its windows see only itself, or are null without a time)", 0, 0},
    {"sources.<name>", "encoding", "text", "utf-8", "of text values: utf-8 (a value that is not UTF-8 rejects its row) or latin1 (ISO 8859-1, transcoded to UTF-8)", 0, 0},
    {"sources.<name>", "columns", "map", "required", "columns to read, by header name: a type name, or a map of the keys below", 0, 0},

    {"sources.<name>.columns.<col>", "type", "text", "required", "int, float, bool, string, category, date or datetime", 0, 0},
    {"sources.<name>.columns.<col>", "format", "text", "ISO 8601", "date/datetime format: %Y %y %m %d %b %B %H %M %S %j; %b takes English or Spanish month names (Ene-2014)", 0, 0},
    {"sources.<name>.columns.<col>", "decimal", "char", ".", "decimal separator", 0, 0},
    {"sources.<name>.columns.<col>", "thousands", "char", "none", "thousands separator (1.234.567)", 0, 0},
    {"sources.<name>.columns.<col>", "rename", "text", "the header", "name of the column in ferry", 0, 0},

    {"joins[]", "source", "text", "required", "the source joined onto the primary one", 0, 0},
    {"joins[]", "left_time", "text", "primary timestamp", "time column of the primary source", 0, 0},
    {"joins[]", "right_time", "text", "source timestamp", "time column of the joined source", 0, 0},
    {"joins[]", "left_key", "text", "none", "key column of the primary source", 0, 0},
    {"joins[]", "right_key", "text", "left_key", "key column of the joined source", 0, 0},
    {"joins[]", "tolerance", "duration", "none", "most time between the two rows (31d, 12h)", 0, 0},
    {"joins[]", "exact", "bool", "true", "a row at exactly the same time matches", 0, 0},
    {"joins[]", "prefix", "text", "<source>_", "prefix of the attached column names", 0, 0},
    {"joins[]", "columns", "list of text", "all", "columns of the joined source to attach", 0, 0},

    {"features[]", "name", "text", "required (onehot: the column)", "output column name (onehot: prefix): 1 to 63 letters (ASCII or UTF-8), digits or '_', not starting with a digit nor an expression keyword (and, or, null, ...), so later expressions and SQL export name it as is; a source column's own name is also accepted", 0, 0},
    {"features[]", "expr", "expression", "", "a row expression (docs/expressions.md)", 0, 0},
    {"features[]", "window", "text", "", "point-in-time aggregate over previous events: count, sum, mean, min, max, std, last, lag (docs/windows.md)", 0, 0},
    {"features[]", "of", "text", "none", "window: the value column", 0, 0},
    {"features[]", "by", "text", "source entity", "window: entity column; 'none' for a single series", 0, 0},
    {"features[]", "order", "text", "source timestamp", "window: time column (ties: file order)", 0, 0},
    {"features[]", "over", "text", "all", "window frame: all previous events, the last N, or a duration (90d)", 0, 0},
    {"features[]", "lag", "integer", "1", "window lag: how many events back", 1, 1000000},
    {"features[]", "include_current", "bool", "false", "window includes the current event", 0, 0},
    {"features[]", "onehot", "text", "", "one-hot encode this column: one 0/1 column per vocabulary value", 0, 0},
    {"features[]", "vocabulary", "list of text", "learned", "one-hot vocabulary (otherwise learned from the data)", 0, 0},
    {"features[]", "min_count", "integer", "1", "one-hot: least occurrences to enter the vocabulary", 1, INFINITY},
    {"features[]", "max_categories", "integer", "unlimited", "one-hot: the most frequent N values", 1, 1000000},
    {"features[]", "strict", "bool", "false", "one-hot: an unknown value is an error (else all zeros)", 0, 0},
    {"features[]", "unknown", "text", "reject", "one-hot, scoring a record: a value outside the training vocabulary is `reject` (the record is refused), `missing` (scored as an empty value) or `ignore` (all zeros, as the batch path does)", 0, 0},
    {"features[]", "keep", "bool", "true", "false: intermediate, not written to the output", 0, 0},

    {"output", "dir", "text", "out", "output directory", 0, 0},
    {"output", "name", "text", "features", "base name of the feature files", 0, 0},
    {"output", "csv", "bool", "true", "write <dir>/<name>.csv", 0, 0},
    {"output", "binary", "bool", "true", "write <dir>/<name>.fcol (columnar, read by train)", 0, 0},
    {"output", "carry", "list of text", "entity, timestamp", "source columns copied to the output besides features and label", 0, 0},

    {"online", "enabled", "bool", "false", "materialize the online store on every build (or --online)", 0, 0},
    {"online", "path", "text", "<output.dir>/online.sqlite", "SQLite online store", 0, 0},
    {"online", "entity", "text", "source entity", "entity key of the online rows", 0, 0},

    {"registry", "path", "text", "registry", "registry directory", 0, 0},

    {"model", "type", "text", "xgboost", "xgboost, ridge or logistic (docs/train.md)", 0, 0},
    {"model", "objective", "text", "binary:logistic", "binary:logistic or reg:squarederror", 0, 0},
    {"model", "params", "map", "XGBoost's", "booster parameters passed to XGBoost (max_depth, eta, ...; scale_pos_weight: auto = negatives/positives)", 0, 0},
    {"model", "num_rounds", "integer", "100", "boosting rounds", 1, 1000000},
    {"model", "early_stopping_rounds", "integer", "0 (off)", "stop when the validation metric has not improved for N rounds", 0, 1000000},
    {"model", "eval_metric", "text", "auc / rmse", "XGBoost metric for early stopping", 0, 0},
    {"model", "features", "list of text", "all built features", "feature columns to train on", 0, 0},
    {"model", "exclude", "list of text", "none", "feature columns to leave out", 0, 0},
    {"model", "alpha", "number", "1.0", "ridge: L2 strength", 0, 1e9},
    {"model", "C", "number", "1.0", "logistic: inverse L2 strength", 1e-9, 1e9},
    {"model", "standardize", "bool", "true", "linear: standardize features", 0, 0},
    {"model", "interactions", "bool", "false", "linear: add degree-2 interaction features", 0, 0},
    {"model", "k_best", "integer", "0 (all)", "linear: keep the k best features by univariate F test", 0, 1000000},
    {"model", "max_iter", "integer", "100", "linear: most solver iterations", 1, 1000000},
    {"model", "threads", "integer", "0 (all cores)", "training threads", 0, PROJ_MAX_THREADS},
    {"model", "seed", "integer", "42", "seed of splits, sampling and search", 0, 4294967295},
    {"model", "metric", "text", "auc / rmse", "metric that ranks search configurations and is reported first", 0, 0},
    {"model", "threshold", "text", "0.5", "decision threshold, or f1 (the one maximizing F1 on validation)", 0, 0},

    {"split", "method", "text", "random", "random, stratified, time or group", 0, 0},
    {"split", "valid_fraction", "number", "0", "fraction of rows (or groups) for validation", 0, 1},
    {"split", "test_fraction", "number", "0.2", "fraction of rows (or groups) for test", 0, 1},
    {"split", "time_column", "text", "source timestamp", "time split: the time column", 0, 0},
    {"split", "test_from", "text", "last test_fraction of time", "time split: the first test time (2020-06-01)", 0, 0},
    {"split", "valid_from", "text", "last valid_fraction before test", "time split: the first validation time", 0, 0},
    {"split", "group_column", "text", "source entity", "group split: no group on both sides", 0, 0},

    {"search", "method", "text", "none", "none, grid or random", 0, 0},
    {"search", "space", "map", "", "parameter name -> list of values to try", 0, 0},
    {"search", "n_iter", "integer", "10", "random search: configurations to try", 1, 100000},
    {"search", "folds", "integer", "3", "cross-validation folds", 2, 100},
    {"search", "cv", "text", "auto", "auto, plain, stratified or group", 0, 0},
    {"search", "threads", "integer", "0 (all cores)", "configurations fitted at once", 0, PROJ_MAX_THREADS},

    {"gate", "metric", "text", "auc / rmse", "metric compared with the champion's", 0, 0},
    {"gate", "split", "text", "test", "split whose metric is compared", 0, 0},
    {"gate", "tolerance", "number", "0", "how much worse than the champion is still accepted", 0, INFINITY},
    {"gate", "floor", "number", "none", "the metric must be at least this (at most, for lower-is-better metrics)", -INFINITY, INFINITY},
    {"gate", "alias", "text", "champion", "alias that `ferry train --promote` moves", 0, 0},
    {NULL, NULL, NULL, NULL, NULL, 0, 0},
};

/* Allowed keys of one section, from the table (NULL-terminated, static). */
static const char *const *section_keys(const char *section)
{
    static const char *cache[16][40];
    static const char *cached_section[16];
    for (int i = 0; i < 16; i++) {
        if (cached_section[i] == NULL) {
            int k = 0;
            for (const proj_key_t *pk = proj_keys; pk->section; pk++)
                if (strcmp(pk->section, section) == 0 && k < 39)
                    cache[i][k++] = pk->key;
            cache[i][k] = NULL;
            cached_section[i] = section;
            return cache[i];
        }
        if (strcmp(cached_section[i], section) == 0)
            return cache[i];
    }
    abort(); /* more sections than slots: grow the cache */
}

static bool key_is_numeric(const proj_key_t *k)
{
    return strcmp(k->type, "integer") == 0 || strcmp(k->type, "number") == 0;
}

/* A numeric key's range as messages and docs say it: ", 1 to 100000",
 * ", 0 or more", "" when unbounded. */
static void describe_range(const proj_key_t *k, buf_t *out)
{
    if (isinf(k->min) && isinf(k->max))
        return;
    if (isinf(k->max))
        buf_printf(out, ", %.10g or more", k->min);
    else if (isinf(k->min))
        buf_printf(out, ", %.10g or less", k->max);
    else
        buf_printf(out, ", %.10g to %.10g", k->min, k->max);
}

/* The integer and number keys of `section` present in `map`: type and
 * range from the key table, refused with the value's line. */
static int check_numbers(const ydoc_t *d, const ynode_t *map, const char *where,
                         const char *section, ferr_t *e)
{
    for (const proj_key_t *k = proj_keys; k->section; k++) {
        const ynode_t *n;
        double v;
        int rc;
        if (!key_is_numeric(k) || strcmp(k->section, section) != 0)
            continue;
        n = yn_get(map, k->key);
        if (n == NULL || n->kind == YN_NULL)
            continue;
        if (k->type[0] == 'i') {
            int64_t i = 0;
            if ((rc = yn_int(d, map, where, k->key, &i, e)))
                return rc;
            v = (double)i;
        } else if ((rc = yn_num(d, map, where, k->key, &v, e))) {
            return rc;
        }
        if (v < k->min || v > k->max) {
            buf_t want = {0};
            describe_range(k, &want);
            rc = yn_fail(e, d, n, where, "key '%s': %s is out of range (%s%s)",
                         k->key, n->str, k->type[0] == 'i' ? "an integer" :
                         "a number", want.p ? want.p : "");
            buf_free(&want);
            return rc;
        }
    }
    return FERR_OK;
}

/* The keys of a section's map: known names, and numbers in range. */
static int check_keys(const ydoc_t *d, const ynode_t *map, const char *where,
                      const char *section, ferr_t *e)
{
    int rc = yn_check_keys(d, map, where, section_keys(section), e);
    return rc ? rc : check_numbers(d, map, where, section, e);
}

static char *resolve(const project_t *p, const char *path)
{
    buf_t b = {0};
    if (path[0] == '/')
        return xstrdup(path);
    buf_printf(&b, "%s/%s", p->dir, path);
    return buf_steal(&b);
}

static int load_column(const ydoc_t *d, const char *where, const char *name,
                       int kline, const ynode_t *v, proj_column_t *c, ferr_t *e)
{
    const char *type = NULL;
    int t, rc;
    ynode_t at = {.line = kline};

    memset(c, 0, sizeof(*c));
    c->name = name;
    c->decimal = '.';
    c->line = kline;
    if (v && v->kind == YN_SCALAR) {
        type = v->str;
    } else if (v && v->kind == YN_MAP) {
        if ((rc = check_keys(d, v, where, "sources.<name>.columns.<col>", e)) ||
            (rc = yn_str(d, v, where, "type", &type, e)) ||
            (rc = yn_str(d, v, where, "format", &c->format, e)) ||
            (rc = yn_char(d, v, where, "decimal", &c->decimal, e)) ||
            (rc = yn_char(d, v, where, "thousands", &c->thousands, e)) ||
            (rc = yn_str(d, v, where, "rename", &c->rename, e)))
            return rc;
    }
    if (type == NULL)
        return yn_fail(e, d, &at, where, "column '%s' needs a type (int, float, "
                       "bool, string, category, date, datetime)", name);
    t = ftype_parse(str_from(type));
    if (t < 0) {
        const char *names[FT_COUNT_];
        const char *hint;
        for (int i = 0; i < FT_COUNT_; i++)
            names[i] = ftype_name((ftype_t)i);
        hint = closest_name(type, names, FT_COUNT_);
        return yn_fail(e, d, &at, where, "column '%s': unknown type '%s'%s%s%s",
                       name, type, hint ? " (did you mean '" : "",
                       hint ? hint : "", hint ? "'?)" : "");
    }
    c->type = (ftype_t)t;
    if (c->decimal == c->thousands)
        return yn_fail(e, d, &at, where, "column '%s': decimal and thousands "
                       "separators are both '%c'", name, c->decimal);
    return FERR_OK;
}

static int load_source(project_t *p, const char *name, const ynode_t *m,
                       int kline, proj_source_t *s, ferr_t *e)
{
    const ydoc_t *d = p->doc;
    char where[300];
    const char *path = NULL, *rejects = NULL, *null_keys = NULL,
               *encoding = NULL;
    ynode_t *cols;
    ynode_t at = {.line = kline};
    int rc;

    snprintf(where, sizeof(where), "sources.%s", name);
    memset(s, 0, sizeof(*s));
    s->name = name;
    s->line = kline;
    s->delimiter = ',';
    s->quote = '"';
    s->max_line = 1 << 20;
    s->max_rejects = 0;
    s->max_reject_frac = 0.0;
    if ((rc = check_keys(d, m, where, "sources.<name>", e)) ||
        (rc = yn_str(d, m, where, "path", &path, e)) ||
        (rc = yn_char(d, m, where, "delimiter", &s->delimiter, e)) ||
        (rc = yn_char(d, m, where, "quote", &s->quote, e)) ||
        (rc = yn_str_list(d, m, where, "nulls", &s->nulls, &s->nnulls, e)) ||
        (rc = yn_bool(d, m, where, "trim", &s->trim, e)) ||
        (rc = yn_int(d, m, where, "max_line_bytes", &s->max_line, e)) ||
        (rc = yn_int(d, m, where, "max_rejects", &s->max_rejects, e)) ||
        (rc = yn_num(d, m, where, "max_reject_fraction", &s->max_reject_frac, e)) ||
        (rc = yn_str(d, m, where, "rejects", &rejects, e)) ||
        (rc = yn_int(d, m, where, "threads", &s->threads, e)) ||
        (rc = yn_str(d, m, where, "entity", &s->entity, e)) ||
        (rc = yn_str(d, m, where, "timestamp", &s->timestamp, e)) ||
        (rc = yn_str(d, m, where, "null_keys", &null_keys, e)) ||
        (rc = yn_str(d, m, where, "encoding", &encoding, e)))
        return rc;
    if (null_keys && strcmp(null_keys, "reject") != 0 &&
        strcmp(null_keys, "keep") != 0)
        return yn_fail(e, d, yn_get(m, "null_keys"), where,
                       "null_keys must be reject or keep, not '%s'", null_keys);
    s->keep_null_keys = null_keys && strcmp(null_keys, "keep") == 0;
    if (encoding && strcasecmp(encoding, "utf-8") != 0 &&
        strcasecmp(encoding, "utf8") != 0 && strcasecmp(encoding, "latin1") != 0 &&
        strcasecmp(encoding, "iso-8859-1") != 0)
        return yn_fail(e, d, yn_get(m, "encoding"), where,
                       "encoding must be utf-8 or latin1, not '%s'", encoding);
    s->latin1 = encoding && (strcasecmp(encoding, "latin1") == 0 ||
                             strcasecmp(encoding, "iso-8859-1") == 0);
    if (path == NULL)
        return yn_fail(e, d, &at, where, "missing key 'path' (the CSV file)");
    if (s->nulls == NULL) {
        s->nulls = xmalloc(sizeof(char *));
        s->nulls[0] = "";
        s->nnulls = 1;
    }
    s->path = resolve(p, path);
    if (rejects)
        s->rejects_path = resolve(p, rejects);
    cols = yn_get(m, "columns");
    if (cols == NULL || cols->kind != YN_MAP || cols->n == 0)
        return yn_fail(e, d, cols ? cols : &at, where,
                       "key 'columns' must map column names to types");
    s->cols = xcalloc(cols->n, sizeof(*s->cols));
    for (size_t i = 0; i < cols->n; i++) {
        char cw[400];
        snprintf(cw, sizeof(cw), "%s.columns.%s", where, cols->keys[i]);
        rc = load_column(d, cw, cols->keys[i], cols->klines[i], cols->vals[i],
                         &s->cols[i], e);
        if (rc)
            return rc;
        s->ncols++;
    }
    return FERR_OK;
}

static const char *col_out_name(const proj_column_t *c)
{
    return c->rename ? c->rename : c->name;
}

static bool source_has(const proj_source_t *s, const char *col)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strcmp(col_out_name(&s->cols[i]), col) == 0)
            return true;
    return false;
}

static int load_join(project_t *p, size_t idx, const ynode_t *m, proj_join_t *j,
                     ferr_t *e)
{
    const ydoc_t *d = p->doc;
    char where[64];
    const proj_source_t *src;
    int rc;

    snprintf(where, sizeof(where), "joins[%zu]", idx);
    memset(j, 0, sizeof(*j));
    j->exact = true;
    j->line = m ? m->line : 0;
    if ((rc = check_keys(d, m, where, "joins[]", e)) ||
        (rc = yn_str(d, m, where, "source", &j->source, e)) ||
        (rc = yn_str(d, m, where, "left_time", &j->left_time, e)) ||
        (rc = yn_str(d, m, where, "right_time", &j->right_time, e)) ||
        (rc = yn_str(d, m, where, "left_key", &j->left_key, e)) ||
        (rc = yn_str(d, m, where, "right_key", &j->right_key, e)) ||
        (rc = yn_str(d, m, where, "tolerance", &j->tolerance, e)) ||
        (rc = yn_bool(d, m, where, "exact", &j->exact, e)) ||
        (rc = yn_str(d, m, where, "prefix", &j->prefix, e)) ||
        (rc = yn_str_list(d, m, where, "columns", &j->columns, &j->ncolumns, e)))
        return rc;
    if (j->source == NULL)
        return yn_fail(e, d, m, where, "missing key 'source'");
    src = project_source(p, j->source);
    if (src == NULL)
        return yn_fail(e, d, yn_get(m, "source"), where, "no source named '%s'",
                       j->source);
    if (src == &p->sources[0])
        return yn_fail(e, d, yn_get(m, "source"), where,
                       "'%s' is the primary source; join another one", j->source);
    if (j->left_time == NULL)
        j->left_time = p->sources[0].timestamp;
    if (j->right_time == NULL)
        j->right_time = src->timestamp;
    if (j->left_time == NULL || j->right_time == NULL)
        return yn_fail(e, d, m, where, "needs left_time and right_time (or "
                       "timestamps on both sources)");
    if (j->right_key == NULL)
        j->right_key = j->left_key;
    if (j->right_key && !source_has(src, j->right_key))
        return yn_fail(e, d, m, where, "source '%s' has no column '%s'",
                       j->source, j->right_key);
    if (!source_has(src, j->right_time))
        return yn_fail(e, d, m, where, "source '%s' has no column '%s'",
                       j->source, j->right_time);
    return FERR_OK;
}

/* Why `name` cannot be a feature name, or NULL: later expressions name a
 * feature unquoted, so it is an identifier of the expression language, and
 * SQL export writes it as is, so it fits PostgreSQL's 63-byte identifiers. */
static const char *feature_name_problem(const char *name)
{
    if (strlen(name) > PROJ_MAX_NAME)
        return "is longer than 63 bytes";
    return expr_ident_problem(name);
}

static int load_feature(project_t *p, size_t idx, const ynode_t *m,
                        proj_feature_t *f, ferr_t *e)
{
    const ydoc_t *d = p->doc;
    const proj_source_t *src = &p->sources[0];
    char where[64];
    int kinds;
    int rc;

    snprintf(where, sizeof(where), "features[%zu]", idx);
    memset(f, 0, sizeof(*f));
    f->keep = true;
    f->lag = 1;
    f->min_count = 1;
    f->max_categories = -1;
    f->line = m ? m->line : 0;
    if (m == NULL || m->kind != YN_MAP)
        return yn_fail(e, d, m, where, "expected a map with name and expr, "
                       "window or onehot");
    if ((rc = check_keys(d, m, where, "features[]", e)) ||
        (rc = yn_str(d, m, where, "name", &f->name, e)) ||
        (rc = yn_str(d, m, where, "expr", &f->expr, e)) ||
        (rc = yn_str(d, m, where, "window", &f->agg, e)) ||
        (rc = yn_str(d, m, where, "of", &f->of, e)) ||
        (rc = yn_str(d, m, where, "by", &f->by, e)) ||
        (rc = yn_str(d, m, where, "order", &f->order, e)) ||
        (rc = yn_str(d, m, where, "over", &f->over, e)) ||
        (rc = yn_int(d, m, where, "lag", &f->lag, e)) ||
        (rc = yn_bool(d, m, where, "include_current", &f->include_current, e)) ||
        (rc = yn_str(d, m, where, "onehot", &f->column, e)) ||
        (rc = yn_str_list(d, m, where, "vocabulary", &f->vocabulary, &f->nvocabulary, e)) ||
        (rc = yn_int(d, m, where, "min_count", &f->min_count, e)) ||
        (rc = yn_int(d, m, where, "max_categories", &f->max_categories, e)) ||
        (rc = yn_bool(d, m, where, "strict", &f->strict, e)) ||
        (rc = yn_str(d, m, where, "unknown", &f->unknown, e)) ||
        (rc = yn_bool(d, m, where, "keep", &f->keep, e)))
        return rc;
    if (f->unknown && strcmp(f->unknown, "reject") != 0 &&
        strcmp(f->unknown, "missing") != 0 && strcmp(f->unknown, "ignore") != 0)
        return yn_fail(e, d, yn_get(m, "unknown"), where, "unknown: '%s': "
                       "expected reject, missing or ignore", f->unknown);
    kinds = (f->expr != NULL) + (f->agg != NULL) + (f->column != NULL);
    if (kinds != 1)
        return yn_fail(e, d, m, where, "needs exactly one of 'expr', 'window' "
                       "or 'onehot'");
    if (f->expr) {
        f->kind = FEAT_EXPR;
    } else if (f->agg) {
        f->kind = FEAT_WINDOW;
        if (f->by == NULL)
            f->by = src->entity;
        else if (strcmp(f->by, "none") == 0)
            f->by = NULL;
        if (f->order == NULL)
            f->order = src->timestamp;
        if (f->order == NULL)
            return yn_fail(e, d, m, where, "window needs 'order' (or a "
                           "timestamp on source '%s')", src->name);
        if (f->over == NULL)
            f->over = "all";
    } else {
        f->kind = FEAT_ONEHOT;
        if (f->name == NULL)
            f->name = f->column;
    }
    if (f->unknown && f->kind != FEAT_ONEHOT)
        return yn_fail(e, d, yn_get(m, "unknown"), where, "unknown: applies "
                       "to one-hot features only");
    if (f->name == NULL)
        return yn_fail(e, d, m, where, "missing key 'name'");
    if (yn_get(m, "name") != NULL && !source_has(src, f->name)) {
        /* (a feature may replace a source column under its own name) */
        const char *why = feature_name_problem(f->name);
        if (why)
            return yn_fail(e, d, yn_get(m, "name"), where, "name '%s' %s: a "
                           "feature name is 1 to %d letters, digits or '_' "
                           "(ASCII or UTF-8), not starting with a digit",
                           f->name, why, PROJ_MAX_NAME);
    }
    return FERR_OK;
}

static int check_section(project_t *p, const char *key, const ynode_t **out,
                         ferr_t *e)
{
    ynode_t *n = yn_get(p->doc->root, key);
    *out = NULL;
    if (n == NULL || n->kind == YN_NULL)
        return FERR_OK;
    if (n->kind != YN_MAP)
        return yn_fail(e, p->doc, n, key, "expected a map, found %s",
                       ynode_kind_name(n->kind));
    *out = n;
    return FERR_OK;
}

/* Validation and test rows come out of the same rows: some must be left
 * to train on. */
static int check_split(const project_t *p, ferr_t *e)
{
    double valid = 0, test = 0.2;
    const ynode_t *at;
    int rc;
    if ((rc = yn_num(p->doc, p->split, "split", "valid_fraction", &valid, e)) ||
        (rc = yn_num(p->doc, p->split, "split", "test_fraction", &test, e)))
        return rc;
    if (valid + test < 1)
        return FERR_OK;
    at = yn_get(p->split, "test_fraction");
    if (at == NULL)
        at = yn_get(p->split, "valid_fraction");
    return yn_fail(e, p->doc, at, "split", "valid_fraction %g + test_fraction "
                   "%g leave no rows to train on (the sum must be below 1)",
                   valid, test);
}

static int interpret(project_t *p, ferr_t *e)
{
    const ydoc_t *d = p->doc;
    const ynode_t *root = d->root, *srcs, *feats, *joins, *out, *onl, *reg;
    const char *dir = "out", *online_path = NULL, *regpath = "registry";
    int rc;

    if ((rc = check_keys(d, root, "", "", e)))
        return rc;
    p->name = NULL;
    if ((rc = yn_str(d, root, "", "name", &p->name, e)) ||
        (rc = yn_str(d, root, "", "label", &p->label, e)))
        return rc;
    srcs = yn_get(root, "sources");
    if (srcs == NULL || srcs->kind != YN_MAP || srcs->n == 0)
        return yn_fail(e, d, srcs ? srcs : root, "sources",
                       "at least one source is required");
    p->sources = xcalloc(srcs->n, sizeof(*p->sources));
    for (size_t i = 0; i < srcs->n; i++) {
        rc = load_source(p, srcs->keys[i], srcs->vals[i], srcs->klines[i],
                         &p->sources[i], e);
        p->nsources++; /* counted even on failure so project_free frees it */
        if (rc)
            return rc;
    }
    if ((rc = check_section(p, "output", &out, e)) ||
        (rc = check_keys(d, out, "output", "output", e)) ||
        (rc = check_section(p, "online", &onl, e)) ||
        (rc = check_keys(d, onl, "online", "online", e)) ||
        (rc = check_section(p, "registry", &reg, e)) ||
        (rc = check_keys(d, reg, "registry", "registry", e)))
        return rc;
    p->output_name = "features";
    p->write_csv = p->write_binary = true;
    if ((rc = yn_str(d, out, "output", "dir", &dir, e)) ||
        (rc = yn_str(d, out, "output", "name", &p->output_name, e)) ||
        (rc = yn_bool(d, out, "output", "csv", &p->write_csv, e)) ||
        (rc = yn_bool(d, out, "output", "binary", &p->write_binary, e)) ||
        (rc = yn_str_list(d, out, "output", "carry", &p->carry, &p->ncarry, e)) ||
        (rc = yn_bool(d, onl, "online", "enabled", &p->online, e)) ||
        (rc = yn_str(d, onl, "online", "path", &online_path, e)) ||
        (rc = yn_str(d, onl, "online", "entity", &p->online_entity, e)) ||
        (rc = yn_str(d, reg, "registry", "path", &regpath, e)))
        return rc;
    p->output_dir = resolve(p, dir);
    if (online_path) {
        p->online_path = resolve(p, online_path);
    } else {
        buf_t b = {0};
        buf_printf(&b, "%s/online.sqlite", p->output_dir);
        p->online_path = buf_steal(&b);
    }
    if (p->online_entity == NULL)
        p->online_entity = p->sources[0].entity;
    p->registry_dir = resolve(p, regpath);

    joins = yn_get(root, "joins");
    if (joins && joins->kind != YN_NULL) {
        if (joins->kind != YN_SEQ)
            return yn_fail(e, d, joins, "joins", "expected a list");
        p->joins = xcalloc(joins->n, sizeof(*p->joins));
        for (size_t i = 0; i < joins->n; i++) {
            rc = load_join(p, i, joins->vals[i], &p->joins[i], e);
            p->njoins++;
            if (rc)
                return rc;
        }
    }
    feats = yn_get(root, "features");
    if (feats && feats->kind != YN_NULL) {
        if (feats->kind != YN_SEQ)
            return yn_fail(e, d, feats, "features", "expected a list");
        p->features = xcalloc(feats->n, sizeof(*p->features));
        for (size_t i = 0; i < feats->n; i++) {
            rc = load_feature(p, i, feats->vals[i], &p->features[i], e);
            p->nfeatures++;
            if (rc)
                return rc;
        }
    }
    if ((rc = check_section(p, "model", &p->model, e)) ||
        (rc = check_keys(d, p->model, "model", "model", e)) ||
        (rc = check_section(p, "split", &p->split, e)) ||
        (rc = check_keys(d, p->split, "split", "split", e)) ||
        (rc = check_section(p, "search", &p->search, e)) ||
        (rc = check_keys(d, p->search, "search", "search", e)) ||
        (rc = check_section(p, "gate", &p->gate, e)) ||
        (rc = check_keys(d, p->gate, "gate", "gate", e)))
        return rc;
    return check_split(p, e);
}

/* Shared tail of project_load and project_load_mem: overrides, then
 * interpretation; takes ownership of p. */
static int project_finish(project_t *p, const char *const *sets, size_t nsets,
                          project_t **out, ferr_t *e)
{
    int rc = FERR_OK;
    for (size_t i = 0; rc == FERR_OK && i < nsets; i++)
        rc = ydoc_set(p->doc, sets[i], e);
    if (rc == FERR_OK)
        rc = interpret(p, e);
    if (rc) {
        project_free(p);
        return rc;
    }
    if (p->name == NULL) {
        const char *slash = strrchr(p->dir, '/');
        p->name = slash ? slash + 1 : p->dir;
    }
    *out = p;
    return FERR_OK;
}

int project_load(const char *path, const char *const *sets, size_t nsets,
                 project_t **out, ferr_t *e)
{
    project_t *p;
    char real[PATH_MAX], *copy;
    const char *dir;
    int rc;

    *out = NULL;
    p = xcalloc(1, sizeof(*p));
    p->file = xstrdup(path);
    rc = ydoc_load(path, &p->doc, e);
    if (rc == FERR_NOTFOUND)
        ferr_set(e, rc, "%s: no project file here (run 'ferry init' or use "
                 "-C DIR / -f FILE)", path);
    if (rc) {
        project_free(p);
        return rc;
    }
    copy = xstrdup(path);
    dir = dirname(copy);
    p->dir = xstrdup(realpath(dir, real) ? real : dir);
    free(copy);
    return project_finish(p, sets, nsets, out, e);
}

int project_load_mem(const char *name, const char *text, size_t len,
                     const char *dir, const char *const *sets, size_t nsets,
                     project_t **out, ferr_t *e)
{
    project_t *p = xcalloc(1, sizeof(*p));
    int rc;

    *out = NULL;
    p->file = xstrdup(name);
    p->dir = xstrdup(dir);
    rc = ydoc_parse(name, text, len, &p->doc, e);
    if (rc) {
        project_free(p);
        return rc;
    }
    return project_finish(p, sets, nsets, out, e);
}

void project_free(project_t *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nsources; i++) {
        free(p->sources[i].path);
        free(p->sources[i].rejects_path);
        free(p->sources[i].nulls);
        free(p->sources[i].cols);
    }
    free(p->sources);
    for (size_t i = 0; i < p->njoins; i++)
        free(p->joins[i].columns);
    free(p->joins);
    for (size_t i = 0; i < p->nfeatures; i++)
        free(p->features[i].vocabulary);
    free(p->features);
    free(p->carry);
    free(p->output_dir);
    free(p->online_path);
    free(p->registry_dir);
    free(p->dir);
    free(p->file);
    ydoc_free(p->doc);
    free(p);
}

const proj_source_t *project_source(const project_t *p, const char *name)
{
    for (size_t i = 0; i < p->nsources; i++)
        if (strcmp(p->sources[i].name, name) == 0)
            return &p->sources[i];
    return NULL;
}

void project_reference_md(buf_t *out)
{
    const char *section = NULL;
    buf_puts(out, "# ferry.yaml reference\n\n"
                  "Generated by `ferry reference` from the key table in "
                  "src/project/project.c; a test fails when this file and the "
                  "table differ.\n\n"
                  "Integers and numbers outside the range in the type column "
                  "are refused with their file:line (or `--set`).  Anchors and "
                  "aliases may be used: an alias is a copy of its anchor, and "
                  "aliases may copy 10,000 nodes in all; maps and lists nest "
                  "at most 64 deep.\n");
    for (const proj_key_t *k = proj_keys; k->section; k++) {
        if (section == NULL || strcmp(section, k->section) != 0) {
            section = k->section;
            buf_printf(out, "\n## %s\n\n| key | type | default | meaning |\n"
                            "| --- | --- | --- | --- |\n",
                       *section ? section : "top level");
        }
        buf_printf(out, "| `%s` | %s", k->key, k->type);
        if (key_is_numeric(k))
            describe_range(k, out);
        buf_printf(out, " | %s | %s |\n", k->dflt, k->doc);
    }
}

/*
 * cmd_events.c - the online store seen as of now: `ferry features show ID
 * [--at TIME]` (the features a new event of an entity would get) and
 * `ferry features push --input events.csv` (append events without a
 * rebuild).  Both go through the scoring plan of record.h, compiled from
 * the project's own spec, so they compute exactly what `features build`
 * would for the same events.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/mem.h"
#include "cli/cli.h"
#include "cli/project_ctx.h"
#include "cli/records.h"
#include "data/parse.h"
#include "features/pipeline.h"
#include "features/record.h"
#include "scoring/predictor.h"
#include "store/offline.h"
#include "store/online.h"

/* A plan of p's spec producing the named columns (the state of the last
 * build: its learned vocabularies; the join sources read). */
static int project_plan(const project_t *p, const char *const *names,
                        size_t n, rec_plan_t **out, ferr_t *e)
{
    feat_schema_t fs = {0};
    table_t **src = xcalloc(p->nsources + 1, sizeof(*src));
    buf_t path = {0};
    int rc = FERR_OK;

    buf_printf(&path, "%s/%s.schema.json", p->output_dir, p->output_name);
    if (access(path.p, R_OK) == 0)
        rc = feat_schema_load(path.p, &fs, e);
    for (size_t i = 1; rc == FERR_OK && p->njoins && i < p->nsources; i++)
        rc = feat_read_source_file(p, i, NULL, NULL, &src[i], NULL, e);
    if (rc == FERR_OK)
        rc = rec_plan_new(p, fs.vocabularies, NULL, names, n, src, out, e);
    for (size_t i = 0; i < p->nsources; i++)
        table_free(src[i]);
    free(src);
    feat_schema_free(&fs);
    buf_free(&path);
    return rc;
}

static void json_cell(json_t *o, const char *name, const column_t *c)
{
    char tmp[64];
    if (c == NULL || col_is_null(c, 0)) {
        json_object_set_new(o, name, json_null());
        return;
    }
    switch (c->type) {
    case FT_INT: json_object_set_new(o, name, json_integer(c->i64[0])); break;
    case FT_FLOAT:
        json_object_set_new(o, name, isfinite(c->f64[0]) ?
                            json_real(c->f64[0]) : json_null());
        break;
    case FT_BOOL: json_object_set_new(o, name, json_boolean(c->u8[0])); break;
    case FT_DATE:
        format_date(c->i64[0], tmp, sizeof(tmp));
        json_object_set_new(o, name, json_string(tmp));
        break;
    case FT_DATETIME:
        format_datetime(c->i64[0], tmp, sizeof(tmp));
        json_object_set_new(o, name, json_string(tmp));
        break;
    default: {
        str_t s = col_str(c, 0);
        json_object_set_new(o, name, json_stringn(s.p, s.n));
    }
    }
}

/* The window features of a new event of entity id at time `at` (ISO, or
 * the time field's format). */
static int show_asof(const project_t *p, const char *id, const char *at,
                     json_t **out, ferr_t *e)
{
    const char **names = xcalloc(p->nfeatures + 1, sizeof(*names));
    rec_plan_t *pl = NULL;
    rec_ctx_t *cx = NULL;
    str_t *vals = NULL;
    char now[64] = "";
    size_t n = 0;
    int rc;

    for (size_t i = 0; i < p->nfeatures; i++)
        if (p->features[i].kind == FEAT_WINDOW)
            names[n++] = p->features[i].name;
    rc = project_plan(p, names, n, &pl, e);
    if (rc == FERR_OK)
        rc = rec_ctx_new(pl, p->online_path, &cx, e);
    if (rc == FERR_OK) {
        const char *by = rec_plan_history_by(pl);
        vals = xcalloc(rec_plan_nfields(pl) + 1, sizeof(*vals));
        if (at == NULL) {
            /* now, in the time column's unit (UTC); after every event for
             * a time that is a plain number */
            time_t t = time(NULL);
            for (size_t i = 0; i < rec_plan_nfields(pl); i++) {
                const rec_field_t *f = rec_plan_field(pl, i);
                if (strcmp(f->role, "time") != 0)
                    continue;
                if (f->type == FT_DATE)
                    format_date((int64_t)t / 86400, now, sizeof(now));
                else if (f->type == FT_DATETIME)
                    format_datetime((int64_t)t, now, sizeof(now));
                else
                    snprintf(now, sizeof(now), "%lld", (long long)INT64_MAX);
            }
            at = now;
        }
        rec_ctx_set_lenient(cx, true);
        for (size_t i = 0; i < rec_plan_nfields(pl); i++) {
            const rec_field_t *f = rec_plan_field(pl, i);
            if (strcmp(f->role, "time") == 0 || (rec_plan_needs_history(pl) &&
                f->name && p->sources[0].timestamp &&
                strcmp(f->name, p->sources[0].timestamp) == 0))
                vals[i] = str_from(at);
            else if (by && strcmp(f->name, by) == 0)
                vals[i] = str_from(id);
            else
                vals[i] = (str_t){NULL, 0};
        }
        rc = rec_eval(cx, vals, NULL, e);
    }
    if (rc == FERR_OK) {
        const char *by = rec_plan_history_by(pl);
        json_t *o = json_object();
        const column_t *bc = by ? rec_ctx_column(cx, by) : NULL;
        if (bc)
            json_cell(o, by, bc);
        json_object_set_new(o, "as_of", json_string(at));
        for (size_t i = 0; i < n; i++)
            json_cell(o, names[i], rec_ctx_column(cx, names[i]));
        *out = o;
    }
    free(vals);
    free(names);
    rec_ctx_free(cx);
    rec_plan_free(pl);
    return rc;
}

int features_show_cmd(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *id = NULL, *at = NULL;
    project_t *p;
    online_t *o = NULL;
    buf_t json;
    ferr_t e = {0};
    bool windows = false;
    int rc;

    for (int i = 1; i < argc; i++) {
        int m = cli_opt_value("features show", argc, argv, &i, "--at", &at);
        if (m < 0)
            return 2;
        if (m > 0)
            continue;
        if (id == NULL && argv[i][0] != '-') {
            id = argv[i];
            continue;
        }
        cli_error("usage: ferry features show ENTITY_ID [--at TIME]");
        return 2;
    }
    if ((p = cli_load_project(ctx, "features show")) == NULL)
        return 1;
    for (size_t i = 0; i < p->nfeatures; i++)
        windows |= p->features[i].kind == FEAT_WINDOW;
    if (id == NULL && !(windows && p->sources[0].entity == NULL)) {
        cli_error("usage: ferry features show ENTITY_ID [--at TIME]");
        project_free(p);
        return 2;
    }
    buf_init(&json, 0);
    /* one pass over the store before serving from it: an edited or
     * damaged store is reported as such, never served */
    rc = online_open(p->online_path, &o, &e);
    if (rc == FERR_OK)
        rc = online_verify(o, &e);
    if (rc == FERR_OK && windows) {
        json_t *j = NULL;
        rc = show_asof(p, id ? id : "", at, &j, &e);
        /* and the entity's latest stored row, when it has one */
        if (rc == FERR_OK &&
            online_get_json(o, id ? id : "", &json, &e) == FERR_OK) {
            json_error_t je;
            json_t *latest = json_loads(json.p, 0, &je);
            if (latest)
                json_object_set_new(j, "latest", latest);
        }
        if (rc == FERR_OK) {
            char *text = json_dumps(j, JSON_PRESERVE_ORDER |
                                    JSON_REAL_PRECISION(17));
            printf("%s\n", text);
            free(text);
        }
        json_decref(j);
    } else if (rc == FERR_OK) {
        rc = online_get_json(o, id, &json, &e);
        if (rc == FERR_OK)
            printf("%s\n", json.p);
        else if (rc == FERR_NOTFOUND)
            cli_error("features show: no entity '%s' in %s", id,
                      p->online_path);
    }
    if (rc == FERR_CORRUPT)
        cli_error("features show: %s (`ferry features build` rebuilds it)",
                  ferr_msg(&e));
    else if (rc && rc != FERR_NOTFOUND)
        cli_error("features show: %s", ferr_msg(&e));
    else if (rc == FERR_NOTFOUND && windows)
        cli_error("features show: %s", ferr_msg(&e));
    if (o)
        online_close(o);
    buf_free(&json);
    project_free(p);
    return rc ? 1 : 0;
}

/* Append one scored event's row of the features table to latest. */
static void latest_add(table_t *latest, rec_ctx_t *cx, const char *const *names,
                       size_t n)
{
    size_t r = latest->nrows;
    for (size_t k = 0; k < latest->ncols; k++) {
        column_t *c = latest->cols[k];
        const column_t *v = rec_ctx_column(cx, c->name);
        double d = NAN;
        size_t j;
        if (v && v->type == c->type) {
            switch (c->type) {
            case FT_FLOAT: c->f64[r] = v->f64[0]; break;
            case FT_BOOL: c->u8[r] = v->u8[0]; break;
            case FT_STRING: case FT_CATEGORY: {
                str_t s = col_str(v, 0);
                col_str_append(c, r, s.p, s.n);
                break;
            }
            default: c->i64[r] = v->i64[0]; break;
            }
            if (col_is_null(v, 0))
                col_set_null(c, r);
            continue;
        }
        for (j = 0; j < n; j++)
            if (strcmp(names[j], c->name) == 0)
                break;
        if (c->type == FT_STRING || c->type == FT_CATEGORY) {
            col_str_append(c, r, "", 0); /* every row, in order */
            if (strcmp(c->name, FEAT_SERIES_KEY) != 0)
                col_set_null(c, r);
        } else if (j < n && rec_feature_value(cx, j, &d) && !isnan(d)) {
            if (c->type == FT_FLOAT)
                c->f64[r] = d;
            else
                c->i64[r] = (int64_t)d;
        } else {
            col_set_null(c, r);
        }
    }
    latest->nrows = r + 1;
}

/* `features push --model M`: each event is scored as of the events before
 * it (the history so far, then the events of this push before it), the
 * way a stream of events is scored as it arrives. */
typedef struct scorer {
    predictor_t *pr;
    rec_ctx_t *cx;
    int *map;              /* model field -> input column */
    str_t *vals;
    table_t *out;          /* line, score, prediction, features */
    size_t n;
} scorer_t;

static int scorer_open(cli_ctx_t *ctx, const project_t *p, const char *model,
                       const table_t *in, bool with_features, scorer_t *sc,
                       ferr_t *e)
{
    char name[256];
    const rec_plan_t *pl;
    int rc;

    rc = cli_load_predictor(ctx, p, model, &sc->pr, name, sizeof(name), e);
    if (rc == FERR_OK)
        rc = predictor_ctx_new(sc->pr, p->online_path, &sc->cx, e);
    if (rc)
        return rc;
    pl = predictor_plan(sc->pr);
    sc->map = xcalloc(rec_plan_nfields(pl) + 1, sizeof(*sc->map));
    sc->vals = xcalloc(rec_plan_nfields(pl) + 1, sizeof(*sc->vals));
    for (size_t i = 0; i < rec_plan_nfields(pl); i++)
        if ((sc->map[i] = table_index(in, rec_plan_field(pl, i)->name)) < 0)
            return ferr_set(e, FERR_NOTFOUND, "no column '%s' (the model "
                            "needs it)", rec_plan_field(pl, i)->name);
    sc->out = table_new();
    table_add(sc->out, col_new("line", FT_INT, in->nrows), NULL);
    table_add(sc->out, col_new("score", FT_FLOAT, in->nrows), NULL);
    if (strncmp(predictor_objective(sc->pr), "binary:", 7) == 0)
        table_add(sc->out, col_new("prediction", FT_INT, in->nrows), NULL);
    for (size_t j = 0; with_features && j < predictor_num_features(sc->pr); j++)
        table_add(sc->out, col_new(predictor_feature(sc->pr, j), FT_FLOAT,
                                   in->nrows), NULL);
    return FERR_OK;
}

/* Score event r of in (before it joins the history). */
static int scorer_run(scorer_t *sc, const table_t *in, size_t r, int64_t line,
                      ferr_t *e)
{
    const rec_plan_t *pl = predictor_plan(sc->pr);
    double score = 0;
    size_t k = 2;
    int rc;
    records_fields(in, r, sc->map, rec_plan_nfields(pl), sc->vals);
    if ((rc = predictor_score_record(sc->pr, sc->cx, sc->vals, &score, e)))
        return rc;
    if ((rc = rec_ctx_append(sc->cx, e)) != FERR_OK && rc != FERR_EXISTS)
        return rc;
    sc->out->cols[0]->i64[sc->n] = line;
    sc->out->cols[1]->f64[sc->n] = score;
    if (strncmp(predictor_objective(sc->pr), "binary:", 7) == 0)
        sc->out->cols[k++]->i64[sc->n] = score >= predictor_threshold(sc->pr);
    records_put_features(sc->cx, sc->out->cols + k, sc->out->ncols - k,
                         sc->n);
    sc->n++;
    return FERR_OK;
}

static void scorer_close(scorer_t *sc)
{
    rec_ctx_free(sc->cx);
    predictor_unref(sc->pr);
    free(sc->map);
    free(sc->vals);
    table_free(sc->out);
}

int features_push_cmd(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *input = NULL, *model = NULL, *output = NULL;
    bool with_features = false;
    scorer_t sc = {0};
    project_t *p;
    feat_schema_t fs = {0};
    rec_plan_t *pl = NULL;
    rec_ctx_t *cx = NULL;
    table_t *in = NULL, *rin = NULL, *latest = NULL;
    const char **names = NULL;
    size_t n = 0, nf = 0, added = 0, dup = 0, bad = 0;
    int *map = NULL;
    int64_t *lines = NULL;
    str_t *vals = NULL;
    buf_t tmp = {0};
    ferr_t e = {0};
    int rc;

    for (int i = 1; i < argc; i++) {
        int m;
        if (strcmp(argv[i], "--with-features") == 0) {
            with_features = true;
            continue;
        }
        if ((m = cli_opt_value("features push", argc, argv, &i, "--input",
                               &input)) == 0 &&
            (m = cli_opt_value("features push", argc, argv, &i, "--model",
                               &model)) == 0)
            m = cli_opt_value("features push", argc, argv, &i, "--output",
                              &output);
        if (m < 0)
            return 2;
        if (m == 0) {
            cli_error("features push: unknown option '%s'", argv[i]);
            return 2;
        }
    }
    if (input == NULL || (output && model == NULL)) {
        cli_error("usage: ferry features push --input EVENTS.csv [--model "
                  "NAME[@REF] [--output SCORES.csv] [--with-features]]");
        return 2;
    }
    if ((p = cli_load_project(ctx, "features push")) == NULL)
        return 1;
    /* the features table's columns, as a build makes them */
    rc = feat_check(p, &fs, &e);
    if (rc == FERR_OK) {
        size_t i;
        json_t *c;
        names = xcalloc(json_array_size(fs.columns) + 2, sizeof(*names));
        latest = table_new();
        if (p->online_entity == NULL)
            table_add(latest, col_new(FEAT_SERIES_KEY, FT_STRING, 0), NULL);
        json_array_foreach(fs.columns, i, c) {
            const char *nm = json_string_value(json_object_get(c, "name"));
            int ty = ftype_parse(str_from(json_string_value(
                json_object_get(c, "type"))));
            names[n++] = nm;
            table_add(latest, col_new(nm, ty < 0 ? FT_STRING : (ftype_t)ty, 0),
                      NULL);
        }
        rc = project_plan(p, names, n, &pl, &e);
    }
    if (rc == FERR_OK)
        rc = rec_ctx_new(pl, p->online_path, &cx, &e);
    if (rc == FERR_OK) {
        buf_printf(&tmp, "%s/ferry-push-rejects-%d.csv",
                   getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
        rc = records_read(&p->sources[0], input, tmp.p, &in, &rin, &e);
    }
    if (rc)
        goto out;
    if (model && (rc = scorer_open(ctx, p, model, in, with_features, &sc,
                                   &e)) != FERR_OK)
        goto out;
    rec_ctx_set_lenient(cx, true);
    nf = rec_plan_nfields(pl);
    map = xcalloc(nf + 1, sizeof(*map));
    for (size_t i = 0; i < nf; i++)
        map[i] = table_index(in, rec_plan_field(pl, i)->name);
    lines = records_lines(in, rin);
    vals = xcalloc(nf + 1, sizeof(*vals));
    /* latest: one row per event; room for all of them */
    for (size_t k = 0; k < latest->ncols; k++) {
        column_t *c = col_new(latest->cols[k]->name, latest->cols[k]->type,
                              in->nrows);
        col_free(latest->cols[k]);
        latest->cols[k] = c;
    }
    latest->nrows = 0;
    for (size_t r = 0; r < in->nrows; r++) {
        records_fields(in, r, map, nf, vals);
        rc = rec_eval(cx, vals, NULL, &e);
        if (rc == FERR_OK)
            rc = rec_ctx_append(cx, &e);
        /* scored as of the events before it (a duplicate too: its score
         * is the one it would get now) */
        if ((rc == FERR_OK || rc == FERR_EXISTS) && model) {
            ferr_t e2 = {0};
            if (scorer_run(&sc, in, r, lines[r], &e2) != FERR_OK) {
                e = e2;
                rc = FERR_PARSE;
            }
        }
        if (rc == FERR_EXISTS) {
            dup++;
            rc = FERR_OK;
            continue;
        }
        if (rc) {
            /* one bad event stops the push: history has no holes */
            ferr_prefix(&e, "%s:%lld: ", input, (long long)lines[r]);
            bad++;
            goto out;
        }
        latest_add(latest, cx, names, n);
        added++;
    }
    if (rin && rin->nrows) {
        rc = ferr_set(&e, FERR_PARSE, "%s: %zu rows could not be read (the "
                      "first at line %.*s): nothing pushed", input, rin->nrows,
                      (int)col_str(table_find(rin, "line"), 0).n,
                      col_str(table_find(rin, "line"), 0).p);
        goto out;
    }
    for (size_t k = 0; k < latest->ncols; k++)
        latest->cols[k]->n = latest->nrows;
    {
        size_t stored = 0;
        if (added > 0)
            rc = online_push(p->online_path, rec_ctx_appended(cx), latest,
                             &stored, &e);
        if (rc == FERR_OK)
            cli_info(ctx, "pushed %zu events to %s (%zu already there)",
                     added, p->online_path, dup);
    }
    if (rc == FERR_OK && model) {
        for (size_t k = 0; k < sc.out->ncols; k++)
            sc.out->cols[k]->n = sc.n;
        sc.out->nrows = sc.n;
        if (output)
            rc = offline_write_csv(sc.out, output, &e);
        else
            rc = offline_write_csv_fp(sc.out, stdout, "stdout", &e);
    }
out:
    if (rc)
        cli_error("features push: %s", ferr_msg(&e));
    (void)bad;
    free(vals);
    free(map);
    free(lines);
    free(names);
    buf_free(&tmp);
    table_free(in);
    table_free(rin);
    table_free(latest);
    rec_ctx_free(cx);
    rec_plan_free(pl);
    scorer_close(&sc);
    feat_schema_free(&fs);
    project_free(p);
    return rc ? 1 : 0;
}

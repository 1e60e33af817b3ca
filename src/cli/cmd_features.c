/*
 * cmd_features.c - `ferry features build | show | sql`.
 *
 * build: read sources, run the feature pipeline in LEARN mode, write the
 * offline table (CSV + .fcol + schema JSON) and, when enabled, the online
 * store.  Every output is written to a temporary file and renamed, and all
 * computation happens before the first rename, so a failed build leaves the
 * previous outputs byte-identical.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/afile.h"
#include "base/mem.h"
#include "base/progress.h"
#include "cli/cli.h"
#include "cli/project_ctx.h"
#include "features/pipeline.h"
#include "features/sql.h"
#include "store/offline.h"
#include "store/online.h"

static void thousands(uint64_t v, char *out, size_t n)
{
    char raw[32];
    size_t len, k = 0;
    snprintf(raw, sizeof(raw), "%" PRIu64, v);
    len = strlen(raw);
    for (size_t i = 0; i < len && k + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = raw[i];
    }
    out[k] = '\0';
}

/* "label delay: 18.49% positive (12,614 of 68,206)" for 0/1 labels. */
static void report_label(cli_ctx_t *ctx, const table_t *t, const char *label)
{
    const column_t *c = label ? table_find(t, label) : NULL;
    size_t pos = 0, known = 0;
    char a[32], b[32];
    if (c == NULL || !ftype_is_numeric(c->type))
        return;
    for (size_t i = 0; i < c->n; i++) {
        double v = col_num(c, i);
        if (v != v)
            continue;
        if (v != 0.0 && v != 1.0)
            return; /* not a binary label */
        known++;
        pos += v == 1.0;
    }
    if (known == 0)
        return;
    thousands(pos, a, sizeof(a));
    thousands(known, b, sizeof(b));
    cli_info(ctx, "label %s: %.2f%% positive (%s of %s)", label,
             100.0 * (double)pos / (double)known, a, b);
}

typedef struct out_paths {
    buf_t csv, fcol, schema;
} out_paths_t;

static void out_paths_init(out_paths_t *o, const project_t *p)
{
    memset(o, 0, sizeof(*o));
    buf_printf(&o->csv, "%s/%s.csv", p->output_dir, p->output_name);
    buf_printf(&o->fcol, "%s/%s.fcol", p->output_dir, p->output_name);
    buf_printf(&o->schema, "%s/%s.schema.json", p->output_dir, p->output_name);
}

static void out_paths_free(out_paths_t *o)
{
    buf_free(&o->csv);
    buf_free(&o->fcol);
    buf_free(&o->schema);
}

/* The outputs of a build, written concurrently into temporaries and
 * published together once all of them are complete. */
typedef struct outputs {
    const project_t *p;
    const table_t *t;
    const out_paths_t *paths;
    const feat_history_t *hist;
    bool online;
    afile_t csv, fcol;
    bool csv_open, fcol_open;
    online_build_t *store;
    online_stats_t st_online;
    int rc_csv, rc_fcol, rc_online;
    ferr_t e_csv, e_fcol, e_online;
    double s_csv, s_fcol, s_online;
} outputs_t;

/* The writers, one thread each: much of their time is the kernel copying
 * into the page cache and fsync waiting for the disk, which overlap. */
static void *write_fcol(void *arg)
{
    outputs_t *o = arg;
    double t0 = now_seconds();
    if (o->fcol_open)
        o->rc_fcol = fcol_write_af(o->t, &o->fcol, &o->e_fcol);
    o->s_fcol = now_seconds() - t0;
    return NULL;
}

static void *write_online(void *arg)
{
    outputs_t *o = arg;
    const char *entity = o->p->online_entity;
    double t0 = now_seconds();
    if (!o->online)
        return NULL;
    online_history_in_t hin = {0};
    table_t view = {0};
    column_t *series = NULL;
    const table_t *t = o->t;

    if (o->hist && o->hist->events) {
        hin.events = o->hist->events;
        hin.by = o->hist->by;
    }
    if (entity == NULL && hin.events && hin.by == NULL) {
        /* one series: its latest row is keyed "" like its history (a view
         * of the table: the other writers read it meanwhile) */
        series = col_new(FEAT_SERIES_KEY, FT_STRING, o->t->nrows);
        view.nrows = o->t->nrows;
        view.ncols = o->t->ncols + 1;
        view.cols = xcalloc(view.ncols, sizeof(*view.cols));
        view.cols[0] = series;
        memcpy(view.cols + 1, o->t->cols, o->t->ncols * sizeof(*view.cols));
        t = &view;
        entity = FEAT_SERIES_KEY;
    }
    if (entity == NULL)
        o->rc_online = ferr_set(&o->e_online, FERR_SPEC, "online store needs "
                                "an entity (set online.entity or the "
                                "source's entity)");
    else
        o->rc_online = online_prepare_with_history(
            t, entity, o->p->sources[0].timestamp, hin.events ? &hin : NULL,
            o->p->online_path, &o->st_online, &o->store, &o->e_online);
    free(view.cols);
    col_free(series);
    o->s_online = now_seconds() - t0;
    return NULL;
}

static void *write_csv(void *arg)
{
    outputs_t *o = arg;
    double t0 = now_seconds();
    if (o->csv_open)
        o->rc_csv = offline_write_csv_af(o->t, &o->csv, &o->e_csv);
    o->s_csv = now_seconds() - t0;
    return NULL;
}

/* Write every output into its temporary (.fcol and the online store on
 * threads of their own, the CSV here with its formatting threads), then
 * publish all or none. */
static int write_outputs(outputs_t *o, const feat_schema_t *schema, ferr_t *e)
{
    void *(*const side[])(void *) = {write_fcol, write_online};
    const project_t *p = o->p;
    pthread_t th[2];
    bool started[2] = {false, false};
    int rc = FERR_OK;

    if (p->write_csv && (rc = afile_open(&o->csv, o->paths->csv.p, e)) == 0)
        o->csv_open = true;
    if (rc == FERR_OK && p->write_binary &&
        (rc = afile_open(&o->fcol, o->paths->fcol.p, e)) == 0)
        o->fcol_open = true;
    if (rc == FERR_OK) {
        for (int k = 0; k < 2; k++)
            started[k] = pthread_create(&th[k], NULL, side[k], o) == 0;
        write_csv(o);
        for (int k = 0; k < 2; k++) {
            if (started[k])
                pthread_join(th[k], NULL);
            else
                side[k](o);
        }
        if (o->rc_csv) {
            rc = o->rc_csv;
            *e = o->e_csv;
        } else if (o->rc_fcol) {
            rc = o->rc_fcol;
            *e = o->e_fcol;
        } else if (o->rc_online) {
            rc = o->rc_online;
            *e = o->e_online;
        }
    }
    /* Everything is computed and on disk: publish (renames only). */
    if (rc == FERR_OK)
        rc = feat_schema_save(schema, o->paths->schema.p, e);
    if (rc == FERR_OK && o->csv_open) {
        o->csv_open = false;
        rc = afile_commit(&o->csv, e);
    }
    if (rc == FERR_OK && o->fcol_open) {
        o->fcol_open = false;
        rc = afile_commit(&o->fcol, e);
    }
    if (rc == FERR_OK && o->store) {
        rc = online_publish(o->store, e);
        o->store = NULL;
    }
    if (o->csv_open)
        afile_abort(&o->csv);
    if (o->fcol_open)
        afile_abort(&o->fcol);
    online_discard(o->store);
    return rc;
}

/* `features build --json`: one document on stdout with the counts a
 * script checks (rows, rejects per source and where they are listed). */
static void report_json(const project_t *p, const feat_read_report_t *rr,
                        const table_t *out, const out_paths_t *paths,
                        bool online, double compute_s, double write_s,
                        double read_s)
{
    json_t *srcs = json_array();
    for (size_t i = 0; i < p->nsources; i++) {
        buf_t rej = {0};
        feat_rejects_path(p, i, &rej);
        json_array_append_new(srcs, json_pack(
            "{s:s, s:s, s:I, s:I, s:s, s:I, s:f}", "name", p->sources[i].name,
            "path", p->sources[i].path, "rows", (json_int_t)rr[i].rows,
            "rejected", (json_int_t)rr[i].rejected, "rejects", rej.p,
            "bytes", (json_int_t)rr[i].bytes, "seconds", rr[i].seconds));
        buf_free(&rej);
    }
    json_t *doc = json_pack(
        "{s:I, s:I, s:o, s:{s:s?, s:s?, s:s?}, s:{s:f, s:f, s:f}}",
        "rows", (json_int_t)out->nrows, "columns", (json_int_t)out->ncols,
        "sources", srcs, "outputs", "csv", p->write_csv ? paths->csv.p : NULL,
        "fcol", p->write_binary ? paths->fcol.p : NULL, "online",
        online ? p->online_path : NULL, "seconds", "read", read_s, "compute",
        compute_s, "write", write_s);
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(doc);
}

/* Bytes of the sources' files: what the build's memory is sized by. */
static size_t source_bytes(const project_t *p)
{
    size_t n = 0;
    struct stat st;
    for (size_t i = 0; i < p->nsources; i++)
        if (p->sources[i].path && stat(p->sources[i].path, &st) == 0)
            n += (size_t)st.st_size;
    return n;
}

int features_build_cmd(cli_ctx_t *ctx, int argc, char **argv)
{
    project_t *p;
    table_t **src = NULL, *out = NULL;
    feat_read_report_t *rr;
    feat_schema_t schema = {0};
    feat_history_t hist = {0};
    out_paths_t paths;
    outputs_t o;
    ferr_t e = {0};
    bool online = false, no_online = false;
    double t0 = now_seconds(), t1, t2;
    char rows[32];
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--online") == 0)
            online = true;
        else if (strcmp(argv[i], "--no-online") == 0)
            no_online = true;
        else {
            cli_error("features build: unknown option '%s'", argv[i]);
            return 2;
        }
    }
    if ((p = cli_load_project(ctx, "features build")) == NULL)
        return 1;
    /* Sources, their columns, features and write buffers: about twice the
     * input at the peak. */
    mem_bulk_mode(2 * source_bytes(p));
    online = (online || p->online) && !no_online;
    src = xcalloc(p->nsources, sizeof(*src));
    rr = xcalloc(p->nsources, sizeof(*rr));
    rc = feat_read_sources(p, src, rr, &e);
    t1 = now_seconds();
    /* The loaded primary source is not needed afterwards: hand its columns
     * to the pipeline instead of copying them. */
    if (rc == FERR_OK)
        /* the events windows read are kept only for the online store */
        rc = online ? feat_run_take_history(p, src, FEAT_LEARN, &schema,
                                            &hist, &out, &e)
                    : feat_run_take(p, src, FEAT_LEARN, &schema, &out, &e);
    t2 = now_seconds();
    out_paths_init(&paths, p);
    memset(&o, 0, sizeof(o));
    o.p = p;
    o.t = out;
    o.paths = &paths;
    o.hist = &hist;
    o.online = online;
    if (rc == FERR_OK && online && hist.why[0])
        fprintf(stderr, "ferry: warning: features build: %s\n", hist.why);
    /* Nothing was written so far: on error the old outputs are intact. */
    if (rc == FERR_OK)
        rc = write_outputs(&o, &schema, &e);
    if (rc) {
        cli_error("features build: %s", ferr_msg(&e));
    } else {
        /* rejected rows are a warning whatever --quiet or --json say */
        for (size_t i = 0; i < p->nsources; i++)
            if (rr[i].rejected) {
                buf_t rej = {0};
                feat_rejects_path(p, i, &rej);
                fprintf(stderr, "ferry: warning: sources.%s: %zu of %zu rows "
                        "rejected (within the budget), listed in %s\n",
                        p->sources[i].name, rr[i].rejected,
                        rr[i].rows + rr[i].rejected, rej.p);
                buf_free(&rej);
            }
    }
    if (rc == FERR_OK && ctx->json) {
        report_json(p, rr, out, &paths, online, t2 - t1, now_seconds() - t2,
                    t1 - t0);
    } else if (rc == FERR_OK) {
        thousands(out->nrows, rows, sizeof(rows));
        for (size_t i = 0; i < p->nsources; i++)
            cli_info(ctx, "read %s: %zu rows, %zu rejected, %.1f MB in %.2f s",
                     p->sources[i].name, rr[i].rows, rr[i].rejected,
                     (double)rr[i].bytes / 1e6, rr[i].seconds);
        cli_info(ctx, "features: %s rows x %zu columns (read %.2f s, compute "
                 "%.2f s, write %.2f s: csv %.2f s | fcol %.2f s | online "
                 "%.2f s)", rows, out->ncols, t1 - t0, t2 - t1,
                 now_seconds() - t2, o.s_csv, o.s_fcol, o.s_online);
        report_label(ctx, out, p->label);
        if (p->write_csv)
            cli_info(ctx, "wrote %s", paths.csv.p);
        if (p->write_binary)
            cli_info(ctx, "wrote %s", paths.fcol.p);
        if (online)
            cli_info(ctx, "online store %s", p->online_path);
        if (online && o.st_online.repaired)
            fprintf(stderr, "ferry: features build: %s: rebuilt it\n",
                    o.st_online.damage);
    }
    out_paths_free(&paths);
    feat_schema_free(&schema);
    feat_history_free(&hist);
    table_free(out);
    for (size_t i = 0; i < p->nsources; i++)
        table_free(src[i]);
    free(src);
    free(rr);
    project_free(p);
    mem_bulk_end();
    return rc ? 1 : 0;
}

int features_sql_cmd(cli_ctx_t *ctx, int argc, char **argv)
{
    project_t *p;
    const char *dialect = "sqlite";
    bool ddl = false;
    buf_t sql;
    ferr_t e = {0};
    int rc;

    for (int i = 1; i < argc; i++) {
        int m = cli_opt_value("features sql", argc, argv, &i, "--dialect",
                              &dialect);
        if (m < 0)
            return 2;
        else if (m > 0)
            continue;
        else if (strcmp(argv[i], "--ddl") == 0)
            ddl = true;
        else {
            cli_error("features sql: unknown option '%s'", argv[i]);
            return 2;
        }
    }
    if ((p = cli_load_project(ctx, "features sql")) == NULL)
        return 1;
    buf_init(&sql, 0);
    rc = feat_sql(p, dialect, ddl, &sql, &e);
    if (rc == FERR_OK)
        fwrite(sql.p, 1, sql.n, stdout);
    else
        cli_error("features sql: %s", ferr_msg(&e));
    buf_free(&sql);
    project_free(p);
    return rc ? 1 : 0;
}

int cmd_features(cli_ctx_t *ctx, int argc, char **argv)
{
    const cli_command_t *self = cli_find_command(cli_commands, "features");
    const cli_command_t *c = argc >= 2 ? cli_find_command(self->subs, argv[1])
                                       : NULL;
    if (c)
        return c->run(ctx, argc - 1, argv + 1);
    fprintf(stderr, "usage:\n");
    cli_print_subcommands(stderr, self);
    return 2;
}

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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int features_build(cli_ctx_t *ctx, int argc, char **argv)
{
    project_t *p;
    table_t **src = NULL, *out = NULL;
    feat_read_report_t *rr;
    feat_schema_t schema = {0};
    out_paths_t paths;
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
    online = (online || p->online) && !no_online;
    src = xcalloc(p->nsources, sizeof(*src));
    rr = xcalloc(p->nsources, sizeof(*rr));
    rc = feat_read_sources(p, src, rr, &e);
    t1 = now_seconds();
    if (rc == FERR_OK)
        rc = feat_run(p, src, FEAT_LEARN, &schema, &out, &e);
    t2 = now_seconds();
    out_paths_init(&paths, p);
    /* Nothing was written so far: on error the old outputs are intact. */
    if (rc == FERR_OK && p->write_csv)
        rc = offline_write_csv(out, paths.csv.p, &e);
    if (rc == FERR_OK && p->write_binary)
        rc = fcol_write(out, paths.fcol.p, &e);
    if (rc == FERR_OK)
        rc = feat_schema_save(&schema, paths.schema.p, &e);
    if (rc == FERR_OK && online) {
        const char *entity = p->online_entity;
        if (entity == NULL)
            rc = ferr_set(&e, FERR_SPEC, "online store needs an entity (set "
                          "online.entity or the source's entity)");
        else
            rc = online_materialize(out, entity, p->sources[0].timestamp,
                                    p->online_path, NULL, &e);
    }
    if (rc) {
        cli_error("features build: %s", ferr_msg(&e));
    } else {
        thousands(out->nrows, rows, sizeof(rows));
        for (size_t i = 0; i < p->nsources; i++)
            cli_info(ctx, "read %s: %zu rows, %zu rejected, %.1f MB in %.2f s",
                     p->sources[i].name, rr[i].rows, rr[i].rejected,
                     (double)rr[i].bytes / 1e6, rr[i].seconds);
        cli_info(ctx, "features: %s rows x %zu columns (read %.2f s, compute "
                 "%.2f s, write %.2f s)", rows, out->ncols, t1 - t0, t2 - t1,
                 now_seconds() - t2);
        report_label(ctx, out, p->label);
        if (p->write_csv)
            cli_info(ctx, "wrote %s", paths.csv.p);
        if (p->write_binary)
            cli_info(ctx, "wrote %s", paths.fcol.p);
        if (online)
            cli_info(ctx, "online store %s", p->online_path);
    }
    out_paths_free(&paths);
    feat_schema_free(&schema);
    table_free(out);
    for (size_t i = 0; i < p->nsources; i++)
        table_free(src[i]);
    free(src);
    free(rr);
    project_free(p);
    return rc ? 1 : 0;
}

static int features_show(cli_ctx_t *ctx, int argc, char **argv)
{
    project_t *p;
    online_t *o = NULL;
    buf_t json;
    ferr_t e = {0};
    int rc;

    if (argc != 2) {
        cli_error("usage: ferry features show ENTITY_ID");
        return 2;
    }
    if ((p = cli_load_project(ctx, "features show")) == NULL)
        return 1;
    buf_init(&json, 0);
    rc = online_open(p->online_path, &o, &e);
    if (rc == FERR_OK)
        rc = online_get_json(o, argv[1], &json, &e);
    if (rc == FERR_OK)
        printf("%s\n", json.p);
    else if (rc == FERR_NOTFOUND)
        cli_error("features show: no entity '%s' in %s", argv[1], p->online_path);
    else
        cli_error("features show: %s", ferr_msg(&e));
    if (o)
        online_close(o);
    buf_free(&json);
    project_free(p);
    return rc ? 1 : 0;
}

static int features_sql(cli_ctx_t *ctx, int argc, char **argv)
{
    project_t *p;
    const char *dialect = "sqlite";
    bool ddl = false;
    buf_t sql;
    ferr_t e = {0};
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dialect") == 0 && i + 1 < argc)
            dialect = argv[++i];
        else if (strncmp(argv[i], "--dialect=", 10) == 0)
            dialect = argv[i] + 10;
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

static const cli_command_t feature_cmds[] = {
    {"build", features_build, "compute the offline feature table (and the online store)", "features build [--online|--no-online]"},
    {"show", features_show, "print an entity's latest features from the online store", "features show ENTITY_ID"},
    {"sql", features_sql, "print SQL computing the same table", "features sql [--dialect sqlite|postgres|spark] [--ddl]"},
    {NULL, NULL, NULL, NULL},
};

int cmd_features(cli_ctx_t *ctx, int argc, char **argv)
{
    if (argc >= 2)
        for (const cli_command_t *c = feature_cmds; c->name; c++)
            if (strcmp(c->name, argv[1]) == 0)
                return c->run(ctx, argc - 1, argv + 1);
    fprintf(stderr, "usage:\n");
    for (const cli_command_t *c = feature_cmds; c->name; c++)
        fprintf(stderr, "  ferry %-50s %s\n", c->usage, c->summary);
    return 2;
}

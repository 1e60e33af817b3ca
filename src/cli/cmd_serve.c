/*
 * cmd_serve.c - `ferry serve`: load every model of the project's registry
 * at its champion alias (latest when it has no champion), print the routes
 * and what is served, and answer HTTP until SIGTERM/SIGINT (serve/serve.h).
 * A model that cannot score records stops the start (exit 1): a server
 * that answers 500 to every request of a route is worse than none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cli/cli.h"
#include "cli/project_ctx.h"
#include "registry/registry.h"
#include "serve/serve.h"

static void on_listen(const serve_t *s, int port)
{
    const serve_opts_t *o = serve_opts(s);
    printf("routes:\n");
    for (const serve_route_t *r = serve_routes; r->method; r++)
        printf("  %-4s %-28s %s\n", r->method, r->pattern,
               r->public ? "" : "(private)");
    printf("models:\n");
    for (size_t i = 0; i < serve_nmodels(s); i++) {
        const serve_model_t *m = serve_model(s, i);
        printf("  %s v%d (%s)\n", m->name, predictor_version(m->pr), m->ref);
    }
    printf("listening on http://%s:%d (%d thread%s)\n", o->host, port,
           o->threads, o->threads > 1 ? "s" : "");
    fflush(stdout);
}

/* Every registered model at champion, else latest. */
static int load_models(cli_ctx_t *ctx, const project_t *p,
                       serve_model_t **out, size_t *nout, ferr_t *e)
{
    const char *dir = cli_registry(ctx, p);
    reg_t *r = NULL;
    json_t *all = NULL, *m;
    size_t i, n = 0;
    serve_model_t *ms = NULL;
    int rc = reg_open(dir, &r, e);
    if (rc == 0)
        rc = reg_list(r, NULL, &all, e);
    if (rc == 0 && json_array_size(all) == 0)
        rc = ferr_set(e, FERR_NOTFOUND, "registry %s has no model (ferry "
                      "train registers one)", dir);
    if (rc == 0)
        ms = xcalloc(json_array_size(all), sizeof(*ms));
    json_array_foreach(rc == 0 ? all : NULL, i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *ref = "champion";
        int v;
        if (name == NULL)
            continue;
        if (reg_resolve(r, name, ref, &v, NULL) != FERR_OK)
            ref = "latest";
        ms[n].name = xstrdup(name);
        ms[n].ref = ref;
        rc = predictor_load(dir, name, ref, p, ctx->sets, ctx->nsets,
                            &ms[n].pr, e);
        n++;
        if (rc)
            break;
    }
    json_decref(all);
    reg_close(r);
    if (rc) {
        for (i = 0; i < n; i++) {
            free(ms[i].name);
            if (ms[i].pr)
                predictor_unref(ms[i].pr);
        }
        free(ms);
        return rc;
    }
    *out = ms;
    *nout = n;
    return FERR_OK;
}

int cmd_serve(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *port_s = NULL, *threads_s = NULL, *body_s = NULL,
               *recs_s = NULL;
    serve_opts_t o = {.host = "127.0.0.1", .port = 8080, .threads = 2,
                      .max_body = SERVE_MAX_BODY_DEFAULT,
                      .max_records = SERVE_MAX_RECORDS_DEFAULT};
    size_t v;
    for (int i = 1; i < argc; i++) {
        int m;
        if (strcmp(argv[i], "--routes") == 0) {
            buf_t b = {0};
            serve_routes_markdown(&b);
            fputs(b.p, stdout);
            buf_free(&b);
            return 0;
        }
        if ((m = cli_opt_value("serve", argc, argv, &i, "--port", &port_s)) ||
            (m = cli_opt_value("serve", argc, argv, &i, "--host", &o.host)) ||
            (m = cli_opt_value("serve", argc, argv, &i, "--threads",
                               &threads_s)) ||
            (m = cli_opt_value("serve", argc, argv, &i, "--max-body",
                               &body_s)) ||
            (m = cli_opt_value("serve", argc, argv, &i, "--max-records",
                               &recs_s))) {
            if (m < 0)
                return 2;
        } else {
            cli_error("serve: unknown option '%s'", argv[i]);
            return 2;
        }
    }
    if (port_s) {
        if (cli_parse_count("serve", "--port", port_s, 0, 65535, &v))
            return 2;
        o.port = (int)v;
    }
    if (threads_s) {
        if (cli_parse_count("serve", "--threads", threads_s, 1, 256, &v))
            return 2;
        o.threads = (int)v;
    }
    if (body_s && cli_parse_count("serve", "--max-body", body_s, 1,
                                  (size_t)1 << 30, &o.max_body))
        return 2;
    if (recs_s && cli_parse_count("serve", "--max-records", recs_s, 1,
                                  1000000, &o.max_records))
        return 2;

    project_t *p = cli_load_project(ctx, "serve");
    if (p == NULL)
        return 1;
    serve_model_t *ms = NULL;
    size_t n = 0;
    serve_t *s = NULL;
    ferr_t e = {0};
    int rc = load_models(ctx, p, &ms, &n, &e);
    if (rc == 0)
        rc = serve_new(&o, ms, n, &s, &e);
    if (rc == 0)
        rc = serve_run(s, on_listen, &e);
    if (rc)
        cli_error("serve: %s", ferr_msg(&e));
    else
        cli_info(ctx, "serve: stopped");
    serve_free(s);
    project_free(p);
    return rc ? 1 : 0;
}

/*
 * cmd_demo.c - `ferry demo`: the whole lifecycle on generated data, so a
 * newcomer sees every stage run in a few seconds on a fresh machine:
 * init -> features build (offline + online) -> train (+ promote) ->
 * models list -> features show -> predict.  Each stage is the real command
 * handler, so the demo cannot drift from the CLI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/progress.h"
#include "cli/cli.h"

typedef struct demo_step {
    const char *title;
    cli_handler_fn run;
    const char *argv[6];
} demo_step_t;

static const demo_step_t steps[] = {
    {"features: loan log -> point-in-time features, offline table + online store",
     cmd_features, {"features", "build", NULL}},
    {"train: XGBoost on the feature table, registered and promoted to champion",
     cmd_train, {"train", "--promote", NULL}},
    {"registry", cmd_models, {"models", "list", NULL}},
    {"online features of one customer", cmd_features, {"features", "show", "5000049", NULL}},
    {"predict: raw records -> features -> compiled trees", cmd_predict,
     {"predict", "--output", "out/predictions.csv", NULL}},
    {NULL, NULL, {NULL}},
};

int cmd_demo(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *dir = "ferry-demo";
    size_t rows = 50000;
    double t0 = now_seconds();
    ferr_t e = {0};

    for (int i = 1; i < argc; i++) {
        const char *v;
        int m = cli_opt_value("demo", argc, argv, &i, "--rows", &v);
        if (m < 0 || (m > 0 && cli_parse_count("demo", "--rows", v, 1000,
                                               INIT_ROWS_MAX, &rows)))
            return 2;
        if (m > 0)
            continue;
        if (argv[i][0] != '-')
            dir = argv[i];
        else {
            cli_error("demo: unknown option '%s'", argv[i]);
            return 2;
        }
    }
    printf("== init: %s/ferry.yaml and a synthetic loan log of %zu rows\n", dir,
           rows);
    if (init_project("credit-risk", dir, rows, true, &e) != FERR_OK) {
        cli_error("demo: %s", ferr_msg(&e));
        return 1;
    }
    if (chdir(dir) != 0) {
        cli_error("demo: cannot enter %s", dir);
        return 1;
    }
    ctx->project_file = "ferry.yaml";
    if (!ctx->registry_dir_set)
        ctx->registry_dir = "registry";
    /* a rerun starts from an empty registry, so versions read the same */
    if (system("rm -rf registry out") != 0) {
        cli_error("demo: cannot clean %s", dir);
        return 1;
    }
    for (const demo_step_t *s = steps; s->title; s++) {
        int n = 0, rc;
        while (s->argv[n])
            n++;
        printf("\n== %s\n$ ferry", s->title);
        for (int k = 0; k < n; k++)
            printf(" %s", s->argv[k]);
        printf("\n");
        fflush(stdout);
        rc = s->run(ctx, n, (char **)s->argv);
        fflush(stdout);
        if (rc != 0) {
            cli_error("demo: step '%s' failed", s->argv[0]);
            return rc;
        }
    }
    printf("\n== done in %.1f s: see %s/ (ferry.yaml, out/, registry/)\n",
           now_seconds() - t0, dir);
    return 0;
}

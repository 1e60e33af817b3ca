/*
 * cli.c - global option parsing and the command table (see cli.h).
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/progress.h"
#include "project/project.h"

const cli_command_t cli_commands[] = {
    {"help", cmd_help, "show commands, or the usage of one", "help [COMMAND]"},
    {"version", cmd_version, "print ferry's version", "version"},
    {"init", cmd_init, "scaffold a project (ferry.yaml + example data) from a template", "init TEMPLATE [DIR] [--rows N] [--force]"},
    {"features", cmd_features, "build | show | sql: the offline table, an entity's online features, the same features as SQL", "features build|show|sql ..."},
    {"train", cmd_train, "train a model on the feature table and register it (--promote: through the gate)", "train [--promote [ALIAS]] [--force]"},
    {"predict", cmd_predict, "score raw records (the primary source, or --input FILE) with a registered model", "predict [--model NAME[@ALIAS|@VERSION]] [--input FILE.csv] [--output FILE.csv] [--rejects FILE.csv]"},
    {"validate", cmd_validate, "check ferry.yaml without reading data: keys, features, expressions, windows, model settings", "validate"},
    {"demo", cmd_demo, "run the whole lifecycle on generated data in ./ferry-demo", "demo [DIR] [--rows N]"},
    {"reference", cmd_reference, "print the ferry.yaml key reference (docs/reference.md)", "reference"},
    {"models", cmd_models, "model registry: list, show, promote, rollback, diff, import, export, delete",
     "models list|show|history|promote|rollback|diff|import|export|delete ... (ferry models help)"},
    {NULL, NULL, NULL, NULL},
};

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("ferry: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_info(const cli_ctx_t *ctx, const char *fmt, ...)
{
    va_list ap;
    if (ctx->quiet)
        return;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

static const cli_command_t *find_command(const char *name)
{
    for (const cli_command_t *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: ferry [-C DIR] [-f FILE] [--set KEY=VALUE]... [--registry DIR] "
            "[--quiet] [--json] COMMAND [ARGS]\n\ncommands:\n");
    for (const cli_command_t *c = cli_commands; c->name; c++)
        fprintf(fp, "  %-12s %s\n", c->name, c->summary);
}

int cmd_help(cli_ctx_t *ctx, int argc, char **argv)
{
    (void)ctx;
    if (argc > 1) {
        const cli_command_t *c = find_command(argv[1]);
        if (c == NULL) {
            cli_error("unknown command '%s'", argv[1]);
            return 2;
        }
        printf("usage: ferry %s\n\n%s\n", c->usage, c->summary);
        return 0;
    }
    usage(stdout);
    return 0;
}

int cmd_version(cli_ctx_t *ctx, int argc, char **argv)
{
    (void)ctx;
    (void)argc;
    (void)argv;
    printf("ferry %s\n", FERRY_VERSION);
    return 0;
}

int cli_main(int argc, char **argv)
{
    cli_ctx_t ctx = {.project_file = "ferry.yaml"};
    char *registry_dir = NULL;
    const cli_command_t *cmd;
    int i = 1, rc;

    ctx.sets = xcalloc((size_t)argc, sizeof(*ctx.sets));
    /* Global options come before the command, like git's. */
    while (i < argc && argv[i][0] == '-') {
        const char *a = argv[i];
        if (strcmp(a, "-C") == 0 && i + 1 < argc) {
            if (chdir(argv[i + 1]) != 0) {
                cli_error("-C %s: cannot change directory", argv[i + 1]);
                free(ctx.sets);
                return 2;
            }
            i += 2;
        } else if (strcmp(a, "-f") == 0 && i + 1 < argc) {
            ctx.project_file = argv[i + 1];
            i += 2;
        } else if (strcmp(a, "--set") == 0 && i + 1 < argc) {
            ctx.sets[ctx.nsets++] = argv[i + 1];
            i += 2;
        } else if (strncmp(a, "--set=", 6) == 0) {
            ctx.sets[ctx.nsets++] = a + 6;
            i++;
        } else if (strcmp(a, "--registry") == 0 && i + 1 < argc) {
            ctx.registry_dir = argv[i + 1];
            ctx.registry_dir_set = true;
            i += 2;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            ctx.quiet = true;
            i++;
        } else if (strcmp(a, "--json") == 0) {
            ctx.json = true;
            i++;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(ctx.sets);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            free(ctx.sets);
            return cmd_version(&ctx, 0, NULL);
        } else {
            cli_error("unknown option '%s' (see ferry --help)", a);
            free(ctx.sets);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        free(ctx.sets);
        return 2;
    }
    cmd = find_command(argv[i]);
    if (cmd == NULL) {
        cli_error("unknown command '%s' (see ferry help)", argv[i]);
        free(ctx.sets);
        return 2;
    }
    if (ctx.registry_dir == NULL) {
        /* registry.path of the project here, if there is one, so `ferry
         * models list` inside a project finds its registry. */
        project_t *p = NULL;
        ferr_t e = {0};
        if (access(ctx.project_file, R_OK) == 0 &&
            project_load(ctx.project_file, ctx.sets, ctx.nsets, &p, &e) == FERR_OK)
            registry_dir = xstrdup(p->registry_dir);
        project_free(p);
        ctx.registry_dir = registry_dir ? registry_dir : "registry";
    }
    progress_set_quiet(ctx.quiet);
    rc = cmd->run(&ctx, argc - i, argv + i);
    free(ctx.sets);
    free(registry_dir);
    return rc;
}

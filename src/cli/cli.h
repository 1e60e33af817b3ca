/*
 * cli.h - the command-line front: global options and the command table.
 *
 * Each subcommand is one row of the table in cli.c (name, handler, summary,
 * usage); `ferry help` and docs/cli.md are generated from it.  Handlers get
 * the parsed global options and their own argv (argv[0] is the command
 * name) and return a process exit status.  Handlers live in cmd_*.c.
 */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

typedef struct cli_ctx {
    const char *project_file; /* -f FILE, default "ferry.yaml" */
    const char **sets;        /* --set key=value, in order */
    size_t nsets;
    bool quiet;               /* --quiet: no progress, no chatter */
    bool json;                /* --json: machine-readable output */
    const char *registry_dir; /* --registry DIR, else ferry.yaml's
                                 registry.path, else "registry" */
    bool registry_dir_set;    /* given with --registry */
} cli_ctx_t;

typedef int (*cli_handler_fn)(cli_ctx_t *ctx, int argc, char **argv);

typedef struct cli_command {
    const char *name;
    cli_handler_fn run;
    const char *summary;
    const char *usage;
} cli_command_t;

/* The table, terminated by a row with name == NULL. */
extern const cli_command_t cli_commands[];

/* Entry point used by main(): parses global options, dispatches. */
int cli_main(int argc, char **argv);

/* Print to stderr "ferry: <msg>\n" (errors always print, even with --quiet). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line on stdout, suppressed by --quiet. */
void cli_info(const cli_ctx_t *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Handlers (cmd_*.c). */
int cmd_help(cli_ctx_t *ctx, int argc, char **argv);
int cmd_version(cli_ctx_t *ctx, int argc, char **argv);
int cmd_reference(cli_ctx_t *ctx, int argc, char **argv);
int cmd_init(cli_ctx_t *ctx, int argc, char **argv);
int cmd_features(cli_ctx_t *ctx, int argc, char **argv);
int cmd_train(cli_ctx_t *ctx, int argc, char **argv);
int cmd_predict(cli_ctx_t *ctx, int argc, char **argv);
int cmd_demo(cli_ctx_t *ctx, int argc, char **argv);
int cmd_validate(cli_ctx_t *ctx, int argc, char **argv);

/* Scaffold template `tmpl` into dir (cmd_init.c; also used by demo). */
int init_project(const char *tmpl, const char *dir, size_t rows, bool force,
                 ferr_t *e);
int cmd_models(cli_ctx_t *ctx, int argc, char **argv);

#endif

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

/* Before any output: stdout not on a terminal is written in 64 KiB
 * blocks, so most commands' whole output goes out in the final flush,
 * whose error cli_close_stdout can name (glibc drops the reason of an
 * earlier failed write). */
void cli_buffer_stdout(void);
/* Close stdout once the command is done and report a write error there
 * (a full disk, `> /dev/full`) that the command's printf calls ignored:
 * "ferry: write error on standard output: <reason>", exit status 2 (or
 * the command's own failure status).  Returns the status to exit with. */
int cli_close_stdout(int rc);

/* Print to stderr "ferry: <msg>\n" (errors always print, even with --quiet). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line on stdout, suppressed by --quiet. */
void cli_info(const cli_ctx_t *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Command-line values, parsed one way by every command.
 *
 * cli_opt_value: if argv[*i] is the option `name` ("NAME VALUE" or
 * "NAME=VALUE"), set *val, move *i to the last argument it used and return
 * 1; return 0 if argv[*i] is something else; -1 after printing "CMD: NAME
 * needs a value" when the value is missing.
 * cli_parse_count: a whole number in [min, max], digits only (no sign, no
 * space, no trailing junk); cli_parse_real: a finite decimal number.  Both
 * return 0, or -1 after printing "CMD: OPT 'TEXT': expected ...". */
int cli_opt_value(const char *cmd, int argc, char **argv, int *i,
                  const char *name, const char **val);
int cli_parse_count(const char *cmd, const char *opt, const char *text,
                    size_t min, size_t max, size_t *out);
int cli_parse_real(const char *cmd, const char *opt, const char *text,
                   double *out);

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

/* Scaffold template `tmpl` into dir (cmd_init.c; also used by demo).  The
 * example data is generated in memory per customer (rows / 20 of them),
 * so rows is capped: INIT_ROWS_MAX rows are a 9 GB CSV. */
#define INIT_ROWS_MAX 100000000
int init_project(const char *tmpl, const char *dir, size_t rows, bool force,
                 ferr_t *e);
int cmd_models(cli_ctx_t *ctx, int argc, char **argv);
/* `features show` and `features push` (cmd_events.c) */
int features_show_cmd(cli_ctx_t *ctx, int argc, char **argv);
int features_push_cmd(cli_ctx_t *ctx, int argc, char **argv);

#endif

/*
 * cli.h - the command-line front: global options and the command table.
 *
 * Each command, subcommand and option is one row of the table in
 * commands.c (name, handler, summary, usage, options); `ferry help`, the
 * subcommand lists and the command section of docs/reference.md are
 * generated from it, so adding a command (serve, run, ...) is adding rows.  Handlers get
 * the parsed global options and their own argv (argv[0] is the command
 * name) and return a process exit status.  Handlers live in cmd_*.c.
 */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/str.h"

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

/* One option of a command: a row of the command's option table.  name and
 * value make its usage ("--model NAME[@REF]"; value NULL: a flag), help
 * its line in `ferry help CMD` and docs/reference.md.  kind and off say
 * where cli_parse_opts stores it in the command's options struct (off:
 * offsetof a bool, const char * or double field); a command that parses
 * its own arguments leaves them 0 (CLI_OPT_SELF). */
typedef enum {
    CLI_OPT_SELF, /* parsed by the handler itself */
    CLI_OPT_FLAG, /* bool */
    CLI_OPT_STR,  /* const char *: the argument as given */
    CLI_OPT_NUM,  /* double: cli_parse_real */
} cli_opt_kind_t;

typedef struct cli_option {
    const char *name;
    const char *value;
    const char *help;
    cli_opt_kind_t kind;
    size_t off;
} cli_option_t;

/* One command or subcommand: a row of the command table (commands.c).
 * usage is the synopsis after "ferry " (a subcommand's after "ferry
 * PARENT "); a command with subcommands has none of its own: it is
 * generated ("features build|show|push|sql ...").  run is NULL for a
 * subcommand its parent dispatches with its own signature (models).
 * min_pos and max_pos bound the positional arguments cli_parse_opts
 * accepts. */
typedef struct cli_command {
    const char *name;
    cli_handler_fn run;
    const char *summary;
    const char *usage;
    const cli_option_t *opts;        /* {NULL}-terminated, or NULL */
    const struct cli_command *subs;  /* {NULL}-terminated, or NULL */
    int min_pos, max_pos;
} cli_command_t;

/* The table, terminated by a row with name == NULL. */
extern const cli_command_t cli_commands[];

/* A row of `table` (cli_commands or a command's subs) by name, or NULL. */
const cli_command_t *cli_find_command(const cli_command_t *table,
                                      const char *name);
/* The usage of a row after "ferry " (parent NULL for a top-level one),
 * appended to out: "predict [--model ...]", "models list [NAME]". */
void cli_usage_text(const cli_command_t *parent, const cli_command_t *c,
                    buf_t *out);
/* `ferry CMD` without (or with an unknown) subcommand, `ferry CMD help`:
 * the subcommands' usage and summary, one block each. */
void cli_print_subcommands(FILE *fp, const cli_command_t *parent);
/* The command section of docs/reference.md, appended to out. */
void cli_reference_md(buf_t *out);

/* Parse a (sub)command's arguments by its option rows: options as "NAME
 * VALUE" or "NAME=VALUE", stored into *opts at each row's off; other
 * arguments are positional (pos, at most c->max_pos, at least
 * c->min_pos).  label names the command in messages ("models show").
 * Returns 0, or 2 after printing the usage error. */
int cli_parse_opts(const char *label, const cli_command_t *parent,
                   const cli_command_t *c, int argc, char **argv, void *opts,
                   const char **pos, int *npos);

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
int cmd_serve(cli_ctx_t *ctx, int argc, char **argv);

/* Scaffold template `tmpl` into dir (cmd_init.c; also used by demo).  The
 * example data is generated in memory per customer (rows / 20 of them),
 * so rows is capped: INIT_ROWS_MAX rows are a 9 GB CSV. */
#define INIT_ROWS_MAX 100000000
int init_project(const char *tmpl, const char *dir, size_t rows, bool force,
                 ferr_t *e);
int cmd_models(cli_ctx_t *ctx, int argc, char **argv);
/* `features build` and `features sql` (cmd_features.c), `features show`
 * and `features push` (cmd_events.c) */
int features_build_cmd(cli_ctx_t *ctx, int argc, char **argv);
int features_sql_cmd(cli_ctx_t *ctx, int argc, char **argv);
int features_show_cmd(cli_ctx_t *ctx, int argc, char **argv);
int features_push_cmd(cli_ctx_t *ctx, int argc, char **argv);
/* `ferry models SUB`: what cli_parse_opts fills from the rows of
 * cli_models_subs (commands.c) for cmd_models.c. */
#define MODELS_MAX_POS 4
typedef struct models_opts {
    const char *pos[MODELS_MAX_POS];
    int npos;
    bool json, force, lower_is_better;
    const char *alias, *reason, *metric, *split, *features, *objective,
        *metrics;
    double tolerance, floor;
} models_opts_t;
extern const cli_command_t cli_models_subs[];

#endif

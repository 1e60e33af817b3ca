/*
 * commands.c - the command table: every command, subcommand and option of
 * `ferry` as rows, and what is generated from them (usage lines, `ferry
 * help CMD`, subcommand lists, the command section of docs/reference.md)
 * and the option parser that reads arguments by them (cli_parse_opts).
 *
 * A command is a row of cli_commands; its options are rows of its own
 * {NULL}-terminated array next to it; a command with subcommands points
 * at their rows (features, models).  Adding a command (serve, run,
 * schedule, ...) is adding rows here and a handler in cmd_*.c.
 * tests/unit/cli/test_commands.c checks that each row's usage names
 * exactly its option rows, so the two cannot drift.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define O_SELF(n, v, h) {n, v, h, CLI_OPT_SELF, 0}
#define O_FLAG(n, h, f) {n, NULL, h, CLI_OPT_FLAG, offsetof(models_opts_t, f)}
#define O_STR(n, v, h, f) {n, v, h, CLI_OPT_STR, offsetof(models_opts_t, f)}
#define O_NUM(n, v, h, f) {n, v, h, CLI_OPT_NUM, offsetof(models_opts_t, f)}
#define O_END {NULL, NULL, NULL, CLI_OPT_SELF, 0}

/* ---- options -------------------------------------------------------- */

static const cli_option_t init_opts[] = {
    O_SELF("--rows", "N", "rows of generated example data (default 50000)"),
    O_SELF("--force", NULL, "overwrite an existing ferry.yaml"),
    O_END,
};
static const cli_option_t demo_opts[] = {
    O_SELF("--rows", "N", "rows of the generated loan log (default 50000)"),
    O_END,
};
static const cli_option_t train_opts[] = {
    O_SELF("--promote", "[ALIAS]", "promote the new version through the "
           "gate (to ALIAS, default gate.alias)"),
    O_SELF("--force", NULL, "promote even when the gate refuses"),
    O_END,
};
static const cli_option_t predict_opts[] = {
    O_SELF("--model", "NAME[@ALIAS|@VERSION]", "the registered version "
           "(default: the project's model at its champion alias)"),
    O_SELF("--input", "FILE.csv", "the records (default: the primary "
           "source)"),
    O_SELF("--output", "FILE.csv", "where the scores go (default: stdout)"),
    O_SELF("--rejects", "FILE.csv", "where rejected records go (line, "
           "column, value, reason)"),
    O_SELF("--with-features", NULL, "add the model's inputs to each row"),
    O_END,
};
static const cli_option_t serve_opts[] = {
    O_SELF("--port", "N", "the TCP port (default 8080; 0: a free one, "
           "printed)"),
    O_SELF("--host", "ADDR", "the numeric IPv4 address to listen on "
           "(default 127.0.0.1)"),
    O_SELF("--threads", "N", "event loops, each with its own scoring "
           "contexts (default 2)"),
    O_SELF("--max-body", "BYTES", "413 for a request body over this "
           "(default 1 MiB)"),
    O_SELF("--max-records", "N", "400 for more records in one request "
           "(default 1000)"),
    O_SELF("--routes", NULL, "print the route table as markdown and exit"),
    O_END,
};
static const cli_option_t build_opts[] = {
    O_SELF("--online", NULL, "write the online store even when the "
           "spec does not enable it"),
    O_SELF("--no-online", NULL, "do not write the online store"),
    O_END,
};
static const cli_option_t show_opts[] = {
    O_SELF("--at", "TIME", "as of TIME instead of now"),
    O_END,
};
static const cli_option_t push_opts[] = {
    O_SELF("--input", "EVENTS.csv", "the events, in time order"),
    O_SELF("--model", "NAME[@REF]", "also score each event as of the "
           "events before it"),
    O_SELF("--output", "SCORES.csv", "where the scores go (with --model)"),
    O_SELF("--with-features", NULL, "add the model's inputs to each score"),
    O_END,
};
static const cli_option_t sql_opts[] = {
    O_SELF("--dialect", "sqlite|postgres|spark", "the SQL dialect "
           "(default sqlite)"),
    O_SELF("--ddl", NULL, "also print CREATE TABLE statements of "
           "the sources"),
    O_END,
};

#define M_JSON O_FLAG("--json", "one JSON document instead of text", json)
static const cli_option_t m_json_opts[] = {M_JSON, O_END};
static const cli_option_t m_promote_opts[] = {
    M_JSON,
    O_STR("--alias", "champion", "the alias to move (default champion)",
          alias),
    O_FLAG("--force", "promote even when the gate refuses", force),
    O_STR("--reason", "TEXT", "why, kept in the alias history", reason),
    O_STR("--metric", "M", "the gate's metric (default: the project's "
          "gate)", metric),
    O_STR("--split", "S", "the split whose metric is compared", split),
    O_NUM("--tolerance", "T", "how much worse than the champion is still "
          "accepted", tolerance),
    O_NUM("--floor", "F", "the metric must be at least this", floor),
    O_FLAG("--lower-is-better", "the metric improves downwards (rmse)",
           lower_is_better),
    O_END,
};
static const cli_option_t m_rollback_opts[] = {
    M_JSON,
    O_STR("--alias", "champion", "the alias to move back (default "
          "champion)", alias),
    O_STR("--reason", "TEXT", "why, kept in the alias history", reason),
    O_END,
};
static const cli_option_t m_import_opts[] = {
    M_JSON,
    O_STR("--features", "FILE|a,b,c", "the model's feature names: a file "
          "(one per line, comma-separated or JSON) or a list", features),
    O_STR("--objective", "OBJ", "the objective, checked against the "
          "model's", objective),
    O_STR("--metrics", "METRICS.json", "metrics to record with the version",
          metrics),
    O_END,
};
static const cli_option_t m_delete_opts[] = {
    M_JSON,
    O_FLAG("--force", "delete even when an alias points at it", force),
    O_END,
};

/* ---- subcommands ------------------------------------------------------ */

static const cli_command_t features_subs[] = {
    {"build", features_build_cmd, "compute the offline feature table (and "
     "the online store)", "build [--online|--no-online]", build_opts, NULL,
     0, 0},
    {"show", features_show_cmd, "the features a new event of an entity gets "
     "now (window features from its history), else its latest row",
     "show ENTITY_ID [--at TIME]", show_opts, NULL, 1, 1},
    {"push", features_push_cmd, "append events to the online store's history "
     "and latest rows, without a rebuild", "push --input EVENTS.csv [--model "
     "NAME[@REF] [--output SCORES.csv] [--with-features]]", push_opts, NULL,
     0, 0},
    {"sql", features_sql_cmd, "print SQL computing the same table",
     "sql [--dialect sqlite|postgres|spark] [--ddl]", sql_opts, NULL, 0, 0},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};

/* run NULL: cmd_models.c binds each to its handler (which gets the open
 * registry and the parsed models_opts_t) */
const cli_command_t cli_models_subs[] = {
    {"list", NULL, "every model (or one) with its versions, aliases and "
     "metrics", "list [NAME]", m_json_opts, NULL, 0, 1},
    {"show", NULL, "one version's manifest (default: the latest)",
     "show NAME[@VERSION|@ALIAS]", m_json_opts, NULL, 1, 1},
    {"history", NULL, "alias moves, oldest first", "history NAME",
     m_json_opts, NULL, 1, 1},
    {"promote", NULL, "point an alias at a version, through the validation "
     "gate", "promote NAME VERSION [--alias champion] [--force] [--reason "
     "TEXT] [--metric M --split S --tolerance T --floor F "
     "--lower-is-better]", m_promote_opts, NULL, 2, 2},
    {"rollback", NULL, "move an alias back to its previous version",
     "rollback NAME [--alias champion] [--reason TEXT]", m_rollback_opts,
     NULL, 1, 1},
    {"diff", NULL, "params, metrics, features and schema differences of two "
     "versions", "diff NAME A B", m_json_opts, NULL, 3, 3},
    {"import", NULL, "register an XGBoost JSON model trained elsewhere",
     "import NAME MODEL.json [--features FILE|a,b,c] [--objective OBJ] "
     "[--metrics METRICS.json]", m_import_opts, NULL, 2, 2},
    {"export", NULL, "copy a version's model.json and manifest.json to DIR",
     "export NAME[@X] DIR", m_json_opts, NULL, 2, 2},
    {"delete", NULL, "remove a version (--force if an alias points at it)",
     "delete NAME VERSION [--force]", m_delete_opts, NULL, 2, 2},
    {"verify", NULL, "check a model's versions, model bytes, aliases and "
     "history agree", "verify NAME", m_json_opts, NULL, 1, 1},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};

/* ---- commands --------------------------------------------------------- */

const cli_command_t cli_commands[] = {
    {"help", cmd_help, "show commands, or the usage of one",
     "help [COMMAND [SUBCOMMAND]]", NULL, NULL, 0, 2},
    {"version", cmd_version, "print ferry's version", "version", NULL, NULL,
     0, 0},
    {"init", cmd_init, "scaffold a project (ferry.yaml + example data) from "
     "a template", "init TEMPLATE [DIR] [--rows N] [--force]", init_opts,
     NULL, 1, 2},
    {"features", cmd_features, "build | show | push | sql: the offline "
     "table, an entity's online features, events appended to the online "
     "store, the same features as SQL", NULL, NULL, features_subs, 0, 0},
    {"train", cmd_train, "train a model on the feature table and register it "
     "(--promote: through the gate)", "train [--promote [ALIAS]] [--force]",
     train_opts, NULL, 0, 0},
    {"predict", cmd_predict, "score raw records (the primary source, or "
     "--input FILE) with a registered model", "predict [--model "
     "NAME[@ALIAS|@VERSION]] [--input FILE.csv] [--output FILE.csv] "
     "[--rejects FILE.csv] [--with-features]", predict_opts, NULL, 0, 0},
    {"validate", cmd_validate, "check ferry.yaml without reading data: keys, "
     "features, expressions, windows, model settings", "validate", NULL,
     NULL, 0, 0},
    {"demo", cmd_demo, "run the whole lifecycle on generated data in "
     "./ferry-demo", "demo [DIR] [--rows N]", demo_opts, NULL, 0, 1},
    {"reference", cmd_reference, "print the ferry.yaml key reference "
     "(docs/reference.md)", "reference", NULL, NULL, 0, 0},
    {"models", cmd_models, "model registry: list, show, promote, rollback, "
     "diff, import, export, delete, verify", NULL, NULL, cli_models_subs,
     0, 0},
    {"serve", cmd_serve, "serve the registry's models over HTTP (each at "
     "champion, else its latest version) until SIGTERM", "serve [--port N] "
     "[--host ADDR] [--threads N] [--max-body BYTES] [--max-records N] "
     "[--routes]", serve_opts, NULL, 0, 0},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};

/* ---- generated from the rows -------------------------------------------- */

const cli_command_t *cli_find_command(const cli_command_t *table,
                                      const char *name)
{
    for (const cli_command_t *c = table; c && c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

void cli_usage_text(const cli_command_t *parent, const cli_command_t *c,
                    buf_t *out)
{
    if (parent)
        buf_printf(out, "%s ", parent->name);
    if (c->usage) {
        buf_puts(out, c->usage);
        return;
    }
    /* a command with subcommands: their names */
    buf_printf(out, "%s ", c->name);
    for (const cli_command_t *s = c->subs; s && s->name; s++)
        buf_printf(out, "%s%s", s == c->subs ? "" : "|", s->name);
    buf_puts(out, " ...");
}

void cli_print_subcommands(FILE *fp, const cli_command_t *parent)
{
    buf_t u = {0};
    for (const cli_command_t *s = parent->subs; s && s->name; s++) {
        buf_reset(&u);
        buf_puts(&u, "");
        cli_usage_text(parent, s, &u);
        fprintf(fp, "  ferry %s\n      %s\n", u.p, s->summary);
    }
    buf_free(&u);
}

/* A Markdown table cell: a '|' in a usage (NAME[@ALIAS|@VERSION]) would end
 * the cell, even inside backticks. */
static void md_cell(buf_t *b, const char *s)
{
    for (; *s; s++)
        buf_puts(b, *s == '|' ? "\\|" : (char[2]){*s, '\0'});
}

static void md_row(buf_t *b, const cli_command_t *parent,
                   const cli_command_t *c)
{
    buf_t u = {0};
    buf_puts(&u, "");
    cli_usage_text(parent, c, &u);
    buf_puts(b, "| `");
    if (parent)
        buf_printf(b, "%s ", parent->name);
    buf_printf(b, "%s` | `ferry ", c->name);
    md_cell(b, u.p);
    buf_puts(b, "` | ");
    md_cell(b, c->summary);
    buf_puts(b, " |\n");
    buf_free(&u);
}

static void md_options(buf_t *b, const cli_command_t *parent,
                       const cli_command_t *c)
{
    for (const cli_option_t *o = c->opts; o && o->name; o++) {
        buf_puts(b, "| `");
        if (parent)
            buf_printf(b, "%s ", parent->name);
        buf_printf(b, "%s` | `%s", c->name, o->name);
        if (o->value) {
            buf_puts(b, " ");
            md_cell(b, o->value);
        }
        buf_puts(b, "` | ");
        md_cell(b, o->help);
        buf_puts(b, " |\n");
    }
}

void cli_reference_md(buf_t *b)
{
    buf_puts(b, "\n## Commands\n\n| command | usage | what it does |\n"
                "| --- | --- | --- |\n");
    for (const cli_command_t *c = cli_commands; c->name; c++) {
        md_row(b, NULL, c);
        for (const cli_command_t *s = c->subs; s && s->name; s++)
            md_row(b, c, s);
    }
    buf_puts(b, "\n### Options\n\nGlobal options (`-C DIR`, `-f FILE`, "
                "`--set KEY=VALUE`, `--registry DIR`, `--quiet`, `--json`) "
                "come before the command.\n\n"
                "| command | option | what it does |\n| --- | --- | --- |\n");
    for (const cli_command_t *c = cli_commands; c->name; c++) {
        md_options(b, NULL, c);
        for (const cli_command_t *s = c->subs; s && s->name; s++)
            md_options(b, c, s);
    }
}

/* ---- parsing by the rows (lifted from cmd_models.c) ------------------------ */

int cli_parse_opts(const char *label, const cli_command_t *parent,
                   const cli_command_t *c, int argc, char **argv, void *opts,
                   const char **pos, int *npos)
{
    buf_t u = {0};
    int rc = 2;

    buf_puts(&u, "");
    cli_usage_text(NULL, c, &u); /* messages show the row's own usage */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        const cli_option_t *opt = NULL;
        char key[64];
        if (a[0] != '-' || a[1] == '\0') {
            if (*npos >= c->max_pos) {
                cli_error("%s: unexpected argument '%s' (usage: %s)", label,
                          a, u.p);
                goto out;
            }
            pos[(*npos)++] = a;
            continue;
        }
        snprintf(key, sizeof(key), "%.*s", (int)strcspn(a, "="), a);
        if (a[strlen(key)] == '=')
            val = a + strlen(key) + 1;
        for (const cli_option_t *o = c->opts; o && o->name; o++)
            if (strcmp(o->name, key) == 0)
                opt = o;
        if (opt == NULL || opt->kind == CLI_OPT_SELF) {
            cli_error("%s: unknown option '%s' (usage: %s)", label, key, u.p);
            goto out;
        }
        if (opt->kind != CLI_OPT_FLAG && val == NULL) {
            if (i + 1 >= argc) {
                cli_error("%s: %s needs a value", label, key);
                goto out;
            }
            val = argv[++i];
        }
        switch (opt->kind) {
        case CLI_OPT_FLAG:
            *(bool *)((char *)opts + opt->off) = true;
            break;
        case CLI_OPT_STR:
            *(const char **)((char *)opts + opt->off) = val;
            break;
        default:
            if (cli_parse_real(label, key, val,
                               (double *)((char *)opts + opt->off)))
                goto out;
            break;
        }
    }
    if (*npos < c->min_pos) {
        buf_reset(&u);
        buf_puts(&u, "");
        cli_usage_text(parent, c, &u);
        cli_error("%s: missing arguments (usage: ferry %s)", label, u.p);
        goto out;
    }
    rc = 0;
out:
    buf_free(&u);
    return rc;
}

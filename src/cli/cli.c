/*
 * cli.c - global option parsing, help and the output helpers (see cli.h;
 * the command table itself is commands.c).
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/progress.h"
#include "base/str.h"
#include "project/project.h"

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

int cli_opt_value(const char *cmd, int argc, char **argv, int *i,
                  const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        cli_error("%s%s%s needs a value", cmd ? cmd : "", cmd ? ": " : "",
                  name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

int cli_parse_count(const char *cmd, const char *opt, const char *text,
                    size_t min, size_t max, size_t *out)
{
    uint64_t v;
    if (str_parse_u64(text, &v) != FERR_OK || v < min || v > max) {
        cli_error("%s: %s '%s': expected a whole number from %zu to %zu", cmd,
                  opt, text, min, max);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

int cli_parse_real(const char *cmd, const char *opt, const char *text,
                   double *out)
{
    if (str_parse_f64(text, out) != FERR_OK) {
        cli_error("%s: %s '%s': expected a finite number", cmd, opt, text);
        return -1;
    }
    return 0;
}

void cli_buffer_stdout(void)
{
    static char buf[64 * 1024];
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, buf, _IOFBF, sizeof(buf));
}

int cli_close_stdout(int rc)
{
    /* coreutils' close_stdout: an error flagged by an earlier buffered
     * write, or the final flush failing; stdout closed by the caller
     * (`ferry version >&-`) with nothing to write is not an error */
    bool pending = __fpending(stdout) != 0;
    bool prev_fail = ferror(stdout) != 0;
    bool close_fail;
    int err;

    errno = 0;
    close_fail = fclose(stdout) != 0;
    err = errno;
    if (!prev_fail && !(close_fail && (pending || err != EBADF)))
        return rc;
    if (err)
        cli_error("write error on standard output: %s", strerror(err));
    else
        cli_error("write error on standard output");
    return rc ? rc : 2;
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
    const cli_command_t *c, *parent = NULL;
    buf_t u = {0};
    (void)ctx;
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    if ((c = cli_find_command(cli_commands, argv[1])) == NULL) {
        cli_error("unknown command '%s'", argv[1]);
        return 2;
    }
    if (argc > 2) {
        parent = c;
        if ((c = cli_find_command(parent->subs, argv[2])) == NULL) {
            cli_error("unknown command '%s %s'", argv[1], argv[2]);
            return 2;
        }
    }
    buf_puts(&u, "");
    cli_usage_text(parent, c, &u);
    printf("usage: ferry %s\n\n%s\n", u.p, c->summary);
    buf_free(&u);
    if (c->opts && c->opts->name) {
        printf("\noptions:\n");
        for (const cli_option_t *o = c->opts; o->name; o++) {
            char head[96];
            snprintf(head, sizeof(head), "%s%s%s", o->name,
                     o->value ? " " : "", o->value ? o->value : "");
            printf("  %-30s %s\n", head, o->help);
        }
    }
    if (c->subs) {
        printf("\nsubcommands:\n");
        cli_print_subcommands(stdout, c);
    }
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

/* The global options that take a value. */
enum { GLOBAL_DIR, GLOBAL_FILE, GLOBAL_SET, GLOBAL_REGISTRY };
static const struct {
    const char *name;
    int what;
} global_values[] = {
    {"-C", GLOBAL_DIR},
    {"-f", GLOBAL_FILE},
    {"--set", GLOBAL_SET},
    {"--registry", GLOBAL_REGISTRY},
};

int cli_main(int argc, char **argv)
{
    cli_ctx_t ctx = {.project_file = "ferry.yaml"};
    char *registry_dir = NULL;
    const cli_command_t *cmd;
    int i = 1, rc;

    ctx.sets = xcalloc((size_t)argc, sizeof(*ctx.sets));
    /* Global options come before the command, like git's. */
    while (i < argc && argv[i][0] == '-') {
        const char *a = argv[i], *v = NULL;
        size_t g = 0;
        int m = 0;
        for (; g < sizeof(global_values) / sizeof(*global_values); g++)
            if ((m = cli_opt_value(NULL, argc, argv, &i,
                                   global_values[g].name, &v)) != 0)
                break;
        if (m < 0) {
            free(ctx.sets);
            return 2;
        }
        if (m > 0) {
            switch (global_values[g].what) {
            case GLOBAL_DIR:
                if (chdir(v) != 0) {
                    cli_error("-C %s: cannot change directory: %s", v,
                              strerror(errno));
                    free(ctx.sets);
                    return 2;
                }
                break;
            case GLOBAL_FILE:
                ctx.project_file = v;
                break;
            case GLOBAL_SET:
                /* checked here: a forgotten value must not swallow the
                 * command name (`--set features build`) */
                if (v[0] == '=' || strchr(v, '=') == NULL) {
                    cli_error("--set '%s': expected KEY=VALUE", v);
                    free(ctx.sets);
                    return 2;
                }
                ctx.sets[ctx.nsets++] = v;
                break;
            default:
                ctx.registry_dir = v;
                ctx.registry_dir_set = true;
                break;
            }
            i++;
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
    cmd = cli_find_command(cli_commands, argv[i]);
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

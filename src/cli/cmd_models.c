/*
 * cmd_models.c - `ferry models ...`: the registry from the command line.
 *
 * A thin front over registry.h: each subcommand is a row of
 * cli_models_subs (commands.c: usage, the options it accepts, help), bound
 * here to its handler, and its arguments are parsed by those rows
 * (cli_parse_opts); it prints either text for people
 * or, with --json (global or after the subcommand), one JSON document for
 * scripts.  Exit status: 0 done, 1 refused or failed, 2 usage error.
 */
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/afile.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/vec.h"
#include "cli/cli.h"
#include "project/project.h"
#include "registry/registry.h"
#include "scoring/predictor.h"

typedef int (*models_fn)(cli_ctx_t *ctx, reg_t *r, models_opts_t *o);

/* A string field; "-" when absent (hand-edited files). */
static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

/* Stored text as shown in text output: control characters and DEL become
 * \n, \t, \xHH, so a reason, a hand-edited manifest or
 * an imported feature name can never forge an output line or send a
 * terminal escape.  The result lives in one of TX_SLOTS rotating buffers:
 * valid until TX_SLOTS more calls, enough for one printf (the CLI is
 * single-threaded). */
#define TX_SLOTS 8
static const char *tx(const char *s)
{
    static buf_t slot[TX_SLOTS];
    static unsigned next;
    buf_t *b = &slot[next++ % TX_SLOTS];
    if (s == NULL)
        return "-";
    buf_reset(b);
    buf_puts(b, "");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            buf_puts(b, "\\n");
        else if (c == '\t')
            buf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            buf_printf(b, "\\x%02x", c);
        else
            buf_putc(b, (char)c);
    }
    return b->p;
}

/* jstr for display. */
static const char *jtx(const json_t *o, const char *key)
{
    return tx(jstr(o, key));
}

static void print_json(const json_t *j)
{
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    fputc('\n', stdout);
}

static int fail(const ferr_t *e)
{
    cli_error("%s", ferr_msg(e));
    return e->code == FERR_USAGE ? 2 : 1;
}

/* "NAME@SPEC" or "NAME" (SPEC defaults to dflt) -> name and version. */
static int split_ref(reg_t *r, const char *ref, const char *dflt, char **name,
                     int *version, ferr_t *e)
{
    const char *at = strchr(ref, '@');
    int rc;
    *name = at ? xstrndup(ref, (size_t)(at - ref)) : xstrdup(ref);
    rc = reg_resolve(r, *name, at ? at + 1 : dflt, version, e);
    if (rc) {
        free(*name);
        *name = NULL;
    }
    return rc;
}

static void metrics_inline(const json_t *metrics, buf_t *b)
{
    const char *split, *k;
    json_t *m, *v;
    json_object_foreach((json_t *)metrics, split, m) {
        json_object_foreach(m, k, v) {
            buf_printf(b, "%s%s.%s=%.4f", b->n ? " " : "", tx(split), tx(k),
                       json_number_value(v));
        }
    }
}

static void join_strings(const json_t *arr, buf_t *b)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
        buf_printf(b, "%s%s", i ? "," : "", tx(json_string_value(x)));
}

/* ---- list, show, history ------------------------------------------------ */

static int models_list(cli_ctx_t *ctx, reg_t *r, models_opts_t *o)
{
    ferr_t e = {0};
    json_t *all, *m, *v;
    size_t i, j;
    if (reg_list(r, o->npos ? o->pos[0] : NULL, &all, &e))
        return fail(&e);
    if (o->json) {
        print_json(all);
        json_decref(all);
        return 0;
    }
    if (json_array_size(all) == 0)
        cli_info(ctx, "registry %s: no models", reg_dir(r));
    else
        printf("%-24s %7s  %-20s  %-18s %-20s %s\n", "MODEL", "VERSION",
               "CREATED", "OBJECTIVE", "ALIASES", "METRICS");
    json_array_foreach(all, i, m) {
        json_array_foreach(json_object_get(m, "versions"), j, v) {
            buf_t al = {0}, met = {0};
            buf_puts(&al, "");
            buf_puts(&met, "");
            join_strings(json_object_get(v, "aliases"), &al);
            metrics_inline(json_object_get(v, "metrics"), &met);
            printf("%-24s %7lld  %-20s  %-18s %-20s %s\n",
                   jtx(m, "name"),
                   (long long)json_integer_value(json_object_get(v, "version")),
                   jtx(v, "created_at"),
                   jtx(v, "objective"), al.p,
                   met.p);
            buf_free(&al);
            buf_free(&met);
        }
    }
    json_decref(all);
    return 0;
}

static json_t *aliases_of(reg_t *r, const char *name, int version)
{
    json_t *all, *names = json_array(), *v;
    size_t i;
    if (reg_list(r, name, &all, NULL) != FERR_OK)
        return names;
    json_array_foreach(json_object_get(json_array_get(all, 0), "versions"), i,
                       v) {
        if (json_integer_value(json_object_get(v, "version")) == version)
            json_array_extend(names, json_object_get(v, "aliases"));
    }
    json_decref(all);
    return names;
}

static void show_text(const json_t *m, const json_t *aliases)
{
    const char *k;
    json_t *v, *f;
    size_t i;
    buf_t b = {0};

    buf_puts(&b, "");
    join_strings(aliases, &b);
    printf("%s v%lld%s%s%s\n", jtx(m, "name"),
           (long long)json_integer_value(json_object_get(m, "version")),
           b.n ? " (" : "", b.p, b.n ? ")" : "");
    printf("  created     %s by %s, ferry %s\n",
           jtx(m, "created_at"),
           jtx(m, "registered_by"),
           jtx(m, "ferry_version"));
    printf("  objective   %s\n",
           jtx(m, "objective"));
    printf("  model       %s, %lld bytes, sha256 %s\n",
           jtx(json_object_get(m, "model"), "format"),
           (long long)json_integer_value(
               json_object_get(json_object_get(m, "model"), "bytes")),
           jtx(json_object_get(m, "model"), "sha256"));
    if (json_object_get(m, "data_sha256"))
        printf("  data        sha256 %s\n", jtx(m, "data_sha256"));
    if (json_object_get(m, "spec_sha256"))
        printf("  spec        sha256 %s\n", jtx(m, "spec_sha256"));
    json_object_foreach(json_object_get(m, "params"), k, v) {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        printf("  param       %s = %s\n", tx(k), s);
        free(s);
    }
    {
        const char *split;
        json_object_foreach(json_object_get(m, "metrics"), split, f) {
            json_object_foreach(f, k, v)
                printf("  metric      %s %s = %.6f\n", tx(split), tx(k),
                       json_number_value(v));
        }
    }
    printf("  features    %zu\n", json_array_size(json_object_get(m, "features")));
    json_array_foreach(json_object_get(m, "features"), i, f) {
        json_t *gain = json_object_get(
            json_object_get(json_object_get(m, "importance"), "gain"),
            jstr(f, "name"));
        printf("    %-24s %-9s", jtx(f, "name"), jtx(f, "type"));
        if (json_object_get(f, "categories"))
            printf(" %zu categories",
                   json_array_size(json_object_get(f, "categories")));
        if (json_object_get(f, "min"))
            printf(" [%g, %g]", json_number_value(json_object_get(f, "min")),
                   json_number_value(json_object_get(f, "max")));
        if (gain)
            printf(" gain %.4g", json_number_value(gain));
        putchar('\n');
    }
    buf_free(&b);
}

/* The fields a record must carry (predictor_inputs_json), from the
 * version's compiled scoring plan.  The project, when there is one, only
 * places the frozen spec's relative paths (join sources). */
static json_t *model_inputs(cli_ctx_t *ctx, const char *name, int v)
{
    project_t *p = NULL;
    predictor_t *pr = NULL;
    ferr_t e = {0};
    char ref[32];
    json_t *o;

    project_load(ctx->project_file, ctx->sets, ctx->nsets, &p, &e);
    snprintf(ref, sizeof(ref), "%d", v);
    if (predictor_load(ctx->registry_dir, name, ref, p, NULL, 0, &pr,
                       &e) != FERR_OK)
        o = json_pack("{s:s, s:[]}", "error", ferr_msg(&e), "fields");
    else
        o = predictor_inputs_json(pr);
    predictor_unref(pr);
    project_free(p);
    return o;
}

static void show_inputs(const json_t *in)
{
    const json_t *fields = json_object_get(in, "fields"), *f, *h;
    size_t i;
    if (json_object_get(in, "error")) {
        printf("  inputs      none: records cannot be scored one at a time: "
               "%s\n", jtx(in, "error"));
        return;
    }
    printf("  inputs      %zu fields a record must carry (others are "
           "ignored)\n", json_array_size(fields));
    json_array_foreach(fields, i, f) {
        const json_t *vals = json_object_get(f, "values");
        printf("    %-24s %-9s", jtx(f, "name"), jtx(f, "type"));
        if (strcmp(jstr(f, "role"), "value") != 0)
            printf(" %s", jtx(f, "role"));
        if (json_object_get(f, "format"))
            printf(" format %s", jtx(f, "format"));
        if (!json_is_true(json_object_get(f, "nullable")))
            printf(" required");
        if (vals) {
            size_t k;
            const json_t *x;
            printf(" one of %zu:", json_array_size(vals));
            json_array_foreach(vals, k, x) {
                if (k == 8) {
                    printf(" ...");
                    break;
                }
                printf("%s %s", k ? "," : "", tx(json_string_value(x)));
            }
            printf(" (unknown: %s)", jtx(f, "unknown"));
        }
        putchar('\n');
    }
    if ((h = json_object_get(in, "history")) != NULL)
        printf("  history     window features read the events of each %s "
               "from the online store\n", jstr(h, "by") ? jtx(h, "by")
                                                       : "series");
}

static int models_show(cli_ctx_t *ctx, reg_t *r, models_opts_t *o)
{
    ferr_t e = {0};
    char *name;
    int v;
    json_t *m, *aliases, *inputs;
    if (split_ref(r, o->pos[0], "latest", &name, &v, &e))
        return fail(&e);
    if (reg_load_manifest(r, name, v, &m, &e)) {
        free(name);
        return fail(&e);
    }
    aliases = aliases_of(r, name, v);
    inputs = model_inputs(ctx, name, v);
    if (o->json) {
        json_object_set(m, "aliases", aliases);
        json_object_set(m, "inputs", inputs);
        print_json(m);
    } else {
        show_text(m, aliases);
        show_inputs(inputs);
    }
    json_decref(inputs);
    json_decref(aliases);
    json_decref(m);
    free(name);
    return 0;
}

static int models_history(cli_ctx_t *ctx, reg_t *r, models_opts_t *o)
{
    ferr_t e = {0};
    json_t *h, *x;
    size_t i;
    (void)ctx;
    if (reg_history(r, o->pos[0], &h, &e))
        return fail(&e);
    if (o->json) {
        print_json(h);
    } else {
        json_array_foreach(h, i, x) {
            json_t *from = json_object_get(x, "from"),
                   *to = json_object_get(x, "to");
            char fs[24] = "-", ts[24] = "-";
            if (json_is_integer(from))
                snprintf(fs, sizeof(fs), "v%lld",
                         (long long)json_integer_value(from));
            if (json_is_integer(to))
                snprintf(ts, sizeof(ts), "v%lld",
                         (long long)json_integer_value(to));
            printf("%s  %-8s %-12s %5s -> %-5s %s%s%s\n", jtx(x, "at"),
                   jtx(x, "action"), jtx(x, "alias"), fs, ts,
                   jtx(x, "user"), json_object_get(x, "reason") ? ": " : "",
                   json_object_get(x, "reason") ? jtx(x, "reason") : "");
        }
    }
    json_decref(h);
    return 0;
}

/* ---- promote, rollback -------------------------------------------------- */

static int models_promote(cli_ctx_t *ctx, reg_t *r, models_opts_t *o)
{
    ferr_t e = {0};
    const char *name = o->pos[0], *alias = o->alias ? o->alias : "champion";
    reg_gate_t gate = {o->metric, o->split ? o->split : "test", o->tolerance,
                       o->floor, !o->lower_is_better};
    int v, before = 0;
    if (reg_resolve(r, name, o->pos[1], &v, &e))
        return fail(&e);
    reg_resolve(r, name, alias, &before, NULL);
    if (reg_promote(r, name, v, alias, o->metric ? &gate : NULL, o->force,
                    o->reason, &e))
        return fail(&e);
    if (o->json) {
        json_t *j = json_pack("{s:s,s:s,s:i,s:o}", "name", name, "alias",
                              alias, "version", v, "previous",
                              before ? json_integer(before) : json_null());
        print_json(j);
        json_decref(j);
    } else if (before == v) {
        cli_info(ctx, "%s: %s is already v%d", name, alias, v);
    } else if (before) {
        cli_info(ctx, "%s: %s v%d -> v%d", name, alias, before, v);
    } else {
        cli_info(ctx, "%s: %s -> v%d", name, alias, v);
    }
    return 0;
}

static int models_rollback(cli_ctx_t *ctx, reg_t *r, models_opts_t *o)
{
    ferr_t e = {0};
    const char *name = o->pos[0], *alias = o->alias ? o->alias : "champion";
    int before = 0, after;
    reg_resolve(r, name, alias, &before, NULL);
    if (reg_rollback(r, name, alias, o->reason, &after, &e))
        return fail(&e);
    if (o->json) {
        json_t *j = json_pack("{s:s,s:s,s:i,s:i}", "name", name, "alias",
                              alias, "version", after, "previous", before);
        print_json(j);
        json_decref(j);
    } else {
        cli_info(ctx, "%s: %s rolled back v%d -> v%d", name, alias, before,
                 after);
    }
    return 0;
}

/* ---- diff ----------------------------------------------------------------- */


/* One line of a diff: "  <lead><path, padded to width><sep> a -> b", the
 * values as compact JSON. */
static void print_change(const char *lead, int width, const char *sep,
                         const json_t *x)
{
    char *sa = json_dumps(json_object_get(x, "a"), JSON_ENCODE_ANY | JSON_COMPACT);
    char *sb = json_dumps(json_object_get(x, "b"), JSON_ENCODE_ANY | JSON_COMPACT);
    printf("  %s%-*s%s %s -> %s\n", lead, width, jtx(x, "path"), sep, sa, sb);
    free(sa);
    free(sb);
}
static int models_diff(cli_ctx_t *ctx, reg_t *r, models_opts_t *o)
{
    ferr_t e = {0};
    const char *name = o->pos[0];
    int a, b;
    json_t *d, *x, *feats;
    size_t i;
    (void)ctx;
    if (reg_resolve(r, name, o->pos[1], &a, &e) ||
        reg_resolve(r, name, o->pos[2], &b, &e) ||
        reg_diff(r, name, a, b, &d, &e))
        return fail(&e);
    if (o->json) {
        print_json(d);
        json_decref(d);
        return 0;
    }
    printf("%s v%d -> v%d\n", name, a, b);
    json_array_foreach(json_object_get(d, "changes"), i, x)
        print_change("", 40, "", x);
    feats = json_object_get(d, "features");
    json_array_foreach(json_object_get(feats, "added"), i, x)
        printf("  feature added    %s\n", tx(json_string_value(x)));
    json_array_foreach(json_object_get(feats, "removed"), i, x)
        printf("  feature removed  %s\n", tx(json_string_value(x)));
    json_array_foreach(json_object_get(feats, "changed"), i, x)
        print_change("feature changed  ", 0, ":", x);
    json_decref(d);
    return 0;
}

/* ---- import, export, delete --------------------------------------------- */

typedef VEC(char *) strvec_t;

static void split_names(const char *text, const char *seps, strvec_t *out)
{
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, seps);
        str_t s = str_trim((str_t){p, len});
        if (s.n > 0 && s.p[0] != '#')
            VEC_PUSH(out, str_dup(s));
        p += len;
        if (*p)
            p++;
    }
}

/* --features is a file (one name per line, comma-separated, or a JSON array
 * of names) or an inline list "a,b,c". */
static int feature_list(const char *arg, strvec_t *out, ferr_t *e)
{
    struct stat st;
    char *text;
    size_t n;
    int rc;
    if (stat(arg, &st) != 0 || !S_ISREG(st.st_mode)) {
        split_names(arg, ",", out);
        return FERR_OK;
    }
    rc = file_read_all(arg, 64u << 20, &text, &n, e);
    if (rc)
        return rc;
    if (str_trim(str_from(text)).n > 0 && str_trim(str_from(text)).p[0] == '[') {
        json_error_t je;
        json_t *a = json_loadb(text, n, 0, &je), *x;
        size_t i;
        if (!json_is_array(a)) {
            json_decref(a);
            free(text);
            return ferr_set(e, FERR_PARSE, "%s:%d:%d: not a JSON array: %s",
                            arg, je.line, je.column, je.text);
        }
        json_array_foreach(a, i, x) {
            if (json_is_object(x))
                x = json_object_get(x, "name");
            if (!json_is_string(x)) {
                json_decref(a);
                free(text);
                return ferr_set(e, FERR_PARSE,
                                "%s: $[%zu]: expected a feature name", arg, i);
            }
            VEC_PUSH(out, xstrdup(json_string_value(x)));
        }
        json_decref(a);
    } else {
        split_names(text, ",\n\r", out);
    }
    free(text);
    return FERR_OK;
}

static int models_import(cli_ctx_t *ctx, reg_t *r, models_opts_t *o)
{
    ferr_t e = {0};
    strvec_t feats = {0};
    json_t *extra = NULL;
    char *model = NULL;
    size_t n;
    int v = 0, rc;

    rc = o->features ? feature_list(o->features, &feats, &e) : FERR_OK;
    if (rc == FERR_OK && o->metrics) {
        /* {"split": {"metric": value}}, as ferry's own manifests have it. */
        json_error_t je;
        json_t *m = json_load_file(o->metrics, JSON_REJECT_DUPLICATES, &je);
        if (m == NULL)
            rc = ferr_set(&e, FERR_PARSE, "%s:%d:%d: %s", o->metrics, je.line,
                          je.column, je.text);
        else
            extra = json_pack("{s:o}", "metrics", m);
    }
    if (rc == FERR_OK)
        rc = file_read_all(o->pos[1], REG_MODEL_MAX, &model, &n, &e);
    if (rc == FERR_OK)
        rc = reg_import_xgboost(r, o->pos[0], model, n,
                                (const char *const *)feats.a, feats.n,
                                o->objective, o->pos[1], extra, &v, &e);
    json_decref(extra);
    for (size_t i = 0; i < feats.n; i++)
        free(feats.a[i]);
    free(feats.a);
    free(model);
    if (rc)
        return fail(&e);
    if (o->json) {
        json_t *j = json_pack("{s:s,s:i}", "name", o->pos[0], "version", v);
        print_json(j);
        json_decref(j);
    } else {
        cli_info(ctx, "imported %s as %s v%d", o->pos[1], o->pos[0], v);
    }
    return 0;
}

static int models_export(cli_ctx_t *ctx, reg_t *r, models_opts_t *o)
{
    ferr_t e = {0};
    char *name;
    int v;
    if (split_ref(r, o->pos[0], "latest", &name, &v, &e))
        return fail(&e);
    if (reg_export(r, name, v, o->pos[1], &e)) {
        free(name);
        return fail(&e);
    }
    if (o->json) {
        json_t *j = json_pack("{s:s,s:i,s:s}", "name", name, "version", v,
                              "dir", o->pos[1]);
        print_json(j);
        json_decref(j);
    } else {
        cli_info(ctx, "exported %s v%d to %s", name, v, o->pos[1]);
    }
    free(name);
    return 0;
}

static int models_delete(cli_ctx_t *ctx, reg_t *r, models_opts_t *o)
{
    ferr_t e = {0};
    int v;
    if (reg_resolve(r, o->pos[0], o->pos[1], &v, &e) ||
        reg_delete(r, o->pos[0], v, o->force, &e))
        return fail(&e);
    if (o->json) {
        json_t *j = json_pack("{s:s,s:i,s:b}", "name", o->pos[0], "deleted", v,
                              "forced", o->force);
        print_json(j);
        json_decref(j);
    } else {
        cli_info(ctx, "deleted %s v%d", o->pos[0], v);
    }
    return 0;
}

static int models_verify(cli_ctx_t *ctx, reg_t *r, models_opts_t *o)
{
    ferr_t e = {0};
    json_t *rep;
    if (reg_verify(r, o->pos[0], &rep, &e))
        return fail(&e);
    if (o->json)
        print_json(rep);
    else
        cli_info(ctx,
                 "%s: ok: %lld versions (last issued v%lld), %zu aliases, "
                 "%lld history entries",
                 o->pos[0],
                 (long long)json_integer_value(json_object_get(rep, "versions")),
                 (long long)json_integer_value(
                     json_object_get(rep, "last_version")),
                 json_object_size(json_object_get(rep, "aliases")),
                 (long long)json_integer_value(json_object_get(rep, "history")));
    json_decref(rep);
    return 0;
}

/* Each row of cli_models_subs (commands.c: usage, options, positional
 * arguments) bound to its handler, in the same order. */
static const struct {
    const char *name;
    models_fn run;
} models_impl[] = {
    {"list", models_list},
    {"show", models_show},
    {"history", models_history},
    {"promote", models_promote},
    {"rollback", models_rollback},
    {"diff", models_diff},
    {"import", models_import},
    {"export", models_export},
    {"delete", models_delete},
    {"verify", models_verify},
};

static void models_usage(FILE *fp)
{
    const cli_command_t *self = cli_find_command(cli_commands, "models");
    fprintf(fp, "usage: ferry [--registry DIR] models SUBCOMMAND ...\n\n");
    cli_print_subcommands(fp, self);
}

int cmd_models(cli_ctx_t *ctx, int argc, char **argv)
{
    const cli_command_t *self = cli_find_command(cli_commands, "models");
    const cli_command_t *s = NULL;
    models_fn run = NULL;
    models_opts_t o = {.floor = NAN, .tolerance = 0};
    char label[64];
    ferr_t e = {0};
    reg_t *r;
    int rc;

    if (argc < 2 || strcmp(argv[1], "help") == 0 ||
        strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        models_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    s = cli_find_command(self->subs, argv[1]);
    for (size_t i = 0; s && i < sizeof(models_impl) / sizeof(*models_impl); i++)
        if (strcmp(models_impl[i].name, s->name) == 0)
            run = models_impl[i].run;
    if (run == NULL) {
        cli_error("models: unknown subcommand '%s' (see ferry models help)",
                  argv[1]);
        return 2;
    }
    snprintf(label, sizeof(label), "models %s", s->name);
    rc = cli_parse_opts(label, self, s, argc - 2, argv + 2, &o, o.pos,
                        &o.npos);
    if (rc)
        return rc;
    o.json = o.json || ctx->json;
    if (reg_open(ctx->registry_dir, &r, &e))
        return fail(&e);
    rc = run(ctx, r, &o);
    reg_close(r);
    return rc;
}

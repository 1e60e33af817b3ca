/*
 * test_commands.c - the command table (cli/commands.c): each row's usage
 * names exactly its option rows, names are unique, and the generated
 * texts and the shared option parser behave as cmd_models.c's did.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* Does usage contain the option `name` as a whole word ("--force" is not
 * in "--forced")? */
static int usage_has(const char *usage, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = usage; (p = strstr(p, name)) != NULL; p += n) {
        char after = p[n];
        if ((p == usage || strchr(" [|", p[-1])) &&
            (after == '\0' || strchr(" ]|=", after)))
            return 1;
    }
    return 0;
}

static void check_row(const cli_command_t *parent, const cli_command_t *c)
{
    buf_t u = {0};
    char msg[512];
    buf_puts(&u, "");
    cli_usage_text(parent, c, &u);
    assert_non_null(c->summary);
    assert_true(c->min_pos <= c->max_pos);
    /* every option row is in the usage ... */
    for (const cli_option_t *o = c->opts; o && o->name; o++) {
        snprintf(msg, sizeof(msg), "%s: option %s not in usage '%s'",
                 c->name, o->name, u.p);
        /* --json is the global flag, also accepted after a models
         * subcommand; usages leave it out */
        if (strcmp(o->name, "--json") != 0 && !usage_has(u.p, o->name))
            fail_msg("%s", msg);
        assert_non_null(o->help);
        for (const cli_option_t *q = c->opts; q != o; q++)
            assert_string_not_equal(q->name, o->name);
    }
    /* ... and every --option of the usage is a row */
    if (c->usage)
        for (const char *p = strstr(c->usage, "--"); p; p = strstr(p + 2, "--")) {
            size_t n = strspn(p, "-abcdefghijklmnopqrstuvwxyz");
            int found = 0;
            for (const cli_option_t *o = c->opts; o && o->name; o++)
                found |= strlen(o->name) == n && strncmp(o->name, p, n) == 0;
            if (!found)
                fail_msg("%s: usage names %.*s, which has no option row",
                         c->name, (int)n, p);
        }
    /* a subcommand is dispatched by its parent's handler or its own */
    assert_true(parent || c->run);
    buf_free(&u);
}

static void test_rows_agree_with_usage(void **state)
{
    (void)state;
    for (const cli_command_t *c = cli_commands; c->name; c++) {
        check_row(NULL, c);
        for (const cli_command_t *q = cli_commands; q != c; q++)
            assert_string_not_equal(q->name, c->name);
        for (const cli_command_t *s = c->subs; s && s->name; s++) {
            check_row(c, s);
            for (const cli_command_t *q = c->subs; q != s; q++)
                assert_string_not_equal(q->name, s->name);
        }
    }
}

static void test_generated_usage(void **state)
{
    buf_t u = {0};
    const cli_command_t *f = cli_find_command(cli_commands, "features");
    (void)state;
    assert_non_null(f);
    assert_null(cli_find_command(cli_commands, "nope"));
    buf_puts(&u, "");
    cli_usage_text(NULL, f, &u);
    assert_string_equal(u.p, "features build|show|push|sql ...");
    buf_reset(&u);
    buf_puts(&u, "");
    cli_usage_text(f, cli_find_command(f->subs, "show"), &u);
    assert_string_equal(u.p, "features show ENTITY_ID [--at TIME]");
    buf_free(&u);
}

static void test_parse_opts(void **state)
{
    const cli_command_t *m = cli_find_command(cli_commands, "models");
    const cli_command_t *pr = cli_find_command(m->subs, "promote");
    char *ok[] = {"credit", "3", "--alias=canary", "--tolerance", "0.01",
                  "--lower-is-better", "--json"};
    char *unknown[] = {"credit", "3", "--bogus"};
    char *extra[] = {"credit", "3", "4"};
    char *novalue[] = {"credit", "3", "--reason"};
    char *badnum[] = {"credit", "3", "--floor", "x"};
    models_opts_t o = {.floor = NAN};
    (void)state;
    assert_int_equal(cli_parse_opts("models promote", m, pr, 7, ok, &o,
                                    o.pos, &o.npos), 0);
    assert_int_equal(o.npos, 2);
    assert_string_equal(o.pos[0], "credit");
    assert_string_equal(o.alias, "canary");
    assert_true(o.tolerance == 0.01 && o.lower_is_better && o.json);
    assert_true(isnan(o.floor) && !o.force && o.reason == NULL);
#define PARSE_FAILS(argv)                                                  \
    do {                                                                   \
        models_opts_t x = {0};                                             \
        assert_int_equal(cli_parse_opts("models promote", m, pr,           \
                                        sizeof(argv) / sizeof(*argv),      \
                                        argv, &x, x.pos, &x.npos), 2);     \
    } while (0)
    PARSE_FAILS(unknown);
    PARSE_FAILS(extra);
    PARSE_FAILS(novalue);
    PARSE_FAILS(badnum);
    {
        models_opts_t x = {0};
        char *one[] = {"credit"};
        assert_int_equal(cli_parse_opts("models promote", m, pr, 1, one, &x,
                                        x.pos, &x.npos), 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_agree_with_usage),
        cmocka_unit_test(test_generated_usage),
        cmocka_unit_test(test_parse_opts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

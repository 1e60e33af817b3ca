/*
 * test_project.c - ferry.yaml: keys, types, line numbers, --set overrides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/afile.h"
#include "project/project.h"

static char g_dir[64];

static const char *write_project(const char *yaml)
{
    static char path[128];
    ferr_t e = {0};
    snprintf(path, sizeof(path), "%s/ferry.yaml", g_dir);
    assert_int_equal(afile_write_all(path, yaml, strlen(yaml), &e), FERR_OK);
    return path;
}

static const char *GOOD =
    "name: credit\n"
    "sources:\n"
    "  loans:\n"
    "    path: data/loans.csv\n"
    "    entity: id\n"
    "    timestamp: loan_date\n"
    "    nulls: ['', NA]\n"
    "    columns:\n"
    "      id: int\n"
    "      loan_date: {type: date}\n"
    "      amount: {type: float, decimal: ',', thousands: '.'}\n"
    "      month: {type: date, format: '%b-%Y', rename: mes}\n"
    "features:\n"
    "  - name: nb_previous_loans\n"
    "    window: count\n"
    "  - name: big\n"
    "    expr: amount > 1000\n"
    "  - onehot: mes\n"
    "label: big\n"
    "output: {dir: build-out}\n";

static void test_good(void **state)
{
    project_t *p;
    ferr_t e = {0};
    (void)state;
    int rc = project_load(write_project(GOOD), NULL, 0, &p, &e);
    assert_int_equal(rc, FERR_OK);
    assert_string_equal(p->name, "credit");
    assert_int_equal(p->nsources, 1);
    assert_int_equal(p->sources[0].ncols, 4);
    assert_int_equal(p->sources[0].cols[2].decimal, ',');
    assert_int_equal(p->sources[0].cols[2].thousands, '.');
    assert_int_equal(p->sources[0].cols[3].type, FT_DATE);
    assert_string_equal(p->sources[0].cols[3].rename, "mes");
    assert_int_equal(p->sources[0].nnulls, 2);
    assert_string_equal(p->sources[0].nulls[1], "NA");
    assert_non_null(strstr(p->sources[0].path, "/data/loans.csv"));
    assert_int_equal(p->nfeatures, 3);
    assert_int_equal(p->features[0].kind, FEAT_WINDOW);
    assert_string_equal(p->features[0].by, "id");          /* from entity */
    assert_string_equal(p->features[0].order, "loan_date"); /* from timestamp */
    assert_string_equal(p->features[0].over, "all");
    assert_int_equal(p->features[2].kind, FEAT_ONEHOT);
    assert_string_equal(p->features[2].name, "mes");
    assert_string_equal(p->label, "big");
    assert_non_null(strstr(p->output_dir, "/build-out"));
    project_free(p);
}

/* Each bad file must fail with the line and a useful phrase. */
static void expect_error(const char *yaml, const char *const *sets, size_t nsets,
                         const char *needle)
{
    project_t *p = NULL;
    ferr_t e = {0};
    int rc = project_load(write_project(yaml), sets, nsets, &p, &e);
    if (rc == FERR_OK || strstr(ferr_msg(&e), needle) == NULL) {
        fprintf(stderr, "expected error containing '%s', got rc=%d '%s'\n",
                needle, rc, ferr_msg(&e));
        fail();
    }
    assert_null(p);
}

static void test_errors(void **state)
{
    char buf[2048];
    (void)state;
    /* a typo'd key: line number and suggestion */
    snprintf(buf, sizeof(buf), "%s", GOOD);
    char *at = strstr(buf, "    expr: amount");
    memcpy(at, "    exrp:", 9);
    expect_error(buf, NULL, 0, "ferry.yaml:17: features[1]: unknown key 'exrp' "
                               "(did you mean 'expr'?)");
    /* wrong type of a value */
    expect_error("sources:\n  a:\n    path: x.csv\n    max_rejects: lots\n"
                 "    columns: {x: int}\n",
                 NULL, 0, "ferry.yaml:4: sources.a: key 'max_rejects': expected "
                          "an integer, found 'lots'");
    /* unknown column type */
    expect_error("sources:\n  a:\n    path: x.csv\n    columns:\n      x: integr\n",
                 NULL, 0, "ferry.yaml:5: sources.a.columns.x: column 'x': "
                          "unknown type 'integr' (did you mean 'int'");
    /* YAML syntax */
    expect_error("sources: [a\n", NULL, 0, "YAML syntax error");
    /* no sources */
    expect_error("name: x\n", NULL, 0, "at least one source is required");
    /* feature with two kinds */
    expect_error("sources:\n  a: {path: x.csv, columns: {x: int}}\nfeatures:\n"
                 "  - {name: f, expr: x, onehot: x}\n",
                 NULL, 0, "ferry.yaml:4: features[0]: needs exactly one of");
    /* duplicate key */
    expect_error("sources:\n  a: {path: x.csv, columns: {x: int}}\nlabel: a\n"
                 "label: b\n", NULL, 0, "ferry.yaml:4: duplicate key 'label'");
    /* --set to an unknown key is caught like a typo in the file */
    const char *sets[] = {"output.dri=elsewhere"};
    expect_error(GOOD, sets, 1, "output: unknown key 'dri' (did you mean 'dir'?)");
}

static void test_set_overrides(void **state)
{
    project_t *p;
    ferr_t e = {0};
    const char *sets[] = {"sources.loans.path=/tmp/other.csv", "output.dir=/tmp/o2",
                          "features[1].expr=amount > 5", "sources.loans.nulls=[x, y, z]",
                          "online.enabled=true"};
    (void)state;
    assert_int_equal(project_load(write_project(GOOD), sets, 5, &p, &e), FERR_OK);
    assert_string_equal(p->sources[0].path, "/tmp/other.csv");
    assert_string_equal(p->output_dir, "/tmp/o2");
    assert_string_equal(p->features[1].expr, "amount > 5");
    assert_int_equal(p->sources[0].nnulls, 3);
    assert_true(p->online);
    project_free(p);
    const char *bad[] = {"features[9].expr=x"};
    expect_error(GOOD, bad, 1, "no item [9]");
}

static const char *MINI = "sources:\n  a: {path: x.csv, columns: {x: int}}\n";

/* MINI plus `extra`, loaded with the overrides. */
static void expect_mini_error(const char *extra, const char *const *sets,
                              size_t nsets, const char *needle)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s%s", MINI, extra);
    expect_error(buf, sets, nsets, needle);
}

/* CPU seconds of this process (not wall time: a loaded CI machine must not
 * fail a complexity bound), and the bound a check gets: the sanitizer build
 * runs about 10x slower, and the quadratic or exponential behaviour these
 * bounds catch took minutes either way. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double budget_s(double s)
{
    const char *san = getenv("FERRY_SANITIZE");
    return san && strcmp(san, "1") == 0 ? 10 * s : s;
}

/* Issue 10 items 2 and 3: aliases are copies under a budget, nesting is
 * checked while the events arrive; both fail fast, naming the line. */
static void test_yaml_limits(void **state)
{
    buf_t b = {0};
    double t0;
    project_t *p;
    ferr_t e = {0};
    (void)state;

    /* ordinary anchors and aliases still work */
    assert_int_equal(project_load(write_project(
        "sources:\n  a:\n    path: x.csv\n    columns:\n"
        "      x: &t {type: date, format: '%d/%m/%Y'}\n      y: *t\n"
        "features:\n  - &f {name: f1, expr: x}\n"
        "label: f1\n"), NULL, 0, &p, &e), FERR_OK);
    assert_int_equal(p->sources[0].ncols, 2);
    assert_int_equal(p->sources[0].cols[1].type, FT_DATE);
    assert_string_equal(p->sources[0].cols[1].format, "%d/%m/%Y");
    project_free(p);

    /* a billion laughs: 10 levels of 9 aliases, 386 bytes */
    buf_puts(&b, "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (char c = 'b'; c <= 'j'; c++) {
        buf_printf(&b, "%c: &%c [", c, c);
        for (int i = 0; i < 9; i++)
            buf_printf(&b, "%s*%c", i ? ", " : "", c - 1);
        buf_puts(&b, "]\n");
    }
    t0 = now_s();
    expect_error(b.p, NULL, 0, "ferry.yaml:5: aliases expand to more than "
                 "10000 nodes");
    assert_true(now_s() - t0 < budget_s(1.0));
    buf_free(&b);

    /* 100,000 nested flow lists or maps: refused at the 65th level, in
     * well under a second (libyaml alone took 79 s over the lists) */
    for (int kind = 0; kind < 2; kind++) {
        buf_puts(&b, "sources: ");
        for (int i = 0; i < 100000; i++)
            buf_puts(&b, kind ? "{a: " : "[");
        buf_putc(&b, '\n');
        t0 = now_s();
        expect_error(b.p, NULL, 0, "ferry.yaml:1: nesting deeper than 64");
        assert_true(now_s() - t0 < budget_s(1.0));
        buf_free(&b);
    }
    /* the same through an alias that copies a deep anchor deeper */
    for (int i = 0; i < 40; i++)
        buf_puts(&b, "[");
    buf_puts(&b, "&d [[[x]]]"); /* 3 deep: at depth 62 it reaches 65 */
    for (int i = 0; i < 40; i++)
        buf_puts(&b, ", [[[[[[[[[[[[[[[[[[[[[[*d]]]]]]]]]]]]]]]]]]]]]]");
    for (int i = 0; i < 40; i++)
        buf_puts(&b, "]");
    buf_putc(&b, '\n');
    expect_error(b.p, NULL, 0, "nesting deeper than 64");
    buf_free(&b);

    /* aliases that name nothing, or what contains them */
    expect_mini_error("label: *nope\n", NULL, 0,
                      "ferry.yaml:3: alias '*nope' names no anchor");
    expect_mini_error("x: &r [a, *r]\n", NULL, 0,
                      "ferry.yaml:3: alias '*r' refers to a map key or to a "
                      "collection that contains it");
    /* NUL in a value or a key */
    expect_mini_error("label: \"a\\0b\"\n", NULL, 0,
                      "ferry.yaml:3: value contains a NUL character");
    expect_mini_error("\"a\\0b\": 1\n", NULL, 0,
                      "ferry.yaml:3: map key contains a NUL character");
    /* the limits hold for --set values too */
    const char *laughs[] = {"label=[&a [x, x, x, x, x, x, x, x, x, x], "
                            "&b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a], "
                            "&c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b], "
                            "&d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c], "
                            "[*d, *d]]"};
    expect_mini_error("", laughs, 1, "--set:1: aliases expand to more than");

    /* a --set path of 60,000 keys recursed until the stack overflowed */
    buf_puts(&b, "a");
    for (int i = 0; i < 60000; i++)
        buf_puts(&b, ".a");
    buf_puts(&b, "=1");
    const char *deep_set[] = {b.p};
    expect_mini_error("", deep_set, 1, "more than 64 keys deep");
    buf_free(&b);
    for (int i = 0; i < 300; i++)
        buf_putc(&b, 'k');
    buf_puts(&b, "=1");
    const char *long_key[] = {b.p};
    expect_mini_error("", long_key, 1, "a key longer than 255 bytes");
    buf_free(&b);

    /* a map of 200,000 keys: duplicates found by hashing, not a scan per
     * key (which took a minute for 100,000); 20,000 anchors likewise */
    buf_printf(&b, "%slabel:\n", MINI);
    for (int i = 0; i < 200000; i++)
        buf_printf(&b, "  k%d: &a%d 1\n", i, i);
    buf_puts(&b, "  k123456: 2\n");
    t0 = now_s();
    expect_error(b.p, NULL, 0, "ferry.yaml:200004: duplicate key 'k123456'");
    assert_true(now_s() - t0 < budget_s(5.0));
    buf_free(&b);

    /* a million nodes at most, wherever they come from */
    buf_printf(&b, "%slabel: [", MINI);
    for (int i = 0; i < 1000001; i++)
        buf_puts(&b, "1, ");
    buf_puts(&b, "]\n");
    t0 = now_s();
    expect_error(b.p, NULL, 0, "ferry.yaml:3: more than 1000000 YAML nodes");
    assert_true(now_s() - t0 < budget_s(5.0));
    buf_free(&b);
}

/* Issue 10 item 6: every integer and number key has a type and a range in
 * the key table; out-of-range values are refused with their line, from the
 * file and from --set alike. */
static void test_number_ranges(void **state)
{
    static const struct {
        const char *yaml, *needle;
    } bad[] = {
        {"model: {num_rounds: -1}\n",
         "ferry.yaml:3: model: key 'num_rounds': -1 is out of range (an "
         "integer, 1 to 1000000)"},
        {"model:\n  num_rounds: 4294967297\n",
         "ferry.yaml:4: model: key 'num_rounds': 4294967297 is out of range"},
        {"model: {num_rounds: 1.5}\n",
         "ferry.yaml:3: model: key 'num_rounds': expected an integer, found '1.5'"},
        {"model: {threads: 100000}\n",
         "model: key 'threads': 100000 is out of range (an integer, 0 to 1024)"},
        {"model: {C: 0}\n", "model: key 'C': 0 is out of range (a number"},
        {"model: {alpha: -1}\n", "key 'alpha': -1 is out of range"},
        {"model: {seed: -3}\n", "key 'seed': -3 is out of range"},
        {"model: {max_iter: 0}\n", "key 'max_iter': 0 is out of range"},
        {"model: {k_best: -2}\n", "key 'k_best': -2 is out of range"},
        {"model: {early_stopping_rounds: -5}\n",
         "key 'early_stopping_rounds': -5 is out of range"},
        {"search: {folds: -1}\n",
         "ferry.yaml:3: search: key 'folds': -1 is out of range (an integer, "
         "2 to 100)"},
        {"search: {folds: 1}\n", "key 'folds': 1 is out of range"},
        {"search: {n_iter: 0}\n", "key 'n_iter': 0 is out of range"},
        {"search: {threads: 5000}\n", "key 'threads': 5000 is out of range"},
        {"split: {test_fraction: 1.5}\n", "key 'test_fraction': 1.5 is out of range"},
        {"split: {valid_fraction: -0.1}\n", "key 'valid_fraction': -0.1 is out"},
        {"split: {valid_fraction: 0.5, test_fraction: 0.5}\n",
         "ferry.yaml:3: split: valid_fraction 0.5 + test_fraction 0.5 leave no "
         "rows to train on"},
        {"gate: {tolerance: -1}\n", "gate: key 'tolerance': -1 is out of range"},
        {"features:\n  - {name: w, window: lag, of: x, order: x, lag: 0}\n",
         "ferry.yaml:4: features[0]: key 'lag': 0 is out of range (an "
         "integer, 1 to 1000000)"},
        {"features:\n  - {onehot: x, min_count: 0}\n",
         "features[0]: key 'min_count': 0 is out of range"},
        {"features:\n  - {onehot: x, max_categories: -1}\n",
         "features[0]: key 'max_categories': -1 is out of range"},
    };
    project_t *p;
    ferr_t e = {0};
    char buf[512];
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_mini_error(bad[i].yaml, NULL, 0, bad[i].needle);
    /* sources: their own section */
    expect_error("sources:\n  a: {path: x.csv, columns: {x: int},\n"
                 "      threads: 2000}\n", NULL, 0,
                 "ferry.yaml:3: sources.a: key 'threads': 2000 is out of range");
    expect_error("sources:\n  a: {path: x.csv, columns: {x: int}, "
                 "max_reject_fraction: 2}\n", NULL, 0,
                 "key 'max_reject_fraction': 2 is out of range (a number, 0 to 1)");
    expect_error("sources:\n  a: {path: x.csv, columns: {x: int}, "
                 "max_line_bytes: 8}\n", NULL, 0,
                 "key 'max_line_bytes': 8 is out of range");
    /* --set goes through the same check and says where the value came from */
    const char *sets[] = {"model.num_rounds=-1"};
    expect_mini_error("", sets, 1, "--set: model: key 'num_rounds': -1 is out "
                      "of range");
    const char *sets2[] = {"model.threads=100000"};
    expect_mini_error("model: {threads: 4}\n", sets2, 1,
                      "--set: model: key 'threads': 100000 is out of range");
    /* the edges are accepted */
    snprintf(buf, sizeof(buf), "%smodel: {num_rounds: 1000000, threads: 1024, "
             "C: 1e-9, seed: 4294967295}\nsearch: {folds: 2}\n"
             "split: {valid_fraction: 0.2, test_fraction: 0.7}\n", MINI);
    assert_int_equal(project_load(write_project(buf), NULL, 0, &p, &e), FERR_OK);
    project_free(p);
    /* the table itself: numeric keys have a range, others none */
    for (const proj_key_t *k = proj_keys; k->section; k++) {
        bool numeric = strcmp(k->type, "integer") == 0 ||
                       strcmp(k->type, "number") == 0;
        if (numeric)
            assert_true(k->min < k->max);
        else
            assert_true(k->min == 0 && k->max == 0);
    }
}

/* Issue 10 item 12: feature names are identifiers the expression language
 * can name unquoted and SQL export can write whole. */
static void test_feature_names(void **state)
{
    static const struct {
        const char *name, *needle;
    } bad[] = {
        {"\"\"", "ferry.yaml:4: features[0]: name '' is empty"},
        {"\"a\\0b\"", "ferry.yaml:4: value contains a NUL character"},
        {"\"a b\"", "name 'a b' has a character other than letters, digits and '_'"},
        {"\"a\\nb\"", "has a character other than letters"},
        {"\"x;drop\"", "has a character other than letters"},
        {"\"a\\\"b\"", "has a character other than letters"},
        {"9lives", "name '9lives' starts with a digit"},
        {"and", "name 'and' is a keyword of the expression language"},
        {"NULL_", NULL},
        {"a123456789012345678901234567890123456789012345678901234567890123",
         "is longer than 63 bytes"},
    };
    char buf[512];
    project_t *p;
    ferr_t e = {0};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(buf, sizeof(buf), "%sfeatures:\n  - name: %s\n    expr: x\n",
                 MINI, bad[i].name);
        if (bad[i].needle) {
            expect_error(buf, NULL, 0, bad[i].needle);
        } else {
            assert_int_equal(project_load(write_project(buf), NULL, 0, &p, &e),
                             FERR_OK);
            project_free(p);
        }
    }
    /* letters beyond ASCII, digits after the first, '_'; a feature may
     * replace a source column of any name */
    snprintf(buf, sizeof(buf), "sources:\n  a: {path: x.csv, columns: "
             "{x: int, Fecha-I: date}}\nfeatures:\n  - {name: año_2, expr: x}\n"
             "  - {name: _x, expr: x}\n  - {name: Fecha-I, expr: x}\n");
    assert_int_equal(project_load(write_project(buf), NULL, 0, &p, &e), FERR_OK);
    assert_string_equal(p->features[0].name, "año_2");
    project_free(p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/ferry_proj_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char path[128];
    (void)state;
    snprintf(path, sizeof(path), "%s/ferry.yaml", g_dir);
    unlink(path);
    rmdir(g_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_yaml_limits),
        cmocka_unit_test(test_number_ranges),
        cmocka_unit_test(test_feature_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_registry.c - the registry API: versions, aliases, gate, rollback,
 * deletion, corrupt files, concurrent writers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/afile.h"
#include "registry/registry.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/ferry_reg_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[512];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static reg_t *open_reg(void)
{
    reg_t *r;
    ferr_t e = {0};
    assert_int_equal(reg_open(g_dir, &r, &e), FERR_OK);
    return r;
}

static json_t *manifest_with_auc(double auc)
{
    return json_pack("{s:s,s:{s:i},s:{s:{s:f}},s:[{s:s,s:s}]}", "objective",
                     "binary:logistic", "params", "max_depth", 6, "metrics",
                     "test", "roc_auc", auc, "features", "name", "x", "type",
                     "float");
}

static int reg_auc(reg_t *r, const char *name, double auc)
{
    json_t *m = manifest_with_auc(auc);
    ferr_t e = {0};
    int v = 0;
    int rc = reg_register(r, name, "{\"m\":1}", 7, m, &v, &e);
    if (rc)
        fprintf(stderr, "register: %s\n", ferr_msg(&e));
    assert_int_equal(rc, FERR_OK);
    json_decref(m);
    return v;
}

static char *slurp(const char *rel)
{
    char path[512], *p;
    size_t n;
    snprintf(path, sizeof(path), "%s/%s", g_dir, rel);
    if (file_read_all(path, 0, &p, &n, NULL) != FERR_OK)
        return strdup("<missing>");
    return p;
}

static void test_register_and_load(void **state)
{
    reg_t *r = open_reg();
    json_t *in = manifest_with_auc(0.7), *m;
    ferr_t e = {0};
    char *path, *bytes;
    size_t n;
    int v;
    (void)state;

    assert_int_equal(reg_register(r, "credit", "abc", 3, in, &v, &e), FERR_OK);
    assert_int_equal(v, 1);
    assert_int_equal(reg_load_manifest(r, "credit", 1, &m, &e), FERR_OK);
    assert_string_equal(json_string_value(json_object_get(m, "name")), "credit");
    assert_int_equal(json_integer_value(json_object_get(m, "version")), 1);
    assert_non_null(json_string_value(json_object_get(m, "created_at")));
    /* SHA-256("abc") from FIPS 180-2. */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(m, "model"), "sha256")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(json_string_value(json_object_get(m, "ferry_version")),
                        FERRY_VERSION);
    /* The caller's manifest is not modified. */
    assert_null(json_object_get(in, "version"));
    path = reg_model_path(r, "credit", 1, m);
    assert_non_null(path);
    assert_int_equal(file_read_all(path, 0, &bytes, &n, &e), FERR_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(bytes, "abc", 3);
    free(bytes);
    free(path);
    json_decref(m);
    json_decref(in);
    reg_close(r);
}

static void test_versions_never_reused(void **state)
{
    reg_t *r = open_reg();
    ferr_t e = {0};
    int v;
    (void)state;
    assert_int_equal(reg_auc(r, "m", 0.5), 1);
    assert_int_equal(reg_auc(r, "m", 0.5), 2);
    assert_int_equal(reg_auc(r, "m", 0.5), 3);
    assert_int_equal(reg_delete(r, "m", 3, false, &e), FERR_OK);
    assert_int_equal(reg_resolve(r, "m", "3", &v, &e), FERR_NOTFOUND);
    assert_int_equal(reg_auc(r, "m", 0.5), 4);
    assert_int_equal(reg_resolve(r, "m", "latest", &v, &e), FERR_OK);
    assert_int_equal(v, 4);
    assert_int_equal(reg_resolve(r, "m", "v2", &v, &e), FERR_OK);
    assert_int_equal(v, 2);
    assert_int_equal(reg_resolve(r, "m", "champion", &v, &e), FERR_NOTFOUND);
    assert_int_equal(reg_resolve(r, "nope", "1", &v, &e), FERR_NOTFOUND);
    assert_int_equal(reg_resolve(r, "../etc", "1", &v, &e), FERR_USAGE);
    reg_close(r);
}

static void test_gate_refusal_leaves_everything(void **state)
{
    reg_t *r = open_reg();
    ferr_t e = {0};
    reg_gate_t gate = {"roc_auc", "test", 0.01, NAN, true};
    char *al0, *hi0, *al1, *hi1;
    json_t *h;
    int v;
    (void)state;

    reg_auc(r, "m", 0.7315);
    reg_auc(r, "m", 0.7012);
    reg_auc(r, "m", 0.7250);
    assert_int_equal(reg_promote(r, "m", 1, "champion", &gate, false, "first",
                                 &e),
                     FERR_OK);
    al0 = slurp("m/aliases.json");
    hi0 = slurp("m/history.jsonl");
    assert_int_equal(reg_promote(r, "m", 2, "champion", &gate, false, NULL, &e),
                     FERR_REFUSED);
    assert_string_equal(e.msg, "refused: roc_auc on test 0.7012 < champion v1 "
                               "0.7315 - tolerance 0.01");
    al1 = slurp("m/aliases.json");
    hi1 = slurp("m/history.jsonl");
    assert_string_equal(al0, al1);
    assert_string_equal(hi0, hi1);
    assert_int_equal(reg_resolve(r, "m", "champion", &v, &e), FERR_OK);
    assert_int_equal(v, 1);
    free(al1);
    free(hi1);

    /* Within tolerance passes; a floor refuses on its own. */
    gate.floor = 0.73;
    assert_int_equal(reg_promote(r, "m", 3, "champion", &gate, false, NULL, &e),
                     FERR_REFUSED);
    assert_string_equal(e.msg, "refused: roc_auc on test 0.7250 < floor 0.73");
    gate.floor = NAN;
    assert_int_equal(reg_promote(r, "m", 3, "champion", &gate, false, NULL, &e),
                     FERR_OK);
    /* Lower-is-better reads the other way. */
    gate.higher_is_better = false;
    gate.tolerance = 0.005;
    assert_int_equal(reg_promote(r, "m", 1, "champion", &gate, false, NULL, &e),
                     FERR_REFUSED);
    assert_non_null(strstr(e.msg, "0.7315 > champion v3 0.7250 + tolerance"));
    /* force overrides and the history says so. */
    gate.higher_is_better = true;
    gate.tolerance = 0.01;
    assert_int_equal(reg_promote(r, "m", 2, "champion", &gate, true, "hotfix",
                                 &e),
                     FERR_OK);
    assert_int_equal(reg_history(r, "m", &h, &e), FERR_OK);
    assert_int_equal(json_array_size(h), 3);
    assert_non_null(strstr(
        json_string_value(json_object_get(json_array_get(h, 2), "gate_overridden")),
        "0.7012 < champion v3"));
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(h, 2), "reason")),
        "hotfix");
    json_decref(h);
    free(al0);
    free(hi0);
    reg_close(r);
}

static long hist_int(json_t *h, size_t i, const char *k)
{
    return (long)json_integer_value(json_object_get(json_array_get(h, i), k));
}

static void test_rollback_restores_and_logs(void **state)
{
    reg_t *r = open_reg();
    ferr_t e = {0};
    json_t *h;
    int v;
    (void)state;

    reg_auc(r, "m", 0.5);
    reg_auc(r, "m", 0.6);
    reg_auc(r, "m", 0.7);
    assert_int_equal(reg_rollback(r, "m", "champion", NULL, &v, &e),
                     FERR_NOTFOUND);
    assert_int_equal(reg_promote(r, "m", 1, "champion", NULL, false, NULL, &e), 0);
    assert_int_equal(reg_promote(r, "m", 2, "champion", NULL, false, NULL, &e), 0);
    assert_int_equal(reg_promote(r, "m", 3, "champion", NULL, false, NULL, &e), 0);
    assert_int_equal(reg_promote(r, "m", 3, "challenger", NULL, false, NULL, &e), 0);
    assert_int_equal(reg_rollback(r, "m", "champion", "bad", &v, &e), FERR_OK);
    assert_int_equal(v, 2);
    /* Deleted v1 is skipped: nothing left to roll back to. */
    assert_int_equal(reg_delete(r, "m", 1, false, &e), FERR_OK);
    assert_int_equal(reg_rollback(r, "m", "champion", NULL, &v, &e),
                     FERR_NOTFOUND);
    assert_int_equal(reg_resolve(r, "m", "champion", &v, &e), FERR_OK);
    assert_int_equal(v, 2);
    assert_int_equal(reg_resolve(r, "m", "challenger", &v, &e), FERR_OK);
    assert_int_equal(v, 3);
    assert_int_equal(reg_history(r, "m", &h, &e), FERR_OK);
    assert_int_equal(json_array_size(h), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 2), "action")),
                        "promote");
    assert_int_equal(hist_int(h, 2, "from"), 2);
    assert_int_equal(hist_int(h, 2, "to"), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 4), "action")),
                        "rollback");
    assert_int_equal(hist_int(h, 4, "from"), 3);
    assert_int_equal(hist_int(h, 4, "to"), 2);
    json_decref(h);
    reg_close(r);
}

static void test_delete_aliased(void **state)
{
    reg_t *r = open_reg();
    ferr_t e = {0};
    int v;
    json_t *h;
    (void)state;
    reg_auc(r, "m", 0.5);
    reg_promote(r, "m", 1, "champion", NULL, false, NULL, &e);
    assert_int_equal(reg_delete(r, "m", 1, false, &e), FERR_REFUSED);
    assert_non_null(strstr(e.msg, "alias 'champion'"));
    assert_int_equal(reg_resolve(r, "m", "1", &v, &e), FERR_OK);
    assert_int_equal(reg_delete(r, "m", 1, true, &e), FERR_OK);
    assert_int_equal(reg_resolve(r, "m", "champion", &v, &e), FERR_NOTFOUND);
    assert_int_equal(reg_history(r, "m", &h, &e), FERR_OK);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(h, 1), "action")),
        "delete");
    json_decref(h);
    reg_close(r);
}

static void write_file(const char *rel, const char *text)
{
    char path[512];
    FILE *fp;
    snprintf(path, sizeof(path), "%s/%s", g_dir, rel);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int count_entries(const char *rel)
{
    char cmd[600], buf[32];
    FILE *p;
    snprintf(cmd, sizeof(cmd), "ls -A '%s/%s' | wc -l", g_dir, rel);
    p = popen(cmd, "r");
    assert_non_null(fgets(buf, sizeof(buf), p));
    pclose(p);
    return atoi(buf);
}

static void test_corrupt_manifest(void **state)
{
    reg_t *r = open_reg();
    ferr_t e = {0};
    json_t *m, *bad;
    char *before;
    int v;
    (void)state;

    reg_auc(r, "m", 0.5);
    reg_auc(r, "m", 0.6);
    write_file("m/versions/1/manifest.json", "{\"name\": \"m\", \"vers");
    assert_int_equal(reg_load_manifest(r, "m", 1, &m, &e), FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "/m/versions/1/manifest.json:1:"));
    assert_non_null(strstr(e.msg, "invalid JSON"));

    before = slurp("m/versions/2/manifest.json");
    {
        char *p = strstr(before, "\"roc_auc\": ");
        char *fixed;
        size_t n;
        assert_non_null(p);
        fixed = strdup(before);
        n = (size_t)(p - before);
        snprintf(fixed + n, strlen(before) + 1 - n, "\"roc_auc\": \"high\"%s",
                 strchr(p, '\n'));
        write_file("m/versions/2/manifest.json", fixed);
        free(fixed);
    }
    assert_int_equal(reg_load_manifest(r, "m", 2, &m, &e), FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "manifest.json: $.metrics.test.roc_auc: "
                                  "expected a number, found a string"));
    free(before);
    /* Listing names the broken file too, instead of skipping it. */
    assert_int_equal(reg_list(r, NULL, &m, &e), FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "manifest.json"));

    /* A bad manifest from the caller leaves nothing behind. */
    bad = json_pack("{s:s,s:[{s:s,s:s}]}", "objective", "x", "features",
                    "name", "a", "type", "complex");
    assert_int_equal(reg_register(r, "m", "x", 1, bad, &v, &e), FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "$.features[0].type: unknown type 'complex'"));
    json_decref(bad);
    assert_int_equal(count_entries("m/versions"), 2);
    /* Corrupt aliases.json: a clear error, and promote writes nothing. */
    write_file("m/aliases.json", "{\"aliases\": {\"champion\": \"two\"}, \"previous\": {}}");
    assert_int_equal(reg_resolve(r, "m", "champion", &v, &e), FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "aliases.json: $.aliases.champion"));
    reg_close(r);
}

static void test_manifest_parse_paths(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"[]", "$: expected an object, found an array"},
        {"{\"features\":[{\"name\":\"a\",\"type\":\"int\"}]}",
         "$.objective: missing required field"},
        {"{\"objective\":\"x\",\"features\":[]}", "$.features: no features"},
        {"{\"objective\":\"x\",\"features\":[{\"name\":\"a\",\"type\":\"int\","
         "\"categories\":[\"u\",3]}]}",
         "$.features[0].categories[1]: expected a string, found an integer"},
        {"{\"objective\":\"x\",\"features\":[{\"name\":\"a\",\"type\":\"int\"}],"
         "\"lineage\":{\"parent\":0}}",
         "$.lineage.parent: 0 is not a version number"},
        {"{\"objective\":\"x\",\"features\":[{\"name\":\"a\",\"type\":\"int\"}],"
         "\"data_sha256\":\"abc\"}",
         "$.data_sha256: expected 64 lowercase hex digits"},
        {"{\"a\":1,\"a\":2}", "duplicate object key"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ferr_t e = {0};
        json_t *m;
        assert_int_equal(reg_manifest_parse(cases[i].text, strlen(cases[i].text),
                                            "t.json", false, &m, &e),
                         FERR_CORRUPT);
        assert_null(m);
        if (strstr(e.msg, cases[i].want) == NULL)
            fail_msg("case %zu: got '%s', want '%s'", i, e.msg, cases[i].want);
    }
}

static void test_concurrent_writers(void **state)
{
    enum { KIDS = 4, EACH = 8 };
    reg_t *r;
    ferr_t e = {0};
    json_t *all, *vers;
    bool seen[KIDS][EACH] = {{false}};
    (void)state;

    for (int k = 0; k < KIDS; k++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            reg_t *cr;
            int bad = 0;
            if (reg_open(g_dir, &cr, NULL) != FERR_OK)
                _exit(1);
            for (int i = 0; i < EACH; i++) {
                json_t *m = json_pack("{s:s,s:{s:i,s:i},s:[{s:s,s:s}]}",
                                      "objective", "o", "params", "kid", k,
                                      "iter", i, "features", "name", "x",
                                      "type", "float");
                int v;
                bad |= reg_register(cr, "race", "{}", 2, m, &v, NULL) != 0;
                bad |= reg_promote(cr, "race", v, "champion", NULL, false,
                                   NULL, NULL) != 0;
                json_decref(m);
            }
            reg_close(cr);
            _exit(bad);
        }
    }
    for (int k = 0; k < KIDS; k++) {
        int st;
        assert_true(wait(&st) > 0);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    r = open_reg();
    assert_int_equal(reg_list(r, "race", &all, &e), FERR_OK);
    vers = json_object_get(json_array_get(all, 0), "versions");
    assert_int_equal(json_array_size(vers), KIDS * EACH);
    for (int v = 1; v <= KIDS * EACH; v++) {
        json_t *m, *p;
        assert_int_equal(reg_load_manifest(r, "race", v, &m, &e), FERR_OK);
        p = json_object_get(m, "params");
        seen[json_integer_value(json_object_get(p, "kid"))]
            [json_integer_value(json_object_get(p, "iter"))] = true;
        json_decref(m);
    }
    for (int k = 0; k < KIDS; k++)
        for (int i = 0; i < EACH; i++)
            assert_true(seen[k][i]);
    {
        json_t *h;
        assert_int_equal(reg_history(r, "race", &h, &e), FERR_OK);
        assert_int_equal(json_array_size(h), KIDS * EACH); /* no lost moves */
        json_decref(h);
    }
    assert_int_equal(count_entries("race/versions"), KIDS * EACH);
    json_decref(all);
    reg_close(r);
}

static void test_diff_and_export(void **state)
{
    reg_t *r = open_reg();
    ferr_t e = {0};
    json_t *m = manifest_with_auc(0.7), *d, *ch;
    char out[300], *a, *b;
    size_t i, na, nb;
    bool saw_depth = false, saw_auc = false;
    (void)state;

    reg_register(r, "m", "one", 3, m, NULL, &e);
    json_object_set_new(json_object_get(m, "params"), "max_depth", json_integer(8));
    json_object_set_new(json_object_get(m, "metrics"), "test",
                        json_pack("{s:f}", "roc_auc", 0.75));
    json_array_append_new(json_object_get(m, "features"),
                          json_pack("{s:s,s:s}", "name", "y", "type", "int"));
    reg_register(r, "m", "two", 3, m, NULL, &e);
    assert_int_equal(reg_diff(r, "m", 1, 2, &d, &e), FERR_OK);
    json_array_foreach(json_object_get(d, "changes"), i, ch) {
        const char *p = json_string_value(json_object_get(ch, "path"));
        if (strcmp(p, "params.max_depth") == 0) {
            saw_depth = true;
            assert_int_equal(json_integer_value(json_object_get(ch, "a")), 6);
            assert_int_equal(json_integer_value(json_object_get(ch, "b")), 8);
        }
        saw_auc |= strcmp(p, "metrics.test.roc_auc") == 0;
    }
    assert_true(saw_depth && saw_auc);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(d, "features"), "added"), 0)),
                        "y");
    json_decref(d);
    snprintf(out, sizeof(out), "%s/exported", g_dir);
    assert_int_equal(reg_export(r, "m", 2, out, &e), FERR_OK);
    snprintf(out, sizeof(out), "%s/exported/model.json", g_dir);
    assert_int_equal(file_read_all(out, 0, &a, &na, &e), FERR_OK);
    assert_int_equal(na, 3);
    assert_memory_equal(a, "two", 3);
    free(a);
    /* Tampered model bytes are caught on export. */
    write_file("m/versions/1/model.json", "ONE");
    snprintf(out, sizeof(out), "%s/exported1", g_dir);
    assert_int_equal(reg_export(r, "m", 1, out, &e), FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "does not match"));
    (void)b;
    (void)nb;
    json_decref(m);
    reg_close(r);
}

static void test_lineage_hashes(void **state)
{
    reg_t *r = open_reg();
    ferr_t e = {0};
    char data[300], spec[300], hex[65];
    const char *paths[1];
    json_t *m = manifest_with_auc(0.5), *got;
    int v;
    (void)state;
    snprintf(data, sizeof(data), "%s/loans.csv", g_dir);
    snprintf(spec, sizeof(spec), "%s/ferry.yaml", g_dir);
    write_file("loans.csv", "abc");
    write_file("ferry.yaml", "");
    json_object_set_new(m, "lineage", json_pack("{s:[s],s:s}", "source_files",
                                                data, "spec_file", spec));
    assert_int_equal(reg_register(r, "m", "x", 1, m, &v, &e), FERR_OK);
    assert_int_equal(reg_load_manifest(r, "m", v, &got, &e), FERR_OK);
    assert_string_equal(json_string_value(json_object_get(got, "data_sha256")),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(json_string_value(json_object_get(got, "spec_sha256")),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    paths[0] = data;
    assert_int_equal(reg_sha256_files(paths, 1, hex, &e), FERR_OK);
    json_decref(got);
    /* A missing source file is an error naming it, not a silent omission. */
    json_object_set_new(m, "lineage", json_pack("{s:[s]}", "source_files",
                                                "/nonexistent/x.csv"));
    assert_int_equal(reg_register(r, "m", "x", 1, m, &v, &e), FERR_NOTFOUND);
    assert_non_null(strstr(e.msg, "/nonexistent/x.csv"));
    json_decref(m);
    reg_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_and_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions_never_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gate_refusal_leaves_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_restores_and_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_aliased, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_manifest, setup, teardown),
        cmocka_unit_test(test_manifest_parse_paths),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_and_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lineage_hashes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_crash.c - the registry under kills and ENOSPC at every step of a
 * write, its recovery, and what it refuses to store.
 *
 * The crash test forks a child per fault point of reg__fault_points (the
 * registry's own list, so a point added later is covered without touching
 * this file) and per mode (killed there, or the next step failing with
 * ENOSPC), lets it run one register / promote / rollback / delete with
 * FERRY_FAULT set, and then checks from the parent, with a fresh handle:
 * the point was reached, reg_verify holds before any recovery (no version
 * above the counter, model bytes intact, aliases == the replayed history),
 * the next writer leaves no leftover, and no version number is ever issued
 * twice, even after deleting the newest version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>
#include <utime.h>

#include "base/afile.h"
#include "registry/reg_int.h"
#include "registry/registry.h"
#include "scoring/predictor.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/ferry_crash_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[512];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static reg_t *open_at(const char *dir)
{
    reg_t *r;
    ferr_t e = {0};
    assert_int_equal(reg_open(dir, &r, &e), FERR_OK);
    return r;
}

static int reg_one(reg_t *r, ferr_t *e)
{
    json_t *m = json_pack("{s:s,s:{s:{s:f}},s:[{s:s,s:s}]}", "objective",
                          "binary:logistic", "metrics", "test", "roc_auc",
                          0.7, "features", "name", "x", "type", "float");
    int v = 0, rc = reg_register(r, "m", "{\"m\":1}", 7, m, &v, e);
    json_decref(m);
    return rc ? rc : v;
}

static void must(int rc, const ferr_t *e)
{
    if (rc != FERR_OK)
        fail_msg("%s", ferr_msg(e));
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int resolve(reg_t *r, const char *spec)
{
    ferr_t e = {0};
    int v = 0;
    return reg_resolve(r, "m", spec, &v, &e) == FERR_OK ? v : 0;
}

/* Names under m/ and m/versions/ that are neither files of the layout nor
 * versions: what a dead writer left. */
static int leftovers(const char *dir)
{
    static const char *const sub[] = {"m", "m/versions"};
    int n = 0;
    for (size_t i = 0; i < 2; i++) {
        char p[600];
        DIR *d;
        struct dirent *de;
        snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
        d = opendir(p);
        while (d && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                (de->d_name[0] == '.' || strstr(de->d_name, ".tmp."))) {
                fprintf(stderr, "leftover %s/%s\n", sub[i], de->d_name);
                n++;
            }
        }
        if (d)
            closedir(d);
    }
    return n;
}

static int max_version(reg_t *r)
{
    json_t *l;
    ferr_t e = {0};
    int max = 0;
    size_t i;
    json_t *v;
    must(reg_list(r, "m", &l, &e), &e);
    json_array_foreach(json_object_get(json_array_get(l, 0), "versions"), i,
                       v) {
        int x = (int)json_integer_value(json_object_get(v, "version"));
        if (x > max)
            max = x;
    }
    json_decref(l);
    return max;
}

/* v1..v3; champion v1 then v2 (so it has a previous), challenger v3. */
static void populate(reg_t *r)
{
    ferr_t e = {0};
    for (int i = 1; i <= 3; i++)
        assert_int_equal(reg_one(r, &e), i);
    must(reg_promote(r, "m", 1, "champion", NULL, false, "a", &e), &e);
    must(reg_promote(r, "m", 2, "champion", NULL, false, "b", &e), &e);
    must(reg_promote(r, "m", 3, "challenger", NULL, false, NULL, &e), &e);
}

/* The operation a fault point belongs to, as the child runs it. */
static int run_op(reg_t *r, const char *point, ferr_t *e)
{
    int v;
    if (strncmp(point, "register:", 9) == 0)
        return reg_one(r, e) > 0 ? FERR_OK : e->code;
    if (strncmp(point, "promote:", 8) == 0)
        return reg_promote(r, "m", 3, "champion", NULL, false, "c", e);
    if (strncmp(point, "rollback:", 9) == 0)
        return reg_rollback(r, "m", "champion", "d", &v, e);
    if (strncmp(point, "delete:", 7) == 0)
        return reg_delete(r, "m", 2, true, e);
    fail_msg("fault point '%s' belongs to no operation this test knows",
             point);
    return FERR_USAGE;
}

static void crash_once(const char *point, bool fail_mode, int round)
{
    char dir[400], want[128];
    reg_t *r;
    ferr_t e = {0};
    json_t *rep;
    pid_t pid;
    int status, seen, v;

    snprintf(dir, sizeof(dir), "%s/r%d", g_dir, round);
    r = open_at(dir);
    populate(r);
    reg_close(r);

    snprintf(want, sizeof(want), "%s%s", point, fail_mode ? ":fail" : "");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ferr_t ce = {0};
        int rc;
        setenv("FERRY_FAULT", want, 1);
        r = open_at(dir);
        rc = run_op(r, point, &ce);
        /* 2: a failure that is not the injected one */
        _exit(rc == FERR_OK ? 0
              : strstr(ce.msg, "injected by FERRY_FAULT") ? 1
                                                          : 2);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("%s: child died of a signal", want);
    if (!fail_mode && WEXITSTATUS(status) != REG_FAULT_EXIT)
        fail_msg("%s: the fault point was never reached (exit %d)", want,
                 WEXITSTATUS(status));
    if (fail_mode && WEXITSTATUS(status) > 1)
        fail_msg("%s: exit %d", want, WEXITSTATUS(status));

    r = open_at(dir);
    /* before any recovery: nothing a reader sees is inconsistent */
    if (reg_verify(r, "m", &rep, &e) != FERR_OK)
        fail_msg("%s: before recovery: %s", want, ferr_msg(&e));
    json_decref(rep);
    seen = max_version(r);
    if (seen < 3)
        seen = 3;
    /* the next writer recovers: no leftover, still consistent */
    must(reg_promote(r, "m", 1, "probe", NULL, false, NULL, &e), &e);
    if (leftovers(dir) != 0)
        fail_msg("%s: leftovers after the next write", want);
    if (reg_verify(r, "m", &rep, &e) != FERR_OK)
        fail_msg("%s: after recovery: %s", want, ferr_msg(&e));
    json_decref(rep);
    /* no number is issued twice: not after the crash, not after deleting
     * the newest version */
    v = reg_one(r, &e);
    if (v <= seen)
        fail_msg("%s: registered v%d, but v%d was already issued", want, v,
                 seen);
    must(reg_delete(r, "m", v, true, &e), &e);
    seen = v;
    if (max_version(r) > 0) {
        int top = max_version(r);
        must(reg_delete(r, "m", top, true, &e), &e);
    }
    v = reg_one(r, &e);
    if (v <= seen)
        fail_msg("%s: v%d reused after deleting v%d", want, v, seen);
    if (reg_verify(r, "m", &rep, &e) != FERR_OK)
        fail_msg("%s: at the end: %s", want, ferr_msg(&e));
    json_decref(rep);
    reg_close(r);
}

static void test_kill_at_every_point(void **state)
{
    int round = 0;
    (void)state;
    for (const char *const *p = reg__fault_points; *p; p++) {
        crash_once(*p, false, round++);
        crash_once(*p, true, round++);
    }
    assert_true(round >= 2 * 12);
}

/* What each kill leaves is what the design says: the move is committed
 * exactly when its history line is complete. */
static void test_kill_outcomes(void **state)
{
    static const struct {
        const char *fault;
        const char *alias;
        int target; /* of alias after the kill; 0: gone */
    } cases[] = {
        {"promote:mid-log", "champion", 2},
        {"promote:after-log", "champion", 3},
        {"rollback:mid-log", "champion", 2},
        {"rollback:after-log", "champion", 1},
        {"delete:mid-log", "champion", 2},
        {"delete:after-log", "champion", 0},
        {"promote:mid-log:fail", "champion", 2},
        {"promote:after-log:fail", "champion", 3},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char dir[400];
        reg_t *r;
        json_t *h;
        ferr_t e = {0};
        pid_t pid;
        int status;
        snprintf(dir, sizeof(dir), "%s/k%zu", g_dir, i);
        r = open_at(dir);
        populate(r);
        reg_close(r);
        pid = fork();
        if (pid == 0) {
            setenv("FERRY_FAULT", cases[i].fault, 1);
            r = open_at(dir);
            run_op(r, cases[i].fault, &e);
            _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        r = open_at(dir);
        if (resolve(r, cases[i].alias) != cases[i].target)
            fail_msg("%s: %s is v%d, want v%d", cases[i].fault,
                     cases[i].alias, resolve(r, cases[i].alias),
                     cases[i].target);
        /* history: the 3 setup moves plus the one committed */
        must(reg_history(r, "m", &h, &e), &e);
        assert_int_equal(json_array_size(h),
                         3 + (strstr(cases[i].fault, "mid-log") == NULL));
        json_decref(h);
        reg_close(r);
    }
}

/* A move logged but not in aliases.json yet (a crash between the two) is
 * seen by readers and saved by the next writer. */
static void test_history_ahead_of_checkpoint(void **state)
{
    char p[600];
    reg_t *r = open_at(g_dir);
    ferr_t e = {0};
    json_t *a;
    char *text;
    size_t n;
    (void)state;
    populate(r);
    snprintf(p, sizeof(p), "%s/m/history.jsonl", g_dir);
    {
        FILE *fp = fopen(p, "a");
        fputs("{\"at\":\"2026-01-01T00:00:00Z\",\"action\":\"promote\","
              "\"alias\":\"champion\",\"from\":2,\"to\":3,\"user\":\"x\"}\n",
              fp);
        fclose(fp);
    }
    assert_int_equal(resolve(r, "champion"), 3);
    must(reg_rollback(r, "m", "champion", NULL, NULL, &e), &e);
    assert_int_equal(resolve(r, "champion"), 2);
    snprintf(p, sizeof(p), "%s/m/aliases.json", g_dir);
    must(file_read_all(p, 0, &text, &n, &e), &e);
    a = json_loads(text, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(a, "applied")), 5);
    json_decref(a);
    free(text);
    must(reg_verify(r, "m", &a, &e), &e);
    json_decref(a);
    reg_close(r);
}

/* An unterminated last line is an append that never finished: readers
 * ignore it, the next writer cuts it off before appending. */
static void test_torn_history_line(void **state)
{
    char p[600], *text;
    reg_t *r = open_at(g_dir);
    ferr_t e = {0};
    json_t *h;
    size_t n;
    (void)state;
    populate(r);
    snprintf(p, sizeof(p), "%s/m/history.jsonl", g_dir);
    {
        FILE *fp = fopen(p, "a");
        fputs("{\"at\":\"2026-01-01T00:00:00Z\",\"action\":\"prom", fp);
        fclose(fp);
    }
    must(reg_history(r, "m", &h, &e), &e);
    assert_int_equal(json_array_size(h), 3);
    json_decref(h);
    assert_int_equal(resolve(r, "champion"), 2);
    must(reg_promote(r, "m", 3, "champion", NULL, false, NULL, &e), &e);
    must(reg_history(r, "m", &h, &e), &e);
    assert_int_equal(json_array_size(h), 4);
    json_decref(h);
    must(file_read_all(p, 0, &text, &n, &e), &e);
    assert_null(strstr(text, "\"prom{"));
    assert_int_equal(text[n - 1], '\n');
    free(text);
    must(reg_verify(r, "m", &h, &e), &e);
    json_decref(h);
    reg_close(r);
}

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

/* Only provably stale leftovers go: a live pid's staging stays, and so
 * does a pid-less one until an hour old. */
static void test_sweep_only_stale(void **state)
{
    char p[700];
    reg_t *r = open_at(g_dir);
    ferr_t e = {0};
    pid_t dead = dead_pid();
    struct utimbuf old = {time(NULL) - 7200, time(NULL) - 7200};
    (void)state;
    populate(r);
#define MK(fmt, ...)                                                        \
    do {                                                                    \
        snprintf(p, sizeof(p), "%s/m/" fmt, g_dir, __VA_ARGS__);            \
        assert_int_equal(mkdir(p, 0755), 0);                                \
    } while (0)
    MK("versions/.staging-%ld-dead01", (long)dead);
    MK("versions/.staging-%ld-live01", (long)getppid());
    MK("versions/.deleted-7-%ld", (long)dead);
    MK("versions/.staging-%s", "fresh1");
    MK("versions/.staging-%s", "123abc"); /* pid-less, digits first */
    MK("versions/.staging-%s", "stale1");
    utime(p, &old);
    snprintf(p, sizeof(p), "%s/m/aliases.json.tmp.Ab12Cd", g_dir);
    write_text(p, "{");
    snprintf(p, sizeof(p), "%s/m/last_version.tmp.Ef34Gh", g_dir);
    write_text(p, "9");
    snprintf(p, sizeof(p), "%s/m/versions/.staging-%ld-dead01/model.json",
             g_dir, (long)dead);
    write_text(p, "{}");
    /* readers change nothing */
    assert_int_equal(resolve(r, "champion"), 2);
    assert_int_equal(leftovers(g_dir), 8);
    must(reg_promote(r, "m", 3, "champion", NULL, false, NULL, &e), &e);
    assert_int_equal(leftovers(g_dir), 3);
    snprintf(p, sizeof(p), "%s/m/versions/.staging-%ld-live01", g_dir,
             (long)getppid());
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof(p), "%s/m/versions/.staging-fresh1", g_dir);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof(p), "%s/m/versions/.staging-123abc", g_dir);
    assert_int_equal(access(p, F_OK), 0);
    reg_close(r);
#undef MK
}

static void test_counter_bounds(void **state)
{
    char p[600];
    reg_t *r = open_at(g_dir);
    ferr_t e = {0};
    int v;
    (void)state;
    assert_int_equal(reg_one(r, &e), 1);
    snprintf(p, sizeof(p), "%s/m/last_version", g_dir);
    write_text(p, "2147483646\n");
    assert_int_equal(reg_one(r, &e), INT_MAX);
    assert_int_equal(reg_resolve(r, "m", "2147483647", &v, &e), FERR_OK);
    assert_int_equal(v, INT_MAX);
    assert_int_equal(reg_one(r, &e), FERR_LIMIT);
    assert_non_null(strstr(e.msg, "version numbers are exhausted"));
    /* deleting the top version does not bring the numbers back */
    must(reg_delete(r, "m", INT_MAX, false, &e), &e);
    assert_int_equal(reg_one(r, &e), FERR_LIMIT);
    assert_int_equal(reg_resolve(r, "m", "2147483648", &v, &e), FERR_USAGE);
    assert_non_null(strstr(e.msg, "not a version number"));
    assert_int_equal(reg_resolve(r, "m", "0", &v, &e), FERR_USAGE);
    write_text(p, "abc\n");
    assert_int_equal(reg_one(r, &e), FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "last_version: expected a version number"));
    write_text(p, "-3\n");
    assert_int_equal(reg_one(r, &e), FERR_CORRUPT);
    reg_close(r);
}

/* An older binary killed between the rename and the counter write left a
 * version above last_version; deleting it must not free its number. */
static void test_counter_behind_old_crash(void **state)
{
    char p[600];
    reg_t *r = open_at(g_dir);
    ferr_t e = {0};
    json_t *rep;
    (void)state;
    populate(r);
    snprintf(p, sizeof(p), "%s/m/last_version", g_dir);
    write_text(p, "2\n");
    assert_int_equal(reg_verify(r, "m", &rep, &e), FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "below version 3"));
    must(reg_delete(r, "m", 3, true, &e), &e);
    assert_int_equal(reg_one(r, &e), 4);
    must(reg_verify(r, "m", &rep, &e), &e);
    json_decref(rep);
    reg_close(r);
}

static void test_reason_one_line(void **state)
{
    reg_t *r = open_at(g_dir);
    ferr_t e = {0};
    json_t *h;
    char long_reason[1100];
    (void)state;
    populate(r);
    assert_int_equal(reg_promote(r, "m", 3, "champion", NULL, false,
                                 "ok\n2026-01-01T00:00:00Z  promote  x", &e),
                     FERR_USAGE);
    assert_non_null(strstr(e.msg, "control character 0x0a"));
    assert_int_equal(reg_promote(r, "m", 3, "champion", NULL, false,
                                 "\x1b[2J", &e),
                     FERR_USAGE);
    assert_int_equal(reg_rollback(r, "m", "champion", "a\rb", NULL, &e),
                     FERR_USAGE);
    assert_int_equal(reg_promote(r, "m", 3, "champion", NULL, false,
                                 "\xff\xfe", &e),
                     FERR_USAGE);
    memset(long_reason, 'x', sizeof(long_reason) - 1);
    long_reason[sizeof(long_reason) - 1] = '\0';
    assert_int_equal(reg_promote(r, "m", 3, "champion", NULL, false,
                                 long_reason, &e),
                     FERR_USAGE);
    assert_int_equal(resolve(r, "champion"), 2);
    must(reg_history(r, "m", &h, &e), &e);
    assert_int_equal(json_array_size(h), 3);
    json_decref(h);
    reg_close(r);
}

/* ---- import: nothing predict would refuse is registered ------------------ */

/* Two trees over a, b (binary:logistic), with loss_changes for importance. */
static const char *MODEL =
    "{\"learner\":{\"feature_names\":[\"a\",\"b\"],\"feature_types\":"
    "[\"float\",\"float\"],\"gradient_booster\":{\"name\":\"gbtree\","
    "\"model\":{\"tree_info\":[0,0],\"trees\":["
    "{\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],"
    "\"split_conditions\":[0.5,-0.25,0.75],\"split_indices\":[0,0,0],"
    "\"default_left\":[1,0,0],\"loss_changes\":[1.5,0,0],"
    "\"tree_param\":{\"num_nodes\":\"3\"}},"
    "{\"left_children\":[1,3,-1,-1,-1],\"right_children\":[2,4,-1,-1,-1],"
    "\"split_conditions\":[-1,2,-0.375,0.125,0.5],\"split_indices\":[1,0,0,0,0],"
    "\"default_left\":[0,1,0,0,0],\"loss_changes\":[2,1,0,0,0],"
    "\"tree_param\":{\"num_nodes\":\"5\"}}]}},"
    "\"learner_model_param\":{\"base_score\":\"0.25\",\"num_feature\":\"2\","
    "\"num_class\":\"0\"},\"objective\":{\"name\":\"binary:logistic\"}}}";

static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    assert_non_null(at);
    snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return out;
}

static void test_import_refuses_broken_models(void **state)
{
    static const struct {
        const char *from, *to, *msg;
    } cases[] = {
        {"\"left_children\":[1,-1,-1]", "\"left_children\":[-5,-1,-1]",
         "trees[0]: node 0: children -5, 2 out of range"},
        {"\"left_children\":[1,3,-1,-1,-1],\"right_children\":[2,4,-1,-1,-1]",
         "\"left_children\":[1,3,1,-1,-1],\"right_children\":[2,4,3,-1,-1]",
         "trees[1]: node 1 is reached twice (not a tree)"},
        {"\"base_score\":\"0.25\"", "\"base_score\":\"nan\"",
         "base_score: not a finite number"},
        {"\"num_nodes\":\"3\"", "\"num_nodes\":\"4\"",
         "trees[0].left_children: expected 4 elements, found 3"},
        {"binary:logistic", "rank:pairwise",
         "learner.objective.name: 'rank:pairwise' is not supported"},
        {"\"num_class\":\"0\"", "\"num_class\":\"3\"",
         "only single-output models are supported"},
        {"-0.375,0.125", "-0.375,1e39",
         "trees[1].split_conditions[3]: leaf value is not a finite number"},
        {"\"split_indices\":[1,0,0,0,0]", "\"split_indices\":[2,0,0,0,0]",
         "trees[1].split_indices[0]: feature 2, model has 2 features"},
        {"\"name\":\"gbtree\"", "\"name\":\"gblinear\"",
         "'gblinear' is not supported"},
    };
    char reg_dir[400];
    (void)state;
    snprintf(reg_dir, sizeof(reg_dir), "%s/reg", g_dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *bad = replace(MODEL, cases[i].from, cases[i].to);
        reg_t *r = open_at(reg_dir);
        ferr_t e = {0};
        int v = -1;
        int rc = reg_import_xgboost(r, "m", bad, strlen(bad), NULL, 0, NULL,
                                    "bad.json", NULL, &v, &e);
        if (rc == FERR_OK || !strstr(e.msg, cases[i].msg) ||
            strncmp(e.msg, "bad.json: ", 10) != 0)
            fail_msg("case %zu: rc %d, '%s'", i, rc, ferr_msg(&e));
        assert_int_equal(v, 0);
        assert_int_not_equal(access(reg_dir, F_OK), 0); /* nothing written */
        reg_close(r);
        free(bad);
    }
}

static void test_import_feature_list(void **state)
{
    static const char *const swapped[] = {"b", "a"}, *const renamed[] = {"x", "y"},
                             *const three[] = {"a", "b", "c"},
                             *const esc[] = {"a", "b\x1b[31m"};
    reg_t *r = open_at(g_dir);
    ferr_t e = {0};
    json_t *extra;
    int v;
    size_t n = strlen(MODEL);
    (void)state;
    assert_int_equal(reg_import_xgboost(r, "m", MODEL, n, swapped, 2, NULL,
                                        "m.json", NULL, &v, &e),
                     FERR_CORRUPT);
    assert_non_null(strstr(e.msg, "$.features[0]: 'b' is feature 1 of the model"));
    assert_int_equal(reg_import_xgboost(r, "m", MODEL, n, three, 3, NULL,
                                        "m.json", NULL, &v, &e),
                     FERR_USAGE);
    assert_int_equal(reg_import_xgboost(r, "m", MODEL, n, esc, 2, NULL,
                                        "m.json", NULL, &v, &e),
                     FERR_USAGE);
    assert_non_null(strstr(e.msg, "control character 0x1b"));
    assert_int_equal(reg_import_xgboost(r, "m", MODEL, n, NULL, 0,
                                        "reg:squarederror", "m.json", NULL,
                                        &v, &e),
                     FERR_USAGE);
    assert_non_null(strstr(e.msg, "is binary:logistic"));
    /* extra fields may not smuggle in another feature list */
    extra = json_pack("{s:[{s:s,s:s}]}", "features", "name", "a", "type",
                      "float");
    assert_int_equal(reg_import_xgboost(r, "m", MODEL, n, NULL, 0, NULL,
                                        "m.json", extra, &v, &e),
                     FERR_USAGE);
    assert_non_null(strstr(e.msg, "$.features: 1 features, but the model reads 2"));
    json_decref(extra);
    {
        char p[600];
        snprintf(p, sizeof(p), "%s/m", g_dir);
        assert_int_not_equal(access(p, F_OK), 0); /* nothing written */
    }
    /* renaming is allowed, and so is the model's own list */
    must(reg_import_xgboost(r, "m", MODEL, n, renamed, 2, NULL, "m.json",
                            NULL, &v, &e), &e);
    assert_int_equal(v, 1);
    must(reg_import_xgboost(r, "m", MODEL, n, NULL, 0, "binary:logistic",
                            "m.json", NULL, &v, &e), &e);
    assert_int_equal(v, 2);
    reg_close(r);
}

/* A stored manifest whose features do not fit the model is refused when
 * the predictor loads it, naming the manifest and the JSON path. */
static void test_load_checks_features(void **state)
{
    static const struct {
        const char *features, *msg;
    } cases[] = {
        {"[{\"name\":\"a\",\"type\":\"float\"}]",
         "$.features: 1 features, but the model reads 2"},
        {"[{\"name\":\"c\",\"type\":\"float\"},{\"name\":\"a\",\"type\":"
         "\"float\"},{\"name\":\"b\",\"type\":\"float\"}]",
         "$.features: 3 features, but the model reads 2"},
        {"[{\"name\":\"b\",\"type\":\"float\"},{\"name\":\"a\",\"type\":"
         "\"float\"}]",
         "$.features[0]: 'b' is feature 1 of the model"},
    };
    reg_t *r = open_at(g_dir);
    ferr_t e = {0};
    char path[600];
    int v;
    (void)state;
    must(reg_import_xgboost(r, "m", MODEL, strlen(MODEL), NULL, 0, NULL,
                            "m.json", NULL, &v, &e), &e);
    reg_close(r);
    snprintf(path, sizeof(path), "%s/m/versions/1/manifest.json", g_dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *m = json_load_file(path, 0, NULL);
        predictor_t *pr = NULL;
        json_object_set_new(m, "features", json_loads(cases[i].features, 0,
                                                      NULL));
        assert_int_equal(json_dump_file(m, path, 0), 0);
        json_decref(m);
        assert_int_equal(predictor_load(g_dir, "m", "1", NULL, NULL, 0, &pr,
                                        &e),
                         FERR_CORRUPT);
        if (!strstr(e.msg, cases[i].msg) || !strstr(e.msg, "manifest.json: "))
            fail_msg("case %zu: '%s'", i, e.msg);
        assert_null(pr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill_at_every_point, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_outcomes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_ahead_of_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_history_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_only_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_behind_old_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reason_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_refuses_broken_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_feature_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_checks_features, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_online.c - the SQLite online store: latest-row choice against a
 * brute-force reference, typed reads, JSON, idempotence, stale temporaries,
 * refresh, verification of the file against its content hash (edits,
 * deleted rows, damaged pages), and the crash-safety acceptance test of issue #4: 20 builds
 * SIGKILLed at random moments never leave a store that fails to open, fails
 * PRAGMA integrity_check, or holds anything but the previous or the new
 * complete content.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/progress.h"
#include "store/online.h"
#include "store_test_util.h"

static int setup(void **state)
{
    (void)state;
    return tu_tmpdir_make("online");
}

static int teardown(void **state)
{
    (void)state;
    return tu_tmpdir_remove();
}

/* all-types table plus an entity column "k" (few distinct values so there
 * are many rows per entity) and a time column "when" with ties and nulls. */
static table_t *events(size_t n, ftype_t ktype, uint64_t seed, size_t nkeys)
{
    table_t *t = tu_all_types(n, seed);
    column_t *k = col_new("k", ktype, n), *w = col_new("when", FT_DATETIME, n);
    uint64_t s = seed * 7 + 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = tu_rand(&s);
        int64_t key = (int64_t)(r % nkeys) - 3;
        if (ktype == FT_INT) {
            k->i64[i] = key * 1000003;
        } else {
            char buf[32];
            int len = snprintf(buf, sizeof(buf), "cust-%lld", (long long)key);
            if (ktype == FT_STRING)
                col_str_append(k, i, buf, (size_t)len);
            else
                k->code[i] = dict_intern(k->dict, buf, (size_t)len);
        }
        w->i64[i] = (int64_t)((r >> 20) % 5) * 86400; /* many ties */
        if ((r >> 40) % 13 == 0)
            col_set_null(w, i);
        if ((r >> 44) % 29 == 0) {
            col_set_null(k, i);
            if (ktype == FT_INT)
                k->i64[i] = 0;
            if (ktype == FT_CATEGORY)
                k->code[i] = 0;
        }
    }
    table_add(t, k, NULL);
    table_add(t, w, NULL);
    return t;
}

static int key_eq(const column_t *k, size_t a, size_t b)
{
    if (k->type == FT_INT)
        return k->i64[a] == k->i64[b];
    return str_eq(col_str(k, a), col_str(k, b));
}

/* Brute force: row i is the latest of its entity iff no row j of the same
 * entity is strictly newer, or equally new and later in the table. */
static int is_latest(const table_t *t, const column_t *w, size_t i)
{
    const column_t *k = table_find(t, "k");
    for (size_t j = 0; j < t->nrows; j++) {
        if (j == i || col_is_null(k, j) || !key_eq(k, i, j))
            continue;
        if (w == NULL) {
            if (j > i)
                return 0;
            continue;
        }
        int ni = col_is_null(w, i), nj = col_is_null(w, j);
        int newer = (!nj && ni) ||
                    (!nj && !ni && (w->i64[j] > w->i64[i] ||
                                    (w->i64[j] == w->i64[i] && j > i))) ||
                    (nj && ni && j > i);
        if (newer)
            return 0;
    }
    return 1;
}

static void key_text(const column_t *k, size_t i, char *buf, size_t n)
{
    if (k->type == FT_INT)
        snprintf(buf, n, "%lld", (long long)k->i64[i]);
    else
        snprintf(buf, n, "%.*s", STR_FMT(col_str(k, i)));
}

/* Compare one source row with the 1-row table online_get returned. */
static void assert_row_matches(const table_t *t, size_t i, const table_t *row)
{
    assert_int_equal(row->nrows, 1);
    assert_int_equal(row->ncols, t->ncols);
    for (size_t j = 0; j < t->ncols; j++) {
        const column_t *a = t->cols[j], *b = row->cols[j];
        assert_string_equal(a->name, b->name);
        assert_int_equal(a->type, b->type);
        int na = col_is_null(a, i) || (a->type == FT_FLOAT && isnan(a->f64[i]));
        assert_int_equal(na, col_is_null(b, 0));
        if (na)
            continue;
        switch (a->type) {
        case FT_FLOAT:
            assert_true(a->f64[i] == b->f64[0]);
            break;
        case FT_BOOL:
            assert_int_equal(a->u8[i], b->u8[0]);
            break;
        case FT_STRING:
        case FT_CATEGORY:
            assert_true(str_eq(col_str(a, i), col_str(b, 0)));
            break;
        default:
            assert_int_equal(a->i64[i], b->i64[0]);
        }
    }
}

static void check_against_reference(ftype_t ktype, int use_time, uint64_t seed)
{
    size_t n = 1500;
    table_t *t = events(n, ktype, seed, 60);
    const column_t *k = table_find(t, "k");
    const column_t *w = use_time ? table_find(t, "when") : NULL;
    char path[300], key[64];
    online_stats_t st;
    online_t *o;
    ferr_t e = {0};
    size_t expect = 0, nulls = 0;

    path_in(path, sizeof(path), "ref.db");
    unlink(path);
    if (online_materialize(t, "k", use_time ? "when" : NULL, path, &st, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(online_open(path, &o, &e), FERR_OK);
    for (size_t i = 0; i < n; i++) {
        table_t *row = NULL;
        if (col_is_null(k, i)) {
            nulls++;
            continue;
        }
        if (!is_latest(t, w, i))
            continue;
        expect++;
        key_text(k, i, key, sizeof(key));
        if (online_get(o, key, &row, &e) != FERR_OK)
            fail_msg("get %s: %s", key, e.msg);
        assert_row_matches(t, i, row);
        table_free(row);
    }
    assert_int_equal(st.entities, expect);
    assert_int_equal(st.null_keys, nulls);
    assert_int_equal(online_row_count(o), expect);
    assert_string_equal(online_entity_column(o), "k");
    table_t *row = NULL;
    assert_int_equal(online_get(o, "999999999", &row, &e), FERR_NOTFOUND);
    assert_null(row);
    if (ktype == FT_INT) {
        assert_int_equal(online_get(o, "12abc", &row, &e), FERR_PARSE);
        assert_non_null(strstr(e.msg, "12abc"));
    }
    online_close(o);
    table_free(t);
}

static void test_latest_int_key(void **state)
{
    (void)state;
    check_against_reference(FT_INT, 1, 3);
    check_against_reference(FT_INT, 0, 4);
}

static void test_latest_text_keys(void **state)
{
    (void)state;
    check_against_reference(FT_STRING, 1, 5);
    check_against_reference(FT_CATEGORY, 1, 6);
    check_against_reference(FT_STRING, 0, 7);
}

static void test_json(void **state)
{
    table_t *t = table_new();
    column_t *id = col_new("id", FT_STRING, 2), *x = col_new("x\"y", FT_FLOAT, 2);
    column_t *b = col_new("b", FT_BOOL, 2), *d = col_new("d", FT_DATE, 2);
    column_t *n = col_new("n", FT_INT, 2);
    char path[300];
    buf_t out = {0}, small;
    online_t *o;
    ferr_t e = {0};
    (void)state;
    col_str_append(id, 0, "a\tb", 3);
    col_str_append(id, 1, "z", 1);
    x->f64[0] = 0.1;
    col_set_null(x, 1);
    b->u8[0] = 1;
    d->i64[0] = 18628;
    n->i64[0] = -42;
    column_t *cols[] = {id, x, b, d, n};
    for (int j = 0; j < 5; j++)
        table_add(t, cols[j], &e);
    path_in(path, sizeof(path), "json.db");
    assert_int_equal(online_materialize(t, "id", NULL, path, NULL, &e), FERR_OK);
    assert_int_equal(online_open(path, &o, &e), FERR_OK);
    assert_int_equal(online_get_json(o, "a\tb", &out, &e), FERR_OK);
    assert_string_equal(out.p, "{\"id\":\"a\\u0009b\",\"x\\\"y\":0.1,\"b\":true,"
                               "\"d\":\"2021-01-01\",\"n\":-42}");
    buf_reset(&out);
    assert_int_equal(online_get_json(o, "z", &out, &e), FERR_OK);
    assert_string_equal(out.p, "{\"id\":\"z\",\"x\\\"y\":null,\"b\":false,"
                               "\"d\":\"1970-01-01\",\"n\":0}");
    buf_init(&small, 10);
    assert_int_equal(online_get_json(o, "z", &small, &e), FERR_LIMIT);
    assert_int_equal(small.n, 0);
    buf_free(&small);
    buf_free(&out);
    online_close(o);
    table_free(t);
}

/* Every row of features in key order, hashed: the store's content as an
 * independent reader (raw SQLite, not online_get) sees it. */
static int dump_hash(const char *path, unsigned long long *h, long *rows)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int rc;
    *h = 1469598103934665603ULL;
    *rows = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        sqlite3_finalize(st);
        sqlite3_close(db);
        return -2;
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT * FROM features ORDER BY 1", -1, &st,
                           NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -3;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        (*rows)++;
        for (int j = 0; j < sqlite3_column_count(st); j++) {
            const unsigned char *p = sqlite3_column_text(st, j);
            int n = sqlite3_column_bytes(st, j);
            for (int i = 0; i < n; i++)
                *h = (*h ^ p[i]) * 1099511628211ULL;
            *h = (*h ^ (unsigned)sqlite3_column_type(st, j)) * 1099511628211ULL;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_DONE ? 0 : -4;
}

static void test_idempotent_and_stale(void **state)
{
    table_t *t = events(3000, FT_INT, 9, 500), *t2 = events(3000, FT_INT, 10, 500);
    char path[300], stale[320];
    online_stats_t st;
    struct stat s1, s2;
    unsigned long long h1, h2;
    long r1, r2;
    ferr_t e = {0};
    (void)state;
    path_in(path, sizeof(path), "idem.db");
    assert_int_equal(online_materialize(t, "k", "when", path, &st, &e), FERR_OK);
    assert_false(st.unchanged);
    assert_int_equal(dump_hash(path, &h1, &r1), 0);
    stat(path, &s1);
    /* A temporary left by a killed build. */
    snprintf(stale, sizeof(stale), "%s.tmp.999999", path);
    FILE *fp = fopen(stale, "w");
    fputs("garbage", fp);
    fclose(fp);
    assert_int_equal(online_materialize(t, "k", "when", path, &st, &e), FERR_OK);
    assert_true(st.unchanged);
    stat(path, &s2);
    assert_int_equal(s1.st_ino, s2.st_ino);
    assert_int_equal(access(stale, F_OK), -1);
    /* Forced rebuild of the same table: same content. */
    unlink(path);
    assert_int_equal(online_materialize(t, "k", "when", path, &st, &e), FERR_OK);
    assert_false(st.unchanged);
    assert_int_equal(dump_hash(path, &h2, &r2), 0);
    assert_true(h1 == h2 && r1 == r2);

    /* A reader keeps its snapshot until refresh. */
    online_t *o;
    bool changed;
    buf_t j1 = {0}, j2 = {0};
    assert_int_equal(online_open(path, &o, &e), FERR_OK);
    assert_int_equal(online_refresh(o, &changed, &e), FERR_OK);
    assert_false(changed);
    assert_int_equal(online_get_json(o, "1000003", &j1, &e), FERR_OK);
    assert_int_equal(online_materialize(t2, "k", "when", path, &st, &e), FERR_OK);
    assert_false(st.unchanged);
    buf_reset(&j2);
    assert_int_equal(online_get_json(o, "1000003", &j2, &e), FERR_OK);
    assert_string_equal(j1.p, j2.p);
    assert_int_equal(online_refresh(o, &changed, &e), FERR_OK);
    assert_true(changed);
    buf_reset(&j2);
    assert_int_equal(online_get_json(o, "1000003", &j2, &e), FERR_OK);
    assert_string_not_equal(j1.p, j2.p);
    buf_free(&j1);
    buf_free(&j2);
    online_close(o);

    /* Errors name the problem. */
    assert_int_equal(online_materialize(t, "nope", NULL, path, NULL, &e),
                     FERR_NOTFOUND);
    assert_non_null(strstr(e.msg, "nope"));
    assert_int_equal(online_materialize(t, "f", NULL, path, NULL, &e), FERR_TYPE);
    assert_int_equal(online_materialize(t, "k", "s", path, NULL, &e), FERR_TYPE);
    assert_int_equal(online_open("/nonexistent/x.db", &o, &e), FERR_NOTFOUND);
    table_free(t);
    table_free(t2);
}

static void sql_edit(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *err = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
    assert_int_equal(sqlite3_changes(db) > 0, 1);
    sqlite3_close(db);
}

/* Change one value inside a key's events blob (its first value's low
 * byte): the blob still decodes, its content no longer hashes. */
static void flip_byte(const char *path, const char *key)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st;
    unsigned char *b;
    int n;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT events FROM history "
                                        "WHERE key = ?1", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_bytes(st, 0);
    assert_true(n > 8);
    b = malloc((size_t)n);
    memcpy(b, sqlite3_column_blob(st, 0), (size_t)n);
    sqlite3_finalize(st);
    b[0] ^= 1;
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE history SET events = ?1 "
                                        "WHERE key = ?2", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, b, n, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(b);
}

/* online_verify on path: FERR_OK, or the code with needle in the message
 * (an open that already fails counts as the verification failing). */
static int verify_path(const char *path, const char *needle)
{
    online_t *o;
    ferr_t e = {0};
    int rc = online_open(path, &o, &e);
    if (rc == FERR_OK) {
        rc = online_verify(o, &e);
        online_close(o);
    }
    if (rc != FERR_OK && needle && strstr(e.msg, needle) == NULL)
        fail_msg("'%s' lacks '%s'", e.msg, needle);
    if (rc != FERR_OK && strstr(e.msg, path) == NULL)
        fail_msg("'%s' does not name the store", e.msg);
    return rc;
}

/* Issue 10, item 9.  A store as built always verifies - the hash online_verify
 * recomputes from the file equals the one the build computed from the table,
 * for every type and key type and the awkward values (-0.0, +-inf, NaN
 * stored as NULL, empty and multi-line strings, dates far from 1970) - and a
 * rebuild of the same table is a no-op.  An edited value, a deleted row, a
 * value of another storage class or a damaged page fails the check with
 * FERR_CORRUPT naming the file, and the next build of the same table
 * repairs the store instead of keeping it. */
static void test_verify(void **state)
{
    static const ftype_t ktypes[] = {FT_INT, FT_STRING, FT_CATEGORY};
    const double odd[] = {-0.0, INFINITY, -INFINITY, NAN, 0.0, -1e-310};
    char path[300];
    online_stats_t st;
    ferr_t e = {0};
    (void)state;

    path_in(path, sizeof(path), "verify.db");
    for (size_t k = 0; k < 3; k++) {
        table_t *t = events(4000, ktypes[k], 40 + k, 1500);
        column_t *f = (column_t *)table_find(t, "f");
        for (size_t i = 0; i < t->nrows; i += 3)
            if (!col_is_null(f, i))
                f->f64[i] = odd[(i / 3) % 6];
        unlink(path);
        assert_int_equal(online_materialize(t, "k", "when", path, &st, &e),
                         FERR_OK);
        assert_false(st.unchanged);
        assert_int_equal(verify_path(path, NULL), FERR_OK);
        assert_int_equal(online_materialize(t, "k", "when", path, &st, &e),
                         FERR_OK);
        assert_true(st.unchanged);
        assert_false(st.repaired);
        table_free(t);
    }

    table_t *t = events(4000, FT_INT, 50, 1500);
    static const struct {
        const char *sql, *needle;
    } edits[] = {
        {"UPDATE features SET i = i + 1 WHERE k = (SELECT max(k) FROM "
         "features)", "do not hash to the content_hash"},
        {"UPDATE features SET s = 'x' || s WHERE k = (SELECT min(k) FROM "
         "features WHERE s IS NOT NULL)", "do not hash to the content_hash"},
        {"UPDATE features SET b = 5 WHERE b = 1", "content_hash"},
        {"DELETE FROM features WHERE k = (SELECT min(k) FROM features)",
         "it holds 1"},
        {"UPDATE features SET f = 'abc' WHERE k = (SELECT min(k) FROM "
         "features)", "column 'f' holds a value that is not float"},
        {"UPDATE meta SET value = '1' WHERE key = 'row_count'",
         "meta table says 1"},
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(*edits); i++) {
        assert_int_equal(online_materialize(t, "k", "when", path, &st, &e),
                         FERR_OK);
        assert_int_equal(verify_path(path, NULL), FERR_OK);
        if (strncmp(edits[i].sql, "FLIP ", 5) == 0)
            flip_byte(path, edits[i].sql + 5);
        else
            sql_edit(path, edits[i].sql);
        if (verify_path(path, edits[i].needle) != FERR_CORRUPT)
            fail_msg("edit not found: %s", edits[i].sql);
        assert_int_equal(online_materialize(t, "k", "when", path, &st, &e),
                         FERR_OK);
        assert_true(st.repaired);
        assert_false(st.unchanged);
        assert_non_null(strstr(st.damage, "online store is corrupt"));
        assert_int_equal(verify_path(path, NULL), FERR_OK);
    }

    /* A damaged page in the middle of the features table. */
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size >= 16 * 4096);
    FILE *fp = fopen(path, "r+b");
    char junk[4096];
    memset(junk, 0x5a, sizeof(junk));
    assert_int_equal(fseek(fp, 8 * 4096, SEEK_SET), 0);
    assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
    fclose(fp);
    assert_int_equal(verify_path(path, "online store is corrupt"),
                     FERR_CORRUPT);
    assert_int_equal(online_materialize(t, "k", "when", path, &st, &e),
                     FERR_OK);
    assert_true(st.repaired);
    assert_int_equal(verify_path(path, NULL), FERR_OK);
    /* Not a database at all: corrupt too, by name. */
    fp = fopen(path, "wb");
    fputs("this is not SQLite\n", fp);
    fclose(fp);
    assert_int_equal(verify_path(path, "file is not a database"), FERR_CORRUPT);
    table_free(t);
}

/* Issue 11: the history is part of what online_verify checks.  An edited
 * event value, a deleted or an added event, a renumbered seq and a
 * damaged meta history entry are found, and the next build repairs the
 * store. */
static void test_verify_history(void **state)
{
    table_t *t = events(3000, FT_INT, 60, 400);
    table_t *ev = tu_all_types(5000, 61);
    column_t *key = col_new("key_", FT_STRING, 5000);
    online_history_in_t hist = {NULL, "k"};
    online_build_t *b;
    online_stats_t st;
    ferr_t e = {0};
    char path[300];
    (void)state;
    for (size_t i = 0; i < 5000; i++) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%zu", i % 300);
        col_str_append(key, i, buf, (size_t)n);
    }
    /* the key first, then the all-types columns */
    {
        table_t *x = table_new();
        table_add(x, key, NULL);
        while (ev->ncols)
            table_add(x, table_take(ev, ev->cols[0]->name), NULL);
        table_free(ev);
        ev = x;
    }
    hist.events = ev;
    path_in(path, sizeof(path), "verify_hist.db");
    static const struct {
        const char *sql, *needle;
    } edits[] = {
        /* format 4: a key's events are one blob (flip_byte edits a value
         * inside it, see below) */
        {"FLIP 17", "do not hash to the content_hash"},
        {"UPDATE history SET events = X'00' WHERE key = '9'",
         "events do not decode"},
        {"DELETE FROM history WHERE key = '42'", "its meta table says 5000"},
        {"INSERT INTO history VALUES ('zz', 1, X'0102')",
         "events do not decode"},
        {"UPDATE history SET n = n + 1 WHERE key = '3'",
         "events do not decode"},
        {"UPDATE meta SET value = '{\"by\":1}' WHERE key = 'history'",
         "meta history is missing or malformed"},
        {"UPDATE meta SET value = replace(value, '\"events\":5000', "
         "'\"events\":4000') WHERE key = 'history'", "meta table says 4000"},
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(*edits); i++) {
        assert_int_equal(online_prepare_with_history(t, "k", "when", &hist,
                                                     path, &st, &b, &e),
                         FERR_OK);
        assert_int_equal(online_publish(b, &e), FERR_OK);
        assert_int_equal(verify_path(path, NULL), FERR_OK);
        if (strncmp(edits[i].sql, "FLIP ", 5) == 0)
            flip_byte(path, edits[i].sql + 5);
        else
            sql_edit(path, edits[i].sql);
        if (verify_path(path, edits[i].needle) != FERR_CORRUPT)
            fail_msg("edit not found: %s", edits[i].sql);
        assert_int_equal(online_prepare_with_history(t, "k", "when", &hist,
                                                     path, &st, &b, &e),
                         FERR_OK);
        assert_int_equal(online_publish(b, &e), FERR_OK);
        assert_false(st.unchanged);
        assert_int_equal(verify_path(path, NULL), FERR_OK);
    }
    table_free(ev);
    table_free(t);
}

/* Issue #4 acceptance: SIGKILL during materialize, 20 trials. */
static void test_crash_safety(void **state)
{
    const char *asan = getenv("FERRY_SANITIZE");
    size_t big = asan && strcmp(asan, "1") == 0 ? 60000 : 200000;
    table_t *good = events(20000, FT_INT, 21, 5000);
    table_t *next = events(big, FT_INT, 22, big / 2);
    char path[300], scratch[300];
    unsigned long long hgood, hnext, h;
    long rgood, rnext, r;
    ferr_t e = {0};
    uint64_t seed = (uint64_t)time(NULL);
    int saw_old = 0, saw_new = 0;
    (void)state;

    path_in(path, sizeof(path), "crash.db");
    path_in(scratch, sizeof(scratch), "scratch.db");
    /* The new content and the typical duration of building it. */
    double t0 = now_seconds();
    assert_int_equal(online_materialize(next, "k", "when", scratch, NULL, &e),
                     FERR_OK);
    double dur = now_seconds() - t0;
    assert_int_equal(dump_hash(scratch, &hnext, &rnext), 0);
    assert_int_equal(online_materialize(good, "k", "when", path, NULL, &e),
                     FERR_OK);
    assert_int_equal(dump_hash(path, &hgood, &rgood), 0);
    assert_true(hgood != hnext);
    print_message("crash test: seed %llu, build takes %.3f s\n",
                  (unsigned long long)seed, dur);

    for (int trial = 0; trial < 20; trial++) {
        /* Kill anywhere in 0 .. 1.2x the typical build: the tail lets some
         * builds finish, so both outcomes are exercised. */
        useconds_t delay = (useconds_t)((double)(tu_rand(&seed) % 1000) /
                                        1000.0 * dur * 1.2 * 1e6);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(online_materialize(next, "k", "when", path, NULL, NULL) ? 1 : 0);
        usleep(delay);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        int rc = dump_hash(path, &h, &r);
        if (rc != 0)
            fail_msg("trial %d (delay %u us): store unreadable (%d)", trial,
                     (unsigned)delay, rc);
        if (h == hgood && r == rgood) {
            saw_old++;
        } else if (h == hnext && r == rnext) {
            saw_new++;
            /* Back to the good build for the next trial. */
            assert_int_equal(online_materialize(good, "k", "when", path, NULL,
                                                &e),
                             FERR_OK);
        } else {
            fail_msg("trial %d: store holds neither build", trial);
        }
        online_t *o;
        assert_int_equal(online_open(path, &o, &e), FERR_OK);
        online_close(o);
    }
    print_message("crash test: %d kept the old store, %d completed\n", saw_old,
                  saw_new);
    assert_int_equal(saw_old + saw_new, 20);
    /* The next build sweeps whatever the killed ones left. */
    assert_int_equal(online_materialize(next, "k", "when", path, NULL, &e),
                     FERR_OK);
    assert_int_equal(dump_hash(path, &h, &r), 0);
    assert_true(h == hnext);
    DIR *d = opendir(tmpdir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, "crash.db.tmp."))
            fail_msg("stale temporary %s", de->d_name);
    closedir(d);
    table_free(good);
    table_free(next);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latest_int_key),
        cmocka_unit_test(test_latest_text_keys),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_idempotent_and_stale),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_verify_history),
        cmocka_unit_test(test_crash_safety),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

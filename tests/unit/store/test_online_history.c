/*
 * test_online_history.c - the online store's event history (issue 11):
 * round trip of every ferry type (nulls, NaN, awkward strings, dates far
 * from 1970) through online_prepare_with_history and online_history, read
 * back independently with the SQLite API; keys given interleaved; stores
 * without a history; and online_push: seq numbering, idempotence, the
 * latest rows, the content hash against a fresh build of the same
 * content, refused layouts leaving the file byte-identical, and a crash
 * before the rename leaving the old store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/afile.h"
#include "data/parse.h"
#include "store/online.h"
#include "store_test_util.h"

static int setup(void **state)
{
    (void)state;
    return tu_tmpdir_make("online_hist");
}

static int teardown(void **state)
{
    (void)state;
    return tu_tmpdir_remove();
}

/* ------------------------------------------------------------ helpers */

static void keyname(size_t k, char *buf, size_t n)
{
    snprintf(buf, n, "%zu", 5000000 + k);
}

/* Events: key "500000K" (STRING, first), then every ferry type; keys
 * interleave (row i belongs to key (i * 7 + i / 5) % nkeys), a few rows
 * have a null key, and f holds NaN, -0.0 and infinities now and then. */
static table_t *hist_events(size_t n, size_t nkeys, uint64_t seed)
{
    table_t *all = tu_all_types(n, seed), *t = table_new();
    column_t *k = col_new("key_", FT_STRING, n);
    column_t *f = table_find(all, "f");
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        keyname((i * 7 + i / 5) % nkeys, buf, sizeof(buf));
        col_str_append(k, i, buf, strlen(buf));
        if (i % 41 == 40)
            col_set_null(k, i);
        if (!col_is_null(f, i) && i % 11 == 3)
            f->f64[i] = (double[]){NAN, -0.0, INFINITY, -INFINITY}[i % 4];
    }
    table_add(t, k, NULL);
    while (all->ncols)
        table_add(t, table_take(all, all->cols[0]->name), NULL);
    table_free(all);
    return t;
}

/* The latest rows: entity "id" INT (the key's number), a value, a date. */
static table_t *latest_rows(size_t nkeys, double base)
{
    table_t *t = table_new();
    column_t *id = col_new("id", FT_INT, nkeys), *v = col_new("v", FT_FLOAT, nkeys);
    column_t *d = col_new("last", FT_DATE, nkeys);
    for (size_t k = 0; k < nkeys; k++) {
        id->i64[k] = 5000000 + (int64_t)k;
        v->f64[k] = base + (double)k;
        d->i64[k] = 18000 + (int64_t)k;
    }
    table_add(t, id, NULL);
    table_add(t, v, NULL);
    table_add(t, d, NULL);
    return t;
}

/* Rows of t (all columns but the first when skip_key) for which pick
 * says yes, in table order; NaN marked null (the store keeps it so). */
static table_t *rows_where(const table_t *t, int skip_key,
                           int (*pick)(const table_t *, size_t, const void *),
                           const void *arg)
{
    size_t n = 0, *idx = malloc((t->nrows + 1) * sizeof(*idx));
    table_t *out = table_new();
    for (size_t i = 0; i < t->nrows; i++)
        if (pick(t, i, arg))
            idx[n++] = i;
    for (size_t j = skip_key ? 1 : 0; j < t->ncols; j++) {
        const column_t *c = t->cols[j];
        column_t *d = col_new(c->name, c->type, n);
        for (size_t r = 0; r < n; r++) {
            size_t i = idx[r];
            switch (c->type) {
            case FT_FLOAT: /* the store keeps -0.0 as 0.0 */
                d->f64[r] = c->f64[i] == 0.0 ? 0.0 : c->f64[i];
                break;
            case FT_BOOL:
                d->u8[r] = c->u8[i];
                break;
            case FT_STRING:
            case FT_CATEGORY: {
                str_t s = col_str(c, i);
                if (c->type == FT_STRING)
                    col_str_append(d, r, s.p, s.n);
                else
                    d->code[r] = dict_intern(d->dict, s.p, s.n);
                break;
            }
            default:
                d->i64[r] = c->i64[i];
            }
            if (col_is_null(c, i) || (c->type == FT_FLOAT && isnan(c->f64[i])))
                col_set_null(d, r);
        }
        table_add(out, d, NULL);
    }
    out->nrows = n;
    free(idx);
    return out;
}

static int pick_key(const table_t *t, size_t i, const void *arg)
{
    return !col_is_null(t->cols[0], i) &&
           str_eq_cstr(col_str(t->cols[0], i), (const char *)arg);
}

static int pick_all(const table_t *t, size_t i, const void *arg)
{
    (void)t, (void)i, (void)arg;
    return 1;
}

/* Rows of a then rows of b (same columns). */
static table_t *concat(const table_t *a, const table_t *b)
{
    table_t *x = rows_where(a, 0, pick_all, NULL);
    table_t *y = rows_where(b, 0, pick_all, NULL);
    table_t *out = table_new();
    size_t n = x->nrows + y->nrows;
    for (size_t j = 0; j < x->ncols; j++) {
        const column_t *src[2] = {x->cols[j], y->cols[j]};
        column_t *d = col_new(src[0]->name, src[0]->type, n);
        size_t r = 0;
        for (int s = 0; s < 2; s++) {
            const column_t *c = src[s];
            for (size_t i = 0; i < c->n; i++, r++) {
                switch (c->type) {
                case FT_FLOAT:
                    d->f64[r] = c->f64[i];
                    break;
                case FT_BOOL:
                    d->u8[r] = c->u8[i];
                    break;
                case FT_STRING:
                    col_str_append(d, r, col_str(c, i).p, col_str(c, i).n);
                    break;
                case FT_CATEGORY:
                    d->code[r] = dict_intern(d->dict, col_str(c, i).p,
                                             col_str(c, i).n);
                    break;
                default:
                    d->i64[r] = c->i64[i];
                }
                if (col_is_null(c, i))
                    col_set_null(d, r);
            }
        }
        table_add(out, d, NULL);
    }
    table_free(x);
    table_free(y);
    return out;
}

static int build(const table_t *latest, const table_t *ev, const char *by,
                 const char *path, online_stats_t *st)
{
    online_history_in_t h = {ev, by};
    online_build_t *b;
    ferr_t e = {0};
    int rc = online_prepare_with_history(latest, "id", NULL, ev ? &h : NULL,
                                         path, st, &b, &e);
    if (rc == FERR_OK)
        rc = online_publish(b, &e);
    if (rc)
        print_message("build: %s\n", e.msg);
    return rc;
}


/* Format 4 packs a key's events in one blob.  For the checks below, which
 * read events with SQL as an independent reader would, flat(path) writes
 * them out one row per event as format 3 kept them (key, seq, the values
 * with dates as ISO text and NaN as NULL) into "<path>.flat.db": keys and
 * counts from the file's own history table, the events of each key
 * through online_history. */
static const char *flat(const char *path)
{
    static char out[400];
    sqlite3 *src, *dst;
    sqlite3_stmt *keys, *ins = NULL;
    online_t *o;
    ferr_t e = {0};
    const char **names;
    const ftype_t *types;
    size_t nh;
    char sql[2048];
    int at;

    snprintf(out, sizeof(out), "%s.flat.db", path);
    unlink(out);
    assert_int_equal(online_open(path, &o, &e), FERR_OK);
    nh = online_history_columns(o, &names, &types);
    assert_int_equal(sqlite3_open(out, &dst), SQLITE_OK);
    at = snprintf(sql, sizeof(sql), "CREATE TABLE history(key TEXT, seq "
                  "INTEGER");
    for (size_t j = 0; j < nh; j++)
        at += snprintf(sql + at, sizeof(sql) - (size_t)at, ", \"%s\"",
                       names[j]);
    snprintf(sql + at, sizeof(sql) - (size_t)at, ")");
    assert_int_equal(sqlite3_exec(dst, sql, NULL, NULL, NULL), SQLITE_OK);
    at = snprintf(sql, sizeof(sql), "INSERT INTO history VALUES (?, ?");
    for (size_t j = 0; j < nh; j++)
        at += snprintf(sql + at, sizeof(sql) - (size_t)at, ", ?");
    snprintf(sql + at, sizeof(sql) - (size_t)at, ")");
    assert_int_equal(sqlite3_prepare_v2(dst, sql, -1, &ins, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(src, "SELECT key, n FROM history "
                                        "ORDER BY key", -1, &keys, NULL),
                     SQLITE_OK);
    sqlite3_exec(dst, "BEGIN", NULL, NULL, NULL);
    while (sqlite3_step(keys) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(keys, 0);
        table_t *t = NULL;
        assert_int_equal(online_history(o, k, &t, &e), FERR_OK);
        assert_int_equal((long)t->nrows, (long)sqlite3_column_int64(keys, 1));
        for (size_t i = 0; i < t->nrows; i++) {
            sqlite3_bind_text(ins, 1, k, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(ins, 2, (sqlite3_int64)i);
            for (size_t j = 0; j < nh; j++) {
                const column_t *c = t->cols[j];
                char d[64];
                int x = (int)j + 3;
                if (col_is_null(c, i)) {
                    sqlite3_bind_null(ins, x);
                    continue;
                }
                switch (c->type) {
                case FT_FLOAT: sqlite3_bind_double(ins, x, c->f64[i]); break;
                case FT_BOOL: sqlite3_bind_int(ins, x, c->u8[i]); break;
                case FT_STRING: case FT_CATEGORY:
                    sqlite3_bind_text(ins, x, col_str(c, i).p,
                                      (int)col_str(c, i).n, SQLITE_TRANSIENT);
                    break;
                case FT_DATE:
                    format_date(c->i64[i], d, sizeof(d));
                    sqlite3_bind_text(ins, x, d, -1, SQLITE_TRANSIENT);
                    break;
                case FT_DATETIME:
                    format_datetime(c->i64[i], d, sizeof(d));
                    sqlite3_bind_text(ins, x, d, -1, SQLITE_TRANSIENT);
                    break;
                default: sqlite3_bind_int64(ins, x, c->i64[i]); break;
                }
            }
            assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
            sqlite3_reset(ins);
        }
        table_free(t);
    }
    sqlite3_exec(dst, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize(keys);
    sqlite3_finalize(ins);
    sqlite3_close(src);
    sqlite3_close(dst);
    online_close(o);
    return out;
}

/* One text value from the file, by an independent SQLite connection. */
static char *sql_text(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char *v = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static long sql_long(const char *path, const char *sql)
{
    char *v = sql_text(path, sql);
    long x = v ? strtol(v, NULL, 10) : -1;
    free(v);
    return x;
}

static void slurp(const char *path, char **p, size_t *n)
{
    ferr_t e = {0};
    if (file_read_all(path, 0, p, n, &e))
        fail_msg("%s", e.msg);
}

static int temps_left(const char *base)
{
    DIR *d = opendir(tmpdir);
    struct dirent *de;
    int n = 0;
    char pre[300];
    snprintf(pre, sizeof(pre), "%s.tmp.", base);
    while ((de = readdir(d)) != NULL)
        n += strncmp(de->d_name, pre, strlen(pre)) == 0;
    closedir(d);
    return n;
}

static int verify_ok(const char *path)
{
    online_t *o;
    ferr_t e = {0};
    int rc = online_open(path, &o, &e);
    if (rc == FERR_OK) {
        rc = online_verify(o, &e);
        online_close(o);
    }
    if (rc)
        print_message("verify: %s\n", e.msg);
    return rc == FERR_OK;
}

/* Every history row as SQLite itself reads it (dates through julianday
 * and strftime, not ferry's parser) against the events in (key, table
 * order); keys "5000000".."50000NN" sort as text in number order. */
static void sql_matches_events(const char *path, const table_t *ev,
                               size_t nkeys)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    const column_t *kc = ev->cols[0], *ci = table_find(ev, "i"),
                   *cf = table_find(ev, "f"), *cb = table_find(ev, "b"),
                   *cs = table_find(ev, "s"), *cc = table_find(ev, "c"),
                   *cd = table_find(ev, "d"), *ct = table_find(ev, "t");
    char key[32];
    size_t rows = 0;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
        "SELECT key, seq, i, f, b, s, c, "
        "CAST(round(julianday(d) - 2440587.5) AS INTEGER), "
        "CAST(strftime('%s', t) AS INTEGER), typeof(d), typeof(t) "
        "FROM history ORDER BY key, seq", -1, &st, NULL), SQLITE_OK);
    for (size_t k = 0; k < nkeys; k++) {
        long seq = 0;
        keyname(k, key, sizeof(key));
        for (size_t i = 0; i < ev->nrows; i++) {
            if (col_is_null(kc, i) || !str_eq_cstr(col_str(kc, i), key))
                continue;
            assert_int_equal(sqlite3_step(st), SQLITE_ROW);
            rows++;
            assert_string_equal((const char *)sqlite3_column_text(st, 0), key);
            assert_int_equal(sqlite3_column_int64(st, 1), seq++);
#define NULLCHK(c, j) \
    assert_int_equal(col_is_null(c, i), sqlite3_column_type(st, j) == SQLITE_NULL)
            NULLCHK(ci, 2);
            NULLCHK(cb, 4);
            NULLCHK(cs, 5);
            NULLCHK(cc, 6);
            NULLCHK(cd, 7);
            NULLCHK(ct, 8);
#undef NULLCHK
            if (!col_is_null(ci, i))
                assert_true(sqlite3_column_int64(st, 2) == ci->i64[i]);
            if (col_is_null(cf, i) || isnan(cf->f64[i]))
                assert_int_equal(sqlite3_column_type(st, 3), SQLITE_NULL);
            else
                assert_true(sqlite3_column_double(st, 3) == cf->f64[i]);
            if (!col_is_null(cb, i))
                assert_int_equal(sqlite3_column_int(st, 4), cb->u8[i]);
            if (!col_is_null(cs, i)) {
                str_t x = col_str(cs, i);
                assert_int_equal(sqlite3_column_bytes(st, 5), x.n);
                assert_memory_equal(sqlite3_column_blob(st, 5), x.p, x.n);
            }
            if (!col_is_null(cc, i)) {
                str_t x = col_str(cc, i);
                assert_int_equal(sqlite3_column_bytes(st, 6), x.n);
            }
            if (!col_is_null(cd, i))
                assert_true(sqlite3_column_int64(st, 7) == cd->i64[i]);
            if (!col_is_null(ct, i))
                assert_true(sqlite3_column_int64(st, 8) == ct->i64[i]);
        }
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    assert_true(rows > 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* -------------------------------------------------------------- tests */

static void test_round_trip(void **state)
{
    const size_t n = 3000, nkeys = 70;
    table_t *ev = hist_events(n, nkeys, 11), *lt = latest_rows(nkeys + 5, 0.5);
    char path[300], key[32], why[200];
    online_stats_t st;
    online_t *o;
    ferr_t e = {0};
    size_t total = 0;
    (void)state;

    path_in(path, sizeof(path), "rt.db");
    assert_int_equal(build(lt, ev, "id", path, &st), FERR_OK);
    assert_false(st.unchanged);
    assert_int_equal(online_open(path, &o, &e), FERR_OK);
    assert_true(online_has_history(o));
    assert_string_equal(online_history_by(o), "id");
    const char **names;
    const ftype_t *types;
    assert_int_equal(online_history_columns(o, &names, &types), 7);
    for (size_t j = 0; j < 7; j++) {
        assert_string_equal(names[j], ev->cols[j + 1]->name);
        assert_int_equal(types[j], ev->cols[j + 1]->type);
    }
    for (size_t k = 0; k < nkeys + 3; k++) {
        table_t *got = NULL, *want;
        keyname(k, key, sizeof(key));
        if (online_history(o, key, &got, &e))
            fail_msg("history %s: %s", key, e.msg);
        want = rows_where(ev, 1, pick_key, key);
        if (!tu_table_eq(want, got, why, sizeof(why)))
            fail_msg("key %s: %s", key, why);
        if (k >= nkeys)
            assert_int_equal(got->nrows, 0);
        total += got->nrows;
        table_free(want);
        table_free(got);
    }
    assert_int_equal(total, n - n / 41);
    assert_int_equal(st.events, total);
    assert_int_equal(online_verify(o, &e), FERR_OK);
    online_close(o);

    /* What an independent reader sees: the format, the meta entry, seq
     * 0.. per key, dates as ISO text, NaN as NULL. */
    char *fmt = sql_text(path, "SELECT value FROM meta WHERE key='format'");
    assert_string_equal(fmt, "ferry-online-4");
    free(fmt);
    char *hj = sql_text(path, "SELECT value FROM meta WHERE key='history'");
    assert_non_null(strstr(hj, "{\"by\":\"id\",\"columns\":[{\"name\":\"i\","
                               "\"type\":\"int\"},{\"name\":\"f\""));
    assert_non_null(strstr(hj, "{\"name\":\"d\",\"type\":\"date\"}"));
    char want_ev[40];
    snprintf(want_ev, sizeof(want_ev), "\"events\":%zu}", total);
    assert_non_null(strstr(hj, want_ev));
    free(hj);
    assert_int_equal(sql_long(flat(path), "SELECT count(*) FROM history"), (long)total);
    assert_int_equal(sql_long(flat(path), "SELECT count(*) FROM (SELECT key, "
                                    "max(seq) m, count(*) c FROM history "
                                    "GROUP BY key) WHERE m <> c - 1"), 0);
    assert_int_equal(sql_long(flat(path), "SELECT count(*) FROM history WHERE "
                                    "typeof(d) NOT IN ('text', 'null') OR "
                                    "typeof(t) NOT IN ('text', 'null') OR "
                                    "typeof(f) NOT IN ('real', 'null')"), 0);
    sql_matches_events(flat(path), ev, nkeys);

    /* The same content again is a no-op; another history is not. */
    assert_int_equal(build(lt, ev, "id", path, &st), FERR_OK);
    assert_true(st.unchanged);
    table_t *ev2 = hist_events(n, nkeys, 12);
    assert_int_equal(build(lt, ev2, "id", path, &st), FERR_OK);
    assert_false(st.unchanged);
    /* by NULL (one series) is part of the content too */
    assert_int_equal(build(lt, ev2, NULL, path, &st), FERR_OK);
    assert_false(st.unchanged);
    assert_int_equal(online_open(path, &o, &e), FERR_OK);
    assert_null(online_history_by(o));
    online_close(o);
    table_free(ev2);
    table_free(ev);
    table_free(lt);
}

/* Keys given grouped or interleaved give the same store. */
static void test_interleaved_equals_grouped(void **state)
{
    table_t *ev = table_new(), *ev2 = table_new(), *lt = latest_rows(3, 1);
    column_t *k = col_new("k", FT_STRING, 6), *x = col_new("x", FT_INT, 6);
    column_t *k2 = col_new("k", FT_STRING, 6), *x2 = col_new("x", FT_INT, 6);
    const char *ki[] = {"b", "a", "b", "a", "c", "b"};
    const int xi[] = {1, 2, 3, 4, 5, 6};
    const char *kg[] = {"a", "a", "b", "b", "b", "c"};
    const int xg[] = {2, 4, 1, 3, 6, 5};
    char p1[300], p2[300];
    online_stats_t s1, s2;
    (void)state;
    for (int i = 0; i < 6; i++) {
        col_str_append(k, (size_t)i, ki[i], 1);
        x->i64[i] = xi[i];
        col_str_append(k2, (size_t)i, kg[i], 1);
        x2->i64[i] = xg[i];
    }
    table_add(ev, k, NULL);
    table_add(ev, x, NULL);
    table_add(ev2, k2, NULL);
    table_add(ev2, x2, NULL);
    path_in(p1, sizeof(p1), "il1.db");
    path_in(p2, sizeof(p2), "il2.db");
    assert_int_equal(build(lt, ev, "id", p1, &s1), FERR_OK);
    assert_int_equal(build(lt, ev2, "id", p2, &s2), FERR_OK);
    assert_true(s1.content_hash == s2.content_hash);
    assert_int_equal(sql_long(flat(p1), "SELECT group_concat(x) FROM (SELECT x "
                                  "FROM history WHERE key='b' ORDER BY seq)"),
                     1); /* "1,3,6" parses as 1 */
    char *v = sql_text(flat(p1), "SELECT group_concat(key||seq||':'||x, ' ') FROM "
                           "(SELECT * FROM history ORDER BY key, seq)");
    assert_string_equal(v, "a0:2 a1:4 b0:1 b1:3 b2:6 c0:5");
    free(v);
    table_free(ev);
    table_free(ev2);
    table_free(lt);
}

/* A store without history (format 2, as every earlier ferry wrote) opens
 * and says so; its hash and layout are what format 2 always had. */
static void test_no_history(void **state)
{
    table_t *lt = latest_rows(10, 2);
    char path[300];
    online_t *o;
    table_t *h = (table_t *)1;
    ferr_t e = {0};
    online_stats_t st;
    (void)state;
    path_in(path, sizeof(path), "nohist.db");
    assert_int_equal(online_materialize(lt, "id", NULL, path, &st, &e), FERR_OK);
    assert_int_equal(st.events, 0);
    /* the hash the code before issue 11 wrote for this table (8d2f681): a
     * store it built is still "this content", kept and not rebuilt */
    assert_true(st.content_hash == 0xb4df61885b994182ULL);
    char *fmt = sql_text(path, "SELECT value FROM meta WHERE key='format'");
    assert_string_equal(fmt, "ferry-online-2");
    free(fmt);
    assert_int_equal(sql_long(path, "SELECT count(*) FROM sqlite_master WHERE "
                                    "name IN ('history') OR (name='meta' AND "
                                    "0)"), 0);
    assert_int_equal(online_open(path, &o, &e), FERR_OK);
    assert_false(online_has_history(o));
    assert_null(online_history_by(o));
    assert_int_equal(online_history_columns(o, NULL, NULL), 0);
    assert_int_equal(online_history(o, "5000001", &h, &e), FERR_NOTFOUND);
    assert_null(h);
    assert_non_null(strstr(e.msg, "no history"));
    assert_int_equal(online_verify(o, &e), FERR_OK);
    online_close(o);
    /* online_prepare (hist NULL) is exactly the same store */
    assert_int_equal(build(lt, NULL, NULL, path, &st), FERR_OK);
    assert_true(st.unchanged);

    /* A format a future ferry wrote is refused by name. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value='ferry-online-9' "
                                      "WHERE key='format'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(online_open(path, &o, &e), FERR_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "ferry-online-9"));
    table_free(lt);
}

/* Refused inputs name the problem. */
static void test_build_refusals(void **state)
{
    table_t *lt = latest_rows(3, 1), *ev = table_new();
    column_t *k = col_new("k", FT_INT, 2), *seq = col_new("Seq", FT_INT, 2);
    online_history_in_t h = {ev, NULL};
    online_build_t *b;
    ferr_t e = {0};
    char path[300];
    (void)state;
    path_in(path, sizeof(path), "refuse.db");
    table_add(ev, k, NULL);
    table_add(ev, seq, NULL);
    assert_int_equal(online_prepare_with_history(lt, "id", NULL, &h, path, NULL,
                                                 &b, &e), FERR_TYPE);
    assert_non_null(strstr(e.msg, "'k' is int"));
    column_t *ks = col_new("k", FT_STRING, 2);
    col_str_append(ks, 0, "a", 1);
    col_str_append(ks, 1, "a", 1);
    col_free(table_take(ev, "k"));
    table_take(ev, "Seq");
    table_free(ev);
    ev = table_new();
    table_add(ev, ks, NULL);
    table_add(ev, seq, NULL);
    h.events = ev;
    assert_int_equal(online_prepare_with_history(lt, "id", NULL, &h, path, NULL,
                                                 &b, &e), FERR_USAGE);
    assert_non_null(strstr(e.msg, "'Seq'"));
    assert_int_equal(access(path, F_OK), -1);
    table_free(ev);
    table_free(lt);
}

/* ---------------------------------------------------------------- push */

/* events of two columns: k (STRING), when (DATE), amount (FLOAT) */
static table_t *loan_events(size_t n, const char *const *keys,
                            const int *days, const double *amounts)
{
    table_t *t = table_new();
    column_t *k = col_new("k", FT_STRING, n), *w = col_new("when", FT_DATE, n);
    column_t *a = col_new("amount", FT_FLOAT, n);
    for (size_t i = 0; i < n; i++) {
        col_str_append(k, i, keys[i], strlen(keys[i]));
        w->i64[i] = days[i];
        a->f64[i] = amounts[i];
        if (isnan(amounts[i]))
            col_set_null(a, i);
    }
    table_add(t, k, NULL);
    table_add(t, w, NULL);
    table_add(t, a, NULL);
    return t;
}

static char *meta_hash(const char *path)
{
    return sql_text(path, "SELECT value FROM meta WHERE key='content_hash'");
}

static void test_push(void **state)
{
    const char *k1[] = {"5000000", "5000001", "5000000", "5000001", "5000000"};
    const int d1[] = {100, 101, 102, 103, 104};
    const double a1[] = {10, 20, 30, NAN, 50};
    /* two new events of 5000000, one of a new key 5000009, a copy of a
     * stored event of 5000001 (skipped), and one event twice (both kept) */
    const char *k2[] = {"5000000", "5000009", "5000001", "5000000", "5000002",
                        "5000002"};
    const int d2[] = {105, 90, 103, 106, 107, 107};
    const double a2[] = {60, 70, NAN, -0.0, 5, 5};
    table_t *e1 = loan_events(5, k1, d1, a1), *e2 = loan_events(6, k2, d2, a2);
    table_t *l1 = latest_rows(3, 100), *l2 = latest_rows(10, 200);
    char path[300], fresh[300];
    online_stats_t st;
    online_t *o;
    ferr_t e = {0};
    size_t added = 99;
    struct stat s1, s2;
    (void)state;

    /* l2 replaces entity 5000000..5000002 and adds 5000003..5000009 */
    path_in(path, sizeof(path), "push.db");
    path_in(fresh, sizeof(fresh), "fresh.db");
    assert_int_equal(build(l1, e1, "id", path, &st), FERR_OK);
    assert_int_equal(online_push(path, e2, l2, &added, &e), FERR_OK);
    assert_int_equal(added, 5);
    assert_int_equal(temps_left("push.db"), 0);
    char *v = sql_text(flat(path), "SELECT group_concat(key||'/'||seq||'/'||"
                             "\"when\"||'/'||ifnull(amount, 'null'), ' ') FROM "
                             "(SELECT * FROM history ORDER BY key, seq)");
    assert_string_equal(v, "5000000/0/1970-04-11/10.0 5000000/1/1970-04-13/30.0 "
                           "5000000/2/1970-04-15/50.0 5000000/3/1970-04-16/60.0 "
                           "5000000/4/1970-04-17/0.0 5000001/0/1970-04-12/20.0 "
                           "5000001/1/1970-04-14/null 5000002/0/1970-04-18/5.0 "
                           "5000002/1/1970-04-18/5.0 5000009/0/1970-04-01/70.0");
    free(v);
    assert_int_equal(sql_long(path, "SELECT count(*) FROM features"), 10);
    assert_int_equal(sql_long(path, "SELECT v FROM features WHERE id=5000001"),
                     201);
    assert_int_equal(sql_long(path, "SELECT value FROM meta WHERE "
                                    "key='row_count'"), 10);
    char *hj = sql_text(path, "SELECT value FROM meta WHERE key='history'");
    assert_non_null(strstr(hj, "\"events\":10}"));
    free(hj);
    assert_int_equal(online_open(path, &o, &e), FERR_OK);
    assert_int_equal(online_verify(o, &e), FERR_OK);
    table_t *h;
    assert_int_equal(online_history(o, "5000009", &h, &e), FERR_OK);
    assert_int_equal(h->nrows, 1);
    assert_int_equal(table_find(h, "when")->i64[0], 90);
    table_free(h);
    online_close(o);

    /* The hash is a fresh build's over the same content: the union of the
     * events (e1 then what e2 added) and the latest rows (l1 replaced by
     * l2: a later row of an entity wins without a time column). */
    const char *k3[] = {"5000000", "5000009", "5000000", "5000002", "5000002"};
    const int d3[] = {105, 90, 106, 107, 107};
    const double a3[] = {60, 70, 0.0, 5, 5};
    table_t *e3 = loan_events(5, k3, d3, a3);
    table_t *eu = concat(e1, e3), *lu = concat(l1, l2);
    online_history_in_t hin = {eu, "id"};
    online_build_t *b;
    assert_int_equal(online_prepare_with_history(lu, "id", NULL, &hin, fresh,
                                                 &st, &b, &e), FERR_OK);
    assert_int_equal(online_publish(b, &e), FERR_OK);
    char *hp = meta_hash(path), *hf = meta_hash(fresh);
    assert_string_equal(hp, hf);
    char want[20];
    snprintf(want, sizeof(want), "%016llx", (unsigned long long)st.content_hash);
    assert_string_equal(hf, want);
    /* and building that content over the pushed store is a no-op */
    assert_int_equal(online_prepare_with_history(lu, "id", NULL, &hin, path,
                                                 &st, &b, &e), FERR_OK);
    assert_true(st.unchanged);
    assert_false(st.repaired);
    online_discard(b);

    /* Pushing the same file again adds nothing and keeps the file. */
    stat(path, &s1);
    assert_int_equal(online_push(path, e2, l2, &added, &e), FERR_OK);
    assert_int_equal(added, 0);
    stat(path, &s2);
    assert_int_equal(s1.st_ino, s2.st_ino);
    char *hp2 = meta_hash(path);
    assert_string_equal(hp, hp2);
    free(hp2);
    /* Only latest rows, or only events, or neither. */
    l2->cols[1]->f64[4] = 999.5;
    assert_int_equal(online_push(path, NULL, l2, &added, &e), FERR_OK);
    assert_int_equal(added, 0);
    assert_int_equal(sql_long(path, "SELECT v * 2 FROM features WHERE "
                                    "id=5000004"), 1999);
    assert_int_equal(online_push(path, NULL, NULL, &added, &e), FERR_OK);
    const char *k4[] = {"new"};
    const int d4[] = {1};
    const double a4[] = {1};
    table_t *e4 = loan_events(1, k4, d4, a4);
    assert_int_equal(online_push(path, e4, NULL, &added, &e), FERR_OK);
    assert_int_equal(added, 1);
    assert_int_equal(verify_ok(path), 1);
    free(hp);
    free(hf);
    table_free(e1);
    table_free(e2);
    table_free(e3);
    table_free(e4);
    table_free(eu);
    table_free(lu);
    table_free(l1);
    table_free(l2);
}

/* A refused push leaves the store byte-identical and no temporary. */
static void expect_refused(const char *path, const table_t *ev,
                           const table_t *lt, int code, const char *needle)
{
    char *before, *after;
    size_t nb, na, added = 7;
    ferr_t e = {0};
    slurp(path, &before, &nb);
    assert_int_equal(online_push(path, ev, lt, &added, &e), code);
    if (strstr(e.msg, needle) == NULL)
        fail_msg("'%s' lacks '%s'", e.msg, needle);
    assert_int_equal(added, 0);
    slurp(path, &after, &na);
    assert_int_equal(na, nb);
    assert_memory_equal(before, after, nb);
    assert_int_equal(temps_left("layout.db"), 0);
    free(before);
    free(after);
}

static void test_push_layouts(void **state)
{
    const char *k1[] = {"a", "b"};
    const int d1[] = {1, 2};
    const double a1[] = {1, 2};
    table_t *ev = loan_events(2, k1, d1, a1), *lt = latest_rows(2, 1);
    char path[300], path2[300];
    (void)state;
    path_in(path, sizeof(path), "layout.db");
    assert_int_equal(build(lt, ev, NULL, path, NULL), FERR_OK);

    /* a history column renamed, retyped, missing, or one too many */
    col_rename(ev->cols[2], "amt");
    expect_refused(path, ev, NULL, FERR_USAGE, "no column 'amount'");
    col_rename(ev->cols[2], "amount");
    ev->cols[1]->type = FT_INT;
    expect_refused(path, ev, NULL, FERR_USAGE,
                   "column 'when' is int; the store has it as date");
    ev->cols[1]->type = FT_DATE;
    column_t *extra = col_new("extra", FT_INT, 2);
    table_add(ev, extra, NULL);
    expect_refused(path, ev, NULL, FERR_USAGE, "column 'extra' is not in the "
                                               "store");
    col_free(table_take(ev, "extra"));
    column_t *w = table_take(ev, "when");
    expect_refused(path, ev, NULL, FERR_USAGE, "no column 'when'");
    table_add(ev, w, NULL); /* columns may come in any order */
    /* the key must come first, as text */
    table_t *ev2 = table_new();
    table_add(ev2, col_clone(ev->cols[1], NULL), NULL);
    table_add(ev2, col_clone(ev->cols[0], NULL), NULL);
    table_add(ev2, col_clone(ev->cols[2], NULL), NULL);
    expect_refused(path, ev2, NULL, FERR_USAGE, "first column must be the key");
    table_free(ev2);
    /* latest rows must have the features table's columns */
    col_rename(lt->cols[1], "w");
    expect_refused(path, NULL, lt, FERR_USAGE, "latest rows have no column 'v'");
    col_rename(lt->cols[1], "v");
    lt->cols[2]->type = FT_DATETIME;
    expect_refused(path, NULL, lt, FERR_USAGE, "column 'last' is datetime");
    lt->cols[2]->type = FT_DATE;
    /* an edited store is not pushed to */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE history SET events = "
                                      "zeroblob(length(events)) WHERE key = "
                                      "'b'", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect_refused(path, ev, lt, FERR_CORRUPT, "online store is corrupt");
    /* events into a store without history */
    path_in(path2, sizeof(path2), "layout2.db");
    assert_int_equal(build(lt, NULL, NULL, path2, NULL), FERR_OK);
    size_t added;
    ferr_t e = {0};
    assert_int_equal(online_push(path2, ev, NULL, &added, &e), FERR_USAGE);
    assert_non_null(strstr(e.msg, "no history"));
    assert_int_equal(online_push(path2, NULL, lt, &added, &e), FERR_OK);
    assert_int_equal(online_push("/nonexistent/x.db", NULL, lt, &added, &e),
                     FERR_IO);
    table_free(ev);
    table_free(lt);
}

/* A push killed before its rename (or failing there) leaves the old
 * store; the next push removes the temporary and succeeds. */
static void test_push_crash(void **state)
{
    const char *k1[] = {"a", "b"};
    const int d1[] = {1, 2};
    const double a1[] = {1, 2};
    const char *k2[] = {"a"};
    const int d2[] = {3};
    const double a2[] = {3};
    table_t *ev = loan_events(2, k1, d1, a1), *ev2 = loan_events(1, k2, d2, a2);
    table_t *lt = latest_rows(2, 1);
    char path[300], *before, *after;
    size_t nb, na, added;
    ferr_t e = {0};
    int status;
    (void)state;
    path_in(path, sizeof(path), "crash.db");
    assert_int_equal(build(lt, ev, NULL, path, NULL), FERR_OK);
    slurp(path, &before, &nb);
    static const char *const points[] = {"after-copy", "before-rename"};
    for (int p = 0; p < 2; p++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            char f[64];
            snprintf(f, sizeof(f), "push:%s", points[p]);
            setenv("FERRY_FAULT", f, 1);
            _exit(online_push(path, ev2, NULL, &added, NULL) ? 1 : 0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 86);
        slurp(path, &after, &na);
        assert_int_equal(na, nb);
        assert_memory_equal(before, after, nb);
        free(after);
        assert_int_equal(temps_left("crash.db"), 1);
        assert_int_equal(verify_ok(path), 1);

        char f[64];
        snprintf(f, sizeof(f), "push:%s:fail", points[p]);
        setenv("FERRY_FAULT", f, 1);
        assert_int_equal(online_push(path, ev2, NULL, &added, &e), FERR_IO);
        unsetenv("FERRY_FAULT");
        assert_non_null(strstr(e.msg, "injected"));
        assert_int_equal(temps_left("crash.db"), 0);
        slurp(path, &after, &na);
        assert_int_equal(na, nb);
        assert_memory_equal(before, after, nb);
        free(after);
    }
    assert_int_equal(online_push(path, ev2, NULL, &added, &e), FERR_OK);
    assert_int_equal(added, 1);
    assert_int_equal(temps_left("crash.db"), 0);
    assert_int_equal(verify_ok(path), 1);
    free(before);
    table_free(ev);
    table_free(ev2);
    table_free(lt);
}

/* A reader keeps its snapshot across a push until online_refresh, which
 * reloads the history too. */
static void test_push_refresh(void **state)
{
    const char *k1[] = {"a"};
    const int d1[] = {1};
    const double a1[] = {1};
    const char *k2[] = {"a"};
    const int d2[] = {2};
    const double a2[] = {2};
    table_t *ev = loan_events(1, k1, d1, a1), *ev2 = loan_events(1, k2, d2, a2);
    table_t *lt = latest_rows(1, 1), *h;
    char path[300];
    online_t *o;
    ferr_t e = {0};
    size_t added;
    bool changed;
    (void)state;
    path_in(path, sizeof(path), "refresh.db");
    assert_int_equal(build(lt, ev, "id", path, NULL), FERR_OK);
    assert_int_equal(online_open(path, &o, &e), FERR_OK);
    assert_int_equal(online_push(path, ev2, NULL, &added, &e), FERR_OK);
    assert_int_equal(online_history(o, "a", &h, &e), FERR_OK);
    assert_int_equal(h->nrows, 1);
    table_free(h);
    assert_int_equal(online_refresh(o, &changed, &e), FERR_OK);
    assert_true(changed);
    assert_int_equal(online_history(o, "a", &h, &e), FERR_OK);
    assert_int_equal(h->nrows, 2);
    assert_int_equal(table_find(h, "when")->i64[1], 2);
    table_free(h);
    /* many events of one key: the reader's table grows past its first
     * allocation */
    size_t n = 1000;
    const char **ks = malloc(n * sizeof(*ks));
    int *ds = malloc(n * sizeof(*ds));
    double *as = malloc(n * sizeof(*as));
    for (size_t i = 0; i < n; i++) {
        ks[i] = "a";
        ds[i] = 10 + (int)i;
        as[i] = i % 3 ? (double)i : NAN;
    }
    table_t *big = loan_events(n, ks, ds, as);
    assert_int_equal(online_push(path, big, NULL, &added, &e), FERR_OK);
    assert_int_equal(added, n);
    assert_int_equal(online_refresh(o, &changed, &e), FERR_OK);
    assert_int_equal(online_history(o, "a", &h, &e), FERR_OK);
    assert_int_equal(h->nrows, n + 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(h->cols[0]->i64[i + 2], 10 + (int)i);
        assert_int_equal(col_is_null(h->cols[1], i + 2), i % 3 == 0);
        if (i % 3)
            assert_true(h->cols[1]->f64[i + 2] == (double)i);
    }
    table_free(h);
    online_close(o);
    free(ks);
    free(ds);
    free(as);
    table_free(big);
    table_free(ev);
    table_free(ev2);
    table_free(lt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_interleaved_equals_grouped),
        cmocka_unit_test(test_no_history),
        cmocka_unit_test(test_build_refusals),
        cmocka_unit_test(test_push),
        cmocka_unit_test(test_push_layouts),
        cmocka_unit_test(test_push_crash),
        cmocka_unit_test(test_push_refresh),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

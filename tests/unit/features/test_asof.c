/*
 * test_asof.c - as-of joins against pandas merge_asof and SQLite.
 *
 * Random left and right tables with ties on the right, absent keys, null
 * keys and times; every combination of key/no key, tolerance and
 * allow_exact is checked against SQLite running asof_to_sql's SQLite and
 * Spark texts (SQLite accepts Spark's backquotes), and against pandas
 * merge_asof(by, tolerance, allow_exact_matches) through /usr/bin/python3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "features/asof.h"

static uint64_t rng_state = 7;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((rng_state >> 33) % n);
}

/* k: int key (0..nk), kc: category key, t: int time, v: float, s: category */
static table_t *make(size_t n, uint32_t nk, uint32_t tmax, bool nulls,
                     const char *prefix)
{
    char nm[32], kn[16];
    table_t *t = table_new();
    snprintf(nm, sizeof(nm), "%sk", prefix);
    column_t *k = col_new(nm, FT_INT, n);
    snprintf(nm, sizeof(nm), "%skc", prefix);
    column_t *kc = col_new(nm, FT_CATEGORY, n);
    snprintf(nm, sizeof(nm), "%st", prefix);
    column_t *tm = col_new(nm, FT_INT, n);
    snprintf(nm, sizeof(nm), "%sv", prefix);
    column_t *v = col_new(nm, FT_FLOAT, n);
    for (size_t i = 0; i < n; i++) {
        uint32_t key = rnd(nk);
        k->i64[i] = key;
        snprintf(kn, sizeof(kn), "k%u", key);
        kc->code[i] = dict_intern(kc->dict, kn, strlen(kn));
        tm->i64[i] = rnd(tmax);
        v->f64[i] = rnd(1000) / 8.0;
        if (nulls && rnd(20) == 0)
            col_set_null(k, i);
        if (nulls && rnd(20) == 0)
            col_set_null(tm, i);
        if (rnd(10) == 0)
            col_set_null(v, i);
    }
    assert_int_equal(table_add(t, k, NULL), 0);
    assert_int_equal(table_add(t, kc, NULL), 0);
    assert_int_equal(table_add(t, tm, NULL), 0);
    assert_int_equal(table_add(t, v, NULL), 0);
    return t;
}

static void load(sqlite3 *db, const char *name, const table_t *t)
{
    char sql[512];
    sqlite3_stmt *st;
    snprintf(sql, sizeof(sql), "CREATE TABLE %s(_row INTEGER, %s INTEGER, %s TEXT, "
             "%s INTEGER, %s REAL)", name, t->cols[0]->name, t->cols[1]->name,
             t->cols[2]->name, t->cols[3]->name);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (?,?,?,?,?)", name);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    for (size_t i = 0; i < t->nrows; i++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
        for (int c = 0; c < 4; c++) {
            const column_t *col = t->cols[c];
            if (col_is_null(col, i))
                sqlite3_bind_null(st, c + 2);
            else if (col->type == FT_FLOAT)
                sqlite3_bind_double(st, c + 2, col->f64[i]);
            else if (col->type == FT_CATEGORY) {
                str_t s = col_str(col, i);
                sqlite3_bind_text(st, c + 2, s.p, (int)s.n, SQLITE_TRANSIENT);
            } else
                sqlite3_bind_int64(st, c + 2, col->i64[i]);
        }
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

/* The right row index SQLite picks for every left row (-1: none). */
static void sqlite_match(sqlite3 *db, const asof_spec_t *s, sql_dialect_t d,
                         int64_t *out, size_t n)
{
    buf_t join = {0}, sel = {0}, q = {0};
    sqlite3_stmt *st;
    ferr_t e = {0};
    const char *cols[] = {"_row"};
    asof_spec_t s2 = *s;
    size_t i = 0;
    s2.columns = cols;
    s2.ncolumns = 1;
    s2.prefix = "m";
    assert_int_equal(asof_to_sql(&s2, d, "lt", "l", "rt", "a", NULL, 0, &join,
                                 &sel, &e), 0);
    buf_printf(&q, "SELECT %s FROM lt AS l %s ORDER BY l._row", sel.p, join.p);
    if (sqlite3_prepare_v2(db, q.p, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s\n%s", sqlite3_errmsg(db), q.p);
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(i < n);
        out[i++] = sqlite3_column_type(st, 0) == SQLITE_NULL
                       ? -1 : sqlite3_column_int64(st, 0);
    }
    assert_int_equal(i, n);
    sqlite3_finalize(st);
    buf_free(&join);
    buf_free(&sel);
    buf_free(&q);
}

static void test_random_vs_sqlite(void **state)
{
    (void)state;
    for (int round = 0; round < 4; round++) {
        table_t *l = make(300, 6, 100, true, "l");
        table_t *r = make(round == 3 ? 0 : 120, 5, 100, true, "r"); /* key k5 absent */
        sqlite3 *db;
        assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
        load(db, "lt", l);
        load(db, "rt", r);
        for (int key = 0; key < 3; key++)
            for (int tol = 0; tol < 3; tol++)
                for (int ex = 0; ex < 2; ex++) {
                    asof_spec_t s = ASOF_SPEC_INIT;
                    int64_t got[300], want[300];
                    ferr_t e = {0};
                    s.left_time = "lt";
                    s.right_time = "rt";
                    s.left_key = key == 1 ? "lk" : key == 2 ? "lkc" : NULL;
                    s.right_key = key == 1 ? "rk" : key == 2 ? "rkc" : NULL;
                    s.tolerance = tol == 0 ? 0 : tol == 1 ? 3 : 10;
                    s.allow_exact = ex;
                    s.time_type = FT_INT;
                    if (asof_match(l, r, &s, got, &e) != 0)
                        fail_msg("%s", ferr_msg(&e));
                    for (int d = 0; d < 2; d++) {
                        sqlite_match(db, &s, d ? SQL_SPARK : SQL_SQLITE, want, 300);
                        for (size_t i = 0; i < 300; i++)
                            if (got[i] != want[i])
                                fail_msg("round %d key %d tol %ld exact %d dialect %d "
                                         "row %zu: sqlite %ld ferry %ld", round, key,
                                         (long)s.tolerance, ex, d, i, (long)want[i],
                                         (long)got[i]);
                    }
                }
        sqlite3_close(db);
        table_free(l);
        table_free(r);
    }
}

/* Exact expectations on a tiny table: ties, tolerance edge, absent key. */
static void test_small_exact(void **state)
{
    table_t *l = table_new(), *r = table_new();
    column_t *lk = col_new("id", FT_STRING, 5), *lt = col_new("month", FT_DATE, 5);
    column_t *rk = col_new("id", FT_CATEGORY, 4), *rt = col_new("month", FT_DATE, 4);
    column_t *rv = col_new("rate", FT_FLOAT, 4), *rs = col_new("note", FT_STRING, 4);
    ferr_t e = {0};
    (void)state;
    const char *lks[] = {"a", "a", "b", "z", "a"};
    int64_t lts[] = {10, 20, 10, 10, 9};
    const char *rks[] = {"a", "a", "a", "b"};
    int64_t rts[] = {5, 5, 15, 10};
    const char *notes[] = {"first", "second", "third", "bee"};
    for (size_t i = 0; i < 5; i++) {
        col_str_append(lk, i, lks[i], 1);
        lt->i64[i] = lts[i];
    }
    for (size_t i = 0; i < 4; i++) {
        rk->code[i] = dict_intern(rk->dict, rks[i], 1);
        rt->i64[i] = rts[i];
        rv->f64[i] = (double)i + 0.5;
        col_str_append(rs, i, notes[i], strlen(notes[i]));
    }
    assert_int_equal(table_add(l, lk, NULL), 0);
    assert_int_equal(table_add(l, lt, NULL), 0);
    table_add(r, rk, NULL);
    table_add(r, rt, NULL);
    table_add(r, rv, NULL);
    table_add(r, rs, NULL);

    asof_spec_t s = ASOF_SPEC_INIT;
    s.left_time = "month";
    s.left_key = "id";
    s.prefix = "m_";
    s.tolerance = 5;
    assert_int_equal(asof_join(l, r, &s, &e), 0);
    column_t *note = table_find(l, "m_note"), *rate = table_find(l, "m_rate");
    assert_non_null(note);
    assert_null(table_find(l, "m_month")); /* key and time not attached */
    /* row 0: a@10 -> ties at 5: the later file row "second" (10-5 = 5 = tol) */
    assert_true(str_eq_cstr(col_str(note, 0), "second"));
    assert_true(rate->f64[0] == 1.5);
    /* row 1: a@20 -> "third"@15 */
    assert_true(str_eq_cstr(col_str(note, 1), "third"));
    /* row 2: b@10 exact match */
    assert_true(str_eq_cstr(col_str(note, 2), "bee"));
    /* row 3: key z absent on the right */
    assert_true(col_is_null(note, 3));
    assert_true(col_is_null(rate, 3));
    /* row 4: a@9 -> 5 is 4 old, within tolerance */
    assert_true(str_eq_cstr(col_str(note, 4), "second"));

    /* tolerance one shorter: row 0 (5 old) no longer matches */
    int64_t m[5];
    s.tolerance = 4;
    assert_int_equal(asof_match(l, r, &s, m, &e), 0);
    assert_int_equal(m[0], -1);
    assert_int_equal(m[4], 1);
    /* strictly before: b@10 no longer matches b@10 */
    s.tolerance = 0;
    s.allow_exact = false;
    assert_int_equal(asof_match(l, r, &s, m, &e), 0);
    assert_int_equal(m[2], -1);
    assert_int_equal(m[1], 2);

    /* names collide without a prefix; left unchanged on error */
    size_t before = l->ncols;
    asof_spec_t s2 = ASOF_SPEC_INIT;
    const char *cols[] = {"rate", "id"};
    s2.left_time = "month";
    s2.left_key = "id";
    s2.columns = cols;
    s2.ncolumns = 2;
    s2.prefix = "m_";
    assert_int_equal(asof_join(l, r, &s2, &e), FERR_EXISTS);
    assert_int_equal(l->ncols, before);
    cols[1] = "nope";
    s2.prefix = "x_";
    assert_int_equal(asof_join(l, r, &s2, &e), FERR_NOTFOUND);
    cols[1] = "note";
    s2.left_key = "month";
    s2.right_key = "rate";
    assert_int_equal(asof_join(l, r, &s2, &e), FERR_TYPE);
    s2.left_key = NULL;
    s2.right_key = NULL;
    s2.right_time = "note";
    assert_int_equal(asof_join(l, r, &s2, &e), FERR_TYPE);
    assert_int_equal(l->ncols, before);
    table_free(l);
    table_free(r);
}

static void write_csv(const table_t *t, const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s,%s,%s,_row\n", t->cols[0]->name, t->cols[2]->name,
            t->cols[3]->name);
    for (size_t i = 0; i < t->nrows; i++)
        fprintf(f, "%ld,%ld,%.17g,%zu\n", (long)t->cols[0]->i64[i],
                (long)t->cols[2]->i64[i], t->cols[3]->f64[i], i);
    fclose(f);
}

/* pandas merge_asof: no nulls in keys or times (pandas refuses them). */
static void test_vs_pandas(void **state)
{
    char dir[] = "/tmp/ferry_asof_XXXXXX", lp[128], rp[128], op[128], cmd[2048];
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(lp, sizeof(lp), "%s/l.csv", dir);
    snprintf(rp, sizeof(rp), "%s/r.csv", dir);
    snprintf(op, sizeof(op), "%s/o.txt", dir);
    table_t *l = make(2000, 30, 500, false, "l"), *r = make(800, 25, 500, false, "r");
    write_csv(l, lp);
    write_csv(r, rp);
    /* one python run covers the cases: key x tolerance x exact */
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c \""
             "import pandas as pd\n"
             "l = pd.read_csv('%s'); r = pd.read_csv('%s')\n"
             "l = l.sort_values('lt', kind='mergesort'); r = r.sort_values('rt', kind='mergesort')\n"
             "r = r.rename(columns={'_row': 'rrow'})\n"
             "out = []\n"
             "for key in (0, 1):\n"
             "  for tol in (None, 7):\n"
             "    for ex in (True, False):\n"
             "      kw = dict(left_by='lk', right_by='rk') if key else {}\n"
             "      m = pd.merge_asof(l, r, left_on='lt', right_on='rt', tolerance=tol, allow_exact_matches=ex, **kw)\n"
             "      m = m.sort_values('_row')\n"
             "      out.append(' '.join(str(int(x)) if x == x else '-1' for x in m['rrow']))\n"
             "open('%s', 'w').write(chr(10).join(out) + chr(10))\n"
             "\"", lp, rp, op);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(op, "r");
    assert_non_null(f);
    for (int key = 0; key < 2; key++)
        for (int tol = 0; tol < 2; tol++)
            for (int ex = 1; ex >= 0; ex--) {
                asof_spec_t s = ASOF_SPEC_INIT;
                int64_t got[2000];
                ferr_t e = {0};
                s.left_time = "lt";
                s.right_time = "rt";
                s.left_key = key ? "lk" : NULL;
                s.right_key = key ? "rk" : NULL;
                s.tolerance = tol ? 7 : 0;
                s.allow_exact = ex;
                assert_int_equal(asof_match(l, r, &s, got, &e), 0);
                size_t matched = 0;
                for (size_t i = 0; i < 2000; i++) {
                    long want;
                    assert_int_equal(fscanf(f, "%ld", &want), 1);
                    if (want != got[i])
                        fail_msg("key %d tol %d exact %d row %zu: pandas %ld ferry %ld",
                                 key, tol, ex, i, want, (long)got[i]);
                    matched += got[i] >= 0;
                }
                assert_true(matched > 100 && matched < 2000); /* both kinds occur */
            }
    fclose(f);
    table_free(l);
    table_free(r);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_sql_text(void **state)
{
    asof_spec_t s = ASOF_SPEC_INIT;
    buf_t j = {0}, sel = {0};
    ferr_t e = {0};
    const char *rc[] = {"month", "id", "cpi", "_row", "rate"};
    (void)state;
    s.left_time = "month";
    s.left_key = "id";
    s.tolerance = 31;
    s.time_type = FT_DATE;
    s.prefix = "macro_";
    assert_int_equal(asof_to_sql(&s, SQL_POSTGRES, "target", "t", "macro", "m",
                                 rc, 5, &j, &sel, &e), 0);
    assert_string_equal(sel.p, "\"m\".\"cpi\" AS \"macro_cpi\", \"m\".\"rate\" AS "
                               "\"macro_rate\"");
    assert_non_null(strstr(j.p, "(\"t\".\"month\" - DATE '1970-01-01') - "
                                "(\"m_r\".\"month\" - DATE '1970-01-01') <= 31"));
    assert_non_null(strstr(j.p, "LIMIT 1"));
    buf_free(&j);
    buf_free(&sel);
    assert_int_equal(asof_to_sql(&s, SQL_SQLITE, "target", "t", "macro", "m",
                                 NULL, 0, &j, &sel, &e), FERR_SPEC);
    buf_free(&j);
    buf_free(&sel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_exact),
        cmocka_unit_test(test_sql_text),
        cmocka_unit_test(test_random_vs_sqlite),
        cmocka_unit_test(test_vs_pandas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

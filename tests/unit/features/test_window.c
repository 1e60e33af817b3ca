/*
 * test_window.c - point-in-time windows against independent references.
 *
 * Three references, none sharing code with window.c's fast path:
 *   - a brute-force O(n^2) evaluation written straight from the definition
 *     in window.h (every agg x frame x include_current on random data with
 *     ties, gaps, nulls, null times and one-event entities);
 *   - SQLite, in process: hand-written standard window SQL for the core
 *     case, and the SQL that win_to_sql generates for every spec;
 *   - pandas (via /usr/bin/python3) on a loan log from ferry's generator
 *     (gen_loans.h): number and mean amount of each customer's previous loans.
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
#include <unistd.h>

#include "base/mem.h"
#include "cli/gen_loans.h"
#include "features/window.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng_state = 42;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((rng_state >> 33) % n);
}

/* Hinnant's civil_from_days, kept here so the test does not depend on the
 * code under test (or on parse.c). */
static void t_civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

static int64_t t_days(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool num_close(double a, double b)
{
    double m = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) <= 1e-9 * m;
}

/* ---- brute force from the definition ------------------------------------- */

/* Value of row j in the reference: false when null/NaN. */
static bool ref_val(const column_t *v, size_t j, double *x)
{
    if (col_is_null(v, j))
        return false;
    *x = col_num(v, j);
    if (v->type == FT_CATEGORY || v->type == FT_STRING)
        *x = (double)j; /* only count/last/lag use these */
    return !isnan(*x);
}

static bool ref_same_entity(const column_t *ec, size_t a, size_t b)
{
    if (ec == NULL)
        return true;
    if (col_is_null(ec, a) || col_is_null(ec, b))
        return a == b; /* a null entity is its row's own, never pooled */
    return ec->i64[a] == ec->i64[b];
}

/* true if row j comes before row i in (time, row) order */
static bool ref_before(const column_t *tc, size_t j, size_t i)
{
    return tc->i64[j] < tc->i64[i] || (tc->i64[j] == tc->i64[i] && j < i);
}

/* Expected result of w at row i: *isnull, and value as double; for
 * selection aggs *src is the source row (or -1). */
static void ref_eval(const table_t *t, const win_spec_t *w, size_t i,
                     bool *isnull, double *out, long *src)
{
    const column_t *tc = table_find(t, w->time);
    const column_t *ec = w->entity ? table_find(t, w->entity) : NULL;
    const column_t *v = w->value ? table_find(t, w->value) : NULL;
    size_t n = t->nrows;
    /* the entity's events before i in order, as a list sorted by order */
    size_t *prev = malloc((n + 1) * sizeof(*prev)), np = 0;
    *isnull = true;
    *out = 0;
    *src = -1;
    if (col_is_null(tc, i)) {
        free(prev);
        return;
    }
    for (size_t j = 0; j < n; j++)
        if (!col_is_null(tc, j) && ref_same_entity(ec, i, j) &&
            ref_before(tc, j, i))
            prev[np++] = j;
    /* insertion sort by (time, row) */
    for (size_t a = 1; a < np; a++)
        for (size_t b = a; b > 0 && ref_before(tc, prev[b], prev[b - 1]); b--) {
            size_t s = prev[b];
            prev[b] = prev[b - 1];
            prev[b - 1] = s;
        }
    if (w->agg == WIN_LAG) {
        int k = w->lag > 0 ? w->lag : 1;
        if ((int)np - k >= 0) {
            *src = (long)prev[np - (size_t)k];
            *isnull = false;
        }
        free(prev);
        return;
    }
    /* frame = chosen members of prev (+ i) */
    size_t *fr = malloc((n + 1) * sizeof(*fr)), nf = 0;
    for (size_t a = 0; a < np; a++) {
        size_t j = prev[a];
        bool in = true;
        if (w->frame == WIN_FRAME_ROWS)
            in = (int64_t)(np - a) <= (w->include_current ? w->rows - 1 : w->rows);
        else if (w->frame == WIN_FRAME_DURATION)
            in = tc->i64[j] >= tc->i64[i] - w->duration;
        if (in)
            fr[nf++] = j;
    }
    if (w->include_current)
        fr[nf++] = i;
    double s = 0, best = 0;
    long cnt = 0, bestrow = -1, lastrow = -1;
    double xs[4096];
    for (size_t a = 0; a < nf; a++) {
        double x;
        if (v == NULL) {
            cnt++;
            continue;
        }
        if (!ref_val(v, fr[a], &x))
            continue;
        xs[cnt++] = x;
        s += x;
        lastrow = (long)fr[a];
        if (bestrow < 0 || (w->agg == WIN_MIN ? x < best : x > best)) {
            best = x;
            bestrow = (long)fr[a];
        }
    }
    switch (w->agg) {
    case WIN_COUNT:
        *isnull = false;
        *out = (double)cnt;
        break;
    case WIN_SUM:
        *isnull = cnt == 0;
        *out = s;
        break;
    case WIN_MEAN:
        *isnull = cnt == 0;
        *out = cnt ? s / (double)cnt : 0;
        break;
    case WIN_STD:
        *isnull = cnt < 2;
        if (cnt >= 2) {
            double m = s / (double)cnt, q = 0;
            for (long a = 0; a < cnt; a++)
                q += (xs[a] - m) * (xs[a] - m);
            *out = sqrt(q / (double)(cnt - 1));
        }
        break;
    case WIN_MIN:
    case WIN_MAX:
        *src = bestrow;
        *isnull = bestrow < 0;
        break;
    case WIN_LAST:
        *src = lastrow;
        *isnull = lastrow < 0;
        break;
    default:
        break;
    }
    free(fr);
    free(prev);
}

/* ---- random event logs ---------------------------------------------------- */

/* Columns: e (int entity, a few nulls, many one-event entities), t (date
 * with ties and gaps, a few nulls), dt (datetime), x (float, nulls), xi
 * (int, nulls), xb (bool), xc (category), ti (int time). */
static bool make_sorted;
static table_t *random_table(size_t n, int nent)
{
    table_t *t = table_new();
    column_t *e = col_new("e", FT_INT, n), *tm = col_new("t", FT_DATE, n);
    column_t *dt = col_new("dt", FT_DATETIME, n), *x = col_new("x", FT_FLOAT, n);
    column_t *xi = col_new("xi", FT_INT, n), *xb = col_new("xb", FT_BOOL, n);
    column_t *xc = col_new("xc", FT_CATEGORY, n), *ti = col_new("ti", FT_INT, n);
    static const char *cats[] = {"a", "b", "c"};
    for (size_t i = 0; i < n; i++) {
        /* half the rows go to 3 busy entities, the rest spread thin */
        e->i64[i] = rnd(2) ? (int64_t)rnd(3) : (int64_t)rnd((uint32_t)nent) + 10;
        if (rnd(40) == 0)
            col_set_null(e, i);
        tm->i64[i] = 18000 + rnd(40) * rnd(3); /* ties and gaps */
        if (rnd(50) == 0)
            col_set_null(tm, i);
        dt->i64[i] = 1500000000 + (int64_t)rnd(200) * 3600;
        ti->i64[i] = rnd(30);
        x->f64[i] = (double)rnd(100000) / 97.0 - 300.0;
        if (rnd(6) == 0)
            col_set_null(x, i);
        xi->i64[i] = (int64_t)rnd(1000) - 500;
        if (rnd(5) == 0)
            col_set_null(xi, i);
        xb->u8[i] = (uint8_t)rnd(2);
        xc->code[i] = dict_intern(xc->dict, cats[rnd(3)], 1);
        if (rnd(7) == 0)
            col_set_null(xc, i);
    }
    if (make_sorted) {
        /* half the tables are event logs in time order, which takes
         * window.c's row-order fast path for `all` frames */
        for (size_t a = 1; a < n; a++)
            for (size_t b = a; b > 0 && tm->i64[b] < tm->i64[b - 1]; b--) {
                int64_t s = tm->i64[b];
                tm->i64[b] = tm->i64[b - 1];
                tm->i64[b - 1] = s;
            }
    }
    column_t *cols[] = {e, tm, dt, x, xi, xb, xc, ti};
    for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
        assert_int_equal(table_add(t, cols[k], NULL), FERR_OK);
    return t;
}

/* Compare a computed column against the reference at every row. */
static void check_against_ref(const table_t *t, const win_spec_t *w,
                              const column_t *got)
{
    const column_t *v = w->value ? table_find(t, w->value) : NULL;
    for (size_t i = 0; i < t->nrows; i++) {
        bool isnull;
        double want;
        long src;
        ref_eval(t, w, i, &isnull, &want, &src);
        if (src >= 0) { /* selection: compare with the source row's value */
            isnull = col_is_null(v, (size_t)src);
            if (v->type == FT_CATEGORY) {
                if (!isnull)
                    assert_int_equal(got->code[i], v->code[src]);
                want = 0;
            } else {
                want = col_num(v, (size_t)src);
            }
        }
        if (isnull != col_is_null(got, i))
            fail_msg("agg %s frame %s rows %ld dur %ld inc %d value %s entity %s "
                     "row %zu: null expected %d got %d",
                     win_agg_name(w->agg), win_frame_name(w->frame),
                     (long)w->rows, (long)w->duration, w->include_current,
                     w->value ? w->value : "-", w->entity ? w->entity : "-", i,
                     isnull, col_is_null(got, i));
        if (!isnull && got->type != FT_CATEGORY && !num_close(col_num(got, i), want))
            fail_msg("agg %s frame %s inc %d value %s row %zu: want %.17g got %.17g",
                     win_agg_name(w->agg), win_frame_name(w->frame),
                     w->include_current, w->value ? w->value : "-", i, want,
                     col_num(got, i));
    }
}

/* ---- SQLite ------------------------------------------------------------- */

static sqlite3 *load_sqlite(const table_t *t)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char buf[64];
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "CREATE TABLE src(_row INTEGER, e INTEGER, t TEXT, dt TEXT, x REAL, "
        "xi INTEGER, xb INTEGER, xc TEXT, ti INTEGER)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO src VALUES "
        "(?,?,?,?,?,?,?,?,?)", -1, &st, NULL), SQLITE_OK);
    for (size_t i = 0; i < t->nrows; i++) {
        int y, m, d;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
        for (int k = 0; k < 8; k++) {
            const column_t *c = t->cols[k];
            int pi = k + 2;
            if (col_is_null(c, i)) {
                sqlite3_bind_null(st, pi);
                continue;
            }
            switch (c->type) {
            case FT_DATE:
                t_civil(c->i64[i], &y, &m, &d);
                snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
                sqlite3_bind_text(st, pi, buf, -1, SQLITE_TRANSIENT);
                break;
            case FT_DATETIME: {
                int64_t s = c->i64[i], days = s / 86400, r = s % 86400;
                t_civil(days, &y, &m, &d);
                snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d", y, m,
                         d, (int)(r / 3600), (int)(r / 60 % 60), (int)(r % 60));
                sqlite3_bind_text(st, pi, buf, -1, SQLITE_TRANSIENT);
                break;
            }
            case FT_FLOAT:
                sqlite3_bind_double(st, pi, c->f64[i]);
                break;
            case FT_BOOL:
                sqlite3_bind_int64(st, pi, c->u8[i]);
                break;
            case FT_CATEGORY: {
                str_t s = col_str(c, i);
                sqlite3_bind_text(st, pi, s.p, (int)s.n, SQLITE_TRANSIENT);
                break;
            }
            default:
                sqlite3_bind_int64(st, pi, c->i64[i]);
                break;
            }
        }
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return db;
}

/* Run SELECT <expr> FROM src ORDER BY _row and compare with got. */
static void check_against_sql(sqlite3 *db, const char *expr, const column_t *got,
                              const char *what)
{
    buf_t q = {0};
    sqlite3_stmt *st;
    size_t i = 0;
    buf_printf(&q, "SELECT %s FROM src ORDER BY _row", expr);
    if (sqlite3_prepare_v2(db, q.p, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s\n%s", what, sqlite3_errmsg(db), q.p);
    while (sqlite3_step(st) == SQLITE_ROW) {
        bool snull = sqlite3_column_type(st, 0) == SQLITE_NULL;
        if (snull != col_is_null(got, i))
            fail_msg("%s row %zu: sqlite null %d, ferry null %d\n%s", what, i,
                     snull, col_is_null(got, i), q.p);
        if (!snull) {
            if (got->type == FT_CATEGORY || got->type == FT_STRING) {
                str_t s = col_str(got, i);
                const char *sv = (const char *)sqlite3_column_text(st, 0);
                if (!str_eq_cstr(s, sv))
                    fail_msg("%s row %zu: sqlite '%s' ferry '%.*s'", what, i, sv,
                             STR_FMT(s));
            } else if (got->type == FT_DATE) {
                int y, m, d;
                char b[32];
                t_civil(got->i64[i], &y, &m, &d);
                snprintf(b, sizeof(b), "%04d-%02d-%02d", y, m, d);
                assert_string_equal(b, (const char *)sqlite3_column_text(st, 0));
            } else if (!num_close(sqlite3_column_double(st, 0), col_num(got, i))) {
                fail_msg("%s row %zu: sqlite %.17g ferry %.17g\n%s", what, i,
                         sqlite3_column_double(st, 0), col_num(got, i), q.p);
            }
        }
        i++;
    }
    sqlite3_finalize(st);
    assert_int_equal(i, got->n);
    buf_free(&q);
}

/* ---- tests ---------------------------------------------------------------- */

typedef struct {
    const char *value;
    win_agg_t agg;
} vcase_t;

static const vcase_t vcases[] = {
    {NULL, WIN_COUNT}, {"x", WIN_COUNT},  {"xc", WIN_COUNT}, {"x", WIN_SUM},
    {"xi", WIN_SUM},   {"xb", WIN_SUM},   {"x", WIN_MEAN},   {"xi", WIN_MEAN},
    {"x", WIN_MIN},    {"xi", WIN_MAX},   {"t", WIN_MAX},    {"x", WIN_STD},
    {"xi", WIN_STD},   {"x", WIN_LAST},   {"xc", WIN_LAST},  {"xi", WIN_LAST},
    {"x", WIN_LAG},    {"xc", WIN_LAG},
};

typedef struct {
    win_frame_t frame;
    int64_t rows, duration;
} fcase_t;

static const fcase_t fcases[] = {
    {WIN_FRAME_ALL, 0, 0},       {WIN_FRAME_ROWS, 1, 0},
    {WIN_FRAME_ROWS, 3, 0},      {WIN_FRAME_DURATION, 0, 0},
    {WIN_FRAME_DURATION, 0, 7},  {WIN_FRAME_DURATION, 0, 30},
};

/* Every agg x frame x include_current x entity/no entity, against the brute
 * force and against SQLite running win_to_sql's text. */
static void test_random_all_specs(void **state)
{
    (void)state;
    for (int round = 0; round < 4; round++) {
        make_sorted = round % 2 == 1;
        table_t *t = random_table(round == 0 ? 60 : 150, round == 0 ? 5 : 20);
        sqlite3 *db = load_sqlite(t);
        for (size_t a = 0; a < sizeof(vcases) / sizeof(vcases[0]); a++)
            for (size_t f = 0; f < sizeof(fcases) / sizeof(fcases[0]); f++)
                for (int inc = 0; inc < 2; inc++)
                    for (int ent = 0; ent < 2; ent++) {
                        win_spec_t w = {
                            .agg = vcases[a].agg, .value = vcases[a].value,
                            .entity = ent ? "e" : NULL, .time = "t",
                            .frame = fcases[f].frame, .rows = fcases[f].rows,
                            .duration = fcases[f].duration,
                            .include_current = inc, .lag = (int)(f % 3) + 1,
                            .time_type = FT_DATE};
                        column_t *c;
                        ferr_t e = {0};
                        buf_t sql = {0};
                        if (w.value)
                            w.value_type = table_find(t, w.value)->type;
                        if (win_compute(t, &w, "out", &c, &e) != FERR_OK)
                            fail_msg("%s", ferr_msg(&e));
                        check_against_ref(t, &w, c);
                        assert_int_equal(win_to_sql(&w, SQL_SQLITE, &sql, &e), 0);
                        check_against_sql(db, sql.p, c, win_agg_name(w.agg));
                        buf_free(&sql);
                        col_free(c);
                    }
        sqlite3_close(db);
        table_free(t);
    }
}

/* DATETIME and INT time columns: duration in seconds / raw units. */
static void test_time_types(void **state)
{
    table_t *t = random_table(300, 20);
    sqlite3 *db = load_sqlite(t);
    (void)state;
    struct { const char *time; ftype_t tt; const char *dur; } tc[] = {
        {"dt", FT_DATETIME, "12h"}, {"dt", FT_DATETIME, "2d"},
        {"ti", FT_INT, "3"},        {"ti", FT_INT, "0"},
    };
    for (size_t k = 0; k < sizeof(tc) / sizeof(tc[0]); k++)
        for (int a = 0; a < 4; a++) {
            win_agg_t aggs[] = {WIN_COUNT, WIN_MEAN, WIN_STD, WIN_LAST};
            win_spec_t w = {.agg = aggs[a], .value = "x", .entity = "e",
                            .time = tc[k].time, .frame = WIN_FRAME_DURATION,
                            .time_type = tc[k].tt, .value_type = FT_FLOAT};
            column_t *c;
            ferr_t e = {0};
            buf_t sql = {0};
            assert_int_equal(win_parse_duration(tc[k].dur, tc[k].tt, &w.duration, &e), 0);
            assert_int_equal(win_compute(t, &w, "o", &c, &e), 0);
            check_against_ref(t, &w, c);
            assert_int_equal(win_to_sql(&w, SQL_SQLITE, &sql, &e), 0);
            check_against_sql(db, sql.p, c, tc[k].dur);
            buf_free(&sql);
            col_free(c);
        }
    sqlite3_close(db);
    table_free(t);
}

/* The canonical feature, with SQL written by hand (not by win_to_sql), and
 * a plan reused for several features. */
static void test_handwritten_sql_and_plan(void **state)
{
    table_t *t = random_table(500, 50);
    sqlite3 *db = load_sqlite(t);
    win_plan_t *p;
    column_t *cnt, *mean;
    ferr_t e = {0};
    (void)state;
    /* null times are excluded from the hand-written SQL by construction */
    column_t *tc = table_find(t, "t");
    for (size_t i = 0; i < t->nrows; i++)
        if (col_is_null(tc, i))
            tc->i64[i] = 18000;
    free(tc->null);
    tc->null = NULL;
    sqlite3_exec(db, "UPDATE src SET t = date(julianday('1970-01-01') + 18000) "
                 "WHERE t IS NULL", NULL, NULL, NULL);
    assert_int_equal(win_plan_new(t, "e", "t", &p, &e), 0);
    win_spec_t wc = {.agg = WIN_COUNT, .entity = "e", .time = "t"};
    win_spec_t wm = {.agg = WIN_MEAN, .value = "x", .entity = "e", .time = "t"};
    assert_int_equal(win_plan_compute(p, t, &wc, "n_prev", &cnt, &e), 0);
    assert_int_equal(win_plan_compute(p, t, &wm, "mean_prev", &mean, &e), 0);
    check_against_sql(db, "COUNT(*) OVER (PARTITION BY e, CASE WHEN e IS NULL "
                      "THEN _row END ORDER BY t, _row ROWS "
                      "BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)", cnt, "hand count");
    check_against_sql(db, "AVG(x) OVER (PARTITION BY e, CASE WHEN e IS NULL "
                      "THEN _row END ORDER BY t, _row ROWS "
                      "BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)", mean, "hand mean");
    col_free(cnt);
    col_free(mean);
    /* a spec for another time column is refused by the plan */
    win_spec_t wo = {.agg = WIN_COUNT, .entity = "e", .time = "dt"};
    assert_int_equal(win_plan_compute(p, t, &wo, "o", &cnt, &e), FERR_USAGE);
    win_plan_free(p);
    sqlite3_close(db);
    table_free(t);
}

static void test_durations(void **state)
{
    int64_t v;
    ferr_t e = {0};
    (void)state;
    assert_int_equal(win_parse_duration("90d", FT_DATE, &v, &e), 0);
    assert_int_equal(v, 90);
    assert_int_equal(win_parse_duration("2w", FT_DATE, &v, &e), 0);
    assert_int_equal(v, 14);
    assert_int_equal(win_parse_duration("90d", FT_DATETIME, &v, &e), 0);
    assert_int_equal(v, 90 * 86400);
    assert_int_equal(win_parse_duration("12h", FT_DATETIME, &v, &e), 0);
    assert_int_equal(v, 43200);
    assert_int_equal(win_parse_duration("30min", FT_DATETIME, &v, &e), 0);
    assert_int_equal(v, 1800);
    assert_int_equal(win_parse_duration("7", FT_INT, &v, &e), 0);
    assert_int_equal(v, 7);
    assert_int_equal(win_parse_duration("12h", FT_DATE, &v, &e), FERR_TYPE);
    assert_int_equal(win_parse_duration("3m", FT_DATE, &v, &e), FERR_PARSE);
    assert_non_null(strstr(e.msg, "ambiguous"));
    assert_int_equal(win_parse_duration("d", FT_DATE, &v, &e), FERR_PARSE);
    assert_int_equal(win_parse_duration("5", FT_DATE, &v, &e), FERR_PARSE);
    assert_int_equal(win_parse_duration("5 parsecs", FT_DATE, &v, &e), FERR_PARSE);
    assert_int_equal(win_parse_duration("99999999999999999999d", FT_DATE, &v, &e),
                     FERR_RANGE);
    assert_int_equal(win_parse_duration("9999999999999999d", FT_DATETIME, &v, &e),
                     FERR_RANGE);
    assert_int_equal(win_agg_parse(STR_LIT("std")), WIN_STD);
    assert_int_equal(win_agg_parse(STR_LIT("median")), -1);
    assert_int_equal(win_frame_parse(STR_LIT("duration")), WIN_FRAME_DURATION);
}

static void test_errors(void **state)
{
    table_t *t = random_table(20, 3);
    column_t *c;
    ferr_t e = {0};
    (void)state;
    win_spec_t w = {.agg = WIN_MEAN, .value = "nope", .entity = "e", .time = "t"};
    assert_int_equal(win_compute(t, &w, "o", &c, &e), FERR_NOTFOUND);
    assert_non_null(strstr(e.msg, "nope"));
    w.value = "xc";
    assert_int_equal(win_compute(t, &w, "o", &c, &e), FERR_TYPE);
    w.agg = WIN_MIN;
    assert_int_equal(win_compute(t, &w, "o", &c, &e), FERR_TYPE);
    w.agg = WIN_SUM;
    w.value = "t";
    assert_int_equal(win_compute(t, &w, "o", &c, &e), FERR_TYPE);
    w.value = NULL;
    assert_int_equal(win_compute(t, &w, "o", &c, &e), FERR_SPEC);
    w = (win_spec_t){.agg = WIN_COUNT, .time = "x"};
    assert_int_equal(win_compute(t, &w, "o", &c, &e), FERR_TYPE);
    w = (win_spec_t){.agg = WIN_COUNT, .time = "t", .entity = "zz"};
    assert_int_equal(win_compute(t, &w, "o", &c, &e), FERR_NOTFOUND);
    w = (win_spec_t){.agg = WIN_COUNT, .time = "t", .frame = WIN_FRAME_ROWS};
    assert_int_equal(win_compute(t, &w, "o", &c, &e), FERR_SPEC);
    w = (win_spec_t){.agg = WIN_COUNT, .time = "t", .entity = "x"};
    assert_int_equal(win_compute(t, &w, "o", &c, &e), FERR_TYPE);
    /* int sums that leave int64 are an error, not a wrapped number */
    column_t *big = col_new("big", FT_INT, t->nrows);
    for (size_t i = 0; i < t->nrows; i++)
        big->i64[i] = INT64_MAX / 3;
    assert_int_equal(table_add(t, big, NULL), 0);
    w = (win_spec_t){.agg = WIN_SUM, .value = "big", .time = "t"};
    assert_int_equal(win_compute(t, &w, "o", &c, &e), FERR_RANGE);
    table_free(t);
}

/* Empty table, a one-row table, all-null values, string entity and value. */
static void test_edges(void **state)
{
    table_t *t = table_new();
    column_t *c, *tm = col_new("t", FT_DATE, 0);
    ferr_t e = {0};
    (void)state;
    assert_int_equal(table_add(t, tm, NULL), 0);
    win_spec_t w = {.agg = WIN_COUNT, .time = "t"};
    assert_int_equal(win_compute(t, &w, "o", &c, &e), 0);
    assert_int_equal(c->n, 0);
    col_free(c);
    table_free(t);

    t = table_new();
    column_t *id = col_new("id", FT_STRING, 5), *v = col_new("v", FT_STRING, 5);
    tm = col_new("t", FT_DATE, 5);
    const char *ids[] = {"b", "a", "b", "b", "a"}, *vs[] = {"p", "q", "", "s", "t"};
    int64_t ts[] = {3, 1, 1, 3, 2};
    for (size_t i = 0; i < 5; i++) {
        col_str_append(id, i, ids[i], 1);
        col_str_append(v, i, vs[i], strlen(vs[i]));
        tm->i64[i] = ts[i];
    }
    col_set_null(v, 3);
    assert_int_equal(table_add(t, id, NULL), 0);
    assert_int_equal(table_add(t, v, NULL), 0);
    assert_int_equal(table_add(t, tm, NULL), 0);
    /* order for b: row 2 (t1), row 0 (t3), row 3 (t3) */
    w = (win_spec_t){.agg = WIN_LAST, .value = "v", .entity = "id", .time = "t"};
    assert_int_equal(win_compute(t, &w, "o", &c, &e), 0);
    assert_true(str_eq_cstr(col_str(c, 0), ""));  /* prev of row0 is row2 "" */
    assert_false(col_is_null(c, 0));
    assert_true(col_is_null(c, 2));
    assert_true(str_eq_cstr(col_str(c, 3), "p"));
    assert_true(str_eq_cstr(col_str(c, 4), "q"));
    col_free(c);
    w.agg = WIN_LAG;
    w.lag = 1;
    assert_int_equal(win_compute(t, &w, "o", &c, &e), 0);
    assert_true(str_eq_cstr(col_str(c, 3), "p"));
    col_free(c);
    w.agg = WIN_COUNT;
    assert_int_equal(win_compute(t, &w, "o", &c, &e), 0);
    int64_t want[] = {1, 0, 0, 2, 1}; /* row 3 (itself null) sees 2 */
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(c->i64[i], want[i]);
    col_free(c);
    table_free(t);
}

/* ---- pandas on a generated loan log -------------------------------------- */

static char *read_file_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *p;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = xmalloc((size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    p[n] = '\0';
    fclose(f);
    return p;
}

/* Minimal reader for the generator's CSV (no quotes): id, loan_date,
 * loan_amount by header name. */
static table_t *load_loans(const char *path)
{
    char *text = read_file_text(path), *line, *save = NULL;
    size_t n = 0, cap = 1024, i = 0;
    int cid = -1, cdate = -1, camt = -1;
    assert_non_null(text);
    for (char *p = text; *p; p++)
        n += *p == '\n';
    table_t *t = table_new();
    column_t *id = col_new("id", FT_INT, n - 1), *dt = col_new("loan_date", FT_DATE, n - 1);
    column_t *amt = col_new("loan_amount", FT_FLOAT, n - 1);
    (void)cap;
    line = strtok_r(text, "\n", &save);
    {
        int k = 0;
        for (char *f = line, *end; f; f = end ? end + 1 : NULL, k++) {
            end = strchr(f, ',');
            size_t len = end ? (size_t)(end - f) : strlen(f);
            if (len == 2 && strncmp(f, "id", 2) == 0) cid = k;
            if (len == 9 && strncmp(f, "loan_date", 9) == 0) cdate = k;
            if (len == 11 && strncmp(f, "loan_amount", 11) == 0) camt = k;
        }
    }
    assert_true(cid >= 0 && cdate >= 0 && camt >= 0);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL && i < n - 1) {
        int k = 0;
        for (char *f = line, *end; f; f = end ? end + 1 : NULL, k++) {
            end = strchr(f, ',');
            if (k == cid)
                id->i64[i] = strtoll(f, NULL, 10);
            else if (k == cdate) {
                int y, m, d;
                assert_int_equal(sscanf(f, "%d-%d-%d", &y, &m, &d), 3);
                dt->i64[i] = t_days(y, m, d);
            } else if (k == camt)
                amt->f64[i] = strtod(f, NULL);
        }
        i++;
    }
    assert_int_equal(i, n - 1);
    assert_int_equal(table_add(t, id, NULL), 0);
    assert_int_equal(table_add(t, dt, NULL), 0);
    assert_int_equal(table_add(t, amt, NULL), 0);
    free(text);
    return t;
}

static void test_loans_vs_pandas(void **state)
{
    char dir[] = "/tmp/ferry_win_XXXXXX", cmd[2048], csv[256], ref[256];
    ferr_t ge = {0};
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(csv, sizeof(csv), "%s/loans.csv", dir);
    snprintf(ref, sizeof(ref), "%s/ref.txt", dir);
    /* ferry's own generator (`ferry init credit-risk`): the loan log needs
     * no file from outside the repository */
    if (gen_loans_write(csv, 20000, 1000, 42, &ge) != FERR_OK)
        fail_msg("%s", ferr_msg(&ge));
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 -c \""
             "import pandas as pd, numpy as np\n"
             "d = pd.read_csv('%s', usecols=['id','loan_date','loan_amount'])\n"
             "d['_row'] = np.arange(len(d))\n"
             "s = d.sort_values(['id','loan_date','_row'], kind='mergesort')\n"
             "g = s.groupby('id')\n"
             "s['n'] = g.cumcount()\n"
             "s['m'] = (g['loan_amount'].cumsum() - s['loan_amount']) / s['n']\n"
             "s['sd'] = g['loan_amount'].transform(lambda v: v.shift(1).rolling(3, min_periods=1).std())\n"
             "s = s.sort_values('_row')\n"
             "s[['n','m','sd']].to_csv('%s', index=False, header=False, na_rep='nan', float_format='%%.17g')\n"
             "\"", csv, ref);
    assert_int_equal(system(cmd), 0);

    table_t *t = load_loans(csv);
    win_plan_t *p;
    column_t *n, *m, *sd;
    ferr_t e = {0};
    assert_int_equal(win_plan_new(t, "id", "loan_date", &p, &e), 0);
    win_spec_t wn = {.agg = WIN_COUNT, .entity = "id", .time = "loan_date"};
    win_spec_t wm = {.agg = WIN_MEAN, .value = "loan_amount", .entity = "id",
                     .time = "loan_date"};
    win_spec_t ws = {.agg = WIN_STD, .value = "loan_amount", .entity = "id",
                     .time = "loan_date", .frame = WIN_FRAME_ROWS, .rows = 3};
    assert_int_equal(win_plan_compute(p, t, &wn, "n", &n, &e), 0);
    assert_int_equal(win_plan_compute(p, t, &wm, "m", &m, &e), 0);
    assert_int_equal(win_plan_compute(p, t, &ws, "sd", &sd, &e), 0);

    char *text = read_file_text(ref), *save = NULL, *line;
    size_t i = 0, ties = 0;
    assert_non_null(text);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        long pn;
        char ms[64], ss[64];
        assert_int_equal(sscanf(line, "%ld,%63[^,],%63s", &pn, ms, ss), 3);
        assert_int_equal(n->i64[i], pn);
        double pm = strtod(ms, NULL), ps = strtod(ss, NULL);
        assert_int_equal(isnan(pm), col_is_null(m, i));
        if (!isnan(pm) && !num_close(pm, m->f64[i]))
            fail_msg("row %zu mean pandas %.17g ferry %.17g", i, pm, m->f64[i]);
        assert_int_equal(isnan(ps), col_is_null(sd, i));
        if (!isnan(ps) && !num_close(ps, sd->f64[i]))
            fail_msg("row %zu std pandas %.17g ferry %.17g", i, ps, sd->f64[i]);
    }
    assert_int_equal(i, t->nrows);
    /* the log must exercise the tie-break: same customer, same day */
    for (size_t r = 1; r < t->nrows; r++)
        ties += t->cols[1]->i64[r] == t->cols[1]->i64[r - 1];
    assert_true(ties > 0);
    free(text);
    col_free(n);
    col_free(m);
    col_free(sd);
    win_plan_free(p);
    table_free(t);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_handwritten_sql_and_plan),
        cmocka_unit_test(test_random_all_specs),
        cmocka_unit_test(test_time_types),
        cmocka_unit_test(test_loans_vs_pandas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

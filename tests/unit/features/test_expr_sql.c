/*
 * test_expr_sql.c - expr_to_sql checked against a real engine: every
 * expression is evaluated by expr_eval and, translated, by an in-process
 * SQLite over the same rows; the results must agree row by row, nulls
 * included.  Other dialects are checked for translating at all and for the
 * spelling of their trickier constructs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "base/mem.h"
#include "test_expr_fixture.h"

static table_t *T;
static sqlite3 *db;

/* The fixture as SQLite stores ferry data: dates as ISO text, bools 0/1. */
static int setup(void **state)
{
    (void)state;
    T = fx_table();
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    buf_t ddl = {0}, ins = {0};
    buf_puts(&ddl, "CREATE TABLE t(");
    buf_puts(&ins, "INSERT INTO t VALUES(");
    for (size_t k = 0; k < T->ncols; k++) {
        if (k) {
            buf_puts(&ddl, ", ");
            buf_puts(&ins, ", ");
        }
        sql_quote_ident(SQL_SQLITE, T->cols[k]->name, &ddl);
        ftype_t ty = T->cols[k]->type;
        buf_puts(&ddl, ty == FT_INT || ty == FT_BOOL ? " INTEGER" : ty == FT_FLOAT ? " REAL" : " TEXT");
        buf_putc(&ins, '?');
    }
    buf_puts(&ddl, ")");
    buf_puts(&ins, ")");
    assert_int_equal(sqlite3_exec(db, ddl.p, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, ins.p, -1, &st, NULL), SQLITE_OK);
    for (size_t r = 0; r < T->nrows; r++) {
        for (size_t k = 0; k < T->ncols; k++) {
            const column_t *c = T->cols[k];
            int idx = (int)k + 1;
            char tmp[64];
            if (col_is_null(c, r)) {
                sqlite3_bind_null(st, idx);
                continue;
            }
            switch (c->type) {
            case FT_INT: sqlite3_bind_int64(st, idx, c->i64[r]); break;
            case FT_BOOL: sqlite3_bind_int64(st, idx, c->u8[r]); break;
            case FT_FLOAT: sqlite3_bind_double(st, idx, c->f64[r]); break;
            case FT_DATE:
                format_date(c->i64[r], tmp, sizeof(tmp));
                sqlite3_bind_text(st, idx, tmp, -1, SQLITE_TRANSIENT);
                break;
            case FT_DATETIME:
                format_datetime(c->i64[r], tmp, sizeof(tmp));
                sqlite3_bind_text(st, idx, tmp, -1, SQLITE_TRANSIENT);
                break;
            default: {
                str_t s = col_str(c, r);
                sqlite3_bind_text(st, idx, s.p, (int)s.n, SQLITE_TRANSIENT);
            }
            }
        }
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    buf_free(&ddl);
    buf_free(&ins);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sqlite3_close(db);
    table_free(T);
    return 0;
}

static char *sqlite_render(sqlite3_stmt *st)
{
    buf_t b = {0};
    int r = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char tmp[64];
        if (r++)
            buf_putc(&b, '|');
        switch (sqlite3_column_type(st, 0)) {
        case SQLITE_NULL: buf_puts(&b, "null"); break;
        case SQLITE_INTEGER: buf_printf(&b, "%lld", (long long)sqlite3_column_int64(st, 0)); break;
        case SQLITE_FLOAT:
            snprintf(tmp, sizeof(tmp), "%.12g", sqlite3_column_double(st, 0));
            buf_puts(&b, strcmp(tmp, "-0") == 0 ? "0" : tmp);
            break;
        default:
            buf_append(&b, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
        }
    }
    return buf_steal(&b);
}

static const char *const agree[] = {
    /* operators, nulls, three-valued logic */
    "i * 2 + 1", "i - f", "i / 2", "f / i", "i / 0", "i % 3", "-i % 4", "i % 0",
    "-f", "i > 1", "f <= 1.5", "b and i > 0", "b or i > 0", "not b", "i is null",
    "s is not null", "null + 1", "null and false", "null or true", "i = null",
    "i in (1, 2, null)", "i not in (1, 3)", "c in ('N', 'Z')", "c not in ('N')",
    "f between 0 and 10", "i not between 0 and 2", "c = 'N'", "c < 'Y'", "s = c",
    "b = true", "i = 1.0", "d > '2000-01-01'", "d = date '2020-02-29'",
    "`Fecha-I` >= d", "`Fecha-I` < datetime '2020-01-01 00:00:00'",
    "`AÑO` - 2000", "b + b", "1 + 2 * 3",
    /* choice */
    "if(c = 'N', 0, 1)", "if(b, s, c)", "if(null, 1, 2)", "coalesce(f, i, 0)",
    "coalesce(c, 'none')", "map(c, 'N', 0, 'Y', 1)", "map(c, 'N', 0, 'Y', 1, -1)",
    "map(i, 1, 'one', 2.0, 'two')",
    "case when i > 2 then 'big' when i > 0 then 'small' end",
    "case c when 'N' then 0 when 'Y' then 1 else -1 end",
    ("case when hour(`Fecha-I`) between 5 and 11 then 'morning' when hour(`Fecha-I`) "
     "between 12 and 18 then 'afternoon' else 'night' end"),
    /* numbers */
    "abs(i)", "abs(f)", "clip(i, -1, 5)", "clip(f, 0, null)", "clip(i, 0.5, 2)",
    "log(f)", "exp(f / 100)", "sqrt(i)", "floor(f)", "ceil(f)", "floor(i)",
    "round(f)", "round(f * 3.3, 2)",
    /* dates */
    "year(d)", "month(`Fecha-I`)", "day(d)", "hour(`Fecha-I`)", "minute(`Fecha-I`)",
    "second(`Fecha-I`)", "hour(d)", "weekday(d)", "weekday(`Fecha-O`)",
    "day_of_year(d)", "days_between(d, `Fecha-I`)", "days_between(`Fecha-I`, `Fecha-O`)",
    "minutes_between(`Fecha-I`, `Fecha-O`)", "minutes_between(`Fecha-I`, `Fecha-O`) > 15",
    "hours_between(d, `Fecha-O`)", "years_between(d, `Fecha-I`)",
    "years_between(date '2000-02-29', date '2001-02-28')",
    "years_between(date '2000-02-29', date '2001-03-01')",
    "years_between(`Fecha-I`, d)",
    "if(d = date '2020-02-29', null, years_between(d, `Fecha-I`))",
    "add_days(d, 1)", "add_days(`Fecha-I`, -1)", "add_days(d, i)",
    "in_day_ranges(d, '12-15..03-03')",
    "in_day_ranges(`Fecha-I`, '12-15..03-03', '07-15..07-31', '09-11..09-30')",
    "make_date(`AÑO`, mon)", "make_date(`AÑO`, i, 29)", "make_date(2021, 2, 29)",
    "make_date(`AÑO`, 2, i + 27)", "to_date(`Fecha-I`)", "to_date('2021-02-29')", "to_date(concat(`AÑO`, '-02-29'))",
    "to_date(concat(`AÑO`, '-01-0', i))", "to_datetime(d)",
    /* text */
    "length(s)", "lower(s)", "upper(c)", "trim(s)", "substr(s, 3, 2)", "substr(s, 3)",
    "substr(s, i, 2)", "substr(s, -1, 3)", "substr(s, 2, i)", "replace(s, ',', ';')",
    "replace(s, 'l', '')", "split_part(s, ',', 2)", "split_part(s, ',', 1)",
    "split_part(concat(s, '\"', c), '\"', 2)", "starts_with(s, '  ')",
    "starts_with(s, c)", "contains(s, 'b')", "concat(c, '-', i)", "concat('d=', d)",
    "to_number(s, ',', '.')", "to_number(concat(i, '.5'))", "to_number(s)",
};

static void test_sqlite_agrees(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t k = 0; k < sizeof(agree) / sizeof(*agree); k++) {
        expr_t *x = NULL;
        ferr_t e = {0};
        column_t *c = NULL;
        buf_t sql = {0};
        if (expr_compile(agree[k], T, &x, &e) != FERR_OK) {
            fprintf(stderr, "%s: %s\n", agree[k], ferr_msg(&e));
            fail();
        }
        assert_int_equal(expr_eval(x, T, "v", &c, &e), FERR_OK);
        char *mine = fx_render(c);
        assert_int_equal(expr_to_sql(x, SQL_SQLITE, &sql, &e), FERR_OK);
        buf_t q = {0};
        buf_printf(&q, "SELECT %s FROM t ORDER BY rowid", sql.p);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, q.p, -1, &st, NULL) != SQLITE_OK) {
            fprintf(stderr, "%s\n  SQL %s\n  %s\n", agree[k], q.p, sqlite3_errmsg(db));
            bad++;
        } else {
            char *theirs = sqlite_render(st);
            if (strcmp(mine, theirs) != 0) {
                fprintf(stderr, "%s\n  SQL    %s\n  ferry  %s\n  sqlite %s\n", agree[k],
                        sql.p, mine, theirs);
                bad++;
            }
            free(theirs);
            sqlite3_finalize(st);
        }
        buf_free(&q);
        buf_free(&sql);
        free(mine);
        col_free(c);
        expr_free(x);
    }
    assert_int_equal(bad, 0);
}

static char *to_sql(const char *src, sql_dialect_t d)
{
    expr_t *x = NULL;
    ferr_t e = {0};
    buf_t b = {0};
    assert_int_equal(expr_compile(src, T, &x, &e), FERR_OK);
    if (expr_to_sql(x, d, &b, &e) != FERR_OK) {
        expr_free(x);
        buf_free(&b);
        return xstrdup(ferr_msg(&e));
    }
    expr_free(x);
    return buf_steal(&b);
}

static void expect_sql_at(const char *src, sql_dialect_t d, const char *want, int line)
{
    char *got = to_sql(src, d);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "line %d: %s\n  got  %s\n  want %s\n", line, src, got, want);
        fail();
    }
    free(got);
}
#define expect_sql(src, d, want) expect_sql_at(src, d, want, __LINE__)

static void test_dialects(void **state)
{
    (void)state;
    /* identifiers per dialect */
    expect_sql("`Fecha-I`", SQL_SQLITE, "\"Fecha-I\"");
    expect_sql("`Fecha-I`", SQL_SPARK, "`Fecha-I`");
    expect_sql("i / 2", SQL_POSTGRES,
               "(CAST(\"i\" AS DOUBLE PRECISION) / NULLIF(CAST(2 AS DOUBLE PRECISION), 0))");
    expect_sql("d = date '2020-02-29'", SQL_SQLITE, "(\"d\" = '2020-02-29')");
    expect_sql("d = date '2020-02-29'", SQL_POSTGRES, "(\"d\" = DATE '2020-02-29')");
    expect_sql("b and true", SQL_SQLITE, "(\"b\" AND 1)");
    expect_sql("b or s = 'a\\b'", SQL_SPARK, "(`b` OR (`s` = 'a\\\\b'))");
    expect_sql("weekday(d)", SQL_POSTGRES, "CAST(EXTRACT(ISODOW FROM \"d\") AS INTEGER)");
    expect_sql("days_between(d, `Fecha-I`)", SQL_SPARK, "datediff(`Fecha-I`, `d`)");
    expect_sql("to_date(s, '%d/%m/%Y')", SQL_POSTGRES, "to_date(trim(\"s\"), 'DD/MM/YYYY')");
    expect_sql("to_date(s, '%d/%m/%Y')", SQL_SQLITE,
               "expr 'to_date(s, '%d/%m/%Y')': to_date with format '%d/%m/%Y' has no "
               "SQLite form (SQLite reads only ISO dates)");
    expect_sql("regexp_like(s, '^a')", SQL_POSTGRES, "(\"s\" ~ '^a')");
    /* every function translates for PostgreSQL and Spark */
    for (size_t k = 0; k < sizeof(agree) / sizeof(*agree); k++) {
        for (int d = SQL_POSTGRES; d <= SQL_SPARK; d++) {
            expr_t *x = NULL;
            ferr_t e = {0};
            buf_t b = {0};
            assert_int_equal(expr_compile(agree[k], T, &x, &e), FERR_OK);
            if (expr_to_sql(x, (sql_dialect_t)d, &b, &e) != FERR_OK) {
                fprintf(stderr, "%s (%d): %s\n", agree[k], d, ferr_msg(&e));
                fail();
            }
            buf_free(&b);
            expr_free(x);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_agrees),
        cmocka_unit_test(test_dialects),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * bench_store.c - the stores on a loan-log-sized table, against baselines
 * run in the same process (absolute times on a shared machine are noise).
 *
 *   CSV:    offline_write_csv  vs  fprintf("%.17g") per cell to a FILE*
 *   .fcol:  fcol_write / fcol_read  vs  reading the same bytes with fread
 *   online: online_materialize  vs  SQLite upserting every row in table
 *           order (INSERT OR REPLACE, one transaction, journal off) - the
 *           obvious way to keep "the last row per key" with SQL alone.
 *   verify: online_open + online_verify (what an unchanged build and
 *           `features show` pay), as a share of materialize.
 *   lookup: online_get_json per request, random existing keys.
 * Usage: bench_store [rows] [entities] [dir]   (default 777715 36000 /tmp)
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/progress.h"
#include "store/offline.h"
#include "store/online.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static table_t *loans(size_t n, size_t nent)
{
    static const char *const purpose[] = {"car", "home", "education", "debt",
                                          "travel", "medical"};
    table_t *t = table_new();
    column_t *id = col_new("id", FT_INT, n), *d = col_new("loan_date", FT_DATE, n);
    column_t *amt = col_new("amount", FT_FLOAT, n), *avg = col_new("mean_prev", FT_FLOAT, n);
    column_t *age = col_new("age", FT_FLOAT, n), *fl = col_new("flag", FT_BOOL, n);
    column_t *p = col_new("purpose", FT_CATEGORY, n), *nm = col_new("branch", FT_STRING, n);
    uint64_t s = 88172645463325252ULL;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rnd(&s);
        char buf[32];
        id->i64[i] = (int64_t)(r % nent) + 100000;
        d->i64[i] = 16000 + (int64_t)(i * 2000 / n);
        amt->f64[i] = (double)(r >> 20 & 0xfffff) / 100.0;
        avg->f64[i] = (double)(r >> 8 & 0xffffff) / (double)(1 + (r >> 40) % 9);
        age->f64[i] = 18 + (double)(r >> 33 & 0xffff) / 1000.0;
        if ((r >> 50) % 10 == 0)
            col_set_null(age, i);
        fl->u8[i] = (r >> 61) & 1;
        p->code[i] = dict_intern(p->dict, purpose[(r >> 3) % 6],
                                 strlen(purpose[(r >> 3) % 6]));
        int len = snprintf(buf, sizeof(buf), "branch %u", (unsigned)(r >> 45) % 300);
        col_str_append(nm, i, buf, (size_t)len);
    }
    column_t *all[] = {id, d, amt, avg, age, fl, p, nm};
    for (int j = 0; j < 8; j++)
        table_add(t, all[j], NULL);
    return t;
}

static double baseline_csv(const table_t *t, const char *path)
{
    double t0 = now_seconds();
    FILE *fp = fopen(path, "w");
    for (size_t j = 0; j < t->ncols; j++)
        fprintf(fp, "%s%s", j ? "," : "", t->cols[j]->name);
    fputc('\n', fp);
    for (size_t i = 0; i < t->nrows; i++) {
        for (size_t j = 0; j < t->ncols; j++) {
            const column_t *c = t->cols[j];
            if (j)
                fputc(',', fp);
            if (col_is_null(c, i))
                continue;
            if (c->type == FT_FLOAT)
                fprintf(fp, "%.17g", c->f64[i]);
            else if (c->type == FT_STRING || c->type == FT_CATEGORY)
                fprintf(fp, "%.*s", STR_FMT(col_str(c, i)));
            else if (c->type == FT_BOOL)
                fputc('0' + c->u8[i], fp);
            else
                fprintf(fp, "%lld", (long long)c->i64[i]);
        }
        fputc('\n', fp);
    }
    fflush(fp);
    fsync(fileno(fp));
    fclose(fp);
    return now_seconds() - t0;
}

static double baseline_fread(const char *path)
{
    double t0 = now_seconds();
    FILE *fp = fopen(path, "rb");
    static char buf[1 << 20];
    volatile size_t total = 0;
    size_t k;
    while ((k = fread(buf, 1, sizeof(buf), fp)) > 0)
        total += k;
    fclose(fp);
    return now_seconds() - t0;
}

static double baseline_upsert(const table_t *t, const char *path)
{
    double t0 = now_seconds();
    sqlite3 *db;
    sqlite3_stmt *st;
    unlink(path);
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                     "CREATE TABLE f(id INTEGER PRIMARY KEY, loan_date TEXT,"
                     " amount REAL, mean_prev REAL, age REAL, flag INTEGER,"
                     " purpose TEXT, branch TEXT); BEGIN", NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO f VALUES (?,?,?,?,?,?,?,?)",
                       -1, &st, NULL);
    for (size_t i = 0; i < t->nrows; i++) {
        for (size_t j = 0; j < t->ncols; j++) {
            const column_t *c = t->cols[j];
            int k = (int)j + 1;
            if (col_is_null(c, i))
                sqlite3_bind_null(st, k);
            else if (c->type == FT_FLOAT)
                sqlite3_bind_double(st, k, c->f64[i]);
            else if (c->type == FT_STRING || c->type == FT_CATEGORY) {
                str_t s = col_str(c, i);
                sqlite3_bind_text(st, k, s.p, (int)s.n, SQLITE_STATIC);
            } else if (c->type == FT_BOOL)
                sqlite3_bind_int(st, k, c->u8[i]);
            else
                sqlite3_bind_int64(st, k, c->i64[i]);
        }
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return now_seconds() - t0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 777715;
    size_t nent = argc > 2 ? strtoul(argv[2], NULL, 10) : 36000;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    char csv[512], base[512], fcol[512], db[512], bdb[512];
    ferr_t e = {0};
    online_stats_t st;
    table_t *t = loans(n, nent), *back;
    double a, b;

    snprintf(csv, sizeof(csv), "%s/bench_store.csv", dir);
    snprintf(base, sizeof(base), "%s/bench_store_base.csv", dir);
    snprintf(fcol, sizeof(fcol), "%s/bench_store.fcol", dir);
    snprintf(db, sizeof(db), "%s/bench_store.db", dir);
    snprintf(bdb, sizeof(bdb), "%s/bench_store_base.db", dir);
    printf("table: %zu rows x %zu columns, %zu entities\n", n, t->ncols, nent);

    double c;
    b = baseline_csv(t, base);
    a = now_seconds();
    c = cpu_seconds();
    if (offline_write_csv(t, csv, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    a = now_seconds() - a;
    c = cpu_seconds() - c;
    printf("csv write:   ferry %.3f s (cpu %.3f s)   fprintf %%.17g %.3f s   "
           "ratio %.1fx\n", a, c, b, b / a);

    a = now_seconds();
    fcol_write(t, fcol, &e);
    a = now_seconds() - a;
    printf("fcol write:  ferry %.3f s\n", a);
    b = baseline_fread(fcol);
    a = now_seconds();
    c = cpu_seconds();
    if (fcol_read(fcol, &back, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    a = now_seconds() - a;
    c = cpu_seconds() - c;
    printf("fcol read:   ferry %.3f s (cpu %.3f s; validated, CRC32C)   "
           "fread into a reused 1 MiB buffer %.3f s\n", a, c, b);
    table_free(back);

    unlink(db);
    b = baseline_upsert(t, bdb);
    a = now_seconds();
    c = cpu_seconds();
    if (online_materialize(t, "id", "loan_date", db, &st, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    a = now_seconds() - a;
    c = cpu_seconds() - c;
    printf("materialize: ferry %.3f s (cpu %.3f s, %zu entities)   sqlite "
           "upsert %.3f s   ratio %.1fx\n", a, c, st.entities, b, b / a);
    double mat = a;
    a = now_seconds();
    online_materialize(t, "id", "loan_date", db, &st, &e);
    printf("re-materialize same content: %.3f s (unchanged=%d, the store "
           "verified)\n", now_seconds() - a, st.unchanged);

    online_t *o;
    buf_t out = {0};
    uint64_t s = 7;
    size_t q = 200000;
    char key[32];
    /* the check a build with unchanged content and `features show` make */
    a = now_seconds();
    c = cpu_seconds();
    online_open(db, &o, &e);
    b = now_seconds() - a;
    if (online_verify(o, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    a = now_seconds() - a;
    c = cpu_seconds() - c;
    printf("verify:      online_open %.4f s, + online_verify (quick_check + "
           "rehash of %zu rows) %.4f s (cpu %.4f s) = %.1f%% of "
           "materialize\n", b, online_row_count(o), a, c, 100.0 * a / mat);
    a = now_seconds();
    for (size_t i = 0; i < q; i++) {
        snprintf(key, sizeof(key), "%llu",
                 (unsigned long long)(rnd(&s) % nent + 100000));
        buf_reset(&out);
        if (online_get_json(o, key, &out, &e) != FERR_OK &&
            e.code != FERR_NOTFOUND) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
    }
    a = now_seconds() - a;
    printf("lookup:      online_get_json %.2f us/request (%zu requests)\n",
           a / (double)q * 1e6, q);
    online_close(o);
    buf_free(&out);
    table_free(t);
    unlink(csv), unlink(base), unlink(fcol), unlink(db), unlink(bdb);
    return 0;
}

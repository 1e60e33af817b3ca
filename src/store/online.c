/*
 * online.c - materialize the latest row per entity into SQLite, and read it.
 *
 * Materializing: the latest row per entity is chosen in C (one pass, a hash
 * on the key), the chosen rows are sorted by key (so SQLite appends to its
 * B-tree and the file is a pure function of the content), hashed, and
 * bulk-inserted in one transaction through one prepared statement into a
 * fresh database with journaling and syncing off: nobody can see the
 * temporary file, and a crash before the rename leaves only garbage that
 * the next build deletes.  Durability comes from one fsync of the finished
 * file, the rename and the directory fsync (see online.h).
 *
 * Reading: the store file is never modified in place, only replaced, so
 * readers open it with SQLite's immutable=1 (no locks, no change checks)
 * and keep the inode they opened until online_refresh.  For the same
 * reason any change to the file is damage: online_verify recomputes the
 * content hash from the stored rows, and a build keeps an existing store
 * only when it passes.
 */
#include "store/online.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/afile.h"
#include "base/mem.h"
#include "base/progress.h"
#include "store/store_int.h"

/* 2: content_hash covers the values as stored (dates as text), so that
 * online_verify can recompute it from the file.  3: format 2 plus the
 * table `history` and meta `history` (issue 11).  A build writes 3 only
 * when it stores a history, so a store without one stays byte-for-byte
 * what format 2 wrote (same hash: no rebuild after an upgrade, and older
 * readers keep reading it); a store with one is refused by a reader that
 * would not verify it, instead of being reported as damaged. */
#define ONLINE_FORMAT "ferry-online-2"
/* 4: the history is one row per key, its events packed in a blob
 * (3 had one row per event: 777k SQLite rows made the store phase of a
 * build 6-8x longer; 4 writes 36k). */
#define ONLINE_FORMAT_HIST "ferry-online-4"

/* SQLite declared type per ferry type (the affinity that keeps values
 * exactly as bound: INTEGER, REAL, TEXT). */
static const char *const sql_type[FT_COUNT_] = {
    [FT_INT] = "INTEGER", [FT_FLOAT] = "REAL",    [FT_BOOL] = "INTEGER",
    [FT_STRING] = "TEXT", [FT_CATEGORY] = "TEXT", [FT_DATE] = "TEXT",
    [FT_DATETIME] = "TEXT",
};
/* The SQLite storage class each ferry type reads back from. */
static const int sql_class[FT_COUNT_] = {
    [FT_INT] = SQLITE_INTEGER, [FT_FLOAT] = SQLITE_FLOAT,
    [FT_BOOL] = SQLITE_INTEGER, [FT_STRING] = SQLITE_TEXT,
    [FT_CATEGORY] = SQLITE_TEXT, [FT_DATE] = SQLITE_TEXT,
    [FT_DATETIME] = SQLITE_TEXT,
};

static void quote_ident(buf_t *b, const char *name)
{
    buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            buf_putc(b, '"');
        buf_putc(b, *p);
    }
    buf_putc(b, '"');
}

static void put_json_str(buf_t *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
        } else if (c < 0x20) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, u, 6);
        } else {
            buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

/* SQLite result codes that mean the file itself is damaged. */
static bool is_damage(int code)
{
    code &= 0xff;
    return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

/* "PATH: online store is corrupt: DETAIL" as FERR_CORRUPT. */
static int corrupt(ferr_t *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int corrupt(ferr_t *e, const char *path, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return ferr_set(e, FERR_CORRUPT, "%s: online store is corrupt: %s", path,
                    detail);
}

static int sql_fail(sqlite3 *db, ferr_t *e, const char *path, const char *what)
{
    return ferr_set(e, FERR_EXTERNAL, "%s: %s: %s", path, what,
                    db ? sqlite3_errmsg(db) : "cannot allocate");
}

/* ------------------------------------------------ latest row per entity */

typedef struct pick {
    size_t *best;   /* entity -> chosen row, SIZE_MAX: none yet */
    size_t nent, cap;
    /* INT keys: open addressing on the key, slot -> entity + 1 (0 empty) */
    int64_t *ikey;
    size_t *slot;
    size_t nslots;
} pick_t;

static size_t pick_entity_int(pick_t *pk, int64_t key)
{
    if ((pk->nent + 1) * 2 > pk->nslots) {
        size_t ns = pk->nslots ? pk->nslots * 2 : 1024;
        size_t *slots = xcalloc(ns, sizeof(*slots));
        for (size_t s = 0; s < pk->nslots; s++) {
            if (pk->slot[s]) {
                size_t h = (size_t)((uint64_t)pk->ikey[pk->slot[s] - 1] *
                                    0x9E3779B97F4A7C15ULL >> 20) & (ns - 1);
                while (slots[h])
                    h = (h + 1) & (ns - 1);
                slots[h] = pk->slot[s];
            }
        }
        free(pk->slot);
        pk->slot = slots;
        pk->nslots = ns;
    }
    size_t h = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ULL >> 20) &
               (pk->nslots - 1);
    while (pk->slot[h]) {
        if (pk->ikey[pk->slot[h] - 1] == key)
            return pk->slot[h] - 1;
        h = (h + 1) & (pk->nslots - 1);
    }
    if (pk->nent == pk->cap) {
        pk->cap = pk->cap ? pk->cap * 2 : 1024;
        pk->ikey = xrealloc(pk->ikey, pk->cap * sizeof(*pk->ikey));
        pk->best = xrealloc(pk->best, pk->cap * sizeof(*pk->best));
    }
    pk->ikey[pk->nent] = key;
    pk->best[pk->nent] = SIZE_MAX;
    pk->slot[h] = pk->nent + 1;
    return pk->nent++;
}

static void pick_reserve(pick_t *pk, size_t ent)
{
    if (ent >= pk->cap) {
        size_t cap = pk->cap ? pk->cap : 1024;
        while (cap <= ent)
            cap *= 2;
        pk->best = xrealloc(pk->best, cap * sizeof(*pk->best));
        for (size_t k = pk->cap; k < cap; k++)
            pk->best[k] = SIZE_MAX;
        pk->cap = cap;
    }
    if (ent >= pk->nent)
        pk->nent = ent + 1;
}

/* a's time compared with b's: null is older than anything. */
static int time_cmp(const column_t *tc, size_t a, size_t b)
{
    bool na = col_is_null(tc, a), nb = col_is_null(tc, b);
    if (tc->type == FT_FLOAT) {
        na = na || isnan(tc->f64[a]);
        nb = nb || isnan(tc->f64[b]);
    }
    if (na || nb)
        return nb - na;
    if (tc->type == FT_FLOAT)
        return (tc->f64[a] > tc->f64[b]) - (tc->f64[a] < tc->f64[b]);
    return (tc->i64[a] > tc->i64[b]) - (tc->i64[a] < tc->i64[b]);
}

static int key_cmp(const void *pa, const void *pb, void *ctx)
{
    const column_t *kc = ctx;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    if (kc->type == FT_INT)
        return (kc->i64[a] > kc->i64[b]) - (kc->i64[a] < kc->i64[b]);
    str_t x = col_str(kc, a), y = col_str(kc, b);
    int c = memcmp(x.p, y.p, x.n < y.n ? x.n : y.n);
    return c ? c : (x.n > y.n) - (x.n < y.n);
}

/* The chosen rows, sorted by key; *nnull counts rows with a null key. */
static size_t *pick_latest(const column_t *kc, const column_t *tc,
                           size_t nrows, size_t *nout, size_t *nnull)
{
    pick_t pk = {0};
    dict_t *sd = kc->type == FT_STRING ? dict_new() : NULL;
    size_t *rows, k = 0;

    *nnull = 0;
    for (size_t i = 0; i < nrows; i++) {
        size_t ent;
        if (col_is_null(kc, i)) {
            (*nnull)++;
            continue;
        }
        if (kc->type == FT_INT) {
            ent = pick_entity_int(&pk, kc->i64[i]);
        } else {
            if (kc->type == FT_STRING) {
                str_t s = col_str(kc, i);
                ent = (size_t)dict_intern(sd, s.p, s.n);
            } else {
                ent = (size_t)kc->code[i];
            }
            pick_reserve(&pk, ent);
        }
        if (pk.best[ent] == SIZE_MAX || tc == NULL ||
            time_cmp(tc, i, pk.best[ent]) >= 0)
            pk.best[ent] = i;
    }
    rows = xmalloc((pk.nent ? pk.nent : 1) * sizeof(*rows));
    for (size_t j = 0; j < pk.nent; j++)
        if (pk.best[j] != SIZE_MAX)
            rows[k++] = pk.best[j];
    qsort_r(rows, k, sizeof(*rows), key_cmp, (void *)kc);
    free(pk.best);
    free(pk.ikey);
    free(pk.slot);
    dict_free(sd);
    *nout = k;
    return rows;
}

/* ------------------------------------------------------ content hash
 *
 * content_hash names what a store holds: the format, the entity column,
 * each column's name and type, then every row in key order with each value
 * as the store keeps it (DATE and DATETIME as their ISO text, NaN as null,
 * -0.0 as 0.0, BOOL as 0/1).  It is computed from the table before a build
 * (equal: nothing to do) and recomputed from the file by online_verify, so
 * an edited value, a deleted or added row or a damaged page shows up. */

typedef struct cell {
    bool null;
    int64_t i;     /* INT, BOOL */
    double f;      /* FLOAT */
    const char *s; /* STRING, CATEGORY, DATE, DATETIME */
    size_t n;
} cell_t;

static uint64_t hash_head(const char *format, const char *entity_col)
{
    uint64_t h = STORE_HASH_INIT;
    h = store_hash(h, format, strlen(format) + 1);
    return store_hash(h, entity_col, strlen(entity_col) + 1);
}

static uint64_t hash_column(uint64_t h, const char *name, ftype_t type)
{
    uint8_t ty = (uint8_t)type;
    h = store_hash(h, name, strlen(name) + 1);
    return store_hash(h, &ty, 1);
}

static uint64_t hash_cell(uint64_t h, ftype_t type, const cell_t *c)
{
    uint8_t isnull = c->null;
    h = store_hash(h, &isnull, 1);
    if (c->null)
        return h;
    switch (type) {
    case FT_FLOAT: {
        double v = c->f == 0.0 ? 0.0 : c->f;
        return store_hash(h, &v, 8);
    }
    case FT_STRING:
    case FT_CATEGORY:
    case FT_DATE:
    case FT_DATETIME: {
        uint64_t len = c->n;
        h = store_hash(h, &len, 8);
        return store_hash(h, c->s, c->n);
    }
    default:
        return store_hash(h, &c->i, 8);
    }
}

/* Row i of c as build_store binds it; tmp holds a formatted date. */
static void cell_of_column(const column_t *c, size_t i, cell_t *out,
                           char tmp[STORE_FMT_MAX])
{
    memset(out, 0, sizeof(*out));
    out->null = col_is_null(c, i) || (c->type == FT_FLOAT && isnan(c->f64[i]));
    if (out->null)
        return;
    switch (c->type) {
    case FT_FLOAT:
        out->f = c->f64[i];
        break;
    case FT_BOOL:
        out->i = c->u8[i] != 0;
        break;
    case FT_STRING:
    case FT_CATEGORY: {
        str_t v = col_str(c, i);
        out->s = v.p;
        out->n = v.n;
        break;
    }
    case FT_DATE:
        out->s = tmp;
        out->n = store_fmt_date(c->i64[i], tmp);
        break;
    case FT_DATETIME:
        out->s = tmp;
        out->n = store_fmt_datetime(c->i64[i], tmp);
        break;
    default:
        out->i = c->i64[i];
        break;
    }
}

static uint64_t content_hash(const table_t *t, const char *entity_col,
                             const char *format, const size_t *rows, size_t n)
{
    uint64_t h = hash_head(format, entity_col);
    char tmp[STORE_FMT_MAX];
    cell_t cell;
    for (size_t j = 0; j < t->ncols; j++)
        h = hash_column(h, t->cols[j]->name, t->cols[j]->type);
    for (size_t r = 0; r < n; r++) {
        for (size_t j = 0; j < t->ncols; j++) {
            cell_of_column(t->cols[j], rows[r], &cell, tmp);
            h = hash_cell(h, t->cols[j]->type, &cell);
        }
    }
    return h;
}

/* ----------------------------------------------------------- history
 *
 * The events of every key, in (key, seq) order: the order of the history
 * table's B-tree, so the build appends to it and online_verify hashes it in
 * one scan.  The caller gives each key's events in event order; keys may
 * interleave (the rows are taken by a stable sort on the key, so a table in
 * global time order works as well as one grouped by key).  Rows with a null
 * key belong to no entity and are not stored. */

typedef struct hist_plan {
    const table_t *ev; /* key column, then the history columns */
    const char *by;
    size_t *rows;      /* event rows in (key, table order) */
    size_t n;
    /* hist_pack: each key's events encoded once, for the hash and the
     * build: key g's rows are rows[first[g] .. first[g + 1]), its blob
     * blobs.p[off[g] .. off[g + 1]) */
    size_t nkeys, *first, *off;
    buf_t blobs;
} hist_plan_t;

static int text_cmp(str_t x, str_t y)
{
    int c = memcmp(x.p, y.p, x.n < y.n ? x.n : y.n);
    return c ? c : (x.n > y.n) - (x.n < y.n);
}

static int code_cmp(const void *pa, const void *pb, void *ctx)
{
    const dict_t *d = ctx;
    return text_cmp(dict_str(d, *(const int32_t *)pa),
                    dict_str(d, *(const int32_t *)pb));
}

/* hp->rows from hp->ev: a counting sort on the key's rank, so the cost is
 * one hash per row plus sorting the distinct keys (a loan log in time
 * order has a run per row; sorting rows by key cost 4x more). */
static void hist_order(hist_plan_t *hp)
{
    const column_t *kc = hp->ev->cols[0];
    size_t nr = hp->ev->nrows;
    dict_t *keys = dict_new();
    int32_t *code = xmalloc((nr ? nr : 1) * sizeof(*code));
    int32_t *sorted;
    size_t *start, nk;

    for (size_t i = 0; i < nr; i++) {
        str_t k = col_str(kc, i);
        code[i] = col_is_null(kc, i) ? -1 : dict_intern(keys, k.p, k.n);
    }
    nk = keys->n;
    sorted = xmalloc((nk ? nk : 1) * sizeof(*sorted));
    for (size_t c = 0; c < nk; c++)
        sorted[c] = (int32_t)c;
    qsort_r(sorted, nk, sizeof(*sorted), code_cmp, keys);
    /* start[c]: where key c's rows begin in (key, table order) */
    start = xcalloc(nk + 1, sizeof(*start));
    for (size_t i = 0; i < nr; i++)
        if (code[i] >= 0)
            start[code[i]]++;
    for (size_t r = 0, at = 0; r < nk; r++) {
        size_t n = start[sorted[r]];
        start[sorted[r]] = at;
        at += n;
    }
    hp->rows = xmalloc((nr ? nr : 1) * sizeof(*hp->rows));
    hp->n = 0;
    for (size_t i = 0; i < nr; i++) {
        if (code[i] >= 0) {
            hp->rows[start[code[i]]++] = i;
            hp->n++;
        }
    }
    free(start);
    free(sorted);
    free(code);
    dict_free(keys);
}

static uint64_t hash_hist_head(uint64_t h, const char *by)
{
    uint8_t has_by = by != NULL;
    h = store_hash(h, "history", 8);
    h = store_hash(h, &has_by, 1);
    return by ? store_hash(h, by, strlen(by) + 1) : h;
}


/* One key's events in the hash: the key, their count and their blob (the
 * blob is a pure function of the events, so a push and a fresh build of
 * the same content hash alike). */
static uint64_t hash_key_events(uint64_t h, const char *key, size_t klen,
                                int64_t n, const void *blob, size_t blen)
{
    uint64_t len = klen, bl = blen;
    h = store_hash(h, &len, 8);
    h = store_hash(h, key, klen);
    h = store_hash(h, &n, 8);
    h = store_hash(h, &bl, 8);
    return store_hash(h, blob, blen);
}

/* The history section of content_hash: after the features rows, a marker,
 * the partition column, the history columns, then every key in order with
 * its events (hist_pack must have run). */
static uint64_t hash_history(uint64_t h, const hist_plan_t *hp)
{
    const table_t *ev = hp->ev;
    h = hash_hist_head(h, hp->by);
    for (size_t j = 1; j < ev->ncols; j++)
        h = hash_column(h, ev->cols[j]->name, ev->cols[j]->type);
    for (size_t g = 0; g < hp->nkeys; g++) {
        str_t k = col_str(ev->cols[0], hp->rows[hp->first[g]]);
        h = hash_key_events(h, k.p, k.n,
                            (int64_t)(hp->first[g + 1] - hp->first[g]),
                            hp->blobs.p + hp->off[g],
                            hp->off[g + 1] - hp->off[g]);
    }
    return h;
}

/* meta `history`: {"by": COLUMN or null, "columns": [{"name","type"}],
 * "events": N}. */
static void hist_json(buf_t *b, const char *by, char *const *names,
                      const ftype_t *types, size_t ncols, size_t events)
{
    buf_puts(b, "{\"by\":");
    if (by)
        put_json_str(b, by, strlen(by));
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"columns\":[");
    for (size_t j = 0; j < ncols; j++) {
        buf_puts(b, j ? ",{\"name\":" : "{\"name\":");
        put_json_str(b, names[j], strlen(names[j]));
        buf_printf(b, ",\"type\":\"%s\"}", ftype_name(types[j]));
    }
    buf_printf(b, "],\"events\":%zu}", events);
}

/* --------------------------------------------------------- binding */

typedef int (*bind_fn)(sqlite3_stmt *st, int idx, const column_t *c, size_t i);

static int bind_i64(sqlite3_stmt *st, int idx, const column_t *c, size_t i)
{
    return sqlite3_bind_int64(st, idx, c->i64[i]);
}
static int bind_f64(sqlite3_stmt *st, int idx, const column_t *c, size_t i)
{
    return isnan(c->f64[i]) ? sqlite3_bind_null(st, idx)
                            : sqlite3_bind_double(st, idx, c->f64[i]);
}
static int bind_bool(sqlite3_stmt *st, int idx, const column_t *c, size_t i)
{
    return sqlite3_bind_int(st, idx, c->u8[i] != 0);
}
static int bind_text(sqlite3_stmt *st, int idx, const column_t *c, size_t i)
{
    str_t s = col_str(c, i);
    /* STATIC: the column outlives the sqlite3_step that reads it. */
    return sqlite3_bind_text64(st, idx, s.p, s.n, SQLITE_STATIC, SQLITE_UTF8);
}
static int bind_date(sqlite3_stmt *st, int idx, const column_t *c, size_t i)
{
    char tmp[STORE_FMT_MAX];
    size_t n = store_fmt_date(c->i64[i], tmp);
    return sqlite3_bind_text(st, idx, tmp, (int)n, SQLITE_TRANSIENT);
}
static int bind_datetime(sqlite3_stmt *st, int idx, const column_t *c,
                         size_t i)
{
    char tmp[STORE_FMT_MAX];
    size_t n = store_fmt_datetime(c->i64[i], tmp);
    return sqlite3_bind_text(st, idx, tmp, (int)n, SQLITE_TRANSIENT);
}

static const bind_fn bind_by_type[FT_COUNT_] = {
    [FT_INT] = bind_i64,       [FT_FLOAT] = bind_f64,
    [FT_BOOL] = bind_bool,     [FT_STRING] = bind_text,
    [FT_CATEGORY] = bind_text, [FT_DATE] = bind_date,
    [FT_DATETIME] = bind_datetime,
};

static int bind_cell(sqlite3_stmt *st, int idx, const column_t *c, size_t i)
{
    return col_is_null(c, i) ? sqlite3_bind_null(st, idx)
                             : bind_by_type[c->type](st, idx, c, i);
}

/* ----------------------------------------------------- materialize */

static char *dir_name(const char *path)
{
    char *copy = xstrdup(path);
    char *d = xstrdup(dirname(copy));
    free(copy);
    return d;
}

/* Remove "<base>.tmp.*" left in dir by builds that were killed.  Only
 * called under the store lock, so no live build owns one. */
static void remove_stale_temps(const char *path)
{
    char *dir = dir_name(path), *copy = xstrdup(path);
    const char *base = basename(copy);
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    struct dirent *de;
    if (d) {
        while ((de = readdir(d)) != NULL) {
            if (strncmp(de->d_name, base, blen) == 0 &&
                strncmp(de->d_name + blen, ".tmp.", 5) == 0) {
                buf_t p = {0};
                buf_printf(&p, "%s/%s", dir, de->d_name);
                unlink(p.p);
                buf_free(&p);
            }
        }
        closedir(d);
    }
    free(dir);
    free(copy);
}

struct online {
    char *path;
    sqlite3 *db;
    sqlite3_stmt *get;
    dev_t dev;
    ino_t ino;
    size_t ncols, nrows;
    uint64_t content_hash; /* meta's, as written by the build */
    char **names;
    ftype_t *types;
    char **json_keys; /* "\"name\":" pre-escaped */
    size_t key;       /* index of the entity column */
    const char *format; /* ONLINE_FORMAT or ONLINE_FORMAT_HIST */
    /* history (format 3 only) */
    bool has_hist;
    char *hist_by;            /* NULL: one series */
    size_t nhist, nevents;    /* columns; events per meta */
    char **hist_names;
    ftype_t *hist_types;
    sqlite3_stmt *hist_get;   /* n and the events blob of key ?1 */
};

static int online_load(online_t *o, const char *path, ferr_t *e);
static void online_free_fields(online_t *o);

/* Whether the store at path already holds exactly this content: its meta
 * table says so and the file agrees (online_verify).  A store that claims
 * the content but fails the check is noted in st (and rebuilt). */
static bool store_holds(const char *path, uint64_t hash, online_stats_t *st)
{
    online_t o = {0};
    ferr_t e = {0};
    bool same = false;
    if (access(path, F_OK) == 0 && online_load(&o, path, NULL) == FERR_OK &&
        o.content_hash == hash) {
        o.path = (char *)path;
        same = online_verify(&o, &e) == FERR_OK;
        if (!same) {
            st->repaired = true;
            snprintf(st->damage, sizeof(st->damage), "%s", e.msg);
        }
    }
    online_free_fields(&o);
    return same;
}

static int exec(sqlite3 *db, const char *sql, const char *path, ferr_t *e)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sql_fail(db, e, path, sql);
    return FERR_OK;
}

static int write_meta(sqlite3 *db, const char *path, const table_t *t,
                      const column_t *kc, const char *time_col, size_t nrows,
                      uint64_t hash, const char *history, ferr_t *e)
{
    sqlite3_stmt *st = NULL;
    buf_t schema = {0};
    char hex[24], count[24], created[32];
    time_t now = time(NULL);
    struct tm tm;
    int rc = FERR_OK;

    buf_putc(&schema, '[');
    for (size_t j = 0; j < t->ncols; j++) {
        buf_puts(&schema, j ? ",{\"name\":" : "{\"name\":");
        put_json_str(&schema, t->cols[j]->name, strlen(t->cols[j]->name));
        buf_printf(&schema, ",\"type\":\"%s\"}", ftype_name(t->cols[j]->type));
    }
    buf_putc(&schema, ']');
    snprintf(hex, sizeof(hex), "%016" PRIx64, hash);
    snprintf(count, sizeof(count), "%zu", nrows);
    gmtime_r(&now, &tm);
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *kv[][2] = {
        {"format", history ? ONLINE_FORMAT_HIST : ONLINE_FORMAT},
        {"entity_column", kc->name},
        {"entity_type", ftype_name(kc->type)},
        {"time_column", time_col ? time_col : ""},
        {"schema", schema.p},
        {"row_count", count},
        {"created_at", created},
        {"content_hash", hex},
        {"history", history},
    };
    if (sqlite3_prepare_v2(db, "INSERT INTO meta(key, value) VALUES (?1, ?2)",
                           -1, &st, NULL) != SQLITE_OK)
        rc = sql_fail(db, e, path, "prepare meta");
    for (size_t k = 0; rc == 0 && k < sizeof(kv) / sizeof(kv[0]); k++) {
        if (kv[k][1] == NULL)
            continue;
        sqlite3_bind_text(st, 1, kv[k][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, kv[k][1], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sql_fail(db, e, path, "insert meta");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    buf_free(&schema);
    return rc;
}

#define HIST_BATCH 32

/* The history table, filled in (key, seq) order (appends to its B-tree);
 * its meta entry into *json. */
/* ---- a key's events in one blob ----------------------------------------
 *
 * history(key TEXT PRIMARY KEY, n INTEGER, events BLOB): for each history
 * column in meta order, the n values (int64 for INT, DATE, DATETIME;
 * double for FLOAT; one byte for BOOL; for STRING and CATEGORY n uint32
 * lengths, then the bytes), then n null flags (one byte each; a null's
 * value is 0).  Native byte order (the store is a cache of this machine's
 * build, rebuilt elsewhere).  A NaN is stored as a null, as SQLite stored
 * it in format 3.  The content hash is over the events as before (key,
 * seq, cells), so it does not depend on this layout. */

static bool hist_text(ftype_t t)
{
    return t == FT_STRING || t == FT_CATEGORY;
}

static bool cell_null(const column_t *c, size_t i)
{
    return col_is_null(c, i) || (c->type == FT_FLOAT && isnan(c->f64[i]));
}

/* Append the events rows[0..n) of cols[0..nh) to b. */
static void hist_encode(buf_t *b, const column_t *const *cols, size_t nh,
                        const size_t *rows, size_t n)
{
    for (size_t j = 0; j < nh; j++) {
        const column_t *c = cols[j];
        for (size_t r = 0; r < n; r++) {
            size_t i = rows[r];
            bool nul = cell_null(c, i);
            int64_t v = 0;
            double d = 0;
            uint8_t u = 0;
            uint32_t len;
            switch (c->type) {
            case FT_FLOAT:
                /* -0.0 as 0.0, as SQLite's REAL kept it in format 3 */
                d = nul || c->f64[i] == 0.0 ? 0.0 : c->f64[i];
                buf_append(b, &d, 8);
                break;
            case FT_BOOL:
                u = nul ? 0 : c->u8[i];
                buf_append(b, &u, 1);
                break;
            case FT_STRING:
            case FT_CATEGORY:
                len = nul ? 0 : (uint32_t)col_str(c, i).n;
                buf_append(b, &len, 4);
                break;
            default:
                v = nul ? 0 : c->i64[i];
                buf_append(b, &v, 8);
                break;
            }
        }
        if (hist_text(c->type))
            for (size_t r = 0; r < n; r++)
                if (!cell_null(c, rows[r]))
                    buf_append(b, col_str(c, rows[r]).p,
                               col_str(c, rows[r]).n);
        for (size_t r = 0; r < n; r++) {
            uint8_t nul = cell_null(c, rows[r]);
            buf_append(b, &nul, 1);
        }
    }
}

/* Decode n events from p[0..len) into rows at..at+n of cols (which hold
 * at least at + n rows; STRING columns must be filled in row order).
 * -1 when the blob does not hold exactly that. */
static int hist_decode(const uint8_t *p, size_t len, column_t **cols,
                       size_t nh, size_t n, size_t at)
{
    size_t off = 0;
    for (size_t j = 0; j < nh; j++) {
        column_t *c = cols[j];
        size_t w = c->type == FT_BOOL ? 1 : hist_text(c->type) ? 4 : 8;
        const uint8_t *vals, *nulls, *text;
        size_t tlen = 0;
        if (n > (len - off) / w)
            return -1;
        vals = p + off;
        off += w * n;
        if (hist_text(c->type)) {
            for (size_t r = 0; r < n; r++) {
                uint32_t l;
                memcpy(&l, vals + 4 * r, 4);
                tlen += l;
            }
            if (tlen > len - off)
                return -1;
        }
        text = p + off;
        off += tlen;
        if (n > len - off)
            return -1;
        nulls = p + off;
        off += n;
        for (size_t r = 0, t = 0; r < n; r++) {
            size_t i = at + r;
            if (nulls[r] > 1)
                return -1;
            switch (c->type) {
            case FT_FLOAT: memcpy(&c->f64[i], vals + 8 * r, 8); break;
            case FT_BOOL:
                if (vals[r] > 1)
                    return -1;
                c->u8[i] = vals[r];
                break;
            case FT_STRING:
            case FT_CATEGORY: {
                uint32_t l;
                memcpy(&l, vals + 4 * r, 4);
                if (c->type == FT_CATEGORY) {
                    c->code[i] = dict_intern(c->dict, (const char *)text + t, l);
                } else {
                    col_str_append(c, i, (const char *)text + t, l);
                }
                t += l;
                break;
            }
            default: memcpy(&c->i64[i], vals + 8 * r, 8); break;
            }
            if (nulls[r])
                col_set_null(c, i);
            else if (c->null)
                c->null[i] = 0;
        }
    }
    return off == len ? 0 : -1;
}

/* A fresh table of the history columns with n rows, decoded from blob. */
static table_t *hist_table_room(char *const *names, const ftype_t *types,
                                size_t nh, const void *blob, size_t len,
                                size_t n, size_t room);

static table_t *hist_table(char *const *names, const ftype_t *types,
                           size_t nh, const void *blob, size_t len, size_t n)
{
    return hist_table_room(names, types, nh, blob, len, n, 0);
}

/* hist_table with `room` more rows allocated after the n decoded (the
 * table says n rows): a push appends its event there. */
static table_t *hist_table_room(char *const *names, const ftype_t *types,
                                size_t nh, const void *blob, size_t len,
                                size_t n, size_t room)
{
    table_t *t = table_new();
    for (size_t j = 0; j < nh; j++)
        table_add(t, col_new(names[j], types[j], n + room), NULL);
    t->nrows = n;
    if (hist_decode(blob, len, t->cols, nh, n, 0) != 0) {
        table_free(t);
        return NULL;
    }
    return t;
}

/* Group hp's ordered rows by key and encode each key's events. */
static void hist_pack(hist_plan_t *hp)
{
    const column_t *kc = hp->ev->cols[0];
    size_t cap = 0;
    hp->nkeys = 0;
    hp->first = NULL;
    hp->off = NULL;
    for (size_t r = 0; r < hp->n;) {
        size_t end = r + 1;
        str_t k = col_str(kc, hp->rows[r]);
        while (end < hp->n && str_eq(k, col_str(kc, hp->rows[end])))
            end++;
        if (hp->nkeys + 2 > cap) {
            cap = cap ? 2 * cap : 1024;
            hp->first = xrealloc(hp->first, cap * sizeof(*hp->first));
            hp->off = xrealloc(hp->off, cap * sizeof(*hp->off));
        }
        hp->first[hp->nkeys] = r;
        hp->off[hp->nkeys] = hp->blobs.n;
        hist_encode(&hp->blobs, (const column_t *const *)hp->ev->cols + 1,
                    hp->ev->ncols - 1, hp->rows + r, end - r);
        hp->nkeys++;
        r = end;
    }
    if (hp->first == NULL) {
        hp->first = xmalloc(sizeof(*hp->first));
        hp->off = xmalloc(sizeof(*hp->off));
    }
    hp->first[hp->nkeys] = hp->n;
    hp->off[hp->nkeys] = hp->blobs.n;
}

static int build_history(sqlite3 *db, const hist_plan_t *hp,
                         const char *path, buf_t *json, ferr_t *e)
{
    const table_t *ev = hp->ev;
    const column_t *kc = ev->cols[0];
    size_t nh = ev->ncols - 1;
    sqlite3_stmt *ins = NULL;
    buf_t blob = {0};
    char **names = xcalloc(nh ? nh : 1, sizeof(*names));
    ftype_t *types = xcalloc(nh ? nh : 1, sizeof(*types));
    int rc;

    for (size_t j = 0; j < nh; j++) {
        names[j] = ev->cols[j + 1]->name;
        types[j] = ev->cols[j + 1]->type;
    }
    if ((rc = exec(db, "CREATE TABLE history(key TEXT NOT NULL PRIMARY KEY, "
                       "n INTEGER NOT NULL, events BLOB NOT NULL) "
                       "WITHOUT ROWID", path, e)))
        goto out;
    if (sqlite3_prepare_v2(db, "INSERT INTO history VALUES (?1, ?2, ?3)", -1,
                           &ins, NULL) != SQLITE_OK) {
        rc = sql_fail(db, e, path, "prepare history insert");
        goto out;
    }
    /* one row a key, in key order (the B-tree appends) */
    for (size_t g = 0; g < hp->nkeys; g++) {
        str_t k = col_str(kc, hp->rows[hp->first[g]]);
        sqlite3_bind_text64(ins, 1, k.p, k.n, SQLITE_STATIC, SQLITE_UTF8);
        sqlite3_bind_int64(ins, 2,
                           (sqlite3_int64)(hp->first[g + 1] - hp->first[g]));
        sqlite3_bind_blob64(ins, 3, hp->blobs.p ? hp->blobs.p + hp->off[g]
                                                : "",
                            hp->off[g + 1] - hp->off[g], SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = sql_fail(db, e, path, "history insert");
            goto out;
        }
        sqlite3_reset(ins);
    }
    hist_json(json, hp->by, names, types, nh, hp->n);
out:
    sqlite3_finalize(ins);
    buf_free(&blob);
    free(names);
    free(types);
    return rc;
}

/* Build the complete store in tmp. */
static int build_store(const table_t *t, const column_t *kc,
                       const char *time_col, const size_t *rows, size_t n,
                       const hist_plan_t *hp, uint64_t hash, const char *tmp,
                       const char *path, ferr_t *e)
{
    buf_t hjson = {0};
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    buf_t sql = {0};
    int rc;
    bind_fn *fns = xmalloc((t->ncols + 1) * sizeof(*fns));

    if (sqlite3_open_v2(tmp, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = sql_fail(db, e, path, "cannot create the new store");
        goto out;
    }
    /* Nobody else sees this file until the rename: no journal, no syncs
     * (one fsync of the whole file happens before the rename). */
    if ((rc = exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                       "PRAGMA locking_mode=EXCLUSIVE; "
                       "PRAGMA cache_size=-65536",
                   path, e)))
        goto out;
    buf_puts(&sql, "CREATE TABLE features(");
    for (size_t j = 0; j < t->ncols; j++) {
        const column_t *c = t->cols[j];
        if (j)
            buf_puts(&sql, ", ");
        quote_ident(&sql, c->name);
        buf_printf(&sql, " %s", sql_type[c->type]);
        if (c == kc)
            buf_puts(&sql, " PRIMARY KEY NOT NULL");
    }
    /* An INTEGER PRIMARY KEY is the rowid already; a text key is the
     * B-tree key itself, saving the second index a rowid table needs. */
    buf_puts(&sql, kc->type == FT_INT ? ");" : ") WITHOUT ROWID;");
    buf_puts(&sql, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT "
                   "NULL); BEGIN");
    if ((rc = exec(db, sql.p, path, e)))
        goto out;
    buf_reset(&sql);
    buf_puts(&sql, "INSERT INTO features VALUES (");
    for (size_t j = 0; j < t->ncols; j++) {
        buf_puts(&sql, j ? ", ?" : "?");
        fns[j] = bind_by_type[t->cols[j]->type];
    }
    buf_putc(&sql, ')');
    if (sqlite3_prepare_v3(db, sql.p, -1, SQLITE_PREPARE_PERSISTENT, &ins,
                           NULL) != SQLITE_OK) {
        rc = sql_fail(db, e, path, "prepare insert");
        goto out;
    }
    for (size_t r = 0; r < n; r++) {
        size_t i = rows[r];
        for (size_t j = 0; j < t->ncols; j++) {
            const column_t *c = t->cols[j];
            if (col_is_null(c, i))
                sqlite3_bind_null(ins, (int)j + 1);
            else
                fns[j](ins, (int)j + 1, c, i);
        }
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = sql_fail(db, e, path, "insert");
            goto out;
        }
        sqlite3_reset(ins);
    }
    if (hp && (rc = build_history(db, hp, path, &hjson, e)))
        goto out;
    if ((rc = write_meta(db, path, t, kc, time_col, n, hash,
                         hp ? hjson.p : NULL, e)) ||
        (rc = exec(db, "COMMIT", path, e)))
        goto out;
out:
    buf_free(&hjson);
    sqlite3_finalize(ins);
    if (db && sqlite3_close(db) != SQLITE_OK && rc == 0)
        rc = ferr_set(e, FERR_EXTERNAL, "%s: closing the new store failed",
                      path);
    buf_free(&sql);
    free(fns);
    return rc;
}

static int fsync_path(const char *p, ferr_t *e)
{
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return ferr_set(e, FERR_IO, "%s: fsync: %s", p, strerror(err));
    }
    close(fd);
    return FERR_OK;
}

struct online_build {
    char *path;
    buf_t tmp;       /* empty when there is nothing to rename */
    int lockfd;      /* held from prepare to publish/discard */
};

static void build_release(online_build_t *b)
{
    if (b->lockfd >= 0)
        close(b->lockfd); /* releases the flock */
    buf_free(&b->tmp);
    free(b->path);
    free(b);
}

/* Take the store's build lock (flock on "<path>.lock") into *fd. */
static int store_lock(const char *path, int *fd, ferr_t *e)
{
    buf_t lockp = {0};
    int rc = FERR_OK;
    buf_printf(&lockp, "%s.lock", path);
    *fd = open(lockp.p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0) {
        rc = ferr_set(e, FERR_IO, "%s: %s", lockp.p, strerror(errno));
    } else {
        while (flock(*fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                rc = ferr_set(e, FERR_IO, "%s: lock: %s", lockp.p,
                              strerror(errno));
                break;
            }
        }
    }
    buf_free(&lockp);
    return rc;
}

/* The history columns' names: not the table's own two, not empty. */
static int check_hist_names(const table_t *ev, const char *path,
                            const char *what, ferr_t *e)
{
    for (size_t j = 1; j < ev->ncols; j++) {
        const char *name = ev->cols[j]->name;
        if (strcasecmp(name, "key") == 0 || strcasecmp(name, "seq") == 0)
            return ferr_set(e, FERR_USAGE, "%s: %s column '%s': the history "
                            "table has its own columns key and seq; rename "
                            "it", path, what, name);
    }
    return FERR_OK;
}

static int check_hist_input(const online_history_in_t *hist,
                            const char *path, ferr_t *e)
{
    const table_t *ev = hist->events;
    if (ev == NULL || ev->ncols < 2)
        return ferr_set(e, FERR_USAGE, "%s: history events need a key column "
                        "and at least one event column", path);
    if (ev->cols[0]->type != FT_STRING && ev->cols[0]->type != FT_CATEGORY)
        return ferr_set(e, FERR_TYPE, "%s: history key column '%s' is %s; it "
                        "must be string (the entity as text)", path,
                        ev->cols[0]->name, ftype_name(ev->cols[0]->type));
    for (size_t j = 0; j < ev->ncols; j++)
        if ((unsigned)ev->cols[j]->type >= FT_COUNT_ ||
            ev->cols[j]->n != ev->nrows || ev->cols[j]->name[0] == '\0')
            return ferr_set(e, FERR_TYPE, "%s: history column %zu is "
                            "malformed", path, j);
    return check_hist_names(ev, path, "history", e);
}

int online_prepare(const table_t *t, const char *entity_col,
                   const char *time_col, const char *path,
                   online_stats_t *st, online_build_t **out, ferr_t *e)
{
    return online_prepare_with_history(t, entity_col, time_col, NULL, path,
                                       st, out, e);
}

int online_prepare_with_history(const table_t *t, const char *entity_col,
                                const char *time_col,
                                const online_history_in_t *hist,
                                const char *path, online_stats_t *st,
                                online_build_t **out, ferr_t *e)
{
    online_stats_t local = {0};
    const column_t *kc, *tc = NULL;
    size_t *rows = NULL, n = 0;
    hist_plan_t hplan = {0}, *hp = NULL;
    const char *format = hist ? ONLINE_FORMAT_HIST : ONLINE_FORMAT;
    online_build_t *b;
    int rc = FERR_OK;
    double t0 = now_seconds();

    *out = NULL;
    if (st == NULL)
        st = &local;
    memset(st, 0, sizeof(*st));
    st->rows_in = t->nrows;
    kc = table_find(t, entity_col);
    if (kc == NULL)
        return ferr_set(e, FERR_NOTFOUND, "%s: entity column '%s' not in the "
                        "feature table", path, entity_col);
    if (kc->type != FT_INT && kc->type != FT_STRING && kc->type != FT_CATEGORY)
        return ferr_set(e, FERR_TYPE, "%s: entity column '%s' is %s; it must "
                        "be int, string or category",
                        path, entity_col, ftype_name(kc->type));
    if (time_col) {
        tc = table_find(t, time_col);
        if (tc == NULL)
            return ferr_set(e, FERR_NOTFOUND, "%s: time column '%s' not in "
                            "the feature table", path, time_col);
        if (tc->type != FT_INT && tc->type != FT_FLOAT && tc->type != FT_DATE &&
            tc->type != FT_DATETIME)
            return ferr_set(e, FERR_TYPE, "%s: time column '%s' is %s; it must "
                            "be int, float, date or datetime",
                            path, time_col, ftype_name(tc->type));
    }
    for (size_t j = 0; j < t->ncols; j++)
        if ((unsigned)t->cols[j]->type >= FT_COUNT_ ||
            t->cols[j]->n != t->nrows || t->cols[j]->name[0] == '\0')
            return ferr_set(e, FERR_TYPE, "%s: column %zu is malformed", path,
                            j);
    if (hist && (rc = check_hist_input(hist, path, e)))
        return rc;

    {
        /* the store is replaced by a rename: only ever over a file */
        struct stat sb;
        if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
            return ferr_set(e, FERR_IO, "%s: exists and is not a regular "
                            "file; the online store must be one", path);
    }
    rows = pick_latest(kc, tc, t->nrows, &n, &st->null_keys);
    st->entities = n;
    st->content_hash = content_hash(t, entity_col, format, rows, n);
    if (hist) {
        hp = &hplan;
        hp->ev = hist->events;
        hp->by = hist->by;
        hist_order(hp);
        hist_pack(hp);
        st->content_hash = hash_history(st->content_hash, hp);
        st->events = hp->n;
    }

    b = xcalloc(1, sizeof(*b));
    b->path = xstrdup(path);
    if ((rc = store_lock(path, &b->lockfd, e)))
        goto out;
    remove_stale_temps(path);
    if (store_holds(path, st->content_hash, st)) {
        st->unchanged = true;
        goto out;
    }
    buf_printf(&b->tmp, "%s.tmp.%ld", path, (long)getpid());
    unlink(b->tmp.p);
    rc = build_store(t, kc, time_col, rows, n, hp, st->content_hash, b->tmp.p,
                     path, e);
    if (rc == 0)
        rc = fsync_path(b->tmp.p, e);
    if (rc) {
        unlink(b->tmp.p);
        buf_reset(&b->tmp);
    }
out:
    free(rows);
    free(hplan.rows);
    free(hplan.first);
    free(hplan.off);
    buf_free(&hplan.blobs);
    st->seconds = now_seconds() - t0;
    if (rc) {
        build_release(b);
        return rc;
    }
    *out = b;
    return FERR_OK;
}

int online_publish(online_build_t *b, ferr_t *e)
{
    int rc = FERR_OK;

    if (b->tmp.n) {
        if (rename(b->tmp.p, b->path) != 0) {
            rc = ferr_set(e, FERR_IO, "%s: rename: %s", b->path,
                          strerror(errno));
            unlink(b->tmp.p);
        } else {
            char *dir = dir_name(b->path);
            rc = fsync_dir(dir, e);
            free(dir);
        }
    }
    build_release(b);
    return rc;
}

void online_discard(online_build_t *b)
{
    if (b == NULL)
        return;
    if (b->tmp.n)
        unlink(b->tmp.p);
    build_release(b);
}

int online_materialize(const table_t *t, const char *entity_col,
                       const char *time_col, const char *path,
                       online_stats_t *st, ferr_t *e)
{
    online_stats_t local = {0};
    online_build_t *b;
    int rc;

    if (st == NULL)
        st = &local;
    rc = online_prepare(t, entity_col, time_col, path, st, &b, e);
    if (rc == FERR_OK) {
        double t0 = now_seconds();
        rc = online_publish(b, e);
        st->seconds += now_seconds() - t0;
    }
    return rc;
}

/* ------------------------------------------------------------ reader */


static void online_free_fields(online_t *o)
{
    sqlite3_finalize(o->hist_get);
    for (size_t j = 0; j < o->nhist; j++)
        free(o->hist_names[j]);
    free(o->hist_names);
    free(o->hist_types);
    free(o->hist_by);
    sqlite3_finalize(o->get);
    sqlite3_close(o->db);
    for (size_t j = 0; j < o->ncols; j++) {
        free(o->names[j]);
        free(o->json_keys[j]);
    }
    free(o->names);
    free(o->types);
    free(o->json_keys);
}

static char *meta_get(sqlite3 *db, const char *key)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            v = xstrdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
}

/* meta `history` into o, and the per-key lookup prepared once. */
static int load_history(online_t *o, const char *path, ferr_t *e)
{
    char *text = meta_get(o->db, "history");
    json_t *js = text ? json_loads(text, 0, NULL) : NULL;
    json_t *cols = json_object_get(js, "columns");
    json_t *by = json_object_get(js, "by");
    json_t *events = json_object_get(js, "events");
    buf_t sql = {0};
    int rc = FERR_OK;

    if (!json_is_object(js) || !json_is_array(cols) ||
        json_array_size(cols) == 0 || !(json_is_null(by) || json_is_string(by))
        || !json_is_integer(events) || json_integer_value(events) < 0) {
        rc = corrupt(e, path, "meta history is missing or malformed");
        goto out;
    }
    o->has_hist = true;
    o->hist_by = json_is_string(by) ? xstrdup(json_string_value(by)) : NULL;
    o->nevents = (size_t)json_integer_value(events);
    o->hist_names = xcalloc(json_array_size(cols), sizeof(char *));
    o->hist_types = xcalloc(json_array_size(cols), sizeof(ftype_t));
    for (size_t j = 0; j < json_array_size(cols); j++) {
        json_t *c = json_array_get(cols, j);
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *type = json_string_value(json_object_get(c, "type"));
        int ty = type ? ftype_parse(str_from(type)) : -1;
        if (name == NULL || ty < 0) {
            rc = corrupt(e, path, "meta history column %zu is malformed", j);
            goto out;
        }
        o->hist_names[j] = xstrdup(name);
        o->hist_types[j] = (ftype_t)ty;
        o->nhist = j + 1;
    }
    if (sqlite3_prepare_v3(o->db, "SELECT n, events FROM history WHERE key = "
                           "?1", -1, SQLITE_PREPARE_PERSISTENT, &o->hist_get,
                           NULL) != SQLITE_OK)
        rc = ferr_set(e, FERR_CORRUPT, "%s: history table does not match the "
                      "meta history: %s", path, sqlite3_errmsg(o->db));
out:
    json_decref(js);
    free(text);
    buf_free(&sql);
    return rc;
}

/* Open path into o (fields zeroed on entry). */
static int online_load(online_t *o, const char *path, ferr_t *e)
{
    buf_t uri = {0}, sql = {0};
    char *format = NULL, *ecol = NULL, *schema = NULL, *count = NULL,
         *hash = NULL;
    json_t *js = NULL;
    struct stat sb;
    int rc = FERR_OK;

    if (stat(path, &sb) != 0)
        return ferr_set(e, errno == ENOENT ? FERR_NOTFOUND : FERR_IO,
                        "%s: %s", path, strerror(errno));
    o->dev = sb.st_dev;
    o->ino = sb.st_ino;
    /* file: URI so immutable=1 can be given; escape what URIs reserve. */
    buf_puts(&uri, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            buf_printf(&uri, "%%%02X", (unsigned char)*p);
        else
            buf_putc(&uri, *p);
    }
    buf_puts(&uri, "?immutable=1");
    if (sqlite3_open_v2(uri.p, &o->db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
                            SQLITE_OPEN_URI,
                        NULL) != SQLITE_OK) {
        rc = sql_fail(o->db, e, path, "cannot open the online store");
        goto out;
    }
    /* Pages through a read-only mapping instead of a pread each: a
     * record's history lookup spent half its time in the kernel reading
     * pages (bench/predict).  Safe because the file is never written in
     * place: a new store is renamed over it, and a mapping keeps the
     * inode it was made on. */
    sqlite3_exec(o->db, "PRAGMA mmap_size=1073741824", NULL, NULL, NULL);
    format = meta_get(o->db, "format");
    if (format == NULL && is_damage(sqlite3_errcode(o->db))) {
        rc = corrupt(e, path, "%s", sqlite3_errmsg(o->db));
        goto out;
    }
    if (format && strncmp(format, "ferry-online-", 13) == 0 &&
        strcmp(format, ONLINE_FORMAT) != 0 &&
        strcmp(format, ONLINE_FORMAT_HIST) != 0) {
        rc = ferr_set(e, FERR_UNSUPPORTED, "%s: online store of format '%s'; "
                      "this ferry reads '%s' and '%s' (`ferry features "
                      "build` rebuilds it)", path, format, ONLINE_FORMAT,
                      ONLINE_FORMAT_HIST);
        goto out;
    }
    ecol = meta_get(o->db, "entity_column");
    schema = meta_get(o->db, "schema");
    count = meta_get(o->db, "row_count");
    hash = meta_get(o->db, "content_hash");
    if (format && strcmp(format, ONLINE_FORMAT) == 0)
        o->format = ONLINE_FORMAT;
    else if (format && strcmp(format, ONLINE_FORMAT_HIST) == 0)
        o->format = ONLINE_FORMAT_HIST;
    if (o->format == NULL || !ecol || !schema || !count || !hash) {
        rc = ferr_set(e, FERR_CORRUPT, "%s: not a ferry online store (meta "
                      "table missing or of another format)", path);
        goto out;
    }
    {
        uint64_t nrows;
        char *end;
        errno = 0;
        o->content_hash = strtoull(hash, &end, 16);
        if (str_parse_u64(count, &nrows) != FERR_OK || strlen(hash) != 16 ||
            *end != '\0' || errno) {
            rc = corrupt(e, path, "meta row_count '%s' or content_hash '%s' "
                         "is malformed", count, hash);
            goto out;
        }
        o->nrows = (size_t)nrows;
    }
    js = json_loads(schema, 0, NULL);
    if (!json_is_array(js) || json_array_size(js) == 0) {
        rc = ferr_set(e, FERR_CORRUPT, "%s: meta schema is not a JSON array",
                      path);
        goto out;
    }
    o->ncols = json_array_size(js);
    o->names = xcalloc(o->ncols, sizeof(char *));
    o->json_keys = xcalloc(o->ncols, sizeof(char *));
    o->types = xcalloc(o->ncols, sizeof(ftype_t));
    o->key = SIZE_MAX;
    buf_puts(&sql, "SELECT ");
    for (size_t j = 0; j < o->ncols; j++) {
        json_t *c = json_array_get(js, j);
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *type = json_string_value(json_object_get(c, "type"));
        int ty = type ? ftype_parse(str_from(type)) : -1;
        buf_t jk = {0};
        if (name == NULL || ty < 0) {
            o->ncols = j;
            rc = ferr_set(e, FERR_CORRUPT, "%s: meta schema entry %zu is "
                          "malformed", path, j);
            goto out;
        }
        o->names[j] = xstrdup(name);
        o->types[j] = (ftype_t)ty;
        put_json_str(&jk, name, strlen(name));
        buf_putc(&jk, ':');
        o->json_keys[j] = buf_steal(&jk);
        if (strcmp(name, ecol) == 0)
            o->key = j;
        if (j)
            buf_puts(&sql, ", ");
        quote_ident(&sql, name);
    }
    if (o->key == SIZE_MAX) {
        rc = ferr_set(e, FERR_CORRUPT, "%s: entity column '%s' is not in the "
                      "schema", path, ecol);
        goto out;
    }
    buf_puts(&sql, " FROM features WHERE ");
    quote_ident(&sql, ecol);
    buf_puts(&sql, " = ?1");
    if (sqlite3_prepare_v3(o->db, sql.p, -1, SQLITE_PREPARE_PERSISTENT,
                           &o->get, NULL) != SQLITE_OK)
        rc = ferr_set(e, FERR_CORRUPT, "%s: features table does not match the "
                      "meta schema: %s", path, sqlite3_errmsg(o->db));
    else if (strcmp(o->format, ONLINE_FORMAT_HIST) == 0)
        rc = load_history(o, path, e);
out:
    json_decref(js);
    free(format);
    free(ecol);
    free(schema);
    free(count);
    free(hash);
    buf_free(&uri);
    buf_free(&sql);
    return rc;
}

int online_open(const char *path, online_t **out, ferr_t *e)
{
    online_t *o = xcalloc(1, sizeof(*o));
    int rc = online_load(o, path, e);
    *out = NULL;
    if (rc) {
        online_free_fields(o);
        free(o);
        return rc;
    }
    o->path = xstrdup(path);
    *out = o;
    return FERR_OK;
}

void online_close(online_t *o)
{
    if (o == NULL)
        return;
    online_free_fields(o);
    free(o->path);
    free(o);
}

const char *online_entity_column(const online_t *o)
{
    return o->names[o->key];
}

size_t online_row_count(const online_t *o)
{
    return o->nrows;
}

/* Value j of the current row as cell_of_column would give it for the
 * type; -1 if SQLite holds another storage class there. */
static int cell_of_sql(sqlite3_stmt *st, int j, ftype_t type, cell_t *out)
{
    int cls = sqlite3_column_type(st, j);
    memset(out, 0, sizeof(*out));
    if (cls == SQLITE_NULL) {
        out->null = true;
        return 0;
    }
    if (cls != sql_class[type])
        return -1;
    if (cls == SQLITE_FLOAT) {
        out->f = sqlite3_column_double(st, j);
    } else if (cls == SQLITE_TEXT) {
        out->s = (const char *)sqlite3_column_text(st, j);
        out->n = (size_t)sqlite3_column_bytes(st, j);
    } else {
        out->i = sqlite3_column_int64(st, j);
    }
    return 0;
}

/* The content hash recomputed from what db holds (the store o describes,
 * or a copy of it being pushed to), counting the rows of features and
 * history. */
static int rehash(const online_t *o, sqlite3 *db, uint64_t *hash,
                  size_t *rows, size_t *events, ferr_t *e)
{
    sqlite3_stmt *st = NULL;
    buf_t sql = {0};
    uint64_t h = hash_head(o->format, o->names[o->key]);
    int rc = FERR_OK, step;
    cell_t cell;

    *rows = *events = 0;
    buf_puts(&sql, "SELECT ");
    for (size_t j = 0; j < o->ncols; j++) {
        if (j)
            buf_puts(&sql, ", ");
        quote_ident(&sql, o->names[j]);
        h = hash_column(h, o->names[j], o->types[j]);
    }
    buf_puts(&sql, " FROM features ORDER BY ");
    quote_ident(&sql, o->names[o->key]);
    if (sqlite3_prepare_v2(db, sql.p, -1, &st, NULL) != SQLITE_OK) {
        rc = corrupt(e, o->path, "%s", sqlite3_errmsg(db));
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t j = 0; j < o->ncols; j++) {
            if (cell_of_sql(st, (int)j, o->types[j], &cell) != 0) {
                rc = corrupt(e, o->path, "row %zu: column '%s' holds a value "
                             "that is not %s", *rows + 1, o->names[j],
                             ftype_name(o->types[j]));
                goto out;
            }
            h = hash_cell(h, o->types[j], &cell);
        }
        (*rows)++;
    }
    if (step != SQLITE_DONE) {
        rc = corrupt(e, o->path, "%s", sqlite3_errmsg(db));
        goto out;
    }
    if (!o->has_hist)
        goto out;
    /* the events, key by key in the history table's order */
    sqlite3_finalize(st);
    st = NULL;
    h = hash_hist_head(h, o->hist_by);
    for (size_t j = 0; j < o->nhist; j++)
        h = hash_column(h, o->hist_names[j], o->hist_types[j]);
    if (sqlite3_prepare_v2(db, "SELECT key, n, events FROM history ORDER BY "
                           "key", -1, &st, NULL) != SQLITE_OK) {
        rc = corrupt(e, o->path, "history: %s", sqlite3_errmsg(db));
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        size_t klen = (size_t)sqlite3_column_bytes(st, 0);
        sqlite3_int64 n = sqlite3_column_int64(st, 1);
        const void *blob = sqlite3_column_blob(st, 2);
        size_t blen = (size_t)sqlite3_column_bytes(st, 2);
        table_t *t = NULL;
        if (sqlite3_column_type(st, 0) != SQLITE_TEXT ||
            sqlite3_column_type(st, 1) != SQLITE_INTEGER || n < 0 ||
            (size_t)n > blen + 1 ||
            (t = hist_table(o->hist_names, o->hist_types, o->nhist,
                            blob ? blob : "", blen, (size_t)n)) == NULL) {
            rc = corrupt(e, o->path, "history of '%.*s': events do not "
                         "decode", (int)(klen < 64 ? klen : 64),
                         key ? key : "");
            goto out;
        }
        h = hash_key_events(h, key, klen, (int64_t)n, blob ? blob : "",
                            blen);
        *events += (size_t)n;
        table_free(t);
    }
    if (step != SQLITE_DONE)
        rc = corrupt(e, o->path, "history: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    buf_free(&sql);
    *hash = h;
    return rc;
}

int online_verify(online_t *o, ferr_t *e)
{
    sqlite3_stmt *st = NULL;
    uint64_t h;
    size_t rows, events;
    int rc = FERR_OK;

    /* the pages: b-tree structure, cell and record formats, free list */
    if (sqlite3_prepare_v2(o->db, "PRAGMA quick_check(1)", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        rc = corrupt(e, o->path, "%s", sqlite3_errmsg(o->db));
    else if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        const char *what = (const char *)sqlite3_column_text(st, 0);
        const char *head = "*** in database main ***\n";
        if (strncmp(what, head, strlen(head)) == 0)
            what += strlen(head);
        rc = corrupt(e, o->path, "%s", what);
    }
    sqlite3_finalize(st);
    if (rc)
        return rc;
    /* the rows: the content hash again, from what the file holds */
    if ((rc = rehash(o, o->db, &h, &rows, &events, e)))
        return rc;
    if (rows != o->nrows)
        return corrupt(e, o->path, "it holds %zu rows, its meta table says "
                       "%zu", rows, o->nrows);
    if (o->has_hist && events != o->nevents)
        return corrupt(e, o->path, "its history holds %zu events, its meta "
                       "table says %zu", events, o->nevents);
    if (h != o->content_hash)
        return corrupt(e, o->path, "its rows do not hash to the content_hash "
                       "it was built with (edited or damaged since)");
    return FERR_OK;
}

int online_refresh(online_t *o, bool *changed, ferr_t *e)
{
    struct stat sb;
    online_t fresh = {0};
    int rc;
    *changed = false;
    if (stat(o->path, &sb) != 0)
        return ferr_set(e, FERR_IO, "%s: %s", o->path, strerror(errno));
    if (sb.st_dev == o->dev && sb.st_ino == o->ino)
        return FERR_OK;
    if ((rc = online_load(&fresh, o->path, e)) != FERR_OK) {
        online_free_fields(&fresh);
        return rc;
    }
    online_free_fields(o);
    fresh.path = o->path;
    *o = fresh;
    *changed = true;
    return FERR_OK;
}

/* Bind the entity text as the key type and step; SQLITE_ROW on a hit. */
static int lookup(online_t *o, const char *entity, ferr_t *e)
{
    int rc;
    sqlite3_reset(o->get);
    if (o->types[o->key] == FT_INT) {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(entity, &end, 10);
        if (end == entity || *end != '\0' || errno == ERANGE)
            return ferr_set(e, FERR_PARSE, "entity '%s' is not an integer "
                            "(%s is int)", entity, o->names[o->key]);
        sqlite3_bind_int64(o->get, 1, v);
    } else {
        sqlite3_bind_text(o->get, 1, entity, -1, SQLITE_STATIC);
    }
    rc = sqlite3_step(o->get);
    if (rc == SQLITE_DONE)
        return ferr_set(e, FERR_NOTFOUND, "entity '%s' not in the online "
                        "store %s", entity, o->path);
    if (rc != SQLITE_ROW && is_damage(rc))
        return corrupt(e, o->path, "lookup: %s", sqlite3_errmsg(o->db));
    if (rc != SQLITE_ROW)
        return ferr_set(e, FERR_EXTERNAL, "%s: lookup: %s", o->path,
                        sqlite3_errmsg(o->db));
    return FERR_OK;
}

static int wrong_class(online_t *o, size_t j, ferr_t *e)
{
    return ferr_set(e, FERR_CORRUPT, "%s: column '%s' holds a value that is "
                    "not %s", o->path, o->names[j], ftype_name(o->types[j]));
}

/* Value j of st's current row into row i of c (rows filled in order);
 * -1 if SQLite holds another storage class there or a malformed date. */
static int cell_into(sqlite3_stmt *st, int j, column_t *c, size_t i)
{
    int cls = sqlite3_column_type(st, j);
    const char *txt;
    size_t len;
    if (cls == SQLITE_NULL) {
        col_set_null(c, i);
        if (c->type == FT_STRING)
            col_str_append(c, i, NULL, 0);
        return 0;
    }
    if (cls != sql_class[c->type])
        return -1;
    switch (c->type) {
    case FT_INT:
        c->i64[i] = sqlite3_column_int64(st, j);
        return 0;
    case FT_FLOAT:
        c->f64[i] = sqlite3_column_double(st, j);
        return 0;
    case FT_BOOL:
        c->u8[i] = sqlite3_column_int64(st, j) != 0;
        return 0;
    default:
        break;
    }
    txt = (const char *)sqlite3_column_text(st, j);
    len = (size_t)sqlite3_column_bytes(st, j);
    switch (c->type) {
    case FT_STRING:
        col_str_append(c, i, txt, len);
        return 0;
    case FT_CATEGORY:
        c->code[i] = dict_intern(c->dict, txt, len);
        return 0;
    case FT_DATE:
        return store_parse_date(txt, len, &c->i64[i]) == 0 ? 0 : -1;
    case FT_DATETIME:
        return store_parse_datetime(txt, len, &c->i64[i]) == 0 ? 0 : -1;
    default:
        return -1;
    }
}

int online_get(online_t *o, const char *entity, table_t **row, ferr_t *e)
{
    table_t *t;
    int rc;
    *row = NULL;
    if ((rc = lookup(o, entity, e)) != FERR_OK)
        return rc;
    t = table_new();
    for (size_t j = 0; j < o->ncols; j++) {
        column_t *c = col_new(o->names[j], o->types[j], 1);
        table_add(t, c, NULL);
        if (cell_into(o->get, (int)j, c, 0) != 0) {
            rc = wrong_class(o, j, e);
            break;
        }
    }
    sqlite3_reset(o->get);
    if (rc) {
        table_free(t);
        return rc;
    }
    *row = t;
    return FERR_OK;
}

int online_get_json(online_t *o, const char *entity, buf_t *dst, ferr_t *e)
{
    /* Built unbounded, then appended once: a capped dst either gets the
     * whole object or nothing (never a truncated one). */
    buf_t tmp = {0}, *out = &tmp;
    int rc = lookup(o, entity, e);
    char num[STORE_FMT_MAX];
    if (rc != FERR_OK)
        return rc;
    buf_putc(out, '{');
    for (size_t j = 0; j < o->ncols && rc == 0; j++) {
        int cls = sqlite3_column_type(o->get, (int)j);
        if (j)
            buf_putc(out, ',');
        buf_puts(out, o->json_keys[j]);
        if (cls == SQLITE_NULL) {
            buf_puts(out, "null");
            continue;
        }
        if (cls != sql_class[o->types[j]]) {
            rc = wrong_class(o, j, e);
            break;
        }
        switch (o->types[j]) {
        case FT_INT:
            store_fmt_i64(sqlite3_column_int64(o->get, (int)j), num);
            buf_puts(out, num);
            break;
        case FT_FLOAT: {
            double v = sqlite3_column_double(o->get, (int)j);
            if (isfinite(v)) {
                store_fmt_f64(v, num);
                buf_puts(out, num);
            } else {
                buf_puts(out, "null");
            }
            break;
        }
        case FT_BOOL:
            buf_puts(out, sqlite3_column_int64(o->get, (int)j) ? "true"
                                                                : "false");
            break;
        default:
            put_json_str(out,
                        (const char *)sqlite3_column_text(o->get, (int)j),
                        (size_t)sqlite3_column_bytes(o->get, (int)j));
            break;
        }
    }
    buf_putc(out, '}');
    sqlite3_reset(o->get);
    if (rc == 0 && buf_append(dst, tmp.p, tmp.n) != FERR_OK)
        rc = ferr_set(e, FERR_LIMIT, "entity '%s': JSON row of %zu bytes "
                      "does not fit the output buffer", entity, tmp.n);
    buf_free(&tmp);
    return rc;
}

/* ----------------------------------------------------------- history */

bool online_has_history(const online_t *o)
{
    return o->has_hist;
}

const char *online_history_by(const online_t *o)
{
    return o->hist_by;
}

size_t online_history_columns(const online_t *o, const char ***names,
                              const ftype_t **types)
{
    if (names)
        *names = (const char **)o->hist_names;
    if (types)
        *types = o->hist_types;
    return o->nhist;
}

/* Room for cap rows in c, which online_history fills in order: c->n
 * becomes cap (set to the rows filled at the end). */
int online_history(online_t *o, const char *key, table_t **out, ferr_t *e)
{
    table_t *t = NULL;
    int step, rc = FERR_OK;

    *out = NULL;
    if (!o->has_hist)
        return ferr_set(e, FERR_NOTFOUND, "%s: the online store holds no "
                        "history (it was built without one)", o->path);
    sqlite3_reset(o->hist_get);
    sqlite3_bind_text(o->hist_get, 1, key, -1, SQLITE_STATIC);
    step = sqlite3_step(o->hist_get);
    if (step == SQLITE_ROW) {
        sqlite3_int64 n = sqlite3_column_int64(o->hist_get, 0);
        const void *blob = sqlite3_column_blob(o->hist_get, 1);
        size_t len = (size_t)sqlite3_column_bytes(o->hist_get, 1);
        if (n < 0 || (size_t)n > len + 1 ||
            (t = hist_table(o->hist_names, o->hist_types, o->nhist,
                            blob ? blob : "", len, (size_t)n)) == NULL)
            rc = corrupt(e, o->path, "history of '%s': events do not decode",
                         key);
    } else if (step == SQLITE_DONE) {
        t = hist_table(o->hist_names, o->hist_types, o->nhist, "", 0, 0);
    } else {
        rc = is_damage(step)
                 ? corrupt(e, o->path, "history: %s", sqlite3_errmsg(o->db))
                 : ferr_set(e, FERR_EXTERNAL, "%s: history: %s", o->path,
                            sqlite3_errmsg(o->db));
    }
    sqlite3_reset(o->hist_get);
    if (rc)
        return rc;
    *out = t;
    return FERR_OK;
}

/* -------------------------------------------------------------- push
 *
 * The store file is only ever replaced (readers hold it open with
 * immutable=1), so a push works on a copy under the build's temporary
 * name and lock, and renames it over the store like a build does.  The
 * content hash is recomputed from the copy with the same function as
 * online_verify, so it is exactly the hash a fresh build of the same
 * content writes (the pages differ, the content does not). */

/* Test-only crash points, like the registry's (registry/reg_int.h):
 * FERRY_FAULT=push:<point> ends the process there as a kill -9 would
 * (exit 86); push:<point>:fail makes the step after it fail with ENOSPC.
 * Points: after-copy (the temporary exists, nothing written to it yet),
 * before-rename (the new store complete and fsynced). */
#define PUSH_FAULT_EXIT 86

static int push_fault(const char *point, ferr_t *e)
{
    const char *want = getenv("FERRY_FAULT");
    size_t m = strlen(point);
    if (want == NULL || strncmp(want, "push:", 5) != 0 ||
        strncmp(want + 5, point, m) != 0)
        return FERR_OK;
    want += 5 + m;
    if (*want == '\0')
        _exit(PUSH_FAULT_EXIT);
    if (strcmp(want, ":fail") == 0)
        return ferr_set(e, FERR_IO, "push:%s: %s (injected by FERRY_FAULT)",
                        point, strerror(ENOSPC));
    return FERR_OK;
}

/* in's columns from first on are exactly the store's n columns (names,
 * types), in any order; map[j] is the index in `in` of store column j. */
static int match_layout(const table_t *in, size_t first, char *const *names,
                        const ftype_t *types, size_t n, const char *path,
                        const char *what, size_t *map, ferr_t *e)
{
    for (size_t k = 0; k < in->ncols; k++)
        if ((unsigned)in->cols[k]->type >= FT_COUNT_ ||
            in->cols[k]->n != in->nrows)
            return ferr_set(e, FERR_TYPE, "%s: %s column %zu is malformed",
                            path, what, k);
    for (size_t j = 0; j < n; j++) {
        int k = table_index(in, names[j]);
        if (k < (int)first)
            return ferr_set(e, FERR_USAGE, "%s: %s have no column '%s' (%s "
                            "in the store)", path, what, names[j],
                            ftype_name(types[j]));
        if (in->cols[k]->type != types[j])
            return ferr_set(e, FERR_USAGE, "%s: %s column '%s' is %s; the "
                            "store has it as %s", path, what, names[j],
                            ftype_name(in->cols[k]->type),
                            ftype_name(types[j]));
        map[j] = (size_t)k;
    }
    for (size_t k = first; k < in->ncols; k++) {
        size_t j = 0;
        while (j < n && strcmp(names[j], in->cols[k]->name) != 0)
            j++;
        if (j == n)
            return ferr_set(e, FERR_USAGE, "%s: %s column '%s' is not in the "
                            "store", path, what, in->cols[k]->name);
    }
    return FERR_OK;
}

/* Row i of x and row r of y as the store keeps them (NaN as null, -0.0
 * as 0.0, dates as their text): the one equality of events. */
static bool cells_equal(const column_t *x, size_t i, const column_t *y,
                        size_t r)
{
    char ta[STORE_FMT_MAX], tb[STORE_FMT_MAX];
    cell_t a, b;
    cell_of_column(x, i, &a, ta);
    cell_of_column(y, r, &b, tb);
    if (a.null != b.null)
        return false;
    if (a.null)
        return true;
    return x->type == FT_FLOAT ? a.f == b.f
           : a.s ? a.n == b.n && memcmp(a.s, b.s, a.n) == 0
                 : a.i == b.i;
}

/* Whether rows a and b of ev are the same event: key and mapped columns
 * equal as the store keeps them (NaN as null, -0.0 as 0.0). */
static bool event_eq(const table_t *ev, const size_t *map, size_t nh,
                     size_t a, size_t b)
{
    if (!str_eq(col_str(ev->cols[0], a), col_str(ev->cols[0], b)))
        return false;
    for (size_t j = 0; j < nh; j++)
        if (!cells_equal(ev->cols[map[j]], a, ev->cols[map[j]], b))
            return false;
    return true;
}

static uint64_t event_hash(const table_t *ev, const size_t *map, size_t nh,
                           size_t i)
{
    char tmp[STORE_FMT_MAX];
    cell_t cell;
    str_t k = col_str(ev->cols[0], i);
    uint64_t h = store_hash(STORE_HASH_INIT, k.p, k.n);
    for (size_t j = 0; j < nh; j++) {
        const column_t *c = ev->cols[map[j]];
        cell_of_column(c, i, &cell, tmp);
        h = hash_cell(h, c->type, &cell);
    }
    return h;
}

/* occ[i]: 1 + the number of earlier rows of ev that are the same event.
 * Pushing is idempotent per occurrence: the k-th copy of an event in the
 * file is appended only while the store holds fewer than k copies, so a
 * file pushed twice adds nothing, and an event that really happened twice
 * (two equal rows in the source) is kept twice, as a build would. */
static size_t *occurrences(const table_t *ev, const size_t *map, size_t nh)
{
    size_t n = ev->nrows, ns = 16;
    size_t *occ = xcalloc(n ? n : 1, sizeof(*occ));
    size_t *slot; /* row + 1 of the first copy of an event, 0 empty */
    size_t *copies = xcalloc(n ? n : 1, sizeof(*copies)); /* by first */
    uint64_t *hash = xmalloc((n ? n : 1) * sizeof(*hash));

    while (ns < 2 * n)
        ns *= 2;
    slot = xcalloc(ns, sizeof(*slot));
    for (size_t i = 0; i < n; i++) {
        size_t s;
        if (col_is_null(ev->cols[0], i))
            continue;
        hash[i] = event_hash(ev, map, nh, i);
        s = (size_t)(hash[i] >> 7) & (ns - 1);
        while (slot[s] && !(hash[slot[s] - 1] == hash[i] &&
                            event_eq(ev, map, nh, slot[s] - 1, i)))
            s = (s + 1) & (ns - 1);
        if (slot[s] == 0)
            slot[s] = i + 1;
        occ[i] = ++copies[slot[s] - 1];
    }
    free(slot);
    free(copies);
    free(hash);
    return occ;
}

static int copy_file(const char *from, const char *to, ferr_t *e)
{
    char *chunk = xmalloc(1 << 20);
    struct stat sb;
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = FERR_OK;
    ssize_t got;

    if (in < 0 || fstat(in, &sb) != 0) {
        rc = ferr_set(e, FERR_IO, "%s: %s", from, strerror(errno));
        goto done;
    }
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
               sb.st_mode & 0777);
    if (out < 0) {
        rc = ferr_set(e, FERR_IO, "%s: %s", to, strerror(errno));
        goto done;
    }
    while ((got = read(in, chunk, 1 << 20)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            rc = ferr_set(e, FERR_IO, "%s: read: %s", from, strerror(errno));
            goto done;
        }
        for (ssize_t off = 0; off < got;) {
            ssize_t w = write(out, chunk + off, (size_t)(got - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = ferr_set(e, FERR_IO, "%s: write: %s", to,
                              strerror(errno));
                goto done;
            }
            off += w;
        }
    }
done:
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0 && rc == 0)
        rc = ferr_set(e, FERR_IO, "%s: close: %s", to, strerror(errno));
    free(chunk);
    return rc;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st,
                   const char *path, ferr_t *e)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return sql_fail(db, e, path, sql);
    return FERR_OK;
}

/* The events of ev (columns mapped to the store's history by map) not
 * already in the copy, appended after their key's last event. */
/* Whether event i of ev (columns map) equals event r of t. */
static bool same_event(const table_t *ev, const size_t *map, size_t nh,
                       size_t i, const table_t *t, size_t r)
{
    for (size_t j = 0; j < nh; j++)
        if (!cells_equal(ev->cols[map[j]], i, t->cols[j], r))
            return false;
    return true;
}

static int push_events(sqlite3 *db, const online_t *src, const table_t *ev,
                       const size_t *map, size_t *added, ferr_t *e)
{
    sqlite3_stmt *get = NULL, *put = NULL;
    size_t *occ = occurrences(ev, map, src->nhist);
    buf_t blob = {0};
    int rc;

    if ((rc = prepare(db, "SELECT n, events FROM history WHERE key = ?1",
                      &get, src->path, e)) ||
        (rc = prepare(db, "INSERT OR REPLACE INTO history VALUES (?1, ?2, "
                      "?3)", &put, src->path, e)))
        goto out;
    for (size_t i = 0; i < ev->nrows; i++) {
        str_t k = col_str(ev->cols[0], i);
        table_t *t = NULL;
        size_t n = 0, have = 0, *rows;
        int step;
        if (col_is_null(ev->cols[0], i))
            continue;
        /* the key's events as stored now (earlier rows of this push
         * included), decoded with a row to spare for this one */
        sqlite3_bind_text64(get, 1, k.p, k.n, SQLITE_STATIC, SQLITE_UTF8);
        step = sqlite3_step(get);
        if (step == SQLITE_ROW) {
            sqlite3_int64 sn = sqlite3_column_int64(get, 0);
            const void *p = sqlite3_column_blob(get, 1);
            size_t len = (size_t)sqlite3_column_bytes(get, 1);
            n = sn < 0 ? 0 : (size_t)sn;
            t = sn < 0 || n > len + 1 ? NULL :
                hist_table_room(src->hist_names, src->hist_types, src->nhist,
                                p ? p : "", len, n, 1);
            if (t == NULL) {
                sqlite3_reset(get);
                rc = corrupt(e, src->path, "history of '%.*s': events do not "
                             "decode", (int)(k.n < 64 ? k.n : 64), k.p);
                goto out;
            }
        } else if (step == SQLITE_DONE) {
            t = hist_table_room(src->hist_names, src->hist_types, src->nhist,
                                "", 0, 0, 1);
        } else {
            sqlite3_reset(get);
            rc = sql_fail(db, e, src->path, "push: history lookup");
            goto out;
        }
        sqlite3_reset(get);
        for (size_t r = 0; r < n; r++)
            have += same_event(ev, map, src->nhist, i, t, r);
        if (have >= occ[i]) {
            table_free(t);
            continue;
        }
        /* re-encode with the event appended: old events then this one */
        for (size_t j = 0; j < src->nhist; j++)
            col_copy_cell(t->cols[j], n, ev->cols[map[j]], i);
        rows = xcalloc(n + 1, sizeof(*rows));
        for (size_t r = 0; r <= n; r++)
            rows[r] = r;
        buf_reset(&blob);
        hist_encode(&blob, (const column_t *const *)t->cols, src->nhist, rows,
                    n + 1);
        free(rows);
        table_free(t);
        sqlite3_bind_text64(put, 1, k.p, k.n, SQLITE_STATIC, SQLITE_UTF8);
        sqlite3_bind_int64(put, 2, (sqlite3_int64)(n + 1));
        sqlite3_bind_blob64(put, 3, blob.p ? blob.p : "", blob.n,
                            SQLITE_STATIC);
        if (sqlite3_step(put) != SQLITE_DONE) {
            sqlite3_reset(put);
            rc = sql_fail(db, e, src->path, "push: history insert");
            goto out;
        }
        sqlite3_reset(put);
        (*added)++;
    }
out:
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    buf_free(&blob);
    free(occ);
    return rc;
}

/* Each row of latest inserted or replacing its entity's row (a later row
 * of the same entity wins); rows with a null entity are skipped, as a
 * build skips them. */
static int push_latest(sqlite3 *db, const online_t *src, const table_t *lt,
                       const size_t *map, ferr_t *e)
{
    sqlite3_stmt *ins = NULL;
    buf_t q = {0};
    const column_t *kc = lt->cols[map[src->key]];
    int rc;

    buf_puts(&q, "INSERT OR REPLACE INTO features VALUES (");
    for (size_t j = 0; j < src->ncols; j++)
        buf_puts(&q, j ? ", ?" : "?");
    buf_putc(&q, ')');
    if ((rc = prepare(db, q.p, &ins, src->path, e)))
        goto out;
    for (size_t i = 0; i < lt->nrows; i++) {
        if (col_is_null(kc, i))
            continue;
        for (size_t j = 0; j < src->ncols; j++)
            bind_cell(ins, (int)j + 1, lt->cols[map[j]], i);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = sql_fail(db, e, src->path, "push: features insert");
            goto out;
        }
        sqlite3_reset(ins);
    }
out:
    sqlite3_finalize(ins);
    buf_free(&q);
    return rc;
}

/* meta's counts, hash, history entry and created_at for the new content. */
static int push_meta(sqlite3 *db, const online_t *src, size_t rows,
                     size_t events, uint64_t hash, ferr_t *e)
{
    sqlite3_stmt *up = NULL;
    buf_t hj = {0};
    char hex[24], count[24], created[32];
    time_t now = time(NULL);
    struct tm tm;
    int rc;

    snprintf(hex, sizeof(hex), "%016" PRIx64, hash);
    snprintf(count, sizeof(count), "%zu", rows);
    gmtime_r(&now, &tm);
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (src->has_hist)
        hist_json(&hj, src->hist_by, src->hist_names, src->hist_types,
                  src->nhist, events);
    const char *kv[][2] = {
        {"row_count", count},
        {"content_hash", hex},
        {"created_at", created},
        {"history", src->has_hist ? hj.p : NULL},
    };
    if ((rc = prepare(db, "UPDATE meta SET value = ?2 WHERE key = ?1", &up,
                      src->path, e)))
        goto out;
    for (size_t k = 0; rc == 0 && k < sizeof(kv) / sizeof(kv[0]); k++) {
        if (kv[k][1] == NULL)
            continue;
        sqlite3_bind_text(up, 1, kv[k][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(up, 2, kv[k][1], -1, SQLITE_STATIC);
        if (sqlite3_step(up) != SQLITE_DONE || sqlite3_changes(db) != 1)
            rc = sql_fail(db, e, src->path, "push: update meta");
        sqlite3_reset(up);
    }
out:
    sqlite3_finalize(up);
    buf_free(&hj);
    return rc;
}

int online_push(const char *path, const table_t *events, const table_t *latest,
                size_t *added, ferr_t *e)
{
    online_t src = {0};
    buf_t tmp = {0};
    sqlite3 *db = NULL;
    size_t *emap = NULL, *lmap = NULL, rows, nev;
    uint64_t h;
    int lockfd = -1, rc;

    *added = 0;
    if ((rc = store_lock(path, &lockfd, e)))
        goto out;
    remove_stale_temps(path);
    /* the store as it is, checked: a damaged store is rebuilt, not pushed
     * to (a new hash over damaged rows would hide the damage) */
    rc = online_load(&src, path, e);
    src.path = (char *)path;
    if (rc || (rc = online_verify(&src, e)))
        goto out;
    if (events) {
        if (!src.has_hist) {
            rc = ferr_set(e, FERR_USAGE, "%s: the online store holds no "
                          "history to push events to (it was built without "
                          "one)", path);
            goto out;
        }
        if (events->ncols == 0 || (events->cols[0]->type != FT_STRING &&
                                   events->cols[0]->type != FT_CATEGORY)) {
            rc = ferr_set(e, FERR_USAGE, "%s: events: the first column must "
                          "be the key as a string%s%s%s", path,
                          events->ncols ? " ('" : "",
                          events->ncols ? events->cols[0]->name : "",
                          events->ncols ? "' is not)" : "");
            goto out;
        }
        emap = xcalloc(src.nhist, sizeof(*emap));
        if ((rc = match_layout(events, 1, src.hist_names, src.hist_types,
                               src.nhist, path, "events", emap, e)))
            goto out;
    }
    if (latest) {
        lmap = xcalloc(src.ncols, sizeof(*lmap));
        if ((rc = match_layout(latest, 0, src.names, src.types, src.ncols,
                               path, "latest rows", lmap, e)))
            goto out;
    }

    buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    if ((rc = copy_file(path, tmp.p, e)) ||
        (rc = push_fault("after-copy", e)))
        goto out;
    if (sqlite3_open_v2(tmp.p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = sql_fail(db, e, path, "cannot open the copy of the store");
        goto out;
    }
    /* as in build_store: nobody sees the copy before the rename */
    if ((rc = exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                       "PRAGMA locking_mode=EXCLUSIVE; "
                       "PRAGMA cache_size=-65536; BEGIN",
                   path, e)))
        goto out;
    if (events && (rc = push_events(db, &src, events, emap, added, e)))
        goto out;
    if (latest && (rc = push_latest(db, &src, latest, lmap, e)))
        goto out;
    if ((rc = rehash(&src, db, &h, &rows, &nev, e)))
        goto out;
    if (h == src.content_hash && rows == src.nrows && nev == src.nevents) {
        /* nothing new: keep the store (and its readers' snapshot) as is */
        goto out;
    }
    if ((rc = push_meta(db, &src, rows, nev, h, e)) ||
        (rc = exec(db, "COMMIT", path, e)))
        goto out;
    rc = sqlite3_close(db) == SQLITE_OK
             ? FERR_OK
             : ferr_set(e, FERR_EXTERNAL, "%s: closing the new store failed",
                        path);
    db = NULL;
    if (rc || (rc = fsync_path(tmp.p, e)) ||
        (rc = push_fault("before-rename", e)))
        goto out;
    if (rename(tmp.p, path) != 0) {
        rc = ferr_set(e, FERR_IO, "%s: rename: %s", path, strerror(errno));
        goto out;
    }
    buf_reset(&tmp); /* renamed: nothing to remove */
    {
        char *dir = dir_name(path);
        rc = fsync_dir(dir, e);
        free(dir);
    }
out:
    if (db)
        sqlite3_close(db);
    if (tmp.n)
        unlink(tmp.p);
    if (rc)
        *added = 0;
    src.path = NULL;
    online_free_fields(&src);
    free(emap);
    free(lmap);
    buf_free(&tmp);
    if (lockfd >= 0)
        close(lockfd);
    return rc;
}

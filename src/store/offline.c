/*
 * offline.c - the offline feature table writers and the .fcol reader.
 *
 * CSV: cells are formatted by a per-type function (a table, not a switch in
 * the row loop) into a 1 MiB buffer that is flushed to the afile, so a
 * 777k x 8 table is written in a fraction of a second.
 *
 * .fcol (layout in docs/store.md): a 64-byte header, then per column up to
 * four 8-byte aligned sections (null map, values, offsets, bytes), then the
 * column directory (fixed 120-byte entries followed by the names).  The
 * directory is written last because only then are all offsets known; the
 * header, rewritten at the end, points to it.  The reader checks the header,
 * then the directory, then each section it needs, and reads every section
 * straight into the column arrays with pread: no intermediate copy, and a
 * column subset touches only its own bytes.  All multi-byte numbers are
 * little-endian; the arrays are written in host order, so hosts must be
 * little-endian (asserted at compile time).
 */
#include "store/offline.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/afile.h"
#include "base/mem.h"
#include "store/store_int.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               ".fcol stores arrays in host order: little-endian hosts only");

/* ------------------------------------------------------------------ CSV */

#define CSV_BUF (1u << 20)
#define CSV_BLOCK_ROWS 16384   /* rows formatted per task (about 1 MB) */
#define CSV_MAX_THREADS 8

/* A cell writer: into a fixed buffer flushed to fp, or (fp == NULL) into a
 * buffer that grows, holding one block of rows for a formatting thread. */
typedef struct csvw {
    FILE *fp;
    char *buf;
    size_t n, cap;
    bool err;
} csvw_t;

/* Ask the kernel to start writing what is in the page cache now, so the
 * fsync before the rename waits for the tail only, not for the whole file:
 * the disk works while we format.  A hint: failures are ignored (the fsync
 * still decides). */
#define WRITEBACK_EVERY ((size_t)8 << 20)
static void start_writeback(FILE *fp)
{
#ifdef SYNC_FILE_RANGE_WRITE
    if (fflush(fp) == 0)
        (void)sync_file_range(fileno(fp), 0, 0, SYNC_FILE_RANGE_WRITE);
#else
    (void)fp;
#endif
}

static void w_flush(csvw_t *w)
{
    if (w->fp == NULL) {
        w->cap *= 2;
        w->buf = xrealloc(w->buf, w->cap);
        return;
    }
    if (w->n && fwrite(w->buf, 1, w->n, w->fp) != w->n)
        w->err = true;
    w->n = 0;
}

/* Pointer to at least k free bytes (k <= CSV_BUF). */
static inline char *w_room(csvw_t *w, size_t k)
{
    if (w->cap - w->n < k)
        w_flush(w);
    return w->buf + w->n;
}

static void w_bytes(csvw_t *w, const char *p, size_t n)
{
    while (n) {
        size_t k;
        if (w->n == w->cap)
            w_flush(w);
        k = w->cap - w->n;
        if (k > n)
            k = n;
        memcpy(w->buf + w->n, p, k);
        w->n += k;
        p += k;
        n -= k;
    }
}

static inline void w_char(csvw_t *w, char c)
{
    *w_room(w, 1) = c;
    w->n++;
}

/* Text quoted only when RFC 4180 requires it, or when empty and
 * quote_empty (a non-null empty string must not read back as null). */
static void w_text(csvw_t *w, const char *p, size_t n, bool quote_empty)
{
    bool quote = n == 0 ? quote_empty : false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r';
    if (!quote) {
        w_bytes(w, p, n);
        return;
    }
    w_char(w, '"');
    for (;;) {
        const char *q = memchr(p, '"', n);
        size_t k = q ? (size_t)(q - p) + 1 : n;
        w_bytes(w, p, k);
        if (q == NULL)
            break;
        w_char(w, '"'); /* the quote just written, doubled */
        p += k;
        n -= k;
    }
    w_char(w, '"');
}

typedef void (*cell_fn)(csvw_t *w, const column_t *c, size_t i);

static void cell_int(csvw_t *w, const column_t *c, size_t i)
{
    w->n += store_fmt_i64(c->i64[i], w_room(w, STORE_FMT_MAX));
}

static void cell_float(csvw_t *w, const column_t *c, size_t i)
{
    w->n += store_fmt_f64(c->f64[i], w_room(w, STORE_FMT_MAX));
}

static void cell_bool(csvw_t *w, const column_t *c, size_t i)
{
    w_char(w, c->u8[i] ? '1' : '0');
}

static void cell_date(csvw_t *w, const column_t *c, size_t i)
{
    w->n += store_fmt_date(c->i64[i], w_room(w, STORE_FMT_MAX));
}

static void cell_datetime(csvw_t *w, const column_t *c, size_t i)
{
    w->n += store_fmt_datetime(c->i64[i], w_room(w, STORE_FMT_MAX));
}

static void cell_text(csvw_t *w, const column_t *c, size_t i)
{
    str_t s = col_str(c, i);
    w_text(w, s.p, s.n, true);
}

static const cell_fn cell_by_type[FT_COUNT_] = {
    [FT_INT] = cell_int,       [FT_FLOAT] = cell_float,
    [FT_BOOL] = cell_bool,     [FT_STRING] = cell_text,
    [FT_CATEGORY] = cell_text, [FT_DATE] = cell_date,
    [FT_DATETIME] = cell_datetime,
};

/* Cells of bounded width (every type but text), formatted straight into
 * room reserved once per row: no bounds check and no call per byte.  A
 * date column remembers its last value, because feature tables come in
 * time order and consecutive rows mostly share the day. */
typedef struct memo {
    int64_t key;
    size_t len; /* 0: nothing remembered */
    char txt[STORE_FMT_MAX];
} memo_t;

typedef size_t (*fixed_fn)(memo_t *m, const column_t *c, size_t i, char *out);

static size_t fx_int(memo_t *m, const column_t *c, size_t i, char *out)
{
    (void)m;
    return store_fmt_i64(c->i64[i], out);
}

static size_t fx_float(memo_t *m, const column_t *c, size_t i, char *out)
{
    (void)m;
    return store_fmt_f64(c->f64[i], out);
}

static size_t fx_bool(memo_t *m, const column_t *c, size_t i, char *out)
{
    (void)m;
    *out = c->u8[i] ? '1' : '0';
    return 1;
}

static size_t fx_date(memo_t *m, const column_t *c, size_t i, char *out)
{
    size_t n;
    if (m->len && m->key == c->i64[i]) {
        memcpy(out, m->txt, STORE_FMT_MAX);
        return m->len;
    }
    n = store_fmt_date(c->i64[i], out);
    memcpy(m->txt, out, STORE_FMT_MAX);
    m->key = c->i64[i];
    m->len = n;
    return n;
}

static size_t fx_datetime(memo_t *m, const column_t *c, size_t i, char *out)
{
    (void)m;
    return store_fmt_datetime(c->i64[i], out);
}

static const fixed_fn fixed_by_type[FT_COUNT_] = {
    [FT_INT] = fx_int,     [FT_FLOAT] = fx_float, [FT_BOOL] = fx_bool,
    [FT_DATE] = fx_date,   [FT_DATETIME] = fx_datetime,
};

static int check_table(const table_t *t, const char *path, ferr_t *e)
{
    for (size_t j = 0; j < t->ncols; j++) {
        const column_t *c = t->cols[j];
        if ((unsigned)c->type >= FT_COUNT_)
            return ferr_set(e, FERR_TYPE, "%s: column '%s': invalid type %d",
                            path, c->name, (int)c->type);
        if (c->n != t->nrows)
            return ferr_set(e, FERR_RANGE,
                            "%s: column '%s' has %zu rows, table has %zu",
                            path, c->name, c->n, t->nrows);
    }
    return FERR_OK;
}

/* All columns of bounded width: reserve a row's worst case, then write. */
static bool format_fixed(csvw_t *w, const table_t *t, size_t r0, size_t r1)
{
    size_t nc = t->ncols, rowmax = nc * (STORE_FMT_MAX + 1) + 1;
    fixed_fn *fx;
    memo_t *memo;

    if (nc == 0 || rowmax > w->cap)
        return false;
    for (size_t j = 0; j < nc; j++)
        if (fixed_by_type[t->cols[j]->type] == NULL)
            return false;
    fx = xmalloc(nc * sizeof(*fx));
    memo = xcalloc(nc, sizeof(*memo));
    for (size_t j = 0; j < nc; j++)
        fx[j] = fixed_by_type[t->cols[j]->type];
    for (size_t i = r0; i < r1 && !w->err; i++) {
        char *p;
        if (w->cap - w->n < rowmax)
            w_flush(w);
        p = w->buf + w->n;
        for (size_t j = 0; j < nc; j++) {
            const column_t *c = t->cols[j];
            if (j)
                *p++ = ',';
            if (!col_is_null(c, i))
                p += fx[j](&memo[j], c, i, p);
        }
        *p++ = '\n';
        w->n = (size_t)(p - w->buf);
    }
    free(fx);
    free(memo);
    return true;
}

static void format_rows(csvw_t *w, const table_t *t, const cell_fn *fns,
                        size_t r0, size_t r1)
{
    if (format_fixed(w, t, r0, r1))
        return;
    for (size_t i = r0; i < r1 && !w->err; i++) {
        for (size_t j = 0; j < t->ncols; j++) {
            const column_t *c = t->cols[j];
            if (j)
                w_char(w, ',');
            if (!col_is_null(c, i))
                fns[j](w, c, i);
        }
        w_char(w, '\n');
    }
}

/* Parallel formatting: threads take blocks of CSV_BLOCK_ROWS rows in
 * order from a counter and format each into its own buffer; the calling
 * thread formats too and writes finished blocks in row order as soon as
 * the next one is ready, so the output is byte-identical to a serial
 * write whatever the scheduling. */
typedef struct csvpar {
    const table_t *t;
    const cell_fn *fns;
    size_t nblocks;
    atomic_size_t next;
    char **buf;
    size_t *len;
    bool *done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} csvpar_t;

/* Format the next unclaimed block; false when none is left. */
static bool par_format_one(csvpar_t *cp)
{
    size_t b = atomic_fetch_add(&cp->next, 1);
    size_t r0, r1;
    csvw_t w = {0};

    if (b >= cp->nblocks)
        return false;
    r0 = b * CSV_BLOCK_ROWS;
    r1 = r0 + CSV_BLOCK_ROWS < cp->t->nrows ? r0 + CSV_BLOCK_ROWS
                                            : cp->t->nrows;
    w.cap = CSV_BUF;
    w.buf = xmalloc(w.cap);
    format_rows(&w, cp->t, cp->fns, r0, r1);
    pthread_mutex_lock(&cp->mu);
    cp->buf[b] = w.buf;
    cp->len[b] = w.n;
    cp->done[b] = true;
    pthread_cond_broadcast(&cp->cv);
    pthread_mutex_unlock(&cp->mu);
    return true;
}

static void *par_worker(void *arg)
{
    while (par_format_one(arg))
        ;
    return NULL;
}

static int threads_for(size_t nblocks)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > CSV_MAX_THREADS)
        n = CSV_MAX_THREADS;
    if ((size_t)n > nblocks)
        n = (long)nblocks;
    return (int)n;
}

static void write_parallel(csvw_t *out, const table_t *t, const cell_fn *fns)
{
    csvpar_t cp = {.t = t, .fns = fns};
    pthread_t th[CSV_MAX_THREADS];
    int nth, started = 0;
    size_t w = 0, unsynced = 0;

    cp.nblocks = (t->nrows + CSV_BLOCK_ROWS - 1) / CSV_BLOCK_ROWS;
    nth = threads_for(cp.nblocks);
    cp.buf = xcalloc(cp.nblocks, sizeof(*cp.buf));
    cp.len = xcalloc(cp.nblocks, sizeof(*cp.len));
    cp.done = xcalloc(cp.nblocks, sizeof(*cp.done));
    atomic_init(&cp.next, 0);
    pthread_mutex_init(&cp.mu, NULL);
    pthread_cond_init(&cp.cv, NULL);
    w_flush(out); /* the header */
    for (int k = 1; k < nth; k++)
        if (pthread_create(&th[started], NULL, par_worker, &cp) == 0)
            started++;
    while (w < cp.nblocks) {
        bool ready;
        pthread_mutex_lock(&cp.mu);
        ready = cp.done[w];
        pthread_mutex_unlock(&cp.mu);
        if (ready) {
            if (!out->err && cp.len[w] &&
                fwrite(cp.buf[w], 1, cp.len[w], out->fp) != cp.len[w])
                out->err = true;
            unsynced += cp.len[w];
            if (unsynced >= WRITEBACK_EVERY) {
                start_writeback(out->fp);
                unsynced = 0;
            }
            free(cp.buf[w]);
            cp.buf[w] = NULL;
            w++;
        } else if (!par_format_one(&cp)) {
            /* All blocks are claimed: wait for the one to write next. */
            pthread_mutex_lock(&cp.mu);
            while (!cp.done[w])
                pthread_cond_wait(&cp.cv, &cp.mu);
            pthread_mutex_unlock(&cp.mu);
        }
    }
    for (int k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    pthread_mutex_destroy(&cp.mu);
    pthread_cond_destroy(&cp.cv);
    free(cp.buf);
    free(cp.len);
    free(cp.done);
}

int offline_write_csv_fp(const table_t *t, FILE *fp, const char *name,
                         ferr_t *e)
{
    csvw_t w = {0};
    cell_fn *fns;
    int rc = check_table(t, name, e);

    if (rc)
        return rc;
    w.fp = fp;
    w.cap = CSV_BUF;
    w.buf = xmalloc(CSV_BUF);
    fns = xmalloc((t->ncols + 1) * sizeof(*fns));
    for (size_t j = 0; j < t->ncols; j++) {
        fns[j] = cell_by_type[t->cols[j]->type];
        if (j)
            w_char(&w, ',');
        w_text(&w, t->cols[j]->name, strlen(t->cols[j]->name), true);
    }
    w_char(&w, '\n');
    if (t->nrows > CSV_BLOCK_ROWS)
        write_parallel(&w, t, fns);
    else
        format_rows(&w, t, fns, 0, t->nrows);
    w_flush(&w);
    free(fns);
    free(w.buf);
    if (w.err)
        return ferr_set(e, FERR_IO, "%s: write failed: %s", name,
                        strerror(errno));
    return FERR_OK;
}

int offline_write_csv_af(const table_t *t, afile_t *af, ferr_t *e)
{
    int rc = offline_write_csv_fp(t, af->fp, af->path, e);
    /* flushed and fsync'ed now, so the caller's afile_commit is only a
     * rename: the expensive part of publishing runs on the writer's
     * thread */
    return rc ? rc : afile_sync(af, e);
}

/* Check, write into a temporary with fn, rename over path (or remove the
 * temporary): the one-file form of the two-phase *_af writers. */
static int write_atomically(const table_t *t, const char *path,
                            int (*fn)(const table_t *, afile_t *, ferr_t *),
                            ferr_t *e)
{
    afile_t af;
    int rc = check_table(t, path, e);

    if (rc)
        return rc;
    if ((rc = afile_open(&af, path, e)) != FERR_OK)
        return rc;
    rc = fn(t, &af, e);
    if (rc) {
        afile_abort(&af);
        return rc;
    }
    return afile_commit(&af, e);
}

int offline_write_csv(const table_t *t, const char *path, ferr_t *e)
{
    return write_atomically(t, path, offline_write_csv_af, e);
}

/* ----------------------------------------------------------- .fcol format */

static const uint8_t fcol_magic[8] = {0x89, 'F', 'C', 'O', 'L', '\r', '\n', 0x1a};

#define FCOL_HDR 64
#define FCOL_ENT 120
#define FCOL_MAX_COLS (1u << 20)

enum { SEC_NULL, SEC_VALUES, SEC_OFFSETS, SEC_BYTES, SEC_COUNT_ };
static const char *const sec_name[SEC_COUNT_] = {"null map", "values",
                                                 "offsets", "bytes"};
#define FCOL_HAS_NULL 1u

typedef struct fsec {
    uint64_t off, len;
    uint32_t crc;
} fsec_t;

typedef struct fent {
    uint64_t name_off;
    uint32_t name_len;
    uint8_t type, flags;
    uint64_t count; /* CATEGORY: dictionary size */
    fsec_t sec[SEC_COUNT_];
} fent_t;

/* Width in bytes of one value of the VALUES section (0: none). */
static const uint8_t value_width[FT_COUNT_] = {
    [FT_INT] = 8,  [FT_FLOAT] = 8,    [FT_BOOL] = 1, [FT_STRING] = 0,
    [FT_CATEGORY] = 4, [FT_DATE] = 8, [FT_DATETIME] = 8,
};

static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void ent_encode(const fent_t *f, uint8_t *p)
{
    memset(p, 0, FCOL_ENT);
    put64(p, f->name_off);
    put32(p + 8, f->name_len);
    p[12] = f->type;
    p[13] = f->flags;
    put64(p + 16, f->count);
    for (int s = 0; s < SEC_COUNT_; s++) {
        put64(p + 24 + 24 * s, f->sec[s].off);
        put64(p + 32 + 24 * s, f->sec[s].len);
        put32(p + 40 + 24 * s, f->sec[s].crc);
    }
}

static void ent_decode(const uint8_t *p, fent_t *f, uint16_t *reserved)
{
    f->name_off = get64(p);
    f->name_len = get32(p + 8);
    f->type = p[12];
    f->flags = p[13];
    memcpy(reserved, p + 14, 2);
    f->count = get64(p + 16);
    for (int s = 0; s < SEC_COUNT_; s++) {
        f->sec[s].off = get64(p + 24 + 24 * s);
        f->sec[s].len = get64(p + 32 + 24 * s);
        f->sec[s].crc = get32(p + 40 + 24 * s);
    }
}

/* Sequential section writer over the afile. */
typedef struct fw {
    FILE *fp;
    uint64_t pos;
    bool err;
} fw_t;

static void fw_bytes(fw_t *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->fp) != n)
        w->err = true;
    w->pos += n;
}

static void fw_align(fw_t *w)
{
    static const uint8_t zero[8];
    fw_bytes(w, zero, (8 - w->pos % 8) % 8);
}

static void fw_begin(fw_t *w, fsec_t *s)
{
    fw_align(w);
    s->off = w->pos;
    s->len = 0;
    s->crc = 0;
}

static void fw_more(fw_t *w, fsec_t *s, const void *p, size_t n)
{
    fw_bytes(w, p, n);
    s->crc = store_crc32c(s->crc, p, n);
    s->len += n;
}

static void fw_section(fw_t *w, fsec_t *s, const void *p, size_t n)
{
    fw_begin(w, s);
    fw_more(w, s, p, n);
}

static void fcol_write_column(fw_t *w, const column_t *c, fent_t *f)
{
    size_t n = c->n;
    f->type = (uint8_t)c->type;
    if (c->null) {
        f->flags |= FCOL_HAS_NULL;
        fw_section(w, &f->sec[SEC_NULL], c->null, n);
    }
    switch (c->type) {
    case FT_INT:
    case FT_DATE:
    case FT_DATETIME:
        fw_section(w, &f->sec[SEC_VALUES], c->i64, n * 8);
        break;
    case FT_FLOAT:
        fw_section(w, &f->sec[SEC_VALUES], c->f64, n * 8);
        break;
    case FT_BOOL:
        fw_section(w, &f->sec[SEC_VALUES], c->u8, n);
        break;
    case FT_STRING:
        fw_section(w, &f->sec[SEC_OFFSETS], c->off, (n + 1) * 8);
        fw_section(w, &f->sec[SEC_BYTES], c->data, (size_t)c->off[n]);
        break;
    case FT_CATEGORY: {
        const dict_t *d = c->dict;
        uint64_t o = 0;
        fw_section(w, &f->sec[SEC_VALUES], c->code, n * 4);
        f->count = d->n;
        fw_begin(w, &f->sec[SEC_OFFSETS]);
        fw_more(w, &f->sec[SEC_OFFSETS], &o, 8);
        for (size_t k = 0; k < d->n; k++) {
            o += d->len[k];
            fw_more(w, &f->sec[SEC_OFFSETS], &o, 8);
        }
        fw_begin(w, &f->sec[SEC_BYTES]);
        for (size_t k = 0; k < d->n; k++)
            fw_more(w, &f->sec[SEC_BYTES], d->str[k], d->len[k]);
        break;
    }
    default:
        break;
    }
}

int fcol_write_af(const table_t *t, afile_t *af, ferr_t *e)
{
    const char *path = af->path;
    fw_t w = {0};
    fent_t *ents;
    uint8_t hdr[FCOL_HDR] = {0};
    buf_t dir = {0};
    uint64_t names_len = 0, dir_off;
    int rc = check_table(t, path, e);

    if (rc)
        return rc;
    if (t->ncols > FCOL_MAX_COLS)
        return ferr_set(e, FERR_LIMIT, "%s: %zu columns (at most %u)", path,
                        t->ncols, FCOL_MAX_COLS);
    setvbuf(af->fp, NULL, _IOFBF, 1u << 20);
    w.fp = af->fp;
    fw_bytes(&w, hdr, FCOL_HDR); /* rewritten once the directory is known */
    ents = xcalloc(t->ncols ? t->ncols : 1, sizeof(*ents));
    for (size_t j = 0; j < t->ncols && !w.err; j++) {
        uint64_t before = w.pos;
        fcol_write_column(&w, t->cols[j], &ents[j]);
        if (w.pos - before >= WRITEBACK_EVERY / 4)
            start_writeback(w.fp);
    }

    /* Directory: entries, then the names, padded to 8 bytes. */
    fw_align(&w);
    dir_off = w.pos;
    buf_append(&dir, NULL, 0);
    {
        uint8_t *raw = xcalloc(t->ncols ? t->ncols : 1, FCOL_ENT);
        uint64_t name_base = (uint64_t)t->ncols * FCOL_ENT;
        for (size_t j = 0; j < t->ncols; j++) {
            ents[j].name_off = name_base + names_len;
            ents[j].name_len = (uint32_t)strlen(t->cols[j]->name);
            names_len += ents[j].name_len;
            ent_encode(&ents[j], raw + j * FCOL_ENT);
        }
        buf_append(&dir, raw, (size_t)name_base);
        free(raw);
        for (size_t j = 0; j < t->ncols; j++)
            buf_append(&dir, t->cols[j]->name, ents[j].name_len);
        while (dir.n % 8)
            buf_putc(&dir, 0);
    }
    fw_bytes(&w, dir.p, dir.n);

    memcpy(hdr, fcol_magic, 8);
    put32(hdr + 8, FCOL_VERSION);
    put32(hdr + 12, (uint32_t)t->ncols);
    put64(hdr + 16, t->nrows);
    put64(hdr + 24, dir_off);
    put64(hdr + 32, dir.n);
    put64(hdr + 40, w.pos);
    put32(hdr + 48, store_crc32c(0, dir.p, dir.n));
    put32(hdr + 60, store_crc32c(0, hdr, 60));
    buf_free(&dir);
    free(ents);
    if (!w.err && (fflush(af->fp) != 0 || fseek(af->fp, 0, SEEK_SET) != 0 ||
                   fwrite(hdr, 1, FCOL_HDR, af->fp) != FCOL_HDR))
        w.err = true;
    if (w.err)
        return ferr_set(e, FERR_IO, "%s: write failed: %s", path,
                        strerror(errno));
    return afile_sync(af, e);
}

int fcol_write(const table_t *t, const char *path, ferr_t *e)
{
    return write_atomically(t, path, fcol_write_af, e);
}

/* ------------------------------------------------------------ .fcol read */

/* Where the bytes come from: a file descriptor (pread) or memory. */
typedef struct fsrc {
    const uint8_t *mem;
    int fd;
    uint64_t size;
    const char *label;
} fsrc_t;

static int src_read(const fsrc_t *s, uint64_t off, void *dst, size_t n,
                    ferr_t *e)
{
    /* Callers validated off + n <= size. */
    if (s->mem) {
        if (n)
            memcpy(dst, s->mem + off, n);
        return FERR_OK;
    }
    while (n) {
        ssize_t k = pread(s->fd, dst, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return ferr_set(e, FERR_IO, "%s: read failed: %s", s->label,
                            strerror(errno));
        if (k == 0)
            return ferr_set(e, FERR_CORRUPT,
                            "%s: truncated while reading (file changed?)",
                            s->label);
        dst = (char *)dst + k;
        off += (uint64_t)k;
        n -= (size_t)k;
    }
    return FERR_OK;
}

#define CORRUPT(...) ferr_set(e, FERR_CORRUPT, __VA_ARGS__)

/* Read section s of column f into dst (expected length already checked)
 * and verify its checksum. */
static int sec_load(const fsrc_t *src, const fent_t *f, const char *cname,
                    int s, void *dst, ferr_t *e)
{
    int rc = src_read(src, f->sec[s].off, dst, (size_t)f->sec[s].len, e);
    if (rc)
        return rc;
    if (store_crc32c(0, dst, (size_t)f->sec[s].len) != f->sec[s].crc)
        return CORRUPT("%s: column '%s': %s section checksum mismatch",
                       src->label, cname, sec_name[s]);
    return FERR_OK;
}

/* Validate a directory entry against the header and the file size. */
static int ent_check(const fsrc_t *src, const fent_t *f, uint16_t reserved,
                     const char *cname, uint64_t nrows, uint64_t dir_off,
                     ferr_t *e)
{
    uint64_t want[SEC_COUNT_] = {0};

    if (f->type >= FT_COUNT_)
        return CORRUPT("%s: column '%s': unknown type code %u", src->label,
                       cname, f->type);
    if ((f->flags & ~FCOL_HAS_NULL) != 0 || reserved != 0)
        return CORRUPT("%s: column '%s': unknown flags 0x%x", src->label,
                       cname, f->flags);
    if (f->type != FT_CATEGORY && f->count != 0)
        return CORRUPT("%s: column '%s': dictionary size on a %s column",
                       src->label, cname, ftype_name(f->type));
    if (f->count > src->size)
        return CORRUPT("%s: column '%s': dictionary size %" PRIu64
                       " exceeds the file",
                       src->label, cname, f->count);
    /* nrows <= size was checked, so none of these products overflow. */
    want[SEC_NULL] = (f->flags & FCOL_HAS_NULL) ? nrows : 0;
    want[SEC_VALUES] = nrows * value_width[f->type];
    if (f->type == FT_STRING)
        want[SEC_OFFSETS] = (nrows + 1) * 8;
    else if (f->type == FT_CATEGORY)
        want[SEC_OFFSETS] = (f->count + 1) * 8;
    for (int s = 0; s < SEC_COUNT_; s++) {
        const fsec_t *q = &f->sec[s];
        bool any_len = s == SEC_BYTES && (f->type == FT_STRING ||
                                          f->type == FT_CATEGORY);
        if (!any_len && q->len != want[s])
            return CORRUPT("%s: column '%s': %s section is %" PRIu64
                           " bytes, expected %" PRIu64,
                           src->label, cname, sec_name[s], q->len, want[s]);
        if (q->len == 0)
            continue;
        if (q->off < FCOL_HDR || q->off % 8 != 0 || q->off > dir_off ||
            q->len > dir_off - q->off)
            return CORRUPT("%s: column '%s': %s section at %" PRIu64
                           " (+%" PRIu64 ") is outside the data area",
                           src->label, cname, sec_name[s], q->off, q->len);
    }
    return FERR_OK;
}

static int load_flags01(const fsrc_t *src, const char *cname, const char *what,
                        const uint8_t *v, size_t n, ferr_t *e)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] > 1)
            return CORRUPT("%s: column '%s': row %zu: %s byte is %u, not 0 "
                           "or 1",
                           src->label, cname, i, what, v[i]);
    return FERR_OK;
}

static int offsets_check(const fsrc_t *src, const char *cname,
                         const char *what, const uint64_t *off, size_t n,
                         uint64_t total, ferr_t *e)
{
    if (off[0] != 0)
        return CORRUPT("%s: column '%s': %s offsets do not start at 0",
                       src->label, cname, what);
    for (size_t i = 0; i < n; i++)
        if (off[i + 1] < off[i])
            return CORRUPT("%s: column '%s': %s offset %zu goes backwards",
                           src->label, cname, what, i + 1);
    if (off[n] != total)
        return CORRUPT("%s: column '%s': %s offsets end at %" PRIu64
                       ", bytes section has %" PRIu64,
                       src->label, cname, what, off[n], total);
    return FERR_OK;
}

static int load_column(const fsrc_t *src, const fent_t *f, const char *cname,
                       size_t nrows, column_t **out, ferr_t *e)
{
    column_t *c = col_new(cname, (ftype_t)f->type, nrows);
    int rc = FERR_OK;

    if (f->flags & FCOL_HAS_NULL) {
        c->null = xmalloc(nrows ? nrows : 1);
        if ((rc = sec_load(src, f, cname, SEC_NULL, c->null, e)) ||
            (rc = load_flags01(src, cname, "null", c->null, nrows, e)))
            goto fail;
    }
    switch (c->type) {
    case FT_INT:
    case FT_DATE:
    case FT_DATETIME:
        rc = sec_load(src, f, cname, SEC_VALUES, c->i64, e);
        break;
    case FT_FLOAT:
        if ((rc = sec_load(src, f, cname, SEC_VALUES, c->f64, e)) == 0)
            for (size_t i = 0; c->null && i < nrows; i++)
                if (c->null[i])
                    c->f64[i] = NAN;
        break;
    case FT_BOOL:
        if ((rc = sec_load(src, f, cname, SEC_VALUES, c->u8, e)) == 0)
            rc = load_flags01(src, cname, "bool", c->u8, nrows, e);
        break;
    case FT_STRING: {
        size_t len = (size_t)f->sec[SEC_BYTES].len;
        if ((rc = sec_load(src, f, cname, SEC_OFFSETS, c->off, e)) ||
            (rc = offsets_check(src, cname, "string", c->off, nrows, len, e)))
            break;
        c->data = xmalloc(len ? len : 1);
        c->data_len = c->data_cap = len;
        rc = sec_load(src, f, cname, SEC_BYTES, c->data, e);
        break;
    }
    case FT_CATEGORY: {
        size_t k = (size_t)f->count, len = (size_t)f->sec[SEC_BYTES].len;
        uint64_t *doff = xmalloc((k + 1) * 8);
        char *bytes = xmalloc(len ? len : 1);
        if ((rc = sec_load(src, f, cname, SEC_VALUES, c->code, e)) == 0 &&
            (rc = sec_load(src, f, cname, SEC_OFFSETS, doff, e)) == 0 &&
            (rc = offsets_check(src, cname, "dictionary", doff, k, len, e)) ==
                0 &&
            (rc = sec_load(src, f, cname, SEC_BYTES, bytes, e)) == 0) {
            for (size_t j = 0; j < k && rc == 0; j++)
                if (dict_intern(c->dict, bytes + doff[j],
                                (size_t)(doff[j + 1] - doff[j])) != (int32_t)j)
                    rc = CORRUPT("%s: column '%s': dictionary entry %zu is a "
                                 "duplicate",
                                 src->label, cname, j);
            for (size_t i = 0; i < nrows && rc == 0; i++) {
                int32_t v = c->code[i];
                bool ok = (v >= 0 && (uint64_t)v < k) ||
                          (v == 0 && col_is_null(c, i));
                if (!ok)
                    rc = CORRUPT("%s: column '%s': row %zu: category code %d "
                                 "outside the dictionary (%zu entries)",
                                 src->label, cname, i, (int)v, k);
            }
        }
        free(doff);
        free(bytes);
        break;
    }
    default:
        break;
    }
    if (rc == 0) {
        *out = c;
        return FERR_OK;
    }
fail:
    col_free(c);
    return rc;
}

static int fcol_parse(const fsrc_t *src, const char *const *names,
                      size_t nnames, table_t **out, ferr_t *e)
{
    uint8_t hdr[FCOL_HDR];
    uint8_t *dir = NULL;
    fent_t *ents = NULL;
    uint32_t version, ncols;
    uint64_t nrows, dir_off, dir_len, file_len;
    table_t *t = NULL;
    int rc;

    *out = NULL;
    if (src->size >= 8) {
        if ((rc = src_read(src, 0, hdr, 8, e)))
            return rc;
        if (memcmp(hdr, fcol_magic, 8) != 0)
            return CORRUPT("%s: not a .fcol file (bad magic)", src->label);
    }
    if (src->size < FCOL_HDR)
        return CORRUPT("%s: truncated: %" PRIu64 " bytes, a .fcol header "
                       "needs %d",
                       src->label, src->size, FCOL_HDR);
    if ((rc = src_read(src, 0, hdr, FCOL_HDR, e)))
        return rc;
    if (memcmp(hdr, fcol_magic, 8) != 0)
        return CORRUPT("%s: not a .fcol file (bad magic)", src->label);
    if (get32(hdr + 60) != store_crc32c(0, hdr, 60))
        return CORRUPT("%s: header checksum mismatch", src->label);
    version = get32(hdr + 8);
    ncols = get32(hdr + 12);
    nrows = get64(hdr + 16);
    dir_off = get64(hdr + 24);
    dir_len = get64(hdr + 32);
    file_len = get64(hdr + 40);
    if (version == 0 || version > FCOL_VERSION)
        return ferr_set(e, FERR_UNSUPPORTED,
                        "%s: .fcol format version %u (this ferry reads up to "
                        "%d)",
                        src->label, version, FCOL_VERSION);
    if (file_len != src->size)
        return CORRUPT("%s: %s: header says %" PRIu64 " bytes, file has %" PRIu64,
                       src->label,
                       file_len > src->size ? "truncated" : "trailing bytes",
                       file_len, src->size);
    if (ncols > FCOL_MAX_COLS)
        return CORRUPT("%s: %u columns (at most %u)", src->label, ncols,
                       FCOL_MAX_COLS);
    if (ncols > 0 && nrows > src->size)
        return CORRUPT("%s: %" PRIu64 " rows cannot fit in %" PRIu64 " bytes",
                       src->label, nrows, src->size);
    if (dir_off < FCOL_HDR || dir_off % 8 != 0 || dir_off > src->size ||
        dir_len != src->size - dir_off ||
        dir_len < (uint64_t)ncols * FCOL_ENT)
        return CORRUPT("%s: column directory at %" PRIu64 " (+%" PRIu64
                       ") does not fit the file",
                       src->label, dir_off, dir_len);
    dir = xmalloc(dir_len ? (size_t)dir_len : 1);
    if ((rc = src_read(src, dir_off, dir, (size_t)dir_len, e)))
        goto out;
    if (get32(hdr + 48) != store_crc32c(0, dir, (size_t)dir_len)) {
        rc = CORRUPT("%s: column directory checksum mismatch", src->label);
        goto out;
    }
    /* Decode and validate every entry (even unselected ones: a corrupt
     * directory is corrupt whatever the caller reads). */
    ents = xcalloc(ncols ? ncols : 1, sizeof(*ents));
    char **cnames = xcalloc(ncols ? ncols : 1, sizeof(char *));
    for (uint32_t j = 0; j < ncols && rc == 0; j++) {
        fent_t *f = &ents[j];
        uint16_t reserved;
        ent_decode(dir + (size_t)j * FCOL_ENT, f, &reserved);
        if (f->name_len == 0 || f->name_off < (uint64_t)ncols * FCOL_ENT ||
            f->name_off > dir_len || f->name_len > dir_len - f->name_off) {
            rc = CORRUPT("%s: column %u: name outside the directory",
                         src->label, j);
            break;
        }
        if (memchr(dir + f->name_off, 0, f->name_len)) {
            rc = CORRUPT("%s: column %u: name contains a NUL byte",
                         src->label, j);
            break;
        }
        cnames[j] = xstrndup((const char *)dir + f->name_off, f->name_len);
        for (uint32_t k = 0; k < j && rc == 0; k++)
            if (strcmp(cnames[k], cnames[j]) == 0)
                rc = CORRUPT("%s: column name '%s' appears twice", src->label,
                             cnames[j]);
        if (rc == 0)
            rc = ent_check(src, f, reserved, cnames[j], nrows, dir_off, e);
    }
    if (rc == 0) {
        size_t nsel = names ? nnames : ncols;
        t = table_new();
        for (size_t s = 0; s < nsel && rc == 0; s++) {
            uint32_t j = (uint32_t)s;
            column_t *c;
            if (names) {
                for (j = 0; j < ncols; j++)
                    if (strcmp(cnames[j], names[s]) == 0)
                        break;
                if (j == ncols) {
                    rc = ferr_set(e, FERR_NOTFOUND, "%s: no column '%s'",
                                  src->label, names[s]);
                    break;
                }
                if (table_find(t, names[s])) {
                    rc = ferr_set(e, FERR_USAGE,
                                  "%s: column '%s' requested twice",
                                  src->label, names[s]);
                    break;
                }
            }
            rc = load_column(src, &ents[j], cnames[j], (size_t)nrows, &c, e);
            if (rc == 0)
                rc = table_add(t, c, e);
        }
        if (rc == 0)
            t->nrows = (size_t)nrows;
    }
    for (uint32_t j = 0; j < ncols; j++)
        free(cnames[j]);
    free(cnames);
out:
    free(dir);
    free(ents);
    if (rc) {
        table_free(t);
        return rc;
    }
    *out = t;
    return FERR_OK;
}

int fcol_read_mem(const void *p, size_t n, const char *label,
                  const char *const *names, size_t nnames, table_t **out,
                  ferr_t *e)
{
    fsrc_t src = {.mem = p ? p : (const uint8_t *)"", .fd = -1, .size = n,
                  .label = label ? label : "<memory>"};
    return fcol_parse(&src, names, nnames, out, e);
}

int fcol_read_cols(const char *path, const char *const *names, size_t nnames,
                   table_t **out, ferr_t *e)
{
    struct stat st;
    fsrc_t src = {.label = path};
    int rc;

    *out = NULL;
    src.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (src.fd < 0)
        return ferr_set(e, errno == ENOENT ? FERR_NOTFOUND : FERR_IO, "%s: %s",
                        path, strerror(errno));
    if (fstat(src.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(src.fd);
        return ferr_set(e, FERR_IO, "%s: not a regular file", path);
    }
    src.size = (uint64_t)st.st_size;
    /* Training reads the whole file front to back. */
    posix_fadvise(src.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    rc = fcol_parse(&src, names, nnames, out, e);
    close(src.fd);
    return rc;
}

int fcol_read(const char *path, table_t **out, ferr_t *e)
{
    return fcol_read_cols(path, NULL, 0, out, e);
}

/*
 * csv.c - parallel CSV reader (see csv.h).
 *
 * This file owns CSV framing (quotes, record boundaries, line numbers),
 * column selection by header name, the per-row reject/budget policy and the
 * parallel split/merge.  Value conversion is parse.h's job.
 *
 * How the work is split.  The data after the header is cut into chunks of
 * roughly equal size; every chunk but the first starts, speculatively, just
 * after the first '\n' at or past its nominal offset.  Workers parse chunks
 * independently into chunk-local columns; chunk i parses every record that
 * STARTS before chunk i+1's start, so it ends exactly there when the guess
 * was a real record boundary.  After the parallel phase the chain is
 * checked in order: if chunk i did not end where chunk i+1 began (the guess
 * fell inside a quoted field with a newline), chunk i+1 is re-parsed from
 * the true boundary.  The result is therefore identical to a single-threaded
 * read whatever the quoting; the common case costs nothing extra.  Chunks
 * are then concatenated in file order (CATEGORY dicts re-interned chunk by
 * chunk, so codes follow first appearance in the file as in a serial read).
 *
 * Why the hot loop looks like this.  A record is walked field by field with
 * a bitmask of "structural" bytes (delimiter, quote, '\n', NUL) computed 64
 * bytes at a time with SSE2 (simdjson's idea): a 185-byte loan record is 3
 * mask computations and 24 trailing-zero counts instead of 185 byte
 * compares, and an unselected field costs one bit.  Selected values are
 * converted in place from the input bytes (no copy, no per-field malloc)
 * by parse.h's fast paths; only quoted fields with doubled quotes are
 * unescaped into a scratch buffer.  STRING/CATEGORY values are committed
 * only when the whole row parsed, so a rejected row never leaks into a
 * vocabulary; numbers written for a rejected row are simply overwritten.
 *
 * Measured on the 144 MB loan log, 7 typed columns of 24, one thread, CPU
 * seconds per read (user+sys, best of 3, A/B in the same run on a loaded
 * 2-core VM): first version 0.52; inlined scanner + prefetch 1 KiB ahead
 * 0.43 (perf: 30% of samples stalled on the block loads); values written
 * straight into a shared slab instead of per-chunk arrays + a merge copy
 * (the copy and its page faults were 20-30% of the wall time); huge pages
 * for the slab 0.41 -> 0.33 (page faults under the value stores were 12%);
 * file bytes through a reused huge-page window instead of a 4 KiB-page mmap
 * 0.40 -> 0.25 (see csv_src_t).  What is left: the field walk (~40%),
 * value conversion (~25%), the kernel copy into the window (~7%).
 */
#include "data/csv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/afile.h"
#include "base/mem.h"
#include "base/progress.h"
#include "base/vec.h"
#include "data/parse.h"

#define CSV_DEFAULT_MAX_LINE (1u << 20)
#define CSV_MIN_CHUNK (1u << 20)        /* below this, one chunk */
#define CSV_CHUNKS_PER_THREAD 4         /* balance on a shared machine */
#define CSV_MAX_STORED_REJECTS 1000000  /* memory cap; counts stay exact */
#ifndef CSV_SEGMENT
#define CSV_SEGMENT (32u << 20)         /* file bytes per window refill */
#endif
#define CSV_TRUNC SIZE_MAX              /* parse_record: cut by the window */
#define CSV_REJECT_VALUE_MAX 1024       /* bytes of a value kept per reject */
#define CSV_EST_SAMPLES 8               /* places the row size is sampled */
#ifndef CSV_PREFETCH
#define CSV_PREFETCH 1024               /* bytes ahead the scanner prefetches */
#endif

void csv_opts_init(csv_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->delimiter = ',';
    o->quote = '"';
    o->max_line = CSV_DEFAULT_MAX_LINE;
}

void csv_colopt_init(csv_colopt_t *c, const char *name, ftype_t type)
{
    memset(c, 0, sizeof(*c));
    c->name = name;
    c->type = type;
}

/* ------------------------------------------------------- value conversion */

/* Row checks of any column type, beside parse.h's (negative) codes. */
#define CSV_CELL_EMPTY 1 /* a required column is null or empty */
#define CSV_CELL_UTF8 2  /* text that is not UTF-8 */

/* What a failed conversion says, per type (the user's message). */
static const char *cell_reason(const csv_colopt_t *c, int rc, char *buf,
                               size_t n)
{
    if (rc == CSV_CELL_EMPTY) {
        snprintf(buf, n, "is empty: %s", c->required);
        return buf;
    }
    if (rc == CSV_CELL_UTF8)
        return "is not valid UTF-8 (a Latin-1 file needs encoding: latin1)";
    switch (c->type) {
    case FT_INT:
        return rc == FERR_RANGE ? "is out of range for an integer"
                                : "is not an integer";
    case FT_FLOAT:
        return rc == FERR_RANGE ? "is out of range for a number"
                                : "is not a number";
    case FT_BOOL:
        return "is not a boolean (true/false, 1/0, yes/no, y/n, t/f)";
    case FT_DATE:
        snprintf(buf, n, "is not a valid date (format %s)",
                 c->format && c->format[0] ? c->format : "%Y-%m-%d");
        return buf;
    case FT_DATETIME:
        snprintf(buf, n, "is not a valid datetime (format %s)",
                 c->format && c->format[0] ? c->format
                                           : "%Y-%m-%d %H:%M:%S");
        return buf;
    default:
        return "is not valid";
    }
}

static bool is_null_marker(str_t s, const csv_opts_t *o)
{
    if (o == NULL || o->nulls == NULL)
        return s.n == 0;
    for (size_t i = 0; i < o->nnulls; i++)
        if (str_eq_cstr(s, o->nulls[i]))
            return true;
    return false;
}

static str_t trim_spaces(str_t s)
{
    while (s.n && s.p[0] == ' ')
        s.p++, s.n--;
    while (s.n && s.p[s.n - 1] == ' ')
        s.n--;
    return s;
}

/* Numeric types into row `row`; FERR_OK or the parse.h code. */
static inline int cell_number(str_t s, const csv_colopt_t *c, column_t *col,
                              size_t row)
{
    char dec = c->decimal ? c->decimal : '.';
    switch (c->type) {
    case FT_INT:
        return parse_int64(s, dec, c->thousands, &col->i64[row]);
    case FT_FLOAT:
        return parse_double(s, dec, c->thousands, &col->f64[row]);
    case FT_BOOL:
        return parse_bool(s, &col->u8[row]);
    case FT_DATE:
        return parse_date(s, c->format, &col->i64[row]);
    case FT_DATETIME:
        return parse_datetime(s, c->format, &col->i64[row]);
    default:
        return FERR_TYPE;
    }
}

int csv_parse_cell(str_t s, const csv_colopt_t *c, const csv_opts_t *o,
                   column_t *col, size_t row, ferr_t *e)
{
    char rbuf[128];
    if (row >= col->n)
        return ferr_set(e, FERR_RANGE, "column %s: row %zu out of %zu",
                        col->name, row, col->n);
    if (o && o->trim)
        s = trim_spaces(s);
    if (is_null_marker(s, o)) {
        if (col->type == FT_STRING)
            col_str_append(col, row, "", 0);
        col_set_null(col, row);
        return FERR_OK;
    }
    if (col->type == FT_STRING) {
        col_str_append(col, row, s.p, s.n);
        return FERR_OK;
    }
    if (col->type == FT_CATEGORY) {
        col->code[row] = dict_intern(col->dict, s.p, s.n);
        return FERR_OK;
    }
    int rc = cell_number(s, c, col, row);
    if (rc != FERR_OK)
        return ferr_set(e, rc == FERR_RANGE ? FERR_RANGE : FERR_PARSE,
                        "column %s: '%.*s' %s", c->rename ? c->rename : c->name,
                        (int)(s.n > 200 ? 200 : s.n), s.p,
                        cell_reason(c, rc, rbuf, sizeof(rbuf)));
    return FERR_OK;
}

/* ------------------------------------------------------------ the context */

typedef struct csv_reject {
    size_t line;   /* chunk-relative during parse, absolute after merge */
    int col;       /* selected column index, -1 for a row-level problem */
    char *value;   /* owned; NULL for row-level */
    char *reason;  /* owned */
} csv_reject_t;

typedef struct csv_ctx {
    const char *name;
    const char *p;        /* the input window (the whole input in memory
                           * reads; one segment of a file otherwise) */
    size_t n;
    bool eof;             /* p + n is the end of the input, not of the
                           * window: a record cut there is truncated */
    size_t data_start;    /* first byte after the header record */
    size_t header_lines;  /* physical lines of BOM+header */
    const csv_opts_t *o;
    char delim, quote;
    size_t max_line;
    bool empty_is_null_only; /* default null markers: the fast check */
    int nfields;          /* header fields */
    int *fmap;            /* header field -> selected index or -1 */
    int nsel;
    csv_colopt_t *sel;    /* per selected column (owned array) */
    char **hdr;           /* header names (owned) */
    size_t row_estimate;  /* bytes per record, for preallocation */
    /* One value array per fixed-width selected column (NULL for STRING),
     * shared by all chunks: chunk i writes rows at its slot, the merge
     * compacts in place and the table keeps the array (see merge_column). */
    char **slab;
    size_t slab_rows;     /* rows each slab array holds */
    progress_t prog;
    atomic_size_t progress_bytes;
    atomic_size_t progress_rows; /* records parsed, for the rows/s figure */
} csv_ctx_t;

typedef struct csv_chunk {
    size_t start, stop;   /* parse records starting in [start, stop) */
    size_t slot, slot_cap;/* rows of the shared slab reserved for us */
    bool own;             /* overflowed the slot: private arrays */
    size_t end;           /* where parsing actually ended */
    size_t lines;         /* '\n' consumed in [start, end) */
    size_t rows, cap;
    column_t **cols;
    VEC(csv_reject_t) rej;
    size_t nrej;
    int fatal;            /* FERR_* when parsing hit a fatal problem */
    size_t fatal_line;    /* chunk-relative */
    char fatal_msg[256];
    buf_t scratch;        /* unescaped quoted fields of the current row */
    /* per selected column (one allocation: a chunk is set up per read
     * window, and tiny windows make many) */
    struct csv_pending {
        /* the deferred STRING/CATEGORY value of the current row */
        size_t off, len;
        bool in_scratch, null;
        /* the last CATEGORY value: most columns repeat a few values */
        int32_t last_code;
        size_t last_len;
        const char *last_ptr;
    } *pend;
} csv_chunk_t;

/* ---------------------------------------------------------- the scanner */

typedef struct scanner {
    const char *p;
    size_t n;
    size_t blk;     /* offset of the current 64-byte block */
    uint64_t mask;  /* structural bytes of the block not yet consumed */
#ifdef __SSE2__
    __m128i vd, vq, vn, vz;
#endif
    char delim, quote;
} scanner_t;

static inline uint64_t block_mask(const scanner_t *sc, const char *b)
{
#ifdef __SSE2__
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(b + 16 * k));
        __m128i hit = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, sc->vd), _mm_cmpeq_epi8(x, sc->vq)),
            _mm_or_si128(_mm_cmpeq_epi8(x, sc->vn), _mm_cmpeq_epi8(x, sc->vz)));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(hit) << (16 * k);
    }
    return m;
#else
    uint64_t m = 0;
    for (int k = 0; k < 64; k++) {
        char c = b[k];
        if (c == sc->delim || c == sc->quote || c == '\n' || c == '\0')
            m |= 1ULL << k;
    }
    return m;
#endif
}

static __attribute__((noinline)) uint64_t scan_tail_mask(const scanner_t *sc,
                                                          size_t blk)
{
    /* The tail: copy into a padded block and drop the bits past the end. */
    char tmp[64];
    size_t k = sc->n - blk;
    memcpy(tmp, sc->p + blk, k);
    memset(tmp + k, 0, 64 - k); /* masked off below */
    return block_mask(sc, tmp) & (k == 64 ? ~0ULL : ((1ULL << k) - 1));
}

static inline uint64_t scan_mask_at(const scanner_t *sc, size_t blk)
{
    if (__builtin_expect(blk + 64 <= sc->n, 1)) {
        __builtin_prefetch(sc->p + blk + CSV_PREFETCH);
        return block_mask(sc, sc->p + blk);
    }
    return scan_tail_mask(sc, blk);
}

static void scan_init(scanner_t *sc, const csv_ctx_t *cx)
{
    memset(sc, 0, sizeof(*sc));
    sc->p = cx->p;
    sc->n = cx->n;
    sc->delim = cx->delim;
    /* quote 0 disables quoting: comparing with NUL again is harmless */
    sc->quote = cx->quote;
#ifdef __SSE2__
    sc->vd = _mm_set1_epi8(cx->delim);
    sc->vq = _mm_set1_epi8(cx->quote);
    sc->vn = _mm_set1_epi8('\n');
    sc->vz = _mm_set1_epi8(0);
#endif
}

/* Position the scanner so the next structural byte returned is >= pos. */
static void scan_seek(scanner_t *sc, size_t pos)
{
    if (pos >= sc->n) {
        sc->blk = sc->n;
        sc->mask = 0;
        return;
    }
    sc->blk = pos & ~(size_t)63;
    sc->mask = scan_mask_at(sc, sc->blk) & (~0ULL << (pos - sc->blk));
}

/* Next structural byte's offset, or n at the end of the input. */
static inline size_t scan_next(scanner_t *sc)
{
    while (sc->mask == 0) {
        sc->blk += 64;
        if (sc->blk >= sc->n) {
            sc->blk = sc->n;
            return sc->n;
        }
        sc->mask = scan_mask_at(sc, sc->blk);
    }
    size_t pos = sc->blk + (size_t)__builtin_ctzll(sc->mask);
    sc->mask &= sc->mask - 1;
    return pos;
}

/* ------------------------------------------------------- chunk columns */

static size_t elem_size(ftype_t t)
{
    switch (t) {
    case FT_INT:
    case FT_DATE:
    case FT_DATETIME:
    case FT_FLOAT:
        return 8;
    case FT_CATEGORY:
        return 4;
    case FT_BOOL:
        return 1;
    default:
        return 0; /* STRING: offsets + bytes, private per chunk */
    }
}

/* Point a column's value array (by type) at p. */
static void col_set_values(column_t *c, void *p)
{
    switch (c->type) {
    case FT_INT:
    case FT_DATE:
    case FT_DATETIME:
        c->i64 = p;
        break;
    case FT_FLOAT:
        c->f64 = p;
        break;
    case FT_BOOL:
        c->u8 = p;
        break;
    case FT_CATEGORY:
        c->code = p;
        break;
    default:
        break;
    }
}

static void *col_values(const column_t *c)
{
    switch (c->type) {
    case FT_INT:
    case FT_DATE:
    case FT_DATETIME:
        return c->i64;
    case FT_FLOAT:
        return c->f64;
    case FT_BOOL:
        return c->u8;
    case FT_CATEGORY:
        return c->code;
    default:
        return NULL;
    }
}

/* A slab array: malloc'ed (the table frees it with free()), with huge
 * pages requested for big ones.  Writing 40 MB of fresh 4 KiB pages cost
 * ~12% of a loan-log read in page faults on this VM (perf: exc_page_fault
 * under parse_date/parse_int64); with 2 MiB pages that is a few dozen. */
static void *slab_alloc(size_t bytes)
{
    char *p = malloc(bytes ? bytes : 1);
#ifdef MADV_HUGEPAGE
    if (p && bytes >= (4u << 20)) {
        uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
        uintptr_t z = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
        if (z > a)
            madvise((void *)a, z - a, MADV_HUGEPAGE);
    }
#endif
    return p;
}

/* Chunk columns write straight into the chunk's slot of the shared slab,
 * so the common case allocates (and page-faults) the values once. */
static void chunk_cols_alloc(const csv_ctx_t *cx, csv_chunk_t *ch)
{
    /* no slot left in the slab (many small segments): private arrays */
    ch->own = ch->slot_cap == 0;
    ch->cap = ch->own ? 16 : ch->slot_cap;
    ch->cols = xcalloc((size_t)cx->nsel, sizeof(*ch->cols));
    for (int j = 0; j < cx->nsel; j++) {
        column_t *c = xcalloc(1, sizeof(*c));
        c->type = cx->sel[j].type;
        c->n = ch->cap;
        if (c->type == FT_STRING)
            c->off = xcalloc(ch->cap + 1, sizeof(uint64_t));
        else if (ch->own)
            col_set_values(c, xmalloc(ch->cap * elem_size(c->type)));
        else
            col_set_values(c, cx->slab[j] + ch->slot * elem_size(c->type));
        if (c->type == FT_CATEGORY)
            c->dict = dict_new();
        ch->cols[j] = c;
    }
    ch->pend = xcalloc((size_t)cx->nsel + 1, sizeof(*ch->pend));
    for (int j = 0; j < cx->nsel; j++)
        ch->pend[j].last_code = -1;
}

/* More rows than the slot holds: move to private arrays (rare; the row
 * estimate over-reserves). */
static void chunk_grow(csv_chunk_t *ch, int nsel)
{
    size_t cap = ch->cap * 2;
    for (int j = 0; j < nsel; j++) {
        column_t *c = ch->cols[j];
        size_t es = elem_size(c->type);
        if (es) {
            void *v = col_values(c);
            if (ch->own) {
                v = xrealloc(v, cap * es);
            } else {
                void *priv = xmalloc(cap * es);
                memcpy(priv, v, ch->rows * es);
                v = priv;
            }
            col_set_values(c, v);
        }
        if (c->off)
            c->off = xrealloc(c->off, (cap + 1) * sizeof(uint64_t));
        if (c->null) {
            c->null = xrealloc(c->null, cap);
            memset(c->null + ch->cap, 0, cap - ch->cap);
        }
        c->n = cap;
    }
    ch->own = true;
    ch->cap = cap;
}

static void chunk_reset(csv_chunk_t *ch, int nsel)
{
    for (int j = 0; j < nsel && ch->cols; j++) {
        if (!ch->own)
            col_set_values(ch->cols[j], NULL); /* the slab's, not ours */
        col_free(ch->cols[j]);
    }
    free(ch->cols);
    ch->cols = NULL;
    for (size_t i = 0; i < ch->rej.n; i++) {
        free(ch->rej.a[i].value);
        free(ch->rej.a[i].reason);
    }
    free(ch->rej.a);
    memset(&ch->rej, 0, sizeof(ch->rej));
    buf_free(&ch->scratch);
    free(ch->pend);
    ch->pend = NULL;
    ch->rows = ch->cap = ch->nrej = ch->lines = 0;
    ch->fatal = 0;
    ch->fatal_msg[0] = '\0';
}

static void chunk_reject(csv_chunk_t *ch, size_t line, int col, str_t value,
                         const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void chunk_reject(csv_chunk_t *ch, size_t line, int col, str_t value,
                         const char *fmt, ...)
{
    ch->nrej++;
    if (ch->rej.n >= CSV_MAX_STORED_REJECTS)
        return;
    csv_reject_t r = {.line = line, .col = col};
    buf_t b = {0};
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    r.reason = buf_steal(&b);
    if (col >= 0) { /* not UTF-8 and control bytes as \xHH: the value is
                     * shown in messages and in the rejects CSV */
        buf_init(&b, 0);
        buf_append_printable(&b, value, CSV_REJECT_VALUE_MAX);
        r.value = buf_steal(&b);
    }
    VEC_PUSH(&ch->rej, r);
}

static void chunk_fatal(csv_chunk_t *ch, int code, size_t line,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void chunk_fatal(csv_chunk_t *ch, int code, size_t line,
                        const char *fmt, ...)
{
    va_list ap;
    ch->fatal = code;
    ch->fatal_line = line;
    va_start(ap, fmt);
    vsnprintf(ch->fatal_msg, sizeof(ch->fatal_msg), fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------- record parsing */

/* True when v has no byte >= 0x80, 8 bytes at a time: ASCII text, the
 * common case, needs no UTF-8 decoding.  (Tracking high bytes in the
 * scanner's blocks instead cost 1.4% more instructions on bench/csv,
 * which reads one text column in seven; this costs nothing there and
 * about 30 instructions per text field.) */
static inline bool text_is_ascii(str_t v)
{
    uint64_t acc = 0, w;
    size_t i = 0;
    for (; i + 8 <= v.n; i += 8) {
        memcpy(&w, v.p + i, 8);
        acc |= w;
    }
    for (; i < v.n; i++)
        acc |= (unsigned char)v.p[i];
    return (acc & 0x8080808080808080ULL) == 0;
}

/* Replace a Latin-1 value by its UTF-8 transcoding in the row's scratch. */
static void latin1_to_scratch(csv_chunk_t *ch, str_t *v, bool *in_scratch,
                              size_t *scratch_off)
{
    char *copy = NULL;
    if (*in_scratch) { /* v is the scratch's tail: appending may move it */
        copy = str_dup(*v);
        *v = (str_t){copy, v->n};
        ch->scratch.n = *scratch_off;
    }
    *scratch_off = ch->scratch.n;
    buf_append_latin1(&ch->scratch, *v);
    *in_scratch = true;
    *v = (str_t){ch->scratch.p + *scratch_off, ch->scratch.n - *scratch_off};
    free(copy);
}

/* Convert field `fi` (header position) of the current row.  Numbers go
 * straight into their column; strings are deferred until the row commits.
 * Returns the parse.h code. */
static inline int field_store(const csv_ctx_t *cx, csv_chunk_t *ch, int j,
                               str_t v, bool in_scratch, size_t scratch_off)
{
    const csv_colopt_t *c = &cx->sel[j];
    column_t *col = ch->cols[j];
    size_t row = ch->rows;
    bool is_null = cx->empty_is_null_only ? v.n == 0
                                          : is_null_marker(v, cx->o);
    if (__builtin_expect(c->required != NULL, 0) && (is_null || v.n == 0))
        return CSV_CELL_EMPTY;
    if (c->type == FT_STRING || c->type == FT_CATEGORY) {
        struct csv_pending *pd = &ch->pend[j];
        if (!is_null && !text_is_ascii(v)) {
            if (cx->o->encoding != CSV_LATIN1) {
                if (str_utf8_invalid(v) != v.n)
                    return CSV_CELL_UTF8;
            } else {
                latin1_to_scratch(ch, &v, &in_scratch, &scratch_off);
            }
        }
        pd->null = is_null;
        pd->in_scratch = in_scratch;
        pd->off = in_scratch ? scratch_off : (size_t)(v.p - cx->p);
        pd->len = v.n;
        return FERR_OK;
    }
    if (is_null) {
        col_set_null(col, row);
        if (col->i64)
            col->i64[row] = 0;
        if (col->u8)
            col->u8[row] = 0;
        return FERR_OK;
    }
    if (col->null)
        col->null[row] = 0;
    return cell_number(v, c, col, row);
}

/* Commit the deferred STRING/CATEGORY values of an accepted row. */
static void row_commit(const csv_ctx_t *cx, csv_chunk_t *ch)
{
    size_t row = ch->rows;
    for (int j = 0; j < cx->nsel; j++) {
        ftype_t t = cx->sel[j].type;
        if (t != FT_STRING && t != FT_CATEGORY)
            continue;
        struct csv_pending *pd = &ch->pend[j];
        column_t *col = ch->cols[j];
        const char *s = pd->in_scratch ? ch->scratch.p + pd->off
                                       : cx->p + pd->off;
        if (pd->null)
            col_set_null(col, row);
        else if (col->null)
            col->null[row] = 0;
        if (t == FT_STRING) {
            col_str_append(col, row, s, pd->null ? 0 : pd->len);
        } else if (pd->null) {
            col->code[row] = 0;
        } else if (pd->last_code >= 0 && pd->last_len == pd->len &&
                   memcmp(pd->last_ptr, s, pd->len) == 0) {
            col->code[row] = pd->last_code;
        } else {
            int32_t code = dict_intern(col->dict, s, pd->len);
            col->code[row] = code;
            pd->last_code = code;
            pd->last_len = pd->len;
            pd->last_ptr = col->dict->str[code];
        }
    }
}

/* Clear what a rejected row may have left behind in the null maps. */
static void row_rollback(const csv_ctx_t *cx, csv_chunk_t *ch)
{
    for (int j = 0; j < cx->nsel; j++) {
        column_t *col = ch->cols[j];
        if (col->null)
            col->null[ch->rows] = 0;
    }
}

/*
 * Parse one record starting at pos (a record boundary); returns the start
 * of the next record, or CSV_TRUNC when the window ends inside the record
 * before the input does (the caller restarts it in the next window).  `*line` is the chunk-relative physical line of the
 * record start and is advanced past every '\n' consumed.  On a fatal
 * problem the chunk's fatal fields are set and n is returned.
 */
static size_t parse_record(const csv_ctx_t *cx, csv_chunk_t *ch,
                           scanner_t *sc, size_t pos, size_t *line)
{
    const char *p = cx->p;
    const size_t n = cx->n;
    const char delim = cx->delim, quote = cx->quote;
    /* locals, not cx->...: stores through char pointers (scratch, null
     * maps) would otherwise force a reload of each on every field */
    const bool trim = cx->o->trim;
    const int nfields = cx->nfields;
    const int *const fmap = cx->fmap;
    const size_t rec_line = *line;
    const size_t rec_start = pos;
    int field = 0;
    int bad_col = -1;       /* first column that failed to convert */
    int bad_rc = FERR_OK;
    str_t bad_val = {0};    /* into the input, or ... */
    bool bad_in_scratch = false;
    size_t bad_off = 0;     /* ... at this scratch offset (scratch may move) */
    size_t fs = pos;
    size_t next;

    buf_reset(&ch->scratch);
    if (ch->rows == ch->cap)
        chunk_grow(ch, cx->nsel);

    for (;;) {
        str_t v;
        size_t s;
        char c;
        bool in_scratch = false;
        size_t scratch_off = 0;

        if (trim)
            while (fs < n && p[fs] == ' ')
                fs++;
        if (quote && fs < n && p[fs] == quote) {
            /* Quoted field: find the closing quote, skipping doubled
             * quotes and counting newlines inside. */
            size_t q0 = fs + 1, e;
            bool escaped = false;
            scan_next(sc); /* the opening quote at fs */
            for (;;) {
                e = scan_next(sc);
                if (e >= n && !cx->eof)
                    return CSV_TRUNC;
                if (e >= n) {
                    chunk_fatal(ch, FERR_PARSE, rec_line,
                                "unterminated quoted field (opened on this "
                                "line, still open at end of file)");
                    return n;
                }
                if (e - rec_start > cx->max_line) {
                    chunk_fatal(ch, FERR_LIMIT, rec_line,
                                "quoted field runs past max_line_bytes (%zu): "
                                "unterminated quote?",
                                cx->max_line);
                    return n;
                }
                char qc = p[e];
                if (qc == '\n') {
                    (*line)++;
                    continue;
                }
                if (qc == '\0') {
                    chunk_fatal(ch, FERR_PARSE, *line,
                                "NUL byte in input (binary file?)");
                    return n;
                }
                if (qc != quote)
                    continue;
                if (e + 1 >= n && !cx->eof)
                    return CSV_TRUNC; /* doubled or closing? */
                if (e + 1 < n && p[e + 1] == quote) {
                    escaped = true;
                    scan_next(sc); /* the second quote of the pair */
                    continue;
                }
                break;
            }
            /* Bytes between the closing quote and the delimiter are kept
             * (Python's csv does the same with "ab"c). */
            for (;;) {
                s = scan_next(sc);
                if (s >= n || p[s] != quote)
                    break;
            }
            if (s >= n && !cx->eof)
                return CSV_TRUNC;
            c = s < n ? p[s] : '\n';
            size_t tail_end = s;
            if (c == '\n' || s >= n)
                if (tail_end > e + 1 && p[tail_end - 1] == '\r')
                    tail_end--;
            if (trim)
                while (tail_end > e + 1 && p[tail_end - 1] == ' ')
                    tail_end--;
            if (!escaped && tail_end == e + 1) {
                v = (str_t){p + q0, e - q0};
            } else {
                scratch_off = ch->scratch.n;
                for (size_t k = q0; k < e; k++) {
                    buf_putc(&ch->scratch, p[k]);
                    if (p[k] == quote)
                        k++; /* doubled quote: keep one */
                }
                buf_append(&ch->scratch, p + e + 1, tail_end - (e + 1));
                in_scratch = true;
                v = (str_t){ch->scratch.p + scratch_off,
                            ch->scratch.n - scratch_off};
            }
        } else {
            /* Unquoted: up to the next delimiter or newline; a quote in
             * the middle of a field is an ordinary byte. */
            for (;;) {
                s = scan_next(sc);
                if (s >= n || p[s] != quote || !quote)
                    break;
            }
            if (s >= n && !cx->eof)
                return CSV_TRUNC;
            c = s < n ? p[s] : '\n';
            size_t ve = s;
            if ((c == '\n' || s >= n) && ve > fs && p[ve - 1] == '\r')
                ve--;
            v = (str_t){p + fs, ve - fs};
            if (trim)
                v = trim_spaces(v);
        }
        if (c == '\0' && s < n) {
            chunk_fatal(ch, FERR_PARSE, *line,
                        "NUL byte in input (binary file?)");
            return n;
        }
        if (field < nfields) {
            int j = fmap[field], frc;
            if (j >= 0 &&
                (frc = field_store(cx, ch, j, v, in_scratch, scratch_off)) !=
                    FERR_OK &&
                bad_col < 0) {
                bad_col = j;
                bad_rc = frc;
                bad_val = v;
                bad_in_scratch = in_scratch;
                bad_off = scratch_off;
            }
        }
        field++;
        if (c == delim && s < n) {
            fs = s + 1;
            continue;
        }
        /* end of record */
        next = s < n ? s + 1 : n;
        if (s < n)
            (*line)++;
        break;
    }

    /* Blank line: skipped, as pandas does. */
    if (field == 1 && bad_col < 0 && cx->nfields > 1) {
        size_t k = rec_start;
        while (k < next && (p[k] == '\r' || p[k] == '\n' || p[k] == ' '))
            k++;
        if (k == next) {
            row_rollback(cx, ch);
            return next;
        }
    }
    size_t len = next - rec_start;
    if (len > cx->max_line) {
        row_rollback(cx, ch);
        chunk_reject(ch, rec_line, -1, (str_t){0},
                     "line is %zu bytes, longer than max_line_bytes (%zu)", len,
                     cx->max_line);
    } else if (field != cx->nfields) {
        row_rollback(cx, ch);
        chunk_reject(ch, rec_line, -1, (str_t){0},
                     "expected %d fields, found %d", cx->nfields, field);
    } else if (bad_col >= 0) {
        char rbuf[256];
        row_rollback(cx, ch);
        if (bad_in_scratch)
            bad_val.p = ch->scratch.p + bad_off;
        chunk_reject(ch, rec_line, bad_col, bad_val, "%s",
                     cell_reason(&cx->sel[bad_col], bad_rc, rbuf,
                                 sizeof(rbuf)));
    } else {
        row_commit(cx, ch);
        ch->rows++;
    }
    return next;
}

static void chunk_parse(csv_ctx_t *cx, csv_chunk_t *ch, bool report)
{
    scanner_t sc;
    size_t pos = ch->start, line = 0, last_report = ch->start, last_line = 0;
    size_t bytes = ch->stop > ch->start ? ch->stop - ch->start : 0;

    scan_init(&sc, cx);
    (void)bytes;
    chunk_cols_alloc(cx, ch);
    buf_init(&ch->scratch, 0);
    scan_seek(&sc, pos); /* records then consume the mask in order */
    while (pos < ch->stop && pos < cx->n) {
        size_t line0 = line, next = parse_record(cx, ch, &sc, pos, &line);
        if (next == CSV_TRUNC) {
            /* nothing of the cut record was kept but null flags */
            row_rollback(cx, ch);
            line = line0;
            break;
        }
        pos = next;
        if (ch->fatal)
            break;
        if (pos - last_report > (1u << 20)) {
            size_t done = atomic_fetch_add(&cx->progress_bytes,
                                           pos - last_report) +
                          (pos - last_report);
            size_t rows = atomic_fetch_add(&cx->progress_rows,
                                           line - last_line) +
                          (line - last_line);
            last_report = pos;
            last_line = line;
            if (report)
                progress_update2(&cx->prog, done, rows);
        }
    }
    if (pos > last_report)
        atomic_fetch_add(&cx->progress_bytes, pos - last_report);
    atomic_fetch_add(&cx->progress_rows, line - last_line);
    ch->end = ch->fatal ? cx->n : pos;
    ch->lines = line;
}

/* ------------------------------------------------------------- threads */

typedef struct csv_pool {
    csv_ctx_t *cx;
    csv_chunk_t *chunks;
    size_t nchunks;
    atomic_size_t next;
} csv_pool_t;

typedef struct csv_worker {
    csv_pool_t *pool;
    bool report;
} csv_worker_t;

static void *worker_main(void *arg)
{
    csv_worker_t *w = arg;
    csv_pool_t *pl = w->pool;
    for (;;) {
        size_t i = atomic_fetch_add(&pl->next, 1);
        if (i >= pl->nchunks)
            break;
        chunk_parse(pl->cx, &pl->chunks[i], w->report);
    }
    return NULL;
}

/* Run fn over workers (the calling thread is worker 0); inline_run runs
 * them in turn on this thread (csv_opts_t.inline_workers).  Workers share
 * only independent chunks, columns or file ranges, so the result is the
 * same either way. */
static void run_workers(int nthreads, void *(*fn)(void *), void *args,
                        size_t argsize, bool inline_run)
{
    if (inline_run) {
        for (int t = 0; t < nthreads; t++)
            fn((char *)args + (size_t)t * argsize);
        return;
    }
    pthread_t *tid = xcalloc((size_t)nthreads, sizeof(*tid));
    bool *started = xcalloc((size_t)nthreads, sizeof(*started));
    for (int t = 1; t < nthreads; t++)
        started[t] = pthread_create(&tid[t], NULL, fn,
                                    (char *)args + (size_t)t * argsize) == 0;
    fn(args);
    for (int t = 1; t < nthreads; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            fn((char *)args + (size_t)t * argsize); /* no thread: do it here */
    free(started);
    free(tid);
}

/* ------------------------------------------------------------ the header */

static size_t levenshtein_ci(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 64 || nb > 64)
        return SIZE_MAX;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= nb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) !=
                          tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            cur[j] = best;
        }
        memcpy(prev, cur, (nb + 1) * sizeof(size_t));
    }
    return prev[nb];
}

static int missing_column(const csv_ctx_t *cx, const char *want, ferr_t *e)
{
    buf_t b = {0};
    int hits = 0;
    size_t wl = strlen(want);
    size_t tol = wl / 3 > 2 ? wl / 3 : 2;
    for (int i = 0; i < cx->nfields && hits < 5; i++) {
        const char *h = cx->hdr[i];
        if (levenshtein_ci(want, h) <= tol || strcasestr(h, want) ||
            (wl >= 3 && strcasestr(want, h) && strlen(h) >= 3)) {
            buf_printf(&b, "%s'%s'", hits ? ", " : "", h);
            hits++;
        }
    }
    if (hits == 0) {
        buf_printf(&b, "%d header columns:", cx->nfields);
        for (int i = 0; i < cx->nfields && i < 30; i++)
            buf_printf(&b, " %s%s", cx->hdr[i],
                       i + 1 < cx->nfields ? "," : "");
        if (cx->nfields > 30)
            buf_puts(&b, " ...");
    }
    int rc = ferr_set(e, FERR_NOTFOUND, "%s:%zu: column '%s' not in header; %s%s",
                      cx->name, cx->header_lines, want,
                      hits ? "did you mean " : "", b.p ? b.p : "");
    buf_free(&b);
    return rc;
}

/* Split the header record (quotes allowed, same rules as data) into
 * cx->hdr; sets data_start and header_lines. */
static int read_header(csv_ctx_t *cx, size_t pos, ferr_t *e)
{
    const char *p = cx->p;
    size_t n = cx->n, line = 1;
    buf_t f = {0};
    VEC(char *) names = {0};
    bool inq = false, was_quoted = false;
    int rc = FERR_OK;

    buf_init(&f, cx->max_line);
    if (pos >= n) {
        buf_free(&f);
        return ferr_set(e, FERR_PARSE, "%s:1: empty file (no header line)",
                        cx->name);
    }
    for (;; pos++) {
        char c = pos < n ? p[pos] : '\n';
        if (pos - (cx->data_start) > cx->max_line) {
            rc = ferr_set(e, FERR_LIMIT,
                          "%s:1: header longer than max_line_bytes (%zu)",
                          cx->name, cx->max_line);
            break;
        }
        if (c == '\0' && pos < n) {
            rc = ferr_set(e, FERR_PARSE,
                          "%s:%zu: NUL byte in header (binary file?)",
                          cx->name, line);
            break;
        }
        if (inq) {
            if (pos >= n) {
                rc = ferr_set(e, FERR_PARSE,
                              "%s:1: unterminated quoted field in header",
                              cx->name);
                break;
            }
            if (c == cx->quote) {
                if (pos + 1 < n && p[pos + 1] == cx->quote) {
                    buf_putc(&f, c);
                    pos++;
                } else {
                    inq = false;
                }
            } else {
                if (c == '\n')
                    line++;
                buf_putc(&f, c);
            }
            continue;
        }
        if (cx->quote && c == cx->quote && f.n == 0 && !was_quoted) {
            inq = was_quoted = true;
            continue;
        }
        if (c == cx->delim || c == '\n') {
            str_t s = {f.p, f.n};
            if (c == '\n' && s.n && s.p[s.n - 1] == '\r')
                s.n--;
            if (!was_quoted)
                s = str_trim(s);
            if (cx->o->encoding == CSV_LATIN1 && !text_is_ascii(s)) {
                buf_t u = {0};
                buf_append_latin1(&u, s);
                VEC_PUSH(&names, buf_steal(&u));
            } else {
                VEC_PUSH(&names, str_dup(s));
            }
            buf_reset(&f);
            was_quoted = false;
            if (c == '\n') {
                pos = pos < n ? pos + 1 : n;
                break;
            }
            continue;
        }
        buf_putc(&f, c);
    }
    buf_free(&f);
    cx->hdr = names.a;
    cx->nfields = (int)names.n;
    cx->data_start = pos;
    cx->header_lines = line;
    if (rc == FERR_OK && cx->nfields == 1 && cx->hdr[0][0] == '\0')
        rc = ferr_set(e, FERR_PARSE, "%s:1: empty header line", cx->name);
    return rc;
}

/* A selected name that two header fields carry: refused rather than
 * silently reading the first (the other may be the one meant). */
static int duplicate_column(const csv_ctx_t *cx, const char *name, int a,
                            int b, ferr_t *e)
{
    buf_t shown = {0};
    buf_append_printable(&shown, str_from(name), 200);
    int rc = ferr_set(e, FERR_PARSE, "%s:1: column '%s' appears twice in the "
                      "header (fields %d and %d); rename one in the file",
                      cx->name, shown.p ? shown.p : "", a + 1, b + 1);
    buf_free(&shown);
    return rc;
}

/* Map header fields to selected columns. */
static int select_columns(csv_ctx_t *cx, ferr_t *e)
{
    const csv_opts_t *o = cx->o;
    cx->fmap = xmalloc((size_t)(cx->nfields ? cx->nfields : 1) * sizeof(int));
    for (int i = 0; i < cx->nfields; i++)
        cx->fmap[i] = -1;
    if (o->ncols == 0) { /* every column: every name must be unique */
        dict_t *seen = dict_new();
        int *first = xmalloc((size_t)(cx->nfields + 1) * sizeof(int));
        int rc = FERR_OK;
        for (int i = 0; i < cx->nfields && rc == FERR_OK; i++) {
            size_t len = strlen(cx->hdr[i]);
            int32_t k = dict_find(seen, cx->hdr[i], len);
            if (k >= 0)
                rc = duplicate_column(cx, cx->hdr[i], first[k], i, e);
            else
                first[dict_intern(seen, cx->hdr[i], len)] = i;
        }
        free(first);
        dict_free(seen);
        if (rc != FERR_OK)
            return rc;
        cx->nsel = cx->nfields;
        cx->sel = xcalloc((size_t)cx->nsel + 1, sizeof(*cx->sel));
        for (int i = 0; i < cx->nfields; i++) {
            csv_colopt_init(&cx->sel[i], cx->hdr[i], FT_STRING);
            cx->fmap[i] = i;
        }
        return FERR_OK;
    }
    cx->nsel = (int)o->ncols;
    cx->sel = xcalloc(o->ncols, sizeof(*cx->sel));
    for (size_t j = 0; j < o->ncols; j++) {
        const csv_colopt_t *c = &o->cols[j];
        int found = -1;
        if (c->name == NULL)
            return ferr_set(e, FERR_USAGE, "%s: column option %zu has no name",
                            cx->name, j);
        if (c->type < 0 || c->type >= FT_COUNT_)
            return ferr_set(e, FERR_USAGE, "%s: column %s: bad type %d",
                            cx->name, c->name, (int)c->type);
        for (int i = 0; i < cx->nfields; i++) {
            if (strcmp(cx->hdr[i], c->name) != 0)
                continue;
            if (found >= 0) /* which one did the spec mean? */
                return duplicate_column(cx, c->name, found, i, e);
            found = i;
        }
        if (found < 0)
            return missing_column(cx, c->name, e);
        if (cx->fmap[found] >= 0)
            return ferr_set(e, FERR_USAGE, "%s: column '%s' selected twice",
                            cx->name, c->name);
        cx->fmap[found] = (int)j;
        cx->sel[j] = *c;
    }
    return FERR_OK;
}

/* ------------------------------------------------------------- merging */

typedef struct csv_merge {
    csv_ctx_t *cx;
    csv_chunk_t *chunks;
    size_t nchunks;
    size_t *row0;          /* first output row per chunk */
    size_t total;
    column_t **out;        /* per selected column, built by merge_column */
    int *rc;
    atomic_size_t next;
} csv_merge_t;

typedef struct csv_merge_worker {
    csv_merge_t *m;
} csv_merge_worker_t;

/*
 * Move column j's fixed-width values to their table rows inside the slab;
 * returns the array trimmed to the table, or NULL when the slab had to grow
 * and could not (the slab is then still cx's).
 *
 * A chunk in its slot ("resident") holds its values at slot[i]; a chunk
 * that outgrew its slot or got none holds them in private arrays.  Slots
 * are sized from a row estimate, so with records shorter than estimated
 * (long rows first, then short ones) both happen, and then the table may
 * need more rows than the slab has (grow it first: realloc, mremap for big
 * blocks), and a resident chunk after an overflowed one has to move UP
 * (row0[i] > slot[i]).  Destinations are disjoint and, like the resident
 * sources, in file order, so a fixed order never overwrites a value not yet
 * moved: the down-movers ascending (each lands below every later source),
 * then the up-movers descending (each lands above every earlier source),
 * then the private chunks, when no slab value is left to lose.  The common
 * case (every chunk in its slot) is the first loop alone.
 */
static char *slab_compact(csv_merge_t *m, int j, size_t es)
{
    csv_ctx_t *cx = m->cx;
    size_t total = m->total, cap = cx->slab_rows;
    char *slab = cx->slab[j];

    if (total > cap) {
        char *grown = realloc(slab, total * es);
        if (grown == NULL)
            return NULL;
        cx->slab[j] = slab = grown;
        cap = total;
    }
    /* a resident chunk's own pointer into the slab may predate the
     * realloc: address its values by slot */
    for (size_t i = 0; i < m->nchunks; i++) {
        const csv_chunk_t *ch = &m->chunks[i];
        if (!ch->own && ch->rows && m->row0[i] <= ch->slot)
            memmove(slab + m->row0[i] * es, slab + ch->slot * es,
                    ch->rows * es);
    }
    for (size_t i = m->nchunks; i-- > 0;) {
        const csv_chunk_t *ch = &m->chunks[i];
        if (!ch->own && ch->rows && m->row0[i] > ch->slot)
            memmove(slab + m->row0[i] * es, slab + ch->slot * es,
                    ch->rows * es);
    }
    for (size_t i = 0; i < m->nchunks; i++) {
        const csv_chunk_t *ch = &m->chunks[i];
        if (ch->own && ch->rows)
            memcpy(slab + m->row0[i] * es, col_values(ch->cols[j]),
                   ch->rows * es);
    }
    if (total < cap) {
        /* trim the over-reservation (mremap for big blocks: no copy) */
        char *shrunk = realloc(slab, (total ? total : 1) * es);
        if (shrunk)
            slab = shrunk;
    }
    cx->slab[j] = NULL; /* the caller's column owns it now */
    return slab;
}

/*
 * Build output column j from the chunks.  Fixed-width values are compacted
 * inside the slab (slab_compact), so the common case copies nothing but a
 * memmove over already-touched pages, and the array is handed to the
 * table.  CATEGORY codes are first remapped to the file-wide dict, which
 * interns chunk vocabularies in chunk order: codes follow first appearance
 * in the file exactly as in a serial read.
 */
static int merge_column(csv_merge_t *m, int j)
{
    csv_ctx_t *cx = m->cx;
    const csv_colopt_t *c = &cx->sel[j];
    size_t total = m->total, es = elem_size(c->type);
    column_t *col = xcalloc(1, sizeof(*col));
    bool any_null = false;

    col->name = xstrdup(c->rename ? c->rename : c->name);
    col->type = c->type;
    col->n = total;
    if (c->type == FT_CATEGORY)
        col->dict = dict_new();
    for (size_t i = 0; i < m->nchunks && !any_null; i++) {
        column_t *src = m->chunks[i].cols[j];
        for (size_t r = 0; src->null && r < m->chunks[i].rows && !any_null; r++)
            any_null = src->null[r] != 0;
    }
    if (any_null)
        col->null = xcalloc(total ? total : 1, 1);

    if (c->type == FT_STRING) {
        uint64_t bytes = 0;
        for (size_t i = 0; i < m->nchunks; i++)
            bytes += m->chunks[i].cols[j]->data_len;
        col->off = xcalloc(total + 1, sizeof(uint64_t));
        if (bytes) {
            col->data = malloc(bytes);
            if (col->data == NULL) {
                col_free(col);
                return FERR_NOMEM;
            }
        }
        col->data_len = col->data_cap = bytes;
        bytes = 0;
        for (size_t i = 0; i < m->nchunks; i++) {
            column_t *src = m->chunks[i].cols[j];
            size_t r0 = m->row0[i];
            for (size_t r = 0; r < m->chunks[i].rows; r++)
                col->off[r0 + r + 1] = bytes + src->off[r + 1];
            if (src->data_len)
                memcpy(col->data + bytes, src->data, src->data_len);
            bytes += src->data_len;
        }
    } else {
        for (size_t i = 0; c->type == FT_CATEGORY && i < m->nchunks; i++) {
            csv_chunk_t *ch = &m->chunks[i];
            column_t *src = ch->cols[j];
            dict_t *d = src->dict;
            int32_t *map = xmalloc((d->n + 1) * sizeof(int32_t));
            for (size_t k = 0; k < d->n; k++)
                map[k] = dict_intern(col->dict, d->str[k], d->len[k]);
            /* a null row's slot is 0, and an all-null chunk has an empty
             * vocabulary: nulls must not go through the map */
            for (size_t r = 0; r < ch->rows; r++)
                src->code[r] = src->null && src->null[r] ? 0
                                                         : map[src->code[r]];
            free(map);
        }
        char *values = slab_compact(m, j, es);
        if (values == NULL) {
            col_free(col);
            return FERR_NOMEM;
        }
        col_set_values(col, values);
    }
    if (col->null)
        for (size_t i = 0; i < m->nchunks; i++) {
            column_t *src = m->chunks[i].cols[j];
            if (src->null && m->chunks[i].rows)
                memcpy(col->null + m->row0[i], src->null, m->chunks[i].rows);
        }
    m->out[j] = col;
    return FERR_OK;
}

static void *merge_main(void *arg)
{
    csv_merge_worker_t *w = arg;
    csv_merge_t *m = w->m;
    for (;;) {
        size_t j = atomic_fetch_add(&m->next, 1);
        if (j >= (size_t)m->cx->nsel)
            break;
        m->rc[j] = merge_column(m, (int)j);
    }
    return NULL;
}

static int merge_chunks(csv_ctx_t *cx, csv_chunk_t *chunks, size_t nchunks,
                        int nthreads, table_t **out, ferr_t *e)
{
    int nsel = cx->nsel;
    csv_merge_t m = {.cx = cx, .chunks = chunks, .nchunks = nchunks};
    int rc = FERR_OK;

    m.row0 = xcalloc(nchunks + 1, sizeof(size_t));
    for (size_t i = 0; i < nchunks; i++) {
        m.row0[i] = m.total;
        m.total += chunks[i].rows;
    }
    m.out = xcalloc((size_t)nsel + 1, sizeof(*m.out));
    m.rc = xcalloc((size_t)nsel + 1, sizeof(int));
    if (nthreads > nsel)
        nthreads = nsel > 0 ? nsel : 1;
    {
        csv_merge_worker_t *ws = xcalloc((size_t)nthreads, sizeof(*ws));
        for (int t = 0; t < nthreads; t++)
            ws[t].m = &m;
        run_workers(nthreads, merge_main, ws, sizeof(*ws),
                    cx->o->inline_workers);
        free(ws);
    }
    table_t *t = table_new();
    for (int j = 0; j < nsel; j++) {
        if (rc == FERR_OK && m.rc[j] != FERR_OK)
            rc = ferr_set(e, m.rc[j], "%s: column %s: out of memory",
                          cx->name, cx->sel[j].name);
        if (m.out[j] == NULL)
            continue;
        if (rc == FERR_OK && (rc = table_add(t, m.out[j], e)) != FERR_OK)
            ferr_prefix(e, "%s: ", cx->name);
        if (rc != FERR_OK)
            col_free(m.out[j]);
    }
    t->nrows = m.total;
    free(m.out);
    free(m.rc);
    free(m.row0);
    if (rc != FERR_OK) {
        table_free(t);
        return rc;
    }
    *out = t;
    return FERR_OK;
}

/* ------------------------------------------------------------- rejects */

static void csv_quote_field(buf_t *b, const char *s, size_t n)
{
    bool need = false;
    for (size_t i = 0; i < n && !need; i++)
        need = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!need) {
        buf_append(b, s, n);
        return;
    }
    buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            buf_putc(b, '"');
        buf_putc(b, s[i]);
    }
    buf_putc(b, '"');
}

static int write_rejects(const csv_ctx_t *cx, csv_chunk_t *chunks,
                         size_t nchunks, ferr_t *e)
{
    afile_t af;
    buf_t b = {0};
    int rc = afile_open(&af, cx->o->rejects_path, e);
    if (rc != FERR_OK)
        return rc;
    fputs("line,column,value,reason\n", af.fp);
    for (size_t i = 0; i < nchunks; i++)
        for (size_t k = 0; k < chunks[i].rej.n; k++) {
            const csv_reject_t *r = &chunks[i].rej.a[k];
            const char *cname = r->col >= 0 ? cx->sel[r->col].name : "";
            buf_reset(&b);
            buf_printf(&b, "%zu,", r->line);
            csv_quote_field(&b, cname, strlen(cname));
            buf_putc(&b, ',');
            if (r->value)
                csv_quote_field(&b, r->value, strlen(r->value));
            buf_putc(&b, ',');
            csv_quote_field(&b, r->reason, strlen(r->reason));
            buf_putc(&b, '\n');
            fwrite(b.p, 1, b.n, af.fp);
        }
    buf_free(&b);
    if (ferror(af.fp)) {
        afile_abort(&af);
        return ferr_set(e, FERR_IO, "%s: write failed", cx->o->rejects_path);
    }
    return afile_commit(&af, e);
}

/* ------------------------------------------------------------- the read */

static void ctx_free(csv_ctx_t *cx)
{
    for (int i = 0; i < cx->nfields; i++)
        free(cx->hdr[i]);
    free(cx->hdr);
    free(cx->fmap);
    for (int j = 0; cx->slab && j < cx->nsel; j++)
        free(cx->slab[j]);
    free(cx->slab);
    free(cx->sel);
}

static int online_cores(void)
{
    long k = sysconf(_SC_NPROCESSORS_ONLN);
    return k < 1 ? 1 : (k > 256 ? 256 : (int)k);
}

/* Bytes per record, for preallocation: the mean over up to CSV_EST_SAMPLES
 * runs of 64 records spread over the input, not just the first records (a
 * file whose first rows are long and the rest short).  Only a guess: a slot
 * it sizes too small costs a copy (chunk_grow, slab_compact), never a
 * wrong answer. */
static size_t estimate_row_bytes(const csv_ctx_t *cx)
{
    size_t body = cx->n - cx->data_start, bytes = 0, recs = 0;
    for (size_t s = 0; s < CSV_EST_SAMPLES; s++) {
        size_t pos = cx->data_start + body / CSV_EST_SAMPLES * s;
        if (s > 0) { /* resynchronise after the next newline */
            const char *nl = memchr(cx->p + pos, '\n', cx->n - pos);
            if (nl == NULL)
                break;
            pos = (size_t)(nl - cx->p) + 1;
        }
        size_t from = pos, k = 0;
        while (k < 64 && pos < cx->n) {
            const char *nl = memchr(cx->p + pos, '\n', cx->n - pos);
            if (nl == NULL)
                break;
            pos = (size_t)(nl - cx->p) + 1;
            k++;
        }
        bytes += pos - from;
        recs += k;
    }
    if (recs == 0)
        return 64;
    size_t avg = bytes / recs;
    return avg < 2 ? 2 : avg - avg / 16; /* a little over-reserve */
}

/*
 * Where the bytes come from.  A memory input is parsed in place.  A file is
 * read segment by segment into one reused window of 2 MiB transparent huge
 * pages, by all threads with pread, when THP is available; otherwise it is
 * mmap'ed and parsed in place.  Measured on this kind of VM (loan log, 144
 * MB): an SSE2 pass over a 4 KiB-page mapping runs at 0.6-0.7 GB/s, over
 * huge pages at 4.8 GB/s; pread into one fresh huge-page buffer for the
 * whole file spent more in the kernel zeroing the pages (20% of a read)
 * than copying (6%), hence one 32 MiB window reused for every segment.
 * Segments end at record boundaries: a record cut by the window end is
 * re-read at the start of the next window (parse_record's CSV_TRUNC).
 */
typedef struct csv_src {
    const char *mem;  /* bytes (memory input), or NULL with fd >= 0 */
    int fd;
    size_t n;         /* total bytes */
    size_t seg;       /* bytes per segment; 0 = whole input in place */
    size_t cap;       /* window capacity */
    char *win;        /* window (huge-page aligned inside map) */
    char *map;
    size_t maplen;
    int nthreads;
} csv_src_t;

#define CSV_HUGE (2u << 20)

typedef struct csv_pread {
    int fd;
    char *dst;
    size_t off, len; /* file offset and length; dst is the window */
    size_t woff;     /* offset in the window */
    int err;
} csv_pread_t;

static void *pread_main(void *arg)
{
    csv_pread_t *r = arg;
    size_t done = 0;
    while (done < r->len) {
        ssize_t k = pread(r->fd, r->dst + r->woff + done, r->len - done,
                          (off_t)(r->off + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            r->err = k < 0 ? errno : EIO; /* EIO: the file shrank */
            break;
        }
        done += (size_t)k;
    }
    return NULL;
}

/* (Re)allocate the window for cap bytes.  Huge pages pay off for file
 * reads (see above); the window of a memory input (segment_size: tests and
 * the fuzzer) is plain pages, not a 2 MiB page to zero per read. */
static int src_window(csv_src_t *src, size_t cap)
{
    bool huge = src->fd >= 0;
    if (src->map)
        munmap(src->map, src->maplen);
    src->map = NULL;
    size_t len = huge ? cap + 2 * CSV_HUGE : (cap ? cap : 1);
    char *b = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        return errno;
    src->map = b;
    src->maplen = len;
    src->cap = cap;
    src->win = b;
    if (!huge)
        return 0;
    src->win = (char *)(((uintptr_t)b + CSV_HUGE - 1) &
                        ~(uintptr_t)(CSV_HUGE - 1));
#ifdef MADV_HUGEPAGE
    madvise(src->win, (cap + CSV_HUGE - 1) & ~(size_t)(CSV_HUGE - 1),
            MADV_HUGEPAGE);
#endif
    return 0;
}

/* Point the context at the bytes [off, off + window) of the input. */
static int src_fill(csv_src_t *src, csv_ctx_t *cx, size_t off, ferr_t *e)
{
    if (src->seg == 0) {
        cx->p = src->mem;
        cx->n = src->n;
        cx->eof = true;
        return FERR_OK;
    }
    size_t len = src->n - off < src->cap ? src->n - off : src->cap;
    if (src->fd < 0) {
        memcpy(src->win, src->mem + off, len);
    } else {
        int nt = src->nthreads;
        if ((size_t)nt > len / CSV_HUGE + 1)
            nt = (int)(len / CSV_HUGE + 1);
        csv_pread_t *rs = xcalloc((size_t)nt, sizeof(*rs));
        size_t per = len / (size_t)nt + 1;
        for (int t = 0; t < nt; t++) {
            size_t w = (size_t)t * per < len ? (size_t)t * per : len;
            size_t k = len - w < per ? len - w : per;
            rs[t] = (csv_pread_t){.fd = src->fd, .dst = src->win,
                                  .off = off + w, .len = k, .woff = w};
        }
        run_workers(nt, pread_main, rs, sizeof(*rs), cx->o->inline_workers);
        int err = 0;
        for (int t = 0; t < nt; t++)
            if (rs[t].err)
                err = rs[t].err;
        free(rs);
        if (err)
            return ferr_set(e, FERR_IO, "%s: read: %s", cx->name,
                            strerror(err));
    }
    cx->p = src->win;
    cx->n = len;
    cx->eof = off + len == src->n;
    return FERR_OK;
}

/* Cut [start, cx->n) into speculative chunks appended to *chunks; each
 * gets a slot in the slab while it lasts. */
typedef VEC(csv_chunk_t) csv_chunks_t;

static size_t plan_chunks(csv_ctx_t *cx, csv_chunks_t *chunks, size_t start,
                          int nthreads, size_t *slab_used, size_t slab_rows)
{
    const csv_opts_t *o = cx->o;
    size_t body = cx->n - start;
    size_t want = nthreads == 1 ? 1 : (size_t)nthreads * CSV_CHUNKS_PER_THREAD;
    size_t most = body / CSV_MIN_CHUNK ? body / CSV_MIN_CHUNK : 1;
    size_t k = want < most ? want : most, first = chunks->n;
    if (o->chunk_size)
        k = body / o->chunk_size + 1;
    for (size_t i = 0; i < k; i++) {
        size_t st = start;
        if (i > 0) {
            size_t nominal = start + body / k * i;
            const char *nl = memchr(cx->p + nominal, '\n', cx->n - nominal);
            st = nl ? (size_t)(nl - cx->p) + 1 : cx->n;
            if (st < chunks->a[chunks->n - 1].start)
                st = chunks->a[chunks->n - 1].start;
        }
        csv_chunk_t ch;
        memset(&ch, 0, sizeof(ch));
        ch.start = st;
        VEC_PUSH(chunks, ch);
    }
    for (size_t i = first; i < chunks->n; i++) {
        csv_chunk_t *ch = &chunks->a[i];
        ch->stop = i + 1 < chunks->n ? chunks->a[i + 1].start : cx->n;
        size_t cap = (ch->stop - ch->start) / cx->row_estimate + 16;
        if (*slab_used + cap <= slab_rows) {
            ch->slot = *slab_used;
            ch->slot_cap = cap;
            *slab_used += cap;
        }
    }
    return k;
}

static void run_chunks(csv_ctx_t *cx, csv_chunk_t *chunks, size_t k,
                       int nthreads, bool progress)
{
    csv_pool_t pool = {.cx = cx, .chunks = chunks, .nchunks = k};
    if ((size_t)nthreads > k)
        nthreads = (int)k;
    csv_worker_t *ws = xcalloc((size_t)nthreads, sizeof(*ws));
    for (int t = 0; t < nthreads; t++) {
        ws[t].pool = &pool;
        ws[t].report = t == 0 && progress;
    }
    run_workers(nthreads, worker_main, ws, sizeof(*ws),
                cx->o->inline_workers);
    free(ws);
}

static int csv_read_src(const char *name, csv_src_t *src, const csv_opts_t *o,
                        table_t **out, csv_report_t *rep, ferr_t *e)
{
    csv_opts_t defaults;
    csv_ctx_t cx;
    csv_chunks_t chunks = {0};
    size_t pos = 0;
    double t0 = now_seconds();
    int rc = FERR_OK, nthreads;

    *out = NULL;
    if (o == NULL) {
        csv_opts_init(&defaults);
        o = &defaults;
    }
    memset(&cx, 0, sizeof(cx));
    cx.name = name ? name : "<memory>";
    cx.o = o;
    cx.delim = o->delimiter ? o->delimiter : ',';
    cx.quote = o->quote;
    cx.max_line = o->max_line ? o->max_line : CSV_DEFAULT_MAX_LINE;
    cx.empty_is_null_only = o->nulls == NULL;
    if (cx.delim == '\n' || cx.delim == '\r' || cx.delim == cx.quote)
        return ferr_set(e, FERR_USAGE, "%s: invalid delimiter/quote pair",
                        cx.name);
    nthreads = o->threads > 0 ? o->threads : online_cores();
    src->nthreads = nthreads;
    if (src->seg) {
        /* a window always holds a whole record of max_line bytes, so a
         * quoted field past max_line is caught before the window ends */
        size_t cap = src->seg + cx.max_line + 64;
        int err = src_window(src, cap < src->n ? cap : src->n);
        if (err)
            return ferr_set(e, FERR_NOMEM, "%s: window: %s", cx.name,
                            strerror(err));
    }
    if ((rc = src_fill(src, &cx, 0, e)) != FERR_OK)
        goto out;

    if (cx.n >= 3 && memcmp(cx.p, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* UTF-8 BOM */
    cx.data_start = pos;
    if ((rc = read_header(&cx, pos, e)) != FERR_OK)
        goto out;
    if ((rc = select_columns(&cx, e)) != FERR_OK)
        goto out;
    cx.row_estimate = o->row_bytes ? o->row_bytes : estimate_row_bytes(&cx);

    /* One value slab for the whole input, sized from the row estimate;
     * chunks beyond it (many tiny segments) or outgrowing their slot use
     * private arrays, and the merge grows the slab when the table is
     * bigger (slab_compact). */
    size_t nseg = src->seg ? src->n / src->seg + 1 : 1;
    size_t slab_rows = src->n / cx.row_estimate +
                       16 * nseg * ((size_t)nthreads * CSV_CHUNKS_PER_THREAD + 1),
           slab_used = 0;
    cx.slab_rows = slab_rows;
    cx.slab = xcalloc((size_t)cx.nsel + 1, sizeof(*cx.slab));
    for (int j = 0; j < cx.nsel; j++) {
        size_t es = elem_size(cx.sel[j].type);
        /* not calloc: every row is written before it is read */
        if (es && (cx.slab[j] = slab_alloc(slab_rows * es)) == NULL) {
            rc = ferr_set(e, FERR_NOMEM, "%s: %zu rows of column %s",
                          cx.name, slab_rows, cx.sel[j].name);
            goto out;
        }
    }

    /* smaller files finish before a line would show */
    bool progress = !o->quiet && src->n > (8u << 20);
    if (progress) {
        progress_start(&cx.prog, cx.name, "bytes", src->n);
        progress_show_count(&cx.prog, "rows");
    }
    size_t line = cx.header_lines + 1, rows = 0, rejected = 0;
    size_t base = 0, start = cx.data_start;
    for (;;) {
        size_t first = chunks.n;
        size_t k = plan_chunks(&cx, &chunks, start, nthreads, &slab_used,
                               slab_rows);
        run_chunks(&cx, chunks.a + first, k, nthreads, progress);

        /* Validate the chain of speculative starts; re-parse any chunk
         * whose guessed start was not the true record boundary.  Fatal
         * errors count only in chunks that started at a true boundary. */
        for (size_t i = first + 1; i < chunks.n; i++) {
            csv_chunk_t *ch = &chunks.a[i];
            if (ch->start != chunks.a[i - 1].end) {
                chunk_reset(ch, cx.nsel);
                ch->start = chunks.a[i - 1].end;
                if (ch->stop < ch->start)
                    ch->stop = ch->start;
                chunk_parse(&cx, ch, false);
            }
        }
        size_t seg_end = chunks.a[chunks.n - 1].end;
        bool fatal = false;
        for (size_t i = first; i < chunks.n && !fatal; i++)
            fatal = chunks.a[i].fatal != 0;
        if (!fatal && !cx.eof && seg_end == start) {
            /* not one whole record in the window: grow it and retry */
            for (size_t i = first; i < chunks.n; i++)
                chunk_reset(&chunks.a[i], cx.nsel);
            chunks.n = first;
            int err = src_window(src, src->cap * 2);
            if (err) {
                rc = ferr_set(e, FERR_NOMEM, "%s: window: %s", cx.name,
                              strerror(err));
                goto out;
            }
            if ((rc = src_fill(src, &cx, base + start, e)) != FERR_OK)
                goto out;
            base += start;
            start = 0;
            continue;
        }
        for (size_t i = first; i < chunks.n; i++) {
            csv_chunk_t *ch = &chunks.a[i];
            if (ch->fatal) {
                rc = ferr_set(e, ch->fatal, "%s:%zu: %s", cx.name,
                              line + ch->fatal_line, ch->fatal_msg);
                goto out;
            }
            for (size_t r = 0; r < ch->rej.n; r++)
                ch->rej.a[r].line += line;
            line += ch->lines;
            rows += ch->rows;
            rejected += ch->nrej;
        }
        if (cx.eof)
            break;
        base += seg_end;
        start = 0;
        if ((rc = src_fill(src, &cx, base, e)) != FERR_OK)
            goto out;
    }
    if (progress)
        progress_finish(&cx.prog);

    if (o->rejects_path &&
        (rc = write_rejects(&cx, chunks.a, chunks.n, e)) != FERR_OK)
        goto out;
    {
        size_t data_rows = rows + rejected;
        double frac_allow = o->max_reject_frac > 0
                                ? floor(o->max_reject_frac * (double)data_rows)
                                : 0;
        size_t allow = o->max_rejects;
        if (frac_allow > (double)allow)
            allow = frac_allow >= (double)SIZE_MAX ? SIZE_MAX : (size_t)frac_allow;
        /* however generous the budget, a read that keeps no row failed:
         * an empty table would replace the last good outputs */
        const char *none_left = rows == 0 ? ", and no row is left" : "";
        if (rejected > allow || (rows == 0 && rejected > 0)) {
            const csv_reject_t *fr = NULL;
            for (size_t i = 0; i < chunks.n && !fr; i++)
                if (chunks.a[i].rej.n)
                    fr = &chunks.a[i].rej.a[0];
            if (fr && fr->col >= 0)
                rc = ferr_set(e, FERR_BUDGET,
                              "%s: %zu of %zu rows rejected (budget %zu%s); "
                              "first: %s:%zu: column %s: '%.*s' %s",
                              cx.name, rejected, data_rows, allow, none_left,
                              cx.name,
                              fr->line, cx.sel[fr->col].name,
                              (int)(strlen(fr->value) > 100
                                        ? 100 : strlen(fr->value)),
                              fr->value, fr->reason);
            else
                rc = ferr_set(e, FERR_BUDGET,
                              "%s: %zu of %zu rows rejected (budget %zu%s); "
                              "first: %s:%zu: %s",
                              cx.name, rejected, data_rows, allow, none_left,
                              cx.name,
                              fr ? fr->line : 0, fr ? fr->reason : "?");
            goto out;
        }
    }
    if ((rc = merge_chunks(&cx, chunks.a, chunks.n, nthreads, out, e)) !=
        FERR_OK)
        goto out;
    if (rep) {
        rep->rows = rows;
        rep->rejected = rejected;
        rep->bytes = src->n;
        rep->seconds = now_seconds() - t0;
    }
out:
    for (size_t i = 0; i < chunks.n; i++)
        chunk_reset(&chunks.a[i], cx.nsel);
    free(chunks.a);
    ctx_free(&cx);
    if (src->map)
        munmap(src->map, src->maplen);
    src->map = NULL;
    return rc;
}

int csv_read_mem(const char *name, const char *p, size_t n,
                 const csv_opts_t *o, table_t **out, csv_report_t *rep,
                 ferr_t *e)
{
    csv_src_t src = {.mem = p, .fd = -1, .n = n};
    /* segment_size exercises the windowed path on memory (tests, fuzzer) */
    if (o && o->segment_size && n > 0)
        src.seg = o->segment_size;
    return csv_read_src(name, &src, o, out, rep, e);
}

static bool thp_available(void)
{
    char buf[128] = {0};
    FILE *fp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (fp == NULL)
        return false;
    size_t k = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[k] = '\0';
    return strstr(buf, "[always]") || strstr(buf, "[madvise]");
}

int csv_read_file(const char *path, const csv_opts_t *o, table_t **out,
                  csv_report_t *rep, ferr_t *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *map = NULL;
    int rc;

    *out = NULL;
    if (fd < 0)
        return ferr_set(e, errno == ENOENT ? FERR_NOTFOUND : FERR_IO,
                        "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        rc = ferr_set(e, FERR_IO, "%s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ferr_set(e, FERR_IO, "%s: not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    if (n >= (8u << 20) && thp_available()) {
        csv_src_t src = {.fd = fd, .n = n, .seg = CSV_SEGMENT};
        if (o && o->segment_size)
            src.seg = o->segment_size;
        rc = csv_read_src(path, &src, o, out, rep, e);
        close(fd);
        return rc;
    }
    if (n > 0) {
        map = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (map == MAP_FAILED) {
            rc = ferr_set(e, FERR_IO, "%s: mmap: %s", path, strerror(errno));
            close(fd);
            return rc;
        }
    }
    close(fd);
    csv_src_t src = {.mem = map ? map : "", .fd = -1, .n = n};
    rc = csv_read_src(path, &src, o, out, rep, e);
    if (map)
        munmap(map, n);
    return rc;
}

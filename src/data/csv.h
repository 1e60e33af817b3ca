/*
 * csv.h - the fast, forgiving CSV reader: text files -> typed table_t.
 *
 * Reads RFC 4180 CSV (quoted fields with doubled quotes, delimiters and
 * newlines inside quotes, CRLF or LF, UTF-8 BOM skipped) in parallel on
 * all cores into the typed columns of table.h.  A big file is read by
 * parallel pread through a reused huge-page window when transparent huge
 * pages are available (4 KiB-page mappings scan 5x slower on our VMs),
 * else mmap'ed.  Columns are
 * selected by header name and converted with parse.h, so a value parses the
 * same here, in expressions and in the server.
 *
 * Rows that do not parse (wrong field count, a value that does not convert,
 * text that is not UTF-8, an empty required value, a line longer than
 * max_line) are dropped and listed in an optional rejects file (CSV:
 * line,column,value,reason; 1-based physical line numbers).  The read fails
 * with FERR_BUDGET, returning no table, when the rejects exceed the error
 * budget or leave no row at all.  Fatal problems (empty file, no header, a
 * selected column missing from the header or named twice in it, an
 * unterminated quote, NUL bytes) fail the read with a message naming the
 * file and line.
 *
 * Ownership: options are borrowed for the duration of a call; the returned
 * table belongs to the caller (table_free).
 */
#ifndef FERRY_CSV_H
#define FERRY_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/str.h"
#include "data/table.h"

/* One selected column.  Zero-initialise, or csv_colopt_init. */
typedef struct csv_colopt {
    const char *name;   /* header name (exact, UTF-8) */
    ftype_t type;
    const char *format; /* DATE/DATETIME: parse_date format; NULL = ISO */
    char decimal;       /* INT/FLOAT decimal separator; 0 = '.' */
    char thousands;     /* thousands separator; 0 = none */
    const char *rename; /* output column name; NULL = name */
    const char *required; /* non-NULL: a null or empty value rejects the
                           * row; the reject reason is "is empty: " and
                           * this text (why the column cannot be empty) */
} csv_colopt_t;

/* How the bytes of STRING/CATEGORY values are taken.  UTF-8 (the default)
 * validates them: a value that is not UTF-8 rejects its row.  LATIN1
 * transcodes every byte (ISO 8859-1) to UTF-8, header names included. */
typedef enum { CSV_UTF8 = 0, CSV_LATIN1 } csv_encoding_t;

typedef struct csv_opts {
    char delimiter;           /* ',' */
    char quote;               /* '"'; 0 disables quoting */
    const char *const *nulls; /* null markers; NULL = {""} (empty is null) */
    size_t nnulls;
    size_t max_line;          /* bytes per record; default 1 MiB */
    /* Error budget.  The read fails when rejected rows exceed BOTH
     * allowances, i.e. the more generous of max_rejects (absolute) and
     * max_reject_frac * data rows wins.  Both 0 (the default): any rejected
     * row fails the read. */
    size_t max_rejects;
    double max_reject_frac;
    const char *rejects_path; /* NULL: none; written atomically, even when
                               * the budget fails (it is the diagnosis) */
    int threads;              /* 0 = all online cores */
    size_t chunk_size;        /* bytes per parallel chunk; 0 = auto (tests
                               * and the fuzzer set it tiny) */
    size_t segment_size;      /* file bytes per read window; 0 = 32 MiB for
                               * files, whole buffer in place for memory */
    bool inline_workers;      /* run the `threads` workers one after the
                               * other on the calling thread: the chunk
                               * plan, slab and merge of a parallel read,
                               * without a thread start (the fuzzer) */
    size_t row_bytes;         /* bytes per record, to preallocate values;
                               * 0 = sampled from the input.  Only a guess
                               * that must never change the answer: tests
                               * and the fuzzer set it wrong on purpose */
    const csv_colopt_t *cols; /* selected columns, output order */
    size_t ncols;             /* 0: every column, as STRING */
    bool trim;                /* trim ASCII spaces around fields */
    csv_encoding_t encoding;  /* of text values; CSV_UTF8 */
    bool quiet;               /* no progress line even on a terminal */
} csv_opts_t;

typedef struct csv_report {
    size_t rows;     /* rows in the table */
    size_t rejected; /* data rows dropped */
    size_t bytes;    /* file size */
    double seconds;  /* wall time of the read */
} csv_report_t;

void csv_opts_init(csv_opts_t *o);
void csv_colopt_init(csv_colopt_t *c, const char *name, ftype_t type);

/* Read a file (mmap).  On success *out is a new table; rep may be NULL. */
int csv_read_file(const char *path, const csv_opts_t *o, table_t **out,
                  csv_report_t *rep, ferr_t *e);
/* Same over a memory buffer; name is used in messages. */
int csv_read_mem(const char *name, const char *p, size_t n,
                 const csv_opts_t *o, table_t **out, csv_report_t *rep,
                 ferr_t *e);

/* Parse one value into row `row` of an already allocated column of type
 * c->type (the server's raw JSON records).  Applies o's trim and null
 * markers (o may be NULL: defaults).  STRING columns must be filled in row
 * order.  On failure the message is "column NAME: 'v' is not a number". */
int csv_parse_cell(str_t s, const csv_colopt_t *c, const csv_opts_t *o,
                   column_t *col, size_t row, ferr_t *e);

#endif

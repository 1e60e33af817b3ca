/*
 * offline.h - offline feature tables: CSV for people, .fcol for training.
 *
 * `ferry features build` writes the offline feature table twice: a CSV that
 * any tool opens, and a binary columnar .fcol file that `ferry train` loads
 * with a few large reads (no parsing).  Both writers go through afile
 * (temporary file, fsync, rename), so a failed or interrupted write leaves
 * the previous file byte-identical.  The .fcol format is specified in
 * docs/store.md; every section carries a CRC32C and the reader validates
 * every length, offset and value, so a truncated or corrupt file is a
 * FERR_CORRUPT naming the file and the defect, never a crash.
 *
 * Ownership: the writers only read the table; a table returned by the
 * readers belongs to the caller (table_free).
 */
#ifndef FERRY_STORE_OFFLINE_H
#define FERRY_STORE_OFFLINE_H

#include <stddef.h>
#include <stdio.h>

#include "base/afile.h"
#include "base/err.h"
#include "data/table.h"

/* CSV with a header row; RFC 4180 quoting where needed; a null is an empty
 * field and a non-null empty string is "" (so the two stay distinct); FLOAT
 * is the shortest text that parses back to the same double; BOOL is 0/1;
 * DATE is YYYY-MM-DD and DATETIME YYYY-MM-DD HH:MM:SS. */
int offline_write_csv(const table_t *t, const char *path, ferr_t *e);
/* The same CSV to an open stream (stdout); name is used in messages. */
int offline_write_csv_fp(const table_t *t, FILE *fp, const char *name,
                         ferr_t *e);

/* Two-phase writers for a build that publishes several outputs together:
 * write t into the temporary of af (afile_open'ed by the caller), flush
 * and fsync it, and leave the rename to the caller's afile_commit (or
 * afile_abort, also on error).  The one-shot writers above and below are
 * open + these + commit. */
int offline_write_csv_af(const table_t *t, afile_t *af, ferr_t *e);
int fcol_write_af(const table_t *t, afile_t *af, ferr_t *e);

/* Current .fcol format version; readers refuse newer versions. */
#define FCOL_VERSION 1

int fcol_write(const table_t *t, const char *path, ferr_t *e);
/* Read a whole .fcol file. */
int fcol_read(const char *path, table_t **out, ferr_t *e);
/* Read only the named columns, in the order given (only their sections are
 * read and checked).  A missing name is FERR_NOTFOUND.  names == NULL reads
 * every column. */
int fcol_read_cols(const char *path, const char *const *names, size_t nnames,
                   table_t **out, ferr_t *e);
/* The same from memory (tests, fuzzing); label names the input in errors. */
int fcol_read_mem(const void *p, size_t n, const char *label,
                  const char *const *names, size_t nnames, table_t **out,
                  ferr_t *e);

#endif

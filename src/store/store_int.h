/*
 * store_int.h - internals shared by the offline and online stores.
 *
 * Value formatting (the text a CSV cell, a JSON value or an online-store
 * TEXT column holds), date parsing for values read back from SQLite, and
 * the CRC32C that checksums every section of a .fcol file.  Not a public
 * header: only the files of src/store include it.
 */
#ifndef FERRY_STORE_INT_H
#define FERRY_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store/fmt.h"

/* "YYYY-MM-DD" / "YYYY-MM-DD HH:MM:SS" (proleptic Gregorian; the same text
 * as format_date/format_datetime of data/parse.h).  Return length. */
size_t store_fmt_date(int64_t days, char *out);
size_t store_fmt_datetime(int64_t secs, char *out);
/* Inverse of the two above for the exact forms they write; 0 or -1. */
int store_parse_date(const char *s, size_t n, int64_t *days);
int store_parse_datetime(const char *s, size_t n, int64_t *secs);

/* CRC32C (Castagnoli), chainable like zlib's crc32: start with crc = 0. */
uint32_t store_crc32c(uint32_t crc, const void *p, size_t n);

/* 64-bit FNV-1a, chainable: start with STORE_HASH_INIT. */
#define STORE_HASH_INIT 1469598103934665603ULL
uint64_t store_hash(uint64_t h, const void *p, size_t n);

#endif

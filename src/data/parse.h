/*
 * parse.h - parsing and formatting of single typed values.
 *
 * One implementation of "text -> typed value" shared by the CSV reader, the
 * expression functions (to_number, to_date) and the server's raw records, so
 * a value parses identically offline and online.  Dates use the proleptic
 * Gregorian calendar; DATE values are days since 1970-01-01 and DATETIME
 * values seconds since 1970-01-01T00:00:00 (naive, no time zone), as in
 * table.h.  Calendar validation is strict: 2020-13-01 and 2021-02-29 fail.
 *
 * All parse_* functions take a slice (not NUL-terminated), return FERR_OK,
 * FERR_PARSE (malformed) or FERR_RANGE (well-formed but out of range) and do
 * not touch *out on failure.  They do not trim: callers decide.
 */
#ifndef FERRY_PARSE_H
#define FERRY_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "base/str.h"

/* Days since 1970-01-01 of a civil date (no validation), and back. */
int64_t days_from_civil(int64_t y, int m, int d);
void civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* 1 if (y, m, d) is a real calendar date. */
int civil_valid(int64_t y, int m, int d);

/* Month number 1..12 of an English or Spanish month name, full or
 * abbreviated, any case, optional trailing '.': "Jan", "ene", "Enero",
 * "Sept", "dic."; 0 when unknown. */
int month_from_name(str_t s);

/* Integers: optional sign, digits, optional thousands separator (0 = none);
 * "12.0" is accepted as 12 when decimal is given and the fraction is zero
 * (real exports write integers as floats). */
int parse_int64(str_t s, char decimal, char thousands, int64_t *out);
/* Numbers: sign, digits with optional thousands separators, decimal
 * separator, exponent; "1.234.567" with thousands='.' is 1234567.  Also
 * "nan", "inf".  Exactly rounded (strtod semantics). */
int parse_double(str_t s, char decimal, char thousands, double *out);
/* true/false, 1/0, yes/no, y/n, t/f, any case. */
int parse_bool(str_t s, uint8_t *out);

/* Dates and datetimes with a strptime-like format: %Y (4-digit year), %y
 * (2-digit, 69-99 -> 19xx), %m, %d (1 or 2 digits), %b / %B (month name,
 * English or Spanish, see month_from_name), %H, %M, %S, %j (day of year),
 * %% and literal characters.  fmt NULL or "" means ISO 8601:
 * YYYY-MM-DD, and for datetimes YYYY-MM-DD[T ]HH:MM[:SS[.fff]] (fraction
 * truncated) or a bare date (midnight).  A date format without a day (such
 * as "%b-%Y" for "Ene-2014") gives the first of the month. */
int parse_date(str_t s, const char *fmt, int64_t *days);
int parse_datetime(str_t s, const char *fmt, int64_t *secs);

/* "YYYY-MM-DD" and "YYYY-MM-DD HH:MM:SS" into out (NUL-terminated); return
 * the length written (excluding NUL). */
size_t format_date(int64_t days, char *out, size_t n);
size_t format_datetime(int64_t secs, char *out, size_t n);

#endif

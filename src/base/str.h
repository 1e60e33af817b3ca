/*
 * str.h - string slices and bounded growable buffers.
 *
 * str_t is a borrowed (ptr, len) view, never NUL-terminated by contract
 * (h2o's h2o_iovec_t).  buf_t owns a growable, always NUL-terminated byte
 * buffer with an optional maximum size (curl's dynbuf): appends past the cap
 * fail with FERR_LIMIT instead of growing without bound, which is what input-
 * sized buffers (a CSV line, a request body) need.  Never use sprintf/strcat/
 * strcpy in ferry; use buf_printf or snprintf.
 */
#ifndef FERRY_STR_H
#define FERRY_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct str {
    const char *p;
    size_t n;
} str_t;

#define STR_LIT(s) ((str_t){(s), sizeof(s) - 1})
#define STR_FMT(s) (int)(s).n, (s).p /* printf("%.*s", STR_FMT(s)) */

str_t str_from(const char *cstr);
bool str_eq(str_t a, str_t b);
bool str_eq_cstr(str_t a, const char *b);
bool str_ieq_cstr(str_t a, const char *b); /* ASCII case-insensitive */
str_t str_trim(str_t s);                    /* ASCII whitespace */
char *str_dup(str_t s);                     /* xmalloc'd, NUL-terminated */

/* UTF-8.  str_utf8_invalid returns the offset of the first byte that does
 * not start a well-formed sequence (RFC 3629: no overlongs, surrogates or
 * code points past U+10FFFF; a sequence cut by the end is invalid), or
 * s.n when all of s is UTF-8.  ASCII runs are checked 8 bytes at a time,
 * so plain ASCII text costs about one OR per word. */
size_t str_utf8_invalid(str_t s);
/* Offset of the first control character (below 0x20, or DEL) in s, or
 * s.n: text that must stay one printable line (a reason, a name). */
size_t str_control_at(str_t s);

/* Strict number parsing for text a user typed (command-line options): the
 * whole string must be the number, with no leading space, no trailing
 * junk and, for str_parse_u64, no sign at all (strtoull takes "-5" as
 * 2^64-5).  FERR_OK, FERR_PARSE (not a number) or FERR_RANGE (does not fit
 * the type, or for str_parse_f64 not finite). */
int str_parse_u64(const char *s, uint64_t *out);
int str_parse_f64(const char *s, double *out);

/* Owned buffer.  Zero-initialise, or buf_init(&b, max) to cap it (0 = no cap).
 * b.p is always NUL-terminated once anything was appended (or after
 * buf_init).  Free with buf_free. */
typedef struct buf {
    char *p;
    size_t n;
    size_t cap;
    size_t max; /* 0: unbounded */
} buf_t;

void buf_init(buf_t *b, size_t max);
void buf_free(buf_t *b);
void buf_reset(buf_t *b);
int buf_append(buf_t *b, const void *p, size_t n); /* 0 or FERR_LIMIT */
int buf_putc(buf_t *b, char c);
int buf_puts(buf_t *b, const char *s);
int buf_printf(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Take ownership of the contents (NUL-terminated, never NULL); b is reset. */
char *buf_steal(buf_t *b);
/* Append s to b as Latin-1 (ISO 8859-1) transcoded to UTF-8. */
int buf_append_latin1(buf_t *b, str_t s);
/* Append s for a message: bytes that are not UTF-8 and control bytes as
 * \xHH, at most max bytes of s. */
int buf_append_printable(buf_t *b, str_t s, size_t max);

#endif

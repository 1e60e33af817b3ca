/*
 * str.c - slices and bounded buffers (see str.h).
 */
#include "base/str.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"

str_t str_from(const char *cstr)
{
    return (str_t){cstr, cstr ? strlen(cstr) : 0};
}

bool str_eq(str_t a, str_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

bool str_eq_cstr(str_t a, const char *b)
{
    return str_eq(a, str_from(b));
}

bool str_ieq_cstr(str_t a, const char *b)
{
    size_t n = strlen(b);
    return a.n == n && (n == 0 || strncasecmp(a.p, b, n) == 0);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

str_t str_trim(str_t s)
{
    while (s.n > 0 && is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

char *str_dup(str_t s)
{
    return xstrndup(s.p ? s.p : "", s.n);
}

int str_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (s == NULL || *s == '\0')
        return FERR_PARSE;
    for (const char *p = s; *p; p++) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d > 9)
            return FERR_PARSE;
        if (v > (UINT64_MAX - d) / 10)
            return FERR_RANGE;
        v = v * 10 + d;
    }
    *out = v;
    return FERR_OK;
}

/* [+-] digits [. digits] [e [+-] digits], at least one mantissa digit:
 * the decimal forms only (strtod would also take leading space, "nan",
 * "inf" and hex floats). */
static bool is_decimal(const char *p)
{
    size_t digits = 0;
    if (*p == '+' || *p == '-')
        p++;
    for (; *p >= '0' && *p <= '9'; p++)
        digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

int str_parse_f64(const char *s, double *out)
{
    double v;
    if (s == NULL || !is_decimal(s))
        return FERR_PARSE;
    v = strtod(s, NULL);
    /* overflow (ERANGE with +-HUGE_VAL); underflow to 0 or a subnormal is
     * the nearest double and fine */
    if (!isfinite(v))
        return FERR_RANGE;
    *out = v;
    return FERR_OK;
}

void buf_init(buf_t *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
    b->cap = 64;
    b->p = xmalloc(b->cap);
    b->p[0] = '\0';
}

void buf_free(buf_t *b)
{
    xfree(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

void buf_reset(buf_t *b)
{
    b->n = 0;
    if (b->p)
        b->p[0] = '\0';
}

static int buf_reserve(buf_t *b, size_t extra)
{
    size_t need = b->n + extra + 1;
    if (b->max && need > b->max + 1)
        return FERR_LIMIT;
    if (need > b->cap) {
        size_t c = b->cap ? b->cap : 64;
        while (c < need)
            c *= 2;
        b->p = xrealloc(b->p, c);
        b->cap = c;
    }
    return FERR_OK;
}

int buf_append(buf_t *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != FERR_OK)
        return FERR_LIMIT;
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    return FERR_OK;
}

int buf_putc(buf_t *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_puts(buf_t *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return FERR_PARSE;
    if (buf_reserve(b, (size_t)n) != FERR_OK)
        return FERR_LIMIT;
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    b->n += (size_t)n;
    return FERR_OK;
}

int buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *buf_steal(buf_t *b)
{
    char *p = b->p;
    if (p == NULL)
        p = xstrdup("");
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Length of the well-formed sequence at p[0..n), or 0 (RFC 3629 table 3-7:
 * the second byte's range depends on the first, which excludes overlongs,
 * surrogates and code points past U+10FFFF in one comparison). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    return len;
}

size_t str_utf8_invalid(str_t s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0;
    while (i < s.n) {
        /* ASCII fast path: 8 bytes at a time while no high bit is set */
        while (i + 8 <= s.n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= s.n)
            break;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(p + i, s.n - i);
        if (k == 0)
            return i;
        i += k;
    }
    return s.n;
}

size_t str_control_at(str_t s)
{
    for (size_t i = 0; i < s.n; i++)
        if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
            return i;
    return s.n;
}

int buf_append_latin1(buf_t *b, str_t s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t run = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (p[i] < 0x80)
            continue;
        if (i > run && buf_append(b, s.p + run, i - run))
            return FERR_LIMIT;
        char two[2] = {(char)(0xC0 | (p[i] >> 6)), (char)(0x80 | (p[i] & 0x3F))};
        if (buf_append(b, two, 2))
            return FERR_LIMIT;
        run = i + 1;
    }
    return s.n > run ? buf_append(b, s.p + run, s.n - run) : FERR_OK;
}

int buf_append_printable(buf_t *b, str_t s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t n = s.n < max ? s.n : max;
    int rc = FERR_OK;
    for (size_t i = 0; i < n && rc == FERR_OK;) {
        size_t k = p[i] >= 0x20 && p[i] != 0x7F ? utf8_seq(p + i, n - i) : 0;
        if (k == 0) {
            rc = buf_printf(b, "\\x%02X", p[i]);
            i++;
        } else {
            rc = buf_append(b, p + i, k);
            i += k;
        }
    }
    return rc;
}

/*
 * parse.c - text -> typed value for one value at a time (see parse.h).
 *
 * This file owns ferry's definition of what a number, a boolean and a date
 * look like in text.  The CSV reader calls it once per cell, so the common
 * shapes (plain digits, ISO dates, decimals of up to 19 significant digits)
 * take allocation-free fast paths; everything else falls back to slower but
 * exact code (strtod for the rare hard float).  The calendar is the proleptic
 * Gregorian one, computed with Howard Hinnant's days_from_civil algorithm,
 * which is exact for every int64 year we can represent in days.
 */
#include "data/parse.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

/* ---------------------------------------------------------------- calendar */

/* static inline so the CSV hot path (parse_date) gets it inlined */
static inline int64_t civil_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                  /* [0, 399] */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

int64_t days_from_civil(int64_t y, int m, int d)
{
    return civil_days(y, m, d);
}

void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static inline bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int civil_valid(int64_t y, int m, int d)
{
    return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* ------------------------------------------------------------- month names */

/* Every spelling we accept, English and Spanish, full and abbreviated (the
 * abbreviations real exports use: "Sept", Spanish "Set"/"Setiembre" as in
 * Latin American usage).  Matching is ASCII case-insensitive. */
static const struct {
    const char *name;
    int month;
} month_names[] = {
    {"jan", 1},  {"january", 1},   {"ene", 1},  {"enero", 1},
    {"feb", 2},  {"february", 2},  {"febrero", 2},
    {"mar", 3},  {"march", 3},     {"marzo", 3},
    {"apr", 4},  {"april", 4},     {"abr", 4},  {"abril", 4},
    {"may", 5},  {"mayo", 5},
    {"jun", 6},  {"june", 6},      {"junio", 6},
    {"jul", 7},  {"july", 7},      {"julio", 7},
    {"aug", 8},  {"august", 8},    {"ago", 8},  {"agosto", 8},
    {"sep", 9},  {"sept", 9},      {"september", 9}, {"set", 9},
    {"septiembre", 9}, {"setiembre", 9},
    {"oct", 10}, {"october", 10},  {"octubre", 10},
    {"nov", 11}, {"november", 11}, {"noviembre", 11},
    {"dec", 12}, {"december", 12}, {"dic", 12}, {"diciembre", 12},
};

int month_from_name(str_t s)
{
    if (s.n > 0 && s.p[s.n - 1] == '.')
        s.n--;
    if (s.n < 3 || s.n > 10)
        return 0;
    for (size_t i = 0; i < sizeof(month_names) / sizeof(month_names[0]); i++)
        if (str_ieq_cstr(s, month_names[i].name))
            return month_names[i].month;
    return 0;
}

/* ----------------------------------------------------------------- numbers */

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* Digits of the integer part, honouring an optional thousands separator
 * with strict grouping (1-3 leading digits, then groups of exactly three),
 * so "1.234.567" is a number but "1.23" with thousands '.' is not. Appends
 * the digits (without separators) via the callback state; returns the
 * number of characters consumed or -1 on bad grouping. */
typedef struct digits {
    uint64_t m;      /* first 19 significant digits */
    int nsig;        /* significant digits seen (may exceed 19) */
    int dropped;     /* integer digits beyond 19 (scale by 10^dropped) */
    int ndig;        /* all digits seen, including leading zeros */
} digits_t;

static inline void digits_push(digits_t *d, char c, bool frac, int *exp10)
{
    unsigned v = (unsigned)(c - '0');
    d->ndig++;
    if (d->nsig == 0 && v == 0) {
        if (frac)
            (*exp10)--;
        return;
    }
    if (d->nsig < 19) {
        d->m = d->m * 10 + v;
        if (frac)
            (*exp10)--;
    } else if (!frac) {
        (*exp10)++;
    }
    d->nsig++;
}

static size_t scan_int_part(const char *p, size_t n, char thousands,
                            digits_t *d, int *exp10, bool *bad)
{
    size_t i = 0;
    *bad = false;
    if (thousands == 0) {
        while (i < n && is_digit(p[i]))
            digits_push(d, p[i++], false, exp10);
        return i;
    }
    size_t group = 0;
    bool seen_sep = false;
    while (i < n) {
        if (is_digit(p[i])) {
            digits_push(d, p[i++], false, exp10);
            group++;
        } else if (p[i] == thousands && i + 1 < n && is_digit(p[i + 1])) {
            if ((!seen_sep && (group == 0 || group > 3)) ||
                (seen_sep && group != 3)) {
                *bad = true;
                return i;
            }
            seen_sep = true;
            group = 0;
            i++;
        } else {
            break;
        }
    }
    if (seen_sep && group != 3)
        *bad = true;
    return i;
}

int parse_int64(str_t s, char decimal, char thousands, int64_t *out)
{
    const char *p = s.p;
    size_t n = s.n, i = 0;
    bool neg = false;
    if (n == 0)
        return FERR_PARSE;
    if (p[0] == '-' || p[0] == '+') {
        neg = p[0] == '-';
        i = 1;
    }
    /* Fast path: plain digits, no separators, fits without overflow
     * checks (18 digits < 2^63). */
    if (n - i <= 18 && n > i) {
        uint64_t v = 0;
        size_t j = i;
        while (j < n && is_digit(p[j]))
            v = v * 10 + (uint64_t)(p[j++] - '0');
        if (j == n) {
            *out = neg ? -(int64_t)v : (int64_t)v;
            return FERR_OK;
        }
    }
    uint64_t v = 0;
    size_t group = 0, ndig = 0;
    bool seen_sep = false, overflow = false;
    for (; i < n; i++) {
        char c = p[i];
        if (is_digit(c)) {
            unsigned dv = (unsigned)(c - '0');
            if (v > (UINT64_MAX - dv) / 10)
                overflow = true;
            else
                v = v * 10 + dv;
            ndig++;
            group++;
        } else if (thousands && c == thousands) {
            if ((!seen_sep && (group == 0 || group > 3)) ||
                (seen_sep && group != 3))
                return FERR_PARSE;
            seen_sep = true;
            group = 0;
        } else {
            break;
        }
    }
    if (ndig == 0 || (seen_sep && group != 3))
        return FERR_PARSE;
    if (i < n) {
        /* "12.0", "12.", "12,000" (decimal ','): a zero fraction only. */
        if (decimal == 0 || p[i] != decimal)
            return FERR_PARSE;
        for (i++; i < n; i++)
            if (p[i] != '0')
                return FERR_PARSE;
    }
    if (overflow || v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
        return FERR_RANGE;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return FERR_OK;
}

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The slow, exact path: rebuild a plain C-locale literal and hand it to
 * strtod (glibc's is correctly rounded). */
static int parse_double_slow(const char *p, size_t n, char decimal,
                             char thousands, double *out)
{
    char stack[128];
    char *tmp = n < sizeof(stack) ? stack : malloc(n + 1);
    size_t k = 0;
    int rc = FERR_OK;
    if (tmp == NULL)
        return FERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (thousands && c == thousands)
            continue;
        tmp[k++] = c == decimal ? '.' : c;
    }
    tmp[k] = '\0';
    errno = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (end != tmp + k)
        rc = FERR_PARSE;
    else if (errno == ERANGE && isinf(v))
        rc = FERR_RANGE;
    else
        *out = v;
    if (tmp != stack)
        free(tmp);
    return rc;
}

int parse_double(str_t s, char decimal, char thousands, double *out)
{
    const char *p = s.p;
    size_t n = s.n, i = 0;
    bool neg = false, bad;
    digits_t d = {0};
    int exp10 = 0;

    if (decimal == 0)
        decimal = '.';
    if (n == 0)
        return FERR_PARSE;
    if (p[0] == '-' || p[0] == '+') {
        neg = p[0] == '-';
        i = 1;
    }
    /* Fast path for the shape nearly every export writes, "123.4567" with
     * at most 19 digits in all: accumulate straight into a uint64. */
    if (n - i <= 20 && thousands == 0) {
        uint64_t m = 0;
        size_t j = i, nd = 0, dot = SIZE_MAX;
        for (; j < n; j++) {
            unsigned dv = (unsigned)(p[j] - '0');
            if (dv < 10) {
                m = m * 10 + dv;
                nd++;
            } else if (p[j] == decimal && dot == SIZE_MAX) {
                dot = nd;
            } else {
                break;
            }
        }
        if (j == n && nd > 0 && nd <= 19) {
            d.m = m;
            d.nsig = m ? 19 : 0; /* <= 19 digits: exact, whatever leads */
            d.ndig = (int)nd;
            exp10 = dot == SIZE_MAX ? 0 : -(int)(nd - dot);
            goto convert;
        }
    }
    if (i < n && !is_digit(p[i]) && p[i] != decimal) {
        str_t w = {p + i, n - i};
        if (str_ieq_cstr(w, "nan")) {
            *out = NAN;
            return FERR_OK;
        }
        if (str_ieq_cstr(w, "inf") || str_ieq_cstr(w, "infinity")) {
            *out = neg ? -INFINITY : INFINITY;
            return FERR_OK;
        }
        return FERR_PARSE;
    }
    i += scan_int_part(p + i, n - i, thousands, &d, &exp10, &bad);
    if (bad)
        return FERR_PARSE;
    if (i < n && p[i] == decimal) {
        i++;
        while (i < n && is_digit(p[i]))
            digits_push(&d, p[i++], true, &exp10);
    }
    if (d.ndig == 0)
        return FERR_PARSE;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        bool eneg = false;
        int ev = 0;
        size_t j = i + 1;
        if (j < n && (p[j] == '-' || p[j] == '+'))
            eneg = p[j++] == '-';
        if (j >= n || !is_digit(p[j]))
            return FERR_PARSE;
        for (; j < n && is_digit(p[j]); j++)
            if (ev < 100000)
                ev = ev * 10 + (p[j] - '0');
        exp10 += eneg ? -ev : ev;
        i = j;
    }
    if (i != n)
        return FERR_PARSE;
convert:
    if (d.m == 0) {
        *out = neg ? -0.0 : 0.0;
        return FERR_OK;
    }
    /* Clinger's fast path: mantissa and power of ten both exact in a
     * double, so one IEEE multiply/divide rounds exactly once. */
    if (d.nsig <= 19 && d.m < (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)d.m;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *out = neg ? -v : v;
        return FERR_OK;
    }
#if LDBL_MANT_DIG == 64
    /* Up to 19 digits (the loan log's amounts have 17): the x87 extended
     * format holds the mantissa and 10^k (k <= 27) exactly, so the divide
     * rounds once to 64 bits.  Rounding that to 53 bits is then exact
     * unless the 11 dropped bits are exactly the halfway pattern, where a
     * double rounding could go the wrong way; those go to strtod. */
    if (d.nsig <= 19 && exp10 >= -27 && exp10 <= 27) {
        static const long double p10[28] = {
            1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,
            1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L,
            1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L, 1e23L,
            1e24L, 1e25L, 1e26L, 1e27L};
        long double v = (long double)d.m;
        v = exp10 < 0 ? v / p10[-exp10] : v * p10[exp10];
        uint64_t mant;
        memcpy(&mant, &v, sizeof(mant));
        if ((mant & 0x7ff) != 0x400) {
            double r = (double)v;
            *out = neg ? -r : r;
            return FERR_OK;
        }
    }
#endif
    return parse_double_slow(s.p, s.n, decimal, thousands, out);
}

int parse_bool(str_t s, uint8_t *out)
{
    static const struct {
        const char *text;
        uint8_t v;
    } words[] = {
        {"true", 1}, {"false", 0}, {"1", 1},   {"0", 0},  {"yes", 1},
        {"no", 0},   {"y", 1},     {"n", 0},   {"t", 1},  {"f", 0},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (str_ieq_cstr(s, words[i].text)) {
            *out = words[i].v;
            return FERR_OK;
        }
    return FERR_PARSE;
}

/* ------------------------------------------------------------------- dates */

/* Exactly `w` digits at p (caller checked the length). */
static inline int fixed_digits(const char *p, int w, int *v)
{
    int r = 0;
    for (int i = 0; i < w; i++) {
        if (!is_digit(p[i]))
            return -1;
        r = r * 10 + (p[i] - '0');
    }
    *v = r;
    return 0;
}

/* 1..maxw digits starting at p[*i] (greedy). */
static int var_digits(const char *p, size_t n, size_t *i, int maxw, int *v)
{
    int r = 0, k = 0;
    while (*i < n && k < maxw && is_digit(p[*i])) {
        r = r * 10 + (p[*i] - '0');
        (*i)++;
        k++;
    }
    if (k == 0)
        return -1;
    *v = r;
    return 0;
}

typedef struct when {
    int64_t y;
    int m, d, H, M, S, yday;
    bool has_y, has_m, has_d, has_time, has_j;
} when_t;

static int iso_time(const char *p, size_t n, when_t *w)
{
    /* HH:MM[:SS[.fff]] */
    if (n < 5 || p[2] != ':' || fixed_digits(p, 2, &w->H) ||
        fixed_digits(p + 3, 2, &w->M))
        return FERR_PARSE;
    if (n > 5) {
        if (n < 8 || p[5] != ':' || fixed_digits(p + 6, 2, &w->S))
            return FERR_PARSE;
        if (n > 8) {
            if (p[8] != '.' || n == 9)
                return FERR_PARSE;
            for (size_t i = 9; i < n; i++)
                if (!is_digit(p[i]))
                    return FERR_PARSE;
        }
    }
    w->has_time = true;
    return FERR_OK;
}

static int iso_date(const char *p, size_t n, when_t *w)
{
    int y;
    if (n != 10 || p[4] != '-' || p[7] != '-' || fixed_digits(p, 4, &y) ||
        fixed_digits(p + 5, 2, &w->m) || fixed_digits(p + 8, 2, &w->d))
        return FERR_PARSE;
    w->y = y;
    w->has_y = w->has_m = w->has_d = true;
    return FERR_OK;
}

static int fmt_parse(const char *p, size_t n, const char *fmt, when_t *w)
{
    size_t i = 0;
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            if (i >= n || p[i] != *f)
                return FERR_PARSE;
            i++;
            continue;
        }
        f++;
        int v;
        switch (*f) {
        case 'Y':
            if (i + 4 > n || fixed_digits(p + i, 4, &v))
                return FERR_PARSE;
            i += 4;
            w->y = v;
            w->has_y = true;
            break;
        case 'y':
            if (i + 2 > n || fixed_digits(p + i, 2, &v))
                return FERR_PARSE;
            i += 2;
            w->y = v >= 69 ? 1900 + v : 2000 + v;
            w->has_y = true;
            break;
        case 'm':
            if (var_digits(p, n, &i, 2, &w->m))
                return FERR_PARSE;
            w->has_m = true;
            break;
        case 'd':
            if (var_digits(p, n, &i, 2, &w->d))
                return FERR_PARSE;
            w->has_d = true;
            break;
        case 'H':
            if (var_digits(p, n, &i, 2, &w->H))
                return FERR_PARSE;
            w->has_time = true;
            break;
        case 'M':
            if (var_digits(p, n, &i, 2, &w->M))
                return FERR_PARSE;
            w->has_time = true;
            break;
        case 'S':
            if (var_digits(p, n, &i, 2, &w->S))
                return FERR_PARSE;
            w->has_time = true;
            break;
        case 'j':
            if (var_digits(p, n, &i, 3, &w->yday))
                return FERR_PARSE;
            w->has_j = true;
            break;
        case 'b':
        case 'B': {
            size_t j = i;
            while (j < n && ((p[j] | 0x20) >= 'a' && (p[j] | 0x20) <= 'z'))
                j++;
            if (j < n && p[j] == '.')
                j++;
            int m = month_from_name((str_t){p + i, j - i});
            if (m == 0)
                return FERR_PARSE;
            w->m = m;
            w->has_m = true;
            i = j;
            break;
        }
        case '%':
            if (i >= n || p[i] != '%')
                return FERR_PARSE;
            i++;
            break;
        default: /* unknown directive, or a lone trailing '%' */
            return FERR_PARSE;
        }
    }
    return i == n ? FERR_OK : FERR_PARSE;
}

/* Validate the fields and turn them into days since the epoch. */
static int when_days(when_t *w, int64_t *days)
{
    if (!w->has_y)
        return FERR_PARSE;
    if (w->has_j) {
        if (w->has_m || w->has_d)
            return FERR_PARSE;
        if (w->yday < 1 || w->yday > (is_leap(w->y) ? 366 : 365))
            return FERR_RANGE;
        *days = days_from_civil(w->y, 1, 1) + w->yday - 1;
        return FERR_OK;
    }
    if (!w->has_m)
        w->m = 1;
    if (!w->has_d)
        w->d = 1;
    if (!civil_valid(w->y, w->m, w->d))
        return FERR_RANGE;
    *days = days_from_civil(w->y, w->m, w->d);
    return FERR_OK;
}

int parse_date(str_t s, const char *fmt, int64_t *days)
{
    when_t w = {0};
    int rc;
    if (fmt == NULL || fmt[0] == '\0') {
        /* ISO fast path: the shape every generated file uses. */
        const char *p = s.p;
        if (s.n == 10 && p[4] == '-' && p[7] == '-') {
            unsigned y = 0, m, d;
            bool ok = true;
            for (int i = 0; i < 4; i++) {
                ok &= is_digit(p[i]);
                y = y * 10 + (unsigned)(p[i] - '0');
            }
            ok &= (unsigned)is_digit(p[5]) & (unsigned)is_digit(p[6]) &
                  (unsigned)is_digit(p[8]) & (unsigned)is_digit(p[9]);
            if (!ok)
                return FERR_PARSE;
            m = (unsigned)(p[5] - '0') * 10 + (unsigned)(p[6] - '0');
            d = (unsigned)(p[8] - '0') * 10 + (unsigned)(p[9] - '0');
            if (m - 1 >= 12 || d == 0 || (int)d > days_in_month(y, (int)m))
                return FERR_RANGE;
            *days = civil_days(y, (int)m, (int)d);
            return FERR_OK;
        }
        return FERR_PARSE;
    }
    if ((rc = fmt_parse(s.p, s.n, fmt, &w)) != FERR_OK)
        return rc;
    if (w.has_time)
        return FERR_PARSE; /* a date format has no time fields */
    return when_days(&w, days);
}

int parse_datetime(str_t s, const char *fmt, int64_t *secs)
{
    when_t w = {0};
    int64_t days;
    int rc;
    if (fmt == NULL || fmt[0] == '\0') {
        if (s.n < 10 || iso_date(s.p, 10, &w) != FERR_OK)
            return FERR_PARSE;
        if (s.n > 10) {
            if (s.p[10] != 'T' && s.p[10] != ' ')
                return FERR_PARSE;
            if (iso_time(s.p + 11, s.n - 11, &w) != FERR_OK)
                return FERR_PARSE;
        }
    } else if ((rc = fmt_parse(s.p, s.n, fmt, &w)) != FERR_OK) {
        return rc;
    }
    if ((rc = when_days(&w, &days)) != FERR_OK)
        return rc;
    if (w.H > 23 || w.M > 59 || w.S > 59)
        return FERR_RANGE;
    *secs = days * 86400 + w.H * 3600 + w.M * 60 + w.S;
    return FERR_OK;
}

/* -------------------------------------------------------------- formatting */

size_t format_date(int64_t days, char *out, size_t n)
{
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int k = snprintf(out, n, "%04lld-%02d-%02d", (long long)y, m, d);
    if (k < 0)
        return 0;
    return (size_t)k < n ? (size_t)k : (n ? n - 1 : 0);
}

size_t format_datetime(int64_t secs, char *out, size_t n)
{
    int64_t days = secs / 86400, rem = secs % 86400;
    int64_t y;
    int m, d;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    int k = snprintf(out, n, "%04lld-%02d-%02d %02d:%02d:%02d", (long long)y,
                     m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
                     (int)(rem % 60));
    if (k < 0)
        return 0;
    return (size_t)k < n ? (size_t)k : (n ? n - 1 : 0);
}

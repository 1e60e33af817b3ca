/*
 * fmt.c - value formatting and checksums shared by the stores.
 *
 * The CSV writer formats millions of cells, so the hot paths avoid stdio:
 * integers are converted by hand, and doubles between 1e-5 and 1e15 (all
 * amounts, rates and means in practice) get their shortest round-trip
 * digits from exact 128-bit integer arithmetic (fmt_shortest).  Anything
 * else goes through %.15g/%.16g/%.17g, keeping the first that round-trips
 * (Python repr's guarantee, not always its exact digits).
 */
#include "data/parse.h"
#include "store/store_int.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two digits per division: the CSV writer formats millions of ids. */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

size_t store_fmt_i64(int64_t v, char *out)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    size_t len = 0, n;
    /* Negate in unsigned space: -INT64_MIN overflows int64_t. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    if (u < 10) { /* counts, flags, labels */
        if (v < 0)
            out[len++] = '-';
        out[len++] = (char)('0' + u);
        out[len] = '\0';
        return len;
    }
    while (u >= 100) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * (u % 100), 2);
        u /= 100;
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * u, 2);
    } else {
        *--p = (char)('0' + u);
    }
    if (v < 0)
        out[len++] = '-';
    n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(out + len, p, n);
    len += n;
    out[len] = '\0';
    return len;
}

/* floor(log10(x)) for 1e-5 <= x < 1e15 (e2: x's binary exponent), from
 * the binary exponent and one comparison instead of a log10 call per
 * cell.  Next to a power of ten (whose double is not exact) it may be off
 * by one, like log10 itself there; fmt_shortest stays exact either way
 * (one digit more or less of scale, or the slow path). */
static int dec_exponent(double x, int e2)
{
    static const double pow10[] = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1,
        1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
        1e14, 1e15, 1e16};
    int k = (e2 * 1233) >> 12; /* floor(e2 * log10(2)): 10^k <= 2^e2 */
    if (k < -5)
        k = -5;
    if (k + 1 <= 16 && x >= pow10[k + 1 + 5])
        k++;
    return k;
}

/* Shortest round-trip digits for 1e-5 <= |x| < 1e15 with exact 128-bit
 * integer arithmetic (the idea of Steele & White / Ryu, without tables):
 * x = f * 2^-s exactly; scaled by 10^p (about 17 digits), the interval of
 * reals that round to x is [(2f-1), (2f+1)] * 10^p / 2^(s+1) (the lower
 * half-gap is halved when f is a power of two).  Lo..Hi are the integers
 * inside it (bounds count only when f is even: ties round to even); the
 * most trailing digits that can be dropped while an integer stays inside
 * gives the shortest form, and of those candidates the one nearest x is
 * taken.  Returns 0 to ask for the slow path. */
static size_t fmt_shortest(double x, char *out)
{
    typedef unsigned __int128 u128;
    static const uint64_t p10[] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL,
        100000ULL, 1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
        10000000000ULL, 100000000000ULL, 1000000000000ULL,
        10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
        10000000000000000ULL, 100000000000000000ULL,
        1000000000000000000ULL, 10000000000000000000ULL};
    uint64_t bits, f, lo, hi, r, q;
    int s, p, k = 0;
    double ax = fabs(x);
    u128 pw, a, b;
    char digits[24];
    size_t nd, len = 0;
    int pos;

    memcpy(&bits, &ax, 8);
    f = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    s = 1075 - (int)(bits >> 52); /* x = f * 2^-s, s in [3, 70] here */
    p = 16 - dec_exponent(ax, (int)(bits >> 52) - 1023);
    if (p < 0 || p > 21 || s < 1 || s > 100)
        return 0;
    pw = (p > 19) ? (u128)p10[19] * p10[p - 19] : (u128)p10[p];
    if (f == (1ULL << 52) && (bits >> 52) > 1) {
        a = (u128)(4 * f - 1) * pw;
        lo = (uint64_t)((a + (((u128)1 << (s + 2)) - 1)) >> (s + 2));
        if ((f & 1) && (a & (((u128)1 << (s + 2)) - 1)) == 0)
            lo++;
    } else {
        a = (u128)(2 * f - 1) * pw;
        lo = (uint64_t)((a + (((u128)1 << (s + 1)) - 1)) >> (s + 1));
        if ((f & 1) && (a & (((u128)1 << (s + 1)) - 1)) == 0)
            lo++;
    }
    b = (u128)(2 * f + 1) * pw;
    hi = (uint64_t)(b >> (s + 1));
    if ((f & 1) && (b & (((u128)1 << (s + 1)) - 1)) == 0)
        hi--;
    if (lo > hi)
        return 0;
    while ((lo + 9) / 10 <= hi / 10) {
        lo = (lo + 9) / 10;
        hi /= 10;
        k++;
    }
    /* Nearest candidate: round(f * 10^p / (10^k * 2^s)), without a 128-bit
     * division: q = floor(f * 10^p / 2^s) < 10^17 fits 64 bits, and for
     * k >= 1 the dropped fraction cannot carry past a multiple of 10^k. */
    a = (u128)f * pw;
    q = (uint64_t)(a >> s);
    if (k == 0)
        r = q + (uint64_t)((a >> (s - 1)) & 1);
    else
        r = (q + p10[k] / 2) / p10[k];
    if (r < lo)
        r = lo;
    if (r > hi)
        r = hi;
    while (r % 10 == 0) {
        r /= 10;
        k++;
    }
    nd = store_fmt_i64((int64_t)r, digits);
    pos = (int)nd + k - p; /* digits before the decimal point */
    if (x < 0)
        out[len++] = '-';
    if (pos <= 0) {
        out[len++] = '0';
        out[len++] = '.';
        for (int z = 0; z < -pos; z++)
            out[len++] = '0';
        memcpy(out + len, digits, nd);
        len += nd;
    } else if ((size_t)pos >= nd) {
        memcpy(out + len, digits, nd);
        len += nd;
        for (size_t z = nd; z < (size_t)pos; z++)
            out[len++] = '0';
    } else {
        memcpy(out + len, digits, (size_t)pos);
        len += (size_t)pos;
        out[len++] = '.';
        memcpy(out + len, digits + pos, nd - (size_t)pos);
        len += nd - (size_t)pos;
    }
    out[len] = '\0';
    return len;
}

size_t store_fmt_f64(double x, char *out)
{
    if (isnan(x))
        return (size_t)snprintf(out, STORE_FMT_MAX, "nan");
    if (isinf(x))
        return (size_t)snprintf(out, STORE_FMT_MAX, x < 0 ? "-inf" : "inf");
    if (x == 0)
        return (size_t)snprintf(out, STORE_FMT_MAX, signbit(x) ? "-0" : "0");
    if (fabs(x) < 1e15 && fabs(x) >= 1e-5) {
        size_t n = fmt_shortest(x, out);
        if (n)
            return n;
    }
    /* For a normal double, a shortest form of <= 15 digits is what %.15g
     * prints once %g drops its trailing zeros (15 digits cannot resolve
     * two doubles), so only 15..17 need trying.  Subnormals carry fewer
     * bits: search from 1. */
    for (int prec = fabs(x) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        int n = snprintf(out, STORE_FMT_MAX, "%.*g", prec, x);
        if (prec == 17 || strtod(out, NULL) == x)
            return (size_t)n;
    }
    return 0; /* unreachable */
}

/* Calendar arithmetic is parse.h's (one implementation in the tree). */

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

size_t store_fmt_date(int64_t days, char *out)
{
    int64_t y;
    int m, d;
    /* Beyond +-5.8 million years the arithmetic below would overflow;
     * such values only come from corrupt input, print them as numbers. */
    if (days < -2000000000LL || days > 2000000000LL)
        return store_fmt_i64(days, out);
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return (size_t)snprintf(out, STORE_FMT_MAX, "%04lld-%02d-%02d",
                                (long long)y, m, d);
    put2(out, (int)(y / 100));
    put2(out + 2, (int)(y % 100));
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = '\0';
    return 10;
}

size_t store_fmt_datetime(int64_t secs, char *out)
{
    int64_t days, rem;
    size_t n;
    if (secs < -2000000000LL * 86400 || secs > 2000000000LL * 86400)
        return store_fmt_i64(secs, out);
    days = secs / 86400;
    rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    n = store_fmt_date(days, out);
    out[n] = ' ';
    put2(out + n + 1, (int)(rem / 3600));
    out[n + 3] = ':';
    put2(out + n + 4, (int)(rem / 60 % 60));
    out[n + 6] = ':';
    put2(out + n + 7, (int)(rem % 60));
    out[n + 9] = '\0';
    return n + 9;
}

static int digits_at(const char *s, size_t k, int *v)
{
    int r = 0;
    for (size_t i = 0; i < k; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        r = r * 10 + (s[i] - '0');
    }
    *v = r;
    return 0;
}

int store_parse_date(const char *s, size_t n, int64_t *days)
{
    int y, m, d;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n != 10 || s[4] != '-' || s[7] != '-' || digits_at(s, 4, &y) ||
        digits_at(s + 5, 2, &m) || digits_at(s + 8, 2, &d) || m < 1 ||
        m > 12 || d < 1 || d > mdays[m - 1])
        return -1;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    *days = days_from_civil(y, m, d);
    return 0;
}

int store_parse_datetime(const char *s, size_t n, int64_t *secs)
{
    int64_t days;
    int hh, mm, ss;
    if (n != 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
        store_parse_date(s, 10, &days) || digits_at(s + 11, 2, &hh) ||
        digits_at(s + 14, 2, &mm) || digits_at(s + 17, 2, &ss) || hh > 23 ||
        mm > 59 || ss > 60)
        return -1;
    *secs = days * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

/* CRC32C: the SSE4.2 instruction when the CPU has it (every x86-64 since
 * 2008), slicing-by-8 tables otherwise. */
static uint32_t crc_tab[8][256];

static void crc_init_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^
                            crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

static uint32_t crc_soft(uint32_t c, const uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= c;
        c = crc_tab[7][w & 0xff] ^ crc_tab[6][(w >> 8) & 0xff] ^
            crc_tab[5][(w >> 16) & 0xff] ^ crc_tab[4][(w >> 24) & 0xff] ^
            crc_tab[3][(w >> 32) & 0xff] ^ crc_tab[2][(w >> 40) & 0xff] ^
            crc_tab[1][(w >> 48) & 0xff] ^ crc_tab[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ crc_tab[0][(c ^ *p++) & 0xff];
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c,
                                                         const uint8_t *p,
                                                         size_t n)
{
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c64 = __builtin_ia32_crc32di(c64, w);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--)
        c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}
#endif

typedef uint32_t (*crc_fn)(uint32_t, const uint8_t *, size_t);
static crc_fn crc_impl;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_pick(void)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) {
        crc_impl = crc_hw;
        return;
    }
#endif
    crc_init_tables();
    crc_impl = crc_soft;
}

uint32_t store_crc32c(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc_pick);
    return ~crc_impl(~crc, p, n);
}

uint64_t store_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

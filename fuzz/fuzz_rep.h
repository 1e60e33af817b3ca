/*
 * fuzz_rep.h - a compact spelling for inputs that are huge but regular, so
 * a fuzzer with a 4 KB input limit can still reach the depth and length
 * limits of a parser (100,000 nested `[`, a 32,700-term `a-1-1-...` chain)
 * and mutate around them.
 *
 * An input whose first line is "#rep N" (N up to `maxrep`) expands its
 * remaining text, split at each "@@", into parts p0 p1 p2 ...: the
 * even-numbered parts once, the odd-numbered parts N times each, in order.
 * "#rep 3\n(@@(@@1@@)@@" -> "((((1)))".  Any other input is used as is.
 * The result is malloc'd and NUL-terminated (cut at `maxlen` bytes); the
 * caller frees it.
 */
#ifndef FERRY_FUZZ_REP_H
#define FERRY_FUZZ_REP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *fuzz_rep_expand(const uint8_t *data, size_t size, size_t maxrep,
                             size_t maxlen, size_t *outlen)
{
    const char *s = (const char *)data, *end = s + size, *nl;
    size_t n = 0, len = 0, cap;
    char *out;
    int odd = 0;

    if (size < 6 || memcmp(s, "#rep ", 5) != 0 ||
        (nl = memchr(s, '\n', size)) == NULL) {
        out = malloc(size + 1);
        memcpy(out, data, size);
        out[size] = '\0';
        *outlen = size;
        return out;
    }
    for (const char *p = s + 5; p < nl && *p >= '0' && *p <= '9'; p++)
        if ((n = n * 10 + (size_t)(*p - '0')) > maxrep)
            n = maxrep;
    cap = maxlen + 1;
    out = malloc(cap);
    for (const char *p = nl + 1;;) {
        const char *q = p;
        while (q < end && !(q + 1 < end && q[0] == '@' && q[1] == '@'))
            q++;
        for (size_t r = 0; r < (odd ? n : 1) && len < maxlen; r++) {
            size_t k = (size_t)(q - p);
            if (k > maxlen - len)
                k = maxlen - len;
            memcpy(out + len, p, k);
            len += k;
        }
        if (q == end)
            break;
        p = q + 2;
        odd = !odd;
    }
    out[len] = '\0';
    *outlen = len;
    return out;
}

#endif

/*
 * engine_common.h - what both engine benchmarks (engine_mhd.c, engine_h2o.c)
 * do per request, so the two differ only in the HTTP library.
 *
 * POST /v1/echo: the whole body is parsed with jansson and answered with
 * {"ok":true,"n":<body bytes>} (400 on invalid JSON); GET /healthz: "ok".
 * The limits are the same on both sides and small enough for the correctness
 * checks in `run --checks` to hit them quickly.
 */
#ifndef ENGINE_COMMON_H
#define ENGINE_COMMON_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENGINE_BODY_LIMIT (1u << 20) /* 413 above this */
#define ENGINE_TIMEOUT_S 3           /* header / idle timeout */
#define ENGINE_MAX_CONNS 1024      /* ENGINE_MAX_CONNS in the env wins */
#define ENGINE_DRAIN_S 10            /* SIGTERM: drain at most this long */

/* Parse BODY as JSON and write the answer into OUT (CAP bytes).  Returns the
 * HTTP status; *OUTLEN is the length of the answer. */
static inline int engine_echo(const char *body, size_t len, char *out,
                              size_t cap, size_t *outlen)
{
    json_error_t err;
    json_t *doc = json_loadb(body, len, 0, &err);
    if (doc == NULL) {
        int n = snprintf(out, cap, "{\"error\":\"invalid JSON: %s\"}",
                         err.text);
        *outlen = n < 0 ? 0 : ((size_t)n < cap ? (size_t)n : cap - 1);
        return 400;
    }
    json_decref(doc);
    json_t *ans = json_pack("{s:b,s:I}", "ok", 1, "n", (json_int_t)len);
    *outlen = json_dumpb(ans, out, cap, JSON_COMPACT);
    json_decref(ans);
    return 200;
}

static inline unsigned engine_max_conns(void)
{
    const char *s = getenv("ENGINE_MAX_CONNS");
    return s != NULL && atoi(s) > 0 ? (unsigned)atoi(s) : ENGINE_MAX_CONNS;
}

static inline int engine_port(int argc, char **argv, int *threads)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
        exit(2);
    }
    *threads = argc > 2 ? atoi(argv[2]) : 2;
    if (*threads < 1)
        *threads = 1;
    return atoi(argv[1]);
}

#endif

/*
 * serve.h - `ferry serve`: the HTTP server of the registry's models.
 *
 * Two layers, so the HTTP library stays behind one file (docs/serve.md,
 * "HTTP engine"):
 *
 *  - routes.c, engine-free: the route table (serve_routes[], the ONE list
 *    of what the server answers: method, path pattern, handler,
 *    public/private, doc string; `ferry serve --routes` prints it as the
 *    markdown of docs/serve.md and later the OpenAPI document comes from
 *    it too), the routing (serve_dispatch: 404 / 405 / handler) and the
 *    handlers, which read a serve_req_t and fill a serve_resp_t.
 *  - http_h2o.c: h2o's evloop library (HTTP/1.1 only).  One event loop
 *    per thread, each with its own SO_REUSEPORT listener and its own
 *    serve_worker_t (one scoring context, rec_ctx_t, per model), so a
 *    request never waits on a lock.  The body is buffered whole up to
 *    max_body (413 past it, early when Content-Length says so); the whole
 *    request is bounded by timeout_s (slow clients); connections are
 *    counted per loop.  SIGTERM/SIGINT: close the listeners, finish the
 *    requests in flight, exit.
 *
 * Models are loaded before serve_run and immutable after: each holds its
 * predictor reference (hot swap of a promoted version is a later slice;
 * predictor.h's refcount and base/refslot.h are there for it).
 */
#ifndef FERRY_SERVE_H
#define FERRY_SERVE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "base/str.h"
#include "features/record.h"
#include "scoring/predictor.h"

#define SERVE_MAX_BODY_DEFAULT (1u << 20) /* bytes; 413 above */
#define SERVE_MAX_RECORDS_DEFAULT 1000    /* records a request; 400 above */
#define SERVE_TIMEOUT_S 10                /* a whole request, idle */
#define SERVE_MAX_CONNS 1024              /* all loops together */
#define SERVE_DRAIN_S 10                  /* SIGTERM: drain at most */

typedef struct serve_opts {
    const char *host; /* numeric IPv4, default 127.0.0.1 */
    int port;         /* 0: a free port, printed at startup */
    int threads;      /* event loops, >= 1 */
    size_t max_body;
    size_t max_records;
} serve_opts_t;

/* One served model: its name, the version loaded (champion, else latest)
 * and the predictor (a reference owned by the server). */
typedef struct serve_model {
    char *name;
    const char *ref; /* "champion" or "latest": how the version was chosen */
    predictor_t *pr;
} serve_model_t;

typedef struct serve serve_t;
/* Per event-loop thread: its scoring contexts, one per model. */
typedef struct serve_worker {
    const serve_t *srv;
    rec_ctx_t **cx;
    str_t *vals;      /* plan fields of one record, largest plan */
    buf_t scratch;
} serve_worker_t;

/* A request as the handlers see it (the engine's bytes, not copied). */
typedef struct serve_req {
    str_t method, path, query; /* query: after '?', {NULL,0} when none */
    str_t content_type;        /* {NULL,0}: no header */
    str_t body;
    str_t param;               /* the {name} segment of the pattern */
} serve_req_t;

typedef struct serve_resp {
    int status;
    const char *content_type; /* "application/json" unless set */
    const char *allow;        /* 405: the Allow header */
    buf_t body;
} serve_resp_t;

typedef int (*serve_handler_fn)(serve_worker_t *w, const serve_req_t *rq,
                                serve_resp_t *rs);

typedef struct serve_route {
    const char *method;  /* "GET", "POST" */
    const char *pattern; /* "/v1/models/{name}/predict": {x} is a segment */
    serve_handler_fn handler;
    bool public;         /* false: operators' routes (probes), not the API */
    const char *doc;     /* one sentence, for docs/serve.md and OpenAPI */
} serve_route_t;

/* The table, terminated by a row with method == NULL. */
extern const serve_route_t serve_routes[];

/* The route table as markdown (docs/serve.md's route list). */
void serve_routes_markdown(buf_t *out);

/* Take the models (the server owns their predictors and names from here,
 * also on error).  Fails when a model cannot score records. */
int serve_new(const serve_opts_t *o, serve_model_t *models, size_t nmodels,
              serve_t **out, ferr_t *e);
void serve_free(serve_t *s);
const serve_opts_t *serve_opts(const serve_t *s);
size_t serve_nmodels(const serve_t *s);
const serve_model_t *serve_model(const serve_t *s, size_t i);

/* A worker for one thread (contexts opened now, not per request). */
int serve_worker_init(serve_worker_t *w, const serve_t *s, ferr_t *e);
void serve_worker_free(serve_worker_t *w);

/* Route a request: 404 (no pattern matches), 405 (wrong method, with
 * Allow), else the route's handler.  Always fills rs. */
void serve_dispatch(serve_worker_t *w, const serve_req_t *rq,
                    serve_resp_t *rs);
/* An error body {"error": {"code", "path", "message"}} with status. */
void serve_error(serve_resp_t *rs, int status, const char *code,
                 const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The engine (http_h2o.c): listen, then run the loops until SIGTERM or
 * SIGINT, drain, return 0.  on_listen (may be NULL) is called once the
 * sockets are bound, with the port (the real one when o->port was 0). */
int serve_run(serve_t *s, void (*on_listen)(const serve_t *s, int port),
              ferr_t *e);
/* Set by the engine once every loop accepts (GET /readyz). */
bool serve_ready(const serve_t *s);
void serve_set_ready(serve_t *s, bool on);

#endif

/*
 * routes.c - the server's route table, routing and handlers (engine-free;
 * see serve.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "serve/request.h"
#include "serve/serve.h"

struct serve {
    serve_opts_t o;
    serve_model_t *models;
    size_t nmodels;
    size_t maxfields;
    char *models_json; /* GET /v1/models: fixed after load */
    atomic_bool ready;
};

static int h_healthz(serve_worker_t *w, const serve_req_t *rq,
                     serve_resp_t *rs);
static int h_readyz(serve_worker_t *w, const serve_req_t *rq,
                    serve_resp_t *rs);
static int h_models(serve_worker_t *w, const serve_req_t *rq,
                    serve_resp_t *rs);
static int h_predict(serve_worker_t *w, const serve_req_t *rq,
                     serve_resp_t *rs);

const serve_route_t serve_routes[] = {
    {"POST", "/v1/models/{name}/predict", h_predict, true,
     "Score records (`{\"records\": [{field: value}, ...]}`) with the model's "
     "served version; `?features=true` adds each scored record's features."},
    {"GET", "/v1/models", h_models, true,
     "The models served: name, version, and the input fields a record must "
     "carry."},
    {"GET", "/healthz", h_healthz, false,
     "Liveness: 200 while the process runs."},
    {"GET", "/readyz", h_readyz, false,
     "Readiness: 200 once every model is loaded and the listeners accept, "
     "503 otherwise."},
    {NULL, NULL, NULL, false, NULL},
};

void serve_routes_markdown(buf_t *out)
{
    buf_puts(out, "| method | path | access | what |\n|---|---|---|---|\n");
    for (const serve_route_t *r = serve_routes; r->method; r++)
        buf_printf(out, "| %s | `%s` | %s | %s |\n", r->method, r->pattern,
                   r->public ? "public" : "private", r->doc);
}

/* ---- server state ----------------------------------------------------- */

static void models_free(serve_model_t *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].name);
        if (m[i].pr)
            predictor_unref(m[i].pr);
    }
    free(m);
}

int serve_new(const serve_opts_t *o, serve_model_t *models, size_t nmodels,
              serve_t **out, ferr_t *e)
{
    *out = NULL;
    json_t *arr = json_array();
    size_t maxf = 1;
    for (size_t i = 0; i < nmodels; i++) {
        const rec_plan_t *pl = predictor_plan(models[i].pr);
        json_t *in = predictor_inputs_json(models[i].pr);
        if (pl == NULL) {
            json_t *why = in ? json_object_get(in, "error") : NULL;
            int rc = ferr_set(e, FERR_UNSUPPORTED,
                              "model '%s' v%d cannot score records: %s",
                              models[i].name,
                              predictor_version(models[i].pr),
                              json_is_string(why) ? json_string_value(why)
                                                  : "no scoring plan");
            json_decref(in);
            json_decref(arr);
            models_free(models, nmodels);
            return rc;
        }
        if (rec_plan_nfields(pl) > maxf)
            maxf = rec_plan_nfields(pl);
        json_array_append_new(
            arr, json_pack("{s:s, s:i, s:s, s:o}", "name", models[i].name,
                           "version", predictor_version(models[i].pr),
                           "alias", models[i].ref, "inputs",
                           in ? in : json_object()));
    }
    json_t *doc = json_pack("{s:o}", "models", arr);
    serve_t *s = xcalloc(1, sizeof(*s));
    s->o = *o;
    s->models = models;
    s->nmodels = nmodels;
    s->maxfields = maxf;
    s->models_json = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    atomic_init(&s->ready, false);
    if (s->models_json == NULL) {
        serve_free(s);
        return ferr_set(e, FERR_NOMEM, "serve: no memory for /v1/models");
    }
    *out = s;
    return FERR_OK;
}

void serve_free(serve_t *s)
{
    if (s == NULL)
        return;
    models_free(s->models, s->nmodels);
    free(s->models_json);
    free(s);
}

const serve_opts_t *serve_opts(const serve_t *s) { return &s->o; }
size_t serve_nmodels(const serve_t *s) { return s->nmodels; }
const serve_model_t *serve_model(const serve_t *s, size_t i)
{
    return &s->models[i];
}
bool serve_ready(const serve_t *s) { return atomic_load(&s->ready); }
void serve_set_ready(serve_t *s, bool on) { atomic_store(&s->ready, on); }

int serve_worker_init(serve_worker_t *w, const serve_t *s, ferr_t *e)
{
    memset(w, 0, sizeof(*w));
    w->srv = s;
    w->cx = xcalloc(s->nmodels + 1, sizeof(*w->cx));
    w->vals = xcalloc(s->maxfields, sizeof(*w->vals));
    for (size_t i = 0; i < s->nmodels; i++) {
        int rc = predictor_ctx_new(s->models[i].pr, NULL, &w->cx[i], e);
        if (rc) {
            serve_worker_free(w);
            return rc;
        }
    }
    return FERR_OK;
}

void serve_worker_free(serve_worker_t *w)
{
    for (size_t i = 0; w->srv && w->cx && i < w->srv->nmodels; i++)
        rec_ctx_free(w->cx[i]);
    free(w->cx);
    free(w->vals);
    buf_free(&w->scratch);
    memset(w, 0, sizeof(*w));
}

/* ---- responses -------------------------------------------------------- */

static void resp_json(serve_resp_t *rs, int status, json_t *doc)
{
    rs->status = status;
    buf_reset(&rs->body);
    char *txt = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (txt == NULL) {
        rs->status = 500;
        buf_puts(&rs->body, "{\"error\":{\"code\":\"out_of_memory\","
                            "\"path\":\"$\",\"message\":\"no memory\"}}");
        return;
    }
    buf_puts(&rs->body, txt);
    free(txt);
}

void serve_error(serve_resp_t *rs, int status, const char *code,
                 const char *path, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    resp_json(rs, status,
              json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code, "path",
                        path, "message", msg));
}

/* ---- routing ---------------------------------------------------------- */

/* Does path match pattern?  A {x} segment matches one non-empty segment,
 * which goes to *param. */
static bool match(const char *pat, str_t path, str_t *param)
{
    size_t i = 0;
    const char *p = pat;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t start = i;
            while (i < path.n && path.p[i] != '/')
                i++;
            if (i == start || close == NULL)
                return false;
            *param = (str_t){path.p + start, i - start};
            p = close + 1;
            continue;
        }
        if (i >= path.n || path.p[i] != *p)
            return false;
        i++;
        p++;
    }
    return i == path.n;
}

void serve_dispatch(serve_worker_t *w, const serve_req_t *rq,
                    serve_resp_t *rs)
{
    const serve_route_t *hit = NULL;
    const char *allow = NULL;
    serve_req_t r = *rq;
    bool path_known = false;
    char allows[64] = "";

    rs->content_type = "application/json";
    rs->allow = NULL;
    for (const serve_route_t *rt = serve_routes; rt->method; rt++) {
        str_t param = {NULL, 0};
        if (!match(rt->pattern, rq->path, &param))
            continue;
        path_known = true;
        if (str_eq_cstr(rq->method, rt->method) ||
            (strcmp(rt->method, "GET") == 0 &&
             str_eq_cstr(rq->method, "HEAD"))) {
            hit = rt;
            r.param = param;
            break;
        }
        allow = rt->method; /* one method a path today; Allow names it */
        size_t n = strlen(allows);
        snprintf(allows + n, sizeof(allows) - n, "%s%s", n ? ", " : "",
                 rt->method);
    }
    if (hit == NULL && path_known) {
        rs->allow = allow;
        serve_error(rs, 405, "method_not_allowed", "$",
                    "%.*s is not allowed on %.*s (allowed: %s)",
                    (int)rq->method.n, rq->method.p, (int)rq->path.n,
                    rq->path.p, allows);
        return;
    }
    if (hit == NULL) {
        serve_error(rs, 404, "not_found", "$", "no route %.*s %.*s",
                    (int)rq->method.n, rq->method.p, (int)rq->path.n,
                    rq->path.p);
        return;
    }
    hit->handler(w, &r, rs);
}

/* ---- handlers --------------------------------------------------------- */

static int h_healthz(serve_worker_t *w, const serve_req_t *rq,
                     serve_resp_t *rs)
{
    (void)w;
    (void)rq;
    resp_json(rs, 200, json_pack("{s:s}", "status", "ok"));
    return 0;
}

static int h_readyz(serve_worker_t *w, const serve_req_t *rq,
                    serve_resp_t *rs)
{
    (void)rq;
    if (!serve_ready(w->srv)) {
        resp_json(rs, 503, json_pack("{s:s}", "status", "starting"));
        return 0;
    }
    resp_json(rs, 200, json_pack("{s:s, s:I}", "status", "ready", "models",
                                 (json_int_t)w->srv->nmodels));
    return 0;
}

static int h_models(serve_worker_t *w, const serve_req_t *rq,
                    serve_resp_t *rs)
{
    (void)rq;
    rs->status = 200;
    buf_reset(&rs->body);
    buf_puts(&rs->body, w->srv->models_json);
    return 0;
}

/* "features=true" (or 1) among the query's &-separated pairs. */
static bool query_flag(str_t q, const char *name)
{
    size_t nl = strlen(name);
    size_t i = 0;
    while (q.p && i < q.n) {
        size_t j = i;
        while (j < q.n && q.p[j] != '&')
            j++;
        str_t kv = {q.p + i, j - i};
        if (kv.n > nl && memcmp(kv.p, name, nl) == 0 && kv.p[nl] == '=') {
            str_t v = {kv.p + nl + 1, kv.n - nl - 1};
            return str_eq_cstr(v, "true") || str_eq_cstr(v, "1");
        }
        i = j + 1;
    }
    return false;
}

/* application/json, with parameters (charset) allowed. */
static bool is_json_type(str_t ct)
{
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;
    if (ct.p == NULL || ct.n < n || strncasecmp(ct.p, want, n) != 0)
        return false;
    return ct.n == n || ct.p[n] == ';' || ct.p[n] == ' ';
}

/* A rejected record's error item: {"code", "path", "message"}. */
static json_t *record_error(const rec_plan_t *pl, const rec_ctx_t *cx,
                            const char *path, const ferr_t *e)
{
    json_t *err = serve_record_error(pl, cx, path, e);
    if (err == NULL)
        return NULL;
    json_object_set_new(err, "code", json_string(ferr_name(e->code)));
    return json_pack("{s:o}", "error", err);
}

static int h_predict(serve_worker_t *w, const serve_req_t *rq,
                     serve_resp_t *rs)
{
    const serve_t *s = w->srv;
    size_t mi = s->nmodels;
    for (size_t i = 0; i < s->nmodels; i++)
        if (str_eq_cstr(rq->param, s->models[i].name)) {
            mi = i;
            break;
        }
    if (mi == s->nmodels) {
        char name[128];
        buf_t tmp = {0};
        buf_append_printable(&tmp, rq->param, 100);
        snprintf(name, sizeof(name), "%s", tmp.p ? tmp.p : "");
        buf_free(&tmp);
        serve_error(rs, 404, "not_found", "$", "no model '%s' is served "
                    "(GET /v1/models lists them)", name);
        return 0;
    }
    if (!is_json_type(rq->content_type)) {
        serve_error(rs, 415, "unsupported_media_type", "$",
                    "the body must be sent as Content-Type: "
                    "application/json");
        return 0;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(rq->body.p ? rq->body.p : "", rq->body.n, 0,
                             &jerr);
    if (doc == NULL) {
        serve_error(rs, 400, "parse_error", "$",
                    "not JSON: %s (line %d, column %d)", jerr.text,
                    jerr.line, jerr.column);
        return 0;
    }
    json_t *recs = json_is_object(doc) ? json_object_get(doc, "records")
                                       : NULL;
    if (!json_is_object(doc)) {
        serve_error(rs, 400, "type_error", "$",
                    "the body must be a JSON object {\"records\": [...]}");
    } else if (!json_is_array(recs)) {
        serve_error(rs, 400, "type_error", "$.records",
                    recs ? "records must be an array of objects"
                         : "no \"records\" array");
    } else if (json_array_size(recs) > s->o.max_records) {
        serve_error(rs, 400, "limit_exceeded", "$.records",
                    "%zu records: at most %zu a request",
                    json_array_size(recs), s->o.max_records);
    } else {
        const serve_model_t *m = &s->models[mi];
        const rec_plan_t *pl = predictor_plan(m->pr);
        rec_ctx_t *cx = w->cx[mi];
        bool feats = query_flag(rq->query, "features");
        bool binary = strncmp(predictor_objective(m->pr), "binary:", 7) == 0;
        json_t *res = json_array();
        for (size_t r = 0; r < json_array_size(recs); r++) {
            char path[64];
            ferr_t e = {0};
            double score = 0;
            snprintf(path, sizeof(path), "$.records[%zu]", r);
            buf_reset(&w->scratch);
            int rc = serve_record_fields(pl, json_array_get(recs, r), path,
                                         w->vals, &w->scratch, &e);
            if (rc) {
                /* the message starts with the value's path */
                char where[256];
                size_t k = 0;
                while (e.msg[k] && e.msg[k] != ':' && k + 1 < sizeof(where))
                    k++;
                snprintf(where, sizeof(where), "%.*s", (int)k, e.msg);
                json_array_append_new(
                    res, json_pack("{s:{s:s, s:s, s:s}}", "error", "code",
                                   ferr_name(e.code), "path",
                                   e.msg[0] == '$' ? where : path, "message",
                                   e.msg));
                continue;
            }
            rc = predictor_score_record(m->pr, cx, w->vals, &score, &e);
            if (rc) {
                json_array_append_new(res, record_error(pl, cx, path, &e));
                continue;
            }
            json_t *one = json_pack("{s:f}", "score", score);
            if (binary)
                json_object_set_new(
                    one, "prediction",
                    json_integer(score >= predictor_threshold(m->pr)));
            else
                json_object_set_new(one, "prediction", json_real(score));
            if (feats) {
                json_t *fo = json_object();
                for (size_t j = 0; j < predictor_num_features(m->pr); j++) {
                    double v = NAN;
                    rec_feature_value(cx, j, &v);
                    json_object_set_new(fo, predictor_feature(m->pr, j),
                                        isfinite(v) ? json_real(v)
                                                    : json_null());
                }
                json_object_set_new(one, "features", fo);
            }
            json_array_append_new(res, one);
        }
        resp_json(rs, 200,
                  json_pack("{s:s, s:i, s:o}", "model", m->name, "version",
                            predictor_version(m->pr), "results", res));
    }
    json_decref(doc);
    return 0;
}

/*
 * http_h2o.c - the server's HTTP engine: h2o's evloop library (libh2o 2.2,
 * HTTP/1.1 only), as measured in bench/serve/engines/engine_h2o.c and
 * chosen in docs/serve.md.  Everything HTTP-library-specific is here;
 * routes.c answers the requests.
 */
#define H2O_USE_LIBUV 0
#include <h2o.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"
#include "serve/serve.h"

typedef struct loop {
    h2o_handler_t super; /* first: the handler finds its loop */
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    h2o_socket_t *listener;
    serve_worker_t worker;
    size_t conns, max_conns;
    int fd;
    int rc;      /* worker setup */
    ferr_t e;
} loop_t;

static volatile sig_atomic_t stop_sig;
static void on_signal(int sig) { stop_sig = sig; }

static h2o_globalconf_t config;
static _Thread_local loop_t *this_loop;

static const char *reason(int st)
{
    switch (st) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
    }
}

static str_t iov(h2o_iovec_t v) { return (str_t){v.base, v.len}; }

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    loop_t *l = this_loop;
    (void)self;
    serve_req_t rq = {0};
    serve_resp_t rs = {0};
    rq.method = iov(req->method);
    if (req->query_at != SIZE_MAX) {
        rq.path = (str_t){req->path.base, req->query_at};
        rq.query = (str_t){req->path.base + req->query_at + 1,
                           req->path.len - req->query_at - 1};
    } else {
        rq.path = iov(req->path);
    }
    ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (ct >= 0)
        rq.content_type = iov(req->headers.entries[ct].value);
    rq.body = (str_t){req->entity.base ? req->entity.base : "",
                      req->entity.base ? req->entity.len : 0};
    serve_dispatch(&l->worker, &rq, &rs);
    req->res.status = rs.status;
    req->res.reason = reason(rs.status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   NULL, rs.content_type, strlen(rs.content_type));
    if (rs.allow)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
                       rs.allow, strlen(rs.allow));
    if (rs.body.p == NULL)
        buf_puts(&rs.body, "");
    buf_putc(&rs.body, '\n');
    req->res.content_length = rs.body.n; /* else h2o answers chunked */
    h2o_send_inline(req, rs.body.p, rs.body.n); /* copies into the pool */
    buf_free(&rs.body);
    return 0;
}

static void on_conn_close(void *data) { ((loop_t *)data)->conns--; }

static void on_accept(h2o_socket_t *listener, const char *err)
{
    loop_t *l = listener->data;
    h2o_socket_t *sock;
    if (err != NULL || (sock = h2o_evloop_socket_accept(listener)) == NULL)
        return;
    if (l->conns >= l->max_conns) {
        h2o_socket_close(sock);
        return;
    }
    l->conns++;
    sock->on_close.cb = on_conn_close;
    sock->on_close.data = l;
    h2o_accept(&l->accept, sock);
}

static int listen_on(const char *host, int port, int *bound, ferr_t *e)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    socklen_t len = sizeof(sa);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return ferr_set(e, FERR_USAGE, "serve: --host '%s': expected a "
                        "numeric IPv4 address", host);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1024) ||
        getsockname(fd, (struct sockaddr *)&sa, &len)) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return ferr_set(e, FERR_IO, "serve: cannot listen on %s:%d: %s",
                        host, port, strerror(err));
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

static atomic_int loops_up;

static void *run_loop(void *arg)
{
    loop_t *l = arg;
    this_loop = l;
    h2o_context_init(&l->ctx, h2o_evloop_create(), &config);
    l->accept.ctx = &l->ctx;
    l->accept.hosts = config.hosts;
    l->listener = h2o_evloop_socket_create(l->ctx.loop, l->fd,
                                           H2O_SOCKET_FLAG_DONT_READ);
    l->listener->data = l;
    h2o_socket_read_start(l->listener, on_accept);
    atomic_fetch_add(&loops_up, 1);
    while (!stop_sig)
        h2o_evloop_run(l->ctx.loop, 100);
    /* drain: no new connections; keep-alive ones close after their
     * current request; requests in flight finish */
    h2o_socket_read_stop(l->listener);
    h2o_socket_close(l->listener);
    h2o_context_request_shutdown(&l->ctx);
    time_t deadline = time(NULL) + SERVE_DRAIN_S;
    while (l->conns > 0 && time(NULL) < deadline)
        h2o_evloop_run(l->ctx.loop, 100);
    /* closed sockets are freed on the next turns, and the shutdown
     * request's timer fires after 1 s: h2o_context_dispose asserts that no
     * timer is pending */
    for (int i = 0; i < 15; i++)
        h2o_evloop_run(l->ctx.loop, 100);
    h2o_evloop_t *loop = l->ctx.loop;
    h2o_context_dispose(&l->ctx);
    h2o_evloop_destroy(loop);
    return NULL;
}

int serve_run(serve_t *s, void (*on_listen)(const serve_t *s, int port),
              ferr_t *e)
{
    const serve_opts_t *o = serve_opts(s);
    int threads = o->threads < 1 ? 1 : o->threads, port = o->port, rc = 0;
    loop_t *loops = xcalloc((size_t)threads, sizeof(*loops));
    pthread_t *tids = xcalloc((size_t)threads, sizeof(*tids));
    int started = 0;

    signal(SIGPIPE, SIG_IGN);
    h2o_config_init(&config);
    config.max_request_entity_size = o->max_body;
    config.http1.req_timeout = SERVE_TIMEOUT_S * 1000;
    config.http1.upgrade_to_http2 = 0; /* HTTP/1.1 only: docs/serve.md */
    h2o_hostconf_t *host = h2o_config_register_host(
        &config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    /* one h2o handler for every path: routes.c routes (h2o matches path
     * prefixes, and could not answer 405) */
    h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(pc, sizeof(h2o_handler_t))->on_req = on_req;

    for (int i = 0; i < threads; i++) {
        loops[i].fd = -1;
        if (rc == 0 && (rc = serve_worker_init(&loops[i].worker, s, e)) == 0) {
            int fd = listen_on(o->host, port, &port, e);
            if (fd < 0)
                rc = fd;
            loops[i].fd = fd;
        }
        loops[i].max_conns =
            (SERVE_MAX_CONNS + (size_t)threads - 1) / (size_t)threads;
    }
    if (rc == 0) {
        struct sigaction act = {.sa_handler = on_signal};
        sigaction(SIGTERM, &act, NULL);
        sigaction(SIGINT, &act, NULL);
        atomic_store(&loops_up, 0);
        for (int i = 1; i < threads; i++) {
            if (pthread_create(&tids[i], NULL, run_loop, &loops[i]) != 0) {
                rc = ferr_set(e, FERR_EXTERNAL, "serve: cannot start "
                              "thread %d", i);
                stop_sig = SIGTERM;
                break;
            }
            started = i;
        }
        if (rc == 0) {
            if (on_listen)
                on_listen(s, port);
            /* ready once the other loops accept (this one does next) */
            while (atomic_load(&loops_up) < threads - 1 && !stop_sig)
                usleep(1000);
            serve_set_ready(s, true);
            run_loop(&loops[0]);
        }
        for (int i = 1; i <= started; i++)
            pthread_join(tids[i], NULL);
    }
    for (int i = 0; i < threads; i++) {
        /* a loop that ran closed its own listener */
        if (loops[i].fd >= 0 && rc != 0 && (i == 0 || i > started))
            close(loops[i].fd);
        serve_worker_free(&loops[i].worker);
    }
    h2o_config_dispose(&config);
    free(loops);
    free(tids);
    return rc;
}

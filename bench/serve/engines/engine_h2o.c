/*
 * engine_h2o.c - hello-world JSON server on h2o's evloop library (libh2o
 * 2.2), the other half of the engine measurement behind docs/serve.md.
 *
 *   engine_h2o PORT [THREADS]      (ENGINE_NO_H2=1: HTTP/1.1 only)
 *
 * One event loop per thread, each with its own listening socket on
 * 127.0.0.1:PORT (SO_REUSEPORT: the kernel spreads connections) and its own
 * h2o context; the configuration is shared read-only.  h2o 2.2 buffers the
 * whole request body before calling the handler (max_request_entity_size
 * answers 413 past the limit, early when Content-Length says so).  The
 * library has no connection limit (the h2o server binary implements it), so
 * this counts sockets per loop and closes new ones over ENGINE_MAX_CONNS /
 * THREADS.  SIGTERM/SIGINT: close the listeners, h2o_context_request_shutdown
 * (keep-alive connections close after their current request), run the loops
 * until no connection is left or ENGINE_DRAIN_S.  HTTP/2 (h2c upgrade and
 * prior knowledge) is on by default, as in the library; ENGINE_NO_H2 turns
 * it off (upgrade_to_http2 = 0 also refuses the prior-knowledge preface).
 */
#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine_common.h"

typedef struct {
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    h2o_socket_t *listener;
    size_t conns, max_conns;
    int fd;
} loop_t;

static h2o_globalconf_t config;
static volatile sig_atomic_t stop;

static void on_signal(int sig) { stop = sig; }

static int send_json(h2o_req_t *req, int status, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = status == 200 ? "OK" : status == 400 ? "Bad Request"
                                  : status == 404 ? "Not Found"
                                                  : "Method Not Allowed";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   NULL, H2O_STRLIT("application/json"));
    req->res.content_length = len; /* else h2o answers chunked */
    h2o_send_inline(req, body, len);
    return 0;
}

static int on_echo(h2o_handler_t *self, h2o_req_t *req)
{
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
        return send_json(req, 405, H2O_STRLIT("{\"error\":\"method\"}"));
    char out[256];
    size_t len = 0;
    int st = engine_echo(req->entity.base ? req->entity.base : "",
                         req->entity.len, out, sizeof out, &len);
    return send_json(req, st, out, len);
}

static int on_healthz(h2o_handler_t *self, h2o_req_t *req)
{
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")))
        return send_json(req, 405, H2O_STRLIT("{\"error\":\"method\"}"));
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   NULL, H2O_STRLIT("text/plain"));
    req->res.content_length = 2;
    h2o_send_inline(req, H2O_STRLIT("ok"));
    return 0;
}

static int on_other(h2o_handler_t *self, h2o_req_t *req)
{
    return send_json(req, 404, H2O_STRLIT("{\"error\":\"not found\"}"));
}

static void on_conn_close(void *data)
{
    ((loop_t *)data)->conns--;
}

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

static int listen_on(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1024)) {
        perror("engine_h2o: listen");
        exit(1);
    }
    return fd;
}

static void *run_loop(void *arg)
{
    loop_t *l = arg;
    h2o_context_init(&l->ctx, h2o_evloop_create(), &config);
    l->accept.ctx = &l->ctx;
    l->accept.hosts = config.hosts;
    l->listener = h2o_evloop_socket_create(l->ctx.loop, l->fd,
                                           H2O_SOCKET_FLAG_DONT_READ);
    l->listener->data = l;
    h2o_socket_read_start(l->listener, on_accept);
    while (!stop)
        h2o_evloop_run(l->ctx.loop, 100);
    /* drain */
    h2o_socket_read_stop(l->listener);
    h2o_socket_close(l->listener);
    h2o_context_request_shutdown(&l->ctx);
    time_t deadline = time(NULL) + ENGINE_DRAIN_S;
    while (l->conns > 0 && time(NULL) < deadline)
        h2o_evloop_run(l->ctx.loop, 100);
    fprintf(stderr, "engine_h2o: loop drained, %zu connection(s) left\n",
            l->conns);
    /* closed sockets are freed on the loop's next turn, and the shutdown
     * request's timer fires after 1 s: h2o_context_dispose asserts that no
     * timer is pending */
    for (int i = 0; i < 15; i++)
        h2o_evloop_run(l->ctx.loop, 100);
    /* libh2o 2.2 still leaves its per-thread recycle caches and a
     * multithread queue at exit (LeakSanitizer sees them; destroying the
     * queue after dispose crashes): ASan runs need a suppression for them */
    h2o_evloop_t *loop = l->ctx.loop;
    h2o_context_dispose(&l->ctx);
    h2o_evloop_destroy(loop);
    return NULL;
}

static void route(h2o_hostconf_t *host, const char *path,
                  int (*cb)(h2o_handler_t *, h2o_req_t *))
{
    h2o_pathconf_t *pc = h2o_config_register_path(host, path, 0);
    h2o_create_handler(pc, sizeof(h2o_handler_t))->on_req = cb;
}

int main(int argc, char **argv)
{
    int threads;
    int port = engine_port(argc, argv, &threads);
    signal(SIGPIPE, SIG_IGN);
    h2o_config_init(&config);
    config.max_request_entity_size = ENGINE_BODY_LIMIT;
    config.http1.req_timeout = ENGINE_TIMEOUT_S * 1000;
    if (getenv("ENGINE_NO_H2") != NULL)
        config.http1.upgrade_to_http2 = 0;
    h2o_hostconf_t *host = h2o_config_register_host(
        &config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    /* h2o matches path prefixes, longest first: "/" catches the rest */
    route(host, "/v1/echo", on_echo);
    route(host, "/healthz", on_healthz);
    route(host, "/", on_other);

    struct sigaction act = {.sa_handler = on_signal};
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    loop_t *loops = calloc((size_t)threads, sizeof *loops);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    for (int i = 0; i < threads; i++) {
        loops[i].fd = listen_on(port);
        loops[i].max_conns =
            (engine_max_conns() + (size_t)threads - 1) / (size_t)threads;
    }
    printf("engine_h2o listening on 127.0.0.1:%d (%d thread%s)\n", port,
           threads, threads > 1 ? "s" : "");
    fflush(stdout);
    for (int i = 1; i < threads; i++)
        pthread_create(&tids[i], NULL, run_loop, &loops[i]);
    run_loop(&loops[0]);
    for (int i = 1; i < threads; i++)
        pthread_join(tids[i], NULL);
    h2o_config_dispose(&config);
    free(loops);
    free(tids);
    return 0;
}

/*
 * engine_mhd.c - hello-world JSON server on libmicrohttpd, one half of the
 * engine measurement behind docs/serve.md ("HTTP engine").
 *
 *   engine_mhd PORT [THREADS] [turbo]
 *
 * Listens on 127.0.0.1:PORT with MHD's internal epoll threads: THREADS 1 is
 * one polling thread, more is a pool of THREADS epoll threads (each owns the
 * connections it accepted).  Thread-per-connection is the wrong mode for
 * keep-alive load (one thread per idle client).  "turbo" adds MHD_USE_TURBO
 * (no shutdown() on close, accept4 non-blocking).  A Content-Length over the
 * limit is answered 413 before the body is read; a chunked body is counted
 * as it arrives.  SIGTERM/SIGINT: stop accepting (MHD_quiesce_daemon), wait
 * for the open connections up to ENGINE_DRAIN_S, stop.
 */
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "engine_common.h"

typedef struct {
    char *buf;
    size_t len, cap;
    int too_big;
} body_t;

static volatile sig_atomic_t stop;
static body_t healthz; /* *con_cls marker of a GET /healthz */

static void on_signal(int sig) { stop = sig; }

static enum MHD_Result reply(struct MHD_Connection *c, int status,
                             const char *type, const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

#define REPLY_JSON(c, st, lit) reply(c, st, "application/json", lit, sizeof lit - 1)

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **con_cls)
{
    body_t *b = *con_cls;
    if (b == NULL) {
        /* first call: headers only, nothing of the body read yet */
        if (strcmp(url, "/healthz") == 0 && strcmp(method, "GET") == 0) {
            /* answering in this first call counts as an "early response":
             * MHD stops reading and closes the connection (no keep-alive),
             * so a request without a body is answered on the second call */
            *con_cls = &healthz;
            return MHD_YES;
        }
        if (strcmp(url, "/healthz") == 0)
            return REPLY_JSON(c, 405, "{\"error\":\"method\"}");
        if (strcmp(url, "/v1/echo") != 0)
            return REPLY_JSON(c, 404, "{\"error\":\"not found\"}");
        if (strcmp(method, "POST") != 0)
            return REPLY_JSON(c, 405, "{\"error\":\"method\"}");
        const char *cl = MHD_lookup_connection_value(
            c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > ENGINE_BODY_LIMIT)
            return REPLY_JSON(c, 413, "{\"error\":\"body too large\"}");
        b = calloc(1, sizeof *b);
        if (b == NULL)
            return MHD_NO;
        *con_cls = b;
        return MHD_YES;
    }
    if (b == &healthz)
        return reply(c, 200, "text/plain", "ok", 2);
    if (*data_size > 0) {
        size_t n = *data_size;
        *data_size = 0;
        if (b->too_big || b->len + n > ENGINE_BODY_LIMIT) {
            /* chunked, no length up front: MHD 0.9.75 refuses a response
             * queued while the body is being read ("internal error", the
             * connection is closed with no answer), so drop what arrives
             * and answer 413 at the end: memory is bounded, the upload's
             * bandwidth is not */
            b->too_big = 1;
            return MHD_YES;
        }
        if (b->len + n > b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 1024;
            while (cap < b->len + n)
                cap *= 2;
            char *p = realloc(b->buf, cap);
            if (p == NULL)
                return MHD_NO;
            b->buf = p;
            b->cap = cap;
        }
        memcpy(b->buf + b->len, data, n);
        b->len += n;
        return MHD_YES;
    }
    if (b->too_big)
        return REPLY_JSON(c, 413, "{\"error\":\"body too large\"}");
    char out[256];
    size_t len = 0;
    int st = engine_echo(b->buf ? b->buf : "", b->len, out, sizeof out, &len);
    return reply(c, st, "application/json", out, len);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    body_t *b = *con_cls;
    if (b != NULL && b != &healthz) {
        free(b->buf);
        free(b);
        *con_cls = NULL;
    }
}

int main(int argc, char **argv)
{
    int threads;
    int port = engine_port(argc, argv, &threads);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    if (argc > 3 && strcmp(argv[3], "turbo") == 0)
        flags |= MHD_USE_TURBO;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    /* a pool of THREADS epoll threads; with 1, the daemon's own polling
     * thread (MHD warns about a pool of 1, so the option is left out) */
    struct MHD_OptionItem pool[] = {
        {MHD_OPTION_THREAD_POOL_SIZE, threads, NULL},
        {MHD_OPTION_END, 0, NULL}};
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_ARRAY, threads > 1 ? pool : pool + 1,
        MHD_OPTION_CONNECTION_LIMIT, engine_max_conns(),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ENGINE_TIMEOUT_S,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "engine_mhd: cannot start on 127.0.0.1:%d\n", port);
        return 1;
    }
    struct sigaction act = {.sa_handler = on_signal};
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    printf("engine_mhd listening on 127.0.0.1:%d (%d thread%s)\n", port,
           threads, threads > 1 ? "s" : "");
    fflush(stdout);
    while (!stop)
        pause();
    /* drain: no new connections, open ones finish (or the deadline) */
    MHD_socket ls = MHD_quiesce_daemon(d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    time_t deadline = time(NULL) + ENGINE_DRAIN_S;
    for (;;) {
        const union MHD_DaemonInfo *i =
            MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        unsigned left = i ? i->num_connections : 0;
        if (left == 0 || time(NULL) >= deadline) {
            fprintf(stderr, "engine_mhd: drained, %u connection(s) left\n",
                    left);
            break;
        }
        usleep(20000);
    }
    MHD_stop_daemon(d);
    return 0;
}

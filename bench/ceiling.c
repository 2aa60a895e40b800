/*
 * ceiling: the throughput ceiling for hh-auth behind nginx.
 *
 * A minimal libfcgi responder: N threads, each with its own FCGX_Request,
 * answering every request with 200 {"status":"healthy"}, except nginx's
 * auth_request subrequests (REQUEST_URI /auth/verify...), which get what
 * hh-auth's verify answers a signed-in bench user: 200, no body, Cache-Control
 * and the X-Auth-Request-* identity headers (the same bytes for nginx to parse
 * and for the protected page to show). Run behind the same
 * nginx configuration as the service, it measures what nginx + FastCGI over a
 * unix socket can do on this machine at all; the service's numbers are read
 * against it (scripts/bench.sh).
 *
 *   cc -O2 -pthread -o ceiling bench/ceiling.c -lfcgi
 *   ./ceiling /path/to/socket [threads]      (threads default 128, env CEILING_THREADS)
 *
 * With `fastcgi_keep_conn on` every kept-alive nginx connection holds one
 * thread, so threads must be >= the connections nginx may keep open
 * (upstream keepalive x worker processes, plus the concurrent requests).
 * SIGTERM/SIGINT remove the socket and exit 0.
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_fd = -1;
static const char *socket_path;

static const char response[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "Content-Length: 20\r\n"
    "\r\n"
    "{\"status\":\"healthy\"}";

/* A bench user's identity as hh-auth's /auth/verify gives it (hh-standin's generated profile of
   200000001, no groups). */
static const char verify_response[] =
    "Status: 200 OK\r\n"
    "Cache-Control: no-store\r\n"
    "X-Auth-Request-User: 200000001\r\n"
    "X-Auth-Request-Email: user200000001@example.com\r\n"
    "X-Auth-Request-Name: \xd0\xa2\xd0\xb5\xd1\x81\xd1\x82 "
    "\xd0\x9f\xd0\xbe\xd0\xbb\xd1\x8c\xd0\xb7\xd0\xbe\xd0\xb2\xd0\xb0\xd1\x82\xd0\xb5\xd0\xbb\xd1\x8c 200000001\r\n"
    "X-Auth-Request-Groups: \r\n"
    "\r\n";

static void on_signal(int sig) {
    (void)sig;
    if (socket_path) unlink(socket_path);
    _exit(0);
}

static void *worker(void *arg) {
    (void)arg;
    FCGX_Request request;
    if (FCGX_InitRequest(&request, listen_fd, 0) != 0) return NULL;
    while (FCGX_Accept_r(&request) >= 0) {
        /* Drain a request body, if any, so the connection stays usable. */
        char buf[4096];
        while (FCGX_GetStr(buf, sizeof buf, request.in) > 0) {}
        const char *uri = FCGX_GetParam("REQUEST_URI", request.envp);
        if (uri && strncmp(uri, "/auth/verify", 12) == 0)
            FCGX_PutStr(verify_response, (int)(sizeof verify_response - 1), request.out);
        else
            FCGX_PutStr(response, (int)(sizeof response - 1), request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SOCKET_PATH [THREADS]\n", argv[0]);
        return 2;
    }
    socket_path = argv[1];
    int threads = 128;
    const char *env = getenv("CEILING_THREADS");
    if (argc > 2) threads = atoi(argv[2]);
    else if (env) threads = atoi(env);
    if (threads < 1 || threads > 4096) {
        fprintf(stderr, "ceiling: bad thread count\n");
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    if (FCGX_Init() != 0) {
        fprintf(stderr, "ceiling: FCGX_Init failed\n");
        return 1;
    }
    unlink(socket_path);
    listen_fd = FCGX_OpenSocket(socket_path, 1024);
    if (listen_fd < 0) {
        fprintf(stderr, "ceiling: cannot listen on %s\n", socket_path);
        return 1;
    }
    chmod(socket_path, 0660);

    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&ids[i], &attr, worker, NULL) != 0) {
            fprintf(stderr, "ceiling: pthread_create failed\n");
            return 1;
        }
    }
    fprintf(stderr, "ceiling: %d threads on %s\n", threads, socket_path);
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    return 0;
}

/* http_server.h — the HTTP API of serve on libmicrohttpd (epoll, internal thread pool). */
#ifndef CLIPFORGE_HTTP_SERVER_H
#define CLIPFORGE_HTTP_SERVER_H

#include <sys/socket.h>

#include "api/api.h"

/* What a server serves: its route table and the context its handlers get. */
typedef struct cf_http_site {
    const cf_route *routes;
    size_t n_routes;
    cf_app *app;          /* req->app for the handlers; NULL for a site without one */
    const cf_config *cfg; /* body and JSON limits */
    void *user;           /* req->user for the handlers */
    bool web_ui;          /* a GET no route matches goes to the web UI */
    bool events;          /* run the event-stream hub (needs app) */
    bool auth;            /* routes need an API key (needs app): see cf_route_access */
} cf_http_site;

/* Serves site on listen (as below); the API is one site, the inference service another. */
cf_err cf_http_server_start_site(const cf_http_site *site, const char *listen, int threads,
                                 cf_http_server **out, cf_error *err);
/* Listens on listen ("HOST:PORT", "[::1]:PORT"; port 0 picks a free one) with threads pool
 * threads (0 = cf_http_api_threads). *out is freed by cf_http_server_stop. */
cf_err cf_http_server_start(cf_app *app, const char *listen, int threads, cf_http_server **out,
                            cf_error *err);
/* The API's HTTP thread pool: CLIPFORGE_HTTP_THREADS, else 4 per core (at least 4). The pool's
 * threads write the event streams as well as answer requests, some of which wait on the store
 * or storage; with a few per core a request finds a thread that is not busy writing events
 * (bench/load_bench.sh). */
int cf_http_api_threads(const cf_config *cfg);
/* Resolves "HOST:PORT" / "[v6]:PORT" (numeric port) into a socket address. */
cf_err cf_http_listen_addr(const char *listen, struct sockaddr_storage *ss, socklen_t *len, cf_error *err);
/* Whether the routes need an API key. */
bool cf_http_auth_required(const cf_http_server *s);
/* The port actually bound. */
int cf_http_server_port(cf_http_server *s);
/* Stops accepting connections; requests in flight go on. */
void cf_http_server_quiesce(cf_http_server *s);
/* Ends event streams, finishes requests in flight, stops the daemon. NULL-safe. */
void cf_http_server_stop(cf_http_server *s);

#endif

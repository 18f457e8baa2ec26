/* metrics_server.c — the small HTTP endpoint of processes without the API (`clipforge worker`):
 * GET /metrics (the same exposition as the API's), /healthz and /readyz, for Prometheus and for
 * Kubernetes probes. One thread; nothing else is served. Steered by CLIPFORGE_METRICS_LISTEN. */
#include "api/metrics_server.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/http_server.h"

struct cf_metrics_server {
    cf_app *app;
    struct MHD_Daemon *daemon;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body /* malloc'd, taken */, size_t len) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned status, const char *msg) {
    char *copy = strdup(msg);
    return copy ? reply(conn, status, "application/json", copy, strlen(copy)) : MHD_NO;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls) {
    (void)version, (void)upload_data, (void)upload_data_size, (void)con_cls;
    cf_metrics_server *s = cls;
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) return text(conn, 405, "{\"status\":405}");
    if (!strcmp(url, "/healthz")) return text(conn, 200, "{\"status\":\"ok\"}");
    if (!strcmp(url, "/readyz")) {
        cf_job_stats st;
        cf_error err;
        bool ready = cf_store_stats(s->app->store, &st, &err) == CF_OK;
        return ready ? text(conn, 200, "{\"status\":\"ready\"}")
                     : text(conn, 503, "{\"status\":\"store unavailable\"}");
    }
    if (strcmp(url, "/metrics")) return text(conn, 404, "{\"status\":404}");
    size_t len = 0;
    const char *type = NULL;
    const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    char *body = cf_metrics_render(s->app, NULL, accept, &len, &type);
    return body ? reply(conn, 200, type, body, len) : MHD_NO;
}

cf_err cf_metrics_server_start(cf_app *app, const char *listen, cf_metrics_server **out, cf_error *err) {
    *out = NULL;
    if (!listen || !*listen) return CF_OK;
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    cf_err rc = cf_http_listen_addr(listen, &ss, &sl, err);
    if (rc) {
        cf_error_prefix(err, "CLIPFORGE_METRICS_LISTEN");
        return rc;
    }
    cf_metrics_server *s = calloc(1, sizeof *s);
    if (!s) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    s->app = app;
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                                     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                                 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!s->daemon) {
        free(s);
        return cf_error_set(err, CF_ERR_UNAVAILABLE, "CLIPFORGE_METRICS_LISTEN: cannot listen on %s", listen);
    }
    *out = s;
    return CF_OK;
}

void cf_metrics_server_stop(cf_metrics_server *s) {
    if (!s) return;
    MHD_stop_daemon(s->daemon);
    free(s);
}

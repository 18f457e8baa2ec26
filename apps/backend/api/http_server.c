/* http_server.c — the libmicrohttpd daemon and the route table. Every request goes through
 * dispatch(): route match (404 / 405 with Allow), central body checks (415 for the wrong content
 * type, 413 over the size limit, 400 for JSON that does not parse or nests too deep), then the
 * handler. Errors are application/problem+json everywhere. dispatch() also opens each request's
 * server span, continuing the W3C traceparent/tracestate of the request, and makes it the
 * thread's current context while the request's code runs, so every route is traced and its log
 * lines and the jobs it creates carry the trace. Steered by CLIPFORGE_LISTEN,
 * CLIPFORGE_HTTP_THREADS, CLIPFORGE_MAX_BODY_BYTES, CLIPFORGE_MAX_JSON_DEPTH,
 * CLIPFORGE_MAX_UPLOAD_BYTES. */
#include "api/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "application/metrics.h"
#include "application/quota.h"
#include "application/rate_limit.h"
#include "clipforge/domain/problem.h"
#include "clipforge/clock.h"
#include "clipforge/fmt.h"
#include "clipforge/json.h"
#include "clipforge/log.h"

struct cf_http_server {
    cf_http_site site;
    cf_rate_limit *limiter; /* CLIPFORGE_RATE_LIMIT, NULL = none */
    struct MHD_Daemon *daemon;
    cf_sse_hub *hub;
    int port;
};

static const cf_route routes[] = {
    {"POST", "/v1/media", CF_BODY_STREAM, cf_api_media_upload, cf_api_media_chunk, cf_api_media_end,
     "Upload media (raw body), probed", CF_ACCESS_BY_METHOD},
    {"POST", "/v1/transcripts", CF_BODY_TEXT, cf_api_transcripts_upload, NULL, NULL,
     "Upload a transcript of a media (Transcript JSON, SRT or WebVTT as the raw body) for transcript_uri",
     CF_ACCESS_BY_METHOD},
    {"GET", "/v1/transcripts", CF_BODY_NONE, cf_api_transcripts_list, NULL, NULL,
     "The caller's tenant's uploaded transcripts, newest first", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/transcripts/{transcript_id}", CF_BODY_NONE, cf_api_transcripts_get, NULL, NULL,
     "An uploaded transcript, as Transcript JSON", CF_ACCESS_BY_METHOD},
    {"DELETE", "/v1/transcripts/{transcript_id}", CF_BODY_NONE, cf_api_transcripts_delete, NULL, NULL,
     "Delete an uploaded transcript", CF_ACCESS_BY_METHOD},
    {"POST", "/v1/media/import", CF_BODY_JSON, cf_api_media_import, NULL, NULL,
     "Import media from an https:// URL of a host CLIPFORGE_SOURCE_ALLOW names ({url, filename?})",
     CF_ACCESS_BY_METHOD},
    {"GET", "/v1/media", CF_BODY_NONE, cf_api_media_list, NULL, NULL, "List media, newest first (paged)",
     CF_ACCESS_BY_METHOD},
    {"GET", "/v1/media/{media_id}", CF_BODY_NONE, cf_api_media_get, NULL, NULL, "Media metadata",
     CF_ACCESS_BY_METHOD},
    {"DELETE", "/v1/media/{media_id}", CF_BODY_NONE, cf_api_media_delete, NULL, NULL, "Delete media",
     CF_ACCESS_BY_METHOD},
    {"GET", "/v1/media/{media_id}/waveform", CF_BODY_NONE, cf_api_media_waveform, NULL, NULL,
     "Audio peaks for drawing (computed once, kept)", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/media/{media_id}/filmstrip", CF_BODY_NONE, cf_api_media_filmstrip, NULL, NULL,
     "Frames on one JPEG sprite sheet (computed once, kept)", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/media/{media_id}/poster", CF_BODY_NONE, cf_api_media_poster, NULL, NULL,
     "A poster frame, JPEG (computed once, kept); sound alone: its cover picture", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/media/{media_id}/camera-path", CF_BODY_NONE, cf_api_media_camera_path, NULL, NULL,
     "The smart-crop camera path over a span (?start_ms=&end_ms=&width=&height=), for previews",
     CF_ACCESS_BY_METHOD},
    {"GET", "/v1/media/{media_id}/split-framing", CF_BODY_NONE, cf_api_media_split_framing, NULL, NULL,
     "The regions a split scene's panels show over a span (?start_ms=&end_ms=&width=&height=), for previews",
     CF_ACCESS_BY_METHOD},
    {"POST", "/v1/jobs", CF_BODY_JSON, cf_api_jobs_create, NULL, NULL, "Submit a job", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/jobs", CF_BODY_NONE, cf_api_jobs_list, NULL, NULL, "List jobs", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/jobs/{job_id}", CF_BODY_NONE, cf_api_jobs_get, NULL, NULL, "Get a job", CF_ACCESS_BY_METHOD},
    {"POST", "/v1/jobs/{job_id}/cancel", CF_BODY_NONE, cf_api_jobs_cancel, NULL, NULL, "Cancel a job",
     CF_ACCESS_BY_METHOD},
    {"POST", "/v1/jobs/{job_id}/retry", CF_BODY_NONE, cf_api_jobs_retry, NULL, NULL,
     "Retry a failed or cancelled job", CF_ACCESS_BY_METHOD},
    {"POST", "/v1/jobs/{job_id}/versions", CF_BODY_JSON, cf_api_versions_create, NULL, NULL,
     "Render a new version of a clip (a RenderRequest); versions are kept", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/jobs/{job_id}/versions", CF_BODY_NONE, cf_api_versions_list, NULL, NULL,
     "The versions of a clip, first first", CF_ACCESS_BY_METHOD},
    {"POST", "/v1/timelines", CF_BODY_JSON, cf_api_timelines_compile, NULL, NULL,
     "Compile a RenderRequest into the Timeline the renderer would render", CF_ACCESS_BY_METHOD},
    {"POST", "/v1/labels", CF_BODY_JSON, cf_api_labels_create, NULL, NULL,
     "Save a review label (verdict on a highlight span)", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/labels", CF_BODY_NONE, cf_api_labels_list, NULL, NULL, "Labels of a media file",
     CF_ACCESS_BY_METHOD},
    {"GET", "/v1/archive", CF_BODY_NONE, cf_api_archive, NULL, NULL,
     "The videos of finished jobs as one zip (?jobs=ID,ID,...)", CF_ACCESS_BY_METHOD},
    {"POST", "/v1/share", CF_BODY_JSON, cf_api_share, NULL, NULL,
     "A signed link to one job output, valid for ttl_s", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/templates", CF_BODY_NONE, cf_api_templates_list, NULL, NULL,
     "Rendering templates the caller's tenant may use: layout, canvas sizes, variables", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/templates/{template_id}", CF_BODY_NONE, cf_api_templates_get, NULL, NULL,
     "One rendering template (404 for one the caller's tenant may not use)", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/events", CF_BODY_NONE, cf_api_events, NULL, NULL, "Server-Sent Events", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/events/ws", CF_BODY_NONE, cf_api_events_ws, NULL, NULL,
     "The same events over WebSocket (?last_event_id=, ?job_id=): one Event per text frame",
     CF_ACCESS_BY_METHOD},
    {"GET", "/v1/keys", CF_BODY_NONE, cf_api_keys_list, NULL, NULL, "API keys of the caller's tenant (admin)",
     CF_ACCESS_ADMIN},
    {"POST", "/v1/keys", CF_BODY_JSON, cf_api_keys_create, NULL, NULL,
     "Create an API key for the caller's tenant (admin); the key is in this answer only", CF_ACCESS_ADMIN},
    {"DELETE", "/v1/keys/{key_id}", CF_BODY_NONE, cf_api_keys_revoke, NULL, NULL, "Revoke an API key (admin)",
     CF_ACCESS_ADMIN},
    {"GET", "/v1/usage", CF_BODY_NONE, cf_api_usage, NULL, NULL,
     "What the caller's tenant uses this month against its quotas", CF_ACCESS_BY_METHOD},
    {"GET", "/v1/whoami", CF_BODY_NONE, cf_api_whoami, NULL, NULL, "The caller: tenant, role, key id",
     CF_ACCESS_BY_METHOD},
    {"GET", "/v1/files/{key*}", CF_BODY_NONE, cf_api_files, NULL, NULL, "Signed download", CF_ACCESS_PUBLIC},
    {"GET", "/openapi.json", CF_BODY_NONE, cf_api_openapi, NULL, NULL, "This document", CF_ACCESS_PUBLIC},
    {"GET", "/healthz", CF_BODY_NONE, cf_api_healthz, NULL, NULL, "Liveness", CF_ACCESS_PUBLIC},
    {"GET", "/readyz", CF_BODY_NONE, cf_api_readyz, NULL, NULL, "Readiness", CF_ACCESS_PUBLIC},
    {"GET", "/metrics", CF_BODY_NONE, cf_api_metrics, NULL, NULL, "Prometheus metrics (admin)",
     CF_ACCESS_ADMIN},
    {"GET", "/v1/flags", CF_BODY_NONE, cf_api_flags_list, NULL, NULL,
     "Feature flags and whether each is on for the caller's tenant (?media_id= for flags by media)",
     CF_ACCESS_BY_METHOD},
    {"PUT", "/v1/flags/{name}", CF_BODY_JSON, cf_api_flags_set, NULL, NULL,
     "Set a feature flag at run time: {\"enabled\": bool} or {\"percent\": 0..100} (admin of the default "
     "tenant)",
     CF_ACCESS_OPERATOR},
    {"DELETE", "/v1/flags/{name}", CF_BODY_NONE, cf_api_flags_unset, NULL, NULL,
     "Give a feature flag back to CLIPFORGE_FLAGS and its default (admin of the default tenant)",
     CF_ACCESS_OPERATOR},
    {"GET", "/v1/quotas/{tenant}", CF_BODY_NONE, cf_api_quotas_get, NULL, NULL,
     "A tenant's limits: its own, else the server's (admin of the default tenant)", CF_ACCESS_OPERATOR},
    {"PUT", "/v1/quotas/{tenant}", CF_BODY_JSON, cf_api_quotas_set, NULL, NULL,
     "Set a tenant's own limits; a null member takes the server's (admin of the default tenant)",
     CF_ACCESS_OPERATOR},
};

const cf_route *cf_http_routes(size_t *n) {
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

cf_sse_hub *cf_http_server_hub(cf_http_server *s) {
    return s->hub;
}

/* Matches path against pattern; *param = the {name} (one segment) or {name*} (the rest) part
 * (malloc'd) when it matches. */
static bool match(const char *pattern, const char *path, char **param) {
    *param = NULL;
    while (*pattern && *path) {
        if (*pattern == '{') {
            const char *close = strchr(pattern, '}');
            if (!close) break; /* a malformed pattern matches nothing */
            size_t n = close[-1] == '*' ? strlen(path) : strcspn(path, "/");
            free(*param);
            *param = n ? strndup(path, n) : NULL;
            if (!*param) return false;
            path += n;
            pattern = close + 1;
            continue;
        }
        if (*pattern++ != *path++) {
            free(*param);
            *param = NULL;
            return false;
        }
    }
    if (*pattern || *path) {
        free(*param);
        *param = NULL;
        return false;
    }
    return true;
}

/* Finds the route; when only the method differs, fills allow ("GET, DELETE"). */
static const cf_route *find_route(const cf_http_site *site, const char *method, const char *path,
                                  char **param, char *allow, size_t cap) {
    allow[0] = '\0';
    bool head = !strcmp(method, "HEAD");
    const cf_route *table = site->routes;
    for (size_t i = 0; i < site->n_routes; i++) {
        char *p = NULL;
        if (!match(table[i].pattern, path, &p)) continue;
        if (!strcmp(table[i].method, method) || (head && !strcmp(table[i].method, "GET"))) {
            free(*param);
            *param = p;
            return &table[i];
        }
        free(p);
        size_t len = strlen(allow);
        snprintf(allow + len, cap - len, "%s%s", len ? ", " : "", table[i].method);
    }
    return NULL;
}

const char *cf_http_allowed_origin(cf_http_request *req) {
    const cf_config *cfg = req->server->site.cfg;
    const char *list = cfg ? cfg->cors_origins : NULL;
    const char *origin = list && *list ? cf_http_header(req, "Origin") : NULL;
    if (!origin || !*origin) return NULL;
    size_t n = strlen(origin);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ","), l = len;
        const char *b = p;
        while (l && *b == ' ') b++, l--;
        while (l && b[l - 1] == ' ') l--;
        if ((l == 1 && *b == '*') || (l == n && !strncmp(b, origin, n))) return origin;
        p += len + (p[len] == ',');
    }
    return NULL;
}

/* A CORS preflight from an allowed origin: which methods and headers the real request may use. */
static enum MHD_Result preflight(cf_http_request *req) {
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE");
    MHD_add_response_header(
        r, "Access-Control-Allow-Headers",
        "Content-Type, Authorization, Idempotency-Key, Last-Event-ID, Range, Traceparent");
    MHD_add_response_header(r, "Access-Control-Max-Age", "600");
    return cf_http_reply(req, 204, r);
}

enum MHD_Result cf_http_reply(cf_http_request *req, int status, struct MHD_Response *r) {
    if (!r) return MHD_NO;
    const char *origin = cf_http_allowed_origin(req);
    if (origin) {
        MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(r, "Access-Control-Expose-Headers", CF_HTTP_CORS_EXPOSE);
        MHD_add_response_header(r, "Vary", "Origin");
    }
    enum MHD_Result ok = MHD_queue_response(req->conn, (unsigned)status, r);
    MHD_destroy_response(r);
    if (ok == MHD_YES) {
        req->answered = true;
        req->status = status;
    }
    return ok;
}

static enum MHD_Result reply_buffer(cf_http_request *req, int status, const char *type,
                                    char *text /* malloc'd, taken */, size_t len) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return cf_http_reply(req, status, r);
}

enum MHD_Result cf_http_reply_json(cf_http_request *req, int status, json_t *body) {
    char *text = body ? cf_json_dump(body, false) : NULL;
    json_decref(body);
    if (!text) return cf_http_reply_problem(req, "internal", "out of memory");
    return reply_buffer(req, status, "application/json", text, strlen(text));
}

enum MHD_Result cf_http_reply_problem(cf_http_request *req, const char *slug, const char *detail) {
    const cf_problem_kind *k = cf_problem_find(slug);
    if (!k) k = cf_problem_find("internal");
    json_t *p = cf_problem_json(k, detail);
    char *text = p ? cf_json_dump(p, false) : NULL;
    json_decref(p);
    if (!text) return MHD_NO;
    return reply_buffer(req, k->status, "application/problem+json", text, strlen(text));
}

/* The response of problem p (taken); NULL when out of memory. */
static struct MHD_Response *problem_json_response(json_t *p) {
    char *text = p ? cf_json_dump(p, false) : NULL;
    json_decref(p);
    struct MHD_Response *r =
        text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(text);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
    return r;
}

struct MHD_Response *cf_http_problem_response(const char *slug, const char *detail) {
    return problem_json_response(cf_problem_json(cf_problem_find(slug), detail));
}

enum MHD_Result cf_http_reply_error(cf_http_request *req, const cf_error *err) {
    const cf_problem_kind *k = cf_problem_for(err->code);
    if (k->status >= 500) cf_log_error("api", "%s %s: %s", req->method, req->route->pattern, err->msg);
    return cf_http_reply_problem(req, k->slug, err->msg);
}

enum MHD_Result cf_http_reply_text(cf_http_request *req, int status, const char *content_type,
                                   const char *text, size_t len) {
    char *copy = malloc(len + 1);
    if (!copy) return MHD_NO;
    memcpy(copy, text, len);
    return reply_buffer(req, status, content_type, copy, len);
}

const char *cf_http_header(cf_http_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *cf_http_query(cf_http_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

static bool is_json_type(const char *ct) {
    if (!ct) return false;
    while (*ct == ' ') ct++;
    size_t n = strcspn(ct, "; ");
    return n == strlen("application/json") && !strncasecmp(ct, "application/json", n);
}

/* Content-Length as a number; -1 when absent or malformed. */
static int64_t content_length(cf_http_request *req) {
    const char *cl = cf_http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl) return -1;
    char *end = NULL;
    long long v = strtoll(cl, &end, 10);
    return (end == cl || *end || v < 0) ? -1 : v;
}

/* The role the route needs of its caller. */
static cf_role needed_role(const cf_http_request *req) {
    if (req->route->access == CF_ACCESS_ADMIN || req->route->access == CF_ACCESS_OPERATOR)
        return CF_ROLE_ADMIN;
    return !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD") ? CF_ROLE_VIEWER : CF_ROLE_EDITOR;
}

/* The caller's credentials: the Authorization header, or for a GET the ?access_token= query
 * parameter (RFC 6750, 2.3), because a browser cannot add headers to an <img>, an EventSource or
 * a WebSocket. A token in a URL can end up in logs, so the web UI sends it that way only there. */
static const char *credentials(cf_http_request *req, char *buf, size_t cap) {
    const char *h = cf_http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h || (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))) return h;
    const char *token = cf_http_query(req, "access_token");
    if (!token || !cf_fmt(buf, cap, "Bearer %s", token)) return NULL;
    return buf;
}

/* Sets req->who. When the site needs keys: answers 401 (no or bad key) or 403 (a role too low)
 * in *answer and returns false. */
static bool authorize(cf_http_request *req, enum MHD_Result *answer) {
    cf_principal_anonymous(&req->who);
    if (!req->server->site.auth || req->route->access == CF_ACCESS_PUBLIC) return true;
    char buf[256];
    cf_error err;
    cf_err rc = cf_auth_verify_cached(req->app->store, credentials(req, buf, sizeof buf), cf_clock_ms(),
                                      &req->who, &err);
    if (rc == CF_ERR_PERMISSION) {
        struct MHD_Response *r = cf_http_problem_response("unauthorized", err.msg);
        if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"clipforge\"");
        *answer = r ? cf_http_reply(req, 401, r) : MHD_NO;
        return false;
    }
    if (rc) {
        *answer = cf_http_reply_error(req, &err);
        return false;
    }
    cf_role need = needed_role(req);
    if (req->route->access == CF_ACCESS_OPERATOR && !cf_tenant_is(req->who.tenant, CF_DEFAULT_TENANT)) {
        *answer = cf_http_reply_problem(req, "forbidden",
                                        "a server-wide setting: an admin of the default tenant changes it");
        return false;
    }
    if (req->who.role >= need) return true;
    char detail[128];
    snprintf(detail, sizeof detail, "this needs the %s role; the key has %s", cf_role_name(need),
             cf_role_name(req->who.role));
    *answer = cf_http_reply_problem(req, "forbidden", detail);
    return false;
}

/* The client's address as text ("" when unknown). */
static void client_address(cf_http_request *req, char *out, size_t cap) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)cap);
}

/* CLIPFORGE_RATE_LIMIT: one token of the caller's key and one of its address (health probes are
 * not counted). When either bucket is empty: 429 with Retry-After in *answer, false. */
static bool within_rate(cf_http_request *req, enum MHD_Result *answer) {
    cf_rate_limit *rl = req->server->limiter;
    if (!rl || !strcmp(req->route->pattern, "/healthz") || !strcmp(req->route->pattern, "/readyz"))
        return true;
    char name[96], addr[INET6_ADDRSTRLEN];
    int64_t now = cf_clock_ms(), wait = 0;
    const char *which = NULL;
    snprintf(name, sizeof name, "k:%s", req->who.key_id);
    if (req->who.key_id[0] && !cf_rate_limit_take(rl, name, now, &wait)) which = "this API key";
    client_address(req, addr, sizeof addr);
    snprintf(name, sizeof name, "a:%s", addr);
    if (!which && addr[0] && !cf_rate_limit_take(rl, name, now, &wait)) which = "this client address";
    if (!which) return true;
    char detail[160], after[24];
    snprintf(detail, sizeof detail, "over %s for %s; try again in %lld s", req->server->site.cfg->rate_limit,
             which, (long long)wait);
    snprintf(after, sizeof after, "%lld", (long long)wait);
    struct MHD_Response *r = cf_http_problem_response("rate-limited", detail);
    if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, after);
    *answer = r ? cf_http_reply(req, 429, r) : MHD_NO;
    return false;
}

enum MHD_Result cf_http_reply_quota(cf_http_request *req, const cf_quota_verdict *v) {
    cf_problem_kind k = *cf_problem_find("quota-exceeded");
    k.status = v->status;
    json_t *p = cf_problem_json(&k, v->detail);
    if (p) json_object_set_new(p, "limit", json_string(v->limit));
    struct MHD_Response *r = problem_json_response(p);
    if (!r) return MHD_NO;
    char after[24];
    snprintf(after, sizeof after, "%lld", (long long)v->retry_after_s);
    if (v->retry_after_s > 0) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, after);
    return cf_http_reply(req, v->status, r);
}

/* The tenant's upload and storage quotas, before any byte is stored: a refusal, or the most
 * this upload may send (a body without Content-Length is cut there). */
static enum MHD_Result upload_quota(cf_http_request *req, int64_t len) {
    cf_quota_verdict v;
    cf_error err;
    if (cf_quota_check_upload(req->app, req->who.tenant, len, &req->limit, &v, &err))
        return cf_http_reply_error(req, &err);
    return v.exceeded ? cf_http_reply_quota(req, &v) : MHD_YES;
}

static enum MHD_Result add_length(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    size_t *total = cls;
    /* a header line "name: value\r\n", a query argument "name=value&" */
    *total += strlen(key) + (value ? strlen(value) : 0) + (kind == MHD_HEADER_KIND ? 4 : 2);
    return MHD_YES;
}

/* The request line and headers against CLIPFORGE_MAX_URL_BYTES and CLIPFORGE_MAX_HEADER_BYTES,
 * before routing: false with the 414 / 431 answered. (Requests far past them, over the
 * connection's buffer, get libmicrohttpd's own 414 / 431.) */
static bool within_sizes(cf_http_request *req, const char *url, enum MHD_Result *answer) {
    const cf_config *cfg = req->server->site.cfg;
    size_t url_bytes = strlen(url), header_bytes = 0;
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_length, &url_bytes);
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_length, &header_bytes);
    char detail[160];
    if ((int64_t)url_bytes > cfg->max_url_bytes) {
        snprintf(detail, sizeof detail,
                 "the URL with its query is %zu bytes, over %lld (CLIPFORGE_MAX_URL_BYTES)", url_bytes,
                 (long long)cfg->max_url_bytes);
        *answer = cf_http_reply_problem(req, "uri-too-long", detail);
        return false;
    }
    if ((int64_t)header_bytes > cfg->max_header_bytes) {
        snprintf(detail, sizeof detail,
                 "the request headers are %zu bytes, over %lld (CLIPFORGE_MAX_HEADER_BYTES)", header_bytes,
                 (long long)cfg->max_header_bytes);
        *answer = cf_http_reply_problem(req, "header-fields-too-large", detail);
        return false;
    }
    return true;
}

static const char text_too_large[] = "the file is over 16 MiB, the most this route reads";

/* First call of a request: route it and check what can be checked before the body. */
static enum MHD_Result begin_request(cf_http_request *req, const char *url) {
    char allow[64];
    const cf_http_site *site = &req->server->site;
    enum MHD_Result early;
    if (!within_sizes(req, url, &early)) return early;
    if (!strcmp(req->method, "OPTIONS") && cf_http_header(req, "Access-Control-Request-Method") &&
        cf_http_allowed_origin(req))
        return preflight(req);
    req->route = find_route(site, req->method, url, &req->path_param, allow, sizeof allow);
    if (!req->route && allow[0]) {
        char detail[160];
        snprintf(detail, sizeof detail, "%s is not allowed here; allowed: %s", req->method, allow);
        struct MHD_Response *r = cf_http_problem_response("method-not-allowed", detail);
        if (!r) return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
        return cf_http_reply(req, 405, r);
    }
    if (!req->route && site->web_ui && (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")))
        return cf_api_web(req, url);
    if (!req->route) return cf_http_reply_problem(req, "not-found", "no such route");
    enum MHD_Result answer;
    if (!authorize(req, &answer) || !within_rate(req, &answer)) return answer;
    int64_t len = content_length(req);
    const cf_config *cfg = site->cfg;
    const char *ct = cf_http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (req->route->body == CF_BODY_JSON) {
        if (!is_json_type(ct))
            return cf_http_reply_problem(req, "unsupported-media-type", "send the body as application/json");
        if (len > cfg->max_body_bytes)
            return cf_http_reply_problem(req, "payload-too-large", "JSON body over the size limit");
    } else if (req->route->body == CF_BODY_STREAM || req->route->body == CF_BODY_TEXT) {
        if (ct &&
            (!strncasecmp(ct, "multipart/", 10) || !strncasecmp(ct, "application/x-www-form-urlencoded", 33)))
            return cf_http_reply_problem(
                req, "unsupported-media-type",
                "send the file as the raw request body with its own Content-Type, not a form");
        if (req->route->body == CF_BODY_TEXT)
            return len > CF_TEXT_BODY_MAX ? cf_http_reply_problem(req, "payload-too-large", text_too_large)
                                          : MHD_YES;
        if (len > cfg->max_upload_bytes)
            return cf_http_reply_problem(req, "payload-too-large", "upload over the size limit");
        req->limit = cfg->max_upload_bytes;
        if (req->app) return upload_quota(req, len);
    } else if (len > cfg->max_body_bytes) {
        return cf_http_reply_problem(req, "payload-too-large", "body over the size limit");
    }
    return MHD_YES;
}

static void set_early(cf_http_request *req, const char *slug, const char *detail) {
    req->early_problem = slug;
    snprintf(req->early_detail, sizeof req->early_detail, "%s", detail);
}

/* One chunk of body. */
static void take_chunk(cf_http_request *req, const char *data, size_t len) {
    if (req->early_problem) return; /* draining after a refusal */
    const cf_config *cfg = req->server->site.cfg;
    size_t max = req->route->body == CF_BODY_TEXT ? (size_t)CF_TEXT_BODY_MAX : (size_t)cfg->max_body_bytes;
    if (req->route->body == CF_BODY_STREAM) {
        const char *slug = req->route->on_chunk(req, data, len);
        if (slug)
            set_early(req, slug,
                      !strcmp(slug, "payload-too-large") ? "upload over the size limit"
                      : !strcmp(slug, "insufficient-storage")
                          ? "the server's storage is full: the upload was not kept"
                          : "cannot store upload");
        return;
    }
    if (req->body_len + len > max) {
        set_early(req, "payload-too-large",
                  req->route->body == CF_BODY_TEXT ? text_too_large : "body over the size limit");
        return;
    }
    if (req->route->body == CF_BODY_NONE) {
        req->body_len += len;
        return;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = (req->body_len + len + 1) * 2;
        char *grown = realloc(req->body, cap);
        if (!grown) {
            set_early(req, "internal", "out of memory");
            return;
        }
        req->body = grown;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
}

/* The whole request is in: run the handler. */
static enum MHD_Result finish_request(cf_http_request *req) {
    if (req->early_problem) return cf_http_reply_problem(req, req->early_problem, req->early_detail);
    if (req->route->body == CF_BODY_JSON && !req->json) { /* parsed already when resumed */
        cf_error err;
        req->json = cf_json_parse(req->body ? req->body : "", req->body_len,
                                  (size_t)req->server->site.cfg->max_json_depth, &err);
        if (!req->json) return cf_http_reply_problem(req, "validation", err.msg);
    }
    return req->route->handler(req);
}

/* The request's server span: a child of the caller's traceparent when it sent a valid one. */
static void start_span(cf_http_request *req, const char *url) {
    cf_trace_ctx parent;
    cf_trace_parse(cf_http_header(req, "traceparent"), cf_http_header(req, "tracestate"), &parent);
    req->span = cf_span_start(req->method, CF_SPAN_SERVER, &parent);
    cf_span_set_str(req->span, "http.request.method", req->method);
    cf_span_set_str(req->span, "url.path", url);
}

/* Runs one step of the request with its span as the thread's current context. */
static enum MHD_Result in_span(cf_http_request *req, const char *url, int step, const char *data,
                               size_t len) {
    cf_trace_ctx prev;
    cf_trace_set_current(cf_span_ctx(req->span), &prev);
    enum MHD_Result r = MHD_YES;
    if (step == 0) r = begin_request(req, url);
    else if (step == 1) take_chunk(req, data, len);
    else r = finish_request(req);
    cf_trace_set_current(&prev, NULL);
    return r;
}

static enum MHD_Result dispatch(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                const char *version, const char *upload_data, size_t *upload_data_size,
                                void **con_cls) {
    (void)version;
    cf_http_server *s = cls;
    cf_http_request *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req) return MHD_NO;
        req->server = s;
        req->app = s->site.app;
        req->user = s->site.user;
        req->conn = conn;
        req->started_ns = cf_clock_ns();
        snprintf(req->method, sizeof req->method, "%s", method);
        *con_cls = req;
        start_span(req, url);
        return in_span(req, url, 0, NULL, 0);
    }
    if (req->answered) {
        *upload_data_size = 0; /* answered early: discard what still arrives */
        return MHD_YES;
    }
    if (*upload_data_size) {
        in_span(req, url, 1, upload_data, *upload_data_size);
        *upload_data_size = 0;
        /* Refuse at once rather than read the rest of a large body; MHD closes afterwards. */
        if (req->early_problem && req->route->body == CF_BODY_STREAM)
            cf_http_reply_problem(req, req->early_problem, req->early_detail);
        return MHD_YES;
    }
    return in_span(req, url, 2, NULL, 0);
}

static void end_span(cf_http_request *req, bool complete) {
    if (!req->span) return;
    char name[96];
    snprintf(name, sizeof name, "%s %s", req->method, req->route ? req->route->pattern : "");
    cf_span_set_name(req->span, req->route ? name : req->method);
    if (req->route) cf_span_set_str(req->span, "http.route", req->route->pattern);
    cf_span_set_int(req->span, "http.response.status_code", req->status);
    if (req->status >= 500) cf_span_set_error(req->span, "server error");
    else if (!complete) cf_span_set_error(req->span, "connection closed before the response ended");
    cf_span_end(req->span);
    req->span = NULL;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    cf_http_request *req = *con_cls;
    if (!req) return;
    if (req->route && req->route->on_end) req->route->on_end(req, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    if (req->status) {
        cf_trace_ctx prev; /* the latency's exemplar is this request's trace */
        cf_trace_set_current(cf_span_ctx(req->span), &prev);
        cf_metrics_http(req->status, (double)(cf_clock_ns() - req->started_ns) / 1e9);
        cf_trace_set_current(&prev, NULL);
    }
    end_span(req, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    if (req->free_state) req->free_state(req->state);
    cf_sha256_drop(req->hash); /* a stream's hash left by a request that ended early */
    json_decref(req->json);
    free(req->body);
    free(req->path_param);
    free(req);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = '\0';
    cf_log_debug("http", "%s", msg);
}

cf_err cf_http_listen_addr(const char *listen, struct sockaddr_storage *ss, socklen_t *len, cf_error *err) {
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1])
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "listen '%s': expected HOST:PORT", listen);
    size_t hl = (size_t)(colon - listen);
    if (listen[0] == '[' && hl >= 2 && listen[hl - 1] == ']') {
        listen++;
        hl -= 2;
    }
    if (hl >= sizeof host) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "listen: host too long");
    memcpy(host, listen, hl);
    host[hl] = '\0';
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(host, colon + 1, &hints, &res);
    if (g != 0) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "listen %s: %s", host, gai_strerror(g));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return CF_OK;
}

cf_err cf_http_server_start_site(const cf_http_site *site, const char *listen, int threads,
                                 cf_http_server **out, cf_error *err) {
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    cf_err rc = cf_http_listen_addr(listen, &ss, &sl, err);
    if (rc) return rc;
    cf_http_server *s = calloc(1, sizeof *s);
    if (!s) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    s->site = *site;
    rc = site->app ? cf_rate_limit_new(site->cfg->rate_limit, &s->limiter, err) : CF_OK;
    if (rc) {
        free(s);
        return rc;
    }
    rc = site->events ? cf_sse_hub_start(site->app, &s->hub, err) : CF_OK;
    if (rc) {
        cf_rate_limit_free(s->limiter);
        free(s);
        return rc;
    }
    if (threads <= 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads <= 0) threads = 2;
    /* Room for a request line and headers up to the limits and 8 KiB more (the headers' list
     * nodes, the answer's headers), so that within_sizes (not libmicrohttpd's HTML page) answers
     * those a little over them. No more: libmicrohttpd zeroes the whole pool after every request
     * and half of it again when it shrinks the read buffer, which at 64 KiB was a fifth of a
     * submission's instructions and half of a read's. */
    int64_t pool = site->cfg->max_url_bytes + site->cfg->max_header_bytes + 8192;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, dispatch, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16384,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)pool,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        cf_sse_hub_free(s->hub);
        cf_rate_limit_free(s->limiter);
        free(s);
        return cf_error_set(err, CF_ERR_UNAVAILABLE, "cannot listen on %s (address in use?)", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    if (site->app && s->hub) {
        site->app->on_event = cf_sse_hub_notify;
        site->app->on_event_user = s->hub;
    }
    *out = s;
    return CF_OK;
}

int cf_http_api_threads(const cf_config *cfg) {
    if (cfg->http_threads > 0) return (int)cfg->http_threads;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 1 ? (int)(4 * cores) : 4;
}

cf_err cf_http_server_start(cf_app *app, const char *listen, int threads, cf_http_server **out,
                            cf_error *err) {
    bool auth = false;
    cf_err rc = cf_auth_required(&app->cfg, listen, &auth, err);
    if (rc) return rc;
    if (auth)
        cf_log_info("http", "API keys required (CLIPFORGE_AUTH=%s); create one with `clipforge keys create`",
                    app->cfg.auth);
    else
        cf_log_warn("http",
                    "API keys not required (CLIPFORGE_AUTH=%s, listening on %s): every caller is the"
                    " admin of tenant '%s'",
                    app->cfg.auth, listen, CF_DEFAULT_TENANT);
    cf_http_site site = {.routes = routes,
                         .n_routes = sizeof routes / sizeof routes[0],
                         .app = app,
                         .cfg = &app->cfg,
                         .web_ui = true,
                         .events = true,
                         .auth = auth};
    return cf_http_server_start_site(&site, listen, threads > 0 ? threads : cf_http_api_threads(&app->cfg),
                                     out, err);
}

bool cf_http_auth_required(const cf_http_server *s) {
    return s->site.auth;
}

int cf_http_server_port(cf_http_server *s) {
    return s->port;
}

void cf_http_server_quiesce(cf_http_server *s) {
    if (!s) return;
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET) close(fd);
}

void cf_http_server_stop(cf_http_server *s) {
    if (!s) return;
    if (s->site.app && s->hub) s->site.app->on_event = NULL;
    cf_sse_hub_close(s->hub); /* streams' requests must be resumed before the daemon stops */
    MHD_stop_daemon(s->daemon);
    cf_sse_hub_free(s->hub);
    cf_rate_limit_free(s->limiter);
    free(s);
}

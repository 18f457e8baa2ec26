/* api.h — what the HTTP route modules share: the per-request context, the route table row and
 * the response helpers. The server (http_server.c) matches the route, applies the central checks
 * (method, content type, body size, JSON depth) and only then calls the handler. */
#ifndef CLIPFORGE_API_H
#define CLIPFORGE_API_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "application/app.h"
#include "application/auth.h"
#include "clipforge/sha256.h"
#include "clipforge/storage.h"
#include "clipforge/trace.h"

typedef enum cf_body_policy {
    CF_BODY_NONE,   /* a body is ignored (bounded by the JSON limit) */
    CF_BODY_JSON,   /* application/json, at most CLIPFORGE_MAX_BODY_BYTES, parsed with depth limit */
    CF_BODY_STREAM, /* raw upload handed to the handler's stream callbacks chunk by chunk */
    CF_BODY_TEXT,   /* raw body of any type but a form, at most CF_TEXT_BODY_MAX, collected in body */
} cf_body_policy;

/* The largest CF_BODY_TEXT body: a transcript with every word timed of some ten hours of speech. */
#define CF_TEXT_BODY_MAX ((int64_t)16 << 20)

/* Who may call a route. By method: GET/HEAD need a viewer, others an editor. */
typedef enum cf_route_access {
    CF_ACCESS_BY_METHOD = 0,
    CF_ACCESS_PUBLIC, /* no key: health, the OpenAPI document, signed downloads */
    CF_ACCESS_ADMIN,
    CF_ACCESS_OPERATOR, /* an admin of the default tenant: settings of the whole server */
} cf_route_access;

typedef struct cf_http_request cf_http_request;
typedef struct cf_http_server cf_http_server;

/* A handler answers by calling one cf_http_reply_* function; returns MHD_YES/MHD_NO. */
typedef enum MHD_Result (*cf_route_handler)(cf_http_request *req);

typedef struct cf_route {
    const char *method;
    const char *pattern; /* "/v1/jobs/{job_id}" one segment, "/v1/files/{key*}" the rest; the
                          * names are the OpenAPI document's path parameters */
    cf_body_policy body;
    cf_route_handler handler;
    /* CF_BODY_STREAM: called for each chunk (return a problem slug to stop, NULL to go on)
     * and when the request ends (complete = false when cut short). */
    const char *(*on_chunk)(cf_http_request *req, const char *data, size_t len);
    void (*on_end)(cf_http_request *req, bool complete);
    const char *summary; /* for the OpenAPI document */
    cf_route_access access;
} cf_route;

struct cf_http_request {
    cf_http_server *server;
    cf_app *app;                     /* the API's; NULL on a site without one */
    void *user;                      /* the site's own context */
    void *state;                     /* the handler's, across calls of a suspended request */
    void (*free_state)(void *state); /* called when the request ends */
    struct MHD_Connection *conn;
    const cf_route *route;
    char method[8];
    char *path_param; /* the {name} or {name*} part, decoded */
    char *body;       /* CF_BODY_JSON, CF_BODY_TEXT: collected bytes (body_len) */
    size_t body_len, body_cap;
    json_t *json;              /* CF_BODY_JSON: parsed body */
    const char *early_problem; /* set while reading: answered when the body has been read */
    char early_detail[256];
    bool answered;
    int status; /* what was answered, for metrics */
    int64_t started_ns;
    cf_span *span;    /* the request's server span (NULL: tracing off, no incoming trace) */
    cf_principal who; /* the caller: its tenant scopes every object the request touches */
    /* CF_BODY_STREAM state, owned by the route */
    cf_storage_writer *writer;
    cf_sha256 *hash; /* of the bytes given to writer (cf_api_media_write) */
    int64_t received;
    int64_t limit;
    char id[40];
};

/* Response helpers: each queues the response and marks the request answered. */
enum MHD_Result cf_http_reply_json(cf_http_request *req, int status, json_t *body /* stolen */);
enum MHD_Result cf_http_reply_problem(cf_http_request *req, const char *slug, const char *detail);
enum MHD_Result cf_http_reply_error(cf_http_request *req, const cf_error *err);
enum MHD_Result cf_http_reply_text(cf_http_request *req, int status, const char *content_type,
                                   const char *text, size_t len);
/* The problem+json response of a known slug, for a handler that adds headers before it queues
 * it with cf_http_reply (the status is the slug's); NULL when out of memory. */
struct MHD_Response *cf_http_problem_response(const char *slug, const char *detail);
/* A quota-exceeded problem with the verdict's status, its "limit" and Retry-After when known. */
struct cf_quota_verdict;
enum MHD_Result cf_http_reply_quota(cf_http_request *req, const struct cf_quota_verdict *v);
/* Queues response r with status; destroys r. */
enum MHD_Result cf_http_reply(cf_http_request *req, int status, struct MHD_Response *r);

/* The request's Origin when CLIPFORGE_CORS_ORIGINS lets it call the API from a browser, else
 * NULL. Off by default: without the header a browser keeps other sites' pages from reading. */
const char *cf_http_allowed_origin(cf_http_request *req);
/* The response headers a browser may read (Access-Control-Expose-Headers). */
#define CF_HTTP_CORS_EXPOSE "Location, Retry-After, Content-Disposition"

/* Request accessors. */
const char *cf_http_header(cf_http_request *req, const char *name);
const char *cf_http_query(cf_http_request *req, const char *name);

/* The route table (http_server.c) and the handlers of each module. */
const cf_route *cf_http_routes(size_t *n);

enum MHD_Result cf_api_media_upload(cf_http_request *req);
const char *cf_api_media_chunk(cf_http_request *req, const char *data, size_t len);
void cf_api_media_end(cf_http_request *req, bool complete);
/* The storage key of media id (routes_media.c). */
void cf_api_media_key(const char *id, char *key, size_t cap);
/* The object of a new media (req->id gets its id): begun, written with its bytes hashed as they
 * go, or dropped with its hash (routes_media.c; an upload's chunks and an import's fetch). */
cf_err cf_api_media_begin(cf_http_request *req, cf_error *err);
cf_err cf_api_media_write(cf_http_request *req, const void *buf, size_t len, cf_error *err);
void cf_api_media_abort(cf_http_request *req);
/* After the object of media req->id (req->received bytes) is stored: probes it and records it as
 * the caller's media named raw_name (sanitised; NULL = no name), answering 201 with the record,
 * or removes it and answers the problem (routes_media.c). */
enum MHD_Result cf_api_media_keep(cf_http_request *req, const char *mime, const char *raw_name);
/* A pipeline's message about a stored upload at path, for the client: one that begins with the
 * path says "the upload" there instead (true); any other is left as it is (false): a server path
 * is no business of the client (routes_media.c). */
bool cf_api_about_the_upload(cf_error *err, const char *path);
enum MHD_Result cf_api_media_import(cf_http_request *req);       /* routes_import.c */
enum MHD_Result cf_api_transcripts_upload(cf_http_request *req); /* routes_transcripts.c */
enum MHD_Result cf_api_transcripts_list(cf_http_request *req);
enum MHD_Result cf_api_transcripts_get(cf_http_request *req);
enum MHD_Result cf_api_transcripts_delete(cf_http_request *req);
enum MHD_Result cf_api_media_get(cf_http_request *req);
enum MHD_Result cf_api_media_list(cf_http_request *req);
enum MHD_Result cf_api_media_delete(cf_http_request *req);
enum MHD_Result cf_api_media_waveform(cf_http_request *req);
enum MHD_Result cf_api_media_filmstrip(cf_http_request *req);
enum MHD_Result cf_api_media_poster(cf_http_request *req);
enum MHD_Result cf_api_media_camera_path(cf_http_request *req);
enum MHD_Result cf_api_media_split_framing(cf_http_request *req);
/* Deletes the pictures kept for a media file (routes_media_pictures.c). */
void cf_media_pictures_remove(cf_app *app, const char *media_id);
enum MHD_Result cf_api_jobs_create(cf_http_request *req);
enum MHD_Result cf_api_jobs_list(cf_http_request *req);
enum MHD_Result cf_api_jobs_get(cf_http_request *req);
enum MHD_Result cf_api_jobs_cancel(cf_http_request *req);
enum MHD_Result cf_api_jobs_retry(cf_http_request *req);
enum MHD_Result cf_api_events(cf_http_request *req);
enum MHD_Result cf_api_events_ws(cf_http_request *req); /* ws.c */
enum MHD_Result cf_api_files(cf_http_request *req);
enum MHD_Result cf_api_openapi(cf_http_request *req);
/* The OpenAPI document GET /openapi.json serves for a server with settings cfg (a new reference;
 * NULL when out of memory). `clipforge openapi` prints it for the client generator. */
json_t *cf_api_openapi_document(const cf_config *cfg);
enum MHD_Result cf_api_healthz(cf_http_request *req);
enum MHD_Result cf_api_readyz(cf_http_request *req);
enum MHD_Result cf_api_metrics(cf_http_request *req);
enum MHD_Result cf_api_labels_create(cf_http_request *req);
enum MHD_Result cf_api_labels_list(cf_http_request *req);
enum MHD_Result cf_api_templates_list(cf_http_request *req);
enum MHD_Result cf_api_templates_get(cf_http_request *req);
enum MHD_Result cf_api_archive(cf_http_request *req);
enum MHD_Result cf_api_versions_create(cf_http_request *req);
enum MHD_Result cf_api_versions_list(cf_http_request *req);
enum MHD_Result cf_api_timelines_compile(cf_http_request *req);
enum MHD_Result cf_api_share(cf_http_request *req);
enum MHD_Result cf_api_keys_list(cf_http_request *req);
enum MHD_Result cf_api_keys_create(cf_http_request *req);
enum MHD_Result cf_api_keys_revoke(cf_http_request *req);
enum MHD_Result cf_api_whoami(cf_http_request *req);
enum MHD_Result cf_api_usage(cf_http_request *req);
enum MHD_Result cf_api_quotas_get(cf_http_request *req);
enum MHD_Result cf_api_quotas_set(cf_http_request *req);
/* The /metrics body for the Accept header (OpenMetrics when asked for, else Prometheus text):
 * the server's metrics, or with tenant only that tenant's series of the per-tenant families
 * (cf_metrics_write_tenant); malloc'd text, *len and *type (static) filled; NULL when out of
 * memory (routes_meta.c). */
char *cf_metrics_render(cf_app *app, const char *tenant, const char *accept, size_t *len, const char **type);
/* The web UI for a GET/HEAD that no API route matched (routes_web.c). */
enum MHD_Result cf_api_web(cf_http_request *req, const char *url);

/* The SSE hub: reads committed events once for every stream and wakes the stream hub that
 * writes them (sse.c). */
typedef struct cf_sse_hub cf_sse_hub;
cf_err cf_sse_hub_start(cf_app *app, cf_sse_hub **out, cf_error *err);
void cf_sse_hub_notify(void *hub);
/* Ends every stream and gives each request back to libmicrohttpd, before the daemon stops. */
void cf_sse_hub_close(cf_sse_hub *hub);
void cf_sse_hub_free(cf_sse_hub *hub);
cf_sse_hub *cf_http_server_hub(cf_http_server *s);

/* Feature flags (routes_flags.c). */
enum MHD_Result cf_api_flags_list(cf_http_request *req);
enum MHD_Result cf_api_flags_set(cf_http_request *req);
enum MHD_Result cf_api_flags_unset(cf_http_request *req);

#endif

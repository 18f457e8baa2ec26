/* openapi.c — GET /openapi.json: an OpenAPI 3.1 document whose paths come from the route table
 * (plus the per-route details below) and whose component schemas are the domain generator's
 * (cf_domain_openapi_components, from packages/domain/schemas). The problem type URIs of the
 * problem table are listed as the Problem schema's known types. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "clipforge/domain/problem.h"
#include "jobs/job_kinds.h"

#include "clipforge/domain/openapi.h"
#include "clipforge/domain/types.h"
#include "jobs/job_kinds.h"

typedef struct route_doc {
    const char *method, *pattern;
    int ok_status;
    const char
        *request_schema; /* component name, "binary" for raw uploads, "text" for raw text, NULL for none */
    const char *response_schema; /* component name, a media type ("image/jpeg": not JSON), or NULL */
    const char *query;           /* comma-separated query parameter names */
} route_doc;

static const route_doc docs[] = {
    {"POST", "/v1/media", 201, "binary", "Media", "filename"},
    {"POST", "/v1/media/import", 201, "MediaImport", "Media", NULL},
    {"POST", "/v1/transcripts", 201, "text", "TranscriptUpload", NULL},
    {"GET", "/v1/transcripts", 200, NULL, "TranscriptList", NULL},
    {"GET", "/v1/transcripts/{transcript_id}", 200, NULL, "Transcript", NULL},
    {"DELETE", "/v1/transcripts/{transcript_id}", 204, NULL, NULL, NULL},
    {"GET", "/v1/media", 200, NULL, "MediaList", "cursor,limit"},
    {"GET", "/v1/media/{media_id}", 200, NULL, "Media", NULL},
    {"DELETE", "/v1/media/{media_id}", 204, NULL, NULL, NULL},
    {"GET", "/v1/media/{media_id}/waveform", 200, NULL, "MediaWaveform", NULL},
    {"GET", "/v1/media/{media_id}/filmstrip", 200, NULL, "MediaFilmstrip", NULL},
    {"GET", "/v1/media/{media_id}/poster", 200, NULL, "image/jpeg", NULL},
    {"GET", "/v1/media/{media_id}/camera-path", 200, NULL, "SmartCropPath", "start_ms,end_ms,width,height"},
    {"GET", "/v1/media/{media_id}/split-framing", 200, NULL, "SplitFraming", "start_ms,end_ms,width,height"},
    {"POST", "/v1/jobs", 202, "JobCreate", "Job", NULL},
    {"GET", "/v1/jobs", 200, NULL, "JobList", "status,kind,parent_id,cursor,limit"},
    {"GET", "/v1/jobs/{job_id}", 200, NULL, "Job", NULL},
    {"POST", "/v1/jobs/{job_id}/cancel", 202, NULL, "Job", NULL},
    {"POST", "/v1/jobs/{job_id}/retry", 202, NULL, "Job", NULL},
    {"POST", "/v1/jobs/{job_id}/versions", 202, "RenderRequest", "Job", NULL},
    {"GET", "/v1/jobs/{job_id}/versions", 200, NULL, "JobList", NULL},
    {"POST", "/v1/timelines", 200, "RenderRequest", "Timeline", NULL},
    {"POST", "/v1/labels", 201, "LabelCreate", "Label", NULL},
    {"GET", "/v1/labels", 200, NULL, "LabelList", "media_id"},
    {"GET", "/v1/templates", 200, NULL, "TemplateList", NULL},
    {"GET", "/v1/templates/{template_id}", 200, NULL, "RenderTemplate", NULL},
    {"GET", "/v1/archive", 200, NULL, "application/zip", "jobs"},
    {"POST", "/v1/share", 201, "ShareCreate", "ShareLink", NULL},
    {"GET", "/v1/events", 200, NULL, NULL, "job_id,last_event_id"},
    {"GET", "/v1/events/ws", 101, NULL, NULL, "job_id,last_event_id"},
    {"GET", "/v1/keys", 200, NULL, "ApiKeyList", NULL},
    {"POST", "/v1/keys", 201, "ApiKeyCreate", "ApiKey", NULL},
    {"DELETE", "/v1/keys/{key_id}", 204, NULL, NULL, NULL},
    {"GET", "/v1/usage", 200, NULL, "UsageReport", NULL},
    {"GET", "/v1/whoami", 200, NULL, "Whoami", NULL},
    {"GET", "/v1/files/{key*}", 200, NULL, "*/*", "tenant,exp,sig"},
    {"GET", "/openapi.json", 200, NULL, "application/json", NULL},
    {"GET", "/healthz", 200, NULL, "Health", NULL},
    {"GET", "/readyz", 200, NULL, "Readiness", NULL},
    {"GET", "/metrics", 200, NULL, "text/plain", NULL},
    {"GET", "/v1/flags", 200, NULL, "FlagList", "media_id"},
    {"PUT", "/v1/flags/{name}", 200, "FlagUpdate", "Flag", NULL},
    {"DELETE", "/v1/flags/{name}", 204, NULL, NULL, NULL},
    {"GET", "/v1/quotas/{tenant}", 200, NULL, "QuotaSettings", NULL},
    {"PUT", "/v1/quotas/{tenant}", 200, "QuotaUpdate", "QuotaSettings", NULL},
};

static const route_doc *doc_for(const cf_route *r) {
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        if (!strcmp(docs[i].method, r->method) && !strcmp(docs[i].pattern, r->pattern)) return &docs[i];
    return NULL;
}

/* The route's pattern as an OpenAPI path: "/v1/files/{key*}" -> "/v1/files/{key}" (the rest of
 * the path is one parameter to the route table, a plain path parameter to OpenAPI). */
static void openapi_path(const char *pattern, char *out, size_t cap) {
    size_t o = 0;
    for (const char *p = pattern; *p && o + 1 < cap; p++)
        if (!(p[0] == '*' && p[1] == '}')) out[o++] = *p;
    out[o] = '\0';
}

/* The name of the route's path parameter ("job_id" of "/v1/jobs/{job_id}/cancel"), into out;
 * false when it has none. */
static bool path_param_name(const char *pattern, char *out, size_t cap) {
    const char *open = strchr(pattern, '{'), *close = open ? strchr(open, '}') : NULL;
    if (!close) return false;
    size_t n = (size_t)(close - open - 1);
    if (n && open[n] == '*') n--;
    if (n + 1 > cap) return false;
    memcpy(out, open + 1, n);
    out[n] = '\0';
    return true;
}

static json_t *ref(const char *name) {
    char buf[128];
    snprintf(buf, sizeof buf, "#/components/schemas/%s", name);
    return json_pack("{s:s}", "$ref", buf);
}

static json_t *parameters(const cf_route *r, const route_doc *d) {
    json_t *ps = json_array();
    char name[32];
    if (path_param_name(r->pattern, name, sizeof name))
        json_array_append_new(ps, json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", name, "in", "path",
                                            "required", 1, "schema", "type", "string"));
    if (d && d->query) {
        char *copy = strdup(d->query), *save = NULL;
        for (char *q = copy ? strtok_r(copy, ",", &save) : NULL; q; q = strtok_r(NULL, ",", &save))
            json_array_append_new(
                ps, json_pack("{s:s, s:s, s:{s:s}}", "name", q, "in", "query", "schema", "type", "string"));
        free(copy);
    }
    if (!strcmp(r->pattern, "/v1/jobs") && !strcmp(r->method, "POST"))
        json_array_append_new(ps, json_pack("{s:s, s:s, s:{s:s}}", "name", "Idempotency-Key", "in", "header",
                                            "schema", "type", "string"));
    return ps;
}

/* The schema of a success answer that is not a component: the OpenAPI document is an object,
 * text is a string, anything else bytes. */
static json_t *answer_schema(const char *media_type) {
    if (!strcmp(media_type, "application/json")) return json_pack("{s:s}", "type", "object");
    if (!strncmp(media_type, "text/", 5)) return json_pack("{s:s}", "type", "string");
    return json_pack("{s:s, s:s}", "type", "string", "format", "binary");
}

static json_t *operation(const cf_route *r, json_t *schemas) {
    const route_doc *d = doc_for(r);
    int ok = d ? d->ok_status : 200;
    char code[8];
    snprintf(code, sizeof code, "%d", ok);
    json_t *success = json_pack("{s:s}", "description", "success");
    const char *answer = d ? d->response_schema : NULL;
    if (answer && json_object_get(schemas, answer))
        json_object_set_new(success, "content",
                            json_pack("{s:{s:o}}", "application/json", "schema", ref(answer)));
    else if (answer && strchr(answer, '/')) /* not a domain type: its media type and JSON type */
        json_object_set_new(success, "content",
                            json_pack("{s:{s:o}}", answer, "schema", answer_schema(answer)));
    if (!strcmp(r->pattern, "/v1/events"))
        json_object_set_new(success, "content",
                            json_pack("{s:{s:{s:s}}}", "text/event-stream", "schema", "type", "string"));
    if (!strcmp(r->pattern, "/v1/events/ws")) { /* OpenAPI has no WebSocket: the frames as an extension */
        json_object_set_new(success, "description",
                            json_string("Switching Protocols (WebSocket): each text frame is one Event"));
        json_object_set_new(success, "x-cf-websocket-frames", ref("Event"));
    }
    json_t *responses = json_pack("{s:o, s:{s:s, s:{s:{s:o}}}}", code, success, "default", "description",
                                  "problem", "content", "application/problem+json", "schema", ref("Problem"));
    json_t *op = json_pack("{s:s, s:o, s:o}", "summary", r->summary, "parameters", parameters(r, d),
                           "responses", responses);
    /* who may call it when the server requires keys: public routes need none */
    if (r->access == CF_ACCESS_PUBLIC) json_object_set_new(op, "security", json_array());
    else
        json_object_set_new(op, "x-cf-role",
                            json_string(r->access == CF_ACCESS_OPERATOR ? "admin of the default tenant"
                                        : r->access == CF_ACCESS_ADMIN  ? "admin"
                                        : !strcmp(r->method, "GET")     ? "viewer"
                                                                        : "editor"));
    /* a JSON body the table names no schema for is still listed, as an object */
    const char *request = d && d->request_schema ? d->request_schema : r->body == CF_BODY_JSON ? "" : NULL;
    if (request) {
        json_t *body = !strcmp(request, "binary")
                           ? json_pack("{s:{s:{s:s, s:s}}}", "application/octet-stream", "schema", "type",
                                       "string", "format", "binary")
                       : !strcmp(request, "text")
                           ? json_pack("{s:{s:{s:s}}, s:{s:{s:s}}, s:{s:o}}", "application/x-subrip",
                                       "schema", "type", "string", "text/vtt", "schema", "type", "string",
                                       "application/json", "schema", ref("Transcript"))
                       : json_object_get(schemas, request)
                           ? json_pack("{s:{s:o}}", "application/json", "schema", ref(request))
                           : json_pack("{s:{s:{s:s}}}", "application/json", "schema", "type", "object");
        json_object_set_new(op, "requestBody", json_pack("{s:b, s:o}", "required", 1, "content", body));
    }
    return op;
}

/* The stable type URIs, added to the Problem schema as examples. */
static void add_problem_types(json_t *schemas) {
    json_t *problem = json_object_get(schemas, "Problem");
    json_t *type = json_object_get(json_object_get(problem, "properties"), "type");
    if (!json_is_object(type)) return;
    size_t n = 0;
    const cf_problem_kind *kinds = cf_problem_kinds(&n);
    json_t *examples = json_array();
    for (size_t i = 0; i < n; i++) {
        char t[128];
        snprintf(t, sizeof t, CF_PROBLEM_BASE "%s", kinds[i].slug);
        json_array_append_new(examples, json_string(t));
    }
    json_object_set_new(type, "examples", examples);
}

static json_t *component_schemas(void) {
    json_t *components = cf_domain_openapi_components();
    json_t *schemas = json_incref(json_object_get(components, "schemas"));
    json_decref(components);
    if (!schemas) schemas = json_object();
    add_problem_types(schemas);
    json_object_set_new(schemas, "JobList",
                        json_pack("{s:s, s:[s], s:{s:{s:s, s:{s:s}}, s:{s:[s,s]}}}", "type", "object",
                                  "required", "items", "properties", "items", "type", "array", "items",
                                  "$ref", "#/components/schemas/Job", "next_cursor", "type", "string",
                                  "null"));
    return schemas;
}

/* The job kinds this server runs (rows of the kinds table with a run function, enabled by its
 * settings), so clients can offer only what works: POST /v1/jobs carries them as x-cf-job-kinds. */
static json_t *runnable_kinds(const cf_config *cfg) {
    json_t *kinds = json_array();
    for (int k = 0; k < CF_JOB_KIND_COUNT; k++) {
        const char *name = cf_job_kind_to_string((cf_job_kind)k);
        const cf_job_handler *h = cf_job_handler_find(name);
        if (h && h->run && (!h->enabled || h->enabled(cfg))) json_array_append_new(kinds, json_string(name));
    }
    return kinds;
}

json_t *cf_api_openapi_document(const cf_config *cfg) {
    json_t *schemas = component_schemas();
    json_t *paths = json_object();
    size_t n = 0;
    const cf_route *routes = cf_http_routes(&n);
    for (size_t i = 0; i < n; i++) {
        char path[128], method[8];
        openapi_path(routes[i].pattern, path, sizeof path);
        size_t k = 0;
        for (; routes[i].method[k] && k + 1 < sizeof method; k++)
            method[k] = (char)(routes[i].method[k] | 0x20);
        method[k] = '\0';
        json_t *item = json_object_get(paths, path);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, path, item);
        }
        json_object_set_new(item, method, operation(&routes[i], schemas));
    }
    json_object_set_new(json_object_get(json_object_get(paths, "/v1/jobs"), "post"), "x-cf-job-kinds",
                        runnable_kinds(cfg));
    /* API keys (CLIPFORGE_AUTH): a bearer token, or for GETs the access_token query parameter */
    json_t *schemes =
        json_pack("{s:{s:s, s:s}, s:{s:s, s:s, s:s}}", "bearer", "type", "http", "scheme", "bearer",
                  "access_token", "type", "apiKey", "in", "query", "name", "access_token");
    return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:o, s:o}, s:[{s:[]}, {s:[]}]}", "openapi", "3.1.0", "info",
                     "title", "clipforge", "version", "0.1.0", "paths", paths, "components", "schemas",
                     schemas, "securitySchemes", schemes, "security", "bearer", "access_token");
}

static char *cached;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const cf_config *doc_cfg; /* the server's settings, fixed for its life: set before once */

static void build_once(void) {
    json_t *doc = cf_api_openapi_document(doc_cfg);
    cached = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
}

enum MHD_Result cf_api_openapi(cf_http_request *req) {
    doc_cfg = &req->app->cfg;
    pthread_once(&once, build_once);
    if (!cached) return cf_http_reply_problem(req, "internal", "cannot build the document");
    return cf_http_reply_text(req, 200, "application/json", cached, strlen(cached));
}

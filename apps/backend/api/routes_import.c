/* routes_import.c — POST /v1/media/import {"url": "https://...", "filename"?}: media the server
 * fetches from a remote source the operator allows (CLIPFORGE_SOURCE_ALLOW; source_fetch.h
 * checks every redirect and every address connected), streamed into storage like an upload and
 * committed only when whole (a failed fetch leaves nothing) and hashed as it goes, within the
 * tenant's upload and storage quotas, then probed and recorded as an upload is. The fetch runs in
 * the request, at most CLIPFORGE_SOURCE_TIMEOUT_S, so at most half the HTTP threads
 * (CLIPFORGE_HTTP_THREADS, at least one) import at once and the others keep answering; more
 * imports get 503. */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/http_server.h"
#include "application/quota.h"
#include "infrastructure/source_fetch.h"

static cf_err to_storage(void *user, const void *buf, size_t len, cf_error *err) {
    return cf_api_media_write(user, buf, len, err);
}

/* The problem of a refused or failed import. */
static enum MHD_Result import_problem(cf_http_request *req, cf_err rc, const cf_error *err) {
    switch (rc) {
    case CF_ERR_INVALID_ARGUMENT: return cf_http_reply_problem(req, "validation", err->msg);
    case CF_ERR_PERMISSION: return cf_http_reply_problem(req, "source-not-allowed", err->msg);
    case CF_ERR_TOO_LARGE: return cf_http_reply_problem(req, "payload-too-large", err->msg);
    case CF_ERR_TIMEOUT:
    case CF_ERR_UNAVAILABLE: return cf_http_reply_problem(req, "source-unreachable", err->msg);
    default: return cf_http_reply_error(req, err);
    }
}

/* The last segment of the URL's path (into name), the media's name when the client gives none. */
static void name_from_url(const char *url, char *name, size_t cap) {
    const char *path = strchr(url + strlen("https://"), '/');
    size_t end = path ? strcspn(path, "?#") : 0;
    const char *start = path;
    for (size_t i = 0; path && i < end; i++)
        if (path[i] == '/') start = path + i + 1;
    size_t n = path ? (size_t)(path + end - start) : 0;
    if (n >= cap) n = cap - 1;
    memcpy(name, start ? start : "", n);
    name[n] = '\0';
}

/* Fetches url into media/<req->id>: committed when whole, else aborted. */
static cf_err fetch_into_storage(cf_http_request *req, const char *url, int64_t limit, cf_error *err) {
    const cf_config *cfg = &req->app->cfg;
    cf_source_policy p = {
        .allow = cfg->source_allow, .max_bytes = limit, .timeout_ms = cfg->source_timeout_s * 1000};
#ifdef CF_TEST_HOOKS
    p.ca_file = cfg->test_source_ca;
    p.pins = cfg->test_source_pins;
#endif
    cf_err rc = cf_api_media_begin(req, err);
    if (rc) return rc;
    rc = cf_source_fetch(&p, url, to_storage, req, &req->received, err);
    if (rc == CF_OK && req->received == 0) rc = cf_error_set(err, CF_ERR_UNAVAILABLE, "the source is empty");
    if (rc == CF_OK) {
        rc = cf_storage_put_commit(req->app->storage, req->writer, err);
        req->writer = NULL; /* committed or not, the writer is done; the hash is cf_api_media_keep's */
    }
    if (rc) cf_api_media_abort(req);
    return rc;
}

/* Imports running in this process (every HTTP thread of the API shares them). */
static atomic_int importing;

static int max_imports(const cf_config *cfg) {
    int threads = cf_http_api_threads(cfg);
    return threads >= 4 ? threads / 2 : 1;
}

static enum MHD_Result import_url(cf_http_request *req, const char *url, const json_t *name_j) {
    cf_error err;
    cf_quota_verdict v;
    int64_t limit = 0;
    if (cf_quota_check_upload(req->app, req->who.tenant, -1, &limit, &v, &err))
        return cf_http_reply_error(req, &err);
    if (v.exceeded) return cf_http_reply_quota(req, &v);
    cf_err rc = fetch_into_storage(req, url, limit, &err);
    if (rc) return import_problem(req, rc, &err);
    char name[256];
    name_from_url(url, name, sizeof name);
    return cf_api_media_keep(req, NULL, name_j ? json_string_value(name_j) : name);
}

enum MHD_Result cf_api_media_import(cf_http_request *req) {
    json_t *url_j = json_object_get(req->json, "url"), *name_j = json_object_get(req->json, "filename");
    const char *url = json_string_value(url_j);
    if (!url) return cf_http_reply_problem(req, "validation", "url: required, an https:// URL");
    if (name_j && !json_is_string(name_j))
        return cf_http_reply_problem(req, "validation", "filename: a string");
    cf_error err;
    cf_err rc = cf_source_check(req->app->cfg.source_allow, url, &err);
    if (rc) return import_problem(req, rc, &err);
    if (atomic_fetch_add(&importing, 1) >= max_imports(&req->app->cfg)) {
        atomic_fetch_sub(&importing, 1);
        struct MHD_Response *r =
            cf_http_problem_response("unavailable", "as many imports as the server runs at once are running");
        if (!r) return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
        return cf_http_reply(req, 503, r);
    }
    enum MHD_Result answer = import_url(req, url, name_j);
    atomic_fetch_sub(&importing, 1);
    return answer;
}

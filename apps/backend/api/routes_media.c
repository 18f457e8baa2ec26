/* routes_media.c — /v1/media: a raw upload streamed chunk by chunk into storage (never held in
 * memory; CLIPFORGE_MAX_UPLOAD_BYTES -> 413; a connection cut halfway aborts the write, which
 * leaves no file) and hashed as it goes (SHA-256: the media's identity by content, kept with it,
 * so detection finds stored features of media in any storage without reading it again), probed
 * once complete, named by ?filename= (sanitised); a paged list, newest first; read and delete. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "application/metrics.h"
#include "api/names.h"
#include "application/job_service.h"
#include "application/pipelines.h"
#include "clipforge/log.h"

#define MAX_PAGE 200
#define DEFAULT_PAGE 50

void cf_api_media_key(const char *id, char *key, size_t cap) {
    snprintf(key, cap, "media/%s", id);
}

cf_err cf_api_media_begin(cf_http_request *req, cf_error *err) {
    cf_new_id("m_", req->id, sizeof req->id);
    char key[64];
    cf_api_media_key(req->id, key, sizeof key);
    if (!(req->hash = cf_sha256_begin())) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = cf_storage_put_begin(req->app->storage, key, &req->writer, err);
    if (rc) cf_api_media_abort(req);
    return rc;
}

cf_err cf_api_media_write(cf_http_request *req, const void *buf, size_t len, cf_error *err) {
    if (!cf_sha256_add(req->hash, buf, len)) return cf_error_set(err, CF_ERR_INTERNAL, "sha256 failed");
    return cf_storage_put_write(req->app->storage, req->writer, buf, len, err);
}

void cf_api_media_abort(cf_http_request *req) {
    cf_storage_put_abort(req->app->storage, req->writer);
    req->writer = NULL;
    cf_sha256_drop(req->hash);
    req->hash = NULL;
}

const char *cf_api_media_chunk(cf_http_request *req, const char *data, size_t len) {
    cf_error err;
    if (!req->writer && cf_api_media_begin(req, &err)) return "internal";
    req->received += (int64_t)len;
    cf_err rc = req->received > req->limit ? CF_ERR_TOO_LARGE : cf_api_media_write(req, data, len, &err);
    if (rc == CF_OK) return NULL;
    cf_api_media_abort(req);
    if (rc == CF_ERR_NO_SPACE) cf_log_error("api", "upload %s not kept: %s", req->id, err.msg);
    return rc == CF_ERR_TOO_LARGE  ? "payload-too-large"
           : rc == CF_ERR_NO_SPACE ? "insufficient-storage"
                                   : "internal";
}

void cf_api_media_end(cf_http_request *req, bool complete) {
    (void)complete;
    /* Still open here means the request never reached the handler: the client went away. */
    cf_api_media_abort(req);
}

/* The media's JSON form (the generated Media schema's fields); "url" is a signed download link
 * valid for CLIPFORGE_URL_TTL_S. */
static json_t *media_json(cf_app *app, const cf_media_record *m) {
    char created[40];
    char *url = NULL;
    cf_error err;
    cf_tenant_sign_url(app->store, app->storage, m->tenant ? m->tenant : CF_DEFAULT_TENANT, m->key,
                       app->cfg.url_ttl_s, cf_now_ms() / 1000, &url, &err);
    cf_format_timestamp(m->created_at, created, sizeof created);
    json_t *probe = m->probe ? json_loads(m->probe, 0, NULL) : NULL;
    char uri[64];
    snprintf(uri, sizeof uri, "media://%s", m->id);
    json_t *o = json_pack("{s:s, s:s, s:s?, s:s*, s:I, s:s?, s:s, s:s*}", "id", m->id, "uri", uri, "url", url,
                          "filename", m->filename, "bytes", (json_int_t)m->bytes, "mime", m->mime,
                          "created_at", created, "sha256", m->sha256);
    free(url);
    if (o && probe) json_object_set_new(o, "probe", probe);
    else json_decref(probe);
    return o;
}

/* The media layer's message about the stored file, for the client: a message that begins with
 * the file's path (the layer names the file it read) says "the upload" there instead; any other
 * (or one naming the path again) is left for the caller's generic words. A server path is no
 * business of the client. */
bool cf_api_about_the_upload(cf_error *err, const char *path) {
    size_t n = strlen(path);
    if (strncmp(err->msg, path, n) != 0 || strstr(err->msg + n, path)) return false;
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "the upload%s", err->msg + n);
    memcpy(err->msg, msg, sizeof msg);
    return true;
}

/* Probes the stored object; CF_ERR_INVALID_MEDIA when it is not media (*told: err's message is
 * about the upload, without the server's path). */
static cf_err probe_object(const cf_pipelines *pl, cf_app *app, const char *key, char **probe_text,
                           bool *told, cf_error *err) {
    *probe_text = NULL;
    *told = false;
    char *path = NULL;
    cf_err rc = cf_storage_local_path(app->storage, key, &path, err);
    json_t *probe = NULL;
    if (rc == CF_OK && (rc = pl->probe_file(path, &probe, err)) != CF_OK)
        *told = cf_api_about_the_upload(err, path);
    free(path);
    if (rc == CF_OK && json_is_true(json_object_get(probe, "still_picture"))) {
        const json_t *v = json_array_get(json_object_get(probe, "streams"),
                                         (size_t)json_integer_value(json_object_get(probe, "video_stream")));
        rc = cf_error_set(err, CF_ERR_UNSUPPORTED,
                          "the upload is a still picture (%s), not a video or a recording",
                          json_string_value(json_object_get(v, "codec")));
        json_decref(probe);
        return rc;
    }
    if (rc == CF_OK) {
        json_object_del(probe, "path"); /* a server path is no business of the client */
        *probe_text = json_dumps(probe, JSON_COMPACT);
        json_decref(probe);
    }
    return rc;
}

enum MHD_Result cf_api_media_keep(cf_http_request *req, const char *mime, const char *raw_name) {
    cf_error err;
    char key[64], sha256[CF_SHA256_HEX];
    cf_api_media_key(req->id, key, sizeof key);
    bool hashed = cf_sha256_end(req->hash, sha256); /* false only when the digest failed */
    req->hash = NULL;
    char *probe = NULL;
    bool told = false;
    const cf_pipelines *pl = cf_pipelines_get(&err);
    cf_err rc = pl ? probe_object(pl, req->app, key, &probe, &told, &err) : err.code;
    if (rc) {
        cf_error ignored;
        cf_storage_remove(req->app->storage, key, &ignored);
        if (!pl) return cf_http_reply_error(req, &err);
        /* media over a limit is named as such (the message names the limit, not the path) */
        if (pl->media_is_limit_error(&err)) return cf_http_reply_problem(req, "invalid-media", err.msg);
        if (rc == CF_ERR_UNSUPPORTED || told)
            return cf_http_reply_problem(req, "unsupported-media-type", err.msg);
        return cf_http_reply_problem(req, "unsupported-media-type",
                                     "the upload is not a media file clipforge can read");
    }
    char *filename = raw_name ? cf_upload_filename(raw_name) : NULL;
    cf_media_record m = {.id = req->id,
                         .key = key,
                         .mime = (char *)(mime ? mime : "application/octet-stream"),
                         .bytes = req->received,
                         .probe = probe,
                         .filename = filename,
                         .tenant = req->who.tenant,
                         .sha256 = hashed ? sha256 : NULL,
                         .created_at = cf_now_ms()};
    rc = cf_store_media_insert(req->app->store, &m, &err);
    if (rc == CF_OK) cf_metrics_tenant_upload(req->who.tenant, req->received);
    json_t *body = rc ? NULL : media_json(req->app, &m);
    free(probe);
    free(filename);
    if (rc) {
        cf_storage_remove(req->app->storage, key, &err);
        return cf_http_reply_error(req, &err);
    }
    char location[64];
    snprintf(location, sizeof location, "/v1/media/%s", req->id);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct MHD_Response *r =
        text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
    return cf_http_reply(req, 201, r);
}

enum MHD_Result cf_api_media_upload(cf_http_request *req) {
    cf_error err;
    if (!req->writer) return cf_http_reply_problem(req, "validation", "empty upload");
    cf_err rc = cf_storage_put_commit(req->app->storage, req->writer, &err);
    req->writer = NULL;
    if (rc) return cf_api_media_abort(req), cf_http_reply_error(req, &err);
    return cf_api_media_keep(req, cf_http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE),
                             cf_http_query(req, "filename"));
}

enum MHD_Result cf_api_media_list(cf_http_request *req) {
    cf_media_filter f = {.limit = DEFAULT_PAGE};
    const char *cursor = cf_http_query(req, "cursor");
    const char *limit = cf_http_query(req, "limit");
    if (cursor && !cf_media_cursor_parse(cursor, &f.before_at, &f.before_id))
        return cf_http_reply_problem(req, "validation", "cursor: not a cursor from this API");
    if (limit) {
        char *end = NULL;
        long v = strtol(limit, &end, 10);
        if (end == limit || *end || v < 1 || v > MAX_PAGE)
            return cf_http_reply_problem(req, "validation", "limit: integer in 1..200");
        f.limit = (size_t)v;
    }
    cf_media_record *rows = NULL;
    size_t n = 0;
    cf_error err;
    f.tenant = req->who.tenant;
    cf_err rc = cf_store_media_list(req->app->store, &f, &rows, &n, &err);
    if (rc == CF_ERR_UNSUPPORTED) return cf_http_reply_problem(req, "unsupported", err.msg);
    if (rc) return cf_http_reply_error(req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(items, media_json(req->app, &rows[i]));
    json_t *body = json_pack("{s:o}", "items", items);
    /* A full page may have more behind it; a short one is the last (next_cursor left out). */
    if (n == f.limit) {
        char next[96];
        cf_media_cursor_format(rows[n - 1].created_at, rows[n - 1].id, next, sizeof next);
        json_object_set_new(body, "next_cursor", json_string(next));
    }
    cf_media_records_free(rows, n);
    return cf_http_reply_json(req, 200, body);
}

enum MHD_Result cf_api_media_get(cf_http_request *req) {
    cf_media_record m;
    cf_error err;
    if (cf_owned_media(req->app->store, req->who.tenant, req->path_param, &m, &err))
        return cf_http_reply_error(req, &err);
    json_t *body = media_json(req->app, &m);
    cf_media_record_free(&m);
    return cf_http_reply_json(req, 200, body);
}

enum MHD_Result cf_api_media_delete(cf_http_request *req) {
    cf_media_record m;
    cf_error err;
    if (cf_owned_media(req->app->store, req->who.tenant, req->path_param, &m, &err))
        return cf_http_reply_error(req, &err);
    cf_err rc = cf_store_media_delete(req->app->store, m.id, &err);
    if (rc == CF_OK) {
        cf_storage_remove(req->app->storage, m.key, &err);
        cf_media_pictures_remove(req->app, m.id);
    }
    cf_media_record_free(&m);
    if (rc) return cf_http_reply_error(req, &err);
    return cf_http_reply(req, 204, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
}

/* routes_transcripts.c — POST /v1/transcripts: a transcript of a media the client brings
 * (Transcript JSON, SubRip or WebVTT as the raw body; UTF-8, UTF-16 or the Windows code pages the
 * caption reader knows), read by the transcription package and stored as Transcript JSON in the
 * caller's tenant's storage, for autoclip's and highlight detection's transcript_uri. A file that
 * cannot be read is refused naming its line, and nothing is kept. GET and DELETE
 * /v1/transcripts/{transcript_id} give back or remove one of the caller's tenant's. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "application/auth.h"
#include "application/job_service.h"
#include "application/quota.h"
#include "application/pipelines.h"
#include "clipforge/fs.h"

/* The body read by the pipelines' reader (it reads files: the body goes to a private temp dir
 * first) as Transcript JSON. *bad: the body is at fault (its error says "the upload", not the
 * temp path); else the server is. */
static cf_err read_body(const cf_http_request *req, json_t **out, bool *bad, cf_error *err) {
    *bad = false;
    const cf_pipelines *pl = cf_pipelines_get(err);
    if (!pl) return err->code;
    char *dir = NULL, *path = NULL;
    cf_err rc = cf_make_temp_dir(NULL, "cf-transcript-", &dir, err);
    if (rc == CF_OK && !(path = cf_path_join(dir, "upload")))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = cf_write_file(path, req->body ? req->body : "", req->body_len, err);
    if (rc == CF_OK && (rc = pl->transcript_load(path, (size_t)CF_TEXT_BODY_MAX, out, err)) != CF_OK &&
        rc != CF_ERR_UNSUPPORTED && rc != CF_ERR_NO_MEMORY) {
        *bad = true;
        if (!cf_api_about_the_upload(err, path))
            cf_error_set(err, rc, "the upload is not a transcript (JSON, SRT or WebVTT)");
    }
    cf_error ignored;
    if (dir) cf_remove_tree(dir, &ignored);
    free(dir);
    free(path);
    return rc;
}

/* Where tenant's uploaded transcripts are kept: under its own prefix, as every file of a
 * tenant other than the default one (cf_tenant_key_allowed). */
static void transcripts_prefix(const char *tenant, char *prefix, size_t cap) {
    if (cf_tenant_is(tenant, CF_DEFAULT_TENANT)) snprintf(prefix, cap, "transcripts/");
    else snprintf(prefix, cap, "tenants/%s/transcripts/", tenant);
}

static void transcript_key(const char *tenant, const char *id, char *key, size_t cap) {
    char prefix[CF_TENANT_MAX + 32];
    transcripts_prefix(tenant, prefix, sizeof prefix);
    snprintf(key, cap, "%s%s.json", prefix, id);
}

static int64_t word_count(const json_t *t) {
    int64_t n = 0;
    size_t i;
    const json_t *seg;
    json_array_foreach(json_object_get(t, "segments"), i, seg) n +=
        (int64_t)json_array_size(json_object_get(seg, "words"));
    return n;
}

/* The 201 answer: the stored transcript's URI and a signed link, and what it holds. */
static json_t *upload_json(cf_http_request *req, const json_t *t, const char *id, const char *key,
                           size_t bytes) {
    char uri[CF_TENANT_MAX + 128];
    snprintf(uri, sizeof uri, "storage://%s", key);
    char *url = NULL;
    cf_error ignored;
    cf_tenant_sign_url(req->app->store, req->app->storage, req->who.tenant, key, req->app->cfg.url_ttl_s,
                       cf_now_ms() / 1000, &url, &ignored);
    json_t *o = json_pack("{s:s, s:s, s:s?, s:O, s:O, s:O, s:I, s:I, s:I}", "id", id, "uri", uri, "url", url,
                          "language", json_object_get(t, "language"), "model", json_object_get(t, "model"),
                          "duration_ms", json_object_get(t, "duration_ms"), "segments",
                          (json_int_t)json_array_size(json_object_get(t, "segments")), "words",
                          (json_int_t)word_count(t), "bytes", (json_int_t)bytes);
    free(url);
    return o;
}

enum MHD_Result cf_api_transcripts_upload(cf_http_request *req) {
    cf_error err;
    cf_quota_verdict v;
    int64_t limit;
    if (cf_quota_check_upload(req->app, req->who.tenant, (int64_t)req->body_len, &limit, &v, &err))
        return cf_http_reply_error(req, &err);
    if (v.exceeded) return cf_http_reply_quota(req, &v);
    json_t *t = NULL;
    bool bad;
    cf_err rc = read_body(req, &t, &bad, &err);
    if (rc) return bad ? cf_http_reply_problem(req, "validation", err.msg) : cf_http_reply_error(req, &err);
    char id[40], key[CF_TENANT_MAX + 96];
    cf_new_id("tr_", id, sizeof id);
    transcript_key(req->who.tenant, id, key, sizeof key);
    char *text = json_dumps(t, JSON_COMPACT);
    size_t bytes = text ? strlen(text) : 0;
    rc = text ? cf_storage_put_buffer(req->app->storage, key, text, bytes, &err)
              : cf_error_set(&err, CF_ERR_NO_MEMORY, "out of memory");
    free(text);
    json_t *body = rc == CF_OK ? upload_json(req, t, id, key, bytes) : NULL;
    json_decref(t);
    if (rc) return cf_http_reply_error(req, &err);
    if (!body) return cf_http_reply_problem(req, "internal", "out of memory");
    return cf_http_reply_json(req, 201, body);
}

/* A stored transcript is at most this large when read back (a 16 MiB caption file as JSON). */
#define STORED_TRANSCRIPT_MAX ((size_t)128 << 20)

/* An id an upload could have made (cf_new_id: "tr_" and lower-case hex). */
static bool id_valid(const char *id, size_t n) {
    bool ok = n > 3 && n <= 64 && !strncmp(id, "tr_", 3);
    for (size_t i = 3; ok && i < n; i++)
        ok = isxdigit((unsigned char)id[i]) && !isupper((unsigned char)id[i]);
    return ok;
}

/* The key of the caller's transcript named by the path, when it exists: an id that no upload
 * could have made is not found, never a key of its own. */
static cf_err owned_key(const cf_http_request *req, char *key, size_t cap, cf_error *err) {
    const char *id = req->path_param;
    if (!id || !id_valid(id, strlen(id))) return cf_error_set(err, CF_ERR_NOT_FOUND, "no such transcript");
    transcript_key(req->who.tenant, id, key, cap);
    cf_storage_info st;
    cf_err rc = cf_storage_stat(req->app->storage, key, &st, err);
    if (rc == CF_ERR_NOT_FOUND) cf_error_set(err, rc, "no such transcript");
    return rc;
}

enum MHD_Result cf_api_transcripts_get(cf_http_request *req) {
    cf_error err;
    char key[CF_TENANT_MAX + 96], *text = NULL;
    size_t len = 0;
    if (owned_key(req, key, sizeof key, &err) ||
        cf_storage_read_all(req->app->storage, key, STORED_TRANSCRIPT_MAX, &text, &len, &err))
        return cf_http_reply_error(req, &err);
    json_t *doc = json_loadb(text, len, 0, NULL);
    free(text);
    if (!doc) return cf_http_reply_problem(req, "internal", "a stored transcript is damaged");
    return cf_http_reply_json(req, 200, doc);
}

enum MHD_Result cf_api_transcripts_delete(cf_http_request *req) {
    cf_error err;
    char key[CF_TENANT_MAX + 96];
    if (owned_key(req, key, sizeof key, &err) || cf_storage_remove(req->app->storage, key, &err))
        return cf_http_reply_error(req, &err);
    return cf_http_reply(req, 204, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
}

/* GET /v1/transcripts lists at most this many, the newest. */
#define LIST_MAX 1000

typedef struct listed {
    char id[68];
    int64_t bytes, mtime;
} listed;

typedef struct listing {
    size_t prefix_len, n, cap;
    listed *items;
    bool failed;
} listing;

static bool collect(void *user, const char *key, const cf_storage_info *st) {
    listing *l = user;
    const char *name = key + l->prefix_len, *dot = strrchr(name, '.');
    if (!dot || strcmp(dot, ".json") || !id_valid(name, (size_t)(dot - name)))
        return true; /* not an upload's */
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        listed *more = realloc(l->items, cap * sizeof *more);
        if (!more) return !(l->failed = true);
        l->items = more, l->cap = cap;
    }
    listed *it = &l->items[l->n++];
    snprintf(it->id, sizeof it->id, "%.*s", (int)(dot - name), name);
    it->bytes = st->size, it->mtime = st->mtime;
    return true;
}

static int newest_first(const void *a, const void *b) {
    const listed *x = a, *y = b;
    if (x->mtime != y->mtime) return x->mtime < y->mtime ? 1 : -1;
    return strcmp(x->id, y->id);
}

static json_t *list_json(const listing *l, const char *prefix) {
    json_t *items = json_array();
    for (size_t i = 0; items && i < l->n && i < LIST_MAX; i++) {
        char uri[CF_TENANT_MAX + 128], created[40];
        snprintf(uri, sizeof uri, "storage://%s%s.json", prefix, l->items[i].id);
        cf_format_timestamp(l->items[i].mtime * 1000, created, sizeof created);
        json_array_append_new(items,
                              json_pack("{s:s, s:s, s:I, s:s}", "id", l->items[i].id, "uri", uri, "bytes",
                                        (json_int_t)l->items[i].bytes, "created_at", created));
    }
    return items ? json_pack("{s:o, s:b}", "items", items, "truncated", l->n > LIST_MAX) : NULL;
}

enum MHD_Result cf_api_transcripts_list(cf_http_request *req) {
    cf_error err;
    char prefix[CF_TENANT_MAX + 32];
    transcripts_prefix(req->who.tenant, prefix, sizeof prefix);
    listing l = {.prefix_len = strlen(prefix)};
    cf_err rc = cf_storage_list(req->app->storage, prefix, collect, &l, &err);
    if (!rc && l.failed) rc = cf_error_set(&err, CF_ERR_NO_MEMORY, "out of memory");
    if (l.n) qsort(l.items, l.n, sizeof *l.items, newest_first);
    json_t *body = rc ? NULL : list_json(&l, prefix);
    free(l.items);
    if (rc) return cf_http_reply_error(req, &err);
    if (!body) return cf_http_reply_problem(req, "internal", "out of memory");
    return cf_http_reply_json(req, 200, body);
}

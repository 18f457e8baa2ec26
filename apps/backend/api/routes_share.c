/* routes_share.c — getting finished clips out:
 *   GET  /v1/archive?jobs=ID,ID,...  the videos the jobs made (an autoclip job's clips, a
 *        render's, a clip's), one zip (libzip; stored, not deflated: video does not shrink),
 *        entries named after the source and the clip's title
 *   POST /v1/share {uri, ttl_s}      a signed link to one job output that works for ttl_s
 *        (default a week, at most 30 days) — for sending a clip to someone
 * The zip is written to a temp file (libzip writes files), unlinked once opened, and sent from
 * its descriptor; it never lives in memory. At most 100 jobs per archive. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "api/api.h"
#include "api/names.h"
#include "application/job_service.h"
#include "clipforge/domain/types.h"
#include "clipforge/fmt.h"
#include "clipforge/fs.h"
#include "clipforge/uri.h"

#define MAX_ARCHIVE_JOBS 100
#define MAX_ENTRIES 2000

typedef struct entry {
    char *key;  /* storage key of the video */
    char *name; /* name in the zip */
} entry;

typedef struct archive {
    cf_app *app;
    const char *tenant; /* only its jobs */
    entry *items;
    size_t n, cap;
    const char *folder; /* the source's name: the folder of this job's entries */
    const char *job_id;
    const char *title; /* a render's title (request) */
} archive;

static bool has_key(const archive *a, const char *key) {
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->items[i].key, key)) return true;
    return false;
}

static bool has_name(const archive *a, const char *name) {
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->items[i].name, name)) return true;
    return false;
}

/* folder/base.ext, with " (2)", " (3)"... when the name is taken. */
static char *unique_name(const archive *a, const char *folder, const char *base, const char *ext) {
    char name[512];
    for (int k = 1; k < 1000; k++) {
        char suffix[16] = "";
        if (k > 1) snprintf(suffix, sizeof suffix, " (%d)", k);
        snprintf(name, sizeof name, "%s/%s%s%s", folder, base, suffix, ext);
        if (!has_name(a, name)) return strdup(name);
    }
    return NULL;
}

/* cf_job_result_each_artifact: keeps every stored video, once. */
static void add_video(void *user, json_t *art, json_t *clip) {
    archive *a = user;
    const char *uri = json_string_value(json_object_get(art, "uri"));
    const char *kind = json_string_value(json_object_get(art, "kind"));
    const char *stored = cf_uri_rest(uri, "storage");
    if (!stored || !kind || strcmp(kind, "video") || a->n >= MAX_ENTRIES) return;
    if (has_key(a, stored)) return;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        entry *grown = realloc(a->items, cap * sizeof *grown);
        if (!grown) return;
        a->items = grown, a->cap = cap;
    }
    const char *title = clip ? json_string_value(json_object_get(clip, "title")) : a->title;
    char base[256], t[160];
    cf_zip_entry_name(title, t, sizeof t);
    if (clip)
        snprintf(base, sizeof base, "%02d %s", (int)json_integer_value(json_object_get(clip, "index")), t);
    else if (title) snprintf(base, sizeof base, "%s", t);
    else cf_zip_entry_name(a->job_id, base, sizeof base);
    const char *dot = strrchr(uri, '.');
    char *name = unique_name(a, a->folder, base, dot && !strchr(dot, '/') ? dot : ".mp4");
    char *key = strdup(stored);
    if (!name || !key) {
        free(name), free(key);
        return;
    }
    entry *e = &a->items[a->n++];
    e->key = key, e->name = name;
}

/* The folder of a job's clips: the source's file name (its id when it has none). */
static void source_folder(cf_app *app, json_t *request, char *out, size_t cap) {
    const char *uri = json_string_value(json_object_get(request, "media_uri"));
    if (!uri) uri = json_string_value(json_object_get(request, "source_uri"));
    const char *id = cf_uri_rest(uri, "media");
    cf_media_record m;
    cf_error err;
    if (id && cf_store_media_get(app->store, id, &m, &err) == CF_OK) {
        char base[160];
        snprintf(base, sizeof base, "%s", m.filename ? m.filename : m.id);
        char *dot = strrchr(base, '.');
        if (dot && dot != base) *dot = '\0';
        cf_zip_entry_name(base, out, cap);
        cf_media_record_free(&m);
        return;
    }
    cf_zip_entry_name(id ? id : "clips", out, cap);
}

/* Adds the videos of job id; CF_ERR_NOT_FOUND / CF_ERR_CONFLICT (not succeeded) otherwise. */
static cf_err add_job(archive *a, const char *id, cf_error *err) {
    cf_job_record j;
    cf_err rc = cf_owned_job(a->app->store, a->tenant, id, &j, err);
    if (rc) return rc;
    json_t *result = j.status == CF_JOB_STATE_SUCCEEDED && j.result ? json_loads(j.result, 0, NULL) : NULL;
    json_t *request = j.request ? json_loads(j.request, 0, NULL) : NULL;
    if (j.status != CF_JOB_STATE_SUCCEEDED)
        rc = cf_error_set(err, CF_ERR_CONFLICT, "job %s is %s: only finished jobs have clips to download", id,
                          cf_job_state_to_string(j.status));
    if (!rc) {
        char folder[160];
        source_folder(a->app, request, folder, sizeof folder);
        a->folder = folder, a->job_id = id;
        a->title = json_string_value(json_object_get(request, "title"));
        cf_job_result_each_artifact(result, add_video, a);
        a->folder = a->title = NULL;
    }
    json_decref(result);
    json_decref(request);
    cf_job_record_free(&j);
    return rc;
}

static void archive_free(archive *a) {
    for (size_t i = 0; i < a->n; i++) free(a->items[i].key), free(a->items[i].name);
    free(a->items);
}

/* Writes the zip of a's entries to a new temp file; *fd reads it (already unlinked). */
static cf_err write_zip(archive *a, int *fd, int64_t *size, cf_error *err) {
    char path[4096];
    if (!cf_fmt(path, sizeof path, "%s/cfzip-XXXXXX", cf_temp_parent(NULL)))
        return cf_error_set(err, CF_ERR_IO, "the temp directory's path is too long");
    int t = mkstemp(path);
    if (t < 0)
        return cf_error_set(err, CF_ERR_IO, "cannot create a temp file for the zip: %s", strerror(errno));
    close(t);
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_TRUNCATE, &zerr);
    cf_err rc = z ? CF_OK : cf_error_set(err, CF_ERR_IO, "cannot start the zip (libzip error %d)", zerr);
    char **locals = calloc(a->n ? a->n : 1, sizeof *locals);
    if (!rc && !locals) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; !rc && i < a->n; i++) {
        rc = cf_storage_local_path(a->app->storage, a->items[i].key, &locals[i], err);
        zip_source_t *src = rc ? NULL : zip_source_file(z, locals[i], 0, 0);
        zip_int64_t idx = src ? zip_file_add(z, a->items[i].name, src, ZIP_FL_ENC_UTF_8) : -1;
        if (!rc && idx < 0) {
            if (src) zip_source_free(src);
            rc = cf_error_set(err, CF_ERR_IO, "cannot add %s to the zip: %s", a->items[i].name,
                              zip_strerror(z));
        }
        if (!rc) zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    if (!rc && zip_close(z) < 0) {
        rc = cf_error_set(err, CF_ERR_IO, "cannot write the zip: %s", zip_strerror(z));
        zip_discard(z); /* a failed zip_close leaves the archive open */
    } else if (rc && z) {
        zip_discard(z);
    }
    for (size_t i = 0; locals && i < a->n; i++) free(locals[i]);
    free(locals);
    struct stat st;
    *fd = rc ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    if (!rc && (*fd < 0 || fstat(*fd, &st) != 0))
        rc = cf_error_set(err, CF_ERR_IO, "cannot read the zip back: %s", strerror(errno));
    if (!rc) *size = st.st_size;
    unlink(path); /* the open descriptor keeps it readable; nothing stays behind */
    return rc;
}

/* Splits "a,b,c" into a's jobs. */
static cf_err add_jobs(archive *a, const char *list, cf_error *err) {
    size_t commas = 0;
    for (const char *p = list; *p; p++) commas += *p == ',';
    if (commas >= MAX_ARCHIVE_JOBS)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "jobs: at most %d", MAX_ARCHIVE_JOBS);
    char *copy = strdup(list), *save = NULL;
    if (!copy) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = CF_OK;
    size_t n = 0;
    for (char *id = strtok_r(copy, ",", &save); !rc && id; id = strtok_r(NULL, ",", &save), n++) {
        if (strlen(id) > 64)
            rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "jobs: '%.64s...' is not a job id", id);
        else rc = add_job(a, id, err);
    }
    free(copy);
    if (!rc && !n)
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "jobs: required, job ids separated by commas");
    return rc;
}

enum MHD_Result cf_api_archive(cf_http_request *req) {
    const char *jobs = cf_http_query(req, "jobs");
    if (!jobs) return cf_http_reply_problem(req, "validation", "jobs: required, job ids separated by commas");
    archive a = {.app = req->app, .tenant = req->who.tenant};
    cf_error err;
    cf_err rc = add_jobs(&a, jobs, &err);
    if (!rc && !a.n) rc = cf_error_set(&err, CF_ERR_NOT_FOUND, "these jobs made no video to download");
    int fd = -1;
    int64_t size = 0;
    if (!rc) rc = write_zip(&a, &fd, &size, &err);
    archive_free(&a);
    if (rc) return cf_http_reply_error(req, &err);
    struct MHD_Response *r = MHD_create_response_from_fd64((uint64_t)size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/zip");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
                            "attachment; filename=\"clipforge-clips.zip\"");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return cf_http_reply(req, 200, r);
}

enum MHD_Result cf_api_share(cf_http_request *req) {
    cf_share_create sc;
    cf_error err;
    if (cf_share_create_from_json(req->json, &sc, &err))
        return cf_http_reply_problem(req, "validation", err.msg);
    const char *key = cf_uri_rest(sc.uri, "storage");
    cf_err rc = key && !strncmp(key, "jobs/", 5) && cf_storage_key_valid(key)
                    ? CF_OK
                    : cf_error_set(&err, CF_ERR_INVALID_ARGUMENT,
                                   "uri: only files jobs made (storage://jobs/...) can be shared");
    /* another tenant's file is as unknown as a file that does not exist */
    if (!rc && !cf_tenant_key_allowed(req->app->store, req->who.tenant, key))
        rc = cf_error_set(&err, CF_ERR_NOT_FOUND, "uri: no such file");
    cf_storage_info st;
    if (!rc) rc = cf_storage_stat(req->app->storage, key, &st, &err);
    if (rc == CF_ERR_NOT_FOUND) cf_error_set(&err, CF_ERR_NOT_FOUND, "uri: no such file");
    char *url = NULL;
    int64_t now_s = cf_now_ms() / 1000;
    if (!rc)
        rc = cf_tenant_sign_url(req->app->store, req->app->storage, req->who.tenant, key, sc.ttl_s, now_s,
                                &url, &err);
    json_t *body = NULL;
    if (!rc) {
        char expires[40];
        cf_format_timestamp((now_s + sc.ttl_s) * 1000, expires, sizeof expires);
        cf_share_link link = {.uri = sc.uri, .url = url, .expires_at = expires};
        body = cf_share_link_to_json(&link);
    }
    free(url);
    cf_share_create_free(&sc);
    if (rc) return cf_http_reply_error(req, &err);
    return cf_http_reply_json(req, 201, body);
}

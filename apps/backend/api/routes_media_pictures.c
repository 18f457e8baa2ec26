/* routes_media_pictures.c — pictures of uploaded media for the web UI:
 *   GET /v1/media/{media_id}/waveform   audio peaks (MediaWaveform JSON)
 *   GET /v1/media/{media_id}/filmstrip  frames on one JPEG sprite sheet (MediaFilmstrip JSON + signed url)
 *   GET /v1/media/{media_id}/poster     a frame that is not black (image/jpeg)
 *   GET /v1/media/{media_id}/camera-path?start_ms=&end_ms=&width=&height=
 *        the smart-crop camera path the render follows over a span on a canvas of that size
 *        (SmartCropPath JSON), for the browser's preview (kept per span and aspect)
 *   GET /v1/media/{media_id}/split-framing?start_ms=&end_ms=&width=&height=
 *        the regions a split scene's panels show (SplitFraming JSON), likewise
 * Each is computed once, on first request, by libcfclip (cf_waveform_compute,
 * cf_filmstrip_compute, cf_poster_compute, reached through the pipelines module), and kept in storage under
 * previews/<id>/; later requests read it back. Requests for a picture being computed wait for it instead of
 * computing it again (one flight per key). Deleting the media deletes its pictures. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "application/pipelines.h"
#include "clipforge/media_pictures.h"
#include "clipforge/render.h"

#define MAX_CACHED_JSON (4 * 1024 * 1024)
#define MAX_FLIGHTS 64
/* The longest span a framing is analysed for: a clip, not a film. */
#define MAX_FRAMING_SPAN_MS (5 * 60 * 1000)

typedef enum picture_kind {
    PIC_WAVEFORM,
    PIC_FILMSTRIP,
    PIC_POSTER,
    PIC_CAMERA_PATH,
    PIC_SPLIT_FRAMING
} picture_kind;

/* A picture to make: its kind, the object whose presence says it is ready, and for a scene's
 * framing (camera path, split) the span and the canvas's aspect. */
typedef struct picture {
    picture_kind kind;
    char key[160];
    long long start_ms, end_ms;
    double aspect;
} picture;

/* Framings are kept as previews/<id>/<prefix><start>-<end>-<w>x<h>.json. */
static const char *const FRAMING_PREFIX[] = {[PIC_CAMERA_PATH] = "camera-", [PIC_SPLIT_FRAMING] = "split-"};

/* The object whose presence says the picture is ready (the filmstrip's sheet is stored first). */
static const char *const READY_NAME[] = {"waveform.json", "filmstrip.json", "poster.jpg"};

static void picture_key(const char *media_id, const char *name, char *key, size_t cap) {
    snprintf(key, cap, "previews/%s/%s", media_id, name);
}

/* ---- one flight per key ------------------------------------------------------------------- */

/* Keys being computed now, shared by every request thread: flights_lock guards both. */
static pthread_mutex_t flights_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flights_done = PTHREAD_COND_INITIALIZER;
static char flights[MAX_FLIGHTS][sizeof((picture *)0)->key];

static int flight_find(const char *key) {
    for (int i = 0; i < MAX_FLIGHTS; i++)
        if (!strcmp(flights[i], key)) return i;
    return -1;
}

/* True when key is now the caller's flight; false after waiting for another request's flight
 * of key to end. */
static bool flight_begin(const char *key) {
    pthread_mutex_lock(&flights_lock);
    bool waited = false;
    int free_slot = -1;
    while (flight_find(key) >= 0 || (free_slot = flight_find("")) < 0) {
        waited = waited || flight_find(key) >= 0;
        pthread_cond_wait(&flights_done, &flights_lock);
    }
    if (!waited) snprintf(flights[free_slot], sizeof flights[free_slot], "%s", key);
    pthread_mutex_unlock(&flights_lock);
    return !waited;
}

static void flight_end(const char *key) {
    pthread_mutex_lock(&flights_lock);
    int i = flight_find(key);
    if (i >= 0) flights[i][0] = '\0';
    pthread_cond_broadcast(&flights_done);
    pthread_mutex_unlock(&flights_lock);
}

/* ---- computing -------------------------------------------------------------------------- */

static cf_err store_json(cf_app *app, const char *key, json_t *doc, cf_error *err) {
    /* three significant digits are what a picture needs, and keep an hour's peaks small */
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(3)) : NULL;
    json_decref(doc);
    if (!text) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = cf_storage_put_buffer(app->storage, key, text, strlen(text), err);
    free(text);
    return rc;
}

static cf_err compute_waveform(const cf_pipelines *pl, cf_app *app, const char *id, const char *path,
                               cf_error *err) {
    cf_media_waveform w;
    cf_err rc = pl->waveform_compute(path, 0, NULL, &w, err);
    if (rc) return rc;
    char key[128];
    picture_key(id, "waveform.json", key, sizeof key);
    w.media_id = strdup(id);
    rc = w.media_id ? store_json(app, key, cf_media_waveform_to_json(&w), err)
                    : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_media_waveform_free(&w);
    return rc;
}

static cf_err compute_filmstrip(const cf_pipelines *pl, cf_app *app, const char *id, const char *path,
                                cf_error *err) {
    cf_media_filmstrip f;
    cf_jpeg sheet;
    cf_err rc = pl->filmstrip_compute(path, NULL, NULL, &f, &sheet, err);
    if (rc) return rc;
    char key[128];
    picture_key(id, "filmstrip.jpg", key, sizeof key);
    rc = cf_storage_put_buffer(app->storage, key, sheet.data, sheet.size, err);
    pl->jpeg_free(&sheet);
    picture_key(id, "filmstrip.json", key, sizeof key);
    if (!rc && !(f.media_id = strdup(id))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!rc) rc = store_json(app, key, cf_media_filmstrip_to_json(&f), err);
    cf_media_filmstrip_free(&f);
    return rc;
}

static cf_err compute_poster(const cf_pipelines *pl, cf_app *app, const char *id, const char *path,
                             cf_error *err) {
    cf_jpeg poster;
    cf_err rc = pl->poster_compute(path, 0, &poster, NULL, err);
    if (rc) return rc;
    char key[128];
    picture_key(id, "poster.jpg", key, sizeof key);
    rc = cf_storage_put_buffer(app->storage, key, poster.data, poster.size, err);
    pl->jpeg_free(&poster);
    return rc;
}

static cf_err compute_framing(const cf_pipelines *pl, cf_app *app, const picture *p, const char *path,
                              cf_error *err) {
    json_t *doc = NULL;
    cf_err rc = p->kind == PIC_CAMERA_PATH
                    ? pl->camera_path(path, p->start_ms, p->end_ms, p->aspect, NULL, &doc, err)
                    : pl->split_framing(path, p->start_ms, p->end_ms, p->aspect, NULL, &doc, err);
    return rc ? rc : store_json(app, p->key, doc, err);
}

/* Messages of the pipelines name the file; a client is told the media instead. */
static void scrub_path(cf_error *err, const char *path, const char *media_id) {
    char *at = strstr(err->msg, path);
    if (!at) return;
    char rest[sizeof err->msg];
    snprintf(rest, sizeof rest, "%s", at + strlen(path));
    snprintf(at, sizeof err->msg - (size_t)(at - err->msg), "media %s%s", media_id, rest);
}

/* Makes sure the picture p of media m exists in storage, computing it when it does not. A
 * request that waited for another's flight which failed computes it again, to say why. */
static cf_err ensure(cf_app *app, const cf_media_record *m, const picture *p, cf_error *err) {
    cf_storage_info st;
    while (!flight_begin(p->key))
        if (cf_storage_stat(app->storage, p->key, &st, err) == CF_OK) return CF_OK;
    char *path = NULL;
    cf_err rc = CF_OK;
    if (cf_storage_stat(app->storage, p->key, &st, err) != CF_OK) {
        const cf_pipelines *pl = cf_pipelines_get(err);
        rc = pl ? cf_storage_local_path(app->storage, m->key, &path, err) : err->code;
        if (!rc && p->kind == PIC_WAVEFORM) rc = compute_waveform(pl, app, m->id, path, err);
        if (!rc && p->kind == PIC_FILMSTRIP) rc = compute_filmstrip(pl, app, m->id, path, err);
        if (!rc && p->kind == PIC_POSTER) rc = compute_poster(pl, app, m->id, path, err);
        if (!rc && (p->kind == PIC_CAMERA_PATH || p->kind == PIC_SPLIT_FRAMING))
            rc = compute_framing(pl, app, p, path, err);
    }
    if (rc && path) scrub_path(err, path, m->id);
    free(path);
    flight_end(p->key);
    return rc;
}

/* ---- handlers ---------------------------------------------------------------------------- */

/* The media of the request, and its picture p ready in storage (p->key filled in for the
 * kinds of one picture a media); answers the problem otherwise (false). */
static bool prepare(cf_http_request *req, picture *p, cf_media_record *m, enum MHD_Result *answer) {
    cf_error err;
    if (cf_owned_media(req->app->store, req->who.tenant, req->path_param, m, &err)) {
        *answer = cf_http_reply_error(req, &err);
        return false;
    }
    if (p->kind < PIC_CAMERA_PATH) picture_key(m->id, READY_NAME[p->kind], p->key, sizeof p->key);
    if (ensure(req->app, m, p, &err)) {
        cf_media_record_free(m);
        /* a picture the media cannot have (no audio, no video) is the media's trait, not a fault */
        *answer = cf_http_reply_error(req, &err);
        return false;
    }
    return true;
}

static enum MHD_Result reply_cached_json(cf_http_request *req, const char *key, const char *sign_key) {
    cf_error err;
    char *text = NULL;
    size_t len = 0;
    if (cf_storage_read_all(req->app->storage, key, MAX_CACHED_JSON, &text, &len, &err))
        return cf_http_reply_error(req, &err);
    json_t *doc = json_loadb(text, len, 0, NULL);
    free(text);
    if (!doc) return cf_http_reply_problem(req, "internal", "a stored picture description is damaged");
    if (sign_key) {
        char *url = NULL;
        if (cf_tenant_sign_url(req->app->store, req->app->storage, req->who.tenant, sign_key,
                               req->app->cfg.url_ttl_s, cf_now_ms() / 1000, &url, &err) == CF_OK)
            json_object_set_new(doc, "url", json_string(url));
        free(url);
    }
    text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(3));
    json_decref(doc);
    if (!text) return cf_http_reply_problem(req, "internal", "out of memory");
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    /* short: the filmstrip's url is signed and expires */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "private, max-age=300");
    return cf_http_reply(req, 200, r);
}

enum MHD_Result cf_api_media_waveform(cf_http_request *req) {
    cf_media_record m;
    enum MHD_Result answer;
    picture p = {.kind = PIC_WAVEFORM};
    if (!prepare(req, &p, &m, &answer)) return answer;
    char key[128];
    picture_key(m.id, "waveform.json", key, sizeof key);
    cf_media_record_free(&m);
    return reply_cached_json(req, key, NULL);
}

enum MHD_Result cf_api_media_filmstrip(cf_http_request *req) {
    cf_media_record m;
    enum MHD_Result answer;
    picture p = {.kind = PIC_FILMSTRIP};
    if (!prepare(req, &p, &m, &answer)) return answer;
    char key[128], sheet[128];
    picture_key(m.id, "filmstrip.json", key, sizeof key);
    picture_key(m.id, "filmstrip.jpg", sheet, sizeof sheet);
    cf_media_record_free(&m);
    return reply_cached_json(req, key, sheet);
}

enum MHD_Result cf_api_media_poster(cf_http_request *req) {
    cf_media_record m;
    enum MHD_Result answer;
    picture p = {.kind = PIC_POSTER};
    if (!prepare(req, &p, &m, &answer)) return answer;
    char key[128];
    picture_key(m.id, "poster.jpg", key, sizeof key);
    cf_media_record_free(&m);
    cf_error err;
    int fd = -1;
    cf_storage_info st;
    if (cf_storage_open_read(req->app->storage, key, &fd, &st, &err)) return cf_http_reply_error(req, &err);
    struct MHD_Response *r = MHD_create_response_from_fd64((uint64_t)st.size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "image/jpeg");
    /* a media id's content never changes */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "private, max-age=86400");
    return cf_http_reply(req, 200, r);
}

static bool query_int(cf_http_request *req, const char *name, long long lo, long long hi, long long *out) {
    const char *s = cf_http_query(req, name);
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* A scene's framing over ?start_ms=&end_ms= on a ?width=&height= canvas, made once and kept. */
static enum MHD_Result framing(cf_http_request *req, picture_kind kind) {
    long long w, h;
    picture p = {.kind = kind};
    if (!query_int(req, "start_ms", 0, INT64_MAX / 2, &p.start_ms) ||
        !query_int(req, "end_ms", 1, INT64_MAX / 2, &p.end_ms))
        return cf_http_reply_problem(req, "validation",
                                     "start_ms and end_ms: the span, integer milliseconds");
    if (p.end_ms <= p.start_ms || p.end_ms - p.start_ms > MAX_FRAMING_SPAN_MS)
        return cf_http_reply_problem(req, "validation", "end_ms: after start_ms, at most 300000 ms after it");
    if (!query_int(req, "width", 2, 16384, &w) || !query_int(req, "height", 2, 16384, &h))
        return cf_http_reply_problem(req, "validation",
                                     "width and height: the canvas, integer pixels in 2..16384");
    p.aspect = (double)w / (double)h;
    char name[96];
    snprintf(name, sizeof name, "%s%lld-%lld-%lldx%lld.json", FRAMING_PREFIX[kind], p.start_ms, p.end_ms, w,
             h);
    picture_key(req->path_param, name, p.key, sizeof p.key);
    cf_media_record m;
    enum MHD_Result answer;
    if (!prepare(req, &p, &m, &answer)) return answer;
    cf_media_record_free(&m);
    return reply_cached_json(req, p.key, NULL);
}

enum MHD_Result cf_api_media_camera_path(cf_http_request *req) {
    return framing(req, PIC_CAMERA_PATH);
}

enum MHD_Result cf_api_media_split_framing(cf_http_request *req) {
    return framing(req, PIC_SPLIT_FRAMING);
}

void cf_media_pictures_remove(cf_app *app, const char *media_id) {
    static const char *const names[] = {"waveform.json", "filmstrip.json", "filmstrip.jpg", "poster.jpg"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char key[128];
        cf_error err;
        picture_key(media_id, names[i], key, sizeof key);
        cf_storage_remove(app->storage, key, &err); /* absent is fine */
    }
    for (int kind = PIC_CAMERA_PATH; kind <= PIC_SPLIT_FRAMING; kind++) {
        char prefix[128];
        cf_error err;
        picture_key(media_id, FRAMING_PREFIX[kind], prefix, sizeof prefix);
        cf_storage_remove_under(app->storage, prefix, NULL, NULL, &err);
    }
}

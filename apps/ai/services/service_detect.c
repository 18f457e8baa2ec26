/* service_detect.c — one detection in the inference service: the registry's assignment, the
 * feature track (from the store by content hash, else decoded over HTTP ranges and stored), the
 * warm engines. Transport failures while reading the media are CF_ERR_UNAVAILABLE (the caller
 * may try elsewhere), not invalid media. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/log.h"
#include "clipforge/uri.h"
#include "registry/assign.h"
#include "services/ai_service.h"
#include "services/http_media.h"

/* The A/B key: the media id, else its content hash. */
static cf_err media_key(void *user, char *key, size_t cap, cf_error *err) {
    const cf_highlight_detection_request *req = user;
    if (req->media_id) snprintf(key, cap, "%s", req->media_id);
    else if (req->media_sha256) snprintf(key, cap, "sha256:%s", req->media_sha256);
    else
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_id or media_sha256: needed by an A/B split");
    return CF_OK;
}

static cf_err validate(const cf_highlight_detection_request *req, cf_error *err) {
    if (!req->media_uri || !cf_uri_is_http(req->media_uri))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_uri: must be a signed http(s) URL");
    if (req->media_sha256 && !cf_sha256_valid(req->media_sha256))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_sha256: 64 lower-case hex digits");
    if (req->transcript_uri)
        return cf_error_set(err, CF_ERR_UNSUPPORTED,
                            "transcript_uri: transcript-aware detection runs in the backend");
    return CF_OK;
}

/* Decodes the media over HTTP ranges. */
static cf_err decode_remote(cf_ai_service *svc, const cf_highlight_detection_request *req,
                            cf_progress *progress, cf_feature_track **track, cf_error *err) {
    cf_http_media_options mo = {.progress = progress};
    cf_http_media *m = NULL;
    cf_err rc = cf_http_media_open(req->media_uri, &mo, &m, err);
    if (rc) return rc;
    cf_feature_options fo = {
        .threads = (int)svc->cfg->threads,
        .skip_loop_filter = true,
        .models_dir = svc->models_dir,
        .io = cf_http_media_avio(m),
        .select = {.has_audio_stream = req->has_audio_stream, .audio_stream = (int)req->audio_stream}};
    rc = cf_features_extract("media", &fo, progress, track, err);
    cf_error net;
    if (rc && rc != CF_ERR_CANCELLED && cf_http_media_failed(m, &net)) *err = net, rc = net.code;
    int64_t bytes = 0, requests = 0;
    cf_http_media_stats(m, &bytes, &requests);
    atomic_fetch_add(&svc->media_bytes, bytes);
    atomic_fetch_add(&svc->media_requests, requests);
    cf_http_media_close(m);
    return rc;
}

static cf_err features(cf_ai_service *svc, const cf_highlight_detection_request *req, cf_progress *progress,
                       cf_feature_track **track, cf_error *err) {
    cf_error miss;
    char events[64] = "";
    cf_audio_events_model_current(svc->models_dir, events, sizeof events);
    cf_err rc;
    /* stored features are the default streams': another audio stream is decoded each time */
    bool stored = svc->features && req->media_sha256 && !req->has_audio_stream;
    if (stored &&
        cf_feature_store_get(svc->features, req->media_sha256, events, track, NULL, &miss) == CF_OK) {
        cf_progress_report(progress, 0.95, "stored features");
        return CF_OK;
    }
    rc = decode_remote(svc, req, progress, track, err);
    if (!rc && stored) {
        json_t *meta = json_pack("{s:s, s:s}", "extracted_by", svc->instance, "media_id",
                                 req->media_id ? req->media_id : "");
        cf_error perr;
        if (cf_feature_store_put(svc->features, req->media_sha256, *track, meta, &perr))
            cf_log_warn("ai", "cannot store features: %s", perr.msg);
        json_decref(meta);
    }
    return rc;
}

/* Runs the engines over track: the media is not read again (no transcript here), so the
 * request names a placeholder instead of the URL the package would refuse to open. */
static cf_err score(cf_ai_service *svc, cf_highlight_detection_request *req, const cf_feature_track *track,
                    cf_highlight_detection_result *out, cf_error *err) {
    char note[512] = "";
    cf_hl_options o = {
        .paths = {.profiles_dir = svc->cfg->highlight_profiles_dir, .models_dir = svc->models_dir},
        .registry = svc->engines,
        .note = note,
        .note_len = sizeof note};
    char *url = req->media_uri;
    req->media_uri = "remote-media";
    pthread_mutex_lock(&svc->engines_lock);
    cf_err rc = cf_highlight_detect_track(req, &o, track, out, err);
    pthread_mutex_unlock(&svc->engines_lock);
    if (!rc) cf_ai_service_note_loaded(svc, out->model_version, out->engine);
    req->media_uri = url;
    if (!rc && note[0]) cf_log_debug("ai", "routing: %s", note);
    return rc;
}

cf_err cf_ai_service_detect(cf_ai_service *svc, cf_highlight_detection_request *req, cf_progress *progress,
                            cf_highlight_detection_result *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_feature_track *track = NULL;
    char why[256] = "";
    cf_err rc = validate(req, err);
    if (!rc) rc = cf_highlight_assign(svc->models_dir, req, media_key, req, why, sizeof why, err);
    if (!rc && why[0]) cf_log_info("ai", "clip %s: %s", req->clip_id, why);
    if (!rc) rc = features(svc, req, progress, &track, err);
    if (!rc) {
        cf_progress_report(progress, 0.96, "scoring");
        rc = score(svc, req, track, out, err);
    }
    cf_feature_track_free(track);
    atomic_fetch_add(rc ? &svc->detections_failed : &svc->detections_ok, 1);
    return rc;
}

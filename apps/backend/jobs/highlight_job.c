/* highlight_job.c — highlight_detection: parse the request with the generated domain parser,
 * resolve media:// (and a storage:// transcript), run detection with the service's profile, model and feature-cache settings
 * and answer the HighlightDetectionResult. Nothing is stored: the result is the output. */
#include "jobs/highlight_job.h"

#include <stdlib.h>
#include <string.h>

#include "clipforge/domain/types.h"
#include "clipforge/highlight.h"
#include "clipforge/log.h"
#include "features/feature_store.h"
#include "registry/assign.h"

/* The A/B key of a job's media: its id. */
static cf_err media_id_key(void *user, char *key, size_t cap, cf_error *err) {
    const char *uri = user;
    if (strncmp(uri, "media://", 8) || strlen(uri + 8) >= cap)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_uri: not a media:// id");
    snprintf(key, cap, "%s", uri + 8);
    return CF_OK;
}

cf_err cf_highlight_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                                 cf_error *err) {
    (void)cfg;
    cf_highlight_detection_request req;
    memset(&req, 0, sizeof req);
    cf_err rc = cf_highlight_detection_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = cf_job_require_media("media_uri", req.media_uri, err);
    if (rc == CF_OK && req.transcript_uri && strncmp(req.transcript_uri, "storage://", 10))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                          "transcript_uri: must be storage://<key> (a transcription job's "
                          "transcript.json or captions)");
    if (rc == CF_OK && !(*normalized = cf_highlight_detection_request_to_json(&req)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_highlight_detection_request_free(&req);
    return rc;
}

/* Features of the local copy of the media (source): from the feature store in the job's
 * storage, keyed by content, else decoded and stored. */
static cf_err features(cf_job_context *ctx, const char *media_uri, const char *source,
                       cf_feature_track **track, cf_error *err) {
    const cf_config *cfg = ctx->cfg;
    char *cache = cf_feature_cache_dir(cfg->feature_cache_dir, cfg->data_dir);
    cf_feature_options fo = {.threads = (int)cfg->threads, .cache_dir = cache, .skip_loop_filter = true};
    cf_feature_store *fs = NULL;
    json_t *meta = json_pack("{s:s}", "media_id", media_uri + strlen("media://"));
    cf_err rc = cache ? cf_feature_store_open(ctx->storage, cache, &fs, err) : CF_OK;
    if (rc == CF_OK) rc = cf_feature_store_extract(fs, source, &fo, meta, ctx->progress, track, NULL, err);
    cf_feature_store_free(fs);
    json_decref(meta);
    free(cache);
    return rc;
}

/* Detection in this process over the local copy of the media (source) and transcript. */
static cf_err detect_local(cf_job_context *ctx, cf_highlight_detection_request *req, char *source,
                           char *transcript, cf_highlight_detection_result *res, cf_error *err) {
    const cf_config *cfg = ctx->cfg;
    cf_hl_options o = {.paths = {cfg->highlight_profiles_dir, cfg->highlight_models_dir}};
    cf_feature_track *track = NULL;
    cf_err rc = features(ctx, req->media_uri, source, &track, err);
    if (rc) return rc;
    cf_progress_report(ctx->progress, 0.96, "scoring");
    char *media_id = req->media_uri, *transcript_id = req->transcript_uri;
    req->media_uri = source;
    req->transcript_uri = transcript;
    rc = cf_highlight_detect_track(req, &o, track, res, err);
    req->media_uri = media_id;
    req->transcript_uri = transcript_id;
    cf_feature_track_free(track);
    if (rc == CF_OK) cf_progress_report(ctx->progress, 1.0, "done");
    return rc;
}

cf_err cf_highlight_job_run(cf_job_context *ctx, const json_t *request, json_t **result,
                            cf_error *err) {
    cf_highlight_detection_request req;
    cf_highlight_detection_result res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    char *source = NULL, *transcript = NULL, why[256] = "";
    cf_hl_paths paths = {ctx->cfg->highlight_profiles_dir, ctx->cfg->highlight_models_dir};
    cf_err rc = cf_highlight_detection_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = cf_job_resolve_source(ctx, req.media_uri, &source, err);
    if (rc == CF_OK && req.transcript_uri) {
        rc = cf_job_resolve_source(ctx, req.transcript_uri, &transcript, err);
        if (rc) cf_error_prefix(err, "transcript_uri");
    }
    if (rc == CF_OK)
        rc = cf_highlight_assign(cf_hl_models_dir(&paths), &req, media_id_key, req.media_uri, why,
                                 sizeof why, err);
    if (rc == CF_OK && why[0]) cf_log_info("highlight", "job %s: %s", ctx->job_id, why);
    if (rc == CF_OK) rc = detect_local(ctx, &req, source, transcript, &res, err);
    if (rc == CF_OK && !(*result = cf_highlight_detection_result_to_json(&res)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    free(source);
    free(transcript);
    cf_highlight_detection_request_free(&req);
    cf_highlight_detection_result_free(&res);
    return rc;
}

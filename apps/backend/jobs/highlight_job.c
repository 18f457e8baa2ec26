/* highlight_job.c — highlight_detection: parse the request with the generated domain parser;
 * with inference services configured (CLIPFORGE_AI_URL), send it to one with the media as a
 * signed URL (engine "remote"); otherwise, or when no service answers (the result's
 * fallback_reason says why), resolve media:// (and a storage:// transcript) and detect here with
 * the registry's model, the feature store and the configured profiles. The highlight.remote
 * feature flag (by tenant and media) decides whether a detection may go to the services at all.
 * Nothing is stored: the result is the output. */
#include "jobs/highlight_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "application/auth.h"
#include "application/feature_flags.h"
#include "clipforge/domain/types.h"
#include "clipforge/highlight.h"
#include "clipforge/log.h"
#include "clipforge/uri.h"
#include "features/feature_store.h"
#include "infrastructure/ai_remote.h"
#include "registry/assign.h"

/* The A/B key of a job's media: its id. */
static cf_err media_id_key(void *user, char *key, size_t cap, cf_error *err) {
    const char *id = cf_uri_rest(user, "media");
    if (!id || strlen(id) >= cap)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_uri: not a media:// id");
    snprintf(key, cap, "%s", id);
    return CF_OK;
}

cf_err cf_highlight_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                                 cf_error *err) {
    (void)cfg;
    cf_highlight_detection_request req;
    memset(&req, 0, sizeof req);
    cf_err rc = cf_highlight_detection_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = cf_job_require_media("media_uri", req.media_uri, err);
    if (rc == CF_OK && (req.media_id || req.media_sha256))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_id, media_sha256: set by the server");
    if (rc == CF_OK && req.transcript_uri)
        rc = cf_job_require_transcript("transcript_uri", req.transcript_uri, err);
    if (rc == CF_OK && !(*normalized = cf_highlight_detection_request_to_json(&req)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_highlight_detection_request_free(&req);
    return rc;
}

/* Media stored before hashes were taken at upload get the hash of their local copy once it is
 * read (so the next remote detection of them, from any storage, carries it). Not fatal. */
static void remember_hash(cf_job_context *ctx, const char *media_id, const char *sha) {
    cf_error err;
    if (cf_store_media_set_sha256(ctx->store, media_id, sha, &err))
        cf_log_warn("highlight", "job %s: cannot record the hash of media %s: %s", ctx->job_id, media_id,
                    err.msg);
}

/* Features of the local copy of the media (source): from the feature store in the job's
 * storage, keyed by content (the hash taken at upload when the media record has one, so the
 * copy is not read for it), else decoded and stored. */
static cf_err features(cf_job_context *ctx, const cf_highlight_detection_request *req, const char *source,
                       cf_feature_track **track, cf_error *err) {
    const cf_config *cfg = ctx->cfg;
    char *cache = cf_feature_cache_dir(cfg->feature_cache_dir, cfg->data_dir);
    cf_feature_options fo = {
        .threads = (int)cfg->threads,
        .cache_dir = cache,
        .skip_loop_filter = true,
        .models_dir = cfg->highlight_models_dir,
        .select = {.has_audio_stream = req->has_audio_stream, .audio_stream = (int)req->audio_stream}};
    cf_feature_store *fs = NULL;
    json_t *meta = json_pack("{s:s}", "media_id", req->media_uri + strlen("media://"));
    cf_err rc = cache ? cf_feature_store_open(ctx->storage, cache, &fs, err) : CF_OK;
    char sha[CF_SHA256_HEX] = "";
    const char *media_id = req->media_uri + strlen("media://");
    cf_media_record m;
    cf_error ignored;
    if (cf_owned_media(ctx->store, ctx->tenant, media_id, &m, &ignored) == CF_OK) {
        if (cf_sha256_valid(m.sha256)) memcpy(sha, m.sha256, CF_SHA256_HEX);
        cf_media_record_free(&m);
    }
    bool known = sha[0] != '\0';
    if (rc == CF_OK) rc = cf_feature_store_extract(fs, source, &fo, meta, ctx->progress, track, sha, err);
    if (rc == CF_OK && !known && sha[0]) remember_hash(ctx, media_id, sha);
    cf_feature_store_free(fs);
    json_decref(meta);
    free(cache);
    return rc;
}

/* Detection in this process over the local copy of the media (source) and transcript. */
static cf_err detect_local(cf_job_context *ctx, cf_highlight_detection_request *req, char *source,
                           char *transcript, cf_highlight_detection_result *res, cf_error *err) {
    const cf_config *cfg = ctx->cfg;
    cf_hl_options o = {.paths = {cfg->highlight_profiles_dir, cfg->highlight_models_dir},
                       .subtitles = req->subtitles};
    cf_feature_track *track = NULL;
    cf_err rc = features(ctx, req, source, &track, err);
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

/* Where a signed path ("/v1/files/...") is served: CLIPFORGE_PUBLIC_URL, else this API's
 * listen address (a wildcard listen is reached on loopback). */
static void public_base(const cf_config *cfg, char *out, size_t cap) {
    if (cfg->public_url && *cfg->public_url) {
        snprintf(out, cap, "%s", cfg->public_url);
        size_t n = strlen(out);
        if (n && out[n - 1] == '/') out[n - 1] = '\0';
        return;
    }
    const char *listen = cfg->listen, *port = strrchr(listen, ':');
    size_t host = port ? (size_t)(port - listen) : strlen(listen);
    const char *wild = !strncmp(listen, "0.0.0.0:", 8) ? "127.0.0.1"
                       : !strncmp(listen, "[::]:", 5)  ? "[::1]"
                                                       : NULL;
    if (wild) snprintf(out, cap, "http://%s%s", wild, port ? port : "");
    else snprintf(out, cap, "http://%.*s%s", (int)host, listen, port ? port : "");
}

/* A URL the inference service can fetch the media from, and its content hash: the one taken as
 * it was uploaded or imported, else (media stored before hashes were kept) the local file's when
 * the storage holds it as one (hashing an object elsewhere would mean downloading it here), then
 * recorded with the media. That hash is the job's first share; a cancel stops it (the call to the
 * service then sees it). */
static cf_err media_for_service(cf_job_context *ctx, const char *media_id, char **url,
                                char sha[CF_SHA256_HEX], cf_error *err) {
    cf_media_record m;
    sha[0] = '\0';
    cf_err rc = cf_owned_media(ctx->store, ctx->tenant, media_id, &m, err);
    if (rc == CF_ERR_NOT_FOUND)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "media_uri: media %s does not exist", media_id);
    if (rc) return rc;
    char *signed_url = NULL, *path = NULL;
    rc = cf_storage_sign(ctx->storage, ctx->tenant, m.key, ctx->cfg->url_ttl_s, (int64_t)time(NULL),
                         &signed_url, err);
    if (!rc && signed_url[0] == '/') {
        char base[1024];
        public_base(ctx->cfg, base, sizeof base);
        if (asprintf(url, "%s%s", base, signed_url) < 0)
            *url = NULL, rc = cf_error_set(err, CF_ERR_NO_MEMORY, "oom");
    } else if (!rc) {
        *url = signed_url, signed_url = NULL;
    }
    const char *backend = ctx->storage->m->name;
    cf_progress hashing;
    cf_progress_part(&hashing, ctx->progress, 0, CF_HASH_SHARE);
    char *memo = cf_feature_cache_dir(ctx->cfg->feature_cache_dir, ctx->cfg->data_dir);
    cf_error ignored;
    bool local = !strcmp(backend, "local") || !strcmp(backend, "file");
    if (!rc && cf_sha256_valid(m.sha256)) {
        memcpy(sha, m.sha256, CF_SHA256_HEX);
    } else if (!rc && memo && local && cf_storage_local_path(ctx->storage, m.key, &path, &ignored) == CF_OK) {
        if (cf_content_hash_file(path, memo, &hashing, sha, &ignored) == CF_OK)
            remember_hash(ctx, media_id, sha);
        else sha[0] = '\0';
    }
    free(memo);
    free(path);
    free(signed_url);
    cf_media_record_free(&m);
    return rc;
}

/* Detection on an inference service: the request as it came, with the media as a signed URL. */
static cf_err detect_remote(cf_job_context *ctx, cf_highlight_detection_request *req,
                            cf_highlight_detection_result *res, cf_error *err) {
    char *url = NULL, sha[CF_SHA256_HEX];
    char *media_uri = req->media_uri;
    cf_err rc = media_for_service(ctx, media_uri + strlen("media://"), &url, sha, err);
    if (rc) return rc == CF_ERR_INVALID_MEDIA ? rc : (err->code = CF_ERR_UNAVAILABLE);
    req->media_uri = url;
    req->media_id = media_uri + strlen("media://");
    req->media_sha256 = sha[0] ? sha : NULL;
    rc = cf_ai_remote_detect(ctx->remote, req, ctx->progress, res, err);
    req->media_uri = media_uri;
    req->media_id = req->media_sha256 = NULL;
    free(url);
    if (rc == CF_OK) cf_progress_report(ctx->progress, 1.0, "done");
    return rc;
}

/* Detection in this process: local copies of the media and transcript, the registry's choice of
 * model, the engines. */
static cf_err run_local(cf_job_context *ctx, cf_highlight_detection_request *req,
                        cf_highlight_detection_result *res, cf_error *err) {
    char *source = NULL, *transcript = NULL, why[256] = "";
    cf_hl_paths paths = {ctx->cfg->highlight_profiles_dir, ctx->cfg->highlight_models_dir};
    cf_err rc = cf_job_resolve_source(ctx, req->media_uri, &source, err);
    if (rc == CF_OK && req->transcript_uri) {
        rc = cf_job_resolve_source(ctx, req->transcript_uri, &transcript, err);
        if (rc) cf_error_prefix(err, "transcript_uri");
    }
    if (rc == CF_OK)
        rc = cf_highlight_assign(cf_hl_models_dir(&paths), req, media_id_key, req->media_uri, why, sizeof why,
                                 err);
    if (rc == CF_OK && why[0]) cf_log_info("highlight", "job %s: %s", ctx->job_id, why);
    if (rc == CF_OK) rc = detect_local(ctx, req, source, transcript, res, err);
    free(source);
    free(transcript);
    return rc;
}

/* The highlight.remote flag for the job's tenant and media: whether this detection may go to
 * the inference services. Read at each run, so a change applies to the next job at once. */
static bool remote_allowed(cf_job_context *ctx, const char *media_uri) {
    cf_flags *flags = NULL;
    cf_error err;
    if (cf_feature_flags_open(ctx->cfg, ctx->store, &flags, &err)) {
        cf_log_warn("highlight", "job %s: feature flags: %s", ctx->job_id, err.msg);
        return true; /* the flag's default */
    }
    bool on = cf_flags_on(flags, CF_FLAG_REMOTE_DETECTION, ctx->tenant, cf_uri_rest(media_uri, "media"));
    cf_flags_free(flags);
    if (!on)
        cf_log_info("highlight", "job %s: detecting here (flag " CF_FLAG_REMOTE_DETECTION ")", ctx->job_id);
    return on;
}

cf_err cf_highlight_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err) {
    cf_highlight_detection_request req;
    cf_highlight_detection_result res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    char fallback[CF_ERROR_MSG_MAX] = "";
    bool done = false;
    cf_err rc = cf_highlight_detection_request_from_json(request, &req, err);
    /* transcript-aware detection needs the audio twice; the service reads the media once */
    if (rc == CF_OK && ctx->remote && !req.transcript_uri && remote_allowed(ctx, req.media_uri)) {
        rc = detect_remote(ctx, &req, &res, err);
        done = rc == CF_OK;
        if (rc == CF_ERR_UNAVAILABLE) {
            snprintf(fallback, sizeof fallback, "%s", err->msg);
            cf_log_warn("highlight", "job %s: remote detection failed, detecting here: %s", ctx->job_id,
                        fallback);
            cf_ai_remote_count_fallback(ctx->remote);
            cf_highlight_detection_result_free(&res);
            memset(&res, 0, sizeof res);
            rc = CF_OK;
        }
    }
    if (rc == CF_OK && !done) rc = run_local(ctx, &req, &res, err);
    if (rc == CF_OK && fallback[0] && !(res.fallback_reason = strndup(fallback, 1000)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK && !(*result = cf_highlight_detection_result_to_json(&res)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_highlight_detection_request_free(&req);
    cf_highlight_detection_result_free(&res);
    return rc;
}

/* detect.c — one detection request end to end: validate, extract (or load cached) features,
 * route to an engine, return the result. This is what the CLI and the job runner call. */
#include <stdlib.h>
#include <string.h>

#include "clipforge/highlight.h"

static cf_err validate(const cf_highlight_detection_request *req, cf_error *err) {
    if (!req->media_uri || !*req->media_uri)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_uri: required");
    if (strstr(req->media_uri, "://") && strncmp(req->media_uri, "file://", 7) != 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "media_uri: only local paths and file:// URIs can be analysed here");
    if (!cf_detection_profile_to_string(req->detection_profile))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "detection_profile: unknown");
    if (req->has_top_n && (req->top_n < 1 || req->top_n > 100))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "top_n: must be in [1, 100]");
    return CF_OK;
}

cf_err cf_highlight_detect_track(const cf_highlight_detection_request *req, const cf_hl_options *opts,
                                 const cf_feature_track *track, cf_highlight_detection_result *out,
                                 cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_err rc = validate(req, err);
    if (rc) return rc;
    cf_hl_options none = {0};
    if (!opts) opts = &none;
    cf_hl_registry *reg = NULL;
    if ((rc = cf_hl_registry_new(&opts->paths, &reg, err))) return rc;
    cf_hl_detect_input in = {.track = track,
                             .profile = cf_detection_profile_to_string(req->detection_profile),
                             .top_n = req->has_top_n ? req->top_n : 0, .words = opts->words,
                             .n_words = opts->n_words};
    rc = cf_hl_route(reg, req, opts->engine, &in, out, opts->note, opts->note_len, err);
    cf_hl_registry_free(reg);
    return rc;
}

cf_err cf_highlight_detect(const cf_highlight_detection_request *req, const cf_hl_options *opts,
                           cf_progress *progress, cf_highlight_detection_result *out,
                           cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_err rc = validate(req, err);
    if (rc) return rc;
    cf_feature_track *track = NULL;
    rc = cf_features_extract(req->media_uri, opts ? &opts->features : NULL, progress, &track, err);
    if (rc) return rc;
    cf_progress_report(progress, 0.96, "scoring");
    rc = cf_highlight_detect_track(req, opts, track, out, err);
    if (rc == CF_OK) cf_progress_report(progress, 1.0, "done");
    cf_feature_track_free(track);
    return rc;
}

/* detect.c — one detection request end to end: validate, extract (or load cached) features,
 * route to an engine, return the result. This is what the CLI and the job runner call. */
#include <stdlib.h>
#include <string.h>

#include "clipforge/highlight.h"

static cf_err validate(const cf_hl_request *req, cf_error *err) {
    if (!req->media_uri || !*req->media_uri)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_uri: required");
    if (strstr(req->media_uri, "://") && strncmp(req->media_uri, "file://", 7) != 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "media_uri: only local paths and file:// URIs can be analysed here");
    if (req->detection_profile && !cf_hl_profile_known(req->detection_profile))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "detection_profile: '%s' is not one of generic, podcast, sports, "
                            "gaming, lecture, music", req->detection_profile);
    if (req->top_n < 0 || req->top_n > 100)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "top_n: must be in [0, 100]");
    return CF_OK;
}

cf_err cf_highlight_detect(const cf_hl_request *req, const cf_hl_options *opts,
                           cf_progress *progress, cf_hl_result *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_err rc = validate(req, err);
    if (rc) return rc;
    cf_hl_options none = {0};
    if (!opts) opts = &none;
    cf_feature_track *track = NULL;
    cf_hl_registry *reg = NULL;
    if ((rc = cf_features_extract(req->media_uri, &opts->features, progress, &track, err))) goto end;
    if ((rc = cf_hl_registry_new(&opts->paths, &reg, err))) goto end;
    cf_progress_report(progress, 0.96, "scoring");
    cf_hl_detect_input in = {.track = track,
                             .profile = req->detection_profile ? req->detection_profile : "generic",
                             .top_n = req->top_n, .words = opts->words, .n_words = opts->n_words};
    rc = cf_hl_route(reg, req, &in, out, err);
    if (rc == CF_OK) cf_progress_report(progress, 1.0, "done");
end:
    cf_hl_registry_free(reg);
    cf_feature_track_free(track);
    return rc;
}

/* engine_heuristic.c — the `heuristic` engine: per-profile weighted scoring.
 *
 * Each profile signal turns one feature into evidence 0..1 (a clamped linear ramp between lo and
 * hi) worth at most its weight; evidence combines as a noisy-OR, score = 1 - prod(1 - w e), so
 * one strong signal (a crowd eruption) can carry a moment alone and several weaker ones add up,
 * while the scale stays absolute (comparable across media). A signal may require an audio event
 * (loudness counts when speech, a crowd, applause or laughter is heard, not music alone) or
 * only support others (motion and cuts count when something else agrees). Profiles are data files
 * (profile.c); the model version is "heuristic-<profile version>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_common.h"

typedef struct heuristic {
    char *profiles_dir;
} heuristic;

static cf_err h_create(const cf_hl_paths *paths, void **self, cf_error *err) {
    heuristic *h = calloc(1, sizeof *h);
    if (!h || !(h->profiles_dir = strdup(paths->profiles_dir))) {
        free(h);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "heuristic engine: out of memory");
    }
    *self = h;
    return CF_OK;
}

static void h_destroy(void *self) {
    heuristic *h = self;
    if (!h) return;
    free(h->profiles_dir);
    free(h);
}

static bool h_supports(void *self, const char *profile) {
    heuristic *h = self;
    hl_profile p;
    cf_error e;
    /* a malformed file is "supported": detect() then reports what is wrong with it */
    return hl_profile_load(h->profiles_dir, profile, &p, &e) != CF_ERR_NOT_FOUND;
}

static cf_err h_warm_start(void *self, const char *version, cf_error *err) {
    (void)self;
    if (!version || strcmp(version, "heuristic") == 0 || strncmp(version, "heuristic-", 10) == 0)
        return CF_OK;
    return cf_error_set(err, CF_ERR_NOT_FOUND, "has no model version '%s'", version);
}

static cf_err h_detect(void *self, const cf_hl_detect_input *in, cf_highlight_detection_result *out,
                       cf_error *err) {
    heuristic *h = self;
    hl_profile p;
    cf_err rc = hl_profile_load(h->profiles_dir, in->profile, &p, err);
    if (rc) return rc;
    size_t n = in->track->n_hops;
    float *score = malloc(n * sizeof *score);
    if (!score) return cf_error_set(err, CF_ERR_NO_MEMORY, "heuristic engine: out of memory");
    for (size_t i = 0; i < n; i++) {
        double miss = 1.0, e[HL_MAX_SIGNALS];
        hl_signals_evidence(p.signals, p.n_signals, in->track, i, e);
        for (size_t k = 0; k < p.n_signals; k++) miss *= 1.0 - p.signals[k].weight * e[k];
        score[i] = (float)(1.0 - miss);
    }
    rc = hl_emit(in, score, &p, p.span.min_score, p.signals, p.n_signals, out, err);
    free(score);
    char version[48];
    snprintf(version, sizeof version, "heuristic-%d", p.version);
    if (!rc && !(out->model_version = strdup(version)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "heuristic engine: out of memory");
    return rc;
}

const cf_hl_engine_methods hl_engine_heuristic = {
    .version = CF_HL_ENGINE_VERSION,
    .name = "heuristic",
    .create = h_create,
    .destroy = h_destroy,
    .supports_profile = h_supports,
    .warm_start = h_warm_start,
    .detect = h_detect,
};

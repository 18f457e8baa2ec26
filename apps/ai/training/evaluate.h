/* evaluate.h — how well a model version finds what reviewers want, on media whose wanted spans
 * are known: an evaluation set on disk (`clipforge eval`, `models publish --set`) or held-out
 * media of a cross-validation fold (`clipforge train`).
 *
 * An evaluation set is a directory of media files, each with a sidecar <file>.labels.json:
 * {"spans": [{"start_ms", "end_ms", "verdict": "accept"|"reject", "detected_start_ms",
 * "detected_end_ms", "kind"}]} (verdict defaults to
 * accept; generated media from make_planted.py carry exactly this). Accepted spans are the truth;
 * a detected span matches one at temporal IoU >= 0.5 (each truth matched once, best score
 * first). Metrics: precision, recall, F1, AP over the score ranking (per media, averaged), mean
 * IoU and mean boundary error (ms) of the matches, and how many detections fell on a rejected
 * span. */
#ifndef CLIPFORGE_AI_EVALUATE_H
#define CLIPFORGE_AI_EVALUATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"
#include "clipforge/highlight.h"

#define CF_EVAL_IOU 0.5
#define CF_EVAL_TOP_N 10

typedef struct cf_eval_span {
    int64_t start_ms, end_ms;
    bool accept;
    int64_t detected_start_ms,
        detected_end_ms; /* the span as proposed, when the reviewer moved it; 0/0 = not known */
} cf_eval_span;

/* One media with its known spans. */
typedef struct cf_eval_media {
    char *path; /* the media file */
    char *name; /* its name in reports */
    cf_eval_span *spans;
    size_t n_spans;
} cf_eval_media;

typedef struct cf_eval_set {
    char *dir;
    cf_eval_media *media;
    size_t n_media;
} cf_eval_set;

/* Reads every <file>.labels.json in dir with its media file. CF_ERR_NOT_FOUND when dir holds no
 * labelled media; CF_ERR_INVALID_ARGUMENT naming the file and member when a label file is bad. */
cf_err cf_eval_set_load(const char *dir, cf_eval_set **out, cf_error *err);
void cf_eval_set_free(cf_eval_set *s);

/* Where feature tracks come from (the feature store, a cache, or tracks in memory). */
typedef struct cf_track_source {
    void *user;
    /* *out is the caller's to free with cf_feature_track_free. */
    cf_err (*get)(void *user, const cf_eval_media *m, cf_feature_track **out, cf_error *err);
} cf_track_source;

/* Counts of one evaluation, summed over media; finish with cf_eval_metrics_json. */
typedef struct cf_eval_tally {
    size_t media, truth, detected, matched, on_rejected;
    double ap_sum, iou_sum, boundary_sum;
} cf_eval_tally;

/* Adds one media's detections (best first) against its known spans. */
void cf_eval_tally_add(cf_eval_tally *t, const cf_highlight_span *det, size_t n_det,
                       const cf_eval_span *truth, size_t n_truth);
/* {media, truth, detected, matched, precision, recall, f1, ap, mean_iou, boundary_ms,
 * on_rejected}. New reference. */
json_t *cf_eval_metrics_json(const cf_eval_tally *t);

/* Detects every media of the set with version (a highlight model version of models_dir, or
 * "heuristic") and profile; *metrics as cf_eval_metrics_json plus "version", "profile",
 * "per_media". Fails (CF_ERR_UNSUPPORTED) when the version cannot answer the profile rather
 * than measuring whichever engine fell in. */
cf_err cf_eval_version(const cf_eval_set *set, const cf_track_source *src, const char *models_dir,
                       const char *version, const char *profile, json_t **metrics, cf_error *err);

/* One detection of track with exactly version (no fallback to another engine or version):
 * what evaluation and cross-validation run. */
cf_err cf_eval_detect(const cf_feature_track *track, const char *models_dir, const char *version,
                      const char *profile, cf_highlight_detection_result *out, cf_error *err);

#endif

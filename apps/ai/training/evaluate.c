/* evaluate.c — evaluation sets on disk, span matching and metrics (see evaluate.h). */
#include "training/evaluate.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/fs.h"
#include "clipforge/json.h"

#define LABELS_SUFFIX ".labels.json"
#define MAX_SET_MEDIA 10000

/* ---- loading ------------------------------------------------------------------------------- */

static cf_err parse_span(const json_t *j, const char *file, size_t i, cf_eval_span *s, cf_error *err) {
    char path[64];
    snprintf(path, sizeof path, "spans[%zu]", i);
    const char *verdict = "accept";
    cf_err rc = cf_json_get_int(j, "start_ms", false, &s->start_ms, path, err);
    if (!rc) rc = cf_json_get_int(j, "end_ms", false, &s->end_ms, path, err);
    if (!rc && cf_json_get_string(j, "verdict", true, &verdict, path, err) == CF_ERR_INVALID_ARGUMENT)
        rc = CF_ERR_INVALID_ARGUMENT;
    if (!rc && (s->start_ms < 0 || s->end_ms <= s->start_ms))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: need 0 <= start_ms < end_ms", path);
    if (!rc && strcmp(verdict, "accept") && strcmp(verdict, "reject"))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.verdict: accept or reject", path);
    s->accept = !rc && !strcmp(verdict, "accept");
    int64_t ds = 0, de = 0;
    if (!rc && cf_json_get_int(j, "detected_start_ms", true, &ds, path, err) == CF_OK &&
        cf_json_get_int(j, "detected_end_ms", true, &de, path, err) == CF_OK && ds >= 0 && de > ds)
        s->detected_start_ms = ds, s->detected_end_ms = de;
    if (rc) cf_error_prefix(err, "%s", file);
    return rc;
}

static cf_err load_media(const char *dir, const char *labels_name, cf_eval_media *m, cf_error *err) {
    size_t n = strlen(labels_name) - strlen(LABELS_SUFFIX);
    m->name = strndup(labels_name, n);
    char *labels = cf_path_join(dir, labels_name);
    m->path = m->name ? cf_path_join(dir, m->name) : NULL;
    if (!m->name || !labels || !m->path) {
        free(labels);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    cf_err rc = cf_file_size(m->path) > 0
                    ? CF_OK
                    : cf_error_set(err, CF_ERR_NOT_FOUND, "%s: no media file beside its labels", m->path);
    json_t *j = rc ? NULL : cf_json_load_file(labels, 16 << 20, 16, err);
    const json_t *spans = json_object_get(j, "spans");
    if (!rc && !j) rc = err->code;
    else if (!rc && !json_is_array(spans))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: spans: must be an array", labels);
    if (!rc && !(m->spans = calloc(json_array_size(spans) + 1, sizeof *m->spans)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; !rc && i < json_array_size(spans); i++, m->n_spans++)
        rc = parse_span(json_array_get(spans, i), labels, i, &m->spans[i], err);
    json_decref(j);
    free(labels);
    return rc;
}

static int media_order(const void *a, const void *b) {
    return strcmp(((const cf_eval_media *)a)->name, ((const cf_eval_media *)b)->name);
}

cf_err cf_eval_set_load(const char *dir, cf_eval_set **out, cf_error *err) {
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d) return cf_error_set(err, CF_ERR_NOT_FOUND, "evaluation set %s: cannot open the directory", dir);
    cf_eval_set *s = calloc(1, sizeof *s);
    cf_err rc = s && (s->dir = strdup(dir)) ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n <= strlen(LABELS_SUFFIX) || strcmp(de->d_name + n - strlen(LABELS_SUFFIX), LABELS_SUFFIX))
            continue;
        cf_eval_media *grown =
            s->n_media < MAX_SET_MEDIA ? realloc(s->media, (s->n_media + 1) * sizeof *grown) : NULL;
        if (!grown) {
            rc = cf_error_set(err, CF_ERR_TOO_LARGE, "evaluation set %s: too many media", dir);
            break;
        }
        s->media = grown;
        memset(&s->media[s->n_media], 0, sizeof *s->media);
        rc = load_media(dir, de->d_name, &s->media[s->n_media++], err);
    }
    closedir(d);
    if (!rc && s->n_media == 0)
        rc = cf_error_set(err, CF_ERR_NOT_FOUND, "evaluation set %s: no <media>%s files", dir, LABELS_SUFFIX);
    if (rc) {
        cf_eval_set_free(s);
        return rc;
    }
    qsort(s->media, s->n_media, sizeof *s->media, media_order);
    *out = s;
    return CF_OK;
}

void cf_eval_set_free(cf_eval_set *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_media; i++) {
        free(s->media[i].path);
        free(s->media[i].name);
        free(s->media[i].spans);
    }
    free(s->media);
    free(s->dir);
    free(s);
}

/* ---- matching and metrics ------------------------------------------------------------------ */

static double iou(int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
    int64_t inter = (a1 < b1 ? a1 : b1) - (a0 > b0 ? a0 : b0);
    int64_t uni = (a1 > b1 ? a1 : b1) - (a0 < b0 ? a0 : b0);
    return inter > 0 && uni > 0 ? (double)inter / (double)uni : 0.0;
}

/* Index of the best unmatched truth for d at IoU >= CF_EVAL_IOU (accepted or rejected as asked),
 * or -1. */
static long best_truth(const cf_highlight_span *d, const cf_eval_span *truth, size_t n, bool accept,
                       const bool *used, double *best_iou) {
    long best = -1;
    *best_iou = 0;
    for (size_t k = 0; k < n; k++) {
        if (truth[k].accept != accept || (used && used[k])) continue;
        double v = iou(d->start_ms, d->end_ms, truth[k].start_ms, truth[k].end_ms);
        if (v >= CF_EVAL_IOU && v > *best_iou) *best_iou = v, best = (long)k;
    }
    return best;
}

void cf_eval_tally_add(cf_eval_tally *t, const cf_highlight_span *det, size_t n_det,
                       const cf_eval_span *truth, size_t n_truth) {
    bool *used = calloc(n_truth + 1, sizeof *used);
    size_t positives = 0, tp = 0;
    double ap = 0;
    for (size_t k = 0; k < n_truth; k++) positives += truth[k].accept;
    for (size_t i = 0; used && i < n_det; i++) { /* detections come best first */
        double v = 0;
        long k = best_truth(&det[i], truth, n_truth, true, used, &v);
        if (k >= 0) {
            used[k] = true;
            tp++;
            ap += (double)tp / (double)(i + 1);
            t->iou_sum += v;
            t->boundary_sum += (fabs((double)(det[i].start_ms - truth[k].start_ms)) +
                                fabs((double)(det[i].end_ms - truth[k].end_ms))) /
                               2;
        } else if (best_truth(&det[i], truth, n_truth, false, NULL, &v) >= 0) {
            t->on_rejected++;
        }
    }
    free(used);
    t->media++;
    t->truth += positives;
    t->detected += n_det;
    t->matched += tp;
    t->ap_sum += positives ? ap / (double)positives : (n_det ? 0.0 : 1.0);
}

static double ratio(size_t a, size_t b, double none) {
    return b ? (double)a / (double)b : none;
}

static double round4(double v) {
    return round(v * 1e4) / 1e4;
}

json_t *cf_eval_metrics_json(const cf_eval_tally *t) {
    double p = ratio(t->matched, t->detected, t->truth ? 0.0 : 1.0);
    double r = ratio(t->matched, t->truth, 1.0);
    double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "media", (json_int_t)t->media,
                     "truth", (json_int_t)t->truth, "detected", (json_int_t)t->detected, "matched",
                     (json_int_t)t->matched, "on_rejected", (json_int_t)t->on_rejected, "precision",
                     round4(p), "recall", round4(r), "f1", round4(f1), "ap",
                     round4(t->media ? t->ap_sum / (double)t->media : 0), "mean_iou",
                     round4(t->matched ? t->iou_sum / (double)t->matched : 0), "boundary_ms",
                     round(t->matched ? t->boundary_sum / (double)t->matched : 0));
}

/* ---- detection ----------------------------------------------------------------------------- */

static bool is_heuristic(const char *version) {
    return !strcmp(version, "heuristic") || !strncmp(version, "heuristic-", 10);
}

cf_err cf_eval_detect(const cf_feature_track *track, const char *models_dir, const char *version,
                      const char *profile, cf_highlight_detection_result *out, cf_error *err) {
    cf_highlight_detection_request req = {.clip_id = "eval",
                                          .media_uri = "eval",
                                          .model_version = (char *)version,
                                          .has_top_n = true,
                                          .top_n = CF_EVAL_TOP_N};
    if (!cf_detection_profile_from_string(profile, &req.detection_profile))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "unknown profile '%s'", profile);
    char note[512] = "";
    cf_hl_options o = {.paths = {.models_dir = models_dir},
                       .engine = is_heuristic(version) ? "heuristic" : "learned",
                       .note = note,
                       .note_len = sizeof note};
    cf_err rc = cf_highlight_detect_track(&req, &o, track, out, err);
    bool exact =
        rc == CF_OK && out->model_version &&
        (is_heuristic(version) ? !strcmp(out->engine, "heuristic") : !strcmp(out->model_version, version));
    if (rc == CF_OK && !exact) {
        rc = cf_error_set(err, CF_ERR_UNSUPPORTED, "version %s cannot answer profile %s (%s)", version,
                          profile, note[0] ? note : "another engine answered");
        cf_highlight_detection_result_free(out);
    }
    return rc;
}

cf_err cf_eval_version(const cf_eval_set *set, const cf_track_source *src, const char *models_dir,
                       const char *version, const char *profile, json_t **metrics, cf_error *err) {
    cf_eval_tally total = {0};
    json_t *per_media = json_object();
    cf_err rc = CF_OK;
    for (size_t i = 0; !rc && i < set->n_media; i++) {
        const cf_eval_media *m = &set->media[i];
        cf_feature_track *track = NULL;
        cf_highlight_detection_result res = {0};
        rc = src->get(src->user, m, &track, err);
        if (!rc) rc = cf_eval_detect(track, models_dir, version, profile, &res, err);
        if (!rc) {
            cf_eval_tally one = {0};
            cf_eval_tally_add(&one, res.highlights, res.n_highlights, m->spans, m->n_spans);
            cf_eval_tally_add(&total, res.highlights, res.n_highlights, m->spans, m->n_spans);
            json_object_set_new(per_media, m->name, cf_eval_metrics_json(&one));
        } else {
            cf_error_prefix(err, "%s", m->name);
        }
        cf_highlight_detection_result_free(&res);
        cf_feature_track_free(track);
    }
    if (rc) {
        json_decref(per_media);
        return rc;
    }
    *metrics = cf_eval_metrics_json(&total);
    json_object_set_new(*metrics, "version", json_string(version));
    json_object_set_new(*metrics, "profile", json_string(profile));
    json_object_set_new(*metrics, "per_media", per_media);
    return CF_OK;
}

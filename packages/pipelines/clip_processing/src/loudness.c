/* loudness.c — EBU R128 normalization as it ships (libcfmedia's search: media.h says why). Near
 * the ceiling the span's sound is encoded as the clip will be, with the clip's encoder and
 * bitrate, into a file beside the output and measured there; the search corrects the gain and
 * the limiter's ceiling after each trial, and the best trial is kept. */
#include "loudness.h"

#include <math.h>
#include <stdio.h>

#include "clipforge/log.h"

/* Trial encodes at most: with 4, 4 of 36 real sounds of the loudness bench ended beyond 0.5 LU
 * of the target; with 6, 1 (the time 1.24x the ffmpeg CLI's against 1.18x). */
#define TRIALS 6

/* The file's sound measured whole (a trial encode of the span: already cut and timed). */
static cf_err measure_file(const char *path, const cfclip_plan *plan, const cfclip_stage *st,
                           cfclip_loudness *got, cf_error *err) {
    cf_media_input f;
    cf_err rc = cf_media_open(path, NULL, &f, err);
    if (rc) return rc;
    cfclip_span all = {.origin_s = f.start_us / 1e6, .end_s = -1}; /* from its start: no seek */
    cfclip_stage quiet = {st->progress, st->base, 0, 0, st->name}; /* cancel only: it takes no time */
    rc = cfclip_measure_loudness(&f, plan, &all, &quiet, got, err);
    cf_media_close(&f);
    return rc;
}

/* The span's sound with loud's gain and limiter, encoded as the clip's into path, measured. */
static cf_err trial(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                    const cfclip_loudness *loud, const char *path, const cfclip_stage *st,
                    cfclip_loudness *got, cf_error *err) {
    cfclip_encode_job job = {
        .plan = plan, .span = *span, .use_audio = true, .loudness = loud, .output_path = path};
    cf_err rc = cfclip_encode(in, &job, st, err);
    if (!rc) rc = measure_file(path, plan, st, got, err);
    if (!rc)
        cf_log_debug("clip", "trial: gain %.2f dB, limiter %s%.2f dBTP -> %.2f LUFS, true peak %.2f dBTP",
                     loud->gain_db, loud->limit ? "at " : "off, ", loud->limit_db, got->integrated,
                     got->true_peak);
    return rc;
}

static void take(const cf_loudness_setting *set, cfclip_loudness *loud) {
    loud->gain_db = set->gain_db, loud->limit = set->limit, loud->limit_db = set->limit_db;
}

/* Trial encodes until the shipped sound fits (or TRIALS); loud and *got become the best trial's,
 * *kept says whether trial_path holds it (the last trial). */
static cf_err fit(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                  const cfclip_stage *st, const char *trial_path, cf_loudness_search *search,
                  cfclip_loudness *loud, cfclip_loudness *got, bool *kept, cf_error *err) {
    cfclip_loudness now;
    cfclip_stage each = *st;
    each.weight = st->weight / TRIALS;
    each.expect_s = st->expect_s / plan->speed; /* the pass reports the clip's time */
    for (bool more = true; more; each.base += each.weight) {
        take(&search->next, loud);
        cf_err rc = trial(in, plan, span, loud, trial_path, &each, &now, err);
        if (rc) return rc;
        more = cf_loudness_search_record(search, now.integrated, now.true_peak);
    }
    take(&search->next, loud);
    got->integrated = search->best_lufs, got->true_peak = search->best_peak;
    *kept = search->best_is_last;
    return CF_OK;
}

static void describe(const cfclip_plan *plan, const cfclip_loudness *loud, const cfclip_loudness *got,
                     cfclip_report *report) {
    bool missed = fabs(got->integrated - plan->target_lufs) > CF_LOUDNESS_TOLERANCE_LU;
    char asked[64] = "";
    if (missed)
        snprintf(asked, sizeof asked, " (%.1f LUFS asked, true peaks under %.1f dBTP)", plan->target_lufs,
                 plan->true_peak_db);
    snprintf(report->loudness, sizeof report->loudness, "sound normalized to %.1f LUFS%s from %.1f LUFS%s",
             got->integrated, asked, loud->integrated, loud->limit ? ", its peaks limited" : "");
}

cf_err cfclip_plan_loudness(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                            const cfclip_stage *st, const char *trial_path, cfclip_loudness *loud, bool *kept,
                            cfclip_report *report, cf_error *err) {
    memset(loud, 0, sizeof *loud);
    *kept = false;
    cfclip_stage first = *st, trials = *st;
    first.weight = st->weight / 3;
    trials.base += first.weight, trials.weight -= first.weight;
    cf_err rc = cfclip_measure_loudness(in, plan, span, &first, loud, err);
    if (rc) return rc;
    report->measured_lufs = loud->integrated;
    /* Silence has no loudness to normalize: leave it as it is. */
    if (!(report->normalized = !cf_media_r128_silent(loud->integrated))) {
        snprintf(report->loudness, sizeof report->loudness,
                 "sound not normalized: the span is silent (no loudness to measure)");
        return CF_OK;
    }
    cf_loudness_search search;
    bool trials_wanted = cf_loudness_search_start(&search, plan->target_lufs, plan->true_peak_db,
                                                  loud->integrated, loud->true_peak, TRIALS);
    take(&search.next, loud);
    cf_log_debug("clip", "measured %.2f LUFS, LRA %.2f LU, true peak %.2f dBTP; gain %.2f dB%s",
                 loud->integrated, loud->range, loud->true_peak, loud->gain_db,
                 loud->limit ? " with limiter" : "");
    cfclip_loudness got = {.integrated = plan->target_lufs}; /* linear: the gain is exact */
    if (trials_wanted) rc = fit(in, plan, span, &trials, trial_path, &search, loud, &got, kept, err);
    if (!rc) describe(plan, loud, &got, report);
    return rc;
}

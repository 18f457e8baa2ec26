/* loudness.c — EBU R128 normalization as it ships. One gain for the whole clip (what loudnorm
 * calls linear mode) is exact while no peak passes the ceiling. Past it a limiter holds the
 * peaks, and two effects make the first guess miss: the limiter takes loudness away with the
 * peaks (2.9 LU of a quiet recording with clicks raised by 16 dB), and the encoder puts peak
 * back (FFmpeg's AAC by 0.3 to 5 dB on hard-limited sounds, Opus less; not monotonically in the
 * limiter's ceiling). So near the ceiling the sound is encoded as it will ship and measured, the
 * gain and the limiter's ceiling corrected, and the best of a few trials kept. */
#include "loudness.h"

#include <math.h>
#include <stdio.h>

#include "clipforge/log.h"

/* Within this of the ceiling (after the gain) the encoder's overshoot may pass it: measure. */
#define PEAK_RISK_DB 1.0
/* The limiter's first ceiling sits this far under the clip's, for the encoder. */
#define LIMITER_MARGIN_DB 0.3
/* How close to the target the shipped loudness must come, and its peak to the ceiling. */
#define TOLERANCE_LU 0.3
#define PEAK_TOLERANCE_DB 0.05
/* Trial encodes at most; and the most gain past the linear one (what the limiter may take off
 * the peaks beyond it): a sound that needs more is left short of the target, and says so. */
#define TRIALS 4
#define MAX_EXTRA_GAIN_DB 12.0
/* The encoder moves a trial's loudness by 0.1-0.3 LU, so the secant through two near trials can
 * be flat by chance: its slope is taken as at least MIN_SLOPE and a step as at most MAX_STEP_DB
 * (a limiter 10 dB deep still gives 0.3 LU of every dB more). */
#define MIN_SLOPE 0.25
#define MAX_STEP_DB 6.0

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

/* The next gain and limiter after a trial (got) of loud. A limiter at L dBTP after a gain g gives
 * L + h(g - L), h the loudness of the sound driven g - L dB into a limiter at 0 dBTP (and, as
 * long as the limiter does not act, h(d) = the source's loudness + d). So the ceiling is
 * lowered by the peak's excess, then the drive that brings L + h to the target is found along
 * the secant of h through the last two trials; prev: the trial before (drive, h). */
static void correct(const cfclip_plan *plan, const cfclip_loudness *got, double peak_in, double max_gain,
                    double prev[2], cfclip_loudness *loud) {
    double drive = loud->gain_db - loud->limit_db, h = got->integrated - loud->limit_db;
    if (got->true_peak > plan->true_peak_db + PEAK_TOLERANCE_DB) {
        double before_encoder = fmin(loud->limit_db, peak_in + loud->gain_db);
        loud->limit_db = before_encoder - (got->true_peak - plan->true_peak_db) - 0.1;
        loud->limit = true;
    }
    double slope = fabs(drive - prev[0]) > 1e-6 ? (h - prev[1]) / (drive - prev[0]) : 1.0;
    slope = fmin(fmax(slope, MIN_SLOPE), 1.0);
    prev[0] = drive, prev[1] = h;
    double step = (plan->target_lufs - loud->limit_db - h) / slope;
    double want = drive + fmin(fmax(step, -MAX_STEP_DB), MAX_STEP_DB);
    loud->gain_db = fmin(want + loud->limit_db, max_gain);
    if (peak_in + loud->gain_db > loud->limit_db) loud->limit = true;
}

static bool peak_fits(const cfclip_plan *plan, const cfclip_loudness *got) {
    return got->true_peak <= plan->true_peak_db + PEAK_TOLERANCE_DB;
}

static bool fits(const cfclip_plan *plan, const cfclip_loudness *got) {
    return peak_fits(plan, got) && fabs(got->integrated - plan->target_lufs) <= TOLERANCE_LU;
}

/* Of two trials, the one whose peak fits, else the lower peak; of two that fit, the nearer to
 * the target. (The encoder's overshoot does not follow the limiter's ceiling closely: a ceiling
 * 1 dB lower has given a peak 1.9 dB lower, so the last trial is not always the best.) */
static bool better(const cfclip_plan *plan, const cfclip_loudness *a, const cfclip_loudness *b) {
    if (peak_fits(plan, a) != peak_fits(plan, b)) return peak_fits(plan, a);
    if (!peak_fits(plan, a)) return a->true_peak < b->true_peak;
    return fabs(a->integrated - plan->target_lufs) < fabs(b->integrated - plan->target_lufs);
}

/* Trial encodes until the shipped sound fits (or TRIALS); loud and *got become the best trial's,
 * *kept says whether trial_path holds it (the last trial). */
static cf_err fit(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                  const cfclip_stage *st, const char *trial_path, cfclip_loudness *loud, cfclip_loudness *got,
                  bool *kept, cf_error *err) {
    double peak_in = loud->true_peak, max_gain = loud->gain_db + MAX_EXTRA_GAIN_DB;
    double prev[2] = {-loud->limit_db, loud->integrated - loud->limit_db}; /* the source: no gain */
    cfclip_loudness best = *loud, now;
    cfclip_stage each = *st;
    each.weight = st->weight / TRIALS;
    each.expect_s = st->expect_s / plan->speed; /* the pass reports the clip's time */
    for (int k = 0; k < TRIALS; k++, each.base += each.weight) {
        cf_err rc = trial(in, plan, span, loud, trial_path, &each, &now, err);
        if (rc) return rc;
        if ((*kept = k == 0 || better(plan, &now, got))) best = *loud, *got = now;
        if (fits(plan, &now) || k == TRIALS - 1) break;
        double gain = loud->gain_db, limit = loud->limit_db;
        correct(plan, &now, peak_in, max_gain, prev, loud);
        if (fabs(loud->gain_db - gain) < 0.01 && fabs(loud->limit_db - limit) < 0.01) break; /* at the cap */
    }
    *loud = best;
    return CF_OK;
}

static void describe(const cfclip_plan *plan, const cfclip_loudness *loud, const cfclip_loudness *got,
                     cfclip_report *report) {
    bool missed = fabs(got->integrated - plan->target_lufs) > TOLERANCE_LU;
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
    loud->gain_db = plan->target_lufs - loud->integrated;
    loud->limit_db = plan->true_peak_db - LIMITER_MARGIN_DB;
    loud->limit = loud->true_peak + loud->gain_db > plan->true_peak_db - 0.1;
    cf_log_debug("clip", "measured %.2f LUFS, LRA %.2f LU, true peak %.2f dBTP; gain %.2f dB%s",
                 loud->integrated, loud->range, loud->true_peak, loud->gain_db,
                 loud->limit ? " with limiter" : "");
    cfclip_loudness got = {.integrated = plan->target_lufs}; /* linear: the gain is exact */
    if (loud->true_peak + loud->gain_db > plan->true_peak_db - PEAK_RISK_DB)
        rc = fit(in, plan, span, &trials, trial_path, loud, &got, kept, err);
    if (!rc) describe(plan, loud, &got, report);
    return rc;
}

/* loudness.c — EBU R128 normalization as clips and renders share it: reading the ebur128
 * filter's figures, the search for the gain and limiter that bring a sound to its target as it
 * ships (media.h says why trials), and the chain that applies them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/media.h"

static double meta_number(const AVFrame *f, const char *key, double def) {
    const AVDictionaryEntry *e = av_dict_get(f->metadata, key, NULL, 0);
    return e ? strtod(e->value, NULL) : def;
}

bool cf_media_r128_read(const AVFrame *f, double *lufs, double *range, double *peak_db) {
    if (!av_dict_get(f->metadata, "lavfi.r128.I", NULL, 0)) return false;
    double peak = meta_number(f, "lavfi.r128.true_peak", 0.0);
    *lufs = meta_number(f, "lavfi.r128.I", CF_MEDIA_R128_FLOOR_LUFS);
    if (range) *range = meta_number(f, "lavfi.r128.LRA", 0.0);
    *peak_db = peak > 0 ? 20.0 * log10(peak) : -99.0;
    return true;
}

bool cf_media_r128_silent(double lufs) {
    return lufs <= CF_MEDIA_R128_FLOOR_LUFS + 0.5;
}

void cf_media_loudness_filters(double gain_db, bool limit, double limit_db, int rate, AVBPrint *out) {
    av_bprintf(out, ",volume=%.3fdB:precision=double", gain_db);
    if (!limit) return;
    av_bprintf(out, ",aresample=%d,alimiter=limit=%.6f:level=0:attack=1:release=20:asc=1,aresample=%d",
               rate * 4 > 192000 ? 192000 : rate * 4, pow(10.0, limit_db / 20.0), rate);
}

/* Within this of the ceiling (after the gain) the encoder's overshoot may pass it: trials. */
#define PEAK_RISK_DB 1.0
/* The limiter's first ceiling sits this far under the sound's, for the encoder. */
#define LIMITER_MARGIN_DB 0.3
/* How close to the ceiling the shipped peak must come. */
#define PEAK_TOLERANCE_DB 0.05
/* The most gain past the linear one (what the limiter may take off the peaks beyond it): a sound
 * that needs more is left short of the target. */
#define MAX_EXTRA_GAIN_DB 12.0
/* The encoder moves a trial's loudness by 0.1-0.3 LU, so the secant through two near trials can
 * be flat by chance: its slope is taken as at least MIN_SLOPE and a step as at most MAX_STEP_DB
 * (a limiter 10 dB deep still gives 0.3 LU of every dB more). */
#define MIN_SLOPE 0.25
#define MAX_STEP_DB 6.0

bool cf_loudness_search_start(cf_loudness_search *s, double target_lufs, double ceiling_db, double lufs,
                              double peak_db, int max_trials) {
    memset(s, 0, sizeof *s);
    s->target_lufs = target_lufs, s->ceiling_db = ceiling_db, s->max_trials = max_trials;
    s->peak_in = peak_db;
    s->next.gain_db = target_lufs - lufs;
    s->next.limit_db = ceiling_db - LIMITER_MARGIN_DB;
    s->next.limit = peak_db + s->next.gain_db > ceiling_db - 0.1;
    s->max_gain = s->next.gain_db + MAX_EXTRA_GAIN_DB;
    s->max_trials = max_trials < CF_LOUDNESS_MAX_TRIALS ? max_trials : CF_LOUDNESS_MAX_TRIALS;
    s->drive[0] = -s->next.limit_db, s->h[0] = lufs - s->next.limit_db; /* the source: no gain */
    s->best = s->next, s->best_lufs = target_lufs, s->best_peak = peak_db + s->next.gain_db;
    return peak_db + s->next.gain_db > ceiling_db - PEAK_RISK_DB;
}

static bool peak_fits(const cf_loudness_search *s, double peak_db) {
    return peak_db <= s->ceiling_db + PEAK_TOLERANCE_DB;
}

static bool fits(const cf_loudness_search *s, double lufs, double peak_db) {
    return peak_fits(s, peak_db) && fabs(lufs - s->target_lufs) <= CF_LOUDNESS_TOLERANCE_LU;
}

/* Whether a trial (lufs, peak_db) is better than the best so far: the one whose peak fits, else
 * the lower peak; of two that fit, the nearer to the target. (The encoder's overshoot does not
 * follow the limiter's ceiling closely: a ceiling 1 dB lower has given a peak 1.9 dB lower, so
 * the last trial is not always the best.) */
static bool better(const cf_loudness_search *s, double lufs, double peak_db) {
    if (peak_fits(s, peak_db) != peak_fits(s, s->best_peak)) return peak_fits(s, peak_db);
    if (!peak_fits(s, peak_db)) return peak_db < s->best_peak;
    return fabs(lufs - s->target_lufs) < fabs(s->best_lufs - s->target_lufs);
}

/* The drive that should give h = want, from the points known (drive[i], h[i], the source's
 * first). Between the nearest points either side of want, when there are both (limiting and the
 * loudness gate make h rise unevenly, and the encoder moves it by 0.1-0.3 LU, so the last two
 * points alone can lead away: a flat or falling secant); else along the secant through the last
 * two, its slope at least MIN_SLOPE and the step at most MAX_STEP_DB. */
static double drive_for(const cf_loudness_search *s, double want) {
    int lo = -1, hi = -1, n = s->trials + 1;
    for (int i = 0; i < n; i++) {
        if (s->h[i] < want && (lo < 0 || s->h[i] > s->h[lo])) lo = i;
        if (s->h[i] >= want && (hi < 0 || s->h[i] < s->h[hi])) hi = i;
    }
    if (lo >= 0 && hi >= 0 && s->h[hi] > s->h[lo])
        return s->drive[lo] + (want - s->h[lo]) * (s->drive[hi] - s->drive[lo]) / (s->h[hi] - s->h[lo]);
    double d1 = s->drive[n - 1], h1 = s->h[n - 1], d0 = s->drive[n - 2], h0 = s->h[n - 2];
    double slope = fabs(d1 - d0) > 1e-6 ? (h1 - h0) / (d1 - d0) : 1.0;
    slope = fmin(fmax(slope, MIN_SLOPE), 1.0);
    return d1 + fmin(fmax((want - h1) / slope, -MAX_STEP_DB), MAX_STEP_DB);
}

/* The next setting after the trial of s->next that gave (lufs, peak_db). A limiter at L dBTP
 * after a gain g gives L + h(g - L), h the loudness of the sound driven g - L dB into a limiter
 * at 0 dBTP (and, as long as the limiter does not act, h(d) = the source's loudness + d). So the
 * ceiling is lowered by the peak's excess, then the drive that brings L + h to the target is
 * found from the points of h known. */
static void correct(cf_loudness_search *s, double lufs, double peak_db) {
    cf_loudness_setting *n = &s->next;
    s->drive[s->trials] = n->gain_db - n->limit_db, s->h[s->trials] = lufs - n->limit_db;
    if (peak_db > s->ceiling_db + PEAK_TOLERANCE_DB) {
        double before_encoder = fmin(n->limit_db, s->peak_in + n->gain_db);
        n->limit_db = before_encoder - (peak_db - s->ceiling_db) - 0.1;
        n->limit = true;
    }
    double want = drive_for(s, s->target_lufs - n->limit_db);
    n->gain_db = fmin(want + n->limit_db, s->max_gain);
    if (s->peak_in + n->gain_db > n->limit_db) n->limit = true;
}

bool cf_loudness_search_record(cf_loudness_search *s, double lufs, double peak_db) {
    s->trials++;
    if ((s->best_is_last = s->trials == 1 || better(s, lufs, peak_db)))
        s->best = s->next, s->best_lufs = lufs, s->best_peak = peak_db;
    bool over = fits(s, lufs, peak_db) || s->trials >= s->max_trials;
    cf_loudness_setting tried = s->next;
    if (!over) correct(s, lufs, peak_db);
    /* at the cap: the next trial would be this one again */
    over = over ||
           (fabs(s->next.gain_db - tried.gain_db) < 0.01 && fabs(s->next.limit_db - tried.limit_db) < 0.01);
    if (over) s->next = s->best;
    return !over;
}

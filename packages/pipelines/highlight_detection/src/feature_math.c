/* feature_math.c — derived features of a track from raw per-hop measurements.
 *
 * Loudness windows are centred on the hop (4 hops = 400 ms momentary, 30 hops = 3 s short-term)
 * so that a feature describes the moment it is stored at; the integrated loudness follows EBU
 * R128 gating (absolute -70 LUFS, relative -10 LU) over the overlapping 400 ms blocks. The local
 * baseline is the 35th percentile of non-silent momentary loudness within +-60 s (computed every
 * second and interpolated): low enough that a 20-40 s highlight does not raise its own
 * baseline. Likelihoods are products of soft thresholds (sigmoids) on spectral shape. */
#include "feature_math.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SILENT_LUFS (-55.0f)
#define BASELINE_HALF 600 /* hops: +-60 s */
#define BASELINE_STEP 10

float hl_sigmoidf(float x) {
    return 1.0f / (1.0f + expf(-x));
}

void hl_curve_smooth(const float *x, float *y, size_t n, size_t half) {
    double sum = 0;
    size_t lo = 0, hi = 0; /* window [lo, hi) */
    for (size_t i = 0; i < n; i++) {
        size_t want_lo = i > half ? i - half : 0, want_hi = i + half + 1 < n ? i + half + 1 : n;
        while (hi < want_hi) sum += x[hi++];
        while (lo < want_lo) sum -= x[lo++];
        y[i] = (float)(sum / (double)(hi - lo));
    }
}

/* The k-th smallest of c[0..n) (Hoare's selection, c reordered): the value a full sort would put
 * at k, found in linear time; the baseline asks for a quantile every second of the track. */
static float select_kth(float *c, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = c[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (c[i] < pivot) i++;
            while (c[j] > pivot) j--;
            if (i <= j) {
                float t = c[i];
                c[i] = c[j], c[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return c[k];
    }
    return c[k];
}

float hl_curve_quantile(const float *x, size_t n, double q) {
    if (n == 0) return 0;
    float *c = malloc(n * sizeof *c);
    if (!c) return x[n / 2]; /* out of memory: any sample beats failing a detection */
    memcpy(c, x, n * sizeof *c);
    size_t k = (size_t)(q * (double)(n - 1) + 0.5);
    float v = select_kth(c, n, k < n ? k : n - 1);
    free(c);
    return v;
}

static float window_lufs(const feature_inputs *in, size_t i, size_t before, size_t after) {
    size_t lo = i > before ? i - before : 0, hi = i + after < in->n ? i + after : in->n - 1;
    double sum = 0;
    for (size_t k = lo; k <= hi; k++) sum += in->audio[k].kpower;
    return (float)cf_lufs_from_power(sum / (double)(hi - lo + 1));
}

/* EBU R128 integrated loudness over the momentary blocks. */
static double integrated(const float *mom, size_t n) {
    double sum = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (mom[i] > -70.0f) sum += pow(10.0, (mom[i] + 0.691) / 10.0), cnt++;
    if (!cnt) return -70.0;
    double gate = -0.691 + 10.0 * log10(sum / cnt) - 10.0;
    sum = 0, cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (mom[i] > -70.0f && mom[i] > gate) sum += pow(10.0, (mom[i] + 0.691) / 10.0), cnt++;
    return cnt ? -0.691 + 10.0 * log10(sum / cnt) : -70.0;
}

/* Local loudness baseline per hop, into base (n values). */
static void local_baseline(const float *mom, size_t n, float fallback, float *base) {
    if (n == 0) return; /* no hops: nothing to fill (and grid[steps - 1] would be out of bounds) */
    size_t steps = (n + BASELINE_STEP - 1) / BASELINE_STEP;
    float *grid = malloc((steps + 1) * sizeof *grid), *tmp = malloc((2 * BASELINE_HALF + 1) * sizeof *tmp);
    if (!grid || !tmp) {
        for (size_t i = 0; i < n; i++) base[i] = fallback;
        free(grid), free(tmp);
        return;
    }
    for (size_t s = 0; s < steps; s++) {
        size_t c = s * BASELINE_STEP, lo = c > BASELINE_HALF ? c - BASELINE_HALF : 0;
        size_t hi = c + BASELINE_HALF < n ? c + BASELINE_HALF : n - 1, m = 0;
        for (size_t k = lo; k <= hi; k++)
            if (mom[k] > SILENT_LUFS) tmp[m++] = mom[k];
        grid[s] = m >= 20 ? hl_curve_quantile(tmp, m, 0.35) : fallback;
    }
    grid[steps] = grid[steps - 1];
    for (size_t i = 0; i < n; i++) {
        size_t s = i / BASELINE_STEP;
        float f = (float)(i % BASELINE_STEP) / BASELINE_STEP;
        base[i] = grid[s] * (1 - f) + grid[s + 1 < steps ? s + 1 : s] * f;
    }
    free(grid), free(tmp);
}

/* Per-hop audio likelihoods before smoothing. */
static void audio_shape(const audio_hop *a, float hop_lufs, float *speech, float *crowd) {
    float audible = hl_sigmoidf((hop_lufs + 50.0f) / 2.0f);
    float zcr_ok = hl_sigmoidf((0.25f - a->zcr) / 0.03f);
    *speech = audible * zcr_ok * hl_sigmoidf((a->speech_ratio - 0.5f) / 0.08f) *
              hl_sigmoidf((0.3f - a->flatness) / 0.06f);
    *crowd =
        audible * hl_sigmoidf((a->flatness - 0.3f) / 0.05f) * hl_sigmoidf((a->high_ratio - 0.1f) / 0.04f);
}

static void count_window(const float *x, float *y, size_t n, size_t half, float scale) {
    hl_curve_smooth(x, y, n, half);
    for (size_t i = 0; i < n; i++) y[i] *= (float)(2 * half + 1) * scale;
}

#define COL(f) (cols + (size_t)(f)*n)

/* The audio-event columns (and inputs, when asked for) from the raw hops. */
static cf_err derive_events(const feature_inputs *in, const float *hop_lufs, float *cols, cf_feature_track *t,
                            cf_error *err) {
    size_t n = in->n;
    if (in->keep_event_inputs && !(t->event_inputs = malloc(n * EV_N_INPUTS * sizeof *t->event_inputs)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "features: out of memory");
    if (t->event_inputs) t->n_event_inputs = EV_N_INPUTS;
    if (!in->events && !t->event_inputs) return CF_OK;
    if (in->events) snprintf(t->events_model, sizeof t->events_model, "%s", hl_ev_model_version(in->events));
    return hl_ev_classify_track(in->events, in->audio, hop_lufs, n, COL(CF_FEAT_EV_SPEECH), n,
                                t->event_inputs, err);
}

/* ---- the voice against the media's own speech ---- */

#define PITCH_HALF 10      /* hops: pitch level over 2.1 s */
#define RANGE_HALF 15      /* hops: pitch spread over 3.1 s */
#define SYLLABLE_HALF 10   /* hops: syllable rate over 2.1 s */
#define SLOW_HALF 25       /* hops: a slowed voice over 5.1 s */
#define SYLLABLE_RISE 4.0f /* dB an envelope peak stands over the dip before it */

/* Semitones of each voiced hop's pitch over the median pitch of the hops heard as speech (all
 * voiced hops when too few are); 0 and voiced[i] = false elsewhere. */
static void pitch_semitones(const feature_inputs *in, const float *speech, float *st, bool *voiced) {
    size_t n = in->n, m = 0, all = 0;
    for (size_t i = 0; i < n; i++) {
        voiced[i] = in->audio_ok[i] && in->audio[i].pitch_hz > 0;
        if (voiced[i]) st[all++] = log2f(in->audio[i].pitch_hz);
    }
    float *sp = malloc((all ? all : 1) * sizeof *sp);
    for (size_t i = 0; sp && i < n; i++)
        if (voiced[i] && speech[i] >= 0.5f) sp[m++] = log2f(in->audio[i].pitch_hz);
    float ref = m >= 50 ? hl_curve_quantile(sp, m, 0.5) : hl_curve_quantile(st, all, 0.5);
    free(sp);
    for (size_t i = 0; i < n; i++) st[i] = voiced[i] ? 12.0f * (log2f(in->audio[i].pitch_hz) - ref) : 0.0f;
}

/* Median and spread (interquartile range / 1.35, the standard deviation of a normal law that a
 * few octave errors do not inflate) of st over the voiced hops of [i - half, i + half]; 0 with
 * fewer than min_voiced of them. buf holds 2 half + 1 values. */
static void voiced_stats(const float *st, const bool *voiced, size_t n, size_t i, size_t half,
                         size_t min_voiced, float *buf, float *median, float *spread) {
    size_t lo = i > half ? i - half : 0, hi = i + half < n ? i + half : n - 1, k = 0;
    for (size_t j = lo; j <= hi; j++)
        if (voiced[j]) buf[k++] = st[j];
    *median = *spread = 0;
    if (k < min_voiced) return;
    *median = hl_curve_quantile(buf, k, 0.5);
    *spread = (hl_curve_quantile(buf, k, 0.75) - hl_curve_quantile(buf, k, 0.25)) / 1.35f;
}

/* Syllable-like peaks of the 40 Hz energy envelope per hop: a local maximum standing
 * SYLLABLE_RISE dB over the lowest point since the previous peak, in audible sound. */
static void syllable_peaks(const feature_inputs *in, const float *hop_lufs, float *peaks) {
    size_t n = in->n, m = n * CF_AUDIO_FRAMES;
    float dip = 1e9f;
    for (size_t k = 0; k < m; k++) {
        size_t h = k / CF_AUDIO_FRAMES;
        float e = in->audio[h].frame_db[k % CF_AUDIO_FRAMES];
        float prev = k ? in->audio[(k - 1) / CF_AUDIO_FRAMES].frame_db[(k - 1) % CF_AUDIO_FRAMES] : e;
        float next = k + 1 < m ? in->audio[(k + 1) / CF_AUDIO_FRAMES].frame_db[(k + 1) % CF_AUDIO_FRAMES] : e;
        if (k % CF_AUDIO_FRAMES == 0) peaks[h] = 0;
        if (e < dip) dip = e;
        if (e >= prev && e > next && e - dip >= SYLLABLE_RISE && hop_lufs[h] > SILENT_LUFS) {
            peaks[h] += 1;
            dip = e;
        }
    }
}

static float median_where(const float *x, const float *speech, size_t n, float fallback) {
    float *v = malloc((n ? n : 1) * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; v && i < n; i++)
        if (speech[i] >= 0.5f && x[i] > 0) v[m++] = x[i];
    float q = m >= 50 ? hl_curve_quantile(v, m, 0.5) : fallback;
    free(v);
    return q > 0 ? q : fallback;
}

static float ramp(float x, float lo, float hi) {
    return clampf((x - lo) / (hi - lo), 0, 1);
}

/* PITCH_REL, PITCH_RANGE, SYLLABLE_RATE and AROUSAL. Arousal is the larger of a raised pitch
 * (2 to 5 semitones over the media's speech) and a wider pitch range together with a faster
 * syllable rate (the lesser of the two, each 1.3 to 2 times the media's usual; either alone
 * varies too much between calm speakers): speech only made louder keeps its pitch, range and
 * rate, so it stays calm. speech: voice activity per hop. */
static cf_err derive_voice(const feature_inputs *in, const float *hop_lufs, const float *speech, float *cols,
                           cf_error *err) {
    size_t n = in->n;
    /* peaks zeroed: every hop is set, but GCC cannot see it */
    float *st = malloc(n * sizeof *st), *peaks = calloc(n, sizeof *peaks);
    float *buf = malloc((2 * RANGE_HALF + 1) * sizeof *buf);
    bool *voiced = malloc(n * sizeof *voiced);
    if (!st || !peaks || !buf || !voiced) {
        free(st), free(peaks), free(buf), free(voiced);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "features: out of memory");
    }
    pitch_semitones(in, speech, st, voiced);
    for (size_t i = 0; i < n; i++) {
        float level, spread, unused;
        voiced_stats(st, voiced, n, i, PITCH_HALF, 4, buf, &level, &unused);
        voiced_stats(st, voiced, n, i, RANGE_HALF, 6, buf, &unused, &spread);
        COL(CF_FEAT_PITCH_REL)[i] = level;
        COL(CF_FEAT_PITCH_RANGE)[i] = spread;
    }
    syllable_peaks(in, hop_lufs, peaks);
    count_window(peaks, COL(CF_FEAT_SYLLABLE_RATE), n, SYLLABLE_HALF, 10.0f / (2 * SYLLABLE_HALF + 1));
    float range0 = median_where(COL(CF_FEAT_PITCH_RANGE), speech, n, 2.0f);
    float rate0 = median_where(COL(CF_FEAT_SYLLABLE_RATE), speech, n, 4.0f);
    /* an emphatic passage is slower for seconds, not for one word: the rate over SLOW_HALF (st,
     * the pitch track, is free now) */
    hl_curve_smooth(COL(CF_FEAT_SYLLABLE_RATE), st, n, SLOW_HALF);
    for (size_t i = 0; i < n; i++) {
        float pitch = ramp(COL(CF_FEAT_PITCH_REL)[i], 2.0f, 5.0f);
        float range = ramp(COL(CF_FEAT_PITCH_RANGE)[i] / range0, 1.3f, 2.0f);
        float rate = ramp(COL(CF_FEAT_SYLLABLE_RATE)[i] / rate0, 1.3f, 2.0f);
        COL(CF_FEAT_AROUSAL)[i] = fmaxf(pitch, fminf(range, rate));
        /* an emphatic passage of a talk slows down (it is also louder): speech made louder does not */
        COL(CF_FEAT_SLOWED)[i] = st[i] > 0 ? ramp(rate0 / st[i], 1.1f, 1.25f) : 0.0f;
    }
    free(st), free(peaks), free(buf), free(voiced);
    return CF_OK;
}

static cf_err derive_audio(const feature_inputs *in, float *cols, cf_feature_track *t, cf_error *err) {
    double *integ = &t->integrated_lufs;
    cf_err rc = CF_OK;
    size_t n = in->n;
    float *hop_lufs = malloc(n * sizeof *hop_lufs), *tmp = malloc(n * sizeof *tmp);
    float *sp = malloc(n * sizeof *sp), *cr = malloc(n * sizeof *cr);
    if (!hop_lufs || !tmp || !sp || !cr) {
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "features: out of memory");
        goto end;
    }
    for (size_t i = 0; i < n; i++) hop_lufs[i] = (float)cf_lufs_from_power(in->audio[i].kpower);
    if ((rc = derive_events(in, hop_lufs, cols, t, err)) != CF_OK) goto end;
    for (size_t i = 0; i < n; i++) {
        COL(CF_FEAT_LOUD_M)[i] = window_lufs(in, i, CF_HL_MOMENTARY_BEFORE, CF_HL_MOMENTARY_AFTER);
        COL(CF_FEAT_LOUD_S)[i] = window_lufs(in, i, 15, 14);
        audio_shape(&in->audio[i], hop_lufs[i], &sp[i], &cr[i]);
        COL(CF_FEAT_FLUX)[i] = in->audio[i].flux;
        COL(CF_FEAT_FLATNESS)[i] = in->audio[i].flatness;
        tmp[i] = (float)in->audio[i].onsets;
    }
    *integ = integrated(COL(CF_FEAT_LOUD_M), n);
    count_window(tmp, COL(CF_FEAT_ONSET_RATE), n, 5, 10.0f / 11.0f);
    hl_curve_smooth(sp, COL(CF_FEAT_SPEECH), n, 2);
    hl_curve_smooth(cr, COL(CF_FEAT_CROWD), n, 2);
    local_baseline(COL(CF_FEAT_LOUD_M), n, (float)*integ, tmp);
    float silent_below = fmaxf(SILENT_LUFS, (float)*integ - 25.0f);
    for (size_t i = 0; i < n; i++) {
        COL(CF_FEAT_LOUD_REL_LOCAL)[i] = COL(CF_FEAT_LOUD_S)[i] - tmp[i];
        COL(CF_FEAT_LOUD_REL_GLOBAL)[i] = COL(CF_FEAT_LOUD_S)[i] - (float)*integ;
        COL(CF_FEAT_SILENCE)[i] = COL(CF_FEAT_LOUD_M)[i] < silent_below ? 1.0f : 0.0f;
    }
    if ((rc = derive_voice(in, hop_lufs, COL(CF_FEAT_SPEECH), cols, err)) != CF_OK) goto end;
    hl_curve_smooth(COL(CF_FEAT_SPEECH), sp, n, 10);
    for (size_t i = 0; i < n; i++) {
        COL(CF_FEAT_EXCITED)[i] = sp[i] * clampf((COL(CF_FEAT_LOUD_REL_LOCAL)[i] - 2.0f) / 8.0f, 0, 1);
        COL(CF_FEAT_EXCITED_VOICE)[i] = COL(CF_FEAT_EXCITED)[i] * COL(CF_FEAT_AROUSAL)[i];
    }
end:
    free(hop_lufs), free(tmp), free(sp), free(cr);
    return rc;
}

static void derive_video(const feature_inputs *in, float *cols) {
    size_t n = in->n;
    float *tmp = calloc(n, sizeof *tmp);
    if (!tmp) return;
    float motion = 0, bright = 0;
    for (size_t i = 0; i < n; i++) {
        const video_hop *v = &in->video[i];
        if (v->frames) motion = v->motion, bright = v->brightness; /* hops between frames: hold */
        COL(CF_FEAT_MOTION)[i] = motion;
        COL(CF_FEAT_BRIGHTNESS)[i] = bright;
        COL(CF_FEAT_CUT)[i] = v->cut_max;
        tmp[i] = (float)v->cuts;
    }
    /* cuts per 10 s counted over 5 s: a wider window would smear a burst's edges */
    count_window(tmp, COL(CF_FEAT_CUT_RATE), n, 25, 2.0f);
    float med = hl_curve_quantile(COL(CF_FEAT_MOTION), n, 0.5);
    hl_curve_smooth(COL(CF_FEAT_MOTION), tmp, n, 5);
    for (size_t i = 0; i < n; i++) COL(CF_FEAT_MOTION_REL)[i] = log2f((tmp[i] + 0.5f) / (med + 0.5f));
    free(tmp);
}

cf_err hl_features_finalize(const feature_inputs *in, cf_feature_track **out, cf_error *err) {
    size_t n = in->n;
    cf_feature_track *t = calloc(1, sizeof *t);
    float *cols = calloc(n * CF_FEAT_COUNT, sizeof *cols);
    if (!t || !cols || n == 0) {
        free(t), free(cols);
        return cf_error_set(err, n ? CF_ERR_NO_MEMORY : CF_ERR_INVALID_MEDIA,
                            n ? "features: out of memory" : "features: empty media");
    }
    t->hop_ms = CF_HL_HOP_MS;
    t->n_hops = n;
    t->has_audio = in->has_audio;
    t->has_video = in->has_video;
    t->integrated_lufs = -70.0;
    cf_err rc = in->has_audio ? derive_audio(in, cols, t, err) : CF_OK;
    if (rc) {
        free(cols);
        cf_feature_track_free(t);
        return rc;
    }
    if (!in->has_audio)
        for (size_t i = 0; i < n; i++) COL(CF_FEAT_LOUD_M)[i] = COL(CF_FEAT_LOUD_S)[i] = -120.0f;
    if (in->has_video) derive_video(in, cols);
    t->v = malloc(n * CF_FEAT_COUNT * sizeof *t->v);
    if (!t->v) {
        free(cols);
        cf_feature_track_free(t);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "features: out of memory");
    }
    for (size_t i = 0; i < n; i++) /* column-major while deriving, row-major to store */
        for (int f = 0; f < CF_FEAT_COUNT; f++) t->v[i * CF_FEAT_COUNT + f] = COL(f)[i];
    free(cols);
    *out = t;
    return CF_OK;
}

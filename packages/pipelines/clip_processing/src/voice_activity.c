/* voice_activity.c — voice activity of a span (see voice_activity.h). Settings: the frame
 * length, hangover and shortest run in voice_activity.h; the thresholds below. */
#include "voice_activity.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FRAME (CFCLIP_VAD_RATE * CFCLIP_VAD_FRAME_MS / 1000)
#define QUIET_DB (-120.0f)       /* a frame of digital silence */
#define NOTHING_LOUD_DB (-75.0f) /* a span whose loud level is below this says nothing */
/* The threshold is never under LOWEST_THRESHOLD_DB for a span whose loud level reaches
 * USUAL_LOUD_DB, and as much lower as a quieter span is quieter: with -60 dBFS as the level of
 * nothing and -70 as the lowest threshold, a lecture recorded 40 dB down had no pause found. */
#define LOWEST_THRESHOLD_DB (-70.0f)
#define USUAL_LOUD_DB (-30.0f)
#define FRICATIVE_ZCR 0.15f /* zero crossings per sample of noisy consonants (s, f, t) */

typedef struct biquad {
    double b0, b1, b2, a1, a2, z1, z2;
} biquad;

/* RBJ cookbook high- or low-pass at f0 Hz, Q 1/sqrt(2). */
static biquad pass(double f0, bool high) {
    double w = 2.0 * M_PI * f0 / CFCLIP_VAD_RATE, c = cos(w), alpha = sin(w) / (2.0 * M_SQRT1_2),
           a0 = 1.0 + alpha;
    double b1 = high ? -(1.0 + c) : 1.0 - c, b0 = high ? (1.0 + c) / 2.0 : (1.0 - c) / 2.0;
    return (biquad){b0 / a0, b1 / a0, b0 / a0, -2.0 * c / a0, (1.0 - alpha) / a0, 0, 0};
}

static double run(biquad *f, double x) {
    double y = f->b0 * x + f->z1;
    f->z1 = f->b1 * x - f->a1 * y + f->z2;
    f->z2 = f->b2 * x - f->a2 * y;
    return y;
}

typedef struct frame_features {
    float band_db; /* energy 250-3800 Hz */
    float high_db; /* energy above 3800 Hz */
    float zcr;     /* zero crossings per sample */
} frame_features;

struct cfclip_vad {
    biquad band_hp, band_lp, high_hp;
    double band, high, prev;
    size_t filled, zc;
    frame_features *f;
    size_t n, cap;
};

cf_err cfclip_vad_new(cfclip_vad **out, cf_error *err) {
    cfclip_vad *v = calloc(1, sizeof *v);
    *out = v;
    if (!v) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    v->band_hp = pass(250, true), v->band_lp = pass(3800, false), v->high_hp = pass(3800, true);
    return CF_OK;
}

static float to_db(double mean_square) {
    return mean_square > 1e-12 ? (float)(10.0 * log10(mean_square)) : QUIET_DB;
}

static cf_err end_frame(cfclip_vad *v, cf_error *err) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1024;
        frame_features *f = realloc(v->f, cap * sizeof *f);
        if (!f) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        v->f = f, v->cap = cap;
    }
    v->f[v->n++] = (frame_features){to_db(v->band / FRAME), to_db(v->high / FRAME), (float)v->zc / FRAME};
    v->band = v->high = 0, v->filled = v->zc = 0;
    return CF_OK;
}

cf_err cfclip_vad_push(cfclip_vad *v, const float *x, size_t n, cf_error *err) {
    for (size_t i = 0; i < n; i++) {
        double b = run(&v->band_lp, run(&v->band_hp, x[i])), h = run(&v->high_hp, x[i]);
        v->band += b * b, v->high += h * h;
        v->zc += (x[i] >= 0) != (v->prev >= 0);
        v->prev = x[i];
        if (++v->filled == FRAME) {
            cf_err rc = end_frame(v, err);
            if (rc) return rc;
        }
    }
    return CF_OK;
}

static int by_value(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The level a frame must reach to count: between the span's floor (10th percentile) and its
 * loud level (95th), at least 9 dB over the floor and at most 15 dB under the loud level (so
 * the quiet syllables of a span that hardly pauses still count); +inf when nothing is loud. */
static float threshold(const cfclip_vad *v, size_t offset) {
    float *s = malloc(v->n * sizeof *s);
    if (!s) return INFINITY;
    for (size_t i = 0; i < v->n; i++) s[i] = *(const float *)((const char *)&v->f[i] + offset);
    qsort(s, v->n, sizeof *s, by_value);
    float floor_db = s[v->n / 10], loud = s[v->n * 95 / 100];
    free(s);
    if (loud < NOTHING_LOUD_DB) return INFINITY;
    float t = fminf(floor_db + fmaxf(9.0f, 0.3f * (loud - floor_db)), loud - 15.0f);
    return fmaxf(t, LOWEST_THRESHOLD_DB + fminf(0.0f, loud - USUAL_LOUD_DB));
}

/* Voiced frames as runs of frame indices [a, b), bridged over quiet shorter than the hangover
 * and without the runs shorter than the shortest syllable. Returns the count. */
static size_t voiced_runs(const cfclip_vad *v, float band_t, float high_t, size_t *a, size_t *b) {
    size_t k = 0, hang = CFCLIP_VAD_HANGOVER_MS / CFCLIP_VAD_FRAME_MS;
    for (size_t i = 0; i < v->n; i++) {
        const frame_features *f = &v->f[i];
        bool voiced = f->band_db >= band_t || (f->high_db >= high_t && f->zcr >= FRICATIVE_ZCR);
        if (!voiced) continue;
        if (k && i - b[k - 1] < hang) b[k - 1] = i + 1;
        else a[k] = i, b[k++] = i + 1;
    }
    size_t m = 0, shortest = CFCLIP_VAD_MIN_RUN_MS / CFCLIP_VAD_FRAME_MS;
    for (size_t i = 0; i < k; i++)
        if (b[i] - a[i] >= shortest) a[m] = a[i], b[m++] = b[i];
    return m;
}

cf_err cfclip_vad_ranges(const cfclip_vad *v, int64_t origin_ms, cf_time_range **out, size_t *n,
                         cf_error *err) {
    *out = NULL, *n = 0;
    if (!v->n) return CF_OK;
    float band_t = threshold(v, offsetof(frame_features, band_db));
    float high_t = threshold(v, offsetof(frame_features, high_db));
    size_t *a = malloc(v->n * sizeof *a), *b = malloc(v->n * sizeof *b);
    cf_time_range *r = malloc(v->n * sizeof *r);
    if (!a || !b || !r) {
        free(a), free(b), free(r);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    size_t k = voiced_runs(v, band_t, high_t, a, b);
    for (size_t i = 0; i < k; i++)
        r[i] = (cf_time_range){origin_ms + (int64_t)a[i] * CFCLIP_VAD_FRAME_MS,
                               origin_ms + (int64_t)b[i] * CFCLIP_VAD_FRAME_MS};
    free(a), free(b);
    if (!k) free(r), r = NULL;
    *out = r, *n = k;
    return CF_OK;
}

void cfclip_vad_free(cfclip_vad *v) {
    if (!v) return;
    free(v->f);
    free(v);
}

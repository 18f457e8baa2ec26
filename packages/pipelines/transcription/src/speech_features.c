/* speech_features.c — speech rate, pauses and emphasis from word times and the audio level.
 * Emphasis compares each word's RMS level (dB) with the mean over all words, so it does not
 * depend on the recording's gain. */
#include "clipforge/speech_features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/transcribe.h"

#define SAMPLES_PER_MS (CF_STT_SAMPLE_RATE / 1000)

void cf_speech_features_free(cf_speech_features *f) {
    if (!f) return;
    free(f->speech_rate_wpm);
    free(f->pause_ms);
    free(f->emphasis_db);
    free(f->loudness_db);
    free(f->word_emphasis_db);
    free(f->word_rate_wpm);
    free(f->pause_before_ms);
    memset(f, 0, sizeof *f);
}

static float level_db(const int16_t *pcm, size_t n, int64_t a_ms, int64_t b_ms) {
    if (!pcm || a_ms < 0) return 0;
    size_t a = (size_t)a_ms * SAMPLES_PER_MS, b = (size_t)b_ms * SAMPLES_PER_MS;
    if (b > n) b = n;
    if (a >= b) return -100.0f;
    double sum = 0;
    for (size_t i = a; i < b; i++) sum += (double)pcm[i] * pcm[i];
    double rms = sqrt(sum / (double)(b - a)) / 32768.0;
    return rms > 1e-5 ? (float)(20.0 * log10(rms)) : -100.0f;
}

static const cf_transcript_word **flat_words(const cf_transcript *t, size_t *n) {
    size_t cap = cf_transcript_word_count(t), k = 0;
    const cf_transcript_word **w = calloc(cap ? cap : 1, sizeof *w);
    for (size_t s = 0; w && s < t->n_segments; s++)
        for (size_t i = 0; i < t->segments[s].n_words && k < cap; i++) w[k++] = &t->segments[s].words[i];
    *n = k; /* the words filled in: every one of w[0..k) is set */
    return w;
}

static cf_err alloc_all(cf_speech_features *f, cf_error *err) {
    size_t s = f->n_steps ? f->n_steps : 1, w = f->n_words ? f->n_words : 1;
    f->speech_rate_wpm = calloc(s, sizeof(float));
    f->pause_ms = calloc(s, sizeof(float));
    f->emphasis_db = calloc(s, sizeof(float));
    f->loudness_db = calloc(s, sizeof(float));
    f->word_emphasis_db = calloc(w, sizeof(float));
    f->word_rate_wpm = calloc(w, sizeof(float));
    f->pause_before_ms = calloc(w, sizeof(float));
    if (f->speech_rate_wpm && f->pause_ms && f->emphasis_db && f->loudness_db && f->word_emphasis_db &&
        f->word_rate_wpm && f->pause_before_ms)
        return CF_OK;
    cf_speech_features_free(f);
    return cf_error_set(err, CF_ERR_NO_MEMORY, "speech features: out of memory");
}

/* Word midpoints in ascending order, so a window's word count is two binary searches. */
typedef struct midpoints {
    int64_t *v;
    size_t n;
} midpoints;

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static size_t first_at_or_after(const midpoints *m, int64_t t) {
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->v[mid] < t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Words whose midpoint lies within half a window of time t, per minute. */
static float rate_at(const midpoints *m, int64_t t, int64_t window) {
    size_t count = first_at_or_after(m, t + window / 2) - first_at_or_after(m, t - window / 2);
    return (float)((double)count * 60000.0 / (double)window);
}

static void fill_span(float *a, size_t n_steps, int64_t hop, int64_t from, int64_t to, float v) {
    for (int64_t s = from / hop; s < (int64_t)n_steps && s * hop < to; s++)
        if (s >= 0) a[s] = v;
}

static void word_features(cf_speech_features *f, const cf_transcript_word **w, const midpoints *m,
                          const int16_t *pcm, size_t n, int64_t min_pause, int64_t window) {
    double sum = 0;
    for (size_t i = 0; i < f->n_words; i++) {
        f->word_emphasis_db[i] = level_db(pcm, n, w[i]->start_ms, w[i]->end_ms);
        sum += f->word_emphasis_db[i];
    }
    double mean = f->n_words ? sum / (double)f->n_words : 0;
    for (size_t i = 0; i < f->n_words; i++) {
        f->word_emphasis_db[i] = pcm ? (float)(f->word_emphasis_db[i] - mean) : 0.0f;
        f->word_rate_wpm[i] = rate_at(m, (w[i]->start_ms + w[i]->end_ms) / 2, window);
        int64_t gap = w[i]->start_ms - (i ? w[i - 1]->end_ms : 0);
        f->pause_before_ms[i] = gap > 0 ? (float)gap : 0.0f;
        if (gap >= min_pause && i > 0) f->n_pauses++;
    }
}

static void step_features(cf_speech_features *f, const cf_transcript_word **w, const midpoints *m,
                          const int16_t *pcm, size_t n, int64_t duration, int64_t min_pause, int64_t window) {
    int64_t hop = f->hop_ms;
    for (size_t s = 0; s < f->n_steps; s++) {
        int64_t t = (int64_t)s * hop;
        f->speech_rate_wpm[s] = rate_at(m, t + hop / 2, window);
        f->loudness_db[s] = pcm ? level_db(pcm, n, t, t + hop) : 0.0f;
    }
    for (size_t i = 0; i <= f->n_words; i++) {
        int64_t from = i ? w[i - 1]->end_ms : 0, to = i < f->n_words ? w[i]->start_ms : duration;
        if (to - from >= min_pause) fill_span(f->pause_ms, f->n_steps, hop, from, to, (float)(to - from));
        if (i < f->n_words)
            fill_span(f->emphasis_db, f->n_steps, hop, w[i]->start_ms, w[i]->end_ms, f->word_emphasis_db[i]);
    }
}

cf_err cf_speech_features_compute(const cf_transcript *t, const int16_t *pcm, size_t n,
                                  const cf_speech_features_options *opts, cf_speech_features *out,
                                  cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_speech_features_options o = {100, 5000, 300};
    if (opts && opts->hop_ms > 0) o.hop_ms = opts->hop_ms;
    if (opts && opts->rate_window_ms > 0) o.rate_window_ms = opts->rate_window_ms;
    if (opts && opts->min_pause_ms > 0) o.min_pause_ms = opts->min_pause_ms;
    const cf_transcript_word **w = flat_words(t, &out->n_words);
    if (!w) return cf_error_set(err, CF_ERR_NO_MEMORY, "speech features: out of memory");
    int64_t duration = t->duration_ms;
    if (out->n_words && w[out->n_words - 1]->end_ms > duration) duration = w[out->n_words - 1]->end_ms;
    out->hop_ms = o.hop_ms;
    out->n_steps = (size_t)((duration + o.hop_ms - 1) / o.hop_ms);
    midpoints m = {malloc((out->n_words ? out->n_words : 1) * sizeof(int64_t)), out->n_words};
    cf_err e =
        m.v ? alloc_all(out, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "speech features: out of memory");
    if (!e) {
        for (size_t i = 0; i < m.n; i++) m.v[i] = (w[i]->start_ms + w[i]->end_ms) / 2;
        qsort(m.v, m.n, sizeof *m.v, cmp_i64);
        word_features(out, w, &m, pcm, n, o.min_pause_ms, o.rate_window_ms);
        step_features(out, w, &m, pcm, n, duration, o.min_pause_ms, o.rate_window_ms);
        int64_t spoken = out->n_words ? w[out->n_words - 1]->end_ms - w[0]->start_ms : 0;
        out->mean_rate_wpm = spoken > 0 ? (double)out->n_words * 60000.0 / (double)spoken : 0;
    }
    free(m.v);
    free(w);
    return e;
}

cf_err cf_speech_features_from_file(const char *path, const cf_transcript *t,
                                    const cf_speech_features_options *opts, cf_speech_features *out,
                                    cf_error *err) {
    int16_t *pcm = NULL;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    cf_err e = cf_stt_load_audio(path, 0, NULL, &pcm, &n, err);
    if (!e) e = cf_speech_features_compute(t, pcm, n, opts, out, err);
    free(pcm);
    return e;
}

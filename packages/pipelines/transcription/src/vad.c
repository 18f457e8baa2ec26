/* vad.c — energy-based voice activity detection and chunking at pauses.
 *
 * Each 20 ms frame's energy (dB) is compared with a threshold set between the recording's noise
 * floor (10th percentile) and its loud level (95th percentile), so it adapts to the recording's
 * gain and to steady background noise. Short gaps inside words are closed and blips dropped.
 * Chunks are cut in the middle of the first pause after min_chunk_ms, or of the longest pause
 * before max_chunk_ms; with no pause at all (music under speech) at the quietest frame. A short
 * stretch of speech alone between long pauses (item_ms, item_pause_ms: a word or a name said on
 * its own, as in a list or a game's prompts) is a chunk of its own, so the recogniser's language
 * model does not join it with its neighbours into a phrase; running speech is cut as above. */
#include "vad.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_MS 20

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Each frame's energy about the recording's mean: a DC offset (a cheap microphone's, a sound
 * card's) is no sound, and 10 % of full scale of it hid every word of a recording under its
 * floor. The mean of the whole recording, not of each frame: a recording without an offset keeps
 * the energies it had (a frame's own mean takes its low tones off too, and moved the pauses). */
static float *frame_energies(const int16_t *pcm, size_t n, size_t len, size_t n_frames) {
    float *e = malloc(n_frames * sizeof *e);
    if (!e) return NULL;
    double dc = 0;
    for (size_t i = 0; i < n; i++) dc += pcm[i];
    dc = n ? dc / (double)n : 0;
    for (size_t f = 0; f < n_frames; f++) {
        size_t a = f * len, b = a + len < n ? a + len : n;
        double sum = 0;
        for (size_t i = a; i < b; i++) sum += (pcm[i] - dc) * (pcm[i] - dc);
        e[f] = (float)(10.0 * log10(sum / (double)(b - a) + 1.0));
    }
    return e;
}

/* Threshold between floor and loud level; +inf when the whole recording is quiet. */
static float speech_threshold(const float *e, size_t n_frames) {
    float *sorted = malloc(n_frames * sizeof *sorted);
    if (!sorted) return NAN;
    memcpy(sorted, e, n_frames * sizeof *sorted);
    qsort(sorted, n_frames, sizeof *sorted, cmp_float);
    float floor_db = sorted[n_frames / 10], loud = sorted[n_frames * 95 / 100];
    free(sorted);
    /* below about -72 dBFS (12 dB over a 16-bit recording's dither): nothing to hear. Quieter
     * speech is speech to the recogniser all the same (its cepstral mean takes the gain off):
     * with -52 dBFS here, a take of read speech at -64 dBFS (a 32-bit float recorder's headroom,
     * a lecture from the back of the room) gave no word, now 69 of the 71 at full level */
    if (loud < 15.0f) return INFINITY;
    float gap = loud - floor_db;
    return floor_db + (gap * 0.3f > 6.0f ? gap * 0.3f : 6.0f);
}

/* Sets runs of value v shorter than min frames to !v. */
static void close_runs(uint8_t *m, size_t n, uint8_t v, size_t min) {
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && m[j] == m[i]) j++;
        if (m[i] == v && j - i < min && i > 0 && j < n) memset(m + i, !v, j - i);
        i = j;
    }
}

cf_err cf__vad_mask(const int16_t *pcm, size_t n, int rate, int frame_ms, uint8_t **mask, size_t *n_frames,
                    cf_error *err) {
    size_t len = (size_t)rate * (size_t)frame_ms / 1000;
    *mask = NULL;
    *n_frames = len ? (n + len - 1) / len : 0;
    if (*n_frames == 0) return CF_OK;
    float *e = frame_energies(pcm, n, len, *n_frames);
    uint8_t *m = calloc(*n_frames, 1);
    float th = e ? speech_threshold(e, *n_frames) : NAN;
    if (!e || !m || isnan(th)) {
        free(e);
        free(m);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "voice detection: out of memory");
    }
    for (size_t f = 0; f < *n_frames; f++) m[f] = e[f] > th;
    free(e);
    close_runs(m, *n_frames, 0, (size_t)(150 / frame_ms)); /* stops inside words */
    close_runs(m, *n_frames, 1, (size_t)(60 / frame_ms));  /* clicks */
    *mask = m;
    return CF_OK;
}

/* Finds the frame to cut at in (from, limit]: middle of a pause, or the quietest frame. */
static size_t pick_cut(const uint8_t *m, const float *e, size_t from, size_t lo, size_t limit,
                       size_t min_pause) {
    size_t best = 0, best_len = 0;
    for (size_t i = from; i < limit;) {
        if (m[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < limit && !m[j]) j++;
        if (j - i >= min_pause) {
            if (i >= lo) return i + (j - i) / 2; /* first pause past the preferred length */
            if (j - i >= best_len) best = i + (j - i) / 2, best_len = j - i;
        }
        i = j;
    }
    if (best_len) return best;
    size_t q = from + (limit - from) / 2;
    for (size_t i = q; i < limit; i++)
        if (e[i] < e[q]) q = i;
    return q;
}

static cf_err push_chunk(cf__vad_chunk **out, size_t *n, size_t *cap, size_t a, size_t b, cf_error *err) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        cf__vad_chunk *p = realloc(*out, c * sizeof *p);
        if (!p) return cf_error_set(err, CF_ERR_NO_MEMORY, "voice detection: out of memory");
        *out = p;
        *cap = c;
    }
    (*out)[(*n)++] = (cf__vad_chunk){a, b};
    return CF_OK;
}

/* Adds [a, b) frames trimmed to its speech plus padding, unless it holds no speech. */
static cf_err add_trimmed(const uint8_t *m, size_t a, size_t b, size_t pad, size_t len, size_t n,
                          cf__vad_chunk **out, size_t *n_out, size_t *cap, cf_error *err) {
    size_t s = a, t = b;
    while (s < b && !m[s]) s++;
    while (t > s && !m[t - 1]) t--;
    if (s == t) return CF_OK;
    s = s > a + pad ? s - pad : a;
    t = t + pad < b ? t + pad : b;
    size_t end = t * len < n ? t * len : n;
    return push_chunk(out, n_out, cap, s * len, end, err);
}

/* Number of frames from the first speech frame of [a, b) to its last one; 0 without speech. */
static size_t speech_extent(const uint8_t *m, size_t a, size_t b) {
    while (a < b && !m[a]) a++;
    while (b > a && !m[b - 1]) b--;
    return b - a;
}

static bool is_item(const uint8_t *m, size_t a, size_t b, size_t item_f) {
    size_t len = speech_extent(m, a, b);
    return len > 0 && len < item_f;
}

/* Frames where a chunk must end: the middle of every quiet run of at least pause_f frames that
 * has an item (speech shorter than item_f frames up to the next such run) on either side, then
 * nf. *cuts is malloc'd, ascending (caller frees). */
static cf_err item_cuts(const uint8_t *m, size_t nf, size_t pause_f, size_t item_f, size_t **cuts,
                        size_t *n_cuts, cf_error *err) {
    size_t n = 0, *c = malloc((nf / (pause_f ? pause_f : 1) + 2) * sizeof *c);
    if (!c) return cf_error_set(err, CF_ERR_NO_MEMORY, "voice detection: out of memory");
    bool pending = false, item_before = false; /* a long pause whose stretch after is not seen yet */
    size_t p_start = 0, p_end = 0;
    for (size_t i = 0; item_f && i < nf;) {
        size_t j = i;
        while (j < nf && m[j] == m[i]) j++;
        if (!m[i] && j - i >= pause_f) {
            bool item = is_item(m, pending ? p_end : 0, i, item_f);
            if (pending && (item_before || item)) c[n++] = p_start + (p_end - p_start) / 2;
            pending = true, item_before = item, p_start = i, p_end = j;
        }
        i = j;
    }
    if (pending && (item_before || is_item(m, p_end, nf, item_f))) c[n++] = p_start + (p_end - p_start) / 2;
    c[n++] = nf;
    *cuts = c;
    *n_cuts = n;
    return CF_OK;
}

cf_err cf__vad_split(const int16_t *pcm, size_t n, int rate, const cf__vad_options *opts, cf__vad_chunk **out,
                     size_t *n_out, cf_error *err) {
    cf__vad_options o = {20000, 4000, 250, 250, 2000, 500};
    if (opts) {
        if (opts->max_chunk_ms > 0) o.max_chunk_ms = opts->max_chunk_ms;
        if (opts->min_chunk_ms > 0) o.min_chunk_ms = opts->min_chunk_ms;
        if (opts->min_pause_ms > 0) o.min_pause_ms = opts->min_pause_ms;
        if (opts->pad_ms > 0) o.pad_ms = opts->pad_ms;
        if (opts->item_ms) o.item_ms = opts->item_ms > 0 ? opts->item_ms : 0;
        if (opts->item_pause_ms > 0) o.item_pause_ms = opts->item_pause_ms;
    }
    if (o.min_chunk_ms > o.max_chunk_ms / 2) o.min_chunk_ms = o.max_chunk_ms / 2;
    *out = NULL;
    *n_out = 0;
    uint8_t *m = NULL;
    size_t nf = 0, cap = 0, len = (size_t)rate * FRAME_MS / 1000;
    cf_err e = cf__vad_mask(pcm, n, rate, FRAME_MS, &m, &nf, err);
    if (e || nf == 0) return e;
    float *en = frame_energies(pcm, n, len, nf);
    if (!en) {
        free(m);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "voice detection: out of memory");
    }
    size_t max_f = (size_t)(o.max_chunk_ms / FRAME_MS), min_f = (size_t)(o.min_chunk_ms / FRAME_MS);
    size_t pause_f = (size_t)(o.min_pause_ms / FRAME_MS), pad_f = (size_t)(o.pad_ms / FRAME_MS);
    size_t *cuts = NULL, n_cuts = 0;
    e = item_cuts(m, nf, (size_t)(o.item_pause_ms / FRAME_MS), (size_t)(o.item_ms / FRAME_MS), &cuts, &n_cuts,
                  err);
    for (size_t k = 0, a = 0; k < n_cuts && !e; k++) {
        while (a < cuts[k] && !e) {
            size_t b = cuts[k];
            if (b - a > max_f) b = pick_cut(m, en, a + 1, a + min_f, a + max_f, pause_f);
            e = add_trimmed(m, a, b, pad_f, len, n, out, n_out, &cap, err);
            a = b;
        }
    }
    free(cuts);
    free(en);
    free(m);
    if (e) {
        free(*out);
        *out = NULL;
        *n_out = 0;
    }
    return e;
}

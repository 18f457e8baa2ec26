/* spans.c — span selection shared by every engine.
 *
 * 1. Smooth the score curve (centred mean over the profile's smooth_ms).
 * 2. Peaks: local maxima at or over min_score; each grows into the region where the smoothed
 *    curve stays over half its peak (and over 0.8 min_score) — the half-maximum width.
 * 3. Fit the profile's length bounds: a short region grows towards its stronger side, a long one
 *    keeps its best-scoring max_len window.
 * 4. Snap each boundary within snap_ms: to a scene cut when there is one, else to a pause when
 *    speech runs across the boundary (with a transcript: a gap of 300 ms or more between
 *    words, else the end of a sentence, turn or caption); transcript words are never cut.
 * 5. Score = half the smoothed peak plus half the mean raw score inside the span (0..1: scores
 *    stay on the engine's calibrated scale, so they compare across media).
 * 6. Non-maximum suppression: a span is dropped when it overlaps (or comes within min_gap_ms of)
 *    a better one; the first top_n survivors are returned, best first. */
#include "spans.h"

#include <stdlib.h>
#include <string.h>

#include "feature_math.h"

static size_t hops_of(int64_t ms) { return (size_t)((ms + CF_HL_HOP_MS / 2) / CF_HL_HOP_MS); }

static void grow(const float *s, size_t n, size_t peak, double thr, size_t *lo, size_t *hi) {
    size_t a = peak, b = peak + 1;
    while (a > 0 && s[a - 1] >= thr) a--;
    while (b < n && s[b] >= thr) b++;
    *lo = a, *hi = b;
}

static void fit_length(const float *s, size_t n, size_t min_len, size_t max_len, size_t *lo, size_t *hi) {
    if (min_len > n) min_len = n;
    while (*hi - *lo < min_len) {
        bool left = *lo > 0, right = *hi < n;
        if (left && (!right || s[*lo - 1] >= s[*hi])) (*lo)--;
        else (*hi)++;
    }
    if (*hi - *lo <= max_len) return;
    double sum = 0, best;
    for (size_t k = *lo; k < *lo + max_len; k++) sum += s[k];
    best = sum;
    size_t best_start = *lo;
    for (size_t st = *lo + 1; st + max_len <= *hi; st++) {
        sum += s[st + max_len - 1] - s[st - 1];
        if (sum > best) best = sum, best_start = st;
    }
    *lo = best_start, *hi = best_start + max_len;
}

static bool is_cut(const cf_feature_track *t, size_t hop) {
    return hop < t->n_hops && cf_feat(t, hop, CF_FEAT_CUT) > 0;
}

/* With a transcript, a pause is a gap between words (>= 300 ms); without, a quiet or voiceless
 * hop. */
static bool is_pause(const cf_feature_track *t, size_t hop) {
    if (hop >= t->n_hops) return false;
    if (t->has_transcript) return cf_feat(t, hop, CF_FEAT_PAUSE) > 0;
    return cf_feat(t, hop, CF_FEAT_SILENCE) > 0 || cf_feat(t, hop, CF_FEAT_SPEECH) < 0.2f;
}

static bool speaking(const cf_feature_track *t, size_t hop) {
    if (t->has_transcript) return !is_pause(t, hop);
    return t->has_audio && cf_feat(t, hop, CF_FEAT_SPEECH) >= 0.5f;
}

/* Nearest hop to b within +-w satisfying pred, or SIZE_MAX. */
static size_t nearest(const cf_feature_track *t, size_t b, size_t w,
                      bool (*pred)(const cf_feature_track *, size_t)) {
    for (size_t d = 0; d <= w; d++) {
        if (b >= d && pred(t, b - d)) return b - d;
        if (d && pred(t, b + d)) return b + d;
    }
    return SIZE_MAX;
}

/* A boundary b sits between hops b-1 and b. A cut in hop c starts a new scene at c, so both a
 * start and an end snap to c; a pause hop p is kept inside the span's quiet edge. */
static size_t snap(const cf_feature_track *t, size_t b, size_t w, bool is_start) {
    size_t c = nearest(t, b, w, is_cut);
    if (c != SIZE_MAX) return c;
    size_t probe = is_start ? b : (b > 0 ? b - 1 : 0);
    if (!speaking(t, probe < t->n_hops ? probe : t->n_hops - 1))
        return b; /* nothing is said across this boundary */
    size_t p = nearest(t, probe, w, is_pause);
    if (p == SIZE_MAX) return b;
    return is_start ? p : p + 1;
}

/* Edge e (ms) is outside every word, with 300 ms or more between the words around it. */
static bool in_pause(const cf_hl_word *w, size_t n, int64_t e) {
    int64_t before = INT64_MIN, after = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (w[i].start_ms < e && w[i].end_ms > e) return false;
        if (w[i].end_ms <= e && w[i].end_ms > before) before = w[i].end_ms;
        if (w[i].start_ms >= e && w[i].start_ms < after) after = w[i].start_ms;
    }
    return after == INT64_MAX || before == INT64_MIN || after - before >= 300;
}

/* The segment edge of tr nearest to e within win ms (a start edge takes a segment's first word,
 * an end edge its last), or e when there is none. */
static int64_t segment_edge(const cf_transcript *tr, int64_t e, int64_t win, bool is_start) {
    int64_t best = e, d_best = win + 1;
    for (size_t g = 0; tr && g < tr->n_segments; g++) {
        const cf_transcript_segment *s = &tr->segments[g];
        if (!s->n_words) continue;
        int64_t b = is_start ? s->words[0].start_ms : s->words[s->n_words - 1].end_ms;
        int64_t d = b > e ? b - e : e - b;
        if (d < d_best) best = b, d_best = d;
    }
    return best;
}

/* With a transcript, at the ms (hops are 100 ms and words often abut): an edge in running speech
 * that is not on a scene cut moves to a segment edge within snap_ms (cuts between sentences or
 * turns, not mid-sentence); then an edge still inside a word moves out to the word's edge. Words
 * are in time order, so walking them backwards from the start and forwards from the end follows
 * a chain of overlapping words to its outer edge. */
static void respect_words(const cf_feature_track *t, const cf_hl_word *words, size_t n_words,
                          const cf_transcript *tr, int64_t snap_ms, hl_span *c) {
    if (n_words && !is_cut(t, c->start) && !in_pause(words, n_words, c->start_ms))
        c->start_ms = segment_edge(tr, c->start_ms, snap_ms, true);
    if (n_words && !is_cut(t, c->end) && !in_pause(words, n_words, c->end_ms))
        c->end_ms = segment_edge(tr, c->end_ms, snap_ms, false);
    for (size_t i = n_words; i-- > 0;)
        if (words[i].start_ms < c->start_ms && words[i].end_ms > c->start_ms) c->start_ms = words[i].start_ms;
    for (size_t i = 0; i < n_words; i++)
        if (words[i].start_ms < c->end_ms && words[i].end_ms > c->end_ms) c->end_ms = words[i].end_ms;
    if (c->end_ms > t->duration_ms && t->duration_ms > c->start_ms) c->end_ms = t->duration_ms;
    c->start = (size_t)(c->start_ms / CF_HL_HOP_MS);
    c->end = (size_t)((c->end_ms + CF_HL_HOP_MS - 1) / CF_HL_HOP_MS);
}

static void snap_span(const cf_feature_track *t, const hl_span_params *p, size_t *lo, size_t *hi) {
    size_t w = hops_of(p->snap_ms), min_len = hops_of(p->min_len_ms), max_len = hops_of(p->max_len_ms);
    size_t a = snap(t, *lo, w, true), b = snap(t, *hi, w, false);
    if (b > t->n_hops) b = t->n_hops;
    /* a snap may not break the length bounds by more than the snap window itself */
    if (b > a && b - a + w >= min_len && b - a <= max_len + w) *lo = a, *hi = b;
}

static double span_score(const float *raw, const float *smooth, size_t lo, size_t hi, size_t peak) {
    double sum = 0;
    for (size_t k = lo; k < hi; k++) sum += raw[k];
    double s = 0.5 * smooth[peak] + 0.5 * sum / (double)(hi - lo);
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

static bool conflicts(const hl_span *a, const hl_span *b, size_t gap) {
    return a->start < b->end + gap && b->start < a->end + gap;
}

static int by_score(const void *x, const void *y) {
    const hl_span *a = x, *b = y;
    return (a->score < b->score) - (a->score > b->score);
}

static void summarise(const float *raw, size_t n, const hl_span *spans, size_t n_spans,
                      hl_span_stats *st) {
    double sum = 0, mx = 0;
    size_t covered = 0;
    for (size_t i = 0; i < n_spans; i++) {
        sum += spans[i].score;
        if (spans[i].score > mx) mx = spans[i].score;
        covered += spans[i].end - spans[i].start;
    }
    st->mean = n_spans ? sum / (double)n_spans : 0;
    st->max = mx;
    st->p90 = curve_quantile(raw, n, 0.9);
    st->coverage = n ? (double)covered / (double)n : 0;
}

cf_err hl_select_spans(const float *score, const cf_feature_track *t, const cf_hl_word *words,
                       size_t n_words, const cf_transcript *tr, const hl_span_params *p, size_t top_n, hl_span **out,
                       size_t *n_out, hl_span_stats *stats, float *smoothed, cf_error *err) {
    size_t n = t->n_hops, n_cand = 0, n_acc = 0;
    float *s = malloc(n * sizeof *s);
    hl_span *cand = malloc(n * sizeof *cand), *acc = malloc(n * sizeof *acc);
    *out = NULL, *n_out = 0;
    memset(stats, 0, sizeof *stats);
    if (!s || !cand || !acc) {
        free(s), free(cand), free(acc);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "span selection: out of memory");
    }
    curve_smooth(score, s, n, hops_of(p->smooth_ms) / 2);
    size_t min_len = hops_of(p->min_len_ms), max_len = hops_of(p->max_len_ms);
    for (size_t i = 0; i < n; i++) {
        bool rising = i == 0 || s[i] >= s[i - 1], falling = i + 1 == n || s[i] > s[i + 1];
        if (!(rising && falling) || s[i] < p->min_score) continue;
        hl_span c = {.peak = i};
        grow(s, n, i, s[i] * 0.5 > p->min_score * 0.8 ? s[i] * 0.5 : p->min_score * 0.8, &c.start, &c.end);
        fit_length(s, n, min_len, max_len, &c.start, &c.end);
        snap_span(t, p, &c.start, &c.end);
        c.start_ms = (int64_t)c.start * CF_HL_HOP_MS, c.end_ms = (int64_t)c.end * CF_HL_HOP_MS;
        respect_words(t, words, n_words, tr, p->snap_ms, &c);
        if (c.end > n) c.end = n;
        c.score = span_score(score, s, c.start, c.end, c.peak);
        if (c.score >= p->min_score) cand[n_cand++] = c; /* a lone spike in a calm span is not enough */
    }
    qsort(cand, n_cand, sizeof *cand, by_score);
    size_t gap = hops_of(p->min_gap_ms);
    for (size_t i = 0; i < n_cand; i++) {
        bool keep = true;
        for (size_t k = 0; k < n_acc && keep; k++) keep = !conflicts(&cand[i], &acc[k], gap);
        if (keep) acc[n_acc++] = cand[i];
    }
    stats->candidates = n_acc;
    if (n_acc > top_n) n_acc = top_n;
    summarise(score, n, acc, n_acc, stats);
    if (smoothed) memcpy(smoothed, s, n * sizeof *s);
    free(s), free(cand);
    *out = acc, *n_out = n_acc;
    return CF_OK;
}

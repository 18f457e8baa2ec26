/* spans.c — span selection shared by every engine.
 *
 * 1. Smooth the score curve (centred mean over the profile's smooth_ms).
 * 2. Peaks: local maxima at or over min_score; each grows into the region where the smoothed
 *    curve stays over half its peak (and over 0.8 min_score) — the half-maximum width.
 * 3. Fit the length bounds (or the target length, when asked for): a short region grows towards
 *    its stronger side, a long one keeps its best-scoring window.
 * 4. Place each edge within snap_ms (boundaries.c): on a scene cut, a sentence's start or end, a
 *    pause between words, or (no words) a quiet or voiceless hop, keeping the length within the
 *    bounds; transcript words are never cut. The span records why each edge is where it is.
 * 5. Score = half the smoothed peak plus half the mean raw score inside the span (0..1: scores
 *    stay on the engine's calibrated scale, so they compare across media).
 * 6. Non-maximum suppression: a span is dropped when it overlaps (or comes within min_gap_ms of)
 *    a better one; the first top_n survivors are returned, best first. */
#include "spans.h"

#include <stdlib.h>
#include <string.h>

#include "boundaries.h"
#include "feature_math.h"

static size_t hops_of(int64_t ms) {
    return (size_t)((ms + CF_HL_HOP_MS / 2) / CF_HL_HOP_MS);
}

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

/* The span's edges to the ms (boundaries.h), and its hops from them. */
static void place_edges(const cf_feature_track *t, const cf_hl_word *words, size_t n_words,
                        const cf_transcript *tr, const hl_span_params *p, hl_span *c) {
    hl_edge_limits lim = {p->min_len_ms, p->max_len_ms, p->target_len_ms, p->snap_ms};
    c->start_ms = (int64_t)c->start * CF_HL_HOP_MS, c->end_ms = (int64_t)c->end * CF_HL_HOP_MS;
    if (c->end_ms > t->duration_ms) c->end_ms = t->duration_ms;
    hl_place_edges(t, words, n_words, tr, &lim, &c->start_ms, &c->end_ms, &c->start_why, &c->end_why);
    c->start = (size_t)(c->start_ms / CF_HL_HOP_MS);
    c->end = (size_t)((c->end_ms + CF_HL_HOP_MS - 1) / CF_HL_HOP_MS);
    if (c->end > t->n_hops) c->end = t->n_hops;
    if (c->end <= c->start) c->end = c->start + 1 <= t->n_hops ? c->start + 1 : t->n_hops;
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

static void summarise(const float *raw, size_t n, const hl_span *spans, size_t n_spans, hl_span_stats *st) {
    double sum = 0, mx = 0;
    size_t covered = 0;
    for (size_t i = 0; i < n_spans; i++) {
        sum += spans[i].score;
        if (spans[i].score > mx) mx = spans[i].score;
        covered += spans[i].end - spans[i].start;
    }
    st->mean = n_spans ? sum / (double)n_spans : 0;
    st->max = mx;
    st->p90 = hl_curve_quantile(raw, n, 0.9);
    st->coverage = n ? (double)covered / (double)n : 0;
}

cf_err hl_select_spans(const float *score, const cf_feature_track *t, const cf_hl_word *words, size_t n_words,
                       const cf_transcript *tr, const hl_span_params *p, size_t top_n, hl_span **out,
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
    hl_curve_smooth(score, s, n, hops_of(p->smooth_ms) / 2);
    size_t min_len = hops_of(p->min_len_ms), max_len = hops_of(p->max_len_ms),
           target = hops_of(p->target_len_ms);
    for (size_t i = 0; i < n; i++) {
        bool rising = i == 0 || s[i] >= s[i - 1], falling = i + 1 == n || s[i] > s[i + 1];
        if (!(rising && falling) || s[i] < p->min_score) continue;
        hl_span c = {.peak = i};
        grow(s, n, i, s[i] * 0.5 > p->min_score * 0.8 ? s[i] * 0.5 : p->min_score * 0.8, &c.start, &c.end);
        fit_length(s, n, target ? target : min_len, target ? target : max_len, &c.start, &c.end);
        place_edges(t, words, n_words, tr, p, &c);
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

/* boundaries.c — a span's edges (see boundaries.h). Each edge gathers the places within the snap
 * window, ranked: the media's own ends and scene cuts; sentence edges; pauses between words (or,
 * with no words, quiet or voiceless hops); the proposed place itself; a word's edge. Every pair
 * of a start and an end place that keeps the length within the bounds is scored (rank first,
 * then nearness to the target length, then to the proposed places) and the best pair wins.
 * Settings: the profile's (or request's) min/max/target length and snap_ms; PAUSE_MS, LEAD_MS. */
#include "boundaries.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define PAUSE_MS 300 /* a gap between words this long is a place to cut */
#define LEAD_MS 150  /* an edge in a pause keeps this much of it before a first word / after a last */
#define MAX_PLACES 256

typedef struct place {
    int64_t ms;
    cf_span_boundary_reason why;
    int rank;
} place;

typedef struct places {
    place p[MAX_PLACES];
    size_t n;
} places;

static int rank_of(cf_span_boundary_reason why) {
    switch (why) {
    case CF_SPAN_BOUNDARY_REASON_MEDIA_START:
    case CF_SPAN_BOUNDARY_REASON_MEDIA_END:
    case CF_SPAN_BOUNDARY_REASON_SCENE_CUT: return 5;
    case CF_SPAN_BOUNDARY_REASON_SENTENCE_START:
    case CF_SPAN_BOUNDARY_REASON_SENTENCE_END: return 4;
    case CF_SPAN_BOUNDARY_REASON_PAUSE:
    case CF_SPAN_BOUNDARY_REASON_SILENCE: return 3;
    case CF_SPAN_BOUNDARY_REASON_SCORE: return 2;
    default: return 0;
    }
}

/* The word holding ms strictly inside it, or NULL. Words are in time order: a binary search
 * finds the last ones starting before ms, and a few of those are looked at (words may overlap
 * their neighbours, not the ones beyond). */
static const cf_hl_word *word_at(const cf_hl_word *w, size_t n, int64_t ms) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w[mid].start_ms < ms) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo, k = 0; i-- > 0 && k < 4; k++)
        if (w[i].end_ms > ms) return &w[i];
    return NULL;
}

typedef struct edge_ctx {
    const cf_feature_track *t;
    const cf_hl_word *words;
    size_t n_words;
    const cf_transcript *tr;
    int64_t at, win; /* the proposed place and the window around it */
    bool is_start;
} edge_ctx;

/* Adds a place when it lies in the window, in the media and in no word; a place already there
 * keeps the better reason. */
static void add(places *ps, const edge_ctx *c, int64_t ms, cf_span_boundary_reason why) {
    if (ms < c->at - c->win || ms > c->at + c->win || ms < 0 || ms > c->t->duration_ms) return;
    if (word_at(c->words, c->n_words, ms)) return;
    for (size_t i = 0; i < ps->n; i++)
        if (ps->p[i].ms == ms) {
            if (rank_of(why) > ps->p[i].rank) ps->p[i].why = why, ps->p[i].rank = rank_of(why);
            return;
        }
    if (ps->n < MAX_PLACES) ps->p[ps->n++] = (place){ms, why, rank_of(why)};
}

static bool ends_sentence(const char *w) {
    size_t n = w ? strlen(w) : 0;
    return n && (w[n - 1] == '.' || w[n - 1] == '!' || w[n - 1] == '?');
}

/* Where an edge goes in the gap [gap_a, gap_b) before a first word (start) or after a last one
 * (end): LEAD_MS into the gap, at most half of it. */
static int64_t in_gap(const edge_ctx *c, int64_t gap_a, int64_t gap_b) {
    int64_t lead = (gap_b - gap_a) / 2 < LEAD_MS ? (gap_b - gap_a) / 2 : LEAD_MS;
    return c->is_start ? gap_b - lead : gap_a + lead;
}

/* The word before (after) word i of segment g, across segment boundaries; NULL at the ends. */
static const cf_transcript_word *neighbour(const cf_transcript *tr, size_t g, size_t i, bool after) {
    const cf_transcript_segment *s = &tr->segments[g];
    if (after && i + 1 < s->n_words) return &s->words[i + 1];
    if (!after && i > 0) return &s->words[i - 1];
    if (after) {
        for (size_t k = g + 1; k < tr->n_segments; k++)
            if (tr->segments[k].n_words) return &tr->segments[k].words[0];
        return NULL;
    }
    for (size_t k = g; k-- > 0;)
        if (tr->segments[k].n_words) return &tr->segments[k].words[tr->segments[k].n_words - 1];
    return NULL;
}

/* Sentence edges of the transcript: each segment's first (last) word, and the word after (ending
 * in) . ! ? — each with the gap to the neighbouring word, in this segment or the next. Segments
 * that abut (speaker turns) leave no gap: the edge is then the boundary itself. */
static void sentence_places(places *ps, const edge_ctx *c) {
    for (size_t g = 0; c->tr && g < c->tr->n_segments; g++) {
        const cf_transcript_segment *s = &c->tr->segments[g];
        for (size_t i = 0; i < s->n_words; i++) {
            const cf_transcript_word *w = &s->words[i];
            bool edge = c->is_start ? i == 0 || ends_sentence(s->words[i - 1].word)
                                    : i + 1 == s->n_words || ends_sentence(w->word);
            if (!edge) continue;
            const cf_transcript_word *n = neighbour(c->tr, g, i, !c->is_start);
            int64_t a, b;
            if (c->is_start) {
                b = w->start_ms;
                a = n ? n->end_ms : b - 2 * LEAD_MS;
                if (a > b) a = b;
            } else {
                a = w->end_ms;
                b = n ? n->start_ms : a + 2 * LEAD_MS;
                if (b < a) b = a;
            }
            add(ps, c, in_gap(c, a, b),
                c->is_start ? CF_SPAN_BOUNDARY_REASON_SENTENCE_START : CF_SPAN_BOUNDARY_REASON_SENTENCE_END);
        }
    }
}

/* Pauses between words (and before the first / after the last). */
static void pause_places(places *ps, const edge_ctx *c) {
    for (size_t i = 0; i <= c->n_words; i++) {
        int64_t a = i ? c->words[i - 1].end_ms : 0,
                b = i < c->n_words ? c->words[i].start_ms : c->t->duration_ms;
        if (b - a >= PAUSE_MS) add(ps, c, in_gap(c, a, b), CF_SPAN_BOUNDARY_REASON_PAUSE);
    }
}

static bool voiceless(const cf_feature_track *t, size_t h) {
    return h >= t->n_hops || cf_feat(t, h, CF_FEAT_SPEECH) < 0.2f;
}

/* Silent (no sound anywhere in its loudness window), or voiceless with voiceless neighbours:
 * the speech column is smoothed over 500 ms, so a lone voiceless hop may hold a word's onset. */
static bool quiet_hop(const cf_feature_track *t, size_t h) {
    return cf_feat(t, h, CF_FEAT_SILENCE) > 0 ||
           ((h == 0 || voiceless(t, h - 1)) && voiceless(t, h) && voiceless(t, h + 1));
}

/* No words: quiet or voiceless hops, the start at the hop (the quiet edge inside the span), the
 * end after it. */
static void silence_places(places *ps, const edge_ctx *c) {
    const cf_feature_track *t = c->t;
    if (!t->has_audio || t->hop_ms <= 0) return;
    int64_t lo = (c->at - c->win) / t->hop_ms, hi = (c->at + c->win) / t->hop_ms + 1;
    for (int64_t h = lo < 0 ? 0 : lo; h < hi && (size_t)h < t->n_hops; h++)
        if (quiet_hop(t, (size_t)h))
            add(ps, c, (h + (c->is_start ? 0 : 1)) * t->hop_ms, CF_SPAN_BOUNDARY_REASON_SILENCE);
}

static void cut_places(places *ps, const edge_ctx *c) {
    const cf_feature_track *t = c->t;
    if (t->hop_ms <= 0) return;
    int64_t lo = (c->at - c->win) / t->hop_ms, hi = (c->at + c->win) / t->hop_ms + 1;
    for (int64_t h = lo < 0 ? 0 : lo; h < hi && (size_t)h < t->n_hops; h++)
        if (cf_feat(t, (size_t)h, CF_FEAT_CUT) > 0)
            add(ps, c, h * t->hop_ms, CF_SPAN_BOUNDARY_REASON_SCENE_CUT);
}

static void gather(places *ps, const edge_ctx *c) {
    ps->n = 0;
    add(ps, c, c->is_start ? 0 : c->t->duration_ms,
        c->is_start ? CF_SPAN_BOUNDARY_REASON_MEDIA_START : CF_SPAN_BOUNDARY_REASON_MEDIA_END);
    cut_places(ps, c);
    sentence_places(ps, c);
    if (c->n_words) pause_places(ps, c);
    else silence_places(ps, c);
    const cf_hl_word *w = word_at(c->words, c->n_words, c->at);
    /* with words, the proposed place counts only outside them all (in a pause it is one already) */
    bool outside = !c->n_words || c->at <= c->words[0].start_ms || c->at >= c->words[c->n_words - 1].end_ms;
    if (!w && outside) add(ps, c, c->at, CF_SPAN_BOUNDARY_REASON_SCORE);
    if (w)
        add(ps, c, w->start_ms, CF_SPAN_BOUNDARY_REASON_WORD_EDGE),
            add(ps, c, w->end_ms, CF_SPAN_BOUNDARY_REASON_WORD_EDGE);
}

static int64_t dist(int64_t a, int64_t b) {
    return a > b ? a - b : b - a;
}

/* A place for the end when no pair fits: the length clamped to the bounds, out of any word
 * towards a length inside them. */
static int64_t end_by_length(const cf_feature_track *t, const cf_hl_word *w, size_t n,
                             const hl_edge_limits *lim, int64_t start, int64_t end) {
    int64_t lo = start + lim->min_len_ms, hi = start + lim->max_len_ms;
    if (end < lo) end = lo;
    if (end > hi) end = hi;
    const cf_hl_word *in = word_at(w, n, end);
    if (in) end = in->end_ms <= hi ? in->end_ms : in->start_ms;
    return end > t->duration_ms ? t->duration_ms : end;
}

void hl_place_edges(const cf_feature_track *t, const cf_hl_word *words, size_t n_words,
                    const cf_transcript *tr, const hl_edge_limits *lim, int64_t *start_ms, int64_t *end_ms,
                    cf_span_boundary_reason *why_start, cf_span_boundary_reason *why_end) {
    places s, e;
    edge_ctx c = {t, words, n_words, tr, *start_ms, lim->snap_ms, true};
    gather(&s, &c);
    c.at = *end_ms, c.is_start = false;
    gather(&e, &c);
    int64_t best = INT64_MAX;
    size_t bs = 0, be = 0;
    for (size_t i = 0; i < s.n; i++)
        for (size_t k = 0; k < e.n; k++) {
            int64_t len = e.p[k].ms - s.p[i].ms;
            if (len < lim->min_len_ms || len > lim->max_len_ms) continue;
            int64_t cost = -(int64_t)(s.p[i].rank + e.p[k].rank) * 10000000 + dist(s.p[i].ms, *start_ms) +
                           dist(e.p[k].ms, *end_ms) +
                           (lim->target_len_ms ? 2 * dist(len, lim->target_len_ms) : 0);
            if (cost < best) best = cost, bs = i, be = k;
        }
    if (best != INT64_MAX) {
        *start_ms = s.p[bs].ms, *end_ms = e.p[be].ms;
        *why_start = s.p[bs].why, *why_end = e.p[be].why;
        return;
    }
    /* nothing fits: the best start, the end where the bounds allow */
    size_t top = 0;
    for (size_t i = 1; i < s.n; i++)
        if (s.p[i].rank > s.p[top].rank ||
            (s.p[i].rank == s.p[top].rank && dist(s.p[i].ms, *start_ms) < dist(s.p[top].ms, *start_ms)))
            top = i;
    if (s.n) *start_ms = s.p[top].ms, *why_start = s.p[top].why;
    else *why_start = CF_SPAN_BOUNDARY_REASON_LENGTH;
    *end_ms = end_by_length(t, words, n_words, lim, *start_ms, *end_ms);
    *why_end = CF_SPAN_BOUNDARY_REASON_LENGTH;
}

void cf_hl_place_edges(const cf_feature_track *t, const cf_hl_word *words, size_t n_words,
                       const cf_transcript *sentences, int64_t min_len_ms, int64_t max_len_ms,
                       int64_t target_len_ms, int64_t snap_ms, int64_t *start_ms, int64_t *end_ms,
                       cf_span_boundaries *why) {
    hl_edge_limits lim = {min_len_ms, max_len_ms, target_len_ms, snap_ms};
    hl_place_edges(t, words, n_words, sentences, &lim, start_ms, end_ms, &why->start, &why->end);
}

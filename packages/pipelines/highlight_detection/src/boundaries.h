/* boundaries.h — where a span's edges go, and why (the span's boundary_reasons). Internal. */
#ifndef CF_HL_BOUNDARIES_H
#define CF_HL_BOUNDARIES_H

#include "profile.h"

/* The length bounds and snap window of one selection (ms). */
typedef struct hl_edge_limits {
    int64_t min_len_ms, max_len_ms;
    int64_t target_len_ms; /* 0 = none: edges stay near where they were proposed */
    int64_t snap_ms;
} hl_edge_limits;

/* Moves the proposed edges [*start_ms, *end_ms) to the best places within snap_ms that keep
 * the length in [min, max] and lie in no word: a scene cut, the start or end of a sentence of
 * tr (a segment's edge, or a word ending in . ! ?), a pause of 300 ms or more between words,
 * else (no words) a quiet or voiceless hop, else where they were. When no pair of places fits
 * the bounds, the start stays and the end goes where the bounds allow, outside any word
 * ("length"). words (time order) and tr may be NULL. */
void hl_place_edges(const cf_feature_track *t, const cf_hl_word *words, size_t n_words,
                    const cf_transcript *tr, const hl_edge_limits *lim, int64_t *start_ms, int64_t *end_ms,
                    cf_span_boundary_reason *why_start, cf_span_boundary_reason *why_end);

#endif

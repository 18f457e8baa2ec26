/* spans.h — span selection: from a per-hop score curve (0..1) to the top N highlight spans
 * within the profile's length bounds, snapped to scene cuts and pauses. Internal. */
#ifndef CF_HL_SPANS_H
#define CF_HL_SPANS_H

#include "profile.h"

typedef struct hl_span {
    size_t start, end; /* hops [start, end) */
    int64_t start_ms, end_ms; /* the same to the ms: edges moved out of words are exact */
    size_t peak;
    double score;
} hl_span;

typedef struct hl_span_stats {
    double mean, max, p90, coverage;
    size_t candidates;
} hl_span_stats;

/* score: n = t->n_hops values in 0..1. words (optional) keep boundaries out of words; tr
 * (optional) moves edges in running speech to the end of a segment nearby.
 * *out is malloc'd (caller frees), sorted by score, at most top_n long. smoothed (optional, n
 * floats the caller owns) receives the smoothed curve the peaks were picked on. */
cf_err hl_select_spans(const float *score, const cf_feature_track *t, const cf_hl_word *words,
                       size_t n_words, const cf_transcript *tr, const hl_span_params *p, size_t top_n, hl_span **out,
                       size_t *n_out, hl_span_stats *stats, float *smoothed, cf_error *err);

#endif

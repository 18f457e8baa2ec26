/* spans.h — span selection: from a per-hop score curve (0..1) to the top N highlight spans
 * within the length bounds, their edges on scene cuts, sentence ends, pauses or silences
 * (boundaries.h). Internal. */
#ifndef CF_HL_SPANS_H
#define CF_HL_SPANS_H

#include "profile.h"

typedef struct hl_span {
    size_t start, end;        /* hops [start, end) */
    int64_t start_ms, end_ms; /* the same to the ms: edges moved out of words are exact */
    size_t peak;
    double score;
    cf_span_boundary_reason start_why, end_why; /* why the edges are where they are */
} hl_span;

typedef struct hl_span_stats {
    double mean, max, p90, coverage;
    size_t candidates;
} hl_span_stats;

/* score: n = t->n_hops values in 0..1. words (optional) keep boundaries out of words; tr
 * (optional) lets edges move to the start or end of a sentence nearby (boundaries.h). p's
 * target_len_ms (0 = none) is the length each span aims for within the bounds.
 * *out is malloc'd (caller frees), sorted by score, at most top_n long. smoothed (optional, n
 * floats the caller owns) receives the smoothed curve the peaks were picked on. */
cf_err hl_select_spans(const float *score, const cf_feature_track *t, const cf_hl_word *words, size_t n_words,
                       const cf_transcript *tr, const hl_span_params *p, size_t top_n, hl_span **out,
                       size_t *n_out, hl_span_stats *stats, float *smoothed, cf_error *err);

#endif

/* engine_common.h — what the built-in engines share: turning a score curve into the result's
 * highlights and confidence summary, and the built-in engine classes. Internal. */
#ifndef CF_HL_ENGINE_COMMON_H
#define CF_HL_ENGINE_COMMON_H

#include "profile.h"
#include "reasons.h"
#include "spans.h"

/* Selects spans on score (t->n_hops values) with the profile's bounds and min_score, explains
 * them with signals, and fills out->highlights and out->confidence_summary. */
cf_err hl_emit(const cf_hl_detect_input *in, const float *score, const hl_profile *prof, double min_score,
               const hl_signal *signals, size_t n_signals, cf_highlight_detection_result *out, cf_error *err);

extern const cf_hl_engine_methods hl_engine_heuristic;
extern const cf_hl_engine_methods hl_engine_learned;

#endif

/* reasons.h — labels and human-readable reasons for a span ("crowd noise +12 dB over
 * baseline"), from the track and the signals that scored it. Internal. */
#ifndef CF_HL_REASONS_H
#define CF_HL_REASONS_H

#include "profile.h"
#include "spans.h"

/* Fills out->label and out->reasons (malloc'd strings) for span s: signals are ranked by
 * weight x mean evidence inside the span; the label is the top signal's. tr and p (both
 * optional) let a keywords reason quote the words said. */
cf_err hl_explain(const cf_feature_track *t, const hl_span *s, const hl_signal *signals, size_t n_signals,
                  const cf_transcript *tr, const hl_profile *p, cf_highlight_span *out, cf_error *err);

#endif

/* feature_math.h — from raw per-hop measurements to the features of CF_FEATURE_MAP (loudness
 * windows and gating, baselines, rates, likelihoods), and small curve helpers shared by the
 * engines. Internal to cfhighlight. */
#ifndef CF_FEATURE_MATH_H
#define CF_FEATURE_MATH_H

#include "audio_analysis.h"
#include "audio_events.h"
#include "clipforge/highlight.h"

typedef struct video_hop {
    int frames, cuts;
    float cut_max, motion, brightness;
} video_hop;

typedef struct feature_inputs {
    size_t n;
    bool has_audio, has_video;
    audio_hop *audio;
    bool *audio_ok;
    video_hop *video;
    const ev_model *events; /* optional: fills the EV_* columns */
    bool keep_event_inputs; /* keep the classifier's inputs in the track */
} feature_inputs;

/* Allocates *out (cf_feature_track_free) with n hops of derived features. */
cf_err hl_features_finalize(const feature_inputs *in, cf_feature_track **out, cf_error *err);

/* Centred moving average of x over [i-half, i+half] into y (y may not alias x). */
void hl_curve_smooth(const float *x, float *y, size_t n, size_t half);
/* The q-quantile (0..1) of n values (copied; x is not changed). 0 when n == 0. */
float hl_curve_quantile(const float *x, size_t n, double q);
static inline float clampf(float x, float lo, float hi) {
    return x < lo ? lo : x > hi ? hi : x;
}
float hl_sigmoidf(float x);

#endif

/* profile.h — detection profiles loaded from data files (<profiles_dir>/<name>.json): the
 * signals an engine weighs, how each maps to evidence, and the span bounds. Internal. */
#ifndef CF_HL_PROFILE_H
#define CF_HL_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/highlight.h"

#define HL_MAX_SIGNALS 16
#define HL_MAX_KEYWORDS 64

/* One signal: evidence = clamp((feature - lo) / (hi - lo), 0, 1), worth at most weight.
 * requires (a bit set of audio-event classes): the evidence counts only as far as one of those
 * classes is heard (loudness is not excitement when it is music), speech counting as far as the
 * speech_when feature says (loud speech is a moment only in a raised voice). unless (a bit set too): the
 * evidence counts only as far as none of those classes is heard in the second around the hop (a crowd
 * the classifier also hears as noise is as likely an engine). support: the evidence counts only as far
 * as another signal agrees (motion and cuts alone are not a moment). */
typedef struct hl_signal {
    int feature; /* cf_feature_id */
    double weight, lo, hi;
    char label[32];
    unsigned requires; /* 1u << cf_audio_event_class; 0 = none */
    unsigned unless;   /* the same; 0 = none */
    bool speech_gated; /* speech_when is set: a 0..1 feature that scales what heard speech is */
    int speech_when;   /* worth to requires (voice_arousal: loud speech counts in a raised voice) */
    bool support;
} hl_signal;

typedef struct hl_span_params {
    double min_score;
    int64_t smooth_ms, min_len_ms, max_len_ms, min_gap_ms, snap_ms;
    int64_t top_n;
    int64_t target_len_ms; /* the request's preferred length; 0 = none (profiles do not set it) */
} hl_span_params;

typedef struct hl_profile {
    char name[32];
    int version;
    hl_signal signals[HL_MAX_SIGNALS];
    size_t n_signals;
    hl_span_params span;
    /* Words that mark a moment when said (lower case; "win*" matches a prefix). */
    char keywords[HL_MAX_KEYWORDS][32];
    size_t n_keywords;
} hl_profile;

/* Loads <dir>/<name>.json. CF_ERR_NOT_FOUND when there is no such profile; CF_ERR_INVALID_ARGUMENT
 * naming the field when the file is malformed. */
cf_err hl_profile_load(const char *dir, const char *name, hl_profile *out, cf_error *err);

/* Evidence 0..1 of signal s at one hop, before requires and support. */
double hl_signal_evidence(const hl_signal *s, const cf_feature_track *t, size_t hop);
/* Evidence 0..1 of each of n signals at one hop into e[n], with requires and support applied
 * (requires only when the track has audio events). */
void hl_signals_evidence(const hl_signal *s, size_t n, const cf_feature_track *t, size_t hop, double *e);

/* Directory defaults: the configured directories (cf_hl_configure), else the data files. */
const char *hl_profiles_dir(const cf_hl_paths *paths);
const char *hl_models_dir(const cf_hl_paths *paths);
/* The configured model versions (cf_hl_configure); NULL = the newest in the models dir. */
const char *hl_model_version(void);
const char *hl_audio_events_model_version(void);

#endif

/* audio_events.h — the audio-event classifier: what is heard at each 100 ms hop (speech, music,
 * crowd, applause, laughter, silence, noise) with a probability per class, from the raw
 * measurements of the decode pass and a small model file (apps/ai/models/audio-events-<v>.json).
 * Internal to cfhighlight; its classes and results are public through highlight.h. */
#ifndef CF_AUDIO_EVENTS_H
#define CF_AUDIO_EVENTS_H

#include <stddef.h>

#include "audio_analysis.h"
#include "clipforge/highlight.h"

/* Hops on each side of the one classified: inputs describe 1.1 s around it. */
#define EV_HALF_WINDOW 5
/* Hops on each side over which the context inputs average the window inputs (2.1 s). */
#define EV_CONTEXT_HALF 10
/* Hops on each side that the long-context inputs describe (6.1 s), and the lags (hops) at which
 * they look for a repeating pattern: 0.3-0.7 s, a beat or a chant over seconds. */
#define EV_LONG_HALF 30
#define EV_LONG_LAG_MIN 3
#define EV_LONG_LAG_MAX 7

/* X(name): the inputs of one window, in the order the extractor writes them. (Laid out by hand:
 * clang-format does not settle on one layout for these lists.) */
/* clang-format off */
#define EV_INPUT_BANDS(X, what)                                                              \
    X(what "_0") X(what "_1") X(what "_2") X(what "_3") X(what "_4") X(what "_5") X(what "_6") \
    X(what "_7") X(what "_8") X(what "_9") X(what "_10") X(what "_11") X(what "_12")           \
    X(what "_13") X(what "_14") X(what "_15")
#define EV_WINDOW_MAP(X, pre)                                                                \
    EV_INPUT_BANDS(X, pre "band_shape") EV_INPUT_BANDS(X, pre "band_var")                    \
    X(pre "level") X(pre "level_std") X(pre "level_range") X(pre "flatness")                 \
    X(pre "flatness_std") X(pre "flux") X(pre "flux_std") X(pre "zcr") X(pre "zcr_std")      \
    X(pre "high_ratio") X(pre "speech_ratio") X(pre "onsets") X(pre "harmonicity")           \
    X(pre "harmonicity_std") X(pre "voiced") X(pre "modulation_4hz") X(pre "shape_change")     \
    X(pre "pitch_octave") X(pre "pitch_std") X(pre "pitch_glide") X(pre "persistence")        \
    X(pre "persistence_std") X(pre "persistence_long") X(pre "rhythm_syllable")              \
    X(pre "rhythm_beat") X(pre "voice_turns") X(pre "voice_hold") X(pre "voice_run_step")
/* clang-format on */
/* The long-context inputs, over the hops within EV_LONG_HALF that exist: the standard deviation
 * of the momentary loudness (level_now), and the highest normalised autocorrelation at lags
 * EV_LONG_LAG_MIN..EV_LONG_LAG_MAX of the per-hop spectral flux and of the momentary loudness. */
#define EV_LONG_MAP(X) X("long_level_std") X("long_flux_beat") X("long_level_beat")
/* Every input: the window's, the momentary loudness at the hop (what labels silence), the
 * mean of each window input over EV_CONTEXT_HALF hops each side ("ctx_" names; a crowd or a
 * song is told from a moment of speech by what surrounds it), and the long-context inputs
 * ("long_" names). A model names the inputs it uses, any of these, in its own order. */
#define EV_INPUT_MAP(X) EV_WINDOW_MAP(X, "") X("level_now") EV_WINDOW_MAP(X, "ctx_") EV_LONG_MAP(X)

enum {
#define EV_COUNT_INPUT(name) +1 /* NOLINT(bugprone-macro-parentheses): a term of the sum */
    EV_N_WINDOW = 0 EV_WINDOW_MAP(EV_COUNT_INPUT, ""),
    EV_N_INPUTS = 0 EV_INPUT_MAP(EV_COUNT_INPUT),
    EV_N_LONG = 0 EV_LONG_MAP(EV_COUNT_INPUT),
#undef EV_COUNT_INPUT
    EV_LEVEL_NOW = EV_N_WINDOW,
    EV_CONTEXT = EV_N_WINDOW + 1,
    EV_LONG = EV_CONTEXT + EV_N_WINDOW,
};

typedef struct ev_model ev_model;

/* Loads the newest audio-events-<version>.json in models_dir (version order), or the version
 * named by CLIPFORGE_AUDIO_EVENTS_MODEL_VERSION. CF_ERR_NOT_FOUND when there is none (detection
 * then goes on without events); CF_ERR_INVALID_ARGUMENT naming the field when the file is
 * malformed, names an input this extractor does not have or other classes. The caller frees
 * *out. */
cf_err hl_ev_model_load(const char *models_dir, ev_model **out, cf_error *err);
void hl_ev_model_free(ev_model *m);
/* "audio-events-v1": the model's name as results and caches record it. */
const char *hl_ev_model_version(const ev_model *m);

/* Input names, EV_N_INPUTS of them. */
extern const char *const hl_ev_input_names[];

/* The window inputs and level_now of hop i of n (window clamped at the ends) into
 * x[0 .. EV_CONTEXT - 1]; the context inputs need the neighbours (hl_ev_classify_track).
 * hop_lufs[k] is hop k's K-weighted loudness. */
void hl_ev_inputs(const audio_hop *hops, const float *hop_lufs, size_t n, size_t i, float *x);

/* Class probabilities for one full input vector (EV_N_INPUTS) into
 * p[CF_AUDIO_EVENT_CLASS_COUNT] (sums to 1). */
void hl_ev_classify(const ev_model *m, const float *x, float *p);

/* Classifies every hop of a track: probabilities of class c at hop i go to cols[c * stride + i]
 * (column-major feature columns starting at CF_FEAT_EV_SPEECH). inputs (optional, n x
 * EV_N_INPUTS) receives the input vectors; with m NULL only they are computed. The context
 * inputs average the window inputs over the hops i - EV_CONTEXT_HALF .. i + EV_CONTEXT_HALF
 * that exist (fewer at the ends of the track), the long-context inputs describe the hops
 * i - EV_LONG_HALF .. i + EV_LONG_HALF that exist. */
cf_err hl_ev_classify_track(const ev_model *m, const audio_hop *hops, const float *hop_lufs, size_t n,
                            float *cols, size_t stride, float *inputs, cf_error *err);

#endif

/* highlight.h — highlight detection: which moments of a long media are worth a short clip.
 *
 * Three layers, each usable alone:
 *   1. Feature extraction: one decode pass turns a media file into a feature track (one row of
 *      numbers per 100 ms hop), cached on disk keyed by file identity.
 *   2. Engines: a versioned vtable (detect, warm_start, supports_profile) registered by name;
 *      routing picks one by profile and model version and falls back to the next.
 *   3. Span selection: score curve -> smoothed peaks -> spans within the profile's length bounds,
 *      snapped to scene cuts and pauses, top N diverse in time, with labels and reasons.
 * cf_highlight_detect() runs all three for one request. */
#ifndef CLIPFORGE_HIGHLIGHT_H
#define CLIPFORGE_HIGHLIGHT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/domain/notes.h"
#include "clipforge/domain/types.h"
#include "clipforge/error.h"
#include "clipforge/media.h"
#include "clipforge/progress.h"
#include "clipforge/speech_features.h"

#define CF_HL_HOP_MS 100
/* The momentary loudness (and so the silence flag) of hop h is measured over hops
 * [h - BEFORE, h + AFTER]: sound is heard that many hops early and late. */
#define CF_HL_MOMENTARY_BEFORE 2
#define CF_HL_MOMENTARY_AFTER 1

/* ---- Feature track ------------------------------------------------------------------------ */

/* X(ID, name, meaning). Append only: the order is the on-disk column order of cached tracks and
 * the input order of learned models (which name their features and are checked against these).
 * SPEECH_RATE..KEYWORDS come from a transcript: they are 0 in a decoded (and cached) track and
 * filled per detection when a transcript is given (keywords depend on the profile). EV_* are the
 * audio-event classifier's class probabilities (0 when no audio-events model was found), in the
 * order of the domain enum cf_audio_event_class (CF_FEAT_EV_SPEECH + class). PITCH_REL..AROUSAL
 * describe the voice against the media's own speech, so that speech made louder is not taken for
 * excited speech (which also raises pitch, widens its range and speeds up); SLOWED likewise for an
 * emphatic passage of a talk (louder and slower). */
#define CF_FEATURE_MAP(X)                                                                                    \
    X(LOUD_M, "loudness_momentary", "K-weighted loudness over 400 ms, LUFS")                                 \
    X(LOUD_S, "loudness_short", "K-weighted loudness over 3 s, LUFS")                                        \
    X(LOUD_REL_LOCAL, "loudness_rel_local", "short-term loudness over the local baseline, dB")               \
    X(LOUD_REL_GLOBAL, "loudness_rel_global", "short-term loudness over the integrated, dB")                 \
    X(FLUX, "spectral_flux", "mean positive log-spectral change per frame, dB")                              \
    X(ONSET_RATE, "onset_rate", "spectral onsets per second over 1 s")                                       \
    X(SPEECH, "speech", "voice activity 0..1")                                                               \
    X(CROWD, "crowd", "crowd noise / applause / laughter likelihood 0..1")                                   \
    X(FLATNESS, "flatness", "spectral flatness, mean of octave bands 250-7000 Hz, 0..1")                     \
    X(SILENCE, "silence", "1 when the hop is silent")                                                        \
    X(EXCITED, "excited_speech", "speech louder than its local baseline, 0..1")                              \
    X(CUT, "scene_cut", "scene-cut score 0..1 of the strongest cut in the hop")                              \
    X(CUT_RATE, "cut_rate", "scene cuts per 10 s around the hop")                                            \
    X(MOTION, "motion", "mean absolute luma change per frame, 0..255")                                       \
    X(MOTION_REL, "motion_rel", "log2 of motion over the media's median motion")                             \
    X(BRIGHTNESS, "brightness", "mean luma 0..255")                                                          \
    X(SPEECH_RATE, "speech_rate", "transcript words per minute over 5 s around the hop")                     \
    X(PAUSE, "pause", "length of the transcript pause (>= 300 ms) the hop lies in, ms")                      \
    X(EMPHASIS, "emphasis", "level of the word under the hop over the mean word, dB")                        \
    X(KEYWORDS, "keywords", "profile keywords said within 2.5 s of the hop")                                 \
    X(EV_SPEECH, "event_speech", "audio events: probability of speech 0..1")                                 \
    X(EV_MUSIC, "event_music", "audio events: probability of music 0..1")                                    \
    X(EV_CROWD, "event_crowd", "audio events: probability of a crowd (cheering, roar) 0..1")                 \
    X(EV_APPLAUSE, "event_applause", "audio events: probability of applause 0..1")                           \
    X(EV_LAUGHTER, "event_laughter", "audio events: probability of laughter 0..1")                           \
    X(EV_SILENCE, "event_silence", "audio events: probability of silence 0..1")                              \
    X(EV_NOISE, "event_noise", "audio events: probability of other noise 0..1")                              \
    X(PITCH_REL, "pitch_rel", "voice pitch over 2 s over the media's median speech pitch, semitones")        \
    X(PITCH_RANGE, "pitch_range", "spread (standard deviation) of voice pitch over 3 s, semitones")          \
    X(SYLLABLE_RATE, "syllable_rate", "loudness-envelope peaks (syllables) per second over 2 s")             \
    X(AROUSAL, "voice_arousal",                                                                              \
      "a raised voice 0..1: pitch, pitch range, syllable rate over the media's speech")                      \
    X(EXCITED_VOICE, "excited_voice", "excited speech with a raised voice: excited_speech x voice_arousal")  \
    X(SLOWED, "voice_slowed", "a slowed voice 0..1: syllables 1.1-1.25 times slower than the media's speech")

typedef enum cf_feature_id {
#define CF_FEATURE_ENUM(id, name, help) CF_FEAT_##id,
    CF_FEATURE_MAP(CF_FEATURE_ENUM)
#undef CF_FEATURE_ENUM
        CF_FEAT_COUNT
} cf_feature_id;

/* Stable snake_case name of a feature ("loudness_momentary"); NULL when out of range. */
const char *cf_feature_name(cf_feature_id id);
/* Feature id by name, or -1. */
int cf_feature_find(const char *name);

typedef struct cf_feature_track {
    int64_t duration_ms;
    int hop_ms; /* CF_HL_HOP_MS */
    size_t n_hops;
    float *v; /* n_hops rows of CF_FEAT_COUNT values: v[hop * CF_FEAT_COUNT + id] */
    bool has_audio, has_video;
    double integrated_lufs; /* EBU R128 gated integrated loudness; -70 when silent/no audio */
    /* How much louder a quiet recording's sound was analysed (features.c's QUIET_LUFS); 0 for
     * most. integrated_lufs and every level of the track are the analysed sound's. */
    double gain_db;
    double decode_ms; /* wall time of the decode pass that produced it (0 when cached) */
    bool from_cache;
    bool has_transcript;   /* the transcript columns are filled (pauses then come from words) */
    char events_model[48]; /* audio-events model that filled the EV_* columns; "" = none */
    /* The file's streams the track leaves out (another audio track, subtitles...; "" = none), as
     * cf_media_note_left_out words it: read from the header again when the track is cached. */
    char left_out[CF_NOTE_MAX_BYTES];
    /* Only when cf_feature_options.keep_event_inputs asked for them on a decode: the classifier's
     * input vectors, n_hops rows of n_event_inputs values (for training). */
    float *event_inputs;
    size_t n_event_inputs;
} cf_feature_track;

/* The media's own loudness (LUFS), before a quiet recording's analysis gain. */
static inline double cf_track_own_lufs(const cf_feature_track *t) {
    return t->integrated_lufs - t->gain_db;
}

static inline float cf_feat(const cf_feature_track *t, size_t hop, cf_feature_id id) {
    return t->v[hop * CF_FEAT_COUNT + (size_t)id];
}

typedef struct cf_feature_options {
    int threads;           /* decoder threads, 0 = auto */
    const char *cache_dir; /* where tracks are cached; NULL or "" = no cache */
    bool skip_loop_filter; /* cheaper H.264/HEVC decode for analysis (default on in the CLI) */
    /* where audio-events-<v>.json is found; NULL = the configured models dir (cf_hl_settings), else the
     * source tree's apps/ai/models */
    const char *models_dir;
    bool keep_event_inputs; /* decode (no cache) and keep the classifier's inputs in the track */
    /* Optional: an AVIOContext (the caller's, left open) to read the media from instead of
     * opening path, e.g. ranged HTTP; path then only names the media in messages, and no
     * cache is consulted (the cache keys on the file's identity). */
    void *io;
    cf_media_select select; /* which streams (zero: the file's default ones) */
} cf_feature_options;

/* Whether a track made with o is the file's ordinary one, which a cache or a store may keep and
 * hand back by the file's identity or content alone: not when o picks other streams than the
 * default ones, nor when it keeps the classifier's inputs. */
bool cf_feature_options_keepable(const cf_feature_options *o);

/* Decodes path once and fills *out (caller frees with cf_feature_track_free). With a cache_dir,
 * a track cached for the same file identity (real path, size, mtime, extractor version) is
 * loaded instead of decoding. Errors: CF_ERR_NOT_FOUND (no file), CF_ERR_INVALID_MEDIA (not
 * decodable, or neither audio nor video), CF_ERR_CANCELLED. */
cf_err cf_features_extract(const char *path, const cf_feature_options *opts, cf_progress *progress,
                           cf_feature_track **out, cf_error *err);
void cf_feature_track_free(cf_feature_track *t);
/* The cache directory a CLIPFORGE_FEATURE_CACHE_DIR setting names (malloc'd): the setting
 * itself, <data_dir>/features when it is empty, NULL (no cache) when it is "off" or NULL. */
char *cf_feature_cache_dir(const char *setting, const char *data_dir);
/* Cache file that holds path's track under cache_dir (malloc'd), or NULL if path cannot be
 * stat'ed. Exposed for tests and tools. */
char *cf_feature_cache_path(const char *cache_dir, const char *path);
/* The extractor version: bumped whenever extraction changes what a feature means, so tracks
 * stored by an older extractor are not mistaken for current ones. */
int cf_features_version(void);
/* Writes the track as JSON {"extractor_version", "hop_ms", "features": [names], "rows": [[...],
 * ...]}, plus "gain_db" (how much louder a quiet recording was analysed), "events_model" and,
 * when kept, "event_inputs": {"names": [...], "rows": [[...], ...]}. */
json_t *cf_feature_track_to_json(const cf_feature_track *t);

/* The name ("audio-events-v2") of the audio-events model that extraction with models_dir (NULL
 * = the default directory) would use now, into buf; "" when there is none. Stores of tracks
 * compare it with cf_feature_track.events_model. */
void cf_audio_events_model_current(const char *models_dir, char *buf, size_t len);

/* The track's audio events: one decision per 500 ms (the mean class probabilities of its hops,
 * the likeliest class and its probability as confidence), adjacent decisions of one class merged
 * (confidence = their mean). *out is malloc'd (the caller frees it); NULL and *n = 0 when the
 * track has no events. */
cf_err cf_audio_events_from_track(const cf_feature_track *t, cf_audio_event **out, size_t *n, cf_error *err);

/* Transcript words' times. When present, span boundaries never fall inside a word. */
typedef struct cf_hl_word {
    int64_t start_ms, end_ms;
} cf_hl_word;

#define CF_HL_SNAP_MS 2500 /* how far a span's edge may move to a better place, by default */

/* The rule detection's spans follow for their edges, for spans made elsewhere (an even slice of
 * a calm media): moves [*start_ms, *end_ms) within snap_ms to a scene cut, a sentence's start or
 * end (sentences, optional), a pause between words (words in time order, optional) or, with no
 * words, a quiet hop of the track, keeping the length within [min_len_ms, max_len_ms] (nearest
 * target_len_ms when > 0) and out of every word; *why says why each edge is where it is. */
void cf_hl_place_edges(const cf_feature_track *t, const cf_hl_word *words, size_t n_words,
                       const cf_transcript *sentences, int64_t min_len_ms, int64_t max_len_ms,
                       int64_t target_len_ms, int64_t snap_ms, int64_t *start_ms, int64_t *end_ms,
                       cf_span_boundaries *why);

/* Requests and results are the generated domain types (packages/domain/schemas):
 * cf_highlight_detection_request, cf_highlight_span, cf_highlight_detection_result. A result's
 * confidence_summary holds mean and max (of the returned spans' scores), p90 (of the per-hop
 * score over the media), coverage (fraction of the media inside returned spans) and candidates
 * (spans that survived suppression before the top-N cut). */

/* ---- Engines --------------------------------------------------------------------------------- */

/* Where engines find their data: profiles (JSON per profile) and models (highlight-<v>.json).
 * NULL fields take the configured directories (cf_hl_settings), else the data files found
 * beside the binary. */
typedef struct cf_hl_paths {
    const char *profiles_dir;
    const char *models_dir;
} cf_hl_paths;

/* Settings the app takes from its configuration (the pipeline reads no environment); NULL or ""
 * fields keep the built-in default. */
typedef struct cf_hl_settings {
    const char *profiles_dir;               /* CLIPFORGE_HIGHLIGHT_PROFILES_DIR */
    const char *models_dir;                 /* CLIPFORGE_HIGHLIGHT_MODELS_DIR */
    const char *model_version;              /* CLIPFORGE_HIGHLIGHT_MODEL_VERSION: "" = the newest */
    const char *audio_events_model_version; /* CLIPFORGE_AUDIO_EVENTS_MODEL_VERSION: "" = newest */
} cf_hl_settings;
/* Copies s (NULL = built-in defaults) as the settings of later detections. Call it at startup,
 * before any detection runs: detections read the settings without a lock. CF_ERR_NO_MEMORY. */
cf_err cf_hl_configure(const cf_hl_settings *s, cf_error *err);

/* The models directory paths name (the model registry: model files and registry.json). */
const char *cf_hl_models_dir(const cf_hl_paths *paths);

/* What an engine's detect() receives. */
typedef struct cf_hl_detect_input {
    const cf_feature_track *track;
    const char *profile;
    int64_t top_n;
    const cf_hl_word *words;
    size_t n_words;
    /* optional: an edge in running speech moves to the end of one of its segments (a sentence,
     * a turn, a caption) nearby, and reasons quote what was said */
    const cf_transcript *transcript;
    /* optional overrides of the engine's threshold and the profile's span bounds (the
     * request's min_score, min_length_ms, max_length_ms); 0 / false = the engine's own */
    bool has_min_score;
    double min_score;
    int64_t min_len_ms, max_len_ms;
    int64_t target_len_ms; /* the request's target_length_ms, 0 = none */
    /* optional, without transcript: a transcript whose sentence edges alone bound the spans
     * (it adds no features and no quotes) */
    const cf_transcript *sentences;
} cf_hl_detect_input;

#define CF_HL_ENGINE_VERSION 1

/* An engine class: SQLite-VFS style. create() allocates private state from paths; the other
 * methods get it back as self. detect() fills out->highlights, model_version and
 * confidence_summary (the router fills clip_id, engine and inference_ms). */
typedef struct cf_hl_engine_methods {
    int version; /* CF_HL_ENGINE_VERSION */
    const char *name;
    cf_err (*create)(const cf_hl_paths *paths, void **self, cf_error *err);
    void (*destroy)(void *self);
    bool (*supports_profile)(void *self, const char *profile);
    /* Loads (and caches) the given model version; NULL = the engine's default. */
    cf_err (*warm_start)(void *self, const char *model_version, cf_error *err);
    cf_err (*detect)(void *self, const cf_hl_detect_input *in, cf_highlight_detection_result *out,
                     cf_error *err);
} cf_hl_engine_methods;

typedef struct cf_hl_registry cf_hl_registry;

/* A registry holding the built-in engines (heuristic, learned) in routing order. */
cf_err cf_hl_registry_new(const cf_hl_paths *paths, cf_hl_registry **out, cf_error *err);
void cf_hl_registry_free(cf_hl_registry *reg);
/* Asks every engine to warm_start version (load weights and caches before traffic); CF_OK when
 * one of them holds it (*engine names it), else the last engine's error. Not thread-safe: the
 * caller serialises use of a registry. */
cf_err cf_hl_registry_warm(cf_hl_registry *reg, const char *version, const char **engine, cf_error *err);
/* Adds an engine class at the end of the routing order (or replaces one of the same name). */
cf_err cf_hl_registry_add(cf_hl_registry *reg, const cf_hl_engine_methods *m, cf_error *err);
/* Built-in classes by name (NULL when unknown). */
const cf_hl_engine_methods *cf_hl_engine_builtin(const char *name);

/* Routes one detection over a feature track: the engine named by `engine` first (NULL = none),
 * then the rest in registry order. When req->model_version is set, a first round asks each
 * engine to warm_start it; a second round takes every engine's default. Engines that do not
 * support the profile, cannot load the model or fail are skipped; why goes into note (when
 * given, note_len bytes, "" when the first choice answered). out->engine names who answered.
 * CF_ERR_UNSUPPORTED when none did (err names each engine's reason); CF_ERR_INVALID_ARGUMENT
 * for an unknown engine name. */
cf_err cf_hl_route(cf_hl_registry *reg, const cf_highlight_detection_request *req, const char *engine,
                   const cf_hl_detect_input *in, cf_highlight_detection_result *out, char *note,
                   size_t note_len, cf_error *err);

/* ---- One-call detection ---------------------------------------------------------------------- */

typedef struct cf_hl_options {
    cf_feature_options features;
    cf_hl_paths paths;
    const char *engine; /* preferred engine, NULL = route by profile and version */
    char *note;         /* optional buffer for the routing note (see cf_hl_route) */
    size_t note_len;
    const cf_hl_word *words; /* optional transcript word times (ignored with a transcript) */
    size_t n_words;
    /* Optional transcript (cf_transcript_load_file reads one): its speech rate, pauses,
     * emphasis and the profile's keywords become features, its words bound the spans. Without
     * it, req->transcript_uri (a local path or file:// URI) is read when set. */
    const cf_transcript *transcript;
    /* Without a transcript (given or named): the media's own text subtitles (en-us or untagged)
     * read as one, which the result's notes say; none, or unreadable ones (logged): no
     * transcript, as before. */
    bool subtitles;
    /* Optional speech features of that transcript at 100 ms steps; when NULL they are computed
     * from the words and the media's audio (a second, audio-only decode: emphasis is a word's
     * level), from the words alone when the media has no audio. */
    const cf_speech_features *speech;
    /* Optional, instead of transcript: the words' transcript used only for the spans' edges
     * (sentence starts and ends); scoring stays the track's and words' own. */
    const cf_transcript *sentences;
    /* Optional: a long-lived registry (engines keep warm models across calls); the caller
     * serialises its use. NULL = a registry made for this call. */
    cf_hl_registry *registry;
} cf_hl_options;

/* Extracts (or loads cached) features for req->media_uri (a local path or file:// URI), routes,
 * selects spans. *out is filled on success; the caller frees it with
 * cf_highlight_detection_result_free. A transcript that cannot be read fails the detection
 * (CF_ERR_INVALID_ARGUMENT naming transcript_uri). */
cf_err cf_highlight_detect(const cf_highlight_detection_request *req, const cf_hl_options *opts,
                           cf_progress *progress, cf_highlight_detection_result *out, cf_error *err);

/* The same over a track already extracted (the caller keeps ownership of track). */
cf_err cf_highlight_detect_track(const cf_highlight_detection_request *req, const cf_hl_options *opts,
                                 const cf_feature_track *track, cf_highlight_detection_result *out,
                                 cf_error *err);

/* Known profile names, NULL-terminated. */
extern const char *const cf_hl_profiles[];
bool cf_hl_profile_known(const char *name);

#endif

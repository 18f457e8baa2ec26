/* speech_features.h — how something is said, as numbers the highlight engines can use:
 * speech rate (words per minute in a sliding window), pauses (length of the silence between
 * words) and emphasis (a word's loudness relative to the speaker's mean word loudness, in dB),
 * per fixed time step (default 100 ms) and per word. The mean is over all words of the
 * transcript: one speaker, or the average voice when there are several. */
#ifndef CLIPFORGE_SPEECH_FEATURES_H
#define CLIPFORGE_SPEECH_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"
#include "clipforge/transcript.h"

typedef struct cf_speech_features_options {
    int64_t hop_ms;         /* time step; default 100 */
    int64_t rate_window_ms; /* window of the speech rate, centred on the step; default 5000 */
    int64_t min_pause_ms;   /* shorter silences between words are not pauses; default 300 */
} cf_speech_features_options;

typedef struct cf_speech_features {
    int64_t hop_ms;
    size_t n_steps;         /* steps cover [0, duration_ms) of the transcript */
    float *speech_rate_wpm; /* per step: words centred in the window, per minute */
    float *pause_ms;        /* per step: length of the pause the step lies in, else 0 */
    float *emphasis_db;     /* per step: emphasis of the word under the step, else 0 */
    float *loudness_db;     /* per step: RMS level in dBFS (-100 for digital silence) */
    size_t n_words;         /* words in transcript order */
    float *word_emphasis_db;
    float *word_rate_wpm;   /* speech rate at each word's midpoint */
    float *pause_before_ms; /* silence before each word (0 for the first when it starts at 0) */
    double mean_rate_wpm;   /* words per minute of speaking time (first word to last) */
    size_t n_pauses;
} cf_speech_features;

/* Computes the features of t over its 16 kHz mono audio pcm[0..n) (pcm may be NULL: loudness and
 * emphasis are then 0). out's arrays are malloc'd; free with cf_speech_features_free. */
cf_err cf_speech_features_compute(const cf_transcript *t, const int16_t *pcm, size_t n,
                                  const cf_speech_features_options *opts, cf_speech_features *out,
                                  cf_error *err);
/* Same, decoding the audio of a media file first. */
cf_err cf_speech_features_from_file(const char *path, const cf_transcript *t,
                                    const cf_speech_features_options *opts, cf_speech_features *out,
                                    cf_error *err);
void cf_speech_features_free(cf_speech_features *f);

#endif

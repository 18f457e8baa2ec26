/* transcript.h — a transcript in memory: segments of recognised speech with per-word times (ms of
 * the whole media) and confidences, and its JSON form:
 *   {"language","model","duration_ms","segments":[{"start_ms","end_ms","text",
 *     "words":[{"word","start_ms","end_ms","confidence"}]}]}
 * The shape follows the Transcript schema of the domain package. */
#ifndef CLIPFORGE_TRANSCRIPT_H
#define CLIPFORGE_TRANSCRIPT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"

typedef struct cf_stt_word {
    char *word;
    int64_t start_ms, end_ms;
    double confidence; /* 0..1, posterior probability of the word */
} cf_stt_word;

typedef struct cf_stt_segment {
    int64_t start_ms, end_ms;
    char *text; /* the words joined by spaces */
    cf_stt_word *words;
    size_t n_words;
} cf_stt_segment;

typedef struct cf_stt_transcript {
    char *language; /* "en-us" */
    char *model;    /* "<backend>/<model version>" */
    int64_t duration_ms;
    cf_stt_segment *segments;
    size_t n_segments;
} cf_stt_transcript;

/* Frees the members of t (not t itself) and zeroes it. NULL-safe. */
void cf_stt_transcript_free(cf_stt_transcript *t);
void cf_stt_segment_free(cf_stt_segment *s);
/* Sets s->text from its words (joined by one space); returns CF_ERR_NO_MEMORY on failure. */
cf_err cf_stt_segment_join_text(cf_stt_segment *s, cf_error *err);
/* Number of words over all segments. */
size_t cf_stt_transcript_word_count(const cf_stt_transcript *t);

/* New JSON object for t (caller owns the reference); NULL on out of memory. */
json_t *cf_stt_transcript_to_json(const cf_stt_transcript *t);
/* Parses and validates a transcript object; err->msg names the field path on failure
 * ("segments[1].words[0].end_ms: must be >= start_ms"). out is zeroed first; free it on success. */
cf_err cf_stt_transcript_from_json(const json_t *j, cf_stt_transcript *out, cf_error *err);

#endif

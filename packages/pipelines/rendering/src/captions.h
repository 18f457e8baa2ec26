/* captions.h — caption cues with word timings: read from an SRT or VTT file or a transcript
 * (JSON with timed words), grouped into short lines, written back as SRT and VTT, and as an ASS
 * script for libass in which the word being spoken is drawn in the highlight colour. */
#ifndef CF_RENDER_CAPTIONS_H
#define CF_RENDER_CAPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"

typedef struct cf_caption_word {
    int64_t start_ms, end_ms;
    char *text;
    bool doubtful; /* recognised with low confidence (cf_caption_mark_of): drawn marked */
} cf_caption_word;

typedef struct cf_captions {
    cf_caption_word *words;
    size_t n_words;
    const char *read_as; /* an SRT or VTT file that was not UTF-8: what it was read as (static) */
} cf_captions;

/* Reads path: ".srt", ".vtt" (cue text split into words, timed by their length across the cue)
 * or ".json" (a transcript: {"words":[{start_ms,end_ms,word|text}]} or {"segments":[{start_ms,
 * end_ms,text,words?}]}; a word's "confidence" decides, by cf_caption_mark_of, whether it is
 * left out or marked doubtful). Words are shifted by -offset_ms and those outside [0, limit_ms)
 * dropped. out is owned by the caller (cf_captions_free). */
cf_err cf_captions_load(const char *path, int64_t offset_ms, int64_t limit_ms, cf_captions *out,
                        cf_error *err);
void cf_captions_free(cf_captions *c);

/* Writes the lines (words_per_line words, broken at pauses) as SRT, VTT or ASS. */
cf_err cf_captions_write_srt(const cf_captions *c, int words_per_line, const char *path, cf_error *err);
cf_err cf_captions_write_vtt(const cf_captions *c, int words_per_line, const char *path, cf_error *err);
cf_err cf_captions_write_ass(const cf_captions *c, const cf_timeline_captions *style, int width, int height,
                             const char *path, cf_error *err);

#endif

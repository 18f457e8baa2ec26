/* captions.h — caption tracks (cues of one or more lines) made from a transcript with sound
 * segmentation, and their SRT and WebVTT text.
 *
 * Segmentation rules (cf_caption_style): at most max_chars_per_line characters (UTF-8 code
 * points) per line and max_lines lines per cue, two lines balanced; a cue ends at a sentence end
 * (. ? !), at a pause of pause_break_ms or more, at a transcript segment boundary, before it would
 * last longer than max_duration_ms, and after a clause mark (, ; :) once it is half full. A cue
 * shorter than min_duration_ms is held on screen longer when the next cue leaves room. */
#ifndef CLIPFORGE_CAPTIONS_H
#define CLIPFORGE_CAPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"
#include "clipforge/transcript.h"

typedef enum cf_caption_format { CF_CAPTION_SRT, CF_CAPTION_VTT } cf_caption_format;

typedef struct cf_caption_cue {
    int64_t start_ms, end_ms;
    char *text; /* plain text, lines separated by '\n' */
} cf_caption_cue;

typedef struct cf_caption_track {
    cf_caption_cue *cues;
    size_t n_cues;
    const char *read_as; /* a file read that was not UTF-8: what its text was read as ("UTF-16LE",
                            "Windows-1252", "Windows-1250"; static), else NULL */
} cf_caption_track;

typedef struct cf_caption_style {
    int max_chars_per_line;  /* default 42 */
    int max_lines;           /* default 2 */
    int64_t min_duration_ms; /* default 1000 */
    int64_t max_duration_ms; /* default 7000 */
    int64_t pause_break_ms;  /* default 600 */
} cf_caption_style;

void cf_caption_style_default(cf_caption_style *s);
/* Parses "srt" or "vtt" (case-insensitive); CF_ERR_INVALID_ARGUMENT otherwise. */
cf_err cf_caption_format_parse(const char *name, cf_caption_format *out, cf_error *err);

/* Builds cues from the words of t (style NULL = defaults). out is the caller's to free. */
cf_err cf_captions_from_transcript(const cf_transcript *t, const cf_caption_style *style,
                                   cf_caption_track *out, cf_error *err);
/* Writes the track as SRT or WebVTT text into a malloc'd, NUL-terminated *out (caller frees). */
cf_err cf_captions_format(const cf_caption_track *track, cf_caption_format fmt, char **out, size_t *len,
                          cf_error *err);
/* Writes the track to a file. */
cf_err cf_captions_write_file(const cf_caption_track *track, cf_caption_format fmt, const char *path,
                              cf_error *err);
/* Frees the cues of t (not t) and zeroes it. NULL-safe. */
void cf_caption_track_free(cf_caption_track *t);

/* How captions show a recognised word, by its (calibrated) confidence: a word under
 * CF_CAPTION_OMIT_BELOW is left out (a wrong word on screen misleads more than a gap), a word
 * under CF_CAPTION_DOUBT_BELOW is shown marked as doubtful (burned-in captions draw it in italics,
 * dimmer), the rest plainly. Words from user captions have confidence 1. */
#define CF_CAPTION_OMIT_BELOW 0.3
#define CF_CAPTION_DOUBT_BELOW 0.6
typedef enum cf_caption_mark {
    CF_CAPTION_MARK_PLAIN,
    CF_CAPTION_MARK_DOUBTFUL,
    CF_CAPTION_MARK_OMIT
} cf_caption_mark;
cf_caption_mark cf_caption_mark_of(double confidence);

/* Counts UTF-8 code points of s[0..n). */
size_t cf_utf8_length(const char *s, size_t n);

#endif

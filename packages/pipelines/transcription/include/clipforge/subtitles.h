/* subtitles.h — the words of a media file's own text subtitle stream (SubRip, ASS/SSA, WebVTT,
 * MP4 timed text, plain text; in Matroska, MP4 and the other containers FFmpeg reads) as a caption track:
 * what a lecture, a film or a show already says is spoken, read in a moment and right, instead of recognised.
 * Bitmap subtitles (DVD, Blu-ray PGS, DVB) are pictures of text and are not read. */
#ifndef CLIPFORGE_SUBTITLES_H
#define CLIPFORGE_SUBTITLES_H

#include <stddef.h>

#include "clipforge/captions.h"
#include "clipforge/error.h"
#include "clipforge/transcript.h"

typedef struct cf_subtitle_stream {
    int index;         /* the stream's index in the file, as `clipforge probe` lists it */
    char codec[32];    /* FFmpeg's codec name: "subrip", "ass", "webvtt", "mov_text" */
    char language[16]; /* its language tag, "" when it has none */
} cf_subtitle_stream;

/* The text subtitle stream of path to read for speech in language (a tag such as "en-us"): one
 * tagged with that language (ISO 639-1 or -2: "en", "eng") or untagged ("und" too), the default
 * one first, else the first. CF_ERR_NOT_FOUND when there is none (only bitmap subtitles, or only
 * other languages); the media layer's errors for a file it cannot open. */
cf_err cf_subtitles_find(const char *path, const char *language, cf_subtitle_stream *out, cf_error *err);
/* Reads the stream's cues (media times, plain text: ASS styling and override tags removed, line
 * breaks kept) into out, sorted by start; the caller frees it (cf_caption_track_free). A stream
 * whose packets carry no text is CF_ERR_NOT_FOUND. */
cf_err cf_subtitles_read(const char *path, const cf_subtitle_stream *s, cf_caption_track *out, cf_error *err);
/* The stream's words as a transcript (each cue's time spread over its words, confidence 1, as an
 * imported SRT's), its model "subtitles", its language language (NULL: "en-us"). */
cf_err cf_subtitles_transcript(const char *path, const cf_subtitle_stream *s, const char *language,
                               cf_transcript *out, cf_error *err);
/* "subtitle stream 2 (subrip, eng)", for notes. */
void cf_subtitle_stream_name(const cf_subtitle_stream *s, char *buf, size_t cap);
/* The text of an ASS "Dialogue" event as FFmpeg's decoders give it (ReadOrder, Layer, Style,
 * Name, MarginL, MarginR, MarginV, Effect, Text) as plain text into out (at least strlen(ass) +
 * 1 bytes): the Text field without {override} blocks, \N and \n as line breaks, \h as a space,
 * lines trimmed. Returns the length written. */
size_t cf_subtitles_plain_text(const char *ass, char *out);

#endif

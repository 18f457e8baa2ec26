/* caption_parse.h — reading SRT and WebVTT files a user brings: tolerant of a UTF-8 byte order
 * mark, CRLF or CR line ends, a missing final newline, SRT files without cue numbers and
 * timestamps with '.' instead of ','; of text in UTF-16 with its byte order mark, and of
 * Western and Central European text in Windows-1252 and Windows-1250 (as Windows programs save
 * SRT files; the track's read_as says which); strict about what cannot be guessed (a malformed
 * timestamp, a cue that ends before it starts, a damaged UTF-8 sequence in a UTF-8 file, text of
 * another code page), reported with the line number where there is one. Markup tags (<i>, <b>,
 * <v Name>, <c.class>) are removed and WebVTT character references decoded, so cue text is
 * plain. */
#ifndef CLIPFORGE_CAPTION_PARSE_H
#define CLIPFORGE_CAPTION_PARSE_H

#include <stddef.h>

#include "clipforge/captions.h"
#include "clipforge/error.h"
#include "clipforge/transcript.h"

/* Parses len bytes of SRT or WebVTT (WebVTT when it starts with "WEBVTT"). On error returns
 * CF_ERR_INVALID_ARGUMENT with "line N: ..." in err and leaves out empty. */
cf_err cf_captions_parse(const char *text, size_t len, cf_caption_track *out, cf_error *err);
/* Reads and parses a file of at most max_bytes (0 = 64 MiB). */
cf_err cf_captions_load_file(const char *path, size_t max_bytes, cf_caption_track *out, cf_error *err);
/* Turns cues into a transcript: one segment per cue; word times are estimated by spreading the
 * cue's time over its words in proportion to their length (confidence 1). */
cf_err cf_captions_to_transcript(const cf_caption_track *track, cf_transcript *out, cf_error *err);

#endif

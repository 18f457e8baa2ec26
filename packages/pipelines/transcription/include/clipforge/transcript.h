/* transcript.h — helpers on the Transcript domain type (cf_transcript, generated from
 * packages/domain/schemas/Transcript.json with its JSON parse/print/free): segments of
 * recognised speech with per-word times in ms of the whole media and confidences 0..1. */
#ifndef CLIPFORGE_TRANSCRIPT_H
#define CLIPFORGE_TRANSCRIPT_H

#include <stddef.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"

/* Sets s->text from its words (joined by one space); CF_ERR_NO_MEMORY on failure. */
cf_err cf_transcript_segment_join_text(cf_transcript_segment *s, cf_error *err);
/* Number of words over all segments. */
size_t cf_transcript_word_count(const cf_transcript *t);
/* Reads a transcript a user or a job wrote: Transcript JSON (the file starts with '{') or SRT /
 * WebVTT captions (cf_captions_to_transcript: word times spread over each cue). At most
 * max_bytes (0 = 64 MiB). out is the caller's to free with cf_transcript_free; errors name the
 * file (and the line or field). *read_as (read_as may be NULL): a caption file that was not
 * UTF-8, what its text was read as ("Windows-1252", "UTF-16LE": static), else NULL. */
cf_err cf_transcript_load_file(const char *path, size_t max_bytes, cf_transcript *out, const char **read_as,
                               cf_error *err);

#endif

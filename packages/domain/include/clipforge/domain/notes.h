/* notes.h — the "notes" of a job's result (clip, render, autoclip, detection, transcription):
 * what the job did that a caller should know, such as a source stream it left out. One rule for
 * every result: empty texts and repeats are skipped, at most CF_NOTES_MAX are kept, each at most
 * CF_NOTE_MAX_BYTES (the schemas' maxItems and maxLength). */
#ifndef CLIPFORGE_DOMAIN_NOTES_H
#define CLIPFORGE_DOMAIN_NOTES_H

#include <stddef.h>

#include "clipforge/error.h"

#define CF_NOTES_MAX 32
#define CF_NOTE_MAX_BYTES 1024

/* Appends a copy of text to the list (*notes, *n), cut at a character boundary when longer
 * than CF_NOTE_MAX_BYTES; does nothing for NULL or "", a text already listed, or a full list.
 * CF_ERR_NO_MEMORY leaves the list as it was. */
cf_err cf_notes_add(char ***notes, size_t *n, const char *text, cf_error *err);

#endif

/* names.h — the names a client gives the API or gets back from it, made safe in one place: an
 * upload's file name, a zip entry's name, and the cursor of the media list. Pure functions of
 * their text (fuzzed by tests/fuzz/fuzz_names.c). */
#ifndef CLIPFORGE_API_NAMES_H
#define CLIPFORGE_API_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_FILENAME_MAX_CHARS 255 /* the Media schema's filename maxLength */
#define CF_ZIP_NAME_MAX_BYTES 120
#define CF_CURSOR_ID_MAX 64

/* Bytes in the valid UTF-8 sequence at s (1..4), 0 when it is not valid UTF-8 (overlong forms,
 * surrogates and values past U+10FFFF included). s must be NUL-terminated. */
size_t cf_utf8_seq(const unsigned char *s);
/* The name to keep for an upload named raw (malloc'd; NULL when nothing usable is left): the
 * last path component only, control characters and invalid UTF-8 dropped, surrounding spaces
 * trimmed, at most CF_FILENAME_MAX_CHARS characters, never "." or "..". The name is only ever
 * shown, never used as a path, but a client should not store a path or terminal escapes with it. */
char *cf_upload_filename(const char *raw);
/* A name that is safe as a zip entry on every system, into out (cap > 0): no path separators,
 * control or reserved characters, valid UTF-8, no leading spaces or dots and no trailing ones,
 * at most CF_ZIP_NAME_MAX_BYTES bytes (cut between characters), "clip" when nothing is left. */
void cf_zip_entry_name(const char *in, char *out, size_t cap);
/* The media list's cursor: "<created_at>.<id>" of the last row of a page. */
void cf_media_cursor_format(int64_t created_at, const char *id, char *out, size_t cap);
/* Reads a cursor as cf_media_cursor_format writes it (a decimal without sign or leading zero);
 * *id points into text. False when the text is not a cursor of ours. */
bool cf_media_cursor_parse(const char *text, int64_t *created_at, const char **id);
/* The job list's cursor: the seq of the last row of a page, in decimal. */
void cf_job_cursor_format(int64_t seq, char *out, size_t cap);
/* Reads a cursor as cf_job_cursor_format writes it: digits only, no leading zero, 1 to INT64_MAX.
 * False otherwise (then *seq is unchanged). */
bool cf_job_cursor_parse(const char *text, int64_t *seq);

#endif

/* transcript.c — helpers on transcripts (the type and its JSON form are the domain package's). */
#include "clipforge/transcript.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/caption_parse.h"
#include "clipforge/json.h"

size_t cf_transcript_word_count(const cf_transcript *t) {
    size_t n = 0;
    for (size_t i = 0; t && i < t->n_segments; i++) n += t->segments[i].n_words;
    return n;
}

cf_err cf_transcript_segment_join_text(cf_transcript_segment *s, cf_error *err) {
    size_t len = 1;
    for (size_t i = 0; i < s->n_words; i++) len += strlen(s->words[i].word) + 1;
    char *text = malloc(len), *at = text;
    if (!text) return cf_error_set(err, CF_ERR_NO_MEMORY, "transcript text: out of memory");
    *at = '\0';
    for (size_t i = 0; i < s->n_words; i++) {
        size_t n = strlen(s->words[i].word);
        if (i) *at++ = ' ';
        memcpy(at, s->words[i].word, n + 1);
        at += n;
    }
    free(s->text);
    s->text = text;
    return CF_OK;
}

/* True when the file's first character past a UTF-8 byte order mark and blanks is '{'. */
static bool looks_like_json(FILE *f) {
    int c = fgetc(f);
    if (c == 0xEF && fgetc(f) == 0xBB && fgetc(f) == 0xBF) c = fgetc(f);
    while (c == ' ' || c == '\t' || c == '\r' || c == '\n') c = fgetc(f);
    return c == '{';
}

cf_err cf_transcript_load_file(const char *path, size_t max_bytes, cf_transcript *out, const char **read_as,
                               cf_error *err) {
    memset(out, 0, sizeof *out);
    if (read_as) *read_as = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cf_error_set(err, errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO, "%s: %s", path,
                            strerror(errno));
    bool json = looks_like_json(f);
    fclose(f);
    if (!json) {
        cf_caption_track track;
        cf_err rc = cf_captions_load_file(path, max_bytes, &track, err);
        if (!rc) rc = cf_captions_to_transcript(&track, out, err);
        if (!rc && read_as) *read_as = track.read_as;
        cf_caption_track_free(&track);
        return rc; /* cf_captions_load_file names the file */
    }
    json_t *j = cf_json_load_file(path, max_bytes ? max_bytes : (size_t)64 << 20, 16, err);
    if (!j) return err->code;
    cf_err rc = cf_transcript_from_json(j, out, err);
    json_decref(j);
    if (rc) cf_error_prefix(err, "%s", path);
    return rc;
}

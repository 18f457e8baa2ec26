/* transcript.c — helpers on transcripts (the type and its JSON form are the domain package's). */
#include "clipforge/transcript.h"

#include <stdlib.h>
#include <string.h>

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

/* transcript.c — freeing, text joining and the JSON form of transcripts. */
#include "clipforge/transcript.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/json.h"

void cf_stt_segment_free(cf_stt_segment *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_words; i++) free(s->words[i].word);
    free(s->words);
    free(s->text);
    memset(s, 0, sizeof *s);
}

void cf_stt_transcript_free(cf_stt_transcript *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_segments; i++) cf_stt_segment_free(&t->segments[i]);
    free(t->segments);
    free(t->language);
    free(t->model);
    memset(t, 0, sizeof *t);
}

size_t cf_stt_transcript_word_count(const cf_stt_transcript *t) {
    size_t n = 0;
    for (size_t i = 0; t && i < t->n_segments; i++) n += t->segments[i].n_words;
    return n;
}

cf_err cf_stt_segment_join_text(cf_stt_segment *s, cf_error *err) {
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

static json_t *word_to_json(const cf_stt_word *w) {
    return json_pack("{s:s, s:I, s:I, s:f}", "word", w->word ? w->word : "", "start_ms",
                     (json_int_t)w->start_ms, "end_ms", (json_int_t)w->end_ms, "confidence",
                     w->confidence);
}

static json_t *segment_to_json(const cf_stt_segment *s) {
    json_t *words = json_array();
    for (size_t i = 0; words && i < s->n_words; i++)
        if (json_array_append_new(words, word_to_json(&s->words[i])) != 0) {
            json_decref(words);
            return NULL;
        }
    if (!words) return NULL;
    return json_pack("{s:I, s:I, s:s, s:o}", "start_ms", (json_int_t)s->start_ms, "end_ms",
                     (json_int_t)s->end_ms, "text", s->text ? s->text : "", "words", words);
}

json_t *cf_stt_transcript_to_json(const cf_stt_transcript *t) {
    json_t *segs = json_array();
    for (size_t i = 0; segs && i < t->n_segments; i++)
        if (json_array_append_new(segs, segment_to_json(&t->segments[i])) != 0) {
            json_decref(segs);
            return NULL;
        }
    if (!segs) return NULL;
    json_t *j = json_pack("{s:s, s:I, s:o}", "language", t->language ? t->language : "en-us",
                          "duration_ms", (json_int_t)t->duration_ms, "segments", segs);
    if (j && t->model) json_object_set_new(j, "model", json_string(t->model));
    return j;
}

static cf_err check_span(int64_t a, int64_t b, const char *path, cf_error *err) {
    if (a < 0) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.start_ms: must be >= 0", path);
    if (b < a)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.end_ms: must be >= start_ms", path);
    return CF_OK;
}

static cf_err dup_string(const json_t *obj, const char *key, bool optional, char **out,
                         const char *path, cf_error *err) {
    const char *s = NULL;
    cf_err e = cf_json_get_string(obj, key, optional, &s, path, err);
    if (e == CF_ERR_NOT_FOUND && optional) return CF_OK;
    if (e) return e;
    if (!(*out = strdup(s))) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    return CF_OK;
}

static cf_err word_from_json(const json_t *j, cf_stt_word *w, const char *path, cf_error *err) {
    char p[256];
    if (!json_is_object(j)) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: not an object", path);
    snprintf(p, sizeof p, "%s.word", path);
    cf_err e = dup_string(j, "word", false, &w->word, p, err);
    snprintf(p, sizeof p, "%s.start_ms", path);
    if (!e) e = cf_json_get_int(j, "start_ms", false, &w->start_ms, p, err);
    snprintf(p, sizeof p, "%s.end_ms", path);
    if (!e) e = cf_json_get_int(j, "end_ms", false, &w->end_ms, p, err);
    snprintf(p, sizeof p, "%s.confidence", path);
    w->confidence = 1.0;
    if (!e && cf_json_get_number(j, "confidence", true, &w->confidence, p, err) == CF_ERR_INVALID_ARGUMENT)
        e = CF_ERR_INVALID_ARGUMENT;
    if (!e && !(w->confidence >= 0 && w->confidence <= 1))
        e = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: must be in [0, 1]", p);
    if (!e) e = check_span(w->start_ms, w->end_ms, path, err);
    return e;
}

static cf_err segment_from_json(const json_t *j, cf_stt_segment *s, const char *path,
                                cf_error *err) {
    char p[256];
    if (!json_is_object(j)) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: not an object", path);
    snprintf(p, sizeof p, "%s.start_ms", path);
    cf_err e = cf_json_get_int(j, "start_ms", false, &s->start_ms, p, err);
    snprintf(p, sizeof p, "%s.end_ms", path);
    if (!e) e = cf_json_get_int(j, "end_ms", false, &s->end_ms, p, err);
    snprintf(p, sizeof p, "%s.text", path);
    if (!e) e = dup_string(j, "text", false, &s->text, p, err);
    if (!e) e = check_span(s->start_ms, s->end_ms, path, err);
    const json_t *words = json_object_get(j, "words");
    if (e || !words) return e;
    if (!json_is_array(words))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.words: must be an array", path);
    if (json_array_size(words) &&
        !(s->words = calloc(json_array_size(words), sizeof *s->words)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    for (size_t i = 0; !e && i < json_array_size(words); i++, s->n_words++) {
        snprintf(p, sizeof p, "%s.words[%zu]", path, i);
        e = word_from_json(json_array_get(words, i), &s->words[i], p, err);
    }
    return e;
}

cf_err cf_stt_transcript_from_json(const json_t *j, cf_stt_transcript *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (!json_is_object(j)) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "transcript: not an object");
    cf_err e = dup_string(j, "language", true, &out->language, "language", err);
    if (!e && !out->language && !(out->language = strdup("en-us")))
        e = cf_error_set(err, CF_ERR_NO_MEMORY, "language: out of memory");
    if (!e) e = dup_string(j, "model", true, &out->model, "model", err);
    if (!e) e = cf_json_get_int(j, "duration_ms", false, &out->duration_ms, "duration_ms", err);
    if (!e && out->duration_ms < 0)
        e = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "duration_ms: must be >= 0");
    const json_t *segs = json_object_get(j, "segments");
    if (!e && !json_is_array(segs))
        e = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "segments: must be an array");
    if (!e && json_array_size(segs) &&
        !(out->segments = calloc(json_array_size(segs), sizeof *out->segments)))
        e = cf_error_set(err, CF_ERR_NO_MEMORY, "segments: out of memory");
    for (size_t i = 0; !e && i < json_array_size(segs); i++, out->n_segments++) {
        char p[64];
        snprintf(p, sizeof p, "segments[%zu]", i);
        e = segment_from_json(json_array_get(segs, i), &out->segments[i], p, err);
    }
    if (e) {
        /* a partly built segment at the end is counted by the loop above, so it is freed too */
        cf_stt_transcript_free(out);
    }
    return e;
}

/* Transcript helpers with the domain type, the transcriber registry, bad media. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/transcribe.h"

static const char *good = "{\"language\":\"en-us\",\"model\":\"m/1\",\"duration_ms\":5000,\"segments\":["
                          "{\"start_ms\":100,\"end_ms\":900,\"text\":\"hi there\",\"words\":["
                          "{\"word\":\"hi\",\"start_ms\":100,\"end_ms\":400,\"confidence\":0.5},"
                          "{\"word\":\"there\",\"start_ms\":450,\"end_ms\":900,\"confidence\":1.0}]}]}";

static void test_json_round_trip(void **state) {
    (void)state;
    json_t *j = json_loads(good, 0, NULL);
    cf_transcript t, u;
    cf_error err = {0};
    assert_int_equal(cf_transcript_from_json(j, &t, &err), CF_OK);
    assert_int_equal(cf_transcript_word_count(&t), 2);
    free(t.segments[0].text);
    t.segments[0].text = NULL;
    assert_int_equal(cf_transcript_segment_join_text(&t.segments[0], &err), CF_OK);
    assert_string_equal(t.segments[0].text, "hi there");
    json_t *back = cf_transcript_to_json(&t);
    assert_int_equal(cf_transcript_from_json(back, &u, &err), CF_OK);
    assert_int_equal(u.n_segments, 1);
    assert_int_equal(u.segments[0].n_words, 2);
    assert_string_equal(u.segments[0].words[1].word, "there");
    assert_int_equal(u.segments[0].words[1].start_ms, 450);
    assert_true(u.segments[0].words[0].confidence == 0.5);
    json_decref(back);
    json_decref(j);
    cf_transcript_free(&t);
    cf_transcript_free(&u);
}

static bool never(const char *l) {
    (void)l;
    return false;
}
static cf_err open_fail(const cf_transcriber_config *c, void **out, cf_error *err) {
    (void)c;
    *out = NULL;
    return cf_error_set(err, CF_ERR_UNAVAILABLE, "no model");
}
static cf_err decode_none(void *r, const int16_t *p, size_t n, cf_transcript_segment *o, cf_error *e) {
    (void)r, (void)p, (void)n, (void)o, (void)e;
    return CF_OK;
}
static void close_none(void *r) {
    (void)r;
}

static void test_registry(void **state) {
    (void)state;
    assert_non_null(cf_transcriber_find(NULL));
    assert_string_equal(cf_transcriber_find("")->name, "pocketsphinx");
    assert_null(cf_transcriber_find("nope"));
    static const cf_transcriber future = {
        CF_TRANSCRIBER_VERSION + 1, "future", "1", never, open_fail, decode_none, close_none, NULL, NULL};
    static const cf_transcriber picky = {
        CF_TRANSCRIBER_VERSION, "picky", "1", never, open_fail, decode_none, close_none, NULL, NULL};
    cf_error err = {0};
    assert_int_equal(cf_transcriber_register(&future, &err), CF_ERR_UNSUPPORTED);
    assert_int_equal(cf_transcriber_register(&picky, &err), CF_OK);
    char names[128];
    cf_transcriber_list(names, sizeof names);
    assert_string_equal(names, "pocketsphinx,picky");
    /* an engine that cannot do the language is refused before any work */
    int16_t pcm[16] = {0};
    cf_transcript t;
    cf_transcribe_options o = {.engine = "picky"};
    assert_int_equal(cf_transcribe_pcm(pcm, 16, &o, NULL, &t, &err), CF_ERR_UNSUPPORTED);
    o.engine = "missing";
    assert_int_equal(cf_transcribe_pcm(pcm, 16, &o, NULL, &t, &err), CF_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "pocketsphinx"));
}

static void test_missing_media_errors(void **state) {
    (void)state;
    cf_transcript t;
    cf_error err = {0};
    assert_int_equal(cf_transcribe_file("/nonexistent.wav", NULL, NULL, &t, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_transcribe_file(__FILE__, NULL, NULL, &t, &err), CF_ERR_INVALID_MEDIA);
}

static void test_request_checks_uri_and_model(void **state) {
    (void)state;
    cf_transcript t;
    cf_error err = {0};
    cf_transcription_request req = {.clip_id = "c1", .media_uri = "s3://bucket/x.wav", .language = "en-us"};
    assert_int_equal(cf_transcribe_request(&req, NULL, NULL, &t, &err), CF_ERR_INVALID_ARGUMENT);
    req.media_uri = "file:///nonexistent.wav";
    assert_int_equal(cf_transcribe_request(&req, NULL, NULL, &t, &err), CF_ERR_NOT_FOUND);
    req.model = "pocketsphinx/0.1";
    assert_int_equal(cf_transcribe_request(&req, NULL, NULL, &t, &err), CF_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "5prealpha"));
    req.model = "whisper";
    assert_int_equal(cf_transcribe_request(&req, NULL, NULL, &t, &err), CF_ERR_UNSUPPORTED);
    req.model = "pocketsphinx";
    req.language = "fr";
    assert_int_equal(cf_transcribe_request(&req, NULL, NULL, &t, &err), CF_ERR_UNSUPPORTED);
}

/* A backend that hears one word per chunk, spanning it: which chunks were decoded shows. */
static bool any_language(const char *l) {
    (void)l;
    return true;
}
static cf_err open_chunks(const cf_transcriber_config *c, void **out, cf_error *err) {
    (void)c, (void)err;
    *out = (void *)1;
    return CF_OK;
}
static cf_err decode_chunk_word(void *r, const int16_t *p, size_t n, cf_transcript_segment *o, cf_error *e) {
    (void)r, (void)p;
    if (!(o->words = calloc(1, sizeof *o->words)) || !(o->words[0].word = strdup("chunk")))
        return cf_error_set(e, CF_ERR_NO_MEMORY, "out of memory");
    o->n_words = 1;
    o->words[0] = (cf_transcript_word){o->words[0].word, 0, (int64_t)(n / 16), 1.0};
    return CF_OK;
}

/* Tone bursts at 5-10 s, 25-30 s and 45-50 s of 60 s of 16 kHz silence: three chunks. */
static int16_t *three_bursts(size_t *n) {
    *n = 60 * 16000;
    int16_t *pcm = calloc(*n, sizeof *pcm);
    for (int b = 0; pcm && b < 3; b++)
        for (size_t i = (size_t)(5 + 20 * b) * 16000; i < (size_t)(10 + 20 * b) * 16000; i++)
            pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 220 * (double)i / 16000));
    return pcm;
}

static void test_ranges_pick_chunks(void **state) {
    (void)state;
    static const cf_transcriber chunks = {CF_TRANSCRIBER_VERSION, "chunks",   "1",  any_language, open_chunks,
                                          decode_chunk_word,      close_none, NULL, NULL};
    cf_error err = {0};
    assert_int_equal(cf_transcriber_register(&chunks, &err), CF_OK);
    size_t n;
    int16_t *pcm = three_bursts(&n);
    assert_non_null(pcm);
    cf_transcript all, some, none;
    cf_transcribe_options o = {.engine = "chunks", .threads = 2};
    assert_int_equal(cf_transcribe_pcm(pcm, n, &o, NULL, &all, &err), CF_OK);
    assert_int_equal(all.n_segments, 3);
    /* one range inside the middle burst, one touching the last: those two chunks, whole */
    const cf_time_range r[] = {{26000, 27000}, {49900, 70000}};
    o.ranges = r, o.n_ranges = 2;
    assert_int_equal(cf_transcribe_pcm(pcm, n, &o, NULL, &some, &err), CF_OK);
    assert_int_equal(some.n_segments, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(some.segments[i].start_ms, all.segments[i + 1].start_ms);
        assert_int_equal(some.segments[i].end_ms, all.segments[i + 1].end_ms);
    }
    assert_true(some.segments[0].start_ms < 26000 && some.segments[0].end_ms > 27000);
    assert_int_equal(some.duration_ms, all.duration_ms);
    /* ranges over the silence between bursts decode nothing */
    const cf_time_range quiet[] = {{14000, 18000}};
    o.ranges = quiet, o.n_ranges = 1;
    assert_int_equal(cf_transcribe_pcm(pcm, n, &o, NULL, &none, &err), CF_OK);
    assert_int_equal(none.n_segments, 0);
    cf_transcript_free(&all);
    cf_transcript_free(&some);
    cf_transcript_free(&none);
    free(pcm);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_round_trip),      cmocka_unit_test(test_registry),
        cmocka_unit_test(test_missing_media_errors), cmocka_unit_test(test_request_checks_uri_and_model),
        cmocka_unit_test(test_ranges_pick_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Transcript helpers with the domain type, the transcriber registry, bad media. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_missing_media_errors),
        cmocka_unit_test(test_request_checks_uri_and_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

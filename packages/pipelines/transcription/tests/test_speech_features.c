/* Speech rate, pauses and emphasis from word times and audio. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/transcribe.h"

#define RATE 16000

/* Words of 200 ms every 400 ms from 0 to 10 s (150 wpm), then a 4 s pause, then words every
 * 200 ms (gapless, 300 wpm) to 20 s. Word 5 is 4x louder than the others (+12 dB). */
static void build(cf_transcript *t, int16_t **pcm, size_t *n) {
    memset(t, 0, sizeof *t);
    t->duration_ms = 20000;
    t->segments = calloc(1, sizeof *t->segments);
    t->n_segments = 1;
    cf_transcript_segment *s = &t->segments[0];
    s->words = calloc(200, sizeof *s->words);
    for (int64_t at = 0; at < 10000; at += 400)
        s->words[s->n_words++] = (cf_transcript_word){strdup("w"), at, at + 200, 1};
    for (int64_t at = 14000; at < 20000; at += 200)
        s->words[s->n_words++] = (cf_transcript_word){strdup("w"), at, at + 200, 1};
    *n = 20 * RATE;
    *pcm = calloc(*n, sizeof **pcm);
    for (size_t w = 0; w < s->n_words; w++) {
        double amp = w == 5 ? 8000 : 2000;
        for (int64_t i = s->words[w].start_ms * 16; i < s->words[w].end_ms * 16; i++)
            (*pcm)[i] = (int16_t)(amp * sin(2 * M_PI * 300 * (double)i / RATE));
    }
}

static void test_rate_pause_and_emphasis(void **state) {
    (void)state;
    cf_transcript t;
    int16_t *pcm;
    size_t n;
    build(&t, &pcm, &n);
    cf_speech_features f;
    assert_int_equal(cf_speech_features_compute(&t, pcm, n, NULL, &f, NULL), CF_OK);
    assert_int_equal(f.hop_ms, 100);
    assert_int_equal(f.n_steps, 200);
    assert_int_equal(f.n_words, t.segments[0].n_words);
    /* 5 s window centred at 5 s: words every 400 ms -> 150 wpm */
    assert_true(fabsf(f.speech_rate_wpm[50] - 150.0f) < 15.0f);
    /* centred at 17 s: words every 200 ms -> 300 wpm */
    assert_true(fabsf(f.speech_rate_wpm[170] - 300.0f) < 15.0f);
    /* the 4.2 s pause between 9.8 s and 14 s */
    assert_true(fabsf(f.pause_ms[120] - 4200.0f) < 1.0f);
    assert_true(f.pause_ms[50] == 0.0f);
    assert_int_equal(f.n_pauses, 1);
    assert_true(fabsf(f.pause_before_ms[25] - 4200.0f) < 1.0f);
    /* word 5 is 12 dB above the others; the mean is barely moved by one word of 55 */
    assert_true(f.word_emphasis_db[5] > 10.0f && f.word_emphasis_db[5] < 13.0f);
    assert_true(fabsf(f.word_emphasis_db[4]) < 1.0f);
    assert_true(f.emphasis_db[20] > 10.0f); /* word 5 spans 2.0-2.2 s */
    assert_true(f.loudness_db[20] > f.loudness_db[16] + 10.0f);
    assert_true(f.loudness_db[120] <= -99.0f);
    cf_speech_features_free(&f);
    cf_transcript_free(&t);
    free(pcm);
}

static void test_without_audio_and_without_words(void **state) {
    (void)state;
    cf_transcript t;
    int16_t *pcm;
    size_t n;
    build(&t, &pcm, &n);
    cf_speech_features f;
    assert_int_equal(cf_speech_features_compute(&t, NULL, 0, NULL, &f, NULL), CF_OK);
    assert_true(f.word_emphasis_db[5] == 0.0f);
    assert_true(f.speech_rate_wpm[50] > 100.0f);
    cf_speech_features_free(&f);
    cf_transcript empty = {.duration_ms = 1000};
    assert_int_equal(cf_speech_features_compute(&empty, pcm, n, NULL, &f, NULL), CF_OK);
    assert_int_equal(f.n_words, 0);
    assert_int_equal(f.n_steps, 10);
    assert_true(f.pause_ms[5] == 1000.0f);
    cf_speech_features_free(&f);
    cf_transcript_free(&t);
    free(pcm);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_pause_and_emphasis),
        cmocka_unit_test(test_without_audio_and_without_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

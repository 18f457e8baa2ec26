/* Voice activity detection and chunking at pauses on synthetic signals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "vad.h"

#define RATE 16000

/* Fills [a_ms, b_ms) with a 200 Hz tone modulated like syllables (4 Hz). */
static void tone(int16_t *pcm, int64_t a_ms, int64_t b_ms, double amp) {
    for (int64_t i = a_ms * 16; i < b_ms * 16; i++) {
        double t = (double)i / RATE;
        pcm[i] = (int16_t)(amp * (0.6 + 0.4 * sin(2 * M_PI * 4 * t)) * sin(2 * M_PI * 200 * t));
    }
}

static void noise(int16_t *pcm, size_t n, double amp) {
    unsigned s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        pcm[i] = (int16_t)(pcm[i] + amp * (((s >> 16) & 0x7fff) / 16384.0 - 1.0));
    }
}

static void test_speech_bursts_are_cut_inside_pauses(void **state) {
    (void)state;
    size_t n = 60 * RATE;
    int16_t *pcm = calloc(n, sizeof *pcm);
    /* 6 bursts of 8 s with 1.5 s pauses: 0.5-8.5, 10-18, ... */
    for (int k = 0; k < 6; k++) tone(pcm, 500 + k * 9500, 8500 + k * 9500, 8000);
    noise(pcm, n, 50);
    cf__vad_chunk *c = NULL;
    size_t nc = 0;
    cf__vad_options o = {.max_chunk_ms = 20000, .min_chunk_ms = 4000};
    assert_int_equal(cf__vad_split(pcm, n, RATE, &o, &c, &nc, NULL), CF_OK);
    assert_true(nc >= 3 && nc <= 6);
    for (size_t i = 0; i < nc; i++) {
        assert_true(c[i].end - c[i].start <= 20 * RATE);
        if (i) assert_true(c[i].start >= c[i - 1].end);
        /* every cut falls inside a pause, never inside a burst */
        for (int k = 0; k < 6; k++) {
            size_t a = (size_t)(500 + k * 9500 + 100) * 16, b = (size_t)(8500 + k * 9500 - 100) * 16;
            assert_false(c[i].start > a && c[i].start < b);
            assert_false(c[i].end > a && c[i].end < b);
        }
    }
    /* speech start and end are kept */
    assert_true(c[0].start <= 500 * 16);
    assert_true(c[nc - 1].end >= (size_t)(8500 + 5 * 9500) * 16);
    free(c);
    free(pcm);
}

static void test_silence_gives_no_chunks(void **state) {
    (void)state;
    size_t n = 5 * RATE;
    int16_t *pcm = calloc(n, sizeof *pcm);
    noise(pcm, n, 3);
    cf__vad_chunk *c = NULL;
    size_t nc = 7;
    assert_int_equal(cf__vad_split(pcm, n, RATE, NULL, &c, &nc, NULL), CF_OK);
    assert_int_equal(nc, 0);
    free(c);
    free(pcm);
}

/* Bursts of amp at 1-8 s and 11-18 s of 20 s, over a hiss of hiss and a DC offset of dc: both
 * are found, from the first's start to the second's end. */
static void bursts_found(double amp, double hiss, int dc) {
    size_t n = 20 * RATE;
    int16_t *pcm = calloc(n, sizeof *pcm);
    tone(pcm, 1000, 8000, amp);
    tone(pcm, 11000, 18000, amp);
    noise(pcm, n, hiss);
    for (size_t i = 0; i < n; i++) pcm[i] = (int16_t)(pcm[i] + dc);
    cf__vad_chunk *c = NULL;
    size_t nc = 0;
    cf__vad_options o = {.max_chunk_ms = 20000, .min_chunk_ms = 4000};
    assert_int_equal(cf__vad_split(pcm, n, RATE, &o, &c, &nc, NULL), CF_OK);
    assert_true(nc >= 1);
    assert_true(c[0].start <= 1000 * 16 && c[nc - 1].end >= 18000 * 16);
    free(c);
    free(pcm);
}

/* 40 dB under the loud test's (peaks near -52 dBFS), over a faint hiss */
static void test_quiet_speech_is_speech(void **state) {
    (void)state;
    bursts_found(80, 2, 0);
}

/* at a usual level over a DC offset of 10 % of full scale */
static void test_dc_offset_is_not_sound(void **state) {
    (void)state;
    bursts_found(2000, 20, 3277);
}

static void test_continuous_sound_is_cut_at_max_length(void **state) {
    (void)state;
    size_t n = 50 * RATE;
    int16_t *pcm = calloc(n, sizeof *pcm);
    noise(pcm, n, 20);
    tone(pcm, 0, 50000, 8000); /* no pause at all */
    cf__vad_chunk *c = NULL;
    size_t nc = 0;
    cf__vad_options o = {.max_chunk_ms = 15000};
    assert_int_equal(cf__vad_split(pcm, n, RATE, &o, &c, &nc, NULL), CF_OK);
    assert_true(nc >= 4);
    size_t covered = 0;
    for (size_t i = 0; i < nc; i++) {
        assert_true(c[i].end - c[i].start <= 15 * RATE);
        covered += c[i].end - c[i].start;
    }
    assert_true(covered >= n * 95 / 100);
    free(c);
    free(pcm);
}

/* Number of bursts [starts[k], starts[k] + lens[k]) ms wholly inside chunk c. */
static int bursts_in(cf__vad_chunk c, const int64_t *starts, const int64_t *lens, int n) {
    int in = 0;
    for (int k = 0; k < n; k++)
        in += c.start <= (size_t)starts[k] * 16 && c.end >= (size_t)(starts[k] + lens[k]) * 16;
    return in;
}

static int16_t *bursts(const int64_t *starts, const int64_t *lens, int n, size_t total) {
    int16_t *pcm = calloc(total, sizeof *pcm);
    for (int k = 0; k < n; k++) tone(pcm, starts[k], starts[k] + lens[k], 8000);
    noise(pcm, total, 50);
    return pcm;
}

static void test_words_said_alone_are_chunks_of_their_own(void **state) {
    (void)state;
    /* a list read out: ten words of 0.8 s, 0.8 s apart */
    int64_t st[10], ln[10];
    for (int k = 0; k < 10; k++) st[k] = 500 + k * 1600, ln[k] = 800;
    size_t n = 17 * RATE;
    int16_t *pcm = bursts(st, ln, 10, n);
    cf__vad_chunk *c = NULL;
    size_t nc = 0;
    assert_int_equal(cf__vad_split(pcm, n, RATE, NULL, &c, &nc, NULL), CF_OK);
    assert_int_equal(nc, 10);
    for (size_t i = 0; i < nc; i++) assert_int_equal(bursts_in(c[i], st, ln, 10), 1);
    free(c);
    /* without the rule they are grouped, several to a chunk (here all in one: under 20 s) */
    cf__vad_options o = {.item_ms = -1};
    assert_int_equal(cf__vad_split(pcm, n, RATE, &o, &c, &nc, NULL), CF_OK);
    assert_int_equal(nc, 1);
    free(c);
    free(pcm);
}

static void test_running_speech_keeps_long_chunks(void **state) {
    (void)state;
    /* sentences of 3 s with 0.6 s pauses, a word alone between them, and a sentence whose
     * clauses of 1.5 s are 0.3 s apart (pauses too short to set an item apart) */
    const int64_t st[] = {500, 4100, 7700, 11500, 13000, 14800, 16600};
    const int64_t ln[] = {3000, 3000, 3000, 700, 1500, 1500, 1500};
    size_t n = 19 * RATE;
    int16_t *pcm = bursts(st, ln, 7, n);
    cf__vad_chunk *c = NULL;
    size_t nc = 0;
    assert_int_equal(cf__vad_split(pcm, n, RATE, NULL, &c, &nc, NULL), CF_OK);
    int alone = 0;
    for (size_t i = 0; i < nc; i++) {
        int in = bursts_in(c[i], st, ln, 7);
        assert_true(in >= 1);
        /* the word (fourth burst) is on its own; sentences are not cut up into their pauses */
        if (bursts_in(c[i], st + 3, ln + 3, 1)) alone = in == 1;
    }
    assert_true(alone);
    assert_int_equal(nc, 3);
    free(c);
    free(pcm);
}

static void test_empty_input(void **state) {
    (void)state;
    cf__vad_chunk *c = NULL;
    size_t nc = 3;
    int16_t one = 0;
    assert_int_equal(cf__vad_split(&one, 0, RATE, NULL, &c, &nc, NULL), CF_OK);
    assert_int_equal(nc, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speech_bursts_are_cut_inside_pauses),
        cmocka_unit_test(test_silence_gives_no_chunks),
        cmocka_unit_test(test_quiet_speech_is_speech),
        cmocka_unit_test(test_dc_offset_is_not_sound),
        cmocka_unit_test(test_continuous_sound_is_cut_at_max_length),
        cmocka_unit_test(test_words_said_alone_are_chunks_of_their_own),
        cmocka_unit_test(test_running_speech_keeps_long_chunks),
        cmocka_unit_test(test_empty_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

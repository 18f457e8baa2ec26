/* test_voice_activity.c — voice activity of synthetic speech-like sound: voiced stretches are
 * found to within a frame or two, over a noise floor; a hissing consonant that ends a word stays
 * with it; a lone click and quiet noise are not speech; the same 40 dB down is found the same;
 * silence says nothing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "voice_activity.h"

#define RATE CFCLIP_VAD_RATE
#define MS(x) ((size_t)(x)*RATE / 1000)

static uint32_t seed = 12345;
static float noise(void) { /* uniform in [-1, 1] */
    seed = seed * 1664525u + 1013904223u;
    return (float)seed / 2147483648.0f - 1.0f;
}

/* A vowel: 140 Hz and its harmonics up to 3 kHz, peak about amp. */
static void vowel(float *x, size_t from, size_t to, float amp) {
    for (size_t i = from; i < to; i++) {
        double t = (double)i / RATE, v = 0;
        for (int h = 1; h * 140 < 3000; h++) v += sin(2 * M_PI * 140 * h * t) / h;
        x[i] += (float)(amp * v / 2.5);
    }
}

static void hiss(float *x, size_t from, size_t to, float amp) {
    float prev = 0;
    for (size_t i = from; i < to; i++) {
        float w = noise();
        x[i] += amp * (w - prev) / 2; /* first difference: the energy is high up */
        prev = w;
    }
}

static cf_time_range *ranges(const float *x, size_t n, size_t *k) {
    cfclip_vad *v;
    cf_error err;
    cf_time_range *r;
    assert_int_equal(cfclip_vad_new(&v, &err), CF_OK);
    assert_int_equal(cfclip_vad_push(v, x, n, &err), CF_OK);
    assert_int_equal(cfclip_vad_ranges(v, 1000, &r, k, &err), CF_OK);
    cfclip_vad_free(v);
    return r;
}

/* Two words over a noise floor, a click between them, all gain times their usual level. */
static void voiced_stretches(float gain) {
    size_t n = MS(3000);
    float *x = calloc(n, sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = gain * 0.001f * noise(); /* about -60 dBFS */
    vowel(x, MS(300), MS(800), gain * 0.2f);
    vowel(x, MS(1800), MS(2200), gain * 0.2f);
    hiss(x, MS(2200), MS(2300), gain * 0.1f); /* the word ends in "s" */
    x[MS(1300)] = gain * 0.9f;                /* a click */
    size_t k;
    cf_time_range *r = ranges(x, n, &k);
    assert_int_equal(k, 2);
    assert_in_range(r[0].start_ms, 1000 + 280, 1000 + 310);
    assert_in_range(r[0].end_ms, 1000 + 790, 1000 + 820);
    assert_in_range(r[1].start_ms, 1000 + 1780, 1000 + 1810);
    assert_in_range(r[1].end_ms, 1000 + 2280, 1000 + 2320);
    free(r);
    free(x);
}

static void test_voiced_stretches_over_a_noise_floor(void **state) {
    (void)state;
    voiced_stretches(1.0f);
}

/* A recorder with much headroom, a lecture from the back of the room: the same words 40 dB
 * down are found the same (before, under -60 dBFS nothing was voice). */
static void test_quiet_words_are_voice(void **state) {
    (void)state;
    voiced_stretches(0.01f);
}

static void test_silence_says_nothing(void **state) {
    (void)state;
    size_t n = MS(1000), k = 7;
    float *x = calloc(n, sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = 0.0001f * noise();
    cf_time_range *r = ranges(x, n, &k);
    assert_null(r);
    assert_int_equal(k, 0);
    free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_voiced_stretches_over_a_noise_floor),
        cmocka_unit_test(test_quiet_words_are_voice),
        cmocka_unit_test(test_silence_says_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

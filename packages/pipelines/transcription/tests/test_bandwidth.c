/* Narrowband detection and high-band folding on synthetic tones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "bandwidth.h"

#define RATE 16000
#define N (RATE / 2)

/* pcm = sum of tones at the given frequencies (Hz), each at amplitude amp. */
static void tones(int16_t *pcm, const double *hz, int k, double amp) {
    for (size_t i = 0; i < N; i++) {
        double v = 0;
        for (int j = 0; j < k; j++) v += amp * sin(2 * M_PI * hz[j] * (double)i / RATE);
        pcm[i] = (int16_t)lrint(v);
    }
}

static void test_wideband_speech_band_is_not_narrowband(void **state) {
    (void)state;
    int16_t *pcm = malloc(N * sizeof *pcm);
    const double hz[] = {300, 1200, 6000};
    tones(pcm, hz, 3, 6000);
    assert_true(cf__stt_high_band_db(pcm, N) > -10);
    assert_false(cf__stt_is_narrowband(pcm, N));
    free(pcm);
}

static void test_telephone_band_is_narrowband_until_folded(void **state) {
    (void)state;
    int16_t *pcm = malloc(N * sizeof *pcm);
    const double hz[] = {300, 1200, 3000};
    tones(pcm, hz, 3, 6000);
    assert_true(cf__stt_is_narrowband(pcm, N));
    /* folding mirrors 1200 Hz to 6800 Hz and 300 Hz to 7700 Hz, 20 dB down: about -20 dB above
     * 5 kHz, like wideband speech */
    cf__stt_fold_high_band(pcm, N, -20.0);
    double db = cf__stt_high_band_db(pcm, N);
    assert_true(db > -25 && db < -15);
    assert_false(cf__stt_is_narrowband(pcm, N));
    free(pcm);
}

static void test_silence_and_short_input(void **state) {
    (void)state;
    int16_t *pcm = calloc(N, sizeof *pcm);
    assert_true(cf__stt_high_band_db(pcm, N) <= -100);
    assert_false(cf__stt_is_narrowband(pcm, 10)); /* too short to tell */
    cf__stt_fold_high_band(pcm, N, -20.0);
    for (size_t i = 0; i < N; i++) assert_int_equal(pcm[i], 0);
    free(pcm);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wideband_speech_band_is_not_narrowband),
        cmocka_unit_test(test_telephone_band_is_narrowband_until_folded),
        cmocka_unit_test(test_silence_and_short_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

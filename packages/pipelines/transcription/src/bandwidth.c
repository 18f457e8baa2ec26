/* bandwidth.c — narrowband speech in 16 kHz audio.
 *
 * The recogniser's model was trained on wideband speech: its filter bank reaches 6.8 kHz, so in
 * speech recorded at 8 kHz (telephone, voice prompts) the top third of its mel bands hold nothing
 * and every cepstral coefficient is pulled off. Wideband speech keeps about -20 dB of its energy
 * above 5 kHz, narrowband speech resampled to 16 kHz less than -50 dB; between lies the
 * threshold. Folding the 0-4 kHz band into 4-8 kHz (multiplying by (-1)^i mirrors the spectrum
 * about 4 kHz) puts speech-shaped energy back into those bands at a chosen level. */
#include "bandwidth.h"

#include <math.h>

#define TAPS 63
#define NARROW_DB (-40.0)

/* Windowed-sinc high-pass at 4.6 kHz (16 kHz rate), Hamming window: about 50 dB below 4 kHz. */
static void high_pass_taps(double h[TAPS]) {
    const double fc = 4600.0 / 16000.0;
    for (int k = 0; k < TAPS; k++) {
        double m = k - (TAPS - 1) / 2.0;
        double lp = m == 0 ? 2 * fc : sin(2 * M_PI * fc * m) / (M_PI * m);
        double w = 0.54 - 0.46 * cos(2 * M_PI * k / (TAPS - 1));
        h[k] = ((m == 0) - lp) * w;
    }
}

double cf__stt_high_band_db(const int16_t *pcm, size_t n) {
    double h[TAPS], hi = 0, all = 0;
    high_pass_taps(h);
    for (size_t i = 0; i + TAPS <= n; i++) {
        double v = 0;
        for (int k = 0; k < TAPS; k++) v += h[k] * pcm[i + k];
        hi += v * v;
        double c = pcm[i + TAPS / 2];
        all += c * c;
    }
    if (all <= 0) return -100.0;
    return hi > 0 ? 10.0 * log10(hi / all) : -100.0;
}

bool cf__stt_is_narrowband(const int16_t *pcm, size_t n) {
    return n > TAPS && cf__stt_high_band_db(pcm, n) < NARROW_DB;
}

void cf__stt_fold_high_band(int16_t *pcm, size_t n, double gain_db) {
    const double g = pow(10.0, gain_db / 20.0);
    for (size_t i = 0; i < n; i++) {
        double v = pcm[i] * (1.0 + ((i & 1) ? -g : g));
        pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrint(v));
    }
}

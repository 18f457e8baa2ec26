/* audio_analysis.c — per-hop audio measurements for highlight detection.
 *
 * Input is mono float at 16 kHz (the decode pass resamples to it: every signal we use lives below
 * 8 kHz, and a low rate keeps the pass cheap). Each 100 ms hop yields:
 *  - the mean square of the K-weighted signal (EBU R128 / ITU-R BS.1770 pre-filter: a high shelf
 *    and a high pass, designed here for 16 kHz from the analog prototype), from which the
 *    feature stage derives momentary, short-term and integrated loudness;
 *  - four 512-point spectra (hop 400 samples, Hann window, av_tx real FFT) giving spectral
 *    flatness (Wiener entropy 200-7000 Hz of the spectrum tilted +3 dB/octave, so that pink noise,
 *    closer to real crowds than white, reads as flat as white does), flux (mean positive change of the log spectrum) and
 *    onsets (flux over an adaptive threshold), speech-band and high-band energy ratios;
 *  - the zero-crossing rate. */
#include "audio_analysis.h"

#include <libavutil/mem.h>
#include <libavutil/tx.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FFT_N 512
#define FRAME_HOP 400
#define FRAMES_PER_HOP (CF_AUDIO_HOP / FRAME_HOP)
#define HISTORY FFT_N /* samples of the previous hop kept for frames that straddle hops */
#define NBINS (FFT_N / 2 + 1)
#define BIN_HZ ((double)CF_AUDIO_RATE / FFT_N)

typedef struct biquad {
    double b0, b1, b2, a1, a2;
    double z1, z2;
} biquad;

struct audio_analyzer {
    audio_hop_fn on_hop;
    void *user;
    biquad shelf, highpass;
    AVTXContext *tx;
    av_tx_fn tx_fn;
    float *buf;    /* HISTORY + CF_AUDIO_HOP samples: previous tail, then the current hop */
    size_t fill;   /* samples of the current hop in buf */
    float *frame;  /* windowed frame (FFT input) */
    AVComplexFloat *spec;
    float *window;
    float *prev_logp; /* previous frame's log power per bin */
    bool have_prev;
    double flux_mean; /* running mean of frame flux for the onset threshold */
    bool last_onset;
    float last_sample;
};

double cf_lufs_from_power(double kpower) {
    return kpower > 1e-12 ? -0.691 + 10.0 * log10(kpower) : -120.0;
}

/* K-weighting stage 1: the BS.1770 high shelf (+4 dB above ~1.7 kHz). */
static void design_shelf(biquad *q, double fs) {
    const double f0 = 1681.974450955533, gain_db = 3.999843853973347, Q = 0.7071752369554196;
    double K = tan(M_PI * f0 / fs);
    double Vh = pow(10.0, gain_db / 20.0), Vb = pow(Vh, 0.4996667741545416);
    double a0 = 1.0 + K / Q + K * K;
    *q = (biquad){.b0 = (Vh + Vb * K / Q + K * K) / a0,
                  .b1 = 2.0 * (K * K - Vh) / a0,
                  .b2 = (Vh - Vb * K / Q + K * K) / a0,
                  .a1 = 2.0 * (K * K - 1.0) / a0,
                  .a2 = (1.0 - K / Q + K * K) / a0};
}

/* K-weighting stage 2: the RLB high pass at ~38 Hz. */
static void design_highpass(biquad *q, double fs) {
    const double f0 = 38.13547087602444, Q = 0.5003270373238773;
    double K = tan(M_PI * f0 / fs);
    double a0 = 1.0 + K / Q + K * K;
    *q = (biquad){.b0 = 1.0, .b1 = -2.0, .b2 = 1.0,
                  .a1 = 2.0 * (K * K - 1.0) / a0, .a2 = (1.0 - K / Q + K * K) / a0};
}

static inline double biquad_step(biquad *q, double x) {
    double y = q->b0 * x + q->z1; /* transposed direct form II */
    q->z1 = q->b1 * x - q->a1 * y + q->z2;
    q->z2 = q->b2 * x - q->a2 * y;
    return y;
}

cf_err audio_analyzer_new(audio_hop_fn on_hop, void *user, audio_analyzer **out, cf_error *err) {
    audio_analyzer *a = calloc(1, sizeof *a);
    if (!a) return cf_error_set(err, CF_ERR_NO_MEMORY, "audio analysis: out of memory");
    a->on_hop = on_hop;
    a->user = user;
    design_shelf(&a->shelf, CF_AUDIO_RATE);
    design_highpass(&a->highpass, CF_AUDIO_RATE);
    a->buf = calloc(HISTORY + CF_AUDIO_HOP, sizeof *a->buf);
    a->frame = av_malloc(sizeof(float) * (FFT_N + 2));
    a->spec = av_malloc(sizeof(AVComplexFloat) * NBINS);
    a->window = malloc(sizeof(float) * FFT_N);
    a->prev_logp = calloc(NBINS, sizeof(float));
    float scale = 1.0f;
    int ret = -1;
    if (a->buf && a->frame && a->spec && a->window && a->prev_logp)
        ret = av_tx_init(&a->tx, &a->tx_fn, AV_TX_FLOAT_RDFT, 0, FFT_N, &scale, 0);
    if (ret < 0) {
        audio_analyzer_free(a);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "audio analysis: cannot set up the FFT (%d)", ret);
    }
    for (int i = 0; i < FFT_N; i++) a->window[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / FFT_N));
    *out = a;
    return CF_OK;
}

void audio_analyzer_free(audio_analyzer *a) {
    if (!a) return;
    av_tx_uninit(&a->tx);
    free(a->buf);
    av_free(a->frame);
    av_free(a->spec);
    free(a->window);
    free(a->prev_logp);
    free(a);
}

typedef struct frame_stats {
    double flatness, flux, speech_ratio, high_ratio;
    bool onset;
} frame_stats;

/* One spectral frame starting at src (FFT_N samples). */
static frame_stats analyse_frame(audio_analyzer *a, const float *src) {
    for (int i = 0; i < FFT_N; i++) a->frame[i] = src[i] * a->window[i];
    a->tx_fn(a->tx, a->spec, a->frame, sizeof(AVComplexFloat));
    const int lo_flat = (int)(200 / BIN_HZ), hi_flat = (int)(7000 / BIN_HZ);
    const int lo_all = (int)(60 / BIN_HZ), lo_sp = (int)(300 / BIN_HZ), hi_sp = (int)(3400 / BIN_HZ);
    double e_all = 0, e_sp = 0, e_hi = 0, sum_log = 0, sum_p = 0, flux = 0;
    for (int k = 0; k < NBINS; k++) {
        double p = (double)a->spec[k].re * a->spec[k].re + (double)a->spec[k].im * a->spec[k].im;
        double logp = 10.0 * log10(p + 1e-9);
        if (k >= lo_all) e_all += p;
        if (k >= lo_sp && k < hi_sp) e_sp += p;
        if (k >= hi_sp) e_hi += p;
        if (k >= lo_flat && k < hi_flat) {
            sum_log += log(p * k + 1e-12);
            sum_p += p * k;
            if (a->have_prev) {
                /* floor at -60 dB below full scale per bin so that noise in near-silence does
                 * not read as onsets */
                double d = fmax(logp, -30.0) - fmax(a->prev_logp[k], -30.0);
                if (d > 0) flux += d;
            }
        }
        a->prev_logp[k] = (float)logp;
    }
    int nflat = hi_flat - lo_flat;
    frame_stats s = {0};
    s.flatness = sum_p > 1e-9 ? exp(sum_log / nflat) / (sum_p / nflat) : 0.0;
    s.flux = a->have_prev ? flux / nflat : 0.0;
    s.speech_ratio = e_all > 1e-9 ? e_sp / e_all : 0.0;
    s.high_ratio = e_all > 1e-9 ? e_hi / e_all : 0.0;
    /* onset: flux well over its running mean, counted once per rise */
    bool over = a->have_prev && s.flux > 2.0 && s.flux > 1.8 * a->flux_mean;
    s.onset = over && !a->last_onset;
    a->last_onset = over;
    a->flux_mean = a->have_prev ? 0.95 * a->flux_mean + 0.05 * s.flux : s.flux;
    a->have_prev = true;
    return s;
}

static void finish_hop(audio_analyzer *a) {
    const float *hop = a->buf + HISTORY;
    audio_hop h = {0};
    double ksum = 0;
    int zc = 0;
    for (int i = 0; i < CF_AUDIO_HOP; i++) {
        double y = biquad_step(&a->highpass, biquad_step(&a->shelf, hop[i]));
        ksum += y * y;
        if ((hop[i] >= 0) != (a->last_sample >= 0)) zc++;
        a->last_sample = hop[i];
    }
    h.kpower = ksum / CF_AUDIO_HOP;
    h.zcr = (float)zc / CF_AUDIO_HOP;
    double flat = 0, flux = 0, sp = 0, hi = 0;
    for (int f = 0; f < FRAMES_PER_HOP; f++) {
        /* frames end inside this hop: frame f covers [HISTORY + 400 f + 200 - 512, ... + 512) */
        frame_stats s = analyse_frame(a, a->buf + HISTORY + FRAME_HOP * f + FRAME_HOP / 2 - FFT_N);
        flat += s.flatness;
        flux += s.flux;
        sp += s.speech_ratio;
        hi += s.high_ratio;
        h.onsets += s.onset;
    }
    h.flatness = (float)(flat / FRAMES_PER_HOP);
    h.flux = (float)(flux / FRAMES_PER_HOP);
    h.speech_ratio = (float)(sp / FRAMES_PER_HOP);
    h.high_ratio = (float)(hi / FRAMES_PER_HOP);
    a->on_hop(a->user, &h);
    memmove(a->buf, a->buf + CF_AUDIO_HOP, sizeof(float) * HISTORY);
    a->fill = 0;
}

void audio_analyzer_push(audio_analyzer *a, const float *samples, size_t n) {
    while (n > 0) {
        size_t take = CF_AUDIO_HOP - a->fill;
        if (take > n) take = n;
        memcpy(a->buf + HISTORY + a->fill, samples, take * sizeof(float));
        a->fill += take;
        samples += take;
        n -= take;
        if (a->fill == CF_AUDIO_HOP) finish_hop(a);
    }
}

void audio_analyzer_flush(audio_analyzer *a) {
    if (a->fill == 0) return;
    memset(a->buf + HISTORY + a->fill, 0, sizeof(float) * (CF_AUDIO_HOP - a->fill));
    a->fill = CF_AUDIO_HOP;
    finish_hop(a);
}

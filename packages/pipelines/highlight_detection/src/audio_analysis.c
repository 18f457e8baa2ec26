/* audio_analysis.c — per-hop audio measurements for highlight detection.
 *
 * Input is mono float at 16 kHz (the decode pass resamples to it: every signal we use lives below
 * 8 kHz, and a low rate keeps the pass cheap). Each 100 ms hop yields:
 *  - the mean square of the K-weighted signal (EBU R128 / ITU-R BS.1770 pre-filter: a high shelf
 *    and a high pass, designed here for 16 kHz from the analog prototype), from which the
 *    feature stage derives momentary, short-term and integrated loudness;
 *  - four 512-point spectra (hop 400 samples, Hann window, av_tx real FFT) giving spectral
 *    flatness (Wiener entropy 200-7000 Hz of the spectrum tilted +3 dB/octave, so that pink noise,
 *    closer to real crowds than white, reads as flat as white does), flux (mean positive change of the log
 * spectrum) and onsets (flux over an adaptive threshold), speech-band and high-band energy ratios;
 *  - the zero-crossing rate;
 *  - for the audio-event classifier (audio_events.c): 16 mel band energies (triangular filters
 *    60-7800 Hz on the same spectra), each frame's energy (the 40 Hz envelope whose 2-8 Hz
 *    modulation marks syllables) and harmonicity: the highest normalised autocorrelation at lags
 *    of 80-400 Hz pitch, from the inverse transform of the power spectrum (one more 512-point
 *    transform per frame instead of a time-domain autocorrelation), divided by the Hann window's
 *    own autocorrelation so that long lags are not penalised;
 *  - the pitch of the voiced frames (harmonicity >= VOICED): the shortest lag whose peak comes
 *    close to the best one (a period's multiples peak as high, and taking them would read the
 *    voice an octave low), refined by a parabola through the peak;
 *  - peak persistence: how much of the spectrum's fine structure (the compressed magnitude minus
 *    its local mean over 7 bins, 150-4000 Hz) a frame shares with the frame 25 ms and 100 ms
 *    before (correlation). A held note keeps its partials for hundreds of milliseconds, a voice
 *    moves them within a syllable, and a crowd or noise has no lasting peaks at all. */
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
#define MEL_LO_HZ 60.0
#define MEL_HI_HZ 7800.0
#define LAG_MIN (CF_AUDIO_RATE / 400)         /* 400 Hz */
#define LAG_MAX (CF_AUDIO_RATE / 80)          /* 80 Hz */
#define VOICED 0.8                            /* harmonicity of a voiced frame */
#define PEAK_LO (150 * FFT_N / CF_AUDIO_RATE) /* bins, rounded down */
#define PEAK_HI (4000 * FFT_N / CF_AUDIO_RATE)
#define PEAK_HALF 3 /* the local mean takes 2 * PEAK_HALF + 1 bins */
#define PEAK_N (PEAK_HI - PEAK_LO)
#define PEAK_LAG FRAMES_PER_HOP /* frames back for the long persistence: 100 ms */
#define PEAK_SLOTS (PEAK_LAG + 1)

typedef struct biquad {
    double b0, b1, b2, a1, a2;
    double z1, z2;
} biquad;

struct audio_analyzer {
    audio_hop_fn on_hop;
    void *user;
    biquad shelf, highpass;
    AVTXContext *tx, *itx;
    av_tx_fn tx_fn, itx_fn;
    float *buf;                   /* HISTORY + CF_AUDIO_HOP samples: previous tail, then the current hop */
    size_t fill;                  /* samples of the current hop in buf */
    float *frame;                 /* windowed frame (FFT input) */
    AVComplexFloat *spec, *pspec; /* spectrum; power spectrum (inverse transform input) */
    float *acorr;                 /* autocorrelation of the frame (FFT_N + 2) */
    float *window;
    float win_acorr[LAG_MAX + 1];                       /* the window's own autocorrelation, normalised */
    float mel[CF_AUDIO_BANDS][NBINS];                   /* triangular filter weights */
    int mel_lo[CF_AUDIO_BANDS], mel_hi[CF_AUDIO_BANDS]; /* bins [lo, hi) with weight */
    double band_acc[CF_AUDIO_BANDS], harm_acc;
    double log_pitch_acc; /* sum of log2 pitch over the hop's voiced frames */
    int voiced;
    double *prev_pow; /* previous frame's power per bin, floored (see analyse_frame) */
    bool have_prev;
    double flux_mean; /* running mean of frame flux for the onset threshold */
    bool last_onset;
    float last_sample;
    float peak_res[PEAK_SLOTS][PEAK_N]; /* fine structure of the last frames (a ring) */
    int peak_at, peak_frames;           /* ring slot of the newest frame; frames in the ring */
    double persist_acc, persist_long_acc;
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
    *q = (biquad){
        .b0 = 1.0, .b1 = -2.0, .b2 = 1.0, .a1 = 2.0 * (K * K - 1.0) / a0, .a2 = (1.0 - K / Q + K * K) / a0};
}

static inline double biquad_step(biquad *q, double x) {
    double y = q->b0 * x + q->z1; /* transposed direct form II */
    q->z1 = q->b1 * x - q->a1 * y + q->z2;
    q->z2 = q->b2 * x - q->a2 * y;
    return y;
}

static double hz_to_mel(double hz) {
    return 2595.0 * log10(1.0 + hz / 700.0);
}
static double mel_to_hz(double mel) {
    return 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
}

/* Triangular mel filters: band b rises from edge b to b + 1 and falls to b + 2. */
static void design_mel(audio_analyzer *a) {
    double lo = hz_to_mel(MEL_LO_HZ), step = (hz_to_mel(MEL_HI_HZ) - lo) / (CF_AUDIO_BANDS + 1);
    for (int b = 0; b < CF_AUDIO_BANDS; b++) {
        double f0 = mel_to_hz(lo + step * b), f1 = mel_to_hz(lo + step * (b + 1)),
               f2 = mel_to_hz(lo + step * (b + 2));
        a->mel_lo[b] = NBINS, a->mel_hi[b] = 0;
        for (int k = 0; k < NBINS; k++) {
            double f = k * BIN_HZ, w = f <= f0 || f >= f2 ? 0
                                       : f < f1           ? (f - f0) / (f1 - f0)
                                                          : (f2 - f) / (f2 - f1);
            a->mel[b][k] = (float)w;
            if (w > 0 && k < a->mel_lo[b]) a->mel_lo[b] = k;
            if (w > 0) a->mel_hi[b] = k + 1;
        }
        if (a->mel_hi[b] <= a->mel_lo[b]) { /* narrower than a bin: the nearest one */
            int k = (int)lround(f1 / BIN_HZ);
            a->mel_lo[b] = k, a->mel_hi[b] = k + 1, a->mel[b][k] = 1.0f;
        }
    }
}

static void design_window(audio_analyzer *a) {
    for (int i = 0; i < FFT_N; i++) a->window[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / FFT_N));
    double r0 = 0;
    for (int i = 0; i < FFT_N; i++) r0 += (double)a->window[i] * a->window[i];
    for (int lag = 0; lag <= LAG_MAX; lag++) {
        double r = 0;
        for (int i = 0; i + lag < FFT_N; i++) r += (double)a->window[i] * a->window[i + lag];
        a->win_acorr[lag] = (float)(r / r0);
    }
}

cf_err hl_audio_analyzer_new(audio_hop_fn on_hop, void *user, audio_analyzer **out, cf_error *err) {
    audio_analyzer *a = calloc(1, sizeof *a);
    if (!a) return cf_error_set(err, CF_ERR_NO_MEMORY, "audio analysis: out of memory");
    a->on_hop = on_hop;
    a->user = user;
    design_shelf(&a->shelf, CF_AUDIO_RATE);
    design_highpass(&a->highpass, CF_AUDIO_RATE);
    a->buf = calloc(HISTORY + CF_AUDIO_HOP, sizeof *a->buf);
    a->frame = av_malloc(sizeof(float) * (FFT_N + 2));
    a->spec = av_malloc(sizeof(AVComplexFloat) * NBINS);
    a->pspec = av_malloc(sizeof(AVComplexFloat) * NBINS);
    a->acorr = av_malloc(sizeof(float) * (FFT_N + 2));
    a->window = malloc(sizeof(float) * FFT_N);
    a->prev_pow = calloc(NBINS, sizeof(double));
    float scale = 1.0f;
    int ret = -1;
    if (a->buf && a->frame && a->spec && a->pspec && a->acorr && a->window && a->prev_pow)
        ret = av_tx_init(&a->tx, &a->tx_fn, AV_TX_FLOAT_RDFT, 0, FFT_N, &scale, 0);
    if (ret >= 0) ret = av_tx_init(&a->itx, &a->itx_fn, AV_TX_FLOAT_RDFT, 1, FFT_N, &scale, 0);
    if (ret < 0) {
        hl_audio_analyzer_free(a);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "audio analysis: cannot set up the FFT (%d)", ret);
    }
    /* the transforms may leave elements they do not use unwritten (FFmpeg 5.1's real transform
     * does not write every bin): zeroed, they cannot carry garbage into energies and the
     * autocorrelation, which made features differ from run to run */
    memset(a->frame, 0, sizeof(float) * (FFT_N + 2));
    memset(a->spec, 0, sizeof(AVComplexFloat) * NBINS);
    memset(a->pspec, 0, sizeof(AVComplexFloat) * NBINS);
    memset(a->acorr, 0, sizeof(float) * (FFT_N + 2));
    design_window(a);
    design_mel(a);
    *out = a;
    return CF_OK;
}

void hl_audio_analyzer_free(audio_analyzer *a) {
    if (!a) return;
    av_tx_uninit(&a->tx);
    av_tx_uninit(&a->itx);
    free(a->buf);
    av_free(a->frame);
    av_free(a->spec);
    av_free(a->pspec);
    av_free(a->acorr);
    free(a->window);
    free(a->prev_pow);
    free(a);
}

typedef struct frame_stats {
    double flatness, flux, speech_ratio, high_ratio, energy;
    double pitch_hz; /* 0: not voiced */
    bool onset;
} frame_stats;

/* Adds the frame's mel band energies to the hop's sums (a->pspec holds the power spectrum). */
static void accumulate_bands(audio_analyzer *a) {
    for (int b = 0; b < CF_AUDIO_BANDS; b++) {
        double e = 0;
        for (int k = a->mel_lo[b]; k < a->mel_hi[b]; k++) e += a->mel[b][k] * a->pspec[k].re;
        a->band_acc[b] += e;
    }
}

static double correlation(const float *x, const float *y, int n) {
    double xy = 0, xx = 0, yy = 0;
    for (int i = 0; i < n; i++)
        xy += (double)x[i] * y[i], xx += (double)x[i] * x[i], yy += (double)y[i] * y[i];
    return xx > 1e-12 && yy > 1e-12 ? xy / sqrt(xx * yy) : 0.0;
}

/* The frame's fine structure into the ring, and its correlation with the frames 25 ms and
 * 100 ms before into the hop's sums (a->pspec holds the power spectrum). The fourth root
 * compresses the magnitudes as a log would, without a log per bin. */
static void accumulate_persistence(audio_analyzer *a) {
    float c[PEAK_N + 2 * PEAK_HALF];
    for (int k = 0; k < PEAK_N + 2 * PEAK_HALF; k++)
        c[k] = sqrtf(sqrtf(a->pspec[PEAK_LO - PEAK_HALF + k].re));
    a->peak_at = (a->peak_at + 1) % PEAK_SLOTS;
    float *r = a->peak_res[a->peak_at];
    float run = 0;
    for (int k = 0; k < 2 * PEAK_HALF + 1; k++) run += c[k];
    for (int k = 0; k < PEAK_N; k++) {
        r[k] = c[k + PEAK_HALF] - run / (2 * PEAK_HALF + 1);
        if (k + 1 < PEAK_N) run += c[k + 2 * PEAK_HALF + 1] - c[k];
    }
    if (a->peak_frames < PEAK_SLOTS) a->peak_frames++;
    if (a->peak_frames >= 2)
        a->persist_acc += correlation(r, a->peak_res[(a->peak_at + PEAK_LAG) % PEAK_SLOTS], PEAK_N);
    if (a->peak_frames == PEAK_SLOTS) /* the slot after the newest holds the frame PEAK_LAG back */
        a->persist_long_acc += correlation(r, a->peak_res[(a->peak_at + 1) % PEAK_SLOTS], PEAK_N);
}

/* Normalised autocorrelation at lag (after the inverse transform into a->acorr). */
static double acorr_at(const audio_analyzer *a, int lag) {
    return a->acorr[lag] / (a->acorr[0] * a->win_acorr[lag]);
}

/* The pitch period in samples of a voiced frame: the shortest local peak within 10 % of the
 * best, refined by a parabola. */
static double frame_period(const audio_analyzer *a, int best_lag, double best) {
    int lag = best_lag;
    for (int l = LAG_MIN + 1; l < best_lag; l++) {
        double r = acorr_at(a, l);
        if (r >= 0.9 * best && r >= acorr_at(a, l - 1) && r >= acorr_at(a, l + 1)) {
            lag = l;
            break;
        }
    }
    if (lag <= LAG_MIN || lag >= LAG_MAX) return lag;
    double y0 = acorr_at(a, lag - 1), y1 = acorr_at(a, lag), y2 = acorr_at(a, lag + 1);
    double den = y0 - 2 * y1 + y2;
    double off = den < 0 ? 0.5 * (y0 - y2) / den : 0;
    return lag + (off > 0.5 ? 0.5 : off < -0.5 ? -0.5 : off);
}

/* Normalised autocorrelation peak at pitch lags, 0..1 (0 for a frame without energy); a voiced
 * frame's pitch goes into *pitch_hz (else 0) and the hop's sums. */
static double frame_harmonicity(audio_analyzer *a, double *pitch_hz) {
    a->itx_fn(a->itx, a->acorr, a->pspec, sizeof(AVComplexFloat));
    double best = 0;
    int best_lag = 0;
    *pitch_hz = 0;
    if (a->acorr[0] <= 1e-6) return 0;
    for (int lag = LAG_MIN; lag <= LAG_MAX; lag++) {
        double r = acorr_at(a, lag);
        if (r > best) best = r, best_lag = lag;
    }
    if (best >= VOICED) {
        *pitch_hz = CF_AUDIO_RATE / frame_period(a, best_lag, best);
        a->log_pitch_acc += log2(*pitch_hz);
        a->voiced++;
    }
    return best > 1 ? 1 : best;
}

/* A sum of natural logs taken as the log of a product: one log per frame instead of one per bin.
 * The product's exponent is moved out every LOG_RUN factors (each within 1e-12..1e8: powers times
 * a bin index, or a rise in power from the floor; a run cannot overflow or underflow a double); the
 * sum differs from adding the logs by rounding only. */
#define LOG_RUN 16
typedef struct log_sum {
    double prod;
    long exp2; /* powers of two moved out of prod */
    int run;
} log_sum;

static inline void log_sum_add(log_sum *l, double x) {
    l->prod *= x;
    if (++l->run == LOG_RUN) {
        int e;
        l->prod = frexp(l->prod, &e);
        l->exp2 += e;
        l->run = 0;
    }
}

static double log_sum_total(const log_sum *l) {
    return log(l->prod) + (double)l->exp2 * M_LN2;
}

/* One spectral frame starting at src (FFT_N samples). */
static frame_stats analyse_frame(audio_analyzer *a, const float *src) {
    for (int i = 0; i < FFT_N; i++) a->frame[i] = src[i] * a->window[i];
    a->tx_fn(a->tx, a->spec, a->frame, sizeof(AVComplexFloat));
    const int lo_flat = (int)(200 / BIN_HZ), hi_flat = (int)(7000 / BIN_HZ);
    const int lo_all = (int)(60 / BIN_HZ), lo_sp = (int)(300 / BIN_HZ), hi_sp = (int)(3400 / BIN_HZ);
    double e_all = 0, e_sp = 0, e_hi = 0, sum_p = 0;
    log_sum geo = {.prod = 1.0}, rise = {.prod = 1.0};
    for (int k = 0; k < NBINS; k++) {
        double p = (double)a->spec[k].re * a->spec[k].re + (double)a->spec[k].im * a->spec[k].im;
        a->pspec[k] = (AVComplexFloat){(float)p, 0.0f};
        if (k >= lo_all) e_all += p;
        if (k >= lo_sp && k < hi_sp) e_sp += p;
        if (k >= hi_sp) e_hi += p;
        if (k >= lo_flat && k < hi_flat) {
            log_sum_add(&geo, p * k + 1e-12);
            sum_p += p * k;
            /* flux: the rises of the log power, floored at -60 dB below full scale per bin
             * (-30 dB of power) so that noise in near-silence does not read as onsets; summed
             * as the log of the product of the rising ratios, one log per frame */
            double q = fmax(p + 1e-9, 1e-3);
            if (a->have_prev && q > a->prev_pow[k]) log_sum_add(&rise, q / a->prev_pow[k]);
            a->prev_pow[k] = q;
        }
    }
    int nflat = hi_flat - lo_flat;
    frame_stats s = {0};
    s.flatness = sum_p > 1e-9 ? exp(log_sum_total(&geo) / nflat) / (sum_p / nflat) : 0.0;
    s.flux = a->have_prev ? 10.0 * log_sum_total(&rise) / M_LN10 / nflat : 0.0;
    s.speech_ratio = e_all > 1e-9 ? e_sp / e_all : 0.0;
    s.high_ratio = e_all > 1e-9 ? e_hi / e_all : 0.0;
    s.energy = e_all;
    accumulate_bands(a);
    accumulate_persistence(a);
    a->harm_acc += frame_harmonicity(a, &s.pitch_hz);
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
        h.frame_db[f] = (float)(10.0 * log10(s.energy + 1e-9));
        h.frame_pitch_hz[f] = (float)s.pitch_hz;
    }
    for (int b = 0; b < CF_AUDIO_BANDS; b++) {
        h.band_db[b] = (float)(10.0 * log10(a->band_acc[b] / FRAMES_PER_HOP + 1e-9));
        a->band_acc[b] = 0;
    }
    h.harmonicity = (float)(a->harm_acc / FRAMES_PER_HOP);
    h.pitch_hz = a->voiced ? (float)exp2(a->log_pitch_acc / a->voiced) : 0.0f;
    h.persistence = (float)(a->persist_acc / FRAMES_PER_HOP);
    h.persistence_long = (float)(a->persist_long_acc / FRAMES_PER_HOP);
    a->harm_acc = a->log_pitch_acc = a->persist_acc = a->persist_long_acc = 0;
    a->voiced = 0;
    h.flatness = (float)(flat / FRAMES_PER_HOP);
    h.flux = (float)(flux / FRAMES_PER_HOP);
    h.speech_ratio = (float)(sp / FRAMES_PER_HOP);
    h.high_ratio = (float)(hi / FRAMES_PER_HOP);
    a->on_hop(a->user, &h);
    memmove(a->buf, a->buf + CF_AUDIO_HOP, sizeof(float) * HISTORY);
    a->fill = 0;
}

void hl_audio_analyzer_push(audio_analyzer *a, const float *samples, size_t n) {
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

void hl_audio_analyzer_flush(audio_analyzer *a) {
    if (a->fill == 0) return;
    memset(a->buf + HISTORY + a->fill, 0, sizeof(float) * (CF_AUDIO_HOP - a->fill));
    a->fill = CF_AUDIO_HOP;
    finish_hop(a);
}

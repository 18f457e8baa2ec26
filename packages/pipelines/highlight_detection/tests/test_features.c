/* test_features.c — feature extraction: calibrated loudness, spectral shape, one decode pass
 * over generated media, the on-disk cache, and clean failures on bad input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libavutil/log.h>

#include "audio_analysis.h"
#include "audio_events.h"
#include "feature_math.h"
#include "clipforge/fs.h"
#include "clipforge/highlight.h"

static char *g_dir, *g_media;

#define COLLECT_MAX 128

typedef struct collect {
    audio_hop hops[COLLECT_MAX];
    int n;
} collect;

static void on_hop(void *user, const audio_hop *h) {
    collect *c = user;
    if (c->n < COLLECT_MAX) c->hops[c->n++] = *h;
}

static void push_signal(collect *c, float (*gen)(int), int n) {
    audio_analyzer *a = NULL;
    cf_error err;
    assert_int_equal(hl_audio_analyzer_new(on_hop, c, &a, &err), CF_OK);
    float buf[CF_AUDIO_HOP];
    for (int i = 0; i < n; i += CF_AUDIO_HOP) {
        for (int k = 0; k < CF_AUDIO_HOP; k++) buf[k] = gen(i + k);
        hl_audio_analyzer_push(a, buf, CF_AUDIO_HOP);
    }
    hl_audio_analyzer_free(a);
}

static float sine_1k(int i) {
    return 0.1f * sinf(2.0f * (float)M_PI * 1000.0f * i / CF_AUDIO_RATE);
}
static float noise(int i) {
    (void)i;
    return 0.2f * ((float)rand() / RAND_MAX - 0.5f);
}

/* A 1 kHz sine at -20 dBFS peak reads -23.0 LUFS (BS.1770: +0.69 dB K-gain at 1 kHz, -0.691). */
static void test_loudness_of_sine_is_calibrated(void **state) {
    (void)state;
    collect c = {0};
    push_signal(&c, sine_1k, CF_AUDIO_RATE * 3);
    assert_true(c.n >= 29);
    double lufs = cf_lufs_from_power(c.hops[20].kpower);
    assert_true(fabs(lufs - (-23.0)) < 0.3);
    assert_true(c.hops[20].flatness < 0.05);                     /* a tone is as far from flat as it gets */
    assert_true(c.hops[20].zcr > 0.12 && c.hops[20].zcr < 0.13); /* 2000 crossings / 16000 */
}

static void test_white_noise_is_flat_and_broadband(void **state) {
    (void)state;
    srand(7);
    collect c = {0};
    push_signal(&c, noise, CF_AUDIO_RATE * 2);
    assert_true(c.hops[10].flatness > 0.35);  /* tilted +3 dB/octave, white reads a little less flat */
    assert_true(c.hops[10].high_ratio > 0.4); /* 3.4-8 kHz holds ~58% of white noise */
    assert_true(c.hops[10].speech_ratio < 0.45);
}

/* A voiced 200 Hz harmonic tone reads periodic; noise does not; the mel bands hold its energy. */
static float harmonic_200(int i) {
    float x = 0;
    for (int k = 1; k <= 8; k++) x += 0.05f / k * sinf(2.0f * (float)M_PI * 200.0f * k * i / CF_AUDIO_RATE);
    return x;
}

static void test_harmonicity_and_bands(void **state) {
    (void)state;
    collect tone = {0}, hiss = {0};
    push_signal(&tone, harmonic_200, CF_AUDIO_RATE * 2);
    srand(3);
    push_signal(&hiss, noise, CF_AUDIO_RATE * 2);
    assert_true(tone.hops[10].harmonicity > 0.8f);
    assert_true(hiss.hops[10].harmonicity < 0.5f);
    /* a 200 Hz fundamental: the band around 200 Hz is far louder than the top band */
    assert_true(tone.hops[10].band_db[1] > tone.hops[10].band_db[15] + 20.0f);
    /* white noise rises with band width: the top band is louder than the lowest */
    assert_true(hiss.hops[10].band_db[15] > hiss.hops[10].band_db[0]);
}

/* The pitch of a voiced tone is its fundamental (not an octave below, where its period's
 * multiples also correlate); noise has none. */
static float harmonic_120(int i) {
    float x = 0;
    for (int k = 1; k <= 8; k++) x += 0.05f / k * sinf(2.0f * (float)M_PI * 120.0f * k * i / CF_AUDIO_RATE);
    return x;
}

static void test_pitch_of_voiced_frames(void **state) {
    (void)state;
    collect hi = {0}, lo = {0}, hiss = {0};
    push_signal(&hi, harmonic_200, CF_AUDIO_RATE * 2);
    push_signal(&lo, harmonic_120, CF_AUDIO_RATE * 2);
    srand(9);
    push_signal(&hiss, noise, CF_AUDIO_RATE * 2);
    assert_true(fabsf(hi.hops[10].pitch_hz - 200.0f) < 4.0f);
    assert_true(fabsf(lo.hops[10].pitch_hz - 120.0f) < 2.5f);
    assert_float_equal(hiss.hops[10].pitch_hz, 0.0f, 0.0f);
}

/* A harmonic tone that glides an octave a second, as a voice does within a syllable. */
static float harmonic_glide(int i) {
    double t = (double)i / CF_AUDIO_RATE, phase = 2.0 * M_PI * 150.0 * (exp2(fmod(t, 1.0)) - 1.0) / M_LN2;
    float x = 0;
    for (int k = 1; k <= 8; k++) x += 0.05f / k * (float)sin(phase * k);
    return x;
}

/* A held note keeps its partials from frame to frame and over 100 ms; a gliding voice keeps
 * them over 25 ms, not over 100 ms; noise keeps nothing. */
static void test_peak_persistence(void **state) {
    (void)state;
    collect held = {0}, glide = {0}, hiss = {0};
    push_signal(&held, harmonic_200, CF_AUDIO_RATE * 2);
    push_signal(&glide, harmonic_glide, CF_AUDIO_RATE * 2);
    srand(5);
    push_signal(&hiss, noise, CF_AUDIO_RATE * 2);
    assert_true(held.hops[10].persistence > 0.95f && held.hops[10].persistence_long > 0.95f);
    assert_true(glide.hops[5].persistence > 0.5f);
    assert_true(glide.hops[5].persistence_long < held.hops[10].persistence_long - 0.3f);
    assert_true(fabsf(hiss.hops[10].persistence) < 0.2f && fabsf(hiss.hops[10].persistence_long) < 0.2f);
}

/* Speech made 9 dB louder keeps the voice of the speech around it: it reads louder (excited
 * speech) but neither aroused nor slowed; the same speech a major sixth higher reads aroused, and
 * louder speech at half the syllable rate (an emphatic passage) reads slowed. */
static void test_arousal_follows_pitch_not_gain(void **state) {
    (void)state;
    collect c = {0};
    push_signal(&c, harmonic_200, CF_AUDIO_RATE * 2);
    enum {
        N = 1200,
        SLOW = 450,
        LOUD = 700,
        HIGH = 1000,
        LEN = 150
    }; /* 120 s: calm, slower, louder, higher */
    audio_hop *hops = calloc(N, sizeof *hops);
    bool *ok = calloc(N, sizeof *ok);
    video_hop *video = calloc(N, sizeof *video);
    assert_true(hops && ok && video);
    for (int i = 0; i < N; i++) {
        hops[i] = c.hops[10];
        ok[i] = true;
        /* syllables: a voiced hop then a quieter unvoiced one, the pitch moving a semitone */
        bool slow = i >= SLOW && i < SLOW + LEN; /* a syllable every 400 ms instead of 200 */
        bool voiced = slow ? i % 4 == 0 : i % 2 == 0;
        float st = (i / 2) % 2 ? 1.0f : 0.0f;
        hops[i].pitch_hz = voiced ? 150.0f * exp2f(st / 12) : 0;
        bool loud = (i >= LOUD && i < LOUD + LEN) || slow, high = i >= HIGH && i < HIGH + LEN;
        if (high) hops[i].pitch_hz = voiced ? hops[i].pitch_hz * exp2f(9.0f / 12) : 0;
        double gain = (loud || high) ? 8.0 : 1.0; /* +9 dB */
        hops[i].kpower *= voiced ? gain : gain * 0.1;
        for (int f = 0; f < CF_AUDIO_FRAMES; f++)
            hops[i].frame_db[f] += (float)(10 * log10(voiced ? gain : gain * 0.1));
    }
    feature_inputs in = {.n = N, .has_audio = true, .audio = hops, .audio_ok = ok, .video = video};
    cf_feature_track *t = NULL;
    cf_error err;
    assert_int_equal(hl_features_finalize(&in, &t, &err), CF_OK);
    double pitch_loud = 0, pitch_high = 0, ar_calm = 0, ar_loud = 0, ar_high = 0, loud_db = 0;
    double sl_calm = 0, sl_loud = 0, sl_slow = 0, sl_high = 0;
    for (int i = 0; i < 100; i++) {
        sl_calm += cf_feat(t, 300 + i, CF_FEAT_SLOWED) / 100;
        sl_slow += cf_feat(t, SLOW + 25 + i, CF_FEAT_SLOWED) / 100;
        sl_loud += cf_feat(t, LOUD + 25 + i, CF_FEAT_SLOWED) / 100;
        sl_high += cf_feat(t, HIGH + 25 + i, CF_FEAT_SLOWED) / 100;
        pitch_loud += cf_feat(t, LOUD + 25 + i, CF_FEAT_PITCH_REL) / 100;
        pitch_high += cf_feat(t, HIGH + 25 + i, CF_FEAT_PITCH_REL) / 100;
        loud_db += cf_feat(t, LOUD + 25 + i, CF_FEAT_LOUD_REL_LOCAL) / 100;
        ar_calm += cf_feat(t, 300 + i, CF_FEAT_AROUSAL) / 100;
        ar_loud += cf_feat(t, LOUD + 25 + i, CF_FEAT_AROUSAL) / 100;
        ar_high += cf_feat(t, HIGH + 25 + i, CF_FEAT_AROUSAL) / 100;
    }
    assert_true(loud_db > 6);            /* the louder stretch is louder */
    assert_true(fabs(pitch_loud) < 0.8); /* but its voice is the same */
    assert_true(fabs(pitch_high - 9.0) < 0.8);
    assert_true(ar_calm < 0.1 && ar_loud < 0.1 && ar_high > 0.9);
    assert_true(cf_feat(t, LOUD + 75, CF_FEAT_EXCITED_VOICE) <
                0.1f * cf_feat(t, LOUD + 75, CF_FEAT_EXCITED) + 1e-6f);
    /* the syllables come every 200 ms: 5 per second */
    assert_true(fabsf(cf_feat(t, 300, CF_FEAT_SYLLABLE_RATE) - 5.0f) < 0.6f);
    /* against the media's median rate, here the default of 4 per second (this tone is not heard
     * as speech): 2.5 per second is 1.6 times slower, 5 per second faster */
    assert_true(fabsf(cf_feat(t, SLOW + 75, CF_FEAT_SYLLABLE_RATE) - 2.5f) < 0.5f);
    assert_true(sl_calm < 0.1 && sl_loud < 0.1 && sl_high < 0.1 && sl_slow > 0.9);
    cf_feature_track_free(t);
    free(hops), free(ok), free(video);
}

/* The classifier's inputs do not depend on the gain, except the level itself. */
static int input_index(const char *name) {
    int k = 0;
    while (strcmp(hl_ev_input_names[k], name) != 0) k++;
    return k;
}

/* An envelope that pulses every 200 ms (a laugh's syllables) reads regular at the syllable
 * lags (and at their double, among the beat lags), one that pulses every 450 ms (a beat) at the
 * beat lags only; a steady one at neither. */
static void test_event_rhythm_inputs(void **state) {
    (void)state;
    audio_hop laugh[20] = {0}, beat[20] = {0}, steady[20] = {0};
    float lufs[20], x[EV_N_INPUTS];
    for (int i = 0; i < 20; i++) {
        lufs[i] = -20;
        for (int f = 0; f < CF_AUDIO_FRAMES; f++) {
            int t = i * CF_AUDIO_FRAMES + f; /* 25 ms frames */
            laugh[i].frame_db[f] = t % 8 < 3 ? -10.0f : -30.0f;
            beat[i].frame_db[f] = t % 18 < 3 ? -10.0f : -30.0f;
            steady[i].frame_db[f] = -20.0f + (float)(t % 2) * 0.5f;
        }
    }
    int syl = input_index("rhythm_syllable"), bt = input_index("rhythm_beat");
    hl_ev_inputs(laugh, lufs, 20, 10, x);
    assert_true(x[syl] > 0.8f);
    hl_ev_inputs(beat, lufs, 20, 10, x);
    assert_true(x[bt] > 0.8f && x[bt] > x[syl] + 0.2f);
    hl_ev_inputs(steady, lufs, 20, 10, x);
    assert_true(x[syl] < 0.5f && x[bt] < 0.5f);
}

/* The voice inputs from each frame's pitch: a held tone turns never and holds; a trill (two
 * voiced frames, two silent, one pitch) turns twenty times a second and repeats its pitch; a
 * voice whose syllables glide and step turns, holds seldom and steps between its runs. */
static void test_event_voice_inputs(void **state) {
    (void)state;
    audio_hop tone[20] = {0}, trill[20] = {0}, voice[20] = {0};
    float lufs[20], x[EV_N_INPUTS];
    for (int i = 0; i < 20; i++) {
        lufs[i] = -20;
        for (int f = 0; f < CF_AUDIO_FRAMES; f++) {
            int t = i * CF_AUDIO_FRAMES + f; /* 25 ms frames */
            tone[i].frame_pitch_hz[f] = 440.0f;
            trill[i].frame_pitch_hz[f] = t % 4 < 2 ? 440.0f : 0.0f;
            /* runs of 5 voiced frames (glide up 1 semitone a frame from a pitch 3 semitones over
             * the last run's) and 3 unvoiced */
            voice[i].frame_pitch_hz[f] =
                t % 8 < 5 ? 150.0f * exp2f((float)((t / 8) % 2 * 3 + t % 8) / 12.0f) : 0;
        }
    }
    int turns = input_index("voice_turns"), hold = input_index("voice_hold"),
        step = input_index("voice_run_step");
    hl_ev_inputs(tone, lufs, 20, 10, x);
    assert_true(x[turns] == 0.0f && x[hold] == 1.0f && x[step] == 0.0f);
    hl_ev_inputs(trill, lufs, 20, 10, x);
    assert_true(fabsf(x[turns] - 43 / 1.1f * 0.5f) < 1.0f && x[hold] == 1.0f && x[step] < 0.01f);
    hl_ev_inputs(voice, lufs, 20, 10, x);
    assert_true(x[turns] > 8.0f && x[turns] < 12.0f && x[hold] == 0.0f);
    assert_true(fabsf(x[step] - 3.0f) < 0.01f);
}

static void test_event_inputs_ignore_gain(void **state) {
    (void)state;
    collect c = {0};
    srand(5);
    push_signal(&c, harmonic_200, CF_AUDIO_RATE * 2);
    audio_hop loud[20], quiet[20];
    float lufs_l[20], lufs_q[20], xl[EV_N_INPUTS] = {0}, xq[EV_N_INPUTS] = {0};
    for (int i = 0; i < 20; i++) {
        loud[i] = quiet[i] = c.hops[i];
        for (int b = 0; b < CF_AUDIO_BANDS; b++) quiet[i].band_db[b] -= 20;
        for (int f = 0; f < CF_AUDIO_FRAMES; f++) quiet[i].frame_db[f] -= 20;
        quiet[i].kpower *= 0.01;
        lufs_l[i] = -20, lufs_q[i] = -40;
    }
    hl_ev_inputs(loud, lufs_l, 20, 10, xl);
    hl_ev_inputs(quiet, lufs_q, 20, 10, xq);
    for (int k = 0; k < EV_CONTEXT; k++) {
        if (!strcmp(hl_ev_input_names[k], "level") || k == EV_LEVEL_NOW)
            assert_true(fabsf(xl[k] - xq[k] - 20) < 1e-3f);
        else assert_true(fabsf(xl[k] - xq[k]) < 1e-3f);
    }
    /* the pitch inputs: a steady 200 Hz voice is one octave over 100 Hz and does not glide */
    int octave = 0;
    while (strcmp(hl_ev_input_names[octave], "pitch_octave") != 0) octave++;
    assert_true(fabsf(xl[octave] - 1.0f) < 0.03f);
    assert_true(xl[octave + 1] < 0.2f && xl[octave + 2] < 0.2f);
    assert_string_equal(hl_ev_input_names[EV_LEVEL_NOW], "level_now");
    assert_string_equal(hl_ev_input_names[EV_CONTEXT], "ctx_band_shape_0");
}

/* The context inputs are the mean of the window inputs over the hops within EV_CONTEXT_HALF that
 * exist, in hl_ev_classify_track as in the trainer's description. */
static void test_event_context_inputs(void **state) {
    (void)state;
    collect c = {0};
    srand(7);
    push_signal(&c, harmonic_200, CF_AUDIO_RATE);
    push_signal(&c, noise, CF_AUDIO_RATE * 2);
    size_t n = (size_t)c.n;
    assert_true(n >= 25);
    float lufs[64], *x = calloc(n * EV_N_INPUTS, sizeof *x), row[EV_N_INPUTS];
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) lufs[i] = (float)cf_lufs_from_power(c.hops[i].kpower);
    cf_error err;
    assert_int_equal(hl_ev_classify_track(NULL, c.hops, lufs, n, NULL, n, x, &err), CF_OK);
    size_t probe[] = {0, 4, 15, n - 1};
    for (size_t p = 0; p < sizeof probe / sizeof *probe; p++) {
        size_t i = probe[p], lo = i > EV_CONTEXT_HALF ? i - EV_CONTEXT_HALF : 0;
        size_t hi = i + EV_CONTEXT_HALF < n - 1 ? i + EV_CONTEXT_HALF : n - 1;
        hl_ev_inputs(c.hops, lufs, n, i, row);
        for (int f = 0; f < EV_CONTEXT; f++) assert_true(fabsf(row[f] - x[i * EV_N_INPUTS + f]) < 1e-5f);
        for (int f = 0; f < EV_N_WINDOW; f++) {
            double sum = 0;
            for (size_t k = lo; k <= hi; k++) sum += x[k * EV_N_INPUTS + f];
            float want = (float)(sum / (double)(hi - lo + 1)), got = x[i * EV_N_INPUTS + EV_CONTEXT + f];
            assert_true(fabsf(want - got) <= 1e-4f * (1 + fabsf(want)));
        }
    }
    /* the tone is tonal and the noise flat, so the context moves from one to the other */
    int flat = 0;
    while (strcmp(hl_ev_input_names[flat], "ctx_flatness") != 0) flat++;
    assert_true(x[(n - 1) * EV_N_INPUTS + flat] - x[0 * EV_N_INPUTS + flat] > 0.05f);
    free(x);
}

/* A 1 kHz tone burst of 100 ms every 500 ms (2 Hz), the rest silent. */
static float pulses_2hz(int i) {
    return i % (CF_AUDIO_RATE / 2) < CF_AUDIO_RATE / 10 ? sine_1k(i) : 0.0f;
}
/* Noise whose level jumps at random every 100 ms, -30..0 dB: loud and quiet, but no rhythm. */
static float noise_random_level(int i) {
    static float gain = 1;
    if (i % (CF_AUDIO_RATE / 10) == 0) gain = powf(10.0f, -1.5f * (float)rand() / (float)RAND_MAX);
    return gain * noise(i);
}

/* The long-context inputs of every hop of 10 s of gen. */
static float *long_inputs_of(float (*gen)(int), size_t *n) {
    collect *c = calloc(1, sizeof *c);
    assert_non_null(c);
    push_signal(c, gen, CF_AUDIO_RATE * 10);
    *n = (size_t)c->n;
    assert_true(*n >= 99);
    float lufs[COLLECT_MAX], *x = calloc(*n * EV_N_INPUTS, sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < *n; i++) lufs[i] = (float)cf_lufs_from_power(c->hops[i].kpower);
    cf_error err;
    assert_int_equal(hl_ev_classify_track(NULL, c->hops, lufs, *n, NULL, *n, x, &err), CF_OK);
    free(c);
    return x;
}

/* Over 6.1 s: a steady tone's loudness does not move and has no rhythm; a 2 Hz pulse train's
 * loudness and flux repeat every 5 hops (a beat); noise whose level jumps at random moves as much
 * but does not repeat. At the ends the inputs describe the hops that exist. */
static void test_event_long_context_inputs(void **state) {
    (void)state;
    const int std = input_index("long_level_std"), flux = input_index("long_flux_beat"),
              level = input_index("long_level_beat");
    assert_int_equal(std, EV_LONG);
    size_t n = 0, i = 50;
    float *tone = long_inputs_of(sine_1k, &n), *pulse = long_inputs_of(pulses_2hz, &n);
    srand(11);
    float *random = long_inputs_of(noise_random_level, &n);
    const float *t = tone + i * EV_N_INPUTS, *p = pulse + i * EV_N_INPUTS, *r = random + i * EV_N_INPUTS;
    assert_true(t[std] < 0.1f);
    assert_true(t[flux] == 0.0f && t[level] == 0.0f);
    assert_true(p[std] > 10.0f);
    assert_true(p[flux] > 0.8f && p[level] > 0.8f);
    assert_true(r[std] > 3.0f);
    assert_true(r[flux] < 0.4f && r[level] < 0.6f);
    assert_true(r[flux] < p[flux] - 0.4f && r[level] < p[level] - 0.3f);
    /* hop 0 and the last: the standard deviation of level_now over the EV_LONG_HALF + 1 hops
     * that exist */
    size_t ends[] = {0, n - 1};
    for (size_t e = 0; e < 2; e++) {
        size_t lo = ends[e] ? n - 1 - EV_LONG_HALF : 0, cnt = EV_LONG_HALF + 1;
        double sum = 0, sq = 0;
        for (size_t k = lo; k < lo + cnt; k++) {
            double v = random[k * EV_N_INPUTS + EV_LEVEL_NOW];
            sum += v, sq += v * v;
        }
        double want = sqrt(sq / (double)cnt - (sum / (double)cnt) * (sum / (double)cnt));
        assert_true(fabs(random[ends[e] * EV_N_INPUTS + std] - want) < 1e-3 * (1 + want));
    }
    free(tone), free(pulse), free(random);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The shipped model loads; a model that names other inputs is refused, naming the field. */
static void test_event_model_checks_its_inputs(void **state) {
    (void)state;
    ev_model *m = NULL;
    cf_error err;
    assert_int_equal(hl_ev_model_load(CF_HL_DEFAULT_MODELS_DIR, &m, &err), CF_OK);
    assert_non_null(strstr(hl_ev_model_version(m), "audio-events-"));
    float x[EV_N_INPUTS] = {0}, p[CF_AUDIO_EVENT_CLASS_COUNT];
    hl_ev_classify(m, x, p);
    float sum = 0;
    for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT; c++) sum += p[c];
    assert_true(fabsf(sum - 1.0f) < 1e-4f);
    hl_ev_model_free(m);
    char *dir = cf_path_join(g_dir, "models"), *file = cf_path_join(dir, "audio-events-v9.json");
    assert_int_equal(cf_mkdir_p(dir, &err), CF_OK);
    write_text(file, "{\"classes\": [\"speech\", \"music\", \"crowd\", \"applause\", \"laughter\", "
                     "\"silence\", \"noise\"], \"inputs\": [\"loudness\"]}");
    assert_int_equal(hl_ev_model_load(dir, &m, &err), CF_ERR_INVALID_ARGUMENT);
    assert_null(m);
    assert_non_null(strstr(err.msg, "inputs"));
    /* a model may use some of the inputs, in its own order: here level_now alone decides */
    write_text(
        file, "{\"classes\": [\"speech\", \"music\", \"crowd\", \"applause\", \"laughter\", "
              "\"silence\", \"noise\"], \"inputs\": [\"zcr\", \"level_now\"], \"mean\": [0, -30], "
              "\"std\": [1, 10], \"layers\": [{\"activation\": \"softmax\", \"bias\": [0, 0, 0, 0, 0, 0, 0], "
              "\"weights\": [[0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, -1, 0]]}]}");
    assert_int_equal(hl_ev_model_load(dir, &m, &err), CF_OK);
    float loud[EV_N_INPUTS] = {0}, quiet[EV_N_INPUTS] = {0};
    loud[EV_LEVEL_NOW] = -10, quiet[EV_LEVEL_NOW] = -60;
    hl_ev_classify(m, loud, p);
    assert_true(p[CF_AUDIO_EVENT_CLASS_SPEECH] > 0.5f);
    hl_ev_classify(m, quiet, p);
    assert_true(p[CF_AUDIO_EVENT_CLASS_SILENCE] > 0.5f);
    hl_ev_model_free(m);
    m = NULL;
    assert_non_null(strstr(err.msg, "audio-events-v9.json"));
    char *none = cf_path_join(g_dir, "no-models");
    assert_int_equal(hl_ev_model_load(none, &m, &err), CF_ERR_NOT_FOUND);
    free(dir), free(file), free(none);
}

/* A model whose file names silence_below_lufs leaves silence to the level: under it a hop is
 * silence whatever the network says, over it never; a level that is not a number is refused. */
static void test_event_model_leaves_silence_to_the_level(void **state) {
    (void)state;
    ev_model *m = NULL;
    cf_error err;
    char *dir = cf_path_join(g_dir, "models-level"), *file = cf_path_join(dir, "audio-events-v9.json");
    assert_int_equal(cf_mkdir_p(dir, &err), CF_OK);
    const char *net = "{\"classes\": [\"speech\", \"music\", \"crowd\", \"applause\", \"laughter\", "
                      "\"silence\", \"noise\"], \"inputs\": [\"level_now\"], \"mean\": [-30], \"std\": [10], "
                      "\"layers\": [{\"activation\": \"softmax\", \"bias\": [1, 0, 0, 0, 0, 5, 0], "
                      "\"weights\": [[0, 0, 0, 0, 0, 0, 0]]}], \"silence_below_lufs\": %s}";
    char text[1024];
    snprintf(text, sizeof text, net, "-40");
    write_text(file, text);
    assert_int_equal(hl_ev_model_load(dir, &m, &err), CF_OK);
    float x[EV_N_INPUTS] = {0}, p[CF_AUDIO_EVENT_CLASS_COUNT];
    x[EV_LEVEL_NOW] = -35; /* the network says silence (bias 5), the level says audible */
    hl_ev_classify(m, x, p);
    float sum = 0;
    for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT; c++) sum += p[c];
    assert_true(p[CF_AUDIO_EVENT_CLASS_SILENCE] == 0.0f && fabsf(sum - 1.0f) < 1e-4f);
    assert_true(p[CF_AUDIO_EVENT_CLASS_SPEECH] > p[CF_AUDIO_EVENT_CLASS_MUSIC]);
    x[EV_LEVEL_NOW] = -45;
    hl_ev_classify(m, x, p);
    assert_true(p[CF_AUDIO_EVENT_CLASS_SILENCE] == 1.0f && p[CF_AUDIO_EVENT_CLASS_SPEECH] == 0.0f);
    hl_ev_model_free(m);
    m = NULL;
    snprintf(text, sizeof text, net, "\"quiet\"");
    write_text(file, text);
    assert_int_equal(hl_ev_model_load(dir, &m, &err), CF_ERR_INVALID_ARGUMENT);
    assert_null(m);
    assert_non_null(strstr(err.msg, "silence_below_lufs"));
    free(dir), free(file);
}

/* A track made with one audio-events model is not served from the cache to another. */
static void test_cache_misses_on_another_events_model(void **state) {
    (void)state;
    char *cache = cf_path_join(g_dir, "cache-ev");
    cf_feature_options o = {.threads = 1, .cache_dir = cache};
    cf_feature_track *a = NULL, *b = NULL;
    cf_error err;
    assert_int_equal(cf_features_extract(g_media, &o, NULL, &a, &err), CF_OK);
    assert_true(a->events_model[0] != '\0');
    char *empty = cf_path_join(g_dir, "empty-models");
    assert_int_equal(cf_mkdir_p(empty, &err), CF_OK);
    o.models_dir = empty; /* no model here: the cached track's events are stale */
    assert_int_equal(cf_features_extract(g_media, &o, NULL, &b, &err), CF_OK);
    assert_false(b->from_cache);
    assert_string_equal(b->events_model, "");
    cf_audio_event *ev = NULL;
    size_t n = 1;
    assert_int_equal(cf_audio_events_from_track(b, &ev, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_feature_track_free(a), cf_feature_track_free(b);
    free(cache), free(empty);
}

static int run(const char *cmd) {
    int rc = system(cmd);
    return rc;
}

static int setup(void **state) {
    (void)state;
    cf_error err;
    if (cf_make_temp_dir(NULL, "cf-feat-", &g_dir, &err) != CF_OK) return -1;
    g_media = cf_path_join(g_dir, "burst.mp4");
    char cmd[2048];
    /* 20 s: a test pattern, then a hard cut to white at 10 s; a quiet tone with a 3 s loud
     * white-noise burst from 12 s (crowd-like). */
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=s=160x90:r=25:d=20 "
             "-f lavfi -i sine=f=440:d=20 -f lavfi -i anoisesrc=d=3:c=white:a=0.4 "
             "-filter_complex \"[0]drawbox=enable='gte(t,10)':c=white:t=fill[v];"
             "[1]volume=0.3[t];[2]adelay=12000:all=1[n];[t][n]amix=inputs=2:normalize=0[a]\" "
             "-map [v] -map [a] -c:v libx264 -preset ultrafast -c:a aac -ar 48000 %s",
             g_media);
    return run(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    cf_error err;
    cf_remove_tree(g_dir, &err);
    free(g_dir);
    free(g_media);
    return 0;
}

static void test_one_pass_finds_cut_and_crowd_burst(void **state) {
    (void)state;
    cf_feature_track *t = NULL;
    cf_error err;
    cf_feature_options o = {.threads = 2};
    assert_int_equal(cf_features_extract(g_media, &o, NULL, &t, &err), CF_OK);
    assert_true(t->has_audio && t->has_video);
    assert_true(t->n_hops >= 199 && t->n_hops <= 201);
    assert_true(t->duration_ms >= 19900 && t->duration_ms <= 20100);
    /* exactly one cut, at 10 s */
    int cuts = 0;
    size_t cut_hop = 0;
    for (size_t i = 0; i < t->n_hops; i++)
        if (cf_feat(t, i, CF_FEAT_CUT) > 0) cuts++, cut_hop = i;
    assert_int_equal(cuts, 1);
    assert_true(cut_hop >= 99 && cut_hop <= 101);
    assert_true(cf_feat(t, 100, CF_FEAT_CUT_RATE) >= 0.99f);
    assert_true(cf_feat(t, 30, CF_FEAT_CUT_RATE) < 0.01f);
    /* the burst: crowd-like, far over the local baseline; the tone before it is neither */
    assert_true(cf_feat(t, 135, CF_FEAT_CROWD) > 0.8f);
    assert_true(cf_feat(t, 135, CF_FEAT_LOUD_REL_LOCAL) > 10.0f);
    assert_true(cf_feat(t, 50, CF_FEAT_CROWD) < 0.1f);
    assert_true(fabsf(cf_feat(t, 50, CF_FEAT_LOUD_REL_LOCAL)) < 2.0f);
    assert_true(cf_feat(t, 50, CF_FEAT_SILENCE) == 0.0f);
    assert_true(cf_feat(t, 50, CF_FEAT_MOTION) > 0.5f);  /* testsrc2 moves */
    assert_true(cf_feat(t, 150, CF_FEAT_MOTION) < 0.1f); /* white does not */
    assert_true(cf_feat(t, 150, CF_FEAT_BRIGHTNESS) > 230.0f);
    assert_false(t->from_cache);
    /* audio events: a probability per class at every hop, merged into 500 ms-aligned events */
    assert_true(t->events_model[0] != '\0');
    for (size_t i = 0; i < t->n_hops; i += 7) {
        float sum = 0;
        for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT; c++) sum += cf_feat(t, i, CF_FEAT_EV_SPEECH + c);
        assert_true(fabsf(sum - 1.0f) < 1e-3f);
    }
    cf_audio_event *ev = NULL;
    size_t n = 0;
    assert_int_equal(cf_audio_events_from_track(t, &ev, &n, &err), CF_OK);
    assert_true(n >= 1);
    assert_int_equal(ev[0].start_ms, 0);
    assert_int_equal(ev[n - 1].end_ms, t->duration_ms);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ev[i].start_ms % 500, 0);
        assert_true(ev[i].confidence > 0 && ev[i].confidence <= 1);
        if (i) assert_int_equal(ev[i].start_ms, ev[i - 1].end_ms);
        if (i) assert_true(ev[i].class != ev[i - 1].class); /* adjacent decisions merged */
    }
    free(ev);
    cf_feature_track_free(t);
}

static void test_cache_hit_skips_decode(void **state) {
    (void)state;
    char *cache = cf_path_join(g_dir, "cache");
    cf_feature_options o = {.threads = 1, .cache_dir = cache};
    cf_feature_track *a = NULL, *b = NULL;
    cf_error err;
    assert_int_equal(cf_features_extract(g_media, &o, NULL, &a, &err), CF_OK);
    assert_false(a->from_cache);
    char *file = cf_feature_cache_path(cache, g_media);
    assert_non_null(file);
    assert_int_equal(access(file, R_OK), 0);
    assert_int_equal(cf_features_extract(g_media, &o, NULL, &b, &err), CF_OK);
    assert_true(b->from_cache);
    assert_true(b->decode_ms == 0);
    assert_int_equal(a->n_hops, b->n_hops);
    assert_memory_equal(a->v, b->v, a->n_hops * CF_FEAT_COUNT * sizeof(float));
    /* a truncated cache file is a miss, not an error */
    truncate(file, 40);
    cf_feature_track_free(b);
    assert_int_equal(cf_features_extract(g_media, &o, NULL, &b, &err), CF_OK);
    assert_false(b->from_cache);
    cf_feature_track_free(a);
    cf_feature_track_free(b);
    free(file);
    free(cache);
}

static void test_bad_media_fails_cleanly(void **state) {
    (void)state;
    cf_feature_track *t = NULL;
    cf_error err;
    char *junk = cf_path_join(g_dir, "junk.mp4");
    FILE *f = fopen(junk, "w");
    fputs("this is not a video file at all, just text\n", f);
    fclose(f);
    assert_int_equal(cf_features_extract(junk, NULL, NULL, &t, &err), CF_ERR_INVALID_MEDIA);
    assert_null(t);
    assert_non_null(strstr(err.msg, "junk.mp4"));
    char *missing = cf_path_join(g_dir, "missing.mp4");
    assert_int_equal(cf_features_extract(missing, NULL, NULL, &t, &err), CF_ERR_NOT_FOUND);
    free(junk);
    free(missing);
}

static void test_cancel_stops_the_pass(void **state) {
    (void)state;
    cf_progress p;
    cf_progress_init(&p, NULL, NULL);
    cf_progress_cancel(&p);
    cf_feature_track *t = NULL;
    cf_error err;
    assert_int_equal(cf_features_extract(g_media, NULL, &p, &t, &err), CF_ERR_CANCELLED);
    assert_null(t);
}

typedef struct {
    int reports;   /* "analysing" reports under 0.95, the end left out */
    double before; /* the fraction reported before the last one */
} progress_seen;

static void on_progress(void *user, double f, const char *stage) {
    progress_seen *seen = user;
    if (strcmp(stage, "analysing") != 0 || f >= 0.95 - 1e-9) return;
    seen->reports++;
    seen->before = f;
}

/* A WebM recorded live (a browser's MediaRecorder) states no length: the pass still says how far
 * it is (it stood at 0 until the end), by its length measured when it is opened. */
static void test_progress_without_a_stated_length(void **state) {
    (void)state;
    char *live = cf_path_join(g_dir, "live.webm");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=s=160x90:r=25:d=20 -f lavfi -i "
             "sine=f=440:d=20 -c:v libvpx -deadline realtime -c:a libopus -live 1 -f webm %s",
             live);
    assert_int_equal(run(cmd), 0);
    progress_seen seen = {0};
    cf_progress p;
    cf_progress_init(&p, on_progress, &seen);
    cf_feature_track *t = NULL;
    cf_error err;
    cf_feature_options o = {.threads = 1};
    assert_int_equal(cf_features_extract(live, &o, &p, &t, &err), CF_OK);
    assert_true(t->duration_ms > 19000);
    assert_true(seen.reports >= 10);
    assert_true(seen.before > 0.5);
    cf_feature_track_free(t);
    free(live);
}

int main(void) {
    av_log_set_level(AV_LOG_QUIET);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loudness_of_sine_is_calibrated),
        cmocka_unit_test(test_white_noise_is_flat_and_broadband),
        cmocka_unit_test(test_harmonicity_and_bands),
        cmocka_unit_test(test_peak_persistence),
        cmocka_unit_test(test_event_rhythm_inputs),
        cmocka_unit_test(test_event_voice_inputs),
        cmocka_unit_test(test_pitch_of_voiced_frames),
        cmocka_unit_test(test_arousal_follows_pitch_not_gain),
        cmocka_unit_test(test_event_inputs_ignore_gain),
        cmocka_unit_test(test_event_context_inputs),
        cmocka_unit_test(test_event_long_context_inputs),
        cmocka_unit_test(test_event_model_checks_its_inputs),
        cmocka_unit_test(test_event_model_leaves_silence_to_the_level),
        cmocka_unit_test(test_cache_misses_on_another_events_model),
        cmocka_unit_test(test_one_pass_finds_cut_and_crowd_burst),
        cmocka_unit_test(test_cache_hit_skips_decode),
        cmocka_unit_test(test_bad_media_fails_cleanly),
        cmocka_unit_test(test_cancel_stops_the_pass),
        cmocka_unit_test(test_progress_without_a_stated_length),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

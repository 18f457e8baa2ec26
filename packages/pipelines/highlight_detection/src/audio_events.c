/* audio_events.c — the audio-event classifier: inputs from the decode pass's raw measurements,
 * a small multilayer perceptron from a model file, class probabilities per hop.
 *
 * Inputs describe 1.1 s around the hop (EV_HALF_WINDOW hops each side): the mean spectral shape
 * (16 mel bands minus their mean, so gain does not matter) and how much each band moves, the
 * level and its spread (silence is the only class that depends on the absolute level), flatness,
 * flux, zero-crossing rate, band ratios and onsets, harmonicity (voiced speech, song and laughter
 * are periodic; crowds, applause and noise are not), the share of the 40 Hz energy envelope's
 * modulation at 2-8 Hz (syllables: speech and laughter), and how fast the spectral shape changes
 * from hop to hop, and from each 25 ms frame's pitch how often voicing starts and stops, how
 * often the pitch holds and how far it steps between voiced runs (voice_inputs). Beside them: the momentary
 * loudness at the hop (silence is labelled by it) and the mean of every window input over 2.1 s (the context:
 * a cheer or a song lasts, a syllable does not), and over 6.1 s (EV_LONG_HALF hops each side) how much the
 * loudness moves and how regularly the flux and the loudness repeat every 0.3-0.7 s (the "long_" inputs: a
 * beat over seconds, which speech lacks). The model file (apps/ai/training/train_audio_events.py writes it)
 * names the inputs it uses and its classes; each input must be one of this extractor's and the
 * classes must equal ours, so that a model and the code cannot silently disagree (older models,
 * which use fewer inputs, still load). A model file that names silence_below_lufs leaves silence
 * to the level, as its training labels did: a hop whose momentary loudness (level_now) is under
 * it is silence, and the network decides among the other classes. Settings:
 * CLIPFORGE_AUDIO_EVENTS_MODEL_VERSION (else the newest file). */
#include "audio_events.h"

#include <assert.h>
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/fmt.h"
#include "clipforge/json.h"
#include "profile.h"

#define MAX_LAYERS 3
#define MAX_UNITS 128
#define ENV_FRAMES ((2 * EV_HALF_WINDOW + 1) * CF_AUDIO_FRAMES)
#define ENV_BINS 21 /* modulation frequencies k / 1.1 s, k = 1..21: up to ~19 Hz */

_Static_assert(CF_AUDIO_FRAMES * 400 == CF_AUDIO_HOP, "frames per hop");
_Static_assert(EV_N_INPUTS <= MAX_UNITS, "a model may use every input");
_Static_assert(EV_N_INPUTS == EV_LONG + EV_N_LONG, "one context input per window input, then the long ones");
_Static_assert(CF_FEAT_EV_NOISE - CF_FEAT_EV_SPEECH + 1 == CF_AUDIO_EVENT_CLASS_COUNT &&
                   CF_FEAT_EV_NOISE - CF_FEAT_EV_SPEECH == CF_AUDIO_EVENT_CLASS_NOISE,
               "one event column per class, in the class order");

const char *const hl_ev_input_names[] = {
#define EV_INPUT_NAME(name) name,
    EV_INPUT_MAP(EV_INPUT_NAME)
#undef EV_INPUT_NAME
};

typedef enum { ACT_RELU, ACT_TANH, ACT_SOFTMAX } activation;

typedef struct ev_layer {
    size_t n_in, n_out;
    float *w; /* n_in x n_out, row-major by input */
    float *b;
    activation act;
} ev_layer;

struct ev_model {
    char version[48];
    size_t n_inputs;
    unsigned short input[EV_N_INPUTS]; /* the extractor's index of each of the model's inputs */
    float mean[EV_N_INPUTS], inv_std[EV_N_INPUTS];
    ev_layer layers[MAX_LAYERS];
    size_t n_layers;
    bool silence_by_level; /* the file's silence_below_lufs: silence is the level, not the network */
    float silence_below;   /* LUFS, momentary (the input level_now) */
};

const char *hl_ev_model_version(const ev_model *m) {
    return m->version;
}

void hl_ev_model_free(ev_model *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n_layers; i++) free(m->layers[i].w), free(m->layers[i].b);
    free(m);
}

/* The newest audio-events-<v>.json in dir (version order) into version. */
static bool newest_version(const char *dir, char *version, size_t len) {
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *e;
    bool found = false;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "audio-events-", 13) != 0 || n < 19 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char v[48];
        if (!cf_fmt(v, sizeof v, "%.*s", (int)(n - 18), e->d_name + 13)) continue; /* not one of ours */
        if (!found || strverscmp(v, version) > 0) snprintf(version, len, "%s", v), found = true;
    }
    closedir(d);
    return found;
}

static cf_err number_array(const json_t *a, size_t n, float *out, const char *what, cf_error *err) {
    if (!json_is_array(a) || json_array_size(a) != n)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: must be an array of %zu numbers", what, n);
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s[%zu]: not a finite number", what, i);
        out[i] = (float)json_number_value(v);
    }
    return CF_OK;
}

static cf_err check_names(const json_t *a, const char *const *names, size_t n, const char *what,
                          cf_error *err) {
    if (!json_is_array(a) || json_array_size(a) != n)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: must list the %zu of this extractor", what, n);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!s || strcmp(s, names[i]) != 0)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s[%zu]: '%s', this extractor has '%s'", what,
                                i, s ? s : "?", names[i]);
    }
    return CF_OK;
}

/* The model's inputs by name: each must be one of this extractor's. */
static cf_err map_inputs(const json_t *a, ev_model *m, cf_error *err) {
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > EV_N_INPUTS)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "inputs: must name 1..%d of this extractor's inputs", EV_N_INPUTS);
    m->n_inputs = json_array_size(a);
    for (size_t i = 0; i < m->n_inputs; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        size_t k = 0;
        while (s && k < EV_N_INPUTS && strcmp(s, hl_ev_input_names[k]) != 0) k++;
        if (!s || k == EV_N_INPUTS)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "inputs[%zu]: '%s' is not an input of this extractor", i, s ? s : "?");
        m->input[i] = (unsigned short)k;
    }
    return CF_OK;
}

static cf_err parse_layer(const json_t *j, size_t i, size_t n_in, ev_layer *l, cf_error *err) {
    char path[64];
    snprintf(path, sizeof path, "layers[%zu]", i);
    const json_t *w = json_object_get(j, "weights"), *b = json_object_get(j, "bias");
    const char *act = NULL;
    cf_err rc = cf_json_get_string(j, "activation", false, &act, path, err);
    if (rc) return rc;
    if (!strcmp(act, "relu")) l->act = ACT_RELU;
    else if (!strcmp(act, "tanh")) l->act = ACT_TANH;
    else if (!strcmp(act, "softmax")) l->act = ACT_SOFTMAX;
    else return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.activation: relu, tanh or softmax", path);
    size_t n_out = json_array_size(b);
    if (!json_is_array(w) || json_array_size(w) != n_in || n_out == 0 || n_out > MAX_UNITS)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "%s: weights must be %zu rows (one per input), bias 1..%d values", path, n_in,
                            MAX_UNITS);
    l->n_in = n_in, l->n_out = n_out;
    l->w = malloc(n_in * n_out * sizeof *l->w);
    l->b = malloc(n_out * sizeof *l->b);
    if (!l->w || !l->b) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    char what[96];
    snprintf(what, sizeof what, "%s.bias", path);
    rc = number_array(b, n_out, l->b, what, err);
    for (size_t r = 0; !rc && r < n_in; r++) {
        snprintf(what, sizeof what, "%s.weights[%zu]", path, r);
        rc = number_array(json_array_get(w, r), n_out, l->w + r * n_out, what, err);
    }
    return rc;
}

static cf_err parse_model(const json_t *j, ev_model *m, cf_error *err) {
    const char *classes[CF_AUDIO_EVENT_CLASS_COUNT];
    for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT; c++) classes[c] = cf_audio_event_class_to_string(c);
    float std[EV_N_INPUTS];
    const json_t *layers = json_object_get(j, "layers");
    cf_err rc =
        check_names(json_object_get(j, "classes"), classes, CF_AUDIO_EVENT_CLASS_COUNT, "classes", err);
    if (!rc) rc = map_inputs(json_object_get(j, "inputs"), m, err);
    if (!rc) rc = number_array(json_object_get(j, "mean"), m->n_inputs, m->mean, "mean", err);
    if (!rc) rc = number_array(json_object_get(j, "std"), m->n_inputs, std, "std", err);
    for (size_t i = 0; !rc && i < m->n_inputs; i++) {
        if (!(std[i] > 0)) rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "std[%zu]: must be > 0", i);
        m->inv_std[i] = 1.0f / std[i];
    }
    if (!rc &&
        (!json_is_array(layers) || json_array_size(layers) == 0 || json_array_size(layers) > MAX_LAYERS))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "layers: an array of 1..%d", MAX_LAYERS);
    size_t n_in = m->n_inputs;
    for (size_t i = 0; !rc && i < json_array_size(layers); i++) {
        rc = parse_layer(json_array_get(layers, i), i, n_in, &m->layers[i], err);
        m->n_layers = i + 1; /* freed by hl_ev_model_free even when it failed halfway */
        n_in = m->layers[i].n_out;
    }
    if (!rc && (n_in != CF_AUDIO_EVENT_CLASS_COUNT || m->layers[m->n_layers - 1].act != ACT_SOFTMAX))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                          "layers: the last must be a softmax over the %d classes",
                          CF_AUDIO_EVENT_CLASS_COUNT);
    double below = 0;
    if (!rc) {
        rc = cf_json_get_number(j, "silence_below_lufs", true, &below, "silence_below_lufs", err);
        m->silence_by_level = rc == CF_OK, m->silence_below = (float)below;
        if (rc == CF_ERR_NOT_FOUND) rc = CF_OK;
    }
    return rc;
}

/* The version extraction uses: the configured one (CLIPFORGE_AUDIO_EVENTS_MODEL_VERSION), else the
 * newest file. */
static bool current_version(const char *models_dir, char *version, size_t len) {
    const char *configured = hl_audio_events_model_version();
    if (configured) return cf_fmt(version, len, "%s", configured); /* too long: not a model of ours */
    return newest_version(models_dir, version, len);
}

void cf_audio_events_model_current(const char *models_dir, char *buf, size_t len) {
    cf_hl_paths paths = {.models_dir = models_dir};
    char version[48];
    if (current_version(hl_models_dir(&paths), version, sizeof version))
        snprintf(buf, len, "audio-events-%.32s", version);
    else if (len) buf[0] = '\0';
}

cf_err hl_ev_model_load(const char *models_dir, ev_model **out, cf_error *err) {
    *out = NULL;
    char version[48];
    if (!current_version(models_dir, version, sizeof version))
        return cf_error_set(err, CF_ERR_NOT_FOUND, "no audio-events model in %s", models_dir);
    if (strchr(version, '/'))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bad audio-events model version '%s'", version);
    char file[4096];
    if (!cf_fmt(file, sizeof file, "%s/audio-events-%s.json", models_dir, version))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "models directory %.200s...: path too long",
                            models_dir);
    cf_error jerr;
    json_t *j = cf_json_load_file(file, 4 << 20, 16, &jerr);
    if (!j) return cf_error_set(err, jerr.code, "audio-events model: %s", jerr.msg);
    ev_model *m = calloc(1, sizeof *m);
    cf_err rc = m ? parse_model(j, m, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    json_decref(j);
    if (rc) {
        hl_ev_model_free(m);
        cf_error_prefix(err, "audio-events model %s", file);
        return rc;
    }
    snprintf(m->version, sizeof m->version, "audio-events-%.32s", version);
    *out = m;
    return CF_OK;
}

/* ---- inputs ---------------------------------------------------------------------------------- */

typedef struct stat_acc {
    double sum, sq;
} stat_acc;

static inline void acc_add(stat_acc *a, double x) {
    a->sum += x, a->sq += x * x;
}
static inline double acc_mean(const stat_acc *a, double n) {
    return a->sum / n;
}
static inline double acc_std(const stat_acc *a, double n) {
    double m = a->sum / n, v = a->sq / n - m * m;
    return v > 0 ? sqrt(v) : 0;
}

static float cosv[ENV_BINS][ENV_FRAMES], sinv[ENV_BINS][ENV_FRAMES];
static pthread_once_t dft_once = PTHREAD_ONCE_INIT;

static void dft_tables(void) {
    for (int k = 0; k < ENV_BINS; k++)
        for (int t = 0; t < ENV_FRAMES; t++) {
            double ph = 2.0 * M_PI * (k + 1) * t / ENV_FRAMES;
            cosv[k][t] = (float)cos(ph), sinv[k][t] = (float)sin(ph);
        }
}

/* Share of the envelope's modulation energy at 2-8 Hz among 0.9-19 Hz. */
static double modulation_4hz(const float *env) {
    pthread_once(&dft_once, dft_tables);
    double mean = 0, band = 0, total = 0;
    for (int t = 0; t < ENV_FRAMES; t++) mean += env[t];
    mean /= ENV_FRAMES;
    const double window_s = ENV_FRAMES * 0.025;
    for (int k = 0; k < ENV_BINS; k++) {
        double re = 0, im = 0;
        for (int t = 0; t < ENV_FRAMES; t++)
            re += (env[t] - mean) * cosv[k][t], im += (env[t] - mean) * sinv[k][t];
        double p = re * re + im * im, hz = (k + 1) / window_s;
        total += p;
        if (hz >= 2.0 && hz <= 8.0) band += p;
    }
    return total > 1e-9 ? band / total : 0;
}

/* The envelope's highest normalised autocorrelation at lags lo..hi frames (25 ms each): how
 * regularly it repeats at that period. Laughter repeats its syllables every 150-300 ms, music
 * its beat every 350-550 ms; speech repeats neither. An envelope that moves by less than 1 dB
 * (a steady sound) has no rhythm, however regular its ripple. */
static double regularity(const float *env, int lo, int hi) {
    double mean = 0, var = 0, best = 0;
    for (int t = 0; t < ENV_FRAMES; t++) mean += env[t];
    mean /= ENV_FRAMES;
    for (int t = 0; t < ENV_FRAMES; t++) var += (env[t] - mean) * (env[t] - mean);
    if (var < ENV_FRAMES * 1.0) return 0;
    for (int lag = lo; lag <= hi; lag++) {
        double r = 0;
        for (int t = 0; t + lag < ENV_FRAMES; t++) r += (env[t] - mean) * (env[t + lag] - mean);
        r = r / var * ENV_FRAMES / (ENV_FRAMES - lag); /* unbiased: a long lag has fewer products */
        if (r > best) best = r;
    }
    return best;
}

/* The voice inputs from each 25 ms frame's pitch over the window (fp, ENV_FRAMES, 0 = not
 * voiced): voiced/unvoiced changes per second (syllables alternate several times a second; a
 * held note, a tone, a crowd or noise seldom), the share of successive voiced frames whose pitch
 * moves less than HOLD_ST (a note or a tone holds its pitch, a voice glides) and the mean pitch
 * distance between successive voiced runs of two frames or more (a trill repeats one pitch, a
 * laugh's or a sentence's syllables differ), at most an octave each (a pitch read an octave off
 * is not a step). */
#define HOLD_ST 0.2
static void voice_inputs(const float *fp, float *o) {
    int turns = 0, pairs = 0, held = 0, runs = 0, run_len = 0, steps = 0;
    double run_sum = 0, last_run = 0, step_sum = 0, prev_st = 0;
    for (int t = 0; t <= ENV_FRAMES; t++) {
        bool v = t < ENV_FRAMES && fp[t] > 0, was = t > 0 && fp[t - 1] > 0;
        if (t > 0 && t < ENV_FRAMES && v != was) turns++;
        double st = v ? 12.0 * log2(fp[t] / 100.0) : 0;
        if (v && was) pairs++, held += fabs(st - prev_st) < HOLD_ST;
        prev_st = st;
        if (v) run_sum += st, run_len++;
        else if (run_len) {
            if (run_len >= 2) {
                double mean = run_sum / run_len;
                if (runs++) step_sum += fmin(fabs(mean - last_run), 12.0), steps++;
                last_run = mean;
            }
            run_sum = 0, run_len = 0;
        }
    }
    o[0] = (float)(turns / (ENV_FRAMES * 0.025));
    o[1] = pairs ? (float)held / (float)pairs : 0.0f;
    o[2] = steps ? (float)(step_sum / steps) : 0.0f;
}

void hl_ev_inputs(const audio_hop *hops, const float *hop_lufs, size_t n, size_t i, float *x) {
    stat_acc band[CF_AUDIO_BANDS] = {{0}}, shape[CF_AUDIO_BANDS] = {{0}}, level = {0}, flat = {0}, flux = {0},
             zcr = {0}, harm = {0}, persist = {0};
    double persist_long = 0;
    double hi = 0, sp = 0, onsets = 0, voiced = 0, change = 0, lmin = 1e9, lmax = -1e9, kpower = 0;
    stat_acc pitch = {0};
    double glide = 0, last_st = 0;
    int momentary = 0, pitched = 0, glides = 0;
    float env[ENV_FRAMES], fp[ENV_FRAMES], prev[CF_AUDIO_BANDS];
    const double nw = 2 * EV_HALF_WINDOW + 1;
    for (int w = 0; w < (int)nw; w++) {
        long k = (long)i + w - EV_HALF_WINDOW;
        const audio_hop *h = &hops[k < 0 ? 0 : k >= (long)n ? (long)n - 1 : k];
        float l = hop_lufs[k < 0 ? 0 : k >= (long)n ? (long)n - 1 : k];
        double mean_db = 0;
        for (int b = 0; b < CF_AUDIO_BANDS; b++) mean_db += h->band_db[b];
        mean_db /= CF_AUDIO_BANDS;
        for (int b = 0; b < CF_AUDIO_BANDS; b++) {
            float s = h->band_db[b] - (float)mean_db;
            acc_add(&band[b], h->band_db[b]);
            acc_add(&shape[b], s);
            if (w) change += fabsf(s - prev[b]) / CF_AUDIO_BANDS;
            prev[b] = s;
        }
        for (int f = 0; f < CF_AUDIO_FRAMES; f++)
            env[w * CF_AUDIO_FRAMES + f] = h->frame_db[f], fp[w * CF_AUDIO_FRAMES + f] = h->frame_pitch_hz[f];
        acc_add(&level, l), acc_add(&flat, h->flatness), acc_add(&flux, h->flux), acc_add(&zcr, h->zcr);
        acc_add(&harm, h->harmonicity);
        acc_add(&persist, h->persistence), persist_long += h->persistence_long;
        if (w >= EV_HALF_WINDOW - CF_HL_MOMENTARY_BEFORE && w <= EV_HALF_WINDOW + CF_HL_MOMENTARY_AFTER &&
            k >= 0 && k < (long)n)
            kpower += h->kpower, momentary++;
        lmin = fmin(lmin, l), lmax = fmax(lmax, l);
        hi += h->high_ratio, sp += h->speech_ratio, onsets += h->onsets, voiced += h->harmonicity > 0.6f;
        if (h->pitch_hz > 0) { /* a note holds its pitch, a voice glides, a laugh is high */
            double st = 12.0 * log2(h->pitch_hz / 100.0);
            acc_add(&pitch, st);
            if (pitched++) glide += fabs(st - last_st), glides++;
            last_st = st;
        }
    }
    float *o = x;
    for (int b = 0; b < CF_AUDIO_BANDS; b++) *o++ = (float)acc_mean(&shape[b], nw);
    for (int b = 0; b < CF_AUDIO_BANDS; b++) *o++ = (float)acc_std(&band[b], nw);
    *o++ = (float)acc_mean(&level, nw), *o++ = (float)acc_std(&level, nw), *o++ = (float)(lmax - lmin);
    *o++ = (float)acc_mean(&flat, nw), *o++ = (float)acc_std(&flat, nw);
    *o++ = (float)acc_mean(&flux, nw), *o++ = (float)acc_std(&flux, nw);
    *o++ = (float)acc_mean(&zcr, nw), *o++ = (float)acc_std(&zcr, nw);
    *o++ = (float)(hi / nw), *o++ = (float)(sp / nw), *o++ = (float)(onsets / (nw * 0.1));
    *o++ = (float)acc_mean(&harm, nw), *o++ = (float)acc_std(&harm, nw), *o++ = (float)(voiced / nw);
    *o++ = (float)modulation_4hz(env);
    *o++ = (float)(change / (nw - 1));
    *o++ = pitched ? (float)(acc_mean(&pitch, pitched) / 12.0) : 0.0f; /* octaves over 100 Hz */
    *o++ = pitched ? (float)acc_std(&pitch, pitched) : 0.0f;
    *o++ = glides ? (float)(glide / glides) : 0.0f;
    *o++ = (float)acc_mean(&persist, nw), *o++ = (float)acc_std(&persist, nw),
    *o++ = (float)(persist_long / nw);
    *o++ = (float)regularity(env, 6, 12), *o++ = (float)regularity(env, 14, 22);
    voice_inputs(fp, o);
    o += 3;
    *o++ = (float)cf_lufs_from_power(kpower / momentary); /* as loudness_momentary */
}

/* The context inputs of every row of x (n rows of EV_N_INPUTS): running sums of the window
 * inputs over the rows i - EV_CONTEXT_HALF .. i + EV_CONTEXT_HALF that exist. */
static void context_inputs(float *x, size_t n) {
    double sum[EV_N_WINDOW] = {0};
    size_t lo = 0, hi = 0; /* rows [lo, hi) are in sum */
    for (size_t i = 0; i < n; i++) {
        size_t want_lo = i > EV_CONTEXT_HALF ? i - EV_CONTEXT_HALF : 0;
        size_t want_hi = i + EV_CONTEXT_HALF + 1 < n ? i + EV_CONTEXT_HALF + 1 : n;
        for (; hi < want_hi; hi++)
            for (int f = 0; f < EV_N_WINDOW; f++) sum[f] += x[hi * EV_N_INPUTS + f];
        for (; lo < want_lo; lo++)
            for (int f = 0; f < EV_N_WINDOW; f++) sum[f] -= x[lo * EV_N_INPUTS + f];
        for (int f = 0; f < EV_N_WINDOW; f++)
            x[i * EV_N_INPUTS + EV_CONTEXT + f] = (float)(sum[f] / (double)(hi - lo));
    }
}

/* The highest normalised autocorrelation of v[0..len) (in dB) at lags
 * EV_LONG_LAG_MIN..EV_LONG_LAG_MAX, mean removed and unbiased (a long lag has fewer products), 0
 * when none is positive: how regularly it repeats every 0.3-0.7 s. A series that moves by less
 * than 0.1 dB (standard deviation: a steady sound) has no rhythm, whatever its rounding noise
 * does; fewer than 2 * EV_LONG_LAG_MAX - 2 hops neither (every lag needs a few products). */
static double long_beat(const double *v, size_t len) {
    if (len < 2 * EV_LONG_LAG_MAX - 2) return 0;
    double mean = 0, den = 0, best = 0;
    for (size_t t = 0; t < len; t++) mean += v[t];
    mean /= (double)len;
    for (size_t t = 0; t < len; t++) den += (v[t] - mean) * (v[t] - mean);
    if (den < (double)len * 0.1 * 0.1) return 0;
    for (size_t lag = EV_LONG_LAG_MIN; lag <= EV_LONG_LAG_MAX; lag++) {
        double r = 0;
        for (size_t t = 0; t + lag < len; t++) r += (v[t] - mean) * (v[t + lag] - mean);
        r = r / den * (double)len / (double)(len - lag);
        if (r > best) best = r;
    }
    return best;
}

/* The long-context inputs of every row of x (n rows of EV_N_INPUTS, level_now filled in): over
 * the rows i - EV_LONG_HALF .. i + EV_LONG_HALF that exist, the standard deviation of level_now
 * and the rhythm (long_beat) of the hops' spectral flux and of level_now. A cheer or a song keeps
 * its level and a beat for seconds; speech comes and goes, a laugh is over in one. */
static void long_inputs(const audio_hop *hops, float *x, size_t n) {
    double level[2 * EV_LONG_HALF + 1], flux[2 * EV_LONG_HALF + 1];
    for (size_t i = 0; i < n; i++) {
        size_t lo = i > EV_LONG_HALF ? i - EV_LONG_HALF : 0,
               hi = i + EV_LONG_HALF < n ? i + EV_LONG_HALF : n - 1;
        size_t len = hi - lo + 1;
        stat_acc acc = {0};
        for (size_t k = lo; k <= hi; k++) {
            level[k - lo] = x[k * EV_N_INPUTS + EV_LEVEL_NOW], flux[k - lo] = hops[k].flux;
            acc_add(&acc, level[k - lo]);
        }
        float *o = x + i * EV_N_INPUTS + EV_LONG;
        o[0] = (float)acc_std(&acc, (double)len);
        o[1] = (float)long_beat(flux, len), o[2] = (float)long_beat(level, len);
    }
}

/* ---- classification -------------------------------------------------------------------------- */

/* A model whose file names silence_below_lufs leaves silence to the level, as its training labels
 * did: a quiet hop is silence, and over the level the other classes share the probability. */
static void silence_by_level(float *p, bool quiet) {
    float sum = 0;
    p[CF_AUDIO_EVENT_CLASS_SILENCE] = 0;
    for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT; c++) sum += p[c];
    for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT; c++)
        p[c] = quiet ? (c == CF_AUDIO_EVENT_CLASS_SILENCE) : sum > 0 ? p[c] / sum : 0;
}

void hl_ev_classify(const ev_model *m, const float *x, float *p) {
    float a[MAX_UNITS], b[MAX_UNITS];
    for (size_t i = 0; i < m->n_inputs; i++) a[i] = (x[m->input[i]] - m->mean[i]) * m->inv_std[i];
    float *in = a, *out = b;
    for (size_t li = 0; li < m->n_layers; li++) {
        const ev_layer *l = &m->layers[li];
        /* what load_model checked: each layer reads all of the one before */
        assert(l->n_out > 0 && l->n_in == (li ? m->layers[li - 1].n_out : m->n_inputs));
        for (size_t o = 0; o < l->n_out; o++) out[o] = l->b[o];
        for (size_t i = 0; i < l->n_in; i++) {
            const float *w = l->w + i * l->n_out;
            for (size_t o = 0; o < l->n_out; o++) out[o] += in[i] * w[o];
        }
        float max = out[0], sum = 0;
        for (size_t o = 0; o < l->n_out; o++) {
            if (l->act == ACT_RELU) out[o] = out[o] > 0 ? out[o] : 0;
            else if (l->act == ACT_TANH) out[o] = tanhf(out[o]);
            else if (out[o] > max) max = out[o];
        }
        if (l->act == ACT_SOFTMAX) {
            for (size_t o = 0; o < l->n_out; o++) sum += out[o] = expf(out[o] - max);
            for (size_t o = 0; o < l->n_out; o++) out[o] /= sum;
        }
        float *t = in;
        in = out, out = t;
    }
    memcpy(p, in, CF_AUDIO_EVENT_CLASS_COUNT * sizeof *p);
    if (m->silence_by_level) silence_by_level(p, x[EV_LEVEL_NOW] < m->silence_below);
}

cf_err hl_ev_classify_track(const ev_model *m, const audio_hop *hops, const float *hop_lufs, size_t n,
                            float *cols, size_t stride, float *inputs, cf_error *err) {
    float *x = inputs ? inputs : malloc(n * EV_N_INPUTS * sizeof *x);
    if (!x) return cf_error_set(err, CF_ERR_NO_MEMORY, "audio events: out of memory");
    for (size_t i = 0; i < n; i++) hl_ev_inputs(hops, hop_lufs, n, i, x + i * EV_N_INPUTS);
    context_inputs(x, n);
    long_inputs(hops, x, n);
    for (size_t i = 0; m && i < n; i++) {
        float p[CF_AUDIO_EVENT_CLASS_COUNT];
        hl_ev_classify(m, x + i * EV_N_INPUTS, p);
        for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT; c++) cols[(size_t)c * stride + i] = p[c];
    }
    if (x != inputs) free(x);
    return CF_OK;
}

/* ---- events over a track --------------------------------------------------------------------- */

#define DECISION_HOPS 5 /* one decision per 500 ms */

cf_err cf_audio_events_from_track(const cf_feature_track *t, cf_audio_event **out, size_t *n, cf_error *err) {
    *out = NULL, *n = 0;
    if (!t->events_model[0] || !t->has_audio || t->n_hops == 0) return CF_OK;
    size_t blocks = (t->n_hops + DECISION_HOPS - 1) / DECISION_HOPS, used = 0;
    cf_audio_event *ev = malloc(blocks * sizeof *ev);
    if (!ev) return cf_error_set(err, CF_ERR_NO_MEMORY, "audio events: out of memory");
    double conf_sum = 0; /* of the event being extended */
    size_t conf_n = 0;
    for (size_t b = 0; b < blocks; b++) {
        size_t lo = b * DECISION_HOPS, hi = lo + DECISION_HOPS < t->n_hops ? lo + DECISION_HOPS : t->n_hops;
        double mean[CF_AUDIO_EVENT_CLASS_COUNT] = {0};
        int best = 0;
        for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT; c++) {
            for (size_t i = lo; i < hi; i++) mean[c] += cf_feat(t, i, CF_FEAT_EV_SPEECH + c);
            mean[c] /= (double)(hi - lo);
            if (mean[c] > mean[best]) best = c;
        }
        int64_t start = (int64_t)lo * t->hop_ms, end = (int64_t)hi * t->hop_ms;
        if (t->duration_ms > 0 && end > t->duration_ms) end = t->duration_ms;
        if (end <= start) continue;
        if (used && ev[used - 1].class == (cf_audio_event_class)best && ev[used - 1].end_ms == start) {
            ev[used - 1].end_ms = end;
            conf_sum += mean[best], conf_n++;
        } else {
            used++;
            ev[used - 1] = (cf_audio_event){.start_ms = start, .end_ms = end, .class = best};
            conf_sum = mean[best], conf_n = 1;
        }
        ev[used - 1].confidence = round(conf_sum / (double)conf_n * 1000) / 1000;
    }
    *out = ev, *n = used;
    return CF_OK;
}

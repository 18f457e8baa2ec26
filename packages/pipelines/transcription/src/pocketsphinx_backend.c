/* pocketsphinx_backend.c — the "pocketsphinx" transcriber: CMU PocketSphinx (the 5prealpha API
 * Debian 12 ships: cmd_ln_t configuration, ps_seg_* word iteration) with the en-us continuous
 * model from the pocketsphinx-en-us package. Word confidences are the posterior probabilities
 * of the best path in the word lattice (-bestpath yes). The model directory holds en-us/ (the
 * acoustic model), en-us.lm.bin and cmudict-en-us.dict; CF_PS_MODEL_DIR is where Debian puts it. */
#include <ctype.h>
#include <math.h>
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/fe.h>
#include <sphinxbase/feat.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "backends.h"
#include "clipforge/fmt.h"
#include "clipforge/config.h"
#include "clipforge/log.h"
#include "bandwidth.h"
#include "mllr.h"

#ifndef CF_PS_MODEL_DIR
#define CF_PS_MODEL_DIR "/usr/share/pocketsphinx/model"
#endif

/* Written once at startup (cf_transcribe_configure), read-only while decoders run. */
static char *g_args, *g_confidence, *g_fold_db, *g_mllr, *g_sphinxtrain;

cf_err cf_transcribe_configure(const cf_transcribe_settings *s, cf_error *err) {
    cf_transcribe_settings none = {0};
    if (!s) s = &none;
    cf_err rc = cf_config_keep(&g_args, s->pocketsphinx_args, err);
    if (!rc) rc = cf_config_keep(&g_confidence, s->pocketsphinx_confidence, err);
    if (!rc) rc = cf_config_keep(&g_fold_db, s->pocketsphinx_fold_db, err);
    if (!rc) rc = cf_config_keep(&g_mllr, s->pocketsphinx_mllr, err);
    if (!rc) rc = cf_config_keep(&g_sphinxtrain, s->sphinxtrain_dir, err);
    return rc;
}

typedef struct ps_rec {
    cmd_ln_t *config;
    ps_decoder_t *ps;
    int frate;             /* frames per second */
    cmn_type_t cmn;        /* the decoder's cepstral mean normalisation, applied by ps_decode */
    cf_progress *progress; /* the run's: its cancel flag is polled while a chunk is searched */
} ps_rec;

/* cmd_ln and the decoder's logging setup touch process-wide state in sphinxbase. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static bool ps_supports_language(const char *language) {
    return language && (!strcasecmp(language, "en-us") || !strcasecmp(language, "en"));
}

static cf_err model_path(char *buf, size_t size, const char *dir, const char *leaf, cf_error *err) {
    int w = snprintf(buf, size, "%s/%s", dir, leaf);
    struct stat st;
    if (w < 0 || (size_t)w >= size)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "model path too long: %s", dir);
    if (stat(buf, &st) != 0)
        return cf_error_set(err, CF_ERR_UNAVAILABLE,
                            "pocketsphinx model file %s is missing (install pocketsphinx-en-us)", buf);
    return CF_OK;
}

/* Search settings tuned on the development sources of apps/ai/experiments/speech (real recorded
 * speech; the held-out sources were not looked at while tuning): see its README for the figures.
 * CLIPFORGE_POCKETSPHINX_ARGS ("-name value ...") overrides them, for trying settings. */
static const char *const tuned_args[] = {NULL};

/* Sets one decoder setting from its text form, by the type the decoder declares for it. */
static bool set_arg(cmd_ln_t *config, const char *name, const char *value) {
    const arg_t *a = ps_args();
    while (a->name && strcmp(a->name, name)) a++;
    if (!a->name) return false;
    char *end = NULL;
    if (a->type & ARG_INTEGER) {
        long v = strtol(value, &end, 10);
        if (*end) return false;
        cmd_ln_set_int_r(config, name, v);
    } else if (a->type & ARG_FLOATING) {
        double v = strtod(value, &end);
        if (*end) return false;
        cmd_ln_set_float_r(config, name, v);
    } else if (a->type & ARG_BOOLEAN) {
        bool yes = !strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcmp(value, "1");
        if (!yes && strcasecmp(value, "no") && strcasecmp(value, "false") && strcmp(value, "0")) return false;
        cmd_ln_set_int_r(config, name, yes);
    } else {
        cmd_ln_set_str_r(config, name, value);
    }
    return true;
}

/* Applies "-name value" pairs from text to config; false on a malformed or unknown setting. */
static bool apply_args(cmd_ln_t *config, const char *text, cf_error *err) {
    char buf[1024];
    if (!cf_fmt(buf, sizeof buf, "%s", text)) {
        cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "CLIPFORGE_POCKETSPHINX_ARGS: too long");
        return false;
    }
    char *save = NULL;
    for (char *name = strtok_r(buf, " \t", &save); name; name = strtok_r(NULL, " \t", &save)) {
        char *value = strtok_r(NULL, " \t", &save);
        if (!value || !set_arg(config, name, value)) {
            cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                         "CLIPFORGE_POCKETSPHINX_ARGS: bad setting '%s %s' (expected -name value "
                         "pairs of the decoder's settings)",
                         name, value ? value : "");
            return false;
        }
    }
    return true;
}

static cmd_ln_t *make_config(const char *hmm, const char *lm, const char *dict, const char *mllr,
                             cf_error *err) {
    cmd_ln_t *c = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-lm", lm, "-dict", dict, "-bestpath",
                              "yes", "-remove_silence", "no", "-logfn", "/dev/null", NULL);
    bool ok = c != NULL;
    for (size_t i = 0; ok && tuned_args[i]; i += 2) ok = set_arg(c, tuned_args[i], tuned_args[i + 1]);
    if (ok && g_args) ok = apply_args(c, g_args, err);
    /* ps_decode searches a chunk in steps; without the flat pass the stepped search of this
     * pocketsphinx finds no words at all */
    if (ok && !cmd_ln_boolean_r(c, "-fwdflat")) {
        cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                     "CLIPFORGE_POCKETSPHINX_ARGS: -fwdflat no is not supported (chunks are searched in "
                     "steps, which needs the flat pass)");
        ok = false;
    }
    if (ok && mllr) cmd_ln_set_str_r(c, "-mllr", mllr);
    if (c && !ok) {
        cmd_ln_free_r(c);
        c = NULL;
    }
    if (!c && !err->code) cf_error_set(err, CF_ERR_UNAVAILABLE, "pocketsphinx: cannot configure the decoder");
    return c;
}

typedef struct model_paths {
    const char *dir;
    char hmm[4096], lm[4096], dict[4096];
} model_paths;

static cf_err model_paths_of(const cf_transcriber_config *cfg, model_paths *m, cf_error *err) {
    m->dir = cfg && cfg->model_dir ? cfg->model_dir : CF_PS_MODEL_DIR "/en-us";
    cf_err e = model_path(m->hmm, sizeof m->hmm, m->dir, "en-us", err);
    if (!e) e = model_path(m->lm, sizeof m->lm, m->dir, "en-us.lm.bin", err);
    if (!e) e = model_path(m->dict, sizeof m->dict, m->dir, "cmudict-en-us.dict", err);
    return e;
}

static cf_err ps_open(const cf_transcriber_config *cfg, void **out, cf_error *err) {
    model_paths m;
    cf_err e = model_paths_of(cfg, &m, err);
    if (e) return e;
    const char *dir = m.dir;
    ps_rec *r = calloc(1, sizeof *r);
    if (!r) return cf_error_set(err, CF_ERR_NO_MEMORY, "pocketsphinx: out of memory");
    pthread_mutex_lock(&open_lock);
    r->config = make_config(m.hmm, m.lm, m.dict, cfg ? cfg->adaptation : NULL, err);
    if (r->config) r->ps = ps_init(r->config);
    pthread_mutex_unlock(&open_lock);
    if (!r->ps) {
        bool configured = r->config != NULL;
        if (r->config) cmd_ln_free_r(r->config);
        free(r);
        if (!configured) return err->code;
        return cf_error_set(err, CF_ERR_UNAVAILABLE, "pocketsphinx: cannot load the model in %s", dir);
    }
    r->frate = cmd_ln_int32_r(r->config, "-frate");
    if (r->frate <= 0) r->frate = 100;
    /* ps_decode normalises each chunk's cepstra itself, so the decoder must not do it again */
    feat_t *feat = ps_get_feat(r->ps);
    r->cmn = feat->cmn;
    feat->cmn = CMN_NONE;
    r->progress = cfg ? cfg->progress : NULL;
    *out = r;
    return CF_OK;
}

static void ps_close(void *rec) {
    ps_rec *r = rec;
    if (!r) return;
    ps_free(r->ps);
    cmd_ln_free_r(r->config);
    free(r);
}

/* Fillers (<s>, </s>, <sil>), noise ([NOISE]) and ++GARBAGE++ are not words. */
static bool is_word(const char *w) {
    return w && w[0] && w[0] != '<' && w[0] != '[' && w[0] != '+';
}

/* Copies w without the alternate-pronunciation suffix: "the(2)" -> "the". */
static char *clean_word(const char *w) {
    size_t n = strlen(w);
    if (n > 3 && w[n - 1] == ')') {
        const char *open = strrchr(w, '(');
        if (open && open > w) n = (size_t)(open - w);
    }
    char *s = malloc(n + 1);
    if (s) memcpy(s, w, n), s[n] = '\0';
    return s;
}

static cf_err push_word(cf_transcript_segment *out, size_t *cap, const char *w, int64_t a, int64_t b,
                        double conf, cf_error *err) {
    if (out->n_words == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        cf_transcript_word *p = realloc(out->words, c * sizeof *p);
        if (!p) return cf_error_set(err, CF_ERR_NO_MEMORY, "pocketsphinx: out of memory");
        out->words = p;
        *cap = c;
    }
    char *s = clean_word(w);
    if (!s) return cf_error_set(err, CF_ERR_NO_MEMORY, "pocketsphinx: out of memory");
    if (conf < 0) conf = 0;
    if (conf > 1) conf = 1;
    out->words[out->n_words++] = (cf_transcript_word){s, a, b, conf};
    return CF_OK;
}

/* Word confidence: a logistic model over the lattice posterior (its log-odds), the word's length
 * in frames and whether it is short, fitted on the development sources of
 * apps/ai/experiments/speech (fit_confidence.py) so that a word at 0.8 is right about 80% of the
 * time. The posterior alone is far too sure of itself: most wrong words get 1.0.
 * CLIPFORGE_POCKETSPHINX_CONFIDENCE=posterior reports the raw posterior (for refitting). */
static const double conf_bias = 1.0659, conf_logit = 0.4342, conf_log_frames = -0.3353, conf_short = -0.2630;

static double calibrated(double posterior, int frames, size_t letters) {
    if (g_confidence && !strcmp(g_confidence, "posterior")) return posterior;
    double p = posterior < 1e-4 ? 1e-4 : posterior > 1 - 1e-4 ? 1 - 1e-4 : posterior;
    double z = conf_bias + conf_logit * log(p / (1 - p)) +
               conf_log_frames * log(frames > 1 ? (double)frames : 1.0) + conf_short * (letters <= 3);
    return 1.0 / (1.0 + exp(-z));
}

static size_t letters_of(const char *w) {
    size_t n = 0;
    for (; *w && *w != '('; w++) n += isalpha((unsigned char)*w) != 0;
    return n;
}

static cf_err collect_words(ps_rec *r, cf_transcript_segment *out, cf_error *err) {
    logmath_t *lmath = ps_get_logmath(r->ps);
    size_t cap = 0;
    cf_err e = CF_OK;
    ps_seg_t *seg = ps_seg_iter(r->ps);
    for (; seg && !e; seg = ps_seg_next(seg)) {
        const char *w = ps_seg_word(seg);
        if (!is_word(w)) continue;
        int sf = 0, ef = 0;
        int32 ascr, lscr, lback;
        ps_seg_frames(seg, &sf, &ef);
        double post = logmath_exp(lmath, ps_seg_prob(seg, &ascr, &lscr, &lback));
        double conf = calibrated(post, ef - sf + 1, letters_of(w));
        e = push_word(out, &cap, w, (int64_t)sf * 1000 / r->frate, (int64_t)(ef + 1) * 1000 / r->frate, conf,
                      err);
    }
    if (seg) ps_seg_free(seg);
    return e;
}

/* Narrowband speech (recorded at 8 kHz) gets its empty 4-8 kHz band filled with the mirror image
 * of 0-4 kHz this far below it (bandwidth.c; tuned on the development sources).
 * CLIPFORGE_POCKETSPHINX_FOLD_DB overrides it ("off": leave narrowband audio as it is). */
static const double fold_gain_db = -20.0;

/* The chunk to decode: pcm itself, or a copy with the high band filled (*copy, freed by caller). */
static const int16_t *prepared(const int16_t *pcm, size_t n, int16_t **copy) {
    *copy = NULL;
    double gain = fold_gain_db;
    if (g_fold_db) {
        if (!strcmp(g_fold_db, "off")) return pcm;
        gain = atof(g_fold_db);
    }
    if (!cf__stt_is_narrowband(pcm, n) || !(*copy = malloc(n * sizeof *pcm))) return pcm;
    memcpy(*copy, pcm, n * sizeof *pcm);
    cf__stt_fold_high_band(*copy, n, gain);
    return *copy;
}

/* Frames searched between two looks at the cancel flag: a quarter second of audio, which takes
 * well under half a second to search even under the sanitizers. */
#define SEARCH_STEP_FRAMES 25

/* The cepstra of a whole chunk, normalised as the decoder would over the whole utterance
 * (ps_process_raw with full_utt), then the last frame repeated for the window of the dynamic
 * features: searched in steps, the decoder holds that many frames back for their right context
 * and, its front end already ended here, never flushes them; the copies are the context a
 * whole-utterance call pads with. So the steps find the same words, scores and frames.
 * *out (rows into one block) is freed by the caller; *n_out frames to search. */
static cf_err chunk_cepstra(ps_rec *r, const int16_t *pcm, size_t n, mfcc_t ***out, int32 *n_out,
                            cf_error *err) {
    fe_t *fe = ps_get_fe(r->ps);
    feat_t *feat = ps_get_feat(r->ps);
    size_t left = n, width = (size_t)fe_get_output_size(fe), pad = (size_t)feat_window_size(feat);
    int32 nfr = 0, tail = 0;
    if (fe_process_frames(fe, NULL, &left, NULL, &nfr, NULL) < 0 || nfr < 0)
        return cf_error_set(err, CF_ERR_PROCESSING, "pocketsphinx: cannot size the features");
    size_t rows = (size_t)nfr + 1 + pad;
    mfcc_t **cep = malloc(rows * sizeof *cep + rows * width * sizeof **cep);
    if (!cep) return cf_error_set(err, CF_ERR_NO_MEMORY, "pocketsphinx: out of memory");
    for (size_t i = 0; i < rows; i++) cep[i] = (mfcc_t *)(cep + rows) + i * width;
    const int16 *at = pcm;
    left = n;
    fe_start_utt(fe);
    if (fe_process_frames(fe, &at, &left, cep, &nfr, NULL) < 0 || fe_end_utt(fe, cep[nfr], &tail) < 0) {
        free(cep);
        return cf_error_set(err, CF_ERR_PROCESSING, "pocketsphinx: feature extraction failed");
    }
    nfr += tail;
    if (r->cmn == CMN_BATCH) cmn(feat->cmn_struct, cep, feat->varnorm, nfr);
    else if (r->cmn == CMN_LIVE)
        cmn_live(feat->cmn_struct, cep, feat->varnorm, nfr), cmn_live_update(feat->cmn_struct);
    for (size_t i = 0; nfr > 0 && i < pad; i++)
        memcpy(cep[nfr + (int32)i], cep[nfr - 1], width * sizeof **cep);
    *out = cep;
    *n_out = nfr > 0 ? nfr + (int32)pad : 0;
    return CF_OK;
}

/* Searches the chunk's frames SEARCH_STEP_FRAMES at a time; CF_ERR_CANCELLED as soon as the
 * run's progress is cancelled. */
static cf_err search_steps(ps_rec *r, mfcc_t **cep, int32 nfr, cf_error *err) {
    for (int32 at = 0; at < nfr; at += SEARCH_STEP_FRAMES) {
        if (cf_progress_cancelled(r->progress))
            return cf_error_set(err, CF_ERR_CANCELLED, "pocketsphinx: cancelled");
        int step = nfr - at < SEARCH_STEP_FRAMES ? (int)(nfr - at) : SEARCH_STEP_FRAMES;
        if (ps_process_cep(r->ps, cep + at, step, FALSE, FALSE) < 0)
            return cf_error_set(err, CF_ERR_PROCESSING, "pocketsphinx: decoding failed");
    }
    return CF_OK;
}

static cf_err ps_decode(void *rec, const int16_t *pcm, size_t n, cf_transcript_segment *out, cf_error *err) {
    ps_rec *r = rec;
    if (ps_start_utt(r->ps) < 0)
        return cf_error_set(err, CF_ERR_PROCESSING, "pocketsphinx: cannot start an utterance");
    int16_t *copy = NULL;
    mfcc_t **cep = NULL;
    int32 nfr = 0;
    cf_err e = chunk_cepstra(r, prepared(pcm, n, &copy), n, &cep, &nfr, err);
    free(copy);
    if (!e) e = search_steps(r, cep, nfr, err);
    free(cep);
    if (ps_end_utt(r->ps) < 0 && !e)
        e = cf_error_set(err, CF_ERR_PROCESSING, "pocketsphinx: cannot end the utterance");
    return e ? e : collect_words(r, out, err);
}

/* Per-recording unsupervised MLLR (mllr.c), on unless CLIPFORGE_POCKETSPHINX_MLLR=off: a first
 * pass over the recording's start (cf_transcribe_options.adapt_from_ms), one global transform of
 * the model's means estimated from its words by sphinxtrain (bw, mllr_solve; sphinx_fe for the
 * cepstra), and every chunk decoded with it. One pass, with a warning, when those tools are not
 * installed. Measured in apps/ai/experiments/reports/speech-real.md. */
static bool ps_adapts(const cf_transcriber_config *cfg) {
    (void)cfg;
    if (g_mllr && !strcasecmp(g_mllr, "off")) return false;
    char missing[4096];
    if (!cf__mllr_tools_present(g_sphinxtrain, missing, sizeof missing)) {
        cf_log_warn("transcribe",
                    "adaptation to the recording (CLIPFORGE_POCKETSPHINX_MLLR) needs %s, which is not "
                    "installed (apt-get install sphinxtrain sphinxbase-utils pocketsphinx): one pass",
                    missing);
        return false;
    }
    cf_log_info("transcribe", "pocketsphinx: per-recording MLLR on (a second pass, adapted to the first)");
    return true;
}

static cf_err ps_adapt(const cf_transcriber_config *cfg, const int16_t *pcm, size_t n,
                       const cf_transcript_segment *segments, size_t n_segments, const char *dir, char *path,
                       size_t size, cf_error *err) {
    model_paths m;
    cf_err e = model_paths_of(cfg, &m, err);
    if (e) return e;
    cf__mllr_job job = {.hmm = m.hmm,
                        .dict = m.dict,
                        .pcm = pcm,
                        .n = n,
                        .segments = segments,
                        .n_segments = n_segments,
                        .prepare = prepared,
                        .dir = dir,
                        .sphinxtrain_dir = g_sphinxtrain,
                        .progress = cfg ? cfg->progress : NULL};
    return cf__mllr_estimate(&job, path, size, err);
}

const cf_transcriber cf__pocketsphinx_transcriber = {
    .version = CF_TRANSCRIBER_VERSION,
    .name = "pocketsphinx",
    .model_version = "5prealpha-en-us-ptm",
    .supports_language = ps_supports_language,
    .open = ps_open,
    .decode = ps_decode,
    .close = ps_close,
    .adapts = ps_adapts,
    .adapt = ps_adapt,
};

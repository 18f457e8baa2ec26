/* profile.c — loading detection profiles (generic, podcast, sports, gaming, lecture, music) from
 * JSON data files, so that tuning a profile is editing a file, not the code. Directory:
 * cf_hl_paths.profiles_dir, else the configured one (cf_hl_settings, from
 * CLIPFORGE_HIGHLIGHT_PROFILES_DIR), else "profiles" in the data files found beside the binary
 * (cf_share_path). The package's settings are kept here. */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/fmt.h"
#include "clipforge/config.h"
#include "clipforge/json.h"
#include "clipforge/paths.h"

const char *const cf_hl_profiles[] = {"generic", "podcast", "sports", "gaming", "lecture", "music", NULL};

bool cf_hl_profile_known(const char *name) {
    for (size_t i = 0; name && cf_hl_profiles[i]; i++)
        if (strcmp(cf_hl_profiles[i], name) == 0) return true;
    return false;
}

/* Written once at startup (cf_hl_configure), read-only while detections run. */
static char *g_profiles_dir, *g_models_dir, *g_model_version, *g_audio_events_version;

cf_err cf_hl_configure(const cf_hl_settings *s, cf_error *err) {
    cf_hl_settings none = {0};
    if (!s) s = &none;
    cf_err rc = cf_config_keep(&g_profiles_dir, s->profiles_dir, err);
    if (!rc) rc = cf_config_keep(&g_models_dir, s->models_dir, err);
    if (!rc) rc = cf_config_keep(&g_model_version, s->model_version, err);
    if (!rc) rc = cf_config_keep(&g_audio_events_version, s->audio_events_model_version, err);
    return rc;
}

const char *hl_model_version(void) {
    return g_model_version;
}

const char *hl_audio_events_model_version(void) {
    return g_audio_events_version;
}

static const char *dir_or(const char *given, const char *configured, const char *share_sub) {
    if (given && *given) return given;
    return configured ? configured : cf_share_path(share_sub);
}

const char *hl_profiles_dir(const cf_hl_paths *paths) {
    return dir_or(paths ? paths->profiles_dir : NULL, g_profiles_dir, "profiles");
}

const char *hl_models_dir(const cf_hl_paths *paths) {
    return dir_or(paths ? paths->models_dir : NULL, g_models_dir, "models");
}

const char *cf_hl_models_dir(const cf_hl_paths *paths) {
    return hl_models_dir(paths);
}

/* "requires": ["speech", "crowd"] (or "unless": ["noise"]) into a bit set of classes. */
static cf_err load_classes(const json_t *j, const char *key, const char *path, unsigned *out, cf_error *err) {
    const json_t *r = json_object_get(j, key);
    if (!r) return CF_OK;
    if (!json_is_array(r) || json_array_size(r) == 0 || json_array_size(r) > CF_AUDIO_EVENT_CLASS_COUNT)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.%s: an array of audio-event classes", path,
                            key);
    for (size_t i = 0; i < json_array_size(r); i++) {
        cf_audio_event_class c;
        const char *name = json_string_value(json_array_get(r, i));
        if (!name || !cf_audio_event_class_from_string(name, &c))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.%s[%zu]: unknown audio-event class", path,
                                key, i);
        *out |= 1u << c;
    }
    return CF_OK;
}

/* "speech_when": "voice_arousal" — only with requires naming speech. */
static cf_err load_speech_when(const json_t *j, const char *path, hl_signal *s, cf_error *err) {
    const char *name = NULL;
    cf_err rc = cf_json_get_string(j, "speech_when", true, &name, path, err);
    if (rc == CF_ERR_NOT_FOUND) return CF_OK;
    if (rc) return rc;
    if ((s->speech_when = cf_feature_find(name)) < 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.speech_when: unknown feature '%s'", path, name);
    if (!(s->requires & (1u << CF_AUDIO_EVENT_CLASS_SPEECH)))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.speech_when: requires must name speech", path);
    s->speech_gated = true;
    return CF_OK;
}

static cf_err load_signal(const json_t *j, size_t i, hl_signal *s, cf_error *err) {
    char path[64];
    snprintf(path, sizeof path, "signals[%zu]", i);
    const char *feature = NULL, *label = "highlight";
    bool support = false;
    cf_err rc = cf_json_get_string(j, "feature", false, &feature, path, err);
    if (!rc) rc = cf_json_get_number(j, "weight", false, &s->weight, path, err);
    if (!rc) rc = cf_json_get_number(j, "lo", false, &s->lo, path, err);
    if (!rc) rc = cf_json_get_number(j, "hi", false, &s->hi, path, err);
    if (!rc && cf_json_get_string(j, "label", true, &label, path, err) == CF_ERR_INVALID_ARGUMENT)
        rc = CF_ERR_INVALID_ARGUMENT;
    if (!rc && cf_json_get_bool(j, "support", true, &support, path, err) == CF_ERR_INVALID_ARGUMENT)
        rc = CF_ERR_INVALID_ARGUMENT;
    if (!rc) rc = load_classes(j, "requires", path, &s->requires, err);
    if (!rc) rc = load_classes(j, "unless", path, &s->unless, err);
    if (!rc && (s->requires & s->unless))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.unless: names a class requires names", path);
    if (!rc) rc = load_speech_when(j, path, s, err);
    if (rc) return rc;
    s->support = support;
    if ((s->feature = cf_feature_find(feature)) < 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.feature: unknown feature '%s'", path, feature);
    if (!(s->weight >= 0 && s->weight <= 1))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.weight: must be in [0, 1]", path);
    if (!(s->hi > s->lo)) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.hi: must be > lo", path);
    snprintf(s->label, sizeof s->label, "%s", label);
    return CF_OK;
}

static cf_err load_span(const json_t *j, hl_span_params *p, cf_error *err) {
    struct {
        const char *key;
        int64_t *dst;
        int64_t lo, hi;
    } ints[] = {{"smooth_ms", &p->smooth_ms, 0, 60000},
                {"min_len_ms", &p->min_len_ms, 1000, 600000},
                {"max_len_ms", &p->max_len_ms, 1000, 3600000},
                {"min_gap_ms", &p->min_gap_ms, 0, 600000},
                {"snap_ms", &p->snap_ms, 0, 30000},
                {"top_n", &p->top_n, 1, 1000}};
    cf_err rc = cf_json_get_number(j, "min_score", false, &p->min_score, "", err);
    for (size_t i = 0; !rc && i < sizeof ints / sizeof ints[0]; i++) {
        if ((rc = cf_json_get_int(j, ints[i].key, false, ints[i].dst, "", err))) break;
        if (*ints[i].dst < ints[i].lo || *ints[i].dst > ints[i].hi)
            rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: out of range", ints[i].key);
    }
    if (!rc && p->max_len_ms < p->min_len_ms)
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "max_len_ms: must be >= min_len_ms");
    if (!rc && !(p->min_score >= 0 && p->min_score <= 1))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "min_score: must be in [0, 1]");
    return rc;
}

static cf_err load_keywords(const json_t *j, hl_profile *p, cf_error *err) {
    const json_t *k = json_object_get(j, "keywords");
    if (!k) return CF_OK;
    if (!json_is_array(k) || json_array_size(k) > HL_MAX_KEYWORDS)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "keywords: must be an array of at most %d",
                            HL_MAX_KEYWORDS);
    for (size_t i = 0; i < json_array_size(k); i++) {
        const char *w = json_string_value(json_array_get(k, i));
        size_t n = w ? strlen(w) : 0;
        bool lower = n > 0 && n < sizeof p->keywords[0];
        for (size_t c = 0; lower && c < n; c++)
            lower = (w[c] >= 'a' && w[c] <= 'z') || (w[c] >= '0' && w[c] <= '9') || w[c] == '\'' ||
                    (w[c] == '*' && c == n - 1 && n > 1);
        if (!lower)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "keywords[%zu]: one lower-case word of 1..30 letters or digits", i);
        memcpy(p->keywords[i], w, n + 1);
    }
    p->n_keywords = json_array_size(k);
    return CF_OK;
}

cf_err hl_profile_load(const char *dir, const char *name, hl_profile *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (!name || !cf_hl_profile_known(name))
        return cf_error_set(err, CF_ERR_NOT_FOUND, "unknown detection profile '%s'", name ? name : "");
    char file[4096];
    if (!cf_fmt(file, sizeof file, "%s/%s.json", dir, name))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "profile directory %.200s...: path too long", dir);
    cf_error jerr;
    json_t *j = cf_json_load_file(file, 1 << 20, 16, &jerr);
    if (!j)
        return cf_error_set(err, jerr.code == CF_ERR_NOT_FOUND ? CF_ERR_NOT_FOUND : CF_ERR_INVALID_ARGUMENT,
                            "profile %s: %s", name, jerr.msg);
    int64_t version = 1;
    const json_t *signals = json_object_get(j, "signals");
    cf_err rc = cf_json_get_int(j, "version", true, &version, "", err);
    rc = rc == CF_ERR_NOT_FOUND ? CF_OK : rc;
    if (!rc && (!json_is_array(signals) || json_array_size(signals) == 0 ||
                json_array_size(signals) > HL_MAX_SIGNALS))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "signals: must be an array of 1..%d", HL_MAX_SIGNALS);
    for (size_t i = 0; !rc && i < json_array_size(signals); i++)
        rc = load_signal(json_array_get(signals, i), i, &out->signals[i], err);
    if (!rc) rc = load_span(j, &out->span, err);
    if (!rc) rc = load_keywords(j, out, err);
    size_t n_signals = json_array_size(signals);
    json_decref(j);
    if (rc) {
        cf_error_prefix(err, "profile %s (%s)", name, file);
        return rc;
    }
    snprintf(out->name, sizeof out->name, "%s", name);
    out->version = (int)version;
    out->n_signals = n_signals;
    return CF_OK;
}

double hl_signal_evidence(const hl_signal *s, const cf_feature_track *t, size_t hop) {
    double e = (cf_feat(t, hop, s->feature) - s->lo) / (s->hi - s->lo);
    return e < 0 ? 0 : e > 1 ? 1 : e;
}

/* Summed class probability as presence: twice it, at most 1 (a class the classifier gives half
 * its belief to is there). */
static double presence(double p) {
    return p >= 0.5 ? 1.0 : 2.0 * p;
}

/* How much of the classes in mask is heard at hop: the presence of their summed probability;
 * speech counts as its probability times the signal's speech_when feature (0..1) when it has one. */
static double heard(const hl_signal *s, unsigned mask, const cf_feature_track *t, size_t hop) {
    double p = 0;
    for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT; c++) {
        if (!(mask & (1u << c))) continue;
        double q = cf_feat(t, hop, CF_FEAT_EV_SPEECH + c);
        if (c == CF_AUDIO_EVENT_CLASS_SPEECH && s->speech_gated) {
            double w = cf_feat(t, hop, s->speech_when);
            q *= w < 0 ? 0 : w > 1 ? 1 : w;
        }
        p += q;
    }
    return presence(p);
}

/* The classes in mask as heard over the hops within UNLESS_HALF of hop (the presence of their mean
 * probability): the classifier's belief flickers from hop to hop between classes it
 * confuses (a crowd and engine noise), so doubt is judged over a moment, not one hop. */
#define UNLESS_HALF 10 /* hops: +-1 s */
static double heard_around(unsigned mask, const cf_feature_track *t, size_t hop) {
    size_t lo = hop > UNLESS_HALF ? hop - UNLESS_HALF : 0;
    size_t hi = hop + UNLESS_HALF < t->n_hops ? hop + UNLESS_HALF : t->n_hops - 1;
    double p = 0;
    for (size_t k = lo; k <= hi; k++)
        for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT; c++)
            if (mask & (1u << c)) p += cf_feat(t, k, CF_FEAT_EV_SPEECH + c);
    p /= (double)(hi - lo + 1);
    return presence(p);
}

void hl_signals_evidence(const hl_signal *s, size_t n, const cf_feature_track *t, size_t hop, double *e) {
    bool events = t->events_model[0] != '\0';
    for (size_t k = 0; k < n; k++) {
        e[k] = hl_signal_evidence(&s[k], t, hop);
        if (events && s[k].requires) e[k] *= heard(&s[k], s[k].requires, t, hop);
        /* what the classifier hears half the time around the hop is there: the signal is in doubt */
        if (events && s[k].unless) e[k] *= 1.0 - heard_around(s[k].unless, t, hop);
    }
    /* a supporting signal counts as far as the strongest other signal reaches 0.5 */
    double other[HL_MAX_SIGNALS];
    for (size_t k = 0; k < n; k++) {
        other[k] = 0;
        for (size_t j = 0; j < n; j++)
            if (j != k && s[j].feature != s[k].feature && e[j] > other[k]) other[k] = e[j];
    }
    for (size_t k = 0; k < n; k++)
        if (s[k].support) e[k] *= other[k] >= 0.5 ? 1.0 : 2.0 * other[k];
}

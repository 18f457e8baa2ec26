/* engine_learned.c — the `learned` engine: logistic regression over windowed features.
 *
 * A model is a data file <models_dir>/highlight-<version>.json written by
 * apps/ai/training/train_highlight.py: its inputs (feature name, centred window half-width in
 * hops, normalisation mean and std), weights, bias, decision threshold and the profiles it was
 * trained for. The score curve is the per-hop probability of being inside a highlight; spans
 * come from the shared selection with the profile's length bounds and the model's threshold.
 * warm_start(version) loads and caches a version (NULL = the newest file in the directory);
 * results name the version used. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/fmt.h"
#include "clipforge/json.h"
#include "engine_common.h"
#include "feature_math.h"

#define MAX_MODELS 8
#define MAX_INPUTS 64
#define MAX_PROFILES 8

typedef struct lr_input {
    int feature;
    size_t half;
    double mean, std, weight;
} lr_input;

typedef struct lr_model {
    char version[64];
    lr_input in[MAX_INPUTS];
    size_t n_in;
    double bias, threshold;
    char profiles[MAX_PROFILES][32];
    size_t n_profiles;
} lr_model;

typedef struct learned {
    char *models_dir, *profiles_dir;
    lr_model *cache[MAX_MODELS];
    size_t n_cache;
    lr_model *current;
} learned;

static cf_err l_create(const cf_hl_paths *paths, void **self, cf_error *err) {
    learned *l = calloc(1, sizeof *l);
    if (l) l->models_dir = strdup(paths->models_dir), l->profiles_dir = strdup(paths->profiles_dir);
    if (!l || !l->models_dir || !l->profiles_dir) {
        if (l) free(l->models_dir), free(l->profiles_dir);
        free(l);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "learned engine: out of memory");
    }
    *self = l;
    return CF_OK;
}

static void l_destroy(void *self) {
    learned *l = self;
    if (!l) return;
    for (size_t i = 0; i < l->n_cache; i++) free(l->cache[i]);
    free(l->models_dir);
    free(l->profiles_dir);
    free(l);
}

/* The newest highlight-<version>.json in dir (version order), into version. */
static bool newest_version(const char *dir, char *version, size_t len) {
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *e;
    bool found = false;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "highlight-", 10) != 0 || n < 16 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char v[64];
        if (!cf_fmt(v, sizeof v, "%.*s", (int)(n - 15), e->d_name + 10)) continue; /* not one of ours */
        if (!found || strverscmp(v, version) > 0) snprintf(version, len, "%s", v), found = true;
    }
    closedir(d);
    return found;
}

static cf_err parse_input(const json_t *j, size_t i, lr_input *in, cf_error *err) {
    char path[32];
    snprintf(path, sizeof path, "inputs[%zu]", i);
    const char *feature = NULL;
    int64_t half = 0;
    cf_err rc = cf_json_get_string(j, "feature", false, &feature, path, err);
    if (!rc) rc = cf_json_get_int(j, "half_hops", false, &half, path, err);
    if (!rc) rc = cf_json_get_number(j, "mean", false, &in->mean, path, err);
    if (!rc) rc = cf_json_get_number(j, "std", false, &in->std, path, err);
    if (rc) return rc;
    if ((in->feature = cf_feature_find(feature)) < 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.feature: unknown feature '%s'", path, feature);
    if (half < 0 || half > 3000 || !(in->std > 0))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: half_hops in [0, 3000], std > 0", path);
    in->half = (size_t)half;
    return CF_OK;
}

static cf_err parse_model(const json_t *j, lr_model *m, cf_error *err) {
    const json_t *inputs = json_object_get(j, "inputs"), *weights = json_object_get(j, "weights");
    const json_t *profiles = json_object_get(j, "profiles");
    if (!json_is_array(inputs) || !json_is_array(weights) || json_array_size(inputs) == 0 ||
        json_array_size(inputs) > MAX_INPUTS || json_array_size(weights) != json_array_size(inputs))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "inputs/weights: arrays of the same length 1..%d",
                            MAX_INPUTS);
    if (!json_is_array(profiles) || json_array_size(profiles) > MAX_PROFILES)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "profiles: an array of at most %d names",
                            MAX_PROFILES);
    cf_err rc = cf_json_get_number(j, "bias", false, &m->bias, "", err);
    if (!rc) rc = cf_json_get_number(j, "threshold", false, &m->threshold, "", err);
    for (size_t i = 0; !rc && i < json_array_size(inputs); i++) {
        rc = parse_input(json_array_get(inputs, i), i, &m->in[i], err);
        const json_t *w = json_array_get(weights, i);
        if (!rc && !json_is_number(w))
            rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "weights[%zu]: not a number", i);
        if (!rc) m->in[i].weight = json_number_value(w);
    }
    for (size_t i = 0; !rc && i < json_array_size(profiles); i++) {
        const char *p = json_string_value(json_array_get(profiles, i));
        if (!p || !cf_hl_profile_known(p))
            rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "profiles[%zu]: unknown", i);
        else snprintf(m->profiles[i], sizeof m->profiles[i], "%s", p);
    }
    if (!rc && !(m->threshold > 0 && m->threshold < 1))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "threshold: must be in (0, 1)");
    m->n_in = json_array_size(inputs);
    m->n_profiles = json_array_size(profiles);
    return rc;
}

static cf_err load_model(learned *l, const char *version, lr_model **out, cf_error *err) {
    char file[4096];
    if (!cf_fmt(file, sizeof file, "%s/highlight-%s.json", l->models_dir, version))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "model version '%.64s': path too long", version);
    cf_error jerr;
    json_t *j = cf_json_load_file(file, 4 << 20, 16, &jerr);
    if (!j) /* (cf_json_load_file always gives a failure code; the analyzer cannot see it) */
        return cf_error_set(err, jerr.code ? jerr.code : CF_ERR_IO, "model version '%s': %s", version,
                            jerr.msg);
    lr_model *m = calloc(1, sizeof *m);
    cf_err rc = m ? parse_model(j, m, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    json_decref(j);
    if (rc) {
        free(m);
        cf_error_prefix(err, "model %s", file);
        return rc;
    }
    snprintf(m->version, sizeof m->version, "%s", version);
    *out = m;
    return CF_OK;
}

static cf_err l_warm_start(void *self, const char *version, cf_error *err) {
    learned *l = self;
    char def[64];
    if (!version) {
        const char *configured = hl_model_version();
        if (configured) version = configured;
        else if (newest_version(l->models_dir, def, sizeof def)) version = def;
        else return cf_error_set(err, CF_ERR_NOT_FOUND, "no model in %s", l->models_dir);
    }
    if (strchr(version, '/') || strlen(version) >= 48)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bad model version '%s'", version);
    for (size_t i = 0; i < l->n_cache; i++)
        if (strcmp(l->cache[i]->version, version) == 0) return l->current = l->cache[i], CF_OK;
    lr_model *m = NULL;
    cf_err rc = load_model(l, version, &m, err);
    if (rc) return rc;
    if (l->n_cache == MAX_MODELS) { /* evict the oldest */
        if (l->current == l->cache[0]) l->current = NULL;
        free(l->cache[0]);
        memmove(l->cache, l->cache + 1, (MAX_MODELS - 1) * sizeof *l->cache);
        l->n_cache--;
    }
    l->cache[l->n_cache++] = m;
    l->current = m;
    return CF_OK;
}

static bool l_supports(void *self, const char *profile) {
    learned *l = self;
    cf_error e;
    if (!l->current && l_warm_start(l, NULL, &e) != CF_OK) return false;
    for (size_t i = 0; i < l->current->n_profiles; i++)
        if (strcmp(l->current->profiles[i], profile) == 0) return true;
    return false;
}

/* Per-hop probabilities into score. */
static cf_err predict(const lr_model *m, const cf_feature_track *t, float *score, cf_error *err) {
    size_t n = t->n_hops;
    float *col = malloc(n * sizeof *col), *win = malloc(n * sizeof *win);
    double *z = malloc(n * sizeof *z);
    if (!col || !win || !z) {
        free(col), free(win), free(z);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "learned engine: out of memory");
    }
    for (size_t i = 0; i < n; i++) z[i] = m->bias;
    for (size_t k = 0; k < m->n_in; k++) {
        const lr_input *in = &m->in[k];
        for (size_t i = 0; i < n; i++) col[i] = cf_feat(t, i, in->feature);
        hl_curve_smooth(col, win, n, in->half);
        for (size_t i = 0; i < n; i++) z[i] += in->weight * ((win[i] - in->mean) / in->std);
    }
    for (size_t i = 0; i < n; i++) score[i] = (float)(1.0 / (1.0 + exp(-z[i])));
    free(col), free(win), free(z);
    return CF_OK;
}

/* Reason signals: the model's positively weighted features, labelled as the profile labels them. */
static size_t model_signals(const lr_model *m, const hl_profile *p, hl_signal *out) {
    size_t n = 0;
    double wmax = 0;
    for (size_t k = 0; k < m->n_in; k++) wmax = fmax(wmax, m->in[k].weight);
    for (size_t k = 0; k < m->n_in && n < HL_MAX_SIGNALS; k++) {
        const lr_input *in = &m->in[k];
        bool dup = false;
        for (size_t i = 0; i < n; i++) dup |= out[i].feature == in->feature;
        if (in->weight <= 0 || dup) continue;
        hl_signal s = {.feature = in->feature,
                       .weight = in->weight / wmax,
                       .lo = in->mean,
                       .hi = in->mean + 2 * in->std};
        snprintf(s.label, sizeof s.label, "%s", cf_feature_name(in->feature));
        for (size_t i = 0; i < p->n_signals; i++)
            if (p->signals[i].feature == in->feature) memcpy(s.label, p->signals[i].label, sizeof s.label);
        out[n++] = s;
    }
    return n;
}

static cf_err l_detect(void *self, const cf_hl_detect_input *in, cf_highlight_detection_result *out,
                       cf_error *err) {
    learned *l = self;
    cf_err rc = l->current ? CF_OK : l_warm_start(l, NULL, err);
    if (rc) return rc;
    hl_profile p;
    if ((rc = hl_profile_load(l->profiles_dir, in->profile, &p, err))) return rc;
    float *score = malloc(in->track->n_hops * sizeof *score);
    if (!score) return cf_error_set(err, CF_ERR_NO_MEMORY, "learned engine: out of memory");
    rc = predict(l->current, in->track, score, err);
    hl_signal signals[HL_MAX_SIGNALS];
    size_t n_signals = model_signals(l->current, &p, signals);
    if (!rc) rc = hl_emit(in, score, &p, l->current->threshold, signals, n_signals, out, err);
    free(score);
    if (!rc && !(out->model_version = strdup(l->current->version)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "learned engine: out of memory");
    return rc;
}

const cf_hl_engine_methods hl_engine_learned = {
    .version = CF_HL_ENGINE_VERSION,
    .name = "learned",
    .create = l_create,
    .destroy = l_destroy,
    .supports_profile = l_supports,
    .warm_start = l_warm_start,
    .detect = l_detect,
};

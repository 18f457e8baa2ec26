/* trainer.c — training a highlight model version from labels (see trainer.h). */
#include "training/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/fs.h"
#include "clipforge/json.h"
#include "clipforge/log.h"
#include "registry/model_registry.h"
#include "registry/publish.h"
#include "training/fit.h"

#define MAX_FOLDS 5
enum { POS, NEG, UNL, GROUPS };

typedef struct trainer {
    const cf_train_set *set;
    const cf_train_options *o;
    char base[CF_MODEL_VERSION_MAX];
    const char *base_dir; /* the registry holding the base */
    json_t *design_doc;   /* the model file whose inputs, profiles and kind the new one takes */
    char design_version[CF_MODEL_VERSION_MAX];
    cf_lr_model design;
    double **x;   /* per media: n_hops rows of design.n inputs */
    float **soft; /* per media: the base's score per hop */
    char *tmp;    /* candidates of the folds */
} trainer;

/* ---- setting up ---------------------------------------------------------------------------- */

/* The base, and the registry it lives in. */
static cf_err find_base(trainer *t, const cf_model_registry *out, const cf_model_registry *models,
                        cf_error *err) {
    const char *base = t->o->base ? t->o->base : cf_publish_current_default(out, "highlight", t->o->profile);
    snprintf(t->base, sizeof t->base, "%s", base);
    const cf_model_entry *e = cf_model_registry_find(out, "highlight", base);
    t->base_dir = t->o->out_dir;
    if (!e && models) e = cf_model_registry_find(models, "highlight", base), t->base_dir = t->o->models_dir;
    if (!e) return cf_error_set(err, CF_ERR_NOT_FOUND, "base: no highlight model version '%s'", base);
    if (e->problem) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "base %s: %s", base, e->problem);
    if (e->doc && json_object_get(e->doc, "inputs")) {
        t->design_doc = json_incref(e->doc);
        snprintf(t->design_version, sizeof t->design_version, "%s", base);
    }
    return CF_OK;
}

/* For a base without weights: the newest learned version of either registry gives the inputs. */
static void newest_learned(trainer *t, const cf_model_registry *r) {
    for (size_t i = 0; r && i < r->n_models; i++) {
        const cf_model_entry *e = &r->models[i];
        if (strcmp(e->kind->name, "highlight") || !e->doc || !json_object_get(e->doc, "inputs")) continue;
        if (!t->design_doc || strverscmp(e->version, t->design_version) > 0) {
            json_decref(t->design_doc);
            t->design_doc = json_incref(e->doc);
            snprintf(t->design_version, sizeof t->design_version, "%s", e->version);
        }
    }
}

static cf_err setup_models(trainer *t, cf_error *err) {
    cf_model_registry *out = NULL, *models = NULL;
    cf_err rc = cf_model_registry_open(t->o->out_dir, &out, err);
    cf_error ignored; /* a models dir that does not open only means the base must be in out_dir */
    if (!rc && t->o->models_dir && strcmp(t->o->models_dir, t->o->out_dir) &&
        cf_model_registry_open(t->o->models_dir, &models, &ignored) != CF_OK)
        models = NULL;
    if (!rc) rc = find_base(t, out, models, err);
    if (!rc && !t->design_doc) newest_learned(t, out), newest_learned(t, models);
    if (!rc && !t->design_doc)
        rc = cf_error_set(err, CF_ERR_NOT_FOUND, "no learned highlight model to take the inputs from");
    if (!rc) rc = cf_lr_from_json(t->design_doc, &t->design, err);
    cf_model_registry_free(out);
    cf_model_registry_free(models);
    return rc;
}

/* The base's score per hop of media i (its smoothed curve, one value a second). */
static cf_err base_scores(trainer *t, size_t i, cf_error *err) {
    const cf_feature_track *track = t->set->m[i].track;
    cf_highlight_detection_result r = {0};
    cf_err rc = cf_eval_detect(track, t->base_dir, t->base, t->o->profile, &r, err);
    if (!rc && !(t->soft[i] = calloc(track->n_hops + 1, sizeof **t->soft)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "oom");
    for (size_t h = 0; !rc && h < track->n_hops; h++) {
        size_t v = (size_t)((int64_t)h * CF_HL_HOP_MS / (r.score_curve ? r.score_curve->step_ms : 1000));
        t->soft[i][h] = r.score_curve && v < r.score_curve->n_values ? (float)r.score_curve->values[v] : 0;
    }
    cf_highlight_detection_result_free(&r);
    return rc;
}

static cf_err setup_data(trainer *t, cf_error *err) {
    size_t n = t->set->n;
    t->x = calloc(n, sizeof *t->x);
    t->soft = calloc(n, sizeof *t->soft);
    cf_err rc = t->x && t->soft ? cf_make_temp_dir(NULL, "cf-train-", &t->tmp, err)
                                : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        rc = cf_lr_inputs(&t->design, t->set->m[i].track, &t->x[i], err);
        if (!rc) rc = base_scores(t, i, err);
        if (rc) cf_error_prefix(err, "%s", t->set->m[i].name);
    }
    return rc;
}

static void trainer_free(trainer *t) {
    for (size_t i = 0; i < t->set->n; i++) {
        if (t->x) free(t->x[i]);
        if (t->soft) free(t->soft[i]);
    }
    free(t->x);
    free(t->soft);
    if (t->tmp) {
        cf_error ignored;
        cf_remove_tree(t->tmp, &ignored);
        free(t->tmp);
    }
    json_decref(t->design_doc);
}

/* ---- fitting ------------------------------------------------------------------------------- */

static bool inside(int64_t t, int64_t a, int64_t b) {
    return t >= a && t < b;
}

/* The target of hop h of media m and its group. */
static int target(const cf_train_media *m, const float *soft, size_t h, double *tgt) {
    int64_t t = (int64_t)h * CF_HL_HOP_MS + CF_HL_HOP_MS / 2;
    for (size_t k = 0; k < m->n_spans; k++)
        if (m->spans[k].accept && inside(t, m->spans[k].start_ms, m->spans[k].end_ms)) return *tgt = 1, POS;
    for (size_t k = 0; k < m->n_spans; k++) {
        const cf_eval_span *s = &m->spans[k];
        bool trimmed = s->accept && inside(t, s->detected_start_ms, s->detected_end_ms);
        if ((!s->accept && inside(t, s->start_ms, s->end_ms)) || trimmed) return *tgt = 0, NEG;
    }
    return *tgt = soft[h], UNL;
}

/* Rows of the media in use (use[i]), each group weighing the same in total. */
static cf_err build(const trainer *t, const bool *use, cf_lr_data *data, cf_error *err) {
    size_t count[GROUPS] = {0};
    double tgt;
    for (size_t i = 0; i < t->set->n; i++)
        for (size_t h = 0; use[i] && h < t->set->m[i].track->n_hops; h++)
            count[target(&t->set->m[i], t->soft[i], h, &tgt)]++;
    cf_err rc = CF_OK;
    size_t d = t->design.n;
    for (size_t i = 0; !rc && i < t->set->n; i++)
        for (size_t h = 0; !rc && use[i] && h < t->set->m[i].track->n_hops; h++) {
            int g = target(&t->set->m[i], t->soft[i], h, &tgt);
            rc = cf_lr_data_add(data, t->x[i] + h * d, d, tgt, 1.0 / (double)count[g], err);
        }
    return rc;
}

/* Writes m as version (the design's profiles and kind) into dir; extra members merged. */
static cf_err write_model(const trainer *t, const cf_lr_model *m, const char *dir, const char *version,
                          const json_t *extra, char **file_out, cf_error *err) {
    json_t *doc = json_pack("{s:s, s:s, s:O}", "model_version", version, "kind", "logistic_regression",
                            "profiles", json_object_get(t->design_doc, "profiles"));
    cf_lr_to_json(m, doc);
    if (extra) json_object_update(doc, (json_t *)extra);
    char name[96];
    snprintf(name, sizeof name, "highlight-%s.json", version);
    char *file = cf_path_join(dir, name);
    cf_err rc = file && doc ? cf_json_write_file(doc, file, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "oom");
    json_decref(doc);
    if (!rc && file_out) *file_out = file;
    else free(file);
    return rc;
}

/* Span metrics of candidate version (in t->tmp) or the base, on the media in use, with profile. */
static cf_err tally(const trainer *t, const bool *use, const char *dir, const char *version,
                    const char *profile, cf_eval_tally *out, cf_error *err) {
    cf_err rc = CF_OK;
    for (size_t i = 0; !rc && i < t->set->n; i++) {
        if (!use[i]) continue;
        cf_highlight_detection_result r = {0};
        rc = cf_eval_detect(t->set->m[i].track, dir, version, profile, &r, err);
        if (!rc)
            cf_eval_tally_add(out, r.highlights, r.n_highlights, t->set->m[i].spans, t->set->m[i].n_spans);
        cf_highlight_detection_result_free(&r);
    }
    return rc;
}

static double f1_of(const cf_eval_tally *c) {
    json_t *j = cf_eval_metrics_json(c);
    double f =
        json_number_value(json_object_get(j, "f1")) + 1e-3 * json_number_value(json_object_get(j, "ap"));
    json_decref(j);
    return f;
}

/* Fits on the media in use, then picks the threshold with the best span F1 on them. */
static cf_err fit(const trainer *t, const bool *use, const char *name, cf_lr_model *m, cf_error *err) {
    cf_lr_data data = {0};
    *m = t->design;
    cf_err rc = build(t, use, &data, err);
    if (!rc) rc = cf_lr_fit(m, &t->design, &data, t->o->l2 > 0 ? t->o->l2 : 1.0, err);
    cf_lr_data_free(&data);
    double best = -1, best_thr = t->design.threshold;
    for (int k = 30; !rc && k <= 95; k += 5) {
        m->threshold = k / 100.0;
        cf_eval_tally c = {0};
        rc = write_model(t, m, t->tmp, name, NULL, NULL, err);
        if (!rc) rc = tally(t, use, t->tmp, name, t->o->profile, &c, err);
        double f = rc ? -1 : f1_of(&c);
        if (f > best + 1e-9) best = f, best_thr = m->threshold;
    }
    m->threshold = best_thr;
    return rc ? rc : write_model(t, m, t->tmp, name, NULL, NULL, err);
}

/* ---- cross-validation ---------------------------------------------------------------------- */

static bool base_serves(const trainer *t, const char *profile) {
    if (!json_object_get(t->design_doc, "inputs") || strcmp(t->design_version, t->base))
        return true; /* built in */
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(t->design_doc, "profiles"), i,
                       p) if (!strcmp(json_string_value(p), profile)) return true;
    return false;
}

static cf_err cross_validate(const trainer *t, json_t **cv, cf_error *err) {
    size_t n = t->set->n, k = (size_t)(t->o->folds > 0 ? t->o->folds : MAX_FOLDS);
    if (k > n) k = n;
    const json_t *profiles = json_object_get(t->design_doc, "profiles");
    size_t np = json_array_size(profiles);
    cf_eval_tally cand[16] = {{0}}, base[16] = {{0}};
    bool *train = calloc(n, sizeof *train), *held = calloc(n, sizeof *held);
    cf_err rc = train && held ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t f = 0; !rc && f < k; f++) {
        for (size_t i = 0; i < n; i++) held[i] = i % k == f, train[i] = !held[i];
        char name[32];
        snprintf(name, sizeof name, "cv%zu", f);
        cf_lr_model m;
        rc = fit(t, train, name, &m, err);
        for (size_t p = 0; !rc && p < np && p < 16; p++) {
            const char *profile = json_string_value(json_array_get(profiles, p));
            rc = tally(t, held, t->tmp, name, profile, &cand[p], err);
            if (!rc && base_serves(t, profile))
                rc = tally(t, held, t->base_dir, t->base, profile, &base[p], err);
        }
    }
    free(train);
    free(held);
    if (rc) return rc;
    json_t *by = json_object();
    for (size_t p = 0; p < np && p < 16; p++) {
        json_t *row = json_pack("{s:o}", "candidate", cf_eval_metrics_json(&cand[p]));
        if (base[p].media) json_object_set_new(row, "base", cf_eval_metrics_json(&base[p]));
        json_object_set_new(by, json_string_value(json_array_get(profiles, p)), row);
    }
    *cv = json_pack("{s:I, s:I, s:s, s:o}", "folds", (json_int_t)k, "media", (json_int_t)n, "base_version",
                    t->base, "profiles", by);
    return CF_OK;
}

/* ---- the new version ----------------------------------------------------------------------- */

static void next_version(const char *dir, char *out, size_t cap) {
    cf_model_registry *r = NULL;
    cf_error err;
    long best = 0;
    if (cf_model_registry_open(dir, &r, &err) == CF_OK)
        for (size_t i = 0; i < r->n_models; i++) {
            if (strcmp(r->models[i].kind->name, "highlight")) continue; /* each kind counts its own */
            char *end = NULL;
            long v = r->models[i].version[0] == 'v' ? strtol(r->models[i].version + 1, &end, 10) : 0;
            if (end && !*end && v > best) best = v;
        }
    cf_model_registry_free(r);
    snprintf(out, cap, "v%ld", best + 1);
}

static json_t *manifest(const cf_train_set *set, size_t hops) {
    json_t *media = json_array();
    for (size_t i = 0; i < set->n; i++) {
        size_t acc = 0;
        for (size_t k = 0; k < set->m[i].n_spans; k++) acc += set->m[i].spans[k].accept;
        json_array_append_new(media, json_pack("{s:s, s:I, s:I, s:I}", "media", set->m[i].name, "labels",
                                               (json_int_t)set->m[i].n_spans, "accepted", (json_int_t)acc,
                                               "duration_ms", (json_int_t)set->m[i].track->duration_ms));
    }
    return json_pack("{s:O, s:I, s:I, s:I, s:I, s:I, s:o}", "sources", set->sources, "labels",
                     (json_int_t)set->labels, "accepted", (json_int_t)set->accepted, "rejected",
                     (json_int_t)set->rejected, "media", (json_int_t)set->n, "hops", (json_int_t)hops,
                     "manifest", media);
}

static json_t *metadata(const trainer *t, const json_t *cv) {
    char at[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t hops = 0;
    for (size_t i = 0; i < t->set->n; i++) hops += t->set->m[i].track->n_hops;
    json_t *features = json_array();
    for (size_t k = 0; k < t->design.n; k++) {
        json_t *name = json_string(cf_feature_name(t->design.in[k].feature));
        bool dup = false;
        size_t i;
        json_t *seen;
        json_array_foreach(features, i, seen) dup |= json_equal(seen, name);
        if (dup) json_decref(name);
        else json_array_append_new(features, name);
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:{s:O}, s:{s:s, s:f, s:s}}", "trained_at", at, "parent_version",
                     t->base, "training_data", manifest(t->set, hops), "features", features, "metrics", "cv",
                     cv, "training", "method", "logistic regression, Newton, L2 towards the inputs' model",
                     "l2", t->o->l2 > 0 ? t->o->l2 : 1.0, "inputs_from", t->design_version);
}

/* Writes <dir>/highlight-<version>.report.md; its path (malloc'd), NULL when it cannot. */
static char *write_report(const trainer *t, const char *version, const cf_lr_model *m, const json_t *cv,
                          const char *dir) {
    char name[96];
    snprintf(name, sizeof name, "highlight-%s.report.md", version);
    char *file = cf_path_join(dir, name);
    FILE *f = file ? fopen(file, "w") : NULL;
    if (!f) return free(file), NULL;
    fprintf(
        f,
        "# Highlight model %s\n\nTrained from %zu labels (%zu accepted, %zu rejected) on %zu media; base %s"
        " (inputs from %s). Cross-validation by media, %lld folds: each media detected by a version fitted"
        " without it; F1 and AP at IoU >= 0.5 against the accepted spans.\n\n",
        version, t->set->labels, t->set->accepted, t->set->rejected, t->set->n, t->base, t->design_version,
        (long long)json_integer_value(json_object_get(cv, "folds")));
    fprintf(f, "| profile | version | P | R | F1 | AP | boundary error ms | on rejected spans "
               "|\n|---|---|---|---|---|---|---|---|\n");
    const char *profile;
    json_t *row;
    json_object_foreach((json_t *)json_object_get(cv, "profiles"), profile, row) {
        const char *who[2] = {"candidate", "base"};
        for (int k = 0; k < 2; k++) {
            const json_t *c = json_object_get(row, who[k]);
            if (c)
                fprintf(f, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.0f | %lld |\n", profile,
                        k ? t->base : version, json_number_value(json_object_get(c, "precision")),
                        json_number_value(json_object_get(c, "recall")),
                        json_number_value(json_object_get(c, "f1")),
                        json_number_value(json_object_get(c, "ap")),
                        json_number_value(json_object_get(c, "boundary_ms")),
                        (long long)json_integer_value(json_object_get(c, "on_rejected")));
        }
    }
    fprintf(
        f, "\nWeights that moved most from %s (standardised inputs):\n\n| input | %s | %s |\n|---|---|---|\n",
        t->design_version, t->design_version, version);
    bool shown[CF_LR_MAX_INPUTS] = {0};
    for (int r = 0; r < 6 && r < (int)m->n; r++) {
        size_t best = 0;
        double move = -1;
        for (size_t k = 0; k < m->n; k++)
            if (!shown[k] && fabs(m->w[k] - t->design.w[k]) > move)
                move = fabs(m->w[k] - t->design.w[k]), best = k;
        shown[best] = true;
        fprintf(f, "| %s +-%zu hops | %.3f | %.3f |\n", cf_feature_name(m->in[best].feature),
                m->in[best].half, t->design.w[best], m->w[best]);
    }
    fprintf(f, "\nThreshold %.2f (base inputs' %.2f).\n", m->threshold, t->design.threshold);
    if (fclose(f) != 0) return free(file), NULL;
    return file;
}

cf_err cf_train(const cf_train_set *set, const cf_train_options *o, json_t **summary, cf_error *err) {
    *summary = NULL;
    if (set->n < 2)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "training needs labels on 2 media or more (got %zu)", set->n);
    trainer t = {.set = set, .o = o};
    json_t *cv = NULL;
    char version[CF_MODEL_VERSION_MAX], *file = NULL, *report = NULL;
    if (o->version) snprintf(version, sizeof version, "%s", o->version);
    else next_version(o->out_dir, version, sizeof version);
    cf_err rc = cf_model_registry_require_writable(o->out_dir, err);
    if (!rc) rc = setup_models(&t, err);
    if (!rc) rc = setup_data(&t, err);
    if (!rc) rc = cross_validate(&t, &cv, err);
    bool *all = calloc(set->n, sizeof *all);
    for (size_t i = 0; all && i < set->n; i++) all[i] = true;
    cf_lr_model m;
    if (!rc) rc = all ? fit(&t, all, "final", &m, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "oom");
    json_t *meta = rc ? NULL : metadata(&t, cv);
    if (!rc) rc = write_model(&t, &m, o->out_dir, version, meta, &file, err);
    if (!rc) report = write_report(&t, version, &m, cv, o->out_dir);
    if (!rc)
        *summary = json_pack("{s:s, s:s, s:s?, s:O, s:b}", "model_version", version, "file", file, "report",
                             report, "metrics", json_object_get(meta, "metrics"), "published", false);
    free(all);
    free(file);
    free(report);
    json_decref(meta);
    json_decref(cv);
    trainer_free(&t);
    return rc;
}

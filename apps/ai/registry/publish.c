/* publish.c — the publish gate (see publish.h): per profile, the candidate against the version
 * that serves the profile now, measured on an evaluation set or taken from the comparison
 * recorded at training; the defaults change only when the candidate wins on every profile. */
#include "registry/publish.h"

#include <stdlib.h>
#include <string.h>

const char *cf_publish_current_default(const cf_model_registry *r, const char *kind, const char *profile) {
    const json_t *defaults = json_object_get(cf_model_registry_assignment(r, kind), "defaults");
    const json_t *v = json_object_get(defaults, profile);
    if (!v) v = json_object_get(defaults, "*");
    if (v) return json_string_value(v);
    const cf_model_kind *k = cf_model_kind_find(kind);
    return k && k->builtin_versions ? k->builtin_versions[0] : "";
}

bool cf_metrics_beat(const json_t *a, const json_t *b) {
    double fa = json_number_value(json_object_get(a, "f1")), fb = json_number_value(json_object_get(b, "f1"));
    if (fa != fb) return fa > fb;
    return json_number_value(json_object_get(a, "ap")) > json_number_value(json_object_get(b, "ap"));
}

/* The comparison train recorded for profile: metrics.cv.profiles[profile] = {candidate, base}
 * with metrics.cv.base_version. */
static cf_err recorded(const cf_model_entry *e, const char *profile, const char *current, json_t *row,
                       cf_error *err) {
    const json_t *cv = json_object_get(json_object_get(e->doc, "metrics"), "cv");
    const char *base = json_string_value(json_object_get(cv, "base_version"));
    const json_t *p = json_object_get(json_object_get(cv, "profiles"), profile);
    json_object_set_new(row, "source", json_string("training cross-validation"));
    if (!cv || !p)
        return cf_error_set(err, CF_ERR_CONFLICT,
                            "%s has no recorded comparison for profile %s: "
                            "publish with --set DIR to compare it with %s now",
                            e->version, profile, current);
    if (!base || strcmp(base, current))
        return cf_error_set(err, CF_ERR_CONFLICT,
                            "%s was compared with %s, but %s serves profile %s: "
                            "publish with --set DIR to compare them now",
                            e->version, base ? base : "nothing", current, profile);
    json_object_set(row, "candidate", json_object_get(p, "candidate"));
    json_object_set(row, "baseline", json_object_get(p, "base"));
    return CF_OK;
}

static cf_err measured(const cf_publish_options *o, const cf_eval_set *set, const char *dir,
                       const char *profile, const char *current, json_t *row, cf_error *err) {
    json_t *cand = NULL, *base = NULL;
    json_object_set_new(row, "source", json_string(set->dir));
    cf_err rc = cf_eval_version(set, o->tracks, dir, o->version, profile, &cand, err);
    if (!rc) rc = cf_eval_version(set, o->tracks, dir, current, profile, &base, err);
    if (cand) json_object_del(cand, "per_media");
    if (base) json_object_del(base, "per_media");
    json_object_set_new(row, "candidate", cand ? cand : json_null());
    json_object_set_new(row, "baseline", base ? base : json_null());
    return rc;
}

/* One profile's row of the report; *wins when the candidate beats the current default. */
static cf_err compare(const cf_model_registry *r, const cf_model_entry *e, const cf_publish_options *o,
                      const cf_eval_set *set, const char *profile, json_t *row, bool *wins, cf_error *err) {
    const char *current = cf_publish_current_default(r, o->kind, profile);
    json_object_set_new(row, "current", json_string(current));
    *wins = false;
    if (!strcmp(current, o->version)) {
        json_object_set_new(row, "why", json_string("already the default"));
        return *wins = true, CF_OK;
    }
    cf_err rc = !cf_model_entry_supports(e, profile)
                    ? cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s does not support profile %s", o->version,
                                   profile)
                : set ? measured(o, set, r->dir, profile, current, row, err)
                      : recorded(e, profile, current, row, err);
    if (!rc) *wins = cf_metrics_beat(json_object_get(row, "candidate"), json_object_get(row, "baseline"));
    if (!rc && !*wins)
        rc = cf_error_set(err, CF_ERR_CONFLICT, "%s does not beat %s on profile %s (F1 %.3f vs %.3f)",
                          o->version, current, profile,
                          json_number_value(json_object_get(json_object_get(row, "candidate"), "f1")),
                          json_number_value(json_object_get(json_object_get(row, "baseline"), "f1")));
    if (rc && o->force) {
        json_object_set_new(row, "why", json_string(err->msg));
        json_object_set_new(row, "forced", json_true());
        *wins = true;
        return CF_OK;
    }
    json_object_set_new(row, "why", json_string(rc ? err->msg : "beats the current default"));
    return rc;
}

/* The profiles to publish for: the ones asked, else every profile the model lists. */
static size_t target_profiles(const cf_model_entry *e, const cf_publish_options *o, const char **out,
                              size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < o->n_profiles && n < cap; i++) out[n++] = o->profiles[i];
    if (n || !e->kind->per_profile) return n ? n : (out[0] = "*", 1);
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(e->doc, "profiles"), i, p) {
        if (n < cap && json_is_string(p)) out[n++] = json_string_value(p);
    }
    if (!e->path) out[n++] = "*"; /* a built-in version serves every profile */
    return n;
}

static cf_err gate(const cf_model_registry *r, const cf_model_entry *e, const cf_publish_options *o,
                   const char **profiles, size_t n, json_t *rows, cf_error *err) {
    cf_eval_set *set = NULL;
    cf_err rc = o->eval_set ? cf_eval_set_load(o->eval_set, &set, err) : CF_OK;
    if (!rc && o->eval_set && !o->tracks)
        rc = cf_error_set(err, CF_ERR_INTERNAL, "publish: no feature source for the evaluation set");
    cf_error first;
    cf_error_clear(&first);
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *row = json_pack("{s:s}", "profile", profiles[i]);
        bool wins = false;
        cf_err one = compare(r, e, o, set, profiles[i], row, &wins, err);
        json_object_set_new(row, "beats", json_boolean(wins));
        json_array_append_new(rows, row);
        if (one == CF_ERR_CONFLICT) { /* go on: report every profile */
            if (!first.code) first = *err;
        } else if (one) {
            rc = one;
        }
    }
    cf_eval_set_free(set);
    if (!rc && first.code) *err = first, rc = first.code;
    return rc;
}

cf_err cf_model_publish(const char *dir, const cf_publish_options *o, json_t **report, cf_error *err) {
    *report = NULL;
    cf_model_registry *r = NULL;
    cf_err rc = cf_model_registry_require_writable(dir, err); /* before an evaluation that may take minutes */
    if (!rc) rc = cf_model_registry_open(dir, &r, err);
    const cf_model_entry *e = rc ? NULL : cf_model_registry_find(r, o->kind, o->version);
    if (!rc && !e)
        rc = cf_error_set(err, CF_ERR_NOT_FOUND, "no %s model version '%s' in %s", o->kind, o->version, dir);
    if (!rc && e->problem)
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s cannot be used: %s", o->version, e->problem);
    const char *found[32], *profiles[32];
    char names[32][40];
    size_t n = rc ? 0 : target_profiles(e, o, found, 31);
    for (size_t i = 0; i < n; i++) /* the names outlive the registry, freed before the change */
        snprintf(names[i], sizeof names[i], "%s", found[i]), profiles[i] = names[i];
    json_t *rows = json_array();
    if (!rc && !n)
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s lists no profile to serve", o->version);
    if (!rc) rc = gate(r, e, o, profiles, n, rows, err);
    *report = json_pack("{s:s, s:s, s:b, s:o}", "kind", o->kind, "version", o->version, "published", false,
                        "profiles", rows);
    cf_model_registry_free(r);
    if (!rc)
        rc = cf_model_registry_set_default(dir, o->kind, o->version, profiles, n, o->force ? "forced" : NULL,
                                           err);
    if (!rc) json_object_set_new(*report, "published", json_true());
    return rc;
}

void cf_publish_report_print(const json_t *report, FILE *out) {
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(report, "profiles"), i, row) {
        const json_t *c = json_object_get(row, "candidate"), *b = json_object_get(row, "baseline");
        fprintf(out, "%-8s %s vs %s: ", json_string_value(json_object_get(row, "profile")),
                json_string_value(json_object_get(report, "version")),
                json_string_value(json_object_get(row, "current")));
        if (json_is_object(c) && json_is_object(b))
            fprintf(out, "F1 %.3f vs %.3f, AP %.3f vs %.3f (%s) — ",
                    json_number_value(json_object_get(c, "f1")), json_number_value(json_object_get(b, "f1")),
                    json_number_value(json_object_get(c, "ap")), json_number_value(json_object_get(b, "ap")),
                    json_string_value(json_object_get(row, "source")));
        fprintf(out, "%s\n", json_string_value(json_object_get(row, "why")));
    }
    fprintf(out, "%s\n", json_is_true(json_object_get(report, "published")) ? "published" : "not published");
}

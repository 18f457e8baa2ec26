/* feature_flags.c — the known feature flags and their gates (feature_flags.h). */
#include "application/feature_flags.h"

#include <stdio.h>
#include <string.h>

#include "application/auth.h"
#include "clipforge/fmt.h"
#include "clipforge/json.h"
#include "clipforge/paths.h"
#include "infrastructure/flags_config.h"
#include "infrastructure/flags_store.h"

#define MAX_TEMPLATE_BYTES (4 * 1024 * 1024)
#define MAX_TEMPLATE_DEPTH 32

static const cf_flag_def defs[] = {
    {CF_FLAG_REMOTE_DETECTION, "on", true,
     "detections go to the inference services (CLIPFORGE_AI_URL); off, or outside the rollout (by "
     "media), they run in this process"},
    {CF_FLAG_UI_AUDIO_EVENTS, "on", false, "the web UI shows the audio-events band on the review screen"},
};

const cf_flag_def *cf_feature_flag_defs(size_t *n) {
    *n = sizeof defs / sizeof defs[0];
    return defs;
}

cf_err cf_feature_flags_open(const cf_config *cfg, cf_store *store, cf_flags **out, cf_error *err) {
    cf_flags *f = NULL;
    void *config = NULL, *stored = NULL;
    cf_err rc = cf_flags_new(defs, sizeof defs / sizeof defs[0], &f, err);
    if (rc == CF_OK) rc = cf_flags_config_open(cfg->flags, &config, err);
    if (rc == CF_OK) rc = cf_flags_add(f, cf_flags_config_methods(), config, err);
    if (rc == CF_OK && store) rc = cf_flags_store_open(store, &stored, err);
    if (rc == CF_OK && store) rc = cf_flags_add(f, cf_flags_store_methods(), stored, err);
    if (rc) {
        cf_flags_free(f);
        return rc;
    }
    *out = f;
    return CF_OK;
}

const char *cf_template_dir(const cf_config *cfg) {
    return *cfg->template_dir ? cfg->template_dir : cf_share_path("templates");
}

bool cf_template_owned_by(const json_t *t, const char *tenant) {
    const json_t *owner = json_object_get(t, "tenant");
    return !owner || (json_is_string(owner) && cf_tenant_is(json_string_value(owner), tenant));
}

bool cf_template_flag_on(cf_flags *flags, const char *tenant, const char *template_id) {
    char name[CF_FLAG_NAME_MAX + 1];
    int len = snprintf(name, sizeof name, CF_FLAG_TEMPLATE_PREFIX "%s", template_id);
    if (len < 0 || (size_t)len >= sizeof name || !cf_flag_name_valid(name))
        return true; /* no flag can name it */
    cf_flag_value v;
    cf_error err;
    cf_err rc = cf_flags_get(flags, name, &v, &err);
    if (rc == CF_ERR_NOT_FOUND) return true;
    return cf_flags_on(flags, name, tenant, NULL);
}

bool cf_template_allowed(const cf_config *cfg, cf_flags *flags, const char *tenant, const char *template_id) {
    if (!cf_template_flag_on(flags, tenant, template_id)) return false;
    char path[4096];
    if (strchr(template_id, '/') ||
        !cf_fmt(path, sizeof path, "%s/%s.json", cf_template_dir(cfg), template_id))
        return true; /* no such file: the renderer names the problem */
    cf_error err;
    json_t *t = cf_json_load_file(path, MAX_TEMPLATE_BYTES, MAX_TEMPLATE_DEPTH, &err);
    bool ok = !t || cf_template_owned_by(t, tenant);
    json_decref(t);
    return ok;
}

cf_err cf_feature_gate_job(const cf_config *cfg, cf_flags *flags, const char *tenant, const char *kind,
                           const json_t *normalized, cf_error *err) {
    if (strcmp(kind, "render") && strcmp(kind, "autoclip")) return CF_OK;
    const char *id = json_string_value(json_object_get(normalized, "template_id"));
    if (!id || cf_template_allowed(cfg, flags, tenant, id)) return CF_OK;
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "template_id: unknown template '%s'", id);
}

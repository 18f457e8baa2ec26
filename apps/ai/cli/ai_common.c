/* ai_common.c — models directory and feature tracks for the AI commands. */
#include "cli/ai_common.h"

#include <stdlib.h>

#include "clipforge/highlight.h"

const char *cf_ai_models_dir(const cf_config *cfg, const char *given) {
    cf_hl_paths paths = {.models_dir = given && *given ? given : cfg->highlight_models_dir};
    return cf_hl_models_dir(&paths);
}

static cf_err get_track(void *user, const cf_eval_media *m, cf_feature_track **out, cf_error *err) {
    cf_ai_tracks *t = user;
    cf_feature_options o = {.threads = t->threads, .cache_dir = t->cache_dir, .skip_loop_filter = true};
    return cf_features_extract(m->path, &o, NULL, out, err);
}

void cf_ai_tracks_init(cf_ai_tracks *t, const cf_config *cfg) {
    t->cache_dir = cf_feature_cache_dir(cfg->feature_cache_dir, cfg->data_dir);
    t->threads = (int)cfg->threads;
    t->source = (cf_track_source){.user = t, .get = get_track};
}

void cf_ai_tracks_free(cf_ai_tracks *t) { free(t->cache_dir); }

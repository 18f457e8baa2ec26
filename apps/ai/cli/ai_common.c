/* ai_common.c — models directory and feature tracks for the AI commands. */
#include "cli/ai_common.h"

#include <stdlib.h>
#include <string.h>

#include "application/app.h"
#include "clipforge/highlight.h"

const char *cf_ai_models_dir(const cf_config *cfg, const char *given) {
    cf_hl_paths paths = {.models_dir = given && *given ? given : cfg->highlight_models_dir};
    return cf_hl_models_dir(&paths);
}

static cf_err get_track(void *user, const cf_eval_media *m, cf_feature_track **out, cf_error *err) {
    cf_ai_tracks *t = user;
    cf_feature_options o = {.threads = t->threads,
                            .cache_dir = t->cache_dir,
                            .skip_loop_filter = true,
                            .models_dir = t->models_dir};
    json_t *meta = json_pack("{s:s}", "media_name", m->name);
    cf_err rc = cf_feature_store_extract(t->store, m->path, &o, meta, NULL, out, NULL, err);
    json_decref(meta);
    return rc;
}

cf_err cf_ai_tracks_open(cf_ai_tracks *t, const cf_config *cfg, cf_error *err) {
    memset(t, 0, sizeof *t);
    t->cache_dir = cf_feature_cache_dir(cfg->feature_cache_dir, cfg->data_dir);
    t->threads = (int)cfg->threads;
    t->models_dir = cf_ai_models_dir(cfg, NULL);
    t->source = (cf_track_source){.user = t, .get = get_track};
    cf_err rc = t->cache_dir ? cf_app_open_storage(cfg, &t->storage, err) : CF_OK;
    if (!rc && t->storage) rc = cf_feature_store_open(t->storage, t->cache_dir, &t->store, err);
    if (rc) cf_ai_tracks_close(t);
    return rc;
}

void cf_ai_tracks_close(cf_ai_tracks *t) {
    cf_feature_store_free(t->store);
    cf_storage_close(t->storage);
    free(t->cache_dir);
    t->store = NULL, t->storage = NULL, t->cache_dir = NULL;
}

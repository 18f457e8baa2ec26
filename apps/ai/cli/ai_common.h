/* ai_common.h — what the AI commands share: the models directory a command works on and where
 * feature tracks come from. */
#ifndef CLIPFORGE_AI_COMMON_H
#define CLIPFORGE_AI_COMMON_H

#include "clipforge/config.h"
#include "clipforge/storage.h"
#include "features/feature_store.h"
#include "training/evaluate.h"

/* The registry directory: given (a --models-dir flag), else CLIPFORGE_HIGHLIGHT_MODELS_DIR, else
 * the source tree's apps/ai/models. Borrowed from cfg or given. */
const char *cf_ai_models_dir(const cf_config *cfg, const char *given);

/* Feature tracks from the feature store in the configured storage (decoded and stored on a
 * miss); without a feature cache (CLIPFORGE_FEATURE_CACHE_DIR=off) decoded every time. */
typedef struct cf_ai_tracks {
    cf_track_source source;
    cf_storage *storage;
    cf_feature_store *store;
    char *cache_dir;
    const char *models_dir; /* where the audio-events model comes from */
    int threads;
} cf_ai_tracks;
cf_err cf_ai_tracks_open(cf_ai_tracks *t, const cf_config *cfg, cf_error *err);
void cf_ai_tracks_close(cf_ai_tracks *t);

#endif

/* ai_common.h — what the AI commands share: the models directory a command works on and where
 * feature tracks come from. */
#ifndef CLIPFORGE_AI_COMMON_H
#define CLIPFORGE_AI_COMMON_H

#include "clipforge/config.h"
#include "training/evaluate.h"

/* The registry directory: given (a --models-dir flag), else CLIPFORGE_HIGHLIGHT_MODELS_DIR, else
 * the source tree's apps/ai/models. Borrowed from cfg or given. */
const char *cf_ai_models_dir(const cf_config *cfg, const char *given);

/* Feature tracks decoded in this process and cached under the configured feature cache. */
typedef struct cf_ai_tracks {
    cf_track_source source;
    char *cache_dir;
    int threads;
} cf_ai_tracks;
void cf_ai_tracks_init(cf_ai_tracks *t, const cf_config *cfg);
void cf_ai_tracks_free(cf_ai_tracks *t);

#endif

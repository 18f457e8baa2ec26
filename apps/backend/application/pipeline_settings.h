/* pipeline_settings.h — hands the pipelines their settings from the config table, once, at
 * startup: the pipelines read no environment, so this is where CLIPFORGE_TEMPLATE_DIR,
 * CLIPFORGE_HIGHLIGHT_*, CLIPFORGE_AUDIO_EVENTS_MODEL_VERSION and CLIPFORGE_POCKETSPHINX_* reach them,
 * and where rendering gets its webhook adapter (infrastructure/webhook_http.c). */
#ifndef CLIPFORGE_PIPELINE_SETTINGS_H
#define CLIPFORGE_PIPELINE_SETTINGS_H

#include "clipforge/config.h"
#include "clipforge/error.h"

/* Gives each pipeline package its settings from cfg (copied). Call before any work starts: the
 * pipelines read them without a lock. CF_ERR_NO_MEMORY. */
cf_err cf_pipelines_configure(const cf_config *cfg, cf_error *err);

#endif

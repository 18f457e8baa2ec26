/* render_settings.h — the settings the app gave the pipeline (cf_render_configure). */
#ifndef CLIPFORGE_RENDER_SETTINGS_H
#define CLIPFORGE_RENDER_SETTINGS_H

#include "clipforge/render.h"

/* The configured webhook adapter, or NULL. */
const cf_render_webhook *render_webhook(void);
/* The configured data directory, or NULL; encoder threads (0 = auto). */
const char *render_data_dir(void);
int render_threads(void);

#endif

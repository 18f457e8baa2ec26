/* render_settings.h — the settings the app gave the pipeline (cf_render_configure). */
#ifndef CLIPFORGE_RENDER_SETTINGS_H
#define CLIPFORGE_RENDER_SETTINGS_H

#include "clipforge/render.h"

/* The configured webhook adapter, or NULL. */
const cf_render_webhook *cf_render_setting_webhook(void);
/* The configured data directory, or NULL; encoder threads (0 = auto). */
const char *cf_render_setting_data_dir(void);
int cf_render_setting_threads(void);

#endif

/* render_settings.c — the pipeline's settings, given once by the app at startup: the template
 * directory (CLIPFORGE_TEMPLATE_DIR), the service's data directory and threads, the webhook
 * adapter. */
#include "render_settings.h"

#include <stdlib.h>

#include "clipforge/config.h"
#include "clipforge/paths.h"

/* Written once at startup (cf_render_configure), read-only while renders run. */
static char *g_template_dir, *g_data_dir;
static int g_threads;
static const cf_render_webhook *g_webhook;

cf_err cf_render_configure(const cf_render_settings *s, cf_error *err) {
    cf_render_settings none = {0};
    if (!s) s = &none;
    cf_err rc = cf_config_keep(&g_template_dir, s->template_dir, err);
    if (!rc) rc = cf_config_keep(&g_data_dir, s->data_dir, err);
    if (!rc) g_threads = s->threads, g_webhook = s->webhook;
    return rc;
}

const char *cf_render_template_dir(void) {
    return g_template_dir ? g_template_dir : cf_share_path("templates");
}

const cf_render_webhook *cf_render_setting_webhook(void) {
    return g_webhook;
}

const char *cf_render_setting_data_dir(void) {
    return g_data_dir;
}

int cf_render_setting_threads(void) {
    return g_threads;
}

/* render_settings.c — the pipeline's settings, given once by the app at startup: the template
 * directory (CLIPFORGE_TEMPLATE_DIR) and the webhook adapter. */
#include "render_settings.h"

#include <stdlib.h>

#include "clipforge/config.h"
#include "clipforge/paths.h"

/* Written once at startup (cf_render_configure), read-only while renders run. */
static char *g_template_dir;
static const cf_render_webhook *g_webhook;

cf_err cf_render_configure(const cf_render_settings *s, cf_error *err) {
    cf_err rc = cf_config_keep(&g_template_dir, s ? s->template_dir : NULL, err);
    if (!rc) g_webhook = s ? s->webhook : NULL;
    return rc;
}

const char *cf_render_template_dir(void) {
    return g_template_dir ? g_template_dir : cf_share_path("templates");
}

const cf_render_webhook *render_webhook(void) {
    return g_webhook;
}

/* feature_flags.h — the feature flags of clipforge: the known ones (what each gates, its
 * default and its subject), the stack every process reads them through (store over
 * CLIPFORGE_FLAGS over the defaults), and the gates that read them. See "Feature flags" in
 * docs/architecture.md. */
#ifndef CLIPFORGE_FEATURE_FLAGS_H
#define CLIPFORGE_FEATURE_FLAGS_H

#include <jansson.h>
#include <stdbool.h>

#include "clipforge/config.h"
#include "clipforge/flags.h"
#include "clipforge/store.h"

/* Detections of a tenant's media go to the inference services (CLIPFORGE_AI_URL); off, or
 * outside its rollout (by media), they run in this process. */
#define CF_FLAG_REMOTE_DETECTION "highlight.remote"
/* The web UI shows the audio-events band on the review screen. */
#define CF_FLAG_UI_AUDIO_EVENTS "ui.audio-events"
/* "template.<id>": template <id> is listed by GET /v1/templates and accepted by render jobs
 * for tenants it is on for; a template no flag names is for everyone. */
#define CF_FLAG_TEMPLATE_PREFIX "template."

/* The known flags (static). */
const cf_flag_def *cf_feature_flag_defs(size_t *n);
/* The flags as cfg (CLIPFORGE_FLAGS) and store (may be NULL: config and defaults only) set
 * them. Free with cf_flags_free; store must outlive it. CF_ERR_INVALID_ARGUMENT for a malformed
 * CLIPFORGE_FLAGS. */
cf_err cf_feature_flags_open(const cf_config *cfg, cf_store *store, cf_flags **out, cf_error *err);
/* The template directory: CLIPFORGE_TEMPLATE_DIR, else the installed one (static or cfg's). */
const char *cf_template_dir(const cf_config *cfg);
/* Whether template file t (its JSON) is tenant's to use: a template is everyone's unless its
 * "tenant" member names the one tenant it belongs to. */
bool cf_template_owned_by(const json_t *t, const char *tenant);
/* Whether the flag "template.<id>" lets tenant have the template (no flag names it: yes). */
bool cf_template_flag_on(cf_flags *flags, const char *tenant, const char *template_id);
/* Whether template_id is offered to tenant: its "template.<id>" flag is on for tenant (or no
 * flag names it) and the template is everyone's or tenant's own (cf_template_owned_by; a
 * template id that names no readable file is left to the renderer to refuse). To a tenant it
 * is not offered to, a template is as unknown as one that does not exist. */
bool cf_template_allowed(const cf_config *cfg, cf_flags *flags, const char *tenant, const char *template_id);
/* The gates on a job request before it is stored: a render naming a template the tenant may
 * not use is refused (CF_ERR_INVALID_ARGUMENT naming template_id). normalized is the kind's
 * validated request. */
cf_err cf_feature_gate_job(const cf_config *cfg, cf_flags *flags, const char *tenant, const char *kind,
                           const json_t *normalized, cf_error *err);

#endif

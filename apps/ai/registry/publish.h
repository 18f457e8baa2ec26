/* publish.h — publishing a model version: it becomes the default of its profiles only when it
 * beats the version that serves them now. The comparison is either measured now on a held-out
 * evaluation set (eval_set), or the one `clipforge train` recorded in the model's metrics
 * (cross-validation by media against its base), valid only when that base is the current
 * default. A refusal is CF_ERR_CONFLICT with the report saying why; force skips the gate. */
#ifndef CLIPFORGE_AI_PUBLISH_H
#define CLIPFORGE_AI_PUBLISH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "registry/model_registry.h"
#include "training/evaluate.h"

typedef struct cf_publish_options {
    const char *kind, *version;
    const char *const *profiles; /* n_profiles of them; none = every profile the model serves */
    size_t n_profiles;
    const char *eval_set;          /* a directory of media + labels to compare on, or NULL */
    const cf_track_source *tracks; /* features of the set's media (with eval_set) */
    bool force;
} cf_publish_options;

/* The version serving profile when nothing pins or splits it: the default of the profile, of
 * "*", else the kind's first built-in version (heuristic); "" when the kind has none. */
const char *cf_publish_current_default(const cf_model_registry *r, const char *kind, const char *profile);

/* Compares, and publishes when the version wins everywhere (or force). *report (new reference,
 * also on failure when the comparison ran): {kind, version, published, profiles: [{profile,
 * current, source, candidate, baseline, beats, why}]}. */
cf_err cf_model_publish(const char *models_dir, const cf_publish_options *o, json_t **report, cf_error *err);
/* Prints the report as text. */
void cf_publish_report_print(const json_t *report, FILE *out);

/* The headline metric of an evaluation ({"f1", "ap", ...}): F1, then AP on a tie. True when a
 * beats b. */
bool cf_metrics_beat(const json_t *a, const json_t *b);

#endif

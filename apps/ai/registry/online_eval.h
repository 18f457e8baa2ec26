/* online_eval.h — online evaluation: how each model version fares with reviewers. Every review
 * label (accept or reject, with the span as the reviewer left it and as the detector proposed
 * it) is joined to the version that proposed the span and folded into per-version counts:
 * labels, accepted, rejected, acceptance rate, and boundary corrections (labels whose start or
 * end the reviewer moved, and by how much on average).
 *
 * Labels arrive at least once (bus deliveries); folding is idempotent by label id. With a
 * storage, each label is also recorded as an object ai/labels/<version>/<id>.<a|r>.<ds|x>.<de|x>
 * (ds/de: how far the reviewer moved start and end, ms; x: not known), so a restarted service,
 * or another one sharing the storage, rebuilds the counts from one listing. */
#ifndef CLIPFORGE_AI_ONLINE_EVAL_H
#define CLIPFORGE_AI_ONLINE_EVAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "clipforge/storage.h"

typedef struct cf_online_eval cf_online_eval;

/* Counts rebuilt from storage (borrowed, may be NULL: in memory only). */
cf_err cf_online_eval_open(cf_storage *storage, cf_online_eval **out, cf_error *err);
void cf_online_eval_free(cf_online_eval *ev);
/* Re-reads the listing (labels recorded by other processes sharing the storage). */
cf_err cf_online_eval_refresh(cf_online_eval *ev, cf_error *err);
/* Folds one Label document (id, verdict, start/end, detected_*, model_version). *added is false
 * when the label was already counted. Thread-safe. */
cf_err cf_online_eval_add(cf_online_eval *ev, const json_t *label, bool *added, cf_error *err);
/* {version: {labels, accepted, rejected, acceptance_rate, corrected, correction_rate,
 * mean_start_shift_ms, mean_end_shift_ms}}; versions without a label are absent. */
json_t *cf_online_eval_json(cf_online_eval *ev);
/* Prometheus lines: clipforge_model_labels_total{version,verdict}, clipforge_model_acceptance_rate,
 * clipforge_model_boundary_corrections_total, clipforge_model_boundary_shift_ms{edge}. */
void cf_online_eval_metrics(cf_online_eval *ev, FILE *out);

#endif

/* ai_events.h — the backend's side of the AI workspace's events on the bus. Out: every review
 * label, joined to the model version that proposed its span, on ai-labels (the inference
 * services fold them into online evaluation). In: what inference services announce on ai-models
 * (ServiceStarted, ModelLoaded, ModelPublished), logged and counted for /metrics with the last
 * word of each service. */
#ifndef CLIPFORGE_AI_EVENTS_H
#define CLIPFORGE_AI_EVENTS_H

#include <jansson.h>
#include <stdio.h>

#include "clipforge/bus.h"
#include "clipforge/store.h"

/* Topic names every bus backend takes (NATS stream names allow no dots). */
#define CF_TOPIC_AI_LABELS "ai-labels"
#define CF_TOPIC_AI_MODELS "ai-models"

typedef struct cf_ai_events cf_ai_events;

/* Starts the ai-models consumer (group "backend") on bus (borrowed). */
cf_err cf_ai_events_start(cf_bus *bus, cf_ai_events **out, cf_error *err);
/* Stops and joins the consumer. NULL-safe. */
void cf_ai_events_stop(cf_ai_events *e);
void cf_ai_events_metrics(cf_ai_events *e, FILE *out);

/* Fills label's model_version, when it has none, from the result of the detection job that
 * proposed the span (its job_id): labels are joined to the version at the source. */
void cf_ai_label_join_version(cf_store *store, json_t *label);
/* Publishes label on ai-labels. */
cf_err cf_ai_events_publish_label(cf_bus *bus, const json_t *label, cf_error *err);

#endif

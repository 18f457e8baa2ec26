/* ai_service.h — `clipforge ai serve`, the inference service: highlight detection over media
 * it reads by HTTP byte ranges from signed URLs (never from the backend's disk), with the model
 * registry, warm engines, the shared feature store and online evaluation.
 *
 * REST (application/json, errors application/problem+json):
 *   POST /v1/detect   HighlightDetectionRequest (media_uri = a signed http(s) URL) ->
 *                     HighlightDetectionResult; with "Accept: application/x-ndjson" the answer
 *                     streams: {"progress", "stage"} lines at least every second, then
 *                     {"result": ...} or {"error": problem}. A client that goes away cancels.
 *   POST /v1/warm     {"model_version"}: load it into the engines before traffic
 *   GET  /v1/models   the registry: versions, metadata, roles, loaded, online evaluation
 *   GET  /healthz     the process answers;  GET /readyz  registry readable, storage and bus up
 *   GET  /metrics     Prometheus text
 * Bus: consumes ai-labels (review labels -> online evaluation) and ai-models (a version
 * published elsewhere is warmed here); publishes ai-models (ServiceStarted, ModelLoaded).
 * Settings: CLIPFORGE_AI_LISTEN, CLIPFORGE_AI_MAX_INFLIGHT, CLIPFORGE_HIGHLIGHT_MODELS_DIR,
 * CLIPFORGE_STORAGE_URL, CLIPFORGE_BUS_URL, CLIPFORGE_FEATURE_CACHE_DIR, CLIPFORGE_THREADS. */
#ifndef CLIPFORGE_AI_SERVICE_H
#define CLIPFORGE_AI_SERVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "application/ai_events.h" /* the topics */
#include "clipforge/bus.h"
#include "clipforge/config.h"
#include "clipforge/domain/types.h"
#include "clipforge/highlight.h"
#include "clipforge/storage.h"
#include "features/feature_store.h"
#include "registry/online_eval.h"

typedef struct cf_ai_tasks cf_ai_tasks;
typedef struct cf_http_server cf_http_server;

typedef struct cf_ai_service {
    const cf_config *cfg; /* borrowed */
    char *models_dir;
    char *cache_dir; /* content-hash memo; NULL = no feature store */
    char instance[48];
    char listen[256];
    cf_storage *storage;
    cf_feature_store *features; /* NULL without a feature cache */
    cf_bus *bus;
    cf_online_eval *eval;
    cf_hl_registry *engines;      /* warm engines shared by every detection */
    pthread_mutex_t engines_lock; /* guards engines and loaded */
    json_t *loaded;               /* versions warmed: version -> engine */
    int max_inflight;
    atomic_int inflight;
    atomic_long detections_ok, detections_failed, refused_busy, media_bytes, media_requests;
    pthread_t label_consumer, model_consumer;
    bool consumers_started;
    atomic_bool stopping;
    cf_ai_tasks *tasks;
    cf_http_server *http;
} cf_ai_service;

/* Opens everything from cfg (borrowed until close) and starts listening on cfg's
 * CLIPFORGE_AI_LISTEN (port 0 picks one; *port is what was bound). */
cf_err cf_ai_service_start(const cf_config *cfg, const char *models_dir, cf_ai_service **out, int *port,
                           cf_error *err);
/* Stops accepting, cancels detections in flight (their clients get an error), stops the bus
 * consumers, closes everything. NULL-safe. */
void cf_ai_service_stop(cf_ai_service *svc);

/* One detection as the service runs it (any thread): assignment by the registry, features from
 * the store by media_sha256 or over HTTP ranges from media_uri, the warm engines. */
cf_err cf_ai_service_detect(cf_ai_service *svc, cf_highlight_detection_request *req, cf_progress *progress,
                            cf_highlight_detection_result *out, cf_error *err);
/* Loads version into the engines; publishes ModelLoaded. */
cf_err cf_ai_service_warm(cf_ai_service *svc, const char *version, const char **engine, cf_error *err);
/* Records that engine has version in memory (a detection loaded it on demand): listed as loaded,
 * ModelLoaded published the first time. Takes engines_lock. */
void cf_ai_service_note_loaded(cf_ai_service *svc, const char *version, const char *engine);
/* Publishes an ai-models event {"type", ...fields} (best effort: logged on failure). */
void cf_ai_service_announce(cf_ai_service *svc, const char *type, json_t *fields /* stolen */);

/* Detection tasks that outlive a request handler call (detect_tasks.c). */
cf_err cf_ai_tasks_start(cf_ai_service *svc, cf_ai_tasks **out, cf_error *err);
/* Cancels every task and waits for their threads (requests still hold them). */
void cf_ai_tasks_stop(cf_ai_tasks *t);
/* After the HTTP server stopped (every request released its task). NULL-safe. */
void cf_ai_tasks_free(cf_ai_tasks *t);

#endif

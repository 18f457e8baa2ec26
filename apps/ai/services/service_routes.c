/* service_routes.c — the inference service's routes but /v1/detect: warm, models, health,
 * readiness, metrics; and the route table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/metrics.h"
#include "registry/model_registry.h"
#include "services/ai_service.h"
#include "services/routes.h"

static enum MHD_Result warm(cf_http_request *req) {
    const char *version = json_string_value(json_object_get(req->json, "model_version"));
    if (!version || !*version || strlen(version) >= CF_MODEL_VERSION_MAX)
        return cf_http_reply_problem(req, "validation", "model_version: required, a version name");
    const char *engine = NULL;
    cf_error err;
    if (cf_ai_service_warm(req->user, version, &engine, &err)) return cf_http_reply_error(req, &err);
    return cf_http_reply_json(req, 200, json_pack("{s:s, s:s}", "model_version", version, "engine", engine));
}

/* True when a result's version v is e's: results of a built-in version name its profile's
 * variant (heuristic-2). */
static bool is_version_of(const cf_model_entry *e, const char *v) {
    size_t n = strlen(e->version);
    return !strcmp(v, e->version) || (!e->path && !strncmp(v, e->version, n) && v[n] == '-');
}

/* One version of the registry as /v1/models shows it. */
static json_t *model_json(cf_ai_service *svc, const cf_model_registry *r, const cf_model_entry *e,
                          const json_t *online) {
    json_t *o = json_pack("{s:s, s:s, s:b}", "kind", e->kind->name, "version", e->version, "builtin",
                          e->path == NULL);
    json_t *meta = cf_model_metadata(e);
    json_object_update(o, meta);
    json_decref(meta);
    if (e->problem) json_object_set_new(o, "problem", json_string(e->problem));
    json_object_set_new(o, "roles", cf_model_registry_roles(r, e->kind->name, e->version));
    const char *v;
    json_t *value;
    bool loaded = false;
    pthread_mutex_lock(&svc->engines_lock);
    json_object_foreach(svc->loaded, v, value) loaded = loaded || is_version_of(e, v);
    pthread_mutex_unlock(&svc->engines_lock);
    json_object_set_new(o, "loaded", json_boolean(loaded));
    /* reviews of a built-in version are recorded under what its results say (heuristic-2) */
    json_t *mine = json_object();
    json_object_foreach((json_t *)online, v, value) {
        if (is_version_of(e, v)) json_object_set(mine, v, value);
    }
    json_object_set_new(o, "online", mine);
    return o;
}

static enum MHD_Result models(cf_http_request *req) {
    cf_ai_service *svc = req->user;
    cf_model_registry *r = NULL;
    cf_error err;
    if (cf_model_registry_open(svc->models_dir, &r, &err)) return cf_http_reply_error(req, &err);
    cf_error ignored;
    cf_online_eval_refresh(svc->eval, &ignored); /* labels recorded by other instances */
    json_t *online = cf_online_eval_json(svc->eval), *list = json_array(), *assignment = json_object();
    for (size_t i = 0; i < r->n_models; i++)
        json_array_append_new(list, model_json(svc, r, &r->models[i], online));
    size_t n = 0;
    const cf_model_kind *kinds = cf_model_kinds(&n);
    for (size_t i = 0; i < n; i++) {
        const json_t *a = cf_model_registry_assignment(r, kinds[i].name);
        json_object_set_new(assignment, kinds[i].name, a ? json_deep_copy(a) : json_object());
    }
    cf_model_registry_free(r);
    return cf_http_reply_json(req, 200,
                              json_pack("{s:s, s:s, s:o, s:o, s:o}", "instance", svc->instance, "models_dir",
                                        svc->models_dir, "models", list, "assignment", assignment, "online",
                                        online));
}

static enum MHD_Result healthz(cf_http_request *req) {
    cf_ai_service *svc = req->user;
    return cf_http_reply_json(req, 200, json_pack("{s:s, s:s}", "status", "ok", "instance", svc->instance));
}

static enum MHD_Result readyz(cf_http_request *req) {
    cf_ai_service *svc = req->user;
    cf_model_registry *r = NULL;
    cf_error err;
    if (cf_model_registry_open(svc->models_dir, &r, &err))
        return cf_http_reply_problem(req, "unavailable", err.msg);
    size_t n = r->n_models;
    cf_model_registry_free(r);
    if (atomic_load(&svc->stopping)) return cf_http_reply_problem(req, "unavailable", "stopping");
    pthread_mutex_lock(&svc->engines_lock);
    json_t *loaded = json_deep_copy(svc->loaded);
    pthread_mutex_unlock(&svc->engines_lock);
    return cf_http_reply_json(req, 200,
                              json_pack("{s:s, s:I, s:o, s:i, s:i}", "status", "ready", "models",
                                        (json_int_t)n, "loaded", loaded, "inflight",
                                        atomic_load(&svc->inflight), "max_inflight", svc->max_inflight));
}

static void counter(FILE *f, const char *name, const char *help, long value) {
    fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %ld\n", name, help, name, name, value);
}

static enum MHD_Result metrics(cf_http_request *req) {
    cf_ai_service *svc = req->user;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return cf_http_reply_problem(req, "internal", "out of memory");
    fprintf(f,
            "# HELP clipforge_ai_detections_total Detections the service ran, by outcome.\n"
            "# TYPE clipforge_ai_detections_total counter\n"
            "clipforge_ai_detections_total{outcome=\"ok\"} %ld\n"
            "clipforge_ai_detections_total{outcome=\"failed\"} %ld\n"
            "clipforge_ai_detections_total{outcome=\"busy\"} %ld\n",
            atomic_load(&svc->detections_ok), atomic_load(&svc->detections_failed),
            atomic_load(&svc->refused_busy));
    fprintf(f,
            "# HELP clipforge_ai_inflight Detections running now.\n# TYPE clipforge_ai_inflight gauge\n"
            "clipforge_ai_inflight %d\n",
            atomic_load(&svc->inflight));
    counter(f, "clipforge_ai_media_bytes_total", "Media bytes read over HTTP ranges.",
            atomic_load(&svc->media_bytes));
    counter(f, "clipforge_ai_media_requests_total", "Range requests made for media.",
            atomic_load(&svc->media_requests));
    if (svc->features) {
        counter(f, "clipforge_feature_store_hits_total", "Feature tracks found in the store.",
                atomic_load(&svc->features->hits));
        counter(f, "clipforge_feature_store_misses_total", "Feature tracks not in the store.",
                atomic_load(&svc->features->misses));
        counter(f, "clipforge_feature_store_puts_total", "Feature tracks stored.",
                atomic_load(&svc->features->puts));
    }
    cf_error ignored;
    cf_online_eval_refresh(svc->eval, &ignored);
    cf_online_eval_metrics(svc->eval, f);
    cf_metrics_registry_write(f, false); /* storage, engines, HTTP: what the process records */
    fclose(f);
    enum MHD_Result ok = cf_http_reply_text(req, 200, "text/plain; version=0.0.4", text, len);
    free(text);
    return ok;
}

static const cf_route routes[] = {
    {"POST", "/v1/detect", CF_BODY_JSON, cf_ai_route_detect, NULL, NULL,
     "Detect highlights in media read from a signed URL", CF_ACCESS_BY_METHOD},
    {"POST", "/v1/warm", CF_BODY_JSON, warm, NULL, NULL, "Load a model version before traffic",
     CF_ACCESS_BY_METHOD},
    {"GET", "/v1/models", CF_BODY_NONE, models, NULL, NULL, "The model registry and online evaluation",
     CF_ACCESS_BY_METHOD},
    {"GET", "/healthz", CF_BODY_NONE, healthz, NULL, NULL, "Liveness", CF_ACCESS_BY_METHOD},
    {"GET", "/readyz", CF_BODY_NONE, readyz, NULL, NULL, "Readiness", CF_ACCESS_BY_METHOD},
    {"GET", "/metrics", CF_BODY_NONE, metrics, NULL, NULL, "Prometheus metrics", CF_ACCESS_BY_METHOD},
};

const cf_route *cf_ai_service_routes(size_t *n) {
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

/* ai_service.c — the inference service's lifecycle (see ai_service.h): opening storage, the
 * feature store, online evaluation, the bus and the warm engines; the bus consumers; warming and
 * announcing models; an orderly stop. */
#include "services/ai_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/http_server.h"
#include "application/app.h"
#include "clipforge/fmt.h"
#include "clipforge/log.h"
#include "infrastructure/backends.h"
#include "registry/model_registry.h"
#include "services/routes.h"

static void iso_now(char *buf, size_t cap) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cf_ai_service_announce(cf_ai_service *svc, const char *type, json_t *fields) {
    char at[32];
    iso_now(at, sizeof at);
    json_t *e = json_pack("{s:s, s:s, s:s, s:s}", "type", type, "instance", svc->instance, "listen",
                          svc->listen, "at", at);
    if (fields) json_object_update(e, fields);
    json_decref(fields);
    char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    cf_error err;
    if (text && cf_bus_publish(svc->bus, CF_TOPIC_AI_MODELS, text, &err))
        cf_log_warn("ai", "cannot announce %s: %s", type, err.msg);
    free(text);
}

void cf_ai_service_note_loaded(cf_ai_service *svc, const char *version, const char *engine) {
    if (!version || !engine) return;
    pthread_mutex_lock(&svc->engines_lock);
    bool fresh = !json_object_get(svc->loaded, version);
    if (fresh) json_object_set_new(svc->loaded, version, json_string(engine));
    pthread_mutex_unlock(&svc->engines_lock);
    if (!fresh) return;
    cf_log_info("ai", "model %s loaded (%s engine)", version, engine);
    cf_ai_service_announce(
        svc, "ModelLoaded",
        json_pack("{s:s, s:s, s:s}", "kind", "highlight", "version", version, "engine", engine));
}

cf_err cf_ai_service_warm(cf_ai_service *svc, const char *version, const char **engine, cf_error *err) {
    pthread_mutex_lock(&svc->engines_lock);
    const char *name = NULL;
    cf_err rc = cf_hl_registry_warm(svc->engines, version, &name, err);
    pthread_mutex_unlock(&svc->engines_lock);
    if (rc) return rc;
    cf_ai_service_note_loaded(svc, version, name);
    if (engine) *engine = name; /* a static engine name */
    return CF_OK;
}

/* Warms every version the registry assigns (defaults, pins, split arms) before traffic. */
static void warm_assigned(cf_ai_service *svc) {
    cf_model_registry *r = NULL;
    cf_error err;
    if (cf_model_registry_open(svc->models_dir, &r, &err)) {
        cf_log_warn("ai", "registry %s: %s", svc->models_dir, err.msg);
        return;
    }
    for (size_t i = 0; i < r->n_models; i++) {
        const cf_model_entry *e = &r->models[i];
        json_t *roles = cf_model_registry_roles(r, e->kind->name, e->version);
        bool used = json_array_size(json_object_get(roles, "default_for")) ||
                    json_array_size(json_object_get(roles, "pinned")) ||
                    json_object_size(json_object_get(roles, "splits"));
        json_decref(roles);
        if (used && !strcmp(e->kind->name, "highlight") && cf_ai_service_warm(svc, e->version, NULL, &err))
            cf_log_warn("ai", "cannot warm %s: %s", e->version, err.msg);
    }
    cf_model_registry_free(r);
}

/* ---- bus consumers ------------------------------------------------------------------------- */

typedef void (*message_fn)(cf_ai_service *svc, const json_t *msg);

static void on_label(cf_ai_service *svc, const json_t *label) {
    bool added = false;
    cf_error err;
    if (cf_online_eval_add(svc->eval, label, &added, &err)) cf_log_warn("ai", "label: %s", err.msg);
    else if (added) cf_log_debug("ai", "label %s counted", json_string_value(json_object_get(label, "id")));
}

static void on_model_event(cf_ai_service *svc, const json_t *e) {
    const char *type = json_string_value(json_object_get(e, "type"));
    const char *kind = json_string_value(json_object_get(e, "kind"));
    const char *version = json_string_value(json_object_get(e, "version"));
    if (!type || strcmp(type, "ModelPublished") || !version || (kind && strcmp(kind, "highlight"))) return;
    cf_error err;
    if (cf_ai_service_warm(svc, version, NULL, &err))
        cf_log_warn("ai", "published model %s cannot be loaded: %s", version, err.msg);
}

typedef struct consumer {
    cf_ai_service *svc;
    const char *topic;
    char group[96];
    message_fn fn;
} consumer;

static void *consume(void *arg) {
    consumer *c = arg;
    cf_ai_service *svc = c->svc;
    while (!atomic_load(&svc->stopping)) {
        cf_bus_message m = {0};
        cf_error err;
        cf_err rc = cf_bus_receive(svc->bus, c->topic, c->group, 500, &m, &err);
        if (rc == CF_ERR_TIMEOUT) continue;
        if (rc == CF_ERR_UNAVAILABLE) break;
        if (rc) {
            cf_log_warn("ai", "bus %s: %s", c->topic, err.msg);
            sleep(1);
            continue;
        }
        json_t *j = json_loads(m.payload, 0, NULL);
        if (j) c->fn(svc, j);
        else cf_log_warn("ai", "bus %s: a message that is not JSON, dropped", c->topic);
        json_decref(j);
        if (cf_bus_ack(svc->bus, &m, &err)) cf_log_warn("ai", "bus ack: %s", err.msg);
        cf_bus_message_free(&m);
    }
    free(c);
    return NULL;
}

static cf_err start_consumer(cf_ai_service *svc, const char *topic, const char *group, message_fn fn,
                             pthread_t *th, cf_error *err) {
    consumer *c = calloc(1, sizeof *c);
    if (!c) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    *c = (consumer){.svc = svc, .topic = topic, .fn = fn};
    snprintf(c->group, sizeof c->group, "%s", group);
    cf_err rc = cf_bus_subscribe(svc->bus, topic, c->group, err);
    if (!rc && pthread_create(th, NULL, consume, c) != 0)
        rc = cf_error_set(err, CF_ERR_INTERNAL, "cannot start the %s consumer", topic);
    if (rc) free(c);
    return rc;
}

/* Labels are counted once among all instances (one group, the counts recorded in the shared
 * storage); every instance hears of published models (a group of its own). */
static cf_err start_consumers(cf_ai_service *svc, cf_error *err) {
    char group[96];
    snprintf(group, sizeof group, "ai-serve-%.80s", svc->listen);
    for (char *p = group; *p; p++) /* names every bus takes (NATS: no dots) */
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
            *p = '_';
    cf_err rc = start_consumer(svc, CF_TOPIC_AI_LABELS, "ai-eval", on_label, &svc->label_consumer, err);
    if (!rc) rc = start_consumer(svc, CF_TOPIC_AI_MODELS, group, on_model_event, &svc->model_consumer, err);
    if (rc && svc->label_consumer) {
        atomic_store(&svc->stopping, true);
        cf_bus_shutdown(svc->bus);
        pthread_join(svc->label_consumer, NULL);
        return rc;
    }
    svc->consumers_started = !rc;
    return rc;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static cf_err open_parts(cf_ai_service *svc, cf_error *err) {
    cf_err rc = cf_app_open_storage(svc->cfg, &svc->storage, err);
    if (!rc && svc->cache_dir) rc = cf_feature_store_open(svc->storage, svc->cache_dir, &svc->features, err);
    if (!rc) rc = cf_online_eval_open(svc->storage, &svc->eval, err);
    if (!rc) rc = cf_bus_open(svc->cfg->bus_url, &svc->bus, err);
    cf_hl_paths paths = {.profiles_dir = svc->cfg->highlight_profiles_dir, .models_dir = svc->models_dir};
    if (!rc) rc = cf_hl_registry_new(&paths, &svc->engines, err);
    if (!rc) rc = cf_ai_tasks_start(svc, &svc->tasks, err);
    return rc;
}

static cf_err listen_http(cf_ai_service *svc, int *port, cf_error *err) {
    size_t n = 0;
    const cf_route *routes = cf_ai_service_routes(&n);
    cf_http_site site = {.routes = routes, .n_routes = n, .cfg = svc->cfg, .user = svc};
    cf_err rc =
        cf_http_server_start_site(&site, svc->cfg->ai_listen, (int)svc->cfg->http_threads, &svc->http, err);
    if (rc) return rc;
    *port = cf_http_server_port(svc->http);
    const char *colon = strrchr(svc->cfg->ai_listen, ':');
    if (!cf_fmt(svc->listen, sizeof svc->listen, "%.*s:%d", (int)(colon ? colon - svc->cfg->ai_listen : 0),
                svc->cfg->ai_listen, *port))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "listen address '%.64s...' is too long",
                            svc->cfg->ai_listen);
    return CF_OK;
}

cf_err cf_ai_service_start(const cf_config *cfg, const char *models_dir, cf_ai_service **out, int *port,
                           cf_error *err) {
    cf_backends_register();
    cf_ai_service *svc = calloc(1, sizeof *svc);
    if (svc) pthread_mutex_init(&svc->engines_lock, NULL);
    if (!svc || !(svc->models_dir = strdup(models_dir)) || !(svc->loaded = json_object())) {
        cf_ai_service_stop(svc);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    svc->cfg = cfg;
    svc->cache_dir = cf_feature_cache_dir(cfg->feature_cache_dir, cfg->data_dir);
    cf_new_id("ai_", svc->instance, sizeof svc->instance);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    svc->max_inflight = cfg->ai_max_inflight > 0 ? (int)cfg->ai_max_inflight : cores > 0 ? (int)cores : 1;
    cf_err rc = open_parts(svc, err);
    if (!rc) warm_assigned(svc);
    if (!rc) rc = listen_http(svc, port, err);
    if (!rc) rc = start_consumers(svc, err);
    if (rc) {
        cf_ai_service_stop(svc);
        return rc;
    }
    pthread_mutex_lock(&svc->engines_lock);
    json_t *loaded = json_deep_copy(svc->loaded);
    pthread_mutex_unlock(&svc->engines_lock);
    cf_ai_service_announce(svc, "ServiceStarted", json_pack("{s:o}", "loaded", loaded));
    *out = svc;
    return CF_OK;
}

void cf_ai_service_stop(cf_ai_service *svc) {
    if (!svc) return;
    atomic_store(&svc->stopping, true);
    cf_http_server_quiesce(svc->http);
    cf_ai_tasks_stop(svc->tasks);
    if (svc->bus) cf_bus_shutdown(svc->bus);
    if (svc->consumers_started) {
        pthread_join(svc->label_consumer, NULL);
        pthread_join(svc->model_consumer, NULL);
    }
    cf_http_server_stop(svc->http);
    cf_ai_tasks_free(svc->tasks);
    cf_hl_registry_free(svc->engines);
    cf_bus_close(svc->bus);
    cf_online_eval_free(svc->eval);
    cf_feature_store_free(svc->features);
    cf_storage_close(svc->storage);
    json_decref(svc->loaded);
    pthread_mutex_destroy(&svc->engines_lock);
    free(svc->cache_dir);
    free(svc->models_dir);
    free(svc);
}

/* ai_events.c — labels out, model announcements in (see ai_events.h). */
#include "application/ai_events.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/log.h"
#include "clipforge/metrics.h"

#define GROUP "backend"

struct cf_ai_events {
    cf_bus *bus;
    pthread_t thread;
    atomic_bool stop;
    cf_metric *events;    /* clipforge_ai_model_events{type} */
    pthread_mutex_t lock; /* guards services */
    json_t *services;     /* instance -> its last announcement */
};

static const char *str(const json_t *o, const char *key) {
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static void take(cf_ai_events *e, const json_t *msg) {
    const char *type = json_string_value(json_object_get(msg, "type"));
    const char *instance = json_string_value(json_object_get(msg, "instance"));
    if (!type) return;
    cf_log_info("ai-events", "%s %s%s%s", type, str(msg, "version"), instance ? " from " : "",
                instance ? instance : "");
    cf_metric_add(e->events, type, NULL, 1);
    pthread_mutex_lock(&e->lock);
    if (instance) json_object_set(e->services, instance, (json_t *)msg);
    pthread_mutex_unlock(&e->lock);
}

static void *consume(void *arg) {
    cf_ai_events *e = arg;
    while (!atomic_load(&e->stop)) {
        cf_bus_message m = {0};
        cf_error err;
        cf_err rc = cf_bus_receive(e->bus, CF_TOPIC_AI_MODELS, GROUP, 200, &m, &err);
        if (rc == CF_ERR_TIMEOUT) continue;
        if (rc == CF_ERR_UNAVAILABLE) break;
        if (rc) {
            cf_log_warn("ai-events", "%s", err.msg);
            struct timespec ts = {0, 500000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        json_t *j = json_loads(m.payload, 0, NULL);
        if (j) take(e, j);
        json_decref(j);
        cf_bus_ack(e->bus, &m, &err);
        cf_bus_message_free(&m);
    }
    return NULL;
}

cf_err cf_ai_events_start(cf_bus *bus, cf_ai_events **out, cf_error *err) {
    cf_ai_events *e = calloc(1, sizeof *e);
    if (!e) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    e->bus = bus;
    e->events = cf_metric_counter("clipforge_ai_model_events",
                                  "Announcements of inference services heard on the bus.", "type");
    e->services = json_object();
    pthread_mutex_init(&e->lock, NULL);
    cf_err rc = cf_bus_subscribe(bus, CF_TOPIC_AI_MODELS, GROUP, err);
    if (!rc && pthread_create(&e->thread, NULL, consume, e) != 0)
        rc = cf_error_set(err, CF_ERR_INTERNAL, "cannot start the ai-models consumer");
    if (rc) {
        json_decref(e->services);
        pthread_mutex_destroy(&e->lock);
        free(e);
        return rc;
    }
    *out = e;
    return CF_OK;
}

void cf_ai_events_stop(cf_ai_events *e) {
    if (!e) return;
    atomic_store(&e->stop, true);
    pthread_join(e->thread, NULL);
    json_decref(e->services);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

void cf_ai_events_metrics(cf_ai_events *e, FILE *out) {
    if (!e) return;
    pthread_mutex_lock(&e->lock);
    size_t n = json_object_size(e->services), i = 0;
    const char **names = calloc(n + 1, sizeof *names);
    double *ones = calloc(n + 1, sizeof *ones);
    const char *k;
    json_t *v;
    json_object_foreach(e->services, k, v) {
        if (names && ones) names[i] = k, ones[i++] = 1;
    }
    cf_metrics_write_gauge_set(out, "clipforge_ai_service_up", "Inference services heard on the bus.",
                               "instance", names, ones, (int)i);
    pthread_mutex_unlock(&e->lock);
    free(names);
    free(ones);
}

void cf_ai_label_join_version(cf_store *store, json_t *label) {
    const char *job_id = json_string_value(json_object_get(label, "job_id"));
    if (json_object_get(label, "model_version") || !job_id) return;
    cf_job_record j;
    cf_error err;
    if (cf_store_job_get(store, job_id, &j, &err)) return;
    json_t *result = j.result ? json_loads(j.result, 0, NULL) : NULL;
    const char *version = json_string_value(json_object_get(result, "model_version"));
    if (version && strlen(version) <= 64) json_object_set_new(label, "model_version", json_string(version));
    json_decref(result);
    cf_job_record_free(&j);
}

cf_err cf_ai_events_publish_label(cf_bus *bus, const json_t *label, cf_error *err) {
    char *text = json_dumps(label, JSON_COMPACT);
    cf_err rc = text ? cf_bus_publish(bus, CF_TOPIC_AI_LABELS, text, err)
                     : cf_error_set(err, CF_ERR_NO_MEMORY, "oom");
    free(text);
    return rc;
}

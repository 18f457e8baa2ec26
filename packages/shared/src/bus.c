/* bus.c — registry of message bus backends and the thin wrappers the core calls, which measure
 * every backend alike (clipforge_bus_operation_duration_seconds, clipforge_bus_errors_total by
 * operation and backend; receive is counted, not timed: it waits for messages by design). */
#include "clipforge/bus.h"
#include "clipforge/metrics.h"
#include "clipforge/registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static cf_registry backends = CF_REGISTRY_INIT;

cf_err cf_bus_register(const cf_bus_methods *m) {
    return cf_registry_add(&backends, m->name, m);
}

const cf_bus_methods *cf_bus_find(const char *name) {
    return cf_registry_find(&backends, name);
}

static cf_err timed(cf_bus *bus, const char *op, double t0, cf_err rc) {
    static cf_metric *dur, *errors;
    if (!dur) {
        dur = cf_metric_histogram("clipforge_bus_operation_duration_seconds",
                                  "Message bus operations by operation and backend.", "op,backend");
        errors =
            cf_metric_counter("clipforge_bus_errors", "Message bus operations that failed.", "op,backend");
    }
    if (t0 > 0) cf_metric_observe(dur, op, bus->m->name, cf_metric_now() - t0);
    /* A receive that timed out found nothing; one that is unavailable saw the shutdown. */
    bool failed = rc && rc != CF_ERR_TIMEOUT && !(t0 == 0 && rc == CF_ERR_UNAVAILABLE);
    if (failed) cf_metric_add(errors, op, bus->m->name, 1);
    return rc;
}

cf_err cf_bus_open(const char *url, cf_bus **out, cf_error *err) {
    *out = NULL;
    if (!url || !*url) url = "memory:";
    char name[32];
    cf_err src = cf_url_scheme(url, name, sizeof name, "bus", err);
    if (src) return src;
    const cf_bus_methods *m = cf_bus_find(name);
    if (!m) return cf_error_set(err, CF_ERR_UNSUPPORTED, "bus URL '%s': no backend '%s'", url, name);
    cf_bus *bus = calloc(1, sizeof *bus);
    if (!bus) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    bus->m = m;
    cf_err rc = m->open(url, &bus->self, err);
    if (rc) {
        free(bus);
        return rc;
    }
    *out = bus;
    return CF_OK;
}

void cf_bus_close(cf_bus *bus) {
    if (!bus) return;
    bus->m->close(bus->self);
    free(bus);
}

cf_err cf_bus_publish(cf_bus *bus, const char *topic, const char *payload, cf_error *err) {
    double t0 = cf_metric_now();
    return timed(bus, "publish", t0, bus->m->publish(bus->self, topic, payload, err));
}

cf_err cf_bus_publish_traced(cf_bus *bus, const char *topic, const char *payload, const char *trace_context,
                             cf_error *err) {
    if (!bus->m->publish_traced || !trace_context || !*trace_context)
        return cf_bus_publish(bus, topic, payload, err);
    double t0 = cf_metric_now();
    return timed(bus, "publish", t0, bus->m->publish_traced(bus->self, topic, payload, trace_context, err));
}

cf_err cf_bus_subscribe(cf_bus *bus, const char *topic, const char *group, cf_error *err) {
    return bus->m->subscribe(bus->self, topic, group, err);
}

cf_err cf_bus_receive(cf_bus *bus, const char *topic, const char *group, int timeout_ms, cf_bus_message *out,
                      cf_error *err) {
    memset(out, 0, sizeof *out);
    return timed(bus, "receive", 0, bus->m->receive(bus->self, topic, group, timeout_ms, out, err));
}

cf_err cf_bus_receive_many(cf_bus *bus, const char *topic, const char *group, int timeout_ms,
                           cf_bus_message *out, size_t max, size_t *n, cf_error *err) {
    *n = 0;
    if (max == 0) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus: receive of no message");
    memset(out, 0, max * sizeof *out);
    cf_err rc;
    if (bus->m->receive_many && max > 1) {
        rc = bus->m->receive_many(bus->self, topic, group, timeout_ms, out, max, n, err);
    } else {
        rc = bus->m->receive(bus->self, topic, group, timeout_ms, out, err);
        *n = rc == CF_OK;
    }
    return timed(bus, "receive", 0, rc);
}

cf_err cf_bus_ack_many(cf_bus *bus, const cf_bus_message *ms, size_t n, cf_error *err) {
    double t0 = cf_metric_now();
    cf_err rc = CF_OK;
    if (bus->m->ack_many && n > 1) return timed(bus, "ack_many", t0, bus->m->ack_many(bus->self, ms, n, err));
    for (size_t i = 0; i < n; i++) {
        cf_error one;
        cf_err r = bus->m->ack(bus->self, &ms[i], &one);
        if (r && rc == CF_OK) rc = r, *err = one;
    }
    return timed(bus, "ack_many", t0, rc);
}

cf_err cf_bus_publish_many(cf_bus *bus, const char *topic, const char *const *payloads,
                           const char *const *traces, size_t n, size_t *sent, cf_error *err) {
    double t0 = cf_metric_now();
    *sent = 0;
    if (bus->m->publish_many && n > 1)
        return timed(bus, "publish_many", t0,
                     bus->m->publish_many(bus->self, topic, payloads, traces, n, sent, err));
    cf_err rc = CF_OK;
    for (; rc == CF_OK && *sent < n; ++*sent) {
        rc = cf_bus_publish_traced(bus, topic, payloads[*sent], traces ? traces[*sent] : NULL, err);
        if (rc) break;
    }
    return timed(bus, "publish_many", t0, rc);
}

cf_err cf_bus_ack(cf_bus *bus, const cf_bus_message *m, cf_error *err) {
    double t0 = cf_metric_now();
    return timed(bus, "ack", t0, bus->m->ack(bus->self, m, err));
}

cf_err cf_bus_nack(cf_bus *bus, const cf_bus_message *m, int delay_ms, cf_error *err) {
    double t0 = cf_metric_now();
    return timed(bus, "nack", t0, bus->m->nack(bus->self, m, delay_ms, err));
}

void cf_bus_shutdown(cf_bus *bus) {
    if (bus) bus->m->shutdown(bus->self);
}

bool cf_bus_durable(const cf_bus *bus) {
    return bus->m->durable != 0;
}

void cf_bus_message_free(cf_bus_message *m) {
    if (!m) return;
    free(m->topic);
    free(m->group);
    free(m->payload);
    free(m->trace_context);
    memset(m, 0, sizeof *m);
}

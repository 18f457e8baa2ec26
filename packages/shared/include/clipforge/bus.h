/* bus.h — the message bus interface (MessageBus): publish to a topic, subscribe a consumer group,
 * receive with at-least-once delivery, ack/nack, redelivery of messages left unacknowledged.
 * Backends are versioned method tables registered by name (like SQLite's VFS); the core reaches a
 * backend only through the cf_bus_* wrappers. Backends: "memory", "redis", "nats", "kafka"
 * (apps/backend/infrastructure). */
#ifndef CLIPFORGE_BUS_H
#define CLIPFORGE_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "clipforge/error.h"

/* One delivery of a message. topic/payload are owned by the message: cf_bus_message_free(). */
typedef struct cf_bus_message {
    uint64_t tag; /* identifies this delivery for ack/nack */
    char *topic;
    char *group;
    char *payload;
    int deliveries;      /* 1 on first delivery, more on redelivery */
    char *trace_context; /* the W3C trace context it was published in (cf_trace_to_text), or NULL */
} cf_bus_message;

typedef struct cf_bus_methods {
    int version; /* 1 */
    const char *name;
    cf_err (*open)(const char *url, void **self, cf_error *err);
    void (*close)(void *self);
    cf_err (*publish)(void *self, const char *topic, const char *payload, cf_error *err);
    /* Creates the group on topic if needed; messages published afterwards are kept for it. */
    cf_err (*subscribe)(void *self, const char *topic, const char *group, cf_error *err);
    /* Waits up to timeout_ms for a message; CF_ERR_TIMEOUT when none came,
     * CF_ERR_UNAVAILABLE after wake_all() closed the bus for receiving. */
    cf_err (*receive)(void *self, const char *topic, const char *group, int timeout_ms, cf_bus_message *out,
                      cf_error *err);
    cf_err (*ack)(void *self, const cf_bus_message *m, cf_error *err);
    /* Returns the message to its group, to be delivered again after delay_ms. */
    cf_err (*nack)(void *self, const cf_bus_message *m, int delay_ms, cf_error *err);
    /* Stops receiving: every blocked and later receive returns CF_ERR_UNAVAILABLE. */
    void (*shutdown)(void *self);
    /* Appended after version 1 (zero in older tables): 1 when published messages outlive the
     * publishing process (redis, nats), 0 when they die with it (memory). */
    int durable;
    /* Appended (NULL in older tables): publish with a trace context (cf_trace_to_text form,
     * may be NULL) carried beside the payload as a message header, handed back by receive in
     * cf_bus_message.trace_context. Consumers that do not know it see the payload alone. */
    cf_err (*publish_traced)(void *self, const char *topic, const char *payload, const char *trace_context,
                             cf_error *err);
    /* Appended (NULL in older tables: one receive): like receive, but takes up to max messages:
     * waits up to timeout_ms for the first, then adds those already waiting, without waiting
     * for more. *n = how many were filled in out[0..max) (at least 1 on CF_OK). */
    cf_err (*receive_many)(void *self, const char *topic, const char *group, int timeout_ms,
                           cf_bus_message *out, size_t max, size_t *n, cf_error *err);
    /* Appended (NULL: one ack after another): acks ms[0..n), all delivered from one topic and
     * group, at once. */
    cf_err (*ack_many)(void *self, const cf_bus_message *ms, size_t n, cf_error *err);
    /* Appended (NULL: one publish_traced after another): publishes payloads[0..n) to topic, each
     * with traces[i] (may be NULL), in order and at once; *sent = how many, from the first, are
     * known published (all on CF_OK). */
    cf_err (*publish_many)(void *self, const char *topic, const char *const *payloads,
                           const char *const *traces, size_t n, size_t *sent, cf_error *err);
} cf_bus_methods;

typedef struct cf_bus {
    const cf_bus_methods *m;
    void *self;
} cf_bus;

/* Registers a backend (static storage; the table holds the pointer). Re-registering a name
 * replaces it. Returns CF_ERR_NO_MEMORY when the table is full. */
cf_err cf_bus_register(const cf_bus_methods *m);
/* Finds a backend by name; NULL when unknown. */
const cf_bus_methods *cf_bus_find(const char *name);
/* Opens the backend named by the URL scheme ("memory:", "memory:?ack_timeout_ms=500").
 * *out is malloc'd; free with cf_bus_close(). */
cf_err cf_bus_open(const char *url, cf_bus **out, cf_error *err);
void cf_bus_close(cf_bus *bus);
cf_err cf_bus_publish(cf_bus *bus, const char *topic, const char *payload, cf_error *err);
/* Publishes with a trace context header when the backend carries one (else the payload alone). */
cf_err cf_bus_publish_traced(cf_bus *bus, const char *topic, const char *payload, const char *trace_context,
                             cf_error *err);
cf_err cf_bus_subscribe(cf_bus *bus, const char *topic, const char *group, cf_error *err);
cf_err cf_bus_receive(cf_bus *bus, const char *topic, const char *group, int timeout_ms, cf_bus_message *out,
                      cf_error *err);
/* Up to max messages at once (receive_many), else one (receive): *n says how many. */
cf_err cf_bus_receive_many(cf_bus *bus, const char *topic, const char *group, int timeout_ms,
                           cf_bus_message *out, size_t max, size_t *n, cf_error *err);
/* Acks ms[0..n) (one topic and group) at once when the backend can (ack_many); else one by one,
 * returning the first failure. */
cf_err cf_bus_ack_many(cf_bus *bus, const cf_bus_message *ms, size_t n, cf_error *err);
/* Publishes payloads[0..n) to topic in order, at once when the backend can (publish_many);
 * *sent = how many, from the first, were published. */
cf_err cf_bus_publish_many(cf_bus *bus, const char *topic, const char *const *payloads,
                           const char *const *traces, size_t n, size_t *sent, cf_error *err);
cf_err cf_bus_ack(cf_bus *bus, const cf_bus_message *m, cf_error *err);
cf_err cf_bus_nack(cf_bus *bus, const cf_bus_message *m, int delay_ms, cf_error *err);
void cf_bus_shutdown(cf_bus *bus);
/* True when the backend keeps messages after the publishing process is gone. */
bool cf_bus_durable(const cf_bus *bus);
/* Frees the strings of m (not m). NULL-safe. */
void cf_bus_message_free(cf_bus_message *m);

#endif

/* outbox_relay.h — moves committed outbox rows from the store to the bus (at-least-once: a row
 * is deleted only after its publish succeeded, so a crash in between publishes it again). */
#ifndef CLIPFORGE_OUTBOX_RELAY_H
#define CLIPFORGE_OUTBOX_RELAY_H

#include <stddef.h>

#include "clipforge/bus.h"
#include "clipforge/store.h"

typedef struct cf_outbox_relay cf_outbox_relay;

/* Starts the relay thread polling every poll_ms (and at once on cf_outbox_relay_kick). */
cf_err cf_outbox_relay_start(cf_store *store, cf_bus *bus, int poll_ms, cf_outbox_relay **out,
                             cf_error *err);
/* Wakes the relay now (e.g. after a commit that added outbox rows). Thread-safe. */
void cf_outbox_relay_kick(cf_outbox_relay *r);
/* Publishes what is due once, synchronously; *n = rows published. For tests and shutdown. */
cf_err cf_outbox_relay_drain(cf_store *store, cf_bus *bus, size_t *n, cf_error *err);
/* Stops and joins the thread. NULL-safe. */
void cf_outbox_relay_stop(cf_outbox_relay *r);

#endif

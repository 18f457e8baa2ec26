/* outbox_relay.h — moves committed outbox rows from the store to the bus (at-least-once: a row
 * is deleted only after its publish succeeded, so a crash in between publishes it again).
 * On a volatile bus the relay also records, with the deletion, that its process holds the
 * job's message (see cf_store_outbox_published); the process renews its holds while it lives,
 * so only messages lost with a dead process are ever published twice. */
#ifndef CLIPFORGE_OUTBOX_RELAY_H
#define CLIPFORGE_OUTBOX_RELAY_H

#include <stddef.h>

#include "clipforge/bus.h"
#include "clipforge/store.h"

typedef struct cf_outbox_relay cf_outbox_relay;

/* Who answers for published messages: on a volatile bus, the publishing process (holder = its
 * instance id, a string that outlives the relay) for hold_ms; holder NULL on a durable bus. */
typedef struct cf_outbox_hold {
    const char *holder;
    int64_t hold_ms;
} cf_outbox_hold;

/* Starts the relay thread polling every poll_ms (and at once on cf_outbox_relay_kick). */
cf_err cf_outbox_relay_start(cf_store *store, cf_bus *bus, cf_outbox_hold hold, int poll_ms,
                             cf_outbox_relay **out, cf_error *err);
/* Wakes the relay now (e.g. after a commit that added outbox rows). Thread-safe. */
void cf_outbox_relay_kick(cf_outbox_relay *r);
/* Publishes what is due once, synchronously; *n = rows published. For tests and shutdown. */
cf_err cf_outbox_relay_drain(cf_store *store, cf_bus *bus, cf_outbox_hold hold, size_t *n, cf_error *err);
/* Stops and joins the thread. NULL-safe. */
void cf_outbox_relay_stop(cf_outbox_relay *r);

#endif

/* bus_nats.h — the "nats" bus backend on NATS JetStream (URL
 * "nats://[user:pass@]host[:port][?prefix=P&ack_timeout_ms=N&maxlen=N]"). */
#ifndef CLIPFORGE_BUS_NATS_H
#define CLIPFORGE_BUS_NATS_H

#include "clipforge/bus.h"

const cf_bus_methods *cf_bus_nats_methods(void);

#endif

/* bus_memory.h — the in-process "memory" bus backend (URL "memory:" or
 * "memory:?ack_timeout_ms=N"). Messages live in this process only: after a restart the store's
 * outbox and redispatch put queued work back on it. */
#ifndef CLIPFORGE_BUS_MEMORY_H
#define CLIPFORGE_BUS_MEMORY_H

#include "clipforge/bus.h"

const cf_bus_methods *cf_bus_memory_methods(void);

#endif

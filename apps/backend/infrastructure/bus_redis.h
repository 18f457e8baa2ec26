/* bus_redis.h — the "redis" bus backend on Redis Streams (URL
 * "redis://[:password@]host[:port][/db][?prefix=P&ack_timeout_ms=N&maxlen=N]"). A nack delay
 * longer than ack_timeout_ms is shortened to it. */
#ifndef CLIPFORGE_BUS_REDIS_H
#define CLIPFORGE_BUS_REDIS_H

#include "clipforge/bus.h"

const cf_bus_methods *cf_bus_redis_methods(void);

#endif

/* bus_kafka.h — the "kafka" bus backend on Apache Kafka through librdkafka (URL
 * "kafka://host:port[,host:port...][?prefix=P&ack_timeout_ms=N&max_inflight=N&session_timeout_ms=N]"). */
#ifndef CLIPFORGE_BUS_KAFKA_H
#define CLIPFORGE_BUS_KAFKA_H

#include "clipforge/bus.h"

const cf_bus_methods *cf_bus_kafka_methods(void);

#endif

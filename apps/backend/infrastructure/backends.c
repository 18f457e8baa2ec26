/* backends.c — the table of built-in backends: adding one is a file plus a row here. */
#include "infrastructure/backends.h"

#include <pthread.h>

#include "infrastructure/bus_kafka.h"
#include "infrastructure/bus_memory.h"
#include "infrastructure/bus_nats.h"
#include "infrastructure/bus_redis.h"
#include "infrastructure/storage_file.h"
#include "infrastructure/storage_local.h"
#include "infrastructure/storage_s3.h"
#include "infrastructure/store_postgres.h"
#include "infrastructure/store_sqlite.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void register_all(void) {
    cf_store_register(cf_store_sqlite_methods());
    cf_store_register(cf_store_postgres_methods());
    cf_bus_register(cf_bus_memory_methods());
    cf_bus_register(cf_bus_redis_methods());
    cf_bus_register(cf_bus_nats_methods());
    cf_bus_register(cf_bus_kafka_methods());
    cf_storage_register(cf_storage_local_methods());
    cf_storage_register(cf_storage_s3_methods());
    cf_storage_register(cf_storage_file_methods());
}

void cf_backends_register(void) {
    pthread_once(&once, register_all);
}

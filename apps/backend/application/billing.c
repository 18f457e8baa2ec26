/* billing.c — the usage follower: receive, hand to the sink, ack; a refused record is returned
 * with a growing delay (5 s, doubled per delivery, at most 10 minutes). */
#include "application/billing.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "clipforge/domain/job_lifecycle.h"
#include "clipforge/log.h"

#define GROUP "billing"

struct cf_billing {
    cf_bus *bus;
    cf_billing_sink sink;
    pthread_t thread;
    atomic_bool stop;
};

static int retry_delay_ms(int deliveries) {
    int64_t d = 5000;
    for (int i = 1; i < deliveries && d < 600000; i++) d *= 2;
    return (int)(d < 600000 ? d : 600000);
}

static void *follow(void *arg) {
    cf_billing *b = arg;
    while (!atomic_load(&b->stop)) {
        cf_bus_message m = {0};
        cf_error err;
        cf_err rc = cf_bus_receive(b->bus, CF_USAGE_TOPIC, GROUP, 1000, &m, &err);
        if (rc == CF_ERR_TIMEOUT) continue;
        if (rc == CF_ERR_UNAVAILABLE) break;
        if (rc) {
            cf_log_warn("billing", "receive: %s", err.msg);
            continue;
        }
        if (b->sink.deliver(b->sink.self, m.payload, &err) == CF_OK) {
            cf_bus_ack(b->bus, &m, &err);
        } else {
            int delay = retry_delay_ms(m.deliveries);
            cf_log_warn("billing", "usage record not taken (delivery %d; again in %d s): %s", m.deliveries,
                        delay / 1000, err.msg);
            cf_bus_nack(b->bus, &m, delay, &err);
        }
        cf_bus_message_free(&m);
    }
    return NULL;
}

cf_err cf_billing_start(cf_bus *bus, cf_billing_sink sink, cf_billing **out, cf_error *err) {
    *out = NULL;
    cf_billing *b = calloc(1, sizeof *b);
    if (!b) {
        if (sink.free) sink.free(sink.self);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    b->bus = bus;
    b->sink = sink;
    cf_err rc = cf_bus_subscribe(bus, CF_USAGE_TOPIC, GROUP, err);
    if (rc == CF_OK && pthread_create(&b->thread, NULL, follow, b) != 0)
        rc = cf_error_set(err, CF_ERR_INTERNAL, "cannot start the billing thread");
    if (rc) {
        if (sink.free) sink.free(sink.self);
        free(b);
        return rc;
    }
    *out = b;
    return CF_OK;
}

void cf_billing_stop(cf_billing *b) {
    if (!b) return;
    atomic_store(&b->stop, true);
    pthread_join(b->thread, NULL);
    if (b->sink.free) b->sink.free(b->sink.self);
    free(b);
}

/* outbox_relay.c — one thread that publishes due outbox rows to the bus, oldest first, then
 * deletes the batch it published in one transaction (recording the holds of a volatile bus in
 * it). Each job message
 * is published in a producer span of its job's trace, whose context travels on the message.
 * Steered by its poll interval and hold; kicked after commits so dispatch is immediate. */
#include "infrastructure/outbox_relay.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/clock.h"
#include "clipforge/log.h"
#include "clipforge/trace.h"

#define BATCH 256

struct cf_outbox_relay {
    cf_store *store;
    cf_bus *bus;
    cf_outbox_hold hold;
    int poll_ms;
    pthread_t thread;
    pthread_mutex_t lock; /* guards kicked, stopping */
    pthread_cond_t wake;
    bool kicked, stopping;
};

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The "publish <topic>" producer span of a row, a child of the row's trace; trace = its context
 * as text, carried on the message. */
static cf_span *publish_span(cf_bus *bus, const cf_outbox_record *row, char trace[CF_TRACE_TEXT_MAX]) {
    cf_trace_ctx parent;
    cf_trace_from_text(row->trace_context, &parent);
    char name[96];
    snprintf(name, sizeof name, "publish %s", row->topic);
    cf_span *span = cf_span_start(name, CF_SPAN_PRODUCER, &parent);
    cf_span_set_str(span, "messaging.system", bus->m->name);
    cf_span_set_str(span, "messaging.destination.name", row->topic);
    cf_span_set_str(span, "messaging.operation.type", "publish");
    cf_span_set_str(span, "clipforge.job.id", row->payload);
    cf_trace_to_text(span ? cf_span_ctx(span) : &parent, trace);
    return span;
}

/* Publishes rows[0..n), which share a topic, at once, each in its span; *sent = how many, from
 * the first, were published. */
static cf_err publish_rows(cf_bus *bus, const cf_outbox_record *rows, size_t n, size_t *sent, cf_error *err) {
    const char *payloads[BATCH] = {0}, *traces[BATCH] = {0}; /* zeroed: GCC cannot see n <= BATCH */
    char text[BATCH][CF_TRACE_TEXT_MAX];
    cf_span *spans[BATCH];
    for (size_t i = 0; i < n; i++) {
        spans[i] = publish_span(bus, &rows[i], text[i]);
        payloads[i] = rows[i].payload;
        traces[i] = text[i];
    }
    cf_err rc = cf_bus_publish_many(bus, rows[0].topic, payloads, traces, n, sent, err);
    for (size_t i = 0; i < n; i++) {
        if (i >= *sent) cf_span_set_error(spans[i], rc ? err->msg : "not published");
        cf_span_end(spans[i]);
    }
    return rc;
}

cf_err cf_outbox_relay_drain(cf_store *store, cf_bus *bus, cf_outbox_hold hold, size_t *n, cf_error *err) {
    size_t total = 0;
    for (;;) {
        cf_outbox_record *rows = NULL;
        size_t count = 0;
        int64_t now = wall_ms();
        cf_err rc = cf_store_outbox_due(store, now, BATCH, &rows, &count, err);
        int64_t ids[BATCH];
        size_t sent = 0;
        while (rc == CF_OK && sent < count) { /* runs of one topic at once */
            size_t run = 1, done = 0;
            while (sent + run < count && !strcmp(rows[sent + run].topic, rows[sent].topic)) run++;
            rc = publish_rows(bus, &rows[sent], run, &done, err);
            for (size_t i = 0; i < done; i++) ids[sent + i] = rows[sent + i].id;
            sent += done;
        }
        /* The rows published so far, in one commit; a crash before it publishes them again
         * (delivery is at least once; a job is leased once whatever its messages). */
        cf_error perr;
        cf_err prc = cf_store_outbox_published_many(store, ids, sent, hold.holder, now + hold.hold_ms, &perr);
        if (prc == CF_OK) total += sent;
        else if (rc == CF_OK) {
            rc = prc;
            *err = perr;
        }
        cf_outbox_records_free(rows, count);
        if (rc || count < BATCH) {
            if (n) *n = total;
            return rc;
        }
    }
}

static void *relay_main(void *arg) {
    cf_outbox_relay *r = arg;
    pthread_mutex_lock(&r->lock);
    while (!r->stopping) {
        r->kicked = false;
        pthread_mutex_unlock(&r->lock);
        cf_error err;
        if (cf_outbox_relay_drain(r->store, r->bus, r->hold, NULL, &err))
            cf_log_warn("outbox", "relay: %s", err.msg);
        pthread_mutex_lock(&r->lock);
        if (r->kicked || r->stopping) continue;
        struct timespec ts = cf_clock_deadline(r->poll_ms);
        pthread_cond_timedwait(&r->wake, &r->lock, &ts);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

cf_err cf_outbox_relay_start(cf_store *store, cf_bus *bus, cf_outbox_hold hold, int poll_ms,
                             cf_outbox_relay **out, cf_error *err) {
    cf_outbox_relay *r = calloc(1, sizeof *r);
    if (!r) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    r->store = store;
    r->bus = bus;
    r->hold = hold;
    r->poll_ms = poll_ms > 0 ? poll_ms : 200;
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&r->thread, NULL, relay_main, r) != 0) {
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return cf_error_set(err, CF_ERR_INTERNAL, "cannot start the outbox relay thread");
    }
    *out = r;
    return CF_OK;
}

void cf_outbox_relay_kick(cf_outbox_relay *r) {
    if (!r) return;
    pthread_mutex_lock(&r->lock);
    r->kicked = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
}

void cf_outbox_relay_stop(cf_outbox_relay *r) {
    if (!r) return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

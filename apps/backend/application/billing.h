/* billing.h — the payment-gateway seam: usage records (cf_job_usage, one per finished run, from
 * the bus's usage topic) handed to a sink, the adapter of whatever bills them. The records reach
 * the bus through the outbox of the transaction that finished the run, and a sink's refusal
 * returns the record to the bus for later, so a record is delivered at least once; the
 * receiver deduplicates by job_id + attempts. */
#ifndef CLIPFORGE_BILLING_H
#define CLIPFORGE_BILLING_H

#include "clipforge/bus.h"
#include "clipforge/error.h"

typedef struct cf_billing_sink {
    int version; /* 1 */
    /* Takes one record (JSON text); an error leaves it to be delivered again. */
    cf_err (*deliver)(void *self, const char *record, cf_error *err);
    void (*free)(void *self);
    void *self;
} cf_billing_sink;

typedef struct cf_billing cf_billing;

/* Follows bus topic "usage" in group "billing" on a thread of its own; takes sink. */
cf_err cf_billing_start(cf_bus *bus, cf_billing_sink sink, cf_billing **out, cf_error *err);
/* Waits for the record in hand, stops and frees. NULL-safe. Call before the bus is closed and
 * after cf_bus_shutdown() or with the bus open (it then stops within a second). */
void cf_billing_stop(cf_billing *b);

#endif

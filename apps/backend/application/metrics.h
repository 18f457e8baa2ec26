/* metrics.h — process metrics rendered as Prometheus text: HTTP request latency (histogram, by
 * status class), job run durations (histogram, by outcome), plus gauges read from the store at
 * scrape time (jobs by state, queue depth). Lock-free counters; safe from any thread. */
#ifndef CLIPFORGE_METRICS_H
#define CLIPFORGE_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "clipforge/store.h"

/* Records one HTTP request that took seconds and answered status. */
void cf_metrics_http(int status, double seconds);
/* Records one finished job run (outcome: a final status, or QUEUED for a retry). */
void cf_metrics_job_run(cf_job_status outcome, double seconds);
/* Records one job message taken from the bus: leased (it started a run) or dropped (its job
 * was not leasable: a duplicate delivery, or a job cancelled or taken meanwhile). */
void cf_metrics_delivery(bool leased);
/* Writes the Prometheus text exposition to out; stats may be NULL when the store failed. */
void cf_metrics_write(FILE *out, const cf_job_stats *stats, int64_t workers_busy);

#endif

/* metrics.h — the service's metrics: HTTP request latency (histogram, by status class), job run
 * durations (histogram, by outcome and kind), bus deliveries and lease expiries (counters) in
 * the shared registry (clipforge/metrics.h, where the store, bus and storage wrappers, pipeline
 * stages and engine calls record too), plus gauges read from the store at scrape time (jobs by
 * state, queue depth and age, outbox backlog). Safe from any thread. */
#ifndef CLIPFORGE_METRICS_H
#define CLIPFORGE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clipforge/store.h"

/* Registers the families, so the first scrape lists them all. */
void cf_metrics_init(void);
/* Records one HTTP request that took seconds and answered status. */
void cf_metrics_http(int status, double seconds);
/* Records one finished job run of kind (outcome: a final status, or QUEUED for a retry). */
void cf_metrics_job_run(cf_job_state outcome, const char *kind, double seconds);
/* Records one job message taken from the bus: leased (it started a run) or dropped (its job
 * was not leasable: a duplicate delivery, or a job cancelled or taken meanwhile). */
void cf_metrics_delivery(bool leased);
/* Per-tenant usage counters, labelled tenant (at most 63 tenants by name per family, the rest
 * together as tenant="other", so a server with many tenants keeps a bounded number of series):
 * a job accepted (not an Idempotency-Key replay), a job finished (succeeded, else failed or
 * cancelled), bytes of media uploaded or imported. tenant NULL = the default tenant. */
void cf_metrics_tenant_job_submitted(const char *tenant);
void cf_metrics_tenant_job_finished(const char *tenant, cf_job_state outcome);
void cf_metrics_tenant_upload(const char *tenant, int64_t bytes);
/* What a tenant other than the default one sees at /metrics: its own series of the per-tenant
 * families, nothing of the server's or other tenants'. */
void cf_metrics_write_tenant(FILE *out, bool openmetrics, const char *tenant);
/* Counts n running jobs whose lease expired (found by a reaper). */
void cf_metrics_lease_expiries(size_t n);
/* Writes every metric: Prometheus text 0.0.4, or OpenMetrics 1.0 with exemplars (without the
 * final "# EOF"); stats may be NULL when the store failed. */
void cf_metrics_write(FILE *out, bool openmetrics, const cf_job_stats *stats, int64_t workers_busy,
                      int64_t now_ms);

#endif

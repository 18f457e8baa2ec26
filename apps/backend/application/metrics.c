/* metrics.c — the service's own metric families (HTTP, job runs, bus deliveries, lease expiries)
 * in the shared registry (clipforge/metrics.h), plus gauges read at scrape time: jobs by state,
 * queue depth and age, outbox backlog, busy workers, span export counters. */
#include "application/metrics.h"

#include "clipforge/metrics.h"
#include "clipforge/trace.h"

static const char *const http_classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

static cf_metric *http_hist(void) {
    static cf_metric *m;
    if (!m)
        m = cf_metric_histogram("clipforge_http_request_duration_seconds", "HTTP request latency.", "code");
    return m;
}

static cf_metric *job_hist(void) {
    static cf_metric *m;
    if (!m)
        m = cf_metric_histogram("clipforge_job_duration_seconds", "Job run time by kind and outcome.",
                                "outcome,kind");
    return m;
}

void cf_metrics_http(int status, double seconds) {
    int c = status / 100 - 1;
    if (c < 0 || c > 4) c = 4;
    cf_metric_observe(http_hist(), http_classes[c], NULL, seconds);
}

void cf_metrics_job_run(cf_job_state outcome, const char *kind, double seconds) {
    if (outcome < 0 || outcome >= CF_JOB_STATE_COUNT) return;
    cf_metric_observe(job_hist(),
                      outcome == CF_JOB_STATE_QUEUED ? "retried" : cf_job_state_to_string(outcome),
                      kind ? kind : "unknown", seconds);
}

static cf_metric *deliveries(void) {
    static cf_metric *m;
    if (!m)
        m = cf_metric_counter("clipforge_bus_deliveries",
                              "Job messages taken from the bus, by whether they started a run.", "result");
    return m;
}

static cf_metric *lease_expiries(void) {
    static cf_metric *m;
    if (!m)
        m = cf_metric_counter("clipforge_lease_expiries",
                              "Running jobs whose lease expired (their worker died or hung).", NULL);
    return m;
}

void cf_metrics_delivery(bool leased) {
    cf_metric_add(deliveries(), leased ? "leased" : "dropped", NULL, 1);
}

void cf_metrics_lease_expiries(size_t n) {
    cf_metric_add(lease_expiries(), NULL, NULL, (double)n);
}

static cf_metric *tenant_family(int which) {
    static cf_metric *m[4];
    static const char *const names[4][2] = {
        {"clipforge_tenant_jobs_submitted",
         "Jobs accepted, by tenant (Idempotency-Key replays not counted)."},
        {"clipforge_tenant_jobs_succeeded", "Jobs that succeeded, by tenant."},
        {"clipforge_tenant_jobs_failed",
         "Job runs that ended failed or cancelled, and queued jobs cancelled, by tenant."},
        {"clipforge_tenant_upload_bytes", "Bytes of media uploaded or imported, by tenant."},
    };
    if (!m[which]) m[which] = cf_metric_counter(names[which][0], names[which][1], "tenant");
    return m[which];
}

static const char *tenant_or_default(const char *tenant) {
    return tenant && *tenant ? tenant : "default";
}

void cf_metrics_tenant_job_submitted(const char *tenant) {
    cf_metric_add(tenant_family(0), tenant_or_default(tenant), NULL, 1);
}

void cf_metrics_tenant_job_finished(const char *tenant, cf_job_state outcome) {
    if (outcome != CF_JOB_STATE_SUCCEEDED && outcome != CF_JOB_STATE_FAILED &&
        outcome != CF_JOB_STATE_CANCELLED)
        return;
    cf_metric_add(tenant_family(outcome == CF_JOB_STATE_SUCCEEDED ? 1 : 2), tenant_or_default(tenant), NULL,
                  1);
}

void cf_metrics_tenant_upload(const char *tenant, int64_t bytes) {
    cf_metric_add(tenant_family(3), tenant_or_default(tenant), NULL, (double)bytes);
}

void cf_metrics_write_tenant(FILE *out, bool openmetrics, const char *tenant) {
    cf_metrics_registry_write_for(out, openmetrics, "tenant", tenant);
}

void cf_metrics_init(void) {
    /* Registered up front, with their counters at 0, so a scrape shows every series from the
     * start (rate() and absent() then work from the first sample). */
    http_hist();
    job_hist();
    cf_metric_add(deliveries(), "leased", NULL, 0);
    cf_metric_add(deliveries(), "dropped", NULL, 0);
    cf_metric_add(lease_expiries(), NULL, NULL, 0);
    for (int i = 0; i < 4; i++) tenant_family(i);
}

static void write_trace_stats(FILE *out, bool om) {
    cf_trace_stats st;
    cf_trace_stats_get(&st);
    static const char *const results[] = {"exported", "dropped_queue_full", "dropped_export_failed"};
    double v[] = {(double)st.exported, (double)st.dropped_queue, (double)st.dropped_export};
    const char *fam = "clipforge_trace_spans";
    fprintf(out,
            "# HELP %s%s Finished spans by what became of them (export on: %s).\n"
            "# TYPE %s%s counter\n",
            fam, om ? "" : "_total", cf_trace_enabled() ? "yes" : "no", fam, om ? "" : "_total");
    for (int i = 0; i < 3; i++) fprintf(out, "%s_total{result=\"%s\"} %.17g\n", fam, results[i], v[i]);
    cf_metrics_write_gauge(out, "clipforge_trace_queue_spans", "Spans waiting for export.",
                           (double)st.queued);
}

void cf_metrics_write(FILE *out, bool openmetrics, const cf_job_stats *stats, int64_t workers_busy,
                      int64_t now_ms) {
    cf_metrics_registry_write(out, openmetrics);
    cf_metrics_write_gauge(out, "clipforge_workers_busy", "Worker threads running a job.",
                           (double)workers_busy);
    write_trace_stats(out, openmetrics);
    if (!stats) return;
    const char *names[CF_JOB_STATE_COUNT];
    double values[CF_JOB_STATE_COUNT];
    for (int s = 0; s < CF_JOB_STATE_COUNT; s++) {
        names[s] = cf_job_state_to_string((cf_job_state)s);
        values[s] = (double)stats->by_status[s];
    }
    cf_metrics_write_gauge_set(out, "clipforge_jobs", "Jobs by state.", "state", names, values,
                               CF_JOB_STATE_COUNT);
    cf_metrics_write_gauge(out, "clipforge_queue_depth", "Jobs waiting for a worker.",
                           (double)stats->by_status[CF_JOB_STATE_QUEUED]);
    double age = stats->oldest_queued_at > 0 && now_ms > stats->oldest_queued_at
                     ? (double)(now_ms - stats->oldest_queued_at) / 1000.0
                     : 0;
    cf_metrics_write_gauge(out, "clipforge_queue_oldest_age_seconds",
                           "How long the oldest job due to run has been waiting (0 when none).", age);
    cf_metrics_write_gauge(out, "clipforge_outbox_pending", "Outbox rows not yet on the bus.",
                           (double)stats->outbox_pending);
}

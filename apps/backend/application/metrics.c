/* metrics.c — fixed-bucket histograms with atomic counters (no lock on the request path). */
#include "application/metrics.h"

#include <stdatomic.h>

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                 0.25,   0.5,   1,      2.5,   5,    10,   30,    60,  300};
#define NB (sizeof buckets / sizeof buckets[0])

typedef struct histogram {
    atomic_uint_fast64_t counts[NB + 1]; /* last: +Inf */
    atomic_uint_fast64_t sum_us;
} histogram;

static const char *const http_classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
static histogram http_hist[5];
static histogram job_hist[CF_JOB_STATUS_COUNT];
static atomic_uint_fast64_t deliveries[2]; /* dropped, leased */

static void observe(histogram *h, double seconds) {
    size_t i = 0;
    while (i < NB && seconds > buckets[i]) i++;
    atomic_fetch_add(&h->counts[i], 1);
    atomic_fetch_add(&h->sum_us, (uint_fast64_t)(seconds * 1e6));
}

void cf_metrics_http(int status, double seconds) {
    int c = status / 100 - 1;
    if (c < 0 || c > 4) c = 4;
    observe(&http_hist[c], seconds);
}

void cf_metrics_job_run(cf_job_status outcome, double seconds) {
    if (outcome >= 0 && outcome < CF_JOB_STATUS_COUNT) observe(&job_hist[outcome], seconds);
}

void cf_metrics_delivery(bool leased) { atomic_fetch_add(&deliveries[leased ? 1 : 0], 1); }

static void write_hist(FILE *out, const char *name, const char *label, const char *value,
                       histogram *h) {
    uint64_t cum = 0;
    for (size_t i = 0; i <= NB; i++) {
        cum += atomic_load(&h->counts[i]);
        if (i < NB)
            fprintf(out, "%s_bucket{%s=\"%s\",le=\"%g\"} %llu\n", name, label, value, buckets[i],
                    (unsigned long long)cum);
        else
            fprintf(out, "%s_bucket{%s=\"%s\",le=\"+Inf\"} %llu\n", name, label, value,
                    (unsigned long long)cum);
    }
    fprintf(out, "%s_sum{%s=\"%s\"} %.6f\n", name, label, value,
            (double)atomic_load(&h->sum_us) / 1e6);
    fprintf(out, "%s_count{%s=\"%s\"} %llu\n", name, label, value, (unsigned long long)cum);
}

void cf_metrics_write(FILE *out, const cf_job_stats *stats, int64_t workers_busy) {
    fprintf(out, "# HELP clipforge_http_request_duration_seconds HTTP request latency.\n"
                 "# TYPE clipforge_http_request_duration_seconds histogram\n");
    for (int c = 0; c < 5; c++)
        write_hist(out, "clipforge_http_request_duration_seconds", "code", http_classes[c],
                   &http_hist[c]);
    fprintf(out, "# HELP clipforge_job_duration_seconds Job run time by outcome.\n"
                 "# TYPE clipforge_job_duration_seconds histogram\n");
    for (int s = 0; s < CF_JOB_STATUS_COUNT; s++)
        if (s != CF_JOB_RUNNING)
            write_hist(out, "clipforge_job_duration_seconds", "outcome",
                       s == CF_JOB_QUEUED ? "retried" : cf_job_status_name((cf_job_status)s),
                       &job_hist[s]);
    fprintf(out, "# HELP clipforge_bus_deliveries_total Job messages taken from the bus, by"
                 " whether they started a run.\n# TYPE clipforge_bus_deliveries_total counter\n");
    fprintf(out, "clipforge_bus_deliveries_total{result=\"leased\"} %llu\n",
            (unsigned long long)atomic_load(&deliveries[1]));
    fprintf(out, "clipforge_bus_deliveries_total{result=\"dropped\"} %llu\n",
            (unsigned long long)atomic_load(&deliveries[0]));
    fprintf(out, "# HELP clipforge_workers_busy Worker threads running a job.\n"
                 "# TYPE clipforge_workers_busy gauge\nclipforge_workers_busy %lld\n",
            (long long)workers_busy);
    if (!stats) return;
    fprintf(out, "# HELP clipforge_jobs Jobs by state.\n# TYPE clipforge_jobs gauge\n");
    for (int s = 0; s < CF_JOB_STATUS_COUNT; s++)
        fprintf(out, "clipforge_jobs{state=\"%s\"} %lld\n", cf_job_status_name((cf_job_status)s),
                (long long)stats->by_status[s]);
    fprintf(out, "# HELP clipforge_queue_depth Jobs waiting for a worker.\n"
                 "# TYPE clipforge_queue_depth gauge\nclipforge_queue_depth %lld\n",
            (long long)stats->by_status[CF_JOB_QUEUED]);
    fprintf(out, "# HELP clipforge_outbox_pending Outbox rows not yet on the bus.\n"
                 "# TYPE clipforge_outbox_pending gauge\nclipforge_outbox_pending %lld\n",
            (long long)stats->outbox_pending);
}

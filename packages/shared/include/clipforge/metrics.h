/* metrics.h — the process's metric families (counters and histograms with up to two labels),
 * recorded from any thread and written as Prometheus text (0.0.4) or OpenMetrics 1.0. Histogram
 * observations made inside a sampled trace keep the latest trace id per bucket as an exemplar
 * (OpenMetrics only), so a slow bucket leads to a trace that shows why.
 * Families are registered once by name (static storage, never freed); the same name returns
 * the same family. The wrappers of the store, bus and storage record here, so every backend is
 * measured the same way. */
#ifndef CLIPFORGE_METRICS_REGISTRY_H
#define CLIPFORGE_METRICS_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cf_metric cf_metric;

/* A histogram of seconds (buckets 0.5 ms .. 300 s). labels: NULL, "op" or "op,backend". */
cf_metric *cf_metric_histogram(const char *name, const char *help, const char *labels);
/* A counter; name without the _total suffix (written with it). */
cf_metric *cf_metric_counter(const char *name, const char *help, const char *labels);
/* Records one value; l1/l2 are the label values (NULL when the family has fewer labels).
 * NULL-safe on m. A family keeps at most 64 label combinations; more are counted under
 * "other". */
void cf_metric_observe(cf_metric *m, const char *l1, const char *l2, double value);
void cf_metric_add(cf_metric *m, const char *l1, const char *l2, double n);
/* Seconds since the monotonic origin, for measuring durations. */
double cf_metric_now(void);

/* Writes every registered family. openmetrics: OpenMetrics 1.0 with exemplars (the caller
 * adds "# EOF" after its own families); else Prometheus text 0.0.4. */
void cf_metrics_registry_write(FILE *out, bool openmetrics);
/* Writes only the families whose first label is label, each with only its series for
 * label=value (a counter without one reads 0); the series that collects the label values past a
 * family's 64 is never written here, since it mixes them. For what one tenant may see of the
 * server's metrics: label "tenant", value its name. */
void cf_metrics_registry_write_for(FILE *out, bool openmetrics, const char *label, const char *value);
/* Helpers for values read at scrape time, same formats. */
void cf_metrics_write_gauge(FILE *out, const char *name, const char *help, double value);
/* A gauge family with one label: n values, label values in names. */
void cf_metrics_write_gauge_set(FILE *out, const char *name, const char *help, const char *label,
                                const char *const *names, const double *values, int n);
/* A counter read at scrape time (name without _total). */
void cf_metrics_write_counter(FILE *out, bool openmetrics, const char *name, const char *help, double value);

#endif

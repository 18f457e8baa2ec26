/* metrics.c — metric families with fixed duration buckets; one lock per family guards its label
 * children (lookups are a short linear scan: families have few label combinations). Exemplars
 * are the thread's current trace context when it is sampled (clipforge/trace.h). */
#include "clipforge/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/clock.h"
#include "clipforge/trace.h"

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                 0.5,    1,     2.5,    5,     10,   30,    60,   300};
#define NB (sizeof buckets / sizeof buckets[0])
#define MAX_CHILDREN 64
#define MAX_FAMILIES 64

typedef struct exemplar {
    char trace_id[33], span_id[17];
    double value, at; /* at: unix seconds; 0 = none */
} exemplar;

typedef struct child {
    char *l1, *l2;
    uint64_t counts[NB + 1]; /* histogram: per bucket (last: +Inf); counter: counts[0] unused */
    double sum;              /* histogram: sum of values; counter: the count */
    exemplar ex[NB + 1];
} child;

struct cf_metric {
    char *name, *help, *label1, *label2;
    bool histogram;
    pthread_mutex_t lock; /* guards children, n, cap */
    /* Grown as label combinations appear (up to MAX_CHILDREN): a family held room for all 64
     * from the start, 94 KiB each, written by calloc, most of an idle server's heap. */
    child *children;
    int n, cap;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER; /* guards families, n_families */
static cf_metric *families[MAX_FAMILIES];
static int n_families;

double cf_metric_now(void) {
    return cf_clock_s();
}

static cf_metric *family(const char *name, const char *help, const char *labels, bool histogram) {
    pthread_mutex_lock(&registry_lock);
    cf_metric *m = NULL;
    for (int i = 0; i < n_families && !m; i++)
        if (!strcmp(families[i]->name, name)) m = families[i];
    if (!m && n_families < MAX_FAMILIES && (m = calloc(1, sizeof *m))) {
        m->name = strdup(name);
        m->help = strdup(help);
        if (labels) {
            const char *comma = strchr(labels, ',');
            m->label1 = comma ? strndup(labels, (size_t)(comma - labels)) : strdup(labels);
            if (comma) m->label2 = strdup(comma + 1);
        }
        m->histogram = histogram;
        pthread_mutex_init(&m->lock, NULL);
        families[n_families++] = m;
    }
    pthread_mutex_unlock(&registry_lock);
    return m;
}

cf_metric *cf_metric_histogram(const char *name, const char *help, const char *labels) {
    return family(name, help, labels, true);
}

cf_metric *cf_metric_counter(const char *name, const char *help, const char *labels) {
    return family(name, help, labels, false);
}

static bool same(const char *a, const char *b) {
    return a == b || (a && b && !strcmp(a, b));
}

/* Room for one more child (lock held); false when out of memory. */
static bool grow(cf_metric *m) {
    if (m->n < m->cap) return true;
    int cap = m->cap ? m->cap * 2 : 4;
    if (cap > MAX_CHILDREN) cap = MAX_CHILDREN;
    child *grown = realloc(m->children, (size_t)cap * sizeof *grown);
    if (!grown) return false;
    memset(grown + m->cap, 0, (size_t)(cap - m->cap) * sizeof *grown);
    m->children = grown;
    m->cap = cap;
    return true;
}

/* The child for (l1, l2), created when new (lock held); the last slot collects the rest. NULL
 * when out of memory (the observation is dropped). */
static child *find_child(cf_metric *m, const char *l1, const char *l2) {
    if (!m->label1) l1 = NULL;
    if (!m->label2) l2 = NULL;
    for (int i = 0; i < m->n; i++)
        if (same(m->children[i].l1, l1) && same(m->children[i].l2, l2)) return &m->children[i];
    if (m->n == MAX_CHILDREN) return &m->children[MAX_CHILDREN - 1];
    if (!grow(m)) return NULL;
    child *c = &m->children[m->n];
    c->l1 = l1 ? strdup(m->n == MAX_CHILDREN - 1 ? "other" : l1) : NULL;
    c->l2 = l2 ? strdup(m->n == MAX_CHILDREN - 1 ? "other" : l2) : NULL;
    m->n++;
    return c;
}

static void take_exemplar(exemplar *e, double value) {
    cf_trace_ctx tc;
    cf_trace_current(&tc);
    if (!cf_trace_ctx_valid(&tc) || !(tc.flags & 1)) return;
    cf_trace_ids_hex(&tc, e->trace_id, e->span_id);
    e->value = value;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    e->at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cf_metric_observe(cf_metric *m, const char *l1, const char *l2, double value) {
    if (!m) return;
    size_t b = 0;
    while (b < NB && value > buckets[b]) b++;
    pthread_mutex_lock(&m->lock);
    child *c = find_child(m, l1, l2);
    if (c) {
        c->counts[b]++;
        c->sum += value;
        take_exemplar(&c->ex[b], value);
    }
    pthread_mutex_unlock(&m->lock);
}

void cf_metric_add(cf_metric *m, const char *l1, const char *l2, double n) {
    if (!m) return;
    pthread_mutex_lock(&m->lock);
    child *c = find_child(m, l1, l2);
    if (c) c->sum += n;
    pthread_mutex_unlock(&m->lock);
}

/* Label values are ours or come from a fixed set, but escape as the format says anyway. */
static void put_escaped(FILE *out, const char *v) {
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') fputc('\\', out), fputc(*v, out);
        else if (*v == '\n') fputs("\\n", out);
        else fputc(*v, out);
    }
}

/* {l1="..",l2="..",extra} or nothing. */
static void put_labels(FILE *out, const cf_metric *m, const child *c, const char *extra) {
    if (!c->l1 && !extra) return;
    fputc('{', out);
    const char *sep = "";
    if (c->l1) fprintf(out, "%s=\"", m->label1), put_escaped(out, c->l1), fputc('"', out), sep = ",";
    if (c->l2) fprintf(out, ",%s=\"", m->label2), put_escaped(out, c->l2), fputc('"', out);
    if (extra) fprintf(out, "%s%s", sep, extra);
    fputc('}', out);
}

static void put_exemplar(FILE *out, const exemplar *e) {
    if (e->at <= 0) return;
    fprintf(out, " # {trace_id=\"%s\",span_id=\"%s\"} %.9g %.3f", e->trace_id, e->span_id, e->value, e->at);
}

static void write_histogram(FILE *out, const cf_metric *m, const child *c, bool om) {
    uint64_t cum = 0;
    for (size_t i = 0; i <= NB; i++) {
        cum += c->counts[i];
        char le[40];
        if (i < NB) snprintf(le, sizeof le, "le=\"%g\"", buckets[i]);
        else snprintf(le, sizeof le, "le=\"+Inf\"");
        fprintf(out, "%s_bucket", m->name);
        put_labels(out, m, c, le);
        fprintf(out, " %llu", (unsigned long long)cum);
        if (om) put_exemplar(out, &c->ex[i]);
        fputc('\n', out);
    }
    fprintf(out, "%s_sum", m->name);
    put_labels(out, m, c, NULL);
    fprintf(out, " %.6f\n%s_count", c->sum, m->name);
    put_labels(out, m, c, NULL);
    fprintf(out, " %llu\n", (unsigned long long)cum);
}

static void write_header(FILE *out, const cf_metric *m, bool om) {
    bool counter = !m->histogram;
    fprintf(out, "# HELP %s%s %s\n# TYPE %s%s %s\n", m->name, counter && !om ? "_total" : "", m->help,
            m->name, counter && !om ? "_total" : "", counter ? "counter" : "histogram");
}

static void write_family(FILE *out, cf_metric *m, bool om) {
    write_header(out, m, om);
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < m->n; i++) {
        const child *c = &m->children[i];
        if (m->histogram) {
            write_histogram(out, m, c, om);
            continue;
        }
        fprintf(out, "%s_total", m->name);
        put_labels(out, m, c, NULL);
        fprintf(out, " %.17g\n", c->sum);
    }
    pthread_mutex_unlock(&m->lock);
}

void cf_metrics_registry_write(FILE *out, bool openmetrics) {
    pthread_mutex_lock(&registry_lock);
    int n = n_families;
    pthread_mutex_unlock(&registry_lock);
    for (int i = 0; i < n; i++) write_family(out, families[i], openmetrics);
}

/* The family's series for l1 = value alone (lock held), or NULL; never the overflow series. */
static const child *only_child(const cf_metric *m, const char *value) {
    for (int i = 0; i < m->n && i < MAX_CHILDREN - 1; i++)
        if (same(m->children[i].l1, value)) return &m->children[i];
    return NULL;
}

void cf_metrics_registry_write_for(FILE *out, bool openmetrics, const char *label, const char *value) {
    pthread_mutex_lock(&registry_lock);
    int n = n_families;
    pthread_mutex_unlock(&registry_lock);
    for (int i = 0; i < n; i++) {
        cf_metric *m = families[i];
        if (!m->label1 || strcmp(m->label1, label) || m->label2) continue;
        write_header(out, m, openmetrics);
        pthread_mutex_lock(&m->lock);
        const child *c = only_child(m, value);
        if (m->histogram && c) write_histogram(out, m, c, openmetrics);
        if (!m->histogram) {
            fprintf(out, "%s_total{%s=\"", m->name, label);
            put_escaped(out, value);
            fprintf(out, "\"} %.17g\n", c ? c->sum : 0.0);
        }
        pthread_mutex_unlock(&m->lock);
    }
}

void cf_metrics_write_gauge(FILE *out, const char *name, const char *help, double value) {
    fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, value);
}

void cf_metrics_write_gauge_set(FILE *out, const char *name, const char *help, const char *label,
                                const char *const *names, const double *values, int n) {
    fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    for (int i = 0; i < n; i++) {
        fprintf(out, "%s{%s=\"", name, label);
        put_escaped(out, names[i]);
        fprintf(out, "\"} %.17g\n", values[i]);
    }
}

void cf_metrics_write_counter(FILE *out, bool openmetrics, const char *name, const char *help, double value) {
    const char *suffix = openmetrics ? "" : "_total";
    fprintf(out, "# HELP %s%s %s\n# TYPE %s%s counter\n%s_total %.17g\n", name, suffix, help, name, suffix,
            name, value);
}

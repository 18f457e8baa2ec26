/* trace_export.c — the batching span exporter: a bounded queue filled by cf_span_end() without
 * ever blocking (a full queue drops the span and counts it), and one thread that sends batches
 * to the collector over OTLP/HTTP with libcurl, every OTEL_BSP_SCHEDULE_DELAY ms or as soon as a
 * batch is full, each export bounded by OTEL_EXPORTER_OTLP_TIMEOUT. Settings: the OTEL_*
 * variables listed in clipforge/trace.h. */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clipforge/fmt.h"
#include "clipforge/clock.h"
#include "clipforge/log.h"
#include "trace_internal.h"

#ifndef CF_VERSION_STRING
#define CF_VERSION_STRING "0.1.0"
#endif

typedef enum { SAMPLE_ON, SAMPLE_OFF, SAMPLE_RATIO } sample_rule;

typedef struct exporter {
    char *url;
    bool json;
    struct curl_slist *headers;
    long timeout_ms;
    long delay_ms;
    size_t max_queue, max_batch;
    sample_rule root_rule; /* for spans without a parent (and all spans when !parent_based) */
    bool parent_based;
    double ratio;
    cft_resource resource;
    pthread_t thread;
    pthread_mutex_t lock; /* guards queue, head, count, stopping, flush_wanted */
    pthread_cond_t wake;
    cf_span **queue; /* ring of max_queue */
    size_t head, count;
    bool stopping;
} exporter;

static exporter g_ex;
static atomic_bool g_on;
static atomic_bool g_inited;
static pthread_mutex_t g_init_lock = PTHREAD_MUTEX_INITIALIZER; /* guards init and shutdown */
static atomic_uint_fast64_t st_exported, st_dropped_queue, st_dropped_export, st_us, st_exports;

bool cft_export_on(void) {
    return atomic_load_explicit(&g_on, memory_order_relaxed);
}

bool cf_trace_enabled(void) {
    return cft_export_on();
}

void cf_trace_stats_get(cf_trace_stats *out) {
    out->exported = atomic_load(&st_exported);
    out->dropped_queue = atomic_load(&st_dropped_queue);
    out->dropped_export = atomic_load(&st_dropped_export);
    out->export_seconds_us = atomic_load(&st_us);
    out->exports = atomic_load(&st_exports);
    out->queued = 0;
    if (!cft_export_on()) return;
    pthread_mutex_lock(&g_ex.lock);
    out->queued = g_ex.count;
    pthread_mutex_unlock(&g_ex.lock);
}

/* --- sampling ------------------------------------------------------------------------------ */

static bool rule_says(sample_rule r, double ratio, const uint8_t trace_id[16]) {
    if (r == SAMPLE_ON) return true;
    if (r == SAMPLE_OFF) return false;
    /* The low 8 bytes of the trace id are random: compare them with the ratio of 2^64, so
     * every process decides the same for one trace. */
    uint64_t v = 0;
    for (int i = 8; i < 16; i++) v = v << 8 | trace_id[i];
    return (double)v < ratio * 18446744073709551616.0;
}

bool cft_sample(const cf_trace_ctx *parent, const uint8_t trace_id[16]) {
    if (parent && g_ex.parent_based) return parent->flags & 1;
    return rule_says(g_ex.root_rule, g_ex.ratio, trace_id);
}

/* --- settings ------------------------------------------------------------------------------ */

static const char *env2(const char *specific, const char *general) {
    const char *v = getenv(specific);
    if (v && *v) return v;
    v = general ? getenv(general) : NULL;
    return v && *v ? v : NULL;
}

static long env_long(const char *name, const char *general, long def, long lo, long hi) {
    const char *v = env2(name, general);
    if (!v) return def;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        cf_log_warn("trace", "%s=%s: not a number in [%ld, %ld]; using %ld", name, v, lo, hi, def);
        return def;
    }
    return n;
}

/* Percent-decodes s in place (W3C Baggage octets, as the OTEL_* lists use). */
static void percent_decode(char *s) {
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '%' && r[1] && r[2]) {
            char hex[3] = {r[1], r[2], 0};
            char *end;
            long v = strtol(hex, &end, 16);
            if (!*end) {
                *w++ = (char)v;
                r += 2;
                continue;
            }
        }
        *w++ = *r;
    }
    *w = '\0';
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

/* Calls each(key, value) for the "k=v,k2=v2" list in text (decoded, trimmed). */
static void each_pair(const char *text, void (*each)(const char *k, const char *v, void *u), void *u) {
    char *copy = text ? strdup(text) : NULL;
    if (!copy) return;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) continue;
        *eq = '\0';
        char *k = trim(item), *v = trim(eq + 1);
        percent_decode(k);
        percent_decode(v);
        if (*k) each(k, v, u);
    }
    free(copy);
}

static void resource_set(cft_resource *r, const char *key, const char *value) {
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->attrs[i].key, key)) {
            char *v = strdup(value);
            if (v) free(r->attrs[i].v.s), r->attrs[i].v.s = v;
            return;
        }
    if (r->n == (int)(sizeof r->attrs / sizeof r->attrs[0])) return;
    cft_attr *a = &r->attrs[r->n];
    a->key = strdup(key);
    a->v.s = strdup(value);
    a->type = CFT_STR;
    if (a->key && a->v.s) r->n++;
    else free(a->key), free(a->v.s);
}

static void resource_pair(const char *k, const char *v, void *u) {
    resource_set(u, k, v);
}

static void header_pair(const char *k, const char *v, void *u) {
    exporter *ex = u;
    char line[1024];
    if (!cf_fmt(line, sizeof line, "%s: %s", k, v)) return;
    struct curl_slist *h = curl_slist_append(ex->headers, line);
    if (h) ex->headers = h;
}

static void resource_init(exporter *ex, const char *service_default, const char *instance_id) {
    cft_resource *r = &ex->resource;
    resource_set(r, "service.name", service_default ? service_default : "clipforge");
    resource_set(r, "service.version", CF_VERSION_STRING);
    resource_set(r, "telemetry.sdk.name", "clipforge");
    resource_set(r, "telemetry.sdk.language", "c");
    resource_set(r, "telemetry.sdk.version", CF_VERSION_STRING);
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    resource_set(r, "process.pid", pid);
    char host[256];
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        resource_set(r, "host.name", host);
    }
    if (instance_id) resource_set(r, "service.instance.id", instance_id);
    each_pair(getenv("OTEL_RESOURCE_ATTRIBUTES"), resource_pair, r);
    const char *name = getenv("OTEL_SERVICE_NAME");
    if (name && *name) resource_set(r, "service.name", name);
}

/* The endpoint: the traces one as is, else the base one + /v1/traces. malloc'd or NULL. */
static char *endpoint_url(void) {
    const char *t = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    if (t && *t) return strdup(t);
    const char *b = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    if (!b || !*b) return NULL;
    size_t n = strlen(b);
    char *u = malloc(n + sizeof "/v1/traces");
    if (u) snprintf(u, n + sizeof "/v1/traces", "%s%s", b, b[n - 1] == '/' ? "v1/traces" : "/v1/traces");
    return u;
}

static bool read_sampler(exporter *ex) {
    const char *s = getenv("OTEL_TRACES_SAMPLER");
    const char *arg = getenv("OTEL_TRACES_SAMPLER_ARG");
    ex->ratio = 1.0;
    if (arg && *arg) {
        char *end = NULL;
        double r = strtod(arg, &end);
        if (end == arg || *end || !(r >= 0 && r <= 1))
            cf_log_warn("trace", "OTEL_TRACES_SAMPLER_ARG=%s: not in [0, 1]; using 1", arg);
        else ex->ratio = r;
    }
    static const struct {
        const char *name;
        sample_rule rule;
        bool parent_based;
    } samplers[] = {{"always_on", SAMPLE_ON, false},
                    {"always_off", SAMPLE_OFF, false},
                    {"traceidratio", SAMPLE_RATIO, false},
                    {"parentbased_always_on", SAMPLE_ON, true},
                    {"parentbased_always_off", SAMPLE_OFF, true},
                    {"parentbased_traceidratio", SAMPLE_RATIO, true}};
    if (!s || !*s) s = "parentbased_always_on";
    for (size_t i = 0; i < sizeof samplers / sizeof samplers[0]; i++)
        if (!strcasecmp(s, samplers[i].name)) {
            ex->root_rule = samplers[i].rule;
            ex->parent_based = samplers[i].parent_based;
            return true;
        }
    cf_log_warn("trace", "OTEL_TRACES_SAMPLER=%s is not supported; using parentbased_always_on", s);
    ex->root_rule = SAMPLE_ON;
    ex->parent_based = true;
    return true;
}

static bool read_protocol(exporter *ex) {
    const char *p = env2("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL");
    if (!p || !strcmp(p, "http/protobuf")) return true;
    if (!strcmp(p, "http/json")) return ex->json = true;
    cf_log_error("trace",
                 "OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported (http/protobuf, "
                 "http/json); traces are not exported",
                 p);
    return false;
}

static bool disabled_by_env(void) {
    const char *d = getenv("OTEL_SDK_DISABLED");
    const char *e = getenv("OTEL_TRACES_EXPORTER");
    return (d && !strcasecmp(d, "true")) || (e && !strcasecmp(e, "none"));
}

/* --- the exporter thread ------------------------------------------------------------------- */

static size_t discard_body(char *p, size_t size, size_t n, void *u) {
    (void)p;
    (void)u;
    return size * n;
}

/* Sends one batch; returns true when the collector accepted it (2xx). */
static bool post(exporter *ex, CURL *curl, cf_span **spans, size_t n) {
    cf_textbuf body = {0};
    if (ex->json) cft_encode_json(&ex->resource, spans, n, &body);
    else cft_encode_protobuf(&ex->resource, spans, n, &body);
    if (body.failed) {
        cf_textbuf_free(&body);
        return false;
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, ex->url);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (const char *)body.s);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body.len);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, ex->headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, ex->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, ex->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CURLcode rc = curl_easy_perform(curl);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    atomic_fetch_add(&st_exports, 1);
    atomic_fetch_add(&st_us,
                     (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
    cf_textbuf_free(&body);
    bool ok = rc == CURLE_OK && status >= 200 && status < 300;
    if (!ok) {
        static atomic_int_fast64_t last_warn;
        int64_t now = (int64_t)t1.tv_sec;
        if (now - atomic_exchange(&last_warn, now) >= 10) /* one line per 10 s, not per batch */
            cf_log_warn("trace", "export of %zu spans to %s failed: %s", n, ex->url,
                        rc != CURLE_OK ? curl_easy_strerror(rc) : "collector refused the batch");
    }
    return ok;
}

/* Takes up to max_batch spans off the queue (lock held). */
static size_t take_batch(exporter *ex, cf_span **batch) {
    size_t n = ex->count < ex->max_batch ? ex->count : ex->max_batch;
    for (size_t i = 0; i < n; i++) {
        batch[i] = ex->queue[ex->head];
        ex->head = (ex->head + 1) % ex->max_queue;
    }
    ex->count -= n;
    return n;
}

static void *export_main(void *arg) {
    exporter *ex = arg;
    CURL *curl = curl_easy_init();
    cf_span **batch = calloc(ex->max_batch, sizeof *batch);
    bool given_up = false;
    pthread_mutex_lock(&ex->lock);
    for (;;) {
        if (ex->count < ex->max_batch && !ex->stopping) {
            struct timespec ts = cf_clock_deadline(ex->delay_ms);
            pthread_cond_timedwait(&ex->wake, &ex->lock, &ts);
        }
        if (ex->count == 0 && ex->stopping) break;
        size_t n = batch ? take_batch(ex, batch) : 0;
        bool stopping = ex->stopping;
        pthread_mutex_unlock(&ex->lock);
        /* At shutdown a collector that failed once gets no more tries: a process must stop
         * within one export timeout whatever the collector does. */
        bool ok = n && curl && !given_up && post(ex, curl, batch, n);
        if (stopping && !ok) given_up = true;
        if (n) atomic_fetch_add(ok ? &st_exported : &st_dropped_export, n);
        for (size_t i = 0; i < n; i++) cft_span_free(batch[i]);
        pthread_mutex_lock(&ex->lock);
    }
    pthread_mutex_unlock(&ex->lock);
    free(batch);
    if (curl) curl_easy_cleanup(curl);
    return NULL;
}

void cft_export_enqueue(cf_span *s) {
    exporter *ex = &g_ex;
    pthread_mutex_lock(&ex->lock);
    if (ex->stopping || !ex->queue || ex->count == ex->max_queue) {
        pthread_mutex_unlock(&ex->lock);
        atomic_fetch_add(&st_dropped_queue, 1);
        cft_span_free(s);
        return;
    }
    ex->queue[(ex->head + ex->count) % ex->max_queue] = s;
    bool full_batch = ++ex->count == ex->max_batch;
    pthread_mutex_unlock(&ex->lock);
    if (full_batch) pthread_cond_signal(&ex->wake);
}

static bool read_settings(exporter *ex, const char *service_default, const char *instance_id) {
    if (!read_protocol(ex) || !read_sampler(ex)) return false;
    ex->timeout_ms =
        env_long("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT", 10000, 1, 600000);
    ex->delay_ms = env_long("OTEL_BSP_SCHEDULE_DELAY", NULL, 5000, 1, 3600000);
    ex->max_queue = (size_t)env_long("OTEL_BSP_MAX_QUEUE_SIZE", NULL, 2048, 1, 1 << 22);
    ex->max_batch = (size_t)env_long("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", NULL, 512, 1, 1 << 22);
    if (ex->max_batch > ex->max_queue) ex->max_batch = ex->max_queue;
    struct curl_slist *h = curl_slist_append(NULL, ex->json ? "Content-Type: application/json"
                                                            : "Content-Type: application/x-protobuf");
    ex->headers = h;
    each_pair(env2("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"), header_pair, ex);
    resource_init(ex, service_default, instance_id);
    ex->queue = calloc(ex->max_queue, sizeof *ex->queue);
    return h && ex->queue;
}

static void settings_free(exporter *ex) {
    free(ex->url);
    curl_slist_free_all(ex->headers);
    for (int i = 0; i < ex->resource.n; i++) free(ex->resource.attrs[i].key), free(ex->resource.attrs[i].v.s);
    free(ex->queue);
    memset(ex, 0, sizeof *ex);
}

void cf_trace_init(const char *service_default, const char *instance_id) {
    pthread_mutex_lock(&g_init_lock);
    if (atomic_exchange(&g_inited, true)) {
        pthread_mutex_unlock(&g_init_lock);
        return;
    }
    exporter *ex = &g_ex;
    ex->url = disabled_by_env() ? NULL : endpoint_url();
    if (ex->url && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK &&
        read_settings(ex, service_default, instance_id)) {
        pthread_mutex_init(&ex->lock, NULL);
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&ex->wake, &attr);
        pthread_condattr_destroy(&attr);
        if (pthread_create(&ex->thread, NULL, export_main, ex) == 0) {
            atomic_store(&g_on, true);
            cf_log_debug("trace", "exporting spans to %s (%s)", ex->url,
                         ex->json ? "http/json" : "http/protobuf");
        } else {
            pthread_cond_destroy(&ex->wake);
            pthread_mutex_destroy(&ex->lock);
        }
    }
    if (!atomic_load(&g_on)) settings_free(ex);
    pthread_mutex_unlock(&g_init_lock);
}

void cf_trace_shutdown(void) {
    pthread_mutex_lock(&g_init_lock);
    if (atomic_load(&g_on)) {
        exporter *ex = &g_ex;
        pthread_mutex_lock(&ex->lock);
        ex->stopping = true;
        pthread_cond_signal(&ex->wake);
        pthread_mutex_unlock(&ex->lock);
        pthread_join(ex->thread, NULL);
        atomic_store(&g_on, false);
        pthread_cond_destroy(&ex->wake);
        pthread_mutex_destroy(&ex->lock);
        settings_free(ex);
        curl_global_cleanup();
    }
    pthread_mutex_unlock(&g_init_lock);
}

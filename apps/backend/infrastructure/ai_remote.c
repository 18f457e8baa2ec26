/* ai_remote.c — the remote highlight engine (see ai_remote.h): balancing, retries with jitter,
 * per-service circuit breakers, and one streamed POST /v1/detect per attempt over libcurl. */
#include "infrastructure/ai_remote.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/clock.h"
#include "clipforge/log.h"
#include "clipforge/metrics.h"
#include "clipforge/uri.h"
#include "infrastructure/circuit_breaker.h"

#define MAX_SERVICES 16
#define MAX_LINE (64 << 20) /* the result line carries the score curve: bounded, not small */

typedef struct service {
    char url[512];
    cf_breaker breaker;
} service;

struct cf_ai_remote {
    service s[MAX_SERVICES];
    size_t n;
    atomic_uint next;
    int64_t timeout_ms, connect_ms, idle_ms, retry_base_ms;
    int retries;
    cf_metric *detections, *attempts; /* clipforge_remote_detections{outcome}, _attempts{service,result} */
};

static void init_curl(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static cf_err add_service(cf_ai_remote *r, const char *url, size_t len, const cf_config *cfg, cf_error *err) {
    while (len && url[len - 1] == '/') len--;
    if (r->n == MAX_SERVICES)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "CLIPFORGE_AI_URL: more than %d services",
                            MAX_SERVICES);
    if (len >= sizeof r->s[0].url || !cf_uri_is_http(url))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "CLIPFORGE_AI_URL: '%.*s' is not an http(s) URL",
                            (int)len, url);
    service *s = &r->s[r->n++];
    snprintf(s->url, sizeof s->url, "%.*s", (int)len, url);
    cf_breaker_init(&s->breaker, (int)cfg->ai_breaker_failures, cfg->ai_breaker_cooldown_ms);
    return CF_OK;
}

cf_err cf_ai_remote_new(const cf_config *cfg, cf_ai_remote **out, cf_error *err) {
    *out = NULL;
    if (!cfg->ai_url || !*cfg->ai_url) return CF_OK;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_curl);
    cf_ai_remote *r = calloc(1, sizeof *r);
    if (!r) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    *r = (cf_ai_remote){.timeout_ms = cfg->ai_timeout_ms,
                        .connect_ms = cfg->ai_connect_timeout_ms,
                        .idle_ms = cfg->ai_idle_timeout_ms,
                        .retry_base_ms = cfg->ai_retry_base_ms,
                        .retries = (int)cfg->ai_retries};
    r->detections = cf_metric_counter(
        "clipforge_remote_detections",
        "Detection jobs answered by an inference service, and those that fell back to a local engine.",
        "outcome");
    r->attempts =
        cf_metric_counter("clipforge_remote_attempts",
                          "Requests to each inference service, and how many failed.", "service,result");
    cf_err rc = CF_OK;
    for (const char *p = cfg->ai_url; !rc && *p;) {
        size_t len = strcspn(p, ", ");
        if (len) rc = add_service(r, p, len, cfg, err);
        p += len;
        p += strspn(p, ", ");
    }
    if (!rc && !r->n) rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "CLIPFORGE_AI_URL: no URL");
    if (rc) {
        cf_ai_remote_free(r);
        return rc;
    }
    *out = r;
    return CF_OK;
}

void cf_ai_remote_free(cf_ai_remote *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) cf_breaker_destroy(&r->s[i].breaker);
    free(r);
}

/* ---- one attempt --------------------------------------------------------------------------- */

typedef struct attempt {
    cf_progress *progress;
    int64_t idle_ms, last_byte;
    bool idle, cancelled;
    char *line;
    size_t len, cap;
    json_t *result, *problem; /* the final line's */
    bool oversize;
} attempt;

static void take_line(attempt *a) {
    a->line[a->len] = '\0';
    json_t *j = json_loadb(a->line, a->len, 0, NULL);
    const json_t *p = json_object_get(j, "progress");
    if (json_is_number(p)) {
        const char *stage = json_string_value(json_object_get(j, "stage"));
        char label[64];
        snprintf(label, sizeof label, "remote %s", stage ? stage : "");
        cf_progress_report(a->progress, json_number_value(p) * 0.98, label);
    }
    if (json_object_get(j, "result")) a->result = json_incref(json_object_get(j, "result"));
    if (json_object_get(j, "error")) a->problem = json_incref(json_object_get(j, "error"));
    json_decref(j);
    a->len = 0;
}

static size_t on_body(char *ptr, size_t size, size_t n, void *user) {
    attempt *a = user;
    size_t len = size * n;
    a->last_byte = cf_clock_ms();
    for (size_t i = 0; i < len; i++) {
        if (ptr[i] == '\n') {
            if (a->len) take_line(a);
            continue;
        }
        if (a->len + 2 > a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 4096;
            char *grown = cap <= MAX_LINE ? realloc(a->line, cap) : NULL;
            if (!grown) return a->oversize = true, 0;
            a->line = grown;
            a->cap = cap;
        }
        a->line[a->len++] = ptr[i];
    }
    return len;
}

static int on_xfer(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
    (void)dt, (void)dn, (void)ut, (void)un;
    attempt *a = user;
    if (cf_progress_cancelled(a->progress)) return a->cancelled = true, 1;
    if (cf_clock_ms() - a->last_byte > a->idle_ms) return a->idle = true, 1;
    return 0;
}

typedef enum outcome { ANSWERED, RETRY, FINAL } outcome;

/* Turns a problem from the service into an error; true when the service is fine and the
 * answer final (another service would say the same). */
static outcome problem_outcome(const json_t *p, const char *url, cf_error *err) {
    int status = (int)json_integer_value(json_object_get(p, "status"));
    const char *detail = json_string_value(json_object_get(p, "detail"));
    const char *type = json_string_value(json_object_get(p, "type"));
    bool media = type && strstr(type, "/invalid-media");
    cf_error_set(err, media ? CF_ERR_INVALID_MEDIA : CF_ERR_UNAVAILABLE, "%s answered %d: %s", url, status,
                 detail ? detail
                 : type ? type
                        : "an error");
    return status >= 500 || status == 409 /* cancelled: it was stopping */ ? RETRY : FINAL;
}

static void setup(CURL *h, const cf_ai_remote *r, const char *url, const char *body, struct curl_slist *hdr,
                  attempt *a) {
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)r->connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, a);
}

/* One POST to s; *result on ANSWERED. */
static outcome try_service(const cf_ai_remote *r, service *s, const char *body, cf_progress *progress,
                           json_t **result, cf_error *err) {
    char url[600];
    snprintf(url, sizeof url, "%s/v1/detect", s->url);
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Accept: application/x-ndjson");
    attempt a = {.progress = progress, .idle_ms = r->idle_ms, .last_byte = cf_clock_ms()};
    outcome o = RETRY;
    if (!h || !hdr) {
        cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    } else {
        setup(h, r, url, body, hdr, &a);
        CURLcode cc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (a.cancelled) o = FINAL, cf_error_set(err, CF_ERR_CANCELLED, "detection cancelled");
        else if (a.idle)
            cf_error_set(err, CF_ERR_UNAVAILABLE, "%s: no answer for %lld ms", s->url, (long long)r->idle_ms);
        else if (cc == CURLE_OPERATION_TIMEDOUT && status == 200)
            cf_error_set(err, CF_ERR_UNAVAILABLE, "%s: no result within %lld ms", s->url,
                         (long long)r->timeout_ms);
        else if (cc != CURLE_OK)
            cf_error_set(err, CF_ERR_UNAVAILABLE, "%s: %s", s->url, curl_easy_strerror(cc));
        else if (a.result) o = ANSWERED, *result = json_incref(a.result);
        else if (a.problem) o = problem_outcome(a.problem, s->url, err);
        else if (status != 200)
            o = status >= 500 ? RETRY : FINAL,
            cf_error_set(err, CF_ERR_UNAVAILABLE, "%s answered HTTP %ld", s->url, status);
        else cf_error_set(err, CF_ERR_UNAVAILABLE, "%s: the answer stopped before a result", s->url);
    }
    json_decref(a.result);
    json_decref(a.problem);
    free(a.line);
    curl_slist_free_all(hdr);
    if (h) curl_easy_cleanup(h);
    return o;
}

/* ---- balancing, breakers, retries ---------------------------------------------------------- */

/* The next service to try (round-robin, untried ones first), or NULL when every breaker is open. */
static service *pick(cf_ai_remote *r, const bool *tried, bool *trial) {
    unsigned start = atomic_fetch_add(&r->next, 1);
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < r->n; k++) {
            service *s = &r->s[(start + k) % r->n];
            if ((pass == 0) == tried[s - r->s]) continue;
            if (cf_breaker_allow(&s->breaker, cf_clock_ms(), trial)) return s;
        }
    return NULL;
}

static void backoff(const cf_ai_remote *r, int attempt_no, cf_progress *progress) {
    int64_t d = r->retry_base_ms << (attempt_no < 16 ? attempt_no : 16);
    struct timespec seed;
    clock_gettime(CLOCK_MONOTONIC, &seed);
    uint64_t x = (uint64_t)seed.tv_nsec * 0x9e3779b97f4a7c15ULL;
    x ^= x >> 29;
    int64_t wait = d / 2 + (d > 1 ? (int64_t)(x % (uint64_t)(d / 2 + 1)) : 0); /* equal jitter */
    for (int64_t left = wait; left > 0 && !cf_progress_cancelled(progress); left -= 50) {
        struct timespec ts = {0, (left < 50 ? left : 50) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static cf_err answer(cf_ai_remote *r, json_t *j, cf_highlight_detection_result *out, cf_error *err) {
    cf_err rc = cf_highlight_detection_result_from_json(j, out, err);
    if (rc) {
        cf_error_prefix(err, "the inference service's result");
        return err->code = CF_ERR_UNAVAILABLE;
    }
    free(out->engine);
    if (!(out->engine = strdup("remote"))) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_metric_add(r->detections, "answered", NULL, 1);
    return CF_OK;
}

cf_err cf_ai_remote_detect(cf_ai_remote *r, const cf_highlight_detection_request *req, cf_progress *progress,
                           cf_highlight_detection_result *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    json_t *j = cf_highlight_detection_request_to_json(req);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    bool tried[MAX_SERVICES] = {0};
    cf_err rc = CF_ERR_UNAVAILABLE;
    char trail[CF_ERROR_MSG_MAX - 96] = ""; /* what each failed attempt met */
    int failed = 0;
    for (int k = 0; k <= r->retries; k++) {
        if (k) backoff(r, k - 1, progress);
        if (cf_progress_cancelled(progress)) {
            rc = cf_error_set(err, CF_ERR_CANCELLED, "detection cancelled");
            break;
        }
        bool trial = false;
        service *s = pick(r, tried, &trial);
        if (!s) {
            if (!k)
                cf_error_set(err, CF_ERR_UNAVAILABLE, "circuit open for %s",
                             r->n > 1 ? "every inference service" : r->s[0].url);
            break;
        }
        tried[s - r->s] = true;
        cf_metric_add(r->attempts, s->url, "sent", 1);
        json_t *result = NULL;
        outcome o = try_service(r, s, body, progress, &result, err);
        if (o == RETRY) {
            cf_metric_add(r->attempts, s->url, "failed", 1);
            cf_breaker_failure(&s->breaker, cf_clock_ms(), trial);
            cf_log_warn("remote", "attempt %d: %s", k + 1, err->msg);
            size_t used = strlen(trail);
            snprintf(trail + used, sizeof trail - used, "%s%.300s", used ? "; " : "", err->msg);
            failed++;
            continue;
        }
        cf_breaker_success(&s->breaker, trial);
        rc = o == ANSWERED ? answer(r, result, out, err) : err->code;
        json_decref(result);
        break;
    }
    free(body);
    if (rc == CF_ERR_UNAVAILABLE && failed)
        cf_error_set(err, CF_ERR_UNAVAILABLE, "no inference service answered (%d attempt%s): %s", failed,
                     failed > 1 ? "s" : "", trail);
    if (rc && rc != CF_ERR_INVALID_MEDIA && rc != CF_ERR_CANCELLED && rc != CF_ERR_NO_MEMORY)
        rc = err->code = CF_ERR_UNAVAILABLE;
    return rc;
}

void cf_ai_remote_count_fallback(cf_ai_remote *r) {
    cf_metric_add(r->detections, "fallback", NULL, 1);
}

void cf_ai_remote_metrics(cf_ai_remote *r, FILE *f) {
    if (!r) return;
    const char *names[MAX_SERVICES];
    double states[MAX_SERVICES];
    for (size_t i = 0; i < r->n; i++) {
        cf_breaker_state st = cf_breaker_state_at(&r->s[i].breaker, cf_clock_ms());
        names[i] = r->s[i].url;
        states[i] = st == CF_BREAKER_CLOSED ? 0 : st == CF_BREAKER_HALF_OPEN ? 1 : 2;
    }
    cf_metrics_write_gauge_set(f, "clipforge_remote_breaker_state",
                               "Circuit breaker of each inference service: 0 closed, 1 half-open, 2 open.",
                               "service", names, states, (int)r->n);
}

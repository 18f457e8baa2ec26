/* webhook_http.c — signed webhooks over HTTP (libcurl): render results for the rendering
 * pipeline, which does no HTTP itself, and usage records for billing. Settings: none; the attempts, backoff
 * and timeout are fixed below. */
#include "infrastructure/webhook_http.h"

#include <curl/curl.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clipforge/log.h"
#include "infrastructure/net_guard.h"
#include "clipforge/trace.h"

#define WEBHOOK_ATTEMPTS 4
#define WEBHOOK_FIRST_DELAY_MS 200
#define WEBHOOK_TIMEOUT_S 10

static void sign(const char *secret, const char *body, char hex[65]) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), mac, &len);
    for (unsigned i = 0; i < len && i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

static size_t discard(char *p, size_t size, size_t n, void *user) {
    (void)p, (void)user;
    return size * n;
}

/* One POST; returns the HTTP status, or 0 with *curl_msg set on a transport error. */
static long post_once(const char *url, const char *body, const char *sig_header, bool guarded,
                      cf_net_guard *guard, const char **curl_msg) {
    CURL *c = curl_easy_init();
    if (!c) {
        *curl_msg = "cannot start libcurl";
        return 0;
    }
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, sig_header);
    /* The receiver can join the delivery to the job's trace (W3C Trace Context). */
    cf_span *span = cf_span_start("webhook POST", CF_SPAN_CLIENT, NULL);
    cf_span_set_str(span, "http.request.method", "POST");
    char tp[70], ts[CF_TRACESTATE_MAX + 16];
    if (cf_trace_headers(cf_span_ctx(span), tp, sizeof tp, ts, sizeof ts)) {
        h = curl_slist_append(h, tp);
        if (ts[0]) h = curl_slist_append(h, ts);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)WEBHOOK_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    cf_curl_guard(c, !guarded, guard);
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else *curl_msg = curl_easy_strerror(rc);
    cf_span_set_int(span, "http.response.status_code", status);
    if (status == 0 || status >= 400) cf_span_set_error(span, status ? "webhook refused" : *curl_msg);
    cf_span_end(span);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

cf_err cf_webhook_post_signed(const char *url, const char *secret, const char *body, bool guarded,
                              cf_error *err) {
    char hex[65] = "", header[128];
    if (secret && *secret) sign(secret, body, hex);
    snprintf(header, sizeof header, "X-Clipforge-Signature: sha256=%s", hex);
    long delay = WEBHOOK_FIRST_DELAY_MS, status = 0;
    const char *msg = "";
    for (int attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
        msg = "";
        cf_net_guard guard = {0};
        status = post_once(url, body, header, guarded, &guard, &msg);
        if (guard.refused) /* the same answer every time: no retry */
            return cf_error_set(
                err, CF_ERR_PERMISSION,
                "webhook %s: its host is not a public address (CLIPFORGE_PRIVATE_URLS=refuse)", url);
        if (status >= 200 && status < 300) return CF_OK;
        if (status >= 400 && status < 500) break; /* the receiver refused: retrying will not help */
        cf_log_warn("webhook", "%s attempt %d failed (%ld %s)", url, attempt, status, msg);
        if (attempt < WEBHOOK_ATTEMPTS) {
            struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            delay *= 2;
        }
    }
    return cf_error_set(err, CF_ERR_UNAVAILABLE, "webhook %s: %s%ld %s", url, status ? "HTTP " : "", status,
                        msg);
}

static cf_err post(void *self, const cf_render_destination *d, const char *body, cf_error *err) {
    bool allow_private = self != NULL;
    return cf_webhook_post_signed(d->url, d->secret, body, !allow_private, err);
}

static const bool allowed = true;
static const cf_render_webhook webhook_guarded = {.version = 1, .post = post, .self = NULL};
static const cf_render_webhook webhook_open = {.version = 1, .post = post, .self = (void *)&allowed};

const cf_render_webhook *cf_webhook_http(bool allow_private) {
    return allow_private ? &webhook_open : &webhook_guarded;
}

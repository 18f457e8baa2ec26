/* deliver.c — render destinations: a storage directory (every artifact copied in) and a webhook
 * (the RenderResult JSON POSTed with an HMAC-SHA256 signature, retried with exponential backoff
 * on connection errors and 5xx answers; 4xx answers are final). Also cf_render_run, the
 * compile -> render -> deliver sequence a job runs. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clipforge/fs.h"
#include "clipforge/log.h"
#include "clipforge/render.h"
#include "clipforge/trace.h"
#include "clipforge/uri.h"
#include "render_cut.h"

#define WEBHOOK_ATTEMPTS 4
#define WEBHOOK_FIRST_DELAY_MS 200
#define WEBHOOK_TIMEOUT_S 10

static cf_err to_storage(const cf_render_result *res, const char *uri, cf_error *err) {
    const char *dir = cf_uri_local_path(uri);
    cf_err e = cf_mkdir_p(dir, err);
    for (size_t i = 0; !e && i < res->n_outputs; i++) {
        const char *base = strrchr(res->outputs[i].uri, '/');
        char *dst = cf_path_join(dir, base ? base + 1 : res->outputs[i].uri);
        e = dst ? cf_copy_file(res->outputs[i].uri, dst, err)
                : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        free(dst);
    }
    return e;
}

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
static long post_once(const char *url, const char *body, const char *sig_header, const char **curl_msg) {
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

static cf_err to_webhook(const cf_render_result *res, const cf_render_destination *d, cf_error *err) {
    if (!d->url)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "destinations.url: required for a webhook");
    if (!cf_uri_is_http(d->url))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "destinations.url: must be http:// or https://");
    json_t *j = cf_render_result_to_json(res);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    char hex[65] = "", header[128];
    if (d->secret) sign(d->secret, body, hex);
    snprintf(header, sizeof header, "X-Clipforge-Signature: sha256=%s", hex);
    cf_err e = CF_ERR_UNAVAILABLE;
    long delay = WEBHOOK_FIRST_DELAY_MS, status = 0;
    const char *msg = "";
    for (int attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
        msg = "";
        status = post_once(d->url, body, header, &msg);
        if (status >= 200 && status < 300) {
            e = CF_OK;
            break;
        }
        if (status >= 400 && status < 500) break; /* the receiver refused: retrying will not help */
        cf_log_warn("render", "webhook %s attempt %d failed (%ld %s)", d->url, attempt, status, msg);
        if (attempt < WEBHOOK_ATTEMPTS) {
            struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            delay *= 2;
        }
    }
    free(body);
    if (e)
        cf_error_set(err, CF_ERR_UNAVAILABLE, "webhook %s: %s%ld %s", d->url, status ? "HTTP " : "", status,
                     msg);
    return e;
}

cf_err cf_render_deliver(const cf_render_result *res, const cf_render_destination *d, cf_error *err) {
    if (d->kind == CF_DESTINATION_KIND_WEBHOOK) return to_webhook(res, d, err);
    if (!d->uri) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "destinations.uri: required for storage");
    return to_storage(res, d->uri, err);
}

/* remove_silence: tl cut into the pieces that speak, moved captions in a temp dir (*dir, the
 * caller removes it). */
static cf_err cut_silence(const cf_render_request *req, const cf_render_options *opts, cf_progress *progress,
                          cf_timeline *tl, cf_jump_cut *cut, char **dir, cf_error *err) {
    cf_err e = cf_make_temp_dir(opts->temp_dir, "cfrender-cut-", dir, err);
    return e ? e : cf_render_cut(req, *dir, opts->threads, progress, tl, cut, err);
}

static cf_err record_removed(cf_render_result *out, const cf_jump_cut *cut, cf_error *err) {
    return cf_jump_cut_copy_removed(cut->removed, cut->n_removed, &out->removed_ranges,
                                    &out->n_removed_ranges, err);
}

cf_err cf_render_run(const cf_render_request *req, const cf_render_options *opts, cf_progress *progress,
                     cf_render_result *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_timeline tl;
    cf_jump_cut cut = {0};
    char *cut_dir = NULL;
    cf_err e = cf_render_compile_in(req, opts->template_dir, &tl, err);
    if (e) return e;
    if (req->remove_silence) e = cut_silence(req, opts, progress, &tl, &cut, &cut_dir, err);
    cf_render_options o = *opts;
    if (req->output_uri) o.output_path = cf_uri_local_path(req->output_uri);
    if (!e) e = cf_render_timeline(&tl, req->clip_id, &o, progress, out, err);
    if (!e) e = record_removed(out, &cut, err);
    cf_timeline_free(&tl);
    cf_jump_cut_free(&cut);
    if (cut_dir) {
        cf_error ignored;
        cf_remove_tree(cut_dir, &ignored);
        free(cut_dir);
    }
    for (size_t i = 0; !e && i < req->n_destinations; i++) {
        e = cf_render_deliver(out, &req->destinations[i], err);
        if (e) cf_error_prefix(err, "destinations[%zu]", i);
    }
    if (e) cf_render_result_free(out);
    return e;
}

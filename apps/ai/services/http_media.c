/* http_media.c — an AVIOContext over libcurl Range requests (see http_media.h). */
#include "services/http_media.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <libavformat/avio.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clipforge/uri.h"

#define CACHE_BLOCKS 4
#define AVIO_BUFFER (64 * 1024)

typedef struct block {
    int64_t start; /* -1 when empty */
    int64_t len;
    unsigned char *data;
    uint64_t used; /* for eviction: the least recently used goes */
} block;

struct cf_http_media {
    char *url;
    cf_http_media_options o;
    CURL *curl;
    AVIOContext *avio;
    int64_t size, pos;
    block cache[CACHE_BLOCKS];
    uint64_t clock;
    int64_t bytes, requests;
    bool failed;
    cf_error error;
};

/* What one transfer brought: into buf at most cap bytes, and the total from Content-Range. */
typedef struct transfer {
    unsigned char *buf;
    int64_t cap, len, total;
    cf_progress *progress;
} transfer;

static size_t on_body(char *ptr, size_t size, size_t n, void *user) {
    transfer *t = user;
    size_t len = size * n;
    if (t->len + (int64_t)len > t->cap) return 0; /* more than asked: refuse */
    memcpy(t->buf + t->len, ptr, len);
    t->len += (int64_t)len;
    return len;
}

static size_t on_header(char *line, size_t size, size_t n, void *user) {
    transfer *t = user;
    size_t len = size * n;
    long long a, b, total;
    if (len > 14 && !strncasecmp(line, "content-range:", 14) &&
        sscanf(line + 14, " bytes %lld-%lld/%lld", &a, &b, &total) == 3)
        t->total = total;
    return len;
}

static int on_xfer(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
    (void)dt, (void)dn, (void)ut, (void)un;
    return cf_progress_cancelled(((transfer *)user)->progress) ? 1 : 0;
}

static void sleep_ms(int64_t ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One GET of [start, start + t->cap): CF_OK with t filled, else err. *final = do not retry. */
static cf_err fetch_once(cf_http_media *m, int64_t start, transfer *t, bool *final, cf_error *err) {
    char range[64];
    snprintf(range, sizeof range, "%lld-%lld", (long long)start, (long long)(start + t->cap - 1));
    CURL *h = m->curl;
    curl_easy_setopt(h, CURLOPT_RANGE, range);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, t);
    t->len = 0;
    m->requests++;
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    *final = false;
    if (cc == CURLE_ABORTED_BY_CALLBACK)
        return *final = true, cf_error_set(err, CF_ERR_CANCELLED, "media download cancelled");
    if (cc != CURLE_OK) return cf_error_set(err, CF_ERR_UNAVAILABLE, "media URL: %s", curl_easy_strerror(cc));
    if (status == 206 || (status == 200 && start == 0)) {
        if (status == 200 && t->total <= 0) t->total = t->len; /* no range support: all of it fit */
        m->bytes += t->len;
        return CF_OK;
    }
    if (status == 416) return CF_OK; /* past the end: nothing */
    *final = status >= 400 && status < 500;
    return cf_error_set(err,
                        status == 404                    ? CF_ERR_NOT_FOUND
                        : status == 401 || status == 403 ? CF_ERR_PERMISSION
                                                         : CF_ERR_UNAVAILABLE,
                        "media URL: HTTP %ld%s", status,
                        status == 403 ? " (the signed URL expired or is not valid)" : "");
}

/* fetch_once with retries and doubling backoff for transient failures. */
static cf_err fetch(cf_http_media *m, int64_t start, transfer *t, cf_error *err) {
    cf_err rc = CF_OK;
    for (int attempt = 0; attempt <= m->o.retries; attempt++) {
        if (attempt) sleep_ms(100LL << (attempt - 1));
        bool final = false;
        if ((rc = fetch_once(m, start, t, &final, err)) == CF_OK || final) break;
    }
    return rc;
}

static block *cached(cf_http_media *m, int64_t pos) {
    for (int i = 0; i < CACHE_BLOCKS; i++) {
        block *b = &m->cache[i];
        if (b->start >= 0 && pos >= b->start && pos < b->start + b->len) return b->used = ++m->clock, b;
    }
    return NULL;
}

/* The block holding pos, fetched when not cached; NULL with m->error set on failure. */
static block *load(cf_http_media *m, int64_t pos) {
    block *b = cached(m, pos);
    if (b) return b;
    b = &m->cache[0];
    for (int i = 1; i < CACHE_BLOCKS; i++)
        if (m->cache[i].used < b->used) b = &m->cache[i];
    int64_t start = pos - pos % m->o.block_bytes;
    transfer t = {.buf = b->data, .cap = m->o.block_bytes, .progress = m->o.progress};
    b->start = -1;
    if (fetch(m, start, &t, &m->error) != CF_OK) {
        m->failed = m->error.code != CF_ERR_CANCELLED;
        return NULL;
    }
    if (t.len == 0) return NULL; /* end of the media */
    b->start = start;
    b->len = t.len;
    b->used = ++m->clock;
    return b;
}

static int read_packet(void *opaque, uint8_t *buf, int size) {
    cf_http_media *m = opaque;
    if (m->size >= 0 && m->pos >= m->size) return AVERROR_EOF;
    block *b = load(m, m->pos);
    if (!b) return m->error.code ? AVERROR(EIO) : AVERROR_EOF;
    int64_t n = b->start + b->len - m->pos;
    if (n > size) n = size;
    memcpy(buf, b->data + (m->pos - b->start), (size_t)n);
    m->pos += n;
    return (int)n;
}

static int64_t seek(void *opaque, int64_t offset, int whence) {
    cf_http_media *m = opaque;
    if (whence & AVSEEK_SIZE) return m->size >= 0 ? m->size : AVERROR(ENOSYS);
    whence &= ~AVSEEK_FORCE;
    int64_t to = whence == SEEK_SET                   ? offset
                 : whence == SEEK_CUR                 ? m->pos + offset
                 : whence == SEEK_END && m->size >= 0 ? m->size + offset
                                                      : -1;
    if (to < 0) return AVERROR(EINVAL);
    return m->pos = to;
}

static void init_curl(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static cf_err setup_curl(cf_http_media *m, cf_error *err) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_curl);
    if (!(m->curl = curl_easy_init())) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    CURL *h = m->curl;
    curl_easy_setopt(h, CURLOPT_URL, m->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)m->o.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)((m->o.stall_timeout_ms + 999) / 1000));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xfer);
    return CF_OK;
}

static cf_err open_parts(cf_http_media *m, cf_error *err) {
    for (int i = 0; i < CACHE_BLOCKS; i++) {
        m->cache[i].start = -1;
        if (!(m->cache[i].data = malloc((size_t)m->o.block_bytes)))
            return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    cf_err rc = setup_curl(m, err);
    if (rc) return rc;
    /* the first block, which also says how large the media is */
    block *b = &m->cache[0];
    transfer t = {.buf = b->data, .cap = m->o.block_bytes, .total = -1, .progress = m->o.progress};
    if ((rc = fetch(m, 0, &t, err))) return rc;
    if (t.total < 0 || t.len == 0)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                            "media URL: the server gave no size (no byte ranges?)");
    m->size = t.total;
    *b = (block){.start = 0, .len = t.len, .data = b->data, .used = ++m->clock};
    unsigned char *buf = av_malloc(AVIO_BUFFER);
    m->avio = buf ? avio_alloc_context(buf, AVIO_BUFFER, 0, m, read_packet, NULL, seek) : NULL;
    if (!m->avio) {
        av_free(buf);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    return CF_OK;
}

cf_err cf_http_media_open(const char *url, const cf_http_media_options *o, cf_http_media **out,
                          cf_error *err) {
    *out = NULL;
    if (!url || !cf_uri_is_http(url))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_uri: must be an http(s) URL");
    cf_http_media *m = calloc(1, sizeof *m);
    if (!m || !(m->url = strdup(url))) {
        free(m);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    m->o = o ? *o : (cf_http_media_options){0};
    if (m->o.block_bytes <= 0) m->o.block_bytes = 1 << 20;
    if (m->o.connect_timeout_ms <= 0) m->o.connect_timeout_ms = 5000;
    if (m->o.stall_timeout_ms <= 0) m->o.stall_timeout_ms = 30000;
    m->o.retries = m->o.retries < 0 ? 0 : m->o.retries == 0 ? 3 : m->o.retries;
    cf_err rc = open_parts(m, err);
    if (rc) {
        cf_http_media_close(m);
        return rc;
    }
    *out = m;
    return CF_OK;
}

void *cf_http_media_avio(cf_http_media *m) {
    return m->avio;
}

int64_t cf_http_media_size(const cf_http_media *m) {
    return m->size;
}

void cf_http_media_stats(const cf_http_media *m, int64_t *bytes, int64_t *requests) {
    *bytes = m->bytes;
    *requests = m->requests;
}

bool cf_http_media_failed(const cf_http_media *m, cf_error *err) {
    if (m->failed && err) *err = m->error;
    return m->failed;
}

void cf_http_media_close(cf_http_media *m) {
    if (!m) return;
    if (m->avio) av_freep(&m->avio->buffer);
    avio_context_free(&m->avio);
    if (m->curl) curl_easy_cleanup(m->curl);
    for (int i = 0; i < CACHE_BLOCKS; i++) free(m->cache[i].data);
    free(m->url);
    free(m);
}

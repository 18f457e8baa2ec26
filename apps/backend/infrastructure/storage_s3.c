/* storage_s3.c — object storage on S3 or any S3-compatible server (URL
 * "s3://BUCKET?endpoint=http://127.0.0.1:9000&region=us-east-1&prefix=P&part_size=BYTES").
 * Credentials come from CLIPFORGE_S3_ACCESS_KEY / CLIPFORGE_S3_SECRET_KEY (the config table), else from
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN). Without an endpoint the
 * AWS regional endpoint is used. Requests are path-style (endpoint/bucket/key) over libcurl and
 * signed with AWS Signature Version 4 (s3_sigv4.c): headers for requests, the query string for
 * the presigned GET URLs that sign() returns (verify() is for URLs served by the API, which S3
 * storage never hands out, so it refuses).
 *
 * Uploads: put_write buffers up to part_size bytes (default 8 MiB, at least 5 MiB as S3 wants);
 * a small object is one PUT at commit, a larger one a multipart upload whose parts go out as
 * the buffer fills. S3 shows an object only once it is complete, which is the atomic commit the
 * interface asks for; abort cancels the multipart upload. Reads download to an unlinked temp
 * file (open_read) or to a file under the cache directory (local_path, re-downloaded when the
 * object's size or time changed). */
#include "infrastructure/storage_s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clipforge/fmt.h"
#include "clipforge/config.h"
#include "clipforge/fs.h"
#include "clipforge/trace.h"
#include "clipforge/uri.h"
#include "infrastructure/s3_sigv4.h"

#define MIN_PART (5 * 1024 * 1024)
#define DEFAULT_PART (8 * 1024 * 1024)
#define MAX_PARTS 10000

typedef struct s3_storage {
    char *bucket, *endpoint, *host, *prefix, *cache_dir;
    cf_s3_credentials cred;
    size_t part_size;
} s3_storage;

struct cf_storage_writer {
    char *key;          /* full object key (with prefix) */
    unsigned char *buf; /* the part being filled */
    size_t len;
    char *upload_id; /* NULL until the first part is sent */
    char **etags;    /* one per sent part */
    int parts;
};

/* A growing byte buffer for response bodies. */
typedef struct bytes {
    char *data;
    size_t len, cap;
} bytes;

/* One request: what to send and where the answer goes. */
typedef struct request {
    const char *method;
    const char *key;   /* object key with prefix, NULL for the bucket */
    const char *query; /* canonical query string (sorted, encoded), "" for none */
    const void *body;
    size_t body_len;
    FILE *sink; /* GET: body goes here instead of resp */
    bool head;
    /* filled by perform() */
    long status;
    bytes resp;
    char etag[128];
    curl_off_t length;
    curl_off_t mtime;
} request;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void init_curl(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- URL and settings ---- */

/* The value of name in the query q, malloc'd (percent-decoding is not needed for our keys). */
static char *query_value(const char *q, const char *name) {
    size_t n = strlen(name);
    while (q && *q) {
        size_t len = strcspn(q, "&");
        if (len > n && !strncmp(q, name, n) && q[n] == '=') return strndup(q + n + 1, len - n - 1);
        q += len;
        if (*q == '&') q++;
    }
    return NULL;
}

static cf_err parse_endpoint(s3_storage *s, const char *url, cf_error *err) {
    const char *p = strstr(s->endpoint, "://");
    if (!p || !cf_uri_is_http(s->endpoint))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "storage URL '%s': endpoint must be http:// or https://", url);
    p += 3;
    size_t len = strcspn(p, "/");
    s->host = strndup(p, len);
    size_t elen = strlen(s->endpoint);
    if (elen && s->endpoint[elen - 1] == '/') s->endpoint[elen - 1] = 0;
    return s->host && len ? CF_OK
                          : cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "storage URL '%s': bad endpoint", url);
}

static cf_err copy_credentials(s3_storage *s, const char *ak, const char *sk, cf_error *err) {
    if (!cf_fmt(s->cred.access_key, sizeof s->cred.access_key, "%s", ak) ||
        !cf_fmt(s->cred.secret_key, sizeof s->cred.secret_key, "%s", sk))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "s3 storage: credentials too long");
    return CF_OK;
}

/* The config table's keys (environment or CLIPFORGE_CONFIG_FILE), else the AWS variables. */
static cf_err load_credentials(s3_storage *s, cf_error *err) {
    cf_config cfg;
    cf_err rc = cf_config_load(&cfg, err);
    if (rc) return rc;
    if (*cfg.s3_access_key && *cfg.s3_secret_key) {
        rc = copy_credentials(s, cfg.s3_access_key, cfg.s3_secret_key, err);
        cf_config_free(&cfg);
        return rc;
    }
    cf_config_free(&cfg);
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    const char *tok = getenv("AWS_SESSION_TOKEN");
    if (tok && *tok) snprintf(s->cred.session_token, sizeof s->cred.session_token, "%s", tok);
    if (!ak || !*ak || !sk || !*sk)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "s3 storage: no credentials (set CLIPFORGE_S3_ACCESS_KEY and"
                            " CLIPFORGE_S3_SECRET_KEY, or AWS_ACCESS_KEY_ID and"
                            " AWS_SECRET_ACCESS_KEY)");
    return copy_credentials(s, ak, sk, err);
}

static cf_err parse_settings(s3_storage *s, const char *url, const char *q, cf_error *err) {
    char *region = query_value(q, "region"), *part = query_value(q, "part_size");
    snprintf(s->cred.region, sizeof s->cred.region, "%s", region ? region : "us-east-1");
    free(region);
    s->part_size = DEFAULT_PART;
    if (part) {
        char *end;
        unsigned long long v = strtoull(part, &end, 10);
        bool ok = !*end && v >= MIN_PART && v <= (1ULL << 31);
        free(part);
        if (!ok)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "storage URL '%s': part_size must be 5 MiB..2 GiB", url);
        s->part_size = (size_t)v;
    }
    s->endpoint = query_value(q, "endpoint");
    if (!s->endpoint && asprintf(&s->endpoint, "https://s3.%s.amazonaws.com", s->cred.region) < 0)
        s->endpoint = NULL;
    if (!s->endpoint) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    s->prefix = query_value(q, "prefix");
    if (s->prefix && !cf_storage_key_valid(s->prefix))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "storage URL '%s': bad prefix", url);
    s->cache_dir = query_value(q, "cache");
    return parse_endpoint(s, url, err);
}

static void s3_close(void *self) {
    s3_storage *s = self;
    if (!s) return;
    free(s->bucket);
    free(s->endpoint);
    free(s->host);
    free(s->prefix);
    free(s->cache_dir);
    OPENSSL_cleanse(&s->cred, sizeof s->cred);
    free(s);
}

static cf_err s3_open(const char *url, const unsigned char *key, size_t key_len, void **self, cf_error *err) {
    (void)key;
    (void)key_len;
    pthread_once(&curl_once, init_curl);
    const char *b = url + strlen("s3:");
    if (!strncmp(b, "//", 2)) b += 2;
    size_t blen = strcspn(b, "/?");
    if (blen < 3 || blen > 63)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "storage URL '%s': bad bucket name", url);
    s3_storage *s = calloc(1, sizeof *s);
    if (!s) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    s->bucket = strndup(b, blen);
    const char *q = strchr(b, '?');
    cf_err rc = s->bucket ? parse_settings(s, url, q ? q + 1 : NULL, err)
                          : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = load_credentials(s, err);
    if (rc == CF_OK && !s->cache_dir) {
        if (asprintf(&s->cache_dir, "%s/clipforge-s3-cache", cf_temp_parent(NULL)) < 0) s->cache_dir = NULL;
        if (!s->cache_dir) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    if (rc) {
        s3_close(s);
        return rc;
    }
    *self = s;
    return CF_OK;
}

/* ---- HTTP ---- */

static size_t to_bytes(char *ptr, size_t size, size_t n, void *user) {
    bytes *b = user;
    size_t len = size * n;
    if (b->len + len + 1 > b->cap) {
        size_t cap = (b->len + len + 1) * 2;
        char *grown = realloc(b->data, cap);
        if (!grown) return 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, len);
    b->len += len;
    b->data[b->len] = 0;
    return len;
}

static size_t on_header(char *line, size_t size, size_t n, void *user) {
    request *r = user;
    size_t len = size * n;
    if (len > 5 && !strncasecmp(line, "etag:", 5)) {
        const char *v = line + 5;
        while (*v == ' ') v++;
        size_t vlen = strcspn(v, "\r\n");
        if (vlen < sizeof r->etag) snprintf(r->etag, sizeof r->etag, "%.*s", (int)vlen, v);
    }
    return len;
}

/* The path of an object or the bucket: "/bucket[/key]" with each segment encoded. */
static char *object_path(const s3_storage *s, const char *key) {
    char *enc = key ? cf_s3_uri_encode(key, false) : NULL;
    if (key && !enc) return NULL;
    char *path = NULL;
    if (asprintf(&path, "/%s%s%s", s->bucket, key ? "/" : "", key ? enc : "") < 0) path = NULL;
    free(enc);
    return path;
}

static cf_err status_error(const request *r, cf_error *err) {
    char code[64] = "";
    const char *c = r->resp.data ? strstr(r->resp.data, "<Code>") : NULL;
    if (c) snprintf(code, sizeof code, "%.*s", (int)strcspn(c + 6, "<"), c + 6);
    cf_err rc = r->status == 404   ? CF_ERR_NOT_FOUND
                : r->status == 403 ? CF_ERR_PERMISSION
                : r->status >= 500 ? CF_ERR_UNAVAILABLE
                                   : CF_ERR_IO;
    return cf_error_set(err, rc, "s3 storage: %s %s: HTTP %ld %s", r->method, r->key ? r->key : "", r->status,
                        code);
}

/* The caller's trace context (W3C headers, not signed) so S3-side traces join the job's. */
static struct curl_slist *add_trace_headers(struct curl_slist *headers) {
    char tp[70], ts[CF_TRACESTATE_MAX + 16];
    if (!cf_trace_headers(NULL, tp, sizeof tp, ts, sizeof ts)) return headers;
    struct curl_slist *h = curl_slist_append(headers, tp);
    if (h && ts[0]) h = curl_slist_append(h, ts);
    return h ? h : headers;
}

/* Sends r, signed; CF_OK for a 2xx answer. */
static cf_err perform(const s3_storage *s, request *r, cf_error *err) {
    char *path = object_path(s, r->key);
    if (!path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    struct curl_slist *headers = NULL;
    cf_err rc = cf_s3_sign_headers(&s->cred, r->method, s->host, path, r->query, r->body, r->body_len,
                                   time(NULL), &headers, err);
    char *url = NULL;
    if (rc == CF_OK && asprintf(&url, "%s%s%s%s", s->endpoint, path, *r->query ? "?" : "", r->query) < 0) {
        url = NULL;
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    CURL *h = rc ? NULL : curl_easy_init();
    if (!rc && !h) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (h) {
        headers = curl_slist_append(headers, "Expect:");
        headers = add_trace_headers(headers);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
        if (r->head) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        if (r->body || !strcmp(r->method, "PUT") || !strcmp(r->method, "POST")) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        }
        if (r->sink) {
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fwrite);
            curl_easy_setopt(h, CURLOPT_WRITEDATA, r->sink);
        } else {
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_bytes);
            curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->resp);
        }
        CURLcode cc = curl_easy_perform(h);
        if (cc != CURLE_OK) {
            rc = cf_error_set(err, CF_ERR_UNAVAILABLE, "s3 storage: %s %s: %s", r->method, url,
                              curl_easy_strerror(cc));
        } else {
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
            curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &r->length);
            curl_easy_getinfo(h, CURLINFO_FILETIME_T, &r->mtime);
            if (r->status < 200 || r->status > 299) rc = status_error(r, err);
        }
        curl_easy_cleanup(h);
    }
    curl_slist_free_all(headers);
    free(url);
    free(path);
    return rc;
}

static void request_free(request *r) {
    free(r->resp.data);
    r->resp = (bytes){0};
}

/* The stored key for a user key: "prefix/key" or "key" (malloc'd). */
static char *full_key(const s3_storage *s, const char *key) {
    char *k = NULL;
    if (asprintf(&k, "%s%s%s", s->prefix ? s->prefix : "", s->prefix ? "/" : "", key) < 0) return NULL;
    return k;
}

static cf_err check_key(const char *key, cf_error *err) {
    return cf_storage_key_valid(key)
               ? CF_OK
               : cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "storage: invalid key '%s'", key);
}

/* ---- uploads ---- */

static void writer_free(cf_storage_writer *w) {
    if (!w) return;
    for (int i = 0; i < w->parts; i++) free(w->etags[i]);
    free(w->etags);
    free(w->buf);
    free(w->key);
    free(w->upload_id);
    free(w);
}

static cf_err s3_put_begin(void *self, const char *key, cf_storage_writer **out, cf_error *err) {
    s3_storage *s = self;
    *out = NULL;
    cf_err rc = check_key(key, err);
    if (rc) return rc;
    cf_storage_writer *w = calloc(1, sizeof *w);
    if (w) w->key = full_key(s, key);
    if (w && w->key) w->buf = malloc(s->part_size);
    if (!w || !w->buf) {
        writer_free(w);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    *out = w;
    return CF_OK;
}

/* The text between <tag> and </tag> in xml, malloc'd; NULL when absent. */
static char *xml_value(const char *xml, const char *tag) {
    char open[64];
    snprintf(open, sizeof open, "<%s>", tag);
    const char *p = xml ? strstr(xml, open) : NULL;
    if (!p) return NULL;
    p += strlen(open);
    return strndup(p, strcspn(p, "<"));
}

static cf_err start_multipart(s3_storage *s, cf_storage_writer *w, cf_error *err) {
    request r = {.method = "POST", .key = w->key, .query = "uploads="};
    cf_err rc = perform(s, &r, err);
    if (rc == CF_OK) {
        w->upload_id = xml_value(r.resp.data, "UploadId");
        if (!w->upload_id)
            rc = cf_error_set(err, CF_ERR_IO, "s3 storage: no UploadId in the server's answer");
    }
    request_free(&r);
    return rc;
}

/* The canonical query "partNumber=N&uploadId=ID" (or just the upload id), malloc'd. */
static char *upload_query(const char *upload_id, int part) {
    char *id = cf_s3_uri_encode(upload_id, true), *q = NULL;
    if (!id) return NULL;
    int n = part > 0 ? asprintf(&q, "partNumber=%d&uploadId=%s", part, id) : asprintf(&q, "uploadId=%s", id);
    free(id);
    return n < 0 ? NULL : q;
}

/* Sends the buffered bytes as the next part. */
static cf_err send_part(s3_storage *s, cf_storage_writer *w, cf_error *err) {
    if (!w->upload_id) {
        cf_err rc = start_multipart(s, w, err);
        if (rc) return rc;
    }
    if (w->parts >= MAX_PARTS)
        return cf_error_set(err, CF_ERR_TOO_LARGE, "s3 storage: more than %d parts", MAX_PARTS);
    char **grown = realloc(w->etags, (size_t)(w->parts + 1) * sizeof *grown);
    char *query = upload_query(w->upload_id, w->parts + 1);
    if (grown) w->etags = grown;
    if (!grown || !query) {
        free(query);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    request r = {.method = "PUT", .key = w->key, .query = query, .body = w->buf, .body_len = w->len};
    cf_err rc = perform(s, &r, err);
    if (rc == CF_OK && !r.etag[0])
        rc = cf_error_set(err, CF_ERR_IO, "s3 storage: no ETag for part %d", w->parts + 1);
    if (rc == CF_OK) {
        w->etags[w->parts] = strdup(r.etag);
        if (!w->etags[w->parts]) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        else w->parts++;
    }
    request_free(&r);
    free(query);
    if (rc == CF_OK) w->len = 0;
    return rc;
}

static cf_err s3_put_write(void *self, cf_storage_writer *w, const void *buf, size_t len, cf_error *err) {
    s3_storage *s = self;
    const unsigned char *p = buf;
    while (len) {
        size_t n = s->part_size - w->len < len ? s->part_size - w->len : len;
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        p += n;
        len -= n;
        if (w->len == s->part_size) {
            cf_err rc = send_part(s, w, err);
            if (rc) return rc;
        }
    }
    return CF_OK;
}

static char *complete_body(const cf_storage_writer *w) {
    bytes b = {0};
    char line[256];
    to_bytes("<CompleteMultipartUpload>", 1, 25, &b);
    for (int i = 0; i < w->parts; i++) {
        int n = snprintf(line, sizeof line, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1,
                         w->etags[i]);
        if (n < 0 || n >= (int)sizeof line || to_bytes(line, 1, (size_t)n, &b) != (size_t)n) {
            free(b.data);
            return NULL;
        }
    }
    if (to_bytes("</CompleteMultipartUpload>", 1, 26, &b) != 26) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

static cf_err finish_multipart(s3_storage *s, cf_storage_writer *w, cf_error *err) {
    cf_err rc = w->len ? send_part(s, w, err) : CF_OK;
    char *body = rc ? NULL : complete_body(w);
    char *query = rc ? NULL : upload_query(w->upload_id, 0);
    if (!rc && (!body || !query)) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    request r = {
        .method = "POST", .key = w->key, .query = query, .body = body, .body_len = body ? strlen(body) : 0};
    if (rc == CF_OK) rc = perform(s, &r, err);
    /* S3 may answer 200 with an <Error> body when completing fails late. */
    if (rc == CF_OK && r.resp.data && strstr(r.resp.data, "<Error>"))
        rc = cf_error_set(err, CF_ERR_IO, "s3 storage: completing %s failed: %s", w->key, r.resp.data);
    request_free(&r);
    free(body);
    free(query);
    return rc;
}

static void abort_multipart(s3_storage *s, cf_storage_writer *w) {
    char *query = w->upload_id ? upload_query(w->upload_id, 0) : NULL;
    if (!query) return;
    request r = {.method = "DELETE", .key = w->key, .query = query};
    cf_error ignored;
    perform(s, &r, &ignored);
    request_free(&r);
    free(query);
}

static cf_err s3_put_commit(void *self, cf_storage_writer *w, cf_error *err) {
    s3_storage *s = self;
    cf_err rc;
    if (w->upload_id) {
        rc = finish_multipart(s, w, err);
        if (rc) abort_multipart(s, w);
    } else {
        request r = {.method = "PUT", .key = w->key, .query = "", .body = w->buf, .body_len = w->len};
        rc = perform(s, &r, err);
        request_free(&r);
    }
    writer_free(w);
    return rc;
}

static void s3_put_abort(void *self, cf_storage_writer *w) {
    if (!w) return;
    abort_multipart(self, w);
    writer_free(w);
}

/* ---- reads ---- */

static cf_err head_object(s3_storage *s, const char *k, cf_storage_info *st, cf_error *err) {
    request r = {.method = "HEAD", .key = k, .query = "", .head = true};
    cf_err rc = perform(s, &r, err);
    if (rc == CF_OK && st) {
        st->size = r.length >= 0 ? (int64_t)r.length : 0;
        st->mtime = r.mtime >= 0 ? (int64_t)r.mtime : 0;
    }
    request_free(&r);
    return rc;
}

static cf_err s3_stat(void *self, const char *key, cf_storage_info *st, cf_error *err) {
    cf_err rc = check_key(key, err);
    char *k = rc ? NULL : full_key(self, key);
    if (!rc && !k) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = head_object(self, k, st, err);
    free(k);
    return rc;
}

/* Downloads key into the open file f (rewound and truncated first). */
static cf_err download(s3_storage *s, const char *k, FILE *f, cf_storage_info *st, cf_error *err) {
    request r = {.method = "GET", .key = k, .query = "", .sink = f};
    cf_err rc = perform(s, &r, err);
    if (rc == CF_OK && fflush(f) != 0)
        rc = cf_error_set(err, CF_ERR_IO, "s3 storage: writing %s: %s", k, strerror(errno));
    if (rc == CF_OK && st) {
        st->size = (int64_t)ftello(f);
        st->mtime = r.mtime >= 0 ? (int64_t)r.mtime : 0;
    }
    request_free(&r);
    return rc;
}

static cf_err s3_open_read(void *self, const char *key, int *fd, cf_storage_info *st, cf_error *err) {
    *fd = -1;
    cf_err rc = check_key(key, err);
    char *k = rc ? NULL : full_key(self, key);
    if (!rc && !k) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    FILE *f = rc ? NULL : tmpfile();
    if (!rc && !f) rc = cf_error_set(err, CF_ERR_IO, "s3 storage: temp file: %s", strerror(errno));
    if (rc == CF_OK) rc = download(self, k, f, st, err);
    if (rc == CF_OK) {
        *fd = dup(fileno(f));
        if (*fd < 0) rc = cf_error_set(err, CF_ERR_IO, "s3 storage: dup: %s", strerror(errno));
        else lseek(*fd, 0, SEEK_SET);
    }
    if (f) fclose(f);
    free(k);
    return rc;
}

/* A cache file name for key: the key with '/' turned into '%' (keys have no '%'). */
static char *cache_path(const s3_storage *s, const char *k) {
    char *flat = strdup(k), *path = NULL;
    if (!flat) return NULL;
    for (char *p = flat; *p; p++)
        if (*p == '/') *p = '%';
    if (asprintf(&path, "%s/%s", s->cache_dir, flat) < 0) path = NULL;
    free(flat);
    return path;
}

static cf_err fill_cache(s3_storage *s, const char *k, const char *path, cf_error *err) {
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.%d.part", path, (int)getpid()) < 0)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    FILE *f = fopen(tmp, "w+");
    cf_err rc = f ? download(s, k, f, NULL, err)
                  : cf_error_set(err, CF_ERR_IO, "s3 storage: %s: %s", tmp, strerror(errno));
    if (f) fclose(f);
    if (rc == CF_OK && rename(tmp, path) != 0)
        rc = cf_error_set(err, CF_ERR_IO, "s3 storage: %s: %s", path, strerror(errno));
    if (rc) unlink(tmp);
    free(tmp);
    return rc;
}

static cf_err s3_local_path(void *self, const char *key, char **path, cf_error *err) {
    s3_storage *s = self;
    *path = NULL;
    cf_storage_info remote = {0};
    cf_err rc = check_key(key, err);
    char *k = rc ? NULL : full_key(s, key);
    if (!rc && !k) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = head_object(s, k, &remote, err);
    if (rc == CF_OK) rc = cf_mkdir_p(s->cache_dir, err);
    char *p = rc ? NULL : cache_path(s, k);
    if (!rc && !p) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    struct stat sb;
    bool fresh = p && stat(p, &sb) == 0 && sb.st_size == remote.size && (int64_t)sb.st_mtime >= remote.mtime;
    if (rc == CF_OK && !fresh) rc = fill_cache(s, k, p, err);
    free(k);
    if (rc) {
        free(p);
        return rc;
    }
    *path = p;
    return CF_OK;
}

static cf_err s3_remove(void *self, const char *key, cf_error *err) {
    cf_err rc = check_key(key, err);
    char *k = rc ? NULL : full_key(self, key);
    if (!rc && !k) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    /* DELETE succeeds for a missing key too: look first, so a missing object is NOT_FOUND. */
    if (rc == CF_OK) rc = head_object(self, k, NULL, err);
    request r = {.method = "DELETE", .key = k, .query = ""};
    if (rc == CF_OK) rc = perform(self, &r, err);
    request_free(&r);
    free(k);
    return rc;
}

/* ---- listing ---- */

/* One ListObjectsV2 page: fn for each <Contents>; *next = the continuation token or NULL. */
static cf_err list_page(s3_storage *s, const char *full_prefix, const char *token, size_t strip,
                        cf_storage_list_fn fn, void *user, bool *stop, char **next, cf_error *err) {
    char *p = cf_s3_uri_encode(full_prefix, true), *t = token ? cf_s3_uri_encode(token, true) : NULL;
    char *query = NULL;
    if (!p || (token && !t) ||
        asprintf(&query, "%s%s%slist-type=2&prefix=%s", t ? "continuation-token=" : "", t ? t : "",
                 t ? "&" : "", p) < 0)
        query = NULL;
    free(p);
    free(t);
    if (!query) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    request r = {.method = "GET", .key = NULL, .query = query};
    cf_err rc = perform(s, &r, err);
    for (const char *c = r.resp.data; !rc && c && !*stop && (c = strstr(c, "<Contents>")); c++) {
        char *key = xml_value(c, "Key"), *size = xml_value(c, "Size"), *mod = xml_value(c, "LastModified");
        struct tm tm = {0};
        cf_storage_info st = {.size = size ? strtoll(size, NULL, 10) : 0};
        if (mod && strptime(mod, "%Y-%m-%dT%H:%M:%S", &tm)) st.mtime = (int64_t)timegm(&tm);
        if (key && strlen(key) > strip) *stop = !fn(user, key + strip, &st);
        free(key), free(size), free(mod);
    }
    char *truncated = rc ? NULL : xml_value(r.resp.data, "IsTruncated");
    *next = truncated && !strcmp(truncated, "true") ? xml_value(r.resp.data, "NextContinuationToken") : NULL;
    free(truncated);
    request_free(&r);
    free(query);
    return rc;
}

static cf_err s3_list(void *self, const char *prefix, cf_storage_list_fn fn, void *user, cf_error *err) {
    s3_storage *s = self;
    char *full = NULL;
    if (asprintf(&full, "%s%s%s", s->prefix ? s->prefix : "", s->prefix ? "/" : "", prefix) < 0)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    size_t strip = s->prefix ? strlen(s->prefix) + 1 : 0;
    char *token = NULL;
    bool stop = false;
    cf_err rc = CF_OK;
    do {
        char *next = NULL;
        rc = list_page(s, full, token, strip, fn, user, &stop, &next, err);
        free(token);
        token = next;
    } while (!rc && token && !stop);
    free(token);
    free(full);
    return rc;
}

/* ---- signed URLs ---- */

/* The object store checks its presigned URLs itself, on key and expiry. The tenant the link
 * was made for goes in as the signed parameter x-clipforge-tenant: the store ignores it but
 * refuses the URL when it is changed, so a link names its tenant (in the store's logs too) and
 * cannot be passed off as another's. Which tenant may have a link to which key is the API's
 * check before it signs (cf_tenant_sign_url), as for local links. */
static cf_err s3_sign(void *self, const char *tenant, const char *key, int64_t ttl_s, int64_t now_s,
                      char **url, cf_error *err) {
    s3_storage *s = self;
    *url = NULL;
    if (ttl_s < 1 || ttl_s > 604800)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "s3 storage: URL lifetime must be 1 s..7 days");
    cf_err rc = check_key(key, err);
    char *k = rc ? NULL : full_key(s, key);
    char *path = k ? object_path(s, k) : NULL;
    if (!rc && !path) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    char *query = NULL, *t = rc ? NULL : cf_s3_uri_encode(tenant, true), *extra = NULL;
    if (!rc && (!t || asprintf(&extra, "x-clipforge-tenant=%s", t) < 0)) {
        extra = NULL;
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    free(t);
    if (rc == CF_OK)
        rc = cf_s3_presign_query(&s->cred, "GET", s->host, path, ttl_s, now_s, extra, &query, err);
    free(extra);
    if (rc == CF_OK && asprintf(url, "%s%s?%s", s->endpoint, path, query) < 0) {
        *url = NULL;
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    free(query);
    free(path);
    free(k);
    return rc;
}

static cf_err s3_verify(void *self, const char *tenant, const char *key, const char *exp, const char *sig,
                        int64_t now_s, cf_error *err) {
    (void)self;
    (void)tenant;
    (void)exp;
    (void)sig;
    (void)now_s;
    return cf_error_set(err, CF_ERR_PERMISSION,
                        "s3 storage: %s is served by the object store's presigned URLs", key);
}

static const cf_storage_methods methods = {
    .version = 1,
    .name = "s3",
    .open = s3_open,
    .close = s3_close,
    .put_begin = s3_put_begin,
    .put_write = s3_put_write,
    .put_commit = s3_put_commit,
    .put_abort = s3_put_abort,
    .open_read = s3_open_read,
    .local_path = s3_local_path,
    .stat = s3_stat,
    .remove = s3_remove,
    .sign = s3_sign,
    .verify = s3_verify,
    .list = s3_list,
};

const cf_storage_methods *cf_storage_s3_methods(void) {
    return &methods;
}

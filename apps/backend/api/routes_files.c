/* routes_files.c — GET /v1/files/{key}?tenant=&exp=&sig=: downloads through signed, expiring
 * URLs bound to the tenant they were made for (403 when the signature, over tenant, key and
 * expiry, does not match or has expired; 404 when that tenant does not own the object now), with single byte
 * ranges (206/416) so players can seek. The file is sent from its descriptor (sendfile), never read into
 * memory. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "clipforge/domain/problem.h"
#include <strings.h>

static const char *mime_for(const char *key) {
    const char *dot = strrchr(key, '.');
    if (!dot) return "application/octet-stream";
    static const char *const map[][2] = {
        {".mp4", "video/mp4"},         {".webm", "video/webm"}, {".gif", "image/gif"},
        {".jpg", "image/jpeg"},        {".jpeg", "image/jpeg"}, {".png", "image/png"},
        {".json", "application/json"}, {".vtt", "text/vtt"},    {".srt", "application/x-subrip"},
        {".m4a", "audio/mp4"},         {".wav", "audio/wav"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(dot, map[i][0])) return map[i][1];
    return "application/octet-stream";
}

/* Parses "bytes=A-B", "bytes=A-", "bytes=-N" against size. 1 ok, 0 not satisfiable,
 * -1 malformed or several ranges (then the whole file is sent, as RFC 9110 allows). */
static int parse_range(const char *h, int64_t size, int64_t *from, int64_t *to) {
    if (strncmp(h, "bytes=", 6) || strchr(h, ',')) return -1;
    const char *p = h + 6;
    char *end = NULL;
    if (*p == '-') {
        long long n = strtoll(p + 1, &end, 10);
        if (end == p + 1 || *end || n < 0) return -1;
        if (n == 0 || size == 0) return 0;
        *from = n >= size ? 0 : size - n;
        *to = size - 1;
        return 1;
    }
    long long a = strtoll(p, &end, 10);
    if (end == p || *end != '-' || a < 0) return -1;
    const char *q = end + 1;
    long long b = size - 1;
    if (*q) {
        b = strtoll(q, &end, 10);
        if (end == q || *end || b < a) return -1;
    }
    if (a >= size) return 0;
    *from = a;
    *to = b >= size ? size - 1 : b;
    return 1;
}

static enum MHD_Result reply_unsatisfiable(cf_http_request *req, const char *range, int64_t size) {
    char detail[160], cr[64];
    snprintf(detail, sizeof detail, "range '%.100s' is outside the %lld bytes of the file", range,
             (long long)size);
    snprintf(cr, sizeof cr, "bytes */%lld", (long long)size);
    struct MHD_Response *r = cf_http_problem_response("range-not-satisfiable", detail);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
    return cf_http_reply(req, 416, r);
}

enum MHD_Result cf_api_files(cf_http_request *req) {
    const char *key = req->path_param;
    cf_error err;
    const char *tenant = cf_http_query(req, "tenant");
    if (cf_storage_verify(req->app->storage, tenant, key, cf_http_query(req, "exp"),
                          cf_http_query(req, "sig"), cf_now_ms() / 1000, &err))
        return cf_http_reply_problem(req, "forbidden", err.msg);
    if (!cf_tenant_may_download(req->app->store, tenant, key))
        return cf_http_reply_problem(req, "not-found", "no such file");
    int fd = -1;
    cf_storage_info st;
    if (cf_storage_open_read(req->app->storage, key, &fd, &st, &err)) return cf_http_reply_error(req, &err);
    int64_t from = 0, to = st.size - 1;
    const char *range = cf_http_header(req, MHD_HTTP_HEADER_RANGE);
    int pr = range ? parse_range(range, st.size, &from, &to) : -1;
    if (pr == 0) {
        close(fd);
        return reply_unsatisfiable(req, range, st.size);
    }
    if (pr < 0) {
        from = 0;
        to = st.size - 1;
    }
    uint64_t len = st.size ? (uint64_t)(to - from + 1) : 0;
    struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(len, fd, (uint64_t)from);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime_for(key));
    MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "private, max-age=60");
    if (pr == 1) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %lld-%lld/%lld", (long long)from, (long long)to, (long long)st.size);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
        return cf_http_reply(req, 206, r);
    }
    return cf_http_reply(req, 200, r);
}

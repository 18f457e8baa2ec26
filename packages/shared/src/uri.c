/* uri.c — URI schemes (see uri.h). */
#include "clipforge/uri.h"

#include <stdlib.h>
#include <string.h>

const char *cf_uri_rest(const char *uri, const char *scheme) {
    size_t n = strlen(scheme);
    if (!uri || strncmp(uri, scheme, n) || strncmp(uri + n, "://", 3)) return NULL;
    return uri + n + 3;
}

const char *cf_uri_local_path(const char *uri) {
    const char *path = cf_uri_rest(uri, "file");
    return path ? path : uri;
}

bool cf_uri_is_http(const char *uri) {
    return cf_uri_rest(uri, "http") || cf_uri_rest(uri, "https");
}

bool cf_uri_int(const char *s, size_t len, int64_t lo, int64_t hi, int64_t *out) {
    char buf[24];
    if (!s || !len || len >= sizeof buf) return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (*end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

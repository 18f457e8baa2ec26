/* uri.c — URI schemes (see uri.h). */
#include "clipforge/uri.h"

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

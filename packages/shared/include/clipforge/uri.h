/* uri.h — the URI forms clipforge reads, one rule each: file://PATH or a bare path (a local
 * file), media://ID (an uploaded media item), storage://KEY (a stored object), http:// and
 * https:// (remote services). Schemes are matched as clipforge writes them (lower case). */
#ifndef CLIPFORGE_URI_H
#define CLIPFORGE_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What follows "SCHEME://" when uri has that scheme; NULL when it has not (or uri is NULL). */
const char *cf_uri_rest(const char *uri, const char *scheme);
/* uri with a leading file:// taken off; any other uri as it is. */
const char *cf_uri_local_path(const char *uri);
/* True when uri starts with http:// or https://. */
bool cf_uri_is_http(const char *uri);
/* A whole decimal number of a URL part (the len bytes at s, e.g. a query value or a port) in
 * [lo, hi] into *out; false for anything else. */
bool cf_uri_int(const char *s, size_t len, int64_t lo, int64_t hi, int64_t *out);

#endif

/* source_fetch.h — remote sources: media a client names by an https:// URL, fetched by the
 * server (POST /v1/media/import). Which URLs may be fetched is the operator's allow-list
 * (CLIPFORGE_SOURCE_ALLOW; empty = none); every hop of the fetch is checked again (redirects are
 * followed here, one at a time, each URL against the allow-list and each connection's address
 * against net_guard.h), and the fetch is bounded in bytes and in time. */
#ifndef CLIPFORGE_SOURCE_FETCH_H
#define CLIPFORGE_SOURCE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"

#define CF_SOURCE_MAX_REDIRECTS 5

struct cf_source_policy {
    const char *allow;   /* host patterns, comma-separated: "host", "*.domain" (its subdomains) or
                            "*" (any host); "" or NULL = no remote source is allowed */
    int64_t max_bytes;   /* a source larger than this is refused (CF_ERR_TOO_LARGE) */
    int64_t timeout_ms;  /* the whole fetch, every hop */
    const char *ca_file; /* CA certificates to verify servers with, NULL or "" = the system's */
    /* "host:port:address,..." (test builds): the host resolved to that address, which is then
     * reachable for that host and port alone even when private; NULL or "" = none */
    const char *pins;
};
typedef struct cf_source_policy cf_source_policy;

/* Whether host (as in a URL, any case) matches one of the allow-list's patterns. */
bool cf_source_host_allowed(const char *allow, const char *host);
/* Whether url may be fetched, without any network: an absolute https:// URL without user
 * name or password whose path has no "." or ".." segment (plain or percent-encoded), whose host
 * the allow-list names. CF_ERR_INVALID_ARGUMENT when it is no such URL (file://, a path, ...),
 * CF_ERR_PERMISSION when the allow-list does not name its host (or is empty); err says why. */
cf_err cf_source_check(const char *allow, const char *url, cf_error *err);

/* Receives the body of the final answer, chunk by chunk; a non-zero return stops the fetch. */
typedef cf_err (*cf_source_sink)(void *user, const void *buf, size_t len, cf_error *err);

/* Fetches url under policy p into sink; *bytes = what the sink received. Errors:
 * CF_ERR_INVALID_ARGUMENT / CF_ERR_PERMISSION as cf_source_check (for a redirect too, or a
 * connection to an address that is not public), CF_ERR_TOO_LARGE over p->max_bytes,
 * CF_ERR_TIMEOUT past p->timeout_ms, CF_ERR_UNAVAILABLE when the server cannot be reached or
 * answers other than 200 (or redirects more than CF_SOURCE_MAX_REDIRECTS times), or the sink's
 * error. On an error the sink may have received part of the body: the caller discards it. */
cf_err cf_source_fetch(const cf_source_policy *p, const char *url, cf_source_sink sink, void *user,
                       int64_t *bytes, cf_error *err);

#endif

/* s3_sigv4.h — AWS Signature Version 4 for S3 requests: the Authorization header of a request
 * and the query string of a presigned URL. HMAC-SHA256 and SHA-256 from OpenSSL. */
#ifndef CLIPFORGE_S3_SIGV4_H
#define CLIPFORGE_S3_SIGV4_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"

typedef struct cf_s3_credentials {
    char access_key[128];
    char secret_key[128];
    char session_token[2048]; /* "" when none */
    char region[64];
} cf_s3_credentials;

/* RFC 3986 percent-encoding as SigV4 wants it (unreserved kept; '/' kept unless
 * encode_slash). malloc'd; NULL when out of memory. */
char *cf_s3_uri_encode(const char *s, bool encode_slash);

/* Appends x-amz-date, x-amz-content-sha256, x-amz-security-token (with a session token) and
 * Authorization to *headers for a request on host (as sent in Host:), path (already encoded),
 * query (canonical: sorted, encoded, "" for none) and body, signed at now (unix s). */
cf_err cf_s3_sign_headers(const cf_s3_credentials *c, const char *method, const char *host, const char *path,
                          const char *query, const void *body, size_t body_len, int64_t now,
                          struct curl_slist **headers, cf_error *err);

/* The query string of a presigned URL for method on host+path, valid ttl_s seconds from now
 * (unix s): "X-Amz-Algorithm=...&X-Amz-Signature=..." (malloc'd into *query). extra (NULL for
 * none) is more parameters, canonical already (encoded, sorted, each sorting after every
 * X-Amz-* one, as lower-case names do), signed with the rest: the object store refuses the URL
 * when one of them is changed. */
cf_err cf_s3_presign_query(const cf_s3_credentials *c, const char *method, const char *host, const char *path,
                           int64_t ttl_s, int64_t now, const char *extra, char **query, cf_error *err);

#endif

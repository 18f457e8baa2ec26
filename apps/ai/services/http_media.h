/* http_media.h — media read over HTTP byte ranges (libcurl) as an FFmpeg AVIOContext, so the
 * decoders of the feature extractor read a signed URL the backend issued (its /v1/files route,
 * or an S3 presigned URL) as if it were a file: reads fetch aligned blocks with Range requests
 * on one kept-alive connection, a few blocks stay cached for the demuxer's seeks, transient
 * failures (connection, 5xx) are retried with backoff, a refusal (403 expired signature, 404)
 * is final. The transport error is kept, so the caller can tell a failing network from bad
 * media. */
#ifndef CLIPFORGE_AI_HTTP_MEDIA_H
#define CLIPFORGE_AI_HTTP_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "clipforge/error.h"
#include "clipforge/progress.h"

typedef struct cf_http_media cf_http_media;

typedef struct cf_http_media_options {
    int64_t block_bytes;        /* bytes per range request (default 1 MiB) */
    int64_t connect_timeout_ms; /* default 5000 */
    int64_t stall_timeout_ms;   /* a transfer moving no byte this long fails (default 30000) */
    int retries;                /* extra attempts per block (0 = 3, -1 = none) */
    cf_progress *progress;      /* its cancel flag aborts a transfer */
} cf_http_media_options;

/* Opens url (http:// or https://): a first ranged request learns the size. CF_ERR_NOT_FOUND /
 * CF_ERR_PERMISSION when the server refuses, CF_ERR_UNAVAILABLE when it cannot be reached. */
cf_err cf_http_media_open(const char *url, const cf_http_media_options *o, cf_http_media **out,
                          cf_error *err);
/* The AVIOContext (AVIOContext *) reading it; owned by m. */
void *cf_http_media_avio(cf_http_media *m);
int64_t cf_http_media_size(const cf_http_media *m);
/* Bytes fetched and requests made so far. */
void cf_http_media_stats(const cf_http_media *m, int64_t *bytes, int64_t *requests);
/* True when a read failed in transport (err then holds why); reads of bad media are not this. */
bool cf_http_media_failed(const cf_http_media *m, cf_error *err);
void cf_http_media_close(cf_http_media *m);

#endif

/* ai_remote.h — the backend's `remote` highlight engine: detection jobs go to inference services
 * (`clipforge ai serve`, CLIPFORGE_AI_URL=http://a,http://b) over POST /v1/detect with a streamed
 * answer. Requests are balanced round-robin over the services whose circuit breaker lets them
 * through; a failed attempt (no connection, a service that stops answering for
 * CLIPFORGE_AI_IDLE_TIMEOUT_MS, a cut stream, 5xx/503) is retried on the next service after a
 * backoff of CLIPFORGE_AI_RETRY_BASE_MS doubling per attempt, with jitter, up to
 * CLIPFORGE_AI_RETRIES more times; each service has its own breaker
 * (CLIPFORGE_AI_BREAKER_FAILURES, CLIPFORGE_AI_BREAKER_COOLDOWN_MS). A whole detection is bounded
 * by CLIPFORGE_AI_TIMEOUT_MS, a connection by CLIPFORGE_AI_CONNECT_TIMEOUT_MS. One object per
 * process (the breakers' memory), shared by every worker thread. */
#ifndef CLIPFORGE_AI_REMOTE_H
#define CLIPFORGE_AI_REMOTE_H

#include <stdio.h>

#include "clipforge/config.h"
#include "clipforge/domain/types.h"
#include "clipforge/progress.h"

typedef struct cf_ai_remote cf_ai_remote;

/* *out = NULL when cfg names no service. CF_ERR_INVALID_ARGUMENT for a URL that is not http(s). */
cf_err cf_ai_remote_new(const cf_config *cfg, cf_ai_remote **out, cf_error *err);
void cf_ai_remote_free(cf_ai_remote *r);

/* Runs req (media_uri a URL the service can fetch) on a service. CF_OK: *out is the service's
 * result with engine "remote". CF_ERR_INVALID_MEDIA: the service found the media unusable (a
 * local engine would too). CF_ERR_CANCELLED: progress was cancelled. CF_ERR_UNAVAILABLE: no
 * service answered; err says why, for the result's fallback_reason. */
cf_err cf_ai_remote_detect(cf_ai_remote *r, const cf_highlight_detection_request *req, cf_progress *progress,
                           cf_highlight_detection_result *out, cf_error *err);

/* The breakers' states, read at scrape time (answers, fallbacks and attempts per service are
 * counters of the metrics registry). */
void cf_ai_remote_metrics(cf_ai_remote *r, FILE *out);
/* Counts a detection that fell back to a local engine (for the metrics). */
void cf_ai_remote_count_fallback(cf_ai_remote *r);

#endif

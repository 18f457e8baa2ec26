/* webhook_http.h — the rendering pipeline's webhook adapter over libcurl: a RenderResult POSTed
 * with an HMAC-SHA256 signature header, retried with exponential backoff on connection errors
 * and 5xx answers (4xx answers are final). */
#ifndef CLIPFORGE_WEBHOOK_HTTP_H
#define CLIPFORGE_WEBHOOK_HTTP_H

#include <stdbool.h>

#include "clipforge/render.h"

/* The adapter (static, never freed) for URLs clients give: connections to private addresses are
 * refused unless allow_private (net_guard.h). It POSTs to d->url with "Content-Type: application/json",
 * "X-Clipforge-Signature: sha256=<hex HMAC-SHA256 of the body with d->secret>" and the current
 * trace context (W3C traceparent/tracestate). CF_ERR_UNAVAILABLE when no attempt succeeded. */
const cf_render_webhook *cf_webhook_http(bool allow_private);
/* One delivery as above of body to url (secret may be NULL: an empty signature), retried a few
 * times over a few seconds; guarded: to public addresses only (a URL a client gave). */
cf_err cf_webhook_post_signed(const char *url, const char *secret, const char *body, bool guarded,
                              cf_error *err);

#endif

/* billing_webhook.h — the signed-webhook billing adapter: each usage record POSTed as JSON to a
 * URL with "X-Clipforge-Signature: sha256=<hex HMAC-SHA256 of the body>" (the render webhooks'
 * format); a 2xx takes it, anything else leaves it for a later delivery. */
#ifndef CLIPFORGE_BILLING_WEBHOOK_H
#define CLIPFORGE_BILLING_WEBHOOK_H

#include "application/billing.h"

/* url: http:// or https://; secret may be empty (unsigned). */
cf_err cf_billing_webhook(const char *url, const char *secret, cf_billing_sink *out, cf_error *err);

#endif

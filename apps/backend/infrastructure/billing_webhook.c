/* billing_webhook.c — usage records to a signed webhook (CLIPFORGE_BILLING_WEBHOOK_URL). */
#include "infrastructure/billing_webhook.h"

#include <stdlib.h>
#include <string.h>

#include "clipforge/uri.h"
#include "infrastructure/webhook_http.h"

typedef struct hook {
    char *url, *secret;
} hook;

static cf_err deliver(void *self, const char *record, cf_error *err) {
    hook *h = self;
    return cf_webhook_post_signed(h->url, h->secret, record, false, err); /* the operator's URL */
}

static void hook_free(void *self) {
    hook *h = self;
    if (!h) return;
    free(h->url);
    free(h->secret);
    free(h);
}

cf_err cf_billing_webhook(const char *url, const char *secret, cf_billing_sink *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (!url || !cf_uri_is_http(url))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "CLIPFORGE_BILLING_WEBHOOK_URL: must be http:// or https://");
    hook *h = calloc(1, sizeof *h);
    if (h) h->url = strdup(url), h->secret = strdup(secret ? secret : "");
    if (!h || !h->url || !h->secret) {
        hook_free(h);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    *out = (cf_billing_sink){.version = 1, .deliver = deliver, .free = hook_free, .self = h};
    return CF_OK;
}

/* routes_meta.c — /healthz (the process answers), /readyz (the store answers), /metrics
 * (Prometheus text 0.0.4, or OpenMetrics 1.0 with exemplars when the scraper asks for it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "application/ai_events.h"
#include "application/job_runner.h"
#include "infrastructure/ai_remote.h"
#include "application/metrics.h"

enum MHD_Result cf_api_healthz(cf_http_request *req) {
    return cf_http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

enum MHD_Result cf_api_readyz(cf_http_request *req) {
    cf_job_stats st;
    cf_error err;
    if (cf_store_stats(req->app->store, &st, &err)) return cf_http_reply_problem(req, "unavailable", err.msg);
    return cf_http_reply_json(
        req, 200, json_pack("{s:s, s:b}", "status", "ready", "workers", req->app->runner != NULL));
}

char *cf_metrics_render(cf_app *app, const char *tenant, const char *accept, size_t *len, const char **type) {
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f) return NULL;
    bool om = accept && strstr(accept, "application/openmetrics-text");
    if (tenant) {
        cf_metrics_write_tenant(f, om, tenant);
    } else {
        cf_job_stats st;
        cf_error err;
        bool have = cf_store_stats(app->store, &st, &err) == CF_OK;
        cf_metrics_write(f, om, have ? &st : NULL, cf_job_runner_busy(app->runner), cf_now_ms());
        cf_ai_remote_metrics(app->remote, f);
        cf_ai_events_metrics(app->ai_events, f);
    }
    if (om) fputs("# EOF\n", f);
    fclose(f);
    *type = om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
               : "text/plain; version=0.0.4; charset=utf-8";
    return text;
}

enum MHD_Result cf_api_metrics(cf_http_request *req) {
    size_t len = 0;
    const char *type = NULL;
    /* the operator (the default tenant's admin) sees the server; any other tenant its own series */
    const char *tenant = cf_tenant_is(req->who.tenant, CF_DEFAULT_TENANT) ? NULL : req->who.tenant;
    char *text =
        cf_metrics_render(req->app, tenant, cf_http_header(req, MHD_HTTP_HEADER_ACCEPT), &len, &type);
    if (!text) return cf_http_reply_problem(req, "internal", "out of memory");
    enum MHD_Result ok = cf_http_reply_text(req, 200, type, text, len);
    free(text);
    return ok;
}

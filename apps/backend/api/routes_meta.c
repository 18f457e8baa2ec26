/* routes_meta.c — /healthz (the process answers), /readyz (the store answers), /metrics
 * (Prometheus text). */
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "application/job_runner.h"
#include "application/metrics.h"

enum MHD_Result cf_api_healthz(cf_http_request *req) {
    return cf_http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

enum MHD_Result cf_api_readyz(cf_http_request *req) {
    cf_job_stats st;
    cf_error err;
    if (cf_store_stats(req->app->store, &st, &err))
        return cf_http_reply_problem(req, "unavailable", err.msg);
    return cf_http_reply_json(req, 200,
                              json_pack("{s:s, s:b}", "status", "ready", "workers",
                                        req->app->runner != NULL));
}

enum MHD_Result cf_api_metrics(cf_http_request *req) {
    cf_job_stats st;
    cf_error err;
    bool have = cf_store_stats(req->app->store, &st, &err) == CF_OK;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return cf_http_reply_problem(req, "internal", "out of memory");
    cf_metrics_write(f, have ? &st : NULL, cf_job_runner_busy(req->app->runner));
    fclose(f);
    enum MHD_Result ok = cf_http_reply_text(req, 200, "text/plain; version=0.0.4", text, len);
    free(text);
    return ok;
}

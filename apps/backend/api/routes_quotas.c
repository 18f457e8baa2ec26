/* routes_quotas.c — /v1/usage: what the caller's tenant uses against its limits;
 * /v1/quotas/{tenant}: an admin of the default tenant reads and sets a tenant's own limits. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "application/auth.h"
#include "application/quota.h"

enum MHD_Result cf_api_usage(cf_http_request *req) {
    json_t *o = NULL;
    cf_error err;
    if (cf_usage_json(req->app, req->who.tenant, &o, &err)) return cf_http_reply_error(req, &err);
    return cf_http_reply_json(req, 200, o);
}

static const char *const QUOTA_NAMES[] = {"processing_minutes", "storage_bytes", "concurrent_jobs",
                                          "upload_bytes"};

static json_t *quota_json(const char *tenant, const cf_tenant_quota *own, const cf_tenant_quota *eff) {
    const int64_t o[] = {own->processing_minutes, own->storage_bytes, own->concurrent_jobs,
                         own->upload_bytes};
    const int64_t e[] = {eff->processing_minutes, eff->storage_bytes, eff->concurrent_jobs,
                         eff->upload_bytes};
    json_t *own_j = json_object(), *eff_j = json_object();
    for (int i = 0; i < 4; i++) {
        json_object_set_new(own_j, QUOTA_NAMES[i], o[i] >= 0 ? json_integer(o[i]) : json_null());
        json_object_set_new(eff_j, QUOTA_NAMES[i], e[i] ? json_integer(e[i]) : json_null());
    }
    return json_pack("{s:s, s:o, s:o}", "tenant", tenant, "own", own_j, "limits", eff_j);
}

static enum MHD_Result reply_quotas(cf_http_request *req, const char *tenant) {
    cf_tenant_quota own, eff;
    cf_error err;
    if (cf_store_quota_get(req->app->store, tenant, &own, &err) ||
        cf_quota_limits(req->app, tenant, &eff, &err))
        return cf_http_reply_error(req, &err);
    return cf_http_reply_json(req, 200, quota_json(tenant, &own, &eff));
}

enum MHD_Result cf_api_quotas_get(cf_http_request *req) {
    if (!cf_tenant_valid(req->path_param))
        return cf_http_reply_problem(req, "validation", "tenant: not a tenant name");
    return reply_quotas(req, req->path_param);
}

/* {"processing_minutes": N | null, ...}: each member a limit (0 = none) or null for the
 * server's; a member left out keeps what the tenant had. */
enum MHD_Result cf_api_quotas_set(cf_http_request *req) {
    const char *tenant = req->path_param;
    if (!cf_tenant_valid(tenant))
        return cf_http_reply_problem(req, "validation", "tenant: not a tenant name");
    if (!json_is_object(req->json))
        return cf_http_reply_problem(req, "validation", "body: an object of limits");
    cf_tenant_quota q;
    cf_error err;
    if (cf_store_quota_get(req->app->store, tenant, &q, &err)) return cf_http_reply_error(req, &err);
    int64_t *v[] = {&q.processing_minutes, &q.storage_bytes, &q.concurrent_jobs, &q.upload_bytes};
    const char *key;
    json_t *val;
    json_object_foreach(req->json, key, val) {
        int i = 0;
        while (i < 4 && strcmp(key, QUOTA_NAMES[i])) i++;
        if (i == 4 || !(json_is_null(val) || (json_is_integer(val) && json_integer_value(val) >= 0))) {
            char detail[160];
            snprintf(detail, sizeof detail, "%.60s: %s", key,
                     i == 4 ? "not a limit (processing_minutes, storage_bytes, concurrent_jobs, upload_bytes)"
                            : "a whole number >= 0 (0 = no limit), or null for the server's");
            return cf_http_reply_problem(req, "validation", detail);
        }
        *v[i] = json_is_null(val) ? -1 : json_integer_value(val);
    }
    if (cf_store_quota_set(req->app->store, tenant, &q, &err)) return cf_http_reply_error(req, &err);
    return reply_quotas(req, tenant);
}

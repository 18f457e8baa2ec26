/* routes_quotas.c — /v1/usage: what the caller's tenant uses against its limits;
 * /v1/quotas/{tenant}: an admin of the default tenant reads and sets a tenant's own limits. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "application/auth.h"
#include "application/quota.h"
#include "clipforge/domain/types.h"

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

/* The QuotaUpdate schema: {"processing_minutes": N | null, ...}, each member a limit (0 = none)
 * or null for the server's; a member left out keeps what the tenant had. */
enum MHD_Result cf_api_quotas_set(cf_http_request *req) {
    const char *tenant = req->path_param;
    if (!cf_tenant_valid(tenant))
        return cf_http_reply_problem(req, "validation", "tenant: not a tenant name");
    cf_quota_update u;
    cf_error err;
    if (cf_quota_update_from_json(req->json, &u, &err))
        return cf_http_reply_problem(req, "validation", err.msg);
    cf_tenant_quota q;
    if (cf_store_quota_get(req->app->store, tenant, &q, &err)) return cf_http_reply_error(req, &err);
    const struct {
        bool given, null;
        int64_t value;
        int64_t *to;
    } set[] = {
        {u.has_processing_minutes, u.null_processing_minutes, u.processing_minutes, &q.processing_minutes},
        {u.has_storage_bytes, u.null_storage_bytes, u.storage_bytes, &q.storage_bytes},
        {u.has_concurrent_jobs, u.null_concurrent_jobs, u.concurrent_jobs, &q.concurrent_jobs},
        {u.has_upload_bytes, u.null_upload_bytes, u.upload_bytes, &q.upload_bytes},
    };
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
        if (set[i].given) *set[i].to = set[i].null ? -1 : set[i].value;
    if (cf_quota_set(req->app, tenant, &q, &err)) return cf_http_reply_error(req, &err);
    return reply_quotas(req, tenant);
}

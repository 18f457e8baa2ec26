/* quota.c — per-tenant limits against the store's count of what the tenant uses. Checks read the
 * store only when a limit is set, so a server without quotas pays nothing. Two requests racing
 * past the same check can both pass (the check and the insert are not one transaction): a
 * limit may be exceeded by the requests in flight at that moment, never more. */
#include "application/quota.h"

#include <stdio.h>
#include <time.h>

#include "application/job_service.h"

int64_t cf_month_start_ms(int64_t now_ms, int months_ahead) {
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mon += months_ahead;
    return (int64_t)timegm(&tm) * 1000;
}

cf_err cf_quota_limits(cf_app *app, const char *tenant, cf_tenant_quota *out, cf_error *err) {
    cf_err rc = cf_store_quota_get(app->store, tenant, out, err);
    const cf_config *cfg = &app->cfg;
    if (out->processing_minutes < 0) out->processing_minutes = cfg->quota_minutes;
    if (out->storage_bytes < 0) out->storage_bytes = cfg->quota_storage_bytes;
    if (out->concurrent_jobs < 0) out->concurrent_jobs = cfg->quota_concurrent_jobs;
    if (out->upload_bytes < 0) out->upload_bytes = cfg->quota_upload_bytes;
    return rc;
}

static cf_err usage(cf_app *app, const char *tenant, cf_tenant_usage *u, cf_error *err) {
    int64_t now = cf_now_ms();
    return cf_store_tenant_usage(app->store, tenant, cf_month_start_ms(now, 0), now, u, err);
}

static void refuse(cf_quota_verdict *v, int status, const char *limit, const char *fmt, long long a,
                   long long b) {
    v->exceeded = true;
    v->status = status;
    v->limit = limit;
    snprintf(v->detail, sizeof v->detail, fmt, limit, a, b);
}

cf_err cf_quota_check_job(cf_app *app, const char *tenant, cf_quota_verdict *v, cf_error *err) {
    *v = (cf_quota_verdict){0};
    cf_tenant_quota lim;
    cf_err rc = cf_quota_limits(app, tenant, &lim, err);
    if (rc || (!lim.concurrent_jobs && !lim.processing_minutes)) return rc;
    cf_tenant_usage u;
    rc = usage(app, tenant, &u, err);
    if (rc) return rc;
    if (lim.concurrent_jobs && u.active_jobs >= lim.concurrent_jobs) {
        refuse(v, 429, "concurrent_jobs", "%s: %lld of %lld jobs queued or running; submit when one ends",
               (long long)u.active_jobs, (long long)lim.concurrent_jobs);
    } else if (lim.processing_minutes && u.processing_ms >= lim.processing_minutes * 60000) {
        int64_t now = cf_now_ms();
        refuse(v, 429, "processing_minutes", "%s: %lld of %lld minutes used this month",
               (long long)(u.processing_ms / 60000), (long long)lim.processing_minutes);
        v->retry_after_s = (cf_month_start_ms(now, 1) - now) / 1000 + 1;
    }
    return CF_OK;
}

cf_err cf_quota_check_upload(cf_app *app, const char *tenant, int64_t bytes, int64_t *limit,
                             cf_quota_verdict *v, cf_error *err) {
    *v = (cf_quota_verdict){0};
    *limit = app->cfg.max_upload_bytes;
    cf_tenant_quota lim;
    cf_err rc = cf_quota_limits(app, tenant, &lim, err);
    if (rc) return rc;
    if (lim.upload_bytes && lim.upload_bytes < *limit) *limit = lim.upload_bytes;
    if (lim.upload_bytes && bytes > lim.upload_bytes) {
        refuse(v, 413, "upload_bytes", "%s: this upload is %lld bytes, the limit %lld", (long long)bytes,
               (long long)lim.upload_bytes);
        return CF_OK;
    }
    if (!lim.storage_bytes) return CF_OK;
    cf_tenant_usage u;
    rc = usage(app, tenant, &u, err);
    if (rc) return rc;
    int64_t left = lim.storage_bytes - u.stored_bytes;
    if (left < *limit) *limit = left > 0 ? left : 0;
    if (left <= 0 || bytes > left)
        refuse(v, 413, "storage_bytes", "%s: %lld bytes stored, the limit %lld; delete media to make room",
               (long long)u.stored_bytes, (long long)lim.storage_bytes);
    return CF_OK;
}

static json_t *limit_json(int64_t used, int64_t limit) {
    return json_pack("{s:I, s:o}", "used", (json_int_t)used, "limit",
                     limit ? json_integer(limit) : json_null());
}

cf_err cf_usage_json(cf_app *app, const char *tenant, json_t **out, cf_error *err) {
    *out = NULL;
    cf_tenant_usage u;
    cf_tenant_quota lim;
    cf_err rc = usage(app, tenant, &u, err);
    if (!rc) rc = cf_quota_limits(app, tenant, &lim, err);
    if (rc) return rc;
    const cf_config *cfg = &app->cfg;
    int64_t now = cf_now_ms();
    char start[40], end[40];
    cf_format_timestamp(cf_month_start_ms(now, 0), start, sizeof start);
    cf_format_timestamp(cf_month_start_ms(now, 1), end, sizeof end);
    *out = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:{s:o}}", "tenant", tenant, "period_start", start, "period_end", end,
        "processing_minutes", limit_json(u.processing_ms / 60000, lim.processing_minutes), "storage_bytes",
        limit_json(u.stored_bytes, lim.storage_bytes), "concurrent_jobs",
        limit_json(u.active_jobs, lim.concurrent_jobs), "upload_bytes", "limit",
        json_integer(lim.upload_bytes && lim.upload_bytes < cfg->max_upload_bytes ? lim.upload_bytes
                                                                                  : cfg->max_upload_bytes));
    return *out ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* quota.c — per-tenant limits against the store's count of what the tenant uses. A tenant's own
 * limits are remembered for CF_QUOTA_CACHE_MS, and its usage is read only when a limit is set, so
 * a server without quotas reads nothing from the store per request. Two requests racing past the
 * same check can both pass (the check and the insert are not one transaction): a limit may be
 * exceeded by the requests in flight at that moment, never more. */
#include "application/quota.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "application/auth.h"
#include "application/job_service.h"
#include "clipforge/clock.h"

int64_t cf_month_start_ms(int64_t now_ms, int months_ahead) {
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mon += months_ahead;
    return (int64_t)timegm(&tm) * 1000;
}

/* ---- tenants' own limits, remembered ------------------------------------------------------------
 * A fixed table keyed by (store, tenant); a colliding tenant takes the slot over. Only what the
 * store answered is kept, never an error. */
#define QUOTA_SLOTS 256

typedef struct cached_quota {
    const cf_store *store;
    char tenant[CF_TENANT_MAX + 1];
    cf_tenant_quota own;
    int64_t until; /* cf_clock_ms */
} cached_quota;

static cached_quota quota_cache[QUOTA_SLOTS];
/* Grows with every cf_quota_set: a read of the store that began before one is not kept. */
static uint64_t quota_sets;
static pthread_mutex_t quota_cache_lock = PTHREAD_MUTEX_INITIALIZER; /* guards quota_cache, quota_sets */

static cached_quota *quota_slot(const char *tenant) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)tenant; *p; p++) h = (h ^ *p) * 16777619u;
    return &quota_cache[h % QUOTA_SLOTS];
}

/* Keeps what the store said of tenant, unless its limits were set since the read began. */
static void remember(cached_quota *slot, const cf_store *store, const char *tenant,
                     const cf_tenant_quota *own, int64_t until, uint64_t sets_before) {
    pthread_mutex_lock(&quota_cache_lock);
    if (sets_before == quota_sets) {
        slot->store = store;
        snprintf(slot->tenant, sizeof slot->tenant, "%s", tenant);
        slot->own = *own;
        slot->until = until;
    }
    pthread_mutex_unlock(&quota_cache_lock);
}

/* tenant's own limits (all -1: none of its own), from the cache while fresh, else the store. */
static cf_err own_limits(cf_app *app, const char *tenant, cf_tenant_quota *out, cf_error *err) {
    if (strlen(tenant) > CF_TENANT_MAX) return cf_store_quota_get(app->store, tenant, out, err);
    cached_quota *slot = quota_slot(tenant);
    int64_t now = cf_clock_ms();
    pthread_mutex_lock(&quota_cache_lock);
    bool hit = slot->until > now && slot->store == app->store && !strcmp(slot->tenant, tenant);
    if (hit) *out = slot->own;
    uint64_t sets = quota_sets;
    pthread_mutex_unlock(&quota_cache_lock);
    if (hit) return CF_OK;
    cf_err rc = cf_store_quota_get(app->store, tenant, out, err);
    if (rc == CF_OK) remember(slot, app->store, tenant, out, now + CF_QUOTA_CACHE_MS, sets);
    return rc;
}

cf_err cf_quota_set(cf_app *app, const char *tenant, const cf_tenant_quota *q, cf_error *err) {
    cf_err rc = cf_store_quota_set(app->store, tenant, q, err);
    pthread_mutex_lock(&quota_cache_lock);
    quota_sets++;
    cached_quota *slot = strlen(tenant) <= CF_TENANT_MAX ? quota_slot(tenant) : NULL;
    if (slot && !strcmp(slot->tenant, tenant)) memset(slot, 0, sizeof *slot);
    pthread_mutex_unlock(&quota_cache_lock);
    return rc;
}

cf_err cf_quota_limits(cf_app *app, const char *tenant, cf_tenant_quota *out, cf_error *err) {
    cf_err rc = own_limits(app, tenant, out, err);
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

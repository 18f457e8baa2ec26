/* quota.h — per-tenant limits (CLIPFORGE_QUOTA_*, or the tenant's own through PUT /v1/quotas): processing
 * minutes per calendar month (UTC), stored bytes, concurrent jobs, upload size; what a tenant uses (GET
 * /v1/usage). A request over a limit is refused whole before anything is stored or queued, so there is never
 * a half-done job. */
#ifndef CLIPFORGE_QUOTA_H
#define CLIPFORGE_QUOTA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "application/app.h"

typedef struct cf_quota_verdict {
    bool exceeded;
    int status;            /* 429 (try later), 413 (too big) */
    const char *limit;     /* the limit's name: processing_minutes, storage_bytes, ... */
    int64_t retry_after_s; /* 429 with a known end (the month's), else 0 */
    char detail[224];
} cf_quota_verdict;

/* The first millisecond of now_ms's calendar month (UTC), and of the next one. */
int64_t cf_month_start_ms(int64_t now_ms, int months_ahead);

/* How long a process keeps a tenant's own limits it read from the store. Limits set through this
 * process (cf_quota_set) apply at once; set by another process sharing the store, within this. */
#define CF_QUOTA_CACHE_MS 2000

/* tenant's limits: its own (set by an operator), else the server's CLIPFORGE_QUOTA_*; 0 = none. */
cf_err cf_quota_limits(cf_app *app, const char *tenant, cf_tenant_quota *out, cf_error *err);
/* Stores tenant's own limits (cf_store_quota_set) and forgets what this process remembered of them. */
cf_err cf_quota_set(cf_app *app, const char *tenant, const cf_tenant_quota *q, cf_error *err);
/* May tenant queue one more job now (concurrent jobs, processing minutes)? */
cf_err cf_quota_check_job(cf_app *app, const char *tenant, cf_quota_verdict *v, cf_error *err);
/* May tenant upload bytes more (-1: not known yet)? *limit = the most one upload may still
 * send (the upload and storage quotas, and the server's own limit). */
cf_err cf_quota_check_upload(cf_app *app, const char *tenant, int64_t bytes, int64_t *limit,
                             cf_quota_verdict *v, cf_error *err);
/* {tenant, period_start, period_end, processing_minutes:{used, limit}, storage_bytes:{used,
 * limit}, concurrent_jobs:{used, limit}, upload_bytes:{limit}} (limit null = none). */
cf_err cf_usage_json(cf_app *app, const char *tenant, json_t **out, cf_error *err);

#endif

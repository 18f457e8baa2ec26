/* job_service.c — job use cases. Requests are stored as canonical JSON (sorted keys, compact),
 * so an Idempotency-Key replay with the same content matches byte for byte. */
#include "application/job_service.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "application/job_runner.h"
#include "jobs/job_kinds.h"

void cf_format_timestamp(int64_t ms, char *buf, size_t cap) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%03dZ", base, (int)(ms % 1000));
}

static cf_err check_body(const json_t *body, const cf_job_kind **kind, int64_t *max_attempts,
                         cf_error *err) {
    if (!json_is_object(body)) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "body: must be an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        if (strcmp(key, "kind") && strcmp(key, "request") && strcmp(key, "max_attempts"))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: unknown field", key);
    }
    json_t *k = json_object_get(body, "kind");
    if (!json_is_string(k))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "kind: required, one of %s",
                            cf_job_kind_names());
    *kind = cf_job_kind_find(json_string_value(k));
    if (!*kind)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "kind: '%s' is not one of %s",
                            json_string_value(k), cf_job_kind_names());
    if (!json_is_object(json_object_get(body, "request")))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "request: required object");
    json_t *ma = json_object_get(body, "max_attempts");
    if (ma && (!json_is_integer(ma) || json_integer_value(ma) < 1 || json_integer_value(ma) > 100))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "max_attempts: integer in 1..100");
    if (ma) *max_attempts = json_integer_value(ma);
    if (!(*kind)->run)
        return cf_error_set(err, CF_ERR_UNSUPPORTED,
                            "kind '%s' has no pipeline in this build of clipforge", (*kind)->name);
    return CF_OK;
}

cf_err cf_jobs_submit(cf_app *app, const json_t *body, const char *idempotency_key,
                      cf_job_record *out, bool *replayed, cf_error *err) {
    const cf_job_kind *kind = NULL;
    int64_t max_attempts = app->cfg.max_attempts;
    cf_err rc = check_body(body, &kind, &max_attempts, err);
    const json_t *request = json_object_get(body, "request");
    if (rc == CF_OK && kind->validate) {
        rc = kind->validate(request, &app->cfg, err);
        if (rc) cf_error_prefix(err, "request");
        if (rc) err->code = rc = CF_ERR_INVALID_ARGUMENT;
    }
    if (rc) return rc;
    char *text = json_dumps(request, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    char id[40];
    cf_new_id("j_", id, sizeof id);
    cf_job_new in = {.id = id, .kind = kind->name, .request = text,
                     .idempotency_key = idempotency_key, .max_attempts = max_attempts,
                     .now = cf_now_ms()};
    rc = cf_store_job_create(app->store, &in, out, replayed, err);
    free(text);
    return rc;
}

cf_err cf_jobs_cancel(cf_app *app, const char *id, cf_job_record *out, cf_error *err) {
    cf_err rc = cf_store_job_cancel(app->store, id, cf_now_ms(), out, err);
    /* A worker of this process stops at once; others see the flag at their next heartbeat. */
    if (rc == CF_OK && out->status == CF_JOB_RUNNING) cf_job_runner_cancel(app->runner, id);
    return rc;
}

cf_err cf_jobs_retry(cf_app *app, const char *id, cf_job_record *out, cf_error *err) {
    return cf_store_job_retry(app->store, id, cf_now_ms(), out, err);
}

static json_t *parse_or_null(const char *text) {
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_null();
}

static void set_time(json_t *o, const char *name, int64_t ms) {
    if (ms <= 0) return;
    char buf[40];
    cf_format_timestamp(ms, buf, sizeof buf);
    json_object_set_new(o, name, json_string(buf));
}

/* Adds a signed "url" beside every storage:// "uri" of the result's artifacts. */
static void sign_artifacts(cf_app *app, json_t *result) {
    json_t *arts = json_object_get(result, "artifacts");
    size_t i;
    json_t *a;
    int64_t now_s = cf_now_ms() / 1000;
    json_array_foreach(arts, i, a) {
        const char *uri = json_string_value(json_object_get(a, "uri"));
        char *url = NULL;
        cf_error err;
        if (uri && !strncmp(uri, "storage://", 10) &&
            cf_storage_sign(app->storage, uri + 10, app->cfg.url_ttl_s, now_s, &url, &err) == CF_OK)
            json_object_set_new(a, "url", json_string(url));
        free(url);
    }
}

json_t *cf_job_to_json(cf_app *app, const cf_job_record *j) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:f, s:I, s:I}", "id", j->id, "kind", j->kind,
                          "status", cf_job_status_name(j->status), "stage", j->stage, "progress",
                          j->progress, "attempts", (json_int_t)j->attempts, "max_attempts",
                          (json_int_t)j->max_attempts);
    if (!o) return NULL;
    set_time(o, "created_at", j->created_at);
    set_time(o, "updated_at", j->updated_at);
    set_time(o, "started_at", j->started_at);
    set_time(o, "finished_at", j->finished_at);
    json_object_set_new(o, "request", parse_or_null(j->request));
    if (j->status == CF_JOB_SUCCEEDED && j->result) {
        json_t *result = parse_or_null(j->result);
        sign_artifacts(app, result);
        json_object_set_new(o, "result", result);
    }
    if (j->error && j->status != CF_JOB_SUCCEEDED) json_object_set_new(o, "error", parse_or_null(j->error));
    if (j->cancel_requested && j->status == CF_JOB_RUNNING)
        json_object_set_new(o, "cancel_requested", json_true());
    return o;
}

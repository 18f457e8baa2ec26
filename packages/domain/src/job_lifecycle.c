/* job_lifecycle.c — the job lifecycle rules every store backend follows (see job_lifecycle.h).
 * Event names come from the generated EventType enum and problems from the problem kinds, so
 * neither is spelled out twice. */
#include "clipforge/domain/job_lifecycle.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/domain/problem.h"
#include "clipforge/domain/types.h"
#include "clipforge/json.h"

bool cf_job_state_final(cf_job_state s) {
    return s == CF_JOB_STATE_SUCCEEDED || s == CF_JOB_STATE_FAILED || s == CF_JOB_STATE_CANCELLED;
}

/* The event of each change; FINISHED's depends on the final status. */
static const cf_event_type change_events[CF_JOB_CHANGE_COUNT] = {
    [CF_JOB_CHANGE_REQUESTED] = CF_EVENT_TYPE_JOB_REQUESTED,
    [CF_JOB_CHANGE_LEASED] = CF_EVENT_TYPE_JOB_PROGRESSED,
    [CF_JOB_CHANGE_PROGRESSED] = CF_EVENT_TYPE_JOB_PROGRESSED,
    [CF_JOB_CHANGE_REQUEUED] = CF_EVENT_TYPE_JOB_FAILED,
    [CF_JOB_CHANGE_RELEASED] = CF_EVENT_TYPE_JOB_REQUESTED,
    [CF_JOB_CHANGE_RETRIED] = CF_EVENT_TYPE_JOB_REQUESTED,
};

const char *cf_job_final_event(cf_job_state s) {
    switch (s) {
    case CF_JOB_STATE_SUCCEEDED: return cf_event_type_to_string(CF_EVENT_TYPE_JOB_COMPLETED);
    case CF_JOB_STATE_FAILED: return cf_event_type_to_string(CF_EVENT_TYPE_JOB_FAILED);
    case CF_JOB_STATE_CANCELLED: return cf_event_type_to_string(CF_EVENT_TYPE_JOB_CANCELLED);
    default: return NULL;
    }
}

/* The job as the change left it; NULL when out of memory. */
static json_t *snapshot(const cf_job_record *j) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:f, s:I, s:s?}", "job_id", j->id, "kind", j->kind, "status",
                          cf_job_state_to_string(j->status), "stage", j->stage, "progress", j->progress,
                          "attempts", (json_int_t)j->attempts, "parent_id", j->parent_id);
    if (o && j->status == CF_JOB_STATE_SUCCEEDED &&
        json_object_set_new(o, "result", cf_json_or_null(j->result)))
        goto fail;
    if (o && j->error && json_object_set_new(o, "error", cf_json_or_null(j->error))) goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

/* Appends the change's own members to o; nonzero when out of memory. */
static int add_change_members(json_t *o, cf_job_change c, const cf_job_record *j, int64_t retry_at) {
    switch (c) {
    case CF_JOB_CHANGE_REQUEUED:
        return json_object_set_new(o, "retryable", json_true()) ||
               json_object_set_new(o, "retry_at", json_integer((json_int_t)retry_at));
    case CF_JOB_CHANGE_RELEASED: return json_object_set_new(o, "released", json_true());
    case CF_JOB_CHANGE_RETRIED: return json_object_set_new(o, "retry", json_true());
    case CF_JOB_CHANGE_FINISHED:
        return j->status == CF_JOB_STATE_FAILED ? json_object_set_new(o, "retryable", json_false()) : 0;
    default: return 0;
    }
}

cf_err cf_job_event(cf_job_change c, const cf_job_record *j, int64_t retry_at, const char **type, char **data,
                    cf_error *err) {
    *type = NULL;
    *data = NULL;
    if ((unsigned)c >= CF_JOB_CHANGE_COUNT)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "job %s: unknown change %d", j->id, (int)c);
    const char *name = c == CF_JOB_CHANGE_FINISHED ? cf_job_final_event(j->status)
                                                   : cf_event_type_to_string(change_events[c]);
    if (!name)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "job %s is %s, not final", j->id,
                            cf_job_state_to_string(j->status));
    json_t *o = snapshot(j);
    if (o && !add_change_members(o, c, j, retry_at)) *data = cf_json_dump(o, false);
    json_decref(o);
    if (!*data) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    *type = name;
    return CF_OK;
}

cf_err cf_job_usage(const cf_job_record *j, char **data, cf_error *err) {
    *data = NULL;
    if (!j->started_at || j->finished_at < j->started_at) return CF_OK;
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s*, s:I, s:I, s:I, s:I}", "type", "JobUsage", "tenant",
                  j->tenant ? j->tenant : "default", "job_id", j->id, "kind", j->kind, "status",
                  cf_job_state_to_string(j->status), "parent_id", j->parent_id, "attempts",
                  (json_int_t)j->attempts, "started_at", (json_int_t)j->started_at, "finished_at",
                  (json_int_t)j->finished_at, "processing_ms", (json_int_t)(j->finished_at - j->started_at));
    *data = o ? cf_json_dump(o, false) : NULL;
    json_decref(o);
    return *data ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

cf_err cf_job_outcome_change(const char *id, const cf_job_outcome *o, cf_job_change *out, cf_error *err) {
    if (o->status == CF_JOB_STATE_FAILED && o->retry_at > 0) *out = CF_JOB_CHANGE_REQUEUED;
    else if (o->status == CF_JOB_STATE_QUEUED) *out = CF_JOB_CHANGE_RELEASED;
    else if (cf_job_state_final(o->status)) *out = CF_JOB_CHANGE_FINISHED;
    else {
        const char *name = cf_job_state_to_string(o->status);
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "job %s: %s is not a final status", id,
                            name ? name : "(unknown)");
    }
    return CF_OK;
}

cf_err cf_job_replay(const cf_job_record *earlier, const cf_job_new *in, cf_error *err) {
    if (strcmp(earlier->kind, in->kind) || strcmp(earlier->request, in->request))
        return cf_error_set(err, CF_ERR_CONFLICT, "Idempotency-Key '%s' was used for a different request",
                            in->idempotency_key);
    return CF_OK;
}

bool cf_job_error_retryable(cf_err code) {
    return code == CF_ERR_IO || code == CF_ERR_UNAVAILABLE || code == CF_ERR_TIMEOUT ||
           code == CF_ERR_NO_MEMORY || code == CF_ERR_INTERNAL;
}

int64_t cf_job_retry_at(cf_err code, int64_t attempts, int64_t max_attempts, int64_t base_ms, int64_t now) {
    if (!cf_job_error_retryable(code) || attempts >= max_attempts) return 0;
    int64_t doublings = attempts < 1 ? 0 : attempts - 1 < 16 ? attempts - 1 : 16;
    return now + (base_ms << doublings);
}

char *cf_job_cancelled_problem(void) {
    return cf_problem_text(cf_problem_find("cancelled"), "the job was cancelled on request");
}

static char *lease_problem(void) {
    return cf_problem_text(cf_problem_find("lease-expired"),
                           "the worker running this job stopped renewing its lease");
}

cf_err cf_job_expired_outcome(int64_t attempts, int64_t max_attempts, bool cancel_requested, int64_t now,
                              int64_t retry_delay_ms, cf_job_outcome *o, char **error, cf_error *err) {
    *o = (cf_job_outcome){.status = cancel_requested ? CF_JOB_STATE_CANCELLED : CF_JOB_STATE_FAILED};
    if (!cancel_requested && attempts < max_attempts) {
        /* retry_at > 0 is what marks a failure as retried: keep it so even at the clock's origin. */
        o->retry_at = now + retry_delay_ms > 0 ? now + retry_delay_ms : 1;
    }
    *error = cancel_requested ? cf_job_cancelled_problem() : lease_problem();
    if (!*error) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    o->error = *error;
    return CF_OK;
}

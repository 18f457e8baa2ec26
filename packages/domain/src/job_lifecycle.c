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

/* A member that is stored JSON text (a result, an error), as it reads back (null when it does
 * not). */
static void stored_member(cf_json_obj *w, const char *key, const char *text) {
    json_t *v = cf_json_or_null(text);
    cf_json_obj_value(w, key, v);
    json_decref(v);
}

/* The event's data: the job as the change left it, then the change's own members; NULL when out
 * of memory. Written member by member (what json_pack and a dump of its object wrote, in the
 * same order, at a sixth of the cost). */
static char *event_data(cf_job_change c, const cf_job_record *j, int64_t retry_at) {
    cf_json_obj w;
    cf_json_obj_begin(&w);
    cf_json_obj_string(&w, "job_id", j->id);
    cf_json_obj_string(&w, "kind", j->kind);
    cf_json_obj_string(&w, "status", cf_job_state_to_string(j->status));
    cf_json_obj_string(&w, "stage", j->stage);
    cf_json_obj_real(&w, "progress", j->progress);
    cf_json_obj_int(&w, "attempts", j->attempts);
    cf_json_obj_string(&w, "parent_id", j->parent_id);
    if (j->status == CF_JOB_STATE_SUCCEEDED) stored_member(&w, "result", j->result);
    if (j->error) stored_member(&w, "error", j->error);
    switch (c) {
    case CF_JOB_CHANGE_REQUEUED:
        cf_json_obj_bool(&w, "retryable", true);
        cf_json_obj_int(&w, "retry_at", retry_at);
        break;
    case CF_JOB_CHANGE_RELEASED: cf_json_obj_bool(&w, "released", true); break;
    case CF_JOB_CHANGE_RETRIED: cf_json_obj_bool(&w, "retry", true); break;
    case CF_JOB_CHANGE_FINISHED:
        if (j->status == CF_JOB_STATE_FAILED) cf_json_obj_bool(&w, "retryable", false);
        break;
    default: break;
    }
    return cf_json_obj_end(&w);
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
    *data = event_data(c, j, retry_at);
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
           code == CF_ERR_NO_MEMORY || code == CF_ERR_INTERNAL || code == CF_ERR_NO_SPACE;
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

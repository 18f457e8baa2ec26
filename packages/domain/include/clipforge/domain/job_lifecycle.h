/* job_lifecycle.h — the rules of a job's life, once for every store backend: which event each
 * stored change appends and what it carries, how a worker's outcome or an expired lease moves a
 * running job, and the problems the lifecycle itself records. Store backends do the SQL and ask
 * here what to write, the way SQLite's core owns the rules above the VFS's xRead and xLock.
 *
 * The life: queued -> running -> succeeded | failed | cancelled; a retryable failure and a
 * release at shutdown go back to queued, and a failed or cancelled job can be retried. */
#ifndef CLIPFORGE_DOMAIN_JOB_LIFECYCLE_H
#define CLIPFORGE_DOMAIN_JOB_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "clipforge/error.h"
#include "clipforge/store.h"

/* True for succeeded, failed, cancelled: the states a job leaves only by a retry on request. */
bool cf_job_state_final(cf_job_state s);

/* A stored change of a job, each appending one event. */
typedef enum cf_job_change {
    CF_JOB_CHANGE_REQUESTED,  /* created, queued: JobRequested */
    CF_JOB_CHANGE_LEASED,     /* queued -> running for a worker: JobProgressed */
    CF_JOB_CHANGE_PROGRESSED, /* a heartbeat that reports progress: JobProgressed */
    CF_JOB_CHANGE_REQUEUED,   /* running -> queued after a retryable failure: JobFailed, retryable */
    CF_JOB_CHANGE_RELEASED,   /* running -> queued at shutdown, the run not counted: JobRequested */
    CF_JOB_CHANGE_FINISHED,   /* -> succeeded | failed | cancelled: the status's final event */
    CF_JOB_CHANGE_RETRIED,    /* failed | cancelled -> queued on request: JobRequested */
    CF_JOB_CHANGE_COUNT
} cf_job_change;

/* JobCompleted, JobFailed or JobCancelled for a final status; NULL for another. */
const char *cf_job_final_event(cf_job_state s);

/* The event that change c appends: *type (static text) and *data, the JSON text of j (the job as
 * stored after the change: job_id, kind, status, stage, progress, attempts, parent_id, result
 * when succeeded, error when set) followed by the change's own members: REQUEUED
 * {"retryable":true,"retry_at":retry_at}, RELEASED {"released":true}, RETRIED {"retry":true},
 * FINISHED as failed {"retryable":false}. *data is malloc'd, the caller frees it.
 * CF_ERR_NO_MEMORY; CF_ERR_INVALID_ARGUMENT for FINISHED when j is not final. */
cf_err cf_job_event(cf_job_change c, const cf_job_record *j, int64_t retry_at, const char **type, char **data,
                    cf_error *err);

/* The usage record of a finished run of j, what billing consumes (bus topic CF_USAGE_TOPIC,
 * written to the outbox in the transaction that finishes the run, so none is lost):
 * {"type":"JobUsage","tenant","job_id","kind","status","parent_id"?,"attempts","started_at",
 * "finished_at","processing_ms"}. *data is malloc'd JSON text; NULL (and CF_OK) when j never
 * ran. CF_ERR_NO_MEMORY. */
#define CF_USAGE_TOPIC "usage"
cf_err cf_job_usage(const cf_job_record *j, char **data, cf_error *err);

/* What a worker's outcome o does to its running job id: REQUEUED (failed with retry_at > 0),
 * RELEASED (queued) or FINISHED (succeeded, failed, cancelled); CF_ERR_INVALID_ARGUMENT for
 * running or an unknown status. */
cf_err cf_job_outcome_change(const char *id, const cf_job_outcome *o, cf_job_change *out, cf_error *err);

/* A create that names an idempotency key already used, by the job earlier: CF_OK when it is a
 * replay (the same kind and request, so the earlier job is the answer), else CF_ERR_CONFLICT. */
cf_err cf_job_replay(const cf_job_record *earlier, const cf_job_new *in, cf_error *err);

/* True for a failure that another run may not meet (I/O, unavailable, timeout, out of memory,
 * internal); a bad request or bad media fails the same way every time, so it fails at once. */
bool cf_job_error_retryable(cf_err code);

/* When a run that failed with code, the attempts-th of max_attempts, runs again: now plus the
 * backoff base_ms * 2^(attempts - 1), the exponent capped at 16; 0 when it does not (code is not
 * retryable, or no attempt is left). */
int64_t cf_job_retry_at(cf_err code, int64_t attempts, int64_t max_attempts, int64_t base_ms, int64_t now);

/* The outcome of a running job whose lease expired before now (its worker is gone), after
 * attempts runs of max_attempts: failed with the lease-expired problem and retried at
 * now + retry_delay_ms while attempts remain and no cancel was requested; else final, cancelled
 * (the cancelled problem) when a cancel was requested, failed otherwise. o->error is *error,
 * malloc'd: the caller frees it after using o. CF_ERR_NO_MEMORY. */
cf_err cf_job_expired_outcome(int64_t attempts, int64_t max_attempts, bool cancel_requested, int64_t now,
                              int64_t retry_delay_ms, cf_job_outcome *o, char **error, cf_error *err);

/* The error of a job cancelled on request: the "cancelled" problem as JSON text, malloc'd (the
 * caller frees it); NULL when out of memory. */
char *cf_job_cancelled_problem(void);

#endif

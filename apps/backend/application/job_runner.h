/* job_runner.h — the embedded workers of serve: N threads take job ids from the bus ("jobs",
 * group "workers"), lease the job in the store, run its kind, and finish it. A keeper thread
 * renews leases (heartbeats, which also carry rate-limited progress events and bring cancel
 * requests from other processes) and reaps expired leases of any worker, requeuing their jobs.
 * Steered by CLIPFORGE_WORKERS, CLIPFORGE_LEASE_MS, CLIPFORGE_MAX_ATTEMPTS,
 * CLIPFORGE_RETRY_BASE_MS. */
#ifndef CLIPFORGE_JOB_RUNNER_H
#define CLIPFORGE_JOB_RUNNER_H

#include <stdint.h>

#include "application/app.h"

/* Starts n workers (n >= 1) and the keeper. */
cf_err cf_job_runner_start(cf_app *app, int n, cf_job_runner **out, cf_error *err);
/* Stops taking jobs, asks running ones to stop and releases them back to the queue at once
 * (not counted against max_attempts; their next run starts over), joins every thread and
 * frees r. NULL-safe. */
void cf_job_runner_stop(cf_job_runner *r);
/* Asks the run of job id in this process (if any) to stop now. NULL-safe. */
void cf_job_runner_cancel(cf_job_runner *r, const char *id);
/* Workers currently running a job. */
int64_t cf_job_runner_busy(cf_job_runner *r);

/* The reaper alone (used by `serve --no-workers` too): requeues expired leases every interval. */
typedef struct cf_reaper cf_reaper;
cf_err cf_reaper_start(cf_app *app, cf_reaper **out, cf_error *err);
void cf_reaper_stop(cf_reaper *r);

#endif

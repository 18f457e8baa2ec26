/* autoclip_job.h — the autoclip job kind: a parent job delegating to AutoclipService, with the
 * source resolved from a media id. Analysis and detection run in the job; every render is a
 * child job of kind render (parent_id = this job), retried by the runner's policy, its outputs
 * stored under the child's prefix; the transcript goes under this job's attempt prefix. The
 * job's stage names the stage that moved ("features", "render 2"...) and its progress is
 * aggregated over all of them; a cancel of the job reaches every stage and every child. */
#ifndef CLIPFORGE_AUTOCLIP_JOB_H
#define CLIPFORGE_AUTOCLIP_JOB_H

#include "jobs/job_kinds.h"

/* Parses with the generated AutoclipRequest parser; the media must be media://<id>. */
cf_err cf_autoclip_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                                cf_error *err);
/* Runs it; *result is the AutoclipResult (the manifest) with storage:// URIs. */
cf_err cf_autoclip_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err);

#endif

/* clip_job.h — the clip_processing job kind: a thin delegator from a job to cf_clip_run
 * (libcfclip), with sources resolved from media ids and outputs stored per attempt. */
#ifndef CLIPFORGE_CLIP_JOB_H
#define CLIPFORGE_CLIP_JOB_H

#include "jobs/job_kinds.h"

/* Parses with the generated ClipProcessingRequest parser; the source must be media://<id>. */
cf_err cf_clip_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized, cf_error *err);
cf_err cf_clip_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err);

#endif

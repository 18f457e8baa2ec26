/* clip_job.h — the clip_processing job kind: a thin delegator from a job to cf_clip_run
 * (libcfclip), with sources resolved from media ids and outputs stored per attempt. */
#ifndef CLIPFORGE_CLIP_JOB_H
#define CLIPFORGE_CLIP_JOB_H

#include "jobs/job_kinds.h"

cf_err cf_clip_job_validate(const json_t *request, const cf_config *cfg, cf_error *err);

#if __has_include("clipforge/clip.h") && __has_include("clipforge/domain/types.h")
#define CF_HAVE_CLIP_PIPELINE 1
cf_err cf_clip_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err);
#define CF_CLIP_JOB_RUN cf_clip_job_run
#else
#define CF_HAVE_CLIP_PIPELINE 0
#define CF_CLIP_JOB_RUN NULL /* the clip pipeline is not part of this build */
#endif

#endif

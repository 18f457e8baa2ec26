/* autoclip_job.h — the autoclip job kind: a thin delegator from a job to AutoclipService, with
 * the source resolved from a media id and every clip, thumbnail, caption file and the
 * transcript stored under the attempt's prefix. The job's stage names the running stage
 * ("features", "render 2"...) and its progress is aggregated over all of them; a cancel of the
 * job reaches every stage. */
#ifndef CLIPFORGE_AUTOCLIP_JOB_H
#define CLIPFORGE_AUTOCLIP_JOB_H

#include "jobs/job_kinds.h"

/* Parses with the generated AutoclipRequest parser; the media must be media://<id>. */
cf_err cf_autoclip_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                                cf_error *err);
/* Runs it; *result is the AutoclipResult (the manifest) with storage:// URIs. */
cf_err cf_autoclip_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err);

#endif

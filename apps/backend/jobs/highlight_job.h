/* highlight_job.h — the highlight_detection job kind: a thin delegator from a job to
 * cf_highlight_detect (libcfhighlight), with the media resolved from a media id, features cached
 * where the CLI caches them, and the HighlightDetectionResult (spans, score curve) as the job's
 * result. Progress is the decode pass's; a cancel stops it within a hop. */
#ifndef CLIPFORGE_HIGHLIGHT_JOB_H
#define CLIPFORGE_HIGHLIGHT_JOB_H

#include "jobs/job_kinds.h"

/* Parses with the generated HighlightDetectionRequest parser; the media must be media://<id>. */
cf_err cf_highlight_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                                 cf_error *err);
/* Runs it; *result is the HighlightDetectionResult. */
cf_err cf_highlight_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err);

#endif

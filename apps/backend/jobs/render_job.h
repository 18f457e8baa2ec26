/* render_job.h — the render job kind: a thin delegator from a job to the rendering pipeline
 * (libcfrender). Sources, captions, music and logos are media://<id> (or storage://<key>)
 * resolved through storage; a hand-written timeline comes inline as "timeline"; templates are
 * read from CLIPFORGE_TEMPLATE_DIR. Every output, the thumbnail and the caption files are stored
 * under the attempt's prefix, then delivered to the request's destinations: "storage" copies
 * them to storage://<prefix>/ through the configured storage backend (local or S3), "webhook"
 * POSTs the RenderResult, HMAC-signed. */
#ifndef CLIPFORGE_RENDER_JOB_H
#define CLIPFORGE_RENDER_JOB_H

#include "jobs/job_kinds.h"

/* Parses with the generated RenderRequest parser and checks what the service adds: media URIs
 * only, no server paths (timeline_uri, output_uri, outputs[].uri, font files), a known
 * template, storage destinations outside the server's own key spaces. err->msg names the field. */
cf_err cf_render_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                              cf_error *err);
/* Runs it; *result is the RenderResult with storage:// URIs. */
cf_err cf_render_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err);

#endif

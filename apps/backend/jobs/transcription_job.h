/* transcription_job.h — the transcription job kind: a thin delegator from a job to
 * cf_transcribe_request (libcftranscribe), with the media resolved from its id and the
 * transcript stored per attempt as transcript.json, captions.srt and captions.vtt. */
#ifndef CLIPFORGE_TRANSCRIPTION_JOB_H
#define CLIPFORGE_TRANSCRIPTION_JOB_H

#include "jobs/job_kinds.h"

/* Parses with the generated TranscriptionRequest parser; the media must be media://<id>. */
cf_err cf_transcription_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                                     cf_error *err);
/* Runs it; *result is a TranscriptionResult: the transcript and its three stored files
 * (storage:// URIs; the API adds signed URLs). */
cf_err cf_transcription_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err);

#endif

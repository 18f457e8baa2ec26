/* job_service.h — the use cases on jobs that the API calls: submit (validated per kind, with
 * idempotency keys), read, list, cancel, retry, and the job's JSON form with signed URLs. */
#ifndef CLIPFORGE_JOB_SERVICE_H
#define CLIPFORGE_JOB_SERVICE_H

#include <jansson.h>
#include <stdbool.h>

#include "application/app.h"
#include "application/job_committer.h"
#include "clipforge/trace.h"

/* Children listed in a job's detail (the Job schema's maxItems). */
#define CF_JOB_MAX_CHILDREN 200

/* A submission on its way to the store: the creation cf_jobs_submit_start validated, the
 * strings it points to, and its place in the group commit. Free with cf_job_draft_free. */
typedef struct cf_job_draft {
    cf_job_pending pending; /* first: the committer's record, pending.sub.in points into the draft */
    char id[40];
    char trace[CF_TRACE_TEXT_MAX];
    char *request, *key, *tenant;
} cf_job_draft;

/* Frees what d owns (not d). NULL-safe. */
void cf_job_draft_free(cf_job_draft *d);
/* body: a JobCreate {"kind": "...", "request": {...}}. Validates it as tenant's submission and
 * hands it to the group commit (app->committer), which calls done(&d->pending) once it is
 * stored or refused (from its thread, or from this one before returning); then
 * cf_jobs_submit_result tells which. Errors found before (done is then never called):
 * CF_ERR_INVALID_ARGUMENT (message names the field), CF_ERR_UNSUPPORTED (kind without a
 * pipeline in this build). d must stay put until done; the caller frees it afterwards. */
cf_err cf_jobs_submit_start(cf_app *app, const char *tenant, const json_t *body, const char *idempotency_key,
                            cf_job_draft *d, void (*done)(cf_job_pending *p), cf_error *err);
/* After done: the stored job (*out, the caller's to free; *replayed when an Idempotency-Key
 * replays an earlier submission), or the store's error, CF_ERR_CONFLICT for a key reused for
 * another request or by another tenant. */
cf_err cf_jobs_submit_result(cf_job_draft *d, const char *tenant, cf_job_record *out, bool *replayed,
                             cf_error *err);
/* After cf_jobs_submit_result: the answer's body, the API form of the stored job j as compact
 * JSON text (malloc'd; NULL when out of memory), the same bytes as a dump of
 * cf_job_record_to_json without parsing the stored request again. */
char *cf_jobs_submitted_text(cf_app *app, const cf_job_record *j);
/* Validates request with kind's handler and stores it, normalised, as a queued job (a child of
 * parent_id when not NULL, of its tenant) with the configured budget of attempts. tenant: the
 * owner of a top-level job (NULL = the default tenant). Errors as cf_jobs_submit. */
cf_err cf_jobs_create(cf_store *store, const cf_config *cfg, const char *kind, const json_t *request,
                      const char *idempotency_key, const char *parent_id, const char *tenant,
                      cf_job_record *out, bool *replayed, cf_error *err);
/* Cancels: a queued job at once, a running one within a second (its worker stops). */
cf_err cf_jobs_cancel(cf_app *app, const char *tenant, const char *id, cf_job_record *out, cf_error *err);
cf_err cf_jobs_retry(cf_app *app, const char *tenant, const char *id, cf_job_record *out, cf_error *err);
/* The API form of a job (the generated Job type): {id, kind, status, stage, progress,
 * attempts, created_at, updated_at, request, result? (artifacts get a signed "url"), error?}.
 * New reference. */
json_t *cf_job_record_to_json(cf_app *app, const cf_job_record *j);
/* The detail of job id: its API form plus "children" (the jobs it created, oldest first, at
 * most CF_JOB_MAX_CHILDREN), as compact JSON text (*out, malloc'd; the stored request is not
 * parsed again). CF_ERR_NOT_FOUND for an unknown id or another tenant's job. */
cf_err cf_jobs_get(cf_app *app, const char *tenant, const char *id, char **out, cf_error *err);
/* Calls visit for every artifact object of a job result: its "artifacts", its "outputs" (a
 * RenderResult) and the "outputs" of each of its "clips" (an AutoclipResult; clip is then that
 * clip's object, else NULL). */
void cf_job_result_each_artifact(json_t *result, void (*visit)(void *user, json_t *artifact, json_t *clip),
                                 void *user);
/* RFC 3339 UTC with milliseconds. */
void cf_format_timestamp(int64_t ms, char *buf, size_t cap);

#endif

/* job_kinds.h — the table of job kinds: each row validates a request and runs it by delegating
 * to a pipeline entry point. Kinds of the product whose pipeline is not built into this binary
 * have no run function and are refused at submission. */
#ifndef CLIPFORGE_JOB_KINDS_H
#define CLIPFORGE_JOB_KINDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "clipforge/config.h"
#include "clipforge/progress.h"
#include "clipforge/storage.h"
#include "clipforge/store.h"

/* What a run may use. Outputs go to storage under output_prefix ("jobs/<id>/<attempt>"), so a
 * rerun never overwrites an earlier attempt; the runner removes them when the run loses. */
typedef struct cf_job_context {
    const char *job_id;
    const char *tenant; /* the job's: the only objects its request may name */
    int64_t attempt;
    const char *work_dir; /* private temp dir, removed after the run */
    const char *output_prefix;
    cf_store *store;
    cf_storage *storage;
    const cf_config *cfg;
    cf_progress *progress;
    struct cf_ai_remote *remote; /* inference services for detection, or NULL */
    /* Keys written so far (the runner deletes them if the run does not succeed). */
    char **output_keys;
    size_t n_output_keys;
    /* The sources resolved so far, as pairs: the URI the client gave, the local path it named
     * (cf_job_name_sources puts the first back for the second in what the client reads). */
    char **sources;
    size_t n_sources;
    /* Runs the queued job id (a child of this one) here, in the calling thread, when it can be
     * leased now: how a parent waiting for its children keeps its worker busy rather than
     * holding it while the children wait for a free worker (no deadlock with one worker). Its
     * progress is mirrored into mirror (may be NULL), whose cancel flag also stops it. Returns
     * when the child's run ended (its outcome is in the store), CF_ERR_CONFLICT when id is not
     * leasable now or another child of this run already runs here. NULL for a child's run. */
    cf_err (*run_child)(struct cf_job_context *ctx, const char *id, cf_progress *mirror, cf_error *err);
    void *runner; /* the runner's own, for run_child */
} cf_job_context;

typedef struct cf_job_handler {
    const char *name;
    /* Checks the request (err->msg names the field) and returns it normalised (defaults
     * applied) as a new reference in *normalized. */
    cf_err (*validate)(const json_t *request, const cf_config *cfg, json_t **normalized, cf_error *err);
    /* Runs it; *result is a new JSON object on success. NULL = no pipeline in this build. */
    cf_err (*run)(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err);
    /* True when run traces its own stages (spans per stage, as autoclip's parallel stages need);
     * otherwise the runner makes one span per stage name the pipeline reports in its progress. */
    bool traces_stages;
    /* NULL, or false when this server does not accept the kind (submissions get 422). */
    bool (*enabled)(const cf_config *cfg);
    /* True when run uses no scratch space: the runner makes no work directory for it (creating
     * and removing one is most of what a job that does nothing costs on ext4). */
    bool no_work_dir;
} cf_job_handler;

/* The row for name, or NULL when the product has no such kind. */
const cf_job_handler *cf_job_handler_find(const char *name);
/* Every row of the table; *n = count. */
const cf_job_handler *cf_job_handlers(size_t *n);
/* Comma-separated names of all kinds, for messages. */
const char *cf_job_handler_names(void);

/* Validation shared by the kinds: uri (the request member named field) must be media://<id>,
 * an upload; anything else is an invalid-argument error naming the field. */
cf_err cf_job_require_media(const char *field, const char *uri, cf_error *err);
/* The same for a transcript: storage://<key>, an uploaded transcript (POST /v1/transcripts) or
 * a job's transcript.json or captions. */
cf_err cf_job_require_transcript(const char *field, const char *uri, cf_error *err);
/* Resolves a source URI ("media://<id>" or "storage://<key>") to a local file path
 * (malloc'd). Other schemes, local paths included, are refused: clients name media they
 * uploaded, never files of the server. */
cf_err cf_job_resolve_source(cf_job_context *ctx, const char *uri, char **path, cf_error *err);
/* What the client reads of a run, its result (every string of it) and its error message, with the
 * local paths of the sources it resolved named by their URIs again ("media://m_1: left out of the
 * result: ..."): a server path is no business of the client's. */
void cf_job_name_sources(const cf_job_context *ctx, json_t *result, cf_error *err);
/* Frees what cf_job_resolve_source recorded. */
void cf_job_context_free_sources(cf_job_context *ctx);
/* Stores the local file src under ctx->output_prefix/name and records the key; *uri is
 * "storage://<key>" (malloc'd). */
cf_err cf_job_store_output(cf_job_context *ctx, const char *src, const char *name, char **uri, cf_error *err);

#endif

/* autoclip_job.c — autoclip as a parent job: parse the request, resolve media://, run
 * AutoclipService into the attempt's work dir with every render made a child job of kind
 * render, and deliver the transcript and manifest files into storage
 * (jobs/<id>/<attempt>/...). The children's outputs stay under their own jobs' prefixes.
 *
 * Waiting without deadlock: each render stage waits for its child; while a child is queued and
 * due, the parent leases it and runs it itself in its own worker (cf_job_context.run_child, at
 * most one at a time), other workers take the rest from the bus in parallel. So the children
 * never wait for a worker that the parent holds, even with one worker. */
#include "jobs/autoclip_job.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "application/app.h"
#include "application/autoclip_service.h"
#include "application/job_service.h"
#include "clipforge/domain/job_lifecycle.h"
#include "clipforge/domain/types.h"
#include "clipforge/fs.h"
#include "clipforge/highlight.h"

#define CHILD_POLL_MS 100

cf_err cf_autoclip_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                                cf_error *err) {
    (void)cfg;
    cf_autoclip_request req;
    memset(&req, 0, sizeof req);
    cf_err rc = cf_autoclip_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = cf_job_require_media("media_uri", req.media_uri, err);
    if (rc == CF_OK && req.transcript_uri)
        rc = cf_job_require_transcript("transcript_uri", req.transcript_uri, err);
    if (rc == CF_OK) rc = cf_autoclip_check(&req, err);
    if (rc == CF_OK && !(*normalized = cf_autoclip_request_to_json(&req)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_autoclip_request_free(&req);
    return rc;
}

/* The renders of one run as child jobs. */
typedef struct children {
    cf_job_context *ctx;
    const char *media_uri;    /* media://<id>, as the client named it */
    const char *name;         /* children's clip ids are <name>-clip-NN */
    pthread_mutex_t lock;     /* guards ctx's output keys: render stages store concurrently */
    atomic_bool running_here; /* a child runs in this worker now */
} children;

/* Stores the local file path as name under the attempt's prefix once; a second call for the
 * same name returns the same storage:// URI (the transcript: captions for the children first,
 * then delivered with the manifest). */
static cf_err store_once(children *ch, const char *path, const char *name, char **uri, cf_error *err) {
    cf_job_context *ctx = ch->ctx;
    char *key = cf_path_join(ctx->output_prefix, name);
    if (!key) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    pthread_mutex_lock(&ch->lock);
    bool stored = false;
    for (size_t i = 0; i < ctx->n_output_keys && !stored; i++) stored = !strcmp(ctx->output_keys[i], key);
    cf_err rc = CF_OK;
    if (!stored) rc = cf_job_store_output(ctx, path, name, uri, err);
    else if (!(*uri = malloc(strlen(key) + 11))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    else sprintf(*uri, "storage://%s", key);
    pthread_mutex_unlock(&ch->lock);
    free(key);
    return rc;
}

static cf_err deliver_to_storage(void *user, const char *path, const char *name, char **uri, cf_error *err) {
    return store_once(user, path, name, uri, err);
}

/* A cut timeline (remove_silence) as a child renders it: its scenes read the client's media://
 * and its captions (words moved onto the cut, a file of the run) from storage. */
static cf_err child_timeline(children *ch, const cf_timeline *tl, json_t *j, cf_error *err) {
    json_t *scene;
    size_t i;
    json_array_foreach(json_object_get(j, "scenes"), i, scene)
        json_object_set_new(scene, "source_uri", json_string(ch->media_uri));
    if (!tl->captions) return CF_OK;
    const char *path = tl->captions->source_uri, *slash = strrchr(path, '/');
    char *uri = NULL;
    cf_err rc = store_once(ch, path, slash ? slash + 1 : path, &uri, err);
    if (!rc) json_object_set_new(json_object_get(j, "captions"), "source_uri", json_string(uri));
    free(uri);
    return rc;
}

/* Creates the child job of clip index (once per attempt of the parent: the idempotency key
 * holds both); its id goes to id. */
static cf_err create_child(children *ch, int index, const cf_render_request *rq, char *id, size_t cap,
                           cf_error *err) {
    cf_job_context *ctx = ch->ctx;
    char clip[160], key[128], *captions = NULL;
    snprintf(clip, sizeof clip, "%.128s-clip-%02d", ch->name, index);
    snprintf(key, sizeof key, "%.64s/%lld/render-%02d", ctx->job_id, (long long)ctx->attempt, index);
    cf_render_request q = *rq; /* shallow: only the members set below differ */
    q.clip_id = clip;
    q.source_uri = rq->timeline ? NULL : (char *)ch->media_uri;
    q.output_uri = NULL;
    cf_err rc =
        rq->captions_uri ? store_once(ch, rq->captions_uri, "transcript.json", &captions, err) : CF_OK;
    q.captions_uri = captions;
    json_t *request = rc ? NULL : cf_render_request_to_json(&q);
    if (!rc && !request) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!rc && rq->timeline) rc = child_timeline(ch, rq->timeline, json_object_get(request, "timeline"), err);
    cf_job_record job = {0};
    bool replayed = false;
    if (!rc)
        rc = cf_jobs_create(ctx->store, ctx->cfg, "render", request, key, ctx->job_id, NULL, &job, &replayed,
                            err);
    if (!rc) {
        snprintf(id, cap, "%s", job.id);
        cf_job_record_free(&job);
    }
    json_decref(request);
    free(captions);
    return rc;
}

static void cancel_quietly(cf_store *store, const char *id) {
    cf_job_record j;
    cf_error err;
    if (cf_store_job_cancel(store, id, cf_now_ms(), &j, &err) == CF_OK) cf_job_record_free(&j);
}

/* A final child as the render stage's outcome: its result, or why it did not succeed. */
static cf_err child_outcome(const cf_job_record *j, cf_render_result *res, cf_error *err) {
    const char *text = j->status == CF_JOB_STATE_SUCCEEDED ? j->result : j->error;
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    cf_err rc;
    if (j->status == CF_JOB_STATE_SUCCEEDED) {
        rc = doc ? cf_render_result_from_json(doc, res, err)
                 : cf_error_set(err, CF_ERR_INTERNAL, "render job %s: no result", j->id);
    } else {
        const char *detail = json_string_value(json_object_get(doc, "detail"));
        rc = cf_error_set(err, j->status == CF_JOB_STATE_CANCELLED ? CF_ERR_CANCELLED : CF_ERR_PROCESSING,
                          "render job %s %s after %lld attempt(s): %s", j->id,
                          cf_job_state_to_string(j->status), (long long)j->attempts,
                          detail ? detail : "no detail");
    }
    json_decref(doc);
    return rc;
}

/* Runs child id in this worker when no other child runs here; false when it did not. */
static bool run_here(children *ch, const char *id, cf_progress *progress) {
    if (!ch->ctx->run_child || atomic_exchange(&ch->running_here, true)) return false;
    cf_error err;
    cf_err rc = ch->ctx->run_child(ch->ctx, id, progress, &err);
    atomic_store(&ch->running_here, false);
    return rc == CF_OK;
}

/* cf_autoclip_renderer.render: one child job per clip, followed to its end. */
static cf_err render_as_child(void *user, int index, const cf_render_request *rq, cf_progress *progress,
                              cf_render_result *res, int64_t *attempts, cf_error *err) {
    children *ch = user;
    char id[64];
    cf_err rc = create_child(ch, index, rq, id, sizeof id, err);
    while (rc == CF_OK) {
        if (cf_progress_cancelled(progress)) {
            cancel_quietly(ch->ctx->store, id);
            return cf_error_set(err, CF_ERR_CANCELLED, "cancelled");
        }
        cf_job_record j;
        if ((rc = cf_store_job_get(ch->ctx->store, id, &j, err))) break;
        *attempts = j.attempts;
        cf_progress_report(progress, j.progress, j.stage);
        bool final = cf_job_state_final(j.status);
        bool due = j.status == CF_JOB_STATE_QUEUED && j.run_after <= cf_now_ms();
        if (final) rc = child_outcome(&j, res, err);
        cf_job_record_free(&j);
        if (final) return rc;
        if (!due || !run_here(ch, id, progress))
            nanosleep(&(struct timespec){0, CHILD_POLL_MS * 1000000L}, NULL);
    }
    return rc;
}

/* Children of earlier attempts of this job that are not final: the new attempt makes its own. */
static void cancel_leftovers(cf_job_context *ctx) {
    cf_job_filter f = {.status = -1, .parent_id = ctx->job_id, .limit = CF_JOB_MAX_CHILDREN};
    cf_job_record *rows = NULL;
    size_t n = 0;
    cf_error err;
    if (cf_store_job_list(ctx->store, &f, &rows, &n, &err)) return;
    for (size_t i = 0; i < n; i++)
        if (!cf_job_state_final(rows[i].status)) cancel_quietly(ctx->store, rows[i].id);
    cf_job_records_free(rows, n);
}

cf_err cf_autoclip_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err) {
    cf_autoclip_request req;
    cf_autoclip_result res;
    memset(&req, 0, sizeof req);
    cf_autoclip_result_init(&res);
    char *source = NULL, *transcript = NULL, *cache = NULL;
    children ch = {.ctx = ctx};
    pthread_mutex_init(&ch.lock, NULL);
    cf_err rc = cf_autoclip_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = cf_job_resolve_source(ctx, req.media_uri, &source, err);
    if (rc == CF_OK && req.transcript_uri) {
        rc = cf_job_resolve_source(ctx, req.transcript_uri, &transcript, err);
        if (rc) cf_error_prefix(err, "transcript_uri");
    }
    if (rc == CF_OK) {
        char *media_id = req.media_uri; /* the result names the media as the client did */
        char *transcript_id = req.transcript_uri;
        req.media_uri = source;
        req.transcript_uri = transcript;
        ch.media_uri = media_id;
        ch.name = req.clip_id ? req.clip_id : ctx->job_id;
        cancel_leftovers(ctx);
        const cf_config *cfg = ctx->cfg;
        cache = cf_feature_cache_dir(cfg->feature_cache_dir, cfg->data_dir);
        cf_autoclip_renderer renderer = {
            .parallel = true, .delivered = true, .render = render_as_child, .user = &ch};
        const cf_job_handler *render_kind = cf_job_handler_find("render");
        cf_autoclip_options o = {.work_dir = ctx->work_dir,
                                 .feature_cache_dir = cache,
                                 .paths = {cfg->highlight_profiles_dir, cfg->highlight_models_dir},
                                 .threads = (int)cfg->threads,
                                 .transcribe_all = cfg->autoclip_transcribe_all != 0,
                                 .deliver = deliver_to_storage,
                                 .deliver_user = &ch,
                                 /* a build without render jobs renders in this job */
                                 .renderer = render_kind && render_kind->run ? &renderer : NULL};
        rc = cf_autoclip_run(&req, &o, ctx->progress, &res, err);
        req.media_uri = media_id;
        req.transcript_uri = transcript_id;
        free(res.media_uri);
        res.media_uri = strdup(media_id);
        if (rc == CF_OK && !res.media_uri) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    if (rc == CF_OK && !(*result = cf_autoclip_result_to_json(&res)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    pthread_mutex_destroy(&ch.lock);
    free(source);
    free(transcript);
    free(cache);
    cf_autoclip_request_free(&req);
    cf_autoclip_result_free(&res);
    return rc;
}

/* job_runner.c — worker threads, lease keeping, cancellation and outcomes.
 * A run's outputs live under jobs/<id>/<attempt>/ and are deleted unless the run's own
 * compare-and-set finish as succeeded commits, and the next attempt deletes what a run cut by a
 * crash left, so at most one attempt's outputs survive.
 * Tracing: a job message is processed in a consumer span continuing the context it carries (or
 * the job's own), the run is a "job <kind>" span under it, current on the worker thread, and each
 * stage the pipeline reports in its progress is a span under the run (kinds that trace their own
 * stages excepted). */
#include "application/job_runner.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "application/metrics.h"
#include "clipforge/domain/job_lifecycle.h"
#include "clipforge/domain/problem.h"
#include "clipforge/fmt.h"
#include "clipforge/fs.h"
#include "clipforge/log.h"
#include "clipforge/metrics.h"
#include "clipforge/trace.h"
#include "jobs/job_kinds.h"

#define KEEPER_TICK_MS 100
#define PROGRESS_EVENT_MS 500 /* JobProgressed at most twice a second per job, and at each new stage */
#define HEARTBEAT_MAX_MS 500  /* cancel requests from other processes arrive within this */
#define BATCH_MAX 256         /* job messages a worker takes, leases and finishes at once */
#define GROWTH 16             /* sixteenfold (1, 16, 256: two batches to the largest) */
#define QUICK_MS 5            /* a worker's batches grow while its jobs run quicker than this, */
#define SLOW_MS 50            /* keep their size while none runs longer than this, else shrink to 1 */
#define FLUSH_MS 50           /* outcomes wait at most about this long for others to join them */

/* A worker holds the jobs of its batch and of the one before it while that one is stored. */
#define HOLDS_MAX (2 * BATCH_MAX)

/* When each process last reaped and renewed its holds. */
typedef struct reap_clock {
    int64_t reaped, held;
} reap_clock;

/* A job of a worker's batch that is leased and not running: waiting for its turn, or run and
 * waiting for its outcome to be stored with the others. The keeper renews its lease too. */
typedef struct held {
    char id[40];
    int64_t attempt, last_heartbeat;
    bool lost, cancel; /* its lease was taken away; a cancel was asked for */
} held;

typedef struct slot {
    bool active; /* guarded by runner lock, like every field below */
    char job_id[40];
    char owner[96];
    int64_t attempt;
    cf_progress progress; /* cancel flag read by the pipeline without the lock */
    double fraction;
    char stage[48];
    char evented_stage[48]; /* the stage of the last event */
    bool dirty;             /* progress changed since the last event */
    int64_t last_heartbeat, last_event;
    bool lease_lost, user_cancel;
    bool reserved;         /* a child slot taken by run_child_here */
    cf_progress *mirror;   /* a child run's progress is copied there, its cancel relayed */
    cf_trace_ctx run_ctx;  /* the run's span: parent of its stage spans */
    bool stage_spans;      /* make a span per reported stage name */
    cf_span *stage_span;   /* the stage running now (NULL: none or not traced) */
    char span_stage[48];   /* its name */
    double stage_t0;       /* when it started, for clipforge_stage_duration_seconds */
    const char *kind;      /* the running job's kind (static storage: the handler table) */
    held holds[HOLDS_MAX]; /* the rest of the worker's batches (worker slots only) */
    int n_holds;
} slot;

struct cf_job_runner {
    cf_app *app;
    int n;
    pthread_t *workers;
    /* slots[i] runs what worker i took from the bus; slots[n + i] a child job that worker i's
     * job runs itself while it waits for its children (run_child_here). */
    slot *slots;
    int n_slots;
    pthread_t keeper;
    int started; /* workers whose threads run (the first `started` of workers) */
    bool keeper_started;
    pthread_mutex_t lock; /* guards slots */
    atomic_bool stopping;
    atomic_int_fast64_t busy;
    reap_clock last_reap;
    size_t batch_max; /* CLIPFORGE_WORKER_BATCH: at most this many messages at once (1: one by one) */
};

typedef struct worker_arg {
    cf_job_runner *r;
    int index;
} worker_arg;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Progress callbacks receive this: the slot and its runner. */
typedef struct progress_user {
    cf_job_runner *r;
    slot *s;
} progress_user;

static cf_metric *stage_hist(void) {
    static cf_metric *m;
    if (!m)
        m = cf_metric_histogram("clipforge_stage_duration_seconds",
                                "Pipeline stage durations by stage and job kind.", "stage,kind");
    return m;
}

/* Ends the stage span of s and records its duration (lock held). */
static void end_stage(slot *s) {
    if (!s->span_stage[0]) return;
    cf_trace_ctx prev; /* the exemplar of the duration is the stage's trace */
    cf_trace_set_current(cf_span_ctx(s->stage_span), &prev);
    cf_metric_observe(stage_hist(), s->span_stage, s->kind, cf_metric_now() - s->stage_t0);
    cf_trace_set_current(&prev, NULL);
    cf_span_end(s->stage_span);
    s->stage_span = NULL;
    s->span_stage[0] = '\0';
}

/* A stage name the pipeline reports starts a span of that name under the run (lock held). */
static void follow_stage(slot *s, const char *stage) {
    if (!s->stage_spans || !stage || !strcmp(stage, s->span_stage)) return;
    end_stage(s);
    if (!strcmp(stage, "done")) return;
    snprintf(s->span_stage, sizeof s->span_stage, "%s", stage);
    s->stage_t0 = cf_metric_now();
    s->stage_span = cf_span_start(stage, CF_SPAN_INTERNAL, &s->run_ctx);
}

static void report_progress(void *user, double fraction, const char *stage) {
    progress_user *pu = user;
    pthread_mutex_lock(&pu->r->lock);
    follow_stage(pu->s, stage);
    if (fraction > pu->s->fraction || (stage && strcmp(stage, pu->s->stage))) {
        if (fraction > pu->s->fraction) pu->s->fraction = fraction;
        if (stage) snprintf(pu->s->stage, sizeof pu->s->stage, "%s", stage);
        pu->s->dirty = true;
    }
    cf_progress *mirror = pu->s->mirror;
    pthread_mutex_unlock(&pu->r->lock);
    /* Outside the lock: the mirror's callback reports the parent's progress, which takes it. */
    if (mirror) cf_progress_report(mirror, fraction, stage);
}

static void remove_outputs(cf_job_context *ctx) {
    for (size_t i = 0; i < ctx->n_output_keys; i++) {
        cf_error err;
        cf_storage_remove(ctx->storage, ctx->output_keys[i], &err);
        free(ctx->output_keys[i]);
    }
    free(ctx->output_keys);
    ctx->output_keys = NULL;
    ctx->n_output_keys = 0;
}

/* Removes what earlier attempts of the job stored: a run cut by a crash (kill -9, power loss)
 * may have stored some outputs and never removed them. None of them committed (this attempt
 * runs), and a run still going elsewhere after losing its lease removes its own. */
static void remove_earlier_outputs(cf_storage *storage, const cf_job_record *job, const char *prefix) {
    char job_prefix[256], keep[260];
    if (job->attempts < 2 || !cf_fmt(job_prefix, sizeof job_prefix, "jobs/%s/", job->id) ||
        !cf_fmt(keep, sizeof keep, "%s/", prefix))
        return;
    size_t removed = 0;
    cf_error err;
    if (cf_storage_remove_under(storage, job_prefix, keep, &removed, &err) != CF_OK)
        cf_log_warn("runner", "job %s: the outputs of earlier attempts: %s", job->id, err.msg);
    if (removed)
        cf_log_info("runner", "job %s: removed %zu outputs left by earlier attempts", job->id, removed);
}

/* Runs the job's kind; returns its code with err filled and *result set on success. */
static cf_err execute(cf_job_context *ctx, const cf_job_record *job, json_t **result, cf_error *err) {
    const cf_job_handler *kind = cf_job_handler_find(job->kind);
    if (!kind || !kind->run)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "kind '%s' has no pipeline in this build", job->kind);
    json_error_t jerr;
#ifdef CF_TEST_HOOKS
    /* Fault injection for tests (test builds only): every run of a job whose stored request or
     * idempotency key contains this text fails with a retryable error. */
    const char *fail = ctx->cfg->test_fail_jobs;
    if (*fail && ((job->request && strstr(job->request, fail)) ||
                  (job->idempotency_key && strstr(job->idempotency_key, fail))))
        return cf_error_set(err, CF_ERR_INTERNAL, "run failed (injected by CLIPFORGE_TEST_FAIL_JOBS)");
    /* ... and every run of a job whose idempotency key contains TEXT ("TEXT:MS") first waits. */
    const char *slow = ctx->cfg->test_slow_jobs, *colon = strrchr(slow, ':');
    if (colon && colon > slow && job->idempotency_key &&
        memmem(job->idempotency_key, strlen(job->idempotency_key), slow, (size_t)(colon - slow)))
        sleep_ms(atoi(colon + 1));
#endif
    json_t *request = json_loads(job->request, 0, &jerr);
    if (!request) return cf_error_set(err, CF_ERR_INTERNAL, "stored request is not JSON");
    cf_err rc = kind->no_work_dir ? CF_OK : cf_mkdir_p(ctx->work_dir, err);
    if (rc == CF_OK) rc = kind->run(ctx, request, result, err);
    json_decref(request);
    cf_job_name_sources(ctx, rc == CF_OK ? *result : NULL, err);
    return rc;
}

/* Chooses the outcome of a finished run. */
static cf_job_outcome decide(cf_job_runner *r, slot *s, const cf_job_record *job, cf_err rc,
                             const cf_error *err, char *result, char **error_text) {
    cf_job_outcome o = {0};
    bool stopping = atomic_load(&r->stopping);
    if (rc == CF_OK && !s->user_cancel) {
        o.status = CF_JOB_STATE_SUCCEEDED;
        o.result = result;
    } else if (s->user_cancel) {
        o.status = CF_JOB_STATE_CANCELLED;
        *error_text = cf_job_cancelled_problem();
    } else if (stopping) {
        /* Shutdown: released, back to the queue at once (not a failed attempt) to start over
         * in the next process that takes it. */
        o.status = CF_JOB_STATE_QUEUED;
    } else {
        o.status = CF_JOB_STATE_FAILED;
        o.retry_at =
            cf_job_retry_at(rc, job->attempts, job->max_attempts, r->app->cfg.retry_base_ms, cf_now_ms());
        *error_text = cf_problem_text(cf_problem_for(rc), err->msg);
    }
    o.error = *error_text;
    return o;
}

/* A run's outcome before it is stored: what to store, and what to do once it is (or is not). */
typedef struct settled {
    const cf_job_record *job;
    const char *owner;
    cf_job_outcome o;
    char *result, *error_text;
    bool lost;
    double seconds;
    cf_storage *storage;
    char **output_keys; /* taken from the run's context */
    size_t n_output_keys;
} settled;

/* Decides the outcome of a finished run into *d, taking its outputs from ctx. */
static void settle(cf_job_runner *r, slot *s, const cf_job_record *job, cf_job_context *ctx, cf_err rc,
                   cf_error *err, json_t *result_json, double seconds, settled *d) {
    *d = (settled){.job = job, .owner = s->owner, .seconds = seconds, .storage = ctx->storage};
    d->result = result_json ? json_dumps(result_json, JSON_COMPACT) : NULL;
    pthread_mutex_lock(&r->lock);
    d->lost = s->lease_lost;
    d->o = decide(r, s, job, rc, err, d->result, &d->error_text);
    pthread_mutex_unlock(&r->lock);
    d->output_keys = ctx->output_keys;
    d->n_output_keys = ctx->n_output_keys;
    ctx->output_keys = NULL;
    ctx->n_output_keys = 0;
}

/* After the store answered frc for d's outcome: the outputs of a run that did not commit its
 * success are removed; metrics; frees d's parts. */
static void complete(settled *d, cf_err frc, const cf_error *ferr) {
    const cf_job_record *job = d->job;
    if (frc)
        cf_log_warn("runner", "job %s attempt %lld: outcome dropped (%s)", job->id, (long long)job->attempts,
                    d->lost ? "lease lost" : ferr->msg);
    cf_job_context outputs = {
        .storage = d->storage, .output_keys = d->output_keys, .n_output_keys = d->n_output_keys};
    if (frc || d->o.status != CF_JOB_STATE_SUCCEEDED) remove_outputs(&outputs);
    else cf_metrics_job_run(d->o.status, job->kind, d->seconds);
    for (size_t i = 0; i < outputs.n_output_keys; i++) free(outputs.output_keys[i]);
    free(outputs.output_keys);
    if (frc == CF_OK && d->o.status != CF_JOB_STATE_SUCCEEDED)
        cf_metrics_job_run(d->o.retry_at ? CF_JOB_STATE_QUEUED : d->o.status, job->kind, d->seconds);
    if (frc == CF_OK && !d->o.retry_at) cf_metrics_tenant_job_finished(job->tenant, d->o.status);
    free(d->result);
    free(d->error_text);
}

static void finish_run(cf_job_runner *r, slot *s, const cf_job_record *job, cf_job_context *ctx, cf_err rc,
                       cf_error *err, json_t *result_json, double seconds) {
    settled d;
    settle(r, s, job, ctx, rc, err, result_json, seconds, &d);
    cf_error ferr;
    cf_err frc = d.lost ? CF_ERR_CONFLICT
                        : cf_store_job_finish(r->app->store, job->id, s->owner, job->attempts, &d.o,
                                              cf_now_ms(), &ferr);
    complete(&d, frc, &ferr);
}

/* What a worker took at once: the messages, their leases, the outcomes not stored yet. */
typedef struct batch {
    cf_bus_message msgs[BATCH_MAX];
    cf_job_lease_req leases[BATCH_MAX];
    size_t n;
    settled done[BATCH_MAX];
    size_t n_done;
    int64_t first_done;                       /* when the oldest outcome not stored yet was decided */
    int64_t t_recv, t_leased, t_acked, t_ran; /* for the debug log */
} batch;

/* What run_child_here needs to find the child slot of the worker running the parent. */
typedef struct child_host {
    cf_job_runner *r;
    int index;
} child_host;

static void run_job(cf_job_runner *r, int index, const cf_job_record *job, const cf_trace_ctx *parent,
                    batch *b);

/* cf_job_context.run_child: leases child id for worker index's child slot and runs it here. */
static cf_err run_child_here(cf_job_context *ctx, const char *id, cf_progress *mirror, cf_error *err) {
    child_host *h = ctx->runner;
    cf_job_runner *r = h->r;
    int index = r->n + h->index;
    slot *s = &r->slots[index];
    pthread_mutex_lock(&r->lock);
    bool taken = s->reserved || atomic_load(&r->stopping);
    s->reserved = true;
    pthread_mutex_unlock(&r->lock);
    if (taken) return cf_error_set(err, CF_ERR_CONFLICT, "a child already runs here");
    cf_job_record job;
    cf_err rc = cf_store_job_lease(r->app->store, id, s->owner, r->app->cfg.lease_ms, cf_now_ms(), &job, err);
    if (rc == CF_OK) {
        pthread_mutex_lock(&r->lock);
        s->mirror = mirror;
        pthread_mutex_unlock(&r->lock);
        run_job(r, index, &job, NULL, NULL);
        cf_job_record_free(&job);
    }
    pthread_mutex_lock(&r->lock);
    s->mirror = NULL;
    s->reserved = false;
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* The run's span: under parent (the message's consumer span), else the context the job was
 * created in; current on this thread until end_run_span. */
static cf_span *start_run_span(const cf_job_record *job, const cf_trace_ctx *parent, cf_trace_ctx *prev) {
    cf_trace_ctx stored;
    if (!parent || !cf_trace_ctx_valid(parent)) {
        cf_trace_from_text(job->trace_context, &stored);
        parent = &stored;
    }
    char name[64];
    snprintf(name, sizeof name, "job %s", job->kind);
    cf_span *span = cf_span_start(name, CF_SPAN_INTERNAL, parent);
    cf_span_set_str(span, "clipforge.job.id", job->id);
    cf_span_set_str(span, "clipforge.job.kind", job->kind);
    cf_span_set_int(span, "clipforge.job.attempt", job->attempts);
    if (job->parent_id) cf_span_set_str(span, "clipforge.job.parent_id", job->parent_id);
    cf_trace_set_current(cf_span_ctx(span), prev);
    return span;
}

static void end_run_span(cf_span *span, cf_err rc, const cf_error *err, const cf_trace_ctx *prev) {
    if (rc) cf_span_set_error(span, err->msg);
    cf_span_end(span);
    cf_trace_set_current(prev, NULL);
}

/* Runs job in slot index; its outcome is stored now, or, with b, kept in b to be stored with the
 * batch's others (flush). */
static void run_job(cf_job_runner *r, int index, const cf_job_record *job, const cf_trace_ctx *parent,
                    batch *b) {
    slot *s = &r->slots[index];
    cf_trace_ctx prev;
    cf_span *span = start_run_span(job, parent, &prev);
    const cf_job_handler *handler = cf_job_handler_find(job->kind);
    char work[4096], prefix[256];
    /* a cut work path would name another directory, one the cleanup below would remove */
    bool paths_ok =
        cf_fmt(work, sizeof work, "%s/%s-%lld", r->app->work_dir, job->id, (long long)job->attempts) &&
        cf_fmt(prefix, sizeof prefix, "jobs/%s/%lld", job->id, (long long)job->attempts);
    progress_user pu = {r, s};
    pthread_mutex_lock(&r->lock);
    cf_progress_init(&s->progress, report_progress, &pu);
    snprintf(s->job_id, sizeof s->job_id, "%s", job->id);
    s->attempt = job->attempts;
    s->fraction = 0;
    snprintf(s->stage, sizeof s->stage, "started");
    memcpy(s->evented_stage, s->stage, sizeof s->stage);
    s->dirty = s->lease_lost = s->user_cancel = false;
    s->last_heartbeat = s->last_event = cf_now_ms();
    s->active = true;
    cf_trace_current(&s->run_ctx);
    s->stage_spans = handler && !handler->traces_stages;
    s->stage_span = NULL;
    s->span_stage[0] = '\0';
    s->kind = handler ? handler->name : "unknown";
    bool cancel_now = job->cancel_requested;
    /* A stop that came between the lease and now did not see this slot active. */
    if (atomic_load(&r->stopping)) cf_progress_cancel(&s->progress);
    pthread_mutex_unlock(&r->lock);
    if (cancel_now) cf_job_runner_cancel(r, job->id);
    atomic_fetch_add(&r->busy, 1);
    cf_log_info("runner", "job %s attempt %lld started by %s", job->id, (long long)job->attempts, s->owner);
    cf_job_context ctx = {.job_id = job->id,
                          .tenant = job->tenant,
                          .attempt = job->attempts,
                          .work_dir = work,
                          .output_prefix = prefix,
                          .store = r->app->store,
                          .storage = r->app->storage,
                          .cfg = &r->app->cfg,
                          .progress = &s->progress,
                          .remote = r->app->remote};
    child_host host = {r, index};
    if (index < r->n) ctx.run_child = run_child_here, ctx.runner = &host;
    int64_t t0 = cf_now_ms();
    json_t *result = NULL;
    cf_error err;
    cf_error_clear(&err);
    if (paths_ok) remove_earlier_outputs(r->app->storage, job, prefix);
    cf_err rc = paths_ok ? execute(&ctx, job, &result, &err)
                         : cf_error_set(&err, CF_ERR_IO, "the work directory's path is too long");
    pthread_mutex_lock(&r->lock);
    end_stage(s);
    pthread_mutex_unlock(&r->lock);
    double seconds = (double)(cf_now_ms() - t0) / 1000.0;
    if (b) {
        if (!b->n_done) b->first_done = cf_now_ms();
        settle(r, s, job, &ctx, rc, &err, result, seconds, &b->done[b->n_done++]);
    } else {
        finish_run(r, s, job, &ctx, rc, &err, result, seconds);
    }
    json_decref(result);
    for (size_t i = 0; i < ctx.n_output_keys; i++) free(ctx.output_keys[i]);
    free(ctx.output_keys);
    cf_job_context_free_sources(&ctx);
    cf_error rmerr;
    if (paths_ok) cf_remove_tree(work, &rmerr);
    pthread_mutex_lock(&r->lock);
    s->active = false;
    pthread_mutex_unlock(&r->lock);
    atomic_fetch_sub(&r->busy, 1);
    cf_log_info("runner", "job %s attempt %lld done: %s", job->id, (long long)job->attempts,
                rc ? err.msg : "ok");
    end_run_span(span, rc, &err, &prev);
}

/* The consumer span of a job message: continues the context the message carries, else the
 * job's own (a message from a publisher that carried none). */
static cf_span *start_consume_span(cf_app *app, const cf_bus_message *m, const cf_job_record *job) {
    cf_trace_ctx parent;
    if (!cf_trace_from_text(m->trace_context, &parent)) cf_trace_from_text(job->trace_context, &parent);
    cf_span *span = cf_span_start("process jobs", CF_SPAN_CONSUMER, &parent);
    cf_span_set_str(span, "messaging.system", app->bus->m->name);
    cf_span_set_str(span, "messaging.destination.name", m->topic);
    cf_span_set_str(span, "messaging.operation.type", "process");
    cf_span_set_int(span, "messaging.message.delivery_count", m->deliveries);
    cf_span_set_str(span, "clipforge.job.id", job->id);
    return span;
}

/* Holds job j in slot s (lock held). */
static void hold(slot *s, const cf_job_record *j) {
    if (s->n_holds >= HOLDS_MAX) return;
    held *h = &s->holds[s->n_holds++];
    *h = (held){.attempt = j->attempts, .last_heartbeat = cf_now_ms(), .cancel = j->cancel_requested};
    snprintf(h->id, sizeof h->id, "%s", j->id);
}

/* Stops holding id (lock held). */
static void unhold(slot *s, const char *id) {
    for (int i = 0; i < s->n_holds; i++) {
        if (strcmp(s->holds[i].id, id)) continue;
        s->holds[i] = s->holds[--s->n_holds];
        return;
    }
}

/* Stores the outcomes b keeps, in one call, then completes each. */
static void flush(cf_job_runner *r, int index, batch *b) {
    if (!b->n_done) return;
    cf_job_finish_req reqs[BATCH_MAX];
    size_t n = 0;
    for (size_t i = 0; i < b->n_done; i++) {
        settled *d = &b->done[i];
        if (d->lost) continue;
        reqs[n++] = (cf_job_finish_req){
            .id = d->job->id, .owner = d->owner, .attempt = d->job->attempts, .outcome = d->o};
    }
    cf_error err;
    cf_err rc = n ? cf_store_job_finish_many(r->app->store, reqs, n, cf_now_ms(), &err) : CF_OK;
    if (rc) cf_log_warn("runner", "storing %zu outcomes: %s", n, err.msg);
    slot *s = &r->slots[index];
    for (size_t i = 0, k = 0; i < b->n_done; i++) {
        settled *d = &b->done[i];
        cf_error lost;
        cf_error_set(&lost, CF_ERR_CONFLICT, "lease lost");
        if (d->lost) complete(d, CF_ERR_CONFLICT, &lost);
        else k++, complete(d, reqs[k - 1].rc, &reqs[k - 1].err);
        pthread_mutex_lock(&r->lock);
        unhold(s, d->job->id);
        pthread_mutex_unlock(&r->lock);
    }
    b->n_done = 0;
}

/* Stores b's outcomes (flush) and frees what the batch took. */
static void store_batch(cf_job_runner *r, int index, batch *b) {
    flush(r, index, b);
    cf_log_debug("runner",
                 "batch of %zu: received at +0, leased +%lld, acked +%lld, ran +%lld, stored +%lld ms", b->n,
                 (long long)(b->t_leased - b->t_recv), (long long)(b->t_acked - b->t_recv),
                 (long long)(b->t_ran - b->t_recv), (long long)(cf_now_ms() - b->t_recv));
    for (size_t i = 0; i < b->n; i++) {
        cf_bus_message_free(&b->msgs[i]);
        cf_job_record_free(&b->leases[i].out);
    }
    b->n = 0;
}

/* A worker's second thread: it stores the outcomes of one batch while the worker receives,
 * leases and runs the next, so that the finish of one batch and the lease of the next are in
 * PostgreSQL at the same time (two connections) instead of one after the other. At most one
 * batch waits: the worker hands over the next only once the one before is stored, so a batch
 * is reused only once it is stored. Its jobs stay held (renewed) until they are. */
typedef struct flusher {
    cf_job_runner *r;
    int index;
    pthread_t thread;
    bool started;         /* else the worker stores its batches itself */
    pthread_mutex_t lock; /* guards pending, quit */
    pthread_cond_t changed;
    batch *pending; /* handed over, not stored yet */
    bool quit;
    batch *last; /* the batch handed over last (the worker's own) */
} flusher;

static void *flusher_main(void *arg) {
    flusher *f = arg;
    pthread_mutex_lock(&f->lock);
    for (;;) {
        while (!f->pending && !f->quit) pthread_cond_wait(&f->changed, &f->lock);
        batch *b = f->pending;
        if (!b) break; /* quit, nothing left */
        pthread_mutex_unlock(&f->lock);
        store_batch(f->r, f->index, b);
        pthread_mutex_lock(&f->lock);
        f->pending = NULL;
        pthread_cond_broadcast(&f->changed);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

/* Gives b to f to store, once the batch before it is stored; stores it here when f has no thread. */
static void hand_over(flusher *f, batch *b) {
    f->last = b;
    if (!f->started) {
        store_batch(f->r, f->index, b);
        return;
    }
    pthread_mutex_lock(&f->lock);
    while (f->pending) pthread_cond_wait(&f->changed, &f->lock);
    f->pending = b;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

static void flusher_start(flusher *f, cf_job_runner *r, int index) {
    *f = (flusher){.r = r, .index = index};
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->changed, NULL);
    f->started = pthread_create(&f->thread, NULL, flusher_main, f) == 0;
}

/* Stores what is pending, then ends f's thread. */
static void flusher_stop(flusher *f) {
    if (f->started) {
        pthread_mutex_lock(&f->lock);
        f->quit = true;
        pthread_cond_broadcast(&f->changed);
        pthread_mutex_unlock(&f->lock);
        pthread_join(f->thread, NULL);
    }
    pthread_cond_destroy(&f->changed);
    pthread_mutex_destroy(&f->lock);
}

/* A leased job of the batch that will not run here (the worker is stopping): released, back to
 * the queue at once, with the batch's outcomes. */
static void release_unstarted(cf_job_runner *r, int index, batch *b, const cf_job_record *job) {
    if (!b->n_done) b->first_done = cf_now_ms();
    b->done[b->n_done++] = (settled){.job = job,
                                     .owner = r->slots[index].owner,
                                     .o = {.status = CF_JOB_STATE_QUEUED},
                                     .storage = r->app->storage};
}

/* Takes up to *want messages at once, leases their jobs in one call, runs them one after the
 * other and stores their outcomes together (sooner when one waited FLUSH_MS). The next batch may
 * be GROWTH times as large when every job of this one was quick (QUICK_MS), the same size when
 * none was slow (SLOW_MS), else it is one message: a slow job never keeps many others waiting in
 * its batch while another worker idles. The outcomes are stored by f while the worker takes
 * its next batch. Returns false when the bus shut down. */
static bool take_batch(cf_job_runner *r, int index, batch *b, size_t *want, flusher *f) {
    cf_app *app = r->app;
    slot *s = &r->slots[index];
    cf_error err;
    b->t_recv = cf_now_ms();
    cf_err rc = cf_bus_receive_many(app->bus, "jobs", "workers", 500, b->msgs, *want, &b->n, &err);
    if (rc == CF_ERR_UNAVAILABLE) return false;
    if (rc == CF_ERR_TIMEOUT) return true;
    if (rc) {
        cf_log_warn("runner", "bus: %s", err.msg);
        sleep_ms(200);
        return true;
    }
    for (size_t i = 0; i < b->n; i++) b->leases[i] = (cf_job_lease_req){.id = b->msgs[i].payload};
    rc = atomic_load(&r->stopping) ? cf_error_set(&err, CF_ERR_UNAVAILABLE, "stopping")
                                   : cf_store_job_lease_many(app->store, b->leases, b->n, s->owner,
                                                             app->cfg.lease_ms, cf_now_ms(), &err);
    b->t_leased = cf_now_ms();
    if (rc && rc != CF_ERR_UNAVAILABLE) cf_log_warn("runner", "lease of %zu jobs: %s", b->n, err.msg);
    cf_bus_message acks[BATCH_MAX];
    size_t n_acks = 0;
    for (size_t i = 0; i < b->n; i++) {
        cf_err lrc = rc ? rc : b->leases[i].rc;
        if (lrc == CF_OK || lrc == CF_ERR_CONFLICT || lrc == CF_ERR_NOT_FOUND) {
            acks[n_acks++] = b->msgs[i]; /* leased: the store owns it now; else not ours */
            cf_metrics_delivery(lrc == CF_OK);
        } else {
            cf_bus_nack(app->bus, &b->msgs[i], 500, &err);
        }
        if (lrc) b->leases[i].rc = lrc; /* none of them leased */
    }
    if (n_acks) cf_bus_ack_many(app->bus, acks, n_acks, &err);
    b->t_acked = cf_now_ms();
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < b->n; i++)
        if (b->leases[i].rc == CF_OK) hold(s, &b->leases[i].out);
    pthread_mutex_unlock(&r->lock);
    if (cf_log_get_level() <= CF_LOG_DEBUG) {
        char ids[BATCH_MAX * 41 + 1] = "";
        for (size_t i = 0, at = 0; i < b->n && at < sizeof ids - 41; i++)
            if (b->leases[i].rc == CF_OK)
                at += (size_t)snprintf(ids + at, sizeof ids - at, " %s", b->leases[i].id);
        cf_log_debug("runner", "batch of %zu messages, leased:%s", b->n, ids);
    }
    int64_t slowest = 0;
    b->n_done = 0;
    for (size_t i = 0; i < b->n; i++) {
        cf_job_record *job = &b->leases[i].out;
        if (b->leases[i].rc) continue;
        if (atomic_load(&r->stopping)) {
            release_unstarted(r, index, b, job);
            continue;
        }
        pthread_mutex_lock(&r->lock);
        bool lost = false;
        for (int k = 0; k < s->n_holds; k++) {
            if (strcmp(s->holds[k].id, job->id)) continue;
            lost = s->holds[k].lost;
            if (s->holds[k].cancel) job->cancel_requested = true;
        }
        if (lost) unhold(s, job->id);
        pthread_mutex_unlock(&r->lock);
        if (lost) continue; /* taken back while it waited (the reaper requeued it) */
        cf_span *consume = start_consume_span(app, &b->msgs[i], job);
        int64_t t0 = cf_now_ms();
        run_job(r, index, job, cf_span_ctx(consume), b);
        cf_span_end(consume);
        int64_t now = cf_now_ms();
        if (now - t0 > slowest) slowest = now - t0;
        if (b->n_done && now - b->first_done >= FLUSH_MS) flush(r, index, b);
    }
    b->t_ran = cf_now_ms();
    /* A quick job that the scheduler preempted (a busy machine) keeps the size; a slow one does
     * not: the jobs queued behind it in a batch would wait for it while another worker idles. */
    if (slowest < QUICK_MS) *want = *want * GROWTH < r->batch_max ? *want * GROWTH : r->batch_max;
    else if (slowest >= SLOW_MS) *want = 1;
    hand_over(f, b);
    return true;
}

static void *worker_main(void *arg) {
    worker_arg *wa = arg;
    batch *b = calloc(2, sizeof *b); /* the one taken, and the one before while it is stored */
    flusher f;
    flusher_start(&f, wa->r, wa->index);
    size_t want = 1;
    for (int k = 0; b && !atomic_load(&wa->r->stopping) && take_batch(wa->r, wa->index, &b[k], &want, &f);)
        if (f.last == &b[k]) k ^= 1; /* handed over: the next goes into the other, stored by now */
    flusher_stop(&f);
    if (!b) cf_log_error("runner", "worker %d: out of memory", wa->index);
    free(b);
    free(wa);
    return NULL;
}

/* Renews the lease of slot i when due; carries progress and brings back cancel requests. */
static void keep_slot(cf_job_runner *r, int i, int64_t now) {
    slot *s = &r->slots[i];
    int64_t every = r->app->cfg.lease_ms / 3;
    if (every > HEARTBEAT_MAX_MS) every = HEARTBEAT_MAX_MS;
    pthread_mutex_lock(&r->lock);
    if (s->active && s->mirror && cf_progress_cancelled(s->mirror)) { /* the parent stopped */
        s->user_cancel = true;
        cf_progress_cancel(&s->progress);
    }
    /* a new stage goes out at the next tick: a stage shorter than the event period would
     * otherwise never be stored or heard (an analysis of a short file, between two renders) */
    bool emit = s->dirty && (now - s->last_event >= PROGRESS_EVENT_MS || strcmp(s->stage, s->evented_stage));
    if (!s->active || s->lease_lost || (!emit && now - s->last_heartbeat < every)) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    char id[40], stage[48];
    memcpy(id, s->job_id, sizeof id);
    memcpy(stage, s->stage, sizeof stage);
    double fraction = s->fraction;
    int64_t attempt = s->attempt;
    if (emit) s->dirty = false;
    if (emit) memcpy(s->evented_stage, stage, sizeof stage);
    pthread_mutex_unlock(&r->lock);
    bool cancel = false;
    cf_error err;
    cf_err rc = cf_store_job_heartbeat(r->app->store, id, s->owner, attempt, r->app->cfg.lease_ms, now,
                                       fraction, stage, emit, &cancel, &err);
    pthread_mutex_lock(&r->lock);
    if (s->active && !strcmp(s->job_id, id) && s->attempt == attempt) {
        s->last_heartbeat = now;
        if (emit) s->last_event = now;
        if (rc == CF_ERR_CONFLICT) s->lease_lost = true;
        if (cancel) s->user_cancel = true;
        if (rc == CF_ERR_CONFLICT || cancel) cf_progress_cancel(&s->progress);
    }
    pthread_mutex_unlock(&r->lock);
    if (rc && rc != CF_ERR_CONFLICT) cf_log_warn("runner", "heartbeat %s: %s", id, err.msg);
}

/* Renews the leases slot i holds for its batch when due, all in one store call (a batch of 64
 * held past a third of its lease was 64 transactions at every renewal); brings back cancel
 * requests. */
static void keep_holds(cf_job_runner *r, int i, int64_t now) {
    slot *s = &r->slots[i];
    int64_t every = r->app->cfg.lease_ms / 3;
    if (every > HEARTBEAT_MAX_MS) every = HEARTBEAT_MAX_MS;
    held due[HOLDS_MAX];
    cf_job_renew_req reqs[HOLDS_MAX];
    int n = 0;
    pthread_mutex_lock(&r->lock);
    for (int k = 0; k < s->n_holds; k++) {
        held *h = &s->holds[k];
        bool running = s->active && !strcmp(s->job_id, h->id); /* keep_slot renews that one */
        if (!running && !h->lost && now - h->last_heartbeat >= every) due[n++] = *h;
    }
    pthread_mutex_unlock(&r->lock);
    if (!n) return;
    for (int k = 0; k < n; k++) reqs[k] = (cf_job_renew_req){.id = due[k].id, .attempt = due[k].attempt};
    cf_error err;
    cf_err rc =
        cf_store_job_renew_many(r->app->store, reqs, (size_t)n, s->owner, r->app->cfg.lease_ms, now, &err);
    if (rc) cf_log_warn("runner", "renewing %d held leases: %s", n, err.msg);
    pthread_mutex_lock(&r->lock);
    for (int k = 0; k < n; k++) {
        for (int j = 0; j < s->n_holds; j++) {
            held *h = &s->holds[j];
            if (strcmp(h->id, due[k].id) || h->attempt != due[k].attempt) continue;
            h->last_heartbeat = now;
            if (reqs[k].rc == CF_ERR_CONFLICT) h->lost = true;
            if (reqs[k].cancel_requested) h->cancel = true;
        }
    }
    pthread_mutex_unlock(&r->lock);
}

static void reap_if_due(cf_app *app, reap_clock *last, int64_t now) {
    cf_error err;
    /* Holds expire a lease after their last renewal: renew three times per lease. */
    if (now - last->held >= app->cfg.lease_ms / 3) {
        last->held = now;
        if (cf_app_keep_holds(app, now, &err)) cf_log_warn("runner", "holds: %s", err.msg);
    }
    int64_t every = app->cfg.lease_ms / 2 < 250 ? 250 : app->cfg.lease_ms / 2;
    if (now - last->reaped < every) return;
    last->reaped = now;
    size_t n = 0;
    /* Retry delay after a lost worker: the first backoff step. */
    if (cf_store_reap(app->store, now, app->cfg.retry_base_ms, &n, &err))
        cf_log_warn("runner", "reaper: %s", err.msg);
    else if (n) {
        cf_metrics_lease_expiries(n);
        cf_log_info("runner", "reaper: %zu expired leases handled", n);
        cf_app_sweep_work_dirs(app); /* the temp dirs the lost runs left */
    }
}

static void *keeper_main(void *arg) {
    cf_job_runner *r = arg;
    while (!atomic_load(&r->stopping)) {
        int64_t now = cf_now_ms();
        for (int i = 0; i < r->n_slots; i++) keep_slot(r, i, now);
        for (int i = 0; i < r->n; i++) keep_holds(r, i, now);
        reap_if_due(r->app, &r->last_reap, now);
        sleep_ms(KEEPER_TICK_MS);
    }
    return NULL;
}

cf_err cf_job_runner_start(cf_app *app, int n, cf_job_runner **out, cf_error *err) {
    cf_job_runner *r = calloc(1, sizeof *r);
    if (!r) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    r->app = app;
    r->n = n < 1 ? 1 : n;
    r->n_slots = 2 * r->n;
    const char *bm = getenv("CLIPFORGE_WORKER_BATCH");
    long batch_max = bm && *bm ? strtol(bm, NULL, 10) : BATCH_MAX;
    r->batch_max = batch_max < 1 ? 1 : batch_max > BATCH_MAX ? BATCH_MAX : (size_t)batch_max;
    r->workers = calloc((size_t)r->n, sizeof *r->workers);
    r->slots = calloc((size_t)r->n_slots, sizeof *r->slots);
    pthread_mutex_init(&r->lock, NULL);
    if (!r->workers || !r->slots) {
        free(r->workers);
        free(r->slots);
        free(r);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    for (int i = 0; i < r->n_slots; i++)
        snprintf(r->slots[i].owner, sizeof r->slots[i].owner, "%s/w%d%s", app->instance_id, i % r->n,
                 i < r->n ? "" : "c");
    int ret = pthread_create(&r->keeper, NULL, keeper_main, r);
    r->keeper_started = ret == 0;
    for (int i = 0; ret == 0 && i < r->n; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa) {
            ret = ENOMEM;
            break;
        }
        *wa = (worker_arg){r, i};
        if ((ret = pthread_create(&r->workers[i], NULL, worker_main, wa)) != 0) free(wa);
        else r->started++;
    }
    /* fewer workers than asked would leave jobs waiting for threads that never come: refuse */
    if (ret != 0) {
        cf_job_runner_stop(r);
        return cf_error_set(err, ret == ENOMEM ? CF_ERR_NO_MEMORY : CF_ERR_UNAVAILABLE,
                            "cannot start the job workers: %s", strerror(ret));
    }
    *out = r;
    return CF_OK;
}

void cf_job_runner_cancel(cf_job_runner *r, const char *id) {
    if (!r) return;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n_slots; i++) {
        slot *s = &r->slots[i];
        if (s->active && !strcmp(s->job_id, id)) {
            s->user_cancel = true;
            cf_progress_cancel(&s->progress);
            /* A child its worker runs for it stops with it (the store cancels it too). */
            slot *child = i < r->n ? &r->slots[r->n + i] : NULL;
            if (child && child->active) {
                child->user_cancel = true;
                cf_progress_cancel(&child->progress);
            }
        }
        for (int k = 0; k < s->n_holds; k++) /* waiting in its worker's batch: cancelled at its turn */
            if (!strcmp(s->holds[k].id, id)) s->holds[k].cancel = true;
    }
    pthread_mutex_unlock(&r->lock);
}

int64_t cf_job_runner_busy(cf_job_runner *r) {
    return r ? atomic_load(&r->busy) : 0;
}

void cf_job_runner_stop(cf_job_runner *r) {
    if (!r) return;
    atomic_store(&r->stopping, true);
    cf_bus_shutdown(r->app->bus);
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n_slots; i++)
        if (r->slots[i].active) cf_progress_cancel(&r->slots[i].progress);
    pthread_mutex_unlock(&r->lock);
    for (int i = 0; i < r->started; i++) pthread_join(r->workers[i], NULL);
    if (r->keeper_started) pthread_join(r->keeper, NULL);
    pthread_mutex_destroy(&r->lock);
    free(r->workers);
    free(r->slots);
    free(r);
}

struct cf_reaper {
    cf_app *app;
    pthread_t thread;
    atomic_bool stopping;
};

static void *reaper_main(void *arg) {
    cf_reaper *rp = arg;
    reap_clock last = {0, 0};
    while (!atomic_load(&rp->stopping)) {
        reap_if_due(rp->app, &last, cf_now_ms());
        sleep_ms(KEEPER_TICK_MS);
    }
    return NULL;
}

cf_err cf_reaper_start(cf_app *app, cf_reaper **out, cf_error *err) {
    cf_reaper *rp = calloc(1, sizeof *rp);
    if (!rp) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    rp->app = app;
    if (pthread_create(&rp->thread, NULL, reaper_main, rp) != 0) {
        free(rp);
        return cf_error_set(err, CF_ERR_INTERNAL, "cannot start the reaper thread");
    }
    *out = rp;
    return CF_OK;
}

void cf_reaper_stop(cf_reaper *rp) {
    if (!rp) return;
    atomic_store(&rp->stopping, true);
    pthread_join(rp->thread, NULL);
    free(rp);
}

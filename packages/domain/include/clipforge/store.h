/* store.h — the job store interface (in libcfdomain, beside the job types it stores): jobs, their
 * events (with monotonic ids), the outbox that carries messages to the bus, and media records.
 * Every state change of a job is one
 * transaction that also appends its event and, when work must be dispatched, its outbox row.
 * Status changes are compare-and-set: a worker's change applies only while it holds the lease
 * (owner + attempt), so a stale worker can never overwrite a newer outcome.
 * Backends are versioned method tables registered by name (like SQLite's VFS); "sqlite" lives in
 * apps/backend/infrastructure. Times are milliseconds since the epoch. */
#ifndef CLIPFORGE_STORE_H
#define CLIPFORGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"
/* A job's status is the generated cf_job_state (schemas/JobState.json): one list of states for
 * the store, the API and the lifecycle rules (clipforge/domain/job_lifecycle.h). */
#include "clipforge/domain/types.h"

/* A job as stored. Strings are malloc'd and owned by the record (cf_job_record_free). */
typedef struct cf_job_record {
    char *id;
    char *kind;
    cf_job_state status;
    char *stage;
    double progress;  /* 0..1 */
    int64_t attempts; /* runs started so far */
    int64_t max_attempts;
    int64_t created_at, updated_at, started_at, finished_at; /* 0 = not yet */
    char *request;                                           /* JSON text */
    char *result;                                            /* JSON text or NULL */
    char *error;                                             /* JSON problem text or NULL */
    char *idempotency_key;                                   /* NULL when none */
    char *lease_owner; /* running: the worker; queued: the process holding its message */
    int64_t lease_expires_at;
    int64_t run_after; /* not dispatched before this time (retry backoff) */
    bool cancel_requested;
    int64_t seq;         /* insertion order, for cursors */
    char *parent_id;     /* the job that created this one (autoclip -> render), or NULL */
    char *trace_context; /* the trace it was created in (cf_trace_to_text form), or NULL */
    char *tenant;        /* who owns it ("default" when the server runs without keys) */
} cf_job_record;

typedef struct cf_job_new {
    const char *id, *kind, *request, *idempotency_key; /* idempotency_key may be NULL */
    const char *parent_id;                             /* NULL for a top-level job */
    const char *trace_context; /* W3C context of the creating request (cf_trace_to_text), or NULL */
    const char *tenant;        /* NULL: the parent's, or "default" for a top-level job */
    int64_t max_attempts;
    int64_t now;
} cf_job_new;

/* How a worker's run ended. status is SUCCEEDED, FAILED or CANCELLED; with retry_at > 0 a
 * FAILED run goes back to QUEUED, dispatched again at retry_at. QUEUED releases the job (the
 * worker is shutting down): back to the queue at once, the run not counted against
 * max_attempts, no error recorded. */
typedef struct cf_job_outcome {
    cf_job_state status;
    const char *result; /* JSON text for SUCCEEDED */
    const char *error;  /* JSON problem text for FAILED/CANCELLED */
    int64_t retry_at;
} cf_job_outcome;

typedef struct cf_job_filter {
    int status;            /* -1 = any */
    const char *kind;      /* NULL = any */
    const char *parent_id; /* NULL = any; else only the children of that job */
    int64_t before_seq;    /* 0 = from the newest; else only jobs with seq < before_seq */
    size_t limit;
    const char *tenant; /* NULL = any; else only that tenant's jobs */
} cf_job_filter;

typedef struct cf_event_record {
    int64_t id;
    char *type; /* JobRequested, JobProgressed, JobCompleted, JobFailed, JobCancelled */
    char *job_id;
    int64_t at;
    char *data;   /* JSON text */
    char *tenant; /* its job's tenant */
} cf_event_record;

typedef struct cf_outbox_record {
    int64_t id;
    char *topic;
    char *payload;
    char *trace_context; /* a job message: its job's trace context, or NULL */
} cf_outbox_record;

typedef struct cf_media_record {
    char *id, *key, *mime, *probe; /* probe: JSON text or NULL */
    char *filename;                /* the uploader's file name, NULL when none was given */
    char *tenant;                  /* who owns it; NULL on insert = "default" */
    char *sha256;                  /* SHA-256 of its bytes (hex), taken as they were stored; NULL
                                    * when unknown (stored before it was taken) */
    int64_t bytes, created_at;
} cf_media_record;

/* A page of media, newest first (created_at, then id, descending). before_id NULL starts at the
 * newest; else only media older than (before_at, before_id), the last row of the previous page. */
typedef struct cf_media_filter {
    int64_t before_at;
    const char *before_id;
    size_t limit;
    const char *tenant; /* NULL = any; else only that tenant's media */
} cf_media_filter;

/* A reviewer's verdict on a highlight span, stored whole as its JSON (schema Label). */
typedef struct cf_label_record {
    char *id, *media_id, *body;
    int64_t created_at;
} cf_label_record;

/* An API key as stored: never the key itself, only a salted hash of its secret part. */
typedef struct cf_key_record {
    char *id; /* the key's public prefix, shown in listings */
    char *tenant, *role, *name;
    char *salt, *hash;              /* hex */
    int64_t created_at, revoked_at; /* revoked_at 0 = valid */
} cf_key_record;

/* What a tenant uses now, for its quotas. */
typedef struct cf_tenant_usage {
    int64_t stored_bytes;  /* its media */
    int64_t active_jobs;   /* queued or running, children not counted */
    int64_t processing_ms; /* run time of its jobs in a month (running ones until now); an
                              autoclip's renders are inside its own run and not counted again */
} cf_tenant_usage;

/* A feature flag set at run time (clipforge/flags.h): setting is its text ("on", "off", "25%"). */
typedef struct cf_flag_record {
    char *name, *setting;
    int64_t updated_at;
} cf_flag_record;

/* A tenant's own limits; -1 = the server's (CLIPFORGE_QUOTA_*), 0 = none. */
typedef struct cf_tenant_quota {
    int64_t processing_minutes, storage_bytes, concurrent_jobs, upload_bytes;
} cf_tenant_quota;

/* One creation of a batch (cf_store_job_create_many): in is read; out, replayed, rc and err
 * are what became of it, as cf_store_job_create would have answered alone. out is filled only
 * when rc is CF_OK; the caller frees it with cf_job_record_free. */
typedef struct cf_job_submission {
    cf_job_new in;
    cf_job_record out;
    bool replayed;
    cf_err rc;
    cf_error err;
} cf_job_submission;

/* One lease of a batch (cf_store_job_lease_many): id is read; rc, err and out are what
 * cf_store_job_lease would have answered alone (CF_OK: out is the job as leased, freed by the
 * caller with cf_job_record_free; CF_ERR_CONFLICT: not leasable now; CF_ERR_NOT_FOUND). */
typedef struct cf_job_lease_req {
    const char *id;
    cf_job_record out;
    cf_err rc;
    cf_error err;
} cf_job_lease_req;

/* One finish of a batch (cf_store_job_finish_many): id, owner, attempt and outcome are read; rc
 * and err are what cf_store_job_finish would have answered alone. */
typedef struct cf_job_finish_req {
    const char *id, *owner;
    int64_t attempt;
    cf_job_outcome outcome;
    cf_err rc;
    cf_error err;
} cf_job_finish_req;

/* One lease renewal of a batch (cf_store_job_renew_many): id and attempt are read; rc is what
 * cf_store_job_heartbeat would have answered alone (CF_ERR_CONFLICT: the lease was lost),
 * cancel_requested whether a cancel was asked for. */
typedef struct cf_job_renew_req {
    const char *id;
    int64_t attempt;
    cf_err rc;
    bool cancel_requested;
} cf_job_renew_req;

typedef struct cf_job_stats {
    int64_t by_status[CF_JOB_STATE_COUNT];
    int64_t outbox_pending;
    int64_t last_event_id;    /* 0 when there is none */
    int64_t oldest_queued_at; /* since when the longest-waiting job due to run is due; 0 = none */
} cf_job_stats;

typedef struct cf_store_methods {
    int version; /* 1 */
    const char *name;
    cf_err (*open)(const char *url, void **self, cf_error *err);
    void (*close)(void *self);
    /* Inserts a queued job + JobRequested event + "jobs" outbox row. The wrapper has applied the
     * defaults: max_attempts >= 1, trace_context NULL or not empty. With an idempotency key
     * already used: the earlier job in *out, *replayed = true, or CF_ERR_CONFLICT when the
     * earlier request differs. */
    cf_err (*job_create)(void *self, const cf_job_new *in, cf_job_record *out, bool *replayed, cf_error *err);
    cf_err (*job_get)(void *self, const char *id, cf_job_record *out, cf_error *err);
    /* Newest first. *out is a malloc'd array the caller frees with cf_job_records_free. */
    cf_err (*job_list)(void *self, const cf_job_filter *f, cf_job_record **out, size_t *n, cf_error *err);
    /* queued and due -> running for owner, attempts + 1; CF_ERR_CONFLICT when not leasable. */
    cf_err (*job_lease)(void *self, const char *id, const char *owner, int64_t lease_ms, int64_t now,
                        cf_job_record *out, cf_error *err);
    /* Extends the lease and records progress (an event when emit); CF_ERR_CONFLICT when the
     * lease is lost. *cancel_requested tells the worker to stop. */
    cf_err (*job_heartbeat)(void *self, const char *id, const char *owner, int64_t attempt, int64_t lease_ms,
                            int64_t now, double progress, const char *stage, bool emit,
                            bool *cancel_requested, cf_error *err);
    cf_err (*job_finish)(void *self, const char *id, const char *owner, int64_t attempt,
                         const cf_job_outcome *o, int64_t now, cf_error *err);
    /* queued -> cancelled at once; running -> cancel requested (the worker finishes it);
     * CF_ERR_CONFLICT when final. The job's children that are not final get the same in the
     * same transaction. *out is the job afterwards. */
    cf_err (*job_cancel)(void *self, const char *id, int64_t now, cf_job_record *out, cf_error *err);
    /* failed | cancelled -> queued with a fresh budget of attempts; CF_ERR_CONFLICT otherwise. */
    cf_err (*job_retry)(void *self, const char *id, int64_t now, cf_job_record *out, cf_error *err);
    /* Running jobs whose lease expired before now go back to queued (or failed once their
     * attempts are spent, cancelled when cancel was requested). *n = how many. */
    cf_err (*reap)(void *self, int64_t now, int64_t retry_delay_ms, size_t *n, cf_error *err);
    /* Adds a "jobs" outbox row for every queued job that has none and whose hold (see
     * outbox_published) expired before now: its message was lost with a volatile bus. */
    cf_err (*redispatch_queued)(void *self, int64_t now, size_t *n, cf_error *err);
    /* Events with id > after_id (of job_id when not NULL, else of tenant's jobs when tenant is
     * not NULL), oldest first, at most limit. */
    cf_err (*events_after)(void *self, int64_t after_id, const char *job_id, const char *tenant, size_t limit,
                           cf_event_record **out, size_t *n, cf_error *err);
    /* Outbox rows due at now, oldest first. */
    cf_err (*outbox_due)(void *self, int64_t now, size_t limit, cf_outbox_record **out, size_t *n,
                         cf_error *err);
    cf_err (*outbox_delete)(void *self, int64_t id, cf_error *err);
    cf_err (*media_insert)(void *self, const cf_media_record *m, cf_error *err);
    cf_err (*media_get)(void *self, const char *id, cf_media_record *out, cf_error *err);
    cf_err (*media_delete)(void *self, const char *id, cf_error *err);
    /* Records sha256 as media id's content hash when it has none (media stored before hashes were
     * taken at upload, hashed later from a local copy); a hash already there is kept. */
    cf_err (*media_set_sha256)(void *self, const char *id, const char *sha256, cf_error *err);
    /* Optional (NULL when the backend cannot list media): a page by f; *out is freed with
     * cf_media_records_free. */
    cf_err (*media_list)(void *self, const cf_media_filter *f, cf_media_record **out, size_t *n,
                         cf_error *err);
    cf_err (*stats)(void *self, cf_job_stats *out, cf_error *err);
    /* Optional (NULL when the backend cannot): from now until close, calls hook(user) from a
     * backend thread whenever any process sharing the store commits an event, so that an API
     * node wakes its event streams for events appended by workers elsewhere. May call it
     * spuriously. */
    cf_err (*watch_events)(void *self, void (*hook)(void *user), void *user, cf_error *err);
    /* Optional (NULL when the backend keeps none): review labels, the training data of
     * highlight detection. body is the Label JSON text. */
    cf_err (*label_insert)(void *self, const cf_label_record *l, cf_error *err);
    /* Labels of media_id, oldest first, at most limit; *out is freed with cf_label_records_free. */
    cf_err (*labels_list)(void *self, const char *media_id, size_t limit, cf_label_record **out, size_t *n,
                          cf_error *err);
    /* Optional (NULL: outbox_delete, no holds). Deletes outbox row id after its publish and,
     * when holder is not NULL and the row carried a queued job, records that the volatile bus
     * of process holder holds the job's message until hold_until (the queued job's lease). */
    cf_err (*outbox_published)(void *self, int64_t id, const char *holder, int64_t hold_until, cf_error *err);
    /* Optional with outbox_published: sets the expiry of every hold of holder on queued jobs
     * to until (0 releases them, clearing the owner, so redispatch_queued republishes them
     * at once). */
    cf_err (*holds_renew)(void *self, const char *holder, int64_t until, size_t *n, cf_error *err);
    /* Optional (NULL when the backend keeps no API keys). key_list: of tenant (NULL = all),
     * newest first; key_revoke: of tenant (NULL = any), CF_ERR_NOT_FOUND when there is none. */
    cf_err (*key_insert)(void *self, const cf_key_record *k, cf_error *err);
    cf_err (*key_get)(void *self, const char *id, cf_key_record *out, cf_error *err);
    cf_err (*key_list)(void *self, const char *tenant, cf_key_record **out, size_t *n, cf_error *err);
    cf_err (*key_revoke)(void *self, const char *id, const char *tenant, int64_t now, cf_error *err);
    /* Optional (NULL when the backend cannot): tenant's usage, processing counted from month, the
     * start (UTC) of now's month (cf_month_start_ms). Read from counters that every change of a
     * job or a media row keeps in its own transaction, so its cost does not grow with history. */
    cf_err (*tenant_usage)(void *self, const char *tenant, int64_t month, int64_t now, cf_tenant_usage *out,
                           cf_error *err);
    /* Optional (NULL when the backend keeps no feature flags). flag_set inserts or replaces;
     * flag_list is every flag by name; flag_delete: CF_ERR_NOT_FOUND when there is none. */
    cf_err (*flag_set)(void *self, const cf_flag_record *f, cf_error *err);
    cf_err (*flag_list)(void *self, cf_flag_record **out, size_t *n, cf_error *err);
    cf_err (*flag_delete)(void *self, const char *name, cf_error *err);
    /* Optional (NULL when the backend keeps no quotas): a tenant's own limits (all -1 when it has
     * none); quota_set with all -1 removes them. */
    cf_err (*quota_get)(void *self, const char *tenant, cf_tenant_quota *out, cf_error *err);
    cf_err (*quota_set)(void *self, const char *tenant, const cf_tenant_quota *q, cf_error *err);
    /* Optional (NULL: one job_create after another). job_create for each of subs[0..n) in order,
     * all in one transaction (a group commit), each isolated from the others: one that fails
     * leaves no row and does not stop the rest; one whose idempotency key an earlier one of the
     * batch used replays or conflicts with it. Fills each sub's out, replayed, rc and err. When
     * the transaction cannot commit, returns that error and every sub's rc is it (none stored). */
    cf_err (*job_create_many)(void *self, cf_job_submission *subs, size_t n, cf_error *err);
    /* Optional (NULL: outbox_published for one row after another): outbox_published for each of
     * ids[0..n), all in one transaction. */
    cf_err (*outbox_published_many)(void *self, const int64_t *ids, size_t n, const char *holder,
                                    int64_t hold_until, cf_error *err);
    /* Optional (NULL: one job_lease after another). job_lease of each of reqs[0..n) for owner,
     * all in one transaction: fills each req's rc, err and out. When the transaction cannot
     * commit, returns that error and leases none (every req's rc is it). */
    cf_err (*job_lease_many)(void *self, cf_job_lease_req *reqs, size_t n, const char *owner,
                             int64_t lease_ms, int64_t now, cf_error *err);
    /* Optional (NULL: one job_finish after another). job_finish of each of reqs[0..n), all in
     * one transaction, each isolated from the others (one whose lease was lost, or that fails,
     * changes nothing and does not stop the rest). Fills each req's rc and err. When the
     * transaction cannot commit, returns that error and every req's rc is it (none stored). */
    cf_err (*job_finish_many)(void *self, cf_job_finish_req *reqs, size_t n, int64_t now, cf_error *err);
    /* Optional (NULL: one job_heartbeat after another, without progress or event). Renews the
     * leases of reqs[0..n), all of owner, to now + lease_ms at once; fills each req's rc and
     * cancel_requested. Returns an error when the renewals could not be stored (every req's rc
     * is it). */
    cf_err (*job_renew_many)(void *self, cf_job_renew_req *reqs, size_t n, const char *owner,
                             int64_t lease_ms, int64_t now, cf_error *err);
} cf_store_methods;

typedef struct cf_store cf_store;

cf_err cf_store_register(const cf_store_methods *m);
const cf_store_methods *cf_store_find(const char *name);
/* Opens the backend named by the URL scheme ("sqlite:/path/db.sqlite"). Free with
 * cf_store_close(). */
cf_err cf_store_open(const char *url, cf_store **out, cf_error *err);
void cf_store_close(cf_store *s);
/* Called after every committed change that appended an event (from the changing thread, remote
 * false), and, when the backend can watch (watch_events), also for events committed by other
 * processes (from a backend thread, remote true). */
void cf_store_set_event_hook(cf_store *s, void (*hook)(void *user, bool remote), void *user);

cf_err cf_store_job_create(cf_store *s, const cf_job_new *in, cf_job_record *out, bool *replayed,
                           cf_error *err);
/* Creates n jobs at once (job_create_many, with its defaults applied to each in): every sub's rc
 * says what became of it. Returns CF_OK when the batch was committed (some subs may still have
 * failed on their own), else the error that stored none of them. */
cf_err cf_store_job_create_many(cf_store *s, cf_job_submission *subs, size_t n, cf_error *err);
cf_err cf_store_job_get(cf_store *s, const char *id, cf_job_record *out, cf_error *err);
cf_err cf_store_job_list(cf_store *s, const cf_job_filter *f, cf_job_record **out, size_t *n, cf_error *err);
cf_err cf_store_job_lease(cf_store *s, const char *id, const char *owner, int64_t lease_ms, int64_t now,
                          cf_job_record *out, cf_error *err);
/* Leases reqs[0..n) for owner at once (job_lease_many, else one job_lease after another): every
 * req's rc says what became of it. Returns CF_OK when the batch was committed, else the error
 * that leased none of them. */
cf_err cf_store_job_lease_many(cf_store *s, cf_job_lease_req *reqs, size_t n, const char *owner,
                               int64_t lease_ms, int64_t now, cf_error *err);
/* Finishes reqs[0..n) at once (job_finish_many, else one job_finish after another): every req's
 * rc says what became of it. Returns CF_OK when the batch was committed (some reqs may still
 * have failed on their own), else the error that stored none of them. */
cf_err cf_store_job_finish_many(cf_store *s, cf_job_finish_req *reqs, size_t n, int64_t now, cf_error *err);
/* Renews the leases of reqs[0..n), held by owner, at once (job_renew_many, else one heartbeat
 * after another): every req's rc says whether it was. */
cf_err cf_store_job_renew_many(cf_store *s, cf_job_renew_req *reqs, size_t n, const char *owner,
                               int64_t lease_ms, int64_t now, cf_error *err);
cf_err cf_store_job_heartbeat(cf_store *s, const char *id, const char *owner, int64_t attempt,
                              int64_t lease_ms, int64_t now, double progress, const char *stage, bool emit,
                              bool *cancel_requested, cf_error *err);
cf_err cf_store_job_finish(cf_store *s, const char *id, const char *owner, int64_t attempt,
                           const cf_job_outcome *o, int64_t now, cf_error *err);
cf_err cf_store_job_cancel(cf_store *s, const char *id, int64_t now, cf_job_record *out, cf_error *err);
cf_err cf_store_job_retry(cf_store *s, const char *id, int64_t now, cf_job_record *out, cf_error *err);
cf_err cf_store_reap(cf_store *s, int64_t now, int64_t retry_delay_ms, size_t *n, cf_error *err);
cf_err cf_store_redispatch_queued(cf_store *s, int64_t now, size_t *n, cf_error *err);
cf_err cf_store_events_after(cf_store *s, int64_t after_id, const char *job_id, const char *tenant,
                             size_t limit, cf_event_record **out, size_t *n, cf_error *err);
cf_err cf_store_outbox_due(cf_store *s, int64_t now, size_t limit, cf_outbox_record **out, size_t *n,
                           cf_error *err);
cf_err cf_store_outbox_delete(cf_store *s, int64_t id, cf_error *err);
/* outbox_published, or outbox_delete when the backend keeps no holds. */
cf_err cf_store_outbox_published(cf_store *s, int64_t id, const char *holder, int64_t hold_until,
                                 cf_error *err);
/* cf_store_outbox_published for ids[0..n), in one transaction when the backend can
 * (outbox_published_many): the relay records a whole drained batch with one commit. */
cf_err cf_store_outbox_published_many(cf_store *s, const int64_t *ids, size_t n, const char *holder,
                                      int64_t hold_until, cf_error *err);
/* holds_renew; CF_OK with *n = 0 when the backend keeps no holds. n may be NULL. */
cf_err cf_store_holds_renew(cf_store *s, const char *holder, int64_t until, size_t *n, cf_error *err);
cf_err cf_store_media_insert(cf_store *s, const cf_media_record *m, cf_error *err);
cf_err cf_store_media_get(cf_store *s, const char *id, cf_media_record *out, cf_error *err);
cf_err cf_store_media_set_sha256(cf_store *s, const char *id, const char *sha256, cf_error *err);
cf_err cf_store_media_delete(cf_store *s, const char *id, cf_error *err);
/* CF_ERR_UNSUPPORTED when the backend cannot list media. */
cf_err cf_store_media_list(cf_store *s, const cf_media_filter *f, cf_media_record **out, size_t *n,
                           cf_error *err);
cf_err cf_store_stats(cf_store *s, cf_job_stats *out, cf_error *err);
/* CF_ERR_UNSUPPORTED when the backend keeps no labels. */
cf_err cf_store_label_insert(cf_store *s, const cf_label_record *l, cf_error *err);
cf_err cf_store_labels_list(cf_store *s, const char *media_id, size_t limit, cf_label_record **out, size_t *n,
                            cf_error *err);

/* CF_ERR_UNSUPPORTED when the backend keeps no API keys. */
cf_err cf_store_key_insert(cf_store *s, const cf_key_record *k, cf_error *err);
cf_err cf_store_key_get(cf_store *s, const char *id, cf_key_record *out, cf_error *err);
cf_err cf_store_key_list(cf_store *s, const char *tenant, cf_key_record **out, size_t *n, cf_error *err);
cf_err cf_store_key_revoke(cf_store *s, const char *id, const char *tenant, int64_t now, cf_error *err);
/* CF_ERR_UNSUPPORTED when the backend cannot. */
cf_err cf_store_tenant_usage(cf_store *s, const char *tenant, int64_t month, int64_t now,
                             cf_tenant_usage *out, cf_error *err);

/* CF_ERR_UNSUPPORTED when the backend keeps no feature flags. */
cf_err cf_store_flag_set(cf_store *s, const cf_flag_record *f, cf_error *err);
cf_err cf_store_flag_list(cf_store *s, cf_flag_record **out, size_t *n, cf_error *err);
cf_err cf_store_flag_delete(cf_store *s, const char *name, cf_error *err);
/* quota_get: all -1 (the server's limits) when the backend keeps no quotas; quota_set:
 * CF_ERR_UNSUPPORTED then. */
cf_err cf_store_quota_get(cf_store *s, const char *tenant, cf_tenant_quota *out, cf_error *err);
cf_err cf_store_quota_set(cf_store *s, const char *tenant, const cf_tenant_quota *q, cf_error *err);

/* Frees members (not the struct). NULL-safe. */
void cf_job_record_free(cf_job_record *j);
void cf_job_records_free(cf_job_record *a, size_t n); /* frees members and the array */
void cf_event_records_free(cf_event_record *a, size_t n);
void cf_outbox_records_free(cf_outbox_record *a, size_t n);
void cf_media_record_free(cf_media_record *m);
void cf_media_records_free(cf_media_record *a, size_t n); /* frees members and the array */
void cf_label_records_free(cf_label_record *a, size_t n);
void cf_key_record_free(cf_key_record *k);
void cf_key_records_free(cf_key_record *a, size_t n);   /* frees members and the array */
void cf_flag_records_free(cf_flag_record *a, size_t n); /* frees members and the array */

#endif

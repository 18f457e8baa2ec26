/* store.c — registry of job store backends, the thin wrappers the core calls (the one place that
 * tells listeners an event was appended, and that measures every backend alike:
 * clipforge_store_operation_duration_seconds and clipforge_store_errors_total by operation and
 * backend), and the record helpers. */
#include "clipforge/store.h"
#include "clipforge/registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/log.h"
#include "clipforge/metrics.h"

struct cf_store {
    const cf_store_methods *m;
    void *self;
    void (*event_hook)(void *user, bool remote);
    void *hook_user;
};

static cf_registry backends = CF_REGISTRY_INIT;

cf_err cf_store_register(const cf_store_methods *m) {
    return cf_registry_add(&backends, m->name, m);
}

const cf_store_methods *cf_store_find(const char *name) {
    return cf_registry_find(&backends, name);
}

cf_err cf_store_open(const char *url, cf_store **out, cf_error *err) {
    *out = NULL;
    char name[32];
    cf_err src = cf_url_scheme(url, name, sizeof name, "store", err);
    if (src) return src;
    const cf_store_methods *m = cf_store_find(name);
    if (!m) return cf_error_set(err, CF_ERR_UNSUPPORTED, "store URL '%s': no backend '%s'", url, name);
    cf_store *s = calloc(1, sizeof *s);
    if (!s) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    s->m = m;
    cf_err rc = m->open(url, &s->self, err);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return CF_OK;
}

void cf_store_close(cf_store *s) {
    if (!s) return;
    s->m->close(s->self);
    free(s);
}

/* The backend's watcher tells of other processes' events. */
static void remote_event(void *store) {
    cf_store *s = store;
    s->event_hook(s->hook_user, true);
}

void cf_store_set_event_hook(cf_store *s, void (*hook)(void *user, bool remote), void *user) {
    s->event_hook = hook;
    s->hook_user = user;
    cf_error err;
    /* Without it, other processes' events are still read at the next poll: worth a warning only. */
    if (hook && s->m->watch_events && s->m->watch_events(s->self, remote_event, s, &err))
        cf_log(CF_LOG_WARN, "store", "cannot watch for events of other processes: %s", err.msg);
}

/* Records how long op took on s's backend; NOT_FOUND and CONFLICT are answers, not failures. */
static cf_err timed(cf_store *s, const char *op, double t0, cf_err rc) {
    static cf_metric *dur, *errors;
    if (!dur) {
        dur = cf_metric_histogram("clipforge_store_operation_duration_seconds",
                                  "Job store operations by operation and backend.", "op,backend");
        errors = cf_metric_counter("clipforge_store_errors",
                                   "Job store operations that failed (not found and conflicts "
                                   "excluded).",
                                   "op,backend");
    }
    cf_metric_observe(dur, op, s->m->name, cf_metric_now() - t0);
    if (rc && rc != CF_ERR_NOT_FOUND && rc != CF_ERR_CONFLICT) cf_metric_add(errors, op, s->m->name, 1);
    return rc;
}

static cf_err notify(cf_store *s, cf_err rc, bool appended) {
    if (rc == CF_OK && appended && s->event_hook) s->event_hook(s->hook_user, false);
    return rc;
}

/* The defaults are the core's, applied once here: backends store what they are given. */
static cf_job_new with_defaults(const cf_job_new *in) {
    cf_job_new job = *in;
    if (job.max_attempts < 1) job.max_attempts = 1;
    if (job.trace_context && !*job.trace_context) job.trace_context = NULL;
    return job;
}

cf_err cf_store_job_create(cf_store *s, const cf_job_new *in, cf_job_record *out, bool *replayed,
                           cf_error *err) {
    cf_job_new job = with_defaults(in);
    bool again = false;
    double t0 = cf_metric_now();
    cf_err rc = timed(s, "job_create", t0, s->m->job_create(s->self, &job, out, &again, err));
    if (replayed) *replayed = again;
    return notify(s, rc, !again);
}

cf_err cf_store_job_create_many(cf_store *s, cf_job_submission *subs, size_t n, cf_error *err) {
    for (size_t i = 0; i < n; i++) {
        subs[i].in = with_defaults(&subs[i].in);
        subs[i].replayed = false;
        memset(&subs[i].out, 0, sizeof subs[i].out);
    }
    double t0 = cf_metric_now();
    cf_err rc = CF_OK;
    if (s->m->job_create_many) {
        rc = s->m->job_create_many(s->self, subs, n, err);
    } else {
        for (size_t i = 0; i < n; i++)
            subs[i].rc =
                s->m->job_create(s->self, &subs[i].in, &subs[i].out, &subs[i].replayed, &subs[i].err);
    }
    timed(s, "job_create_many", t0, rc);
    bool appended = false;
    for (size_t i = 0; i < n; i++) appended = appended || (subs[i].rc == CF_OK && !subs[i].replayed);
    return notify(s, rc, appended);
}

cf_err cf_store_job_get(cf_store *s, const char *id, cf_job_record *out, cf_error *err) {
    double t0 = cf_metric_now();
    return timed(s, "job_get", t0, s->m->job_get(s->self, id, out, err));
}

cf_err cf_store_job_list(cf_store *s, const cf_job_filter *f, cf_job_record **out, size_t *n, cf_error *err) {
    double t0 = cf_metric_now();
    return timed(s, "job_list", t0, s->m->job_list(s->self, f, out, n, err));
}

cf_err cf_store_job_lease(cf_store *s, const char *id, const char *owner, int64_t lease_ms, int64_t now,
                          cf_job_record *out, cf_error *err) {
    double t0 = cf_metric_now();
    cf_err rc = timed(s, "job_lease", t0, s->m->job_lease(s->self, id, owner, lease_ms, now, out, err));
    return notify(s, rc, true);
}

cf_err cf_store_job_heartbeat(cf_store *s, const char *id, const char *owner, int64_t attempt,
                              int64_t lease_ms, int64_t now, double progress, const char *stage, bool emit,
                              bool *cancel_requested, cf_error *err) {
    double t0 = cf_metric_now();
    cf_err rc = timed(s, "job_heartbeat", t0,
                      s->m->job_heartbeat(s->self, id, owner, attempt, lease_ms, now, progress, stage, emit,
                                          cancel_requested, err));
    return notify(s, rc, emit);
}

cf_err cf_store_job_finish(cf_store *s, const char *id, const char *owner, int64_t attempt,
                           const cf_job_outcome *o, int64_t now, cf_error *err) {
    double t0 = cf_metric_now();
    cf_err rc = timed(s, "job_finish", t0, s->m->job_finish(s->self, id, owner, attempt, o, now, err));
    return notify(s, rc, true);
}

cf_err cf_store_job_lease_many(cf_store *s, cf_job_lease_req *reqs, size_t n, const char *owner,
                               int64_t lease_ms, int64_t now, cf_error *err) {
    for (size_t i = 0; i < n; i++) memset(&reqs[i].out, 0, sizeof reqs[i].out);
    double t0 = cf_metric_now();
    cf_err rc = CF_OK;
    if (s->m->job_lease_many && n) {
        rc = s->m->job_lease_many(s->self, reqs, n, owner, lease_ms, now, err);
    } else {
        for (size_t i = 0; i < n; i++)
            reqs[i].rc =
                s->m->job_lease(s->self, reqs[i].id, owner, lease_ms, now, &reqs[i].out, &reqs[i].err);
    }
    timed(s, "job_lease_many", t0, rc);
    bool appended = false;
    for (size_t i = 0; i < n; i++) appended = appended || reqs[i].rc == CF_OK;
    return notify(s, rc, appended);
}

cf_err cf_store_job_finish_many(cf_store *s, cf_job_finish_req *reqs, size_t n, int64_t now, cf_error *err) {
    double t0 = cf_metric_now();
    cf_err rc = CF_OK;
    if (s->m->job_finish_many && n) {
        rc = s->m->job_finish_many(s->self, reqs, n, now, err);
    } else {
        for (size_t i = 0; i < n; i++)
            reqs[i].rc = s->m->job_finish(s->self, reqs[i].id, reqs[i].owner, reqs[i].attempt,
                                          &reqs[i].outcome, now, &reqs[i].err);
    }
    timed(s, "job_finish_many", t0, rc);
    bool appended = false;
    for (size_t i = 0; i < n; i++) appended = appended || reqs[i].rc == CF_OK;
    return notify(s, rc, appended);
}

cf_err cf_store_job_renew_many(cf_store *s, cf_job_renew_req *reqs, size_t n, const char *owner,
                               int64_t lease_ms, int64_t now, cf_error *err) {
    double t0 = cf_metric_now();
    cf_err rc = CF_OK;
    for (size_t i = 0; i < n; i++) reqs[i].cancel_requested = false;
    if (s->m->job_renew_many && n) {
        rc = s->m->job_renew_many(s->self, reqs, n, owner, lease_ms, now, err);
    } else {
        for (size_t i = 0; i < n; i++) {
            cf_error one;
            reqs[i].rc = s->m->job_heartbeat(s->self, reqs[i].id, owner, reqs[i].attempt, lease_ms, now, 0,
                                             NULL, false, &reqs[i].cancel_requested, &one);
            if (reqs[i].rc && reqs[i].rc != CF_ERR_CONFLICT && rc == CF_OK) *err = one, rc = one.code;
        }
    }
    return timed(s, "job_renew_many", t0, rc);
}

cf_err cf_store_job_cancel(cf_store *s, const char *id, int64_t now, cf_job_record *out, cf_error *err) {
    return notify(s, s->m->job_cancel(s->self, id, now, out, err), true);
}

cf_err cf_store_job_retry(cf_store *s, const char *id, int64_t now, cf_job_record *out, cf_error *err) {
    return notify(s, s->m->job_retry(s->self, id, now, out, err), true);
}

cf_err cf_store_reap(cf_store *s, int64_t now, int64_t retry_delay_ms, size_t *n, cf_error *err) {
    size_t count = 0;
    double t0 = cf_metric_now();
    cf_err rc = timed(s, "reap", t0, s->m->reap(s->self, now, retry_delay_ms, &count, err));
    if (n) *n = count;
    return notify(s, rc, count > 0);
}

cf_err cf_store_redispatch_queued(cf_store *s, int64_t now, size_t *n, cf_error *err) {
    size_t count = 0;
    cf_err rc = s->m->redispatch_queued(s->self, now, &count, err);
    if (n) *n = count;
    return rc;
}

cf_err cf_store_events_after(cf_store *s, int64_t after_id, const char *job_id, const char *tenant,
                             size_t limit, cf_event_record **out, size_t *n, cf_error *err) {
    double t0 = cf_metric_now();
    return timed(s, "events_after", t0,
                 s->m->events_after(s->self, after_id, job_id, tenant, limit, out, n, err));
}

cf_err cf_store_outbox_due(cf_store *s, int64_t now, size_t limit, cf_outbox_record **out, size_t *n,
                           cf_error *err) {
    double t0 = cf_metric_now();
    return timed(s, "outbox_due", t0, s->m->outbox_due(s->self, now, limit, out, n, err));
}

cf_err cf_store_outbox_delete(cf_store *s, int64_t id, cf_error *err) {
    return s->m->outbox_delete(s->self, id, err);
}

cf_err cf_store_outbox_published(cf_store *s, int64_t id, const char *holder, int64_t hold_until,
                                 cf_error *err) {
    if (!s->m->outbox_published) return s->m->outbox_delete(s->self, id, err);
    return s->m->outbox_published(s->self, id, holder, hold_until, err);
}

cf_err cf_store_outbox_published_many(cf_store *s, const int64_t *ids, size_t n, const char *holder,
                                      int64_t hold_until, cf_error *err) {
    if (s->m->outbox_published_many && n)
        return s->m->outbox_published_many(s->self, ids, n, holder, hold_until, err);
    for (size_t i = 0; i < n; i++) {
        cf_err rc = cf_store_outbox_published(s, ids[i], holder, hold_until, err);
        if (rc) return rc;
    }
    return CF_OK;
}

cf_err cf_store_holds_renew(cf_store *s, const char *holder, int64_t until, size_t *n, cf_error *err) {
    size_t count = 0;
    cf_err rc = s->m->holds_renew ? s->m->holds_renew(s->self, holder, until, &count, err) : CF_OK;
    if (n) *n = count;
    return rc;
}

cf_err cf_store_media_insert(cf_store *s, const cf_media_record *m, cf_error *err) {
    return s->m->media_insert(s->self, m, err);
}

cf_err cf_store_label_insert(cf_store *s, const cf_label_record *l, cf_error *err) {
    if (!s->m->label_insert)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "the %s store keeps no labels", s->m->name);
    return s->m->label_insert(s->self, l, err);
}

cf_err cf_store_labels_list(cf_store *s, const char *media_id, size_t limit, cf_label_record **out, size_t *n,
                            cf_error *err) {
    *out = NULL;
    *n = 0;
    if (!s->m->labels_list)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "the %s store keeps no labels", s->m->name);
    return s->m->labels_list(s->self, media_id, limit, out, n, err);
}

static cf_err no_keys(cf_store *s, cf_error *err) {
    return cf_error_set(err, CF_ERR_UNSUPPORTED, "the %s store keeps no API keys", s->m->name);
}

cf_err cf_store_key_insert(cf_store *s, const cf_key_record *k, cf_error *err) {
    return s->m->key_insert ? s->m->key_insert(s->self, k, err) : no_keys(s, err);
}

cf_err cf_store_key_get(cf_store *s, const char *id, cf_key_record *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    return s->m->key_get ? s->m->key_get(s->self, id, out, err) : no_keys(s, err);
}

cf_err cf_store_key_list(cf_store *s, const char *tenant, cf_key_record **out, size_t *n, cf_error *err) {
    *out = NULL;
    *n = 0;
    return s->m->key_list ? s->m->key_list(s->self, tenant, out, n, err) : no_keys(s, err);
}

cf_err cf_store_key_revoke(cf_store *s, const char *id, const char *tenant, int64_t now, cf_error *err) {
    return s->m->key_revoke ? s->m->key_revoke(s->self, id, tenant, now, err) : no_keys(s, err);
}

cf_err cf_store_tenant_usage(cf_store *s, const char *tenant, int64_t month, int64_t now,
                             cf_tenant_usage *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (!s->m->tenant_usage)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "the %s store cannot count usage", s->m->name);
    return s->m->tenant_usage(s->self, tenant, month, now, out, err);
}

static cf_err no_flags(cf_store *s, cf_error *err) {
    return cf_error_set(err, CF_ERR_UNSUPPORTED, "the %s store keeps no feature flags", s->m->name);
}

cf_err cf_store_flag_set(cf_store *s, const cf_flag_record *f, cf_error *err) {
    return s->m->flag_set ? s->m->flag_set(s->self, f, err) : no_flags(s, err);
}

cf_err cf_store_flag_list(cf_store *s, cf_flag_record **out, size_t *n, cf_error *err) {
    *out = NULL;
    *n = 0;
    return s->m->flag_list ? s->m->flag_list(s->self, out, n, err) : no_flags(s, err);
}

cf_err cf_store_flag_delete(cf_store *s, const char *name, cf_error *err) {
    return s->m->flag_delete ? s->m->flag_delete(s->self, name, err) : no_flags(s, err);
}

void cf_flag_records_free(cf_flag_record *a, size_t n) {
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].name);
        free(a[i].setting);
    }
    free(a);
}

cf_err cf_store_quota_get(cf_store *s, const char *tenant, cf_tenant_quota *out, cf_error *err) {
    *out = (cf_tenant_quota){-1, -1, -1, -1};
    return s->m->quota_get ? s->m->quota_get(s->self, tenant, out, err) : CF_OK;
}

cf_err cf_store_quota_set(cf_store *s, const char *tenant, const cf_tenant_quota *q, cf_error *err) {
    if (!s->m->quota_set)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "the %s store keeps no quotas", s->m->name);
    return s->m->quota_set(s->self, tenant, q, err);
}

void cf_key_record_free(cf_key_record *k) {
    if (!k) return;
    free(k->id);
    free(k->tenant);
    free(k->role);
    free(k->name);
    free(k->salt);
    free(k->hash);
    memset(k, 0, sizeof *k);
}

void cf_key_records_free(cf_key_record *a, size_t n) {
    for (size_t i = 0; a && i < n; i++) cf_key_record_free(&a[i]);
    free(a);
}

void cf_label_records_free(cf_label_record *a, size_t n) {
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].id);
        free(a[i].media_id);
        free(a[i].body);
    }
    free(a);
}

cf_err cf_store_media_get(cf_store *s, const char *id, cf_media_record *out, cf_error *err) {
    return s->m->media_get(s->self, id, out, err);
}

cf_err cf_store_media_set_sha256(cf_store *s, const char *id, const char *sha256, cf_error *err) {
    return s->m->media_set_sha256(s->self, id, sha256, err);
}

cf_err cf_store_media_delete(cf_store *s, const char *id, cf_error *err) {
    return s->m->media_delete(s->self, id, err);
}

cf_err cf_store_media_list(cf_store *s, const cf_media_filter *f, cf_media_record **out, size_t *n,
                           cf_error *err) {
    *out = NULL;
    *n = 0;
    if (!s->m->media_list)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "the %s store cannot list media", s->m->name);
    return s->m->media_list(s->self, f, out, n, err);
}

cf_err cf_store_stats(cf_store *s, cf_job_stats *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    double t0 = cf_metric_now();
    return timed(s, "stats", t0, s->m->stats(s->self, out, err));
}

void cf_job_record_free(cf_job_record *j) {
    if (!j) return;
    free(j->id);
    free(j->kind);
    free(j->stage);
    free(j->request);
    free(j->result);
    free(j->error);
    free(j->idempotency_key);
    free(j->lease_owner);
    free(j->parent_id);
    free(j->trace_context);
    free(j->tenant);
    memset(j, 0, sizeof *j);
}

void cf_job_records_free(cf_job_record *a, size_t n) {
    for (size_t i = 0; a && i < n; i++) cf_job_record_free(&a[i]);
    free(a);
}

void cf_event_records_free(cf_event_record *a, size_t n) {
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].type);
        free(a[i].job_id);
        free(a[i].data);
        free(a[i].tenant);
    }
    free(a);
}

void cf_outbox_records_free(cf_outbox_record *a, size_t n) {
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].topic);
        free(a[i].payload);
        free(a[i].trace_context);
    }
    free(a);
}

void cf_media_record_free(cf_media_record *m) {
    if (!m) return;
    free(m->id);
    free(m->key);
    free(m->mime);
    free(m->probe);
    free(m->filename);
    free(m->tenant);
    free(m->sha256);
    memset(m, 0, sizeof *m);
}

void cf_media_records_free(cf_media_record *a, size_t n) {
    for (size_t i = 0; a && i < n; i++) cf_media_record_free(&a[i]);
    free(a);
}

/* job_service.c — job use cases. Requests are stored as canonical JSON (sorted keys, compact),
 * so an Idempotency-Key replay with the same content matches byte for byte. */
#include "application/job_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "application/auth.h"
#include "application/feature_flags.h"
#include "application/job_committer.h"
#include "application/job_runner.h"
#include "application/metrics.h"
#include "clipforge/domain/types.h"
#include "clipforge/json.h"
#include "clipforge/log.h"
#include "clipforge/trace.h"
#include "clipforge/uri.h"
#include "jobs/job_kinds.h"

/* Writes the n-digit decimal of v at p. */
static void put_digits(char *p, int64_t v, int n) {
    while (n--) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* Every job in every answer and event carries two of these: the calendar by arithmetic (days to
 * a civil date, proleptic Gregorian, as gmtime computes it) rather than gmtime_r, which takes
 * glibc's time zone lock, and strftime and snprintf. */
void cf_format_timestamp(int64_t ms, char *buf, size_t cap) {
    if (ms < 0 || ms >= 253402300800000) { /* before 1970 or after 9999: not our clocks' */
        time_t s = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&s, &tm);
        char base[32];
        strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, cap, "%s.%03dZ", base, (int)(ms % 1000));
        return;
    }
    int64_t secs = ms / 1000, days = secs / 86400, day_s = secs % 86400;
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    char t[] = "YYYY-MM-DDTHH:MM:SS.mmmZ";
    put_digits(t, year, 4);
    put_digits(t + 5, month, 2);
    put_digits(t + 8, day, 2);
    put_digits(t + 11, day_s / 3600, 2);
    put_digits(t + 14, day_s / 60 % 60, 2);
    put_digits(t + 17, day_s % 60, 2);
    put_digits(t + 20, ms % 1000, 3);
    if (!cap) return;
    size_t n = sizeof t < cap ? sizeof t : cap;
    memcpy(buf, t, n);
    buf[n - 1] = '\0';
}

/* The feature flags' gates on a validated request (a template a flag keeps from the tenant). */
static cf_err gate(cf_store *store, const cf_config *cfg, const char *tenant, const char *kind,
                   const json_t *normalized, cf_error *err) {
    cf_flags *flags = NULL;
    cf_err rc = cf_feature_flags_open(cfg, store, &flags, err);
    if (rc == CF_OK)
        rc = cf_feature_gate_job(cfg, flags, tenant ? tenant : CF_DEFAULT_TENANT, kind, normalized, err);
    cf_flags_free(flags);
    return rc;
}

/* Idempotency keys are the tenant's own: another tenant's key is stored apart ("tenant/key"), and
 * a replay of a job of another tenant is refused whatever the key looked like. */
static char *tenant_key(const char *tenant, const char *key) {
    if (!key || cf_tenant_is(tenant, CF_DEFAULT_TENANT)) return key ? strdup(key) : NULL;
    size_t n = strlen(tenant) + strlen(key) + 2;
    char *k = malloc(n);
    if (k) snprintf(k, n, "%s/%s", tenant, key);
    return k;
}

void cf_job_draft_free(cf_job_draft *d) {
    if (!d) return;
    cf_job_record_free(&d->pending.sub.out);
    free(d->request);
    free(d->key);
    free(d->tenant);
    memset(d, 0, sizeof *d);
}

/* Validates request with kind's handler and fills d with the creation of its job (d owns the
 * strings the creation points to). The stored key is idempotency_key as given. */
static cf_err draft(cf_store *store, const cf_config *cfg, const char *kind, const json_t *request,
                    const char *idempotency_key, const char *parent_id, const char *tenant, cf_job_draft *d,
                    cf_error *err) {
    memset(d, 0, sizeof *d);
    const cf_job_handler *handler = cf_job_handler_find(kind);
    if (!handler || !handler->run)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "kind '%s' has no pipeline in this build of clipforge",
                            kind);
    if (handler->enabled && !handler->enabled(cfg))
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "kind '%s' is not enabled on this server", kind);
    json_t *normalized = NULL;
    cf_err rc = handler->validate(request, cfg, &normalized, err);
    if (rc == CF_OK) rc = gate(store, cfg, tenant, handler->name, normalized, err);
    if (rc) {
        json_decref(normalized);
        cf_error_prefix(err, "request");
        return err->code = CF_ERR_INVALID_ARGUMENT;
    }
    d->request = cf_json_dump(normalized, true);
    json_decref(normalized);
    d->key = idempotency_key ? strdup(idempotency_key) : NULL;
    d->tenant = tenant ? strdup(tenant) : NULL;
    if (!d->request || (idempotency_key && !d->key) || (tenant && !d->tenant)) {
        cf_job_draft_free(d);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    cf_new_ordered_id("j_", d->id, sizeof d->id); /* the jobs' and events' indexes grow at their end */
    /* The job carries the trace it was created in: the request's span, or the stage of the
     * parent job that creates it; its runs continue that trace in whatever process runs them. */
    cf_trace_ctx tc;
    cf_trace_current(&tc);
    cf_trace_to_text(&tc, d->trace);
    d->pending.sub.in = (cf_job_new){.id = d->id,
                                     .kind = handler->name,
                                     .request = d->request,
                                     .idempotency_key = d->key,
                                     .parent_id = parent_id,
                                     .trace_context = d->trace,
                                     .tenant = d->tenant,
                                     .max_attempts = cfg->max_attempts,
                                     .now = cf_now_ms()};
    return CF_OK;
}

cf_err cf_jobs_create(cf_store *store, const cf_config *cfg, const char *kind, const json_t *request,
                      const char *idempotency_key, const char *parent_id, const char *tenant,
                      cf_job_record *out, bool *replayed, cf_error *err) {
    cf_job_draft d;
    cf_err rc = draft(store, cfg, kind, request, idempotency_key, parent_id, tenant, &d, err);
    if (rc == CF_OK) rc = cf_store_job_create(store, &d.pending.sub.in, out, replayed, err);
    cf_job_draft_free(&d);
    return rc;
}

cf_err cf_jobs_submit_start(cf_app *app, const char *tenant, const json_t *body, const char *idempotency_key,
                            cf_job_draft *d, void (*done)(cf_job_pending *p), cf_error *err) {
    memset(d, 0, sizeof *d);
    char *key = tenant_key(tenant, idempotency_key);
    if (idempotency_key && !key) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_job_create jc;
    cf_job_create_init(&jc);
    cf_err rc = cf_job_create_from_json(body, &jc, err);
    if (rc) err->code = rc = CF_ERR_INVALID_ARGUMENT;
    else
        rc = draft(app->store, &app->cfg, cf_job_kind_to_string(jc.kind), jc.request, key, NULL, tenant, d,
                   err);
    cf_job_create_free(&jc);
    free(key);
    if (rc) return rc;
    d->pending.done = done;
    cf_job_committer_submit(app->committer, &d->pending);
    return CF_OK;
}

cf_err cf_jobs_submit_result(cf_job_draft *d, const char *tenant, cf_job_record *out, bool *replayed,
                             cf_error *err) {
    cf_job_submission *sub = &d->pending.sub;
    if (sub->rc) {
        *err = sub->err;
        return sub->rc;
    }
    *out = sub->out;
    *replayed = sub->replayed;
    memset(&sub->out, 0, sizeof sub->out);
    if (*replayed && !cf_tenant_is(out->tenant, tenant)) {
        cf_job_record_free(out);
        return cf_error_set(err, CF_ERR_CONFLICT, "Idempotency-Key is in use");
    }
    return CF_OK;
}

/* Counts the queued children of parent_id that its cancel at now cancelled (those running were
 * asked to stop, and their workers count them as they finish). */
static void count_cancelled_children(cf_app *app, const char *parent_id, int64_t now) {
    cf_job_filter f = {
        .status = CF_JOB_STATE_CANCELLED, .parent_id = parent_id, .limit = CF_JOB_MAX_CHILDREN};
    cf_job_record *rows = NULL;
    size_t n = 0;
    cf_error err;
    if (cf_store_job_list(app->store, &f, &rows, &n, &err)) {
        cf_log_warn("jobs", "cancel %s: children not counted: %s", parent_id, err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (rows[i].finished_at == now) cf_metrics_tenant_job_finished(rows[i].tenant, rows[i].status);
    cf_job_records_free(rows, n);
}

cf_err cf_jobs_cancel(cf_app *app, const char *tenant, const char *id, cf_job_record *out, cf_error *err) {
    cf_err rc = cf_owned_job(app->store, tenant, id, out, err);
    if (rc) return rc;
    cf_job_record_free(out);
    int64_t now = cf_now_ms();
    rc = cf_store_job_cancel(app->store, id, now, out, err);
    if (rc) return rc;
    /* A worker of this process stops at once; others see the flag at their next heartbeat. */
    if (out->status == CF_JOB_STATE_RUNNING) cf_job_runner_cancel(app->runner, id);
    /* A queued job ends here, with no run that a worker would count as it finishes. */
    if (out->status == CF_JOB_STATE_CANCELLED) cf_metrics_tenant_job_finished(out->tenant, out->status);
    count_cancelled_children(app, id, now);
    return CF_OK;
}

cf_err cf_jobs_retry(cf_app *app, const char *tenant, const char *id, cf_job_record *out, cf_error *err) {
    cf_err rc = cf_owned_job(app->store, tenant, id, out, err);
    if (rc) return rc;
    cf_job_record_free(out);
    return cf_store_job_retry(app->store, id, cf_now_ms(), out, err);
}

static char *timestamp(int64_t ms) {
    char buf[40];
    cf_format_timestamp(ms, buf, sizeof buf);
    return strdup(buf);
}

static void each_in(json_t *list, json_t *clip, void (*visit)(void *, json_t *, json_t *), void *user) {
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) if (json_is_object(a)) visit(user, a, clip);
}

void cf_job_result_each_artifact(json_t *result, void (*visit)(void *user, json_t *artifact, json_t *clip),
                                 void *user) {
    each_in(json_object_get(result, "artifacts"), NULL, visit, user);
    each_in(json_object_get(result, "outputs"), NULL, visit, user); /* a RenderResult */
    size_t i;
    json_t *clip;
    json_array_foreach(json_object_get(result, "clips"), i, clip)
        each_in(json_object_get(clip, "outputs"), clip, visit, user);
}

/* Whose links a job's result gets: its tenant's. */
typedef struct signer {
    cf_app *app;
    const char *tenant;
} signer;

/* Adds a signed "url" beside a storage:// "uri". */
static void sign_one(void *user, json_t *a, json_t *clip) {
    (void)clip;
    const signer *s = user;
    const char *uri = json_string_value(json_object_get(a, "uri"));
    char *url = NULL;
    cf_error err;
    const char *key = cf_uri_rest(uri, "storage");
    if (key && cf_tenant_sign_url(s->app->store, s->app->storage, s->tenant, key, s->app->cfg.url_ttl_s,
                                  cf_now_ms() / 1000, &url, &err) == CF_OK)
        json_object_set_new(a, "url", json_string(url));
    free(url);
}

/* An autoclip result's transcript (the words of its captions) gets a signed "transcript_url". */
static void sign_transcript(const signer *s, json_t *result) {
    json_t *t = json_object_get(result, "transcript_uri");
    if (!json_is_string(t)) return;
    json_t *holder = json_pack("{s:O}", "uri", t);
    sign_one((void *)s, holder, NULL);
    json_t *url = json_object_get(holder, "url");
    if (url) json_object_set(result, "transcript_url", url);
    json_decref(holder);
}

/* The stored problem text as the generated Problem type; NULL when absent or unreadable. */
static cf_problem *problem_of(const char *text) {
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    cf_problem *p = j ? calloc(1, sizeof *p) : NULL;
    cf_error err;
    if (p && cf_problem_from_json(j, p, &err) != CF_OK) {
        cf_problem_free(p);
        free(p);
        p = NULL;
    }
    json_decref(j);
    return p;
}

/* Fills v with the API form of j, all but its request. */
static void job_view(cf_app *app, const cf_job_record *j, cf_job *v) {
    cf_job_init(v);
    v->id = strdup(j->id);
    cf_job_kind_from_string(j->kind, &v->kind);
    v->status = j->status;
    v->stage = j->stage ? strdup(j->stage) : NULL;
    v->progress = j->progress;
    v->attempts = j->attempts;
    v->created_at = timestamp(j->created_at);
    v->updated_at = timestamp(j->updated_at);
    if (j->status == CF_JOB_STATE_SUCCEEDED && j->result) {
        v->result = cf_json_or_null(j->result);
        signer s = {app, j->tenant ? j->tenant : CF_DEFAULT_TENANT};
        cf_job_result_each_artifact(v->result, sign_one, &s);
        sign_transcript(&s, v->result);
    }
    if (j->status != CF_JOB_STATE_SUCCEEDED) v->error = problem_of(j->error);
    v->parent_id = j->parent_id ? strdup(j->parent_id) : NULL;
}

json_t *cf_job_record_to_json(cf_app *app, const cf_job_record *j) {
    cf_job v;
    job_view(app, j, &v);
    v.request = cf_json_or_null(j->request);
    json_t *o = cf_job_to_json(&v);
    cf_job_free(&v);
    return o;
}

/* Whether a stored request can go into an answer as it is: the JSON object text this service
 * wrote (cf_jobs_create stores the sorted compact dump of the validated request). Anything else goes through
 * a parse, as before. */
static bool request_as_is(const char *request) {
    size_t n = request ? strlen(request) : 0;
    return n >= 2 && request[0] == '{' && request[n - 1] == '}';
}

/* head (a Job's compact JSON without "request", malloc'd, taken) with ,"request":<request> put
 * where the generated emitter puts it, right after "updated_at" (whose value is a timestamp, and
 * whose key cannot occur earlier: the members before it are numbers, enums and strings, where a
 * quote is escaped). NULL when out of memory or when head has no "updated_at". */
static char *with_request(char *head, const char *request) {
    static const char key[] = ",\"updated_at\":\"", member[] = ",\"request\":";
    const char *at = head ? strstr(head, key) : NULL;
    const char *end = at ? strchr(at + sizeof key - 1, '"') : NULL;
    char *text = NULL;
    if (end) {
        size_t hn = strlen(head), cut = (size_t)(end + 1 - head), rn = strlen(request);
        text = malloc(hn + sizeof member - 1 + rn + 1);
        if (text) {
            char *p = text;
            memcpy(p, head, cut), p += cut;
            memcpy(p, member, sizeof member - 1), p += sizeof member - 1;
            memcpy(p, request, rn), p += rn;
            memcpy(p, head + cut, hn - cut + 1);
        }
    }
    free(head);
    return text;
}

/* The API form of j (plus children, taken, when not NULL) as compact JSON text. The stored request
 * is written as it is instead of being parsed and dumped again: it is the canonical JSON
 * cf_jobs_create made (compact, sorted keys), which a parse and a compact dump give back byte for
 * byte, so the text is what cf_job_record_to_json would give. NULL when out of memory. */
static char *job_text(cf_app *app, const cf_job_record *j, json_t *children) {
    bool as_is = request_as_is(j->request);
    cf_job v;
    job_view(app, j, &v);
    if (!as_is) v.request = cf_json_or_null(j->request);
    json_t *o = cf_job_to_json(&v);
    cf_job_free(&v);
    if (o && children) json_object_set(o, "children", children);
    json_decref(children);
    char *text = o ? cf_json_dump(o, false) : NULL;
    json_decref(o);
    return as_is ? with_request(text, j->request) : text;
}

char *cf_jobs_submitted_text(cf_app *app, const cf_job_record *j) {
    return job_text(app, j, NULL);
}

static void fill_child(cf_job_child *c, const cf_job_record *j) {
    cf_job_child_init(c);
    c->id = strdup(j->id);
    cf_job_kind_from_string(j->kind, &c->kind);
    c->status = j->status;
    c->stage = j->stage ? strdup(j->stage) : NULL;
    c->progress = j->progress;
    c->attempts = j->attempts;
    if (j->status != CF_JOB_STATE_SUCCEEDED) c->error = problem_of(j->error);
}

/* The children of parent_id as a "children" array, oldest first; NULL when there are none. */
static json_t *children_json(cf_app *app, const char *parent_id, cf_error *err) {
    cf_job_filter f = {.status = -1, .parent_id = parent_id, .limit = CF_JOB_MAX_CHILDREN};
    cf_job_record *rows = NULL;
    size_t n = 0;
    if (cf_store_job_list(app->store, &f, &rows, &n, err)) return NULL;
    if (!n) {
        cf_job_records_free(rows, n);
        return NULL;
    }
    cf_job v;
    cf_job_init(&v);
    v.children = calloc(n, sizeof *v.children);
    for (size_t i = 0; v.children && i < n; i++) fill_child(&v.children[v.n_children++], &rows[n - 1 - i]);
    cf_job_records_free(rows, n);
    json_t *o = v.children ? cf_job_to_json(&v) : NULL;
    json_t *kids = json_incref(json_object_get(o, "children"));
    json_decref(o);
    cf_job_free(&v);
    return kids;
}

cf_err cf_jobs_get(cf_app *app, const char *tenant, const char *id, char **out, cf_error *err) {
    cf_job_record j;
    cf_err rc = cf_owned_job(app->store, tenant, id, &j, err);
    if (rc) return rc;
    *out = job_text(app, &j, children_json(app, id, err));
    cf_job_record_free(&j);
    return *out ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* routes_jobs.c — /v1/jobs: submit (202, or 200 when an Idempotency-Key replays an earlier
 * submission; answered once its group commit is durable), read, list with filters and cursor, cancel, retry.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/names.h"
#include "application/job_service.h"
#include "application/metrics.h"
#include "application/quota.h"

#define MAX_KEY_LEN 200
#define MAX_LIMIT 200

/* Answers status with JSON text (taken); a problem when out of memory. */
static enum MHD_Result reply_text(cf_http_request *req, int status, char *text) {
    if (!text) return cf_http_reply_problem(req, "internal", "out of memory");
    enum MHD_Result r = cf_http_reply_text(req, status, "application/json", text, strlen(text));
    free(text);
    return r;
}

static enum MHD_Result reply_job(cf_http_request *req, int status, cf_job_record *j) {
    json_t *o = cf_job_record_to_json(req->app, j);
    cf_job_record_free(j);
    return cf_http_reply_json(req, status, o);
}

/* A submission waiting for its group commit (application/job_committer.h). Its connection is
 * suspended meanwhile, so that the HTTP threads read the submissions that share the commit;
 * the committer resumes it and the handler, called again, answers. */
typedef struct submit_wait {
    cf_job_draft draft; /* first: draft.pending is what the committer reports */
    struct MHD_Connection *conn;
    bool done, suspended; /* guarded by wait_lock: resumed only once suspended */
} submit_wait;

static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;

static void submitted(cf_job_pending *p) {
    submit_wait *w = (submit_wait *)p;
    pthread_mutex_lock(&wait_lock);
    w->done = true;
    if (w->suspended) MHD_resume_connection(w->conn);
    pthread_mutex_unlock(&wait_lock);
}

static void free_wait(void *state) {
    submit_wait *w = state;
    if (w) cf_job_draft_free(&w->draft);
    free(w);
}

static enum MHD_Result reply_submitted(cf_http_request *req, submit_wait *w) {
    cf_job_record j;
    bool replayed = false;
    cf_error err;
    if (cf_jobs_submit_result(&w->draft, req->who.tenant, &j, &replayed, &err))
        return cf_http_reply_error(req, &err);
    if (!replayed) cf_metrics_tenant_job_submitted(req->who.tenant);
    char *text = cf_jobs_submitted_text(req->app, &j);
    cf_job_record_free(&j);
    return reply_text(req, replayed ? 200 : 202, text);
}

enum MHD_Result cf_api_jobs_create(cf_http_request *req) {
    submit_wait *w = req->state;
    if (w) return reply_submitted(req, w); /* resumed: its batch is committed */
    const char *key = cf_http_header(req, "Idempotency-Key");
    if (key && (!*key || strlen(key) > MAX_KEY_LEN))
        return cf_http_reply_problem(req, "validation", "Idempotency-Key: 1 to 200 characters");
    cf_error err;
    cf_quota_verdict v;
    if (cf_quota_check_job(req->app, req->who.tenant, &v, &err)) return cf_http_reply_error(req, &err);
    if (v.exceeded) return cf_http_reply_quota(req, &v);
    w = calloc(1, sizeof *w);
    if (!w) return cf_http_reply_problem(req, "internal", "out of memory");
    w->conn = req->conn;
    req->state = w;
    req->free_state = free_wait;
    if (cf_jobs_submit_start(req->app, req->who.tenant, req->json, key, &w->draft, submitted, &err)) {
        if (err.code == CF_ERR_UNSUPPORTED)
            return cf_http_reply_problem(req, "unsupported-job-kind", err.msg);
        return cf_http_reply_error(req, &err);
    }
    pthread_mutex_lock(&wait_lock);
    bool done = w->done;
    if (!done) {
        w->suspended = true;
        MHD_suspend_connection(req->conn);
    }
    pthread_mutex_unlock(&wait_lock);
    return done ? reply_submitted(req, w) : MHD_YES;
}

enum MHD_Result cf_api_jobs_get(cf_http_request *req) {
    char *text = NULL;
    cf_error err;
    if (cf_jobs_get(req->app, req->who.tenant, req->path_param, &text, &err))
        return cf_http_reply_error(req, &err);
    return reply_text(req, 200, text);
}

static bool parse_int(const char *s, long long lo, long long hi, long long *out) {
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* Reads ?status=&kind=&parent_id=&cursor=&limit= into f; a problem detail on error. */
static const char *parse_filter(cf_http_request *req, cf_job_filter *f) {
    const char *status = cf_http_query(req, "status");
    const char *cursor = cf_http_query(req, "cursor");
    const char *limit = cf_http_query(req, "limit");
    f->status = -1;
    f->kind = cf_http_query(req, "kind");
    f->parent_id = cf_http_query(req, "parent_id");
    f->tenant = req->who.tenant;
    if (f->parent_id && (!*f->parent_id || strlen(f->parent_id) > 64))
        return "parent_id: a job id (1 to 64 characters)";
    f->limit = 50;
    cf_job_state state;
    if (status && !cf_job_state_from_string(status, &state))
        return "status: one of queued, running, succeeded, failed, cancelled";
    if (status) f->status = (int)state;
    long long v;
    if (cursor && !cf_job_cursor_parse(cursor, &f->before_seq)) return "cursor: not a cursor from this API";
    if (limit) {
        if (!parse_int(limit, 1, MAX_LIMIT, &v)) return "limit: integer in 1..200";
        f->limit = (size_t)v;
    }
    return NULL;
}

enum MHD_Result cf_api_jobs_list(cf_http_request *req) {
    cf_job_filter f = {0};
    const char *bad = parse_filter(req, &f);
    if (bad) return cf_http_reply_problem(req, "validation", bad);
    cf_job_record *rows = NULL;
    size_t n = 0;
    cf_error err;
    if (cf_store_job_list(req->app->store, &f, &rows, &n, &err)) return cf_http_reply_error(req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(items, cf_job_record_to_json(req->app, &rows[i]));
    json_t *body = json_pack("{s:o}", "items", items);
    if (n == f.limit) {
        char cursor[32];
        cf_job_cursor_format(rows[n - 1].seq, cursor, sizeof cursor);
        json_object_set_new(body, "next_cursor", json_string(cursor));
    } else {
        json_object_set_new(body, "next_cursor", json_null());
    }
    cf_job_records_free(rows, n);
    return cf_http_reply_json(req, 200, body);
}

enum MHD_Result cf_api_jobs_cancel(cf_http_request *req) {
    cf_job_record j;
    cf_error err;
    if (cf_jobs_cancel(req->app, req->who.tenant, req->path_param, &j, &err))
        return cf_http_reply_error(req, &err);
    return reply_job(req, 202, &j);
}

enum MHD_Result cf_api_jobs_retry(cf_http_request *req) {
    cf_job_record j;
    cf_error err;
    if (cf_jobs_retry(req->app, req->who.tenant, req->path_param, &j, &err))
        return cf_http_reply_error(req, &err);
    return reply_job(req, 202, &j);
}

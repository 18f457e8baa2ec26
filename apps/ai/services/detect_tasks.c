/* detect_tasks.c — POST /v1/detect: each detection runs in a thread of its own (a task) while
 * the HTTP request waits without holding a server thread. A plain request is suspended until the
 * task ends, then answered with the result or a problem. A streamed request (Accept:
 * application/x-ndjson) gets a line per progress change and at least one a second (the
 * heartbeat that tells a client the service is alive), then the result or error line; when the
 * client goes away the task is cancelled. A task is freed when both its thread and its request
 * are done with it (refs). One lock guards every task's shared state. */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "clipforge/domain/problem.h"
#include "clipforge/clock.h"
#include "clipforge/log.h"
#include "services/ai_service.h"
#include "services/routes.h"

#define HEARTBEAT_MS 1000 /* a line at least this often */
#define LINE_MS 200       /* and at most one progress line this often */
#define TICK_MS 100

typedef struct task {
    struct task *next;
    cf_ai_tasks *owner;
    int refs;
    cf_highlight_detection_request req;
    cf_progress progress;
    double fraction;
    char stage[40];
    uint64_t seq;
    bool done;
    int status;
    char *body; /* the final JSON: the result, or a problem */
    bool stream;
    struct MHD_Connection *conn;
    bool suspended;
    /* streaming output, touched by the reader only */
    char *out;
    size_t out_len, out_pos;
    bool final_sent;
    uint64_t seq_sent;
    int64_t last_write_ms;
} task;

struct cf_ai_tasks {
    cf_ai_service *svc;
    pthread_mutex_t lock; /* guards every task's shared members, live, running, stopping */
    pthread_cond_t idle;  /* signalled when a task thread ends */
    task *live;
    int running;
    bool stopping;
    pthread_t ticker;
};

/* Resumes the task's suspended connection; caller holds the lock. */
static void wake_locked(task *t) {
    if (!t->suspended) return;
    t->suspended = false;
    MHD_resume_connection(t->conn);
}

static void release(task *t) {
    cf_ai_tasks *o = t->owner;
    pthread_mutex_lock(&o->lock);
    bool last = --t->refs == 0;
    if (last)
        for (task **pp = &o->live; *pp; pp = &(*pp)->next)
            if (*pp == t) {
                *pp = t->next;
                break;
            }
    pthread_mutex_unlock(&o->lock);
    if (!last) return;
    cf_highlight_detection_request_free(&t->req);
    free(t->body);
    free(t->out);
    free(t);
}

static void on_progress(void *user, double fraction, const char *stage) {
    task *t = user;
    pthread_mutex_lock(&t->owner->lock);
    t->fraction = fraction;
    snprintf(t->stage, sizeof t->stage, "%s", stage ? stage : "");
    t->seq++; /* a streamed request writes it at the next tick */
    pthread_mutex_unlock(&t->owner->lock);
}

static char *problem_text(cf_err code, const char *detail, int *status) {
    const cf_problem_kind *k = cf_problem_for(code);
    json_t *p = cf_problem_json(k, detail);
    char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    *status = k->status;
    return text;
}

static void *run(void *arg) {
    task *t = arg;
    cf_ai_service *svc = t->owner->svc;
    cf_highlight_detection_result res = {0};
    cf_error err;
    cf_error_clear(&err);
    int status = 200;
    char *body = NULL;
    cf_err rc = cf_ai_service_detect(svc, &t->req, &t->progress, &res, &err);
    if (rc == CF_OK) {
        json_t *j = cf_highlight_detection_result_to_json(&res);
        body = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
    }
    if (rc != CF_OK || !body)
        body = problem_text(rc ? rc : CF_ERR_NO_MEMORY, rc ? err.msg : "out of memory", &status);
    if (rc && rc != CF_ERR_CANCELLED)
        cf_log_warn("ai", "clip %s: %s", t->req.clip_id ? t->req.clip_id : "?", err.msg);
    cf_highlight_detection_result_free(&res);
    atomic_fetch_sub(&svc->inflight, 1);
    cf_ai_tasks *o = t->owner;
    pthread_mutex_lock(&o->lock);
    t->body = body;
    t->status = status;
    t->done = true;
    wake_locked(t);
    o->running--;
    pthread_cond_broadcast(&o->idle);
    pthread_mutex_unlock(&o->lock);
    release(t);
    return NULL;
}

/* ---- streamed answers ---------------------------------------------------------------------- */

static bool append(task *t, const char *text, size_t len) {
    char *grown = realloc(t->out, t->out_len + len + 1);
    if (!grown) return false;
    memcpy(grown + t->out_len, text, len);
    t->out = grown;
    t->out_len += len;
    return true;
}

/* The next line to send, if any; caller holds the lock. */
static bool next_line(task *t) {
    char line[160];
    if (t->done) {
        bool ok = t->status == 200 ? append(t, "{\"result\":", 10) : append(t, "{\"error\":", 9);
        ok = ok && t->body && append(t, t->body, strlen(t->body)) && append(t, "}\n", 2);
        return t->final_sent = true, ok;
    }
    int64_t quiet = cf_clock_ms() - t->last_write_ms;
    if (quiet < (t->seq == t->seq_sent ? HEARTBEAT_MS : LINE_MS)) return false;
    t->seq_sent = t->seq;
    int n = snprintf(line, sizeof line, "{\"progress\":%.4f,\"stage\":\"%s\"}\n", t->fraction, t->stage);
    return append(t, line, (size_t)n);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    task *t = cls;
    pthread_mutex_lock(&t->owner->lock);
    for (;;) {
        if (t->out_pos < t->out_len) {
            size_t n = t->out_len - t->out_pos < max ? t->out_len - t->out_pos : max;
            memcpy(buf, t->out + t->out_pos, n);
            t->out_pos += n;
            if (t->out_pos == t->out_len) t->out_pos = t->out_len = 0;
            t->last_write_ms = cf_clock_ms();
            pthread_mutex_unlock(&t->owner->lock);
            return (ssize_t)n;
        }
        if (t->final_sent) break;
        if (!next_line(t)) {
            t->suspended = true;
            MHD_suspend_connection(t->conn);
            pthread_mutex_unlock(&t->owner->lock);
            return 0;
        }
    }
    pthread_mutex_unlock(&t->owner->lock);
    return MHD_CONTENT_READER_END_OF_STREAM;
}

/* The request is over (answered, or the client went away): a task still running is cancelled. */
static void request_done(void *cls) {
    task *t = cls;
    pthread_mutex_lock(&t->owner->lock);
    t->suspended = false;
    bool running = !t->done;
    pthread_mutex_unlock(&t->owner->lock);
    if (running) cf_progress_cancel(&t->progress);
    release(t);
}

/* Resumes streams whose heartbeat is due, so that they write it (and see a closed client). */
static void *ticker(void *arg) {
    cf_ai_tasks *o = arg;
    for (;;) {
        struct timespec ts = {0, TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&o->lock);
        bool stop = o->stopping && !o->live;
        int64_t now = cf_clock_ms();
        for (task *t = o->live; t && !o->stopping; t = t->next) {
            int64_t quiet = now - t->last_write_ms;
            if (t->stream && quiet >= (t->seq == t->seq_sent ? HEARTBEAT_MS : LINE_MS)) wake_locked(t);
        }
        pthread_mutex_unlock(&o->lock);
        if (stop) return NULL;
    }
}

/* ---- the route ----------------------------------------------------------------------------- */

static enum MHD_Result reply_busy(cf_http_request *req, int max) {
    char detail[128];
    snprintf(detail, sizeof detail, "%d detections in flight, the most this service takes", max);
    json_t *p = cf_problem_json(cf_problem_find("unavailable"), detail);
    char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    struct MHD_Response *r =
        text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) return free(text), MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    return cf_http_reply(req, 503, r);
}

static bool wants_stream(cf_http_request *req) {
    const char *accept = cf_http_header(req, MHD_HTTP_HEADER_ACCEPT);
    return accept && strstr(accept, "application/x-ndjson");
}

/* A task for the parsed request (taken), its thread started; NULL when it cannot start. */
static task *start_task(cf_ai_tasks *o, cf_highlight_detection_request *parsed, bool stream,
                        struct MHD_Connection *conn) {
    task *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->owner = o;
    t->refs = 2; /* the thread and the request */
    t->req = *parsed;
    memset(parsed, 0, sizeof *parsed);
    t->stream = stream;
    t->conn = conn;
    t->last_write_ms = cf_clock_ms();
    cf_progress_init(&t->progress, on_progress, t);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&o->lock);
    t->next = o->live;
    o->live = t;
    o->running++;
    pthread_t th;
    bool ok = !o->stopping && pthread_create(&th, &attr, run, t) == 0;
    if (!ok) o->running--, t->refs = 1;
    pthread_mutex_unlock(&o->lock);
    pthread_attr_destroy(&attr);
    if (!ok) {
        release(t);
        return NULL;
    }
    return t;
}

static enum MHD_Result answer_plain(cf_http_request *req, task *t) {
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(t->body), t->body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            t->status == 200 ? "application/json" : "application/problem+json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return cf_http_reply(req, t->status, r);
}

/* A plain request: answered when the task is done, suspended until then. */
static enum MHD_Result wait_plain(cf_http_request *req, task *t) {
    cf_ai_tasks *o = t->owner;
    pthread_mutex_lock(&o->lock);
    bool done = t->done && t->body;
    if (!done) {
        t->suspended = true;
        MHD_suspend_connection(req->conn);
    }
    pthread_mutex_unlock(&o->lock);
    return done ? answer_plain(req, t) : MHD_YES;
}

static enum MHD_Result start_stream(cf_http_request *req, task *t) {
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream, t, request_done);
    if (!r) {
        request_done(t);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return cf_http_reply(req, 200, r);
}

enum MHD_Result cf_ai_route_detect(cf_http_request *req) {
    if (req->state) return wait_plain(req, req->state); /* resumed: the task ended */
    cf_ai_service *svc = req->user;
    cf_highlight_detection_request parsed;
    cf_error err;
    memset(&parsed, 0, sizeof parsed);
    if (cf_highlight_detection_request_from_json(req->json, &parsed, &err)) {
        cf_highlight_detection_request_free(&parsed);
        return cf_http_reply_problem(req, "validation", err.msg);
    }
    if (atomic_fetch_add(&svc->inflight, 1) >= svc->max_inflight) {
        atomic_fetch_sub(&svc->inflight, 1);
        atomic_fetch_add(&svc->refused_busy, 1);
        cf_highlight_detection_request_free(&parsed);
        return reply_busy(req, svc->max_inflight);
    }
    bool stream = wants_stream(req);
    task *t = start_task(svc->tasks, &parsed, stream, req->conn);
    if (!t) {
        atomic_fetch_sub(&svc->inflight, 1);
        cf_highlight_detection_request_free(&parsed);
        return cf_http_reply_problem(req, "unavailable", "the service is stopping");
    }
    if (stream) return start_stream(req, t);
    req->state = t;
    req->free_state = request_done;
    return wait_plain(req, t);
}

cf_err cf_ai_tasks_start(cf_ai_service *svc, cf_ai_tasks **out, cf_error *err) {
    cf_ai_tasks *o = calloc(1, sizeof *o);
    if (!o) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    o->svc = svc;
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->idle, NULL);
    if (pthread_create(&o->ticker, NULL, ticker, o) != 0) {
        free(o);
        return cf_error_set(err, CF_ERR_INTERNAL, "cannot start the stream ticker");
    }
    *out = o;
    return CF_OK;
}

void cf_ai_tasks_stop(cf_ai_tasks *o) {
    if (!o) return;
    pthread_mutex_lock(&o->lock);
    o->stopping = true;
    for (task *t = o->live; t; t = t->next) cf_progress_cancel(&t->progress);
    while (o->running) pthread_cond_wait(&o->idle, &o->lock);
    pthread_mutex_unlock(&o->lock);
}

void cf_ai_tasks_free(cf_ai_tasks *o) {
    if (!o) return;
    pthread_mutex_lock(&o->lock);
    o->stopping = true;
    for (task *t = o->live; t; t = t->next) wake_locked(t);
    pthread_mutex_unlock(&o->lock);
    pthread_join(o->ticker, NULL); /* ends once no task is left */
    pthread_cond_destroy(&o->idle);
    pthread_mutex_destroy(&o->lock);
    free(o);
}

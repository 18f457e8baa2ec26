/* event_feed.c — the event stream both transports serve: the store's event table read after a
 * cursor, so a reconnect that names the last id it saw continues exactly after it (no gap, no
 * duplicate) whichever transport it uses. */
#include "api/event_feed.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "application/auth.h"
#include "application/job_service.h"
#include "clipforge/domain/types.h"

cf_err cf_event_cursor_init(cf_event_cursor *c, cf_http_request *req, cf_error *err) {
    memset(c, 0, sizeof *c);
    c->store = req->app->store;
    c->win = cf_sse_hub_window(cf_http_server_hub(req->server));
    memcpy(c->tenant, req->who.tenant, sizeof c->tenant);
    const char *job_id = cf_http_query(req, "job_id");
    cf_job_record owned;
    if (job_id && cf_owned_job(c->store, c->tenant, job_id, &owned, err)) return err->code;
    if (job_id) cf_job_record_free(&owned);
    const char *v = cf_http_header(req, "Last-Event-ID");
    if (!v) v = cf_http_query(req, "last_event_id");
    if (v) {
        char *end = NULL;
        long long id = strtoll(v, &end, 10);
        if (end == v || *end || id < 0)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "Last-Event-ID: must be an event id");
        c->last_id = id;
    } else if (!job_id) {
        cf_job_stats st;
        cf_error ignored;
        c->last_id = cf_store_stats(c->store, &st, &ignored) == CF_OK ? st.last_event_id : 0;
    }
    if (job_id && !(c->job_id = strdup(job_id))) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return CF_OK;
}

void cf_event_cursor_free(cf_event_cursor *c) {
    if (!c) return;
    free(c->job_id);
    c->job_id = NULL;
}

/* The event as the generated Event type's JSON: {id, type, job_id, at, data}. */
static char *event_json(const cf_event_record *r) {
    cf_event e;
    cf_event_init(&e);
    e.id = r->id;
    cf_event_type_from_string(r->type, &e.type);
    e.job_id = strdup(r->job_id);
    char at[40];
    cf_format_timestamp(r->at, at, sizeof at);
    e.at = strdup(at);
    e.data = json_loads(r->data, 0, NULL);
    json_t *j = cf_event_to_json(&e);
    cf_event_free(&e);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

/* The event's Server-Sent Events message (malloc'd, NULL when out of memory); *json_at = where
 * its JSON starts in it. The JSON is compact (no newlines), so one data line carries it. */
static char *sse_message(const cf_event_record *r, size_t *len, size_t *json_at) {
    char *json = event_json(r);
    if (!json) return NULL;
    char head[160];
    int hl = snprintf(head, sizeof head, "id: %lld\nevent: %s\ndata: ", (long long)r->id, r->type);
    size_t jl = strlen(json);
    char *text = hl > 0 && (size_t)hl < sizeof head ? malloc((size_t)hl + jl + 3) : NULL;
    if (text) {
        memcpy(text, head, (size_t)hl);
        memcpy(text + hl, json, jl);
        memcpy(text + (size_t)hl + jl, "\n\n", 3);
        *len = (size_t)hl + jl + 2;
        *json_at = (size_t)hl;
    }
    free(json);
    return text;
}

/* ---- the window of recent events --------------------------------------------------------------
 * Every stream wakes when events are committed; were each to read the store, 2,000 streams would
 * make 2,000 queries (and JSON texts) of one event. The window reads new events once for all of
 * them, formats each once, and keeps the newest WINDOW; a stream positioned inside it copies from
 * memory under a read lock (the streams of every HTTP thread at once), one behind it (a resume
 * from long ago) reads the store itself until it catches up. Ids become visible in order (the
 * stores guarantee it), so reading after the newest id seen misses nothing. */

#define WINDOW 4096
#define WINDOW_READ 512

typedef struct cached {
    int64_t id;
    char *type, *job_id, *tenant;
    char *sse; /* the SSE message, its JSON at sse + json_at */
    size_t sse_len, json_at;
} cached;

struct cf_event_window {
    cf_store *store;
    pthread_rwlock_t lock; /* guards ev, n, floor_id and primed; last_id is the refresher's */
    cached *ev;            /* ids ascending, WINDOW + WINDOW_READ slots */
    size_t n;
    int64_t last_id;  /* the newest id read */
    int64_t floor_id; /* every event with id > floor_id is in the window */
    bool primed;
};

static void cached_free(cached *e) {
    free(e->type);
    free(e->job_id);
    free(e->tenant);
    free(e->sse);
}

cf_event_window *cf_event_window_new(cf_store *store) {
    cf_event_window *w = calloc(1, sizeof *w);
    if (w && !(w->ev = calloc(WINDOW + WINDOW_READ, sizeof *w->ev))) {
        free(w);
        return NULL;
    }
    if (!w) return NULL;
    w->store = store;
    pthread_rwlock_init(&w->lock, NULL);
    return w;
}

void cf_event_window_free(cf_event_window *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) cached_free(&w->ev[i]);
    pthread_rwlock_destroy(&w->lock);
    free(w->ev);
    free(w);
}

/* Appends n read events (their strings taken), dropping the oldest past WINDOW. Takes the lock. */
static void window_add(cf_event_window *w, cached *fresh, size_t n) {
    pthread_rwlock_wrlock(&w->lock);
    size_t drop = w->n + n > WINDOW ? w->n + n - WINDOW : 0;
    if (drop > w->n) drop = w->n;
    for (size_t i = 0; i < drop; i++) cached_free(&w->ev[i]);
    if (drop) {
        w->floor_id = w->ev[drop - 1].id;
        memmove(w->ev, w->ev + drop, (w->n - drop) * sizeof *w->ev);
        w->n -= drop;
    }
    memcpy(w->ev + w->n, fresh, n * sizeof *fresh);
    w->n += n;
    pthread_rwlock_unlock(&w->lock);
}

/* The window starts at the store's newest event: what came before is read from the store. */
static cf_err prime(cf_event_window *w, cf_error *err) {
    cf_job_stats st;
    cf_err rc = cf_store_stats(w->store, &st, err);
    if (rc) return rc;
    w->last_id = st.last_event_id;
    pthread_rwlock_wrlock(&w->lock);
    w->floor_id = st.last_event_id;
    w->primed = true;
    pthread_rwlock_unlock(&w->lock);
    return CF_OK;
}

void cf_event_window_forget(cf_event_window *w) {
    pthread_rwlock_wrlock(&w->lock);
    for (size_t i = 0; i < w->n; i++) cached_free(&w->ev[i]);
    w->n = 0;
    w->primed = false;
    pthread_rwlock_unlock(&w->lock);
}

cf_err cf_event_window_refresh(cf_event_window *w, cf_error *err) {
    if (!w->primed) return prime(w, err);
    cached *fresh = calloc(WINDOW_READ, sizeof *fresh);
    if (!fresh) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = CF_OK;
    for (;;) {
        cf_event_record *ev = NULL;
        size_t n = 0, k = 0;
        rc = cf_store_events_after(w->store, w->last_id, NULL, NULL, WINDOW_READ, &ev, &n, err);
        if (rc) break;
        for (; k < n; k++) {
            cached *e = &fresh[k];
            e->sse = sse_message(&ev[k], &e->sse_len, &e->json_at);
            if (!e->sse) break;
            e->id = ev[k].id;
            e->type = ev[k].type, e->job_id = ev[k].job_id, e->tenant = ev[k].tenant;
            ev[k].type = ev[k].job_id = ev[k].tenant = NULL;
        }
        cf_event_records_free(ev, n);
        window_add(w, fresh, k);
        if (k) w->last_id = fresh[k - 1].id;
        if (k < n) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        if (k < n || n < WINDOW_READ) break;
    }
    free(fresh);
    return rc;
}

static cf_event_text text_of(const cached *e) {
    return (cf_event_text){.id = e->id,
                           .type = e->type,
                           .json = e->sse + e->json_at,
                           .json_len = e->sse_len - e->json_at - 2,
                           .sse = e->sse,
                           .sse_len = e->sse_len};
}

/* Hands the stream's events after its position from the window to sink; false when the position
 * is behind the window (or the window has not read the store yet): read the store. */
static bool next_from_window(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more) {
    cf_event_window *w = c->win;
    pthread_rwlock_rdlock(&w->lock);
    bool inside = w->primed && c->last_id >= w->floor_id;
    size_t lo = 0, hi = inside ? w->n : 0;
    while (lo < hi) { /* first event after the position */
        size_t mid = (lo + hi) / 2;
        if (w->ev[mid].id <= c->last_id) lo = mid + 1;
        else hi = mid;
    }
    size_t k = 0;
    for (size_t i = lo; inside && i < w->n; i++) {
        const cached *e = &w->ev[i];
        bool mine = c->job_id ? !strcmp(e->job_id, c->job_id) : cf_tenant_is(e->tenant, c->tenant);
        if (mine && k == max) {
            *more = true;
            break;
        }
        if (mine) {
            cf_event_text t = text_of(e);
            if (!sink(ctx, &t)) break;
            k++;
        }
        c->last_id = e->id;
    }
    pthread_rwlock_unlock(&w->lock);
    return inside;
}

/* Behind the window: the store, filtered there. */
static cf_err next_from_store(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more,
                              cf_error *err) {
    int64_t floor = 0;
    if (c->win) {
        pthread_rwlock_rdlock(&c->win->lock);
        floor = c->win->primed ? c->win->floor_id : 0;
        pthread_rwlock_unlock(&c->win->lock);
    }
    cf_event_record *ev = NULL;
    size_t n = 0;
    cf_err rc = cf_store_events_after(c->store, c->last_id, c->job_id, c->tenant, max, &ev, &n, err);
    if (rc) return rc;
    size_t taken = 0;
    for (; taken < n; taken++) {
        cached e = {.id = ev[taken].id, .type = ev[taken].type};
        e.sse = sse_message(&ev[taken], &e.sse_len, &e.json_at);
        cf_event_text t = e.sse ? text_of(&e) : (cf_event_text){0};
        bool ok = e.sse && sink(ctx, &t);
        free(e.sse);
        if (!ok) break;
        c->last_id = ev[taken].id;
    }
    *more = taken == n && n == max;
    /* All of the stream's events up to the window were read (they were committed before it was):
     * the rest of the way there is other streams' events. */
    if (taken == n && n < max && c->last_id < floor) c->last_id = floor;
    cf_event_records_free(ev, n);
    return CF_OK;
}

cf_err cf_event_cursor_next(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more,
                            cf_error *err) {
    *more = false;
    if (c->win && next_from_window(c, max, sink, ctx, more)) return CF_OK;
    return next_from_store(c, max, sink, ctx, more, err);
}

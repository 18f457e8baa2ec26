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
 * them, formats each once, and keeps the newest (a ring of CLIPFORGE_EVENT_WINDOW events: the
 * oldest is replaced, nothing moves); a stream positioned inside it copies from memory under a
 * read lock (the streams of every HTTP thread at once). Ids become visible in order (the stores
 * guarantee it), so reading after the newest id seen misses nothing.
 *
 * A stream behind the window (a resume from long ago, one that opened while the window was
 * empty, or a reader slower than the flood) does not read the store alone: that was one query and
 * one JSON text per event per stream, and 2,000 streams behind made the stream hub's thread a
 * SQLite reader that fell further behind the more streams it had. Instead the store is read in
 * shared runs: CATCHUP_READ consecutive events of every tenant, formatted once, of which the
 * window keeps the CATCHUP_RUNS used last; every stream whose position falls in a run is served
 * from it in memory, filtered as in the window. At most CATCHUP_READS_PER_PASS runs are read per
 * pass of the stream hub (cf_event_window_pass), so what one pass costs the store does not grow
 * with the number of streams: a stream that finds no run once those are spent waits for the next
 * pass, losing nothing. Streams of one job (?job_id=) still read the store themselves, filtered
 * by its index, since a run would make them walk every tenant's events to reach their job's. */

#define WINDOW_READ 512
#define CATCHUP_READ 2048
#define CATCHUP_RUNS 16
#define CATCHUP_READS_PER_PASS 4

typedef struct cached {
    int64_t id;
    char *type, *job_id, *tenant;
    char *sse; /* the SSE message, its JSON at sse + json_at */
    size_t sse_len, json_at;
} cached;

/* Events in id order: the i-th at ev[(head + i) % cap]. */
typedef struct span {
    cached *ev;
    size_t cap, head, n;
} span;

/* Every event with after < id <= last, as the store had them (ev in order, n of them). */
typedef struct run {
    int64_t after, last;
    cached *ev;
    size_t n;
    uint64_t used; /* when a stream last read it (the least recently used is replaced) */
} run;

struct cf_event_window {
    cf_store *store;
    pthread_rwlock_t lock; /* guards ring, floor_id and primed; last_id is the refresher's */
    span ring;             /* the newest events, at most ring.cap */
    int64_t last_id;       /* the newest id read */
    int64_t floor_id;      /* every event with id > floor_id is in the window */
    bool primed;
    pthread_mutex_t runs_lock; /* guards runs, clock, reads_left, reads */
    run runs[CATCHUP_RUNS];
    uint64_t clock;
    int reads_left; /* run reads left in this pass */
    uint64_t reads; /* run reads ever */
};

static cached *span_at(const span *s, size_t i) {
    return &s->ev[(s->head + i) % s->cap];
}

static void cached_free(cached *e) {
    free(e->type);
    free(e->job_id);
    free(e->tenant);
    free(e->sse);
}

static void run_clear(run *r) {
    for (size_t i = 0; i < r->n; i++) cached_free(&r->ev[i]);
    free(r->ev);
    *r = (run){0};
}

cf_event_window *cf_event_window_new(cf_store *store, size_t capacity) {
    cf_event_window *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->ring.cap = capacity ? capacity : 1;
    if (!(w->ring.ev = calloc(w->ring.cap, sizeof *w->ring.ev))) {
        free(w);
        return NULL;
    }
    w->store = store;
    w->reads_left = CATCHUP_READS_PER_PASS;
    pthread_rwlock_init(&w->lock, NULL);
    pthread_mutex_init(&w->runs_lock, NULL);
    return w;
}

void cf_event_window_free(cf_event_window *w) {
    if (!w) return;
    for (size_t i = 0; i < w->ring.n; i++) cached_free(span_at(&w->ring, i));
    for (size_t i = 0; i < CATCHUP_RUNS; i++) run_clear(&w->runs[i]);
    pthread_rwlock_destroy(&w->lock);
    pthread_mutex_destroy(&w->runs_lock);
    free(w->ring.ev);
    free(w);
}

void cf_event_window_pass(cf_event_window *w) {
    pthread_mutex_lock(&w->runs_lock);
    w->reads_left = CATCHUP_READS_PER_PASS;
    pthread_mutex_unlock(&w->runs_lock);
}

uint64_t cf_event_window_store_reads(cf_event_window *w) {
    pthread_mutex_lock(&w->runs_lock);
    uint64_t n = w->reads;
    pthread_mutex_unlock(&w->runs_lock);
    return n;
}

/* Appends n read events (their strings taken), replacing the oldest once the ring is full. Takes
 * the lock. */
static void window_add(cf_event_window *w, cached *fresh, size_t n) {
    span *r = &w->ring;
    pthread_rwlock_wrlock(&w->lock);
    for (size_t i = 0; i < n; i++) {
        if (r->n == r->cap) {
            cached *old = span_at(r, 0);
            w->floor_id = old->id;
            cached_free(old);
            r->head = (r->head + 1) % r->cap;
            r->n--;
        }
        *span_at(r, r->n++) = fresh[i];
    }
    pthread_rwlock_unlock(&w->lock);
}

/* Formats n read events into out (their strings taken); returns how many (fewer when out of
 * memory). */
static size_t format_events(cf_event_record *ev, size_t n, cached *out) {
    size_t k = 0;
    for (; k < n; k++) {
        cached *e = &out[k];
        e->sse = sse_message(&ev[k], &e->sse_len, &e->json_at);
        if (!e->sse) break;
        e->id = ev[k].id;
        e->type = ev[k].type, e->job_id = ev[k].job_id, e->tenant = ev[k].tenant;
        ev[k].type = ev[k].job_id = ev[k].tenant = NULL;
    }
    return k;
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
    for (size_t i = 0; i < w->ring.n; i++) cached_free(span_at(&w->ring, i));
    w->ring.n = w->ring.head = 0;
    w->primed = false;
    pthread_rwlock_unlock(&w->lock);
    pthread_mutex_lock(&w->runs_lock);
    for (size_t i = 0; i < CATCHUP_RUNS; i++) run_clear(&w->runs[i]);
    pthread_mutex_unlock(&w->runs_lock);
}

cf_err cf_event_window_refresh(cf_event_window *w, cf_error *err) {
    if (!w->primed) return prime(w, err);
    cached *fresh = calloc(WINDOW_READ, sizeof *fresh);
    if (!fresh) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = CF_OK;
    for (;;) {
        cf_event_record *ev = NULL;
        size_t n = 0;
        rc = cf_store_events_after(w->store, w->last_id, NULL, NULL, WINDOW_READ, &ev, &n, err);
        if (rc) break;
        size_t k = format_events(ev, n, fresh);
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

/* Hands the stream's events of s after its position to sink, filtered by its tenant or job, in
 * order, and advances past each event it passed. */
static void serve_span(cf_event_cursor *c, const span *s, size_t max, cf_event_sink sink, void *ctx,
                       bool *more) {
    size_t lo = 0, hi = s->n;
    while (lo < hi) { /* first event after the position */
        size_t mid = (lo + hi) / 2;
        if (span_at(s, mid)->id <= c->last_id) lo = mid + 1;
        else hi = mid;
    }
    size_t k = 0;
    for (size_t i = lo; i < s->n; i++) {
        const cached *e = span_at(s, i);
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
}

/* From the window; false when the position is behind it (or the window has not read the store
 * yet). *floor = the window's floor (-1 before it read the store). */
static bool next_from_window(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more,
                             int64_t *floor) {
    cf_event_window *w = c->win;
    pthread_rwlock_rdlock(&w->lock);
    bool inside = w->primed && c->last_id >= w->floor_id;
    *floor = w->primed ? w->floor_id : -1;
    if (inside) serve_span(c, &w->ring, max, sink, ctx, more);
    pthread_rwlock_unlock(&w->lock);
    return inside;
}

/* The run that holds the event after position, or NULL. */
static run *find_run(cf_event_window *w, int64_t position) {
    for (size_t i = 0; i < CATCHUP_RUNS; i++) {
        run *r = &w->runs[i];
        if (r->ev && r->after <= position && position < r->last) return r;
    }
    return NULL;
}

/* Reads the run after position into the least recently used slot. Every event up to floor was
 * committed before the read, so a short read holds all of them: the run then reaches floor even
 * where the store has no event (deleted ones). */
static cf_err read_run(cf_event_window *w, int64_t position, int64_t floor, run **out, cf_error *err) {
    run *slot = &w->runs[0];
    for (size_t i = 1; i < CATCHUP_RUNS; i++)
        if (w->runs[i].used < slot->used) slot = &w->runs[i];
    cf_event_record *ev = NULL;
    size_t n = 0;
    cf_err rc = cf_store_events_after(w->store, position, NULL, NULL, CATCHUP_READ, &ev, &n, err);
    if (rc) return rc;
    w->reads++;
    cached *fresh = calloc(n ? n : 1, sizeof *fresh);
    size_t k = fresh ? format_events(ev, n, fresh) : 0;
    cf_event_records_free(ev, n);
    if (k < n) {
        for (size_t i = 0; i < k; i++) cached_free(&fresh[i]);
        free(fresh);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    run_clear(slot);
    *slot = (run){.after = position, .last = n ? fresh[n - 1].id : position, .ev = fresh, .n = n};
    if (n < CATCHUP_READ && slot->last < floor) slot->last = floor;
    *out = slot;
    return CF_OK;
}

/* Behind the window: from a run shared with the streams near the same position, read now if
 * there is none and this pass may still read one. */
static cf_err next_from_runs(cf_event_cursor *c, int64_t floor, size_t max, cf_event_sink sink, void *ctx,
                             bool *more, cf_error *err) {
    cf_event_window *w = c->win;
    pthread_mutex_lock(&w->runs_lock);
    run *r = find_run(w, c->last_id);
    cf_err rc = CF_OK;
    if (!r && w->reads_left > 0) {
        w->reads_left--;
        rc = read_run(w, c->last_id, floor, &r, err);
    }
    if (r) {
        r->used = ++w->clock;
        serve_span(c, &(span){.ev = r->ev, .cap = r->n ? r->n : 1, .n = r->n}, max, sink, ctx, more);
        /* Past the run's last event are only other streams' events up to its end. */
        if (!*more && c->last_id < r->last && (r->n == 0 || c->last_id == r->ev[r->n - 1].id))
            c->last_id = r->last;
    }
    /* With a window, the next call goes on from another run or from the window, which knows
     * whether more follows; without one (not yet read), a run that held all the store had ends
     * the stream's turn until the next commit. Without a run this pass, the next pass reads one. */
    if (!rc && (floor >= 0 || !r || r->n == CATCHUP_READ)) *more = true;
    pthread_mutex_unlock(&w->runs_lock);
    return rc;
}

/* A stream of one job (or one without a window): the store, filtered there. */
static cf_err next_from_store(cf_event_cursor *c, int64_t floor, size_t max, cf_event_sink sink, void *ctx,
                              bool *more, cf_error *err) {
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
    int64_t floor = -1;
    if (c->win && next_from_window(c, max, sink, ctx, more, &floor)) return CF_OK;
    if (c->win && !c->job_id) return next_from_runs(c, floor, max, sink, ctx, more, err);
    return next_from_store(c, floor, max, sink, ctx, more, err);
}

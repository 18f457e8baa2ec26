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
 * from it in memory, filtered as in the window. Streams of one job (?job_id=) use such a run when
 * one holds their position, and otherwise a job run: up to CATCHUP_READ events of that job alone,
 * read through its index (a tenant run would make them walk every tenant's events to reach their
 * job's), shared by every stream of the job, the JOB_RUNS used last kept.
 *
 * Streams never read the store themselves. A stream that finds no run holding its position
 * waits from that pass on; the window notes the runs the waiting streams need (the WANTS that
 * have waited longest of each kind, and the lowest position), and the next pass of the stream
 * hub (cf_event_window_pass) reads them before the streams go: at most CATCHUP_READS_PER_PASS
 * tenant runs and JOB_READS_PER_PASS job runs, so what a pass costs the store does not grow with
 * the number of streams. Which ones: first those of the streams that have waited
 * OVERDUE_PASSES passes, longest first, so that no stream waits behind the ones before it in the
 * hub's list (before, the first streams took every read of each pass as they went, and with
 * streams far apart the last waited until they reached it); then, from the lowest position on,
 * runs that follow one another (the streams furthest behind move fastest and pick up the others
 * as they pass them, one run then serving them all); then the rest, longest waiting first. With
 * k streams waiting for runs far apart, none waits much more than OVERDUE_PASSES +
 * k / CATCHUP_READS_PER_PASS passes. */

#define WINDOW_READ 512
#define CATCHUP_READ 2048
#define CATCHUP_RUNS 16
#define CATCHUP_READS_PER_PASS 4
#define JOB_RUNS 64
#define JOB_READS_PER_PASS 16
#define WANTS 32
#define OVERDUE_PASSES 4

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

/* Every event with after < id <= last (of job_id alone when not NULL), as the store had them (ev
 * in order, n of them; ev is NULL for a free slot). */
typedef struct run {
    int64_t after, last;
    char *job_id;
    cached *ev;
    size_t n;
    uint64_t used; /* when it was read or a stream last read it (the least recently used is replaced) */
} run;

/* A run some stream waits for: one after position (of job_id alone when not NULL; owned), and
 * the pass since which the longest-waiting stream that needs it has waited. */
typedef struct want {
    uint64_t since;
    int64_t position;
    char *job_id;
} want;

struct cf_event_window {
    cf_store *store;
    pthread_rwlock_t lock; /* guards ring, floor_id and primed; last_id is the refresher's */
    span ring;             /* the newest events, at most ring.cap */
    int64_t last_id;       /* the newest id read */
    int64_t floor_id;      /* every event with id > floor_id is in the window */
    bool primed;
    pthread_mutex_t runs_lock; /* guards everything below */
    run runs[CATCHUP_RUNS];    /* of every tenant */
    run job_runs[JOB_RUNS];    /* of one job each */
    uint64_t clock;
    want wants[2]
              [WANTS]; /* this pass's longest-waiting streams' runs (of tenants, of jobs), read at the next */
    size_t n_wants[2];
    want lowest;     /* this pass's tenant run after the lowest position (since 0: none) */
    uint64_t passes; /* the pass now: 1 before the first, one more at each */
    uint64_t reads;  /* runs read ever */
    cf_err read_rc;  /* the last pass's failed read (CF_OK: none), told to the streams waiting */
    cf_error read_err;
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
    free(r->job_id);
    *r = (run){0};
}

static void wants_clear(cf_event_window *w) {
    for (int kind = 0; kind < 2; kind++) {
        for (size_t i = 0; i < w->n_wants[kind]; i++) free(w->wants[kind][i].job_id);
        w->n_wants[kind] = 0;
    }
    w->lowest = (want){0};
}

static void runs_clear(cf_event_window *w) {
    for (size_t i = 0; i < CATCHUP_RUNS; i++) run_clear(&w->runs[i]);
    for (size_t i = 0; i < JOB_RUNS; i++) run_clear(&w->job_runs[i]);
    wants_clear(w);
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
    w->passes = 1;
    pthread_rwlock_init(&w->lock, NULL);
    pthread_mutex_init(&w->runs_lock, NULL);
    return w;
}

void cf_event_window_free(cf_event_window *w) {
    if (!w) return;
    for (size_t i = 0; i < w->ring.n; i++) cached_free(span_at(&w->ring, i));
    runs_clear(w);
    pthread_rwlock_destroy(&w->lock);
    pthread_mutex_destroy(&w->runs_lock);
    free(w->ring.ev);
    free(w);
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
    runs_clear(w);
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
 * order, and advances past each event it passed. Returns whether it passed every event of s after
 * the position (false when max of the stream's were passed with more to come, or sink refused). */
static bool serve_span(cf_event_cursor *c, const span *s, size_t max, cf_event_sink sink, void *ctx,
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
            return false;
        }
        if (mine) {
            cf_event_text t = text_of(e);
            if (!sink(ctx, &t)) return false;
            k++;
        }
        c->last_id = e->id;
    }
    return true;
}

/* The window's floor (-1 before it read the store). */
static int64_t window_floor(cf_event_window *w) {
    pthread_rwlock_rdlock(&w->lock);
    int64_t floor = w->primed ? w->floor_id : -1;
    pthread_rwlock_unlock(&w->lock);
    return floor;
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

/* ---- runs of older events ---- */

/* Whether a stream at position can be served from r. A run read while the window had not read
 * the store may be empty (nothing after its position then): it holds that position until the
 * window starts, so that the stream waits for the next commit instead of asking again. */
static bool holds(const run *r, int64_t position, int64_t floor) {
    return r->ev && r->after <= position && (position < r->last || (floor < 0 && position == r->after));
}

/* The run that holds the event after position for a stream of job_id (NULL: of a tenant), or NULL.
 * A job's stream prefers its job's run, and takes a tenant run that holds its position. */
static run *find_run(cf_event_window *w, int64_t position, const char *job_id, int64_t floor) {
    for (size_t i = 0; job_id && i < JOB_RUNS; i++) {
        run *r = &w->job_runs[i];
        if (holds(r, position, floor) && !strcmp(r->job_id, job_id)) return r;
    }
    for (size_t i = 0; i < CATCHUP_RUNS; i++)
        if (holds(&w->runs[i], position, floor)) return &w->runs[i];
    return NULL;
}

/* Reads the run after position (of job_id alone when not NULL) into the least recently used slot
 * of its kind. Every event up to floor was committed before the read, so a short read holds all of
 * them: the run then reaches floor even where the store has none of its events (other jobs',
 * deleted ones). */
static cf_err read_run(cf_event_window *w, const char *job_id, int64_t position, int64_t floor, run **out,
                       cf_error *err) {
    run *slots = job_id ? w->job_runs : w->runs, *slot = slots;
    size_t n_slots = job_id ? JOB_RUNS : CATCHUP_RUNS;
    for (size_t i = 1; i < n_slots; i++)
        if (slots[i].used < slot->used) slot = &slots[i];
    cf_event_record *ev = NULL;
    size_t n = 0;
    cf_err rc = cf_store_events_after(w->store, position, job_id, NULL, CATCHUP_READ, &ev, &n, err);
    if (rc) return rc;
    w->reads++;
    cached *fresh = calloc(n ? n : 1, sizeof *fresh);
    char *job = job_id ? strdup(job_id) : NULL;
    size_t k = fresh && (job || !job_id) ? format_events(ev, n, fresh) : 0;
    cf_event_records_free(ev, n);
    if (k < n || !fresh || (job_id && !job)) {
        for (size_t i = 0; i < k; i++) cached_free(&fresh[i]);
        free(fresh);
        free(job);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    run_clear(slot);
    *slot = (run){.after = position,
                  .last = n ? fresh[n - 1].id : position,
                  .job_id = job,
                  .ev = fresh,
                  .n = n,
                  .used = ++w->clock};
    if (n < CATCHUP_READ && slot->last < floor) slot->last = floor;
    *out = slot;
    return CF_OK;
}

/* Whether a waited longer than b (or as long, at a lower position). */
static bool older(const want *a, const want *b) {
    return a->since < b->since || (a->since == b->since && a->position < b->position);
}

/* The stream waits for a run: it notes the pass it started to wait in, and its run is noted when
 * the stream is among the WANTS longest waiting of its kind (tenant or job), or is the lowest
 * tenant position. Streams of one job share one job run, read after the lowest position any of
 * them waits at. */
static void want_run(cf_event_window *w, cf_event_cursor *c) {
    if (!c->waiting) c->waiting = w->passes;
    int kind = c->job_id != NULL;
    want me = {.since = c->waiting, .position = c->last_id}, *wants = w->wants[kind], *newest = NULL;
    if (!kind && (!w->lowest.since || me.position < w->lowest.position ||
                  (me.position == w->lowest.position && me.since < w->lowest.since)))
        w->lowest = me;
    size_t *n = &w->n_wants[kind];
    for (size_t i = 0; i < *n; i++) {
        want *q = &wants[i];
        if (kind ? !strcmp(q->job_id, c->job_id) : q->position == me.position) {
            if (me.position < q->position) q->position = me.position;
            if (me.since < q->since) q->since = me.since;
            return;
        }
        if (!newest || older(newest, q)) newest = q;
    }
    want *slot = *n < WANTS ? &wants[*n] : newest;
    if (slot == newest && older(newest, &me)) return;     /* it waits behind WANTS others */
    if (kind && !(me.job_id = strdup(c->job_id))) return; /* noted at the next pass */
    if (slot == newest) free(newest->job_id);
    else (*n)++;
    *slot = me;
}

static int by_age(const void *a, const void *b) {
    return older(a, b) ? -1 : older(b, a);
}

/* Reads the run after position (of job_id) unless one holds it; counts the read in *left. */
static cf_err read_unless_held(cf_event_window *w, const char *job_id, int64_t position, int64_t floor,
                               int *left, cf_error *err) {
    run *r = NULL;
    if (find_run(w, position, job_id, floor)) return CF_OK;
    (*left)--;
    return read_run(w, job_id, position, floor, &r, err);
}

/* From the lowest position on, the runs that follow one another up to the window, those not held
 * read while *left lasts: the streams furthest behind move fastest, and pick up the others as
 * they pass them, so that one run serves them all. */
static cf_err sweep(cf_event_window *w, int64_t position, int64_t floor, int *left, cf_error *err) {
    for (int hops = 0; hops < CATCHUP_READS_PER_PASS && position < floor; hops++) {
        run *r = find_run(w, position, NULL, floor);
        if (!r && !*left) break;
        if (!r) {
            (*left)--;
            cf_err rc = read_run(w, NULL, position, floor, &r, err);
            if (rc) return rc;
        }
        if (r->n < CATCHUP_READ) break;
        position = r->last;
    }
    return CF_OK;
}

/* The runs the streams waiting asked for, within the pass's reads of each kind: first those of
 * the streams that have waited OVERDUE_PASSES passes, longest first, so that none waits long
 * whatever its position; then from the lowest position on (sweep); then the rest, longest first. */
static cf_err read_wanted(cf_event_window *w, int64_t floor, cf_error *err) {
    int left = CATCHUP_READS_PER_PASS, jobs_left = JOB_READS_PER_PASS;
    want *tenant = w->wants[0], *job = w->wants[1];
    qsort(tenant, w->n_wants[0], sizeof *tenant, by_age);
    qsort(job, w->n_wants[1], sizeof *job, by_age);
    cf_err rc = CF_OK;
    for (size_t i = 0; i < w->n_wants[0] && left && !rc; i++)
        if (tenant[i].since + OVERDUE_PASSES <= w->passes)
            rc = read_unless_held(w, NULL, tenant[i].position, floor, &left, err);
    if (!rc && left && w->lowest.since) rc = sweep(w, w->lowest.position, floor, &left, err);
    for (size_t i = 0; i < w->n_wants[0] && left && !rc; i++)
        rc = read_unless_held(w, NULL, tenant[i].position, floor, &left, err);
    for (size_t i = 0; i < w->n_wants[1] && jobs_left && !rc; i++)
        rc = read_unless_held(w, job[i].job_id, job[i].position, floor, &jobs_left, err);
    return rc;
}

cf_err cf_event_window_pass(cf_event_window *w, cf_error *err) {
    int64_t floor = window_floor(w);
    pthread_mutex_lock(&w->runs_lock);
    w->passes++;
    cf_err rc = read_wanted(w, floor, err);
    wants_clear(w);
    w->read_rc = rc;
    if (rc) w->read_err = *err;
    pthread_mutex_unlock(&w->runs_lock);
    return rc;
}

/* Behind the window: from a run shared with the streams near the same position, or, when no run
 * holds it, the stream waits for the next pass to read one. */
static cf_err next_from_runs(cf_event_cursor *c, int64_t floor, size_t max, cf_event_sink sink, void *ctx,
                             bool *more, cf_error *err) {
    cf_event_window *w = c->win;
    pthread_mutex_lock(&w->runs_lock);
    run *r = find_run(w, c->last_id, c->job_id, floor);
    cf_err rc = r ? CF_OK : w->read_rc;
    if (rc) *err = w->read_err; /* the store fails: the streams waiting for it are told */
    else if (!r) want_run(w, c);
    if (r) {
        c->waiting = 0;
        r->used = ++w->clock;
        bool all =
            serve_span(c, &(span){.ev = r->ev, .cap = r->n ? r->n : 1, .n = r->n}, max, sink, ctx, more);
        /* Past the run's last event are only other streams' events up to its end. */
        if (all && c->last_id < r->last) c->last_id = r->last;
    }
    /* With a window, the next call goes on from another run or from the window, which knows
     * whether more follows; without one (not yet read), a run that held all the store had ends
     * the stream's turn until the next commit. A stream waiting for a run goes on at the next
     * pass. */
    if (!rc && (floor >= 0 || !r || r->n == CATCHUP_READ)) *more = true;
    pthread_mutex_unlock(&w->runs_lock);
    return rc;
}

/* A stream without a window: the store, filtered there. */
static cf_err next_from_store(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more,
                              cf_error *err) {
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
    cf_event_records_free(ev, n);
    return CF_OK;
}

cf_err cf_event_cursor_next(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more,
                            cf_error *err) {
    *more = false;
    int64_t floor = -1;
    if (!c->win) return next_from_store(c, max, sink, ctx, more, err);
    if (next_from_window(c, max, sink, ctx, more, &floor)) return CF_OK;
    return next_from_runs(c, floor, max, sink, ctx, more, err);
}

/* event_feed.c — the event stream both transports serve: the store's event table read after a
 * cursor, so a reconnect that names the last id it saw continues exactly after it (no gap, no
 * duplicate) whichever transport it uses. */
#include "api/event_feed.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "application/auth.h"
#include "application/job_service.h"
#include "clipforge/domain/types.h"

cf_err cf_event_cursor_init(cf_event_cursor *c, cf_http_request *req, cf_error *err) {
    memset(c, 0, sizeof *c);
    c->store = req->app->store;
    c->app = req->app;
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

/* ---- the window of recent events --------------------------------------------------------------
 * Every stream wakes at every commit; were each to read the store, 2,000 streams would make 2,000
 * queries (and JSON texts) of one event. The window reads new events once for all of them and
 * keeps the newest WINDOW with their JSON; a stream positioned inside it reads from memory, one
 * behind it (a resume from long ago) reads the store itself until it catches up. The store is
 * read only when the app's event signal moved since the last read (the signal moves after every
 * commit, here or, with a store that can watch, in another process), so an idle wake costs no
 * query. Ids become visible in order (the stores guarantee it), so reading after the newest id
 * seen misses nothing. */

#define WINDOW 4096
#define WINDOW_READ 512

typedef struct cached {
    int64_t id;
    char *type, *job_id, *tenant, *json;
} cached;

static struct {
    pthread_mutex_t lock;
    cf_store *store; /* whose events; another store (a test's second app) starts afresh */
    cached *ev;      /* ids ascending */
    size_t n;
    int64_t last_id;  /* the newest id read */
    int64_t floor_id; /* every event with id > floor_id is in the window */
    uint64_t seen_seq;
    bool primed;
} win = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void drop_oldest(size_t k) {
    for (size_t i = 0; i < k; i++) {
        free(win.ev[i].type);
        free(win.ev[i].job_id);
        free(win.ev[i].tenant);
        free(win.ev[i].json);
    }
    if (!k) return;
    win.floor_id = win.ev[k - 1].id;
    memmove(win.ev, win.ev + k, (win.n - k) * sizeof *win.ev);
    win.n -= k;
}

static uint64_t event_seq(cf_app *app) {
    pthread_mutex_lock(&app->event_lock);
    uint64_t s = app->event_seq;
    pthread_mutex_unlock(&app->event_lock);
    return s;
}

/* Brings the window up to the store (caller holds win.lock). */
static cf_err refresh(cf_event_cursor *c, cf_error *err) {
    if (win.store != c->store) {
        drop_oldest(win.n);
        win.store = c->store;
        win.primed = false;
    }
    uint64_t seq = event_seq(c->app);
    if (!win.primed) {
        cf_job_stats st;
        cf_err rc = cf_store_stats(c->store, &st, err);
        if (rc) return rc;
        win.last_id = win.floor_id = st.last_event_id;
        win.primed = true;
    } else if (seq == win.seen_seq) {
        return CF_OK;
    }
    win.seen_seq = seq;
    for (;;) {
        cf_event_record *ev = NULL;
        size_t n = 0;
        cf_err rc = cf_store_events_after(c->store, win.last_id, NULL, NULL, WINDOW_READ, &ev, &n, err);
        if (rc) return rc;
        if (win.n + n > WINDOW) drop_oldest(win.n + n - WINDOW < win.n ? win.n + n - WINDOW : win.n);
        if (!win.ev && !(win.ev = calloc(WINDOW + WINDOW_READ, sizeof *win.ev))) {
            cf_event_records_free(ev, n);
            return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            cached *e = &win.ev[win.n++];
            e->id = ev[i].id;
            e->json = event_json(&ev[i]);
            e->type = ev[i].type, e->job_id = ev[i].job_id, e->tenant = ev[i].tenant;
            ev[i].type = ev[i].job_id = ev[i].tenant = NULL;
            win.last_id = e->id;
        }
        cf_event_records_free(ev, n);
        if (n < WINDOW_READ) return CF_OK;
    }
}

typedef struct picked {
    int64_t id;
    char *type, *json;
} picked;

/* Up to max of the stream's events after its position, copied out of the window; -1 when the
 * position is behind the window (read the store). *scanned_to = the id the scan got to. */
static long pick(cf_event_cursor *c, size_t max, picked *out, int64_t *scanned_to, bool *more,
                 cf_error *err) {
    pthread_mutex_lock(&win.lock);
    long k = 0;
    cf_err rc = refresh(c, err);
    *scanned_to = c->last_id;
    if (rc) k = -2;
    else if (c->last_id < win.floor_id) k = -1;
    size_t lo = 0, hi = win.n;
    while (k == 0 && lo < hi) { /* first event after the position */
        size_t mid = (lo + hi) / 2;
        if (win.ev[mid].id <= c->last_id) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; k >= 0 && i < win.n; i++) {
        const cached *e = &win.ev[i];
        bool mine = c->job_id ? !strcmp(e->job_id, c->job_id) : cf_tenant_is(e->tenant, c->tenant);
        if (mine && (size_t)k == max) {
            *more = true;
            break;
        }
        if (mine && e->json) out[k++] = (picked){e->id, strdup(e->type), strdup(e->json)};
        *scanned_to = e->id;
    }
    pthread_mutex_unlock(&win.lock);
    return rc ? -2 : k;
}

/* From the window: the events picked, handed to sink in order. */
static cf_err next_from_window(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more,
                               bool *behind, cf_error *err) {
    picked *out = calloc(max ? max : 1, sizeof *out);
    if (!out) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    int64_t scanned_to = 0;
    long k = pick(c, max, out, &scanned_to, more, err);
    *behind = k == -1;
    bool stopped = false;
    for (long i = 0; i < k; i++) {
        if (!stopped && out[i].type && out[i].json &&
            sink(ctx, out[i].id, out[i].type, out[i].json, strlen(out[i].json)))
            c->last_id = out[i].id;
        else stopped = true;
        free(out[i].type);
        free(out[i].json);
    }
    free(out);
    if (k >= 0 && !stopped) c->last_id = scanned_to > c->last_id ? scanned_to : c->last_id;
    if (stopped) *more = false;
    return k == -2 ? err->code : CF_OK;
}

cf_err cf_event_cursor_next(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more,
                            cf_error *err) {
    bool behind = true;
    *more = false;
    if (c->app) {
        cf_err rc = next_from_window(c, max, sink, ctx, more, &behind, err);
        if (rc || !behind) return rc;
    }
    /* behind the window: the store, filtered there */
    pthread_mutex_lock(&win.lock);
    int64_t floor = win.store == c->store ? win.floor_id : 0;
    pthread_mutex_unlock(&win.lock);
    cf_event_record *ev = NULL;
    size_t n = 0;
    *more = false;
    cf_err rc = cf_store_events_after(c->store, c->last_id, c->job_id, c->tenant, max, &ev, &n, err);
    if (rc) return rc;
    size_t taken = 0;
    for (; taken < n; taken++) {
        char *json = event_json(&ev[taken]);
        bool ok = json && sink(ctx, ev[taken].id, ev[taken].type, json, strlen(json));
        free(json);
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

/* sse.c — GET /v1/events: Server-Sent Events read from the store's event table through an event
 * cursor (event_feed.c, shared with the WebSocket transport), so a reconnect with Last-Event-ID
 * continues exactly after it (no gap, no duplicate). An idle stream is suspended (it holds no
 * thread). The hub's own thread does the work that grows with the events: a commit only marks
 * the hub (the committing thread, often an HTTP request's, does nothing per stream); the thread
 * then reads the new events into the window once for every stream and resumes the streams, at
 * most once per CLIPFORGE_SSE_BATCH_MS, so that a flood of commits costs each stream one write per turn
 * rather than one per event, and the HTTP threads the streams share with every other request stay free
 * between turns. It also resumes streams whose heartbeat (CLIPFORGE_SSE_HEARTBEAT_MS) is due. The
 * hub owns the WebSocket hub (ws.c) and wakes it after the same read, so both transports serve
 * events from the same window. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/event_feed.h"
#include "api/ws.h"
#include "clipforge/clock.h"
#include "clipforge/log.h"

#define BATCH 64
#define TICK_MS 100

typedef struct stream {
    struct stream *next; /* in hub->suspended, guarded by hub->lock */
    cf_sse_hub *hub;
    struct MHD_Connection *conn;
    cf_event_cursor cursor;
    int64_t last_write_ms;
    char *out; /* formatted bytes not yet handed to MHD */
    size_t out_len, out_pos, out_cap;
    bool suspended;
} stream;

struct cf_sse_hub {
    cf_app *app;
    cf_event_window *win;
    pthread_mutex_t lock; /* guards seq, suspended, pending, closing, stop_feed */
    pthread_cond_t wake;  /* signalled on a commit and to stop */
    uint64_t seq;         /* turns that read events */
    stream *suspended;
    bool pending; /* events were committed since the last turn */
    bool closing, stop_feed, feeding;
    pthread_t feed;
    cf_ws_hub *ws; /* the WebSocket streams, woken with these */
};

/* Resumes suspended streams (all, or those whose heartbeat is due). Caller holds the lock. */
static void resume_locked(cf_sse_hub *hub, bool only_due) {
    int64_t now = cf_clock_ms();
    stream **pp = &hub->suspended;
    while (*pp) {
        stream *s = *pp;
        if (only_due && now - s->last_write_ms < hub->app->cfg.sse_heartbeat_ms) {
            pp = &s->next;
            continue;
        }
        *pp = s->next;
        s->next = NULL;
        s->suspended = false;
        MHD_resume_connection(s->conn);
    }
}

void cf_sse_hub_notify(void *user) {
    cf_sse_hub *hub = user;
    pthread_mutex_lock(&hub->lock);
    hub->pending = true;
    pthread_cond_signal(&hub->wake);
    pthread_mutex_unlock(&hub->lock);
}

cf_ws_hub *cf_sse_hub_ws(cf_sse_hub *hub) {
    return hub ? hub->ws : NULL;
}

cf_event_window *cf_sse_hub_window(cf_sse_hub *hub) {
    return hub ? hub->win : NULL;
}

/* Waits on the hub's condition until ms from now at most (the lock held). */
static void wait_ms(cf_sse_hub *hub, int64_t ms) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&hub->wake, &hub->lock, &ts);
}

/* One turn: the new events into the window (outside the lock: the store may take a while), then
 * every stream of both transports woken. A failed read is tried again at the next tick. */
static void turn(cf_sse_hub *hub) {
    hub->pending = false;
    pthread_mutex_unlock(&hub->lock);
    cf_error err;
    cf_err rc = cf_event_window_refresh(hub->win, &err);
    if (rc) cf_log_warn("sse", "reading new events: %s", err.msg);
    pthread_mutex_lock(&hub->lock);
    if (rc) {
        hub->pending = true;
        return;
    }
    hub->seq++;
    resume_locked(hub, false);
    pthread_mutex_unlock(&hub->lock);
    cf_ws_hub_notify(hub->ws);
    pthread_mutex_lock(&hub->lock);
}

static void *feed_main(void *arg) {
    cf_sse_hub *hub = arg;
    int64_t last_turn = 0, last_tick = 0, batch_ms = hub->app->cfg.sse_batch_ms;
    pthread_mutex_lock(&hub->lock);
    while (!hub->stop_feed) {
        int64_t now = cf_clock_ms();
        if (hub->pending && now - last_turn >= batch_ms) {
            turn(hub);
            last_turn = cf_clock_ms();
            continue;
        }
        if (now - last_tick >= TICK_MS) {
            resume_locked(hub, true);
            last_tick = now;
        }
        int64_t until_tick = last_tick + TICK_MS - now;
        int64_t until_turn = hub->pending ? last_turn + batch_ms - now : until_tick;
        wait_ms(hub, until_turn < until_tick ? until_turn : until_tick);
    }
    pthread_mutex_unlock(&hub->lock);
    return NULL;
}

/* Stops the hub's thread (idempotent). */
static void stop_feed(cf_sse_hub *hub) {
    pthread_mutex_lock(&hub->lock);
    bool feeding = hub->feeding;
    hub->stop_feed = true;
    hub->feeding = false;
    pthread_cond_signal(&hub->wake);
    pthread_mutex_unlock(&hub->lock);
    if (feeding) pthread_join(hub->feed, NULL);
}

static void hub_destroy(cf_sse_hub *hub) {
    pthread_cond_destroy(&hub->wake);
    pthread_mutex_destroy(&hub->lock);
    cf_event_window_free(hub->win);
    free(hub);
}

cf_err cf_sse_hub_start(cf_app *app, cf_sse_hub **out, cf_error *err) {
    cf_sse_hub *hub = calloc(1, sizeof *hub);
    if (!hub) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    hub->app = app;
    pthread_mutex_init(&hub->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&hub->wake, &ca);
    pthread_condattr_destroy(&ca);
    hub->win = cf_event_window_new(app->store);
    if (!hub->win) {
        hub_destroy(hub);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    hub->pending = true; /* the first turn reads where the store is */
    cf_err rc = cf_ws_hub_start(app, &hub->ws, err);
    if (rc) {
        hub_destroy(hub);
        return rc;
    }
    if (pthread_create(&hub->feed, NULL, feed_main, hub) != 0) {
        cf_ws_hub_close(hub->ws);
        cf_ws_hub_free(hub->ws);
        hub_destroy(hub);
        return cf_error_set(err, CF_ERR_INTERNAL, "cannot start the event stream thread");
    }
    hub->feeding = true;
    *out = hub;
    return CF_OK;
}

void cf_sse_hub_close(cf_sse_hub *hub) {
    if (!hub) return;
    stop_feed(hub);
    pthread_mutex_lock(&hub->lock);
    hub->closing = true;
    resume_locked(hub, false);
    pthread_mutex_unlock(&hub->lock);
    cf_ws_hub_close(hub->ws);
}

void cf_sse_hub_free(cf_sse_hub *hub) {
    if (!hub) return;
    stop_feed(hub);
    cf_ws_hub_free(hub->ws);
    hub_destroy(hub);
}

static bool append(stream *s, const char *text, size_t len) {
    if (s->out_len + len > s->out_cap) {
        size_t cap = (s->out_len + len) * 2;
        char *grown = realloc(s->out, cap);
        if (!grown) return false;
        s->out = grown;
        s->out_cap = cap;
    }
    memcpy(s->out + s->out_len, text, len);
    s->out_len += len;
    return true;
}

static bool put_event(void *ctx, const cf_event_text *ev) {
    return append(ctx, ev->sse, ev->sse_len);
}

/* Formats the events after the cursor into out; false on a store error. */
static bool fetch(stream *s) {
    cf_error err;
    bool more;
    if (cf_event_cursor_next(&s->cursor, BATCH, put_event, s, &more, &err)) {
        cf_log_warn("sse", "%s", err.msg);
        return false;
    }
    return true;
}

static ssize_t give(stream *s, char *buf, size_t max) {
    size_t n = s->out_len - s->out_pos;
    if (n > max) n = max;
    memcpy(buf, s->out + s->out_pos, n);
    s->out_pos += n;
    if (s->out_pos == s->out_len) s->out_pos = s->out_len = 0;
    s->last_write_ms = cf_clock_ms();
    return (ssize_t)n;
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    stream *s = cls;
    cf_sse_hub *hub = s->hub;
    for (;;) {
        if (s->out_len > s->out_pos) return give(s, buf, max);
        pthread_mutex_lock(&hub->lock);
        bool closing = hub->closing;
        uint64_t seen = hub->seq;
        pthread_mutex_unlock(&hub->lock);
        if (closing) return MHD_CONTENT_READER_END_OF_STREAM;
        if (!fetch(s)) return MHD_CONTENT_READER_END_WITH_ERROR;
        if (s->out_len > s->out_pos) continue;
        if (cf_clock_ms() - s->last_write_ms >= hub->app->cfg.sse_heartbeat_ms) {
            append(s, ": heartbeat\n\n", 13);
            continue;
        }
        pthread_mutex_lock(&hub->lock);
        if (hub->seq != seen || hub->closing) { /* something happened meanwhile: look again */
            pthread_mutex_unlock(&hub->lock);
            continue;
        }
        s->suspended = true;
        s->next = hub->suspended;
        hub->suspended = s;
        MHD_suspend_connection(s->conn);
        pthread_mutex_unlock(&hub->lock);
        return 0;
    }
}

static void free_stream(void *cls) {
    stream *s = cls;
    cf_sse_hub *hub = s->hub;
    pthread_mutex_lock(&hub->lock);
    for (stream **pp = &hub->suspended; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    pthread_mutex_unlock(&hub->lock);
    cf_event_cursor_free(&s->cursor);
    free(s->out);
    free(s);
}

enum MHD_Result cf_api_events(cf_http_request *req) {
    stream *s = calloc(1, sizeof *s);
    if (!s) return cf_http_reply_problem(req, "internal", "out of memory");
    cf_error err;
    if (cf_event_cursor_init(&s->cursor, req, &err)) {
        cf_event_cursor_free(&s->cursor);
        free(s);
        return cf_http_reply_error(req, &err);
    }
    s->hub = cf_http_server_hub(req->server);
    s->conn = req->conn;
    s->last_write_ms = cf_clock_ms();
    append(s, "retry: 2000\n\n", 13);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, read_stream, s, free_stream);
    if (!r) {
        free_stream(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return cf_http_reply(req, 200, r);
}

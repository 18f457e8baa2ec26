/* sse.c — GET /v1/events: Server-Sent Events read from the store's event table through an event
 * cursor (event_feed.c, shared with the WebSocket transport), so a reconnect with Last-Event-ID
 * continues exactly after it (no gap, no duplicate). Once its request is read and checked, a
 * stream is handed to the stream hub (ws.c), whose thread writes the answer and the events to
 * the socket itself: no HTTP thread writes streams, so requests never wait behind them. This hub's
 * own thread does the work that grows with the events: a commit only marks the hub (the
 * committing thread, often an HTTP request's, does nothing per stream); the thread then reads the
 * new events into the window once for every stream and wakes the stream hub, at most once per
 * CLIPFORGE_SSE_BATCH_MS, so that a flood of commits costs each stream one write per turn rather
 * than one per event. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/event_feed.h"
#include "api/ws.h"
#include "clipforge/clock.h"
#include "clipforge/log.h"

struct cf_sse_hub {
    cf_app *app;
    cf_event_window *win;
    pthread_mutex_t lock; /* guards pending, stop_feed */
    pthread_cond_t wake;  /* signalled on a commit and to stop */
    bool pending;         /* events were committed since the last turn */
    bool stop_feed, feeding;
    pthread_t feed;
    cf_ws_hub *ws; /* the streams of both transports, woken after each turn */
};

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
 * every stream woken. A failed read is tried again at the next turn. */
static void turn(cf_sse_hub *hub) {
    hub->pending = false;
    pthread_mutex_unlock(&hub->lock);
    /* With no stream open nobody reads the window: a flood of submissions then costs no event
     * formatting (about a tenth of the server's CPU under it). A stream counts before it reads,
     * so one that opens meanwhile reads the store, then the window from the next turn on. */
    if (!cf_ws_hub_streams(hub->ws)) {
        cf_event_window_forget(hub->win);
        pthread_mutex_lock(&hub->lock);
        return;
    }
    cf_error err;
    cf_err rc = cf_event_window_refresh(hub->win, &err);
    if (rc) cf_log_warn("sse", "reading new events: %s", err.msg);
    else cf_ws_hub_notify(hub->ws);
    pthread_mutex_lock(&hub->lock);
    if (rc) hub->pending = true;
}

static void *feed_main(void *arg) {
    cf_sse_hub *hub = arg;
    pthread_setname_np(pthread_self(), "cf-events");
    int64_t last_turn = 0, batch_ms = hub->app->cfg.sse_batch_ms;
    pthread_mutex_lock(&hub->lock);
    while (!hub->stop_feed) {
        int64_t now = cf_clock_ms();
        if (hub->pending && now - last_turn >= batch_ms) {
            turn(hub);
            last_turn = cf_clock_ms();
            continue;
        }
        if (hub->pending) wait_ms(hub, last_turn + batch_ms - now);
        else pthread_cond_wait(&hub->wake, &hub->lock);
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
    hub->win = cf_event_window_new(app->store, (size_t)app->cfg.event_window);
    if (!hub->win) {
        hub_destroy(hub);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    hub->pending = true; /* the first turn reads where the store is */
    cf_err rc = cf_ws_hub_start(app, hub->win, &hub->ws, err);
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
    cf_ws_hub_close(hub->ws);
}

void cf_sse_hub_free(cf_sse_hub *hub) {
    if (!hub) return;
    stop_feed(hub);
    cf_ws_hub_free(hub->ws);
    hub_destroy(hub);
}

/* The status line and headers of a stream's answer, and its first field (the client's reconnect
 * delay), written by the stream hub; NULL when out of memory. */
static char *stream_head(cf_http_request *req, size_t *len) {
    const char *origin = cf_http_allowed_origin(req);
    char *head = NULL;
    int n =
        asprintf(&head,
                 "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                 "Connection: close\r\n%s%s%s%s\r\nretry: 2000\n\n",
                 origin ? "Access-Control-Allow-Origin: " : "", origin ? origin : "",
                 origin ? "\r\nAccess-Control-Expose-Headers: " CF_HTTP_CORS_EXPOSE "\r\nVary: Origin" : "",
                 origin ? "\r\n" : "");
    if (n < 0) return NULL;
    *len = (size_t)n;
    return head;
}

static char handed_over; /* req->state of a stream the hub took */

enum MHD_Result cf_api_events(cf_http_request *req) {
    if (req->state == &handed_over) return MHD_NO; /* resumed by the hub: the stream is over */
    cf_ws_hub *hub = cf_sse_hub_ws(cf_http_server_hub(req->server));
    if (!hub) return cf_http_reply_problem(req, "not-found", "no event stream here");
    cf_event_cursor cursor;
    cf_error err;
    if (cf_event_cursor_init(&cursor, req, &err)) {
        cf_event_cursor_free(&cursor);
        return cf_http_reply_error(req, &err);
    }
    if (!strcmp(req->method, "HEAD")) {
        cf_event_cursor_free(&cursor);
        return cf_http_reply_text(req, 200, "text/event-stream", "", 0);
    }
    size_t len = 0;
    char *head = stream_head(req, &len);
    bool taken = head && cf_ws_hub_add_sse(hub, req->conn, &cursor, head, len);
    free(head);
    if (!taken) {
        cf_event_cursor_free(&cursor);
        return cf_http_reply_problem(req, "internal", "out of memory");
    }
    req->state = &handed_over;
    req->status = 200; /* answered by the hub, counted when the stream ends */
    return MHD_YES;
}

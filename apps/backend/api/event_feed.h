/* event_feed.h — the one event stream behind both transports of /v1/events (Server-Sent Events in
 * sse.c, WebSocket in ws.c): where a stream starts and the events after it, each as the JSON of
 * the generated Event type, and the window of recent events that every stream reads from memory. */
#ifndef CLIPFORGE_EVENT_FEED_H
#define CLIPFORGE_EVENT_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"

/* The newest events of one store, each formatted once for every stream: one reader (the SSE
 * hub's thread) brings it up to the store, any number of streams read it at once. Streams behind
 * it share runs of older events read from the store, a bounded number per pass of the stream hub
 * (cf_event_window_pass), those that have waited longest first. */
typedef struct cf_event_window cf_event_window;

/* A window of the newest capacity events on store (NULL when out of memory); freed with
 * cf_event_window_free (NULL-safe). */
cf_event_window *cf_event_window_new(cf_store *store, size_t capacity);
void cf_event_window_free(cf_event_window *w);
/* A new pass of the stream hub over its streams: reads the runs that the streams which have
 * waited longest behind the window asked for in the pass before (each run then shared by every
 * stream near its position). A store error is returned, and given to the streams that wait for
 * a run during this pass. The thread of the streams calls it. */
cf_err cf_event_window_pass(cf_event_window *w, cf_error *err);
/* How many runs streams behind the window have read from the store (for tests and metrics). */
uint64_t cf_event_window_store_reads(cf_event_window *w);

/* The window of the server's SSE hub (sse.c); NULL without one. */
cf_event_window *cf_sse_hub_window(cf_sse_hub *hub);

/* Reads the events committed since the last call (one query for all streams, run outside the
 * window's lock so that streams never wait for the store). One thread at a time calls it. */
cf_err cf_event_window_refresh(cf_event_window *w, cf_error *err);
/* Empties the window (and its runs) when no stream reads it, so that commits cost no formatting
 * for nobody: the next cf_event_window_refresh starts it again at the store's newest event, and a
 * stream behind that reads runs from the store until it reaches it (as a resume from long ago
 * does). Same thread as cf_event_window_refresh. */
void cf_event_window_forget(cf_event_window *w);

/* A stream's position: the last event id it delivered and its filter. */
typedef struct cf_event_cursor {
    cf_store *store;
    cf_event_window *win;           /* the server's window, or NULL: every read goes to the store */
    char *job_id;                   /* ?job_id= filter, or NULL; owned */
    char tenant[CF_TENANT_MAX + 1]; /* the caller's: only its jobs' events */
    int64_t last_id;
    uint64_t waiting; /* behind the window: the pass it began to wait for a run in (0: not waiting) */
} cf_event_cursor;

/* Reads where a request's stream starts: after Last-Event-ID (the header, or ?last_event_id=);
 * without one, at the job's first event with ?job_id=, else at the newest event (only what
 * happens next). Returns CF_ERR_INVALID_ARGUMENT for an id that is not one, CF_ERR_NOT_FOUND for a
 * job_id that is not the caller's tenant's, CF_ERR_NO_MEMORY;
 * on success the caller frees c with cf_event_cursor_free. */
cf_err cf_event_cursor_init(cf_event_cursor *c, cf_http_request *req, cf_error *err);
void cf_event_cursor_free(cf_event_cursor *c);

/* One event as the transports send it: its Event JSON (compact, one line, not NUL-terminated)
 * and the whole Server-Sent Events message ("id: ...\nevent: ...\ndata: JSON\n\n"). */
typedef struct cf_event_text {
    int64_t id;
    const char *type;
    const char *json;
    size_t json_len;
    const char *sse;
    size_t sse_len;
} cf_event_text;

/* Takes one event; returns false to stop (the cursor then stays before that event). It may run
 * under the window's read lock: it copies what it needs and neither blocks nor reads the feed. */
typedef bool (*cf_event_sink)(void *ctx, const cf_event_text *ev);

/* Passes up to max events after the cursor to sink, in order, and advances past each one it
 * took. *more is true when there may be more now: max events were read, or the cursor is behind
 * the window (it may then have passed none, when no run holds its position yet: it waits in line
 * and the next pass reads its run). With a window, a cursor never reads the store itself; a
 * store error of the pass is returned. */
cf_err cf_event_cursor_next(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more,
                            cf_error *err);

#endif

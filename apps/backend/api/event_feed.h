/* event_feed.h — the one event stream behind both transports of /v1/events (Server-Sent Events in
 * sse.c, WebSocket in ws.c): where a stream starts and the events after it, each as the JSON of
 * the generated Event type. */
#ifndef CLIPFORGE_EVENT_FEED_H
#define CLIPFORGE_EVENT_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"

/* A stream's position: the last event id it delivered and its filter. */
typedef struct cf_event_cursor {
    cf_store *store;
    cf_app *app;                    /* its event signal tells when the store may hold new events */
    char *job_id;                   /* ?job_id= filter, or NULL; owned */
    char tenant[CF_TENANT_MAX + 1]; /* the caller's: only its jobs' events */
    int64_t last_id;
} cf_event_cursor;

/* Reads where a request's stream starts: after Last-Event-ID (the header, or ?last_event_id=);
 * without one, at the job's first event with ?job_id=, else at the newest event (only what
 * happens next). Returns CF_ERR_INVALID_ARGUMENT for an id that is not one, CF_ERR_NOT_FOUND for a
 * job_id that is not the caller's tenant's, CF_ERR_NO_MEMORY;
 * on success the caller frees c with cf_event_cursor_free. */
cf_err cf_event_cursor_init(cf_event_cursor *c, cf_http_request *req, cf_error *err);
void cf_event_cursor_free(cf_event_cursor *c);

/* Takes one event: its id, type and Event JSON (compact, one line). Returns false to stop; the
 * cursor then stays before that event. */
typedef bool (*cf_event_sink)(void *ctx, int64_t id, const char *type, const char *json, size_t len);

/* Passes up to max events after the cursor to sink, in order, and advances past each one it
 * took. *more is true when max events were read (there may be more). Store errors are returned. */
cf_err cf_event_cursor_next(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more,
                            cf_error *err);

#endif

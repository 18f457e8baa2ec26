/* ws.h — the stream hub and GET /v1/events/ws: the event stream over WebSocket (RFC 6455 through
 * libmicrohttpd's upgrade). The hub owns every upgraded connection and every Server-Sent Events
 * stream handed to it, and one thread that serves them all. */
#ifndef CLIPFORGE_WS_H
#define CLIPFORGE_WS_H

#include "api/api.h"
#include "api/event_feed.h"

typedef struct cf_ws_hub cf_ws_hub;

/* Starts the hub's thread, whose streams read win (NULL: none; the caller keeps it and frees it
 * after the hub); the caller frees the hub with cf_ws_hub_free. */
cf_err cf_ws_hub_start(cf_app *app, cf_event_window *win, cf_ws_hub **out, cf_error *err);
/* An event was committed: every stream reads what follows its cursor. NULL-safe. */
void cf_ws_hub_notify(cf_ws_hub *hub);
/* Streams (either transport) that exist now: made and not yet freed, whether the hub's thread
 * has taken them or not. A stream is counted before it reads its first events. NULL-safe. */
size_t cf_ws_hub_streams(cf_ws_hub *hub);
/* Closes every connection (1001, going away) and stops the thread; the daemon can stop after
 * it. Connections upgraded later are closed at once. NULL-safe. */
void cf_ws_hub_close(cf_ws_hub *hub);
void cf_ws_hub_free(cf_ws_hub *hub);

/* Takes over the Server-Sent Events stream of request mhd (sse.c): suspends it, so that
 * libmicrohttpd leaves its socket alone, and writes head (the status line and headers, already
 * formatted) and then the events after cursor (moved into the hub) to the socket itself. When
 * the client goes or the hub closes, the request is resumed: its handler must then end it
 * (MHD_NO), and libmicrohttpd closes the socket. False when out of memory (nothing taken, not
 * suspended). */
bool cf_ws_hub_add_sse(cf_ws_hub *hub, struct MHD_Connection *mhd, cf_event_cursor *cursor, const char *head,
                       size_t head_len);

/* The WebSocket hub the SSE hub carries (sse.c). */
cf_ws_hub *cf_sse_hub_ws(cf_sse_hub *hub);

/* The Sec-WebSocket-Accept value for a client's key: base64(SHA-1(key + the RFC's GUID)) into
 * out (at least 29 bytes). False when the key is not the base64 of 16 bytes. */
bool cf_ws_accept_key(const char *key, char *out, size_t cap);

#endif

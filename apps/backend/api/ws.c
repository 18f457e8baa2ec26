/* ws.c — the stream hub, and GET /v1/events/ws: the event stream of /v1/events over WebSocket
 * (RFC 6455). The handshake is checked here and answered with libmicrohttpd's upgrade; the upgraded
 * sockets then belong to the hub, whose one thread polls them all. The Server-Sent Events streams
 * of GET /v1/events (sse.c) are handed to the same thread once their request is read: it writes
 * their answer and events to the socket itself (no HTTP thread writes a stream), reading each
 * stream's next batch only when its socket has taken the last one, so a slow reader holds one
 * batch and its own socket's buffer and never delays the others; a heartbeat comment goes to an
 * SSE stream idle for CLIPFORGE_SSE_HEARTBEAT_MS. Each connection reads the store's events
 * through its own cursor (event_feed.c, the same one SSE uses) and sends each Event as one text
 * frame; ?last_event_id=N resumes after N like SSE's Last-Event-ID. The hub pings every client
 * each CLIPFORGE_SSE_HEARTBEAT_MS and closes one that has not answered by the next ping, answers
 * the client's pings, and closes a client whose message passes CLIPFORGE_WS_MAX_FRAME_BYTES (1009)
 * or breaks the framing (1002), or sends text that is not UTF-8 (1007). Backpressure: a client that does not
 * read is dropped once the bytes waiting for it pass CLIPFORGE_WS_MAX_BUFFER_BYTES; the others go on. What
 * clients send besides control frames is read and ignored. */
#include "api/ws.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api/event_feed.h"
#include "api/ws_frame.h"
#include "clipforge/clock.h"
#include "clipforge/log.h"

#define BATCH 64
#define FETCH_ROUNDS 8 /* batches per connection per turn, so one catch-up does not starve the rest */
#define TICK_MS 100
#define READS_PER_TURN 16
#define CLOSE_WAIT_MS 1000 /* after our close frame, how long the client has to close its side */

typedef struct conn {
    struct conn *next;
    cf_ws_hub *hub;
    MHD_socket fd;
    struct MHD_UpgradeResponseHandle *urh; /* WebSocket: closes the upgraded socket */
    struct MHD_Connection *sse;            /* SSE: the suspended request, resumed to close the socket */
    cf_event_cursor cursor;
    cf_ws_message msg;
    uint8_t *in; /* received bytes not yet parsed */
    size_t in_len, in_cap;
    uint8_t *out; /* frames not yet sent */
    size_t out_len, out_pos, out_cap;
    bool want_events;  /* events may follow the cursor */
    bool ping_pending; /* a ping went and its pong has not come */
    int64_t ping_at;   /* SSE: when bytes were last queued (a heartbeat is due after the interval) */
    int64_t close_at;  /* when our close frame was queued (0: not yet) */
    bool broken;       /* the client broke the framing: its further bytes are discarded */
    bool shut;         /* our side is shut down after the close frame */
    bool dead;
} conn;

struct cf_ws_hub {
    cf_app *app;
    cf_event_window *win; /* the events every stream reads, or NULL */
    int wake[2];          /* a pipe: a byte wakes the thread */
    pthread_mutex_t lock; /* guards incoming, seq, closing */
    conn *incoming;       /* upgraded, not yet taken by the thread */
    uint64_t seq;         /* events committed */
    bool closing;
    bool running; /* the thread runs and has not been joined */
    pthread_t thread;
    conn *active;          /* the thread's own */
    atomic_size_t streams; /* connections made and not yet freed (cf_ws_hub_streams) */
};

/* ---- output ---- */

static bool out_append(conn *c, const void *data, size_t len) {
    if (c->out_pos && c->out_pos == c->out_len) c->out_pos = c->out_len = 0;
    if (c->out_len + len > c->out_cap) {
        size_t cap = (c->out_len + len) * 2;
        uint8_t *grown = realloc(c->out, cap);
        if (!grown) return false;
        c->out = grown;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return true;
}

static bool queue_frame(conn *c, int opcode, const void *payload, size_t len) {
    uint8_t hdr[10];
    size_t hl = cf_ws_frame_header(hdr, opcode, len);
    return out_append(c, hdr, hl) && out_append(c, payload, len);
}

static size_t unsent(const conn *c) {
    return c->out_len - c->out_pos;
}

/* Queues our close frame once; the connection then only finishes the close handshake. An SSE
 * stream has no close frame: it ends at once. */
static void queue_close(conn *c, int code, const char *reason) {
    if (c->sse) c->dead = true;
    if (c->close_at || c->sse) return;
    uint8_t body[2 + CF_WS_MAX_CONTROL];
    size_t n = strlen(reason);
    if (n > CF_WS_MAX_CONTROL - 2) n = CF_WS_MAX_CONTROL - 2;
    body[0] = (uint8_t)(code >> 8);
    body[1] = (uint8_t)code;
    memcpy(body + 2, reason, n);
    if (!queue_frame(c, CF_WS_CLOSE, body, 2 + n)) c->dead = true;
    c->close_at = cf_clock_ms();
    c->want_events = false;
}

/* Sends what the socket takes now. */
static void flush(conn *c) {
    while (!c->dead && unsent(c)) {
        ssize_t n = send(c->fd, c->out + c->out_pos, unsent(c), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) c->dead = true;
            return;
        }
        c->out_pos += (size_t)n;
    }
}

/* ---- events ---- */

static bool put_event(void *ctx, const cf_event_text *ev) {
    conn *c = ctx;
    return c->sse ? out_append(c, ev->sse, ev->sse_len) : queue_frame(c, CF_WS_TEXT, ev->json, ev->json_len);
}

/* Sends the events after the cursor. A WebSocket client that lets them pile up past the bound is
 * dropped (no close frame: it would only wait behind the rest); it can reconnect with the last id
 * it got. An SSE stream reads its next batch only when its socket has taken the last one (the
 * cursor waits; it catches up from the store once it falls behind the window). */
static void pump(conn *c) {
    size_t bound = (size_t)c->hub->app->cfg.ws_max_buffer_bytes;
    for (int round = 0; round < FETCH_ROUNDS && c->want_events && !c->close_at && !c->dead; round++) {
        if (c->sse && unsent(c)) break;
        cf_error err;
        bool more = false;
        if (cf_event_cursor_next(&c->cursor, BATCH, put_event, c, &more, &err)) {
            cf_log_warn("ws", "%s", err.msg);
            queue_close(c, CF_WS_CLOSE_INTERNAL, "event store unavailable");
            break;
        }
        c->want_events = more;
        if (c->sse && unsent(c)) c->ping_at = cf_clock_ms();
        flush(c);
        if (!c->sse && unsent(c) > bound) {
            cf_log_warn("ws", "dropping a client that does not read: %zu bytes unsent", unsent(c));
            c->dead = true;
            return;
        }
    }
    flush(c);
}

/* ---- input ---- */

static void on_frame(conn *c, const cf_ws_frame *f) {
    if (f->opcode == CF_WS_PING && !c->close_at) {
        if (!queue_frame(c, CF_WS_PONG, f->payload, f->len)) c->dead = true;
    } else if (f->opcode == CF_WS_PONG) {
        c->ping_pending = false;
    } else if (f->opcode == CF_WS_CLOSE && !c->close_at) {
        /* Echo the client's status code, as the close handshake asks (RFC 6455 section 5.5.1). */
        if (!queue_frame(c, CF_WS_CLOSE, f->payload, f->len >= 2 ? 2 : 0)) c->dead = true;
        c->close_at = cf_clock_ms();
        c->want_events = false;
    }
}

/* The client broke the protocol: close with code and discard what it sends after. */
static void fail(conn *c, int code) {
    queue_close(c, code,
                code == CF_WS_CLOSE_TOO_BIG        ? "message too big"
                : code == CF_WS_CLOSE_INVALID_DATA ? "text is not UTF-8"
                                                   : "protocol error");
    c->broken = true;
    c->in_len = 0;
}

static void take_frames(conn *c) {
    size_t pos = 0, max = (size_t)c->hub->app->cfg.ws_max_frame_bytes;
    while (!c->dead && !c->broken) {
        cf_ws_frame f;
        long r = cf_ws_frame_parse(c->in + pos, c->in_len - pos, max, &f);
        if (r == 0) break;
        int code = r < 0 ? (int)-r : cf_ws_message_take(&c->msg, &f, max);
        if (code) {
            fail(c, code);
            return;
        }
        pos += (size_t)r;
        on_frame(c, &f);
    }
    memmove(c->in, c->in + pos, c->in_len - pos);
    c->in_len -= pos;
}

/* Reads what has come, a bounded amount per turn so that a client that sends without pause
 * cannot keep the thread from the others (or from sending its close frame). */
static void read_input(conn *c) {
    for (int turn = 0; turn < READS_PER_TURN && !c->dead; turn++) {
        uint8_t scratch[4096];
        bool discard = c->broken || c->in_len == c->in_cap;
        uint8_t *to = discard ? scratch : c->in + c->in_len;
        size_t room = discard ? sizeof scratch : c->in_cap - c->in_len;
        ssize_t n = recv(c->fd, to, room, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) c->dead = true;
            return;
        }
        if (n == 0) { /* the client closed its side */
            c->dead = true;
            return;
        }
        if (discard) continue;
        c->in_len += (size_t)n;
        take_frames(c);
    }
}

/* ---- timers ---- */

static void tick(conn *c, int64_t now) {
    int64_t every = c->hub->app->cfg.sse_heartbeat_ms;
    if (c->sse) {
        if (now - c->ping_at < every || unsent(c)) return;
        if (!out_append(c, ": heartbeat\n\n", 13)) c->dead = true;
        c->ping_at = now;
        return;
    }
    if (c->close_at) {
        if (!unsent(c) && !c->shut) {
            shutdown(c->fd, SHUT_WR); /* our half is done; reading on until the client closes */
            c->shut = true;
        }
        if (now - c->close_at > CLOSE_WAIT_MS) c->dead = true;
        return;
    }
    if (now - c->ping_at < every) return;
    if (c->ping_pending) {
        cf_log_info("ws", "closing a client that did not answer a ping");
        queue_close(c, CF_WS_CLOSE_GOING_AWAY, "no pong");
        return;
    }
    if (!queue_frame(c, CF_WS_PING, "keepalive", 9)) c->dead = true;
    c->ping_pending = true;
    c->ping_at = now;
}

/* ---- connections ---- */

static void conn_free(conn *c) {
    if (!c) return;
    atomic_fetch_sub(&c->hub->streams, 1);
    if (c->urh) MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
    if (c->sse) MHD_resume_connection(c->sse); /* its handler ends the request; MHD closes the socket */
    cf_event_cursor_free(&c->cursor);
    free(c->in);
    free(c->out);
    free(c);
}

/* A connection on socket fd; in_cap bytes of input kept for parsing (0: what the client sends is
 * read and dropped, as on an SSE stream), extra what came before. */
static conn *conn_new(cf_ws_hub *hub, MHD_socket fd, size_t in_cap, const char *extra, size_t extra_len) {
    conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->hub = hub;
    c->fd = fd;
    c->in_cap = extra_len > in_cap ? extra_len : in_cap;
    c->in = c->in_cap ? malloc(c->in_cap) : NULL;
    if (c->in_cap && !c->in) {
        free(c);
        return NULL;
    }
    atomic_fetch_add(&hub->streams, 1); /* conn_free counts it out */
    if (extra_len) memcpy(c->in, extra, extra_len);
    c->in_len = extra_len;
    c->want_events = true;
    c->ping_at = cf_clock_ms();
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    /* The kernel's send buffer grows to megabytes on its own; held to the same bound, what a
     * stalled client costs stays near twice the bound and the drop comes when it should. */
    int sndbuf = (int)hub->app->cfg.ws_max_buffer_bytes;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    return c;
}

/* Takes the newly upgraded connections; wakes every stream when events were committed. */
static bool adopt(cf_ws_hub *hub, uint64_t *seen) {
    pthread_mutex_lock(&hub->lock);
    bool closing = hub->closing;
    conn *fresh = hub->incoming;
    hub->incoming = NULL;
    bool news = hub->seq != *seen;
    *seen = hub->seq;
    pthread_mutex_unlock(&hub->lock);
    if (news)
        for (conn *c = hub->active; c; c = c->next) c->want_events = true;
    while (fresh) {
        conn *c = fresh;
        fresh = c->next;
        c->next = hub->active;
        hub->active = c;
        if (!c->sse) take_frames(c); /* what the client sent along with its handshake */
    }
    return !closing;
}

/* Runs the timers and sends; frees the dead. Returns whether a stream has events waiting. */
static bool serve_all(cf_ws_hub *hub) {
    int64_t now = cf_clock_ms();
    bool busy = false;
    cf_error err;
    if (hub->win && cf_event_window_pass(hub->win, &err))
        cf_log_warn("ws", "reading older events for streams behind: %s", err.msg);
    for (conn **pp = &hub->active; *pp;) {
        conn *c = *pp;
        tick(c, now);
        pump(c);
        if (c->dead) {
            *pp = c->next;
            conn_free(c);
            continue;
        }
        busy = busy || (c->want_events && !unsent(c));
        pp = &c->next;
    }
    return busy;
}

static void poll_all(cf_ws_hub *hub, struct pollfd **fds, size_t *cap, bool busy) {
    size_t n = 1;
    for (conn *c = hub->active; c; c = c->next) n++;
    if (n > *cap) {
        struct pollfd *grown = realloc(*fds, n * sizeof **fds);
        if (!grown) return; /* try again next turn */
        *fds = grown;
        *cap = n;
    }
    struct pollfd *f = *fds;
    f[0] = (struct pollfd){.fd = hub->wake[0], .events = POLLIN};
    size_t i = 1;
    for (conn *c = hub->active; c; c = c->next, i++)
        f[i] = (struct pollfd){.fd = c->fd, .events = (short)(POLLIN | (unsent(c) ? POLLOUT : 0))};
    if (poll(f, n, busy ? 0 : TICK_MS) <= 0) return;
    if (f[0].revents & POLLIN) {
        char drain[64];
        while (read(hub->wake[0], drain, sizeof drain) > 0) {
        }
    }
    i = 1;
    for (conn *c = hub->active; c; c = c->next, i++)
        if (f[i].revents & (POLLIN | POLLHUP | POLLERR)) read_input(c);
}

/* Lowers the calling thread's scheduling priority by CLIPFORGE_STREAMS_NICE (Linux: a nice value
 * is a thread's own). Streams are bulk: a request waiting for a CPU should not wait behind them. */
static void lower_priority(const cf_ws_hub *hub) {
    id_t tid = (id_t)syscall(SYS_gettid);
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, tid);
    if (errno || !hub->app->cfg.streams_nice) return;
    if (setpriority(PRIO_PROCESS, tid, nice + (int)hub->app->cfg.streams_nice) != 0)
        cf_log_warn("ws", "cannot lower the stream hub's priority: %s", strerror(errno));
}

static void *hub_main(void *arg) {
    cf_ws_hub *hub = arg;
    pthread_setname_np(pthread_self(), "cf-streams");
    lower_priority(hub);
    uint64_t seen = 0;
    struct pollfd *fds = NULL;
    size_t cap = 0;
    while (adopt(hub, &seen)) poll_all(hub, &fds, &cap, serve_all(hub));
    free(fds);
    while (hub->active) { /* stopping: tell each client, as far as its socket takes it now */
        conn *c = hub->active;
        hub->active = c->next;
        queue_close(c, CF_WS_CLOSE_GOING_AWAY, "server stopping");
        flush(c);
        conn_free(c);
    }
    return NULL;
}

static void wake(cf_ws_hub *hub) {
    char b = 1;
    if (write(hub->wake[1], &b, 1) < 0) { /* full: the thread is waking anyway */
    }
}

cf_err cf_ws_hub_start(cf_app *app, cf_event_window *win, cf_ws_hub **out, cf_error *err) {
    cf_ws_hub *hub = calloc(1, sizeof *hub);
    if (!hub) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    hub->app = app;
    hub->win = win;
    if (pipe2(hub->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        free(hub);
        return cf_error_set(err, CF_ERR_INTERNAL, "cannot create the WebSocket hub's pipe: %s",
                            strerror(errno));
    }
    pthread_mutex_init(&hub->lock, NULL);
    if (pthread_create(&hub->thread, NULL, hub_main, hub) != 0) {
        close(hub->wake[0]);
        close(hub->wake[1]);
        pthread_mutex_destroy(&hub->lock);
        free(hub);
        return cf_error_set(err, CF_ERR_INTERNAL, "cannot start the WebSocket hub");
    }
    hub->running = true;
    *out = hub;
    return CF_OK;
}

void cf_ws_hub_notify(cf_ws_hub *hub) {
    if (!hub) return;
    pthread_mutex_lock(&hub->lock);
    hub->seq++;
    pthread_mutex_unlock(&hub->lock);
    wake(hub);
}

size_t cf_ws_hub_streams(cf_ws_hub *hub) {
    return hub ? atomic_load(&hub->streams) : 0;
}

void cf_ws_hub_close(cf_ws_hub *hub) {
    if (!hub || !hub->running) return;
    pthread_mutex_lock(&hub->lock);
    hub->closing = true;
    pthread_mutex_unlock(&hub->lock);
    wake(hub);
    pthread_join(hub->thread, NULL);
    hub->running = false;
    while (hub->incoming) { /* upgraded while the thread stopped */
        conn *c = hub->incoming;
        hub->incoming = c->next;
        conn_free(c);
    }
}

void cf_ws_hub_free(cf_ws_hub *hub) {
    if (!hub) return;
    cf_ws_hub_close(hub);
    close(hub->wake[0]);
    close(hub->wake[1]);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

/* ---- the handshake ---- */

bool cf_ws_accept_key(const char *key, char *out, size_t cap) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    /* 16 bytes in base64: 22 characters and "==". */
    if (cap < 29 || strlen(key) != 24 || strspn(key, alphabet) != 22 || strcmp(key + 22, "==")) return false;
    char joined[24 + sizeof guid];
    memcpy(joined, key, 24);
    memcpy(joined + 24, guid, sizeof guid);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!EVP_Digest(joined, strlen(joined), md, &md_len, EVP_sha1(), NULL) || md_len != 20) return false;
    EVP_EncodeBlock((unsigned char *)out, md, 20);
    return true;
}

/* Whether a comma-separated header value holds token (case-insensitive). */
static bool has_token(const char *list, const char *token) {
    size_t n = strlen(token);
    for (const char *p = list; p && *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, ",");
        size_t l = len;
        while (l && (p[l - 1] == ' ' || p[l - 1] == '\t')) l--;
        if (l == n && !strncasecmp(p, token, n)) return true;
        p += len;
    }
    return false;
}

/* 426 with the headers that say what to upgrade to (RFC 9110 section 15.5.22, RFC 6455 4.4). */
static enum MHD_Result reply_upgrade_required(cf_http_request *req, const char *detail) {
    struct MHD_Response *r = cf_http_problem_response("upgrade-required", detail);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(r, "Sec-WebSocket-Version", "13");
    return cf_http_reply(req, MHD_HTTP_UPGRADE_REQUIRED, r);
}

/* What the request's handler hands the upgrade: the hub and the stream's cursor. */
typedef struct pending {
    cf_ws_hub *hub;
    cf_event_cursor cursor; /* moved into the connection at the upgrade */
} pending;

static void free_pending(void *state) {
    pending *p = state;
    if (!p) return;
    cf_event_cursor_free(&p->cursor);
    free(p);
}

/* Gives c to the hub's thread (or frees it when the hub is closing). */
static void hand_over(cf_ws_hub *hub, conn *c) {
    pthread_mutex_lock(&hub->lock);
    bool closing = hub->closing;
    if (!closing) {
        c->next = hub->incoming;
        hub->incoming = c;
    }
    pthread_mutex_unlock(&hub->lock);
    if (closing) conn_free(c);
    else wake(hub);
}

static void on_upgrade(void *cls, struct MHD_Connection *connection, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh) {
    (void)connection;
    (void)con_cls;
    pending *p = cls;
    cf_ws_hub *hub = p->hub;
    conn *c = conn_new(hub, sock, (size_t)hub->app->cfg.ws_max_frame_bytes + CF_WS_MAX_HEADER, extra_in,
                       extra_in_size);
    if (!c) {
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    c->urh = urh;
    c->cursor = p->cursor;
    memset(&p->cursor, 0, sizeof p->cursor);
    hand_over(hub, c);
}

bool cf_ws_hub_add_sse(cf_ws_hub *hub, struct MHD_Connection *mhd, cf_event_cursor *cursor, const char *head,
                       size_t head_len) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_CONNECTION_FD);
    conn *c = ci ? conn_new(hub, ci->connect_fd, 0, NULL, 0) : NULL;
    if (!c || !out_append(c, head, head_len)) {
        conn_free(c);
        return false;
    }
    /* Events go out as they are queued, a batch per write: no Nagle or cork delay. */
    int on = 1, off = 0;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
#ifdef TCP_CORK
    setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
#else
    (void)off;
#endif
    c->cursor = *cursor;
    memset(cursor, 0, sizeof *cursor);
    c->ping_at = cf_clock_ms();
    MHD_suspend_connection(mhd); /* libmicrohttpd leaves the socket alone until it is resumed */
    c->sse = mhd;
    hand_over(hub, c);
    return true;
}

enum MHD_Result cf_api_events_ws(cf_http_request *req) {
    const char *upgrade = cf_http_header(req, MHD_HTTP_HEADER_UPGRADE);
    const char *connection = cf_http_header(req, MHD_HTTP_HEADER_CONNECTION);
    if (!upgrade || !has_token(upgrade, "websocket") || !connection || !has_token(connection, "upgrade"))
        return reply_upgrade_required(req,
                                      "a WebSocket endpoint: send Upgrade: websocket, Connection: Upgrade");
    const char *version = cf_http_header(req, "Sec-WebSocket-Version");
    if (!version || strcmp(version, "13"))
        return reply_upgrade_required(req, "Sec-WebSocket-Version must be 13");
    const char *key = cf_http_header(req, "Sec-WebSocket-Key");
    char accept[32];
    if (!key || !cf_ws_accept_key(key, accept, sizeof accept))
        return cf_http_reply_problem(req, "websocket-handshake",
                                     "Sec-WebSocket-Key must be the base64 of 16 bytes");
    cf_ws_hub *hub = cf_sse_hub_ws(cf_http_server_hub(req->server));
    if (!hub) return cf_http_reply_problem(req, "not-found", "no event stream here");
    pending *p = calloc(1, sizeof *p);
    if (!p) return cf_http_reply_problem(req, "internal", "out of memory");
    p->hub = hub;
    req->state = p;
    req->free_state = free_pending;
    cf_error err;
    if (cf_event_cursor_init(&p->cursor, req, &err)) return cf_http_reply_error(req, &err);
    struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgrade, p);
    if (!r) return cf_http_reply_problem(req, "internal", "out of memory");
    MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
    return cf_http_reply(req, MHD_HTTP_SWITCHING_PROTOCOLS, r);
}

/* bus_nats.c — the message bus on NATS JetStream (URL
 * "nats://[user:pass@]host[:port][?prefix=clipforge&ack_timeout_ms=30000&maxlen=100000]").
 *
 * A topic is the subject PREFIX.TOPIC stored in the stream PREFIX_TOPIC (file storage, at most
 * maxlen messages, oldest discarded), created on first use. A group is a durable pull consumer
 * on that stream (explicit acks, ack wait = ack_timeout_ms, new messages only), so every group
 * sees every message and the members of a group compete. A message fetched and not acked within
 * the ack wait (its worker died) is redelivered by the server to any member; nack is a NAK with
 * a delay. The delivery count is JetStream's own (message metadata).
 * A delivery's tag names the natsMsg kept in this process until ack/nack (its reply subject is
 * what acknowledges it). publish_many sends a batch without waiting for each ack (asynchronous
 * publishing on a JetStream context of its own) and then waits for the acks together. Fetches on one
 * subscription are serialised by its lock and cut into short slices so shutdown() is noticed quickly. */
#include "infrastructure/bus_nats.h"

#include <nats/nats.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/clock.h"
#include "clipforge/uri.h"

#define SLICE_MS 200

typedef struct pull {
    struct pull *next;
    char *topic, *group;
    natsSubscription *sub;
    pthread_mutex_t lock; /* serialises fetches on sub */
} pull;

typedef struct inflight {
    struct inflight *next;
    uint64_t tag;
    natsMsg *msg;
} inflight;

/* The batch publish_many is sending: the acks the server sent back for its messages so far.
 * Written by the connection's callback thread, read by the publisher, under lock. */
typedef struct pub_batch {
    pthread_mutex_t lock;
    natsMsg **msgs; /* the batch's messages, in order (compared, never touched, by on_ack) */
    bool *acked;
    size_t n;
} pub_batch;

typedef struct nats_bus {
    natsConnection *nc;
    jsCtx *js;
    jsCtx *js_async;            /* publish_many's own context: its acks go to on_ack */
    pthread_mutex_t async_lock; /* one publish_many at a time on js_async */
    pub_batch batch;
    char prefix[64];
    int64_t ack_timeout_ms, maxlen;
    atomic_bool closed;
    pthread_mutex_t lock; /* guards pulls, flights, next_tag, streams */
    pull *pulls;
    inflight *flights;
    uint64_t next_tag;
    char **streams; /* streams known to exist */
    size_t n_streams;
} nats_bus;

static cf_err nats_fail(natsStatus s, jsErrCode jerr, const char *what, cf_error *err) {
    cf_err rc =
        s == NATS_CONNECTION_CLOSED || s == NATS_NO_SERVER || s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS
            ? CF_ERR_UNAVAILABLE
            : CF_ERR_IO;
    if (jerr == JSConsumerNotFoundErr || jerr == JSStreamNotFoundErr || s == NATS_NOT_FOUND)
        rc = CF_ERR_NOT_FOUND;
    const char *detail = nats_GetLastError(NULL);
    return cf_error_set(err, rc, "bus: nats %s: %s%s%s (js %d)", what, natsStatus_GetText(s),
                        detail ? ": " : "", detail ? detail : "", (int)jerr);
}

/* ---- URL ---- */

/* Reads the query settings; *server = the URL without them (malloc'd). */
static cf_err parse_url(nats_bus *b, const char *url, char **server, cf_error *err) {
    const char *q = strchr(url, '?');
    *server = q ? strndup(url, (size_t)(q - url)) : strdup(url);
    if (!*server) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (q = q ? q + 1 : NULL; q && *q;) {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len, vlen = eq ? len - klen - 1 : 0;
        const char *v = eq ? eq + 1 : q;
        bool ok;
        if (klen == 6 && !strncmp(q, "prefix", 6))
            ok = vlen && vlen < sizeof b->prefix && !memchr(v, '.', vlen) &&
                 snprintf(b->prefix, sizeof b->prefix, "%.*s", (int)vlen, v) > 0;
        else if (klen == 14 && !strncmp(q, "ack_timeout_ms", 14))
            ok = cf_uri_int(v, vlen, 1, INT64_MAX, &b->ack_timeout_ms);
        else if (klen == 6 && !strncmp(q, "maxlen", 6)) ok = cf_uri_int(v, vlen, 1, INT64_MAX, &b->maxlen);
        else ok = false;
        if (!ok)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus URL '%s': bad setting '%.*s'", url,
                                (int)len, q);
        q += len;
        if (*q == '&') q++;
    }
    return CF_OK;
}

/* ---- open, close ---- */

static void nb_close(void *self) {
    nats_bus *b = self;
    if (!b) return;
    for (pull *p = b->pulls, *next; p; p = next) {
        next = p->next;
        natsSubscription_Destroy(p->sub);
        pthread_mutex_destroy(&p->lock);
        free(p->topic);
        free(p->group);
        free(p);
    }
    for (inflight *f = b->flights, *next; f; f = next) {
        next = f->next;
        natsMsg_Destroy(f->msg);
        free(f);
    }
    for (size_t i = 0; i < b->n_streams; i++) free(b->streams[i]);
    free(b->streams);
    jsCtx_Destroy(b->js);
    jsCtx_Destroy(b->js_async);
    if (b->nc) natsConnection_Close(b->nc);
    pthread_mutex_destroy(&b->async_lock);
    pthread_mutex_destroy(&b->batch.lock);
    natsConnection_Destroy(b->nc);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

/* The server's answer to a message of publish_many's batch (on the connection's thread). */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
    (void)js, (void)pae;
    pub_batch *pb = closure;
    pthread_mutex_lock(&pb->lock);
    for (size_t i = 0; i < pb->n; i++) {
        if (pb->msgs[i] != msg) continue;
        pb->acked[i] = pa != NULL;
        pb->msgs[i] = NULL; /* a later message may be given its address */
        break;
    }
    pthread_mutex_unlock(&pb->lock);
    natsMsg_Destroy(msg);
}

static cf_err connect_js(nats_bus *b, const char *server, cf_error *err) {
    natsOptions *opts = NULL;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) s = natsOptions_SetURL(opts, server);
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 5000);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1); /* ride out server restarts */
    if (s == NATS_OK) s = natsConnection_Connect(&b->nc, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK) return nats_fail(s, 0, "connect", err);
    s = natsConnection_JetStream(&b->js, b->nc, NULL);
    jsOptions jo;
    if (s == NATS_OK) s = jsOptions_Init(&jo);
    if (s == NATS_OK) {
        jo.PublishAsync.AckHandler = on_ack;
        jo.PublishAsync.AckHandlerClosure = &b->batch;
        s = natsConnection_JetStream(&b->js_async, b->nc, &jo);
    }
    return s == NATS_OK ? CF_OK : nats_fail(s, 0, "JetStream", err);
}

static cf_err nb_open(const char *url, void **self, cf_error *err) {
    nats_bus *b = calloc(1, sizeof *b);
    if (!b) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    pthread_mutex_init(&b->lock, NULL);
    pthread_mutex_init(&b->async_lock, NULL);
    pthread_mutex_init(&b->batch.lock, NULL);
    snprintf(b->prefix, sizeof b->prefix, "clipforge");
    b->ack_timeout_ms = 30000;
    b->maxlen = 100000;
    char *server = NULL;
    cf_err rc = parse_url(b, url, &server, err);
    if (rc == CF_OK) rc = connect_js(b, server, err);
    free(server);
    if (rc) {
        nb_close(b);
        return rc;
    }
    *self = b;
    return CF_OK;
}

/* ---- streams and consumers ---- */

static void names(const nats_bus *b, const char *topic, char *stream, size_t scap, char *subject,
                  size_t jcap) {
    snprintf(stream, scap, "%s_%s", b->prefix, topic);
    snprintf(subject, jcap, "%s.%s", b->prefix, topic);
}

static bool stream_known(nats_bus *b, const char *name) {
    bool known = false;
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < b->n_streams && !known; i++) known = !strcmp(b->streams[i], name);
    pthread_mutex_unlock(&b->lock);
    return known;
}

static void remember_stream(nats_bus *b, const char *name) {
    pthread_mutex_lock(&b->lock);
    char **grown = realloc(b->streams, (b->n_streams + 1) * sizeof *grown);
    if (grown) {
        b->streams = grown;
        b->streams[b->n_streams] = strdup(name);
        if (b->streams[b->n_streams]) b->n_streams++;
    }
    pthread_mutex_unlock(&b->lock);
}

/* Creates the topic's stream unless it exists. */
static cf_err ensure_stream(nats_bus *b, const char *topic, cf_error *err) {
    char stream[256], subject[256];
    names(b, topic, stream, sizeof stream, subject, sizeof subject);
    if (stream_known(b, stream)) return CF_OK;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, b->js, stream, NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        const char *subjects[] = {subject};
        cfg.Name = stream;
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Storage = js_FileStorage;
        cfg.Retention = js_LimitsPolicy;
        cfg.MaxMsgs = b->maxlen;
        cfg.Discard = js_DiscardOld;
        jerr = 0;
        s = js_AddStream(&si, b->js, &cfg, NULL, &jerr);
        if (jerr == JSStreamNameExistErr) s = NATS_OK; /* created meanwhile by another process */
    }
    jsStreamInfo_Destroy(si);
    if (s != NATS_OK) return nats_fail(s, jerr, "stream", err);
    remember_stream(b, stream);
    return CF_OK;
}

/* The trace context travels as the message header "clipforge-trace" (cf_trace_to_text). */
#define TRACE_HEADER "clipforge-trace"

static cf_err nb_publish_traced(void *self, const char *topic, const char *payload, const char *trace_context,
                                cf_error *err) {
    nats_bus *b = self;
    cf_err rc = ensure_stream(b, topic, err);
    if (rc) return rc;
    char stream[256], subject[256];
    names(b, topic, stream, sizeof stream, subject, sizeof subject);
    natsMsg *msg = NULL;
    natsStatus s = natsMsg_Create(&msg, subject, NULL, payload, (int)strlen(payload));
    if (s == NATS_OK && trace_context) s = natsMsgHeader_Set(msg, TRACE_HEADER, trace_context);
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    if (s == NATS_OK) s = js_PublishMsg(&pa, b->js, msg, NULL, &jerr);
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(msg);
    return s == NATS_OK ? CF_OK : nats_fail(s, jerr, "publish", err);
}

/* Every message sent without waiting for its ack, then the acks awaited together (at most the
 * connection's timeout); *sent = the messages acked, from the first. The ones after the first
 * not acked are published again by the caller: delivery is at least once. */
static cf_err nb_publish_many(void *self, const char *topic, const char *const *payloads,
                              const char *const *traces, size_t n, size_t *sent, cf_error *err) {
    nats_bus *b = self;
    *sent = 0;
    cf_err rc = ensure_stream(b, topic, err);
    if (rc) return rc;
    char stream[256], subject[256];
    names(b, topic, stream, sizeof stream, subject, sizeof subject);
    natsMsg **msgs = calloc(n, sizeof *msgs);
    bool *acked = calloc(n, sizeof *acked);
    if (!msgs || !acked) {
        free(msgs), free(acked);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    pthread_mutex_lock(&b->async_lock);
    pub_batch *pb = &b->batch;
    pthread_mutex_lock(&pb->lock);
    pb->msgs = msgs, pb->acked = acked, pb->n = n;
    pthread_mutex_unlock(&pb->lock);
    natsStatus s = NATS_OK;
    size_t queued = 0;
    for (; s == NATS_OK && queued < n; queued++) {
        natsMsg *msg = NULL;
        s = natsMsg_Create(&msg, subject, NULL, payloads[queued], (int)strlen(payloads[queued]));
        if (s == NATS_OK && traces && traces[queued])
            s = natsMsgHeader_Set(msg, TRACE_HEADER, traces[queued]);
        pthread_mutex_lock(&pb->lock);
        msgs[queued] = msg; /* before it is sent: its ack may come at once */
        pthread_mutex_unlock(&pb->lock);
        if (s == NATS_OK) s = js_PublishMsgAsync(b->js_async, &msg, NULL); /* takes msg */
        natsMsg_Destroy(msg);
        if (s != NATS_OK) break;
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 5000;
    natsStatus done = js_PublishAsyncComplete(b->js_async, &po);
    if (done != NATS_OK) { /* not acked in time: taken back, counted as not published */
        natsMsgList pending = {0};
        if (js_PublishAsyncGetPendingList(&pending, b->js_async) == NATS_OK) natsMsgList_Destroy(&pending);
    }
    pthread_mutex_lock(&pb->lock);
    while (*sent < queued && acked[*sent]) ++*sent;
    pb->msgs = NULL, pb->acked = NULL, pb->n = 0;
    pthread_mutex_unlock(&pb->lock);
    pthread_mutex_unlock(&b->async_lock);
    free(msgs), free(acked);
    if (s != NATS_OK) return nats_fail(s, 0, "publish", err);
    if (done != NATS_OK) return nats_fail(done, 0, "publish", err);
    return *sent == n
               ? CF_OK
               : cf_error_set(err, CF_ERR_IO, "bus: nats publish: %zu of %zu messages refused", n - *sent, n);
}

static cf_err nb_publish(void *self, const char *topic, const char *payload, cf_error *err) {
    return nb_publish_traced(self, topic, payload, NULL, err);
}

static cf_err nb_subscribe(void *self, const char *topic, const char *group, cf_error *err) {
    nats_bus *b = self;
    cf_err rc = ensure_stream(b, topic, err);
    if (rc) return rc;
    char stream[256], subject[256];
    names(b, topic, stream, sizeof stream, subject, sizeof subject);
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetConsumerInfo(&ci, b->js, stream, group, NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
        jsConsumerConfig cc;
        jsConsumerConfig_Init(&cc);
        cc.Durable = group;
        cc.AckPolicy = js_AckExplicit;
        cc.AckWait = b->ack_timeout_ms * 1000000; /* ns */
        cc.DeliverPolicy = js_DeliverNew;
        cc.MaxDeliver = -1;
        cc.FilterSubject = subject;
        jerr = 0;
        s = js_AddConsumer(&ci, b->js, stream, &cc, NULL, &jerr);
        if (jerr == JSConsumerNameExistErr) s = NATS_OK;
    }
    jsConsumerInfo_Destroy(ci);
    return s == NATS_OK ? CF_OK : nats_fail(s, jerr, "consumer", err);
}

/* The pull subscription bound to topic's consumer group, made on first use. */
static pull *pull_for(nats_bus *b, const char *topic, const char *group, cf_error *err) {
    pthread_mutex_lock(&b->lock);
    pull *p = b->pulls;
    while (p && (strcmp(p->topic, topic) || strcmp(p->group, group))) p = p->next;
    pthread_mutex_unlock(&b->lock);
    if (p) return p;
    char stream[256], subject[256];
    names(b, topic, stream, sizeof stream, subject, sizeof subject);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Consumer = group; /* bind: never create a group here */
    so.ManualAck = true;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_PullSubscribe(&sub, b->js, subject, group, NULL, &so, &jerr);
    if (s != NATS_OK) {
        nats_fail(s, jerr, "bind consumer", err);
        if (err->code == CF_ERR_IO) err->code = CF_ERR_NOT_FOUND; /* no such group */
        return NULL;
    }
    p = calloc(1, sizeof *p);
    if (p) {
        p->topic = strdup(topic);
        p->group = strdup(group);
        p->sub = sub;
        pthread_mutex_init(&p->lock, NULL);
    }
    if (!p || !p->topic || !p->group) {
        natsSubscription_Destroy(sub);
        if (p) free(p->topic), free(p->group), free(p);
        cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    pthread_mutex_lock(&b->lock);
    p->next = b->pulls;
    b->pulls = p;
    pthread_mutex_unlock(&b->lock);
    return p;
}

/* ---- receive, ack, nack ---- */

/* Fills out from msg and keeps msg for ack/nack under a new tag. */
static cf_err deliver(nats_bus *b, natsMsg *msg, const char *topic, const char *group, cf_bus_message *out,
                      cf_error *err) {
    jsMsgMetaData *meta = NULL;
    int deliveries = 1;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) deliveries = (int)meta->NumDelivered;
    jsMsgMetaData_Destroy(meta);
    inflight *f = calloc(1, sizeof *f);
    out->topic = strdup(topic);
    out->group = strdup(group);
    out->payload = strndup(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
    const char *trace = NULL;
    if (natsMsgHeader_Get(msg, TRACE_HEADER, &trace) == NATS_OK && trace) out->trace_context = strdup(trace);
    if (!f || !out->topic || !out->group || !out->payload || (trace && !out->trace_context)) {
        free(f);
        cf_bus_message_free(out);
        natsMsg_Destroy(msg);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    out->deliveries = deliveries;
    f->msg = msg;
    pthread_mutex_lock(&b->lock);
    f->tag = out->tag = ++b->next_tag;
    f->next = b->flights;
    b->flights = f;
    pthread_mutex_unlock(&b->lock);
    return CF_OK;
}

/* One pull request for up to max messages with no_wait and an expiry: the server answers at once
 * with what is waiting, or, when nothing is, as soon as the first message comes (or at the
 * expiry), so a batch never waits to fill up. */
static cf_err nb_receive_many(void *self, const char *topic, const char *group, int timeout_ms,
                              cf_bus_message *out, size_t max, size_t *n, cf_error *err) {
    nats_bus *b = self;
    *n = 0;
    memset(out, 0, max * sizeof *out);
    if (atomic_load(&b->closed)) return cf_error_set(err, CF_ERR_UNAVAILABLE, "bus: shut down");
    pull *p = pull_for(b, topic, group, err);
    if (!p) return err->code;
    int64_t deadline = cf_clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        if (atomic_load(&b->closed)) return cf_error_set(err, CF_ERR_UNAVAILABLE, "bus: shut down");
        int64_t left = deadline - cf_clock_ms();
        int64_t slice = left < SLICE_MS ? (left > 1 ? left : 1) : SLICE_MS;
        natsMsgList list = {0};
        jsFetchRequest req;
        jsFetchRequest_Init(&req);
        /* the whole batch: a cap of 64 (from when batches were at most 32) split one of 256 in four */
        req.Batch = max > INT_MAX ? INT_MAX : (int)max;
        req.NoWait = true;
        req.Expires = slice * 1000000; /* ns */
        pthread_mutex_lock(&p->lock);
        natsStatus s = natsSubscription_FetchRequest(&list, p->sub, &req);
        pthread_mutex_unlock(&p->lock);
        if (s == NATS_OK && list.Count > 0) {
            cf_err rc = CF_OK;
            for (int i = 0; i < list.Count; i++) {
                natsMsg *msg = list.Msgs[i];
                list.Msgs[i] = NULL; /* ours now */
                if (rc == CF_OK && (rc = deliver(b, msg, topic, group, &out[*n], err)) == CF_OK) ++*n;
                else if (rc) natsMsg_Destroy(msg); /* not acked: the server delivers it again */
            }
            natsMsgList_Destroy(&list);
            return *n ? CF_OK : rc;
        }
        natsMsgList_Destroy(&list);
        if (s != NATS_OK && s != NATS_TIMEOUT && s != NATS_NOT_FOUND) return nats_fail(s, 0, "fetch", err);
        if (cf_clock_ms() >= deadline)
            return cf_error_set(err, CF_ERR_TIMEOUT, "bus: no message on %s", topic);
    }
}

static cf_err nb_receive(void *self, const char *topic, const char *group, int timeout_ms,
                         cf_bus_message *out, cf_error *err) {
    size_t n = 0;
    return nb_receive_many(self, topic, group, timeout_ms, out, 1, &n, err);
}

/* Removes and returns the message delivered under tag; NULL when unknown. */
static natsMsg *take(nats_bus *b, uint64_t tag) {
    natsMsg *msg = NULL;
    pthread_mutex_lock(&b->lock);
    for (inflight **pp = &b->flights; *pp; pp = &(*pp)->next) {
        if ((*pp)->tag != tag) continue;
        inflight *f = *pp;
        *pp = f->next;
        msg = f->msg;
        free(f);
        break;
    }
    pthread_mutex_unlock(&b->lock);
    return msg;
}

static cf_err nb_ack(void *self, const cf_bus_message *m, cf_error *err) {
    natsMsg *msg = take(self, m->tag);
    if (!msg)
        return cf_error_set(err, CF_ERR_NOT_FOUND, "bus: delivery %llu is not pending",
                            (unsigned long long)m->tag);
    jsErrCode jerr = 0;
    natsStatus s = natsMsg_AckSync(msg, NULL, &jerr);
    natsMsg_Destroy(msg);
    return s == NATS_OK ? CF_OK : nats_fail(s, jerr, "ack", err);
}

/* Every ack sent without waiting for its reply, then one round trip (a flush) that the server
 * answers after reading them all. */
static cf_err nb_ack_many(void *self, const cf_bus_message *ms, size_t n, cf_error *err) {
    nats_bus *b = self;
    cf_err rc = CF_OK;
    for (size_t i = 0; i < n; i++) {
        natsMsg *msg = take(b, ms[i].tag);
        natsStatus s = msg ? natsMsg_Ack(msg, NULL) : NATS_NOT_FOUND;
        natsMsg_Destroy(msg);
        if (s != NATS_OK && rc == CF_OK)
            rc = msg ? nats_fail(s, 0, "ack", err)
                     : cf_error_set(err, CF_ERR_NOT_FOUND, "bus: delivery %llu is not pending",
                                    (unsigned long long)ms[i].tag);
    }
    natsStatus s = natsConnection_FlushTimeout(b->nc, 5000);
    if (s != NATS_OK && rc == CF_OK) rc = nats_fail(s, 0, "ack", err);
    return rc;
}

static cf_err nb_nack(void *self, const cf_bus_message *m, int delay_ms, cf_error *err) {
    natsMsg *msg = take(self, m->tag);
    if (!msg)
        return cf_error_set(err, CF_ERR_NOT_FOUND, "bus: delivery %llu is not pending",
                            (unsigned long long)m->tag);
    natsStatus s = natsMsg_NakWithDelay(msg, delay_ms > 0 ? delay_ms : 0, NULL);
    natsMsg_Destroy(msg);
    return s == NATS_OK ? CF_OK : nats_fail(s, 0, "nak", err);
}

static void nb_shutdown(void *self) {
    nats_bus *b = self;
    atomic_store(&b->closed, true);
}

static const cf_bus_methods methods = {
    .version = 1,
    .name = "nats",
    .open = nb_open,
    .close = nb_close,
    .publish = nb_publish,
    .subscribe = nb_subscribe,
    .receive = nb_receive,
    .receive_many = nb_receive_many,
    .ack_many = nb_ack_many,
    .publish_many = nb_publish_many,
    .ack = nb_ack,
    .nack = nb_nack,
    .shutdown = nb_shutdown,
    .durable = 1,
    .publish_traced = nb_publish_traced,
};

const cf_bus_methods *cf_bus_nats_methods(void) {
    return &methods;
}

/* bus_redis.c — the message bus on Redis Streams (URL
 * "redis://[:password@]host[:port][/db][?prefix=cf&ack_timeout_ms=30000&maxlen=100000]").
 *
 * A topic is the stream PREFIX:TOPIC, trimmed to about maxlen entries on publish (MAXLEN ~), a
 * group is a Redis consumer group on it, and each open bus is one consumer (host-pid-random).
 * receive() first claims, with XAUTOCLAIM, one message that another consumer left unacknowledged
 * for ack_timeout_ms (its process died or hung), then waits for a new one with XREADGROUP in
 * short slices, so shutdown() and claimable messages are noticed quickly. ack is XACK; nack
 * keeps the message pending but back-dates its idle time (XCLAIM IDLE) so that it becomes
 * claimable after delay_ms. The delivery count is Redis's own (XPENDING).
 * hiredis contexts are not thread-safe: each call borrows a connection from a small pool. */
#include "infrastructure/bus_redis.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clipforge/fmt.h"
#include "clipforge/clock.h"
#include "clipforge/uri.h"

#define POOL_MAX 32
#define SLICE_MS 200
#define SEQ_BITS 20 /* tag = ms << SEQ_BITS | seq */

typedef struct redis_bus {
    char host[256], password[256], prefix[64];
    int port, db;
    int64_t ack_timeout_ms, maxlen;
    char consumer[96];
    atomic_bool closed;
    pthread_mutex_t lock; /* guards idle, n_idle */
    redisContext *idle[POOL_MAX];
    int n_idle;
} redis_bus;

/* ---- URL ---- */

static cf_err parse_query(redis_bus *b, const char *q, const char *url, cf_error *err) {
    while (q && *q) {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        const char *v = eq ? eq + 1 : q + len;
        size_t vlen = len - (eq ? klen + 1 : klen);
        bool ok = true;
        if (klen == 6 && !strncmp(q, "prefix", 6))
            ok = vlen && vlen < sizeof b->prefix &&
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

static cf_err parse_url(redis_bus *b, const char *url, cf_error *err) {
    const char *p = cf_uri_rest(url, "redis");
    if (!p) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus URL '%s': expected redis://HOST", url);
    size_t auth_end = strcspn(p, "@/?");
    if (p[auth_end] == '@') {
        const char *colon = memchr(p, ':', auth_end);
        const char *pw = colon ? colon + 1 : p;
        if (!cf_fmt(b->password, sizeof b->password, "%.*s", (int)(p + auth_end - pw), pw))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "bus URL: the password is longer than %zu bytes", sizeof b->password - 1);
        p += auth_end + 1;
    }
    size_t hp = strcspn(p, "/?");
    const char *colon = memchr(p, ':', hp);
    size_t hlen = colon ? (size_t)(colon - p) : hp;
    int64_t port = 6379, db = 0;
    if (!hlen || hlen >= sizeof b->host ||
        (colon && !cf_uri_int(colon + 1, hp - hlen - 1, 1, INT64_MAX, &port)) || port > 65535)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus URL '%s': bad host or port", url);
    snprintf(b->host, sizeof b->host, "%.*s", (int)hlen, p);
    p += hp;
    if (*p == '/') {
        size_t dlen = strcspn(p + 1, "?");
        if (dlen && !cf_uri_int(p + 1, dlen, 0, INT64_MAX, &db))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus URL '%s': bad database", url);
        p += 1 + dlen;
    }
    b->port = (int)port;
    b->db = (int)db;
    return parse_query(b, *p == '?' ? p + 1 : NULL, url, err);
}

/* ---- connections ---- */

static cf_err reply_error(redisContext *c, redisReply *r, const char *what, cf_error *err) {
    if (!r)
        return cf_error_set(err, CF_ERR_UNAVAILABLE, "bus: redis %s: %s", what,
                            c && c->errstr[0] ? c->errstr : "connection lost");
    cf_err code = !strncmp(r->str, "NOGROUP", 7) ? CF_ERR_NOT_FOUND : CF_ERR_IO;
    return cf_error_set(err, code, "bus: redis %s: %s", what, r->str);
}

/* Runs a command given as argv; returns the reply (freeReplyObject) or NULL with err set,
 * also for an error reply. */
static redisReply *cmd(redisContext *c, int argc, const char **argv, cf_error *err) {
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (r && r->type != REDIS_REPLY_ERROR) return r;
    reply_error(c, r, argv[0], err);
    if (r) freeReplyObject(r);
    return NULL;
}

static redisContext *connect_one(redis_bus *b, cf_error *err) {
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(b->host, b->port, tv);
    if (!c || c->err) {
        cf_error_set(err, CF_ERR_UNAVAILABLE, "bus: cannot connect to redis %s:%d: %s", b->host, b->port,
                     c ? c->errstr : "out of memory");
        if (c) redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    char db[16];
    snprintf(db, sizeof db, "%d", b->db);
    const char *auth[] = {"AUTH", b->password}, *sel[] = {"SELECT", db};
    redisReply *r = NULL;
    if (b->password[0] && !(r = cmd(c, 2, auth, err))) goto fail;
    if (r) freeReplyObject(r);
    if (!(r = cmd(c, 2, sel, err))) goto fail;
    freeReplyObject(r);
    return c;
fail:
    redisFree(c);
    return NULL;
}

static redisContext *borrow(redis_bus *b, cf_error *err) {
    pthread_mutex_lock(&b->lock);
    redisContext *c = b->n_idle ? b->idle[--b->n_idle] : NULL;
    pthread_mutex_unlock(&b->lock);
    return c ? c : connect_one(b, err);
}

/* Returns c to the pool, or frees it when it is broken or the pool is full. */
static void give_back(redis_bus *b, redisContext *c) {
    if (!c) return;
    if (!c->err) {
        pthread_mutex_lock(&b->lock);
        if (b->n_idle < POOL_MAX) {
            b->idle[b->n_idle++] = c;
            c = NULL;
        }
        pthread_mutex_unlock(&b->lock);
    }
    if (c) redisFree(c);
}

static void stream_key(const redis_bus *b, const char *topic, char *out, size_t cap) {
    snprintf(out, cap, "%s:%s", b->prefix, topic);
}

/* ---- tags: a delivery is named by its stream entry id "ms-seq" ---- */

static cf_err id_to_tag(const char *id, uint64_t *tag, cf_error *err) {
    char *end;
    unsigned long long ms = strtoull(id, &end, 10);
    unsigned long long seq = *end == '-' ? strtoull(end + 1, &end, 10) : 1ULL << SEQ_BITS;
    if (*end || seq >= 1ULL << SEQ_BITS || ms >= 1ULL << (64 - SEQ_BITS))
        return cf_error_set(err, CF_ERR_INTERNAL, "bus: stream id %s does not fit a tag", id);
    *tag = (uint64_t)ms << SEQ_BITS | seq;
    return CF_OK;
}

static void tag_to_id(uint64_t tag, char *out, size_t cap) {
    snprintf(out, cap, "%llu-%llu", (unsigned long long)(tag >> SEQ_BITS),
             (unsigned long long)(tag & ((1ULL << SEQ_BITS) - 1)));
}

/* ---- open, close, publish, subscribe ---- */

static void rb_close(void *self) {
    redis_bus *b = self;
    if (!b) return;
    for (int i = 0; i < b->n_idle; i++) redisFree(b->idle[i]);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static cf_err rb_open(const char *url, void **self, cf_error *err) {
    redis_bus *b = calloc(1, sizeof *b);
    if (!b) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    pthread_mutex_init(&b->lock, NULL);
    snprintf(b->prefix, sizeof b->prefix, "clipforge");
    b->ack_timeout_ms = 30000;
    b->maxlen = 100000;
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(b->consumer, sizeof b->consumer, "%s-%d-%lx", host, (int)getpid(),
             (unsigned long)(ts.tv_nsec ^ (long)(uintptr_t)b));
    cf_err rc = parse_url(b, url, err);
    redisContext *c = rc ? NULL : connect_one(b, err); /* fail early when unreachable */
    if (!rc && !c) rc = err->code;
    give_back(b, c);
    if (rc) {
        rb_close(b);
        return rc;
    }
    *self = b;
    return CF_OK;
}

/* An entry's fields: "p" the payload, "t" the trace context when there is one. */
static cf_err rb_publish_traced(void *self, const char *topic, const char *payload, const char *trace_context,
                                cf_error *err) {
    redis_bus *b = self;
    char key[512], maxlen[24];
    stream_key(b, topic, key, sizeof key);
    snprintf(maxlen, sizeof maxlen, "%lld", (long long)b->maxlen);
    const char *argv[] = {"XADD", key, "MAXLEN", "~", maxlen, "*", "p", payload, "t", trace_context};
    redisContext *c = borrow(b, err);
    if (!c) return err->code;
    redisReply *r = cmd(c, trace_context ? 10 : 8, argv, err);
    give_back(b, c);
    if (!r) return err->code;
    freeReplyObject(r);
    return CF_OK;
}

static cf_err rb_publish(void *self, const char *topic, const char *payload, cf_error *err) {
    return rb_publish_traced(self, topic, payload, NULL, err);
}

static cf_err rb_subscribe(void *self, const char *topic, const char *group, cf_error *err) {
    redis_bus *b = self;
    char key[512];
    stream_key(b, topic, key, sizeof key);
    const char *argv[] = {"XGROUP", "CREATE", key, group, "$", "MKSTREAM"};
    redisContext *c = borrow(b, err);
    if (!c) return err->code;
    redisReply *r = redisCommandArgv(c, 6, argv, NULL);
    cf_err rc = CF_OK;
    if (!r || (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9)))
        rc = reply_error(c, r, "XGROUP CREATE", err);
    if (r) freeReplyObject(r);
    give_back(b, c);
    return rc;
}

/* ---- receive ---- */

/* Fills out from a stream entry [id, [field, value, ...]]; CF_ERR_TIMEOUT when it is not one. */
static cf_err read_entry(const redisReply *e, const char *topic, const char *group, cf_bus_message *out,
                         cf_error *err) {
    if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
        e->element[1]->type != REDIS_REPLY_ARRAY)
        return CF_ERR_TIMEOUT;
    const redisReply *fields = e->element[1];
    const char *payload = NULL, *trace = NULL;
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        if (!strcmp(fields->element[i]->str, "p")) payload = fields->element[i + 1]->str;
        if (!strcmp(fields->element[i]->str, "t")) trace = fields->element[i + 1]->str;
    }
    cf_err rc = id_to_tag(e->element[0]->str, &out->tag, err);
    if (rc) return rc;
    out->topic = strdup(topic);
    out->group = strdup(group);
    out->payload = strdup(payload ? payload : "");
    out->trace_context = trace ? strdup(trace) : NULL;
    out->deliveries = 1;
    if (!out->topic || !out->group || !out->payload || (trace && !out->trace_context)) {
        cf_bus_message_free(out);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    return CF_OK;
}

/* The delivery count Redis keeps for a pending entry (1 when unknown). */
static int delivery_count(redisContext *c, const char *key, const char *group, const char *id) {
    const char *argv[] = {"XPENDING", key, group, id, id, "1"};
    redisReply *r = redisCommandArgv(c, 6, argv, NULL);
    int n = 1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY &&
        r->element[0]->elements == 4)
        n = (int)r->element[0]->element[3]->integer;
    if (r) freeReplyObject(r);
    return n;
}

/* Takes over one entry left unacknowledged for ack_timeout_ms; CF_ERR_TIMEOUT when none. */
static cf_err claim_stale(redis_bus *b, redisContext *c, const char *key, const char *topic,
                          const char *group, cf_bus_message *out, cf_error *err) {
    char idle[24];
    snprintf(idle, sizeof idle, "%lld", (long long)b->ack_timeout_ms);
    const char *argv[] = {"XAUTOCLAIM", key, group, b->consumer, idle, "0-0", "COUNT", "1"};
    redisReply *r = cmd(c, 8, argv, err);
    if (!r) return err->code;
    cf_err rc = CF_ERR_TIMEOUT;
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 && r->element[1]->type == REDIS_REPLY_ARRAY &&
        r->element[1]->elements == 1)
        rc = read_entry(r->element[1]->element[0], topic, group, out, err);
    if (rc == CF_OK)
        out->deliveries = delivery_count(c, key, group, r->element[1]->element[0]->element[0]->str);
    freeReplyObject(r);
    return rc;
}

/* Waits up to block_ms for new entries and takes up to max of them into out; *n = how many;
 * CF_ERR_TIMEOUT when none came. */
static cf_err read_new(redis_bus *b, redisContext *c, const char *key, const char *topic, const char *group,
                       int block_ms, cf_bus_message *out, size_t max, size_t *n, cf_error *err) {
    char block[16], count[24];
    snprintf(block, sizeof block, "%d", block_ms);
    snprintf(count, sizeof count, "%zu", max);
    const char *argv[] = {"XREADGROUP", "GROUP", group,     b->consumer, "COUNT", count,
                          "BLOCK",      block,   "STREAMS", key,         ">"};
    /* BLOCK 0 would wait for ever: a zero wait is a plain read. */
    const char *plain[] = {"XREADGROUP", "GROUP", group, b->consumer, "COUNT", count, "STREAMS", key, ">"};
    redisReply *r = block_ms > 0 ? cmd(c, 11, argv, err) : cmd(c, 9, plain, err);
    if (!r) return err->code;
    cf_err rc = CF_OK;
    *n = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY &&
        r->element[0]->elements == 2) {
        const redisReply *entries = r->element[0]->element[1];
        for (size_t i = 0;
             rc == CF_OK && entries->type == REDIS_REPLY_ARRAY && i < entries->elements && *n < max; i++) {
            rc = read_entry(entries->element[i], topic, group, &out[*n], err);
            if (rc == CF_OK) ++*n;
            else if (rc == CF_ERR_TIMEOUT) rc = CF_OK; /* not an entry: skipped */
        }
    }
    freeReplyObject(r);
    if (rc) { /* out of memory: the entries stay pending, claimed again after the ack timeout */
        for (size_t i = 0; i < *n; i++) cf_bus_message_free(&out[i]);
        *n = 0;
        return rc;
    }
    return *n ? CF_OK : CF_ERR_TIMEOUT;
}

/* A stale entry first (claimed alone), else up to max new ones. */
static cf_err rb_receive_many(void *self, const char *topic, const char *group, int timeout_ms,
                              cf_bus_message *out, size_t max, size_t *n, cf_error *err) {
    redis_bus *b = self;
    *n = 0;
    memset(out, 0, max * sizeof *out);
    char key[512];
    stream_key(b, topic, key, sizeof key);
    int64_t deadline = cf_clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    redisContext *c = borrow(b, err);
    if (!c) return err->code;
    cf_err rc = CF_ERR_TIMEOUT;
    while (rc == CF_ERR_TIMEOUT) {
        if (atomic_load(&b->closed)) {
            rc = cf_error_set(err, CF_ERR_UNAVAILABLE, "bus: shut down");
            break;
        }
        rc = claim_stale(b, c, key, topic, group, out, err);
        if (rc == CF_OK) *n = 1;
        if (rc != CF_ERR_TIMEOUT) break;
        int64_t left = deadline - cf_clock_ms();
        rc = read_new(b, c, key, topic, group, (int)(left < SLICE_MS ? (left > 0 ? left : 0) : SLICE_MS), out,
                      max, n, err);
        if (rc == CF_ERR_TIMEOUT && cf_clock_ms() >= deadline) break;
    }
    give_back(b, c);
    if (rc == CF_ERR_TIMEOUT) cf_error_set(err, CF_ERR_TIMEOUT, "bus: no message on %s", topic);
    return rc;
}

static cf_err rb_receive(void *self, const char *topic, const char *group, int timeout_ms,
                         cf_bus_message *out, cf_error *err) {
    size_t n = 0;
    return rb_receive_many(self, topic, group, timeout_ms, out, 1, &n, err);
}

/* ---- ack, nack, shutdown ---- */

static cf_err rb_ack(void *self, const cf_bus_message *m, cf_error *err) {
    redis_bus *b = self;
    char key[512], id[48];
    stream_key(b, m->topic, key, sizeof key);
    tag_to_id(m->tag, id, sizeof id);
    const char *argv[] = {"XACK", key, m->group, id};
    redisContext *c = borrow(b, err);
    if (!c) return err->code;
    redisReply *r = cmd(c, 4, argv, err);
    give_back(b, c);
    if (!r) return err->code;
    cf_err rc = r->integer == 1 ? CF_OK
                                : cf_error_set(err, CF_ERR_NOT_FOUND, "bus: message %s is not pending in %s",
                                               id, m->group);
    freeReplyObject(r);
    return rc;
}

/* One XACK of every id (the messages share the first one's topic and group). */
static cf_err rb_ack_many(void *self, const cf_bus_message *ms, size_t n, cf_error *err) {
    redis_bus *b = self;
    char key[512];
    stream_key(b, ms[0].topic, key, sizeof key);
    const char **argv = calloc(n + 3, sizeof *argv);
    char(*ids)[48] = calloc(n, sizeof *ids);
    if (!argv || !ids) {
        free(argv), free(ids);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    argv[0] = "XACK", argv[1] = key, argv[2] = ms[0].group;
    for (size_t i = 0; i < n; i++) {
        tag_to_id(ms[i].tag, ids[i], sizeof ids[i]);
        argv[3 + i] = ids[i];
    }
    redisContext *c = borrow(b, err);
    redisReply *r = c ? cmd(c, (int)n + 3, argv, err) : NULL;
    if (c) give_back(b, c);
    free(argv), free(ids);
    if (!r) return err->code;
    cf_err rc = r->integer == (long long)n
                    ? CF_OK
                    : cf_error_set(err, CF_ERR_NOT_FOUND, "bus: %lld of %zu messages were pending in %s",
                                   r->integer, n, ms[0].group);
    freeReplyObject(r);
    return rc;
}

/* Every XADD sent at once (a pipeline), then their replies read. */
static cf_err rb_publish_many(void *self, const char *topic, const char *const *payloads,
                              const char *const *traces, size_t n, size_t *sent, cf_error *err) {
    redis_bus *b = self;
    *sent = 0;
    char key[512], maxlen[24];
    stream_key(b, topic, key, sizeof key);
    snprintf(maxlen, sizeof maxlen, "%lld", (long long)b->maxlen);
    redisContext *c = borrow(b, err);
    if (!c) return err->code;
    cf_err rc = CF_OK;
    for (size_t i = 0; rc == CF_OK && i < n; i++) {
        const char *trace = traces ? traces[i] : NULL;
        const char *argv[] = {"XADD", key, "MAXLEN", "~", maxlen, "*", "p", payloads[i], "t", trace};
        if (redisAppendCommandArgv(c, trace ? 10 : 8, argv, NULL) != REDIS_OK)
            rc = reply_error(c, NULL, "publish", err);
    }
    for (size_t i = 0; rc == CF_OK && i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR)
            rc = reply_error(c, r, "publish", err);
        else ++*sent;
        if (r) freeReplyObject(r);
    }
    if (rc) redisFree(c); /* replies may be left unread on it */
    else give_back(b, c);
    return rc;
}

static cf_err rb_nack(void *self, const cf_bus_message *m, int delay_ms, cf_error *err) {
    redis_bus *b = self;
    char key[512], id[48], idle[24], count[16];
    stream_key(b, m->topic, key, sizeof key);
    tag_to_id(m->tag, id, sizeof id);
    /* Claimable once idle for ack_timeout_ms: pretend it has been idle for all but delay_ms. */
    int64_t back = b->ack_timeout_ms - (delay_ms > 0 ? delay_ms : 0);
    snprintf(idle, sizeof idle, "%lld", (long long)(back > 0 ? back : 0));
    snprintf(count, sizeof count, "%d", m->deliveries);
    const char *argv[] = {"XCLAIM", key,  m->group,     b->consumer, "0",     id,
                          "IDLE",   idle, "RETRYCOUNT", count,       "JUSTID"};
    redisContext *c = borrow(b, err);
    if (!c) return err->code;
    redisReply *r = cmd(c, 11, argv, err);
    give_back(b, c);
    if (!r) return err->code;
    cf_err rc =
        r->type == REDIS_REPLY_ARRAY && r->elements == 1
            ? CF_OK
            : cf_error_set(err, CF_ERR_NOT_FOUND, "bus: message %s is not pending in %s", id, m->group);
    freeReplyObject(r);
    return rc;
}

static void rb_shutdown(void *self) {
    redis_bus *b = self;
    atomic_store(&b->closed, true);
}

static const cf_bus_methods methods = {
    .version = 1,
    .name = "redis",
    .open = rb_open,
    .close = rb_close,
    .publish = rb_publish,
    .subscribe = rb_subscribe,
    .receive = rb_receive,
    .receive_many = rb_receive_many,
    .ack_many = rb_ack_many,
    .publish_many = rb_publish_many,
    .ack = rb_ack,
    .nack = rb_nack,
    .shutdown = rb_shutdown,
    .durable = 1,
    .publish_traced = rb_publish_traced,
};

const cf_bus_methods *cf_bus_redis_methods(void) {
    return &methods;
}

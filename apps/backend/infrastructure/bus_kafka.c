/* bus_kafka.c — the message bus on Apache Kafka through librdkafka (URL
 * "kafka://host:port[,host:port...][?prefix=clipforge&ack_timeout_ms=30000&max_inflight=64
 *  &session_timeout_ms=10000]").
 *
 * Topic T is the Kafka topic PREFIX.T, made by the brokers' auto-creation on first use with their
 * default partition count (create it ahead with at least as many partitions as worker processes).
 * Group G on T is the consumer group PREFIX.T.G; each open bus receiving from (T, G) is one member,
 * so when a worker process dies (its session times out) its partitions go to the other members,
 * which deliver again what it had not committed.
 * Publishing goes through one idempotent producer (enable.idempotence: retries neither duplicate
 * nor reorder), synchronously (publish returns once the brokers hold the message), its queue
 * bounded (a full queue is CF_ERR_UNAVAILABLE). The key is the payload's job id (a JSON object's
 * "job_id", or a payload that is a job id "j_..."), so one job's messages share a partition and
 * keep their order; messages without one share the key T and keep their publication order. The
 * trace context is the header "clipforge-trace".
 * subscribe() creates the group when it has no committed offsets by committing the partitions'
 * current ends (what is published afterwards is kept for it); it does not join the group (the API
 * node subscribes and never receives). The first receive() joins and waits for the first
 * assignment (at most session_timeout_ms + 5 s, on top of its timeout), then polls in short slices
 * so that shutdown() is noticed quickly.
 * Acknowledgement: a member keeps the messages it fetched and has not finished. Kafka commits a
 * position, not a set, so the offset committed for a partition is that of its oldest unfinished
 * message: committed synchronously on ack, it moves past a message only once its outcome is stored.
 * Every delivery commits too, with the commit's metadata saying how often each unfinished message
 * was delivered ("offset:count,..."): the member that takes the partition over reads it and reports
 * deliveries > 1. A message not acked within ack_timeout_ms is delivered again by its member; nack
 * keeps it uncommitted with its member and delivers it again after delay_ms (no republish: nothing
 * is duplicated in the log, and a crash meanwhile hands it on like any unacked message). Unfinished
 * messages are bounded by max_inflight per member: at the bound it pauses fetching. A member that
 * lost a partition in a rebalance drops its messages (their ack is CF_ERR_NOT_FOUND; the new owner
 * delivers them again). */
#include "infrastructure/bus_kafka.h"

#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/clock.h"
#include "clipforge/log.h"
#include "clipforge/uri.h"

#define SLICE_MS 100
#define OP_TIMEOUT_MS 10000 /* metadata, offsets and commits */
#define JOIN_EXTRA_MS 5000  /* beyond the session timeout, for the first assignment */
#define TRACE_HEADER "clipforge-trace"
#define NAME_MAX_LEN 249 /* Kafka's limit on topic names */
#define META_MAX 2048    /* commit metadata; brokers accept 4096 bytes by default */
#define KEY_MAX 128

/* A fetched message this member has not finished. */
typedef struct rec {
    struct rec *next; /* fetch order: ascending offsets within a partition */
    int32_t partition;
    int64_t offset;
    char *payload, *trace;
    int deliveries;     /* so far, by this member and the ones before it */
    int64_t visible_at; /* not handed out before (nack delay, ack timeout of the delivery in hand) */
    uint64_t tag;       /* the delivery in hand; 0 when none */
    bool done;
} rec;

/* A partition this member has fetched from. */
typedef struct part {
    struct part *next;
    int32_t partition;
    int64_t next_offset; /* one past the last offset fetched */
    char *prior;         /* the delivery counts left by the previous owner (commit metadata) */
} part;

/* This bus's membership of one group on one topic. */
typedef struct member {
    struct member *next;
    char *topic, *group;
    char ktopic[NAME_MAX_LEN + 1];
    rd_kafka_t *rk;
    pthread_mutex_t poll_lock; /* serialises polls of rk; guards joined and paused */
    bool joined, paused;
    pthread_mutex_t lock; /* guards recs and parts; held across their commits */
    rec *recs;
    part *parts;
} member;

typedef struct kafka_bus {
    char brokers[1024], prefix[64];
    int64_t ack_timeout_ms, max_inflight, session_timeout_ms;
    atomic_bool closed;
    atomic_uint_fast64_t next_tag;
    pthread_mutex_t lock; /* guards members and producer */
    member *members;
    rd_kafka_t *producer;
} kafka_bus;

static cf_err kafka_fail(rd_kafka_resp_err_t e, const char *what, const char *name, cf_error *err) {
    cf_err rc = CF_ERR_IO;
    if (e == RD_KAFKA_RESP_ERR__TIMED_OUT || e == RD_KAFKA_RESP_ERR__TRANSPORT ||
        e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || e == RD_KAFKA_RESP_ERR__QUEUE_FULL ||
        e == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT || e == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
        e == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || e == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE)
        rc = CF_ERR_UNAVAILABLE;
    if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
        rc = CF_ERR_NOT_FOUND;
    return cf_error_set(err, rc, "bus: kafka %s %s: %s", what, name, rd_kafka_err2str(e));
}

/* ---- URL ---- */

/* Kafka names take letters, digits, '.', '_' and '-'. */
static bool legal_name(const char *s, size_t len) {
    if (!len) return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i])) return false;
    return true;
}

/* Applies one "key=value" setting; false when the key is unknown or the value bad. */
static bool apply_setting(kafka_bus *b, const char *k, size_t klen, const char *v, size_t vlen) {
    const struct {
        const char *name;
        int64_t *value;
    } nums[] = {{"ack_timeout_ms", &b->ack_timeout_ms},
                {"max_inflight", &b->max_inflight},
                {"session_timeout_ms", &b->session_timeout_ms}};
    if (klen == 6 && !strncmp(k, "prefix", 6)) {
        if (vlen >= sizeof b->prefix || !legal_name(v, vlen)) return false;
        snprintf(b->prefix, sizeof b->prefix, "%.*s", (int)vlen, v);
        return true;
    }
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (klen == strlen(nums[i].name) && !strncmp(k, nums[i].name, klen))
            return cf_uri_int(v, vlen, 1, INT32_MAX, nums[i].value);
    return false;
}

static cf_err parse_url(kafka_bus *b, const char *url, cf_error *err) {
    const char *p = cf_uri_rest(url, "kafka");
    size_t hlen = p ? strcspn(p, "/?") : 0;
    if (!hlen || hlen >= sizeof b->brokers)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "bus URL '%s': expected kafka://HOST:PORT[,HOST:PORT...]", url);
    snprintf(b->brokers, sizeof b->brokers, "%.*s", (int)hlen, p);
    const char *q = p + hlen;
    if (*q == '/') q++;
    if (*q && *q != '?')
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus URL '%s': unexpected path", url);
    for (q = *q ? q + 1 : q; *q;) {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        if (!eq || !apply_setting(b, q, klen, eq + 1, len - klen - 1))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus URL '%s': bad setting '%.*s'", url,
                                (int)len, q);
        q += len;
        if (*q == '&') q++;
    }
    return CF_OK;
}

/* ---- client handles ---- */

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    cf_log(level <= 4 ? CF_LOG_WARN : CF_LOG_DEBUG, "kafka", "%s: %s", fac, buf);
}

/* Broker outages are retried by librdkafka and only worth a debug line; fatal errors (the
 * idempotent producer's broken guarantees) fail every later call and are reported. */
static void on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque) {
    (void)opaque;
    bool fatal = e == RD_KAFKA_RESP_ERR__FATAL;
    char why[256] = "";
    if (fatal) rd_kafka_fatal_error(rk, why, sizeof why);
    cf_log(fatal ? CF_LOG_ERROR : CF_LOG_DEBUG, "kafka", "%s%s%s", reason, fatal ? ": " : "", why);
}

/* A configuration for bus b with the given "key", "value" pairs (NULL-terminated); NULL with err
 * set when one is refused. */
static rd_kafka_conf_t *make_conf(const kafka_bus *b, const char *const *pairs, cf_error *err) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    if (rd_kafka_conf_set(conf, "bootstrap.servers", b->brokers, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        goto bad;
    for (; *pairs; pairs += 2)
        if (rd_kafka_conf_set(conf, pairs[0], pairs[1], errstr, sizeof errstr) != RD_KAFKA_CONF_OK) goto bad;
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
    return conf;
bad:
    rd_kafka_conf_destroy(conf);
    cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus: kafka configuration: %s", errstr);
    return NULL;
}

/* The waiter of one synchronous publish, set by its delivery report. */
typedef struct waiter {
    atomic_int done;
    rd_kafka_resp_err_t err;
} waiter;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    waiter *w = m->_private;
    w->err = m->err;
    atomic_store(&w->done, 1);
}

/* The bus's producer, made on first use. */
static rd_kafka_t *producer(kafka_bus *b, cf_error *err) {
    pthread_mutex_lock(&b->lock);
    if (!b->producer) {
        const char *pairs[] = {
            "enable.idempotence", "true",  "linger.ms", "1", "queue.buffering.max.messages", "10000",
            "message.timeout.ms", "30000", NULL};
        rd_kafka_conf_t *conf = make_conf(b, pairs, err);
        char errstr[256];
        if (conf) {
            rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
            b->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
            if (!b->producer) {
                rd_kafka_conf_destroy(conf);
                cf_error_set(err, CF_ERR_IO, "bus: kafka producer: %s", errstr);
            }
        }
    }
    rd_kafka_t *rk = b->producer;
    pthread_mutex_unlock(&b->lock);
    return rk;
}

/* A consumer in group gid (joined later, by subscribing). */
static rd_kafka_t *new_consumer(const kafka_bus *b, const char *gid, cf_error *err) {
    char session[24], heartbeat[24];
    snprintf(session, sizeof session, "%" PRId64, b->session_timeout_ms);
    snprintf(heartbeat, sizeof heartbeat, "%" PRId64,
             b->session_timeout_ms / 3 > 0 ? b->session_timeout_ms / 3 : 1);
    const char *pairs[] = {"group.id",
                           gid,
                           "enable.auto.commit",
                           "false",
                           "enable.auto.offset.store",
                           "false",
                           "auto.offset.reset",
                           "earliest",
                           "session.timeout.ms",
                           session,
                           "heartbeat.interval.ms",
                           heartbeat,
                           "fetch.wait.max.ms",
                           "100",
                           NULL};
    rd_kafka_conf_t *conf = make_conf(b, pairs, err);
    if (!conf) return NULL;
    char errstr[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        cf_error_set(err, CF_ERR_IO, "bus: kafka consumer: %s", errstr);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk); /* logs and errors are served by consumer polls */
    return rk;
}

/* ---- open, close ---- */

static void free_recs(rec *r) {
    for (rec *next; r; r = next) {
        next = r->next;
        free(r->payload);
        free(r->trace);
        free(r);
    }
}

static void free_parts(part *p) {
    for (part *next; p; p = next) {
        next = p->next;
        free(p->prior);
        free(p);
    }
}

static void member_free(member *m) {
    if (!m) return;
    if (m->rk) {
        if (m->joined) rd_kafka_consumer_close(m->rk); /* leaves the group: a rebalance without waiting */
        rd_kafka_destroy(m->rk);
    }
    free_recs(m->recs);
    free_parts(m->parts);
    pthread_mutex_destroy(&m->poll_lock);
    pthread_mutex_destroy(&m->lock);
    free(m->topic);
    free(m->group);
    free(m);
}

static void kb_close(void *self) {
    kafka_bus *b = self;
    if (!b) return;
    for (member *m = b->members, *next; m; m = next) {
        next = m->next;
        member_free(m);
    }
    if (b->producer) {
        rd_kafka_flush(b->producer, OP_TIMEOUT_MS);
        rd_kafka_destroy(b->producer);
    }
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static cf_err kb_open(const char *url, void **self, cf_error *err) {
    kafka_bus *b = calloc(1, sizeof *b);
    if (!b) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    pthread_mutex_init(&b->lock, NULL);
    snprintf(b->prefix, sizeof b->prefix, "clipforge");
    b->ack_timeout_ms = 30000;
    b->max_inflight = 64;
    b->session_timeout_ms = 10000;
    cf_err rc = parse_url(b, url, err);
    if (rc) {
        kb_close(b);
        return rc;
    }
    *self = b;
    return CF_OK;
}

/* ---- topics and groups ---- */

static cf_err topic_name(const kafka_bus *b, const char *topic, char *out, size_t cap, cf_error *err) {
    int n = snprintf(out, cap, "%s.%s", b->prefix, topic);
    if (n < 0 || (size_t)n >= cap || !legal_name(out, (size_t)n))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus: '%s' cannot name a kafka topic", topic);
    return CF_OK;
}

/* The partition count of ktopic, asking the brokers through rk (which create the topic when rk
 * may: the producer), retrying for wait_ms while the topic is being made. */
static cf_err partition_count(rd_kafka_t *rk, const char *ktopic, int wait_ms, int *n, cf_error *err) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, ktopic, NULL);
    if (!rkt) return kafka_fail(rd_kafka_last_error(), "topic", ktopic, err);
    int64_t deadline = cf_clock_ms() + wait_ms;
    rd_kafka_resp_err_t e;
    *n = 0;
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        e = rd_kafka_metadata(rk, 0, rkt, &md, OP_TIMEOUT_MS);
        if (!e) e = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
        if (!e) *n = md->topics[0].partition_cnt;
        if (md) rd_kafka_metadata_destroy(md);
        if ((!e && *n > 0) || cf_clock_ms() >= deadline) break;
        struct timespec pause = {0, 100 * 1000000};
        nanosleep(&pause, NULL);
    }
    rd_kafka_topic_destroy(rkt);
    if (!e && *n <= 0) e = RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
    return e ? kafka_fail(e, "metadata of", ktopic, err) : CF_OK;
}

/* Checks that group m has committed offsets on its topic; when it has none and create is set,
 * makes it by committing the partitions' ends. */
static cf_err ensure_group(member *m, int partitions, bool create, cf_error *err) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int i = 0; i < partitions; i++) rd_kafka_topic_partition_list_add(list, m->ktopic, i);
    rd_kafka_resp_err_t e = rd_kafka_committed(m->rk, list, OP_TIMEOUT_MS);
    bool any = false;
    for (int i = 0; !e && i < list->cnt; i++) any = any || list->elems[i].offset >= 0;
    for (int i = 0; !e && !any && create && i < list->cnt; i++) {
        int64_t low, high;
        e = rd_kafka_query_watermark_offsets(m->rk, m->ktopic, i, &low, &high, OP_TIMEOUT_MS);
        list->elems[i].offset = high;
    }
    if (!e && !any && create) {
        e = rd_kafka_commit(m->rk, list, 0);
        /* Refused because members joined meanwhile: another process made the group first. */
        if (e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
            e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
            e = RD_KAFKA_RESP_ERR_NO_ERROR;
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (e) return kafka_fail(e, "offsets of group on", m->ktopic, err);
    if (!any && !create)
        return cf_error_set(err, CF_ERR_NOT_FOUND, "bus: no group %s on %s", m->group, m->topic);
    return CF_OK;
}

static member *find_member(kafka_bus *b, const char *topic, const char *group) {
    pthread_mutex_lock(&b->lock);
    member *m = b->members;
    while (m && (strcmp(m->topic, topic) || strcmp(m->group, group))) m = m->next;
    pthread_mutex_unlock(&b->lock);
    return m;
}

static member *member_new(kafka_bus *b, const char *topic, const char *group, cf_error *err) {
    member *m = calloc(1, sizeof *m);
    if (!m) {
        cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->poll_lock, NULL);
    pthread_mutex_init(&m->lock, NULL);
    m->topic = strdup(topic);
    m->group = strdup(group);
    char gid[NAME_MAX_LEN + 1];
    cf_err rc = m->topic && m->group ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = topic_name(b, topic, m->ktopic, sizeof m->ktopic, err);
    int n = rc ? 0 : snprintf(gid, sizeof gid, "%s.%s", m->ktopic, group); /* PREFIX.TOPIC.GROUP */
    if (rc == CF_OK && (n < 0 || (size_t)n >= sizeof gid || !legal_name(group, strlen(group))))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus: '%s' cannot name a kafka group", group);
    if (rc == CF_OK) m->rk = new_consumer(b, gid, err);
    if (!m->rk) {
        member_free(m);
        return NULL;
    }
    return m;
}

/* The member of (topic, group), made on first use; with create, the topic and group are made
 * when missing, else a missing one is CF_ERR_NOT_FOUND. */
static member *get_member(kafka_bus *b, const char *topic, const char *group, bool create, cf_error *err) {
    member *m = find_member(b, topic, group);
    if (m) return m;
    m = member_new(b, topic, group, err);
    if (!m) return NULL;
    rd_kafka_t *asker = create ? producer(b, err) : m->rk;
    int n = 0;
    cf_err rc = asker ? partition_count(asker, m->ktopic, create ? OP_TIMEOUT_MS : 0, &n, err) : err->code;
    if (rc == CF_OK) rc = ensure_group(m, n, create, err);
    if (rc) {
        member_free(m);
        return NULL;
    }
    pthread_mutex_lock(&b->lock);
    member *other = b->members; /* made meanwhile by another thread? */
    while (other && (strcmp(other->topic, topic) || strcmp(other->group, group))) other = other->next;
    if (!other) {
        m->next = b->members;
        b->members = m;
    }
    pthread_mutex_unlock(&b->lock);
    if (other) member_free(m);
    return other ? other : m;
}

static cf_err kb_subscribe(void *self, const char *topic, const char *group, cf_error *err) {
    return get_member(self, topic, group, true, err) ? CF_OK : err->code;
}

/* ---- publish ---- */

/* The message key: the payload's job id, else the topic. */
static void message_key(const char *topic, const char *payload, char *key, size_t cap) {
    snprintf(key, cap, "%s", topic);
    size_t len = strlen(payload);
    if (!strncmp(payload, "j_", 2) && len < cap && !payload[strcspn(payload, " \t\r\n\"{}")]) {
        memcpy(key, payload, len + 1);
    } else if (payload[0] == '{') {
        json_t *doc = json_loads(payload, 0, NULL);
        const char *id = json_string_value(json_object_get(doc, "job_id"));
        if (id && *id && strlen(id) < cap) snprintf(key, cap, "%s", id);
        json_decref(doc);
    }
}

static cf_err kb_publish_traced(void *self, const char *topic, const char *payload, const char *trace_context,
                                cf_error *err) {
    kafka_bus *b = self;
    char ktopic[NAME_MAX_LEN + 1], key[KEY_MAX];
    cf_err rc = topic_name(b, topic, ktopic, sizeof ktopic, err);
    rd_kafka_t *rk = rc ? NULL : producer(b, err);
    if (!rk) return err->code;
    message_key(topic, payload, key, sizeof key);
    rd_kafka_headers_t *headers = rd_kafka_headers_new(1);
    if (trace_context) rd_kafka_header_add(headers, TRACE_HEADER, -1, trace_context, -1);
    waiter w = {0};
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(ktopic), RD_KAFKA_V_KEY(key, strlen(key)),
        RD_KAFKA_V_VALUE((void *)payload, strlen(payload)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(&w), RD_KAFKA_V_END);
    if (e) {
        rd_kafka_headers_destroy(headers); /* kept by librdkafka only on success */
        return kafka_fail(e, "publish to", ktopic, err);
    }
    /* The report always comes, within message.timeout.ms: w lives until then. Any publishing
     * thread's poll serves every thread's reports. */
    while (!atomic_load(&w.done)) rd_kafka_poll(rk, 50);
    return w.err ? kafka_fail(w.err, "publish to", ktopic, err) : CF_OK;
}

static cf_err kb_publish(void *self, const char *topic, const char *payload, cf_error *err) {
    return kb_publish_traced(self, topic, payload, NULL, err);
}

/* ---- the unfinished messages of a member ---- */

static part *find_part(member *m, int32_t partition) {
    part *p = m->parts;
    while (p && p->partition != partition) p = p->next;
    return p;
}

/* How often the previous owner of p delivered offset (its commit metadata "offset:count,..."). */
static int prior_deliveries(const part *p, int64_t offset) {
    for (const char *s = p->prior; s && *s;) {
        char *end;
        long long o = strtoll(s, &end, 10);
        if (*end != ':') return 0;
        long count = strtol(end + 1, &end, 10);
        if (o == offset) return count > 0 && count < 1000000 ? (int)count : 0;
        s = *end == ',' ? end + 1 : end;
        if (!*end) break;
    }
    return 0;
}

/* The state of a partition first fetched from: what its committed offset's metadata says. */
static part *add_part(member *m, int32_t partition) {
    part *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->partition = partition;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(list, m->ktopic, partition);
    if (!rd_kafka_committed(m->rk, list, OP_TIMEOUT_MS) && !tp->err && tp->metadata && tp->metadata_size)
        p->prior = strndup(tp->metadata, tp->metadata_size);
    rd_kafka_topic_partition_list_destroy(list);
    p->next = m->parts;
    m->parts = p;
    return p;
}

static void drop_partition(member *m, int32_t partition) {
    for (rec **pp = &m->recs; *pp;) {
        rec *r = *pp;
        if (r->partition != partition) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        r->next = NULL;
        free_recs(r);
    }
    for (part **pp = &m->parts; *pp; pp = &(*pp)->next) {
        if ((*pp)->partition != partition) continue;
        part *p = *pp;
        *pp = p->next;
        p->next = NULL;
        free_parts(p);
        break;
    }
}

/* Keeps a fetched message (m->lock held), unless it was fetched before: a partition handed back
 * to this member is fetched again from its committed offset. */
static void keep(member *m, const rd_kafka_message_t *msg) {
    part *p = find_part(m, msg->partition);
    if (!p) p = add_part(m, msg->partition);
    if (!p || msg->offset < p->next_offset) return;
    rec *r = calloc(1, sizeof *r);
    rd_kafka_headers_t *headers = NULL;
    const void *trace = NULL;
    size_t trace_len = 0;
    if (!rd_kafka_message_headers(msg, &headers))
        rd_kafka_header_get_last(headers, TRACE_HEADER, &trace, &trace_len);
    if (r) {
        r->payload = msg->payload ? strndup(msg->payload, msg->len) : strdup("");
        r->trace = trace ? strndup(trace, trace_len) : NULL;
    }
    if (!r || !r->payload || (trace && !r->trace)) {
        free_recs(r);
        cf_log_error("kafka", "out of memory: offset %" PRId64 " of %s is left to redelivery", msg->offset,
                     m->ktopic);
        return;
    }
    r->partition = msg->partition;
    r->offset = msg->offset;
    r->deliveries = prior_deliveries(p, msg->offset);
    p->next_offset = msg->offset + 1;
    rec **tail = &m->recs;
    while (*tail) tail = &(*tail)->next;
    *tail = r;
}

static bool owns(member *m, int32_t partition) {
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(m->rk, &a)) return true; /* cannot tell: let the commit decide */
    bool found = rd_kafka_topic_partition_list_find(a, m->ktopic, partition) != NULL;
    rd_kafka_topic_partition_list_destroy(a);
    return found;
}

/* Commits partition's position (its oldest unfinished message) with the delivery counts of its
 * unfinished messages, then forgets its finished ones (m->lock held). CF_ERR_NOT_FOUND when the
 * partition went to another member: its messages are dropped here. */
static cf_err commit_partition(member *m, int32_t partition, cf_error *err) {
    if (!owns(m, partition)) {
        drop_partition(m, partition);
        return cf_error_set(err, CF_ERR_NOT_FOUND, "bus: partition %d of %s went to another consumer",
                            (int)partition, m->ktopic);
    }
    part *p = find_part(m, partition);
    int64_t position = p ? p->next_offset : -1;
    char meta[META_MAX] = "";
    size_t used = 0;
    bool first = true;
    for (rec *r = m->recs; r; r = r->next) {
        if (r->partition != partition || r->done) continue;
        if (first) position = r->offset, first = false;
        int n = snprintf(meta + used, sizeof meta - used, "%" PRId64 ":%d,", r->offset, r->deliveries);
        if (n > 0 && (size_t)n < sizeof meta - used) used += (size_t)n;
        else meta[used] = 0; /* full: later messages are reported as first deliveries */
    }
    for (rec **pp = &m->recs; *pp;) {
        rec *r = *pp;
        if (r->partition != partition || !r->done) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        r->next = NULL;
        free_recs(r);
    }
    if (position < 0) return CF_OK;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(list, m->ktopic, partition);
    tp->offset = position;
    tp->metadata = used ? strdup(meta) : NULL; /* freed with the list */
    tp->metadata_size = tp->metadata ? used : 0;
    rd_kafka_resp_err_t e = rd_kafka_commit(m->rk, list, 0);
    if (!e) e = tp->err;
    rd_kafka_topic_partition_list_destroy(list);
    return e ? kafka_fail(e, "commit on", m->ktopic, err) : CF_OK;
}

/* ---- receive, ack, nack ---- */

static size_t unfinished(member *m) {
    size_t n = 0;
    pthread_mutex_lock(&m->lock);
    for (rec *r = m->recs; r; r = r->next) n += !r->done;
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* Pauses fetching while max_inflight messages are unfinished (m->poll_lock held). */
static void throttle(kafka_bus *b, member *m) {
    bool full = unfinished(m) >= (size_t)b->max_inflight;
    if (!full && !m->paused) return;
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(m->rk, &a)) return;
    if (full) rd_kafka_pause_partitions(m->rk, a); /* again each time: a rebalance brings new ones */
    else rd_kafka_resume_partitions(m->rk, a);
    rd_kafka_topic_partition_list_destroy(a);
    m->paused = full;
}

/* Polls once for up to ms, keeping what comes (m->poll_lock held). */
static void poll_once(member *m, int ms) {
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->rk, ms);
    if (!msg) return;
    if (!msg->err) {
        pthread_mutex_lock(&m->lock);
        keep(m, msg);
        pthread_mutex_unlock(&m->lock);
    } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        cf_log_debug("kafka", "%s: %s", m->ktopic, rd_kafka_message_errstr(msg));
    }
    rd_kafka_message_destroy(msg);
}

static bool assigned(member *m) {
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(m->rk, &a)) return false;
    bool any = a->cnt > 0;
    rd_kafka_topic_partition_list_destroy(a);
    return any;
}

/* Joins the group on first use and waits for the first assignment (a member without partitions,
 * when the group has more members than partitions, stops waiting after the join time). */
static cf_err join(kafka_bus *b, member *m, cf_error *err) {
    cf_err rc = CF_OK;
    pthread_mutex_lock(&m->poll_lock);
    if (!m->joined) {
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, m->ktopic, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t e = rd_kafka_subscribe(m->rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        int64_t deadline = cf_clock_ms() + b->session_timeout_ms + JOIN_EXTRA_MS;
        while (!e && !atomic_load(&b->closed) && cf_clock_ms() < deadline && !assigned(m))
            poll_once(m, SLICE_MS);
        m->joined = !e;
        if (e) rc = kafka_fail(e, "join group on", m->ktopic, err);
    }
    pthread_mutex_unlock(&m->poll_lock);
    return rc;
}

/* Hands out the first message due (visible and not in hand, or in hand past its ack timeout):
 * CF_OK with out filled, or CF_ERR_TIMEOUT with *wake = when the next one is due. */
static cf_err hand_out(kafka_bus *b, member *m, cf_bus_message *out, int64_t *wake, cf_error *err) {
    pthread_mutex_lock(&m->lock);
    int64_t now = cf_clock_ms();
    *wake = INT64_MAX;
    rec *r = m->recs;
    for (; r; r = r->next) {
        if (r->done) continue;
        if (r->visible_at <= now) break;
        if (r->visible_at < *wake) *wake = r->visible_at;
    }
    if (!r) {
        pthread_mutex_unlock(&m->lock);
        return CF_ERR_TIMEOUT;
    }
    r->deliveries++;
    r->tag = atomic_fetch_add(&b->next_tag, 1) + 1;
    r->visible_at = now + b->ack_timeout_ms;
    cf_error cerr;
    int32_t partition = r->partition;
    cf_err rc = commit_partition(m, partition, &cerr); /* the delivery count, for a successor */
    if (rc == CF_ERR_NOT_FOUND) {                      /* r is gone with its partition */
        pthread_mutex_unlock(&m->lock);
        *wake = now;
        return CF_ERR_TIMEOUT;
    }
    if (rc) cf_log_debug("kafka", "delivery count not recorded: %s", cerr.msg);
    out->tag = r->tag;
    out->deliveries = r->deliveries;
    out->topic = strdup(m->topic);
    out->group = strdup(m->group);
    out->payload = strdup(r->payload);
    bool traced = r->trace != NULL;
    out->trace_context = traced ? strdup(r->trace) : NULL;
    pthread_mutex_unlock(&m->lock);
    if (!out->topic || !out->group || !out->payload || (traced && !out->trace_context)) {
        cf_bus_message_free(out); /* the message stays in hand: redelivered after the ack timeout */
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    return CF_OK;
}

static cf_err kb_receive(void *self, const char *topic, const char *group, int timeout_ms,
                         cf_bus_message *out, cf_error *err) {
    kafka_bus *b = self;
    memset(out, 0, sizeof *out);
    if (atomic_load(&b->closed)) return cf_error_set(err, CF_ERR_UNAVAILABLE, "bus: shut down");
    member *m = get_member(b, topic, group, false, err);
    cf_err rc = m ? join(b, m, err) : err->code;
    if (rc) return rc;
    int64_t deadline = cf_clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        if (atomic_load(&b->closed)) return cf_error_set(err, CF_ERR_UNAVAILABLE, "bus: shut down");
        int64_t wake;
        rc = hand_out(b, m, out, &wake, err);
        if (rc != CF_ERR_TIMEOUT) return rc;
        int64_t now = cf_clock_ms();
        if (now >= deadline) return cf_error_set(err, CF_ERR_TIMEOUT, "bus: no message on %s", topic);
        int64_t until = deadline < wake ? deadline : wake;
        int64_t slice = until - now < SLICE_MS ? until - now : SLICE_MS;
        pthread_mutex_lock(&m->poll_lock);
        throttle(b, m);
        poll_once(m, slice > 1 ? (int)slice : 1);
        pthread_mutex_unlock(&m->poll_lock);
    }
}

/* Finishes (ack) or returns (nack, due after delay_ms) the delivery msg. */
static cf_err settle(kafka_bus *b, const cf_bus_message *msg, bool finish, int delay_ms, cf_error *err) {
    member *m = msg->topic && msg->group ? find_member(b, msg->topic, msg->group) : NULL;
    cf_err rc = CF_OK;
    if (m) pthread_mutex_lock(&m->lock);
    rec *r = m ? m->recs : NULL;
    while (r && (r->tag != msg->tag || r->done)) r = r->next;
    if (r && finish) {
        r->done = true;
        rc = commit_partition(m, r->partition, err);
    } else if (r) {
        r->tag = 0;
        r->visible_at = cf_clock_ms() + (delay_ms > 0 ? delay_ms : 0);
    }
    if (m) pthread_mutex_unlock(&m->lock);
    if (!r)
        return cf_error_set(err, CF_ERR_NOT_FOUND, "bus: delivery %llu is not pending",
                            (unsigned long long)msg->tag);
    return rc;
}

static cf_err kb_ack(void *self, const cf_bus_message *m, cf_error *err) {
    return settle(self, m, true, 0, err);
}

static cf_err kb_nack(void *self, const cf_bus_message *m, int delay_ms, cf_error *err) {
    return settle(self, m, false, delay_ms, err);
}

static void kb_shutdown(void *self) {
    kafka_bus *b = self;
    atomic_store(&b->closed, true);
}

static const cf_bus_methods methods = {
    .version = 1,
    .name = "kafka",
    .open = kb_open,
    .close = kb_close,
    .publish = kb_publish,
    .subscribe = kb_subscribe,
    .receive = kb_receive,
    .ack = kb_ack,
    .nack = kb_nack,
    .shutdown = kb_shutdown,
    .durable = 1,
    .publish_traced = kb_publish_traced,
};

const cf_bus_methods *cf_bus_kafka_methods(void) {
    return &methods;
}

/* bus_memory.c — the in-memory message bus. Each topic has consumer groups; a published message
 * is copied to every group of its topic (fan-out) and each group hands it to one receiver
 * (competing consumers). A delivered message stays in the group's in-flight list until acked;
 * one left unacknowledged past ack_timeout_ms (the URL setting, default 30 s) goes back to the
 * pending queue and is delivered again, as is a nacked one after its delay.
 * One mutex guards everything; receivers wait on one condition variable. */
#include "infrastructure/bus_memory.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/clock.h"

typedef struct msg {
    struct msg *next;
    uint64_t tag;
    char *payload;
    char *trace_context; /* NULL when published without one */
    int deliveries;
    int64_t visible_at; /* pending: not before; in flight: redelivered after */
} msg;

typedef struct group {
    struct group *next;
    char *name;
    msg *pending, *pending_tail;
    msg *inflight;
} group;

typedef struct topic {
    struct topic *next;
    char *name;
    group *groups;
} topic;

typedef struct mem_bus {
    pthread_mutex_t lock; /* guards all below */
    pthread_cond_t changed;
    topic *topics;
    uint64_t next_tag;
    int64_t ack_timeout_ms;
    bool closed;
} mem_bus;

static void free_msgs(msg *m) {
    while (m) {
        msg *next = m->next;
        free(m->payload);
        free(m->trace_context);
        free(m);
        m = next;
    }
}

static cf_err mem_open(const char *url, void **self, cf_error *err) {
    mem_bus *b = calloc(1, sizeof *b);
    if (!b) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    b->ack_timeout_ms = 30000;
    const char *opt = strstr(url, "ack_timeout_ms=");
    if (opt) {
        char *end = NULL;
        long long v = strtoll(opt + strlen("ack_timeout_ms="), &end, 10);
        if (v <= 0 || (*end && *end != '&')) {
            free(b);
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bus URL '%s': bad ack_timeout_ms", url);
        }
        b->ack_timeout_ms = v;
    }
    pthread_mutex_init(&b->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&b->changed, &attr);
    pthread_condattr_destroy(&attr);
    b->next_tag = 1;
    *self = b;
    return CF_OK;
}

static void mem_close(void *self) {
    mem_bus *b = self;
    if (!b) return;
    for (topic *t = b->topics; t;) {
        for (group *g = t->groups; g;) {
            free_msgs(g->pending);
            free_msgs(g->inflight);
            group *next = g->next;
            free(g->name);
            free(g);
            g = next;
        }
        topic *next = t->next;
        free(t->name);
        free(t);
        t = next;
    }
    pthread_cond_destroy(&b->changed);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static topic *find_topic(mem_bus *b, const char *name, bool create) {
    for (topic *t = b->topics; t; t = t->next)
        if (!strcmp(t->name, name)) return t;
    if (!create) return NULL;
    topic *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(name))) {
        free(t);
        return NULL;
    }
    t->next = b->topics;
    b->topics = t;
    return t;
}

static group *find_group(topic *t, const char *name, bool create) {
    for (group *g = t->groups; g; g = g->next)
        if (!strcmp(g->name, name)) return g;
    if (!create) return NULL;
    group *g = calloc(1, sizeof *g);
    if (!g || !(g->name = strdup(name))) {
        free(g);
        return NULL;
    }
    g->next = t->groups;
    t->groups = g;
    return g;
}

static void push_pending(group *g, msg *m) {
    m->next = NULL;
    if (g->pending_tail) g->pending_tail->next = m;
    else g->pending = m;
    g->pending_tail = m;
}

static cf_err mem_publish_traced(void *self, const char *topic_name, const char *payload,
                                 const char *trace_context, cf_error *err) {
    mem_bus *b = self;
    cf_err rc = CF_OK;
    pthread_mutex_lock(&b->lock);
    topic *t = find_topic(b, topic_name, false);
    for (group *g = t ? t->groups : NULL; g && rc == CF_OK; g = g->next) {
        msg *m = calloc(1, sizeof *m);
        if (!m || !(m->payload = strdup(payload)) ||
            (trace_context && !(m->trace_context = strdup(trace_context)))) {
            if (m) free(m->payload);
            free(m);
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
            break;
        }
        m->tag = b->next_tag++;
        push_pending(g, m);
    }
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
    return rc;
}

static cf_err mem_publish(void *self, const char *topic_name, const char *payload, cf_error *err) {
    return mem_publish_traced(self, topic_name, payload, NULL, err);
}

static cf_err mem_subscribe(void *self, const char *topic_name, const char *group_name, cf_error *err) {
    mem_bus *b = self;
    pthread_mutex_lock(&b->lock);
    topic *t = find_topic(b, topic_name, true);
    group *g = t ? find_group(t, group_name, true) : NULL;
    pthread_mutex_unlock(&b->lock);
    return g ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* Moves in-flight messages past their deadline back to pending. */
static void expire_inflight(group *g, int64_t now) {
    msg **pp = &g->inflight;
    while (*pp) {
        msg *m = *pp;
        if (m->visible_at <= now) {
            *pp = m->next;
            m->visible_at = 0;
            push_pending(g, m);
        } else {
            pp = &m->next;
        }
    }
}

/* Takes the first pending message visible at now; *wake_at = earliest future deadline. */
static msg *take_visible(group *g, int64_t now, int64_t *wake_at) {
    msg *prev = NULL;
    for (msg *m = g->pending; m; prev = m, m = m->next) {
        if (m->visible_at <= now) {
            if (prev) prev->next = m->next;
            else g->pending = m->next;
            if (g->pending_tail == m) g->pending_tail = prev;
            return m;
        }
        if (m->visible_at < *wake_at) *wake_at = m->visible_at;
    }
    for (msg *m = g->inflight; m; m = m->next)
        if (m->visible_at < *wake_at) *wake_at = m->visible_at;
    return NULL;
}

static cf_err deliver(mem_bus *b, group *g, msg *m, const char *topic_name, cf_bus_message *out,
                      cf_error *err) {
    out->topic = strdup(topic_name);
    out->group = strdup(g->name);
    out->payload = strdup(m->payload);
    out->trace_context = m->trace_context ? strdup(m->trace_context) : NULL;
    if (!out->topic || !out->group || !out->payload || (m->trace_context && !out->trace_context)) {
        cf_bus_message_free(out);
        push_pending(g, m);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    m->deliveries++;
    m->visible_at = cf_clock_ms() + b->ack_timeout_ms;
    m->next = g->inflight;
    g->inflight = m;
    out->tag = m->tag;
    out->deliveries = m->deliveries;
    return CF_OK;
}

static cf_err mem_receive_many(void *self, const char *topic_name, const char *group_name, int timeout_ms,
                               cf_bus_message *out, size_t max, size_t *n, cf_error *err) {
    mem_bus *b = self;
    *n = 0;
    int64_t deadline = cf_clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    cf_err rc = CF_OK;
    pthread_mutex_lock(&b->lock);
    topic *t = find_topic(b, topic_name, false);
    group *g = t ? find_group(t, group_name, false) : NULL;
    if (!g) rc = cf_error_set(err, CF_ERR_NOT_FOUND, "bus: no subscription %s/%s", topic_name, group_name);
    while (rc == CF_OK) {
        if (b->closed) {
            rc = cf_error_set(err, CF_ERR_UNAVAILABLE, "bus: shut down");
            break;
        }
        int64_t now = cf_clock_ms(), wake_at = deadline;
        expire_inflight(g, now);
        msg *m;
        while (rc == CF_OK && *n < max && (m = take_visible(g, now, &wake_at)) != NULL)
            if ((rc = deliver(b, g, m, topic_name, &out[*n], err)) == CF_OK) ++*n;
        if (*n) {
            rc = CF_OK; /* what was delivered before a failure is the answer */
            break;
        }
        if (rc) break;
        if (now >= deadline) {
            rc = cf_error_set(err, CF_ERR_TIMEOUT, "bus: no message");
            break;
        }
        struct timespec ts = {.tv_sec = wake_at / 1000, .tv_nsec = (wake_at % 1000) * 1000000};
        pthread_cond_timedwait(&b->changed, &b->lock, &ts);
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

static cf_err mem_receive(void *self, const char *topic_name, const char *group_name, int timeout_ms,
                          cf_bus_message *out, cf_error *err) {
    size_t n = 0;
    return mem_receive_many(self, topic_name, group_name, timeout_ms, out, 1, &n, err);
}

/* Unlinks the in-flight delivery of m; NULL when it is no longer in flight. */
static msg *take_inflight(mem_bus *b, const cf_bus_message *cm) {
    topic *t = find_topic(b, cm->topic, false);
    group *g = t ? find_group(t, cm->group, false) : NULL;
    for (msg **pp = g ? &g->inflight : NULL; pp && *pp; pp = &(*pp)->next) {
        if ((*pp)->tag == cm->tag) {
            msg *m = *pp;
            *pp = m->next;
            return m;
        }
    }
    return NULL;
}

static cf_err mem_ack(void *self, const cf_bus_message *cm, cf_error *err) {
    mem_bus *b = self;
    pthread_mutex_lock(&b->lock);
    msg *m = take_inflight(b, cm);
    pthread_mutex_unlock(&b->lock);
    if (!m)
        return cf_error_set(err, CF_ERR_NOT_FOUND, "bus: delivery %llu is not in flight",
                            (unsigned long long)cm->tag);
    free(m->payload);
    free(m->trace_context);
    free(m);
    return CF_OK;
}

static cf_err mem_nack(void *self, const cf_bus_message *cm, int delay_ms, cf_error *err) {
    mem_bus *b = self;
    pthread_mutex_lock(&b->lock);
    msg *m = take_inflight(b, cm);
    if (m) {
        topic *t = find_topic(b, cm->topic, false);
        group *g = find_group(t, cm->group, false);
        m->visible_at = cf_clock_ms() + (delay_ms > 0 ? delay_ms : 0);
        push_pending(g, m);
        pthread_cond_broadcast(&b->changed);
    }
    pthread_mutex_unlock(&b->lock);
    return m ? CF_OK
             : cf_error_set(err, CF_ERR_NOT_FOUND, "bus: delivery %llu is not in flight",
                            (unsigned long long)cm->tag);
}

static void mem_shutdown(void *self) {
    mem_bus *b = self;
    pthread_mutex_lock(&b->lock);
    b->closed = true;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

static const cf_bus_methods methods = {
    .version = 1,
    .name = "memory",
    .open = mem_open,
    .close = mem_close,
    .publish = mem_publish,
    .subscribe = mem_subscribe,
    .receive = mem_receive,
    .receive_many = mem_receive_many,
    .ack = mem_ack,
    .nack = mem_nack,
    .shutdown = mem_shutdown,
    .publish_traced = mem_publish_traced,
};

const cf_bus_methods *cf_bus_memory_methods(void) {
    return &methods;
}

/* trace.c — W3C Trace Context (traceparent/tracestate) and spans: ids, parents, the calling
 * thread's current context, attributes. Finished recording spans go to the exporter
 * (trace_export.c); steered by the OTEL_* variables read there. */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "trace_internal.h"

static _Thread_local cf_trace_ctx t_current;
static _Thread_local uint64_t t_rng;

/* splitmix64 seeded per thread from the kernel: ids need to be unique, not secret. */
static uint64_t next_random(void) {
    if (!t_rng) {
        if (getrandom(&t_rng, sizeof t_rng, 0) != sizeof t_rng) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            t_rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)&ts;
        }
        t_rng |= 1;
    }
    uint64_t z = (t_rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void random_bytes(uint8_t *out, size_t n) {
    for (;;) {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t r = next_random();
            memcpy(out + i, &r, n - i < 8 ? n - i : 8);
        }
        for (size_t i = 0; i < n; i++)
            if (out[i]) return; /* all-zero ids are invalid: draw again */
    }
}

static bool all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

bool cf_trace_ctx_valid(const cf_trace_ctx *c) {
    return c && !all_zero(c->trace_id, 16) && !all_zero(c->span_id, 8);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1; /* upper case is invalid in traceparent */
}

static bool parse_hex(const char *s, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
        if (lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* tracestate: printable ASCII, at most CF_TRACESTATE_MAX; anything else is not propagated. */
static void take_tracestate(const char *ts, cf_trace_ctx *out) {
    out->tracestate[0] = '\0';
    if (!ts) return;
    size_t n = strlen(ts);
    if (n > CF_TRACESTATE_MAX) return;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)ts[i] < 0x20 || (unsigned char)ts[i] > 0x7e) return;
    memcpy(out->tracestate, ts, n + 1);
}

bool cf_trace_parse(const char *tp, const char *tracestate, cf_trace_ctx *out) {
    memset(out, 0, sizeof *out);
    if (!tp) return false;
    size_t n = strlen(tp);
    uint8_t version;
    if (n < CF_TRACEPARENT_LEN || !parse_hex(tp, &version, 1) || version == 0xff) return false;
    /* Version 00 is exactly 55 characters; a later version may append "-..." fields. */
    if ((version == 0 && n != CF_TRACEPARENT_LEN) || (n > CF_TRACEPARENT_LEN && tp[55] != '-')) return false;
    if (tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return false;
    cf_trace_ctx c = {0};
    if (!parse_hex(tp + 3, c.trace_id, 16) || !parse_hex(tp + 36, c.span_id, 8) ||
        !parse_hex(tp + 53, &c.flags, 1) || !cf_trace_ctx_valid(&c))
        return false;
    take_tracestate(tracestate, &c);
    *out = c;
    return true;
}

static void to_hex(const uint8_t *p, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void cf_trace_ids_hex(const cf_trace_ctx *c, char *trace_id, char *span_id) {
    if (trace_id) to_hex(c->trace_id, 16, trace_id);
    if (span_id) to_hex(c->span_id, 8, span_id);
}

void cf_trace_format(const cf_trace_ctx *c, char *out) {
    char t[33], s[17];
    cf_trace_ids_hex(c, t, s);
    snprintf(out, CF_TRACEPARENT_LEN + 1, "00-%s-%s-%02x", t, s, c->flags & 0xff);
}

void cf_trace_current(cf_trace_ctx *out) {
    *out = t_current;
}

void cf_trace_set_current(const cf_trace_ctx *c, cf_trace_ctx *prev) {
    if (prev) *prev = t_current;
    if (c) t_current = *c;
    else memset(&t_current, 0, sizeof t_current);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

cf_span *cf_span_start(const char *name, cf_span_kind kind, const cf_trace_ctx *parent) {
    if (!parent) parent = &t_current;
    bool have_parent = cf_trace_ctx_valid(parent);
    bool on = cft_export_on();
    if (!on && !have_parent) return NULL;
    cf_span *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (!on) {
        /* Not recording: carry the parent's context on unchanged (it is the caller's span). */
        s->ctx = *parent;
        return s;
    }
    if (have_parent) {
        memcpy(s->ctx.trace_id, parent->trace_id, 16);
        memcpy(s->parent_span_id, parent->span_id, 8);
        memcpy(s->ctx.tracestate, parent->tracestate, sizeof s->ctx.tracestate);
    } else {
        random_bytes(s->ctx.trace_id, 16);
    }
    random_bytes(s->ctx.span_id, 8);
    s->recording = cft_sample(have_parent ? parent : NULL, s->ctx.trace_id);
    s->ctx.flags = s->recording ? 1 : 0;
    if (s->recording) {
        s->name = strdup(name ? name : "span");
        s->kind = kind;
        s->start_ns = now_ns();
        if (!s->name) s->recording = false;
    }
    return s;
}

cf_span *cf_span_begin(const char *name) {
    cf_span *s = cf_span_start(name, CF_SPAN_INTERNAL, NULL);
    if (!s) return NULL;
    s->prev = malloc(sizeof *s->prev);
    if (s->prev) cf_trace_set_current(&s->ctx, s->prev);
    return s;
}

void cft_span_free(cf_span *s) {
    if (!s) return;
    for (int i = 0; i < s->n_attrs; i++) {
        free(s->attrs[i].key);
        if (s->attrs[i].type == CFT_STR) free(s->attrs[i].v.s);
    }
    free(s->name);
    free(s->status_message);
    free(s->prev);
    free(s);
}

void cf_span_end(cf_span *s) {
    if (!s) return;
    if (!s->recording || !cft_export_on()) {
        cft_span_free(s);
        return;
    }
    s->end_ns = now_ns();
    free(s->prev);
    s->prev = NULL;
    cft_export_enqueue(s); /* owns it now */
}

void cf_span_finish(cf_span *s) {
    if (!s) return;
    if (s->prev) cf_trace_set_current(s->prev, NULL);
    cf_span_end(s);
}

const cf_trace_ctx *cf_span_ctx(const cf_span *s) {
    return s ? &s->ctx : NULL;
}

/* A free attribute slot for key (replacing an earlier value of the same key), or NULL. */
static cft_attr *slot(cf_span *s, const char *key) {
    if (!s || !s->recording || !key) return NULL;
    for (int i = 0; i < s->n_attrs; i++)
        if (!strcmp(s->attrs[i].key, key)) {
            if (s->attrs[i].type == CFT_STR) free(s->attrs[i].v.s);
            s->attrs[i].type = CFT_INT;
            return &s->attrs[i];
        }
    if (s->n_attrs == CFT_MAX_ATTRS) {
        s->dropped_attrs++;
        return NULL;
    }
    cft_attr *a = &s->attrs[s->n_attrs];
    if (!(a->key = strdup(key))) return NULL;
    a->type = CFT_INT;
    s->n_attrs++;
    return a;
}

void cf_span_set_str(cf_span *s, const char *key, const char *value) {
    cft_attr *a = slot(s, key);
    if (!a) return;
    a->v.s = strdup(value ? value : "");
    a->type = a->v.s ? CFT_STR : CFT_INT; /* out of memory: an int 0 rather than a NULL string */
}

void cf_span_set_int(cf_span *s, const char *key, int64_t value) {
    cft_attr *a = slot(s, key);
    if (a) a->type = CFT_INT, a->v.i = value;
}

void cf_span_set_double(cf_span *s, const char *key, double value) {
    cft_attr *a = slot(s, key);
    if (a) a->type = CFT_DOUBLE, a->v.d = value;
}

void cf_span_set_bool(cf_span *s, const char *key, bool value) {
    cft_attr *a = slot(s, key);
    if (a) a->type = CFT_BOOL, a->v.b = value;
}

void cf_span_set_name(cf_span *s, const char *name) {
    if (!s || !s->recording || !name) return;
    char *copy = strdup(name);
    if (!copy) return;
    free(s->name);
    s->name = copy;
}

void cf_span_set_error(cf_span *s, const char *message) {
    if (!s || !s->recording) return;
    s->status = 2;
    free(s->status_message);
    s->status_message = strdup(message ? message : "");
}

bool cf_trace_headers(const cf_trace_ctx *c, char *tp_line, size_t tp_cap, char *ts_line, size_t ts_cap) {
    cf_trace_ctx cur;
    if (!c) {
        cf_trace_current(&cur);
        c = &cur;
    }
    tp_line[0] = ts_line[0] = '\0';
    if (!cf_trace_ctx_valid(c)) return false;
    char tp[CF_TRACEPARENT_LEN + 1];
    cf_trace_format(c, tp);
    snprintf(tp_line, tp_cap, "traceparent: %s", tp);
    if (c->tracestate[0] && (size_t)snprintf(ts_line, ts_cap, "tracestate: %s", c->tracestate) >= ts_cap)
        ts_line[0] = '\0';
    return true;
}

void cf_trace_to_text(const cf_trace_ctx *c, char *out) {
    out[0] = '\0';
    if (!cf_trace_ctx_valid(c)) return;
    cf_trace_format(c, out);
    if (c->tracestate[0])
        snprintf(out + CF_TRACEPARENT_LEN, CF_TRACE_TEXT_MAX - CF_TRACEPARENT_LEN, " %s", c->tracestate);
}

bool cf_trace_from_text(const char *text, cf_trace_ctx *out) {
    memset(out, 0, sizeof *out);
    if (!text || strlen(text) < CF_TRACEPARENT_LEN) return false;
    char tp[CF_TRACEPARENT_LEN + 1];
    memcpy(tp, text, CF_TRACEPARENT_LEN);
    tp[CF_TRACEPARENT_LEN] = '\0';
    const char *rest = text + CF_TRACEPARENT_LEN;
    if (*rest && *rest != ' ') return false;
    return cf_trace_parse(tp, *rest ? rest + 1 : NULL, out);
}

/* otlp_encode.c — ExportTraceServiceRequest (opentelemetry-proto collector/trace/v1) as
 * protobuf wire format and as OTLP/JSON, written by hand: only the fields clipforge sets.
 * Protobuf messages are built inside out (a child into its own buffer, then appended with its
 * tag and length); the JSON mapping uses lowerCamelCase names, hex ids, int64 as strings. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

#define SCOPE_NAME "clipforge"

/* --- protobuf wire format ------------------------------------------------------------------ */

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static void pb_varint(cf_textbuf *b, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    cf_textbuf_put(b, tmp, n);
}

static void pb_tag(cf_textbuf *b, int field, int wt) {
    pb_varint(b, (uint64_t)field << 3 | (uint64_t)wt);
}

static void pb_bytes(cf_textbuf *b, int field, const void *p, size_t n) {
    pb_tag(b, field, WT_LEN);
    pb_varint(b, n);
    cf_textbuf_put(b, p, n);
}

static void pb_string(cf_textbuf *b, int field, const char *s) {
    if (s && *s) pb_bytes(b, field, s, strlen(s)); /* proto3: empty = absent */
}

static void pb_fixed64(cf_textbuf *b, int field, uint64_t v) {
    uint8_t le[8];
    for (int i = 0; i < 8; i++) le[i] = (uint8_t)(v >> (8 * i));
    pb_tag(b, field, WT_I64);
    cf_textbuf_put(b, le, 8);
}

static void pb_fixed32(cf_textbuf *b, int field, uint32_t v) {
    uint8_t le[4];
    for (int i = 0; i < 4; i++) le[i] = (uint8_t)(v >> (8 * i));
    pb_tag(b, field, WT_I32);
    cf_textbuf_put(b, le, 4);
}

/* Appends child as an embedded message in field, and frees it. */
static void pb_message(cf_textbuf *b, int field, cf_textbuf *child) {
    if (child->failed) b->failed = true;
    pb_bytes(b, field, child->s, child->len);
    cf_textbuf_free(child);
}

/* AnyValue: string 1, bool 2, int64 3, double 4. */
static void pb_any(cf_textbuf *b, const cft_attr *a) {
    switch (a->type) {
    case CFT_STR: pb_bytes(b, 1, a->v.s, strlen(a->v.s)); break;
    case CFT_BOOL:
        pb_tag(b, 2, WT_VARINT);
        pb_varint(b, a->v.b ? 1 : 0);
        break;
    case CFT_INT:
        pb_tag(b, 3, WT_VARINT);
        pb_varint(b, (uint64_t)a->v.i);
        break;
    case CFT_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &a->v.d, 8);
        pb_fixed64(b, 4, bits);
        break;
    }
    }
}

/* KeyValue {key 1, value 2} as field `field` of the parent. */
static void pb_attr(cf_textbuf *b, int field, const cft_attr *a) {
    cf_textbuf kv = {0}, any = {0};
    pb_string(&kv, 1, a->key);
    pb_any(&any, a);
    pb_message(&kv, 2, &any);
    pb_message(b, field, &kv);
}

static void pb_span(cf_textbuf *b, const cf_span *s) {
    assert(s); /* the exporter's batch holds finished spans only */
    cf_textbuf sp = {0};
    pb_bytes(&sp, 1, s->ctx.trace_id, 16);
    pb_bytes(&sp, 2, s->ctx.span_id, 8);
    pb_string(&sp, 3, s->ctx.tracestate);
    static const uint8_t zero[8];
    if (memcmp(s->parent_span_id, zero, 8)) pb_bytes(&sp, 4, s->parent_span_id, 8);
    pb_string(&sp, 5, s->name);
    pb_tag(&sp, 6, WT_VARINT);
    pb_varint(&sp, (uint64_t)s->kind);
    pb_fixed64(&sp, 7, s->start_ns);
    pb_fixed64(&sp, 8, s->end_ns);
    for (int i = 0; i < s->n_attrs; i++) pb_attr(&sp, 9, &s->attrs[i]);
    if (s->dropped_attrs) pb_tag(&sp, 10, WT_VARINT), pb_varint(&sp, (uint64_t)s->dropped_attrs);
    if (s->status) {
        cf_textbuf st = {0};
        pb_string(&st, 2, s->status_message);
        pb_tag(&st, 3, WT_VARINT);
        pb_varint(&st, (uint64_t)s->status);
        pb_message(&sp, 15, &st);
    }
    pb_fixed32(&sp, 16, (uint32_t)s->ctx.flags); /* the W3C trace flags */
    pb_message(b, 2, &sp);                       /* ScopeSpans.spans */
}

void cft_encode_protobuf(const cft_resource *res, cf_span *const *spans, size_t n, cf_textbuf *out) {
    cf_textbuf rs = {0}, resource = {0}, scope_spans = {0}, scope = {0};
    for (int i = 0; i < res->n; i++) pb_attr(&resource, 1, &res->attrs[i]);
    pb_message(&rs, 1, &resource);
    pb_string(&scope, 1, SCOPE_NAME);
    pb_message(&scope_spans, 1, &scope);
    for (size_t i = 0; i < n; i++) pb_span(&scope_spans, spans[i]);
    pb_message(&rs, 2, &scope_spans);
    pb_message(out, 1, &rs); /* ExportTraceServiceRequest.resource_spans */
}

/* --- OTLP/JSON ----------------------------------------------------------------------------- */

static void js_raw(cf_textbuf *b, const char *s) {
    cf_textbuf_put(b, s, strlen(s));
}

/* fmt is one of ours: a short literal around one number. */
static void js_fmt(cf_textbuf *b, const char *fmt, unsigned long long v) {
    char tmp[96];
    int n = snprintf(tmp, sizeof tmp, fmt, v);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->failed = true;
        return;
    }
    cf_textbuf_put(b, tmp, (size_t)n);
}

/* A JSON string; bytes that are not valid UTF-8 are replaced so the document stays valid. */
static void js_str(cf_textbuf *b, const char *s) {
    cf_textbuf_put(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            cf_textbuf_put(b, e, 2);
            p++;
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", c);
            cf_textbuf_put(b, e, 6);
            p++;
        } else if (c < 0x80) {
            cf_textbuf_put(b, p++, 1);
        } else {
            int len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            bool ok = len > 0;
            for (int i = 1; ok && i < len; i++) ok = (p[i] & 0xc0) == 0x80;
            if (ok) {
                cf_textbuf_put(b, p, (size_t)len);
                p += len;
            } else {
                js_raw(b, "\\ufffd");
                p++;
            }
        }
    }
    cf_textbuf_put(b, "\"", 1);
}

static void js_hex(cf_textbuf *b, const uint8_t *p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    cf_textbuf_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        char h[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
        cf_textbuf_put(b, h, 2);
    }
    cf_textbuf_put(b, "\"", 1);
}

static void js_attrs(cf_textbuf *b, const cft_attr *attrs, int n) {
    js_raw(b, "[");
    for (int i = 0; i < n; i++) {
        const cft_attr *a = &attrs[i];
        js_raw(b, i ? ",{\"key\":" : "{\"key\":");
        js_str(b, a->key);
        js_raw(b, ",\"value\":{");
        switch (a->type) {
        case CFT_STR:
            js_raw(b, "\"stringValue\":");
            js_str(b, a->v.s);
            break;
        case CFT_BOOL: js_raw(b, a->v.b ? "\"boolValue\":true" : "\"boolValue\":false"); break;
        case CFT_INT: {
            char tmp[48];
            snprintf(tmp, sizeof tmp, "\"intValue\":\"%lld\"", (long long)a->v.i);
            js_raw(b, tmp);
            break;
        }
        case CFT_DOUBLE: {
            char tmp[40];
            if (isfinite(a->v.d)) snprintf(tmp, sizeof tmp, "\"doubleValue\":%.17g", a->v.d);
            else
                snprintf(tmp, sizeof tmp, "\"doubleValue\":\"%s\"",
                         isnan(a->v.d) ? "NaN"
                         : a->v.d > 0  ? "Infinity"
                                       : "-Infinity");
            js_raw(b, tmp);
            break;
        }
        }
        js_raw(b, "}}");
    }
    js_raw(b, "]");
}

static void js_span(cf_textbuf *b, const cf_span *s) {
    js_raw(b, "{\"traceId\":");
    js_hex(b, s->ctx.trace_id, 16);
    js_raw(b, ",\"spanId\":");
    js_hex(b, s->ctx.span_id, 8);
    static const uint8_t zero[8];
    if (memcmp(s->parent_span_id, zero, 8)) {
        js_raw(b, ",\"parentSpanId\":");
        js_hex(b, s->parent_span_id, 8);
    }
    if (s->ctx.tracestate[0]) {
        js_raw(b, ",\"traceState\":");
        js_str(b, s->ctx.tracestate);
    }
    js_raw(b, ",\"name\":");
    js_str(b, s->name);
    js_fmt(b, ",\"kind\":%llu", (unsigned long long)s->kind);
    js_fmt(b, ",\"startTimeUnixNano\":\"%llu\"", (unsigned long long)s->start_ns);
    js_fmt(b, ",\"endTimeUnixNano\":\"%llu\"", (unsigned long long)s->end_ns);
    js_raw(b, ",\"attributes\":");
    js_attrs(b, s->attrs, s->n_attrs);
    if (s->dropped_attrs) js_fmt(b, ",\"droppedAttributesCount\":%llu", (unsigned long long)s->dropped_attrs);
    if (s->status) {
        js_fmt(b, ",\"status\":{\"code\":%llu", (unsigned long long)s->status);
        if (s->status_message && *s->status_message) {
            js_raw(b, ",\"message\":");
            js_str(b, s->status_message);
        }
        js_raw(b, "}");
    }
    js_fmt(b, ",\"flags\":%llu}", (unsigned long long)s->ctx.flags);
}

void cft_encode_json(const cft_resource *res, cf_span *const *spans, size_t n, cf_textbuf *out) {
    js_raw(out, "{\"resourceSpans\":[{\"resource\":{\"attributes\":");
    js_attrs(out, res->attrs, res->n);
    js_raw(out, "},\"scopeSpans\":[{\"scope\":{\"name\":\"" SCOPE_NAME "\"},\"spans\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) js_raw(out, ",");
        js_span(out, spans[i]);
    }
    js_raw(out, "]}]}]}");
}

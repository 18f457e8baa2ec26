/* trace_internal.h — what trace.c (spans), trace_export.c (queue, exporter thread) and
 * otlp_encode.c (OTLP JSON and protobuf) share. Not part of the public API. */
#ifndef CLIPFORGE_TRACE_INTERNAL_H
#define CLIPFORGE_TRACE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/textbuf.h"
#include "clipforge/trace.h"

#define CFT_MAX_ATTRS 24

typedef enum { CFT_STR, CFT_INT, CFT_DOUBLE, CFT_BOOL } cft_attr_type;

typedef struct cft_attr {
    char *key;
    cft_attr_type type;
    union {
        char *s;
        int64_t i;
        double d;
        bool b;
    } v;
} cft_attr;

struct cf_span {
    cf_trace_ctx ctx;
    uint8_t parent_span_id[8]; /* zero for a root span */
    bool recording;            /* sampled and exported; else it only carries its context */
    char *name;
    cf_span_kind kind;
    uint64_t start_ns, end_ns; /* unix nanoseconds */
    cft_attr attrs[CFT_MAX_ATTRS];
    int n_attrs, dropped_attrs;
    int status; /* 0 unset, 1 ok, 2 error (OTLP StatusCode) */
    char *status_message;
    cf_trace_ctx *prev; /* cf_span_begin: the context to put back at finish */
};

/* The resource: service.name and the other attributes, as key/value strings. */
typedef struct cft_resource {
    cft_attr attrs[32];
    int n;
} cft_resource;

/* Encodes an ExportTraceServiceRequest of n spans into out. */
void cft_encode_protobuf(const cft_resource *res, cf_span *const *spans, size_t n, cf_textbuf *out);
void cft_encode_json(const cft_resource *res, cf_span *const *spans, size_t n, cf_textbuf *out);

/* trace_export.c: true when spans are exported; takes a finished recording span. */
bool cft_export_on(void);
void cft_export_enqueue(cf_span *s);
/* The sampler's verdict for a new span (parent may be NULL or invalid). */
bool cft_sample(const cf_trace_ctx *parent, const uint8_t trace_id[16]);
/* Frees a span's strings and the span. */
void cft_span_free(cf_span *s);

#endif

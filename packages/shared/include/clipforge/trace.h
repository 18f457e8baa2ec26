/* trace.h — distributed tracing: W3C Trace Context propagation and OpenTelemetry spans exported
 * over OTLP/HTTP (protobuf or JSON) by a batching exporter in the background.
 *
 * Configured by the standard variables, read once by cf_trace_init():
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) or OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces);
 *   neither set = export off. OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL http/protobuf (default) or
 *   http/json; OTEL_EXPORTER_OTLP[_TRACES]_HEADERS; OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT (ms);
 *   OTEL_SERVICE_NAME; OTEL_RESOURCE_ATTRIBUTES; OTEL_TRACES_SAMPLER (always_on, always_off,
 *   traceidratio, parentbased_always_on (default), parentbased_always_off,
 *   parentbased_traceidratio) with OTEL_TRACES_SAMPLER_ARG; OTEL_BSP_MAX_QUEUE_SIZE,
 *   OTEL_BSP_MAX_EXPORT_BATCH_SIZE, OTEL_BSP_SCHEDULE_DELAY; OTEL_SDK_DISABLED=true and
 *   OTEL_TRACES_EXPORTER=none turn it off.
 *
 * A finished span goes into a bounded queue and never waits: when the queue is full, or an export
 * fails, spans are dropped and counted (cf_trace_stats), so a slow or dead collector never slows
 * a job or a request.
 *
 * Use: a span of work on this thread is cf_span_begin(name) ... cf_span_finish(s): it is a child
 * of the thread's current span and is current in between (log lines carry its ids). Work that
 * continues a context received from elsewhere (a header, a bus message, a stored job) takes it
 * with cf_trace_parse() and passes it to cf_span_start() as the parent. Outgoing calls put
 * cf_trace_headers() of the current context on the request. Every function takes a NULL span
 * (tracing off and nothing to propagate). */
#ifndef CLIPFORGE_TRACE_H
#define CLIPFORGE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_TRACEPARENT_LEN 55 /* "00-<32 hex>-<16 hex>-<2 hex>" */
#define CF_TRACESTATE_MAX 512 /* the W3C limit; longer ones are not propagated */

typedef struct cf_trace_ctx {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags;                          /* bit 0: sampled */
    char tracestate[CF_TRACESTATE_MAX + 1]; /* as received, "" when none */
} cf_trace_ctx;

typedef enum cf_span_kind {
    CF_SPAN_INTERNAL = 1, /* values of OTLP's SpanKind */
    CF_SPAN_SERVER = 2,
    CF_SPAN_CLIENT = 3,
    CF_SPAN_PRODUCER = 4,
    CF_SPAN_CONSUMER = 5,
} cf_span_kind;

typedef struct cf_span cf_span;

/* Reads the OTEL_* environment and starts the exporter thread when an endpoint is set.
 * service_default names the service when OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES do not;
 * instance_id (may be NULL) becomes service.instance.id. Once per process; later calls do
 * nothing. Problems with the settings are logged and turn export off; never fails. */
void cf_trace_init(const char *service_default, const char *instance_id);
/* Exports what is queued (waiting at most the export timeout) and stops the exporter. */
void cf_trace_shutdown(void);
/* True when spans are recorded and exported. */
bool cf_trace_enabled(void);

typedef struct cf_trace_stats {
    uint64_t exported;          /* spans the collector accepted */
    uint64_t dropped_queue;     /* spans dropped because the queue was full */
    uint64_t dropped_export;    /* spans in batches whose export failed or timed out */
    uint64_t queued;            /* spans waiting now */
    uint64_t export_seconds_us; /* total time spent in exports, microseconds */
    uint64_t exports;           /* export requests made */
} cf_trace_stats;
void cf_trace_stats_get(cf_trace_stats *out);

/* W3C traceparent (version 00; future versions read as 00) and optional tracestate. Returns
 * false, leaving *out invalid, for anything malformed or all-zero ids. */
bool cf_trace_parse(const char *traceparent, const char *tracestate, cf_trace_ctx *out);
/* Writes the traceparent of c into out (CF_TRACEPARENT_LEN + 1 bytes). */
void cf_trace_format(const cf_trace_ctx *c, char *out);
/* True when c has non-zero trace and span ids. */
bool cf_trace_ctx_valid(const cf_trace_ctx *c);
/* Lower-case hex of the ids: trace_id 33 bytes, span_id 17 bytes (either may be NULL). */
void cf_trace_ids_hex(const cf_trace_ctx *c, char *trace_id, char *span_id);

/* The calling thread's current context (what new spans and log lines attach to); *out is
 * invalid when there is none. */
void cf_trace_current(cf_trace_ctx *out);
/* Makes c (NULL: none) the thread's current context; the previous one is copied to prev when
 * not NULL, to be put back with cf_trace_set_current(prev). */
void cf_trace_set_current(const cf_trace_ctx *c, cf_trace_ctx *prev);

/* Starts a span, child of parent (NULL: of the thread's current context; none: a new trace).
 * Returns NULL when tracing is off and there is no parent to carry on. The thread's current
 * context does not change. */
cf_span *cf_span_start(const char *name, cf_span_kind kind, const cf_trace_ctx *parent);
/* cf_span_start(name, INTERNAL, current) that also becomes the thread's current span until
 * cf_span_finish(). Begin and finish on the same thread, innermost first. */
cf_span *cf_span_begin(const char *name);
/* Ends a span: records the end time, queues it for export and frees it. NULL-safe. */
void cf_span_end(cf_span *s);
/* Ends a span from cf_span_begin and puts the thread's previous context back. NULL-safe. */
void cf_span_finish(cf_span *s);
/* The span's context (to propagate); NULL for a NULL span. */
const cf_trace_ctx *cf_span_ctx(const cf_span *s);
/* Attributes (at most 24 per span; later ones are counted as dropped). Values are copied. */
void cf_span_set_str(cf_span *s, const char *key, const char *value);
void cf_span_set_int(cf_span *s, const char *key, int64_t value);
void cf_span_set_double(cf_span *s, const char *key, double value);
void cf_span_set_bool(cf_span *s, const char *key, bool value);
/* Renames the span (e.g. once the route of a request is known). */
void cf_span_set_name(cf_span *s, const char *name);
/* Marks the span failed (status ERROR) with a message. */
void cf_span_set_error(cf_span *s, const char *message);

/* Outgoing propagation: header lines "traceparent: ..." and "tracestate: ..." for c (NULL: the
 * thread's current context), ready for curl_slist_append. Returns false, with both lines empty,
 * when there is no valid context; tracestate_line is "" when there is no tracestate.
 * traceparent_line needs 70 bytes, tracestate_line CF_TRACESTATE_MAX + 16. */
bool cf_trace_headers(const cf_trace_ctx *c, char *traceparent_line, size_t tp_cap, char *tracestate_line,
                      size_t ts_cap);
/* One-line text form for carriers that take a single string (bus message headers, stored
 * jobs): "traceparent[ tracestate]"; "" when c is NULL or invalid. out needs
 * CF_TRACE_TEXT_MAX bytes. cf_trace_from_text() reads it back. */
#define CF_TRACE_TEXT_MAX (CF_TRACEPARENT_LEN + CF_TRACESTATE_MAX + 2)
void cf_trace_to_text(const cf_trace_ctx *c, char *out);
bool cf_trace_from_text(const char *text, cf_trace_ctx *out);

#endif

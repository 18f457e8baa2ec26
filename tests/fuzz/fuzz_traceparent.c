/* Fuzzes the W3C Trace Context readers (cf_trace_parse, cf_trace_from_text) from raw bytes: the
 * input is split at the first newline into traceparent and tracestate. What is accepted must be
 * valid, format back to a traceparent that parses to the same ids, and survive the one-line
 * text form of the bus and the job store unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/trace.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_input_text(data, size, SIZE_MAX);
    if (!text) return 0;
    char *nl = memchr(text, '\n', size);
    if (nl) *nl = '\0';
    cf_trace_ctx c;
    if (cf_trace_parse(text, nl ? nl + 1 : NULL, &c)) {
        if (!cf_trace_ctx_valid(&c)) abort();
        char tp[CF_TRACEPARENT_LEN + 1];
        cf_trace_format(&c, tp);
        cf_trace_ctx again;
        if (!cf_trace_parse(tp, c.tracestate, &again) || memcmp(&again, &c, sizeof c)) abort();
        char line[CF_TRACE_TEXT_MAX];
        cf_trace_to_text(&c, line);
        if (!cf_trace_from_text(line, &again) || memcmp(&again, &c, sizeof c)) abort();
    }
    cf_trace_ctx t;
    cf_trace_from_text(text, &t); /* any text: no crash, no overread */
    free(text);
    return 0;
}

/* Fuzzes the small text readers of packages/shared that take what users type or send: times and
 * ranges (cf_parse_time_ms, cf_parse_range_ms) and the fixed-buffer formatter cf_fmt (URIs are
 * fuzz_uri's). What is accepted must hold: a time is in range and formats back to the same time;
 * cf_fmt says true exactly when the text fit, and leaves "" when it did not. And a problem whose
 * detail is the text (a message quoting a file's bytes, UTF-8 or not) is always made, as JSON
 * text whose detail has the text's length (each byte that is no UTF-8 character a '?'). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clipforge/domain/problem.h"
#include "clipforge/fmt.h"
#include "clipforge/timefmt.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_time(const char *text) {
    cf_error err;
    int64_t ms = -1, a = -1, b = -1;
    if (cf_parse_time_ms(text, &ms, &err) == CF_OK) {
        if (ms < 0 || ms > INT64_C(1000000000000)) abort();
        char back[64];
        int64_t again = -1;
        cf_format_time_ms(ms, back, sizeof back);
        if (cf_parse_time_ms(back, &again, &err) != CF_OK || again != ms) abort();
    }
    if (cf_parse_range_ms(text, &a, &b, &err) == CF_OK) {
        if (a < 0 || b < 0 || a > INT64_C(1000000000000) || b > INT64_C(1000000000000)) abort();
    }
}

static void check_fmt(const char *text, size_t len, uint8_t cap) {
    char buf[256];
    memset(buf, 'x', sizeof buf);
    bool fit = cf_fmt(buf, cap, "%s", text);
    if (cap == 0) {
        if (fit || buf[0] != 'x') abort(); /* nothing written to a zero-size buffer */
        return;
    }
    if (fit != (len < cap)) abort();
    if (fit ? strcmp(buf, text) != 0 : buf[0] != '\0') abort();
}

static void check_problem(const char *text, size_t len) {
    char *p = cf_problem_text(cf_problem_find("validation"), text);
    if (!p) abort();
    json_t *j = json_loads(p, 0, NULL);
    const char *d = json_string_value(json_object_get(j, "detail"));
    if (!j || (len ? !d || strlen(d) != len : d != NULL)) abort();
    json_decref(j);
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_input_text(data, size, 4096);
    if (!text) return 0;
    size_t len = strlen(text); /* up to the first NUL, as a C caller sees it */
    check_time(text);
    check_fmt(text, len, size ? data[0] : 0);
    check_problem(text, len);
    free(text);
    return 0;
}

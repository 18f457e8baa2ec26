/* Fuzzes the small text readers of packages/shared that take what users type or send: times and
 * ranges (cf_parse_time_ms, cf_parse_range_ms), URI schemes (cf_uri_rest, cf_uri_local_path,
 * cf_uri_is_http) and the fixed-buffer formatter cf_fmt. What is accepted must hold: a time is in
 * range and formats back to the same time; a URI's rest lies inside the URI after its scheme; cf_fmt
 * says true exactly when the text fit, and leaves "" when it did not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/fmt.h"
#include "clipforge/timefmt.h"
#include "clipforge/uri.h"

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

static void check_uri(const char *text, size_t len) {
    static const char *const schemes[] = {"media", "storage", "file", "http", "https", "s3", ""};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        const char *rest = cf_uri_rest(text, schemes[i]);
        if (!rest) continue;
        size_t n = strlen(schemes[i]);
        if (rest < text || rest > text + len || strncmp(text, schemes[i], n) || strncmp(text + n, "://", 3))
            abort();
    }
    const char *path = cf_uri_local_path(text);
    if (path && (path < text || path > text + len)) abort();
    (void)cf_uri_is_http(text);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text); /* up to the first NUL, as a C caller sees it */
    check_time(text);
    check_uri(text, len);
    check_fmt(text, len, size ? data[0] : 0);
    free(text);
    return 0;
}

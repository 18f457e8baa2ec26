/* timefmt.c — parsing and formatting of times given on the command line. */
#include "clipforge/timefmt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a non-negative decimal number of seconds into ms (rounded). */
static int parse_seconds(const char *s, size_t len, double *out) {
    if (len == 0 || len > 32) return -1;
    char buf[40];
    memcpy(buf, s, len);
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)buf[i]) && buf[i] != '.') return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (errno || *end != '\0' || !isfinite(v) || v < 0) return -1;
    *out = v;
    return 0;
}

cf_err cf_parse_time_ms(const char *text, int64_t *out_ms, cf_error *err) {
    if (!text || !*text) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "empty time");
    /* Split into up to three ':'-separated fields: [hh:]mm:ss[.mmm] or plain seconds. */
    const char *fields[3];
    size_t lens[3];
    int n = 0;
    const char *p = text;
    for (;;) {
        const char *colon = strchr(p, ':');
        if (n == 3) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bad time '%s'", text);
        fields[n] = p;
        lens[n] = colon ? (size_t)(colon - p) : strlen(p);
        n++;
        if (!colon) break;
        p = colon + 1;
    }
    double total = 0;
    for (int i = 0; i < n; i++) {
        double v;
        bool last = i == n - 1;
        if (parse_seconds(fields[i], lens[i], &v) != 0 || (!last && v != floor(v)) || (i > 0 && v >= 60))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "bad time '%s' (use seconds like 12.5 or [hh:]mm:ss[.mmm])", text);
        total = total * 60 + v;
    }
    if (total > 1e9) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "time '%s' is too large", text);
    *out_ms = (int64_t)llround(total * 1000.0);
    return CF_OK;
}

static cf_err parse_pair(const char *text, size_t split, size_t seplen, int64_t *a, int64_t *b,
                         cf_error *err) {
    size_t len = strlen(text);
    char *left = strndup(text, split);
    char *right = strndup(text + split + seplen, len - split - seplen);
    cf_err rc = CF_ERR_NO_MEMORY;
    if (left && right) {
        rc = cf_parse_time_ms(left, a, err);
        if (rc == CF_OK) rc = cf_parse_time_ms(right, b, err);
    } else {
        cf_error_set(err, rc, "out of memory");
    }
    free(left);
    free(right);
    return rc;
}

cf_err cf_parse_range_ms(const char *text, int64_t *start_ms, int64_t *end_ms, cf_error *err) {
    if (!text || !*text) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "empty range");
    const char *sep = strpbrk(text, "-,");
    if (sep) return parse_pair(text, (size_t)(sep - text), 1, start_ms, end_ms, err);
    int colons = 0;
    for (const char *p = text; *p; p++) colons += *p == ':';
    if (colons % 2 == 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "ambiguous range '%s': write START-END, e.g. 00:10-00:25", text);
    int seen = 0;
    const char *p = text;
    for (; *p; p++)
        if (*p == ':' && ++seen == colons / 2 + 1) break;
    return parse_pair(text, (size_t)(p - text), 1, start_ms, end_ms, err);
}

void cf_format_time_ms(int64_t ms, char *buf, size_t len) {
    const char *sign = ms < 0 ? "-" : "";
    if (ms < 0) ms = -ms;
    snprintf(buf, len, "%s%lld:%02lld:%02lld.%03lld", sign, (long long)(ms / 3600000),
             (long long)(ms / 60000 % 60), (long long)(ms / 1000 % 60), (long long)(ms % 1000));
}

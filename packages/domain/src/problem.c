/* problem.c — the table of problem kinds. Append only: type URIs are part of the API. */
#include "clipforge/domain/problem.h"

#include <stdlib.h>
#include <string.h>

static const cf_problem_kind kinds[] = {
    {"validation", "Request is not valid", 400},
    {"not-found", "Resource not found", 404},
    {"method-not-allowed", "Method not allowed", 405},
    {"conflict", "Conflict with the current state", 409},
    {"payload-too-large", "Payload too large", 413},
    {"unsupported-media-type", "Unsupported media type", 415},
    {"range-not-satisfiable", "Range not satisfiable", 416},
    {"forbidden", "Forbidden", 403},
    {"invalid-media", "Media cannot be processed", 422},
    {"unsupported-job-kind", "Job kind not available", 422},
    {"unsupported", "Unsupported", 422},
    {"cancelled", "Job cancelled", 409},
    {"lease-expired", "Worker lost", 500},
    {"unavailable", "Service unavailable", 503},
    {"processing-failed", "Processing failed", 500},
    {"internal", "Internal error", 500},
    {"websocket-handshake", "Bad WebSocket handshake", 400},
    {"upgrade-required", "Upgrade required", 426},
    {"unauthorized", "Authentication required", 401},
    {"rate-limited", "Too many requests", 429},
    {"quota-exceeded", "Quota exceeded", 429}, /* 413 for a size; the detail names the limit */
    {"source-not-allowed", "Remote source not allowed", 403},
    {"source-unreachable", "Remote source could not be fetched", 502},
    {"uri-too-long", "URI too long", 414},
    {"header-fields-too-large", "Request header fields too large", 431},
    {"insufficient-storage", "Insufficient storage", 507}, /* the server's disk, not the request */
};

const cf_problem_kind *cf_problem_find(const char *slug) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].slug, slug)) return &kinds[i];
    return NULL;
}

const cf_problem_kind *cf_problem_for(cf_err code) {
    const char *slug;
    switch (code) {
    case CF_ERR_INVALID_ARGUMENT: slug = "validation"; break;
    case CF_ERR_NOT_FOUND: slug = "not-found"; break;
    case CF_ERR_CONFLICT: slug = "conflict"; break;
    case CF_ERR_TOO_LARGE: slug = "payload-too-large"; break;
    case CF_ERR_PERMISSION: slug = "forbidden"; break;
    case CF_ERR_INVALID_MEDIA: slug = "invalid-media"; break;
    case CF_ERR_UNSUPPORTED: slug = "unsupported"; break;
    case CF_ERR_CANCELLED: slug = "cancelled"; break;
    case CF_ERR_TIMEOUT:
    case CF_ERR_UNAVAILABLE: slug = "unavailable"; break;
    case CF_ERR_PROCESSING: slug = "processing-failed"; break;
    case CF_ERR_NO_SPACE: slug = "insufficient-storage"; break;
    default: slug = "internal"; break;
    }
    return cf_problem_find(slug);
}

/* Bytes of the UTF-8 character at s (1..4), 0 when they are not one (overlong forms and
 * surrogates included). */
static size_t utf8_char(const unsigned char *s) {
    if (s[0] < 0x80) return 1;
    size_t n = s[0] >= 0xC2 && s[0] <= 0xDF   ? 2
               : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
               : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) || (s[0] == 0xF0 && s[1] < 0x90) ||
        (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* detail as JSON text allows it: a message quoting a file's bytes (a damaged caption line) may
 * hold bytes that are not UTF-8, which a JSON string cannot; each such byte becomes '?'. */
static json_t *detail_json(const char *detail) {
    json_t *j = json_string(detail);
    if (j) return j;
    char *copy = strdup(detail);
    if (!copy) return NULL;
    for (unsigned char *p = (unsigned char *)copy; *p;) {
        size_t n = utf8_char(p);
        if (n) p += n;
        else *p++ = '?';
    }
    j = json_string(copy);
    free(copy);
    return j;
}

json_t *cf_problem_json(const cf_problem_kind *k, const char *detail) {
    char type[128];
    snprintf(type, sizeof type, CF_PROBLEM_BASE "%s", k->slug);
    return json_pack("{s:s, s:s, s:i, s:o?}", "type", type, "title", k->title, "status", k->status, "detail",
                     detail && *detail ? detail_json(detail) : NULL);
}

char *cf_problem_text(const cf_problem_kind *k, const char *detail) {
    json_t *p = cf_problem_json(k, detail);
    char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    return text;
}

const cf_problem_kind *cf_problem_kinds(size_t *n) {
    *n = sizeof kinds / sizeof kinds[0];
    return kinds;
}

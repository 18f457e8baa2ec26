/* source_fetch.c — fetching a remote https:// source (source_fetch.h). Settings (through the
 * caller's cf_source_policy): CLIPFORGE_SOURCE_ALLOW, CLIPFORGE_SOURCE_TIMEOUT_S, the upload
 * limits; in test builds CLIPFORGE_TEST_SOURCE_CA and CLIPFORGE_TEST_SOURCE_PINS. libcurl's own
 * URL parser reads every URL and the very parse is handed to the transfer (CURLOPT_CURLU), so
 * what was checked is what is fetched. */
#include "infrastructure/source_fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clipforge/clock.h"
#include "clipforge/log.h"
#include "infrastructure/net_guard.h"

/* One pattern of the allow-list (len bytes at p) against a lower-cased host. */
static bool pattern_matches(const char *p, size_t len, const char *host) {
    while (len && (*p == ' ' || *p == '\t')) p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    if (len == 1 && *p == '*') return true;
    size_t hl = strlen(host);
    if (len > 2 && p[0] == '*' && p[1] == '.') /* subdomains only: "*.a.b" is not "a.b" */
        return hl > len - 1 && !strncasecmp(host + hl - (len - 1), p + 1, len - 1);
    return len && hl == len && !strncasecmp(host, p, len);
}

bool cf_source_host_allowed(const char *allow, const char *host) {
    if (!allow || !host || !*host) return false;
    char h[256];
    size_t n = strlen(host);
    if (n >= sizeof h) return false;
    memcpy(h, host, n + 1);
    if (n > 1 && h[n - 1] == '.') h[n - 1] = '\0'; /* "a.b." is the same host as "a.b" */
    for (const char *s = allow; *s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (pattern_matches(s, len, h)) return true;
        s += len + (comma ? 1 : 0);
    }
    return false;
}

/* Whether the path (up to '?' or '#') has a "." or ".." segment, "%2e" counting as ".". */
static bool has_dot_segment(const char *url) {
    const char *path = strstr(url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    while (path && *path == '/') {
        const char *seg = path + 1;
        size_t dots = 0, other = 0;
        const char *c = seg;
        for (; *c && *c != '/' && *c != '?' && *c != '#'; c++) {
            if (*c == '.') dots++;
            else if (c[0] == '%' && c[1] == '2' && (c[2] == 'e' || c[2] == 'E')) dots++, c += 2;
            else other++;
        }
        if (!other && (dots == 1 || dots == 2)) return true;
        path = *c == '/' ? c : NULL;
    }
    return false;
}

/* Parses and checks url; *out (on CF_OK) is the parse, for the transfer. */
static cf_err check_url(const char *allow, const char *url, CURLU **out, cf_error *err) {
    if (strncasecmp(url, "https://", 8))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "url: must be an https:// URL");
    if (has_dot_segment(url))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "url: a path with . or .. segments is refused");
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == '\\' || *c == 0x7f)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "url: spaces, control characters and \\ are refused");
    CURLU *u = curl_url();
    if (!u) return cf_error_set(err, CF_ERR_NO_MEMORY, "url: out of memory");
    char *user = NULL, *password = NULL, *host = NULL;
    cf_err rc = CF_OK;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host)
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "url: not a URL with a host");
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
             curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "url: a user name or password is refused");
    else if (!allow || !*allow)
        rc = cf_error_set(err, CF_ERR_PERMISSION, "remote sources are off (CLIPFORGE_SOURCE_ALLOW is empty)");
    else if (!cf_source_host_allowed(allow, host))
        rc = cf_error_set(err, CF_ERR_PERMISSION,
                          "host %.200s is not on the allow-list (CLIPFORGE_SOURCE_ALLOW)", host);
    curl_free(user);
    curl_free(password);
    curl_free(host);
    if (rc || !out) curl_url_cleanup(u);
    else *out = u;
    return rc;
}

cf_err cf_source_check(const char *allow, const char *url, cf_error *err) {
    return check_url(allow, url, NULL, err);
}

typedef struct transfer {
    CURL *curl;
    cf_source_sink sink;
    void *user;
    int64_t max_bytes, received;
    long status;
    bool too_large;
    cf_err sink_rc;
    cf_error *err;
} transfer;

/* Only the final answer's body is the source; a redirect's body is dropped. */
static size_t on_body(char *data, size_t size, size_t n, void *user) {
    transfer *t = user;
    if (!t->status) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
    if (t->status != 200) return size * n;
    if (t->received + (int64_t)(size * n) > t->max_bytes) {
        t->too_large = true;
        return 0;
    }
    t->received += (int64_t)(size * n);
    t->sink_rc = t->sink(t->user, data, size * n, t->err);
    return t->sink_rc ? 0 : size * n;
}

/* The pinned address of host:port in pins ("host:port:address,..."), into addr; false when none. */
static bool pinned_address(const char *pins, const char *host, const char *port, char *addr, size_t cap) {
    char want[300];
    snprintf(want, sizeof want, "%s:%s:", host, port);
    size_t wl = strlen(want);
    for (const char *s = pins ? pins : ""; *s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len > wl && len - wl < cap && !strncasecmp(s, want, wl)) {
            memcpy(addr, s + wl, len - wl);
            addr[len - wl] = '\0';
            return true;
        }
        s += len + (comma ? 1 : 0);
    }
    return false;
}

static struct curl_slist *pin_list(const char *pins) {
    struct curl_slist *list = NULL;
    char entry[320];
    for (const char *s = pins ? pins : ""; *s;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len < sizeof entry) {
            memcpy(entry, s, len);
            entry[len] = '\0';
            struct curl_slist *next = curl_slist_append(list, entry);
            if (next) list = next;
        }
        s += len + (comma ? 1 : 0);
    }
    return list;
}

/* The guard's exception for this hop: the address its own host:port is pinned to. */
static void trust_pin(const cf_source_policy *p, CURLU *u, cf_net_guard *g) {
    char *host = NULL, *port = NULL;
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
        pinned_address(p->pins, host, port, g->trusted, sizeof g->trusted);
    curl_free(host);
    curl_free(port);
}

/* One request of the chain; *next (malloc'd) is the redirect's target, else NULL. */
static cf_err one_hop(const cf_source_policy *p, CURLU *u, transfer *t, int64_t left_ms,
                      struct curl_slist *pins, char **next, cf_error *err) {
    *next = NULL;
    cf_net_guard guard = {0};
    trust_pin(p, u, &guard);
    CURL *c = t->curl = curl_easy_init();
    if (!c) return cf_error_set(err, CF_ERR_NO_MEMORY, "cannot start libcurl");
    curl_easy_setopt(c, CURLOPT_CURLU, u);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)p->max_bytes);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "clipforge");
    if (pins) curl_easy_setopt(c, CURLOPT_RESOLVE, pins);
    if (p->ca_file && *p->ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, p->ca_file);
    cf_curl_guard(c, false, &guard);
    t->status = 0;
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    char *location = NULL;
    if (rc == CURLE_OK && status >= 300 && status < 400)
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location);
    if (location) *next = strdup(location);
    curl_easy_cleanup(c);
    t->curl = NULL;
    if (guard.refused)
        return cf_error_set(err, CF_ERR_PERMISSION, "the source's address %s is not a public address",
                            guard.address);
    if (t->sink_rc) return t->sink_rc;
    if (t->too_large || rc == CURLE_FILESIZE_EXCEEDED)
        return cf_error_set(err, CF_ERR_TOO_LARGE, "the source is larger than %lld bytes",
                            (long long)p->max_bytes);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return cf_error_set(err, CF_ERR_TIMEOUT, "the source took longer than %lld ms",
                            (long long)p->timeout_ms);
    if (rc != CURLE_OK)
        return cf_error_set(err, CF_ERR_UNAVAILABLE, "the source: %s", curl_easy_strerror(rc));
    if (status == 200 || *next) return CF_OK;
    return cf_error_set(err, CF_ERR_UNAVAILABLE, "the source answered HTTP %ld", status);
}

cf_err cf_source_fetch(const cf_source_policy *p, const char *url, cf_source_sink sink, void *user,
                       int64_t *bytes, cf_error *err) {
    *bytes = 0;
    transfer t = {.sink = sink, .user = user, .max_bytes = p->max_bytes, .err = err};
    struct curl_slist *pins = pin_list(p->pins);
    int64_t deadline = cf_clock_ms() + p->timeout_ms;
    char *current = strdup(url);
    cf_err rc = current ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (int hop = 0; rc == CF_OK; hop++) {
        CURLU *u = NULL;
        rc = check_url(p->allow, current, &u, err);
        if (rc == CF_OK && hop > CF_SOURCE_MAX_REDIRECTS)
            rc = cf_error_set(err, CF_ERR_UNAVAILABLE, "the source redirects more than %d times",
                              CF_SOURCE_MAX_REDIRECTS);
        int64_t left = deadline - cf_clock_ms();
        if (rc == CF_OK && left <= 0)
            rc = cf_error_set(err, CF_ERR_TIMEOUT, "the source took longer than %lld ms",
                              (long long)p->timeout_ms);
        char *next = NULL;
        if (rc == CF_OK) rc = one_hop(p, u, &t, left, pins, &next, err);
        curl_url_cleanup(u);
        if (rc == CF_OK && next) cf_log_info("source", "redirected to %.300s", next);
        free(current);
        current = next;
        if (rc == CF_OK && !next) break;
        if (rc && hop > 0 && (rc == CF_ERR_PERMISSION || rc == CF_ERR_INVALID_ARGUMENT)) {
            /* the client gave the first URL only: say that a redirect was refused */
            cf_error inner = *err;
            cf_error_set(err, rc, "a redirect of the source was refused: %s", inner.msg);
        }
    }
    free(current);
    curl_slist_free_all(pins);
    *bytes = t.received;
    return rc;
}

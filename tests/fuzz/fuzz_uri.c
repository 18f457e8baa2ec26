/* Fuzzes the URI readers of packages/shared (clipforge/uri.h): cf_uri_rest, cf_uri_local_path and
 * cf_uri_is_http, on every scheme clipforge reads and on a scheme taken from the input itself.
 * Properties: a rest exists exactly when the URI starts with "SCHEME://" and is what follows it;
 * a local path is the rest of a file:// URI, else the URI itself; is_http is true exactly for
 * http:// and https://. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/uri.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok) {
    if (!ok) abort();
}

static int has_scheme(const char *uri, const char *scheme) {
    size_t n = strlen(scheme);
    return !strncmp(uri, scheme, n) && !strncmp(uri + n, "://", 3);
}

static void check_scheme(const char *text, const char *scheme) {
    const char *rest = cf_uri_rest(text, scheme);
    must(!rest == !has_scheme(text, scheme));
    if (rest) must(rest == text + strlen(scheme) + 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const schemes[] = {"media", "storage", "file", "http", "https", "s3", ""};
    char *text = fuzz_input_text(data, size, 4096);
    if (!text) return 0;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) check_scheme(text, schemes[i]);
    /* a scheme from the input: the text before its first ':' */
    char *scheme = strdup(text);
    if (scheme) {
        scheme[strcspn(scheme, ":")] = '\0';
        check_scheme(text, scheme);
        free(scheme);
    }
    const char *path = cf_uri_local_path(text);
    must(path == (has_scheme(text, "file") ? text + 7 : text));
    must(cf_uri_is_http(text) == (has_scheme(text, "http") || has_scheme(text, "https")));
    must(cf_uri_rest(NULL, "media") == NULL);
    free(text);
    return 0;
}

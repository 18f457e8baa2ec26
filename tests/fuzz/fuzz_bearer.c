/* Fuzzes the reading of an API key from the Authorization header (cf_bearer_parse,
 * apps/backend/application/bearer.c) before any store lookup. Properties: an accepted header starts
 * with "Bearer " in any case, its id is 12 and its secret 64 lower-case hex digits, the secret
 * ends the text, and "Bearer cfk_<id>_<secret>" reads back the same; a refused one gives a reason. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "application/bearer.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok) {
    if (!ok) abort();
}

static int lower_hex(const char *s, size_t n) {
    return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_input_text(data, size, 1024);
    if (!text) return 0;
    char id[2 * CF_KEY_ID_BYTES + 1];
    const char *secret = NULL;
    const char *why = cf_bearer_parse(text, id, &secret);
    if (why) {
        must(*why != '\0');
    } else {
        size_t len = strlen(text);
        must(!strncasecmp(text, "Bearer ", 7));
        must(lower_hex(id, 2 * CF_KEY_ID_BYTES) && lower_hex(secret, 2 * CF_KEY_SECRET_BYTES));
        must(secret > text && secret + 2 * CF_KEY_SECRET_BYTES == text + len);
        char again[160], id2[2 * CF_KEY_ID_BYTES + 1];
        const char *secret2 = NULL;
        snprintf(again, sizeof again, "Bearer " CF_KEY_PREFIX "%s_%s", id, secret);
        must(cf_bearer_parse(again, id2, &secret2) == NULL && !strcmp(id2, id) && !strcmp(secret2, secret));
    }
    free(text);
    return 0;
}

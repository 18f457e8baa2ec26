/* bearer.c — the split of an Authorization header into an API key's id and secret. */
#include "application/bearer.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static bool lower_hex(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) return false;
    return true;
}

const char *cf_bearer_parse(const char *authorization, char id[2 * CF_KEY_ID_BYTES + 1],
                            const char **secret) {
    if (!authorization || !*authorization) return "send an API key: Authorization: Bearer KEY";
    if (strncasecmp(authorization, "Bearer ", 7)) return "the Authorization scheme must be Bearer";
    const char *key = authorization + 7;
    while (*key == ' ') key++;
    const size_t pre = strlen(CF_KEY_PREFIX), id_len = 2 * CF_KEY_ID_BYTES,
                 secret_len = 2 * CF_KEY_SECRET_BYTES;
    if (strncmp(key, CF_KEY_PREFIX, pre) || strlen(key) != pre + id_len + 1 + secret_len ||
        key[pre + id_len] != '_' || !lower_hex(key + pre, id_len) ||
        !lower_hex(key + pre + id_len + 1, secret_len))
        return "not a clipforge API key";
    memcpy(id, key + pre, id_len);
    id[id_len] = '\0';
    *secret = key + pre + id_len + 1;
    return NULL;
}

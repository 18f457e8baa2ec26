/* bearer.h — reading an API key from "Authorization: Bearer cfk_<12 hex>_<64 hex>": the pure split
 * of the header, apart from the store and the hashing (auth.c), so it can be fuzzed alone. */
#ifndef CF_APPLICATION_BEARER_H
#define CF_APPLICATION_BEARER_H

#define CF_KEY_PREFIX "cfk_"
#define CF_KEY_ID_BYTES 6      /* the id, shown in listings: 12 hex digits */
#define CF_KEY_SECRET_BYTES 32 /* the secret, shown once: 64 hex digits */

/* Splits authorization ("Bearer" in any case, one or more spaces, then the key, nothing after
 * it) into the key's id (lower-case hex, NUL-terminated, into id) and *secret (pointing into
 * authorization). Returns NULL when it is such a header, else the reason to give the client. */
const char *cf_bearer_parse(const char *authorization, char id[2 * CF_KEY_ID_BYTES + 1], const char **secret);

#endif

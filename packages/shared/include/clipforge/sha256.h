/* sha256.h — SHA-256 of bytes as they stream by (OpenSSL EVP), as lower-case hex: the identity of
 * media by content, taken while an upload or an import is written (so media stored anywhere,
 * S3 included, has it without being read again) and of local files (content_hash.h). */
#ifndef CLIPFORGE_SHA256_H
#define CLIPFORGE_SHA256_H

#include <stdbool.h>
#include <stddef.h>

#define CF_SHA256_HEX 65 /* 64 hex digits and the NUL */

typedef struct cf_sha256 cf_sha256;

/* A new digest; NULL when out of memory. */
cf_sha256 *cf_sha256_begin(void);
/* Adds len bytes; false when the digest failed (it stays failed). */
bool cf_sha256_add(cf_sha256 *h, const void *buf, size_t len);
/* Finishes h into hex and frees it; false (hex "") when it failed. NULL-safe (false). */
bool cf_sha256_end(cf_sha256 *h, char hex[CF_SHA256_HEX]);
/* Frees h without a result. NULL-safe. */
void cf_sha256_drop(cf_sha256 *h);
/* True for 64 lower-case hex digits. */
bool cf_sha256_valid(const char *hex);

#endif

/* sha256.c — streaming SHA-256 as hex over OpenSSL's EVP digests. */
#include "clipforge/sha256.h"

#include <openssl/evp.h>
#include <stdio.h>

/* The digest is EVP's context; the type only hides OpenSSL from callers. */
cf_sha256 *cf_sha256_begin(void) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return (cf_sha256 *)ctx;
}

bool cf_sha256_add(cf_sha256 *h, const void *buf, size_t len) {
    return h && EVP_DigestUpdate((EVP_MD_CTX *)h, buf, len) == 1;
}

bool cf_sha256_end(cf_sha256 *h, char hex[CF_SHA256_HEX]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    bool ok = h && EVP_DigestFinal_ex((EVP_MD_CTX *)h, md, &n) == 1 && n == 32;
    for (unsigned i = 0; ok && i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (!ok) hex[0] = '\0';
    cf_sha256_drop(h);
    return ok;
}

void cf_sha256_drop(cf_sha256 *h) {
    EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

bool cf_sha256_valid(const char *hex) {
    size_t n = 0;
    for (; hex && hex[n]; n++)
        if (!((hex[n] >= '0' && hex[n] <= '9') || (hex[n] >= 'a' && hex[n] <= 'f'))) return false;
    return n == 64;
}

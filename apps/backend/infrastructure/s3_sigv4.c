/* s3_sigv4.c — AWS Signature Version 4 (service "s3"): canonical request, string to sign,
 * the derived signing key (HMAC chain over date, region, service), hex signature. Only the
 * headers we send are signed: host, x-amz-content-sha256, x-amz-date and, with temporary
 * credentials, x-amz-security-token. */
#include "infrastructure/s3_sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void hex(const unsigned char *in, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

static void sha256_hex(const void *data, size_t len, char out[65]) {
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    hex(md, 32, out);
}

static void hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32]) {
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out, &n);
}

char *cf_s3_uri_encode(const char *s, bool encode_slash) {
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                    *p == '-' || *p == '_' || *p == '.' || *p == '~' || (*p == '/' && !encode_slash);
        if (keep) *o++ = (char)*p;
        else o += sprintf(o, "%%%02X", *p);
    }
    *o = 0;
    return out;
}

/* "20130524T000000Z" and "20130524" for now. */
static void stamps(int64_t now, char amz[17], char day[9]) {
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(amz, 17, "%Y%m%dT%H%M%SZ", &tm);
    strftime(day, 9, "%Y%m%d", &tm);
}

/* hex(HMAC(signing key, string to sign)) for the canonical request text. */
static void signature(const cf_s3_credentials *c, const char *amz, const char *day, const char *canonical,
                      char out[65]) {
    char creq_hash[65];
    sha256_hex(canonical, strlen(canonical), creq_hash);
    char to_sign[512];
    snprintf(to_sign, sizeof to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s", amz, day, c->region,
             creq_hash);
    char secret[160];
    snprintf(secret, sizeof secret, "AWS4%s", c->secret_key);
    unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
    hmac(secret, strlen(secret), day, k1);
    hmac(k1, 32, c->region, k2);
    hmac(k2, 32, "s3", k3);
    hmac(k3, 32, "aws4_request", k4);
    hmac(k4, 32, to_sign, sig);
    hex(sig, 32, out);
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(k4, sizeof k4);
}

static cf_err add_header(struct curl_slist **headers, const char *fmt, const char *a, const char *b,
                         cf_error *err) {
    char *line = NULL;
    if (asprintf(&line, fmt, a, b) < 0) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    struct curl_slist *grown = curl_slist_append(*headers, line);
    free(line);
    if (!grown) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    *headers = grown;
    return CF_OK;
}

cf_err cf_s3_sign_headers(const cf_s3_credentials *c, const char *method, const char *host, const char *path,
                          const char *query, const void *body, size_t body_len, int64_t now,
                          struct curl_slist **headers, cf_error *err) {
    char amz[17], day[9], payload[65], sig[65];
    stamps(now, amz, day);
    if (body_len) sha256_hex(body, body_len, payload);
    else snprintf(payload, sizeof payload, "%s", EMPTY_SHA256);
    bool token = c->session_token[0] != 0;
    const char *signed_headers = token ? "host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
                                       : "host;x-amz-content-sha256;x-amz-date";
    char *canonical = NULL;
    if (asprintf(&canonical, "%s\n%s\n%s\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n%s%s%s\n%s\n%s",
                 method, path, query, host, payload, amz, token ? "x-amz-security-token:" : "",
                 token ? c->session_token : "", token ? "\n" : "", signed_headers, payload) < 0)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    signature(c, amz, day, canonical, sig);
    free(canonical);
    char auth[512];
    snprintf(auth, sizeof auth,
             "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/aws4_request,"
             " SignedHeaders=%s, Signature=%s",
             c->access_key, day, c->region, signed_headers, sig);
    cf_err rc = add_header(headers, "x-amz-date: %s%s", amz, "", err);
    if (rc == CF_OK) rc = add_header(headers, "x-amz-content-sha256: %s%s", payload, "", err);
    if (rc == CF_OK && token)
        rc = add_header(headers, "x-amz-security-token: %s%s", c->session_token, "", err);
    if (rc == CF_OK) rc = add_header(headers, "%s%s", auth, "", err);
    return rc;
}

cf_err cf_s3_presign_query(const cf_s3_credentials *c, const char *method, const char *host, const char *path,
                           int64_t ttl_s, int64_t now, const char *extra, char **query, cf_error *err) {
    *query = NULL;
    char amz[17], day[9], sig[65], cred[320];
    stamps(now, amz, day);
    snprintf(cred, sizeof cred, "%s/%s/%s/s3/aws4_request", c->access_key, day, c->region);
    char *cred_enc = cf_s3_uri_encode(cred, true);
    char *tok_enc = c->session_token[0] ? cf_s3_uri_encode(c->session_token, true) : NULL;
    char *q = NULL, *canonical = NULL;
    cf_err rc = CF_OK;
    /* Parameters in byte order, as the canonical query wants them. */
    if (!cred_enc || (c->session_token[0] && !tok_enc) ||
        asprintf(&q,
                 "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s&X-Amz-Date=%s"
                 "&X-Amz-Expires=%lld%s%s&X-Amz-SignedHeaders=host%s%s",
                 cred_enc, amz, (long long)ttl_s, tok_enc ? "&X-Amz-Security-Token=" : "",
                 tok_enc ? tok_enc : "", extra ? "&" : "", extra ? extra : "") < 0) {
        q = NULL;
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    if (rc == CF_OK &&
        asprintf(&canonical, "%s\n%s\n%s\nhost:%s\n\nhost\nUNSIGNED-PAYLOAD", method, path, q, host) < 0) {
        canonical = NULL;
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    if (rc == CF_OK) {
        signature(c, amz, day, canonical, sig);
        if (asprintf(query, "%s&X-Amz-Signature=%s", q, sig) < 0) {
            *query = NULL;
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        }
    }
    free(canonical);
    free(q);
    free(cred_enc);
    free(tok_enc);
    return rc;
}

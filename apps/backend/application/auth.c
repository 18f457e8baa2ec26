/* auth.c — API keys: creation, verification, roles, and whether the API requires them. */
#include "application/auth.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "application/bearer.h"
#include "application/job_service.h"
#include "clipforge/clock.h"

#define KEY_PREFIX CF_KEY_PREFIX
#define ID_BYTES CF_KEY_ID_BYTES
#define SECRET_BYTES CF_KEY_SECRET_BYTES
#define SALT_BYTES 16

static const char *const role_names[] = {"none", "viewer", "editor", "admin"};

bool cf_role_parse(const char *text, cf_role *out) {
    for (int r = CF_ROLE_VIEWER; r <= CF_ROLE_ADMIN; r++)
        if (text && !strcmp(text, role_names[r])) {
            *out = (cf_role)r;
            return true;
        }
    return false;
}

const char *cf_role_name(cf_role r) {
    return r >= CF_ROLE_NONE && r <= CF_ROLE_ADMIN ? role_names[r] : "none";
}

bool cf_tenant_valid(const char *t) {
    size_t n = t ? strlen(t) : 0;
    if (!n || n > CF_TENANT_MAX || t[0] == '-' || t[0] == '_') return false;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '-' || t[i] == '_'))
            return false;
    return true;
}

void cf_principal_anonymous(cf_principal *p) {
    memset(p, 0, sizeof *p);
    memcpy(p->tenant, CF_DEFAULT_TENANT, sizeof CF_DEFAULT_TENANT);
    p->role = CF_ROLE_ADMIN;
}

/* True when host (of HOST:PORT, IPv6 in brackets) is a loopback address or "localhost". */
static bool loopback(const char *listen) {
    char host[64];
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    size_t n = colon ? (size_t)(colon - listen) : 0;
    if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
        listen++;
        n -= 2;
    }
    if (!n || n >= sizeof host) return false;
    memcpy(host, listen, n);
    host[n] = '\0';
    if (!strcasecmp(host, "localhost")) return true;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

cf_err cf_auth_required(const cf_config *cfg, const char *listen, bool *on, cf_error *err) {
    const char *v = cfg->auth && *cfg->auth ? cfg->auth : "auto";
    if (!strcmp(v, "on")) *on = true;
    else if (!strcmp(v, "off")) *on = false;
    else if (!strcmp(v, "auto")) *on = !loopback(listen);
    else return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "CLIPFORGE_AUTH: '%s' is not on, off or auto", v);
    return CF_OK;
}

static void to_hex(const unsigned char *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* hex(SHA-256(salt_hex ":" secret)) into out (65 bytes). */
static bool hash_secret(const char *salt_hex, const char *secret, char out[65]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    bool ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
              EVP_DigestUpdate(c, salt_hex, strlen(salt_hex)) == 1 && EVP_DigestUpdate(c, ":", 1) == 1 &&
              EVP_DigestUpdate(c, secret, strlen(secret)) == 1 && EVP_DigestFinal_ex(c, md, &len) == 1 &&
              len == 32;
    EVP_MD_CTX_free(c);
    if (ok) to_hex(md, 32, out);
    return ok;
}

cf_err cf_auth_key_create(cf_store *store, const char *tenant, cf_role role, const char *name,
                          char **key_text, cf_key_record *out, cf_error *err) {
    *key_text = NULL;
    if (!cf_tenant_valid(tenant))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "tenant: 1-64 of a-z, 0-9, '-' and '_', starting with a letter or digit");
    if (role < CF_ROLE_VIEWER || role > CF_ROLE_ADMIN)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "role: viewer, editor or admin");
    if (name && strlen(name) > 200)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "name: at most 200 bytes");
    unsigned char raw[ID_BYTES + SECRET_BYTES + SALT_BYTES];
    if (RAND_bytes(raw, sizeof raw) != 1) return cf_error_set(err, CF_ERR_IO, "no random bytes for a key");
    char id[2 * ID_BYTES + 1], secret[2 * SECRET_BYTES + 1], salt[2 * SALT_BYTES + 1], hash[65];
    to_hex(raw, ID_BYTES, id);
    to_hex(raw + ID_BYTES, SECRET_BYTES, secret);
    to_hex(raw + ID_BYTES + SECRET_BYTES, SALT_BYTES, salt);
    OPENSSL_cleanse(raw, sizeof raw);
    if (!hash_secret(salt, secret, hash)) return cf_error_set(err, CF_ERR_IO, "cannot hash the key");
    cf_key_record k = {.id = id,
                       .tenant = (char *)tenant,
                       .role = (char *)cf_role_name(role),
                       .name = (char *)name,
                       .salt = salt,
                       .hash = hash,
                       .created_at = cf_now_ms()};
    cf_err rc = cf_store_key_insert(store, &k, err);
    size_t n = strlen(KEY_PREFIX) + strlen(id) + 1 + strlen(secret) + 1;
    char *text = rc ? NULL : malloc(n);
    if (!rc && !text) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (text) snprintf(text, n, KEY_PREFIX "%s_%s", id, secret);
    OPENSSL_cleanse(secret, sizeof secret);
    if (rc) return rc;
    *key_text = text;
    return out ? cf_store_key_get(store, id, out, err) : CF_OK;
}

static cf_err refuse(cf_error *err, const char *why) {
    return cf_error_set(err, CF_ERR_PERMISSION, "%s", why);
}

cf_err cf_auth_verify(cf_store *store, const char *authorization, cf_principal *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    char id[2 * ID_BYTES + 1];
    const char *secret;
    const char *why = cf_bearer_parse(authorization, id, &secret);
    if (why) return refuse(err, why);
    cf_key_record k;
    cf_err rc = cf_store_key_get(store, id, &k, err);
    if (rc == CF_ERR_NOT_FOUND) return refuse(err, "unknown API key");
    if (rc) return rc;
    char hash[65];
    cf_role role = CF_ROLE_NONE;
    if (!hash_secret(k.salt, secret, hash)) rc = cf_error_set(err, CF_ERR_IO, "cannot hash the key");
    else if (strlen(k.hash) != 64 || CRYPTO_memcmp(hash, k.hash, 64) != 0) rc = refuse(err, "wrong API key");
    else if (k.revoked_at) rc = refuse(err, "API key revoked");
    else if (!cf_role_parse(k.role, &role) || !cf_tenant_valid(k.tenant))
        rc = refuse(err, "API key unusable");
    if (rc == CF_OK) {
        snprintf(out->tenant, sizeof out->tenant, "%s", k.tenant);
        snprintf(out->key_id, sizeof out->key_id, "%s", k.id);
        out->role = role;
    }
    cf_key_record_free(&k);
    return rc;
}

/* ---- the verified-key cache ----------------------------------------------------------------
 * Keyed by SHA-256 of the whole Authorization value (in memory only), so a wrong secret never
 * matches an entry; a fixed table, a colliding key simply takes the slot over. */
#define CACHE_SLOTS 512

typedef struct cached_key {
    unsigned char digest[32];
    cf_principal who;
    int64_t until;
} cached_key;

static cached_key key_cache[CACHE_SLOTS];
static pthread_mutex_t key_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool digest_of(const char *text, unsigned char digest[32]) {
    unsigned int len = 0;
    return text && EVP_Digest(text, strlen(text), digest, &len, EVP_sha256(), NULL) == 1 && len == 32;
}

cf_err cf_auth_verify_cached(cf_store *store, const char *authorization, int64_t now_ms, cf_principal *out,
                             cf_error *err) {
    unsigned char d[32];
    bool hashed = digest_of(authorization, d);
    cached_key *slot = hashed ? &key_cache[(d[0] | (unsigned)d[1] << 8) % CACHE_SLOTS] : NULL;
    if (slot) {
        pthread_mutex_lock(&key_cache_lock);
        bool hit = slot->until > now_ms && !memcmp(slot->digest, d, sizeof d);
        if (hit) *out = slot->who;
        pthread_mutex_unlock(&key_cache_lock);
        if (hit) return CF_OK;
    }
    cf_err rc = cf_auth_verify(store, authorization, out, err);
    if (rc == CF_OK && slot) {
        pthread_mutex_lock(&key_cache_lock);
        memcpy(slot->digest, d, sizeof d);
        slot->who = *out;
        slot->until = now_ms + CF_AUTH_CACHE_MS;
        pthread_mutex_unlock(&key_cache_lock);
    }
    return rc;
}

void cf_auth_forget(const char *key_id) {
    pthread_mutex_lock(&key_cache_lock);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (key_cache[i].until && !strcmp(key_cache[i].who.key_id, key_id))
            memset(&key_cache[i], 0, sizeof key_cache[i]);
    pthread_mutex_unlock(&key_cache_lock);
}

json_t *cf_key_record_json(const cf_key_record *k) {
    char created[40], revoked[40];
    cf_format_timestamp(k->created_at, created, sizeof created);
    if (k->revoked_at) cf_format_timestamp(k->revoked_at, revoked, sizeof revoked);
    return json_pack("{s:s, s:s, s:s, s:s*, s:s, s:s*}", "id", k->id, "tenant", k->tenant, "role", k->role,
                     "name", k->name, "created_at", created, "revoked_at", k->revoked_at ? revoked : NULL);
}

bool cf_tenant_is(const char *owner, const char *tenant) {
    return !strcmp(owner ? owner : CF_DEFAULT_TENANT, tenant ? tenant : CF_DEFAULT_TENANT);
}

cf_err cf_owned_job(cf_store *store, const char *tenant, const char *id, cf_job_record *out, cf_error *err) {
    cf_err rc = cf_store_job_get(store, id, out, err);
    if (rc == CF_OK && !cf_tenant_is(out->tenant, tenant)) {
        cf_job_record_free(out);
        rc = cf_error_set(err, CF_ERR_NOT_FOUND, "job %s not found", id);
    }
    return rc;
}

cf_err cf_owned_media(cf_store *store, const char *tenant, const char *id, cf_media_record *out,
                      cf_error *err) {
    cf_err rc = cf_store_media_get(store, id, out, err);
    if (rc == CF_OK && !cf_tenant_is(out->tenant, tenant)) {
        cf_media_record_free(out);
        rc = cf_error_set(err, CF_ERR_NOT_FOUND, "media %s not found", id);
    }
    return rc;
}

/* The id of key's second segment when key starts with prefix ("media/"), into id. */
static bool id_after(const char *key, const char *prefix, char *id, size_t cap) {
    size_t p = strlen(prefix);
    if (strncmp(key, prefix, p)) return false;
    size_t n = strcspn(key + p, "/");
    if (!n || n >= cap) return false;
    memcpy(id, key + p, n);
    id[n] = '\0';
    return true;
}

bool cf_tenant_may_download(cf_store *store, const char *tenant, const char *key) {
    char id[64];
    bool media = id_after(key, "media/", id, sizeof id) && !strchr(key + 6, '/');
    if (media || id_after(key, "previews/", id, sizeof id)) {
        cf_media_record m;
        cf_error err;
        if (cf_owned_media(store, tenant, id, &m, &err)) return false;
        cf_media_record_free(&m);
        return true;
    }
    return cf_tenant_key_allowed(store, tenant, key);
}

cf_err cf_tenant_sign_url(cf_store *store, cf_storage *storage, const char *tenant, const char *key,
                          int64_t ttl_s, int64_t now_s, char **url, cf_error *err) {
    *url = NULL;
    if (!cf_tenant_may_download(store, tenant, key))
        return cf_error_set(err, CF_ERR_NOT_FOUND, "no such file");
    return cf_storage_sign(storage, tenant, key, ttl_s, now_s, url, err);
}

bool cf_tenant_key_allowed(cf_store *store, const char *tenant, const char *key) {
    if (!key || !strncmp(key, "media/", 6)) return false;
    if (!strncmp(key, "jobs/", 5)) {
        char id[64];
        size_t n = strcspn(key + 5, "/");
        if (!n || n >= sizeof id || key[5 + n] != '/') return false;
        memcpy(id, key + 5, n);
        id[n] = '\0';
        cf_job_record j;
        cf_error err;
        if (cf_owned_job(store, tenant, id, &j, &err)) return false;
        cf_job_record_free(&j);
        return true;
    }
    if (cf_tenant_is(tenant, CF_DEFAULT_TENANT)) return true;
    char prefix[CF_TENANT_MAX + 10];
    snprintf(prefix, sizeof prefix, "tenants/%s/", tenant);
    return !strncmp(key, prefix, strlen(prefix));
}

/* auth.h — API keys, tenants and roles: who is calling and what they may do.
 * A key is "cfk_<id>_<secret>": the id (public, 12 hex digits) names the stored record, the
 * secret (64 hex digits, 256 random bits) is shown once and stored only as a salted SHA-256.
 * A fast hash is enough here because the secret is random, not a password: there is nothing to
 * guess from a dictionary, and 2^256 secrets cannot be searched. */
#ifndef CLIPFORGE_AUTH_H
#define CLIPFORGE_AUTH_H

#include <jansson.h>
#include <stdbool.h>

#include "clipforge/config.h"
#include "clipforge/error.h"
#include "clipforge/storage.h"
#include "clipforge/store.h"

/* Ordered: a role may do what the roles below it may. */
typedef enum cf_role {
    CF_ROLE_NONE = 0,
    CF_ROLE_VIEWER = 1, /* read */
    CF_ROLE_EDITOR = 2, /* upload, submit, label, delete */
    CF_ROLE_ADMIN = 3,  /* keys, quotas */
} cf_role;

#define CF_TENANT_MAX 64
#define CF_DEFAULT_TENANT "default"

/* Who a request is: the tenant whose objects it sees and its role. */
typedef struct cf_principal {
    char tenant[CF_TENANT_MAX + 1];
    cf_role role;
    char key_id[16]; /* "" when auth is off */
} cf_principal;

bool cf_role_parse(const char *text, cf_role *out);
const char *cf_role_name(cf_role r);
/* A tenant name: 1-64 of [a-z0-9_-], starting with a letter or digit. */
bool cf_tenant_valid(const char *tenant);
/* The principal of a server without keys: the default tenant, admin. */
void cf_principal_anonymous(cf_principal *p);

/* Whether the API requires keys: cfg->auth "on" / "off", or "auto" = on unless listen is a
 * loopback address. CF_ERR_INVALID_ARGUMENT for any other setting. */
cf_err cf_auth_required(const cf_config *cfg, const char *listen, bool *on, cf_error *err);

/* Creates and stores a key; *key_text (malloc'd) is the only copy of the secret. out (may be
 * NULL) receives the stored record. CF_ERR_INVALID_ARGUMENT for a bad tenant or role. */
cf_err cf_auth_key_create(cf_store *store, const char *tenant, cf_role role, const char *name,
                          char **key_text, cf_key_record *out, cf_error *err);
/* Checks an Authorization header value ("Bearer cfk_..."). CF_ERR_PERMISSION with a reason
 * when it is missing, malformed, unknown, wrong or revoked; other codes when the store fails. */
cf_err cf_auth_verify(cf_store *store, const char *authorization, cf_principal *out, cf_error *err);
/* Ownership: another tenant's object is answered as an unknown one (CF_ERR_NOT_FOUND, the same
 * message), so that ids reveal nothing across tenants. A record without a tenant is the
 * default tenant's. */
bool cf_tenant_is(const char *owner, const char *tenant);
cf_err cf_owned_job(cf_store *store, const char *tenant, const char *id, cf_job_record *out, cf_error *err);
cf_err cf_owned_media(cf_store *store, const char *tenant, const char *id, cf_media_record *out,
                      cf_error *err);
/* Whether tenant may read or write storage key through a storage:// URI: a job's outputs
 * (jobs/<id>/...) when it owns the job; never media/ (media:// names those); any other key for
 * the default tenant, and keys under tenants/<tenant>/ for the others. */
bool cf_tenant_key_allowed(cf_store *store, const char *tenant, const char *key);
/* Whether a signed link made for tenant may open storage key: its media (media/<id>) and their
 * pictures (previews/<id>/...) when it owns the media, else as cf_tenant_key_allowed. */
bool cf_tenant_may_download(cf_store *store, const char *tenant, const char *key);
/* A signed download link to key made for tenant (cf_storage_sign), issued only when tenant may
 * download key (cf_tenant_may_download): another tenant's object is as unknown as a missing
 * one (CF_ERR_NOT_FOUND), so no route can hand out a link to it, even one the object store
 * would serve without asking the API. *url is malloc'd. */
cf_err cf_tenant_sign_url(cf_store *store, cf_storage *storage, const char *tenant, const char *key,
                          int64_t ttl_s, int64_t now_s, char **url, cf_error *err);

/* cf_auth_verify with a short memory (CF_AUTH_CACHE_MS) of keys it verified, for the API's every
 * request: a key revoked elsewhere (the CLI, another API node) still works up to that long;
 * one revoked through this process's API (cf_auth_forget) stops at once. now_ms: a monotonic clock. */
#define CF_AUTH_CACHE_MS 2000
cf_err cf_auth_verify_cached(cf_store *store, const char *authorization, int64_t now_ms, cf_principal *out,
                             cf_error *err);
/* Drops what the cache holds for key id. */
void cf_auth_forget(const char *key_id);

/* The key record as API JSON (never the hash): {id, tenant, role, name?, created_at, revoked_at?}. */
json_t *cf_key_record_json(const cf_key_record *k);

#endif

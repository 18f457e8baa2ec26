/* storage.h — the object storage interface: objects addressed by keys ("media/m_ab12"), written
 * by streaming (begin/write/commit, or abort leaving nothing behind), read through a file
 * descriptor, and shared through signed, expiring URLs. Backends are versioned method tables
 * registered by name; "local" (a directory) lives in apps/backend/infrastructure. */
#ifndef CLIPFORGE_STORAGE_H
#define CLIPFORGE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"

typedef struct cf_storage_info {
    int64_t size;
    int64_t mtime; /* seconds since the epoch */
} cf_storage_info;

/* An upload in progress; owned by the backend until commit or abort. */
typedef struct cf_storage_writer cf_storage_writer;

/* Called once per object by list(); return false to stop early. */
typedef bool (*cf_storage_list_fn)(void *user, const char *key, const cf_storage_info *st);

typedef struct cf_storage_methods {
    int version; /* 1 */
    const char *name;
    /* url is backend specific; signing_key (len bytes) signs URLs. */
    cf_err (*open)(const char *url, const unsigned char *signing_key, size_t key_len, void **self,
                   cf_error *err);
    void (*close)(void *self);
    cf_err (*put_begin)(void *self, const char *key, cf_storage_writer **w, cf_error *err);
    cf_err (*put_write)(void *self, cf_storage_writer *w, const void *buf, size_t len, cf_error *err);
    /* Makes the object visible under its key (atomically) and frees w. */
    cf_err (*put_commit)(void *self, cf_storage_writer *w, cf_error *err);
    /* Discards the partial object and frees w. NULL-safe. */
    void (*put_abort)(void *self, cf_storage_writer *w);
    /* Opens the object for reading: *fd is the caller's to close. */
    cf_err (*open_read)(void *self, const char *key, int *fd, cf_storage_info *st, cf_error *err);
    /* A local file path holding the object, for libraries that need one (malloc'd). */
    cf_err (*local_path)(void *self, const char *key, char **path, cf_error *err);
    cf_err (*stat)(void *self, const char *key, cf_storage_info *st, cf_error *err);
    cf_err (*remove)(void *self, const char *key, cf_error *err);
    /* A download link of key for tenant (the owner the caller checked), valid until now + ttl_s
     * (malloc'd): "/v1/files/<key>?tenant=<tenant>&exp=<unix s>&sig=<hex>", the signature over
     * tenant, key and exp together; or the backend's own link (S3: presigned). */
    cf_err (*sign)(void *self, const char *tenant, const char *key, int64_t ttl_s, int64_t now_s, char **url,
                   cf_error *err);
    /* CF_OK when sig matches tenant, key and exp and exp >= now_s; CF_ERR_PERMISSION otherwise. */
    cf_err (*verify)(void *self, const char *tenant, const char *key, const char *exp, const char *sig,
                     int64_t now_s, cf_error *err);
    /* Appended after version 1 (NULL in older tables: the backend cannot list). Calls fn for
     * every committed object whose key starts with prefix, in key order. */
    cf_err (*list)(void *self, const char *prefix, cf_storage_list_fn fn, void *user, cf_error *err);
} cf_storage_methods;

typedef struct cf_storage {
    const cf_storage_methods *m;
    void *self;
} cf_storage;

cf_err cf_storage_register(const cf_storage_methods *m);
const cf_storage_methods *cf_storage_find(const char *name);
/* Opens the backend named by the URL scheme ("local:/path/to/dir"). */
cf_err cf_storage_open(const char *url, const unsigned char *signing_key, size_t key_len, cf_storage **out,
                       cf_error *err);
void cf_storage_close(cf_storage *s);
/* True for keys made of [A-Za-z0-9._-] segments joined by '/', no empty or dot-only segment. */
bool cf_storage_key_valid(const char *key);
cf_err cf_storage_put_begin(cf_storage *s, const char *key, cf_storage_writer **w, cf_error *err);
cf_err cf_storage_put_write(cf_storage *s, cf_storage_writer *w, const void *buf, size_t len, cf_error *err);
cf_err cf_storage_put_commit(cf_storage *s, cf_storage_writer *w, cf_error *err);
void cf_storage_put_abort(cf_storage *s, cf_storage_writer *w);
/* Streams the local file src into key (copy; src is left alone). */
cf_err cf_storage_put_file(cf_storage *s, const char *key, const char *src, cf_error *err);
/* Stores len bytes of data as key (whole, or nothing on failure). */
cf_err cf_storage_put_buffer(cf_storage *s, const char *key, const void *data, size_t len, cf_error *err);
/* Reads the whole object into *data (malloc'd, NUL-terminated, the caller frees; *len bytes);
 * CF_ERR_TOO_LARGE over max bytes. */
cf_err cf_storage_read_all(cf_storage *s, const char *key, size_t max, char **data, size_t *len,
                           cf_error *err);
cf_err cf_storage_open_read(cf_storage *s, const char *key, int *fd, cf_storage_info *st, cf_error *err);
cf_err cf_storage_local_path(cf_storage *s, const char *key, char **path, cf_error *err);
cf_err cf_storage_stat(cf_storage *s, const char *key, cf_storage_info *st, cf_error *err);
cf_err cf_storage_remove(cf_storage *s, const char *key, cf_error *err);
/* Signed links (see sign/verify): tenant is a name of [A-Za-z0-9._-], at most 64 bytes. */
cf_err cf_storage_sign(cf_storage *s, const char *tenant, const char *key, int64_t ttl_s, int64_t now_s,
                       char **url, cf_error *err);
cf_err cf_storage_verify(cf_storage *s, const char *tenant, const char *key, const char *exp, const char *sig,
                         int64_t now_s, cf_error *err);
/* Objects under prefix (see list); CF_ERR_UNSUPPORTED when the backend cannot list. */
cf_err cf_storage_list(cf_storage *s, const char *prefix, cf_storage_list_fn fn, void *user, cf_error *err);
/* Removes every object whose key starts with prefix, but those under keep (NULL: none), listed
 * in rounds of 64 and removed after each listing; *removed (may be NULL) counts them. Fails as
 * cf_storage_list does (CF_ERR_UNSUPPORTED: the backend cannot list). */
cf_err cf_storage_remove_under(cf_storage *s, const char *prefix, const char *keep, size_t *removed,
                               cf_error *err);

#endif

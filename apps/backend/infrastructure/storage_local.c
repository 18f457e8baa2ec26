/* storage_local.c — object storage in a local directory. Writes go to a temp file that is
 * renamed into place on commit (readers never see a partial object) and unlinked on abort.
 * Signed URLs: sig = hex(HMAC-SHA256(signing key, key "\n" exp)), compared in constant time. */
#include "infrastructure/storage_local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clipforge/fs.h"

#define MAX_KEY_BYTES 256

typedef struct local_storage {
    char *objects; /* DIR/objects */
    char *tmp;     /* DIR/tmp */
    unsigned char key[MAX_KEY_BYTES];
    size_t key_len;
} local_storage;

struct cf_storage_writer {
    int fd;
    char *tmp_path;
    char *final_path;
};

static void sweep_tmp(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = cf_path_join(dir, e->d_name);
        if (p) unlink(p);
        free(p);
    }
    closedir(d);
}

static void local_close(void *self) {
    local_storage *ls = self;
    if (!ls) return;
    free(ls->objects);
    free(ls->tmp);
    OPENSSL_cleanse(ls->key, sizeof ls->key);
    free(ls);
}

static cf_err local_open(const char *url, const unsigned char *key, size_t key_len, void **self,
                         cf_error *err) {
    const char *root = url + strlen("local:");
    if (!*root) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "storage URL '%s': no path", url);
    if (!key || key_len == 0 || key_len > MAX_KEY_BYTES)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "storage: signing key of 1..%d bytes"
                            " required",
                            MAX_KEY_BYTES);
    local_storage *ls = calloc(1, sizeof *ls);
    if (!ls) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    ls->objects = cf_path_join(root, "objects");
    ls->tmp = cf_path_join(root, "tmp");
    memcpy(ls->key, key, key_len);
    ls->key_len = key_len;
    cf_err rc = ls->objects && ls->tmp ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = cf_mkdir_p(ls->objects, err);
    if (rc == CF_OK) rc = cf_mkdir_p(ls->tmp, err);
    if (rc) {
        local_close(ls);
        return rc;
    }
    sweep_tmp(ls->tmp); /* uploads cut short by a crash */
    *self = ls;
    return CF_OK;
}

static char *object_path(local_storage *ls, const char *key) {
    return cf_path_join(ls->objects, key);
}

static cf_err local_put_begin(void *self, const char *key, cf_storage_writer **out, cf_error *err) {
    local_storage *ls = self;
    cf_storage_writer *w = calloc(1, sizeof *w);
    if (!w) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    w->fd = -1;
    w->final_path = object_path(ls, key);
    w->tmp_path = cf_path_join(ls->tmp, "upload-XXXXXX");
    if (!w->final_path || !w->tmp_path) goto oom;
    w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
    if (w->fd < 0) {
        cf_err rc =
            cf_error_set(err, CF_ERR_IO, "storage: cannot create %s: %s", w->tmp_path, strerror(errno));
        free(w->final_path);
        free(w->tmp_path);
        free(w);
        return rc;
    }
    *out = w;
    return CF_OK;
oom:
    free(w->final_path);
    free(w->tmp_path);
    free(w);
    return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

static cf_err local_put_write(void *self, cf_storage_writer *w, const void *buf, size_t len, cf_error *err) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return cf_error_set(err, errno == ENOSPC ? CF_ERR_TOO_LARGE : CF_ERR_IO,
                                "storage: write failed: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return CF_OK;
}

static void writer_free(cf_storage_writer *w) {
    if (w->fd >= 0) close(w->fd);
    free(w->tmp_path);
    free(w->final_path);
    free(w);
}

static void local_put_abort(void *self, cf_storage_writer *w) {
    if (!w) return;
    unlink(w->tmp_path);
    writer_free(w);
}

static cf_err local_put_commit(void *self, cf_storage_writer *w, cf_error *err) {
    char *slash = strrchr(w->final_path, '/');
    cf_err rc = CF_OK;
    if (slash) {
        *slash = '\0';
        rc = cf_mkdir_p(w->final_path, err);
        *slash = '/';
    }
    if (rc == CF_OK && close(w->fd) != 0)
        rc = cf_error_set(err, CF_ERR_IO, "storage: close failed: %s", strerror(errno));
    w->fd = -1;
    if (rc == CF_OK && rename(w->tmp_path, w->final_path) != 0)
        rc = cf_error_set(err, CF_ERR_IO, "storage: cannot store %s: %s", w->final_path, strerror(errno));
    if (rc) unlink(w->tmp_path);
    writer_free(w);
    return rc;
}

static cf_err stat_path(const char *path, const char *key, cf_storage_info *st, cf_error *err) {
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return cf_error_set(err, CF_ERR_NOT_FOUND, "object %s not found", key);
    st->size = sb.st_size;
    st->mtime = sb.st_mtime;
    return CF_OK;
}

static cf_err local_stat(void *self, const char *key, cf_storage_info *st, cf_error *err) {
    char *path = object_path(self, key);
    if (!path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = stat_path(path, key, st, err);
    free(path);
    return rc;
}

static cf_err local_open_read(void *self, const char *key, int *fd, cf_storage_info *st, cf_error *err) {
    char *path = object_path(self, key);
    if (!path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (*fd < 0) return cf_error_set(err, CF_ERR_NOT_FOUND, "object %s not found", key);
    struct stat sb;
    if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(*fd);
        *fd = -1;
        return cf_error_set(err, CF_ERR_NOT_FOUND, "object %s not found", key);
    }
    st->size = sb.st_size;
    st->mtime = sb.st_mtime;
    return CF_OK;
}

static cf_err local_local_path(void *self, const char *key, char **path, cf_error *err) {
    cf_storage_info st;
    char *p = object_path(self, key);
    if (!p) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = stat_path(p, key, &st, err);
    if (rc) {
        free(p);
        return rc;
    }
    *path = p;
    return CF_OK;
}

static cf_err local_remove(void *self, const char *key, cf_error *err) {
    char *path = object_path(self, key);
    if (!path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = CF_OK;
    if (unlink(path) != 0)
        rc = errno == ENOENT
                 ? cf_error_set(err, CF_ERR_NOT_FOUND, "object %s not found", key)
                 : cf_error_set(err, CF_ERR_IO, "storage: cannot remove %s: %s", key, strerror(errno));
    free(path);
    return rc;
}

/* hex(HMAC-SHA256(key, objkey "\n" exp)) into out (65 bytes). */
static cf_err signature(local_storage *ls, const char *objkey, const char *exp, char out[65], cf_error *err) {
    size_t len = strlen(objkey) + 1 + strlen(exp);
    char *msg = malloc(len + 1);
    if (!msg) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    snprintf(msg, len + 1, "%s\n%s", objkey, exp);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    unsigned char *ok =
        HMAC(EVP_sha256(), ls->key, (int)ls->key_len, (unsigned char *)msg, len, mac, &mac_len);
    free(msg);
    if (!ok || mac_len != 32) return cf_error_set(err, CF_ERR_INTERNAL, "storage: HMAC failed");
    for (unsigned i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", mac[i]);
    return CF_OK;
}

static cf_err local_sign(void *self, const char *key, int64_t ttl_s, int64_t now_s, char **url,
                         cf_error *err) {
    char exp[32], sig[65];
    snprintf(exp, sizeof exp, "%lld", (long long)now_s + ttl_s);
    cf_err rc = signature(self, key, exp, sig, err);
    if (rc) return rc;
    size_t len = strlen("/v1/files/?exp=&sig=") + strlen(key) + strlen(exp) + 64 + 1;
    *url = malloc(len);
    if (!*url) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    snprintf(*url, len, "/v1/files/%s?exp=%s&sig=%s", key, exp, sig);
    return CF_OK;
}

static cf_err local_verify(void *self, const char *key, const char *exp, const char *sig, int64_t now_s,
                           cf_error *err) {
    char want[65];
    char *end = NULL;
    errno = 0;
    long long e = strtoll(exp, &end, 10);
    if (errno || end == exp || *end || strlen(sig) != 64)
        return cf_error_set(err, CF_ERR_PERMISSION, "malformed signed URL");
    cf_err rc = signature(self, key, exp, want, err);
    if (rc) return rc;
    if (CRYPTO_memcmp(want, sig, 64) != 0)
        return cf_error_set(err, CF_ERR_PERMISSION, "signature does not match");
    if (e < now_s) return cf_error_set(err, CF_ERR_PERMISSION, "signed URL expired");
    return CF_OK;
}

/* ---- listing ---- */

static int name_order(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted (malloc'd array of malloc'd names); NULL for none. */
static char **sorted_names(const char *dir, size_t *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char **grown = realloc(names, (*n + 1) * sizeof *names);
        if (!grown || !(grown[*n] = strdup(e->d_name))) {
            names = grown ? grown : names;
            break;
        }
        names = grown;
        (*n)++;
    }
    closedir(d);
    if (names) qsort(names, *n, sizeof *names, name_order);
    return names;
}

typedef struct walk {
    const char *prefix;
    cf_storage_list_fn fn;
    void *user;
    bool stop;
} walk;

/* Lists the objects under objects/rel ("" = the root) whose keys start with the prefix. */
static void walk_dir(local_storage *ls, const char *rel, walk *w) {
    char *dir = *rel ? cf_path_join(ls->objects, rel) : strdup(ls->objects);
    size_t n = 0;
    char **names = dir ? sorted_names(dir, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        char key[1024];
        snprintf(key, sizeof key, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        char *path = w->stop ? NULL : cf_path_join(ls->objects, key);
        struct stat sb;
        size_t kl = strlen(key), pl = strlen(w->prefix);
        bool under = !strncmp(key, w->prefix, kl < pl ? kl : pl); /* one is a prefix of the other */
        if (path && under && stat(path, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                walk_dir(ls, key, w);
            } else if (S_ISREG(sb.st_mode) && kl >= pl) {
                cf_storage_info st = {.size = sb.st_size, .mtime = sb.st_mtime};
                w->stop = !w->fn(w->user, key, &st);
            }
        }
        free(path);
        free(names[i]);
    }
    free(names);
    free(dir);
}

static cf_err local_list(void *self, const char *prefix, cf_storage_list_fn fn, void *user, cf_error *err) {
    (void)err;
    walk w = {prefix, fn, user, false};
    walk_dir(self, "", &w);
    return CF_OK;
}

static const cf_storage_methods methods = {
    .version = 1,
    .name = "local",
    .open = local_open,
    .close = local_close,
    .put_begin = local_put_begin,
    .put_write = local_put_write,
    .put_commit = local_put_commit,
    .put_abort = local_put_abort,
    .open_read = local_open_read,
    .local_path = local_local_path,
    .stat = local_stat,
    .remove = local_remove,
    .sign = local_sign,
    .verify = local_verify,
    .list = local_list,
};

const cf_storage_methods *cf_storage_local_methods(void) {
    return &methods;
}

static cf_err read_key_file(const char *path, unsigned char *key, size_t cap, size_t *len, cf_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cf_error_set(err, CF_ERR_NOT_FOUND, "no key file %s", path);
    ssize_t n = read(fd, key, cap);
    close(fd);
    if (n <= 0) return cf_error_set(err, CF_ERR_IO, "signing key file %s is empty", path);
    *len = (size_t)n;
    return CF_OK;
}

cf_err cf_signing_key_load(const char *configured, const char *data_dir, unsigned char *key, size_t cap,
                           size_t *len, cf_error *err) {
    if (configured && *configured) {
        size_t n = strlen(configured);
        if (n > cap) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "signing key too long");
        memcpy(key, configured, n);
        *len = n;
        return CF_OK;
    }
    char *path = cf_path_join(data_dir, "signing.key");
    if (!path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = read_key_file(path, key, cap, len, err);
    if (rc == CF_ERR_NOT_FOUND && cap >= 32) {
        unsigned char fresh[32];
        int fd = -1;
        if (RAND_bytes(fresh, sizeof fresh) != 1)
            rc = cf_error_set(err, CF_ERR_INTERNAL, "no random bytes for the signing key");
        else if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
            rc = errno == EEXIST
                     ? read_key_file(path, key, cap, len, err) /* lost a race */
                     : cf_error_set(err, CF_ERR_IO, "cannot create %s: %s", path, strerror(errno));
        else if (write(fd, fresh, sizeof fresh) != (ssize_t)sizeof fresh)
            rc = cf_error_set(err, CF_ERR_IO, "cannot write %s", path);
        else {
            memcpy(key, fresh, sizeof fresh);
            *len = sizeof fresh;
            rc = CF_OK;
        }
        if (fd >= 0) close(fd);
        OPENSSL_cleanse(fresh, sizeof fresh);
    }
    free(path);
    return rc;
}

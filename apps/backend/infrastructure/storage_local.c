/* storage_local.c — object storage in a local directory. Writes go to a temp file that is
 * renamed into place on commit (readers never see a partial object) and unlinked on abort.
 * Keys are reached from the objects directory one segment at a time (openat with O_NOFOLLOW),
 * so a symbolic link anywhere under it (put there by hand or by another program) is refused,
 * never followed out of the root.
 * Signed URLs: sig = hex(HMAC-SHA256(signing key, tenant "\n" key "\n" exp)), compared in
 * constant time: a link names the tenant it was made for, and changing it breaks the signature. */
#include "infrastructure/storage_local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clipforge/fs.h"

#define MAX_KEY_BYTES 256
#define COMMIT_TRIES 8 /* opens of a directory a concurrent remove keeps taking away */

typedef struct local_storage {
    char *objects; /* DIR/objects */
    char *tmp;     /* DIR/tmp */
    unsigned char key[MAX_KEY_BYTES];
    size_t key_len;
    /* Held shared by a put's commit while it makes and fills a directory, exclusively while a
     * remove takes away the directories it left empty: the commit never lands in one of those.
     * (Processes sharing the directory rely on the commit's retries instead.) */
    pthread_rwlock_t prune_lock;
} local_storage;

/* An upload arrives in pieces of about 16 KB (libmicrohttpd's read buffer): written as they
 * come, each ended inside a 4 KiB block, which the filesystem zeroed before the next piece
 * filled it (a tenth of an upload's CPU). They are gathered and written 256 KiB at a time. */
#define PUT_BUF_BYTES (256 * 1024)

struct cf_storage_writer {
    int fd;
    char *tmp_path;
    char *key;
    char *buf; /* PUT_BUF_BYTES, allocated at the first write; NULL: written as they come */
    size_t fill;
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
    pthread_rwlock_destroy(&ls->prune_lock);
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
    pthread_rwlock_init(&ls->prune_lock, NULL);
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

/* errno after a refused step: a symbolic link where a directory or the object should be. */
static bool link_refused(int dir, const char *name) {
    struct stat sb;
    return (errno == ELOOP || errno == ENOTDIR) && fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISLNK(sb.st_mode);
}

/* The directory holding key's last segment, opened from the objects directory without following
 * a symbolic link at any step (create: missing directories are made); *name = that segment.
 * -1 when a step fails: *linked says whether it was a symbolic link. */
static int open_parent(local_storage *ls, const char *key, bool create, const char **name, bool *linked) {
    *linked = false;
    int dir = open(ls->objects, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *seg = key;
    for (const char *slash; dir >= 0 && (slash = strchr(seg, '/')); seg = slash + 1) {
        char part[520]; /* keys are at most 512 bytes (cf_storage_key_valid) */
        snprintf(part, sizeof part, "%.*s", (int)(slash - seg), seg);
        /* EEXIST is fine, openat says the rest; a directory made is made durable at once (its
         * parent fsynced), or the object renamed into it could be lost with it by a power cut */
        if (create && mkdirat(dir, part, 0755) == 0) (void)fsync(dir);
        int next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) *linked = link_refused(dir, part);
        close(dir);
        dir = next;
    }
    *name = seg;
    return dir;
}

/* Opens key's object itself (flags | O_NOFOLLOW) the same way; -1 as open_parent. */
static int open_object(local_storage *ls, const char *key, int flags, bool *linked) {
    const char *name = NULL;
    int dir = open_parent(ls, key, false, &name, linked);
    if (dir < 0) return -1;
    int fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) *linked = link_refused(dir, name);
    close(dir);
    return fd;
}

static cf_err missing(const char *key, bool linked, cf_error *err) {
    if (linked)
        return cf_error_set(err, CF_ERR_PERMISSION, "storage: object %s is reached through a symbolic link",
                            key);
    return cf_error_set(err, CF_ERR_NOT_FOUND, "object %s not found", key);
}

/* Opens a regular object (flags) and fills *st; -1 and err otherwise. */
static int open_regular(local_storage *ls, const char *key, int flags, cf_storage_info *st, cf_error *err) {
    bool linked = false;
    int fd = open_object(ls, key, flags, &linked);
    struct stat sb = {0};
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        st->size = sb.st_size;
        st->mtime = sb.st_mtime;
        return fd;
    }
    if (fd >= 0) {
        linked = S_ISLNK(sb.st_mode); /* O_PATH | O_NOFOLLOW opens a link itself */
        close(fd);
    }
    missing(key, linked, err);
    return -1;
}

static cf_err local_put_begin(void *self, const char *key, cf_storage_writer **out, cf_error *err) {
    local_storage *ls = self;
    cf_storage_writer *w = calloc(1, sizeof *w);
    if (!w) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    w->fd = -1;
    w->key = strdup(key);
    w->tmp_path = cf_path_join(ls->tmp, "upload-XXXXXX");
    if (!w->key || !w->tmp_path) goto oom;
    w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
    if (w->fd < 0) {
        cf_err rc = cf_error_set(err, cf_err_of_write(errno), "storage: cannot create %s: %s", w->tmp_path,
                                 strerror(errno));
        free(w->key);
        free(w->tmp_path);
        free(w);
        return rc;
    }
    *out = w;
    return CF_OK;
oom:
    free(w->key);
    free(w->tmp_path);
    free(w);
    return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

static cf_err write_all(int fd, const char *p, size_t len, cf_error *err) {
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return cf_error_set(err, cf_err_of_write(errno), "storage: write failed: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return CF_OK;
}

static cf_err local_put_write(void *self, cf_storage_writer *w, const void *buf, size_t len, cf_error *err) {
    const char *p = buf;
    if (!w->buf && !(w->buf = malloc(PUT_BUF_BYTES))) return write_all(w->fd, p, len, err);
    while (len > 0) {
        size_t take = PUT_BUF_BYTES - w->fill < len ? PUT_BUF_BYTES - w->fill : len;
        memcpy(w->buf + w->fill, p, take);
        w->fill += take, p += take, len -= take;
        if (w->fill < PUT_BUF_BYTES) break;
        w->fill = 0;
        cf_err rc = write_all(w->fd, w->buf, PUT_BUF_BYTES, err);
        if (rc) return rc;
    }
    return CF_OK;
}

static void writer_free(cf_storage_writer *w) {
    free(w->buf);
    if (w->fd >= 0) close(w->fd);
    free(w->tmp_path);
    free(w->key);
    free(w);
}

static void local_put_abort(void *self, cf_storage_writer *w) {
    if (!w) return;
    unlink(w->tmp_path);
    writer_free(w);
}

static cf_err local_put_commit(void *self, cf_storage_writer *w, cf_error *err) {
    local_storage *ls = self;
    cf_err rc = w->fill ? write_all(w->fd, w->buf, w->fill, err) : CF_OK;
    /* on the disk before its name is: a power cut must not leave an empty object under the key */
    if (!rc && fsync(w->fd) != 0)
        rc = cf_error_set(err, cf_err_of_write(errno), "storage: cannot write %s to the disk: %s", w->key,
                          strerror(errno));
    if (close(w->fd) != 0 && !rc)
        rc = cf_error_set(err, cf_err_of_write(errno), "storage: close failed: %s", strerror(errno));
    w->fd = -1;
    /* A remove in another process that emptied the key's directory may take it away
     * (prune_parents) between the open and the rename here: then it is made and opened again. */
    pthread_rwlock_rdlock(&ls->prune_lock);
    for (int tries = 1; rc == CF_OK; tries++) {
        const char *name = NULL;
        bool linked = false;
        int dir = open_parent(ls, w->key, true, &name, &linked);
        /* renameat replaces a symbolic link of that name itself, never what it points to */
        int moved = dir < 0 ? -1 : renameat(AT_FDCWD, w->tmp_path, dir, name);
        int e = errno;
        if (moved == 0 && fsync(dir) != 0) /* the new name, durable before the caller is told */
            rc = cf_error_set(err, cf_err_of_write(errno),
                              "storage: cannot write the directory of %s to the disk: %s", w->key,
                              strerror(errno));
        if (dir >= 0) close(dir);
        if (moved == 0) break;
        if (e == ENOENT && !linked && tries < COMMIT_TRIES) continue;
        if (linked) rc = missing(w->key, true, err);
        else if (dir < 0)
            rc = cf_error_set(err, cf_err_of_write(e), "storage: cannot make the directory of %s: %s", w->key,
                              strerror(e));
        else rc = cf_error_set(err, cf_err_of_write(e), "storage: cannot store %s: %s", w->key, strerror(e));
    }
    pthread_rwlock_unlock(&ls->prune_lock);
    if (rc) unlink(w->tmp_path);
    writer_free(w);
    return rc;
}

static cf_err local_stat(void *self, const char *key, cf_storage_info *st, cf_error *err) {
    int fd = open_regular(self, key, O_PATH, st, err);
    if (fd < 0) return err->code;
    close(fd);
    return CF_OK;
}

static cf_err local_open_read(void *self, const char *key, int *fd, cf_storage_info *st, cf_error *err) {
    /* O_NONBLOCK: a FIFO planted under the root must not block the open (it is refused after) */
    *fd = open_regular(self, key, O_RDONLY | O_NONBLOCK, st, err);
    return *fd < 0 ? err->code : CF_OK;
}

/* The path is checked now; the library that opens it later follows it as it finds it. */
static cf_err local_local_path(void *self, const char *key, char **path, cf_error *err) {
    cf_storage_info st;
    cf_err rc = local_stat(self, key, &st, err);
    if (rc) return rc;
    *path = object_path(self, key);
    return *path ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* Removes the directories above key that are left empty, deepest first, up to the first
 * segment's (jobs/, media/ stay): the outputs of a run that did not commit leave no empty
 * jobs/<id>/<attempt>/ behind. */
static void prune_parents(local_storage *ls, const char *key) {
    char dir_key[520]; /* keys are at most 512 bytes (cf_storage_key_valid) */
    snprintf(dir_key, sizeof dir_key, "%s", key);
    pthread_rwlock_wrlock(&ls->prune_lock);
    for (char *slash; (slash = strrchr(dir_key, '/')) && strchr(dir_key, '/') != slash;) {
        *slash = '\0';
        const char *name = NULL;
        bool linked = false;
        int dir = open_parent(ls, dir_key, false, &name, &linked);
        if (dir < 0) break;
        int gone = unlinkat(dir, name, AT_REMOVEDIR); /* fails unless empty; a link is no directory */
        close(dir);
        if (gone != 0) break;
    }
    pthread_rwlock_unlock(&ls->prune_lock);
}

static cf_err local_remove(void *self, const char *key, cf_error *err) {
    const char *name = NULL;
    bool linked = false;
    int dir = open_parent(self, key, false, &name, &linked);
    if (dir < 0) return missing(key, linked, err);
    cf_err rc = CF_OK;
    if (unlinkat(dir, name, 0) != 0) /* a symbolic link of that name goes, not its target */
        rc = errno == ENOENT
                 ? cf_error_set(err, CF_ERR_NOT_FOUND, "object %s not found", key)
                 : cf_error_set(err, CF_ERR_IO, "storage: cannot remove %s: %s", key, strerror(errno));
    close(dir);
    if (rc == CF_OK) prune_parents(self, key);
    return rc;
}

/* hex(HMAC-SHA256(key, tenant "\n" objkey "\n" exp)) into out (65 bytes). */
static cf_err signature(local_storage *ls, const char *tenant, const char *objkey, const char *exp,
                        char out[65], cf_error *err) {
    size_t len = strlen(tenant) + 1 + strlen(objkey) + 1 + strlen(exp);
    char *msg = malloc(len + 1);
    if (!msg) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    snprintf(msg, len + 1, "%s\n%s\n%s", tenant, objkey, exp);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    unsigned char *ok =
        HMAC(EVP_sha256(), ls->key, (int)ls->key_len, (unsigned char *)msg, len, mac, &mac_len);
    free(msg);
    if (!ok || mac_len != 32) return cf_error_set(err, CF_ERR_INTERNAL, "storage: HMAC failed");
    for (unsigned i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", mac[i]);
    return CF_OK;
}

static cf_err local_sign(void *self, const char *tenant, const char *key, int64_t ttl_s, int64_t now_s,
                         char **url, cf_error *err) {
    char exp[32], sig[65];
    snprintf(exp, sizeof exp, "%lld", (long long)now_s + ttl_s);
    cf_err rc = signature(self, tenant, key, exp, sig, err);
    if (rc) return rc;
    size_t len = strlen("/v1/files/?tenant=&exp=&sig=") + strlen(key) + strlen(tenant) + strlen(exp) + 64 + 1;
    *url = malloc(len);
    if (!*url) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    snprintf(*url, len, "/v1/files/%s?tenant=%s&exp=%s&sig=%s", key, tenant, exp, sig);
    return CF_OK;
}

static cf_err local_verify(void *self, const char *tenant, const char *key, const char *exp, const char *sig,
                           int64_t now_s, cf_error *err) {
    char want[65];
    char *end = NULL;
    errno = 0;
    long long e = strtoll(exp, &end, 10);
    if (errno || end == exp || *end || strlen(sig) != 64)
        return cf_error_set(err, CF_ERR_PERMISSION, "malformed signed URL");
    cf_err rc = signature(self, tenant, key, exp, want, err);
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
        if (path && under && lstat(path, &sb) == 0) {             /* a symbolic link is neither: skipped */
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

/* fs.c — filesystem helpers. */
#include "clipforge/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clipforge/log.h"

static int sync_parent(const char *path);

cf_err cf_mkdir_p(const char *dir, cf_error *err) {
    char *copy = strdup(dir);
    if (!copy) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = CF_OK;
    for (char *p = copy + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0') continue;
        *p = '\0';
        int made = mkdir(copy, 0755);
        if (made != 0 && errno != EEXIST) {
            rc = cf_error_set(err, errno == EACCES ? CF_ERR_PERMISSION : CF_ERR_IO,
                              "cannot create directory %s: %s", copy, strerror(errno));
            break;
        }
        if (made == 0) (void)sync_parent(copy); /* the new name survives a power cut with what goes in */
        *p = c;
        if (c == '\0') break;
    }
    free(copy);
    return rc;
}

const char *cf_temp_parent(const char *parent) {
    if (!parent || !*parent) parent = getenv("TMPDIR");
    return parent && *parent ? parent : "/tmp";
}

/* ---- temp dirs, and those of processes that died ---------------------------------------------
 * A process killed outright (kill -9, the OOM killer) cannot remove its temp dirs. So each temp
 * dir in the temp parent ($TMPDIR, else /tmp) has a name with a token, "<prefix><token>-XXXXXX",
 * naming an owner file ".cf-owner-<token>" in the same parent, which the process that made the dir holds
 * locked (flock) while it lives: the kernel drops the lock when it dies. The first temp dir a process makes
 * in a parent first removes there the dirs whose owner file it can lock, and those owner files; a process
 * that exits removes its owner files. A lock, not a pid in the name: it holds across PID namespaces sharing
 * a parent, and a pid is reused. */

#define OWNER_PREFIX ".cf-owner-"
#define TOKEN_LEN 6 /* mkstemp's XXXXXX */

typedef struct owner {
    char *parent;
    char token[TOKEN_LEN + 1];
    int fd;
} owner;

static owner g_owners[16];
static size_t g_n_owners;
static pthread_mutex_t g_owners_mu = PTHREAD_MUTEX_INITIALIZER;

static char *owner_path(const char *parent, const char *token) {
    size_t n = strlen(parent) + sizeof OWNER_PREFIX + TOKEN_LEN + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s%s", parent, OWNER_PREFIX, token);
    return p;
}

/* True when fd is still the file at path (a sweeper may have removed or replaced it). */
static bool still_at(int fd, const char *path) {
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The token of the owner file name, or NULL when name is not one. */
static const char *owner_token(const char *name) {
    size_t n = strlen(OWNER_PREFIX);
    return strncmp(name, OWNER_PREFIX, n) == 0 && strlen(name) == n + TOKEN_LEN ? name + n : NULL;
}

/* Removes the temp dirs in parent whose owner is token. */
static size_t remove_dirs_of(const char *parent, const char *token) {
    DIR *d = opendir(parent);
    size_t removed = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < TOKEN_LEN + 7 || e->d_name[n - 7] != '-' ||
            memcmp(e->d_name + n - 7 - TOKEN_LEN, token, TOKEN_LEN))
            continue;
        char *path = cf_path_join(parent, e->d_name);
        struct stat st;
        cf_error ignored;
        if (path && lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && cf_remove_tree(path, &ignored) == CF_OK)
            removed++;
        free(path);
    }
    if (d) closedir(d);
    return removed;
}

/* Removes what the processes that died left in parent: their temp dirs, then their owner files. */
static void sweep_dead_owners(const char *parent) {
    DIR *d = opendir(parent);
    size_t removed = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        const char *token = owner_token(e->d_name);
        char *path = token ? owner_path(parent, token) : NULL;
        int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && still_at(fd, path)) {
            removed += remove_dirs_of(parent, token);
            unlink(path); /* while locked: no live process holds this file */
        }
        if (fd >= 0) close(fd);
        free(path);
    }
    if (d) closedir(d);
    if (removed)
        cf_log_info("fs", "removed %zu temp dirs in %s left by processes that died", removed, parent);
}

/* A new owner file in parent, locked, its token in token; the open fd, or -1. */
static int new_owner(const char *parent, char token[TOKEN_LEN + 1]) {
    char *path = owner_path(parent, "XXXXXX");
    for (int tries = 0; path && tries < 8; tries++) {
        memcpy(path + strlen(path) - TOKEN_LEN, "XXXXXX", TOKEN_LEN);
        int fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0) break;
        /* a sweeper may lock and remove it before this process does: then another name */
        if (flock(fd, LOCK_EX) == 0 && still_at(fd, path)) {
            memcpy(token, path + strlen(path) - TOKEN_LEN, TOKEN_LEN + 1);
            free(path);
            return fd;
        }
        close(fd);
    }
    free(path);
    return -1;
}

static void remove_owner_files(void) {
    pthread_mutex_lock(&g_owners_mu);
    for (size_t i = 0; i < g_n_owners; i++) {
        char *path = owner_path(g_owners[i].parent, g_owners[i].token);
        if (path && still_at(g_owners[i].fd, path)) unlink(path);
        free(path);
    }
    pthread_mutex_unlock(&g_owners_mu);
}

/* This process's token in parent, made (after a sweep there) the first time; NULL when none can
 * be (a parent not writable for files, too many parents): the dir is then made without one. */
static const char *owner_token_for(const char *parent) {
    const char *token = NULL;
    pthread_mutex_lock(&g_owners_mu);
    for (size_t i = 0; !token && i < g_n_owners; i++)
        if (strcmp(g_owners[i].parent, parent) == 0) token = g_owners[i].token;
    if (!token && g_n_owners < sizeof g_owners / sizeof g_owners[0]) {
        owner *o = &g_owners[g_n_owners];
        sweep_dead_owners(parent);
        if ((o->parent = strdup(parent)) && (o->fd = new_owner(parent, o->token)) >= 0) {
            token = o->token;
            if (g_n_owners++ == 0) atexit(remove_owner_files);
        } else free(o->parent);
    }
    pthread_mutex_unlock(&g_owners_mu);
    return token;
}

static cf_err make_temp_dir(const char *parent, const char *prefix, const char *token, char **out,
                            cf_error *err) {
    size_t len = strlen(parent) + strlen(prefix) + TOKEN_LEN + 10;
    char *path = malloc(len);
    if (!path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (token) snprintf(path, len, "%s/%s%s-XXXXXX", parent, prefix, token);
    else snprintf(path, len, "%s/%sXXXXXX", parent, prefix);
    if (!mkdtemp(path)) {
        cf_err rc = cf_error_set(err, CF_ERR_IO, "cannot create temp dir in %s: %s", parent, strerror(errno));
        free(path);
        return rc;
    }
    *out = path;
    return CF_OK;
}

cf_err cf_make_temp_dir(const char *parent, const char *prefix, char **out, cf_error *err) {
    /* a parent the caller names is the caller's to clean (the server's job work dirs) */
    const char *token = parent && *parent ? NULL : owner_token_for(cf_temp_parent(NULL));
    return make_temp_dir(cf_temp_parent(parent), prefix, token, out, err);
}

cf_err cf_make_owned_temp_dir(const char *parent, const char *prefix, char **out, cf_error *err) {
    return make_temp_dir(parent, prefix, owner_token_for(parent), out, err);
}

bool cf_is_temp_dir_name(const char *name, const char *prefix) {
    size_t p = strlen(prefix), n = strlen(name);
    if (strncmp(name, prefix, p) != 0) return false;
    /* mkdtemp's six characters, after the owner's token and a dash (or alone: made without one) */
    return n == p + 6 || (n == p + TOKEN_LEN + 7 && name[p + TOKEN_LEN] == '-');
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

cf_err cf_remove_tree(const char *path, cf_error *err) {
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? CF_OK
                               : cf_error_set(err, CF_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return cf_error_set(err, CF_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    return CF_OK;
}

int64_t cf_file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    return (int64_t)st.st_size;
}

/* Writes all n bytes of buf to fd; false on an error. */
static bool write_all(int fd, const char *buf, size_t n) {
    for (size_t done = 0; done < n;) {
        ssize_t w = write(fd, buf + done, n - done);
        if (w < 0 && errno != EINTR) return false;
        if (w > 0) done += (size_t)w;
    }
    return true;
}

/* Copies the open file in to out; 0, or the errno of the failure. */
static int copy_fd(int in, int out) {
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == 0) return 0;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || !write_all(out, buf, (size_t)n)) return errno ? errno : EIO;
    }
}

/* fsyncs the directory holding path: the name a rename just put there survives a power cut
 * (the file's own fsync does not cover its name). 0, or the errno of the failure. */
static int sync_parent(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    int fail = !dir ? ENOMEM : fd < 0 || fsync(fd) != 0 ? errno : 0;
    if (fd >= 0) close(fd);
    free(dir);
    return fail;
}

/* Renames from over to and makes the new name durable. The caller has fsynced from's data first:
 * then after a crash to is the old file or the whole new one, never an empty or partial one
 * (ext4 and XFS may write the rename before the data). 0, or the errno of the failure. */
static int rename_durably(const char *from, const char *to) {
    return rename(from, to) != 0 ? errno : sync_parent(to);
}

/* Finishes a temp file written beside to: made readable, put on the disk, closed and renamed over
 * to when fail is 0, removed otherwise. Returns the errno of the first failure, 0 when to is in
 * place. */
static int publish(int out, char *tmp, const char *to, int fail) {
    if (!fail && fchmod(out, 0644) != 0) fail = errno;
    if (!fail && fsync(out) != 0) fail = errno;
    if (out >= 0 && close(out) != 0 && !fail) fail = errno;
    if (!fail) fail = rename_durably(tmp, to);
    if (fail && out >= 0) unlink(tmp); /* no such file when only the directory's fsync failed */
    free(tmp);
    return fail;
}

/* A new private temp file "<to>.partXXXXXX" beside to; -1 with errno set (*tmp NULL on ENOMEM). */
static int temp_beside(const char *to, char **tmp) {
    if (!(*tmp = malloc(strlen(to) + 16))) {
        errno = ENOMEM;
        return -1;
    }
    sprintf(*tmp, "%s.partXXXXXX", to);
    return mkostemp(*tmp, O_CLOEXEC);
}

cf_err cf_copy_file(const char *from, const char *to, cf_error *err) {
    char *tmp = NULL;
    int in = open(from, O_RDONLY | O_CLOEXEC), out = in >= 0 ? temp_beside(to, &tmp) : -1;
    int fail = in < 0 || out < 0 ? errno : copy_fd(in, out);
    if (in >= 0) close(in);
    fail = publish(out, tmp, to, fail);
    if (!fail) return CF_OK;
    return cf_error_set(err, cf_err_of_write(fail), "cannot copy %s to %s: %s", from, to, strerror(fail));
}

cf_err cf_write_file(const char *path, const void *data, size_t n, cf_error *err) {
    char *tmp = NULL;
    int out = temp_beside(path, &tmp);
    int fail = out < 0 ? errno : write_all(out, data, n) ? 0 : errno ? errno : EIO;
    fail = publish(out, tmp, path, fail);
    if (!fail) return CF_OK;
    return cf_error_set(err, CF_ERR_IO, "cannot write %s: %s", path, strerror(fail));
}

cf_err cf_move_file(const char *from, const char *to, cf_error *err) {
    int fd = open(from, O_RDONLY | O_CLOEXEC);
    int fail = fd < 0 || fsync(fd) != 0 ? errno : 0;
    if (fd >= 0) close(fd);
    if (!fail) fail = rename_durably(from, to);
    if (!fail) return CF_OK;
    if (fail != EXDEV)
        return cf_error_set(err, CF_ERR_IO, "cannot move %s to %s: %s", from, to, strerror(fail));
    cf_err rc = cf_copy_file(from, to, err);
    if (!rc) unlink(from);
    return rc;
}

char *cf_path_join(const char *a, const char *b) {
    size_t la = strlen(a);
    while (la > 1 && a[la - 1] == '/') la--;
    while (*b == '/') b++;
    size_t len = la + strlen(b) + 2;
    char *out = malloc(len);
    if (out) snprintf(out, len, "%.*s/%s", (int)la, a, b);
    return out;
}

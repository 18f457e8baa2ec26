/* fs.c — filesystem helpers. */
#include "clipforge/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

cf_err cf_mkdir_p(const char *dir, cf_error *err) {
    char *copy = strdup(dir);
    if (!copy) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = CF_OK;
    for (char *p = copy + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0') continue;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
            rc = cf_error_set(err, errno == EACCES ? CF_ERR_PERMISSION : CF_ERR_IO,
                              "cannot create directory %s: %s", copy, strerror(errno));
            break;
        }
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

cf_err cf_make_temp_dir(const char *parent, const char *prefix, char **out, cf_error *err) {
    parent = cf_temp_parent(parent);
    size_t len = strlen(parent) + strlen(prefix) + 9;
    char *path = malloc(len);
    if (!path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    snprintf(path, len, "%s/%sXXXXXX", parent, prefix);
    if (!mkdtemp(path)) {
        cf_err rc = cf_error_set(err, CF_ERR_IO, "cannot create temp dir in %s: %s", parent, strerror(errno));
        free(path);
        return rc;
    }
    *out = path;
    return CF_OK;
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

/* Finishes a temp file written beside to: made readable, closed and renamed over to when fail
 * is 0, removed otherwise. Returns the errno of the first failure, 0 when to is in place. */
static int publish(int out, char *tmp, const char *to, int fail) {
    if (!fail && fchmod(out, 0644) != 0) fail = errno;
    if (out >= 0 && close(out) != 0 && !fail) fail = errno;
    if (!fail && rename(tmp, to) != 0) fail = errno;
    if (fail && out >= 0) unlink(tmp);
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
    return cf_error_set(err, CF_ERR_IO, "cannot copy %s to %s: %s", from, to, strerror(fail));
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
    if (rename(from, to) == 0) return CF_OK;
    if (errno != EXDEV)
        return cf_error_set(err, CF_ERR_IO, "cannot move %s to %s: %s", from, to, strerror(errno));
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

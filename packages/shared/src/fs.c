/* fs.c — filesystem helpers. */
#include "clipforge/fs.h"

#include <errno.h>
#include <ftw.h>
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

cf_err cf_make_temp_dir(const char *parent, const char *prefix, char **out, cf_error *err) {
    if (!parent || !*parent) parent = getenv("TMPDIR");
    if (!parent || !*parent) parent = "/tmp";
    size_t len = strlen(parent) + strlen(prefix) + 9;
    char *path = malloc(len);
    if (!path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    snprintf(path, len, "%s/%sXXXXXX", parent, prefix);
    if (!mkdtemp(path)) {
        cf_err rc = cf_error_set(err, CF_ERR_IO, "cannot create temp dir in %s: %s", parent,
                                 strerror(errno));
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
    if (lstat(path, &st) != 0) return errno == ENOENT ? CF_OK : cf_error_set(err, CF_ERR_IO,
                                                                "cannot stat %s: %s", path,
                                                                strerror(errno));
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return cf_error_set(err, CF_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    return CF_OK;
}

int64_t cf_file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    return (int64_t)st.st_size;
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

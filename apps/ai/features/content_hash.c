/* content_hash.c — SHA-256 of files (clipforge/sha256.h), remembered per file identity. */
#include "features/content_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clipforge/fs.h"

#define CHUNK (1 << 20)

/* <memo_dir>/hashes/<fnv of identity>: "identity\nhex\n". */
static char *memo_path(const char *memo_dir, const char *ident) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)ident; *p; p++) h = (h ^ *p) * 0x100000001b3ULL;
    size_t n = strlen(memo_dir) + 40;
    char *out = malloc(n);
    if (out) snprintf(out, n, "%s/hashes/%016llx", memo_dir, (unsigned long long)h);
    return out;
}

static bool memo_get(const char *file, const char *ident, char hex[CF_SHA256_HEX]) {
    FILE *f = file ? fopen(file, "r") : NULL;
    if (!f) return false;
    char line[PATH_MAX + 128], h[80];
    bool ok = fgets(line, sizeof line, f) && fgets(h, sizeof h, f);
    fclose(f);
    line[strcspn(line, "\n")] = h[strcspn(h, "\n")] = '\0';
    if (!ok || strcmp(line, ident) || !cf_sha256_valid(h)) return false;
    memcpy(hex, h, CF_SHA256_HEX);
    return true;
}

static void memo_put(const char *file, const char *ident, const char *hex) {
    char *dir = file ? strdup(file) : NULL;
    cf_error ignored;
    if (!dir) return;
    *strrchr(dir, '/') = '\0';
    size_t n = strlen(file) + 24;
    char *tmp = malloc(n);
    FILE *f = NULL;
    if (tmp && cf_mkdir_p(dir, &ignored) == CF_OK) {
        snprintf(tmp, n, "%s.%d.tmp", file, (int)getpid());
        f = fopen(tmp, "w");
    }
    bool ok = f && fprintf(f, "%s\n%s\n", ident, hex) > 0;
    if (f && fclose(f) != 0) ok = false;
    if (f && (!ok || rename(tmp, file) != 0)) unlink(tmp); /* a lost memo costs a hash, no more */
    free(tmp);
    free(dir);
}

static cf_err hash_fd(int fd, const char *path, int64_t size, cf_progress *progress, char hex[CF_SHA256_HEX],
                      cf_error *err) {
    cf_sha256 *h = cf_sha256_begin();
    unsigned char *buf = malloc(CHUNK);
    cf_err rc = h && buf ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "hashing %s: out of memory", path);
    int64_t done = 0;
    ssize_t got;
    while (!rc && (got = read(fd, buf, CHUNK)) != 0) {
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) rc = cf_error_set(err, CF_ERR_IO, "hashing %s: %s", path, strerror(errno));
        else if (!cf_sha256_add(h, buf, (size_t)got))
            rc = cf_error_set(err, CF_ERR_INTERNAL, "sha256 failed");
        done += got > 0 ? got : 0;
        if (!rc && size > 0) cf_progress_report(progress, (double)done / (double)size, "hashing");
        if (!rc && cf_progress_cancelled(progress))
            rc = cf_error_set(err, CF_ERR_CANCELLED, "hashing cancelled");
    }
    free(buf);
    if (rc) cf_sha256_drop(h);
    else if (!cf_sha256_end(h, hex)) rc = cf_error_set(err, CF_ERR_INTERNAL, "sha256 failed");
    return rc;
}

cf_err cf_content_hash_file(const char *path, const char *memo_dir, cf_progress *progress,
                            char hex[CF_SHA256_HEX], cf_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char real[PATH_MAX];
    if (fd < 0 || fstat(fd, &st) != 0 || !realpath(path, real)) {
        cf_err code = errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO;
        if (fd >= 0) close(fd);
        return cf_error_set(err, code, "%s: %s", path, strerror(errno));
    }
    char ident[PATH_MAX + 96];
    snprintf(ident, sizeof ident, "%s %lld %lld.%09ld", real, (long long)st.st_size,
             (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    char *memo = memo_dir ? memo_path(memo_dir, ident) : NULL;
    cf_err rc = CF_OK;
    if (!memo_get(memo, ident, hex)) {
        rc = hash_fd(fd, path, (int64_t)st.st_size, progress, hex, err);
        if (!rc) memo_put(memo, ident, hex);
    }
    free(memo);
    close(fd);
    return rc;
}

/* sync_log.h — records the fsync and rename calls of the code under test, in order, each with
 * the path it touched ("fsync /dir/file", "rename /dir/new-name"), so that a test can check the
 * order that makes a write survive a power cut: the data on the disk, then the name, then the
 * directory holding the name, before the caller is told.
 * It defines fsync, fdatasync, rename and renameat, which take the C library's place for the whole test
 * executable (and forward to it): include it in one file of a test program only. */
#ifndef CF_TESTS_SYNC_LOG_H
#define CF_TESTS_SYNC_LOG_H

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SYNC_LOG_MAX 128

static char sync_log[SYNC_LOG_MAX][PATH_MAX + 16];
static int sync_log_n;

static void sync_log_clear(void) {
    sync_log_n = 0;
}

/* The path of dirfd (AT_FDCWD: none) joined with name (NULL: none). */
static void sync_log_add(const char *what, int dirfd, const char *name) {
    if (sync_log_n >= SYNC_LOG_MAX) return;
    char dir[PATH_MAX] = "", link[64];
    if (dirfd != AT_FDCWD) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        ssize_t n = readlink(link, dir, sizeof dir - 1);
        dir[n > 0 ? n : 0] = '\0';
    }
    snprintf(sync_log[sync_log_n++], sizeof sync_log[0], "%s %s%s%s", what, dir, name && *dir ? "/" : "",
             name ? name : "");
}

/* The index of the first entry at or after from that is entry (or, with prefix, begins with
 * it); -1 when none, or when from is -1 (so that finds can be chained). */
static int sync_log_find(const char *entry, int from, bool prefix) {
    for (int i = from < 0 ? SYNC_LOG_MAX : from; i < sync_log_n; i++)
        if (prefix ? strncmp(sync_log[i], entry, strlen(entry)) == 0 : strcmp(sync_log[i], entry) == 0)
            return i;
    return -1;
}

static void sync_log_print(void) {
    for (int i = 0; i < sync_log_n; i++) fprintf(stderr, "  sync_log[%d] %s\n", i, sync_log[i]);
}

/* The C library's fn (POSIX's way of taking a function pointer from dlsym). */
#define SYNC_LOG_REAL(ptr, fn) (*(void **)&(ptr) = dlsym(RTLD_NEXT, fn))

int fsync(int fd) {
    int (*real)(int);
    SYNC_LOG_REAL(real, "fsync");
    sync_log_add("fsync", fd, NULL);
    return real(fd);
}

/* logged as an fsync: to the question "is it on the disk" they answer the same */
int fdatasync(int fd) {
    int (*real)(int);
    SYNC_LOG_REAL(real, "fdatasync");
    sync_log_add("fsync", fd, NULL);
    return real(fd);
}

int rename(const char *from, const char *to) {
    int (*real)(const char *, const char *);
    SYNC_LOG_REAL(real, "rename");
    sync_log_add("rename", AT_FDCWD, to);
    return real(from, to);
}

int renameat(int from_dir, const char *from, int to_dir, const char *to) {
    int (*real)(int, const char *, int, const char *);
    SYNC_LOG_REAL(real, "renameat");
    sync_log_add("rename", to_dir, to);
    return real(from_dir, from, to_dir, to);
}

#endif

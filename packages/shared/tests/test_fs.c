#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "clipforge/fs.h"
#include "sync_log.h"

static void test_temp_dir_tree_is_removed(void **state) {
    (void)state;
    char *dir = NULL;
    cf_error err;
    assert_int_equal(cf_make_temp_dir(NULL, "cftest-", &dir, &err), CF_OK);
    char *sub = cf_path_join(dir, "a/b/c");
    assert_int_equal(cf_mkdir_p(sub, &err), CF_OK);
    char *file = cf_path_join(sub, "f.txt");
    FILE *f = fopen(file, "w");
    fputs("hello", f);
    fclose(f);
    assert_int_equal(cf_file_size(file), 5);
    assert_int_equal(cf_remove_tree(dir, &err), CF_OK);
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0);
    assert_int_equal(cf_remove_tree(dir, &err), CF_OK); /* idempotent */
    free(file);
    free(sub);
    free(dir);
}

static void test_path_join_collapses_slashes(void **state) {
    (void)state;
    char *p = cf_path_join("/data/", "/media/x");
    assert_string_equal(p, "/data/media/x");
    free(p);
}

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A copy that fails half way (the source turns out to be unreadable) leaves the old destination
 * as it was and no temp file beside it; one that works replaces it whole, readable by others. */
static void test_copy_is_whole_or_nothing(void **state) {
    (void)state;
    char *dir = NULL;
    cf_error err;
    assert_int_equal(cf_make_temp_dir(NULL, "cftest-", &dir, &err), CF_OK);
    char *src = cf_path_join(dir, "src.txt"), *dst = cf_path_join(dir, "out/dst.txt"),
         *out = cf_path_join(dir, "out");
    assert_int_equal(cf_mkdir_p(out, &err), CF_OK);
    put(src, "new contents");
    put(dst, "old");
    assert_int_equal(cf_copy_file(out, dst, &err), CF_ERR_IO); /* a directory: read fails */
    assert_non_null(strstr(err.msg, "cannot copy"));
    assert_int_equal(cf_file_size(dst), 3);
    assert_int_equal(entries(out), 1);
    assert_int_equal(cf_copy_file(src, dst, &err), CF_OK);
    assert_int_equal(cf_file_size(dst), 12);
    struct stat st;
    assert_int_equal(stat(dst, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(cf_copy_file("/nonexistent/x", dst, &err), CF_ERR_IO);
    assert_int_equal(entries(out), 1);
    assert_int_equal(cf_move_file(src, dst, &err), CF_OK);
    assert_int_equal(cf_file_size(src), -1);
    assert_int_equal(cf_file_size(dst), 12);
    assert_int_equal(cf_move_file(src, dst, &err), CF_ERR_IO);
    assert_int_equal(cf_write_file(dst, "written", 7, &err), CF_OK);
    assert_int_equal(cf_file_size(dst), 7);
    char *missing = cf_path_join(dir, "no/such/dir/f.txt");
    assert_int_equal(cf_write_file(missing, "x", 1, &err), CF_ERR_IO);
    assert_non_null(strstr(err.msg, "cannot write"));
    free(missing);
    assert_int_equal(entries(out), 1);
    assert_int_equal(cf_remove_tree(dir, &err), CF_OK);
    free(src), free(dst), free(out), free(dir);
}

/* Asserts that what the last call logged made to durable: its data fsynced (data_prefix), then
 * the rename to to, then to's directory fsynced, in that order. */
static void assert_durable(const char *data_prefix, const char *to, const char *dir) {
    char data[PATH_MAX + 16], name[PATH_MAX + 16], parent[PATH_MAX + 16];
    snprintf(data, sizeof data, "fsync %s", data_prefix);
    snprintf(name, sizeof name, "rename %s", to);
    snprintf(parent, sizeof parent, "fsync %s", dir);
    int i = sync_log_find(data, 0, true), j = sync_log_find(name, i + 1, false),
        k = sync_log_find(parent, j < 0 ? -1 : j + 1, false);
    if (i < 0 || j < 0 || k < 0) sync_log_print();
    assert_true(i >= 0 && j > i && k > j);
}

/* A file written, copied or moved is on the disk, its name too, before the call returns: after
 * a power cut it is there whole, not an empty file under the new name. */
static void test_writes_reach_the_disk_before_their_names(void **state) {
    (void)state;
    char *tmpdir = NULL, dir[PATH_MAX];
    cf_error err;
    assert_int_equal(cf_make_temp_dir(NULL, "cftest-", &tmpdir, &err), CF_OK);
    assert_non_null(realpath(tmpdir, dir)); /* the log names descriptors by their real paths */
    char *src = cf_path_join(dir, "src.txt"), *dst = cf_path_join(dir, "dst.txt"), part[PATH_MAX];
    snprintf(part, sizeof part, "%s.part", dst);
    sync_log_clear();
    assert_int_equal(cf_write_file(dst, "written", 7, &err), CF_OK);
    assert_durable(part, dst, dir);
    put(src, "new contents");
    sync_log_clear();
    assert_int_equal(cf_copy_file(src, dst, &err), CF_OK);
    assert_durable(part, dst, dir);
    sync_log_clear();
    assert_int_equal(cf_move_file(src, dst, &err), CF_OK);
    assert_durable(src, dst, dir);
    assert_int_equal(cf_file_size(dst), 12);
    /* directories made: each one's parent fsynced after it, outermost first */
    char *deep = cf_path_join(dir, "a/b"), *a = cf_path_join(dir, "a"), top[PATH_MAX + 16],
         mid[PATH_MAX + 16];
    snprintf(top, sizeof top, "fsync %s", dir);
    snprintf(mid, sizeof mid, "fsync %s", a);
    sync_log_clear();
    assert_int_equal(cf_mkdir_p(deep, &err), CF_OK);
    int i = sync_log_find(top, 0, false), j = sync_log_find(mid, i < 0 ? -1 : i + 1, false);
    if (i < 0 || j < 0) sync_log_print();
    assert_true(i >= 0 && j > i);
    assert_int_equal(cf_remove_tree(dir, &err), CF_OK);
    free(deep), free(a), free(src), free(dst), free(tmpdir);
}

static int owner_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strncmp(e->d_name, ".cf-owner-", 10) == 0;
    closedir(d);
    return n;
}

/* A child that makes a temp dir in parent, writes its path to the pipe out, then ends: at once,
 * as a killed process does (no cleanup, no atexit), or, given the pipe hold, once a byte arrives
 * there or the test ends. */
static pid_t child_with_temp_dir(const char *parent, const int out[2], const int *hold) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    close(out[0]);
    if (hold) close(hold[1]);
    char *dir = NULL;
    cf_error err;
    setenv("TMPDIR", parent, 1);
    if (cf_make_temp_dir(NULL, "cftest-", &dir, &err) != CF_OK) _exit(1);
    char path[4096];
    snprintf(path, sizeof path, "%s\n", dir);
    if (write(out[1], path, strlen(path)) < 0) _exit(1);
    char c;
    if (hold && read(hold[0], &c, 1) < 0) _exit(1);
    _exit(0);
}

static void read_line(int fd, char *buf, size_t n) {
    size_t k = 0;
    while (k + 1 < n && read(fd, buf + k, 1) == 1 && buf[k] != '\n') k++;
    buf[k] = '\0';
}

/* The temp dirs of a process that died are removed by the next process making one there; those
 * of a live one are kept. A parent the caller names is left alone. */
static void test_dead_processes_temp_dirs_are_removed(void **state) {
    (void)state;
    char parent[] = "/tmp/cftest-parent-XXXXXX";
    assert_non_null(mkdtemp(parent));
    int out[2], hold[2], status;
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(hold), 0);
    char dead[4096], live[4096];
    pid_t l = child_with_temp_dir(parent, out, hold);
    read_line(out[0], live, sizeof live);
    close(hold[0]);
    pid_t d = child_with_temp_dir(parent, out, NULL); /* its sweep finds the live one's owner locked */
    read_line(out[0], dead, sizeof dead);
    assert_int_equal(waitpid(d, &status, 0), d);
    struct stat st;
    assert_int_equal(stat(live, &st), 0);
    assert_int_equal(stat(dead, &st), 0); /* nothing removed it yet */
    assert_int_equal(entries(parent), 2);
    assert_int_equal(owner_files(parent), 2);

    char *mine = NULL;
    cf_error err;
    setenv("TMPDIR", parent, 1);
    assert_int_equal(cf_make_temp_dir(NULL, "cftest-", &mine, &err), CF_OK);
    unsetenv("TMPDIR");
    assert_int_not_equal(stat(dead, &st), 0);
    assert_int_equal(stat(live, &st), 0);
    assert_int_equal(entries(parent), 2); /* the live child's dir, and this one */
    assert_int_equal(owner_files(parent), 2);
    assert_int_equal(write(hold[1], "x", 1), 1);
    assert_int_equal(waitpid(l, &status, 0), l);
    assert_int_equal(cf_remove_tree(mine, &err), CF_OK);
    assert_int_equal(cf_remove_tree(parent, &err), CF_OK);
    free(mine);
    close(out[0]), close(out[1]), close(hold[1]);
}

static void test_named_parent_is_not_swept(void **state) {
    (void)state;
    char parent[] = "/tmp/cftest-parent-XXXXXX";
    assert_non_null(mkdtemp(parent));
    char *dir = NULL;
    cf_error err;
    assert_int_equal(cf_make_temp_dir(parent, "cftest-", &dir, &err), CF_OK);
    assert_int_equal(strlen(dir), strlen(parent) + strlen("/cftest-") + 6); /* no owner's token */
    assert_int_equal(owner_files(parent), 0);
    assert_int_equal(cf_remove_tree(parent, &err), CF_OK);
    free(dir);
}

/* An owned temp dir in a named parent (the autoclip CLI's work dir in its output folder): one a
 * killed process left is removed by the next process making one there. */
static void test_owned_temp_dir_in_named_parent(void **state) {
    (void)state;
    char parent[] = "/tmp/cftest-parent-XXXXXX";
    assert_non_null(mkdtemp(parent));
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    if (pid == 0) {
        char *dir = NULL;
        cf_error err;
        if (cf_make_owned_temp_dir(parent, ".work-", &dir, &err) != CF_OK) _exit(1);
        if (write(out[1], dir, strlen(dir) + 1) < 0) _exit(1);
        _exit(0); /* killed: no cleanup */
    }
    char left[4096] = "";
    assert_true(read(out[0], left, sizeof left) > 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    struct stat st;
    assert_int_equal(stat(left, &st), 0);
    char *mine = NULL;
    cf_error err;
    assert_int_equal(cf_make_owned_temp_dir(parent, ".work-", &mine, &err), CF_OK);
    assert_int_not_equal(stat(left, &st), 0);
    assert_int_equal(stat(mine, &st), 0);
    assert_int_equal(cf_remove_tree(parent, &err), CF_OK);
    free(mine);
    close(out[0]), close(out[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_temp_dir_tree_is_removed),
        cmocka_unit_test(test_path_join_collapses_slashes),
        cmocka_unit_test(test_copy_is_whole_or_nothing),
        cmocka_unit_test(test_writes_reach_the_disk_before_their_names),
        cmocka_unit_test(test_dead_processes_temp_dirs_are_removed),
        cmocka_unit_test(test_named_parent_is_not_swept),
        cmocka_unit_test(test_owned_temp_dir_in_named_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

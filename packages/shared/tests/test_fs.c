#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "clipforge/fs.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_temp_dir_tree_is_removed),
        cmocka_unit_test(test_path_join_collapses_slashes),
        cmocka_unit_test(test_copy_is_whole_or_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_temp_dir_tree_is_removed),
        cmocka_unit_test(test_path_join_collapses_slashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

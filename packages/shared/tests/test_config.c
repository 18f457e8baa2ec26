#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "clipforge/config.h"

static void test_defaults_then_env_override(void **state) {
    (void)state;
    unsetenv("CLIPFORGE_CONFIG_FILE");
    setenv("CLIPFORGE_WORKERS", "3", 1);
    cf_config cfg;
    cf_error err;
    assert_int_equal(cf_config_load(&cfg, &err), CF_OK);
    assert_int_equal(cfg.workers, 3);
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    cf_config_free(&cfg);
    unsetenv("CLIPFORGE_WORKERS");
}

static void test_bad_integer_names_the_key(void **state) {
    (void)state;
    setenv("CLIPFORGE_WORKERS", "many", 1);
    cf_config cfg;
    cf_error err;
    assert_int_equal(cf_config_load(&cfg, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "CLIPFORGE_WORKERS"));
    setenv("CLIPFORGE_WORKERS", "100000", 1);
    assert_int_equal(cf_config_load(&cfg, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "out of range"));
    unsetenv("CLIPFORGE_WORKERS");
}

static void test_file_is_read_and_env_wins(void **state) {
    (void)state;
    char path[] = "/tmp/cfcfgXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\nCLIPFORGE_LISTEN = 0.0.0.0:9000\nCLIPFORGE_WORKERS=2\n");
    fclose(f);
    setenv("CLIPFORGE_CONFIG_FILE", path, 1);
    setenv("CLIPFORGE_WORKERS", "5", 1);
    cf_config cfg;
    cf_error err;
    assert_int_equal(cf_config_load(&cfg, &err), CF_OK);
    assert_string_equal(cfg.listen, "0.0.0.0:9000");
    assert_int_equal(cfg.workers, 5);
    cf_config_free(&cfg);
    unsetenv("CLIPFORGE_CONFIG_FILE");
    unsetenv("CLIPFORGE_WORKERS");
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_then_env_override),
        cmocka_unit_test(test_bad_integer_names_the_key),
        cmocka_unit_test(test_file_is_read_and_env_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

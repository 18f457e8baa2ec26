#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/config.h"
#include "clipforge/paths.h"

static void test_state_dir_prefers_service_manager_then_xdg_then_home(void **state) {
    (void)state;
    setenv("STATE_DIRECTORY", "/var/lib/clipforge:/var/lib/other", 1);
    setenv("XDG_STATE_HOME", "/x/state", 1);
    setenv("HOME", "/home/u", 1);
    char *d = cf_default_state_dir();
    assert_string_equal(d, "/var/lib/clipforge");
    free(d);
    unsetenv("STATE_DIRECTORY");
    d = cf_default_state_dir();
    assert_string_equal(d, "/x/state/clipforge");
    free(d);
    setenv("XDG_STATE_HOME", "relative", 1); /* the spec says: ignore a relative path */
    d = cf_default_state_dir();
    assert_string_equal(d, "/home/u/.local/state/clipforge");
    free(d);
    unsetenv("XDG_STATE_HOME");
    unsetenv("HOME");
    assert_null(cf_default_state_dir());
}

static void test_config_data_dir_never_defaults_to_cwd(void **state) {
    (void)state;
    unsetenv("CLIPFORGE_CONFIG_FILE");
    unsetenv("CLIPFORGE_DATA_DIR");
    unsetenv("STATE_DIRECTORY");
    setenv("XDG_STATE_HOME", "/x/state", 1);
    cf_config cfg;
    cf_error err;
    assert_int_equal(cf_config_load(&cfg, &err), CF_OK);
    assert_string_equal(cfg.data_dir, "/x/state/clipforge");
    cf_config_free(&cfg);
    setenv("CLIPFORGE_DATA_DIR", "/srv/cf", 1);
    assert_int_equal(cf_config_load(&cfg, &err), CF_OK);
    assert_string_equal(cfg.data_dir, "/srv/cf");
    cf_config_free(&cfg);
    unsetenv("CLIPFORGE_DATA_DIR");
    unsetenv("XDG_STATE_HOME");
    unsetenv("HOME");
    assert_int_equal(cf_config_load(&cfg, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "CLIPFORGE_DATA_DIR"));
}

/* ctest sets CLIPFORGE_SHARE_DIR to the build tree's staged data; every sub is under it. */
static void test_share_paths_are_under_the_share_dir(void **state) {
    (void)state;
    const char *root = cf_share_dir();
    assert_non_null(root);
    const char *env = getenv("CLIPFORGE_SHARE_DIR");
    if (env) assert_string_equal(root, env);
    const char *t = cf_share_path("templates");
    assert_int_equal(strncmp(t, root, strlen(root)), 0);
    assert_string_equal(t + strlen(root), "/templates");
    assert_ptr_equal(cf_share_path("templates"), t); /* resolved once */
    char file[4096];
    snprintf(file, sizeof file, "%s/shorts-blur.json", t);
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    fclose(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_dir_prefers_service_manager_then_xdg_then_home),
        cmocka_unit_test(test_config_data_dir_never_defaults_to_cwd),
        cmocka_unit_test(test_share_paths_are_under_the_share_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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

/* Every CLIPFORGE_* key the code reads is a row of the table, so --help names it. */
static void test_help_lists_every_key_the_code_reads(void **state) {
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cf_config_print_help(f);
    fclose(f);
    const char *keys[] = {"CLIPFORGE_CONFIG_FILE",
                          "CLIPFORGE_TEMPLATE_DIR",
                          "CLIPFORGE_HIGHLIGHT_PROFILES_DIR",
                          "CLIPFORGE_HIGHLIGHT_MODELS_DIR",
                          "CLIPFORGE_HIGHLIGHT_MODEL_VERSION",
                          "CLIPFORGE_AUDIO_EVENTS_MODEL_VERSION",
                          "CLIPFORGE_POCKETSPHINX_ARGS",
                          "CLIPFORGE_POCKETSPHINX_CONFIDENCE",
                          "CLIPFORGE_POCKETSPHINX_FOLD_DB",
                          "CLIPFORGE_POCKETSPHINX_MLLR",
                          "CLIPFORGE_SPHINXTRAIN_DIR",
                          "CLIPFORGE_S3_ACCESS_KEY",
                          "CLIPFORGE_S3_SECRET_KEY",
                          "CLIPFORGE_FLAGS"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "  %s ", keys[i]);
        if (!strstr(text, line)) fail_msg("--help does not list %s", keys[i]);
    }
    /* The test hooks exist in test builds only, and --help says so. */
#ifdef CF_TEST_HOOKS
    assert_non_null(strstr(text, "  CLIPFORGE_TEST_FAIL_JOBS "));
    assert_non_null(strstr(text, "  CLIPFORGE_AUTOCLIP_FAIL_RENDERS "));
#else
    assert_null(strstr(text, "CLIPFORGE_TEST_FAIL_JOBS"));
    assert_null(strstr(text, "CLIPFORGE_AUTOCLIP_FAIL_RENDERS"));
#endif
    free(text);
}

static void test_file_sets_pipeline_keys(void **state) {
    (void)state;
    char path[] = "/tmp/cfcfgXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "CLIPFORGE_POCKETSPHINX_ARGS=-beam 1e-40\nCLIPFORGE_POCKETSPHINX_FOLD_DB=off\n"
               "CLIPFORGE_HIGHLIGHT_MODEL_VERSION=v7\nCLIPFORGE_S3_ACCESS_KEY=AK\n");
    fclose(f);
    setenv("CLIPFORGE_CONFIG_FILE", path, 1);
    cf_config cfg;
    cf_error err;
    assert_int_equal(cf_config_load(&cfg, &err), CF_OK);
    assert_string_equal(cfg.pocketsphinx_args, "-beam 1e-40");
    assert_string_equal(cfg.pocketsphinx_fold_db, "off");
    assert_string_equal(cfg.pocketsphinx_confidence, "calibrated");
    assert_string_equal(cfg.highlight_model_version, "v7");
    assert_string_equal(cfg.audio_events_model_version, "");
    assert_string_equal(cfg.s3_access_key, "AK");
    cf_config_free(&cfg);
    unsetenv("CLIPFORGE_CONFIG_FILE");
    unlink(path);
}

static void test_keep_copies_and_empty_is_null(void **state) {
    (void)state;
    char *slot = NULL;
    cf_error err;
    char value[] = "dir";
    assert_int_equal(cf_config_keep(&slot, value, &err), CF_OK);
    value[0] = 'x';
    assert_string_equal(slot, "dir");
    assert_int_equal(cf_config_keep(&slot, "", &err), CF_OK);
    assert_null(slot);
    assert_int_equal(cf_config_keep(&slot, "a", &err), CF_OK);
    assert_int_equal(cf_config_keep(&slot, NULL, &err), CF_OK);
    assert_null(slot);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_then_env_override),
        cmocka_unit_test(test_bad_integer_names_the_key),
        cmocka_unit_test(test_file_is_read_and_env_wins),
        cmocka_unit_test(test_help_lists_every_key_the_code_reads),
        cmocka_unit_test(test_file_sets_pipeline_keys),
        cmocka_unit_test(test_keep_copies_and_empty_is_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

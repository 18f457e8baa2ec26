#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/error.h"

static void test_names_and_messages_are_distinct(void **state) {
    (void)state;
    assert_string_equal(cf_err_name(CF_ERR_INVALID_ARGUMENT), "INVALID_ARGUMENT");
    assert_string_equal(cf_strerror(CF_OK), "success");
    assert_string_equal(cf_strerror((cf_err)-999), "unknown error");
    for (int a = 0; a > CF_ERR_LAST_; a--)
        for (int b = a - 1; b > CF_ERR_LAST_; b--)
            assert_string_not_equal(cf_err_name((cf_err)a), cf_err_name((cf_err)b));
}

static void test_exit_codes_split_input_from_processing(void **state) {
    (void)state;
    assert_int_equal(cf_err_exit_code(CF_OK), 0);
    assert_int_equal(cf_err_exit_code(CF_ERR_INVALID_MEDIA), 2);
    assert_int_equal(cf_err_exit_code(CF_ERR_PROCESSING), 1);
    /* a full disk is the machine's, not the user's input */
    assert_int_equal(cf_err_exit_code(CF_ERR_NO_SPACE), 1);
}

static void test_a_full_disk_is_told_from_other_write_errors(void **state) {
    (void)state;
    assert_int_equal(cf_err_of_write(ENOSPC), CF_ERR_NO_SPACE);
    assert_int_equal(cf_err_of_write(EDQUOT), CF_ERR_NO_SPACE);
    assert_int_equal(cf_err_of_write(EIO), CF_ERR_IO);
    assert_int_equal(cf_err_of_write(EACCES), CF_ERR_IO);
    assert_string_equal(cf_err_name(CF_ERR_NO_SPACE), "NO_SPACE");
}

static void test_prefix_keeps_code_and_adds_context(void **state) {
    (void)state;
    cf_error e;
    cf_error_clear(&e);
    assert_int_equal(cf_error_set(&e, CF_ERR_NOT_FOUND, "no such file %s", "a.mp4"), CF_ERR_NOT_FOUND);
    cf_error_prefix(&e, "probe");
    assert_string_equal(e.msg, "probe: no such file a.mp4");
    assert_int_equal(e.code, CF_ERR_NOT_FOUND);
    assert_int_equal(cf_error_set(NULL, CF_ERR_IO, "x"), CF_ERR_IO);
}

static void test_long_message_is_truncated_not_overflowed(void **state) {
    (void)state;
    cf_error e;
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cf_error_set(&e, CF_ERR_IO, "%s", big);
    cf_error_prefix(&e, "%s", big);
    assert_int_equal(strlen(e.msg), CF_ERROR_MSG_MAX - 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_messages_are_distinct),
        cmocka_unit_test(test_exit_codes_split_input_from_processing),
        cmocka_unit_test(test_a_full_disk_is_told_from_other_write_errors),
        cmocka_unit_test(test_prefix_keeps_code_and_adds_context),
        cmocka_unit_test(test_long_message_is_truncated_not_overflowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

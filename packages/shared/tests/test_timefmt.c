#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clipforge/timefmt.h"

static void test_seconds_and_clock_forms(void **state) {
    (void)state;
    int64_t ms;
    cf_error err;
    assert_int_equal(cf_parse_time_ms("12.5", &ms, &err), CF_OK);
    assert_int_equal(ms, 12500);
    assert_int_equal(cf_parse_time_ms("01:02.250", &ms, &err), CF_OK);
    assert_int_equal(ms, 62250);
    assert_int_equal(cf_parse_time_ms("1:00:00", &ms, &err), CF_OK);
    assert_int_equal(ms, 3600000);
}

static void test_garbage_is_refused(void **state) {
    (void)state;
    int64_t ms;
    cf_error err;
    const char *bad[] = {"", "-1", "abc", "1:75", "1:2:3:4", "1e3", "1.5:00", "nan"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cf_parse_time_ms(bad[i], &ms, &err), CF_ERR_INVALID_ARGUMENT);
}

static void test_ranges(void **state) {
    (void)state;
    int64_t a, b;
    cf_error err;
    assert_int_equal(cf_parse_range_ms("5:15.5", &a, &b, &err), CF_OK);
    assert_int_equal(a, 5000);
    assert_int_equal(b, 15500);
    assert_int_equal(cf_parse_range_ms("01:05:01:20", &a, &b, &err), CF_OK);
    assert_int_equal(a, 65000);
    assert_int_equal(b, 80000);
    assert_int_equal(cf_parse_range_ms("00:10-1:00:25", &a, &b, &err), CF_OK);
    assert_int_equal(b, 3625000);
    assert_int_equal(cf_parse_range_ms("1:2:3", &a, &b, &err), CF_ERR_INVALID_ARGUMENT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seconds_and_clock_forms),
        cmocka_unit_test(test_garbage_is_refused),
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

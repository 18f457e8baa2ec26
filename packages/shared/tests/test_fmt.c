/* cf_fmt: true and the whole text when it fits, false and an empty buffer when it does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clipforge/fmt.h"

static void test_fits(void **state) {
    (void)state;
    char b[8];
    assert_true(cf_fmt(b, sizeof b, "%s-%d", "ab", 1234)); /* 7 bytes and the terminator */
    assert_string_equal(b, "ab-1234");
}

static void test_cut_is_refused_not_kept(void **state) {
    (void)state;
    char b[8];
    assert_false(cf_fmt(b, sizeof b, "%s-%d", "ab", 12345));
    assert_string_equal(b, "");
}

static void test_no_room(void **state) {
    (void)state;
    char b[1] = {'x'};
    assert_false(cf_fmt(b, 0, "a"));
    assert_int_equal(b[0], 'x'); /* nothing written to a zero-size buffer */
    assert_false(cf_fmt(NULL, 4, "a"));
    assert_true(cf_fmt(b, 1, "%s", ""));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits),
        cmocka_unit_test(test_cut_is_refused_not_kept),
        cmocka_unit_test(test_no_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clipforge/uri.h"

static void test_rest_needs_the_whole_scheme(void **state) {
    (void)state;
    assert_string_equal(cf_uri_rest("media://abc", "media"), "abc");
    assert_string_equal(cf_uri_rest("storage://jobs/1/a.mp4", "storage"), "jobs/1/a.mp4");
    assert_null(cf_uri_rest("mediax://abc", "media"));
    assert_null(cf_uri_rest("media:/abc", "media"));
    assert_null(cf_uri_rest("media", "media"));
    assert_null(cf_uri_rest("storage://x", "media"));
    assert_null(cf_uri_rest(NULL, "media"));
}

static void test_local_paths_and_http(void **state) {
    (void)state;
    assert_string_equal(cf_uri_local_path("file:///tmp/a.mp4"), "/tmp/a.mp4");
    assert_string_equal(cf_uri_local_path("/tmp/a.mp4"), "/tmp/a.mp4");
    assert_string_equal(cf_uri_local_path("media://x"), "media://x");
    assert_null(cf_uri_local_path(NULL));
    assert_true(cf_uri_is_http("http://h/x") && cf_uri_is_http("https://h/x"));
    assert_false(cf_uri_is_http("httpx://h") || cf_uri_is_http("ftp://h") || cf_uri_is_http(NULL));
}

/* The number of a URL part: whole, in range, no sign games, only the len bytes given. */
static void test_url_numbers(void **state) {
    (void)state;
    int64_t v = 0;
    assert_true(cf_uri_int("6379/0", 4, 1, 65535, &v));
    assert_int_equal(v, 6379);
    assert_true(cf_uri_int("0", 1, 0, 15, &v));
    assert_int_equal(v, 0);
    assert_false(cf_uri_int("0", 1, 1, 15, &v));
    assert_false(cf_uri_int("16", 2, 0, 15, &v));
    assert_false(cf_uri_int("12x", 3, 0, 100, &v));
    assert_false(cf_uri_int("", 0, 0, 100, &v));
    assert_false(cf_uri_int("1234567890123456789012345", 25, 0, INT64_MAX, &v));
    assert_false(cf_uri_int(NULL, 1, 0, 1, &v));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rest_needs_the_whole_scheme),
        cmocka_unit_test(test_local_paths_and_http),
        cmocka_unit_test(test_url_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

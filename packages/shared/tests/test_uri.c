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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rest_needs_the_whole_scheme),
        cmocka_unit_test(test_local_paths_and_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

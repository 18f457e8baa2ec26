/* test_source_fetch.c — which remote source URLs the allow-list lets through before any
 * network (host patterns, schemes, paths), and that a fetch never connects to a listed host
 * that resolves to loopback. The end-to-end fetch over TLS is tests/api/test_import.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "infrastructure/source_fetch.h"

static void test_host_patterns(void **state) {
    (void)state;
    const char *allow = "files.example.com, *.cdn.example.net,Media.Test";
    assert_true(cf_source_host_allowed(allow, "files.example.com"));
    assert_true(cf_source_host_allowed(allow, "FILES.example.com."));
    assert_true(cf_source_host_allowed(allow, "a.cdn.example.net"));
    assert_true(cf_source_host_allowed(allow, "a.b.cdn.example.net"));
    assert_true(cf_source_host_allowed(allow, "media.test"));
    assert_false(cf_source_host_allowed(allow, "cdn.example.net")); /* "*." is subdomains only */
    assert_false(cf_source_host_allowed(allow, "evilcdn.example.net"));
    assert_false(cf_source_host_allowed(allow, "files.example.com.evil.org"));
    assert_false(cf_source_host_allowed(allow, "xfiles.example.com"));
    assert_false(cf_source_host_allowed(allow, ""));
    assert_false(cf_source_host_allowed("", "files.example.com"));
    assert_false(cf_source_host_allowed(NULL, "files.example.com"));
    assert_true(cf_source_host_allowed("*", "anything.org"));
}

static void test_urls_checked_before_any_network(void **state) {
    (void)state;
    cf_error err;
    const char *allow = "files.example.com";
    assert_int_equal(cf_source_check(allow, "https://files.example.com/a/talk.mp4?x=1", &err), CF_OK);
    assert_int_equal(cf_source_check(allow, "HTTPS://files.example.com:8443/talk.mp4", &err), CF_OK);
    const char *invalid[] = {"file:///etc/passwd",
                             "/etc/passwd",
                             "talk.mp4",
                             "http://files.example.com/talk.mp4",
                             "ftp://files.example.com/talk.mp4",
                             "https://files.example.com/a/../talk.mp4",
                             "https://files.example.com/./talk.mp4",
                             "https://files.example.com/a/%2e%2E/b",
                             "https://files.example.com/a/..",
                             "https://user:pw@files.example.com/talk.mp4",
                             "https://files.example.com/a b",
                             "https://files.example.com\\@evil.org/"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        if (cf_source_check(allow, invalid[i], &err) != CF_ERR_INVALID_ARGUMENT)
            fail_msg("%s was not refused as invalid (%s)", invalid[i], err.msg);
    }
    assert_int_equal(cf_source_check(allow, "https://evil.org/talk.mp4", &err), CF_ERR_PERMISSION);
    assert_non_null(strstr(err.msg, "evil.org is not on the allow-list"));
    assert_int_equal(cf_source_check(allow, "https://files.example.com@evil.org/", &err),
                     CF_ERR_INVALID_ARGUMENT);
    /* libcurl reads "https:///talk.mp4" as the host talk.mp4: refused as any unlisted host */
    assert_int_equal(cf_source_check(allow, "https:///talk.mp4", &err), CF_ERR_PERMISSION);
    assert_int_equal(cf_source_check("", "https://files.example.com/talk.mp4", &err), CF_ERR_PERMISSION);
    assert_non_null(strstr(err.msg, "CLIPFORGE_SOURCE_ALLOW is empty"));
}

static cf_err sink_nothing(void *user, const void *buf, size_t len, cf_error *err) {
    (void)buf, (void)err;
    *(size_t *)user += len;
    return CF_OK;
}

static void test_a_listed_host_on_loopback_is_never_connected(void **state) {
    (void)state;
    cf_error err;
    size_t got = 0;
    int64_t bytes = -1;
    cf_source_policy p = {.allow = "localhost,127.0.0.1", .max_bytes = 1000, .timeout_ms = 5000};
    const char *urls[] = {"https://localhost:9/x.mp4", "https://127.0.0.1:9/x.mp4"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(cf_source_fetch(&p, urls[i], sink_nothing, &got, &bytes, &err), CF_ERR_PERMISSION);
        assert_non_null(strstr(err.msg, "is not a public address"));
    }
    /* a pin trusts its address for that host and port only */
    p.pins = "files.example.test:9:127.0.0.2";
    assert_int_equal(cf_source_fetch(&p, "https://127.0.0.2:9/x.mp4", sink_nothing, &got, &bytes, &err),
                     CF_ERR_PERMISSION);
    assert_int_equal(got, 0);
    assert_int_equal(bytes, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_patterns),
        cmocka_unit_test(test_urls_checked_before_any_network),
        cmocka_unit_test(test_a_listed_host_on_loopback_is_never_connected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

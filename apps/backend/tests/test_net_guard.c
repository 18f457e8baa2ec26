/* test_net_guard.c — which addresses a client-given URL may reach, and that a guarded transfer
 * to a name resolving to loopback is refused before any connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "infrastructure/net_guard.h"

static bool public_text(const char *text) {
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
    }
    return cf_addr_public((struct sockaddr *)&ss);
}

static void test_private_and_special_addresses_are_refused(void **state) {
    (void)state;
    const char *refused[] = {"127.0.0.1",
                             "127.255.0.9",
                             "0.0.0.0",
                             "10.1.2.3",
                             "172.16.0.1",
                             "172.31.255.255",
                             "192.168.1.1",
                             "169.254.169.254",
                             "100.64.0.1",
                             "224.0.0.1",
                             "255.255.255.255",
                             "198.18.0.1",
                             "::1",
                             "::",
                             "fe80::1",
                             "fd00::1",
                             "fc00::1",
                             "ff02::1",
                             "::ffff:127.0.0.1",
                             "::ffff:169.254.169.254",
                             "::ffff:10.0.0.1",
                             "64:ff9b::a00:1",
                             "2001:db8::1"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (public_text(refused[i])) fail_msg("%s was taken for public", refused[i]);
    }
}

static void test_public_addresses_pass(void **state) {
    (void)state;
    const char *ok[] = {"8.8.8.8",           "1.1.1.1",        "172.32.0.1",
                        "172.15.255.255",    "100.128.0.1",    "169.253.0.1",
                        "2a00:1450:4001::1", "::ffff:8.8.8.8", "64:ff9b::808:808"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (!public_text(ok[i])) fail_msg("%s was refused", ok[i]);
    }
}

static void test_a_guarded_transfer_to_loopback_never_connects(void **state) {
    (void)state;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    cf_net_guard g = {0};
    curl_easy_setopt(c, CURLOPT_URL, "http://localhost:9/");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    cf_curl_guard(c, false, &g);
    assert_int_not_equal(curl_easy_perform(c), CURLE_OK);
    assert_true(g.refused);
    curl_easy_cleanup(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_private_and_special_addresses_are_refused),
        cmocka_unit_test(test_public_addresses_pass),
        cmocka_unit_test(test_a_guarded_transfer_to_loopback_never_connects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

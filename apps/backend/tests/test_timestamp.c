/* test_timestamp.c — cf_format_timestamp (RFC 3339 UTC with milliseconds, computed by
 * arithmetic) against gmtime_r and strftime: every day from 1970 to 2400 at a changing time of
 * day, leap days and century years, pseudo-random instants up to 9999, a buffer too small. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "application/job_service.h"

static void by_gmtime(int64_t ms, char *out, size_t cap) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%03dZ", base, (int)(ms % 1000));
}

static void same_as_gmtime(int64_t ms) {
    char got[40], want[40];
    cf_format_timestamp(ms, got, sizeof got);
    by_gmtime(ms, want, sizeof want);
    if (strcmp(got, want)) fail_msg("%lld: got %s, want %s", (long long)ms, got, want);
}

static void test_every_day_to_2400(void **state) {
    (void)state;
    for (int64_t day = 0; day < 157000; day++) same_as_gmtime(day * 86400000 + (day * 7919 % 86400000));
}

static void test_edges_and_random_instants(void **state) {
    (void)state;
    const int64_t edges[] = {0,
                             999,
                             1000,
                             86399999,
                             86400000,
                             951782400000 /* 2000-02-29 */,
                             4107542400000 /* 2100-03-01 */,
                             1796285034227,
                             253402300799999};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) same_as_gmtime(edges[i]);
    uint64_t x = 88172645463325252u; /* xorshift64 */
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        same_as_gmtime((int64_t)(x % 253402300800000u));
    }
}

static void test_a_small_buffer_is_cut_and_terminated(void **state) {
    (void)state;
    char small[11];
    cf_format_timestamp(951782400123, small, sizeof small);
    assert_string_equal(small, "2000-02-29");
    char exact[25];
    cf_format_timestamp(951782400123, exact, sizeof exact);
    assert_string_equal(exact, "2000-02-29T00:00:00.123Z");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_day_to_2400),
        cmocka_unit_test(test_edges_and_random_instants),
        cmocka_unit_test(test_a_small_buffer_is_cut_and_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

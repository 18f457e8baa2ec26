/* test_rate_limit.c — token buckets: N per period with a burst of N, refilled over time, one
 * bucket per name, a flood of names that cannot grow memory, and the spec's parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "application/rate_limit.h"

static cf_rate_limit *limiter(const char *spec) {
    cf_rate_limit *rl = NULL;
    cf_error err;
    assert_int_equal(cf_rate_limit_new(spec, &rl, &err), CF_OK);
    return rl;
}

static void test_a_burst_of_n_then_one_per_interval(void **state) {
    (void)state;
    cf_rate_limit *rl = limiter("4/s");
    int64_t wait = 0;
    for (int i = 0; i < 4; i++) assert_true(cf_rate_limit_take(rl, "k", 1000, &wait));
    assert_false(cf_rate_limit_take(rl, "k", 1000, &wait));
    assert_int_equal(wait, 1);
    assert_false(cf_rate_limit_take(rl, "k", 1200, &wait)); /* 0.8 of a token back */
    assert_true(cf_rate_limit_take(rl, "k", 1260, &wait));  /* 1.04 */
    assert_true(cf_rate_limit_take(rl, "other", 1260, &wait));
    assert_true(cf_rate_limit_take(rl, "k", 60000, &wait)); /* full again, not more than full */
    for (int i = 0; i < 3; i++) assert_true(cf_rate_limit_take(rl, "k", 60000, &wait));
    assert_false(cf_rate_limit_take(rl, "k", 60000, &wait));
    cf_rate_limit_free(rl);
}

static void test_per_minute_says_when_to_come_back(void **state) {
    (void)state;
    cf_rate_limit *rl = limiter("6/m");
    int64_t wait = 0;
    for (int i = 0; i < 6; i++) assert_true(cf_rate_limit_take(rl, "a", 0, &wait));
    assert_false(cf_rate_limit_take(rl, "a", 0, &wait));
    assert_int_equal(wait, 11); /* a token every 10 s, rounded up */
    cf_rate_limit_free(rl);
}

static void test_a_flood_of_names_evicts_and_keeps_working(void **state) {
    (void)state;
    cf_rate_limit *rl = limiter("1/s");
    int64_t wait = 0;
    char name[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(name, sizeof name, "a:10.0.%d.%d", i / 256, i % 256);
        assert_true(cf_rate_limit_take(rl, name, 5000, &wait)); /* each new name has its token */
    }
    assert_false(cf_rate_limit_take(rl, name, 5000, &wait)); /* the last one is still known */
    cf_rate_limit_free(rl);
}

static void test_specs(void **state) {
    (void)state;
    cf_rate_limit *rl = (cf_rate_limit *)1;
    cf_error err;
    assert_int_equal(cf_rate_limit_new("", &rl, &err), CF_OK);
    assert_null(rl);
    int64_t wait = 0;
    assert_true(cf_rate_limit_take(NULL, "k", 0, &wait));
    const char *bad[] = {"5", "0/s", "-1/s", "5/h", "x/s", "5/s ", "2000000/s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cf_rate_limit_new(bad[i], &rl, &err), CF_ERR_INVALID_ARGUMENT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_burst_of_n_then_one_per_interval),
        cmocka_unit_test(test_per_minute_says_when_to_come_back),
        cmocka_unit_test(test_a_flood_of_names_evicts_and_keeps_working),
        cmocka_unit_test(test_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

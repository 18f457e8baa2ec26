/* test_circuit_breaker.c — the remote engine's circuit breaker: it opens after the threshold of
 * consecutive failures (a success in between resets the count), refuses while open, lets exactly
 * one trial through once the cooldown is over, closes on the trial's success and opens for
 * another cooldown on its failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "infrastructure/circuit_breaker.h"

static void test_opens_after_consecutive_failures(void **state) {
    (void)state;
    cf_breaker b;
    cf_breaker_init(&b, 3, 1000);
    bool trial;
    cf_breaker_failure(&b, 0, false);
    cf_breaker_failure(&b, 0, false);
    cf_breaker_success(&b, false); /* not consecutive any more */
    cf_breaker_failure(&b, 0, false);
    cf_breaker_failure(&b, 0, false);
    assert_true(cf_breaker_allow(&b, 10, &trial) && !trial);
    assert_int_equal(cf_breaker_state_at(&b, 10), CF_BREAKER_CLOSED);
    cf_breaker_failure(&b, 100, false);
    assert_int_equal(cf_breaker_state_at(&b, 100), CF_BREAKER_OPEN);
    assert_false(cf_breaker_allow(&b, 1099, &trial));
    assert_int_equal(b.opened_total, 1);
    cf_breaker_destroy(&b);
}

static void test_half_open_lets_one_trial_through(void **state) {
    (void)state;
    cf_breaker b;
    cf_breaker_init(&b, 1, 1000);
    bool trial = false, other = false;
    cf_breaker_failure(&b, 0, false);
    assert_int_equal(cf_breaker_state_at(&b, 1000), CF_BREAKER_HALF_OPEN);
    assert_true(cf_breaker_allow(&b, 1000, &trial) && trial);
    assert_false(cf_breaker_allow(&b, 1001, &other)); /* one trial at a time */
    cf_breaker_failure(&b, 1500, true);               /* the trial failed: open again */
    assert_int_equal(cf_breaker_state_at(&b, 2000), CF_BREAKER_OPEN);
    assert_false(cf_breaker_allow(&b, 2499, &trial));
    assert_true(cf_breaker_allow(&b, 2500, &trial) && trial);
    cf_breaker_success(&b, true);
    assert_int_equal(cf_breaker_state_at(&b, 2500), CF_BREAKER_CLOSED);
    assert_true(cf_breaker_allow(&b, 2501, &trial) && !trial);
    cf_breaker_destroy(&b);
}

static void test_a_late_success_does_not_close_an_open_breaker(void **state) {
    (void)state;
    cf_breaker b;
    cf_breaker_init(&b, 1, 1000);
    cf_breaker_failure(&b, 0, false);
    cf_breaker_success(&b, false); /* a request let through before it opened */
    assert_int_equal(cf_breaker_state_at(&b, 10), CF_BREAKER_OPEN);
    cf_breaker_destroy(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opens_after_consecutive_failures),
        cmocka_unit_test(test_half_open_lets_one_trial_through),
        cmocka_unit_test(test_a_late_success_does_not_close_an_open_breaker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

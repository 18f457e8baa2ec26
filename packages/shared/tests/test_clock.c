#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>

#include "clipforge/clock.h"

static void test_units_agree_and_time_moves_on(void **state) {
    (void)state;
    int64_t ns = cf_clock_ns(), ms = cf_clock_ms();
    double s = cf_clock_s();
    /* read one after the other: within a second of each other, never backwards */
    assert_true(ms >= ns / 1000000 && ms - ns / 1000000 < 1000);
    assert_true(s >= (double)ms / 1000 - 0.001 && s - (double)ms / 1000 < 1.0);
    struct timespec nap = {0, 20 * 1000000};
    nanosleep(&nap, NULL);
    assert_true(cf_clock_ms() - ms >= 20);
}

/* A deadline 30 ms ahead makes a timed wait on a monotonic condition variable last about that. */
static void test_deadline_times_a_condition_wait(void **state) {
    (void)state;
    pthread_condattr_t attr;
    pthread_cond_t cond;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&cond, &attr);
    int64_t t0 = cf_clock_ms();
    struct timespec at = cf_clock_deadline(30);
    assert_true(at.tv_nsec >= 0 && at.tv_nsec < 1000000000);
    pthread_mutex_lock(&lock);
    while (pthread_cond_timedwait(&cond, &lock, &at) == 0) {
    }
    pthread_mutex_unlock(&lock);
    int64_t waited = cf_clock_ms() - t0;
    assert_true(waited >= 29 && waited < 5000);
    pthread_cond_destroy(&cond);
    pthread_condattr_destroy(&attr);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units_agree_and_time_moves_on),
        cmocka_unit_test(test_deadline_times_a_condition_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

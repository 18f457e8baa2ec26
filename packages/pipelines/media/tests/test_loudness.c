/* Unit tests of the loudness search (clips and renders normalize with it), against model sounds
 * (a limiter that takes loudness, an encoder that puts peak back) and trial figures given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "clipforge/media.h"

/* A model sound of loudness lufs0 and true peak peak0 through gain and limiter, then an encoder
 * that puts overshoot dB of peak back when the limiter acts. h is the loudness driven d dB into a
 * limiter at 0 dBTP: the gain's own up to the peaks, then rising at a third of the rate. */
typedef struct model {
    double lufs0, peak0, overshoot;
} model;

static double h_of(const model *m, double drive) {
    double knee = -m->peak0; /* the drive at which the peaks reach the limiter */
    return drive <= knee ? m->lufs0 + drive : m->lufs0 + knee + 0.35 * (drive - knee);
}

static void shipped(const model *m, const cf_loudness_setting *set, double *lufs, double *peak) {
    double drive = set->gain_db - (set->limit ? set->limit_db : 0);
    if (!set->limit || m->peak0 + set->gain_db <= set->limit_db) {
        *lufs = m->lufs0 + set->gain_db, *peak = m->peak0 + set->gain_db;
        return;
    }
    *lufs = set->limit_db + h_of(m, drive);
    *peak = set->limit_db + m->overshoot;
}

/* Runs a search to its end; the number of trials made. */
static int search(const model *m, int max_trials, cf_loudness_search *s) {
    if (!cf_loudness_search_start(s, -14.0, -1.0, m->lufs0, m->peak0, max_trials)) return 0;
    int n = 0;
    for (bool more = true; more; n++) {
        double lufs, peak;
        shipped(m, &s->next, &lufs, &peak);
        more = cf_loudness_search_record(s, lufs, peak);
    }
    return n;
}

/* Far from the ceiling, one gain is exact: no trial. */
static void test_a_sound_far_from_the_ceiling_takes_no_trial(void **state) {
    (void)state;
    cf_loudness_search s;
    model quiet = {.lufs0 = -30.0, .peak0 = -20.0};
    assert_int_equal(search(&quiet, 4, &s), 0);
    assert_false(s.next.limit);
    assert_true(fabs(s.next.gain_db - 16.0) < 1e-9);
}

/* A peaky sound: the limiter takes loudness away, the encoder puts 0.6 dB of peak back. The
 * search ends within the tolerances, its peak under the ceiling. */
static void test_the_limiter_and_the_encoder_are_corrected_for(void **state) {
    (void)state;
    cf_loudness_search s;
    model peaky = {.lufs0 = -20.0, .peak0 = -6.0, .overshoot = 0.6};
    int n = search(&peaky, 4, &s);
    assert_true(n >= 2 && n <= 4);
    assert_true(s.next.limit);
    assert_true(s.best_peak <= -1.0 + 0.05);
    assert_true(fabs(s.best_lufs + 14.0) <= CF_LOUDNESS_TOLERANCE_LU);
    double lufs, peak; /* next is the setting of the best trial */
    shipped(&peaky, &s.next, &lufs, &peak);
    assert_true(fabs(lufs - s.best_lufs) < 1e-9 && fabs(peak - s.best_peak) < 1e-9);
}

/* Once trials lie either side of the target, the next one lies between the nearest of them: the
 * loudness rises unevenly with the drive (the gate lets quiet blocks in, the encoder moves it by
 * 0.1-0.3 LU), and the secant through the last two, both over the target here, would go back to
 * the first trial's gain. */
static void test_trials_either_side_bound_the_next(void **state) {
    (void)state;
    cf_loudness_search s;
    assert_true(cf_loudness_search_start(&s, -14.0, -1.0, -25.0, -7.0, 6));
    assert_true(fabs(s.next.gain_db - 11.0) < 1e-9 && s.next.limit);
    assert_true(cf_loudness_search_record(&s, -15.0, -1.1)); /* under the target */
    double first = 11.0, over = s.next.gain_db;
    assert_true(over > first);
    assert_true(cf_loudness_search_record(&s, -13.0, -1.1)); /* over it */
    double second = s.next.gain_db;
    assert_true(second > first && second < over);
    assert_true(cf_loudness_search_record(&s, -13.5, -1.1)); /* over it again, less */
    assert_true(s.next.gain_db > first + 0.05 && s.next.gain_db < second - 0.05);
}

/* A sound that would need more gain than the cap allows stops at the cap, short of the target,
 * with its best trial kept. */
static void test_the_gain_stops_at_its_cap(void **state) {
    (void)state;
    cf_loudness_search s;
    model flat = {.lufs0 = -40.0, .peak0 = -0.5, .overshoot = 0.2}; /* all peak, little loudness */
    int n = search(&flat, 8, &s);
    assert_true(n >= 1 && n < 8);
    assert_true(s.next.gain_db <= 40.0 - 14.0 + 12.0 + 1e-9);
    assert_true(s.best_lufs < -14.0 - CF_LOUDNESS_TOLERANCE_LU);
    assert_true(s.best_peak <= -0.95);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_sound_far_from_the_ceiling_takes_no_trial),
        cmocka_unit_test(test_the_limiter_and_the_encoder_are_corrected_for),
        cmocka_unit_test(test_trials_either_side_bound_the_next),
        cmocka_unit_test(test_the_gain_stops_at_its_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

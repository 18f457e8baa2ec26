/* test_progress.c — a part of a longer piece of work reports into its share of the whole and
 * stops when the whole is cancelled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "clipforge/progress.h"

typedef struct seen {
    double fraction[16];
    char stage[16][16];
    int n;
} seen;

static void record(void *user, double fraction, const char *stage) {
    seen *s = user;
    if (s->n == 16) return;
    s->fraction[s->n] = fraction;
    strncpy(s->stage[s->n], stage ? stage : "", sizeof s->stage[0] - 1);
    s->n++;
}

/* A pass that reports its own 0..1 (an analysis before an encode) moves the whole by its share. */
static void test_a_part_reports_into_its_share(void **state) {
    (void)state;
    seen s = {0};
    cf_progress whole, part, inner;
    cf_progress_init(&whole, record, &s);
    cf_progress_part(&part, &whole, 0.1, 0.2);
    cf_progress_report(&part, 0, "faces");
    cf_progress_report(&part, 0.5, "faces");
    cf_progress_report(&part, 7, "faces");   /* clamped to the part's end */
    cf_progress_part(&inner, &part, 0.5, 1); /* a part of a part */
    cf_progress_report(&inner, 0.5, "inner");
    cf_progress_report(&whole, 0.9, "encode");
    assert_int_equal(s.n, 5);
    assert_float_equal(s.fraction[0], 0.1, 1e-9);
    assert_float_equal(s.fraction[1], 0.15, 1e-9);
    assert_float_equal(s.fraction[2], 0.2, 1e-9);
    assert_float_equal(s.fraction[3], 0.175, 1e-9);
    assert_float_equal(s.fraction[4], 0.9, 1e-9);
    assert_string_equal(s.stage[1], "faces");
    assert_string_equal(s.stage[3], "inner");
}

/* Cancelling the whole stops its parts; cancelling a part leaves the whole alone. */
static void test_a_part_is_cancelled_with_the_whole(void **state) {
    (void)state;
    cf_progress whole, part, inner, other;
    cf_progress_init(&whole, NULL, NULL);
    cf_progress_part(&part, &whole, 0, 0.5);
    cf_progress_part(&inner, &part, 0, 1);
    cf_progress_part(&other, &whole, 0.5, 1);
    cf_progress_cancel(&other);
    assert_true(cf_progress_cancelled(&other));
    assert_false(cf_progress_cancelled(&whole));
    assert_false(cf_progress_cancelled(&inner));
    cf_progress_cancel(&whole);
    assert_true(cf_progress_cancelled(&part));
    assert_true(cf_progress_cancelled(&inner));
    cf_progress orphan; /* no whole: reports go nowhere, nothing breaks */
    cf_progress_part(&orphan, NULL, 0, 1);
    cf_progress_report(&orphan, 0.5, "x");
    assert_false(cf_progress_cancelled(&orphan));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_part_reports_into_its_share),
        cmocka_unit_test(test_a_part_is_cancelled_with_the_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

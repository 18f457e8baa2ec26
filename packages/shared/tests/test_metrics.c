#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/metrics.h"

/* The registry's text, as /metrics writes it (malloc'd). */
static char *exposition(void) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cf_metrics_registry_write(f, false);
    fclose(f);
    return text;
}

/* Label sets keep their counts as the family grows past its first allocations, and past 64 the
 * rest are counted together as "other". */
static void test_counter_children_grow_and_overflow_into_other(void **state) {
    (void)state;
    cf_metric *m = cf_metric_counter("t_grow", "growth", "k");
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 100; i++) {
            char k[16];
            snprintf(k, sizeof k, "v%d", i);
            cf_metric_add(m, k, NULL, i + 1);
        }
    char *text = exposition();
    assert_non_null(strstr(text, "t_grow_total{k=\"v0\"} 3\n"));
    assert_non_null(strstr(text, "t_grow_total{k=\"v4\"} 15\n"));
    assert_non_null(strstr(text, "t_grow_total{k=\"v62\"} 189\n"));
    assert_null(strstr(text, "k=\"v63\""));
    /* v63..v99 land in "other": 3 * (64 + ... + 100) */
    assert_non_null(strstr(text, "t_grow_total{k=\"other\"} 9102\n"));
    int lines = 0;
    for (const char *p = strstr(text, "t_grow_total{"); p; p = strstr(p + 1, "t_grow_total{")) lines++;
    assert_int_equal(lines, 64);
    free(text);
}

static void test_histogram_children_keep_buckets_across_growth(void **state) {
    (void)state;
    cf_metric *h = cf_metric_histogram("t_hist", "durations", "route,status");
    for (int i = 0; i < 10; i++) {
        char route[16];
        snprintf(route, sizeof route, "/r%d", i);
        cf_metric_observe(h, route, "200", 0.002);
        cf_metric_observe(h, route, "500", 7);
    }
    cf_metric_observe(h, "/r0", "200", 0.002);
    char *text = exposition();
    assert_non_null(strstr(text, "t_hist_bucket{route=\"/r0\",status=\"200\",le=\"0.0025\"} 2\n"));
    assert_non_null(strstr(text, "t_hist_bucket{route=\"/r9\",status=\"500\",le=\"5\"} 0\n"));
    assert_non_null(strstr(text, "t_hist_bucket{route=\"/r9\",status=\"500\",le=\"10\"} 1\n"));
    assert_non_null(strstr(text, "t_hist_count{route=\"/r0\",status=\"200\"} 2\n"));
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_children_grow_and_overflow_into_other),
        cmocka_unit_test(test_histogram_children_keep_buckets_across_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

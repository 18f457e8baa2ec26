/* test_fit.c — the learned scorer's fitting: Newton on soft targets recovers the weights that
 * made them, a strong L2 pull keeps the prior, a model's JSON round-trips, and input rows are
 * the standardised centred window means the engine computes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "training/fit.h"

static double noise(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0 * 2 - 1;
}

static cf_lr_model three_inputs(void) {
    cf_lr_model m = {.n = 3, .threshold = 0.5};
    for (size_t k = 0; k < 3; k++) m.in[k] = (cf_lr_input){.feature = (int)k, .half = k, .mean = 0, .std = 1};
    return m;
}

static void test_newton_recovers_the_weights(void **state) {
    (void)state;
    cf_lr_model truth = three_inputs(), m = three_inputs(), prior = three_inputs();
    truth.w[0] = 2.0, truth.w[1] = -1.5, truth.w[2] = 0.25, truth.bias = -0.5;
    cf_lr_data data = {0};
    cf_error err;
    uint64_t seed = 7;
    for (int i = 0; i < 4000; i++) {
        double x[3] = {noise(&seed) * 2, noise(&seed) * 2, noise(&seed) * 2};
        assert_int_equal(cf_lr_data_add(&data, x, 3, cf_lr_predict(&truth, x), 1.0, &err), CF_OK);
    }
    assert_int_equal(cf_lr_fit(&m, &prior, &data, 1e-6, &err), CF_OK);
    for (int k = 0; k < 3; k++) assert_true(fabs(m.w[k] - truth.w[k]) < 1e-3);
    assert_true(fabs(m.bias - truth.bias) < 1e-3);
    /* a strong pull keeps the prior */
    cf_lr_model held = three_inputs();
    prior.w[0] = 0.5;
    held.w[0] = 0.5;
    assert_int_equal(cf_lr_fit(&held, &prior, &data, 1e6, &err), CF_OK);
    assert_true(fabs(held.w[0] - 0.5) < 1e-2 && fabs(held.w[1]) < 1e-2);
    cf_lr_data_free(&data);
}

static void test_json_round_trip_and_inputs(void **state) {
    (void)state;
    cf_lr_model m = three_inputs(), back;
    m.w[0] = 1.25, m.w[1] = -0.5, m.w[2] = 3, m.bias = -2, m.threshold = 0.65;
    m.in[1].mean = 0.5, m.in[1].std = 2;
    json_t *doc = json_object();
    cf_lr_to_json(&m, doc);
    cf_error err;
    assert_int_equal(cf_lr_from_json(doc, &back, &err), CF_OK);
    assert_int_equal(back.n, 3);
    assert_true(back.w[2] == 3 && back.bias == -2 && back.threshold == 0.65 && back.in[1].std == 2);
    json_object_set_new(doc, "weights", json_pack("[f]", 1.0));
    assert_int_equal(cf_lr_from_json(doc, &back, &err), CF_ERR_INVALID_ARGUMENT);
    json_decref(doc);

    /* rows: input 1 is the mean of feature 1 over +-1 hop, standardised */
    cf_feature_track t = {.n_hops = 4, .hop_ms = CF_HL_HOP_MS};
    float v[4 * CF_FEAT_COUNT] = {0};
    for (size_t h = 0; h < 4; h++) v[h * CF_FEAT_COUNT + 1] = (float)h; /* 0 1 2 3 */
    t.v = v;
    double *x = NULL;
    assert_int_equal(cf_lr_inputs(&m, &t, &x, &err), CF_OK);
    double want[4] = {0.5, 1, 2, 2.5}; /* truncated windows at the ends */
    for (size_t h = 0; h < 4; h++) assert_true(fabs(x[h * 3 + 1] - (want[h] - 0.5) / 2) < 1e-6);
    free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newton_recovers_the_weights),
        cmocka_unit_test(test_json_round_trip_and_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

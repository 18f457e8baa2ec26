/* test_evaluate.c — evaluation: span matching at IoU 0.5, precision/recall/F1, AP that punishes
 * a false positive ranked first, detections on rejected spans counted, evaluation sets read from
 * disk with bad label files named, and detection with exactly the version asked (no silent
 * fallback to another engine). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "clipforge/fs.h"
#include "training/evaluate.h"

static char *g_dir;

static void write_file(const char *name, const char *text) {
    char *p = cf_path_join(g_dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(p);
}

static int setup(void **state) {
    (void)state;
    cf_error err;
    return cf_make_temp_dir(NULL, "cf-eval-", &g_dir, &err) == CF_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    cf_error err;
    cf_remove_tree(g_dir, &err);
    free(g_dir);
    return 0;
}

static double num(const json_t *m, const char *k) {
    return json_number_value(json_object_get(m, k));
}

static void test_matching_and_metrics(void **state) {
    (void)state;
    cf_eval_span truth[] = {{.start_ms = 10000, .end_ms = 30000, .accept = true},
                            {.start_ms = 60000, .end_ms = 80000, .accept = true},
                            {.start_ms = 100000, .end_ms = 110000, .accept = false}};
    cf_highlight_span perfect[] = {{.start_ms = 10000, .end_ms = 30000, .score = 0.9},
                                   {.start_ms = 61000, .end_ms = 80000, .score = 0.8}};
    cf_eval_tally t = {0};
    cf_eval_tally_add(&t, perfect, 2, truth, 3);
    json_t *m = cf_eval_metrics_json(&t);
    assert_true(num(m, "f1") == 1 && num(m, "ap") == 1);
    assert_int_equal((int)num(m, "boundary_ms"), 250); /* (0 + 0 + 1000 + 0) / 2 matches / 2 */
    json_decref(m);

    /* a false positive on the rejected span ranked first: precision 2/3, AP (1/2 + 2/3) / 2 */
    cf_highlight_span ranked[] = {{.start_ms = 100000, .end_ms = 110000, .score = 0.95},
                                  {.start_ms = 10000, .end_ms = 30000, .score = 0.9},
                                  {.start_ms = 60000, .end_ms = 80000, .score = 0.8}};
    cf_eval_tally u = {0};
    cf_eval_tally_add(&u, ranked, 3, truth, 3);
    m = cf_eval_metrics_json(&u);
    assert_true(num(m, "precision") > 0.666 && num(m, "precision") < 0.667);
    assert_true(num(m, "recall") == 1);
    assert_true(num(m, "ap") > 0.583 && num(m, "ap") < 0.584);
    assert_int_equal((int)num(m, "on_rejected"), 1);
    json_decref(m);

    /* IoU below 0.5 is a miss; one truth is matched once */
    cf_highlight_span off[] = {{.start_ms = 20000, .end_ms = 45000, .score = 0.9},
                               {.start_ms = 10000, .end_ms = 30000, .score = 0.8},
                               {.start_ms = 11000, .end_ms = 30000, .score = 0.7}};
    cf_eval_tally v = {0};
    cf_eval_tally_add(&v, off, 3, truth, 3);
    assert_int_equal(v.matched, 1);
    assert_int_equal(v.truth, 2);
}

static void test_set_is_read_and_bad_labels_named(void **state) {
    (void)state;
    write_file("b.mp4", "media");
    write_file("b.mp4.labels.json", "{\"spans\": [{\"start_ms\": 0, \"end_ms\": 5000}, "
                                    "{\"start_ms\": 9000, \"end_ms\": 12000, \"verdict\": \"reject\"}]}");
    write_file("a.wav", "media");
    write_file("a.wav.labels.json", "{\"duration_ms\": 9000, \"spans\": []}");
    cf_eval_set *s = NULL;
    cf_error err;
    assert_int_equal(cf_eval_set_load(g_dir, &s, &err), CF_OK);
    assert_int_equal(s->n_media, 2);
    assert_string_equal(s->media[0].name, "a.wav");
    assert_int_equal(s->media[1].n_spans, 2);
    assert_true(s->media[1].spans[0].accept && !s->media[1].spans[1].accept);
    cf_eval_set_free(s);
    write_file("c.mp4.labels.json", "{\"spans\": [{\"start_ms\": 0, \"end_ms\": 5000}]}");
    assert_int_equal(cf_eval_set_load(g_dir, &s, &err), CF_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "c.mp4"));
    write_file("c.mp4", "media");
    write_file("c.mp4.labels.json", "{\"spans\": [{\"start_ms\": 5000, \"end_ms\": 5000}]}");
    assert_int_equal(cf_eval_set_load(g_dir, &s, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "spans[0]"));
    assert_non_null(strstr(err.msg, "c.mp4.labels.json"));
    char *p = cf_path_join(g_dir, "c.mp4.labels.json");
    unlink(p);
    free(p);
}

static cf_feature_track *crowd_track(void) {
    enum { N = 3000 };
    cf_feature_track *t = calloc(1, sizeof *t);
    t->n_hops = N;
    t->hop_ms = CF_HL_HOP_MS;
    t->duration_ms = N * CF_HL_HOP_MS;
    t->has_audio = true;
    t->integrated_lufs = -23;
    t->v = calloc((size_t)N * CF_FEAT_COUNT, sizeof(float));
    for (size_t i = 0; i < N; i++) {
        bool up = i >= 1000 && i < 1200;
        t->v[i * CF_FEAT_COUNT + CF_FEAT_CROWD] = up ? 0.95f : 0;
        t->v[i * CF_FEAT_COUNT + CF_FEAT_SPEECH] = up ? 0.05f : 0.8f;
        t->v[i * CF_FEAT_COUNT + CF_FEAT_LOUD_REL_LOCAL] = up ? 12 : 0;
        t->v[i * CF_FEAT_COUNT + CF_FEAT_LOUD_M] = -24;
    }
    return t;
}

static void test_detection_uses_exactly_the_version(void **state) {
    (void)state;
    write_file("highlight-t1.json",
               "{\"model_version\": \"t1\", \"profiles\": [\"generic\"], \"inputs\": [{\"feature\":"
               " \"crowd\", \"half_hops\": 5, \"mean\": 0.1, \"std\": 0.2}], \"weights\": [3.0],"
               " \"bias\": -4.0, \"threshold\": 0.5}");
    cf_feature_track *t = crowd_track();
    cf_highlight_detection_result r = {0};
    cf_error err;
    cf_err rc = cf_eval_detect(t, g_dir, "t1", "generic", &r, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, CF_OK);
    assert_string_equal(r.model_version, "t1");
    assert_true(r.n_highlights >= 1 && r.highlights[0].start_ms < 105000 && r.highlights[0].end_ms > 115000);
    cf_highlight_detection_result_free(&r);
    assert_int_equal(cf_eval_detect(t, g_dir, "t1", "lecture", &r, &err), CF_ERR_UNSUPPORTED);
    assert_int_equal(cf_eval_detect(t, g_dir, "t9", "generic", &r, &err), CF_ERR_UNSUPPORTED);
    assert_int_equal(cf_eval_detect(t, g_dir, "heuristic", "lecture", &r, &err), CF_OK);
    assert_string_equal(r.engine, "heuristic");
    cf_highlight_detection_result_free(&r);
    cf_feature_track_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matching_and_metrics),
        cmocka_unit_test(test_set_is_read_and_bad_labels_named),
        cmocka_unit_test(test_detection_uses_exactly_the_version),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

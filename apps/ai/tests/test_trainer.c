/* test_trainer.c — training on label files without media decoding (synthetic feature tracks):
 * a base that proposes both crowd eruptions and fast-cut bursts, labels that accept the first
 * and reject the second; the trained version learns to drop the bursts (its weight on the cut
 * rate falls), beats the base in cross-validation by media, records its lineage, data and
 * metrics, and is written beside a report; too little data is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clipforge/fs.h"
#include "clipforge/json.h"
#include "training/fit.h"
#include "training/trainer.h"

#define N 3000
static char *g_dir, *g_models, *g_labels;

static void write_file(const char *dir, const char *name, const char *text) {
    char *p = cf_path_join(dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(p);
}

/* Media i: a crowd eruption at 20 s + 10 i and a burst of cuts at 200 s - 10 i, 20 s each. */
static int64_t crowd_at(int i) {
    return 20000 + 10000 * i;
}
static int64_t cuts_at(int i) {
    return 200000 - 10000 * i;
}

static int setup(void **state) {
    (void)state;
    cf_error err;
    if (cf_make_temp_dir(NULL, "cf-trainer-", &g_dir, &err)) return -1;
    g_models = cf_path_join(g_dir, "models");
    g_labels = cf_path_join(g_dir, "labels");
    cf_mkdir_p(g_models, &err);
    cf_mkdir_p(g_labels, &err);
    write_file(g_models, "highlight-v1.json",
               "{\"model_version\": \"v1\", \"profiles\": [\"generic\"], \"inputs\": ["
               "{\"feature\": \"crowd\", \"half_hops\": 5, \"mean\": 0.05, \"std\": 0.2},"
               "{\"feature\": \"cut_rate\", \"half_hops\": 5, \"mean\": 0.3, \"std\": 1.5}],"
               " \"weights\": [3.0, 3.0], \"bias\": -4.0, \"threshold\": 0.5}");
    write_file(
        g_models, "registry.json",
        "{\"format\": 1, \"kinds\": {\"highlight\": {\"defaults\": {\"generic\": \"v1\"}, \"pins\": {},"
        " \"splits\": {}}}, \"history\": []}");
    for (int i = 0; i < 4; i++) {
        char name[32], labels[256];
        snprintf(name, sizeof name, "m%d.mp4", i);
        write_file(g_labels, name, "not decoded here");
        snprintf(name, sizeof name, "m%d.mp4.labels.json", i);
        snprintf(labels, sizeof labels,
                 "{\"spans\": [{\"start_ms\": %lld, \"end_ms\": %lld}, {\"start_ms\": %lld, \"end_ms\": %lld,"
                 " \"verdict\": \"reject\"}]}",
                 (long long)crowd_at(i), (long long)crowd_at(i) + 20000, (long long)cuts_at(i),
                 (long long)cuts_at(i) + 20000);
        write_file(g_labels, name, labels);
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cf_error err;
    cf_remove_tree(g_dir, &err);
    free(g_dir), free(g_models), free(g_labels);
    return 0;
}

/* The synthetic track of a label file's media. */
static cf_err fake_track(void *user, const cf_eval_media *m, cf_feature_track **out, cf_error *err) {
    (void)user, (void)err;
    int i = m->name[1] - '0';
    cf_feature_track *t = calloc(1, sizeof *t);
    t->n_hops = N;
    t->hop_ms = CF_HL_HOP_MS;
    t->duration_ms = (int64_t)N * CF_HL_HOP_MS;
    t->has_audio = t->has_video = true;
    t->v = calloc((size_t)N * CF_FEAT_COUNT, sizeof *t->v);
    for (size_t h = 0; h < N; h++) {
        int64_t ms = (int64_t)h * CF_HL_HOP_MS;
        bool crowd = ms >= crowd_at(i) && ms < crowd_at(i) + 20000,
             cuts = ms >= cuts_at(i) && ms < cuts_at(i) + 20000;
        t->v[h * CF_FEAT_COUNT + CF_FEAT_CROWD] = crowd ? 0.9f : 0.02f;
        t->v[h * CF_FEAT_COUNT + CF_FEAT_CUT_RATE] = cuts ? 6.0f : 0.1f;
        t->v[h * CF_FEAT_COUNT + CF_FEAT_SPEECH] = 0.7f;
    }
    *out = t;
    return CF_OK;
}

static double num(const json_t *o, const char *path1, const char *path2) {
    return json_number_value(json_object_get(json_object_get(o, path1), path2));
}

static void test_learns_to_drop_what_reviewers_reject(void **state) {
    (void)state;
    cf_track_source src = {.get = fake_track};
    cf_train_set set = {0};
    cf_error err;
    assert_int_equal(cf_train_set_add_files(&set, g_labels, &src, &err), CF_OK);
    assert_int_equal(set.n, 4);
    assert_int_equal(set.accepted, 4);
    assert_int_equal(set.rejected, 4);
    cf_train_options o = {.out_dir = g_models, .profile = "generic"};
    json_t *summary = NULL;
    cf_err rc = cf_train(&set, &o, &summary, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, CF_OK);
    assert_string_equal(json_string_value(json_object_get(summary, "model_version")), "v2");
    const json_t *cv = json_object_get(json_object_get(summary, "metrics"), "cv");
    const json_t *generic = json_object_get(json_object_get(cv, "profiles"), "generic");
    assert_string_equal(json_string_value(json_object_get(cv, "base_version")), "v1");
    assert_int_equal(json_integer_value(json_object_get(cv, "folds")), 4);
    assert_true(num(generic, "candidate", "f1") > num(generic, "base", "f1"));
    assert_true(num(generic, "candidate", "precision") == 1.0);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(generic, "candidate"), "on_rejected")), 0);
    assert_true(json_integer_value(json_object_get(json_object_get(generic, "base"), "on_rejected")) >= 4);

    char *file = cf_path_join(g_models, "highlight-v2.json");
    json_t *doc = cf_json_load_file(file, 1 << 20, 32, &err);
    assert_non_null(doc);
    cf_lr_model m;
    assert_int_equal(cf_lr_from_json(doc, &m, &err), CF_OK);
    assert_true(m.w[1] < 3.0 - 1.0); /* the cut rate lost most of its weight */
    assert_string_equal(json_string_value(json_object_get(doc, "parent_version")), "v1");
    const json_t *data = json_object_get(doc, "training_data");
    assert_int_equal(json_integer_value(json_object_get(data, "labels")), 8);
    assert_int_equal(json_array_size(json_object_get(data, "manifest")), 4);
    json_decref(doc);
    free(file);
    char *report = cf_path_join(g_models, "highlight-v2.report.md");
    assert_true(cf_file_size(report) > 100);
    free(report);
    json_decref(summary);
    cf_train_set_free(&set);
}

static void test_one_media_is_not_enough(void **state) {
    (void)state;
    cf_train_set set = {0};
    cf_track_source src = {.get = fake_track};
    cf_error err;
    assert_int_equal(cf_train_set_add_files(&set, g_labels, &src, &err), CF_OK);
    for (size_t i = 1; i < set.n; i++) { /* keep only the first */
        free(set.m[i].name), free(set.m[i].spans);
        cf_feature_track_free(set.m[i].track);
    }
    set.n = 1;
    cf_train_options o = {.out_dir = g_models, .profile = "generic"};
    json_t *summary = NULL;
    assert_int_equal(cf_train(&set, &o, &summary, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "2 media"));
    cf_train_set_free(&set);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_to_drop_what_reviewers_reject),
        cmocka_unit_test(test_one_media_is_not_enough),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

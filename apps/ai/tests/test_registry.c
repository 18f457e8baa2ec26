/* test_registry.c — the model registry: model files found by kind, built-in versions, malformed
 * files and registry.json named, resolution order (media pin, profile pin, split, default),
 * stable and proportional A/B splits, validated changes with a history, no update lost when
 * processes change the registry at once, and the publish gate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "clipforge/fs.h"
#include "clipforge/json.h"
#include "registry/model_registry.h"
#include "registry/publish.h"

static char *g_dir;

static void write_file(const char *name, const char *text) {
    char *p = cf_path_join(g_dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(p);
}

#define MODEL(version, profiles, extra)                                                                      \
    "{\"model_version\": \"" version "\", \"profiles\": " profiles ","                                       \
    " \"inputs\": [{\"feature\": \"crowd\", \"half_hops\": 5, \"mean\": 0.1, \"std\": 0.2}],"                \
    " \"weights\": [3.0], \"bias\": -4.0, \"threshold\": 0.5" extra "}"

static int setup(void **state) {
    (void)state;
    cf_error err;
    if (cf_make_temp_dir(NULL, "cf-reg-", &g_dir, &err) != CF_OK) return -1;
    write_file("highlight-v1.json",
               MODEL("v1", "[\"generic\", \"sports\"]", ", \"trained_at\": \"2026-01-01T00:00:00Z\""));
    write_file("highlight-v2.json", MODEL("v2", "[\"generic\"]", ", \"parent_version\": \"v1\""));
    write_file("highlight-v10.json", MODEL("v10", "[\"generic\", \"sports\"]", ""));
    write_file("audio-events-v1.json", "{\"labels\": [\"laughter\"]}");
    write_file("highlight-broken.json", "{not json");
    write_file("notes.json", "{}");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cf_error err;
    cf_remove_tree(g_dir, &err);
    free(g_dir);
    return 0;
}

static cf_model_registry *open_registry(void) {
    cf_model_registry *r = NULL;
    cf_error err;
    cf_err rc = cf_model_registry_open(g_dir, &r, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, CF_OK);
    return r;
}

static void reset_state(void) {
    char *p = cf_path_join(g_dir, "registry.json");
    unlink(p);
    free(p);
}

static void test_models_are_found_by_kind_with_builtins(void **state) {
    (void)state;
    reset_state();
    cf_model_registry *r = open_registry();
    const char *order[] = {"heuristic", "broken", "v1", "v2", "v10"};
    size_t k = 0;
    for (size_t i = 0; i < r->n_models; i++)
        if (!strcmp(r->models[i].kind->name, "highlight"))
            assert_string_equal(r->models[i].version, order[k++]);
    assert_int_equal(k, 5);
    assert_non_null(cf_model_registry_find(r, "audio_events", "v1"));
    assert_null(cf_model_registry_find(r, "highlight", "notes"));
    const cf_model_entry *broken = cf_model_registry_find(r, "highlight", "broken");
    assert_non_null(broken->problem);
    assert_false(cf_model_entry_supports(broken, "generic"));
    assert_true(cf_model_entry_supports(cf_model_registry_find(r, "highlight", "heuristic"), "music"));
    assert_false(cf_model_entry_supports(cf_model_registry_find(r, "highlight", "v2"), "sports"));
    json_t *meta = cf_model_metadata(cf_model_registry_find(r, "highlight", "v1"));
    assert_string_equal(json_string_value(json_object_get(meta, "trained_at")), "2026-01-01T00:00:00Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(meta, "features"), 0)), "crowd");
    json_decref(meta);
    cf_model_choice c;
    assert_false(cf_model_registry_resolve(r, "highlight", "generic", "m_1", &c));
    cf_model_registry_free(r);
}

static void test_resolution_order(void **state) {
    (void)state;
    reset_state();
    cf_error err;
    const char *generic[] = {"generic"}, *all[] = {"*"};
    assert_int_equal(cf_model_registry_set_default(g_dir, "highlight", "v10", all, 1, NULL, &err), CF_OK);
    assert_int_equal(cf_model_registry_set_default(g_dir, "highlight", "v1", generic, 1, NULL, &err), CF_OK);
    cf_model_registry *r = open_registry();
    cf_model_choice c;
    assert_true(cf_model_registry_resolve(r, "highlight", "generic", "m_1", &c));
    assert_string_equal(c.version, "v1");
    assert_string_equal(c.why, "default generic");
    assert_true(cf_model_registry_resolve(r, "highlight", "sports", NULL, &c));
    assert_string_equal(c.version, "v10");
    assert_false(cf_model_registry_needs_media_key(r, "highlight", "generic"));
    cf_model_registry_free(r);

    const char *arms[] = {"v2", "v1"};
    double shares[] = {0.5, 0.5};
    assert_int_equal(cf_model_registry_split(g_dir, "highlight", "generic", arms, shares, 2, &err), CF_OK);
    assert_int_equal(cf_model_registry_pin(g_dir, "highlight", "profile:generic", "v10", &err), CF_OK);
    assert_int_equal(cf_model_registry_pin(g_dir, "highlight", "media:m_7", "v2", &err), CF_OK);
    r = open_registry();
    assert_true(cf_model_registry_needs_media_key(r, "highlight", "generic"));
    assert_true(cf_model_registry_resolve(r, "highlight", "generic", "m_7", &c));
    assert_string_equal(c.version, "v2");
    assert_string_equal(c.why, "pin media:m_7");
    assert_true(cf_model_registry_resolve(r, "highlight", "generic", "m_1", &c));
    assert_string_equal(c.version, "v10");
    cf_model_registry_free(r);

    assert_int_equal(cf_model_registry_pin(g_dir, "highlight", "profile:generic", NULL, &err), CF_OK);
    r = open_registry();
    assert_true(cf_model_registry_resolve(r, "highlight", "generic", "m_1", &c));
    assert_non_null(strstr(c.why, "split generic"));
    /* without a media key no split applies: the default answers */
    assert_true(cf_model_registry_resolve(r, "highlight", "generic", NULL, &c));
    assert_string_equal(c.version, "v1");
    json_t *roles = cf_model_registry_roles(r, "highlight", "v2");
    assert_int_equal(json_array_size(json_object_get(roles, "pinned")), 1);
    assert_true(json_number_value(json_object_get(json_object_get(roles, "splits"), "generic")) == 0.5);
    json_decref(roles);
    assert_int_equal(json_array_size(json_object_get(r->state, "history")), 6);
    cf_model_registry_free(r);
}

static void resolve_many(const char *v_a, double share_a, const char *v_b, double share_b, char *arm_of,
                         size_t n) {
    cf_error err;
    const char *arms[] = {v_a, v_b};
    double shares[] = {share_a, share_b};
    assert_int_equal(cf_model_registry_split(g_dir, "highlight", "sports", arms, shares, 2, &err), CF_OK);
    cf_model_registry *r = open_registry();
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "m_%zu", i * 7919);
        cf_model_choice c;
        assert_true(cf_model_registry_resolve(r, "highlight", "sports", key, &c));
        arm_of[i] = !strcmp(c.version, v_b) ? 'b' : 'a';
    }
    cf_model_registry_free(r);
}

static void test_split_is_stable_and_proportional(void **state) {
    (void)state;
    reset_state();
    enum { N = 20000 };
    static char first[N], again[N], widened[N];
    resolve_many("v1", 0.9, "v10", 0.1, first, N);
    resolve_many("v1", 0.9, "v10", 0.1, again, N);
    assert_memory_equal(first, again, N);
    size_t b = 0;
    for (size_t i = 0; i < N; i++) b += first[i] == 'b';
    assert_in_range(b, N / 10 - 400, N / 10 + 400);
    /* widening the B arm only moves media from A to B */
    resolve_many("v1", 0.8, "v10", 0.2, widened, N);
    size_t b2 = 0;
    for (size_t i = 0; i < N; i++) {
        if (first[i] == 'b') assert_int_equal(widened[i], 'b');
        b2 += widened[i] == 'b';
    }
    assert_in_range(b2, N / 5 - 500, N / 5 + 500);
}

static void test_bad_changes_are_refused(void **state) {
    (void)state;
    reset_state();
    cf_error err;
    const char *arms[] = {"v1", "v10"}, *missing[] = {"v1", "v9"}, *narrow[] = {"v1", "v2"};
    double shares[] = {0.5, 0.4}, ok[] = {0.5, 0.5};
    assert_int_equal(cf_model_registry_split(g_dir, "highlight", "generic", arms, shares, 2, &err),
                     CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "add up to 1"));
    assert_int_equal(cf_model_registry_split(g_dir, "highlight", "generic", missing, ok, 2, &err),
                     CF_ERR_NOT_FOUND);
    assert_int_equal(cf_model_registry_split(g_dir, "highlight", "sports", narrow, ok, 2, &err),
                     CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "does not support profile 'sports'"));
    assert_int_equal(cf_model_registry_pin(g_dir, "highlight", "tenant:x", "v1", &err),
                     CF_ERR_INVALID_ARGUMENT);
    assert_int_equal(cf_model_registry_pin(g_dir, "highlight", "profile:generic", "broken", &err),
                     CF_ERR_INVALID_ARGUMENT);
    const char *generic[] = {"generic"};
    assert_int_equal(cf_model_registry_set_default(g_dir, "audio_events", "v1", generic, 1, NULL, &err),
                     CF_ERR_INVALID_ARGUMENT);
    assert_int_equal(cf_model_registry_pin(g_dir, "highlight", "profile:generic", NULL, &err),
                     CF_ERR_NOT_FOUND);
    /* nothing was written */
    char *p = cf_path_join(g_dir, "registry.json");
    assert_true(access(p, F_OK) != 0);
    free(p);
}

static void test_malformed_registry_file_is_named(void **state) {
    (void)state;
    write_file("registry.json", "{\"format\": 1, \"kinds\": {\"highlight\": {\"defaults\": {\"generic\": 3},"
                                " \"pins\": {}, \"splits\": {}}}}");
    cf_model_registry *r = NULL;
    cf_error err;
    assert_int_equal(cf_model_registry_open(g_dir, &r, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "kinds.highlight.defaults.generic"));
    write_file("registry.json", "{\"format\": 1, \"kinds\": {\"highlight\": {\"defaults\": {}, \"pins\": {},"
                                " \"splits\": {\"generic\": {\"v1\": 0.7}}}}}");
    assert_int_equal(cf_model_registry_open(g_dir, &r, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "splits.generic"));
    reset_state();
}

static void test_concurrent_changes_lose_nothing(void **state) {
    (void)state;
    reset_state();
    enum { PROCS = 6, EACH = 5 };
    for (int p = 0; p < PROCS; p++) {
        pid_t pid = fork();
        if (pid == 0) {
            int bad = 0;
            for (int i = 0; i < EACH; i++) {
                char scope[32];
                snprintf(scope, sizeof scope, "media:m_%d_%d", p, i);
                cf_error err;
                bad |= cf_model_registry_pin(g_dir, "highlight", scope, "v1", &err) != CF_OK;
            }
            _exit(bad);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int st = 0;
        wait(&st);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    cf_model_registry *r = open_registry();
    assert_int_equal(json_object_size(json_object_get(cf_model_registry_assignment(r, "highlight"), "pins")),
                     PROCS * EACH);
    cf_model_registry_free(r);
}

static void test_publish_gate_uses_the_recorded_comparison(void **state) {
    (void)state;
    reset_state();
    write_file(
        "highlight-v3.json",
        MODEL("v3", "[\"generic\"]",
              ", \"metrics\": {\"cv\": {\"base_version\": \"heuristic\", \"profiles\": {\"generic\":"
              " {\"candidate\": {\"f1\": 0.8, \"ap\": 0.7}, \"base\": {\"f1\": 0.6, \"ap\": 0.7}}}}}"));
    write_file(
        "highlight-v4.json",
        MODEL("v4", "[\"generic\"]",
              ", \"metrics\": {\"cv\": {\"base_version\": \"v3\", \"profiles\": {\"generic\":"
              " {\"candidate\": {\"f1\": 0.7, \"ap\": 0.9}, \"base\": {\"f1\": 0.8, \"ap\": 0.7}}}}}"));
    cf_error err;
    json_t *report = NULL;
    cf_publish_options o = {.kind = "highlight", .version = "v4"};
    /* v4 was compared with v3, but heuristic serves generic now */
    assert_int_equal(cf_model_publish(g_dir, &o, &report, &err), CF_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "--set"));
    json_decref(report);
    o.version = "v3";
    assert_int_equal(cf_model_publish(g_dir, &o, &report, &err), CF_OK);
    assert_true(json_is_true(json_object_get(report, "published")));
    json_decref(report);
    /* now v4's comparison is against the default, and it loses */
    o.version = "v4";
    assert_int_equal(cf_model_publish(g_dir, &o, &report, &err), CF_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "does not beat v3"));
    assert_false(json_is_true(json_object_get(report, "published")));
    json_decref(report);
    cf_model_registry *r = open_registry();
    assert_string_equal(cf_publish_current_default(r, "highlight", "generic"), "v3");
    cf_model_registry_free(r);
    o.force = true;
    assert_int_equal(cf_model_publish(g_dir, &o, &report, &err), CF_OK);
    json_decref(report);
    r = open_registry();
    assert_string_equal(cf_publish_current_default(r, "highlight", "generic"), "v4");
    cf_model_registry_free(r);
    char *p = cf_path_join(g_dir, "highlight-v3.json"), *q = cf_path_join(g_dir, "highlight-v4.json");
    unlink(p), unlink(q);
    free(p), free(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_are_found_by_kind_with_builtins),
        cmocka_unit_test(test_resolution_order),
        cmocka_unit_test(test_split_is_stable_and_proportional),
        cmocka_unit_test(test_bad_changes_are_refused),
        cmocka_unit_test(test_malformed_registry_file_is_named),
        cmocka_unit_test(test_concurrent_changes_lose_nothing),
        cmocka_unit_test(test_publish_gate_uses_the_recorded_comparison),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

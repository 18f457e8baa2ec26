/* Clip processing types: round trips, defaults, enum helpers, the pinned C layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/domain/openapi.h"
#include "clipforge/domain/types.h"

static json_t *parse(const char *text) {
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j) fail_msg("bad test JSON: %s", jerr.text);
    return j;
}

/* Parses `in`, serializes it back and compares with `expected` (the input with defaults). */
static void assert_round_trip(const char *in, const char *expected) {
    json_t *j = parse(in), *want = parse(expected);
    cf_clip_processing_request req;
    cf_error err;
    if (cf_clip_processing_request_from_json(j, &req, &err) != CF_OK) fail_msg("%s", err.msg);
    json_t *back = cf_clip_processing_request_to_json(&req);
    assert_non_null(back);
    if (!json_equal(back, want)) {
        char *got = json_dumps(back, JSON_SORT_KEYS);
        fail_msg("round trip gave %s", got);
    }
    json_decref(back);
    json_decref(want);
    json_decref(j);
    cf_clip_processing_request_free(&req);
}

static void test_every_operation_round_trips(void **state) {
    (void)state;
    const char *full =
        "{\"clip_id\":\"c1\",\"source_uri\":\"media://m_123\",\"target_format\":\"webm\","
        "\"operations\":["
        "{\"op\":\"trim\",\"start_ms\":5000,\"end_ms\":15000,\"mode\":\"copy\"},"
        "{\"op\":\"scale\",\"width\":1280,\"height\":-1},"
        "{\"op\":\"crop\",\"width\":640,\"height\":360,\"x\":10,\"y\":20},"
        "{\"op\":\"fps\",\"fps\":29.97},"
        "{\"op\":\"normalize_audio\",\"target_lufs\":-16.5,\"true_peak_db\":-1.5},"
        "{\"op\":\"mute\"},"
        "{\"op\":\"speed\",\"factor\":0.25},"
        "{\"op\":\"thumbnail\",\"at_ms\":0,\"width\":320,\"output_uri\":\"file:///tmp/t.jpg\"}]}";
    assert_round_trip(full, full);
}

static void test_defaults_are_applied(void **state) {
    (void)state;
    assert_round_trip(
        "{\"clip_id\":\"c\",\"source_uri\":\"a.mp4\",\"operations\":[{\"op\":\"trim\",\"end_ms\":1},"
        "{\"op\":\"scale\",\"height\":720},{\"op\":\"crop\",\"width\":2,\"height\":2},"
        "{\"op\":\"normalize_audio\"},{\"op\":\"thumbnail\",\"at_ms\":5}]}",
        "{\"clip_id\":\"c\",\"source_uri\":\"a.mp4\",\"target_format\":\"mp4\",\"operations\":["
        "{\"op\":\"trim\",\"start_ms\":0,\"end_ms\":1,\"mode\":\"auto\"},"
        "{\"op\":\"scale\",\"width\":-1,\"height\":720},"
        "{\"op\":\"crop\",\"width\":2,\"height\":2,\"x\":0,\"y\":0},"
        "{\"op\":\"normalize_audio\",\"target_lufs\":-14,\"true_peak_db\":-1},"
        "{\"op\":\"thumbnail\",\"at_ms\":5,\"width\":0}]}");
    /* integral reals are integers (JSON Schema's rule) and come back as integers */
    assert_round_trip("{\"clip_id\":\"c\",\"source_uri\":\"a\",\"operations\":[{\"op\":\"trim\","
                      "\"start_ms\":5000.0,\"end_ms\":1e4}]}",
                      "{\"clip_id\":\"c\",\"source_uri\":\"a\",\"target_format\":\"mp4\",\"operations\":["
                      "{\"op\":\"trim\",\"start_ms\":5000,\"end_ms\":10000,\"mode\":\"auto\"}]}");
    assert_round_trip("{\"clip_id\":\"c\",\"source_uri\":\"a\"}",
                      "{\"clip_id\":\"c\",\"source_uri\":\"a\",\"target_format\":\"mp4\","
                      "\"operations\":[]}");
}

static void test_parsed_values_land_in_the_pinned_members(void **state) {
    (void)state;
    json_t *j = parse("{\"clip_id\":\"c1\",\"source_uri\":\"s\",\"target_format\":\"gif\","
                      "\"operations\":[{\"op\":\"trim\",\"start_ms\":5000,\"end_ms\":15000},"
                      "{\"op\":\"normalize_audio\",\"target_lufs\":-20},{\"op\":\"mute\"},"
                      "{\"op\":\"speed\",\"factor\":2}]}");
    cf_clip_processing_request r;
    cf_error err;
    assert_int_equal(cf_clip_processing_request_from_json(j, &r, &err), CF_OK);
    assert_string_equal(r.clip_id, "c1");
    assert_string_equal(r.source_uri, "s");
    assert_int_equal(r.target_format, CF_TARGET_FORMAT_GIF);
    assert_int_equal(r.n_operations, 4);
    assert_int_equal(r.operations[0].op, CF_CLIP_OP_TRIM);
    assert_int_equal(r.operations[0].as.trim.start_ms, 5000);
    assert_int_equal(r.operations[0].as.trim.end_ms, 15000);
    assert_int_equal(r.operations[0].as.trim.mode, CF_TRIM_MODE_AUTO);
    assert_int_equal(r.operations[1].op, CF_CLIP_OP_NORMALIZE_AUDIO);
    assert_true(r.operations[1].as.normalize_audio.target_lufs == -20.0);
    assert_true(r.operations[1].as.normalize_audio.true_peak_db == -1.0);
    assert_int_equal(r.operations[2].op, CF_CLIP_OP_MUTE);
    assert_true(r.operations[3].as.speed.factor == 2.0);
    cf_clip_processing_request_free(&r);
    assert_null(r.operations);
    assert_int_equal(r.n_operations, 0);
    cf_clip_processing_request_free(&r); /* idempotent */
    json_decref(j);
}

static void test_result_round_trips_with_optional_members(void **state) {
    (void)state;
    const char *text =
        "{\"clip_id\":\"c1\",\"output_uri\":\"file:///o.mp4\",\"artifacts\":["
        "{\"kind\":\"video\",\"uri\":\"file:///o.mp4\",\"url\":\"http://h/f?sig=1\",\"mime\":"
        "\"video/mp4\",\"bytes\":1234,\"duration_ms\":10000,\"width\":1280,\"height\":720,"
        "\"video_codec\":\"h264\",\"audio_codec\":\"aac\",\"streams\":["
        "{\"index\":0,\"kind\":\"video\",\"codec\":\"h264\",\"width\":1280,\"height\":720,"
        "\"source_index\":1},{\"index\":1,\"kind\":\"audio\",\"codec\":\"aac\",\"channels\":2}]},"
        "{\"kind\":\"thumbnail\",\"uri\":\"file:///t.jpg\",\"mime\":\"image/jpeg\",\"bytes\":0,"
        "\"streams\":[]}],"
        "\"processing_time_ms\":42,\"notes\":[\"audio stream 2 carries no packets\"],"
        "\"removed_ranges\":[{\"start_ms\":1200,\"end_ms\":2400}]}";
    json_t *j = parse(text);
    cf_clip_processing_result r;
    cf_error err;
    assert_int_equal(cf_clip_processing_result_from_json(j, &r, &err), CF_OK);
    assert_int_equal(r.n_artifacts, 2);
    assert_true(r.artifacts[0].has_duration_ms);
    assert_int_equal(r.artifacts[0].height, 720);
    assert_false(r.artifacts[1].has_width);
    assert_null(r.artifacts[1].url);
    assert_int_equal(r.artifacts[1].kind, CF_ARTIFACT_KIND_THUMBNAIL);
    assert_int_equal(r.artifacts[0].n_streams, 2);
    assert_int_equal(r.artifacts[0].streams[1].kind, CF_STREAM_KIND_AUDIO);
    assert_true(r.artifacts[0].streams[0].has_source_index);
    assert_false(r.artifacts[0].streams[1].has_source_index);
    assert_int_equal(r.n_notes, 1);
    assert_int_equal(r.n_removed_ranges, 1);
    assert_int_equal(r.removed_ranges[0].end_ms, 2400);
    json_t *back = cf_clip_processing_result_to_json(&r);
    assert_true(json_equal(back, j));
    json_decref(back);
    json_decref(j);
    cf_clip_processing_result_free(&r);
}

static void test_built_in_c_serializes_to_valid_json(void **state) {
    (void)state;
    cf_clip_operation ops[2];
    cf_clip_operation_init(&ops[0], CF_CLIP_OP_NORMALIZE_AUDIO);
    assert_true(ops[0].as.normalize_audio.target_lufs == -14.0);
    assert_true(ops[0].as.normalize_audio.true_peak_db == -1.0);
    cf_clip_operation_init(&ops[1], CF_CLIP_OP_SCALE);
    assert_int_equal(ops[1].as.scale.width, -1);
    ops[1].as.scale.height = 720;
    cf_clip_processing_request req;
    cf_clip_processing_request_init(&req);
    req.clip_id = "c";
    req.source_uri = "in.mp4";
    req.operations = ops;
    req.n_operations = 2;
    json_t *j = cf_clip_processing_request_to_json(&req);
    assert_non_null(j);
    cf_clip_processing_request back;
    cf_error err;
    assert_int_equal(cf_clip_processing_request_from_json(j, &back, &err), CF_OK);
    assert_int_equal(back.operations[1].as.scale.height, 720);
    assert_int_equal(back.target_format, CF_TARGET_FORMAT_MP4);
    cf_clip_processing_request_free(&back);
    json_decref(j);
}

static void test_enum_helpers(void **state) {
    (void)state;
    assert_string_equal(cf_target_format_to_string(CF_TARGET_FORMAT_WEBM), "webm");
    assert_null(cf_target_format_to_string((cf_target_format)7));
    assert_null(cf_target_format_to_string((cf_target_format)-1));
    cf_clip_op_kind k;
    assert_true(cf_clip_op_kind_from_string("normalize_audio", &k));
    assert_int_equal(k, CF_CLIP_OP_NORMALIZE_AUDIO);
    assert_false(cf_clip_op_kind_from_string("blur", &k));
    assert_false(cf_clip_op_kind_from_string(NULL, &k));
    cf_artifact_kind a;
    assert_true(cf_artifact_kind_from_string("debug", &a));
    assert_int_equal(a, CF_ARTIFACT_KIND_DEBUG);
    assert_int_equal(CF_ARTIFACT_KIND_COUNT, 8);
    assert_string_equal(cf_trim_mode_to_string(CF_TRIM_MODE_ACCURATE), "accurate");
}

static void test_out_of_range_enum_fails_serialization(void **state) {
    (void)state;
    cf_clip_op_trim t = {.start_ms = 0, .end_ms = 5, .mode = (cf_trim_mode)42};
    assert_null(cf_clip_op_trim_to_json(&t));
    cf_clip_operation op = {.op = (cf_clip_op_kind)99};
    assert_null(cf_clip_operation_to_json(&op));
}

static void test_openapi_components_describe_every_schema(void **state) {
    (void)state;
    json_t *c = cf_domain_openapi_components();
    assert_non_null(c);
    json_t *schemas = json_object_get(c, "schemas");
    assert_non_null(json_object_get(schemas, "ClipProcessingRequest"));
    json_t *op = json_object_get(schemas, "ClipOperation");
    json_t *mapping = json_object_get(json_object_get(op, "discriminator"), "mapping");
    assert_string_equal(json_string_value(json_object_get(mapping, "trim")),
                        "#/components/schemas/ClipOpTrim");
    json_t *items = json_object_get(
        json_object_get(json_object_get(json_object_get(schemas, "ClipProcessingRequest"), "properties"),
                        "operations"),
        "items");
    assert_string_equal(json_string_value(json_object_get(items, "$ref")),
                        "#/components/schemas/ClipOperation");
    assert_null(json_object_get(op, "$schema"));
    json_decref(c);
}

static void test_schema_examples_are_accepted(void **state) {
    (void)state;
    json_t *c = cf_domain_openapi_components();
    const char *name;
    json_t *schema;
    size_t checked = 0;
    json_object_foreach(json_object_get(c, "schemas"), name, schema) {
        json_t *examples = json_object_get(schema, "examples");
        const cf_domain_type *t = cf_domain_type_find(name);
        if (!examples || !t) continue;
        for (size_t i = 0; i < json_array_size(examples); i++) {
            void *v = calloc(1, t->size);
            cf_error err;
            if (t->from_json_at(json_array_get(examples, i), "", v, &err) != CF_OK)
                fail_msg("%s example %zu: %s", name, i, err.msg);
            json_t *back = t->to_json(v);
            assert_non_null(back);
            json_decref(back);
            t->free(v);
            free(v);
            checked++;
        }
    }
    assert_true(checked >= 12);
    json_decref(c);
}

static void test_type_registry_parses_by_name(void **state) {
    (void)state;
    size_t n = 0;
    const cf_domain_type *all = cf_domain_types(&n);
    assert_true(n >= 20);
    for (size_t i = 1; i < n; i++) assert_true(strcmp(all[i - 1].name, all[i].name) < 0);
    assert_null(cf_domain_type_find("ClipOpMute")); /* no C type: no fields */
    assert_null(cf_domain_type_find(NULL));
    const cf_domain_type *t = cf_domain_type_find("ClipOperation");
    assert_non_null(t);
    assert_int_equal(t->size, sizeof(cf_clip_operation));
    json_t *j = parse("{\"op\":\"speed\",\"factor\":3}");
    cf_clip_operation op;
    cf_error err;
    assert_int_equal(t->from_json_at(j, "operations[4]", &op, &err), CF_OK);
    assert_true(op.as.speed.factor == 3.0);
    json_t *back = t->to_json(&op);
    assert_true(json_equal(back, j));
    t->free(&op);
    json_decref(back);
    json_decref(j);
    j = parse("{\"op\":\"speed\",\"factor\":5}");
    assert_int_equal(t->from_json_at(j, "operations[4]", &op, &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "operations[4].factor: must be between 0.25 and 4");
    json_decref(j);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_operation_round_trips),
        cmocka_unit_test(test_defaults_are_applied),
        cmocka_unit_test(test_parsed_values_land_in_the_pinned_members),
        cmocka_unit_test(test_result_round_trips_with_optional_members),
        cmocka_unit_test(test_built_in_c_serializes_to_valid_json),
        cmocka_unit_test(test_enum_helpers),
        cmocka_unit_test(test_out_of_range_enum_fails_serialization),
        cmocka_unit_test(test_openapi_components_describe_every_schema),
        cmocka_unit_test(test_type_registry_parses_by_name),
        cmocka_unit_test(test_schema_examples_are_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

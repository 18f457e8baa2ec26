/* Validation of the generated parsers: every kind of error with its exact message and field
 * path, hostile sizes, and no leak when parsing stops halfway (checked by ASan's leak detector). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/domain/types.h"
#include "clipforge/json.h"

typedef struct bad_case {
    const char *json;    /* a ClipProcessingRequest */
    const char *message; /* exactly what err.msg must say */
} bad_case;

#define REQ(ops) "{\"clip_id\":\"c\",\"source_uri\":\"s\",\"operations\":[" ops "]}"

static const bad_case bad_requests[] = {
    /* structure */
    {"[]", "(root): must be an object"},
    {"{\"source_uri\":\"s\"}", "clip_id: is required"},
    {"{\"clip_id\":null,\"source_uri\":\"s\"}", "clip_id: must be a string"},
    {"{\"clip_id\":\"c\",\"source_uri\":\"s\",\"colour\":1}", "colour: unknown field"},
    {"{\"clip_id\":\"c\",\"source_uri\":\"s\",\"operations\":{}}", "operations: must be an array"},
    /* strings */
    {"{\"clip_id\":\"\",\"source_uri\":\"s\"}", "clip_id: must not be empty"},
    {"{\"clip_id\":\"a\\u0000b\",\"source_uri\":\"s\"}", "clip_id: must not contain NUL characters"},
    {"{\"clip_id\":7,\"source_uri\":\"s\"}", "clip_id: must be a string"},
    /* enums */
    {"{\"clip_id\":\"c\",\"source_uri\":\"s\",\"target_format\":\"avi\"}",
     "target_format: must be one of mp4, webm, gif"},
    {"{\"clip_id\":\"c\",\"source_uri\":\"s\",\"target_format\":3}",
     "target_format: must be one of mp4, webm, gif"},
    /* the tagged union */
    {REQ("{\"op\":\"blur\"}"), "operations[0]: unknown op 'blur'"},
    {REQ("{\"start_ms\":1}"), "operations[0].op: is required"},
    {REQ("{\"op\":5}"), "operations[0].op: must be a string"},
    {REQ("7"), "operations[0]: must be an object"},
    {REQ("{\"op\":\"mute\",\"volume\":0}"), "operations[0].volume: unknown field"},
    {REQ("{\"op\":\"mute\"},{\"op\":\"trim\",\"end_ms\":1,\"mode\":\"fast\"}"),
     "operations[1].mode: must be one of auto, copy, accurate, smart"},
    /* integers */
    {REQ("{\"op\":\"trim\",\"start_ms\":1.5,\"end_ms\":9}"), "operations[0].start_ms: must be an integer"},
    {REQ("{\"op\":\"trim\",\"start_ms\":1e19,\"end_ms\":9}"), "operations[0].start_ms: must be an integer"},
    {REQ("{\"op\":\"trim\",\"start_ms\":\"1\",\"end_ms\":9}"), "operations[0].start_ms: must be an integer"},
    {REQ("{\"op\":\"trim\",\"start_ms\":-1,\"end_ms\":9}"), "operations[0].start_ms: must be >= 0"},
    {REQ("{\"op\":\"trim\",\"start_ms\":1}"), "operations[0].end_ms: is required"},
    {REQ("{\"op\":\"trim\",\"end_ms\":0}"), "operations[0].end_ms: must be > 0"},
    {REQ("{\"op\":\"mute\"},{\"op\":\"mute\"},{\"op\":\"trim\",\"start_ms\":15000,\"end_ms\":5000}"),
     "operations[2].end_ms: must be > start_ms"},
    {REQ("{\"op\":\"trim\",\"start_ms\":5000,\"end_ms\":5000}"), "operations[0].end_ms: must be > start_ms"},
    {REQ("{\"op\":\"mute\"},{\"op\":\"mute\"},{\"op\":\"mute\"},{\"op\":\"mute\"},{\"op\":\"mute\"},{\"op\":"
         "\"mute\"},"
         "{\"op\":\"mute\"},{\"op\":\"mute\"},{\"op\":\"mute\"},{\"op\":\"mute\"},{\"op\":\"mute\"},{\"op\":"
         "\"mute\"},"
         "{\"op\":\"trim\",\"end_ms\":0}"),
     "operations[12].end_ms: must be > 0"},
    {REQ("{\"op\":\"scale\",\"width\":0}"), "operations[0].width: must be -1 or between 2 and 8192"},
    {REQ("{\"op\":\"scale\",\"height\":8193}"), "operations[0].height: must be -1 or between 2 and 8192"},
    {REQ("{\"op\":\"scale\"}"), "operations[0]: one of width, height must be > 0"},
    {REQ("{\"op\":\"scale\",\"width\":-1,\"height\":-1}"), "operations[0]: one of width, height must be > 0"},
    {REQ("{\"op\":\"crop\",\"width\":0,\"height\":2}"), "operations[0].width: must be between 1 and 8192"},
    {REQ("{\"op\":\"crop\",\"width\":2}"), "operations[0].height: is required"},
    {REQ("{\"op\":\"crop\",\"width\":2,\"height\":2,\"x\":-3}"),
     "operations[0].x: must be between 0 and 8192"},
    {REQ("{\"op\":\"thumbnail\",\"at_ms\":-5}"), "operations[0].at_ms: must be >= 0"},
    {REQ("{\"op\":\"thumbnail\",\"at_ms\":5,\"width\":1}"),
     "operations[0].width: must be 0 or between 2 and 8192"},
    {REQ("{\"op\":\"thumbnail\",\"at_ms\":5,\"output_uri\":\"\"}"),
     "operations[0].output_uri: must not be empty"},
    {REQ("{\"op\":\"trim\",\"end_ms\":99999999999999999999}"), NULL}, /* jansson refuses */
    /* numbers */
    {REQ("{\"op\":\"fps\",\"fps\":0.5}"), "operations[0].fps: must be between 1 and 120"},
    {REQ("{\"op\":\"fps\",\"fps\":121}"), "operations[0].fps: must be between 1 and 120"},
    {REQ("{\"op\":\"fps\",\"fps\":true}"), "operations[0].fps: must be a number"},
    {REQ("{\"op\":\"fps\"}"), "operations[0].fps: is required"},
    {REQ("{\"op\":\"speed\",\"factor\":0.2}"), "operations[0].factor: must be between 0.25 and 4"},
    {REQ("{\"op\":\"speed\",\"factor\":4.01}"), "operations[0].factor: must be between 0.25 and 4"},
    {REQ("{\"op\":\"normalize_audio\",\"target_lufs\":-71}"),
     "operations[0].target_lufs: must be between -70 and -5"},
    {REQ("{\"op\":\"normalize_audio\",\"true_peak_db\":0.5}"),
     "operations[0].true_peak_db: must be between -9 and 0"},
};

static void test_each_error_names_its_field(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_requests / sizeof bad_requests[0]; i++) {
        const bad_case *c = &bad_requests[i];
        json_t *j = json_loads(c->json, JSON_ALLOW_NUL, NULL);
        if (!c->message) { /* input the JSON layer itself must refuse */
            assert_null(j);
            continue;
        }
        if (!j) fail_msg("case %zu: test JSON does not parse", i);
        cf_clip_processing_request r;
        cf_error err;
        cf_error_clear(&err);
        cf_err rc = cf_clip_processing_request_from_json(j, &r, &err);
        if (rc != CF_ERR_INVALID_ARGUMENT || strcmp(err.msg, c->message) != 0)
            fail_msg("case %zu %s: got rc %d \"%s\", want \"%s\"", i, c->json, rc, err.msg, c->message);
        assert_null(r.operations); /* left freed and zeroed */
        assert_null(r.clip_id);
        json_decref(j);
    }
}

static void test_nested_path_prefix(void **state) {
    (void)state;
    json_t *j = json_loads(REQ("{\"op\":\"blur\"}"), 0, NULL);
    cf_clip_processing_request r;
    cf_error err;
    assert_int_equal(cf_clip_processing_request_from_json_at(j, "request", &r, &err),
                     CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "request.operations[0]: unknown op 'blur'");
    json_decref(j);
}

/* A path longer than a message can hold is cut at CFD_PATH_MAX - 1 (255) bytes, never overflowed. */
static void test_long_path_is_cut(void **state) {
    (void)state;
    char prefix[300];
    memset(prefix, 'p', sizeof prefix - 1);
    prefix[sizeof prefix - 1] = '\0';
    json_t *j = json_loads(REQ("{\"op\":\"blur\"}"), 0, NULL);
    cf_clip_processing_request r;
    cf_error err;
    assert_int_equal(cf_clip_processing_request_from_json_at(j, prefix, &r, &err), CF_ERR_INVALID_ARGUMENT);
    char want[400];
    snprintf(want, sizeof want, "%.255s: unknown op 'blur'", prefix);
    assert_string_equal(err.msg, want);
    json_decref(j);
}

static void test_hostile_echo_is_bounded_and_sanitized(void **state) {
    (void)state;
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[3] = '\n';
    json_t *j = json_pack("{s:s,s:s,s:[{s:s}]}", "clip_id", "c", "source_uri", "s", "operations", "op", big);
    cf_clip_processing_request r;
    cf_error err;
    assert_int_equal(cf_clip_processing_request_from_json(j, &r, &err), CF_ERR_INVALID_ARGUMENT);
    assert_true(strlen(err.msg) < 120);
    assert_null(strchr(err.msg, '\n'));
    assert_non_null(strstr(err.msg, "operations[0]: unknown op 'xxx?xxx"));
    json_decref(j);
}

static void test_long_strings_and_many_items_are_refused(void **state) {
    (void)state;
    char *uri = malloc(4098);
    memset(uri, 'u', 4097);
    uri[4097] = '\0';
    json_t *j = json_pack("{s:s,s:s}", "clip_id", "c", "source_uri", uri);
    cf_clip_processing_request r;
    cf_error err;
    assert_int_equal(cf_clip_processing_request_from_json(j, &r, &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "source_uri: must be at most 4096 characters");
    json_decref(j);
    uri[4096] = '\0'; /* exactly at the limit: accepted */
    j = json_pack("{s:s,s:s}", "clip_id", "c", "source_uri", uri);
    assert_int_equal(cf_clip_processing_request_from_json(j, &r, &err), CF_OK);
    cf_clip_processing_request_free(&r);
    json_decref(j);
    free(uri);

    /* 4 two-byte characters count as 4, not 8 */
    j = json_pack("{s:s,s:s}", "clip_id", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "source_uri", "s");
    assert_int_equal(cf_clip_processing_request_from_json(j, &r, &err), CF_OK);
    cf_clip_processing_request_free(&r);
    json_decref(j);

    json_t *ops = json_array();
    for (int i = 0; i < 100000; i++) json_array_append_new(ops, json_pack("{s:s}", "op", "mute"));
    j = json_pack("{s:s,s:s,s:o}", "clip_id", "c", "source_uri", "s", "operations", ops);
    assert_int_equal(cf_clip_processing_request_from_json(j, &r, &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "operations: must have at most 64 items");
    json_decref(j);
}

static void test_deep_input_is_refused_before_parsing(void **state) {
    (void)state;
    /* Deep nesting is stopped by the bounded parser; whatever gets through is a type error. */
    size_t n = 200000;
    char *text = malloc(2 * n + 64);
    int head = sprintf(text, "{\"clip_id\":\"c\",\"source_uri\":\"s\",\"operations\":");
    memset(text + head, '[', n);
    memset(text + head + n, ']', n);
    strcpy(text + head + 2 * n, "}");
    cf_error err;
    assert_null(cf_json_parse(text, strlen(text), 64, &err));
    assert_int_equal(err.code, CF_ERR_TOO_LARGE);
    free(text);
    json_t *j = json_loads(REQ("[[[[[{\"op\":\"mute\"}]]]]]"), 0, NULL);
    cf_clip_processing_request r;
    assert_int_equal(cf_clip_processing_request_from_json(j, &r, &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "operations[0]: must be an object");
    json_decref(j);
}

static void test_failure_halfway_frees_everything(void **state) {
    (void)state;
    /* Strings and arrays are allocated before the last operation fails: ASan reports any leak. */
    const char *text = "{\"clip_id\":\"c\",\"source_uri\":\"s\",\"operations\":["
                       "{\"op\":\"thumbnail\",\"at_ms\":1,\"output_uri\":\"file:///a.jpg\"},"
                       "{\"op\":\"thumbnail\",\"at_ms\":2,\"output_uri\":\"file:///b.jpg\"},"
                       "{\"op\":\"thumbnail\",\"at_ms\":3,\"output_uri\":\"file:///c.jpg\",\"width\":1}]}";
    json_t *j = json_loads(text, 0, NULL);
    cf_clip_processing_request r;
    cf_error err;
    assert_int_equal(cf_clip_processing_request_from_json(j, &r, &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "operations[2].width: must be 0 or between 2 and 8192");
    assert_null(r.operations);
    assert_null(r.clip_id);
    json_decref(j);

    text = "{\"clip_id\":\"c\",\"output_uri\":\"o\",\"processing_time_ms\":1,\"artifacts\":["
           "{\"kind\":\"video\",\"uri\":\"u\",\"mime\":\"video/mp4\",\"bytes\":1,\"video_codec\":\"h264\"},"
           "{\"kind\":\"video\",\"uri\":\"u\",\"mime\":\"video/mp4\",\"bytes\":-1}]}";
    j = json_loads(text, 0, NULL);
    cf_clip_processing_result res;
    assert_int_equal(cf_clip_processing_result_from_json(j, &res, &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "artifacts[1].bytes: must be >= 0");
    json_decref(j);
}

static void test_null_input_and_output(void **state) {
    (void)state;
    cf_clip_processing_request r;
    cf_error err;
    assert_int_equal(cf_clip_processing_request_from_json(NULL, &r, &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "(root): must be an object");
    json_t *j = json_loads("{}", 0, NULL);
    assert_int_equal(cf_clip_processing_request_from_json(j, NULL, &err), CF_ERR_INVALID_ARGUMENT);
    json_decref(j);
    assert_null(cf_clip_processing_request_to_json(NULL));
    cf_clip_processing_request_free(NULL);
}

/* A member that may be null ("type": ["boolean", "null"]): null is kept apart from false and
 * from absent, and written back as null. */
static void test_null_member_is_neither_false_nor_absent(void **state) {
    (void)state;
    static const char *const base =
        "{\"name\":\"f\",\"source\":\"store\",\"setting\":\"25%%\",\"subject\":\"media\"%s}";
    const struct {
        const char *on;   /* the "on" member, or "" for none */
        const char *want; /* err.msg, or NULL when it parses */
        bool null_on, on_value;
    } cases[] = {
        {",\"on\":null", NULL, true, false},
        {",\"on\":false", NULL, false, false},
        {",\"on\":true", NULL, false, true},
        {",\"on\":\"null\"", "on: must be a boolean", false, false},
        {",\"on\":0", "on: must be a boolean", false, false},
        {"", "on: is required", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, base, cases[i].on);
        json_t *j = json_loads(text, 0, NULL);
        assert_non_null(j);
        cf_flag f;
        cf_error err;
        cf_err rc = cf_flag_from_json(j, &f, &err);
        if (cases[i].want) {
            if (rc != CF_ERR_INVALID_ARGUMENT || strcmp(err.msg, cases[i].want) != 0)
                fail_msg("%s: got rc %d \"%s\", want \"%s\"", text, rc, err.msg, cases[i].want);
            json_decref(j);
            continue;
        }
        if (rc != CF_OK) fail_msg("%s: %s", text, err.msg);
        assert_int_equal(f.null_on, cases[i].null_on);
        assert_int_equal(f.on, cases[i].on_value);
        json_t *back = cf_flag_to_json(&f);
        assert_non_null(back);
        assert_true(json_equal(back, j)); /* null stays null, false stays false */
        json_decref(back);
        cf_flag_free(&f);
        json_decref(j);
    }
    /* built in C: null_on wins over on */
    cf_flag f;
    cf_flag_init(&f);
    f.name = "n";
    f.setting = "on";
    f.on = true;
    f.null_on = true;
    json_t *o = cf_flag_to_json(&f);
    assert_true(json_is_null(json_object_get(o, "on")));
    json_decref(o);
}

/* An optional member that may be null has three states: absent, null, a value. */
static void test_optional_null_member_has_three_states(void **state) {
    (void)state;
    const struct {
        const char *json;
        bool has, null;
        int64_t value;
    } cases[] = {
        {"{}", false, false, 0},
        {"{\"concurrent_jobs\":null}", true, true, 0},
        {"{\"concurrent_jobs\":0}", true, false, 0},
        {"{\"concurrent_jobs\":7}", true, false, 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = json_loads(cases[i].json, 0, NULL);
        cf_quota_update u;
        cf_error err;
        if (cf_quota_update_from_json(j, &u, &err)) fail_msg("%s: %s", cases[i].json, err.msg);
        assert_int_equal(u.has_concurrent_jobs, cases[i].has);
        assert_int_equal(u.null_concurrent_jobs, cases[i].null);
        assert_int_equal(u.concurrent_jobs, cases[i].value);
        json_t *back = cf_quota_update_to_json(&u);
        if (!json_equal(back, j)) fail_msg("%s came back as %s", cases[i].json, json_dumps(back, 0));
        json_decref(back);
        cf_quota_update_free(&u);
        json_decref(j);
    }
    json_t *j = json_loads("{\"concurrent_jobs\":-1}", 0, NULL);
    cf_quota_update u;
    cf_error err;
    assert_int_equal(cf_quota_update_from_json(j, &u, &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "concurrent_jobs: must be >= 0");
    json_decref(j);
}

/* minProperties / maxProperties: a FlagUpdate is exactly one of enabled or percent. */
static void test_member_counts_are_checked(void **state) {
    (void)state;
    const bad_case cases[] = {
        {"{}", "(root): must have at least 1 member"},
        {"{\"enabled\":true,\"percent\":5}", "(root): must have at most 1 member"},
        {"{\"percent\":101}", "percent: must be between 0 and 100"},
        {"{\"enabled\":true}", NULL},
        {"{\"percent\":0}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = json_loads(cases[i].json, 0, NULL);
        cf_flag_update u;
        cf_error err;
        cf_err rc = cf_flag_update_from_json(j, &u, &err);
        if (cases[i].message ? rc != CF_ERR_INVALID_ARGUMENT || strcmp(err.msg, cases[i].message) != 0
                             : rc != CF_OK)
            fail_msg("%s: got rc %d \"%s\", want \"%s\"", cases[i].json, rc, rc ? err.msg : "",
                     cases[i].message ? cases[i].message : "ok");
        if (!rc) assert_int_equal(u.has_enabled + u.has_percent, 1);
        cf_flag_update_free(&u);
        json_decref(j);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_error_names_its_field),
        cmocka_unit_test(test_nested_path_prefix),
        cmocka_unit_test(test_long_path_is_cut),
        cmocka_unit_test(test_hostile_echo_is_bounded_and_sanitized),
        cmocka_unit_test(test_long_strings_and_many_items_are_refused),
        cmocka_unit_test(test_deep_input_is_refused_before_parsing),
        cmocka_unit_test(test_failure_halfway_frees_everything),
        cmocka_unit_test(test_null_input_and_output),
        cmocka_unit_test(test_null_member_is_neither_false_nor_absent),
        cmocka_unit_test(test_member_counts_are_checked),
        cmocka_unit_test(test_optional_null_member_has_three_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

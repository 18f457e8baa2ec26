/* Service, highlight and transcript types: round trips, free-form members, date-times, nested
 * optional objects, numbers-only maps, cross-field rules, and leak-free failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/domain/types.h"
/* The domain header must coexist with every shared header (no clashing names). */
#include "clipforge/bus.h"
#include "clipforge/json.h"
#include "clipforge/storage.h"
#include "clipforge/store.h"

static json_t *parse(const char *text) {
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j) fail_msg("bad test JSON: %s (%s)", jerr.text, text);
    return j;
}

static const char *or_input(const char *want, const char *in) {
    return want ? want : in;
}

/* Runs FROM/TO/FREE of one type on `in`; compares the output with `want` (NULL: with `in`). */
#define ROUND_TRIP(type, in, want)                                                                           \
    do {                                                                                                     \
        json_t *j_ = parse(in), *w_ = parse(or_input(want, in));                                             \
        cf_##type v_;                                                                                        \
        cf_error e_;                                                                                         \
        if (cf_##type##_from_json(j_, &v_, &e_) != CF_OK) fail_msg("%s", e_.msg);                            \
        json_t *b_ = cf_##type##_to_json(&v_);                                                               \
        if (!json_equal(b_, w_)) fail_msg("got %s", json_dumps(b_, JSON_SORT_KEYS));                         \
        json_decref(b_);                                                                                     \
        json_decref(w_);                                                                                     \
        json_decref(j_);                                                                                     \
        cf_##type##_free(&v_);                                                                               \
    } while (0)

/* Expects FROM of one type to fail on `in` with exactly `msg`. */
#define REJECTS(type, in, expected)                                                                          \
    do {                                                                                                     \
        json_t *j_ = parse(in);                                                                              \
        cf_##type v_;                                                                                        \
        cf_error e_;                                                                                         \
        cf_err rc_ = cf_##type##_from_json(j_, &v_, &e_);                                                    \
        if (rc_ != CF_ERR_INVALID_ARGUMENT || strcmp(e_.msg, expected) != 0)                                 \
            fail_msg("%s: got %d \"%s\", want \"%s\"", in, rc_, e_.msg, expected);                           \
        json_decref(j_);                                                                                     \
    } while (0)

#define JOB_HEAD                                                                                             \
    "\"id\":\"j1\",\"kind\":\"clip_processing\",\"created_at\":\"2026-11-24T18:49:33Z\","                    \
    "\"updated_at\":\"2026-11-24T18:49:34.250+01:00\""

static void test_job_round_trips_with_nested_problem(void **state) {
    (void)state;
    ROUND_TRIP(job,
               "{" JOB_HEAD ",\"status\":\"failed\",\"stage\":\"encode\",\"progress\":0.5,"
               "\"attempts\":3,\"request\":{\"clip_id\":\"c\",\"deep\":[1,[2,{\"x\":null}]]},"
               "\"error\":{\"type\":\"https://clipforge.dev/problems/invalid-media\","
               "\"title\":\"Invalid media\",\"status\":422,\"detail\":\"moov atom not found\","
               "\"instance\":\"/v1/jobs/j1\",\"errors\":[{\"field\":\"request.source_uri\","
               "\"message\":\"not a video\"}]}}",
               NULL);
    ROUND_TRIP(job, "{" JOB_HEAD ",\"status\":\"queued\",\"request\":{}}",
               "{" JOB_HEAD ",\"status\":\"queued\",\"progress\":0,\"attempts\":0,\"request\":{}}");
    ROUND_TRIP(job,
               "{" JOB_HEAD ",\"status\":\"succeeded\",\"progress\":1,\"attempts\":1,"
               "\"request\":{},\"result\":{\"clip_id\":\"c\"},\"error\":{\"title\":\"t\",\"status\":500}}",
               "{" JOB_HEAD ",\"status\":\"succeeded\",\"progress\":1,\"attempts\":1,"
               "\"request\":{},\"result\":{\"clip_id\":\"c\"},"
               "\"error\":{\"type\":\"about:blank\",\"title\":\"t\",\"status\":500}}");
}

static void test_job_members_are_typed(void **state) {
    (void)state;
    json_t *j = parse("{" JOB_HEAD ",\"status\":\"cancelled\",\"request\":{\"a\":1},"
                      "\"error\":{\"title\":\"Cancelled\",\"status\":409}}");
    cf_job job;
    cf_error err;
    assert_int_equal(cf_job_from_json(j, &job, &err), CF_OK);
    assert_int_equal(job.kind, CF_JOB_KIND_CLIP_PROCESSING);
    assert_int_equal(job.status, CF_JOB_STATE_CANCELLED);
    assert_null(job.stage);
    assert_null(job.result);
    assert_non_null(job.error);
    assert_int_equal(job.error->status, 409);
    assert_string_equal(job.error->type, "about:blank");
    assert_int_equal(json_integer_value(json_object_get(job.request, "a")), 1);
    json_decref(j); /* the job keeps its own reference to request */
    assert_int_equal(json_integer_value(json_object_get(job.request, "a")), 1);
    cf_job_free(&job);
    assert_null(job.error);
}

static void test_job_rejections(void **state) {
    (void)state;
    REJECTS(job, "{" JOB_HEAD ",\"status\":\"paused\",\"request\":{}}",
            "status: must be one of queued, running, succeeded, failed, cancelled");
    REJECTS(job, "{" JOB_HEAD ",\"status\":\"queued\",\"request\":[]}", "request: must be an object");
    REJECTS(job, "{" JOB_HEAD ",\"status\":\"queued\"}", "request: is required");
    REJECTS(job, "{" JOB_HEAD ",\"status\":\"queued\",\"request\":{},\"progress\":1.5}",
            "progress: must be between 0 and 1");
    REJECTS(job,
            "{" JOB_HEAD ",\"status\":\"queued\",\"request\":{},\"error\":{\"title\":\"t\","
            "\"status\":99,\"errors\":[{\"field\":\"f\",\"message\":\"\"}]}}",
            "error.status: must be between 100 and 599");
    REJECTS(job,
            "{" JOB_HEAD ",\"status\":\"queued\",\"request\":{},\"error\":{\"title\":\"t\","
            "\"status\":400,\"errors\":[{\"field\":\"f\",\"message\":\"m\"},{\"field\":\"f\"}]}}",
            "error.errors[1].message: is required");
    REJECTS(job_create, "{\"kind\":\"clip\",\"request\":{}}",
            "kind: must be one of clip_processing, highlight_detection, transcription, render, "
            "autoclip, noop");
    REJECTS(job_create, "{\"kind\":\"render\",\"request\":{},\"priority\":1}", "priority: unknown field");
}

static void test_date_times_are_checked(void **state) {
    (void)state;
    const char *good[] = {"2026-01-31T12:00:00Z",      "2026-01-31t12:00:00z", "2026-12-31T23:59:60.123456Z",
                          "2026-01-31T12:00:00-05:30", "2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z"};
    const char *bad[] = {"2026-01-31",
                         "2026-13-01T00:00:00Z",
                         "2026-01-31T24:00:00Z",
                         "2026-01-31T12:00:00",
                         "2026-01-31T12:00:00.Z",
                         "2026-01-31T12:00:00+0100",
                         "yesterday",
                         "2026-01-31T12:00:00Z trailing",
                         "2026-02-29T00:00:00Z",
                         "2100-02-29T00:00:00Z",
                         "2026-04-31T00:00:00Z"};
    char text[256];
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        snprintf(text, sizeof text, "{\"id\":1,\"type\":\"JobFailed\",\"job_id\":\"j\",\"at\":\"%s\"}",
                 good[i]);
        ROUND_TRIP(event, text, NULL);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(text, sizeof text, "{\"id\":1,\"type\":\"JobFailed\",\"job_id\":\"j\",\"at\":\"%s\"}",
                 bad[i]);
        REJECTS(event, text, "at: must be an RFC 3339 date-time (e.g. 2026-01-31T12:00:00Z)");
    }
}

static void test_event_and_media(void **state) {
    (void)state;
    ROUND_TRIP(event,
               "{\"id\":42,\"type\":\"JobProgressed\",\"job_id\":\"j\",\"at\":\"2026-01-01T00:00:00Z\","
               "\"data\":{\"progress\":0.25,\"stage\":\"encode\"}}",
               NULL);
    REJECTS(event, "{\"id\":0,\"type\":\"JobProgressed\",\"job_id\":\"j\",\"at\":\"2026-01-01T00:00:00Z\"}",
            "id: must be >= 1");
    REJECTS(event, "{\"id\":1,\"type\":\"jobprogressed\",\"job_id\":\"j\",\"at\":\"2026-01-01T00:00:00Z\"}",
            "type: must be one of JobRequested, JobProgressed, JobCompleted, JobFailed, JobCancelled");
    assert_string_equal(cf_event_type_to_string(CF_EVENT_TYPE_JOB_CANCELLED), "JobCancelled");
    ROUND_TRIP(media,
               "{\"id\":\"m_1\",\"uri\":\"media://m_1\",\"filename\":\"talk.mp4\","
               "\"mime\":\"video/mp4\",\"bytes\":123456,\"created_at\":\"2026-01-01T00:00:00Z\","
               "\"probe\":{\"duration_ms\":1000,\"streams\":[]}}",
               NULL);
    REJECTS(media, "{\"id\":\"m_1\",\"uri\":\"u\",\"bytes\":-1,\"created_at\":\"2026-01-01T00:00:00Z\"}",
            "bytes: must be >= 0");
}

static void test_free_form_members_are_bounded(void **state) {
    (void)state;
    /* 40 levels of nesting inside Job.request: over the free-form limit of 32. */
    char text[512];
    int n = snprintf(text, sizeof text, "{\"kind\":\"render\",\"request\":");
    for (int i = 0; i < 40; i++) text[n++] = '[';
    for (int i = 0; i < 40; i++) text[n++] = ']';
    snprintf(text + n, sizeof text - n, "}");
    /* the request itself must be an object; nest inside one */
    char wrapped[600];
    snprintf(wrapped, sizeof wrapped, "{\"kind\":\"render\",\"request\":{\"x\":%s}}",
             text + strlen("{\"kind\":\"render\",\"request\":"));
    wrapped[strlen(wrapped) - 1] = '\0';
    REJECTS(job_create, wrapped, "request: must not nest deeper than 32 levels");
    json_t *big = json_object();
    char key[16];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_object_set_new(big, key, json_integer(i));
    }
    json_t *j = json_pack("{s:s,s:o}", "kind", "render", "request", big);
    cf_job_create jc;
    cf_error err;
    assert_int_equal(cf_job_create_from_json(j, &jc, &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "request: must have at most 256 members");
    json_decref(j);
}

static void test_highlight_types(void **state) {
    (void)state;
    ROUND_TRIP(highlight_detection_request, "{\"clip_id\":\"c\",\"media_uri\":\"file:///a.mp4\"}",
               "{\"clip_id\":\"c\",\"media_uri\":\"file:///a.mp4\",\"detection_profile\":\"generic\","
               "\"subtitles\":true}");
    ROUND_TRIP(highlight_detection_request,
               "{\"clip_id\":\"c\",\"media_uri\":\"m\",\"model_version\":\"v3\","
               "\"detection_profile\":\"sports\",\"top_n\":5,\"subtitles\":false}",
               NULL);
    REJECTS(highlight_detection_request, "{\"clip_id\":\"c\",\"media_uri\":\"m\",\"top_n\":0}",
            "top_n: must be between 1 and 100");
    REJECTS(highlight_detection_request,
            "{\"clip_id\":\"c\",\"media_uri\":\"m\",\"detection_profile\":\"news\"}",
            "detection_profile: must be one of generic, podcast, sports, gaming, lecture, music");
    const char *result =
        "{\"clip_id\":\"c\",\"highlights\":[{\"start_ms\":1000,\"end_ms\":5000,\"score\":0.9,"
        "\"label\":\"crowd\",\"reasons\":[\"loud\",\"cheering\"]},{\"start_ms\":9000,\"end_ms\":"
        "9500,\"score\":0,\"label\":\"speech\",\"reasons\":[]}],\"model_version\":\"heuristic-1\","
        "\"engine\":\"heuristic\",\"inference_ms\":120,\"confidence_summary\":{\"mean\":0.45,"
        "\"max\":0.9,\"p90\":0.85,\"coverage\":0.1},\"audio_events\":[],\"notes\":[]}";
    ROUND_TRIP(highlight_detection_result, result, NULL);
    json_t *j = parse(result);
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(cf_highlight_detection_result_from_json(j, &r, &err), CF_OK);
    assert_int_equal(r.n_highlights, 2);
    assert_int_equal(r.highlights[0].n_reasons, 2);
    assert_string_equal(r.highlights[0].reasons[1], "cheering");
    assert_int_equal(r.highlights[1].n_reasons, 0);
    cf_highlight_detection_result_free(&r);
    json_decref(j);
    REJECTS(highlight_detection_result,
            "{\"clip_id\":\"c\",\"model_version\":\"v\",\"engine\":\"e\",\"inference_ms\":1,"
            "\"confidence_summary\":{\"mean\":\"high\"}}",
            "confidence_summary.mean: must be a number");
    REJECTS(highlight_detection_result,
            "{\"clip_id\":\"c\",\"model_version\":\"v\",\"engine\":\"e\",\"inference_ms\":1,"
            "\"highlights\":[{\"start_ms\":5,\"end_ms\":9,\"score\":1.2,\"label\":\"x\"}]}",
            "highlights[0].score: must be between 0 and 1");
    REJECTS(highlight_detection_result,
            "{\"clip_id\":\"c\",\"model_version\":\"v\",\"engine\":\"e\",\"inference_ms\":1,"
            "\"highlights\":[{\"start_ms\":5,\"end_ms\":9,\"score\":1,\"label\":\"x\","
            "\"reasons\":[\"a\",\"\"]}]}",
            "highlights[0].reasons[1]: must not be empty");
    REJECTS(highlight_detection_result,
            "{\"clip_id\":\"c\",\"model_version\":\"v\",\"engine\":\"e\",\"inference_ms\":1,"
            "\"highlights\":[{\"start_ms\":5,\"end_ms\":9,\"score\":1,\"label\":\"x\","
            "\"reasons\":[\"a\"]},{\"start_ms\":9,\"end_ms\":9,\"score\":1,\"label\":\"x\"}]}",
            "highlights[1].end_ms: must be > start_ms");
}

static void test_transcript_types(void **state) {
    (void)state;
    ROUND_TRIP(transcription_request, "{\"clip_id\":\"c\",\"media_uri\":\"m\"}",
               "{\"clip_id\":\"c\",\"media_uri\":\"m\",\"language\":\"en-us\",\"subtitles\":false}");
    ROUND_TRIP(transcript,
               "{\"language\":\"en-us\",\"model\":\"pocketsphinx-en-us\",\"duration_ms\":3000,"
               "\"segments\":[{\"start_ms\":0,\"end_ms\":1200,\"text\":\"hello world\",\"words\":["
               "{\"word\":\"hello\",\"start_ms\":0,\"end_ms\":500,\"confidence\":0.93},"
               "{\"word\":\"world\",\"start_ms\":600,\"end_ms\":600,\"confidence\":1}]},"
               "{\"start_ms\":1500,\"end_ms\":1500,\"text\":\"\",\"words\":[]}]}",
               NULL);
    REJECTS(transcript,
            "{\"language\":\"en-us\",\"model\":\"m\",\"duration_ms\":3000,\"segments\":[{\"start_ms\":0,"
            "\"end_ms\":1200,\"text\":\"a b\",\"words\":[{\"word\":\"a\",\"start_ms\":0,\"end_ms\":500,"
            "\"confidence\":0.5},{\"word\":\"b\",\"start_ms\":600,\"end_ms\":599,\"confidence\":0.5}]}]}",
            "segments[0].words[1].end_ms: must be >= start_ms");
    REJECTS(transcript,
            "{\"language\":\"en-us\",\"model\":\"m\",\"duration_ms\":3000,\"segments\":[{\"start_ms\":0,"
            "\"end_ms\":1,\"text\":\"a\",\"words\":[{\"word\":\"a\",\"start_ms\":0,\"end_ms\":1,"
            "\"confidence\":-0.1}]}]}",
            "segments[0].words[0].confidence: must be between 0 and 1");
    REJECTS(transcription_request, "{\"clip_id\":\"c\",\"media_uri\":\"m\",\"language\":\"\"}",
            "language: must not be empty");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_round_trips_with_nested_problem),
        cmocka_unit_test(test_job_members_are_typed),
        cmocka_unit_test(test_job_rejections),
        cmocka_unit_test(test_date_times_are_checked),
        cmocka_unit_test(test_event_and_media),
        cmocka_unit_test(test_free_form_members_are_bounded),
        cmocka_unit_test(test_highlight_types),
        cmocka_unit_test(test_transcript_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

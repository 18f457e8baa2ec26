/* The job lifecycle rules every store backend follows: the event of each change with its exact
 * payload, the outcome of a run, the outcome of an expired lease, and the problems the
 * lifecycle records. Payloads are compared byte for byte: they are the wire format of
 * GET /v1/events (a job without a parent says "parent_id":null). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "clipforge/domain/job_lifecycle.h"
#include "clipforge/domain/problem.h"

static cf_job_record job(cf_job_state status) {
    return (cf_job_record){.id = "j1",
                           .kind = "clip_processing",
                           .status = status,
                           .stage = "encode",
                           .progress = 0.5,
                           .attempts = 2,
                           .max_attempts = 3};
}

/* Asserts the event of change c on j: its type and its data, byte for byte. */
static void assert_event(cf_job_change c, const cf_job_record *j, int64_t retry_at, const char *want_type,
                         const char *want_data) {
    const char *type = NULL;
    char *data = NULL;
    cf_error err;
    if (cf_job_event(c, j, retry_at, &type, &data, &err) != CF_OK) fail_msg("%s", err.msg);
    assert_string_equal(type, want_type);
    assert_string_equal(data, want_data);
    free(data);
}

static void test_final_event_of_each_terminal_state(void **state) {
    (void)state;
    assert_string_equal(cf_job_final_event(CF_JOB_STATE_SUCCEEDED), "JobCompleted");
    assert_string_equal(cf_job_final_event(CF_JOB_STATE_FAILED), "JobFailed");
    assert_string_equal(cf_job_final_event(CF_JOB_STATE_CANCELLED), "JobCancelled");
    assert_null(cf_job_final_event(CF_JOB_STATE_QUEUED));
    assert_null(cf_job_final_event(CF_JOB_STATE_RUNNING));
    assert_null(cf_job_final_event(CF_JOB_STATE_COUNT));
}

static void test_requested_and_progress_events_carry_the_snapshot_only(void **state) {
    (void)state;
    cf_job_record q = job(CF_JOB_STATE_QUEUED);
    q.stage = "queued";
    q.progress = 0;
    q.attempts = 0;
    assert_event(CF_JOB_CHANGE_REQUESTED, &q, 0, "JobRequested",
                 "{\"job_id\":\"j1\",\"kind\":\"clip_processing\",\"status\":\"queued\",\"stage\":\"queued\","
                 "\"progress\":0.0,\"attempts\":0,\"parent_id\":null}");
    cf_job_record r = job(CF_JOB_STATE_RUNNING);
    r.parent_id = "p1";
    const char *running = "{\"job_id\":\"j1\",\"kind\":\"clip_processing\",\"status\":\"running\","
                          "\"stage\":\"encode\",\"progress\":0.5,\"attempts\":2,\"parent_id\":\"p1\"}";
    assert_event(CF_JOB_CHANGE_LEASED, &r, 0, "JobProgressed", running);
    assert_event(CF_JOB_CHANGE_PROGRESSED, &r, 0, "JobProgressed", running);
}

static void test_requeued_event_is_a_retryable_failure_with_its_time(void **state) {
    (void)state;
    cf_job_record j = job(CF_JOB_STATE_QUEUED);
    j.stage = "retrying";
    j.error = "{\"title\":\"Processing failed\",\"status\":500}";
    assert_event(
        CF_JOB_CHANGE_REQUEUED, &j, 1234567, "JobFailed",
        "{\"job_id\":\"j1\",\"kind\":\"clip_processing\",\"status\":\"queued\",\"stage\":\"retrying\","
        "\"progress\":0.5,\"attempts\":2,\"parent_id\":null,\"error\":{\"title\":\"Processing "
        "failed\",\"status\":500},"
        "\"retryable\":true,\"retry_at\":1234567}");
}

static void test_released_and_retried_events_are_requests_again(void **state) {
    (void)state;
    cf_job_record j = job(CF_JOB_STATE_QUEUED);
    j.stage = "queued";
    assert_event(CF_JOB_CHANGE_RELEASED, &j, 0, "JobRequested",
                 "{\"job_id\":\"j1\",\"kind\":\"clip_processing\",\"status\":\"queued\",\"stage\":\"queued\","
                 "\"progress\":0.5,\"attempts\":2,\"parent_id\":null,\"released\":true}");
    assert_event(CF_JOB_CHANGE_RETRIED, &j, 0, "JobRequested",
                 "{\"job_id\":\"j1\",\"kind\":\"clip_processing\",\"status\":\"queued\",\"stage\":\"queued\","
                 "\"progress\":0.5,\"attempts\":2,\"parent_id\":null,\"retry\":true}");
}

static void test_finished_events_by_final_status(void **state) {
    (void)state;
    cf_job_record ok = job(CF_JOB_STATE_SUCCEEDED);
    ok.progress = 1;
    ok.result = "{\"clip_id\":\"c1\"}";
    assert_event(
        CF_JOB_CHANGE_FINISHED, &ok, 0, "JobCompleted",
        "{\"job_id\":\"j1\",\"kind\":\"clip_processing\",\"status\":\"succeeded\",\"stage\":\"encode\","
        "\"progress\":1.0,\"attempts\":2,\"parent_id\":null,\"result\":{\"clip_id\":\"c1\"}}");
    cf_job_record failed = job(CF_JOB_STATE_FAILED);
    failed.error = "{\"title\":\"x\",\"status\":422}";
    failed.result = "{\"ignored\":true}"; /* only a success shows its result */
    assert_event(
        CF_JOB_CHANGE_FINISHED, &failed, 99, "JobFailed",
        "{\"job_id\":\"j1\",\"kind\":\"clip_processing\",\"status\":\"failed\",\"stage\":\"encode\","
        "\"progress\":0.5,\"attempts\":2,\"parent_id\":null,\"error\":{\"title\":\"x\",\"status\":422},"
        "\"retryable\":false}");
    cf_job_record cancelled = job(CF_JOB_STATE_CANCELLED);
    assert_event(
        CF_JOB_CHANGE_FINISHED, &cancelled, 0, "JobCancelled",
        "{\"job_id\":\"j1\",\"kind\":\"clip_processing\",\"status\":\"cancelled\",\"stage\":\"encode\","
        "\"progress\":0.5,\"attempts\":2,\"parent_id\":null}");
}

static void test_unreadable_stored_json_becomes_null(void **state) {
    (void)state;
    cf_job_record j = job(CF_JOB_STATE_SUCCEEDED);
    j.error = "not json";
    assert_event(
        CF_JOB_CHANGE_FINISHED, &j, 0, "JobCompleted",
        "{\"job_id\":\"j1\",\"kind\":\"clip_processing\",\"status\":\"succeeded\",\"stage\":\"encode\","
        "\"progress\":0.5,\"attempts\":2,\"parent_id\":null,\"result\":null,\"error\":null}");
}

static void test_finished_event_needs_a_final_status(void **state) {
    (void)state;
    cf_job_record j = job(CF_JOB_STATE_RUNNING);
    const char *type = "x";
    char *data = NULL;
    cf_error err;
    assert_int_equal(cf_job_event(CF_JOB_CHANGE_FINISHED, &j, 0, &type, &data, &err),
                     CF_ERR_INVALID_ARGUMENT);
    assert_null(type);
    assert_null(data);
    assert_non_null(strstr(err.msg, "running"));
    assert_int_equal(cf_job_event(CF_JOB_CHANGE_COUNT, &j, 0, &type, &data, &err), CF_ERR_INVALID_ARGUMENT);
}

static cf_err change_of(cf_job_state s, int64_t retry_at, cf_job_change *c) {
    cf_job_outcome o = {.status = s, .retry_at = retry_at};
    cf_error err;
    return cf_job_outcome_change("j1", &o, c, &err);
}

static void test_outcome_decides_the_change(void **state) {
    (void)state;
    cf_job_change c;
    assert_int_equal(change_of(CF_JOB_STATE_FAILED, 5000, &c), CF_OK);
    assert_int_equal(c, CF_JOB_CHANGE_REQUEUED);
    assert_int_equal(change_of(CF_JOB_STATE_FAILED, 0, &c), CF_OK);
    assert_int_equal(c, CF_JOB_CHANGE_FINISHED);
    assert_int_equal(change_of(CF_JOB_STATE_SUCCEEDED, 0, &c), CF_OK);
    assert_int_equal(c, CF_JOB_CHANGE_FINISHED);
    /* retry_at belongs to failures only: a cancelled run is final whatever it says. */
    assert_int_equal(change_of(CF_JOB_STATE_CANCELLED, 5000, &c), CF_OK);
    assert_int_equal(c, CF_JOB_CHANGE_FINISHED);
    assert_int_equal(change_of(CF_JOB_STATE_QUEUED, 0, &c), CF_OK);
    assert_int_equal(c, CF_JOB_CHANGE_RELEASED);
    assert_int_equal(change_of(CF_JOB_STATE_RUNNING, 0, &c), CF_ERR_INVALID_ARGUMENT);
    assert_int_equal(change_of(CF_JOB_STATE_COUNT, 0, &c), CF_ERR_INVALID_ARGUMENT);
}

/* Asserts that text is a problem with this type slug, title, status and detail, and no more. */
static void assert_problem(const char *text, const char *slug, const char *title, int status,
                           const char *detail) {
    json_t *p = json_loads(text, 0, NULL);
    assert_non_null(p);
    char type[128];
    snprintf(type, sizeof type, "https://clipforge.dev/problems/%s", slug);
    assert_string_equal(json_string_value(json_object_get(p, "type")), type);
    assert_string_equal(json_string_value(json_object_get(p, "title")), title);
    assert_int_equal(json_integer_value(json_object_get(p, "status")), status);
    assert_string_equal(json_string_value(json_object_get(p, "detail")), detail);
    assert_int_equal(json_object_size(p), 4);
    json_decref(p);
}

/* A detail quoting a file's bytes that are not UTF-8 (a damaged caption line) still makes a
 * problem: each such byte is '?', the characters around it kept (JSON text cannot hold them). */
static void test_problem_detail_that_is_not_utf8(void **state) {
    (void)state;
    const cf_problem_kind *k = cf_problem_find("validation");
    char *text = cf_problem_text(
        k, "line 2: '\xff\xfe caf\xc3\xa9 \xe2\x82\xac \xc0\xaf \xed\xa0\x80 \xf0\x9f\x8e\xac \xe2\x82 end");
    assert_non_null(text);
    assert_problem(text, "validation", "Request is not valid", 400,
                   "line 2: '?? caf\xc3\xa9 \xe2\x82\xac ?? ??? \xf0\x9f\x8e\xac ?? end");
    free(text);
}

static void test_cancelled_problem_is_the_stored_text(void **state) {
    (void)state;
    char *p = cf_job_cancelled_problem();
    /* The exact text jobs cancelled before this module carry in their error. */
    assert_string_equal(p,
                        "{\"type\":\"https://clipforge.dev/problems/cancelled\",\"title\":\"Job cancelled\","
                        "\"status\":409,\"detail\":\"the job was cancelled on request\"}");
    free(p);
}

static void test_expired_lease_requeues_while_attempts_remain(void **state) {
    (void)state;
    cf_job_outcome o;
    char *error = NULL;
    cf_error err;
    assert_int_equal(cf_job_expired_outcome(1, 3, false, 10000, 250, &o, &error, &err), CF_OK);
    assert_int_equal(o.status, CF_JOB_STATE_FAILED);
    assert_int_equal(o.retry_at, 10250);
    assert_ptr_equal(o.error, error);
    assert_problem(error, "lease-expired", "Worker lost", 500,
                   "the worker running this job stopped renewing its lease");
    cf_job_change c;
    assert_int_equal(cf_job_outcome_change("j1", &o, &c, &err), CF_OK);
    assert_int_equal(c, CF_JOB_CHANGE_REQUEUED);
    free(error);
    /* At the clock's origin with no delay it is still a retry, not a final failure. */
    assert_int_equal(cf_job_expired_outcome(1, 3, false, 0, 0, &o, &error, &err), CF_OK);
    assert_true(o.retry_at > 0);
    free(error);
}

static void test_expired_lease_fails_when_attempts_are_spent(void **state) {
    (void)state;
    cf_job_outcome o;
    char *error = NULL;
    cf_error err;
    assert_int_equal(cf_job_expired_outcome(3, 3, false, 10000, 250, &o, &error, &err), CF_OK);
    assert_int_equal(o.status, CF_JOB_STATE_FAILED);
    assert_int_equal(o.retry_at, 0);
    assert_problem(error, "lease-expired", "Worker lost", 500,
                   "the worker running this job stopped renewing its lease");
    free(error);
}

static void test_expired_lease_with_cancel_request_is_cancelled(void **state) {
    (void)state;
    cf_job_outcome o;
    char *error = NULL;
    cf_error err;
    assert_int_equal(cf_job_expired_outcome(1, 3, true, 10000, 250, &o, &error, &err), CF_OK);
    assert_int_equal(o.status, CF_JOB_STATE_CANCELLED);
    assert_int_equal(o.retry_at, 0);
    assert_problem(error, "cancelled", "Job cancelled", 409, "the job was cancelled on request");
    free(error);
}

static void test_replay_needs_the_same_kind_and_request(void **state) {
    (void)state;
    cf_job_record earlier = job(CF_JOB_STATE_RUNNING);
    earlier.request = "{\"a\":1}";
    cf_job_new same = {.id = "j2", .kind = "clip_processing", .request = "{\"a\":1}", .idempotency_key = "k"};
    cf_error err;
    assert_int_equal(cf_job_replay(&earlier, &same, &err), CF_OK);
    cf_job_new other_request = same;
    other_request.request = "{\"a\":2}";
    assert_int_equal(cf_job_replay(&earlier, &other_request, &err), CF_ERR_CONFLICT);
    assert_string_equal(err.msg, "Idempotency-Key 'k' was used for a different request");
    cf_job_new other_kind = same;
    other_kind.kind = "render";
    assert_int_equal(cf_job_replay(&earlier, &other_kind, &err), CF_ERR_CONFLICT);
}

static void test_only_transient_errors_are_retried(void **state) {
    (void)state;
    const cf_err transient[] = {CF_ERR_IO, CF_ERR_UNAVAILABLE, CF_ERR_TIMEOUT, CF_ERR_NO_MEMORY,
                                CF_ERR_INTERNAL};
    for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++) {
        assert_true(cf_job_error_retryable(transient[i]));
        assert_int_equal(cf_job_retry_at(transient[i], 1, 3, 1000, 50000), 51000);
    }
    const cf_err lasting[] = {
        CF_OK,           CF_ERR_INVALID_ARGUMENT, CF_ERR_INVALID_MEDIA, CF_ERR_NOT_FOUND, CF_ERR_UNSUPPORTED,
        CF_ERR_CANCELLED};
    for (size_t i = 0; i < sizeof lasting / sizeof lasting[0]; i++) {
        assert_false(cf_job_error_retryable(lasting[i]));
        assert_int_equal(cf_job_retry_at(lasting[i], 1, 3, 1000, 50000), 0);
    }
}

static void test_retry_backoff_doubles_until_attempts_are_spent(void **state) {
    (void)state;
    assert_int_equal(cf_job_retry_at(CF_ERR_IO, 1, 4, 250, 10000), 10250);
    assert_int_equal(cf_job_retry_at(CF_ERR_IO, 2, 4, 250, 10000), 10500);
    assert_int_equal(cf_job_retry_at(CF_ERR_IO, 3, 4, 250, 10000), 11000);
    assert_int_equal(cf_job_retry_at(CF_ERR_IO, 4, 4, 250, 10000), 0);
    /* The exponent stops at 16, so a large budget cannot overflow the delay. */
    assert_int_equal(cf_job_retry_at(CF_ERR_IO, 40, 100, 1, 0), 65536);
    assert_int_equal(cf_job_retry_at(CF_ERR_IO, 17, 100, 1, 0), 65536);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_final_event_of_each_terminal_state),
        cmocka_unit_test(test_requested_and_progress_events_carry_the_snapshot_only),
        cmocka_unit_test(test_requeued_event_is_a_retryable_failure_with_its_time),
        cmocka_unit_test(test_released_and_retried_events_are_requests_again),
        cmocka_unit_test(test_finished_events_by_final_status),
        cmocka_unit_test(test_unreadable_stored_json_becomes_null),
        cmocka_unit_test(test_finished_event_needs_a_final_status),
        cmocka_unit_test(test_outcome_decides_the_change),
        cmocka_unit_test(test_cancelled_problem_is_the_stored_text),
        cmocka_unit_test(test_expired_lease_requeues_while_attempts_remain),
        cmocka_unit_test(test_expired_lease_fails_when_attempts_are_spent),
        cmocka_unit_test(test_expired_lease_with_cancel_request_is_cancelled),
        cmocka_unit_test(test_problem_detail_that_is_not_utf8),
        cmocka_unit_test(test_replay_needs_the_same_kind_and_request),
        cmocka_unit_test(test_only_transient_errors_are_retried),
        cmocka_unit_test(test_retry_backoff_doubles_until_attempts_are_spent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

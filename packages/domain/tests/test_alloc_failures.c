/* Allocation failures at every step of parsing and serializing. This program is linked with
 * -Wl,--wrap for malloc, calloc, realloc and strdup (so the library's own allocations can be made
 * to fail) and hooks jansson's allocator: for N = 1, 2, ... the Nth allocation fails, and each
 * call must then fail cleanly (CF_ERR_NO_MEMORY / NULL) with nothing leaked (ASan's leak check
 * at exit) until N passes the number of allocations a successful call makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/domain/types.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static long fail_at; /* 0: never fail */
static long calls;   /* allocations since the counter was armed */

static int should_fail(void) {
    return fail_at > 0 && ++calls == fail_at;
}

void *__wrap_malloc(size_t n) {
    return should_fail() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t size) {
    return should_fail() ? NULL : __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t n) {
    return should_fail() ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s) {
    return should_fail() ? NULL : __real_strdup(s);
}
static void *json_malloc(size_t n) {
    return should_fail() ? NULL : __real_malloc(n);
}
static void json_free(void *p) {
    free(p);
}

static void arm(long n) {
    fail_at = n;
    calls = 0;
}

static const char *const request_text =
    "{\"clip_id\":\"c1\",\"source_uri\":\"media://m\",\"target_format\":\"webm\",\"operations\":["
    "{\"op\":\"trim\",\"start_ms\":1,\"end_ms\":9},{\"op\":\"thumbnail\",\"at_ms\":1,"
    "\"output_uri\":\"file:///a.jpg\"},{\"op\":\"mute\"},{\"op\":\"thumbnail\",\"at_ms\":2,"
    "\"output_uri\":\"file:///b.jpg\"}]}";

static const char *const job_text =
    "{\"id\":\"j\",\"kind\":\"render\",\"status\":\"failed\",\"created_at\":\"2026-01-01T00:00:00Z\","
    "\"updated_at\":\"2026-01-01T00:00:00Z\",\"request\":{\"a\":[1,2]},\"error\":{\"title\":\"t\","
    "\"status\":500,\"detail\":\"d\",\"errors\":[{\"field\":\"f\",\"message\":\"m\"},"
    "{\"field\":\"g\",\"message\":\"n\"}]}}";

/* Parses text as type t with the Nth allocation failing, for every N until parsing succeeds
 * without hitting the failure; returns how many failure points were exercised. */
static long parse_under_failures(const cf_domain_type *t, const char *text) {
    json_t *in = json_loads(text, 0, NULL);
    assert_non_null(in);
    void *v = __real_calloc(1, t->size);
    long n = 1;
    for (;; n++) {
        cf_error err;
        arm(n);
        cf_err rc = t->from_json_at(in, "", v, &err);
        long used = calls;
        arm(0);
        if (rc == CF_OK) {
            t->free(v);
            if (used < n) break; /* the failure point lies beyond a full parse */
            fail_msg("%s: allocation %ld failed but parsing succeeded", t->name, n);
        }
        if (rc != CF_ERR_NO_MEMORY) fail_msg("%s: allocation %ld: rc %d %s", t->name, n, rc, err.msg);
        assert_non_null(strstr(err.msg, "out of memory"));
    }
    free(v);
    json_decref(in);
    return n - 1;
}

/* Serializes a parsed value with the Nth (jansson) allocation failing, for every N. */
static long serialize_under_failures(const cf_domain_type *t, const char *text) {
    json_t *in = json_loads(text, 0, NULL);
    void *v = __real_calloc(1, t->size);
    cf_error err;
    assert_int_equal(t->from_json_at(in, "", v, &err), CF_OK);
    long n = 1;
    for (;; n++) {
        arm(n);
        json_t *out = t->to_json(v);
        long used = calls;
        arm(0);
        if (out) {
            assert_true(json_equal(out, out)); /* a complete value */
            json_decref(out);
            if (used < n) break;
            fail_msg("%s: allocation %ld failed but serialization succeeded", t->name, n);
        }
    }
    t->free(v);
    free(v);
    json_decref(in);
    return n - 1;
}

static void test_request_parse_survives_every_allocation_failure(void **state) {
    (void)state;
    long points = parse_under_failures(cf_domain_type_find("ClipProcessingRequest"), request_text);
    print_message("ClipProcessingRequest: %ld allocation failure points\n", points);
    assert_true(points >= 5); /* strings, the operations array, output_uris */
}

static void test_job_parse_survives_every_allocation_failure(void **state) {
    (void)state;
    long points = parse_under_failures(cf_domain_type_find("Job"), job_text);
    print_message("Job: %ld allocation failure points\n", points);
    assert_true(points >= 8);
}

static void test_serializers_survive_every_allocation_failure(void **state) {
    (void)state;
    assert_true(serialize_under_failures(cf_domain_type_find("ClipProcessingRequest"), request_text) > 10);
    assert_true(serialize_under_failures(cf_domain_type_find("Job"), job_text) > 10);
}

int main(void) {
    json_set_alloc_funcs(json_malloc, json_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_parse_survives_every_allocation_failure),
        cmocka_unit_test(test_job_parse_survives_every_allocation_failure),
        cmocka_unit_test(test_serializers_survive_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_quota.c — job quotas against a real SQLite store: a tenant's own limit set through this
 * process applies to the next submission, one set by another process sharing the store applies
 * within CF_QUOTA_CACHE_MS (the process remembers what it read until then), and each tenant is
 * counted apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "application/app.h"
#include "application/quota.h"
#include "clipforge/clock.h"
#include "temp_store.h"

typedef struct fixture {
    char *dir;
    cf_app app; /* the store and the configuration, all the quota checks use */
    int jobs;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    /* cfg zeroed: no server-wide limits */
    if (!(f->app.store = temp_store_open("cfquota-", &f->dir))) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    temp_store_close(f->app.store, f->dir);
    free(f);
    return 0;
}

static void queue_job(fixture *f, const char *tenant) {
    char id[32];
    snprintf(id, sizeof id, "j_%d", ++f->jobs);
    cf_job_new in = {
        .id = id, .kind = "noop", .request = "{}", .tenant = tenant, .max_attempts = 1, .now = 1};
    cf_job_record out;
    bool replayed = false;
    cf_error err;
    assert_int_equal(cf_store_job_create(f->app.store, &in, &out, &replayed, &err), CF_OK);
    cf_job_record_free(&out);
}

static bool refused(fixture *f, const char *tenant) {
    cf_quota_verdict v;
    cf_error err;
    assert_int_equal(cf_quota_check_job(&f->app, tenant, &v, &err), CF_OK);
    if (v.exceeded) {
        assert_int_equal(v.status, 429);
        assert_string_equal(v.limit, "concurrent_jobs");
    }
    return v.exceeded;
}

static const cf_tenant_quota one_job = {
    .processing_minutes = -1, .storage_bytes = -1, .concurrent_jobs = 1, .upload_bytes = -1};

static void test_a_limit_set_here_applies_to_the_next_job(void **state) {
    fixture *f = *state;
    queue_job(f, "acme");
    assert_false(refused(f, "acme")); /* read and remembered: no limit */
    cf_error err;
    assert_int_equal(cf_quota_set(&f->app, "acme", &one_job, &err), CF_OK);
    assert_true(refused(f, "acme"));
    assert_false(refused(f, "beta")); /* acme's limit is acme's */
    cf_tenant_quota none = {-1, -1, -1, -1};
    assert_int_equal(cf_quota_set(&f->app, "acme", &none, &err), CF_OK);
    assert_false(refused(f, "acme"));
}

static void test_a_limit_set_elsewhere_applies_within_the_cache_time(void **state) {
    fixture *f = *state;
    queue_job(f, "gamma");
    int64_t t0 = cf_clock_ms();
    assert_false(refused(f, "gamma"));
    cf_error err; /* another process sharing the store sets the limit */
    assert_int_equal(cf_store_quota_set(f->app.store, "gamma", &one_job, &err), CF_OK);
    bool stale = !refused(f, "gamma");
    if (cf_clock_ms() - t0 < CF_QUOTA_CACHE_MS) assert_true(stale); /* what this process read still holds */
    struct timespec pause = {.tv_sec = CF_QUOTA_CACHE_MS / 1000, .tv_nsec = 100 * 1000000L};
    nanosleep(&pause, NULL);
    assert_true(refused(f, "gamma"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_limit_set_here_applies_to_the_next_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_limit_set_elsewhere_applies_within_the_cache_time, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

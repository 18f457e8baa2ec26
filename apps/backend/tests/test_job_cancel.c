/* test_job_cancel.c — cancelling a job through the job service (cf_jobs_cancel) against a real
 * SQLite store: the queued children cancelled with their parent count in the tenant's metrics as
 * ended, like the parent; a running child, asked to stop, is left to its worker to count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "application/app.h"
#include "application/job_service.h"
#include "application/metrics.h"
#include "temp_store.h"

static void create(cf_store *store, const char *id, const char *kind, const char *parent) {
    cf_job_new in = {.id = id,
                     .kind = kind,
                     .request = "{}",
                     .parent_id = parent,
                     .tenant = parent ? NULL : "acme",
                     .max_attempts = 1,
                     .now = 1};
    cf_job_record out;
    bool replayed = false;
    cf_error err;
    assert_int_equal(cf_store_job_create(store, &in, &out, &replayed, &err), CF_OK);
    cf_job_record_free(&out);
}

/* The tenant's clipforge_tenant_jobs_failed_total (runs that failed or were cancelled, and queued
 * jobs cancelled), or -1 when it has none. */
static long ended_unsuccessfully(const char *tenant) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    cf_metrics_write_tenant(out, false, tenant);
    fclose(out);
    char want[128];
    int n = snprintf(want, sizeof want, "clipforge_tenant_jobs_failed_total{tenant=\"%s\"} ", tenant);
    const char *at = strstr(text, want);
    long v = at ? strtol(at + n, NULL, 10) : -1;
    free(text);
    return v;
}

static void test_queued_children_cancelled_with_their_parent_are_counted(void **state) {
    (void)state;
    char *dir = NULL;
    cf_app app = {0};
    app.store = temp_store_open("cfcancel-", &dir);
    assert_non_null(app.store);
    create(app.store, "p", "autoclip", NULL);
    create(app.store, "c1", "render", "p");
    create(app.store, "c2", "render", "p");
    create(app.store, "c3", "render", "p");
    cf_job_record j;
    cf_error err;
    assert_int_equal(cf_store_job_lease(app.store, "c3", "w", 60000, 2, &j, &err), CF_OK);
    cf_job_record_free(&j);
    long before = ended_unsuccessfully("acme");
    assert_int_equal(cf_jobs_cancel(&app, "acme", "p", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_CANCELLED);
    cf_job_record_free(&j);
    /* p and its queued c1 and c2; c3 runs on until its worker stops it */
    assert_int_equal(ended_unsuccessfully("acme") - (before < 0 ? 0 : before), 3);
    assert_int_equal(cf_store_job_get(app.store, "c3", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_RUNNING);
    assert_true(j.cancel_requested);
    cf_job_record_free(&j);
    temp_store_close(app.store, dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queued_children_cancelled_with_their_parent_are_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

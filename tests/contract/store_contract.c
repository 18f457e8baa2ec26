/* The job store contract: every cf_store backend must pass these tests. The backend comes from
 * CF_CONTRACT_STORE_URL, a URL with one "%s" that each test replaces by a fresh name (a database
 * file for sqlite, a schema for postgres), so tests never see each other's rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "clipforge/store.h"
#include "infrastructure/backends.h"
#include "infrastructure/store_postgres.h"
#include "infrastructure/store_sqlite.h"

static int serial;

typedef struct fixture {
    char url[1024];
    cf_store *store;
} fixture;

static void fresh_url(char *out, size_t cap) {
    const char *tmpl = getenv("CF_CONTRACT_STORE_URL");
    assert_non_null(tmpl);
    char name[64];
    snprintf(name, sizeof name, "t%d_%d", (int)getpid(), ++serial);
    const char *hole = strstr(tmpl, "%s");
    assert_non_null(hole);
    snprintf(out, cap, "%.*s%s%s", (int)(hole - tmpl), tmpl, name, hole + 2);
}

static int setup(void **state) {
    cf_backends_register();
    fixture *f = calloc(1, sizeof *f);
    fresh_url(f->url, sizeof f->url);
    cf_error err;
    if (cf_store_open(f->url, &f->store, &err) != CF_OK) {
        fprintf(stderr, "cannot open %s: %s\n", f->url, err.msg);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cf_store_close(f->store);
    free(f);
    return 0;
}

static void create(cf_store *s, const char *id, const char *key, int64_t now) {
    cf_job_new in = {.id = id,
                     .kind = "clip_processing",
                     .request = "{\"a\":1}",
                     .idempotency_key = key,
                     .max_attempts = 2,
                     .now = now};
    cf_job_record j;
    bool replayed = true;
    cf_error err;
    assert_int_equal(cf_store_job_create(s, &in, &j, &replayed, &err), CF_OK);
    assert_false(replayed);
    assert_int_equal(j.status, CF_JOB_STATE_QUEUED);
    assert_string_equal(j.request, "{\"a\":1}");
    cf_job_record_free(&j);
}

static size_t count_events(cf_store *s, const char *job, const char *type) {
    cf_event_record *ev = NULL;
    size_t n = 0, hits = 0;
    cf_error err;
    assert_int_equal(cf_store_events_after(s, 0, job, NULL, 1000, &ev, &n, &err), CF_OK);
    for (size_t i = 0; i < n; i++) {
        if (i) assert_true(ev[i].id > ev[i - 1].id);
        if (!type || !strcmp(ev[i].type, type)) hits++;
    }
    cf_event_records_free(ev, n);
    return hits;
}

static void drain_outbox(cf_store *s, int64_t now) {
    cf_outbox_record *o = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_store_outbox_due(s, now, 100, &o, &n, &err), CF_OK);
    for (size_t i = 0; i < n; i++) assert_int_equal(cf_store_outbox_delete(s, o[i].id, &err), CF_OK);
    cf_outbox_records_free(o, n);
}

static void test_reopen_keeps_jobs(void **state) {
    fixture *f = *state;
    create(f->store, "j1", NULL, 1000);
    cf_store_close(f->store);
    cf_error err;
    assert_int_equal(cf_store_open(f->url, &f->store, &err), CF_OK); /* migrations: no-op */
    cf_job_record j;
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_string_equal(j.kind, "clip_processing");
    cf_job_record_free(&j);
}

static void test_create_writes_job_event_and_outbox_together(void **state) {
    fixture *f = *state;
    create(f->store, "j1", NULL, 1000);
    assert_int_equal(count_events(f->store, "j1", "JobRequested"), 1);
    cf_event_record *ev = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_store_events_after(f->store, 0, NULL, NULL, 10, &ev, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].job_id, "j1");
    assert_non_null(strstr(ev[0].data, "\"status\":\"queued\""));
    assert_int_equal(ev[0].at, 1000);
    cf_event_records_free(ev, n);
    cf_outbox_record *o = NULL;
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(o[0].topic, "jobs");
    assert_string_equal(o[0].payload, "j1");
    if (!strncmp(f->url, "postgres", 8)) { /* claimed for a while: not handed to another relay */
        cf_outbox_record *again = NULL;
        size_t k = 0;
        assert_int_equal(cf_store_outbox_due(f->store, 1000 + 9999, 10, &again, &k, &err), CF_OK);
        assert_int_equal(k, 0);
        cf_outbox_records_free(again, k);
        assert_int_equal(cf_store_outbox_due(f->store, 1000 + 10000, 10, &again, &k, &err), CF_OK);
        assert_int_equal(k, 1); /* the claim ran out (its relay died): taken again */
        assert_int_equal(again[0].id, o[0].id);
        cf_outbox_records_free(again, k);
    }
    assert_int_equal(cf_store_outbox_delete(f->store, o[0].id, &err), CF_OK);
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_outbox_records_free(o, n);
}

static void test_create_applies_the_defaults(void **state) {
    fixture *f = *state;
    cf_job_new in = {.id = "d", .kind = "render", .request = "{}", .trace_context = "", .now = 1000};
    cf_job_record j;
    bool replayed = true;
    cf_error err;
    assert_int_equal(cf_store_job_create(f->store, &in, &j, &replayed, &err), CF_OK);
    assert_int_equal(j.max_attempts, 1); /* at least one run */
    assert_null(j.trace_context);        /* an empty context is none */
    cf_job_record_free(&j);
}

static void test_idempotency_key_replays_or_conflicts(void **state) {
    fixture *f = *state;
    create(f->store, "j1", "k1", 1000);
    cf_job_new again = {.id = "j2",
                        .kind = "clip_processing",
                        .request = "{\"a\":1}",
                        .idempotency_key = "k1",
                        .max_attempts = 2,
                        .now = 2000};
    cf_job_record j;
    bool replayed = false;
    cf_error err;
    assert_int_equal(cf_store_job_create(f->store, &again, &j, &replayed, &err), CF_OK);
    assert_true(replayed);
    assert_string_equal(j.id, "j1");
    cf_job_record_free(&j);
    again.request = "{\"a\":2}";
    assert_int_equal(cf_store_job_create(f->store, &again, &j, &replayed, &err), CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_get(f->store, "j2", &j, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(count_events(f->store, NULL, "JobRequested"), 1);
}

/* A batch is processed in order in one transaction, each creation on its own: a replay and a
 * conflict on a key an earlier creation of the same batch used are decided against it, and a
 * creation that fails (a duplicate id) leaves nothing behind nor stops those after it. */
static void test_create_many_isolates_each_and_sees_the_batch(void **state) {
    fixture *f = *state;
    cf_job_submission subs[5];
    memset(subs, 0, sizeof subs);
    const char *ids[] = {"j1", "j2", "j3", "j1", "j4"};
    const char *keys[] = {"k1", "k1", "k1", NULL, NULL};
    for (int i = 0; i < 5; i++)
        subs[i].in = (cf_job_new){.id = ids[i],
                                  .kind = "clip_processing",
                                  .request = i == 2 ? "{\"a\":2}" : "{\"a\":1}",
                                  .idempotency_key = keys[i],
                                  .now = 1000 + i};
    cf_error err;
    assert_int_equal(cf_store_job_create_many(f->store, subs, 5, &err), CF_OK);
    assert_int_equal(subs[0].rc, CF_OK);
    assert_false(subs[0].replayed);
    assert_string_equal(subs[0].out.id, "j1");
    assert_int_equal(subs[0].out.max_attempts, 1); /* the defaults apply to each */
    assert_int_equal(subs[1].rc, CF_OK);
    assert_true(subs[1].replayed);
    assert_string_equal(subs[1].out.id, "j1");
    assert_int_equal(subs[2].rc, CF_ERR_CONFLICT);
    assert_int_not_equal(subs[3].rc, CF_OK);
    assert_true(strlen(subs[3].err.msg) > 0);
    assert_int_equal(subs[4].rc, CF_OK);
    assert_false(subs[4].replayed);
    assert_int_equal(subs[4].out.status, CF_JOB_STATE_QUEUED);
    assert_int_equal(subs[4].out.created_at, 1004);
    for (int i = 0; i < 5; i++) cf_job_record_free(&subs[i].out);
    cf_job_record j;
    assert_int_equal(cf_store_job_get(f->store, "j2", &j, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_store_job_get(f->store, "j3", &j, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.created_at, 1000); /* the first j1, not the duplicate */
    cf_job_record_free(&j);
    assert_int_equal(count_events(f->store, NULL, "JobRequested"), 2);
    assert_int_equal(count_events(f->store, "j4", "JobRequested"), 1);
    cf_outbox_record *o = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 2000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(o[0].payload, "j1");
    assert_string_equal(o[1].payload, "j4");
    cf_outbox_records_free(o, n);
    /* a later batch replays the stored job like a single creation would */
    memset(subs, 0, sizeof subs);
    subs[0].in = (cf_job_new){
        .id = "j5", .kind = "clip_processing", .request = "{\"a\":1}", .idempotency_key = "k1", .now = 3000};
    assert_int_equal(cf_store_job_create_many(f->store, subs, 1, &err), CF_OK);
    assert_int_equal(subs[0].rc, CF_OK);
    assert_true(subs[0].replayed);
    assert_string_equal(subs[0].out.id, "j1");
    cf_job_record_free(&subs[0].out);
}

static void test_lease_heartbeat_finish_is_guarded_by_owner_and_attempt(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "j1", NULL, 1000);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w1", 5000, 1100, &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_RUNNING);
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.lease_owner, "w1");
    assert_int_equal(j.lease_expires_at, 6100);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w2", 5000, 1200, &j, &err), CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_lease(f->store, "nope", "w2", 5000, 1200, &j, &err), CF_ERR_NOT_FOUND);
    bool cancel = true;
    assert_int_equal(
        cf_store_job_heartbeat(f->store, "j1", "w1", 1, 5000, 1500, 0.5, "encode", true, &cancel, &err),
        CF_OK);
    assert_false(cancel);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_string_equal(j.stage, "encode");
    assert_true(j.progress > 0.49 && j.progress < 0.51);
    assert_int_equal(j.lease_expires_at, 6500);
    cf_job_record_free(&j);
    /* Progress never goes backwards. */
    assert_int_equal(
        cf_store_job_heartbeat(f->store, "j1", "w1", 1, 5000, 1550, 0.2, NULL, false, &cancel, &err), CF_OK);
    assert_int_equal(
        cf_store_job_heartbeat(f->store, "j1", "w2", 1, 5000, 1500, 0.5, NULL, false, &cancel, &err),
        CF_ERR_CONFLICT);
    assert_int_equal(
        cf_store_job_heartbeat(f->store, "j1", "w1", 2, 5000, 1500, 0.5, NULL, false, &cancel, &err),
        CF_ERR_CONFLICT);
    cf_job_outcome ok = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{\"out\":1}"};
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w2", 1, &ok, 1600, &err), CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w1", 1, &ok, 1600, &err), CF_OK);
    cf_job_outcome other = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{\"out\":2}"};
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w1", 1, &other, 1700, &err), CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_SUCCEEDED);
    assert_string_equal(j.result, "{\"out\":1}");
    assert_true(j.progress == 1.0);
    assert_null(j.lease_owner);
    assert_int_equal(j.finished_at, 1600);
    cf_job_record_free(&j);
    assert_int_equal(count_events(f->store, "j1", "JobCompleted"), 1);
    assert_int_equal(count_events(f->store, "j1", "JobProgressed"), 2);
}

/* A batch lease: the queued and due jobs are leased with their events, in the order asked;
 * one that is running, not due yet, unknown or named twice is answered as a single lease would. */
static void test_lease_many_leases_what_is_leasable(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "j1", NULL, 1000);
    create(f->store, "j2", NULL, 1000);
    create(f->store, "j3", NULL, 1000);
    create(f->store, "j4", NULL, 1000);
    assert_int_equal(cf_store_job_lease(f->store, "j3", "w0", 5000, 1050, &j, &err), CF_OK);
    cf_job_record_free(&j);
    cf_job_lease_req reqs[] = {{.id = "j2"}, {.id = "j1"}, {.id = "j3"}, {.id = "nope"}, {.id = "j1"}};
    size_t n = sizeof reqs / sizeof reqs[0];
    assert_int_equal(cf_store_job_lease_many(f->store, reqs, n, "w1", 5000, 1100, &err), CF_OK);
    assert_int_equal(reqs[0].rc, CF_OK);
    assert_string_equal(reqs[0].out.id, "j2");
    assert_int_equal(reqs[1].rc, CF_OK);
    assert_string_equal(reqs[1].out.id, "j1");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(reqs[i].out.status, CF_JOB_STATE_RUNNING);
        assert_int_equal(reqs[i].out.attempts, 1);
        assert_string_equal(reqs[i].out.lease_owner, "w1");
        assert_int_equal(reqs[i].out.lease_expires_at, 6100);
        assert_int_equal(reqs[i].out.started_at, 1100);
        assert_string_equal(reqs[i].out.request, "{\"a\":1}");
    }
    assert_int_equal(reqs[2].rc, CF_ERR_CONFLICT);
    assert_int_equal(reqs[3].rc, CF_ERR_NOT_FOUND);
    assert_int_equal(reqs[4].rc, CF_ERR_CONFLICT);
    for (size_t i = 0; i < n; i++) cf_job_record_free(&reqs[i].out);
    assert_int_equal(count_events(f->store, "j1", "JobProgressed"), 1);
    assert_int_equal(count_events(f->store, "j2", "JobProgressed"), 1);
    assert_int_equal(count_events(f->store, "j3", "JobProgressed"), 1);
    /* Every event of the batch has its own id, after the ones before it. */
    cf_event_record *ev = NULL;
    size_t m = 0;
    assert_int_equal(cf_store_events_after(f->store, 0, NULL, NULL, 100, &ev, &m, &err), CF_OK);
    assert_int_equal(m, 7);
    for (size_t i = 1; i < m; i++) assert_true(ev[i].id > ev[i - 1].id);
    cf_event_records_free(ev, m);
    /* j4 untouched; a retry not due yet is not leasable. */
    assert_int_equal(cf_store_job_get(f->store, "j4", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_QUEUED);
    cf_job_record_free(&j);
    cf_job_lease_req early[] = {{.id = "j4"}};
    assert_int_equal(cf_store_job_lease_many(f->store, early, 1, "w1", 5000, 900, &err), CF_OK);
    assert_int_equal(early[0].rc, CF_ERR_CONFLICT);
}

/* A batch finish: each outcome is stored as job_finish would store it, with its final event and
 * usage record; one whose lease was lost or whose outcome is invalid changes nothing and does not
 * stop the others. */
static void test_finish_many_isolates_each_outcome(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    const char *ids[] = {"j1", "j2", "j3", "j4", "j5"};
    for (int i = 0; i < 5; i++) create(f->store, ids[i], NULL, 1000);
    drain_outbox(f->store, 1000);
    cf_job_lease_req reqs[5];
    for (int i = 0; i < 5; i++) reqs[i] = (cf_job_lease_req){.id = ids[i]};
    assert_int_equal(cf_store_job_lease_many(f->store, reqs, 5, "w1", 5000, 1100, &err), CF_OK);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(reqs[i].rc, CF_OK);
        cf_job_record_free(&reqs[i].out);
    }
    cf_job_finish_req fin[] = {
        {.id = "j1",
         .owner = "w1",
         .attempt = 1,
         .outcome = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{\"n\":1}"}},
        {.id = "j2",
         .owner = "w2",
         .attempt = 1, /* not its lease */
         .outcome = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{\"n\":2}"}},
        {.id = "j3",
         .owner = "w1",
         .attempt = 1,
         .outcome = {.status = CF_JOB_STATE_FAILED, .error = "{\"title\":\"x\"}", .retry_at = 9000}},
        {.id = "j4", .owner = "w1", .attempt = 1, .outcome = {.status = CF_JOB_STATE_RUNNING}}, /* invalid */
        {.id = "j5",
         .owner = "w1",
         .attempt = 1,
         .outcome = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{\"n\":5}"}},
    };
    assert_int_equal(cf_store_job_finish_many(f->store, fin, 5, 1200, &err), CF_OK);
    assert_int_equal(fin[0].rc, CF_OK);
    assert_int_equal(fin[1].rc, CF_ERR_CONFLICT);
    assert_int_equal(fin[2].rc, CF_OK);
    assert_int_equal(fin[3].rc, CF_ERR_INVALID_ARGUMENT);
    assert_int_equal(fin[4].rc, CF_OK);
    cf_job_state want[] = {CF_JOB_STATE_SUCCEEDED, CF_JOB_STATE_RUNNING, CF_JOB_STATE_QUEUED,
                           CF_JOB_STATE_RUNNING, CF_JOB_STATE_SUCCEEDED};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(cf_store_job_get(f->store, ids[i], &j, &err), CF_OK);
        assert_int_equal(j.status, want[i]);
        if (i == 4) {
            assert_string_equal(j.result, "{\"n\":5}");
            assert_int_equal(j.finished_at, 1200);
        }
        if (i == 2) assert_int_equal(j.run_after, 9000);
        cf_job_record_free(&j);
    }
    assert_int_equal(count_events(f->store, "j1", "JobCompleted"), 1);
    assert_int_equal(count_events(f->store, "j2", "JobCompleted"), 0);
    assert_int_equal(count_events(f->store, "j3", "JobFailed"), 1);
    assert_int_equal(count_events(f->store, "j4", NULL), 2); /* requested, leased */
    assert_int_equal(count_events(f->store, "j5", "JobCompleted"), 1);
    /* The usage records of the two finished runs, and j3's retry at its time. */
    cf_outbox_record *o = NULL;
    size_t n = 0, usage = 0, jobs = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 9000, 100, &o, &n, &err), CF_OK);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(o[i].topic, "usage")) usage++;
        if (!strcmp(o[i].topic, "jobs")) {
            jobs++;
            assert_string_equal(o[i].payload, "j3");
        }
    }
    cf_outbox_records_free(o, n);
    assert_int_equal(usage, 2);
    assert_int_equal(jobs, 1);
    /* The lease holder can still finish j2 and j4. */
    cf_job_outcome ok = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{}"};
    assert_int_equal(cf_store_job_finish(f->store, "j2", "w1", 1, &ok, 1300, &err), CF_OK);
    assert_int_equal(cf_store_job_finish(f->store, "j4", "w1", 1, &ok, 1300, &err), CF_OK);
}

/* Renewing a batch's leases at once: the same as one heartbeat after another, a lost lease and
 * a cancel request included. */
static void test_renew_many_renews_what_is_held(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    const char *ids[] = {"j1", "j2", "j3"};
    for (int i = 0; i < 3; i++) create(f->store, ids[i], NULL, 1000);
    drain_outbox(f->store, 1000);
    cf_job_lease_req reqs[3];
    for (int i = 0; i < 3; i++) reqs[i] = (cf_job_lease_req){.id = ids[i]};
    assert_int_equal(cf_store_job_lease_many(f->store, reqs, 3, "w1", 5000, 1100, &err), CF_OK);
    for (int i = 0; i < 3; i++) cf_job_record_free(&reqs[i].out);
    assert_int_equal(cf_store_job_cancel(f->store, "j3", 1150, &j, &err), CF_OK);
    cf_job_record_free(&j);
    cf_job_renew_req renew[] = {{.id = "j1", .attempt = 1},
                                {.id = "j2", .attempt = 2 /* not this attempt */},
                                {.id = "j3", .attempt = 1}};
    assert_int_equal(cf_store_job_renew_many(f->store, renew, 3, "w1", 5000, 1200, &err), CF_OK);
    assert_int_equal(renew[0].rc, CF_OK);
    assert_false(renew[0].cancel_requested);
    assert_int_equal(renew[1].rc, CF_ERR_CONFLICT);
    assert_int_equal(renew[2].rc, CF_OK);
    assert_true(renew[2].cancel_requested);
    int64_t want[] = {6200, 6100, 6200};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cf_store_job_get(f->store, ids[i], &j, &err), CF_OK);
        assert_int_equal(j.lease_expires_at, want[i]);
        cf_job_record_free(&j);
    }
    cf_job_renew_req other[] = {{.id = "j1", .attempt = 1}}; /* another owner's lease */
    assert_int_equal(cf_store_job_renew_many(f->store, other, 1, "w2", 5000, 1300, &err), CF_OK);
    assert_int_equal(other[0].rc, CF_ERR_CONFLICT);
}

/* A batch of final outcomes only (what a worker's quick jobs make): the same as one finish
 * after another, a lost lease included. */
static void test_finish_many_of_final_outcomes(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    const char *ids[] = {"j1", "j2", "j3", "j4"};
    for (int i = 0; i < 4; i++) create(f->store, ids[i], NULL, 1000);
    drain_outbox(f->store, 1000);
    cf_job_lease_req reqs[4];
    for (int i = 0; i < 4; i++) reqs[i] = (cf_job_lease_req){.id = ids[i]};
    assert_int_equal(cf_store_job_lease_many(f->store, reqs, 4, "w1", 5000, 1100, &err), CF_OK);
    for (int i = 0; i < 4; i++) cf_job_record_free(&reqs[i].out);
    cf_job_finish_req fin[] = {
        {.id = "j1",
         .owner = "w1",
         .attempt = 1,
         .outcome = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{\"n\":1}"}},
        {.id = "j2",
         .owner = "w1",
         .attempt = 2, /* not this attempt */
         .outcome = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{}"}},
        {.id = "j3",
         .owner = "w1",
         .attempt = 1,
         .outcome = {.status = CF_JOB_STATE_FAILED, .error = "{\"title\":\"bad\"}"}},
        {.id = "j4",
         .owner = "w1",
         .attempt = 1,
         .outcome = {.status = CF_JOB_STATE_CANCELLED, .error = "{\"title\":\"cancelled\"}"}},
    };
    assert_int_equal(cf_store_job_finish_many(f->store, fin, 4, 1200, &err), CF_OK);
    cf_err want_rc[] = {CF_OK, CF_ERR_CONFLICT, CF_OK, CF_OK};
    cf_job_state want[] = {CF_JOB_STATE_SUCCEEDED, CF_JOB_STATE_RUNNING, CF_JOB_STATE_FAILED,
                           CF_JOB_STATE_CANCELLED};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(fin[i].rc, want_rc[i]);
        assert_int_equal(cf_store_job_get(f->store, ids[i], &j, &err), CF_OK);
        assert_int_equal(j.status, want[i]);
        if (i != 1) {
            assert_int_equal(j.finished_at, 1200);
            assert_null(j.lease_owner);
        }
        if (i == 0) {
            assert_string_equal(j.result, "{\"n\":1}");
            assert_true(j.progress == 1.0);
        }
        if (i == 2) assert_string_equal(j.error, "{\"title\":\"bad\"}");
        cf_job_record_free(&j);
    }
    assert_int_equal(count_events(f->store, "j1", "JobCompleted"), 1);
    assert_int_equal(count_events(f->store, "j2", NULL), 2);
    assert_int_equal(count_events(f->store, "j3", "JobFailed"), 1);
    assert_int_equal(count_events(f->store, "j4", "JobCancelled"), 1);
    cf_outbox_record *o = NULL;
    size_t n = 0, usage = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 1200, 100, &o, &n, &err), CF_OK);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(o[i].topic, "usage");
        assert_null(strstr(o[i].payload, "\"j2\""));
        usage++;
    }
    cf_outbox_records_free(o, n);
    assert_int_equal(usage, 3);
}

static void test_finish_rejects_non_final_status(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "j1", NULL, 1000);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w1", 5000, 1100, &j, &err), CF_OK);
    cf_job_record_free(&j);
    cf_job_outcome bad = {.status = CF_JOB_STATE_RUNNING};
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w1", 1, &bad, 1200, &err), CF_ERR_INVALID_ARGUMENT);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_RUNNING);
    cf_job_record_free(&j);
}

static void test_retryable_failure_requeues_with_backoff(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "j1", NULL, 1000);
    drain_outbox(f->store, 1000);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w1", 5000, 1100, &j, &err), CF_OK);
    cf_job_record_free(&j);
    cf_job_outcome fail = {.status = CF_JOB_STATE_FAILED, .error = "{\"title\":\"x\"}", .retry_at = 9000};
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w1", 1, &fail, 1200, &err), CF_OK);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_QUEUED);
    assert_int_equal(j.run_after, 9000);
    cf_job_record_free(&j);
    cf_outbox_record *o = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 5000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w1", 5000, 5000, &j, &err), CF_ERR_CONFLICT);
    assert_int_equal(cf_store_outbox_due(f->store, 9000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w1", 5000, 9000, &j, &err), CF_OK);
    assert_int_equal(j.attempts, 2);
    cf_job_record_free(&j);
    assert_int_equal(count_events(f->store, "j1", "JobFailed"), 1);
}

static void test_reaper_requeues_expired_leases_then_fails_when_spent(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    size_t n = 0;
    create(f->store, "j1", NULL, 1000);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "dead", 1000, 1000, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_reap(f->store, 1500, 0, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(cf_store_reap(f->store, 2500, 0, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_QUEUED);
    cf_job_record_free(&j);
    cf_job_outcome ok = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{}"};
    assert_int_equal(cf_store_job_finish(f->store, "j1", "dead", 1, &ok, 2600, &err), CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w2", 1000, 3000, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_reap(f->store, 4500, 0, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_FAILED);
    assert_non_null(strstr(j.error, "lease-expired"));
    cf_job_record_free(&j);
}

static void test_reaper_cancels_expired_job_with_cancel_request(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    size_t n = 0;
    create(f->store, "j1", NULL, 1000);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "dead", 1000, 1000, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_cancel(f->store, "j1", 1100, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_reap(f->store, 2500, 0, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_CANCELLED);
    cf_job_record_free(&j);
}

/* Asserts that text, a job's stored error, is a problem of kind slug with its HTTP status: the
 * Problem schema requires status, and clients read it. */
static void assert_problem(const char *text, const char *slug, int status) {
    assert_non_null(text);
    json_t *p = json_loads(text, 0, NULL);
    assert_non_null(p);
    char type[128];
    snprintf(type, sizeof type, "https://clipforge.dev/problems/%s", slug);
    assert_string_equal(json_string_value(json_object_get(p, "type")), type);
    assert_non_null(json_string_value(json_object_get(p, "title")));
    assert_int_equal(json_integer_value(json_object_get(p, "status")), status);
    json_decref(p);
}

static void assert_stored_problem(cf_store *s, const char *id, const char *slug, int status) {
    cf_job_record j;
    cf_error err;
    assert_int_equal(cf_store_job_get(s, id, &j, &err), CF_OK);
    assert_problem(j.error, slug, status);
    cf_job_record_free(&j);
}

static void test_errors_the_store_writes_are_complete_problems(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    size_t n = 0;
    create(f->store, "queued", NULL, 1000);
    assert_int_equal(cf_store_job_cancel(f->store, "queued", 1100, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_stored_problem(f->store, "queued", "cancelled", 409);
    create(f->store, "lost", NULL, 1000);
    create(f->store, "lost-cancelled", NULL, 1000);
    assert_int_equal(cf_store_job_lease(f->store, "lost", "dead", 1000, 1000, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_lease(f->store, "lost-cancelled", "dead", 1000, 1000, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_cancel(f->store, "lost-cancelled", 1100, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_reap(f->store, 2500, 0, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_stored_problem(f->store, "lost", "lease-expired", 500);
    assert_stored_problem(f->store, "lost-cancelled", "cancelled", 409);
    /* The final event carries the same problem. */
    cf_event_record *ev = NULL;
    assert_int_equal(cf_store_events_after(f->store, 0, "queued", NULL, 10, &ev, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ev[1].type, "JobCancelled");
    json_t *data = json_loads(ev[1].data, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "error"), "status")), 409);
    json_decref(data);
    cf_event_records_free(ev, n);
}

static void test_cancel_and_retry_transitions(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "q", NULL, 1000);
    assert_int_equal(cf_store_job_cancel(f->store, "q", 1100, &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_CANCELLED);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_cancel(f->store, "q", 1200, &j, &err), CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_retry(f->store, "q", 1300, &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_QUEUED);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_retry(f->store, "q", 1300, &j, &err), CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_lease(f->store, "q", "w", 5000, 1400, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_cancel(f->store, "q", 1500, &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_RUNNING);
    assert_true(j.cancel_requested);
    cf_job_record_free(&j);
    bool cancel = false;
    assert_int_equal(
        cf_store_job_heartbeat(f->store, "q", "w", 1, 5000, 1600, 0.1, NULL, false, &cancel, &err), CF_OK);
    assert_true(cancel);
    cf_job_outcome c = {.status = CF_JOB_STATE_CANCELLED, .error = "{}"};
    assert_int_equal(cf_store_job_finish(f->store, "q", "w", 1, &c, 1700, &err), CF_OK);
    assert_int_equal(count_events(f->store, "q", "JobCancelled"), 2);
    assert_int_equal(cf_store_job_cancel(f->store, "missing", 1, &j, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_store_job_retry(f->store, "missing", 1, &j, &err), CF_ERR_NOT_FOUND);
}

static void test_list_filters_and_pages_newest_first(void **state) {
    fixture *f = *state;
    cf_error err;
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "j%d", i);
        create(f->store, id, NULL, 1000 + i);
    }
    cf_job_record j;
    assert_int_equal(cf_store_job_cancel(f->store, "j3", 2000, &j, &err), CF_OK);
    cf_job_record_free(&j);
    cf_job_filter flt = {.status = -1, .limit = 2};
    cf_job_record *rows = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_job_list(f->store, &flt, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "j4");
    assert_string_equal(rows[1].id, "j3");
    flt.before_seq = rows[1].seq;
    cf_job_records_free(rows, n);
    assert_int_equal(cf_store_job_list(f->store, &flt, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "j2");
    cf_job_records_free(rows, n);
    cf_job_filter cancelled = {.status = CF_JOB_STATE_CANCELLED, .limit = 10};
    assert_int_equal(cf_store_job_list(f->store, &cancelled, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "j3");
    cf_job_records_free(rows, n);
    /* by a status that leases set and finishes take away, newest first */
    cf_job_record leased;
    assert_int_equal(cf_store_job_lease(f->store, "j0", "w1", 5000, 2100, &leased, &err), CF_OK);
    cf_job_record_free(&leased);
    assert_int_equal(cf_store_job_lease(f->store, "j2", "w1", 5000, 2100, &leased, &err), CF_OK);
    cf_job_record_free(&leased);
    cf_job_filter running = {.status = CF_JOB_STATE_RUNNING, .limit = 10};
    assert_int_equal(cf_store_job_list(f->store, &running, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "j2");
    assert_string_equal(rows[1].id, "j0");
    running.before_seq = rows[0].seq;
    cf_job_records_free(rows, n);
    assert_int_equal(cf_store_job_list(f->store, &running, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "j0");
    cf_job_records_free(rows, n);
    cf_job_outcome ok = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{}"};
    assert_int_equal(cf_store_job_finish(f->store, "j2", "w1", 1, &ok, 2200, &err), CF_OK);
    running.before_seq = 0;
    assert_int_equal(cf_store_job_list(f->store, &running, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "j0");
    cf_job_records_free(rows, n);
    cf_job_filter queued = {.status = CF_JOB_STATE_QUEUED, .limit = 10};
    assert_int_equal(cf_store_job_list(f->store, &queued, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "j4");
    assert_string_equal(rows[1].id, "j1");
    cf_job_records_free(rows, n);
    cf_job_filter kind = {.status = -1, .kind = "render", .limit = 10};
    assert_int_equal(cf_store_job_list(f->store, &kind, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_job_records_free(rows, n);
    cf_job_stats st = {0};
    assert_int_equal(cf_store_stats(f->store, &st, &err), CF_OK);
    assert_int_equal(st.by_status[CF_JOB_STATE_QUEUED], 2);
    assert_int_equal(st.by_status[CF_JOB_STATE_RUNNING], 1);
    assert_int_equal(st.by_status[CF_JOB_STATE_SUCCEEDED], 1);
    assert_int_equal(st.by_status[CF_JOB_STATE_CANCELLED], 1);
    assert_int_equal(st.outbox_pending, 6); /* the five jobs and j2's usage record */
}

static void create_child(cf_store *s, const char *id, const char *parent, int64_t now) {
    cf_job_new in = {.id = id,
                     .kind = "render",
                     .request = "{\"c\":1}",
                     .parent_id = parent,
                     .max_attempts = 2,
                     .now = now};
    cf_job_record j;
    bool replayed = true;
    cf_error err;
    assert_int_equal(cf_store_job_create(s, &in, &j, &replayed, &err), CF_OK);
    assert_string_equal(j.parent_id, parent);
    cf_job_record_free(&j);
}

static cf_job_state status_of(cf_store *s, const char *id) {
    cf_job_record j;
    cf_error err;
    assert_int_equal(cf_store_job_get(s, id, &j, &err), CF_OK);
    cf_job_state st = j.status;
    cf_job_record_free(&j);
    return st;
}

static void test_children_are_listed_by_parent_and_cancelled_with_it(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "p", NULL, 1000);
    create(f->store, "other", NULL, 1000);
    assert_int_equal(cf_store_job_lease(f->store, "p", "w", 5000, 1100, &j, &err), CF_OK);
    assert_null(j.parent_id);
    cf_job_record_free(&j);
    create_child(f->store, "c1", "p", 1200);
    create_child(f->store, "c2", "p", 1200);
    create_child(f->store, "c3", "p", 1200);
    create_child(f->store, "c4", "p", 1200);
    create_child(f->store, "x1", "other", 1200);
    /* c1 succeeds, c2 runs, c3 and c4 wait; then the parent is cancelled. */
    assert_int_equal(cf_store_job_lease(f->store, "c1", "w2", 5000, 1300, &j, &err), CF_OK);
    cf_job_record_free(&j);
    cf_job_outcome ok = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{}"};
    assert_int_equal(cf_store_job_finish(f->store, "c1", "w2", 1, &ok, 1400, &err), CF_OK);
    assert_int_equal(cf_store_job_lease(f->store, "c2", "w3", 5000, 1300, &j, &err), CF_OK);
    cf_job_record_free(&j);
    cf_job_filter flt = {.status = -1, .parent_id = "p", .limit = 10};
    cf_job_record *rows = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_job_list(f->store, &flt, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 4);
    assert_string_equal(rows[0].id, "c4");
    assert_string_equal(rows[3].id, "c1");
    for (size_t i = 0; i < n; i++) assert_string_equal(rows[i].parent_id, "p");
    cf_job_records_free(rows, n);
    cf_job_filter queued = {.status = CF_JOB_STATE_QUEUED, .parent_id = "p", .limit = 10};
    assert_int_equal(cf_store_job_list(f->store, &queued, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    cf_job_records_free(rows, n);

    assert_int_equal(cf_store_job_cancel(f->store, "p", 1500, &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_RUNNING);
    assert_true(j.cancel_requested);
    cf_job_record_free(&j);
    assert_int_equal(status_of(f->store, "c1"), CF_JOB_STATE_SUCCEEDED); /* final: left alone */
    assert_int_equal(status_of(f->store, "c3"), CF_JOB_STATE_CANCELLED);
    assert_int_equal(status_of(f->store, "c4"), CF_JOB_STATE_CANCELLED);
    assert_int_equal(count_events(f->store, "c3", "JobCancelled"), 1);
    assert_int_equal(status_of(f->store, "x1"), CF_JOB_STATE_QUEUED); /* another parent's child */
    bool cancel = false;
    assert_int_equal(
        cf_store_job_heartbeat(f->store, "c2", "w3", 1, 5000, 1600, 0.5, NULL, false, &cancel, &err), CF_OK);
    assert_true(cancel); /* the running child is asked to stop, like its parent */
    assert_int_equal(cf_store_job_get(f->store, "c2", &j, &err), CF_OK);
    assert_string_equal(j.parent_id, "p");
    assert_int_equal(j.status, CF_JOB_STATE_RUNNING);
    cf_job_record_free(&j);

    /* A queued parent takes its queued children with it at once. */
    create(f->store, "q", NULL, 2000);
    create_child(f->store, "qc", "q", 2000);
    assert_int_equal(cf_store_job_cancel(f->store, "q", 2100, &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_CANCELLED);
    cf_job_record_free(&j);
    assert_int_equal(status_of(f->store, "qc"), CF_JOB_STATE_CANCELLED);
}

static void test_redispatch_adds_missing_outbox_rows_once(void **state) {
    fixture *f = *state;
    cf_error err;
    create(f->store, "a", NULL, 1000);
    create(f->store, "b", NULL, 1000);
    cf_outbox_record *o = NULL;
    size_t n = 0, added = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    cf_store_outbox_delete(f->store, o[0].id, &err);
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_redispatch_queued(f->store, 1000, &added, &err), CF_OK);
    assert_int_equal(added, 1);
    assert_int_equal(cf_store_redispatch_queued(f->store, 1000, &added, &err), CF_OK);
    assert_int_equal(added, 0);
}

static void test_release_requeues_at_once_without_spending_an_attempt(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "j1", NULL, 1000);
    drain_outbox(f->store, 1000);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w1", 5000, 1100, &j, &err), CF_OK);
    cf_job_record_free(&j);
    cf_job_outcome release = {.status = CF_JOB_STATE_QUEUED};
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w2", 1, &release, 1200, &err), CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w1", 1, &release, 1200, &err), CF_OK);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_QUEUED);
    assert_int_equal(j.attempts, 1);
    assert_int_equal(j.max_attempts, 3); /* 2 + the released run */
    assert_null(j.error);
    assert_null(j.lease_owner);
    cf_job_record_free(&j);
    assert_int_equal(count_events(f->store, "j1", "JobFailed"), 0);
    assert_int_equal(count_events(f->store, "j1", "JobRequested"), 2);
    /* Dispatched again at once, and leasable at once. */
    cf_outbox_record *o = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 1200, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(o[0].payload, "j1");
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w2", 5000, 1200, &j, &err), CF_OK);
    assert_int_equal(j.attempts, 2);
    cf_job_record_free(&j);
}

/* Publishes every due outbox row as held by holder until `until`. */
static void publish_held(cf_store *s, int64_t now, const char *holder, int64_t until) {
    cf_outbox_record *o = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_store_outbox_due(s, now, 100, &o, &n, &err), CF_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cf_store_outbox_published(s, o[i].id, holder, until, &err), CF_OK);
    cf_outbox_records_free(o, n);
}

static size_t redispatched(cf_store *s, int64_t now) {
    size_t added = 99;
    cf_error err;
    assert_int_equal(cf_store_redispatch_queued(s, now, &added, &err), CF_OK);
    return added;
}

static void test_held_jobs_are_republished_only_when_their_holder_is_gone(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "a", NULL, 1000);
    publish_held(f->store, 1000, "p1", 4000);
    create(f->store, "b", NULL, 1100);
    publish_held(f->store, 1100, "p2", 4100);
    assert_int_equal(cf_store_job_get(f->store, "a", &j, &err), CF_OK);
    assert_string_equal(j.lease_owner, "p1");
    cf_job_record_free(&j);
    /* Both holders alive: a process starting now republishes nothing. */
    assert_int_equal(redispatched(f->store, 2000), 0);
    size_t n = 0;
    assert_int_equal(cf_store_holds_renew(f->store, "p1", 9000, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    /* p2 stopped renewing: only b comes back, once. */
    assert_int_equal(redispatched(f->store, 5000), 1);
    assert_int_equal(redispatched(f->store, 5000), 0);
    cf_outbox_record *o = NULL;
    assert_int_equal(cf_store_outbox_due(f->store, 5000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(o[0].payload, "b");
    cf_outbox_records_free(o, n);
    /* p1 stops cleanly: its holds are released and a comes back at once. */
    assert_int_equal(cf_store_holds_renew(f->store, "p1", 0, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cf_store_job_get(f->store, "a", &j, &err), CF_OK);
    assert_null(j.lease_owner);
    cf_job_record_free(&j);
    assert_int_equal(redispatched(f->store, 5000), 1);
}

/* A drained batch recorded at once: every row is gone, every queued job of it held, and a job
 * that left the queue meanwhile is left alone. */
static void test_outbox_published_many_records_a_batch(void **state) {
    fixture *f = *state;
    cf_error err;
    create(f->store, "a", NULL, 1000);
    create(f->store, "b", NULL, 1000);
    create(f->store, "c", NULL, 1000);
    cf_job_record j;
    assert_int_equal(cf_store_job_lease(f->store, "c", "w1", 30000, 1000, &j, &err), CF_OK);
    cf_job_record_free(&j);
    cf_outbox_record *o = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 3);
    int64_t ids[3] = {o[0].id, o[1].id, o[2].id};
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_outbox_published_many(f->store, ids, 3, "p1", 4000, &err), CF_OK);
    assert_int_equal(cf_store_outbox_due(f->store, 9000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_outbox_records_free(o, n);
    const char *held[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cf_store_job_get(f->store, held[i], &j, &err), CF_OK);
        assert_string_equal(j.lease_owner, "p1");
        assert_int_equal(j.lease_expires_at, 4000);
        cf_job_record_free(&j);
    }
    assert_int_equal(cf_store_job_get(f->store, "c", &j, &err), CF_OK);
    assert_string_equal(j.lease_owner, "w1");
    assert_int_equal(j.status, CF_JOB_STATE_RUNNING);
    cf_job_record_free(&j);
    assert_int_equal(redispatched(f->store, 2000), 0); /* held: not republished */
    assert_int_equal(cf_store_outbox_published_many(f->store, ids, 0, "p1", 4000, &err), CF_OK);
}

/* Without a holder (a durable bus), a batch's rows are deleted and the jobs are left as they were. */
static void test_outbox_published_many_without_holds(void **state) {
    fixture *f = *state;
    cf_error err;
    create(f->store, "j1", NULL, 1000);
    create(f->store, "j2", NULL, 1000);
    create(f->store, "j3", NULL, 1000);
    cf_outbox_record *o = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 3);
    int64_t ids[] = {o[0].id, o[2].id};
    char kept[16];
    snprintf(kept, sizeof kept, "%s", o[1].payload);
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_outbox_published_many(f->store, ids, 2, NULL, 0, &err), CF_OK);
    /* later than a claim of the first outbox_due lasts */
    assert_int_equal(cf_store_outbox_due(f->store, 60000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(o[0].payload, kept);
    cf_outbox_records_free(o, n);
    cf_job_record j;
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_STATE_QUEUED);
    assert_null(j.lease_owner);
    cf_job_record_free(&j);
}

static void test_hold_never_touches_a_job_that_left_the_queue(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "a", NULL, 1000);
    cf_outbox_record *o = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    /* A worker leases the job between the publish and the relay's bookkeeping. */
    assert_int_equal(cf_store_job_lease(f->store, "a", "p1/w0", 5000, 1000, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_outbox_published(f->store, o[0].id, "p1", 9000, &err), CF_OK);
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_job_get(f->store, "a", &j, &err), CF_OK);
    assert_string_equal(j.lease_owner, "p1/w0");
    assert_int_equal(j.lease_expires_at, 6000);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_holds_renew(f->store, "p1", 20000, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_outbox_records_free(o, n);
}

/* A media row as stored, its content hash kept; one stored without a hash reads back without,
 * and gets one later (once: a hash already there stays). */
static void test_media_records(void **state) {
    fixture *f = *state;
    cf_error err;
    const char *hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    cf_media_record m = {.id = "m1",
                         .key = "media/m1",
                         .mime = "video/mp4",
                         .bytes = 42,
                         .probe = "{}",
                         .created_at = 5,
                         .sha256 = (char *)hash};
    assert_int_equal(cf_store_media_insert(f->store, &m, &err), CF_OK);
    assert_int_equal(cf_store_media_insert(f->store, &m, &err), CF_ERR_CONFLICT);
    cf_media_record got;
    assert_int_equal(cf_store_media_get(f->store, "m1", &got, &err), CF_OK);
    assert_int_equal(got.bytes, 42);
    assert_string_equal(got.key, "media/m1");
    assert_string_equal(got.mime, "video/mp4");
    assert_int_equal(got.created_at, 5);
    assert_string_equal(got.sha256, hash);
    cf_media_record_free(&got);
    cf_media_record old = {.id = "m0", .key = "media/m0", .bytes = 1, .created_at = 4};
    assert_int_equal(cf_store_media_insert(f->store, &old, &err), CF_OK);
    assert_int_equal(cf_store_media_get(f->store, "m0", &got, &err), CF_OK);
    assert_null(got.sha256);
    cf_media_record_free(&got);
    /* hashed later from a local copy: recorded once, the first hash kept */
    assert_int_equal(cf_store_media_set_sha256(f->store, "m0", hash, &err), CF_OK);
    assert_int_equal(
        cf_store_media_set_sha256(f->store, "m0",
                                  "0000000000000000000000000000000000000000000000000000000000000000", &err),
        CF_OK);
    assert_int_equal(cf_store_media_get(f->store, "m0", &got, &err), CF_OK);
    assert_string_equal(got.sha256, hash);
    cf_media_record_free(&got);
    assert_int_equal(cf_store_media_delete(f->store, "m0", &err), CF_OK);
    assert_int_equal(cf_store_media_delete(f->store, "m1", &err), CF_OK);
    assert_int_equal(cf_store_media_delete(f->store, "m1", &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_store_media_get(f->store, "m1", &got, &err), CF_ERR_NOT_FOUND);
}

/* Pages of media newest first, the file name kept, a cursor that never repeats or skips a row
 * even when two uploads share a millisecond. */
static void test_media_list_pages_newest_first(void **state) {
    fixture *f = *state;
    cf_error err;
    const char *ids[] = {"m_a", "m_b", "m_c", "m_d", "m_e"};
    const int64_t at[] = {10, 20, 20, 30, 40};
    for (int i = 0; i < 5; i++) {
        cf_media_record m = {.id = (char *)ids[i],
                             .key = "media/x",
                             .bytes = i,
                             .filename = i == 1 ? "talk.mp4" : NULL,
                             .created_at = at[i]};
        assert_int_equal(cf_store_media_insert(f->store, &m, &err), CF_OK);
    }
    const char *want[] = {"m_e", "m_d", "m_c", "m_b", "m_a"};
    cf_media_filter page = {.limit = 2};
    char last[16] = "";
    size_t seen = 0;
    for (int round = 0; round < 4; round++) {
        cf_media_record *rows = NULL;
        size_t n = 0;
        assert_int_equal(cf_store_media_list(f->store, &page, &rows, &n, &err), CF_OK);
        for (size_t i = 0; i < n; i++) {
            assert_true(seen < 5);
            assert_string_equal(rows[i].id, want[seen++]);
            if (!strcmp(rows[i].id, "m_b")) assert_string_equal(rows[i].filename, "talk.mp4");
            else assert_null(rows[i].filename);
        }
        if (n) {
            snprintf(last, sizeof last, "%s", rows[n - 1].id);
            page.before_at = rows[n - 1].created_at;
            page.before_id = last;
        }
        cf_media_records_free(rows, n);
        if (n < page.limit) break;
    }
    assert_int_equal(seen, 5);
    cf_media_record got;
    assert_int_equal(cf_store_media_get(f->store, "m_b", &got, &err), CF_OK);
    assert_string_equal(got.filename, "talk.mp4");
    cf_media_record_free(&got);
}

/* ---- concurrency: what a distributed deployment relies on ---- */

#define RACERS 4

typedef struct racer {
    cf_store *store;
    int index, wins;
    pthread_barrier_t *go;
} racer;

static void *lease_race(void *arg) {
    racer *r = arg;
    char owner[16];
    snprintf(owner, sizeof owner, "w%d", r->index);
    pthread_barrier_wait(r->go);
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%d", i);
        cf_job_record j;
        cf_error err;
        cf_err rc = cf_store_job_lease(r->store, id, owner, 60000, 2000, &j, &err);
        if (rc == CF_OK) {
            r->wins++;
            cf_job_record_free(&j);
        } else {
            assert_int_equal(rc, CF_ERR_CONFLICT);
        }
    }
    return NULL;
}

static void test_concurrent_leases_give_each_job_to_one_worker(void **state) {
    fixture *f = *state;
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%d", i);
        create(f->store, id, NULL, 1000);
    }
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, RACERS);
    racer r[RACERS];
    pthread_t th[RACERS];
    for (int i = 0; i < RACERS; i++) {
        r[i] = (racer){f->store, i, 0, &go};
        pthread_create(&th[i], NULL, lease_race, &r[i]);
    }
    int wins = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(th[i], NULL);
        wins += r[i].wins;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(wins, 20);
    assert_int_equal(count_events(f->store, NULL, "JobProgressed"), 20);
}

typedef struct writer {
    cf_store *store;
    int index;
} writer;

static void *create_many(void *arg) {
    writer *w = arg;
    for (int i = 0; i < 25; i++) {
        char id[32];
        snprintf(id, sizeof id, "c%d_%d", w->index, i);
        cf_job_new in = {.id = id, .kind = "k", .request = "{}", .max_attempts = 1, .now = 1};
        cf_job_record j;
        bool replayed;
        cf_error err;
        assert_int_equal(cf_store_job_create(w->store, &in, &j, &replayed, &err), CF_OK);
        cf_job_record_free(&j);
    }
    return NULL;
}

/* A follower reading "events after the last id I saw" while writers commit concurrently must
 * end up with every event: no id may become visible below one already seen. */
static void test_event_follower_misses_nothing_under_concurrent_commits(void **state) {
    fixture *f = *state;
    writer w[RACERS];
    pthread_t th[RACERS];
    for (int i = 0; i < RACERS; i++) {
        w[i] = (writer){f->store, i};
        pthread_create(&th[i], NULL, create_many, &w[i]);
    }
    int64_t last = 0;
    size_t seen = 0;
    cf_error err;
    for (int rounds = 0; rounds < 100000 && seen < RACERS * 25; rounds++) {
        cf_event_record *ev = NULL;
        size_t n = 0;
        assert_int_equal(cf_store_events_after(f->store, last, NULL, NULL, 7, &ev, &n, &err), CF_OK);
        for (size_t i = 0; i < n; i++) {
            assert_true(ev[i].id > last);
            last = ev[i].id;
        }
        seen += n;
        cf_event_records_free(ev, n);
        if (!n) usleep(1000);
    }
    for (int i = 0; i < RACERS; i++) pthread_join(th[i], NULL);
    assert_int_equal(seen, RACERS * 25);
    assert_int_equal(count_events(f->store, NULL, NULL), RACERS * 25);
}

/* Review labels, where the backend keeps them. */
static void test_labels_are_kept_per_media_oldest_first(void **state) {
    fixture *f = *state;
    char scheme[32];
    snprintf(scheme, sizeof scheme, "%.*s", (int)strcspn(f->url, ":"), f->url);
    if (!cf_store_find(scheme)->label_insert) skip();
    cf_error err;
    cf_label_record a = {.id = "l1", .media_id = "m1", .body = "{\"v\":1}", .created_at = 20};
    cf_label_record b = {.id = "l2", .media_id = "m1", .body = "{\"v\":2}", .created_at = 10};
    cf_label_record c = {.id = "l3", .media_id = "m2", .body = "{}", .created_at = 5};
    assert_int_equal(cf_store_label_insert(f->store, &a, &err), CF_OK);
    assert_int_equal(cf_store_label_insert(f->store, &b, &err), CF_OK);
    assert_int_equal(cf_store_label_insert(f->store, &c, &err), CF_OK);
    assert_int_equal(cf_store_label_insert(f->store, &a, &err), CF_ERR_CONFLICT);
    cf_label_record *rows = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_labels_list(f->store, "m1", 10, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "l2");
    assert_string_equal(rows[0].media_id, "m1");
    assert_string_equal(rows[1].body, "{\"v\":1}");
    assert_int_equal(rows[1].created_at, 20);
    cf_label_records_free(rows, n);
    assert_int_equal(cf_store_labels_list(f->store, "m1", 1, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 1); /* the limit keeps the oldest */
    assert_string_equal(rows[0].id, "l2");
    cf_label_records_free(rows, n);
    assert_int_equal(cf_store_labels_list(f->store, "none", 10, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_label_records_free(rows, n);
}

static atomic_int woken, woken_here;

/* Counts the events this process committed (woken_here) and all (woken). */
static void on_event(void *user, bool remote) {
    (void)user;
    if (!remote) atomic_fetch_add(&woken_here, 1);
    atomic_fetch_add(&woken, 1);
}

static bool wait_woken(int ms) {
    for (int i = 0; i < ms / 10 && !atomic_load(&woken); i++) usleep(10000);
    return atomic_load(&woken) > 0;
}

/* A backend that can watch tells a process of events that another process committed. */
static void test_watch_sees_events_committed_elsewhere(void **state) {
    fixture *f = *state;
    char scheme[32];
    snprintf(scheme, sizeof scheme, "%.*s", (int)strcspn(f->url, ":"), f->url);
    if (!cf_store_find(scheme)->watch_events) skip();
    cf_store *other = NULL;
    cf_error err;
    assert_int_equal(cf_store_open(f->url, &other, &err), CF_OK);
    atomic_store(&woken, 0);
    cf_store_set_event_hook(f->store, on_event, NULL);
    wait_woken(2000); /* the watcher's first look after it connects */
    usleep(300000);
    atomic_store(&woken, 0);
    atomic_store(&woken_here, 0);
    create(other, "elsewhere", NULL, 1000);
    assert_true(wait_woken(3000));
    assert_int_equal(atomic_load(&woken_here), 0); /* told as another process's */
    create(f->store, "here", NULL, 1000);
    assert_true(atomic_load(&woken_here) > 0);
    cf_store_close(other);
}

static void create_for(cf_store *s, const char *id, const char *tenant, int64_t now) {
    cf_job_new in = {
        .id = id, .kind = "render", .request = "{}", .tenant = tenant, .max_attempts = 1, .now = now};
    cf_job_record j;
    bool replayed;
    cf_error err;
    assert_int_equal(cf_store_job_create(s, &in, &j, &replayed, &err), CF_OK);
    cf_job_record_free(&j);
}

static void assert_tenant_of(cf_store *s, const char *id, const char *tenant) {
    cf_job_record j;
    cf_error err;
    assert_int_equal(cf_store_job_get(s, id, &j, &err), CF_OK);
    assert_string_equal(j.tenant, tenant);
    cf_job_record_free(&j);
}

/* Jobs, their children, their events and media belong to a tenant; lists and event reads
 * filtered by tenant see that tenant's alone. */
static void test_tenants_own_jobs_children_events_and_media(void **state) {
    fixture *f = *state;
    cf_error err;
    create_for(f->store, "ta", "acme", 10);
    create_for(f->store, "tb", "beta", 11);
    create(f->store, "td", NULL, 12);
    create_child(f->store, "ta-child", "ta", 13);
    assert_tenant_of(f->store, "ta", "acme");
    assert_tenant_of(f->store, "ta-child", "acme"); /* a child is its parent's tenant's */
    assert_tenant_of(f->store, "td", "default");
    cf_job_filter jf = {.status = -1, .tenant = "acme"};
    cf_job_record *rows = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_job_list(f->store, &jf, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "ta-child");
    assert_string_equal(rows[1].id, "ta");
    cf_job_records_free(rows, n);
    cf_event_record *ev = NULL;
    assert_int_equal(cf_store_events_after(f->store, 0, NULL, "beta", 100, &ev, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].job_id, "tb");
    cf_event_records_free(ev, n);
    assert_int_equal(cf_store_events_after(f->store, 0, NULL, NULL, 100, &ev, &n, &err), CF_OK);
    assert_int_equal(n, 4);
    cf_event_records_free(ev, n);
    cf_media_record m1 = {.id = "m-a", .key = "media/m-a", .bytes = 1, .created_at = 1, .tenant = "acme"};
    cf_media_record m2 = {.id = "m-d", .key = "media/m-d", .bytes = 1, .created_at = 2};
    assert_int_equal(cf_store_media_insert(f->store, &m1, &err), CF_OK);
    assert_int_equal(cf_store_media_insert(f->store, &m2, &err), CF_OK);
    cf_media_record got;
    assert_int_equal(cf_store_media_get(f->store, "m-d", &got, &err), CF_OK);
    assert_string_equal(got.tenant, "default");
    cf_media_record_free(&got);
    cf_media_filter mf = {.tenant = "acme"};
    cf_media_record *media = NULL;
    assert_int_equal(cf_store_media_list(f->store, &mf, &media, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(media[0].id, "m-a");
    assert_string_equal(media[0].tenant, "acme");
    cf_media_records_free(media, n);
}

/* API keys: stored as given, listed per tenant newest first, revoked once and only within
 * their tenant. */
static void test_keys_are_kept_listed_and_revoked_per_tenant(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_key_record a = {
        .id = "k1", .tenant = "acme", .role = "admin", .salt = "s1", .hash = "h1", .created_at = 1};
    cf_key_record b = {.id = "k2",
                       .tenant = "beta",
                       .role = "viewer",
                       .name = "ci",
                       .salt = "s2",
                       .hash = "h2",
                       .created_at = 2};
    cf_key_record c = {
        .id = "k3", .tenant = "acme", .role = "editor", .salt = "s3", .hash = "h3", .created_at = 3};
    assert_int_equal(cf_store_key_insert(f->store, &a, &err), CF_OK);
    assert_int_equal(cf_store_key_insert(f->store, &b, &err), CF_OK);
    assert_int_equal(cf_store_key_insert(f->store, &c, &err), CF_OK);
    assert_int_equal(cf_store_key_insert(f->store, &c, &err), CF_ERR_CONFLICT);
    cf_key_record got;
    assert_int_equal(cf_store_key_get(f->store, "k2", &got, &err), CF_OK);
    assert_string_equal(got.tenant, "beta");
    assert_string_equal(got.role, "viewer");
    assert_string_equal(got.name, "ci");
    assert_string_equal(got.hash, "h2");
    assert_int_equal(got.revoked_at, 0);
    cf_key_record_free(&got);
    assert_int_equal(cf_store_key_get(f->store, "nope", &got, &err), CF_ERR_NOT_FOUND);
    cf_key_record *rows = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_key_list(f->store, "acme", &rows, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "k3");
    assert_string_equal(rows[1].id, "k1");
    cf_key_records_free(rows, n);
    assert_int_equal(cf_store_key_revoke(f->store, "k2", "acme", 9, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_store_key_revoke(f->store, "k2", "beta", 9, &err), CF_OK);
    assert_int_equal(cf_store_key_revoke(f->store, "k2", NULL, 10, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_store_key_get(f->store, "k2", &got, &err), CF_OK);
    assert_int_equal(got.revoked_at, 9);
    cf_key_record_free(&got);
    assert_int_equal(cf_store_key_list(f->store, NULL, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 3);
    cf_key_records_free(rows, n);
}

/* Month starts (UTC, ms) of 2026-10, 2026-11, 2026-12: usage is counted per month. */
#define OCT 1790812800000LL
#define NOV 1793491200000LL
#define DEC 1796083200000LL

/* What a tenant uses: its media bytes, its queued and running top-level jobs, and the run time
 * of its jobs in the month (a running job until now; an autoclip's renders not again). */
static void test_tenant_usage_counts_bytes_jobs_and_run_time(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_media_record m = {.id = "um", .key = "media/um", .bytes = 1000, .created_at = 1, .tenant = "acme"};
    assert_int_equal(cf_store_media_insert(f->store, &m, &err), CF_OK);
    create_for(f->store, "u-done", "acme", NOV + 100);
    create_for(f->store, "u-run", "acme", NOV + 100);
    create_for(f->store, "u-queued", "acme", NOV + 100);
    create_for(f->store, "u-other", "beta", NOV + 100);
    create_for(f->store, "u-old", "acme", OCT + 100); /* runs from October into November */
    cf_job_new ac = {.id = "u-ac",
                     .kind = "autoclip",
                     .request = "{}",
                     .tenant = "acme",
                     .max_attempts = 1,
                     .now = NOV + 100};
    cf_job_record j;
    bool replayed;
    assert_int_equal(cf_store_job_create(f->store, &ac, &j, &replayed, &err), CF_OK);
    cf_job_record_free(&j);
    create_child(f->store, "u-ac-render", "u-ac", NOV + 100);
    assert_int_equal(cf_store_job_lease(f->store, "u-old", "w", 60000, NOV - 2000, &j, &err), CF_OK);
    cf_job_record_free(&j);
    const char *run[] = {"u-done", "u-run", "u-other", "u-ac", "u-ac-render"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(cf_store_job_lease(f->store, run[i], "w", 60000, NOV + 1000, &j, &err), CF_OK);
        cf_job_record_free(&j);
    }
    cf_job_outcome ok = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{}"};
    assert_int_equal(cf_store_job_finish(f->store, "u-done", "w", 1, &ok, NOV + 4000, &err), CF_OK);
    assert_int_equal(cf_store_job_finish(f->store, "u-ac-render", "w", 1, &ok, NOV + 3000, &err), CF_OK);
    assert_int_equal(cf_store_job_finish(f->store, "u-ac", "w", 1, &ok, NOV + 5000, &err), CF_OK);
    cf_tenant_usage u;
    assert_int_equal(cf_store_tenant_usage(f->store, "acme", NOV, NOV + 6000, &u, &err), CF_OK);
    assert_int_equal(u.stored_bytes, 1000);
    assert_int_equal(u.active_jobs, 3); /* u-run, u-queued, u-old */
    /* u-done 3 s + u-run 5 s (until now) + u-ac 4 s (its render is inside u-ac's run) + u-old 6 s
     * (from the month's start) */
    assert_int_equal(u.processing_ms, 18000);
    assert_int_equal(cf_store_job_finish(f->store, "u-old", "w", 1, &ok, NOV + 7000, &err), CF_OK);
    assert_int_equal(cf_store_tenant_usage(f->store, "acme", NOV, NOV + 7000, &u, &err), CF_OK);
    assert_int_equal(u.processing_ms, 3000 + 6000 + 4000 + 7000);
    assert_int_equal(u.active_jobs, 2);
    assert_int_equal(cf_store_tenant_usage(f->store, "acme", DEC, DEC + 500, &u, &err), CF_OK);
    assert_int_equal(u.processing_ms, 500); /* a new month: u-run from its start */
    assert_int_equal(cf_store_tenant_usage(f->store, "nobody", NOV, NOV + 6000, &u, &err), CF_OK);
    assert_int_equal(u.stored_bytes + u.active_jobs + u.processing_ms, 0);
}

/* ---- usage counted again from every row, the way the store counted it before it kept counters */

static cf_job_record *all_jobs(cf_store *s, const char *tenant, size_t *n) {
    cf_job_record *all = NULL;
    *n = 0;
    int64_t before = 0;
    for (;;) {
        cf_job_filter jf = {.status = -1, .before_seq = before, .limit = 100, .tenant = tenant};
        cf_job_record *page = NULL;
        size_t got = 0;
        cf_error err;
        assert_int_equal(cf_store_job_list(s, &jf, &page, &got, &err), CF_OK);
        if (got) {
            all = realloc(all, (*n + got) * sizeof *all);
            assert_non_null(all);
            memcpy(all + *n, page, got * sizeof *page);
            *n += got;
            before = page[got - 1].seq;
        }
        free(page);
        if (got < 100) return all;
    }
}

static int64_t stored_bytes_counted(cf_store *s, const char *tenant) {
    int64_t bytes = 0;
    cf_media_filter mf = {.limit = 1000, .tenant = tenant};
    cf_media_record *rows = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_store_media_list(s, &mf, &rows, &n, &err), CF_OK);
    assert_true(n < 1000);
    for (size_t i = 0; i < n; i++) bytes += rows[i].bytes;
    cf_media_records_free(rows, n);
    return bytes;
}

static bool autoclip_child(const cf_job_record *j, const cf_job_record *all, size_t n) {
    for (size_t i = 0; j->parent_id && i < n; i++)
        if (!strcmp(all[i].id, j->parent_id)) return !strcmp(all[i].kind, "autoclip");
    return false;
}

static cf_tenant_usage usage_counted(cf_store *s, const char *tenant, int64_t month, int64_t now) {
    cf_tenant_usage u = {.stored_bytes = stored_bytes_counted(s, tenant)};
    size_t n = 0;
    cf_job_record *all = all_jobs(s, tenant, &n);
    for (size_t i = 0; i < n; i++) {
        const cf_job_record *j = &all[i];
        bool live = j->status == CF_JOB_STATE_QUEUED || j->status == CF_JOB_STATE_RUNNING;
        if (live && !j->parent_id) u.active_jobs++;
        if (j->started_at <= 0 || autoclip_child(j, all, n)) continue;
        int64_t from = j->started_at > month ? j->started_at : month;
        if (j->status == CF_JOB_STATE_RUNNING) u.processing_ms += now - from;
        else if (j->finished_at >= month) u.processing_ms += j->finished_at - from;
    }
    cf_job_records_free(all, n);
    return u;
}

/* The counters agree with a count of every row for both tenants, at now. */
static void assert_usage_counted(cf_store *s, int64_t now) {
    const char *tenants[] = {"acme", "beta"};
    for (size_t i = 0; i < 2; i++) {
        cf_tenant_usage want = usage_counted(s, tenants[i], NOV, now), got;
        cf_error err;
        assert_int_equal(cf_store_tenant_usage(s, tenants[i], NOV, now, &got, &err), CF_OK);
        assert_int_equal(got.stored_bytes, want.stored_bytes);
        assert_int_equal(got.active_jobs, want.active_jobs);
        assert_int_equal(got.processing_ms, want.processing_ms);
    }
}

static void lease_at(cf_store *s, const char *id, int64_t lease_ms, int64_t now) {
    cf_job_record j;
    cf_error err;
    assert_int_equal(cf_store_job_lease(s, id, "w", lease_ms, now, &j, &err), CF_OK);
    cf_job_record_free(&j);
}

static void finish_at(cf_store *s, const char *id, int64_t attempt, cf_job_state status, int64_t retry_at,
                      int64_t now) {
    cf_job_outcome o = {.status = status,
                        .result = status == CF_JOB_STATE_SUCCEEDED ? "{}" : NULL,
                        .error = status == CF_JOB_STATE_SUCCEEDED ? NULL : "{\"type\":\"about:blank\"}",
                        .retry_at = retry_at};
    cf_error err;
    assert_int_equal(cf_store_job_finish(s, id, "w", attempt, &o, now, &err), CF_OK);
}

static void media_at(cf_store *s, char *id, char *tenant, int64_t bytes) {
    cf_media_record m = {.id = id, .key = id, .bytes = bytes, .created_at = NOV, .tenant = tenant};
    cf_error err;
    assert_int_equal(cf_store_media_insert(s, &m, &err), CF_OK);
}

/* Creations, one by one and in a batch, leases, finishes of every outcome, retries, cancels (a
 * parent's queued children with it), an expired lease, a release and media deletions: after each,
 * the counters say what a count of every row says. */
static void test_usage_counters_agree_with_a_recount(void **state) {
    fixture *f = *state;
    cf_store *s = f->store;
    cf_error err;
    cf_job_record j;
    bool replayed;
    media_at(s, "m1", "acme", 1000);
    media_at(s, "m2", "acme", 250);
    media_at(s, "m3", "beta", 70);
    create_for(s, "old", "acme", OCT);
    lease_at(s, "old", 3600000, NOV - 5000); /* from October into November */
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "a%d", i);
        create_for(s, id, "acme", NOV + 10);
    }
    create_for(s, "b0", "beta", NOV + 10);
    cf_job_new ac = {.id = "ac",
                     .kind = "autoclip",
                     .request = "{}",
                     .tenant = "acme",
                     .max_attempts = 1,
                     .now = NOV + 10};
    assert_int_equal(cf_store_job_create(s, &ac, &j, &replayed, &err), CF_OK);
    cf_job_record_free(&j);
    create_child(s, "ac-r1", "ac", NOV + 20);
    create_child(s, "ac-r2", "ac", NOV + 20);
    assert_usage_counted(s, NOV + 30);

    cf_job_submission subs[4] = {
        {.in = {.id = "n1",
                .kind = "render",
                .request = "{}",
                .tenant = "acme",
                .max_attempts = 1,
                .now = NOV + 40,
                .idempotency_key = "k1"}},
        {.in = {.id = "n2",
                .kind = "render",
                .request = "{}",
                .tenant = "beta",
                .max_attempts = 1,
                .now = NOV + 40}},
        {.in = {.id = "n3",
                .kind = "render",
                .request = "{\"x\":2}",
                .tenant = "acme",
                .max_attempts = 1,
                .now = NOV + 40,
                .idempotency_key = "k1"}}, /* conflicts: not created */
        {.in = {.id = "n4",
                .kind = "render",
                .request = "{}",
                .parent_id = "a5",
                .max_attempts = 1,
                .now = NOV + 40}},
    };
    assert_int_equal(cf_store_job_create_many(s, subs, 4, &err), CF_OK);
    assert_int_equal(subs[2].rc, CF_ERR_CONFLICT);
    for (size_t i = 0; i < 4; i++) cf_job_record_free(&subs[i].out);
    assert_usage_counted(s, NOV + 50);

    cf_job_lease_req leases[5] = {{.id = "a0"}, {.id = "a1"}, {.id = "a2"}, {.id = "b0"}, {.id = "ac"}};
    assert_int_equal(cf_store_job_lease_many(s, leases, 5, "w", 60000, NOV + 1000, &err), CF_OK);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(leases[i].rc, CF_OK);
        cf_job_record_free(&leases[i].out);
    }
    lease_at(s, "ac-r1", 60000, NOV + 1100);
    lease_at(s, "a3", 500, NOV + 1200); /* its worker is lost */
    lease_at(s, "n1", 60000, NOV + 1300);
    assert_usage_counted(s, NOV + 1500);

    finish_at(s, "a0", 1, CF_JOB_STATE_SUCCEEDED, 0, NOV + 4000);
    finish_at(s, "a1", 1, CF_JOB_STATE_FAILED, NOV + 9000, NOV + 4100); /* retried later */
    finish_at(s, "ac-r1", 1, CF_JOB_STATE_SUCCEEDED, 0, NOV + 4200);
    cf_job_finish_req fin[2] = {
        {.id = "a2", .owner = "w", .attempt = 1, .outcome = {.status = CF_JOB_STATE_FAILED, .error = "{}"}},
        {.id = "b0",
         .owner = "w",
         .attempt = 1,
         .outcome = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{}"}},
    };
    assert_int_equal(cf_store_job_finish_many(s, fin, 2, NOV + 4300, &err), CF_OK);
    assert_int_equal(fin[0].rc, CF_OK);
    assert_int_equal(fin[1].rc, CF_OK);
    cf_job_outcome release = {.status = CF_JOB_STATE_QUEUED};
    assert_int_equal(cf_store_job_finish(s, "n1", "w", 1, &release, NOV + 4400, &err), CF_OK);
    assert_usage_counted(s, NOV + 4500);

    assert_int_equal(cf_store_job_cancel(s, "a4", NOV + 5000, &j, &err), CF_OK); /* queued */
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_cancel(s, "a5", NOV + 5000, &j, &err), CF_OK); /* and its child n4 */
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_cancel(s, "ac", NOV + 5100, &j, &err), CF_OK); /* running: asked */
    cf_job_record_free(&j);
    assert_usage_counted(s, NOV + 5200);
    finish_at(s, "ac", 1, CF_JOB_STATE_CANCELLED, 0, NOV + 5300);
    size_t reaped = 0;
    assert_int_equal(cf_store_reap(s, NOV + 6000, 100, &reaped, &err), CF_OK); /* a3: failed, spent */
    assert_int_equal(reaped, 1);
    assert_int_equal(cf_store_job_retry(s, "a2", NOV + 6100, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_retry(s, "a4", NOV + 6100, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_media_delete(s, "m2", &err), CF_OK);
    assert_usage_counted(s, NOV + 6200);

    lease_at(s, "a2", 60000, NOV + 7000);
    lease_at(s, "a1", 60000, NOV + 9000);
    finish_at(s, "a2", 2, CF_JOB_STATE_SUCCEEDED, 0, NOV + 9500);
    finish_at(s, "old", 1, CF_JOB_STATE_SUCCEEDED, 0, NOV + 9600);
    assert_usage_counted(s, NOV + 10000);
    cf_store_close(s);
    assert_int_equal(cf_store_open(f->url, &f->store, &err), CF_OK);
    assert_usage_counted(f->store, NOV + 11000);
}

/* A connection of the test's own to the store at url (a sqlite: file). */
static sqlite3 *sqlite_of(const char *url) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(url + 7, &db), SQLITE_OK);
    return db;
}

static void sqlite_exec(sqlite3 *db, const char *sql) {
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fprintf(stderr, "%s\n", msg);
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
}

/* A connection of the test's own to the store at url (postgres://...?schema=NAME), its
 * search_path the test's schema. */
static PGconn *pg_of(const char *url) {
    char conninfo[1024];
    snprintf(conninfo, sizeof conninfo, "%s", url);
    char *schema = strstr(conninfo, "schema=");
    assert_non_null(schema);
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(schema + 7, "&"), schema + 7);
    schema[-1] = '\0';
    PGconn *c = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "SET client_min_messages=warning; SET search_path TO %s", name);
    PGresult *r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    return c;
}

static void pg_exec(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fprintf(stderr, "%s\n", PQerrorMessage(c));
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
}

/* Undoes the migrations that added the usage counters (9 to 11), as a store of version 8 had it. */
static void drop_usage_counters(const char *url) {
    if (!strncmp(url, "sqlite:", 7)) {
        sqlite3 *db = sqlite_of(url);
        sqlite_exec(db, "BEGIN; DROP TRIGGER IF EXISTS jobs_usage_insert; DROP TRIGGER jobs_usage_update_old;"
                        " DROP TRIGGER jobs_usage_update_new; DROP TRIGGER jobs_usage_delete;"
                        " DROP TRIGGER media_usage_insert; DROP TRIGGER media_usage_update;"
                        " DROP TRIGGER media_usage_delete; DROP VIEW job_usage; DROP TABLE tenant_usage;"
                        " ALTER TABLE media DROP COLUMN sha256;"
                        " DELETE FROM schema_migrations WHERE version>8; COMMIT;");
        sqlite3_close(db);
        return;
    }
    PGconn *c = pg_of(url);
    pg_exec(c, "BEGIN; DROP FUNCTION IF EXISTS jobs_usage_changed() CASCADE;"
               " DROP FUNCTION IF EXISTS jobs_changed() CASCADE; DROP FUNCTION media_usage_changed() CASCADE;"
               " DROP FUNCTION usage_of(jobs); DROP TABLE tenant_usage, tenant_usage_changes;"
               " DROP FUNCTION IF EXISTS jobs_running_changed() CASCADE; DROP TABLE IF EXISTS jobs_running;"
               " CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, seq);"
               " ALTER TABLE media DROP COLUMN sha256;"
               " DELETE FROM schema_migrations WHERE version>8; COMMIT;");
    PQfinish(c);
}

/* A store that had jobs and media before it kept counters gets them filled from its rows. */
static void test_usage_migration_counts_existing_rows(void **state) {
    fixture *f = *state;
    cf_error err;
    media_at(f->store, "m1", "acme", 1000);
    media_at(f->store, "m2", "beta", 30);
    create_for(f->store, "old", "acme", OCT);
    lease_at(f->store, "old", 3600000, NOV - 5000);
    create_for(f->store, "q", "acme", NOV);
    create_for(f->store, "done", "beta", NOV);
    lease_at(f->store, "done", 60000, NOV + 100);
    finish_at(f->store, "done", 1, CF_JOB_STATE_SUCCEEDED, 0, NOV + 2100);
    cf_store_close(f->store);
    f->store = NULL;
    drop_usage_counters(f->url);
    assert_int_equal(cf_store_open(f->url, &f->store, &err), CF_OK);
    cf_tenant_usage u;
    assert_int_equal(cf_store_tenant_usage(f->store, "acme", NOV, NOV + 3000, &u, &err), CF_OK);
    assert_int_equal(u.stored_bytes, 1000);
    assert_int_equal(u.active_jobs, 2);
    assert_int_equal(u.processing_ms, 3000);
    assert_usage_counted(f->store, NOV + 3000);
    cf_job_filter running = {.status = CF_JOB_STATE_RUNNING, .limit = 10}; /* leased before, running now */
    cf_job_record *rows = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_job_list(f->store, &running, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "old");
    cf_job_records_free(rows, n);
    finish_at(f->store, "old", 1, CF_JOB_STATE_SUCCEEDED, 0, NOV + 4000); /* and kept from then on */
    assert_usage_counted(f->store, NOV + 5000);
}

/* Jobs j0..j(n-1), created in that order, j<i> of tenant t<i % tenants>. */
static void create_for_tenants(cf_store *s, int n, int tenants) {
    enum { BATCH = 200 };
    cf_job_submission *subs = calloc(BATCH, sizeof *subs);
    char(*names)[2][16] = calloc(BATCH, sizeof *names);
    assert_true(subs && names);
    cf_error err;
    for (int first = 0; first < n; first += BATCH) {
        int k = n - first < BATCH ? n - first : BATCH;
        for (int i = 0; i < k; i++) {
            snprintf(names[i][0], sizeof names[i][0], "j%d", first + i);
            snprintf(names[i][1], sizeof names[i][1], "t%d", (first + i) % tenants);
            subs[i] = (cf_job_submission){.in = {.id = names[i][0],
                                                 .kind = "render",
                                                 .request = "{}",
                                                 .tenant = names[i][1],
                                                 .max_attempts = 1,
                                                 .now = 1000 + first + i}};
        }
        assert_int_equal(cf_store_job_create_many(s, subs, (size_t)k, &err), CF_OK);
        for (int i = 0; i < k; i++) {
            assert_int_equal(subs[i].rc, CF_OK);
            cf_job_record_free(&subs[i].out);
        }
    }
    free(subs);
    free(names);
}

/* Lists f's jobs and checks that they are, in order, the jobs named j<first>, j<first - step>, ... */
static void assert_listed(cf_store *s, const cf_job_filter *f, size_t want, int first, int step,
                          int64_t *last_seq) {
    cf_job_record *rows = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_store_job_list(s, f, &rows, &n, &err), CF_OK);
    assert_int_equal(n, want);
    char id[16];
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "j%d", first - (int)i * step);
        assert_string_equal(rows[i].id, id);
        if (f->tenant) assert_string_equal(rows[i].tenant, f->tenant);
        if (i) assert_true(rows[i].seq < rows[i - 1].seq);
    }
    if (last_seq && n) *last_seq = rows[n - 1].seq;
    cf_job_records_free(rows, n);
}

/* The query plan of the statement that lists f's jobs in out, a line per step: SQLite's EXPLAIN
 * QUERY PLAN, or PostgreSQL's generic plan, the one a prepared statement ends up with (a custom
 * plan, made for the values at hand, could use an index that the generic one cannot). */
static void list_plan(const char *url, const cf_job_filter *f, char *out, size_t cap) {
    char sql[4096];
    out[0] = '\0';
    if (!strncmp(url, "sqlite:", 7)) {
        sqlite3 *db = sqlite_of(url);
        snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s",
                 f ? cf_store_sqlite_job_list_sql(f) : cf_store_sqlite_events_after_tenant_sql());
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW)
            snprintf(out + strlen(out), cap - strlen(out), "%s\n", (const char *)sqlite3_column_text(st, 3));
        sqlite3_finalize(st);
        sqlite3_close(db);
        return;
    }
    PGconn *c = pg_of(url);
    int n = 0;
    const char *text = cf_store_postgres_job_list_sql(f, &n);
    const char *types[] = {"text", "text", "bigint", "bigint", "text", "text"};
    char status[32] = "NULL", tenant[32] = "NULL", before[32] = "9223372036854775807";
    if (f->status >= 0)
        snprintf(status, sizeof status, "'%s'", cf_job_state_to_string((cf_job_state)f->status));
    if (f->tenant) snprintf(tenant, sizeof tenant, "'%s'", f->tenant);
    if (f->before_seq) snprintf(before, sizeof before, "%lld", (long long)f->before_seq);
    const char *values[] = {status, "NULL", before, "10", tenant, "NULL"};
    char params[128] = "", args[256] = "";
    for (int i = 0; i < n; i++) {
        snprintf(params + strlen(params), sizeof params - strlen(params), "%s%s", i ? "," : "", types[i]);
        snprintf(args + strlen(args), sizeof args - strlen(args), "%s%s", i ? "," : "", values[i]);
    }
    snprintf(sql, sizeof sql, "SET plan_cache_mode=force_generic_plan; PREPARE p(%s) AS %s", params, text);
    pg_exec(c, sql);
    snprintf(sql, sizeof sql, "EXPLAIN EXECUTE p(%s)", args);
    PGresult *r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    for (int i = 0; i < PQntuples(r); i++)
        snprintf(out + strlen(out), cap - strlen(out), "%s\n", PQgetvalue(r, i, 0));
    PQclear(r);
    PQfinish(c);
}

/* The plan of f's list reads the tenant's jobs through jobs_by_tenant, and nothing else of jobs. */
static void assert_reads_tenant_index(const char *url, const cf_job_filter *f) {
    char plan[4096];
    list_plan(url, f, plan, sizeof plan);
    bool sqlite = !strncmp(url, "sqlite:", 7);
    bool ok = sqlite
                  ? strstr(plan, "SEARCH jobs USING INDEX jobs_by_tenant (tenant=? AND seq<?)") &&
                        !strstr(plan, "SCAN jobs") && !strstr(plan, "TEMP B-TREE")
                  : strstr(plan, "jobs_by_tenant") && !strstr(plan, "Seq Scan") && !strstr(plan, "jobs_pkey");
    if (!ok) fprintf(stderr, "plan of the list of %s:\n%s", f->tenant, plan);
    assert_true(ok);
}

/* Where the tenant's jobs of 1,200 of 20 tenants are read from: the list by tenant (newest
 * first, from a cursor, by status, queued and running) gives the tenant's jobs alone and its plan
 * reads jobs_by_tenant, not every job newer than the page; a tenant's events are read from the
 * events, each one's job by id, not through jobs_by_tenant. */
static void test_tenant_lists_read_their_index(void **state) {
    fixture *f = *state;
    cf_error err;
    create_for_tenants(f->store, 1200, 20); /* t7: j7, j27, ... j1187 */
    cf_job_record j;
    const char *leased[] = {"j1187", "j1107"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(cf_store_job_lease(f->store, leased[i], "w", 60000, 5000, &j, &err), CF_OK);
        cf_job_record_free(&j);
    }
    cf_job_filter t7 = {.status = -1, .tenant = "t7", .limit = 10};
    int64_t last = 0;
    assert_listed(f->store, &t7, 10, 1187, 20, &last);
    t7.before_seq = last;
    assert_listed(f->store, &t7, 10, 987, 20, NULL);
    t7.before_seq = 0;
    t7.limit = 100;
    assert_listed(f->store, &t7, 60, 1187, 20, NULL);
    cf_job_filter queued = {.status = CF_JOB_STATE_QUEUED, .tenant = "t7", .limit = 3};
    assert_listed(f->store, &queued, 3, 1167, 20, NULL); /* j1187 runs */
    cf_job_filter running = {.status = CF_JOB_STATE_RUNNING, .tenant = "t7", .limit = 10};
    assert_listed(f->store, &running, 2, 1187, 80, NULL);
    cf_job_filter other = {.status = CF_JOB_STATE_RUNNING, .tenant = "t8", .limit = 10};
    assert_listed(f->store, &other, 0, 0, 0, NULL);

    if (strncmp(f->url, "sqlite:", 7)) { /* the planner's statistics, as autovacuum keeps them */
        PGconn *c = pg_of(f->url);
        pg_exec(c, "ANALYZE jobs");
        PQfinish(c);
    }
    cf_job_filter plans[] = {
        {.status = -1, .tenant = "t7"},
        {.status = -1, .tenant = "t7", .before_seq = last},
        {.status = CF_JOB_STATE_QUEUED, .tenant = "t7"},
        {.status = CF_JOB_STATE_FAILED, .kind = "render", .tenant = "t7", .before_seq = last}};
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) assert_reads_tenant_index(f->url, &plans[i]);
    if (!strncmp(f->url, "sqlite:", 7)) {
        char plan[1024];
        list_plan(f->url, NULL, plan, sizeof plan);
        if (strncmp(plan, "SEARCH e USING INTEGER PRIMARY KEY (rowid>?)\n", 45) ||
            strstr(plan, "jobs_by_tenant"))
            fprintf(stderr, "plan of a tenant's events:\n%s", plan);
        assert_int_equal(strncmp(plan, "SEARCH e USING INTEGER PRIMARY KEY (rowid>?)\n", 45), 0);
        assert_null(strstr(plan, "jobs_by_tenant"));
    }
}

/* A SQLite store of schema 13 (no jobs_by_tenant) gets the index when opened, and its tenant's
 * lists give the same jobs, now through the index. (PostgreSQL has had jobs_by_tenant since
 * schema 8.) */
static void test_tenant_index_migration_keeps_the_lists(void **state) {
    fixture *f = *state;
    if (strncmp(f->url, "sqlite:", 7)) skip();
    cf_error err;
    create_for_tenants(f->store, 300, 3);
    cf_store_close(f->store);
    f->store = NULL;
    sqlite3 *db = sqlite_of(f->url);
    sqlite_exec(db, "DROP INDEX jobs_by_tenant; ALTER TABLE media DROP COLUMN sha256;"
                    " DELETE FROM schema_migrations WHERE version>13;");
    sqlite3_close(db);
    assert_int_equal(cf_store_open(f->url, &f->store, &err), CF_OK);
    cf_job_filter t2 = {.status = -1, .tenant = "t2", .limit = 5};
    int64_t last = 0;
    assert_listed(f->store, &t2, 5, 299, 3, &last);
    t2.before_seq = last;
    assert_listed(f->store, &t2, 5, 284, 3, NULL);
    cf_job_filter queued = {.status = CF_JOB_STATE_QUEUED, .tenant = "t0", .limit = 200};
    assert_listed(f->store, &queued, 100, 297, 3, NULL);
    assert_reads_tenant_index(f->url, &t2);
}

/* The updates of jobs PostgreSQL counted in the test's schema, all of them and those that were
 * heap-only (HOT), once they come to at least want: the statistics of a connection reach the
 * shared ones when it ends, a little after the store closed it. */
static void jobs_updates(const char *url, long want, long *all, long *hot) {
    PGconn *c = pg_of(url);
    for (int tries = 0; tries < 100; tries++) {
        PGresult *r = PQexec(c, "SELECT pg_stat_clear_snapshot(); SELECT n_tup_upd, n_tup_hot_upd"
                                " FROM pg_stat_user_tables WHERE relid='jobs'::regclass");
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        *all = atol(PQgetvalue(r, 0, 0));
        *hot = atol(PQgetvalue(r, 0, 1));
        PQclear(r);
        if (*all >= want) break;
        usleep(100 * 1000);
    }
    PQfinish(c);
}

/* Leases and finishes change no column an index of jobs names (PostgreSQL decides by columns, an
 * index's condition included, not by values), so with room on the pages (fillfactor 50) their
 * new row versions go beside the old ones without index entries. An index naming the status,
 * even one only on the final states, makes none of them HOT. */
static void test_leases_and_finishes_are_hot_updates(void **state) {
    fixture *f = *state;
    if (!strncmp(f->url, "sqlite:", 7)) skip();
    cf_error err;
    enum { N = 64 };
    create_for_tenants(f->store, N, 4);
    cf_job_lease_req lease[N];
    cf_job_finish_req fin[N];
    char ids[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "j%d", i);
        lease[i] = (cf_job_lease_req){.id = ids[i]};
        fin[i] = (cf_job_finish_req){.id = ids[i],
                                     .owner = "w",
                                     .attempt = 1,
                                     .outcome = {.status = CF_JOB_STATE_SUCCEEDED, .result = "{}"}};
    }
    assert_int_equal(cf_store_job_lease_many(f->store, lease, N, "w", 60000, 5000, &err), CF_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(lease[i].rc, CF_OK);
        cf_job_record_free(&lease[i].out);
    }
    assert_int_equal(cf_store_job_finish_many(f->store, fin, N, 6000, &err), CF_OK);
    for (int i = 0; i < N; i++) assert_int_equal(fin[i].rc, CF_OK);
    cf_store_close(f->store);
    f->store = NULL;
    long all = 0, hot = 0;
    jobs_updates(f->url, 2 * N, &all, &hot);
    fprintf(stderr, "jobs: %ld of %ld updates HOT\n", hot, all);
    assert_int_equal(all, 2 * N);
    assert_true(hot * 4 >= all * 3);
    assert_int_equal(cf_store_open(f->url, &f->store, &err), CF_OK);
}

/* Feature flags: set inserts or replaces, list is by name, delete says when there was none, and
 * the flags outlive a reopen (every process of the store sees the same ones). */
static void test_flags_are_set_replaced_listed_and_deleted(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_flag_record *rows = NULL;
    size_t n = 1;
    assert_int_equal(cf_store_flag_list(f->store, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_flag_record b = {.name = "b.engine", .setting = "25%", .updated_at = 5};
    cf_flag_record a = {.name = "a-ui", .setting = "on", .updated_at = 6};
    assert_int_equal(cf_store_flag_set(f->store, &b, &err), CF_OK);
    assert_int_equal(cf_store_flag_set(f->store, &a, &err), CF_OK);
    b.setting = "off";
    b.updated_at = 7;
    assert_int_equal(cf_store_flag_set(f->store, &b, &err), CF_OK); /* replaces */
    cf_store_close(f->store);
    assert_int_equal(cf_store_open(f->url, &f->store, &err), CF_OK);
    assert_int_equal(cf_store_flag_list(f->store, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].name, "a-ui");
    assert_string_equal(rows[0].setting, "on");
    assert_int_equal(rows[0].updated_at, 6);
    assert_string_equal(rows[1].name, "b.engine");
    assert_string_equal(rows[1].setting, "off");
    assert_int_equal(rows[1].updated_at, 7);
    cf_flag_records_free(rows, n);
    assert_int_equal(cf_store_flag_delete(f->store, "a-ui", &err), CF_OK);
    assert_int_equal(cf_store_flag_delete(f->store, "a-ui", &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_store_flag_list(f->store, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].name, "b.engine");
    cf_flag_records_free(rows, n);
}

/* A tenant's own limits: none (all -1) until set, kept, replaced, removed with all -1. */
static void test_tenant_quotas_are_kept_and_removed(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_tenant_quota q;
    assert_int_equal(cf_store_quota_get(f->store, "acme", &q, &err), CF_OK);
    assert_int_equal(q.processing_minutes + q.storage_bytes + q.concurrent_jobs + q.upload_bytes, -4);
    cf_tenant_quota set = {600, 1000000, -1, 0};
    assert_int_equal(cf_store_quota_set(f->store, "acme", &set, &err), CF_OK);
    set.concurrent_jobs = 3;
    assert_int_equal(cf_store_quota_set(f->store, "acme", &set, &err), CF_OK);
    assert_int_equal(cf_store_quota_get(f->store, "acme", &q, &err), CF_OK);
    assert_int_equal(q.processing_minutes, 600);
    assert_int_equal(q.storage_bytes, 1000000);
    assert_int_equal(q.concurrent_jobs, 3);
    assert_int_equal(q.upload_bytes, 0);
    assert_int_equal(cf_store_quota_get(f->store, "beta", &q, &err), CF_OK);
    assert_int_equal(q.concurrent_jobs, -1);
    cf_tenant_quota none = {-1, -1, -1, -1};
    assert_int_equal(cf_store_quota_set(f->store, "acme", &none, &err), CF_OK);
    assert_int_equal(cf_store_quota_get(f->store, "acme", &q, &err), CF_OK);
    assert_int_equal(q.processing_minutes, -1);
}

int main(void) {
    if (!getenv("CF_CONTRACT_STORE_URL")) {
        fprintf(stderr, "CF_CONTRACT_STORE_URL is not set\n");
        return 2;
    }
    fprintf(stderr, "store contract on %s\n", getenv("CF_CONTRACT_STORE_URL"));
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reopen_keeps_jobs),
        T(test_create_writes_job_event_and_outbox_together),
        T(test_create_applies_the_defaults),
        T(test_idempotency_key_replays_or_conflicts),
        T(test_create_many_isolates_each_and_sees_the_batch),
        T(test_lease_heartbeat_finish_is_guarded_by_owner_and_attempt),
        T(test_lease_many_leases_what_is_leasable),
        T(test_finish_many_isolates_each_outcome),
        T(test_finish_many_of_final_outcomes),
        T(test_renew_many_renews_what_is_held),
        T(test_finish_rejects_non_final_status),
        T(test_retryable_failure_requeues_with_backoff),
        T(test_reaper_requeues_expired_leases_then_fails_when_spent),
        T(test_reaper_cancels_expired_job_with_cancel_request),
        T(test_cancel_and_retry_transitions),
        T(test_errors_the_store_writes_are_complete_problems),
        T(test_list_filters_and_pages_newest_first),
        T(test_children_are_listed_by_parent_and_cancelled_with_it),
        T(test_redispatch_adds_missing_outbox_rows_once),
        T(test_release_requeues_at_once_without_spending_an_attempt),
        T(test_held_jobs_are_republished_only_when_their_holder_is_gone),
        T(test_outbox_published_many_without_holds),
        T(test_hold_never_touches_a_job_that_left_the_queue),
        T(test_outbox_published_many_records_a_batch),
        T(test_media_records),
        T(test_media_list_pages_newest_first),
        T(test_concurrent_leases_give_each_job_to_one_worker),
        T(test_event_follower_misses_nothing_under_concurrent_commits),
        T(test_watch_sees_events_committed_elsewhere),
        T(test_labels_are_kept_per_media_oldest_first),
        T(test_tenants_own_jobs_children_events_and_media),
        T(test_keys_are_kept_listed_and_revoked_per_tenant),
        T(test_tenant_usage_counts_bytes_jobs_and_run_time),
        T(test_usage_counters_agree_with_a_recount),
        T(test_usage_migration_counts_existing_rows),
        T(test_tenant_lists_read_their_index),
        T(test_tenant_index_migration_keeps_the_lists),
        T(test_leases_and_finishes_are_hot_updates),
        T(test_tenant_quotas_are_kept_and_removed),
        T(test_flags_are_set_replaced_listed_and_deleted),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the SQLite job store: migrations, transitions, outbox, leasing and the reaper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "clipforge/fs.h"
#include "clipforge/store.h"
#include "infrastructure/backends.h"

typedef struct fixture {
    char *dir, *url;
    cf_store *store;
} fixture;

static int setup(void **state) {
    cf_backends_register();
    fixture *f = calloc(1, sizeof *f);
    cf_error err;
    assert_int_equal(cf_make_temp_dir(NULL, "cfstore-", &f->dir, &err), CF_OK);
    f->url = malloc(strlen(f->dir) + 32);
    sprintf(f->url, "sqlite:%s/db.sqlite", f->dir);
    assert_int_equal(cf_store_open(f->url, &f->store, &err), CF_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cf_store_close(f->store);
    cf_error err;
    cf_remove_tree(f->dir, &err);
    free(f->dir);
    free(f->url);
    free(f);
    return 0;
}

static void create(cf_store *s, const char *id, const char *key, int64_t now) {
    cf_job_new in = {.id = id, .kind = "clip_processing", .request = "{\"a\":1}",
                     .idempotency_key = key, .max_attempts = 2, .now = now};
    cf_job_record j;
    bool replayed = true;
    cf_error err;
    assert_int_equal(cf_store_job_create(s, &in, &j, &replayed, &err), CF_OK);
    assert_false(replayed);
    assert_int_equal(j.status, CF_JOB_QUEUED);
    cf_job_record_free(&j);
}

static size_t count_events(cf_store *s, const char *job, const char *type) {
    cf_event_record *ev = NULL;
    size_t n = 0, hits = 0;
    cf_error err;
    assert_int_equal(cf_store_events_after(s, 0, job, 1000, &ev, &n, &err), CF_OK);
    for (size_t i = 0; i < n; i++) {
        if (i) assert_true(ev[i].id > ev[i - 1].id);
        if (!type || !strcmp(ev[i].type, type)) hits++;
    }
    cf_event_records_free(ev, n);
    return hits;
}

static void test_migrations_apply_once_and_reopen(void **state) {
    fixture *f = *state;
    cf_store_close(f->store);
    cf_error err;
    assert_int_equal(cf_store_open(f->url, &f->store, &err), CF_OK); /* second open: no-op */
    sqlite3 *db;
    char path[512];
    snprintf(path, sizeof path, "%s/db.sqlite", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*), max(version) FROM schema_migrations",
                                        -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 3); /* jobs..media, labels, media file names */
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    /* A database from a newer program is refused, not silently used. */
    assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES(99, 0)", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    cf_store *other = NULL;
    assert_int_equal(cf_store_open(f->url, &other, &err), CF_ERR_UNSUPPORTED);
}

static void test_create_writes_job_event_and_outbox_together(void **state) {
    fixture *f = *state;
    create(f->store, "j1", NULL, 1000);
    assert_int_equal(count_events(f->store, "j1", "JobRequested"), 1);
    cf_outbox_record *o = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(o[0].topic, "jobs");
    assert_string_equal(o[0].payload, "j1");
    assert_int_equal(cf_store_outbox_delete(f->store, o[0].id, &err), CF_OK);
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_outbox_records_free(o, n);
}

static void test_idempotency_key_replays_or_conflicts(void **state) {
    fixture *f = *state;
    create(f->store, "j1", "k1", 1000);
    cf_job_new again = {.id = "j2", .kind = "clip_processing", .request = "{\"a\":1}",
                        .idempotency_key = "k1", .max_attempts = 2, .now = 2000};
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
}

static void test_lease_heartbeat_finish_is_guarded_by_owner_and_attempt(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "j1", NULL, 1000);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w1", 5000, 1100, &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_RUNNING);
    assert_int_equal(j.attempts, 1);
    cf_job_record_free(&j);
    /* Already running: nobody else can lease it. */
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w2", 5000, 1200, &j, &err),
                     CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_lease(f->store, "nope", "w2", 5000, 1200, &j, &err),
                     CF_ERR_NOT_FOUND);
    bool cancel = true;
    assert_int_equal(cf_store_job_heartbeat(f->store, "j1", "w1", 1, 5000, 1500, 0.5, "encode",
                                            true, &cancel, &err), CF_OK);
    assert_false(cancel);
    assert_int_equal(cf_store_job_heartbeat(f->store, "j1", "w2", 1, 5000, 1500, 0.5, NULL, false,
                                            &cancel, &err), CF_ERR_CONFLICT);
    cf_job_outcome ok = {.status = CF_JOB_SUCCEEDED, .result = "{\"out\":1}"};
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w2", 1, &ok, 1600, &err),
                     CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w1", 1, &ok, 1600, &err), CF_OK);
    /* Final: a second finish (a duplicate delivery) cannot change the outcome. */
    cf_job_outcome other = {.status = CF_JOB_SUCCEEDED, .result = "{\"out\":2}"};
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w1", 1, &other, 1700, &err),
                     CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_SUCCEEDED);
    assert_string_equal(j.result, "{\"out\":1}");
    assert_true(j.progress == 1.0);
    cf_job_record_free(&j);
    assert_int_equal(count_events(f->store, "j1", "JobCompleted"), 1);
    assert_int_equal(count_events(f->store, "j1", "JobProgressed"), 2);
}

static void test_retryable_failure_requeues_with_backoff(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "j1", NULL, 1000);
    cf_outbox_record *o = NULL;
    size_t n = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    for (size_t i = 0; i < n; i++) cf_store_outbox_delete(f->store, o[i].id, &err);
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w1", 5000, 1100, &j, &err), CF_OK);
    cf_job_record_free(&j);
    cf_job_outcome fail = {.status = CF_JOB_FAILED, .error = "{\"title\":\"x\"}", .retry_at = 9000};
    assert_int_equal(cf_store_job_finish(f->store, "j1", "w1", 1, &fail, 1200, &err), CF_OK);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_QUEUED);
    cf_job_record_free(&j);
    /* Not due before the backoff ends, neither for the relay nor for a lease. */
    assert_int_equal(cf_store_outbox_due(f->store, 5000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w1", 5000, 5000, &j, &err),
                     CF_ERR_CONFLICT);
    assert_int_equal(cf_store_outbox_due(f->store, 9000, 10, &o, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w1", 5000, 9000, &j, &err), CF_OK);
    assert_int_equal(j.attempts, 2);
    cf_job_record_free(&j);
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
    assert_int_equal(n, 0); /* lease still valid */
    assert_int_equal(cf_store_reap(f->store, 2500, 0, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_QUEUED);
    cf_job_record_free(&j);
    /* The dead worker's late finish is refused. */
    cf_job_outcome ok = {.status = CF_JOB_SUCCEEDED, .result = "{}"};
    assert_int_equal(cf_store_job_finish(f->store, "j1", "dead", 1, &ok, 2600, &err),
                     CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_lease(f->store, "j1", "w2", 1000, 3000, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_reap(f->store, 4500, 0, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cf_store_job_get(f->store, "j1", &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_FAILED); /* max_attempts 2 spent */
    assert_non_null(strstr(j.error, "lease-expired"));
    cf_job_record_free(&j);
}

static void test_cancel_and_retry_transitions(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_job_record j;
    create(f->store, "q", NULL, 1000);
    assert_int_equal(cf_store_job_cancel(f->store, "q", 1100, &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_CANCELLED);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_cancel(f->store, "q", 1200, &j, &err), CF_ERR_CONFLICT);
    assert_int_equal(cf_store_job_retry(f->store, "q", 1300, &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_QUEUED);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_retry(f->store, "q", 1300, &j, &err), CF_ERR_CONFLICT);
    /* Running: cancel is a request the worker sees at its next heartbeat. */
    assert_int_equal(cf_store_job_lease(f->store, "q", "w", 5000, 1400, &j, &err), CF_OK);
    cf_job_record_free(&j);
    assert_int_equal(cf_store_job_cancel(f->store, "q", 1500, &j, &err), CF_OK);
    assert_int_equal(j.status, CF_JOB_RUNNING);
    assert_true(j.cancel_requested);
    cf_job_record_free(&j);
    bool cancel = false;
    assert_int_equal(cf_store_job_heartbeat(f->store, "q", "w", 1, 5000, 1600, 0.1, NULL, false,
                                            &cancel, &err), CF_OK);
    assert_true(cancel);
    cf_job_outcome c = {.status = CF_JOB_CANCELLED, .error = "{}"};
    assert_int_equal(cf_store_job_finish(f->store, "q", "w", 1, &c, 1700, &err), CF_OK);
    assert_int_equal(count_events(f->store, "q", "JobCancelled"), 2);
    assert_int_equal(cf_store_job_cancel(f->store, "missing", 1, &j, &err), CF_ERR_NOT_FOUND);
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
    cf_job_filter cancelled = {.status = CF_JOB_CANCELLED, .limit = 10};
    assert_int_equal(cf_store_job_list(f->store, &cancelled, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, "j3");
    cf_job_records_free(rows, n);
    cf_job_stats st;
    assert_int_equal(cf_store_stats(f->store, &st, &err), CF_OK);
    assert_int_equal(st.by_status[CF_JOB_QUEUED], 4);
    assert_int_equal(st.by_status[CF_JOB_CANCELLED], 1);
    assert_int_equal(st.outbox_pending, 5);
}

static void test_redispatch_adds_missing_outbox_rows_once(void **state) {
    fixture *f = *state;
    cf_error err;
    create(f->store, "a", NULL, 1000);
    create(f->store, "b", NULL, 1000);
    cf_outbox_record *o = NULL;
    size_t n = 0, added = 0;
    assert_int_equal(cf_store_outbox_due(f->store, 1000, 10, &o, &n, &err), CF_OK);
    cf_store_outbox_delete(f->store, o[0].id, &err); /* "a" was published, then lost */
    cf_outbox_records_free(o, n);
    assert_int_equal(cf_store_redispatch_queued(f->store, 1000, &added, &err), CF_OK);
    assert_int_equal(added, 1);
    assert_int_equal(cf_store_redispatch_queued(f->store, 1000, &added, &err), CF_OK);
    assert_int_equal(added, 0);
}

static void test_media_records(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_media_record m = {.id = "m1", .key = "media/m1", .mime = "video/mp4", .bytes = 42,
                         .probe = "{}", .created_at = 5};
    assert_int_equal(cf_store_media_insert(f->store, &m, &err), CF_OK);
    assert_int_equal(cf_store_media_insert(f->store, &m, &err), CF_ERR_CONFLICT);
    cf_media_record got;
    assert_int_equal(cf_store_media_get(f->store, "m1", &got, &err), CF_OK);
    assert_int_equal(got.bytes, 42);
    assert_string_equal(got.key, "media/m1");
    cf_media_record_free(&got);
    assert_int_equal(cf_store_media_delete(f->store, "m1", &err), CF_OK);
    assert_int_equal(cf_store_media_delete(f->store, "m1", &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_store_media_get(f->store, "m1", &got, &err), CF_ERR_NOT_FOUND);
}

static void test_bad_urls_are_errors(void **state) {
    (void)state;
    cf_backends_register();
    cf_store *s = NULL;
    cf_error err;
    assert_int_equal(cf_store_open("nosuch:x", &s, &err), CF_ERR_UNSUPPORTED);
    assert_int_equal(cf_store_open("sqlite:", &s, &err), CF_ERR_INVALID_ARGUMENT);
    assert_int_equal(cf_store_open("sqlite:/nonexistent/dir/db", &s, &err), CF_ERR_IO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations_apply_once_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_writes_job_event_and_outbox_together, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_key_replays_or_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_heartbeat_finish_is_guarded_by_owner_and_attempt,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_retryable_failure_requeues_with_backoff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reaper_requeues_expired_leases_then_fails_when_spent,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_retry_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_and_pages_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redispatch_adds_missing_outbox_rows_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_media_records, setup, teardown),
        cmocka_unit_test(test_bad_urls_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The group commit of submissions (application/job_committer.h) on a real SQLite store: every
 * submission of many concurrent submitters is reported exactly once and only once stored, two
 * submitters racing on one idempotency key get one job, a clash fails alone, a batch that
 * cannot commit stores none and says so to each, and after close a submission is stored before
 * cf_job_committer_submit returns. */
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
#include <cmocka.h>
#include <sqlite3.h>

#include "application/job_committer.h"
#include "temp_store.h"

#define THREADS 6
#define EACH 40

typedef struct fixture {
    char *dir;
    cf_store *store;
    cf_job_committer *committer;
} fixture;

/* One submission and its waiting submitter, as the API holds it. */
typedef struct waiter {
    cf_job_pending pending; /* first */
    char id[32];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_int reports;
    bool done;
} waiter;

static void reported(cf_job_pending *p) {
    waiter *w = (waiter *)p;
    pthread_mutex_lock(&w->lock);
    atomic_fetch_add(&w->reports, 1);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void waiter_init(waiter *w, const char *id, const char *key) {
    memset(w, 0, sizeof *w);
    snprintf(w->id, sizeof w->id, "%s", id);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->pending.done = reported;
    w->pending.sub.in = (cf_job_new){
        .id = w->id, .kind = "clip_processing", .request = "{}", .idempotency_key = key, .now = 1000};
}

static void waiter_wait(waiter *w) {
    pthread_mutex_lock(&w->lock);
    while (!w->done) pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

static void waiter_free(waiter *w) {
    cf_job_record_free(&w->pending.sub.out);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    cf_error err;
    f->store = temp_store_open("cfcommit-", &f->dir);
    assert_non_null(f->store);
    assert_int_equal(cf_job_committer_new(f->store, &f->committer, &err), CF_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cf_job_committer_free(f->committer);
    temp_store_close(f->store, f->dir);
    free(f);
    return 0;
}

typedef struct submitter {
    fixture *f;
    int n;
    waiter w[EACH];
} submitter;

/* Submits its jobs one after another, each after the previous one was reported (an HTTP
 * connection), the last two on the key every submitter uses. */
static void *submit_all(void *arg) {
    submitter *s = arg;
    for (int i = 0; i < EACH; i++) {
        char id[32];
        snprintf(id, sizeof id, "j%d_%d", s->n, i);
        waiter_init(&s->w[i], id, i >= EACH - 2 ? "shared" : NULL);
        cf_job_committer_submit(s->f->committer, &s->w[i].pending);
        waiter_wait(&s->w[i]);
    }
    return NULL;
}

static size_t count_events(cf_store *s) {
    cf_event_record *ev = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_store_events_after(s, 0, NULL, NULL, 10000, &ev, &n, &err), CF_OK);
    cf_event_records_free(ev, n);
    return n;
}

static void test_concurrent_submissions_are_each_stored_and_reported_once(void **state) {
    fixture *f = *state;
    static submitter subs[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        subs[i] = (submitter){.f = f, .n = i};
        assert_int_equal(pthread_create(&t[i], NULL, submit_all, &subs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    int created = 0, replayed = 0;
    const char *shared_id = NULL;
    for (int i = 0; i < THREADS; i++) {
        for (int k = 0; k < EACH; k++) {
            waiter *w = &subs[i].w[k];
            assert_int_equal(atomic_load(&w->reports), 1);
            assert_int_equal(w->pending.sub.rc, CF_OK);
            if (w->pending.sub.replayed) replayed++;
            else created++;
            if (k >= EACH - 2) { /* every "shared" submission names the one job */
                if (!shared_id) shared_id = w->pending.sub.out.id;
                assert_string_equal(w->pending.sub.out.id, shared_id);
            } else {
                assert_string_equal(w->pending.sub.out.id, w->id);
            }
        }
    }
    assert_int_equal(replayed, THREADS * 2 - 1);
    assert_int_equal(created, THREADS * (EACH - 2) + 1);
    assert_int_equal(count_events(f->store), (size_t)created);
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < EACH; k++) waiter_free(&subs[i].w[k]);
}

static void test_after_close_a_submission_is_stored_before_submit_returns(void **state) {
    fixture *f = *state;
    waiter first, late;
    waiter_init(&first, "first", NULL);
    cf_job_committer_submit(f->committer, &first.pending);
    cf_job_committer_close(f->committer); /* reports what is queued */
    assert_int_equal(atomic_load(&first.reports), 1);
    assert_int_equal(first.pending.sub.rc, CF_OK);
    waiter_init(&late, "late", NULL);
    cf_job_committer_submit(f->committer, &late.pending);
    assert_int_equal(atomic_load(&late.reports), 1);
    assert_int_equal(late.pending.sub.rc, CF_OK);
    assert_string_equal(late.pending.sub.out.id, "late");
    assert_int_equal(count_events(f->store), 2);
    waiter_free(&first);
    waiter_free(&late);
}

/* A clash (the same id twice) fails alone, whatever batch it falls in. */
static void test_a_clash_fails_alone(void **state) {
    fixture *f = *state;
    waiter w[3];
    waiter_init(&w[0], "same", NULL);
    waiter_init(&w[1], "same", NULL);
    waiter_init(&w[2], "other", NULL);
    for (int i = 0; i < 3; i++) cf_job_committer_submit(f->committer, &w[i].pending);
    for (int i = 0; i < 3; i++) waiter_wait(&w[i]);
    assert_int_equal(w[0].pending.sub.rc, CF_OK);
    assert_int_equal(w[1].pending.sub.rc, CF_ERR_CONFLICT);
    assert_int_equal(w[2].pending.sub.rc, CF_OK);
    assert_int_equal(count_events(f->store), 2);
    for (int i = 0; i < 3; i++) waiter_free(&w[i]);
}

/* A batch that cannot be committed (another process holds the write lock past the busy
 * timeout) is reported to each of its submissions as that error, and none of them is stored:
 * no submission is ever answered as stored when it is not. */
static void test_a_batch_that_cannot_commit_stores_none_and_says_so(void **state) {
    fixture *f = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/db.sqlite", f->dir);
    sqlite3 *other;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    waiter w[2];
    waiter_init(&w[0], "a", NULL);
    waiter_init(&w[1], "b", NULL);
    for (int i = 0; i < 2; i++) cf_job_committer_submit(f->committer, &w[i].pending);
    for (int i = 0; i < 2; i++) waiter_wait(&w[i]);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(w[i].pending.sub.rc, CF_ERR_UNAVAILABLE);
        assert_null(w[i].pending.sub.out.id);
        assert_true(strlen(w[i].pending.sub.err.msg) > 0);
    }
    assert_int_equal(count_events(f->store), 0);
    cf_job_record j;
    cf_error err;
    assert_int_equal(cf_store_job_get(f->store, "a", &j, &err), CF_ERR_NOT_FOUND);
    for (int i = 0; i < 2; i++) waiter_free(&w[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_concurrent_submissions_are_each_stored_and_reported_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_after_close_a_submission_is_stored_before_submit_returns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_clash_fails_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_batch_that_cannot_commit_stores_none_and_says_so, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

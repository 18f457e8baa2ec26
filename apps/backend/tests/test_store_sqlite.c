/* What is particular to the SQLite job store: its migrations table, WAL mode, refusing a
 * database from a newer program (or with a negative schema version), its URL errors, and how a
 * batch of creations fails one creation alone whether it fails before writing or halfway. Everything a store
 * must do (transitions, outbox, leasing, the reaper, media, labels) is the store contract (tests/contract),
 * which runs on SQLite as contract_store_sqlite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clipforge/fs.h"
#include "clipforge/store.h"
#include "infrastructure/backends.h"
#include "sync_log.h"

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
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*), max(version) FROM schema_migrations", -1, &s, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    /* jobs..media, labels, media file names, parents, trace contexts, tenants and keys, flags, quotas,
     * usage counters (their table and view, their triggers, their filling), creations counted per
     * transaction, only the job indexes queries use, the tenant's jobs in order, media hashes */
    assert_int_equal(sqlite3_column_int(s, 0), 15);
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    /* A database from a newer program is refused, not silently used. */
    assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES(99, 0)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    cf_store *other = NULL;
    assert_int_equal(cf_store_open(f->url, &other, &err), CF_ERR_UNSUPPORTED);
}

/* A schema version below zero (a damaged table) is refused; migrating from it read before the list. */
static void test_negative_schema_version_is_refused(void **state) {
    fixture *f = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/db.sqlite", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "DELETE FROM schema_migrations; INSERT INTO schema_migrations VALUES(-1, 0)", NULL,
                     NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    cf_store *other = NULL;
    cf_error err;
    assert_int_equal(cf_store_open(f->url, &other, &err), CF_ERR_UNSUPPORTED);
}

/* A server and its workers may open a new store at the same moment: every one of them must get
 * it (the loser of the race to switch it to WAL used to fail with "database is locked"). */
static void test_processes_open_a_new_store_at_once(void **state) {
    fixture *f = *state;
    enum { ROUNDS = 30, PROCS = 6 };
    int failed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        char url[4200];
        snprintf(url, sizeof url, "sqlite:%s/race%d.sqlite", f->dir, round);
        int gate[2];
        assert_int_equal(pipe(gate), 0);
        pid_t kids[PROCS];
        for (int i = 0; i < PROCS; i++) {
            kids[i] = fork();
            assert_true(kids[i] >= 0);
            if (kids[i] == 0) {
                char c;
                close(gate[1]);
                (void)!read(gate[0], &c, 1); /* all start when the parent closes the pipe */
                cf_store *s = NULL;
                cf_error err;
                cf_err rc = cf_store_open(url, &s, &err);
                if (rc) fprintf(stderr, "open %d: %s\n", i, err.msg);
                else cf_store_close(s);
                _exit(rc ? 1 : 0);
            }
        }
        close(gate[0]);
        close(gate[1]);
        for (int i = 0; i < PROCS; i++) {
            int status = 0;
            waitpid(kids[i], &status, 0);
            failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        }
    }
    assert_int_equal(failed, 0);
}

static long file_size(const char *dir, const char *leaf) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, leaf);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Checkpoints run beside the commits (a thread of the store's) and the writer finishes one
 * itself past a bound: under a steady stream of group commits writing about 3 times that bound
 * in requests, the data reaches the database file and the WAL stays bounded (8,000
 * pages and one batch) instead of growing with everything written. */
static void test_checkpoints_keep_the_wal_bounded_under_steady_commits(void **state) {
    fixture *f = *state;
    enum { BATCH = 50, BATCHES = 300, REQUEST = 6000 };
    char *request = malloc(REQUEST + 16);
    snprintf(request, REQUEST + 16, "{\"pad\":\"%0*d\"}", REQUEST, 0);
    cf_job_submission *subs = calloc(BATCH, sizeof *subs);
    char(*ids)[32] = calloc(BATCH, sizeof *ids);
    cf_error err;
    long wal_max = 0;
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < BATCH; i++) {
            snprintf(ids[i], sizeof ids[i], "j%d_%d", b, i);
            memset(&subs[i], 0, sizeof subs[i]);
            subs[i].in =
                (cf_job_new){.id = ids[i], .kind = "clip_processing", .request = request, .now = 1000};
        }
        assert_int_equal(cf_store_job_create_many(f->store, subs, BATCH, &err), CF_OK);
        for (int i = 0; i < BATCH; i++) {
            assert_int_equal(subs[i].rc, CF_OK);
            cf_job_record_free(&subs[i].out);
        }
        long wal = file_size(f->dir, "db.sqlite-wal");
        if (wal > wal_max) wal_max = wal;
    }
    long written = (long)BATCH * BATCHES * REQUEST;
    fprintf(stderr, "wrote %ld bytes of requests; WAL at most %ld bytes, database %ld bytes\n", written,
            wal_max, file_size(f->dir, "db.sqlite"));
    assert_true(file_size(f->dir, "db.sqlite") > written / 2);
    assert_true(wal_max < 9000L * (4096 + 24));
    assert_true(wal_max < written / 2);
    free(ids);
    free(subs);
    free(request);
}

/* A creation is on the disk when the store returns it (synchronous=FULL): the WAL is fsynced
 * by every commit, so a submission answered 202 survives a power cut. (With NORMAL only the
 * first commit into a fresh WAL, which writes its header, and checkpoints would sync it.) */
static void test_every_commit_is_on_the_disk_when_it_returns(void **state) {
    fixture *f = *state;
    char root[PATH_MAX], wal[PATH_MAX + 32];
    assert_non_null(realpath(f->dir, root));
    snprintf(wal, sizeof wal, "fsync %s/db.sqlite-wal", root);
    const char *ids[] = {"first", "second", "third"};
    for (int i = 0; i < 3; i++) {
        cf_job_submission sub = {
            .in = {.id = ids[i], .kind = "clip_processing", .request = "{}", .now = 1000}};
        cf_error err;
        sync_log_clear();
        assert_int_equal(cf_store_job_create_many(f->store, &sub, 1, &err), CF_OK);
        assert_int_equal(sub.rc, CF_OK);
        if (sync_log_find(wal, 0, false) < 0) sync_log_print();
        assert_true(sync_log_find(wal, 0, false) >= 0);
        cf_job_record_free(&sub.out);
    }
}

static int64_t count_rows(const char *path, const char *sql) {
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* A batch is stored without a savepoint per creation: a duplicate id fails before writing and
 * alone; a creation whose event row is refused (a trigger here) fails after its job row was
 * written, and the batch is stored again with savepoints so that it too fails alone: the
 * others are stored with their events and outbox rows and counted in the usage counters,
 * nothing of it is. */
static void test_a_creation_failing_before_or_halfway_fails_alone(void **state) {
    fixture *f = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/db.sqlite", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TRIGGER refuse_bad BEFORE INSERT ON events WHEN NEW.job_id='bad'"
                                  " BEGIN SELECT RAISE(ABORT, 'refused'); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    const char *ids[] = {"a", "a", "b", "bad", "c"};
    enum { N = 5 };
    cf_job_submission subs[N];
    memset(subs, 0, sizeof subs);
    for (int i = 0; i < N; i++)
        subs[i].in = (cf_job_new){.id = ids[i], .kind = "clip_processing", .request = "{}", .now = 1000};
    cf_error err;
    assert_int_equal(cf_store_job_create_many(f->store, subs, N, &err), CF_OK);
    assert_int_equal(subs[0].rc, CF_OK);
    assert_int_equal(subs[1].rc, CF_ERR_CONFLICT); /* the duplicate id */
    assert_int_equal(subs[2].rc, CF_OK);
    assert_int_equal(subs[3].rc, CF_ERR_CONFLICT); /* its event refused */
    assert_non_null(strstr(subs[3].err.msg, "refused"));
    assert_int_equal(subs[4].rc, CF_OK);
    for (int i = 0; i < N; i++) {
        if (subs[i].rc == CF_OK) assert_string_equal(subs[i].out.id, ids[i]);
        else assert_null(subs[i].out.id);
        cf_job_record_free(&subs[i].out);
    }
    cf_job_record j;
    assert_int_equal(cf_store_job_get(f->store, "bad", &j, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM jobs"), 3);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events"), 3);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM outbox"), 3);
    /* the usage counters count the three once, after the batch was stored again */
    assert_int_equal(count_rows(path, "SELECT sum(active_jobs) FROM tenant_usage"), 3);
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
        cmocka_unit_test_setup_teardown(test_negative_schema_version_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_commit_is_on_the_disk_when_it_returns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_processes_open_a_new_store_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints_keep_the_wal_bounded_under_steady_commits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_creation_failing_before_or_halfway_fails_alone, setup,
                                        teardown),
        cmocka_unit_test(test_bad_urls_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

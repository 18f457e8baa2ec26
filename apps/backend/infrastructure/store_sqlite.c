/* store_sqlite.c — the job store on SQLite: one connection guarded by one mutex (SQLite
 * serialises writers anyway) and a second, read-only one for reading jobs and events (WAL lets
 * it read while the first writes), WAL journal with synchronous=FULL (a commit is on the disk
 * before it returns: a power cut loses nothing committed either), a busy timeout for other processes sharing
 * the file, a migrations table, prepared statements cached per connection, checkpoints in a thread of their
 * own. Every state change runs in one BEGIN IMMEDIATE transaction together with its event and outbox rows.
 * Event ids come from AUTOINCREMENT and, since SQLite commits one writer at a time, become visible in id
 * order: a reader that has seen id N will never later find a new id below N (what SSE resume relies on). */
#include "infrastructure/store_sqlite.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/clock.h"
#include "clipforge/domain/job_lifecycle.h"
#include "clipforge/log.h"

#define BUSY_TIMEOUT_MS 5000

/* Read-only connections beside the writing one (see sq_store.readers). */
#define READERS 4

/* WAL pages after a commit beyond which the checkpointer thread copies the WAL into the
 * database (PASSIVE, on a connection of its own, so that commits never wait for it), and
 * beyond which the writer does it itself after its commit, as SQLite would by default: a
 * checkpoint running beside a stream of commits rarely catches up with them, and only one
 * that has can let the next commit start the WAL over, which bounds its size. */
#define CHECKPOINT_PAGES 1000
#define CHECKPOINT_PAGES_MAX 8000
/* Least time between two of the checkpointer's checkpoints. Past CHECKPOINT_PAGES every commit
 * asks for one, and one per commit copied the few pages that commit wrote (the same last pages
 * of each table and index, again and again) and synced the WAL and the database each time; one
 * per interval copies each page once for all the commits in it. */
#define CHECKPOINT_EVERY_MS 100

typedef struct checkpointer {
    char *path;
    pthread_t thread;
    pthread_mutex_t lock; /* guards started, due, stopping */
    pthread_cond_t wake;
    bool started, due, stopping;
} checkpointer;

typedef struct sq_store {
    sqlite3 *db;
    pthread_mutex_t lock; /* guards db and the statement cache */
    sqlite3_stmt **cache;
    checkpointer ckpt;
    /* Read-only connections for the reads requests and event streams make most (a job, a job
     * list, events, a quota's usage): in WAL each reads the last commit while a writer holds the
     * first one, so a GET never waits behind a flood of submissions, and with several of them a
     * GET does not wait behind another read either (the event window's, a submission's quota
     * check) when the thread holding one has lost its CPU. None for an in-memory database. */
    struct sq_store *readers[READERS];
    int n_readers;
    atomic_uint next_reader; /* where lock_reader starts looking */
} sq_store;

/* A reading connection, locked (the caller unlocks its lock): the first free one from the next
 * in turn, else that one once it is free; the writing connection when there are none. */
static struct sq_store *lock_reader(struct sq_store *st) {
    if (!st->n_readers) {
        pthread_mutex_lock(&st->lock);
        return st;
    }
    unsigned start = atomic_fetch_add(&st->next_reader, 1);
    for (int i = 0; i < st->n_readers; i++) {
        struct sq_store *r = st->readers[(start + (unsigned)i) % (unsigned)st->n_readers];
        if (!pthread_mutex_trylock(&r->lock)) return r;
    }
    struct sq_store *r = st->readers[start % (unsigned)st->n_readers];
    pthread_mutex_lock(&r->lock);
    return r;
}

/* Usage counters. A tenant's usage (cf_tenant_usage) is the sum of its rows of tenant_usage, one
 * per month: stored_bytes and active_jobs summed over all of them (their month says nothing),
 * run_ms the run time of the jobs that ended in that month (from the month's start at most),
 * running and running_since the count and the summed start times of its jobs running now that
 * started in that month (so that a read adds now - start for each without reading them).
 * USAGE_ADD(R, SIGN) adds (SIGN "") or takes away (SIGN "-") what job row R counts for, as the
 * view job_usage says; MEDIA_ADD likewise for a media row's bytes. */
#define USAGE_ADD(R, SIGN)                                                                                   \
    "INSERT INTO tenant_usage(tenant,month,active_jobs,run_ms,running,running_since)"                        \
    " SELECT tenant,month," SIGN "active_jobs," SIGN "run_ms," SIGN "running," SIGN "running_since"          \
    " FROM job_usage WHERE id=" R ".id AND (active_jobs OR run_ms OR running)"                               \
    " ON CONFLICT(tenant,month) DO UPDATE SET active_jobs=active_jobs+excluded.active_jobs,"                 \
    " run_ms=run_ms+excluded.run_ms, running=running+excluded.running,"                                      \
    " running_since=running_since+excluded.running_since;"
#define MEDIA_ADD(R, SIGN)                                                                                   \
    "INSERT INTO tenant_usage(tenant,month,stored_bytes) VALUES(" R ".tenant,0," SIGN R ".bytes)"            \
    " ON CONFLICT(tenant,month) DO UPDATE SET stored_bytes=stored_bytes+excluded.stored_bytes;"

/* Migrations, applied in order once each; append only. */
static const char *const migrations[] = {
    "CREATE TABLE jobs("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    " status TEXT NOT NULL, stage TEXT, progress REAL NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, budget INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    " started_at INTEGER NOT NULL DEFAULT 0, finished_at INTEGER NOT NULL DEFAULT 0,"
    " request TEXT NOT NULL, result TEXT, error TEXT, idempotency_key TEXT UNIQUE,"
    " lease_owner TEXT, lease_expires_at INTEGER NOT NULL DEFAULT 0,"
    " run_after INTEGER NOT NULL DEFAULT 0, cancel_requested INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX jobs_by_status ON jobs(status, seq);"
    "CREATE INDEX jobs_by_kind ON jobs(kind, seq);"
    "CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL,"
    " job_id TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL);"
    "CREATE INDEX events_by_job ON events(job_id, id);"
    "CREATE TABLE outbox(id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL,"
    " payload TEXT NOT NULL, available_at INTEGER NOT NULL);"
    "CREATE TABLE media(id TEXT PRIMARY KEY, key TEXT NOT NULL, mime TEXT,"
    " bytes INTEGER NOT NULL, probe TEXT, created_at INTEGER NOT NULL);",
    "CREATE TABLE labels(id TEXT PRIMARY KEY, media_id TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, body TEXT NOT NULL);"
    "CREATE INDEX labels_by_media ON labels(media_id, created_at);",
    "ALTER TABLE media ADD COLUMN filename TEXT;"
    "CREATE INDEX media_by_time ON media(created_at, id);",
    "ALTER TABLE jobs ADD COLUMN parent_id TEXT;"
    "CREATE INDEX jobs_by_parent ON jobs(parent_id, seq);",
    "ALTER TABLE jobs ADD COLUMN trace_context TEXT;",
    "ALTER TABLE jobs ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';"
    "CREATE INDEX jobs_by_tenant ON jobs(tenant, seq);"
    "ALTER TABLE media ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';"
    "CREATE INDEX media_by_tenant ON media(tenant, created_at, id);"
    "CREATE TABLE api_keys(id TEXT PRIMARY KEY, tenant TEXT NOT NULL, role TEXT NOT NULL,"
    " name TEXT, salt TEXT NOT NULL, hash TEXT NOT NULL, created_at INTEGER NOT NULL,"
    " revoked_at INTEGER NOT NULL DEFAULT 0);",
    "CREATE TABLE flags(name TEXT PRIMARY KEY, setting TEXT NOT NULL, updated_at INTEGER NOT NULL);",
    "CREATE TABLE tenant_quotas(tenant TEXT PRIMARY KEY, processing_minutes INTEGER NOT NULL,"
    " storage_bytes INTEGER NOT NULL, concurrent_jobs INTEGER NOT NULL, upload_bytes INTEGER NOT NULL);",
    /* Usage counters (see the comment above USAGE_ADD), in three steps applied in one transaction
     * like every migration: the view is the one rule of what a job counts for, the triggers keep
     * tenant_usage equal to its sum through every change of a job or a media row, in that
     * change's transaction; the table is filled from the rows already there. */
    "CREATE TABLE tenant_usage(tenant TEXT NOT NULL, month INTEGER NOT NULL,"
    " stored_bytes INTEGER NOT NULL DEFAULT 0, active_jobs INTEGER NOT NULL DEFAULT 0,"
    " run_ms INTEGER NOT NULL DEFAULT 0, running INTEGER NOT NULL DEFAULT 0,"
    " running_since INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(tenant, month)) WITHOUT ROWID;"
    "CREATE VIEW job_usage AS SELECT id, tenant, month,"
    " parent_id IS NULL AND status IN ('queued','running') AS active_jobs,"
    " CASE WHEN metered AND status<>'running' AND finished_at>0"
    " THEN finished_at-max(started_at, month) ELSE 0 END AS run_ms,"
    " metered AND status='running' AS running,"
    " CASE WHEN metered AND status='running' THEN started_at ELSE 0 END AS running_since"
    " FROM (SELECT id, tenant, parent_id, status, started_at, finished_at,"
    " CAST(strftime('%s', (CASE WHEN status='running' THEN started_at ELSE finished_at END)/1000,"
    " 'unixepoch', 'start of month') AS INTEGER)*1000 AS month,"
    " started_at>0 AND (parent_id IS NULL OR NOT EXISTS(SELECT 1 FROM jobs p WHERE p.id=j.parent_id"
    " AND p.kind='autoclip' AND p.tenant=j.tenant)) AS metered FROM jobs j);",
    /* clang-format off */
    "CREATE TRIGGER jobs_usage_insert AFTER INSERT ON jobs BEGIN " USAGE_ADD("NEW", "") " END;"
    "CREATE TRIGGER jobs_usage_update_old BEFORE UPDATE OF status, started_at, finished_at ON jobs"
    " BEGIN " USAGE_ADD("OLD", "-") " END;"
    "CREATE TRIGGER jobs_usage_update_new AFTER UPDATE OF status, started_at, finished_at ON jobs"
    " BEGIN " USAGE_ADD("NEW", "") " END;"
    "CREATE TRIGGER jobs_usage_delete BEFORE DELETE ON jobs BEGIN " USAGE_ADD("OLD", "-") " END;"
    "CREATE TRIGGER media_usage_insert AFTER INSERT ON media BEGIN " MEDIA_ADD("NEW", "") " END;"
    "CREATE TRIGGER media_usage_update AFTER UPDATE OF tenant, bytes ON media"
    " BEGIN " MEDIA_ADD("OLD", "-") MEDIA_ADD("NEW", "") " END;"
    "CREATE TRIGGER media_usage_delete AFTER DELETE ON media BEGIN " MEDIA_ADD("OLD", "-") " END;",
    /* clang-format on */
    "INSERT INTO tenant_usage(tenant,month,active_jobs,run_ms,running,running_since)"
    " SELECT tenant,month,sum(active_jobs),sum(run_ms),sum(running),sum(running_since) FROM job_usage"
    " GROUP BY tenant,month;"
    "INSERT INTO tenant_usage(tenant,month,stored_bytes) SELECT tenant,0,sum(bytes) FROM media WHERE true"
    " GROUP BY tenant ON CONFLICT(tenant,month) DO UPDATE SET stored_bytes=excluded.stored_bytes;",
    /* What creations count for is added by the store in the creating transaction, once per
     * tenant for a batch (count_created), instead of by a trigger per row: SQLite set up the
     * trigger's program for every INSERT, an eighth of a submission's instructions. */
    "DROP TRIGGER IF EXISTS jobs_usage_insert;",
    /* Only indexes a query uses, since every creation writes each: jobs_by_kind served none (a
     * list by kind scans newest first like every list), jobs_by_tenant only led the planner to
     * read all of a tenant's jobs for a tenant's events after an id (now a range of the events
     * with each one's job looked up by id); most jobs have no parent and need no entry in
     * jobs_by_parent, whose queries all name one. IF EXISTS: a test rebuilds the usage counters
     * of an older store by applying the migrations from 9 again. */
    "DROP INDEX IF EXISTS jobs_by_kind; DROP INDEX IF EXISTS jobs_by_tenant;"
    "DROP INDEX IF EXISTS jobs_by_parent;"
    "CREATE INDEX jobs_by_parent ON jobs(parent_id, seq) WHERE parent_id IS NOT NULL;",
    /* A tenant's list (every GET /v1/jobs when API keys are on) reads its own jobs newest first
     * through jobs_by_tenant, with a statement of its own (Q_JOB_LIST_TENANT): without it the list
     * read every job newer than the page, of every tenant (100,000 jobs of 100 tenants: the whole
     * table for a tenant whose jobs are old). The tenant's events keep reading the events first
     * (Q_EVENTS_AFTER_TENANT joins in that order). */
    "CREATE INDEX IF NOT EXISTS jobs_by_tenant ON jobs(tenant, seq);",
    /* The media's content hash, taken as its bytes were stored (NULL for media stored before). */
    "ALTER TABLE media ADD COLUMN sha256 TEXT;",
};

#define JOB_COLS                                                                                             \
    "id,kind,status,stage,progress,attempts,max_attempts,created_at,updated_at,started_at,"                  \
    "finished_at,request,result,error,idempotency_key,lease_owner,lease_expires_at,run_after,"               \
    "cancel_requested,seq,parent_id,trace_context,tenant"

#define MEDIA_COLS "id,key,mime,bytes,probe,created_at,filename,tenant,sha256"
/* A tenant's usage from its tenant_usage rows, for the month starting at MONTH, until NOW. */
#define USAGE_SUMS(MONTH, NOW)                                                                               \
    "coalesce(sum(stored_bytes),0), coalesce(sum(active_jobs),0),"                                           \
    " coalesce(sum(CASE WHEN month=" MONTH " THEN run_ms ELSE 0 END + CASE WHEN month<" MONTH                \
    " THEN running*(" NOW "-" MONTH ") ELSE running*" NOW "-running_since END),0)"
#define KEY_COLS "id,tenant,role,name,salt,hash,created_at,revoked_at"

enum {
    Q_JOB_BY_ID,
    Q_JOB_BY_KEY,
    Q_JOB_INSERT,
    Q_USAGE_CREATED,
    Q_EVENT_INSERT,
    Q_OUTBOX_INSERT,
    Q_LEASE,
    Q_HEARTBEAT,
    Q_CANCEL_FLAG,
    Q_FINISH,
    Q_REQUEUE,
    Q_RELEASE,
    Q_HOLD,
    Q_HOLDS_RENEW,
    Q_CANCEL_QUEUED,
    Q_REQUEST_CANCEL,
    Q_RETRY,
    Q_EXPIRED,
    Q_REDISPATCH,
    Q_EVENTS_AFTER,
    Q_EVENTS_AFTER_JOB,
    Q_OUTBOX_DUE,
    Q_OUTBOX_DELETE,
    Q_MEDIA_INSERT,
    Q_MEDIA_GET,
    Q_MEDIA_DELETE,
    Q_MEDIA_SET_SHA256,
    Q_STATS,
    Q_OUTBOX_COUNT,
    Q_LABEL_INSERT,
    Q_LABELS_BY_MEDIA,
    Q_MEDIA_LIST,
    Q_CHILDREN_LIVE,
    Q_JOB_LIST,
    Q_JOB_LIST_TENANT,
    Q_JOB_LIST_CHILDREN,
    Q_EVENTS_AFTER_TENANT,
    Q_KEY_INSERT,
    Q_KEY_GET,
    Q_KEY_LIST,
    Q_KEY_REVOKE,
    Q_TENANT_USAGE,
    Q_FLAG_SET,
    Q_FLAG_LIST,
    Q_FLAG_DELETE,
    Q_QUOTA_GET,
    Q_QUOTA_SET,
    Q_QUOTA_DELETE,
    Q_BEGIN,
    Q_COMMIT,
    Q_SAVEPOINT,
    Q_SAVEPOINT_RELEASE,
    Q_SAVEPOINT_ROLLBACK,
    Q_COUNT
};

/* The conditions and order every job list shares (see Q_JOB_LIST). */
#define JOB_LIST_WHERE " (?1 IS NULL OR status=?1) AND (?2 IS NULL OR kind=?2) AND seq<?3"
#define JOB_LIST_ORDER " ORDER BY seq DESC LIMIT ?4"

static const char *const queries[Q_COUNT] = {
    [Q_JOB_BY_ID] = "SELECT " JOB_COLS " FROM jobs WHERE id=?1",
    [Q_JOB_BY_KEY] = "SELECT " JOB_COLS " FROM jobs WHERE idempotency_key=?1",
    /* No RETURNING: SQLite runs it as a trigger, whose program it sets up for every statement
     * (53k instructions for the INSERT with it, 24k + 13k for the INSERT and a look-up by id). */
    [Q_JOB_INSERT] = "INSERT INTO jobs(id,kind,status,stage,max_attempts,budget,created_at,"
                     "updated_at,request,idempotency_key,run_after,parent_id,trace_context,tenant)"
                     " VALUES(?1,?2,'queued','queued',?3,?3,?4,?4,?5,?6,?4,?7,?8,"
                     " coalesce(?9,(SELECT tenant FROM jobs WHERE id=?7),'default'))",
    /* ?2 new jobs of tenant ?1 that count (count_created) */
    [Q_USAGE_CREATED] =
        "INSERT INTO tenant_usage(tenant,month,active_jobs) VALUES(?1,0,?2)"
        " ON CONFLICT(tenant,month) DO UPDATE SET active_jobs=active_jobs+excluded.active_jobs",
    [Q_EVENT_INSERT] = "INSERT INTO events(type,job_id,at,data) VALUES(?1,?2,?3,?4)",
    [Q_OUTBOX_INSERT] = "INSERT INTO outbox(topic,payload,available_at) VALUES(?1,?2,?3)",
    [Q_LEASE] = "UPDATE jobs SET status='running', attempts=attempts+1, lease_owner=?2,"
                " lease_expires_at=?3, started_at=?4, updated_at=?4, stage='started', progress=0,"
                " finished_at=0 WHERE id=?1 AND status='queued' AND run_after<=?4",
    [Q_HEARTBEAT] = "UPDATE jobs SET lease_expires_at=?4, updated_at=?5,"
                    " progress=max(progress, ?6), stage=coalesce(?7, stage)"
                    " WHERE id=?1 AND status='running' AND lease_owner=?2 AND attempts=?3",
    [Q_CANCEL_FLAG] = "SELECT cancel_requested FROM jobs WHERE id=?1",
    [Q_FINISH] = "UPDATE jobs SET status=?4, stage=?4, result=?5, error=?6, finished_at=?7,"
                 " updated_at=?7, lease_owner=NULL, lease_expires_at=0,"
                 " progress=CASE WHEN ?4='succeeded' THEN 1 ELSE progress END"
                 " WHERE id=?1 AND status='running' AND lease_owner=?2 AND attempts=?3",
    [Q_REQUEUE] = "UPDATE jobs SET status='queued', stage='retrying', error=?4, updated_at=?5,"
                  " run_after=?6, lease_owner=NULL, lease_expires_at=0"
                  " WHERE id=?1 AND status='running' AND coalesce(lease_owner,'')=?2"
                  " AND attempts=?3",
    [Q_RELEASE] = "UPDATE jobs SET status='queued', stage='queued', progress=0, updated_at=?4,"
                  " run_after=?4, lease_owner=NULL, lease_expires_at=0,"
                  " max_attempts=max_attempts+1"
                  " WHERE id=?1 AND status='running' AND lease_owner=?2 AND attempts=?3",
    [Q_HOLD] = "UPDATE jobs SET lease_owner=?2, lease_expires_at=?3 WHERE status='queued'"
               " AND id=(SELECT payload FROM outbox WHERE id=?1 AND topic='jobs')",
    [Q_HOLDS_RENEW] = "UPDATE jobs SET lease_expires_at=?2,"
                      " lease_owner=CASE WHEN ?2=0 THEN NULL ELSE lease_owner END"
                      " WHERE status='queued' AND lease_owner=?1",
    [Q_CANCEL_QUEUED] = "UPDATE jobs SET status='cancelled', stage='cancelled', error=?3,"
                        " finished_at=?2, updated_at=?2, lease_owner=NULL, lease_expires_at=0"
                        " WHERE id=?1 AND status='queued'",
    [Q_REQUEST_CANCEL] = "UPDATE jobs SET cancel_requested=1, updated_at=?2"
                         " WHERE id=?1 AND status='running'",
    [Q_RETRY] = "UPDATE jobs SET status='queued', stage='queued', result=NULL, error=NULL,"
                " cancel_requested=0, finished_at=0, progress=0, run_after=?2, updated_at=?2,"
                " max_attempts=attempts+budget WHERE id=?1 AND status IN ('failed','cancelled')",
    [Q_EXPIRED] = "SELECT id, coalesce(lease_owner,''), attempts, max_attempts, cancel_requested"
                  " FROM jobs WHERE status='running' AND lease_expires_at<?1",
    [Q_REDISPATCH] = "INSERT INTO outbox(topic,payload,available_at)"
                     " SELECT 'jobs', id, max(run_after, ?1) FROM jobs WHERE status='queued'"
                     " AND lease_expires_at<?1"
                     " AND id NOT IN (SELECT payload FROM outbox WHERE topic='jobs')",
    [Q_EVENTS_AFTER] = "SELECT e.id,e.type,e.job_id,e.at,e.data,j.tenant FROM events e"
                       " LEFT JOIN jobs j ON j.id=e.job_id WHERE e.id>?1 ORDER BY e.id LIMIT ?2",
    [Q_EVENTS_AFTER_JOB] = "SELECT e.id,e.type,e.job_id,e.at,e.data,j.tenant FROM events e"
                           " LEFT JOIN jobs j ON j.id=e.job_id WHERE e.job_id=?3 AND e.id>?1"
                           " ORDER BY e.id LIMIT ?2",
    /* A job message carries its job's trace context to the bus. */
    [Q_OUTBOX_DUE] = "SELECT o.id,o.topic,o.payload,j.trace_context FROM outbox o"
                     " LEFT JOIN jobs j ON o.topic='jobs' AND j.id=o.payload"
                     " WHERE o.available_at<=?1 ORDER BY o.id LIMIT ?2",
    [Q_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id=?1",
    [Q_MEDIA_INSERT] = "INSERT INTO media(id,key,mime,bytes,probe,created_at,filename,tenant,sha256)"
                       " VALUES(?1,?2,?3,?4,?5,?6,?7,coalesce(?8,'default'),?9)",
    [Q_MEDIA_GET] = "SELECT " MEDIA_COLS " FROM media WHERE id=?1",
    [Q_MEDIA_LIST] =
        "SELECT " MEDIA_COLS " FROM media WHERE (?4 IS NULL OR tenant=?4) AND (?2 IS NULL"
        " OR created_at<?1 OR (created_at=?1 AND id<?2)) ORDER BY created_at DESC, id DESC LIMIT ?3",
    [Q_MEDIA_DELETE] = "DELETE FROM media WHERE id=?1",
    [Q_MEDIA_SET_SHA256] = "UPDATE media SET sha256=?2 WHERE id=?1 AND sha256 IS NULL",
    [Q_STATS] = "SELECT status, count(*) FROM jobs GROUP BY status",
    [Q_LABEL_INSERT] = "INSERT INTO labels(id,media_id,created_at,body) VALUES(?,?,?,?)",
    [Q_LABELS_BY_MEDIA] = "SELECT id,media_id,created_at,body FROM labels WHERE media_id=?"
                          " ORDER BY created_at, rowid LIMIT ?",
    [Q_CHILDREN_LIVE] = "SELECT id FROM jobs WHERE parent_id=?1 AND status IN ('queued','running')",
    /* ?1 status, ?2 kind, ?3 before seq, ?4 limit, ?5 parent, ?6 tenant. Each list has a statement
     * whose every condition the planner can use, not one with "?6 IS NULL OR tenant=?6" (no index
     * serves that): all jobs newest first by seq; a tenant's through jobs_by_tenant (tenant=?6 AND
     * seq<?3, a range of the index read backwards); a parent's children through jobs_by_parent
     * (GET /v1/jobs/{id} asks for them every time). The status and kind are checked on the rows
     * read, a page's cursor bounds the range (job_list passes the largest seq for none). */
    [Q_JOB_LIST] = "SELECT " JOB_COLS " FROM jobs WHERE" JOB_LIST_WHERE JOB_LIST_ORDER,
    [Q_JOB_LIST_TENANT] = "SELECT " JOB_COLS " FROM jobs WHERE tenant=?6 AND" JOB_LIST_WHERE JOB_LIST_ORDER,
    [Q_JOB_LIST_CHILDREN] = "SELECT " JOB_COLS " FROM jobs WHERE parent_id=?5 AND" JOB_LIST_WHERE
                            " AND (?6 IS NULL OR tenant=?6)" JOB_LIST_ORDER,
    /* The events first, each one's job by id (CROSS JOIN keeps that order): read through
     * jobs_by_tenant, a tenant's every job would be joined to its events and sorted. */
    [Q_EVENTS_AFTER_TENANT] =
        "SELECT e.id,e.type,e.job_id,e.at,e.data,j.tenant FROM events e CROSS JOIN jobs j ON j.id=e.job_id"
        " WHERE e.id>?1 AND j.tenant=?3 ORDER BY e.id LIMIT ?2",
    [Q_KEY_INSERT] = "INSERT INTO api_keys(" KEY_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,0)",
    [Q_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE id=?1",
    /* ?1 tenant, ?2 the month's start, ?3 now */
    [Q_TENANT_USAGE] = "SELECT " USAGE_SUMS("?2", "?3") " FROM tenant_usage WHERE tenant=?1",
    [Q_KEY_LIST] = "SELECT " KEY_COLS " FROM api_keys WHERE ?1 IS NULL OR tenant=?1"
                   " ORDER BY created_at DESC, id DESC",
    [Q_KEY_REVOKE] = "UPDATE api_keys SET revoked_at=?3 WHERE id=?1 AND (?2 IS NULL OR tenant=?2)"
                     " AND revoked_at=0",
    [Q_FLAG_SET] =
        "INSERT INTO flags(name,setting,updated_at) VALUES(?1,?2,?3)"
        " ON CONFLICT(name) DO UPDATE SET setting=excluded.setting, updated_at=excluded.updated_at",
    [Q_FLAG_LIST] = "SELECT name,setting,updated_at FROM flags ORDER BY name",
    [Q_FLAG_DELETE] = "DELETE FROM flags WHERE name=?1",
    [Q_QUOTA_GET] = "SELECT processing_minutes,storage_bytes,concurrent_jobs,upload_bytes FROM tenant_quotas"
                    " WHERE tenant=?1",
    [Q_QUOTA_SET] = "INSERT OR REPLACE INTO tenant_quotas VALUES(?1,?2,?3,?4,?5)",
    [Q_QUOTA_DELETE] = "DELETE FROM tenant_quotas WHERE tenant=?1",
    /* Transactions and the savepoint of each creation of a batch, prepared once like the rest. */
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_SAVEPOINT] = "SAVEPOINT one",
    [Q_SAVEPOINT_RELEASE] = "RELEASE one",
    [Q_SAVEPOINT_ROLLBACK] = "ROLLBACK TO one",
    [Q_OUTBOX_COUNT] = "SELECT (SELECT count(*) FROM outbox), (SELECT coalesce(max(id),0) FROM events),"
                       " (SELECT coalesce(min(run_after),0) FROM jobs WHERE status='queued')",
};

static cf_err db_error(sq_store *st, cf_error *err, const char *what) {
    int code = sqlite3_extended_errcode(st->db);
    cf_err rc = (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED ? CF_ERR_UNAVAILABLE
                : (code & 0xff) == SQLITE_CONSTRAINT                           ? CF_ERR_CONFLICT
                : (code & 0xff) == SQLITE_FULL                                 ? CF_ERR_NO_SPACE
                                                                               : CF_ERR_IO;
    return cf_error_set(err, rc, "store: %s: %s", what, sqlite3_errmsg(st->db));
}

/* The cached statement for q, reset and unbound; NULL with err set on failure. */
static sqlite3_stmt *stmt(sq_store *st, int q, cf_error *err) {
    if (!st->cache[q] && sqlite3_prepare_v3(st->db, queries[q], -1, SQLITE_PREPARE_PERSISTENT, &st->cache[q],
                                            NULL) != SQLITE_OK) {
        db_error(st, err, "prepare");
        return NULL;
    }
    sqlite3_reset(st->cache[q]);
    sqlite3_clear_bindings(st->cache[q]);
    return st->cache[q];
}

static void bind_text(sqlite3_stmt *s, int i, const char *v) {
    if (v) sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(s, i);
}

static char *col_dup(sqlite3_stmt *s, int i) {
    const unsigned char *v = sqlite3_column_text(s, i);
    return v ? strdup((const char *)v) : NULL;
}

static cf_err exec_sql(sq_store *st, const char *sql, cf_error *err) {
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK) return CF_OK;
    cf_err rc = db_error(st, err, sql);
    sqlite3_free(msg);
    return rc;
}

/* Runs a statement that returns no rows; *changes (optional) = rows changed. */
static cf_err run(sq_store *st, sqlite3_stmt *s, int *changes, cf_error *err) {
    int r = sqlite3_step(s);
    if (r != SQLITE_DONE && r != SQLITE_ROW) return db_error(st, err, sqlite3_sql(s));
    if (changes) *changes = sqlite3_changes(st->db);
    sqlite3_reset(s);
    return CF_OK;
}

/* Runs the cached statement q, which returns no rows. */
static cf_err run_q(sq_store *st, int q, cf_error *err) {
    sqlite3_stmt *s = stmt(st, q, err);
    return s ? run(st, s, NULL, err) : err->code;
}

static cf_err begin(sq_store *st, cf_error *err) {
    return run_q(st, Q_BEGIN, err);
}

static cf_err end_tx(sq_store *st, cf_err rc, cf_error *err) {
    if (rc == CF_OK) {
        rc = run_q(st, Q_COMMIT, err);
        if (rc == CF_OK) return CF_OK;
    }
    /* SQLite may have rolled the transaction back itself (an I/O error, out of memory). */
    if (!sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static void read_job(sqlite3_stmt *s, cf_job_record *j) {
    memset(j, 0, sizeof *j);
    j->id = col_dup(s, 0);
    j->kind = col_dup(s, 1);
    if (!cf_job_state_from_string((const char *)sqlite3_column_text(s, 2), &j->status))
        j->status = CF_JOB_STATE_FAILED;
    j->stage = col_dup(s, 3);
    j->progress = sqlite3_column_double(s, 4);
    j->attempts = sqlite3_column_int64(s, 5);
    j->max_attempts = sqlite3_column_int64(s, 6);
    j->created_at = sqlite3_column_int64(s, 7);
    j->updated_at = sqlite3_column_int64(s, 8);
    j->started_at = sqlite3_column_int64(s, 9);
    j->finished_at = sqlite3_column_int64(s, 10);
    j->request = col_dup(s, 11);
    j->result = col_dup(s, 12);
    j->error = col_dup(s, 13);
    j->idempotency_key = col_dup(s, 14);
    j->lease_owner = col_dup(s, 15);
    j->lease_expires_at = sqlite3_column_int64(s, 16);
    j->run_after = sqlite3_column_int64(s, 17);
    j->cancel_requested = sqlite3_column_int(s, 18) != 0;
    j->seq = sqlite3_column_int64(s, 19);
    j->parent_id = col_dup(s, 20);
    j->trace_context = col_dup(s, 21);
    j->tenant = col_dup(s, 22);
}

/* Loads one job by id (q = Q_JOB_BY_ID) or idempotency key (Q_JOB_BY_KEY). */
static cf_err load_job(sq_store *st, int q, const char *value, cf_job_record *out, cf_error *err) {
    sqlite3_stmt *s = stmt(st, q, err);
    if (!s) return err->code;
    bind_text(s, 1, value);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        read_job(s, out);
        sqlite3_reset(s);
        return CF_OK;
    }
    sqlite3_reset(s);
    if (r != SQLITE_DONE) return db_error(st, err, "load job");
    return cf_error_set(err, CF_ERR_NOT_FOUND, "job %s not found", value);
}

/* Appends the event of change c (cf_job_event) of job j as it is now, with its snapshot. */
static cf_err append_event_of(sq_store *st, cf_job_change c, const cf_job_record *j, int64_t now,
                              int64_t retry_at, cf_error *err) {
    const char *type;
    char *data;
    cf_err rc = cf_job_event(c, j, retry_at, &type, &data, err);
    if (rc) return rc;
    sqlite3_stmt *s = stmt(st, Q_EVENT_INSERT, err);
    if (s) {
        bind_text(s, 1, type);
        bind_text(s, 2, j->id);
        sqlite3_bind_int64(s, 3, now);
        bind_text(s, 4, data);
        rc = run(st, s, NULL, err);
    } else {
        rc = err->code;
    }
    free(data);
    return rc;
}

/* Re-reads job id and appends the event of change c with its snapshot. */
static cf_err append_event(sq_store *st, cf_job_change c, const char *id, int64_t now, int64_t retry_at,
                           cf_error *err) {
    cf_job_record j = {0};
    cf_err rc = load_job(st, Q_JOB_BY_ID, id, &j, err);
    if (rc == CF_OK) rc = append_event_of(st, c, &j, now, retry_at, err);
    cf_job_record_free(&j);
    return rc;
}

static cf_err add_outbox(sq_store *st, const char *topic, const char *payload, int64_t at, cf_error *err) {
    sqlite3_stmt *s = stmt(st, Q_OUTBOX_INSERT, err);
    if (!s) return err->code;
    bind_text(s, 1, topic);
    bind_text(s, 2, payload);
    sqlite3_bind_int64(s, 3, at);
    return run(st, s, NULL, err);
}

/* The usage record of job id's finished run into the outbox (cf_job_usage), in the caller's
 * transaction. */
static cf_err add_usage(sq_store *st, const char *id, int64_t now, cf_error *err) {
    cf_job_record j = {0};
    cf_err rc = load_job(st, Q_JOB_BY_ID, id, &j, err);
    char *data = NULL;
    if (rc == CF_OK) rc = cf_job_usage(&j, &data, err);
    cf_job_record_free(&j);
    if (rc == CF_OK && data) rc = add_outbox(st, CF_USAGE_TOPIC, data, now, err);
    free(data);
    return rc;
}

static cf_err migrate(sq_store *st, cf_error *err) {
    cf_err rc = exec_sql(st,
                         "CREATE TABLE IF NOT EXISTS schema_migrations("
                         "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                         err);
    if (rc) return rc;
    rc = begin(st, err);
    if (rc) return rc;
    sqlite3_stmt *s = NULL;
    int64_t have = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT coalesce(max(version),0) FROM schema_migrations", -1, &s, NULL) !=
        SQLITE_OK)
        rc = db_error(st, err, "read migrations");
    else if (sqlite3_step(s) == SQLITE_ROW) have = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    int64_t known = (int64_t)(sizeof migrations / sizeof migrations[0]);
    if (rc == CF_OK && have < 0)
        rc = cf_error_set(err, CF_ERR_UNSUPPORTED, "store: database schema version %lld is not valid",
                          (long long)have);
    if (rc == CF_OK && have > known)
        rc = cf_error_set(err, CF_ERR_UNSUPPORTED,
                          "store: database schema version %lld is newer than this program (%lld)",
                          (long long)have, (long long)known);
    for (int64_t v = have + 1; rc == CF_OK && v <= known; v++) {
        rc = exec_sql(st, migrations[v - 1], err);
        char sql[128];
        snprintf(sql, sizeof sql,
                 "INSERT INTO schema_migrations VALUES(%lld, CAST(strftime('%%s') AS INTEGER))",
                 (long long)v);
        if (rc == CF_OK) rc = exec_sql(st, sql, err);
    }
    return end_tx(st, rc, err);
}

/* WAL mode and the schema. Two processes opening a new store at once (serve and a worker) race
 * to switch it to WAL and to migrate it, and SQLite answers the loser "database is locked" at
 * once rather than through the busy handler: it tries again until the busy timeout. Each try
 * is whole (the migrations run in one transaction). */
static cf_err prepare_db(sq_store *st, cf_error *err) {
    int64_t deadline = cf_clock_ms() + BUSY_TIMEOUT_MS;
    for (;;) {
        cf_err rc =
            exec_sql(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", err);
        if (rc == CF_OK) rc = migrate(st, err);
        if (rc != CF_ERR_UNAVAILABLE || cf_clock_ms() >= deadline) return rc;
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

static void *checkpoint_main(void *arg) {
    checkpointer *c = arg;
    sqlite3 *db = NULL;
    /* a read first: a connection that has read nothing has not opened the WAL */
    if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
        cf_log_warn("store", "checkpointer: %s", db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        db = NULL;
    }
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        if (!c->due) {
            pthread_cond_wait(&c->wake, &c->lock);
            continue;
        }
        c->due = false;
        pthread_mutex_unlock(&c->lock);
        if (db) sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->lock);
        struct timespec next = cf_clock_deadline(CHECKPOINT_EVERY_MS);
        while (!c->stopping && pthread_cond_timedwait(&c->wake, &c->lock, &next) == 0) continue;
    }
    pthread_mutex_unlock(&c->lock);
    sqlite3_close(db);
    return NULL;
}

/* Asks the checkpointer for a checkpoint, starting its thread the first time. */
static void checkpoint_soon(checkpointer *c) {
    pthread_mutex_lock(&c->lock);
    if (!c->started && !c->stopping) c->started = pthread_create(&c->thread, NULL, checkpoint_main, c) == 0;
    c->due = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

/* The writer's checkpoint past CHECKPOINT_PAGES_MAX: FULL copies every frame, so the next commit
 * starts the WAL over. Only one checkpoint runs at a time, and SQLite answers SQLITE_BUSY at once,
 * without the busy handler, while another (the checkpointer thread's) is copying: so this one
 * tries again until that one is done (within BUSY_TIMEOUT_MS). Without the retry the writer gave
 * up at once and went on committing, and on a loaded machine the WAL grew past the bound (44 MB
 * against 36 under 6 parallel ASan runs). */
static void checkpoint_all(sqlite3 *db, const char *name) {
    const struct timespec pause = {0, 2 * 1000 * 1000};
    for (int waited_ms = 0; waited_ms < BUSY_TIMEOUT_MS; waited_ms += 2) {
        if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_FULL, NULL, NULL) != SQLITE_BUSY) return;
        nanosleep(&pause, NULL);
    }
}

/* SQLite's WAL hook on the writer (replacing its automatic checkpoint), after every commit. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages) {
    sq_store *st = arg;
    if (pages >= CHECKPOINT_PAGES_MAX) checkpoint_all(db, name);
    else if (!st->ckpt.path) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    else if (pages >= CHECKPOINT_PAGES) checkpoint_soon(&st->ckpt);
    return SQLITE_OK;
}

static void checkpointer_stop(checkpointer *c) {
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_signal(&c->wake);
    bool join = c->started;
    pthread_mutex_unlock(&c->lock);
    if (join) pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c->path);
}

static void sq_close(void *self) {
    sq_store *st = self;
    if (!st) return;
    for (int i = 0; i < st->n_readers; i++) sq_close(st->readers[i]);
    checkpointer_stop(&st->ckpt);
    for (int i = 0; st->cache && i < Q_COUNT; i++) sqlite3_finalize(st->cache[i]);
    free(st->cache);
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* A connection to path with its lock and statement cache (flags: sqlite3_open_v2's). */
static cf_err connect_db(const char *path, int flags, sq_store **out, cf_error *err) {
    sq_store *st = calloc(1, sizeof *st);
    if (!st) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    pthread_mutex_init(&st->lock, NULL);
    pthread_mutex_init(&st->ckpt.lock, NULL);
    pthread_condattr_t attr; /* checkpoint_main's pause is on the monotonic clock */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&st->ckpt.wake, &attr);
    pthread_condattr_destroy(&attr);
    st->cache = calloc(Q_COUNT, sizeof *st->cache);
    cf_err rc = CF_OK;
    if (!st->cache) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    else if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        rc = cf_error_set(err, CF_ERR_IO, "store: cannot open %s: %s", path,
                          st->db ? sqlite3_errmsg(st->db) : "out of memory");
    if (rc == CF_OK) sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    *out = st;
    return rc;
}

/* SQLite counts the memory it allocates under one mutex that every allocation and free of every
 * connection takes, for statistics nothing here reads: without them the connections of several
 * threads allocate without meeting. Before SQLite initialises, else it refuses (harmless). */
static void sqlite_without_memstatus(void) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static cf_err sq_open(const char *url, void **self, cf_error *err) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_without_memstatus);
    const char *path = url + strlen("sqlite:");
    if (!*path) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "store URL '%s': no path", url);
    sq_store *st = NULL;
    cf_err rc = connect_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &st, err);
    if (rc == CF_OK && strcmp(path, ":memory:") && !(st->ckpt.path = strdup(path)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = prepare_db(st, err);
    if (rc == CF_OK) sqlite3_wal_hook(st->db, on_wal_commit, st);
    /* after prepare_db: the file is in WAL and migrated */
    while (rc == CF_OK && strcmp(path, ":memory:") && !strstr(path, "mode=memory") &&
           st->n_readers < READERS) {
        rc = connect_db(path, SQLITE_OPEN_READONLY, &st->readers[st->n_readers], err);
        if (st->readers[st->n_readers]) st->n_readers++;
    }
    if (rc) {
        sq_close(st);
        return rc;
    }
    *self = st;
    return CF_OK;
}

static cf_err create_locked(sq_store *st, const cf_job_new *in, cf_job_record *out, bool *replayed,
                            cf_error *err) {
    if (in->idempotency_key) {
        cf_err rc = load_job(st, Q_JOB_BY_KEY, in->idempotency_key, out, err);
        if (rc == CF_OK) {
            rc = cf_job_replay(out, in, err);
            if (rc) cf_job_record_free(out);
            *replayed = rc == CF_OK;
            return rc;
        }
        if (rc != CF_ERR_NOT_FOUND) return rc;
    }
    sqlite3_stmt *s = stmt(st, Q_JOB_INSERT, err);
    if (!s) return err->code;
    bind_text(s, 1, in->id);
    bind_text(s, 2, in->kind);
    sqlite3_bind_int64(s, 3, in->max_attempts);
    sqlite3_bind_int64(s, 4, in->now);
    bind_text(s, 5, in->request);
    bind_text(s, 6, in->idempotency_key);
    bind_text(s, 7, in->parent_id);
    bind_text(s, 8, in->trace_context);
    bind_text(s, 9, in->tenant);
    cf_err rc = run(st, s, NULL, err);
    /* read once: the event's snapshot and the caller's record */
    if (rc == CF_OK) rc = load_job(st, Q_JOB_BY_ID, in->id, out, err);
    if (rc == CF_OK && (!out->id || !out->tenant)) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = append_event_of(st, CF_JOB_CHANGE_REQUESTED, out, in->now, 0, err);
    if (rc == CF_OK) rc = add_outbox(st, "jobs", in->id, in->now, err);
    return rc;
}

/* Whether a job just created counts in the usage counters: it is queued and has not started,
 * so by the rule of the job_usage view it is one active job when it has no parent, in the row
 * of month 0, and counts for nothing else. */
static bool counts_when_created(const cf_job_record *j) {
    return !j->parent_id;
}

/* Adds n active jobs of tenant to the usage counters. The creations of a transaction are counted
 * together, one statement per tenant: a trigger counting each row, as before, cost SQLite the
 * setting up of its program for every INSERT. */
static cf_err count_created(sq_store *st, const char *tenant, int64_t n, cf_error *err) {
    sqlite3_stmt *s = n ? stmt(st, Q_USAGE_CREATED, err) : NULL;
    if (!s) return n ? err->code : CF_OK;
    bind_text(s, 1, tenant);
    sqlite3_bind_int64(s, 2, n);
    return run(st, s, NULL, err);
}

static cf_err create_counted(sq_store *st, const cf_job_new *in, cf_job_record *out, bool *replayed,
                             cf_error *err) {
    cf_err rc = create_locked(st, in, out, replayed, err);
    return rc || *replayed ? rc : count_created(st, out->tenant, counts_when_created(out), err);
}

static cf_err sq_job_create(void *self, const cf_job_new *in, cf_job_record *out, bool *replayed,
                            cf_error *err) {
    sq_store *st = self;
    *replayed = false;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    if (rc == CF_OK) rc = end_tx(st, create_counted(st, in, out, replayed, err), err);
    pthread_mutex_unlock(&st->lock);
    if (rc && rc != CF_ERR_CONFLICT) cf_job_record_free(out);
    return rc;
}

/* One creation of a batch inside its savepoint: undone alone when it fails. A failure of the
 * savepoint itself, or one that ended the whole transaction, is the batch's (returned). */
static cf_err create_one(sq_store *st, cf_job_submission *sub, cf_error *err) {
    cf_err rc = run_q(st, Q_SAVEPOINT, err);
    if (rc) return rc;
    sub->rc = create_locked(st, &sub->in, &sub->out, &sub->replayed, &sub->err);
    if (sub->rc) {
        cf_job_record_free(&sub->out);
        if (sqlite3_get_autocommit(st->db)) {
            *err = sub->err;
            return sub->rc;
        }
        rc = run_q(st, Q_SAVEPOINT_ROLLBACK, err);
    }
    return rc ? rc : run_q(st, Q_SAVEPOINT_RELEASE, err);
}

/* One creation of a batch without a savepoint. A creation refused before it wrote anything (an
 * Idempotency-Key replay or conflict, a duplicate id, whose failed statement SQLite undoes
 * alone) needs none, and a savepoint per creation costs two statements and a copy of every
 * page the creation touches (a tenth of the committing thread's time). *halfway: this one
 * failed after writing, so only a savepoint can undo it alone. A failure that ended the whole
 * transaction is the batch's (returned). */
static cf_err create_plain(sq_store *st, cf_job_submission *sub, bool *halfway, cf_error *err) {
    sqlite3_int64 before = sqlite3_total_changes64(st->db);
    sub->rc = create_locked(st, &sub->in, &sub->out, &sub->replayed, &sub->err);
    if (sub->rc == CF_OK) return CF_OK;
    cf_job_record_free(&sub->out);
    if (sqlite3_get_autocommit(st->db)) {
        *err = sub->err;
        return sub->rc;
    }
    *halfway = sqlite3_total_changes64(st->db) != before;
    return CF_OK;
}

/* The submissions' outcomes forgotten, for a batch stored again. */
static void forget_outcomes(cf_job_submission *subs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        cf_job_record_free(&subs[i].out);
        subs[i].rc = CF_OK;
        subs[i].replayed = false;
    }
}

/* Stores the batch in one transaction without savepoints; only when a creation failed halfway
 * (rare: out of memory, a constraint on the event or outbox row) is the transaction rolled back
 * and the batch stored again with a savepoint for each creation, so that it fails alone. */
static cf_err store_batch(sq_store *st, cf_job_submission *subs, size_t n, cf_error *err) {
    bool halfway = false;
    cf_err rc = begin(st, err);
    for (size_t i = 0; rc == CF_OK && !halfway && i < n; i++) rc = create_plain(st, &subs[i], &halfway, err);
    if (rc || !halfway) return rc;
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    forget_outcomes(subs, n);
    rc = begin(st, err);
    for (size_t i = 0; rc == CF_OK && i < n; i++) rc = create_one(st, &subs[i], err);
    return rc;
}

static bool batch_counts(const cf_job_submission *sub) {
    return sub->rc == CF_OK && !sub->replayed && counts_when_created(&sub->out);
}

/* The batch stored, then what its new jobs count for added to the usage counters in one
 * statement per tenant (a batch has most often one). */
static cf_err create_batch(sq_store *st, cf_job_submission *subs, size_t n, cf_error *err) {
    cf_err rc = store_batch(st, subs, n, err);
    for (size_t i = 0; rc == CF_OK && i < n; i++) {
        bool counted = !batch_counts(&subs[i]);
        for (size_t k = 0; !counted && k < i; k++)
            counted = batch_counts(&subs[k]) && !strcmp(subs[k].out.tenant, subs[i].out.tenant);
        int64_t same = 0;
        for (size_t k = i; !counted && k < n; k++)
            same += batch_counts(&subs[k]) && !strcmp(subs[k].out.tenant, subs[i].out.tenant);
        rc = count_created(st, subs[i].out.tenant, same, err);
    }
    return rc;
}

static cf_err sq_job_create_many(void *self, cf_job_submission *subs, size_t n, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    cf_err rc = create_batch(st, subs, n, err);
    if (rc == CF_OK || !sqlite3_get_autocommit(st->db)) rc = end_tx(st, rc, err);
    pthread_mutex_unlock(&st->lock);
    for (size_t i = 0; rc && i < n; i++) {
        cf_job_record_free(&subs[i].out);
        subs[i].rc = rc;
        subs[i].err = *err;
        subs[i].replayed = false;
    }
    return rc;
}

static cf_err sq_job_get(void *self, const char *id, cf_job_record *out, cf_error *err) {
    sq_store *st = lock_reader(self);
    cf_err rc = load_job(st, Q_JOB_BY_ID, id, out, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* Room for one more of the rows up to limit in *rows (cap rows now), grown as rows arrive: a
 * list up to its limit up front cost every GET of a job (its children, most often none) the
 * zeroing of 200 records, a fifth of the read's instructions. */
static bool room_for_row(cf_job_record **rows, size_t *cap, size_t n, size_t limit) {
    if (n < *cap) return true;
    size_t want = *cap ? 2 * *cap : 8;
    if (want > limit) want = limit;
    cf_job_record *grown = realloc(*rows, want * sizeof **rows);
    if (!grown) return false;
    *rows = grown;
    *cap = want;
    return true;
}

/* The statement that lists the jobs f asks for (see Q_JOB_LIST). */
static int job_list_query(const cf_job_filter *f) {
    return f->parent_id ? Q_JOB_LIST_CHILDREN : f->tenant ? Q_JOB_LIST_TENANT : Q_JOB_LIST;
}

const char *cf_store_sqlite_job_list_sql(const cf_job_filter *f) {
    return queries[job_list_query(f)];
}

const char *cf_store_sqlite_events_after_tenant_sql(void) {
    return queries[Q_EVENTS_AFTER_TENANT];
}

static cf_err sq_job_list(void *self, const cf_job_filter *f, cf_job_record **out, size_t *n, cf_error *err) {
    *out = NULL;
    *n = 0;
    size_t limit = f->limit ? f->limit : 50, cap = 0;
    cf_job_record *rows = NULL;
    sq_store *st = lock_reader(self);
    sqlite3_stmt *s = stmt(st, job_list_query(f), err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, f->status >= 0 ? cf_job_state_to_string((cf_job_state)f->status) : NULL);
        bind_text(s, 2, f->kind);
        sqlite3_bind_int64(s, 3, f->before_seq > 0 ? f->before_seq : INT64_MAX);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)limit);
        bind_text(s, 5, f->parent_id);
        bind_text(s, 6, f->tenant);
        int r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW && *n < limit) {
            if (!room_for_row(&rows, &cap, *n, limit)) {
                rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
                break;
            }
            read_job(s, &rows[(*n)++]);
        }
        if (rc == CF_OK && r != SQLITE_DONE && r != SQLITE_ROW) rc = db_error(st, err, "list jobs");
        sqlite3_reset(s);
    }
    pthread_mutex_unlock(&st->lock);
    if (rc) {
        cf_job_records_free(rows, *n);
        *n = 0;
        return rc;
    }
    *out = rows;
    return CF_OK;
}

/* NOT_FOUND when id does not exist, else CONFLICT with what. */
static cf_err not_found_or_conflict(sq_store *st, const char *id, const char *what, cf_error *err) {
    cf_job_record j = {0};
    cf_err rc = load_job(st, Q_JOB_BY_ID, id, &j, err);
    if (rc) return rc;
    rc = cf_error_set(err, CF_ERR_CONFLICT, "job %s is %s: %s", id, cf_job_state_to_string(j.status), what);
    cf_job_record_free(&j);
    return rc;
}

static cf_err lease_locked(sq_store *st, const char *id, const char *owner, int64_t lease_ms, int64_t now,
                           cf_job_record *out, cf_error *err) {
    sqlite3_stmt *s = stmt(st, Q_LEASE, err);
    if (!s) return err->code;
    bind_text(s, 1, id);
    bind_text(s, 2, owner);
    sqlite3_bind_int64(s, 3, now + lease_ms);
    sqlite3_bind_int64(s, 4, now);
    int changes = 0;
    cf_err rc = run(st, s, &changes, err);
    if (rc) return rc;
    if (!changes) return not_found_or_conflict(st, id, "not leasable", err);
    rc = load_job(st, Q_JOB_BY_ID, id, out, err);
    return rc ? rc : append_event_of(st, CF_JOB_CHANGE_LEASED, out, now, 0, err);
}

static cf_err sq_job_lease(void *self, const char *id, const char *owner, int64_t lease_ms, int64_t now,
                           cf_job_record *out, cf_error *err) {
    sq_store *st = self;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    if (rc == CF_OK) rc = end_tx(st, lease_locked(st, id, owner, lease_ms, now, out, err), err);
    pthread_mutex_unlock(&st->lock);
    if (rc) cf_job_record_free(out);
    return rc;
}

static cf_err sq_job_lease_many(void *self, cf_job_lease_req *reqs, size_t n, const char *owner,
                                int64_t lease_ms, int64_t now, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    for (size_t i = 0; rc == CF_OK && i < n; i++) {
        reqs[i].rc = lease_locked(st, reqs[i].id, owner, lease_ms, now, &reqs[i].out, &reqs[i].err);
        if (reqs[i].rc && reqs[i].rc != CF_ERR_CONFLICT && reqs[i].rc != CF_ERR_NOT_FOUND) {
            *err = reqs[i].err;
            rc = reqs[i].rc;
        }
    }
    if (rc == CF_OK || !sqlite3_get_autocommit(st->db)) rc = end_tx(st, rc, err);
    pthread_mutex_unlock(&st->lock);
    for (size_t i = 0; rc && i < n; i++) {
        cf_job_record_free(&reqs[i].out);
        reqs[i].rc = rc;
        reqs[i].err = *err;
    }
    return rc;
}

static cf_err heartbeat_locked(sq_store *st, const char *id, const char *owner, int64_t attempt,
                               int64_t lease_ms, int64_t now, double progress, const char *stage, bool emit,
                               bool *cancel, cf_error *err) {
    sqlite3_stmt *s = stmt(st, Q_HEARTBEAT, err);
    if (!s) return err->code;
    bind_text(s, 1, id);
    bind_text(s, 2, owner);
    sqlite3_bind_int64(s, 3, attempt);
    sqlite3_bind_int64(s, 4, now + lease_ms);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_double(s, 6, progress);
    bind_text(s, 7, stage);
    int changes = 0;
    cf_err rc = run(st, s, &changes, err);
    if (rc) return rc;
    if (!changes) return cf_error_set(err, CF_ERR_CONFLICT, "job %s: lease lost", id);
    s = stmt(st, Q_CANCEL_FLAG, err);
    if (!s) return err->code;
    bind_text(s, 1, id);
    if (sqlite3_step(s) == SQLITE_ROW) *cancel = sqlite3_column_int(s, 0) != 0;
    sqlite3_reset(s);
    return emit ? append_event(st, CF_JOB_CHANGE_PROGRESSED, id, now, 0, err) : CF_OK;
}

static cf_err sq_job_heartbeat(void *self, const char *id, const char *owner, int64_t attempt,
                               int64_t lease_ms, int64_t now, double progress, const char *stage, bool emit,
                               bool *cancel_requested, cf_error *err) {
    sq_store *st = self;
    bool cancel = false;
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    if (rc == CF_OK)
        rc = end_tx(
            st, heartbeat_locked(st, id, owner, attempt, lease_ms, now, progress, stage, emit, &cancel, err),
            err);
    pthread_mutex_unlock(&st->lock);
    if (cancel_requested) *cancel_requested = cancel;
    return rc;
}

/* running -> queued again (retry), with its JobFailed event and the delayed outbox row. */
static cf_err requeue_locked(sq_store *st, const char *id, const char *owner, int64_t attempt,
                             const char *error, int64_t retry_at, int64_t now, cf_error *err) {
    sqlite3_stmt *s = stmt(st, Q_REQUEUE, err);
    if (!s) return err->code;
    bind_text(s, 1, id);
    bind_text(s, 2, owner ? owner : "");
    sqlite3_bind_int64(s, 3, attempt);
    bind_text(s, 4, error);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, retry_at);
    int changes = 0;
    cf_err rc = run(st, s, &changes, err);
    if (rc) return rc;
    if (!changes) return cf_error_set(err, CF_ERR_CONFLICT, "job %s: lease lost", id);
    rc = append_event(st, CF_JOB_CHANGE_REQUEUED, id, now, retry_at, err);
    return rc ? rc : add_outbox(st, "jobs", id, retry_at, err);
}

/* running -> queued at once, the run not counted (shutdown), with its event and outbox row. */
static cf_err release_locked(sq_store *st, const char *id, const char *owner, int64_t attempt, int64_t now,
                             cf_error *err) {
    sqlite3_stmt *s = stmt(st, Q_RELEASE, err);
    if (!s) return err->code;
    bind_text(s, 1, id);
    bind_text(s, 2, owner);
    sqlite3_bind_int64(s, 3, attempt);
    sqlite3_bind_int64(s, 4, now);
    int changes = 0;
    cf_err rc = run(st, s, &changes, err);
    if (rc) return rc;
    if (!changes) return cf_error_set(err, CF_ERR_CONFLICT, "job %s: lease lost", id);
    rc = append_event(st, CF_JOB_CHANGE_RELEASED, id, now, 0, err);
    return rc ? rc : add_outbox(st, "jobs", id, now, err);
}

static cf_err finish_locked(sq_store *st, const char *id, const char *owner, int64_t attempt,
                            const cf_job_outcome *o, int64_t now, cf_error *err) {
    cf_job_change change;
    cf_err rc = cf_job_outcome_change(id, o, &change, err);
    if (rc) return rc;
    if (change == CF_JOB_CHANGE_REQUEUED)
        return requeue_locked(st, id, owner, attempt, o->error, o->retry_at, now, err);
    if (change == CF_JOB_CHANGE_RELEASED) return release_locked(st, id, owner, attempt, now, err);
    sqlite3_stmt *s = stmt(st, Q_FINISH, err);
    if (!s) return err->code;
    bind_text(s, 1, id);
    bind_text(s, 2, owner);
    sqlite3_bind_int64(s, 3, attempt);
    bind_text(s, 4, cf_job_state_to_string(o->status));
    bind_text(s, 5, o->status == CF_JOB_STATE_SUCCEEDED ? o->result : NULL);
    bind_text(s, 6, o->status == CF_JOB_STATE_SUCCEEDED ? NULL : o->error);
    sqlite3_bind_int64(s, 7, now);
    int changes = 0;
    rc = run(st, s, &changes, err);
    if (rc) return rc;
    if (!changes) return cf_error_set(err, CF_ERR_CONFLICT, "job %s: lease lost", id);
    rc = add_usage(st, id, now, err);
    return rc ? rc : append_event(st, CF_JOB_CHANGE_FINISHED, id, now, 0, err);
}

static cf_err sq_job_finish(void *self, const char *id, const char *owner, int64_t attempt,
                            const cf_job_outcome *o, int64_t now, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    if (rc == CF_OK) rc = end_tx(st, finish_locked(st, id, owner, attempt, o, now, err), err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* One finish of a batch inside its savepoint: undone alone when it fails. A failure of the
 * savepoint itself, or one that ended the whole transaction, is the batch's (returned). */
static cf_err finish_one(sq_store *st, cf_job_finish_req *req, int64_t now, cf_error *err) {
    cf_err rc = run_q(st, Q_SAVEPOINT, err);
    if (rc) return rc;
    req->rc = finish_locked(st, req->id, req->owner, req->attempt, &req->outcome, now, &req->err);
    if (req->rc) {
        if (sqlite3_get_autocommit(st->db)) {
            *err = req->err;
            return req->rc;
        }
        rc = run_q(st, Q_SAVEPOINT_ROLLBACK, err);
    }
    return rc ? rc : run_q(st, Q_SAVEPOINT_RELEASE, err);
}

static cf_err sq_job_finish_many(void *self, cf_job_finish_req *reqs, size_t n, int64_t now, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    for (size_t i = 0; rc == CF_OK && i < n; i++) rc = finish_one(st, &reqs[i], now, err);
    if (rc == CF_OK || !sqlite3_get_autocommit(st->db)) rc = end_tx(st, rc, err);
    pthread_mutex_unlock(&st->lock);
    for (size_t i = 0; rc && i < n; i++) {
        reqs[i].rc = rc;
        reqs[i].err = *err;
    }
    return rc;
}

/* queued -> cancelled with its event, or running -> cancel requested; *changes = 0 when neither. */
static cf_err cancel_one(sq_store *st, const char *id, int64_t now, int *changes, cf_error *err) {
    sqlite3_stmt *s = stmt(st, Q_CANCEL_QUEUED, err);
    if (!s) return err->code;
    char *problem = cf_job_cancelled_problem();
    if (!problem) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    bind_text(s, 3, problem);
    cf_err rc = run(st, s, changes, err);
    free(problem);
    if (rc == CF_OK && *changes) return append_event(st, CF_JOB_CHANGE_FINISHED, id, now, 0, err);
    if (rc) return rc;
    s = stmt(st, Q_REQUEST_CANCEL, err);
    if (!s) return err->code;
    bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    return run(st, s, changes, err);
}

/* Cancels every child of id that is not final (one level: children have no children). */
static cf_err cancel_children(sq_store *st, const char *id, int64_t now, cf_error *err) {
    sqlite3_stmt *s = stmt(st, Q_CHILDREN_LIVE, err);
    if (!s) return err->code;
    bind_text(s, 1, id);
    char **ids = NULL;
    size_t n = 0;
    cf_err rc = CF_OK;
    while (rc == CF_OK && sqlite3_step(s) == SQLITE_ROW) {
        char **grown = realloc(ids, (n + 1) * sizeof *ids);
        if (!grown || !(grown[n] = col_dup(s, 0))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        if (grown) ids = grown;
        if (rc == CF_OK) n++;
    }
    sqlite3_reset(s);
    int changes = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == CF_OK) rc = cancel_one(st, ids[i], now, &changes, err);
        free(ids[i]);
    }
    free(ids);
    return rc;
}

static cf_err cancel_locked(sq_store *st, const char *id, int64_t now, cf_job_record *out, cf_error *err) {
    int changes = 0;
    cf_err rc = cancel_one(st, id, now, &changes, err);
    if (rc == CF_OK && !changes) rc = not_found_or_conflict(st, id, "already final", err);
    if (rc == CF_OK) rc = cancel_children(st, id, now, err);
    return rc ? rc : load_job(st, Q_JOB_BY_ID, id, out, err);
}

static cf_err sq_job_cancel(void *self, const char *id, int64_t now, cf_job_record *out, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    if (rc == CF_OK) rc = end_tx(st, cancel_locked(st, id, now, out, err), err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err retry_locked(sq_store *st, const char *id, int64_t now, cf_job_record *out, cf_error *err) {
    sqlite3_stmt *s = stmt(st, Q_RETRY, err);
    if (!s) return err->code;
    bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    int changes = 0;
    cf_err rc = run(st, s, &changes, err);
    if (rc == CF_OK && !changes)
        rc = not_found_or_conflict(st, id,
                                   "only failed or cancelled"
                                   " jobs can be retried",
                                   err);
    if (rc == CF_OK) rc = append_event(st, CF_JOB_CHANGE_RETRIED, id, now, 0, err);
    if (rc == CF_OK) rc = add_outbox(st, "jobs", id, now, err);
    return rc ? rc : load_job(st, Q_JOB_BY_ID, id, out, err);
}

static cf_err sq_job_retry(void *self, const char *id, int64_t now, cf_job_record *out, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    if (rc == CF_OK) rc = end_tx(st, retry_locked(st, id, now, out, err), err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

typedef struct expired {
    char *id, *owner;
    int64_t attempts, max_attempts;
    bool cancel;
} expired;

static cf_err reap_one(sq_store *st, const expired *e, int64_t now, int64_t delay, cf_error *err) {
    cf_job_outcome o;
    char *problem = NULL;
    cf_err rc =
        cf_job_expired_outcome(e->attempts, e->max_attempts, e->cancel, now, delay, &o, &problem, err);
    if (rc == CF_OK) rc = finish_locked(st, e->id, e->owner, e->attempts, &o, now, err);
    free(problem);
    return rc;
}

static cf_err reap_locked(sq_store *st, int64_t now, int64_t delay, size_t *n, cf_error *err) {
    sqlite3_stmt *s = stmt(st, Q_EXPIRED, err);
    if (!s) return err->code;
    sqlite3_bind_int64(s, 1, now);
    expired *list = NULL;
    size_t count = 0, cap = 0;
    cf_err rc = CF_OK;
    while (rc == CF_OK && sqlite3_step(s) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            expired *grown = realloc(list, cap * sizeof *list);
            if (!grown) {
                rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
                break;
            }
            list = grown;
        }
        list[count++] = (expired){col_dup(s, 0), col_dup(s, 1), sqlite3_column_int64(s, 2),
                                  sqlite3_column_int64(s, 3), sqlite3_column_int(s, 4) != 0};
    }
    sqlite3_reset(s);
    for (size_t i = 0; i < count; i++) {
        /* finish_locked binds the owner; an empty owner never matches, so use the stored one. */
        if (rc == CF_OK) rc = reap_one(st, &list[i], now, delay, err);
        free(list[i].id);
        free(list[i].owner);
    }
    free(list);
    if (rc == CF_OK) *n = count;
    return rc;
}

static cf_err sq_reap(void *self, int64_t now, int64_t retry_delay_ms, size_t *n, cf_error *err) {
    sq_store *st = self;
    *n = 0;
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    if (rc == CF_OK) rc = end_tx(st, reap_locked(st, now, retry_delay_ms, n, err), err);
    pthread_mutex_unlock(&st->lock);
    if (rc) *n = 0;
    return rc;
}

static cf_err sq_redispatch(void *self, int64_t now, size_t *n, cf_error *err) {
    sq_store *st = self;
    int changes = 0;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_REDISPATCH, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        sqlite3_bind_int64(s, 1, now);
        rc = run(st, s, &changes, err);
    }
    pthread_mutex_unlock(&st->lock);
    *n = rc ? 0 : (size_t)changes;
    return rc;
}

static cf_err sq_events_after(void *self, int64_t after_id, const char *job_id, const char *tenant,
                              size_t limit, cf_event_record **out, size_t *n, cf_error *err) {
    *out = NULL;
    *n = 0;
    if (!limit) return CF_OK;
    cf_event_record *rows = calloc(limit, sizeof *rows);
    if (!rows) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    sq_store *st = lock_reader(self);
    sqlite3_stmt *s = stmt(st,
                           job_id   ? Q_EVENTS_AFTER_JOB
                           : tenant ? Q_EVENTS_AFTER_TENANT
                                    : Q_EVENTS_AFTER,
                           err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        sqlite3_bind_int64(s, 1, after_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
        if (job_id || tenant) bind_text(s, 3, job_id ? job_id : tenant);
        while (*n < limit && sqlite3_step(s) == SQLITE_ROW) {
            cf_event_record *e = &rows[(*n)++];
            e->id = sqlite3_column_int64(s, 0);
            e->type = col_dup(s, 1);
            e->job_id = col_dup(s, 2);
            e->at = sqlite3_column_int64(s, 3);
            e->data = col_dup(s, 4);
            e->tenant = col_dup(s, 5);
        }
        sqlite3_reset(s);
    }
    pthread_mutex_unlock(&st->lock);
    if (rc) {
        cf_event_records_free(rows, *n);
        *n = 0;
        return rc;
    }
    *out = rows;
    return CF_OK;
}

static cf_err sq_outbox_due(void *self, int64_t now, size_t limit, cf_outbox_record **out, size_t *n,
                            cf_error *err) {
    sq_store *st = self;
    *out = NULL;
    *n = 0;
    if (!limit) return CF_OK;
    cf_outbox_record *rows = calloc(limit, sizeof *rows);
    if (!rows) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_OUTBOX_DUE, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        sqlite3_bind_int64(s, 1, now);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
        while (*n < limit && sqlite3_step(s) == SQLITE_ROW) {
            cf_outbox_record *o = &rows[(*n)++];
            o->id = sqlite3_column_int64(s, 0);
            o->topic = col_dup(s, 1);
            o->payload = col_dup(s, 2);
            o->trace_context = col_dup(s, 3);
        }
        sqlite3_reset(s);
    }
    pthread_mutex_unlock(&st->lock);
    *out = rows;
    return rc;
}

/* Runs a one-statement change under the lock; *changes optional. */
static cf_err simple_change(sq_store *st, int q, const char *text1, int64_t id1, int *changes,
                            cf_error *err) {
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, q, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        if (text1) bind_text(s, 1, text1);
        else sqlite3_bind_int64(s, 1, id1);
        rc = run(st, s, changes, err);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err sq_outbox_delete(void *self, int64_t id, cf_error *err) {
    return simple_change(self, Q_OUTBOX_DELETE, NULL, id, NULL, err);
}

/* The outbox row is gone and the hold recorded in one transaction: a crash between the two
 * would otherwise leave a published job that nobody republishes. */
static cf_err published_locked(sq_store *st, int64_t id, const char *holder, int64_t until, cf_error *err) {
    sqlite3_stmt *s = holder ? stmt(st, Q_HOLD, err) : NULL;
    if (holder && !s) return err->code;
    cf_err rc = CF_OK;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        bind_text(s, 2, holder);
        sqlite3_bind_int64(s, 3, until);
        rc = run(st, s, NULL, err);
    }
    if (rc == CF_OK && !(s = stmt(st, Q_OUTBOX_DELETE, err))) return err->code;
    if (rc == CF_OK) {
        sqlite3_bind_int64(s, 1, id);
        rc = run(st, s, NULL, err);
    }
    return rc;
}

static cf_err sq_outbox_published(void *self, int64_t id, const char *holder, int64_t until, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    if (rc == CF_OK) rc = end_tx(st, published_locked(st, id, holder, until, err), err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err sq_outbox_published_many(void *self, const int64_t *ids, size_t n, const char *holder,
                                       int64_t until, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    cf_err rc = begin(st, err);
    for (size_t i = 0; rc == CF_OK && i < n; i++) rc = published_locked(st, ids[i], holder, until, err);
    if (rc == CF_OK || !sqlite3_get_autocommit(st->db)) rc = end_tx(st, rc, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err sq_holds_renew(void *self, const char *holder, int64_t until, size_t *n, cf_error *err) {
    sq_store *st = self;
    int changes = 0;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_HOLDS_RENEW, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, holder);
        sqlite3_bind_int64(s, 2, until);
        rc = run(st, s, &changes, err);
    }
    pthread_mutex_unlock(&st->lock);
    *n = rc ? 0 : (size_t)changes;
    return rc;
}

static cf_err sq_media_insert(void *self, const cf_media_record *m, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_MEDIA_INSERT, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, m->id);
        bind_text(s, 2, m->key);
        bind_text(s, 3, m->mime);
        sqlite3_bind_int64(s, 4, m->bytes);
        bind_text(s, 5, m->probe);
        sqlite3_bind_int64(s, 6, m->created_at);
        bind_text(s, 7, m->filename);
        bind_text(s, 8, m->tenant);
        bind_text(s, 9, m->sha256);
        rc = run(st, s, NULL, err);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* Reads a row of MEDIA_COLS; false when out of memory. */
static bool read_media(sqlite3_stmt *s, cf_media_record *m) {
    m->id = col_dup(s, 0);
    m->key = col_dup(s, 1);
    m->mime = col_dup(s, 2);
    m->bytes = sqlite3_column_int64(s, 3);
    m->probe = col_dup(s, 4);
    m->created_at = sqlite3_column_int64(s, 5);
    m->filename = col_dup(s, 6);
    m->tenant = col_dup(s, 7);
    m->sha256 = col_dup(s, 8);
    return m->id && m->key && m->tenant && (m->sha256 || sqlite3_column_type(s, 8) == SQLITE_NULL);
}

static cf_err sq_media_get(void *self, const char *id, cf_media_record *out, cf_error *err) {
    sq_store *st = self;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_MEDIA_GET, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, id);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
            if (!read_media(s, out)) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory");
        } else if (r == SQLITE_DONE) {
            rc = cf_error_set(err, CF_ERR_NOT_FOUND, "media %s not found", id);
        } else {
            rc = db_error(st, err, "load media");
        }
        sqlite3_reset(s);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err sq_media_delete(void *self, const char *id, cf_error *err) {
    int changes = 0;
    cf_err rc = simple_change(self, Q_MEDIA_DELETE, id, 0, &changes, err);
    if (rc == CF_OK && !changes) rc = cf_error_set(err, CF_ERR_NOT_FOUND, "media %s not found", id);
    return rc;
}

static cf_err sq_media_set_sha256(void *self, const char *id, const char *sha256, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_MEDIA_SET_SHA256, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, id);
        bind_text(s, 2, sha256);
        rc = run(st, s, NULL, err);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err sq_media_list(void *self, const cf_media_filter *f, cf_media_record **out, size_t *n,
                            cf_error *err) {
    sq_store *st = self;
    *out = NULL;
    *n = 0;
    size_t limit = f->limit ? f->limit : 50;
    cf_media_record *rows = calloc(limit, sizeof *rows);
    if (!rows) return cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory");
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_MEDIA_LIST, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        sqlite3_bind_int64(s, 1, f->before_at);
        bind_text(s, 2, f->before_id);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)limit);
        bind_text(s, 4, f->tenant);
        int r = SQLITE_DONE;
        while (rc == CF_OK && *n < limit && (r = sqlite3_step(s)) == SQLITE_ROW)
            if (!read_media(s, &rows[(*n)++]))
                rc = cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory");
        if (rc == CF_OK && r != SQLITE_DONE && r != SQLITE_ROW) rc = db_error(st, err, "list media");
        sqlite3_reset(s);
    }
    pthread_mutex_unlock(&st->lock);
    if (rc) {
        cf_media_records_free(rows, *n);
        *n = 0;
        return rc;
    }
    *out = rows;
    return CF_OK;
}

static cf_err sq_label_insert(void *self, const cf_label_record *l, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_LABEL_INSERT, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, l->id);
        bind_text(s, 2, l->media_id);
        sqlite3_bind_int64(s, 3, l->created_at);
        bind_text(s, 4, l->body);
        rc = run(st, s, NULL, err);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err sq_labels_list(void *self, const char *media_id, size_t limit, cf_label_record **out, size_t *n,
                             cf_error *err) {
    sq_store *st = self;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_LABELS_BY_MEDIA, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, media_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
        int r = SQLITE_DONE;
        while (rc == CF_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
            cf_label_record *grown = realloc(*out, (*n + 1) * sizeof **out);
            if (!grown) {
                rc = cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory");
                break;
            }
            *out = grown;
            cf_label_record *l = &(*out)[(*n)++];
            l->id = col_dup(s, 0);
            l->media_id = col_dup(s, 1);
            l->created_at = sqlite3_column_int64(s, 2);
            l->body = col_dup(s, 3);
            if (!l->id || !l->media_id || !l->body)
                rc = cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory");
        }
        if (rc == CF_OK && r != SQLITE_DONE) rc = db_error(st, err, "list labels");
        sqlite3_reset(s);
    }
    pthread_mutex_unlock(&st->lock);
    if (rc) {
        cf_label_records_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static cf_err sq_key_insert(void *self, const cf_key_record *k, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_KEY_INSERT, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        const char *v[] = {k->id, k->tenant, k->role, k->name, k->salt, k->hash};
        for (int i = 0; i < 6; i++) bind_text(s, i + 1, v[i]);
        sqlite3_bind_int64(s, 7, k->created_at);
        rc = run(st, s, NULL, err);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* Reads a row of KEY_COLS; false when out of memory. */
static bool read_key(sqlite3_stmt *s, cf_key_record *k) {
    char **v[] = {&k->id, &k->tenant, &k->role, &k->name, &k->salt, &k->hash};
    for (int i = 0; i < 6; i++) *v[i] = col_dup(s, i);
    k->created_at = sqlite3_column_int64(s, 6);
    k->revoked_at = sqlite3_column_int64(s, 7);
    return k->id && k->tenant && k->role && k->salt && k->hash;
}

/* Runs Q_KEY_GET (text = id) or Q_KEY_LIST (text = tenant or NULL) into a grown array. */
static cf_err read_keys(sq_store *st, int q, const char *text, cf_key_record **out, size_t *n,
                        cf_error *err) {
    sqlite3_stmt *s = stmt(st, q, err);
    if (!s) return err->code;
    bind_text(s, 1, text);
    cf_err rc = CF_OK;
    int r = SQLITE_DONE;
    while (rc == CF_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        cf_key_record *grown = realloc(*out, (*n + 1) * sizeof **out);
        if (!grown) {
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory");
            break;
        }
        *out = grown;
        memset(&grown[*n], 0, sizeof *grown);
        if (!read_key(s, &grown[(*n)++])) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory");
    }
    if (rc == CF_OK && r != SQLITE_DONE) rc = db_error(st, err, "read keys");
    sqlite3_reset(s);
    return rc;
}

static cf_err sq_key_list(void *self, const char *tenant, cf_key_record **out, size_t *n, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    cf_err rc = read_keys(st, Q_KEY_LIST, tenant, out, n, err);
    pthread_mutex_unlock(&st->lock);
    if (rc) {
        cf_key_records_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static cf_err sq_key_get(void *self, const char *id, cf_key_record *out, cf_error *err) {
    sq_store *st = self;
    cf_key_record *rows = NULL;
    size_t n = 0;
    pthread_mutex_lock(&st->lock);
    cf_err rc = read_keys(st, Q_KEY_GET, id, &rows, &n, err);
    pthread_mutex_unlock(&st->lock);
    if (rc == CF_OK && n == 1) {
        *out = rows[0];
        free(rows);
        return CF_OK;
    }
    cf_key_records_free(rows, n);
    return rc ? rc : cf_error_set(err, CF_ERR_NOT_FOUND, "key %s not found", id);
}

static cf_err sq_key_revoke(void *self, const char *id, const char *tenant, int64_t now, cf_error *err) {
    sq_store *st = self;
    int changes = 0;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_KEY_REVOKE, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, id);
        bind_text(s, 2, tenant);
        sqlite3_bind_int64(s, 3, now);
        rc = run(st, s, &changes, err);
    }
    pthread_mutex_unlock(&st->lock);
    if (rc == CF_OK && !changes) rc = cf_error_set(err, CF_ERR_NOT_FOUND, "no valid key %s", id);
    return rc;
}

/* From the counters (a few rows), on the reading connection: a quota check never waits for the
 * writer. */
static cf_err sq_tenant_usage(void *self, const char *tenant, int64_t month, int64_t now,
                              cf_tenant_usage *out, cf_error *err) {
    sq_store *st = lock_reader(self);
    sqlite3_stmt *s = stmt(st, Q_TENANT_USAGE, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, tenant);
        sqlite3_bind_int64(s, 2, month);
        sqlite3_bind_int64(s, 3, now);
        if (sqlite3_step(s) == SQLITE_ROW) {
            out->stored_bytes = sqlite3_column_int64(s, 0);
            out->active_jobs = sqlite3_column_int64(s, 1);
            out->processing_ms = sqlite3_column_int64(s, 2);
        } else {
            rc = db_error(st, err, "tenant usage");
        }
        sqlite3_reset(s);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err sq_flag_set(void *self, const cf_flag_record *f, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_FLAG_SET, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, f->name);
        bind_text(s, 2, f->setting);
        sqlite3_bind_int64(s, 3, f->updated_at);
        rc = run(st, s, NULL, err);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err read_flags(sq_store *st, cf_flag_record **out, size_t *n, cf_error *err) {
    sqlite3_stmt *s = stmt(st, Q_FLAG_LIST, err);
    if (!s) return err->code;
    cf_err rc = CF_OK;
    int r = SQLITE_DONE;
    while (rc == CF_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        cf_flag_record *grown = realloc(*out, (*n + 1) * sizeof **out);
        if (!grown) {
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory");
            break;
        }
        *out = grown;
        cf_flag_record *f = &grown[(*n)++];
        f->name = col_dup(s, 0);
        f->setting = col_dup(s, 1);
        f->updated_at = sqlite3_column_int64(s, 2);
        if (!f->name || !f->setting) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory");
    }
    if (rc == CF_OK && r != SQLITE_DONE) rc = db_error(st, err, "read flags");
    sqlite3_reset(s);
    return rc;
}

static cf_err sq_flag_list(void *self, cf_flag_record **out, size_t *n, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    cf_err rc = read_flags(st, out, n, err);
    pthread_mutex_unlock(&st->lock);
    if (rc) {
        cf_flag_records_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static cf_err sq_flag_delete(void *self, const char *name, cf_error *err) {
    sq_store *st = self;
    int changes = 0;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_FLAG_DELETE, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, name);
        rc = run(st, s, &changes, err);
    }
    pthread_mutex_unlock(&st->lock);
    if (rc == CF_OK && !changes) rc = cf_error_set(err, CF_ERR_NOT_FOUND, "no flag %s is set", name);
    return rc;
}

static cf_err sq_quota_get(void *self, const char *tenant, cf_tenant_quota *out, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_QUOTA_GET, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, tenant);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW)
            *out = (cf_tenant_quota){sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                                     sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3)};
        else if (r != SQLITE_DONE) rc = db_error(st, err, "read quota");
        sqlite3_reset(s);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err sq_quota_set(void *self, const char *tenant, const cf_tenant_quota *q, cf_error *err) {
    sq_store *st = self;
    bool none =
        q->processing_minutes < 0 && q->storage_bytes < 0 && q->concurrent_jobs < 0 && q->upload_bytes < 0;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, none ? Q_QUOTA_DELETE : Q_QUOTA_SET, err);
    cf_err rc = s ? CF_OK : err->code;
    if (s) {
        bind_text(s, 1, tenant);
        const int64_t v[] = {q->processing_minutes, q->storage_bytes, q->concurrent_jobs, q->upload_bytes};
        for (int i = 0; !none && i < 4; i++) sqlite3_bind_int64(s, i + 2, v[i]);
        rc = run(st, s, NULL, err);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static cf_err sq_stats(void *self, cf_job_stats *out, cf_error *err) {
    sq_store *st = self;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = stmt(st, Q_STATS, err);
    cf_err rc = s ? CF_OK : err->code;
    while (s && sqlite3_step(s) == SQLITE_ROW) {
        cf_job_state state;
        if (cf_job_state_from_string((const char *)sqlite3_column_text(s, 0), &state))
            out->by_status[state] = sqlite3_column_int64(s, 1);
    }
    if (s) sqlite3_reset(s);
    s = rc ? NULL : stmt(st, Q_OUTBOX_COUNT, err);
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        out->outbox_pending = sqlite3_column_int64(s, 0);
        out->last_event_id = sqlite3_column_int64(s, 1);
        out->oldest_queued_at = sqlite3_column_int64(s, 2);
    }
    if (s) sqlite3_reset(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static const cf_store_methods methods = {
    .version = 1,
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .job_create = sq_job_create,
    .job_create_many = sq_job_create_many,
    .outbox_published_many = sq_outbox_published_many,
    .job_lease_many = sq_job_lease_many,
    .job_finish_many = sq_job_finish_many,
    .job_get = sq_job_get,
    .job_list = sq_job_list,
    .job_lease = sq_job_lease,
    .job_heartbeat = sq_job_heartbeat,
    .job_finish = sq_job_finish,
    .job_cancel = sq_job_cancel,
    .job_retry = sq_job_retry,
    .reap = sq_reap,
    .redispatch_queued = sq_redispatch,
    .outbox_published = sq_outbox_published,
    .holds_renew = sq_holds_renew,
    .events_after = sq_events_after,
    .outbox_due = sq_outbox_due,
    .outbox_delete = sq_outbox_delete,
    .media_insert = sq_media_insert,
    .media_get = sq_media_get,
    .media_delete = sq_media_delete,
    .media_set_sha256 = sq_media_set_sha256,
    .media_list = sq_media_list,
    .stats = sq_stats,
    .label_insert = sq_label_insert,
    .labels_list = sq_labels_list,
    .key_insert = sq_key_insert,
    .key_get = sq_key_get,
    .key_list = sq_key_list,
    .key_revoke = sq_key_revoke,
    .tenant_usage = sq_tenant_usage,
    .flag_set = sq_flag_set,
    .flag_list = sq_flag_list,
    .flag_delete = sq_flag_delete,
    .quota_get = sq_quota_get,
    .quota_set = sq_quota_set,
};

const cf_store_methods *cf_store_sqlite_methods(void) {
    return &methods;
}

/* store_postgres.c — the job store on PostgreSQL (URL "postgres://user@host:port/db", any libpq
 * URI; the extra query setting "schema=NAME" keeps the tables in their own schema, created on
 * first open). The same migrations' meaning as the SQLite store, applied under an advisory lock
 * so that an API node and its workers starting together migrate once.
 *
 * Connections: a small pool (libpq connections are not thread-safe); an operation borrows one,
 * a broken one is dropped and the next borrow reconnects. Every state change is one
 * transaction together with its event and outbox rows.
 *
 * Event ids: SSE resume needs "a reader that has seen id N never later finds a new id below N".
 * A sequence does not give that: two transactions take ids 7 and 8, the one with 8 commits
 * first, a reader sees 8 and then skips 7 for ever. So ids come from a single-row counter
 * (event_counter) that the transaction increments as its last write: the row lock is held until
 * commit, so the next writer gets N+1 only after N is committed (or rolled back, leaving a
 * harmless gap). This serialises event-appending commits, as SQLite does anyway.
 *
 * Leasing: the job row is taken with FOR UPDATE SKIP LOCKED, so a duplicate delivery racing the
 * first lease gives up at once (CONFLICT) instead of waiting; the reaper also skips rows that a
 * worker is finishing right now, so several nodes can reap at the same time.
 *
 * Outbox: outbox_due claims the rows it returns for a while (see outbox_fn), so the relays of
 * several nodes do not publish the same rows.
 *
 * Notifications: each event also does NOTIFY on "cf_events_SCHEMA" (delivered at commit), and
 * watch_events runs a thread that LISTENs on its own connection, so an API node learns at once
 * of events that worker processes commit, instead of at its next poll. */
#include "infrastructure/store_postgres.h"

#include <libpq-events.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/domain/job_lifecycle.h"

#define POOL_MAX 16
#define MIGRATION_LOCK 0x636c6970 /* "clip" */
#define OUTBOX_CLAIM_MS 10000
#define READY_CONNS 4 /* connections opened and warmed at open (see pg_open) */

typedef struct pg_store {
    char *conninfo;
    char *schema;         /* NULL = the connection's default */
    pthread_mutex_t lock; /* guards idle, n_idle, open */
    pthread_cond_t freed;
    PGconn *idle[POOL_MAX];
    int n_idle, open;
    pthread_t watcher; /* LISTEN thread, when watching */
    bool watching;
    atomic_bool migrated; /* new connections are warmed (warm) from then on */
    atomic_bool stop_watch;
    void (*hook)(void *user);
    void *hook_user;
} pg_store;

/* Usage counters: a tenant's usage (cf_tenant_usage) is the sum of its rows of tenant_usage and
 * of tenant_usage_changes: stored_bytes and active_jobs over all of them (their month says
 * nothing), run_ms the run time of the jobs that ended in that month (from the month's start at
 * most), running and running_since the count and the summed start times of its jobs running now
 * that started in that month (a read adds now - start for each without reading them). The
 * triggers only append to tenant_usage_changes and lock nothing that another transaction waits
 * for: a counter row updated in place would be locked by each job change until its commit, and
 * a batch touching two tenants in one order would deadlock with one touching them in the other,
 * or with any transaction holding the event counter. usage_fold moves the changes into
 * tenant_usage (one folder at a time), when a read finds more than USAGE_FOLD_AT of them and at
 * every reap. */
#define USAGE_FOLD_AT 256
#define USAGE_FOLD_LOCK 0x75736167 /* "usag" */

/* What a job counts for (the body of the SQL function usage_of, see "Usage counters"). */
#define USAGE_OF                                                                                             \
    " SELECT j.tenant, m.month, (j.parent_id IS NULL AND j.status IN ('queued','running'))::int::bigint,"    \
    " CASE WHEN x.metered AND j.status<>'running' AND j.finished_at>0"                                       \
    " THEN j.finished_at-greatest(j.started_at, m.month) ELSE 0 END,"                                        \
    " (x.metered AND j.status='running')::int::bigint,"                                                      \
    " CASE WHEN x.metered AND j.status='running' THEN j.started_at ELSE 0 END"                               \
    " FROM (SELECT (extract(epoch FROM date_trunc('month', to_timestamp((CASE WHEN j.status='running'"       \
    " THEN j.started_at ELSE j.finished_at END)/1000) AT TIME ZONE 'UTC'))*1000)::bigint AS month) m,"       \
    " (SELECT j.started_at>0 AND (j.parent_id IS NULL OR NOT EXISTS(SELECT 1 FROM jobs p"                    \
    " WHERE p.id=j.parent_id AND p.kind='autoclip' AND p.tenant=j.tenant)) AS metered) x"

/* The groups of a change of usage worth a row of tenant_usage_changes. */
#define USAGE_CHANGED                                                                                        \
    " HAVING sum(u.active_jobs)<>0 OR sum(u.run_ms)<>0 OR sum(u.running)<>0 OR sum(u.running_since)<>0"

/* Migrations, applied in order once each; append only. */
static const char *const migrations[] = {
    "CREATE TABLE jobs("
    " seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    " status TEXT NOT NULL, stage TEXT, progress DOUBLE PRECISION NOT NULL DEFAULT 0,"
    " attempts BIGINT NOT NULL DEFAULT 0, max_attempts BIGINT NOT NULL, budget BIGINT NOT NULL,"
    " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
    " started_at BIGINT NOT NULL DEFAULT 0, finished_at BIGINT NOT NULL DEFAULT 0,"
    " request TEXT NOT NULL, result TEXT, error TEXT, idempotency_key TEXT UNIQUE,"
    " lease_owner TEXT, lease_expires_at BIGINT NOT NULL DEFAULT 0,"
    " run_after BIGINT NOT NULL DEFAULT 0, cancel_requested BOOLEAN NOT NULL DEFAULT false);"
    "CREATE INDEX jobs_by_status ON jobs(status, seq);"
    "CREATE INDEX jobs_by_kind ON jobs(kind, seq);"
    "CREATE INDEX jobs_running_lease ON jobs(lease_expires_at) WHERE status='running';"
    "CREATE TABLE event_counter(one BOOLEAN PRIMARY KEY DEFAULT true CHECK(one),"
    " last_id BIGINT NOT NULL);"
    "INSERT INTO event_counter VALUES(true, 0);"
    "CREATE TABLE events(id BIGINT PRIMARY KEY, type TEXT NOT NULL,"
    " job_id TEXT NOT NULL, at BIGINT NOT NULL, data TEXT NOT NULL);"
    "CREATE INDEX events_by_job ON events(job_id, id);"
    "CREATE TABLE outbox(id BIGSERIAL PRIMARY KEY, topic TEXT NOT NULL,"
    " payload TEXT NOT NULL, available_at BIGINT NOT NULL);"
    "CREATE INDEX outbox_due ON outbox(available_at, id);"
    "CREATE TABLE media(id TEXT PRIMARY KEY, key TEXT NOT NULL, mime TEXT,"
    " bytes BIGINT NOT NULL, probe TEXT, created_at BIGINT NOT NULL);",
    "CREATE TABLE labels(id TEXT PRIMARY KEY, media_id TEXT NOT NULL,"
    " created_at BIGINT NOT NULL, body TEXT NOT NULL);"
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
    " name TEXT, salt TEXT NOT NULL, hash TEXT NOT NULL, created_at BIGINT NOT NULL,"
    " revoked_at BIGINT NOT NULL DEFAULT 0);",
    "CREATE TABLE flags(name TEXT PRIMARY KEY, setting TEXT NOT NULL, updated_at BIGINT NOT NULL);",
    "CREATE TABLE tenant_quotas(tenant TEXT PRIMARY KEY, processing_minutes BIGINT NOT NULL,"
    " storage_bytes BIGINT NOT NULL, concurrent_jobs BIGINT NOT NULL, upload_bytes BIGINT NOT NULL);",
    /* Usage counters (see "Usage counters" above), in three steps applied in one transaction like
     * every migration: usage_of is the one rule of what a job counts for; the triggers append
     * every change of it, and of a media row's bytes, to tenant_usage_changes in that change's
     * transaction; the table is filled from the rows already there after the triggers exist
     * (CREATE TRIGGER waits for the writers of jobs and media, and holds them off until this
     * commits). */
    "CREATE TABLE tenant_usage(tenant TEXT NOT NULL, month BIGINT NOT NULL,"
    " stored_bytes BIGINT NOT NULL DEFAULT 0, active_jobs BIGINT NOT NULL DEFAULT 0,"
    " run_ms BIGINT NOT NULL DEFAULT 0, running BIGINT NOT NULL DEFAULT 0,"
    " running_since BIGINT NOT NULL DEFAULT 0, PRIMARY KEY(tenant, month));"
    "CREATE TABLE tenant_usage_changes(id BIGSERIAL PRIMARY KEY, tenant TEXT NOT NULL,"
    " month BIGINT NOT NULL, stored_bytes BIGINT NOT NULL DEFAULT 0, active_jobs BIGINT NOT NULL DEFAULT "
    "0,"
    " run_ms BIGINT NOT NULL DEFAULT 0, running BIGINT NOT NULL DEFAULT 0,"
    " running_since BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX tenant_usage_changes_by_tenant ON tenant_usage_changes(tenant);"
    "CREATE FUNCTION usage_of(j jobs) RETURNS TABLE(tenant TEXT, month BIGINT, active_jobs BIGINT,"
    " run_ms BIGINT, running BIGINT, running_since BIGINT) LANGUAGE sql STABLE STRICT AS $$" USAGE_OF " $$;",
    "CREATE FUNCTION jobs_usage_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " INSERT INTO tenant_usage_changes(tenant,month,active_jobs,run_ms,running,running_since)"
    " SELECT u.tenant,u.month,sum(u.active_jobs),sum(u.run_ms),sum(u.running),sum(u.running_since)"
    " FROM (SELECT * FROM usage_of(NEW) UNION ALL SELECT o.tenant,o.month,-o.active_jobs,-o.run_ms,"
    " -o.running,-o.running_since FROM usage_of(OLD) o) u GROUP BY u.tenant,u.month"
    " HAVING sum(u.active_jobs)<>0 OR sum(u.run_ms)<>0 OR sum(u.running)<>0 OR sum(u.running_since)<>0;"
    " RETURN NULL; END $$;"
    "CREATE TRIGGER jobs_usage_insert AFTER INSERT OR DELETE ON jobs FOR EACH ROW"
    " EXECUTE FUNCTION jobs_usage_changed();"
    "CREATE TRIGGER jobs_usage_update AFTER UPDATE OF status, started_at, finished_at ON jobs FOR EACH "
    "ROW"
    " WHEN (OLD.status<>NEW.status OR OLD.started_at<>NEW.started_at OR OLD.finished_at<>NEW.finished_at)"
    " EXECUTE FUNCTION jobs_usage_changed();"
    "CREATE FUNCTION media_usage_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " INSERT INTO tenant_usage_changes(tenant,month,stored_bytes) SELECT NEW.tenant,0,NEW.bytes"
    " WHERE NEW.bytes IS NOT NULL UNION ALL SELECT OLD.tenant,0,-OLD.bytes WHERE OLD.bytes IS NOT NULL;"
    " RETURN NULL; END $$;"
    "CREATE TRIGGER media_usage AFTER INSERT OR DELETE OR UPDATE OF tenant, bytes ON media FOR EACH ROW"
    " EXECUTE FUNCTION media_usage_changed();",
    "INSERT INTO tenant_usage(tenant,month,active_jobs,run_ms,running,running_since)"
    " SELECT u.tenant,u.month,sum(u.active_jobs),sum(u.run_ms),sum(u.running),sum(u.running_since)"
    " FROM jobs j, usage_of(j) u GROUP BY u.tenant,u.month;"
    "INSERT INTO tenant_usage(tenant,month,stored_bytes) SELECT tenant,0,sum(bytes) FROM media"
    " GROUP BY tenant ON CONFLICT(tenant,month) DO UPDATE SET stored_bytes=excluded.stored_bytes;",
    /* The jobs' usage triggers once per statement instead of once per row: the same rule
     * (usage_of) over the statement's old and new rows, one INSERT per statement. Per row, each
     * call of usage_of (a SQL function that cannot be inlined there) was planned anew: a batch's
     * lease or finish of 64 jobs spent 380 ms in the trigger (EXPLAIN ANALYZE at load 18), once
     * per statement 17 ms; usage_of, no longer STRICT, is now inlined into the statement's query
     * (a drain of 1,000 jobs in batches of 64: 2.6 ms per statement in the trigger on average).
     * It now runs for every UPDATE of jobs (a statement trigger with transition tables takes no
     * column list); one that changes no usage appends nothing. */
    "CREATE OR REPLACE FUNCTION usage_of(j jobs) RETURNS TABLE(tenant TEXT, month BIGINT,"
    " active_jobs BIGINT, run_ms BIGINT, running BIGINT, running_since BIGINT) LANGUAGE sql STABLE AS "
    "$$" USAGE_OF " $$;"
    "DROP TRIGGER jobs_usage_insert ON jobs;"
    "DROP TRIGGER jobs_usage_update ON jobs;"
    "DROP FUNCTION jobs_usage_changed();"
    "CREATE FUNCTION jobs_usage_changed() RETURNS trigger LANGUAGE plpgsql AS $$"
    " DECLARE n jobs[]; o jobs[]; BEGIN"
    " IF TG_OP<>'DELETE' THEN SELECT array_agg(j) INTO n FROM new_jobs j; END IF;"
    " IF TG_OP<>'INSERT' THEN SELECT array_agg(j) INTO o FROM old_jobs j; END IF;"
    " INSERT INTO tenant_usage_changes(tenant,month,active_jobs,run_ms,running,running_since)"
    " SELECT u.tenant,u.month,sum(u.active_jobs),sum(u.run_ms),sum(u.running),sum(u.running_since)"
    " FROM (SELECT u.* FROM unnest(n) j, usage_of(j) u UNION ALL SELECT u.tenant,u.month,-u.active_jobs,"
    " -u.run_ms,-u.running,-u.running_since FROM unnest(o) j, usage_of(j) u) u GROUP BY u.tenant,u.month"
    " HAVING sum(u.active_jobs)<>0 OR sum(u.run_ms)<>0 OR sum(u.running)<>0 OR sum(u.running_since)<>0;"
    " RETURN NULL; END $$;"
    "CREATE TRIGGER jobs_usage_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_jobs"
    " FOR EACH STATEMENT EXECUTE FUNCTION jobs_usage_changed();"
    "CREATE TRIGGER jobs_usage_update AFTER UPDATE ON jobs REFERENCING OLD TABLE AS old_jobs"
    " NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_usage_changed();"
    "CREATE TRIGGER jobs_usage_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_jobs"
    " FOR EACH STATEMENT EXECUTE FUNCTION jobs_usage_changed();",
    /* The usage trigger's statements with a generic plan: by default PostgreSQL planned its INSERT
     * (usage_of inlined over the statement's rows, passed as arrays) anew at every call, since the
     * generic plan's estimate looked dearer; a one-job INSERT into jobs took 6.5-8.5 ms (median of
     * 20, load 14) with the trigger, 0.44-0.51 ms once its plan is kept. */
    "ALTER FUNCTION jobs_usage_changed() SET plan_cache_mode = force_generic_plan;",
    /* Fewer index entries per new version of a job row: lease, start and finish change the status,
     * which jobs_by_status indexes, so every one of their row versions goes into each index of jobs
     * (no HOT update can apply). The parent and idempotency-key indexes held an entry for every job,
     * NULL for nearly all; only jobs that have a parent or a key are in them now, which the lookups
     * by parent and by key (a column equal to a value) still use. 1,742 against 1,505 buffers for a
     * lease of 64 jobs (EXPLAIN ANALYZE, BUFFERS). Written to apply again (the contract tests undo
     * the migrations above 8 and open the store once more). */
    "DROP INDEX IF EXISTS jobs_by_parent;"
    "CREATE INDEX jobs_by_parent ON jobs(parent_id, seq) WHERE parent_id IS NOT NULL;"
    "ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_idempotency_key_key;"
    "DROP INDEX IF EXISTS jobs_by_key;"
    "CREATE UNIQUE INDEX jobs_by_key ON jobs(idempotency_key) WHERE idempotency_key IS NOT NULL;",
    /* HOT leases and finishes: no index of jobs names the status (nor the lease expiry) any more,
     * so a lease, a finish, a requeue or a renewal changes no indexed column, and with room left
     * on the row's page (fillfactor 50 for the pages filled from now on) PostgreSQL writes the new
     * version beside the old one without a new entry in any index (a heap-only tuple). A lease of
     * 64 jobs touched 1,505 buffers with the status indexed. The reaper finds the running jobs
     * through jobs_running instead, one row per running job (its seq), which the triggers below
     * keep in step with every statement that changes jobs (jobs are created queued); the list by
     * status reads jobs in seq order, and the running ones through jobs_running. Written to apply
     * again, as the one above. */
    "DROP INDEX IF EXISTS jobs_by_status;"
    "DROP INDEX IF EXISTS jobs_running_lease;"
    "ALTER TABLE jobs SET (fillfactor=50);"
    "CREATE TABLE IF NOT EXISTS jobs_running(seq BIGINT PRIMARY KEY);"
    "INSERT INTO jobs_running SELECT seq FROM jobs WHERE status='running' ON CONFLICT DO NOTHING;"
    "CREATE OR REPLACE FUNCTION jobs_running_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP='DELETE' THEN DELETE FROM jobs_running WHERE seq IN (SELECT seq FROM old_jobs);"
    " ELSE"
    " DELETE FROM jobs_running WHERE seq IN (SELECT seq FROM new_jobs WHERE status<>'running');"
    " INSERT INTO jobs_running SELECT seq FROM new_jobs WHERE status='running' ON CONFLICT DO NOTHING;"
    " END IF; RETURN NULL; END $$;"
    "ALTER FUNCTION jobs_running_changed() SET plan_cache_mode = force_generic_plan;"
    "DROP TRIGGER IF EXISTS jobs_running_update ON jobs;"
    "DROP TRIGGER IF EXISTS jobs_running_delete ON jobs;"
    "CREATE TRIGGER jobs_running_update AFTER UPDATE ON jobs REFERENCING NEW TABLE AS new_jobs"
    " FOR EACH STATEMENT EXECUTE FUNCTION jobs_running_changed();"
    "CREATE TRIGGER jobs_running_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_jobs"
    " FOR EACH STATEMENT EXECUTE FUNCTION jobs_running_changed();",
    /* One statement trigger per change of jobs instead of two (the usage counters' and
     * jobs_running's), reading the transition tables directly instead of through arrays of their
     * rows: the triggers of a lease of 64 jobs 1.7-1.9 ms before, 0.9-1.2 after (EXPLAIN ANALYZE,
     * load 11). The same rules: usage_of over the new rows less the old, jobs_running in step with
     * the status. Written to apply again, as the two above. */
    "DROP TRIGGER IF EXISTS jobs_usage_insert ON jobs;"
    "DROP TRIGGER IF EXISTS jobs_usage_update ON jobs;"
    "DROP TRIGGER IF EXISTS jobs_usage_delete ON jobs;"
    "DROP TRIGGER IF EXISTS jobs_running_update ON jobs;"
    "DROP TRIGGER IF EXISTS jobs_running_delete ON jobs;"
    "DROP FUNCTION IF EXISTS jobs_usage_changed();"
    "DROP FUNCTION IF EXISTS jobs_running_changed();"
    "CREATE OR REPLACE FUNCTION jobs_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP='INSERT' THEN"
    " INSERT INTO tenant_usage_changes(tenant,month,active_jobs,run_ms,running,running_since)"
    " SELECT u.tenant,u.month,sum(u.active_jobs),sum(u.run_ms),sum(u.running),sum(u.running_since)"
    " FROM new_jobs j, usage_of(j) u GROUP BY u.tenant,u.month" USAGE_CHANGED ";"
    " ELSIF TG_OP='DELETE' THEN"
    " INSERT INTO tenant_usage_changes(tenant,month,active_jobs,run_ms,running,running_since)"
    " SELECT u.tenant,u.month,-sum(u.active_jobs),-sum(u.run_ms),-sum(u.running),-sum(u.running_since)"
    " FROM old_jobs j, usage_of(j) u GROUP BY u.tenant,u.month" USAGE_CHANGED ";"
    " DELETE FROM jobs_running WHERE seq IN (SELECT seq FROM old_jobs);"
    " ELSE"
    " INSERT INTO tenant_usage_changes(tenant,month,active_jobs,run_ms,running,running_since)"
    " SELECT u.tenant,u.month,sum(u.active_jobs),sum(u.run_ms),sum(u.running),sum(u.running_since)"
    " FROM (SELECT u.* FROM new_jobs j, usage_of(j) u UNION ALL SELECT u.tenant,u.month,-u.active_jobs,"
    " -u.run_ms,-u.running,-u.running_since FROM old_jobs j, usage_of(j) u) u"
    " GROUP BY u.tenant,u.month" USAGE_CHANGED ";"
    " DELETE FROM jobs_running WHERE seq IN (SELECT seq FROM new_jobs WHERE status<>'running');"
    " INSERT INTO jobs_running SELECT seq FROM new_jobs WHERE status='running' ON CONFLICT DO NOTHING;"
    " END IF; RETURN NULL; END $$;"
    "ALTER FUNCTION jobs_changed() SET plan_cache_mode = force_generic_plan;"
    "DROP TRIGGER IF EXISTS jobs_changed_insert ON jobs;"
    "DROP TRIGGER IF EXISTS jobs_changed_update ON jobs;"
    "DROP TRIGGER IF EXISTS jobs_changed_delete ON jobs;"
    "CREATE TRIGGER jobs_changed_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_jobs"
    " FOR EACH STATEMENT EXECUTE FUNCTION jobs_changed();"
    "CREATE TRIGGER jobs_changed_update AFTER UPDATE ON jobs REFERENCING OLD TABLE AS old_jobs"
    " NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_changed();"
    "CREATE TRIGGER jobs_changed_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_jobs"
    " FOR EACH STATEMENT EXECUTE FUNCTION jobs_changed();",
    /* A relay's claim of outbox rows (outbox_fn) sets claimed_until, which no index names, instead
     * of moving available_at, which outbox_due indexes: with room on the page (fillfactor 50) the
     * claim is a HOT update, no new entry in either index of the outbox. */
    "ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claimed_until BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE outbox SET (fillfactor=50);",
    /* The media's content hash, taken as its bytes were stored (NULL for media stored before). */
    "ALTER TABLE media ADD COLUMN IF NOT EXISTS sha256 TEXT;",
};

#define MEDIA_COLS "id,key,mime,bytes,probe,created_at,filename,tenant,sha256"
#define KEY_COLS "id,tenant,role,name,salt,hash,created_at,revoked_at"

#define JOB_COLS                                                                                             \
    "id,kind,status,stage,progress,attempts,max_attempts,created_at,updated_at,started_at,"                  \
    "finished_at,request,result,error,idempotency_key,lease_owner,lease_expires_at,run_after,"               \
    "cancel_requested,seq,parent_id,trace_context,tenant"

static const char *const sql_job_by_id = "SELECT " JOB_COLS " FROM jobs WHERE id=$1";
static const char *const sql_job_by_key = "SELECT " JOB_COLS " FROM jobs WHERE idempotency_key=$1";

/* A batch's lease (lease_many_tx: $1 the ids, $2 the owner, $3 the expiry, $4 now) and a batch of
 * final outcomes (finish_final_tx): named, so that warm prepares the very statements. */
static const char *const sql_lease_many =
    "UPDATE jobs SET status='running', attempts=attempts+1, lease_owner=$2,"
    " lease_expires_at=$3, started_at=$4, updated_at=$4, stage='started',"
    " progress=0, finished_at=0 WHERE id IN (SELECT id FROM jobs WHERE"
    " id=ANY($1::text[]) AND status||''='queued' AND run_after<=$4"
    " FOR UPDATE SKIP LOCKED) RETURNING " JOB_COLS;
static const char *const sql_finish_final =
    "UPDATE jobs SET status=v.vstatus, stage=v.vstatus, result=v.vresult, error=v.verror,"
    " finished_at=$1, updated_at=$1, lease_owner=NULL, lease_expires_at=0,"
    " progress=CASE WHEN v.vstatus='succeeded' THEN 1 ELSE progress END"
    " FROM unnest($2::text[],$3::text[],$4::bigint[],$5::text[],$6::text[],$7::text[])"
    " AS v(vid,vowner,vattempt,vstatus,vresult,verror)"
    " WHERE id=v.vid AND status='running' AND lease_owner=v.vowner AND attempts=v.vattempt"
    " RETURNING " JOB_COLS;

/* ---- plumbing: errors, the pool, statements, transactions ---- */

static cf_err pg_fail(PGconn *c, const PGresult *r, cf_error *err, const char *what) {
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    cf_err rc = CF_ERR_IO;
    if (PQstatus(c) == CONNECTION_BAD) rc = CF_ERR_UNAVAILABLE;
    else if (state && !strncmp(state, "23", 2)) rc = CF_ERR_CONFLICT;
    else if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01"))) rc = CF_ERR_UNAVAILABLE;
    else if (state && !strcmp(state, "53100")) rc = CF_ERR_NO_SPACE; /* disk_full */
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
    return cf_error_set(err, rc, "store: %s: %.*s", what, (int)strcspn(msg, "\n"), msg);
}

/* Prepared statements: a connection prepares each statement the first time it runs it (named
 * "s<N>", N its place in the connection's list, sent in the same round trip as its first run)
 * and from then on only binds and runs it, so PostgreSQL parses it once per connection and may
 * keep a generic plan, instead of parsing and planning it at every run. The list hangs on the
 * connection (libpq's instance data) and is freed with it; a statement whose preparation failed
 * or was skipped (a pipeline aborted before it) is prepared again at its next run. */
#define PREPARED_MAX 128

typedef struct prepared {
    int n;
    uint64_t hash[PREPARED_MAX];
    char *sql[PREPARED_MAX];
    bool ready[PREPARED_MAX]; /* its Parse was sent, and did not fail (as far as is known) */
} prepared;

static int conn_event(PGEventId id, void *info, void *pass) {
    (void)pass;
    if (id == PGEVT_CONNDESTROY || id == PGEVT_CONNRESET) {
        PGconn *c =
            id == PGEVT_CONNDESTROY ? ((PGEventConnDestroy *)info)->conn : ((PGEventConnReset *)info)->conn;
        prepared *ps = PQinstanceData(c, conn_event);
        for (int i = 0; ps && i < ps->n; i++) free(ps->sql[i]);
        free(ps);
        PQsetInstanceData(c, conn_event, NULL);
    }
    return 1;
}

/* Gives c its list of prepared statements; false when out of memory. */
static bool prepared_attach(PGconn *c) {
    prepared *ps = calloc(1, sizeof *ps);
    if (ps && PQregisterEventProc(c, conn_event, "clipforge prepared", NULL) &&
        PQsetInstanceData(c, conn_event, ps))
        return true;
    free(ps);
    return false;
}

static uint64_t text_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The index of sql among c's statements, added (not ready) when new; -1 when the list is full or
 * out of memory (the statement then runs unprepared). */
static int statement_of(PGconn *c, const char *sql) {
    prepared *ps = PQinstanceData(c, conn_event);
    if (!ps) return -1;
    uint64_t h = text_hash(sql);
    for (int i = 0; i < ps->n; i++)
        if (ps->hash[i] == h && !strcmp(ps->sql[i], sql)) return i;
    if (ps->n == PREPARED_MAX || !(ps->sql[ps->n] = strdup(sql))) return -1;
    ps->hash[ps->n] = h;
    ps->ready[ps->n] = false;
    return ps->n++;
}

/* Statements sent ahead without waiting for their results (libpq's pipeline mode) on the
 * connection this thread has borrowed: a transaction's BEGIN goes out with its first statement,
 * and the statements whose results it does not read (later) go out with the next statement or
 * its COMMIT, so that a transaction of a batch costs two round trips instead of one per
 * statement. A connection serves one thread from borrow to give_back, so the queue is the
 * thread's. A statement's first preparation on the connection is an entry of its own. */
#define PIPE_MAX 16
static _Thread_local struct {
    PGconn *c;
    int n;                     /* entries sent whose results are not read yet */
    const char *sql[PIPE_MAX]; /* their text, for an error message */
    int prepare[PIPE_MAX];     /* the statement an entry prepares, else -1 */
} pipe;

static bool pipe_add(const char *sql, int prepare) {
    if (pipe.n == PIPE_MAX) return false;
    pipe.sql[pipe.n] = sql;
    pipe.prepare[pipe.n++] = prepare;
    return true;
}

/* Queues sql on c without waiting, prepared (see "Prepared statements"); false with err set when
 * it cannot be sent. */
static bool send_ahead(PGconn *c, const char *sql, int n, const char *const *params, cf_error *err) {
    if (pipe.c != c) pipe.c = c, pipe.n = 0;
    bool ok = pipe.n + 2 <= PIPE_MAX && (PQpipelineStatus(c) != PQ_PIPELINE_OFF || PQenterPipelineMode(c));
    int k = ok ? statement_of(c, sql) : -1;
    char name[16];
    snprintf(name, sizeof name, "s%d", k);
    prepared *ps = k >= 0 ? PQinstanceData(c, conn_event) : NULL;
    if (ok && ps && !ps->ready[k]) {
        ok = PQsendPrepare(c, name, sql, n, NULL) && pipe_add(sql, k);
        if (ok) ps->ready[k] = true; /* until its result says otherwise (collect) */
    }
    if (ok)
        ok = (k >= 0 ? PQsendQueryPrepared(c, name, n, params, NULL, NULL, 0)
                     : PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0)) &&
             pipe_add(sql, -1);
    if (!ok) pg_fail(c, NULL, err, sql);
    return ok;
}

/* Reads the results of the statements queued on c and leaves pipeline mode. *last (optional)
 * receives the last one's result (caller PQclear) when all succeeded; the first failure sets err.
 * A connection left in a state it cannot resume from is not put back in the pool (give_back). */
static cf_err collect(PGconn *c, PGresult **last, cf_error *err) {
    int n = pipe.c == c ? pipe.n : 0;
    pipe.n = 0;
    if (last) *last = NULL;
    if (!n) return CF_OK;
    prepared *ps = PQinstanceData(c, conn_event);
    cf_err rc = PQpipelineSync(c) ? CF_OK : pg_fail(c, NULL, err, "pipeline");
    for (int i = 0; i < n; i++) {
        PGresult *r = PQgetResult(c);
        if (!r) break; /* the connection failed: nothing more comes */
        ExecStatusType s = PQresultStatus(r);
        bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
        if (!ok && ps && pipe.prepare[i] >= 0) ps->ready[pipe.prepare[i]] = false; /* failed or skipped */
        if (!ok && rc == CF_OK) rc = pg_fail(c, r, err, pipe.sql[i]);
        if (rc == CF_OK && last && i == n - 1) *last = r;
        else PQclear(r);
        while ((r = PQgetResult(c))) PQclear(r); /* the end of this statement's results */
    }
    for (int nulls = 0; nulls < 2;) { /* up to the sync point */
        PGresult *r = PQgetResult(c);
        if (!r) {
            nulls++;
            continue;
        }
        bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (sync) break;
    }
    if (!PQexitPipelineMode(c) && rc == CF_OK) rc = pg_fail(c, NULL, err, "pipeline");
    if (rc && last && *last) PQclear(*last), *last = NULL;
    return rc;
}

/* Runs sql with text params (after the statements queued on c, in the same round trip); returns
 * the result (caller PQclear) or NULL with err set. */
static PGresult *q(PGconn *c, const char *sql, int n, const char *const *params, cf_error *err) {
    PGresult *r = NULL;
    return send_ahead(c, sql, n, params, err) && collect(c, &r, err) == CF_OK ? r : NULL;
}

/* Queues a statement whose result the transaction does not need: it is sent with the next
 * statement or the COMMIT, and a failure of it fails that one (and so the transaction). */
static cf_err later(PGconn *c, const char *sql, int n, const char *const *params, cf_error *err) {
    return send_ahead(c, sql, n, params, err) ? CF_OK : err->code;
}

/* Runs a statement for its effect; *changes (optional) = rows affected. */
static cf_err run(PGconn *c, const char *sql, int n, const char *const *params, int *changes, cf_error *err) {
    PGresult *r = q(c, sql, n, params, err);
    if (!r) return err->code;
    if (changes) *changes = atoi(PQcmdTuples(r));
    PQclear(r);
    return CF_OK;
}

static char *dup_or_null(const PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

static int64_t int_at(const PGresult *r, int row, int col) {
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* Small fixed buffers for integer parameters. */
typedef struct num {
    char s[24];
} num;

static num n64(int64_t v) {
    num n;
    snprintf(n.s, sizeof n.s, "%lld", (long long)v);
    return n;
}

static cf_err setup_conn(pg_store *st, PGconn *c, cf_error *err) {
    cf_err rc = run(c, "SET client_min_messages=warning", 0, NULL, NULL, err);
    if (rc || !st->schema) return rc;
    char *ident = PQescapeIdentifier(c, st->schema, strlen(st->schema));
    if (!ident) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "store: bad schema name");
    char sql[256];
    snprintf(sql, sizeof sql, "SET search_path TO %s", ident);
    PQfreemem(ident);
    return run(c, sql, 0, NULL, NULL, err);
}

static PGconn *connect_one(pg_store *st, cf_error *err) {
    PGconn *c = PQconnectdb(st->conninfo);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        const char *msg = c ? PQerrorMessage(c) : "out of memory";
        cf_error_set(err, CF_ERR_UNAVAILABLE, "store: cannot connect to PostgreSQL: %.*s",
                     (int)strcspn(msg, "\n"), msg);
        PQfinish(c);
        return NULL;
    }
    if (!prepared_attach(c)) {
        cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        PQfinish(c);
        return NULL;
    }
    if (setup_conn(st, c, err)) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Warms connection c once the schema is there: a statement that changes no row of jobs still
 * fires the usage triggers (statement triggers), so the connection compiles their function and
 * plans its statement now instead of at the first job it creates or leases, which paid 8-15 ms
 * for it under load. The batch lease and finish run too, over no job, so that they are prepared
 * and their tables' metadata loaded before the first batch, not during it. A failure is ignored:
 * the first job pays instead. */
static void warm(pg_store *st, PGconn *c) {
    if (!atomic_load(&st->migrated)) return;
    cf_error ignored;
    run(c, "INSERT INTO jobs SELECT * FROM jobs WHERE false", 0, NULL, NULL, &ignored);
    const char *lease[] = {"{}", "", "0", "0"};
    run(c, sql_lease_many, 4, lease, NULL, &ignored);
    const char *finish[] = {"0", "{}", "{}", "{}", "{}", "{}", "{}"};
    run(c, sql_finish_final, 7, finish, NULL, &ignored);
}

/* Takes an idle connection or opens one (waiting while POOL_MAX are in use). */
static PGconn *borrow(pg_store *st, cf_error *err) {
    pthread_mutex_lock(&st->lock);
    while (!st->n_idle && st->open >= POOL_MAX) pthread_cond_wait(&st->freed, &st->lock);
    if (st->n_idle) {
        PGconn *c = st->idle[--st->n_idle];
        pthread_mutex_unlock(&st->lock);
        return c;
    }
    st->open++;
    pthread_mutex_unlock(&st->lock);
    PGconn *c = connect_one(st, err);
    if (c) warm(st, c);
    if (!c) {
        pthread_mutex_lock(&st->lock);
        st->open--;
        pthread_cond_signal(&st->freed);
        pthread_mutex_unlock(&st->lock);
    }
    return c;
}

/* Returns c to the pool; a broken connection or one left inside a transaction is closed. */
static void give_back(pg_store *st, PGconn *c) {
    bool healthy = PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE &&
                   PQpipelineStatus(c) == PQ_PIPELINE_OFF;
    if (pipe.c == c) pipe.c = NULL, pipe.n = 0;
    pthread_mutex_lock(&st->lock);
    if (healthy && st->n_idle < POOL_MAX) {
        st->idle[st->n_idle++] = c;
        c = NULL;
    } else {
        st->open--;
    }
    pthread_cond_signal(&st->freed);
    pthread_mutex_unlock(&st->lock);
    PQfinish(c);
}

typedef cf_err (*tx_fn)(PGconn *c, void *arg, cf_error *err);

/* Runs fn on a pooled connection; inside BEGIN..COMMIT when tx (rolled back on failure). */
static cf_err with_conn(pg_store *st, bool tx, tx_fn fn, void *arg, cf_error *err) {
    PGconn *c = borrow(st, err);
    if (!c) return err->code;
    pipe.c = c, pipe.n = 0;
    cf_err rc = tx ? later(c, "BEGIN", 0, NULL, err) : CF_OK; /* sent with the first statement */
    if (rc == CF_OK) rc = fn(c, arg, err);
    if (tx && rc == CF_OK) rc = run(c, "COMMIT", 0, NULL, NULL, err);
    cf_error ignored;
    collect(c, NULL, &ignored); /* what a failed transaction left queued */
    if (tx && PQtransactionStatus(c) != PQTRANS_IDLE) {
        PGresult *r = PQexec(c, "ROLLBACK");
        PQclear(r);
    }
    give_back(st, c);
    return rc;
}

/* ---- records and events ---- */

static void read_job(const PGresult *r, int row, cf_job_record *j) {
    memset(j, 0, sizeof *j);
    j->id = dup_or_null(r, row, 0);
    j->kind = dup_or_null(r, row, 1);
    if (!cf_job_state_from_string(PQgetvalue(r, row, 2), &j->status)) j->status = CF_JOB_STATE_FAILED;
    j->stage = dup_or_null(r, row, 3);
    j->progress = strtod(PQgetvalue(r, row, 4), NULL);
    j->attempts = int_at(r, row, 5);
    j->max_attempts = int_at(r, row, 6);
    j->created_at = int_at(r, row, 7);
    j->updated_at = int_at(r, row, 8);
    j->started_at = int_at(r, row, 9);
    j->finished_at = int_at(r, row, 10);
    j->request = dup_or_null(r, row, 11);
    j->result = dup_or_null(r, row, 12);
    j->error = dup_or_null(r, row, 13);
    j->idempotency_key = dup_or_null(r, row, 14);
    j->lease_owner = dup_or_null(r, row, 15);
    j->lease_expires_at = int_at(r, row, 16);
    j->run_after = int_at(r, row, 17);
    j->cancel_requested = PQgetvalue(r, row, 18)[0] == 't';
    j->seq = int_at(r, row, 19);
    j->parent_id = dup_or_null(r, row, 20);
    j->trace_context = dup_or_null(r, row, 21);
    j->tenant = dup_or_null(r, row, 22);
}

/* Loads one job by id or idempotency key (sql_job_by_id / sql_job_by_key). */
static cf_err load_job(PGconn *c, const char *sql, const char *value, cf_job_record *out, cf_error *err) {
    const char *p[] = {value};
    PGresult *r = q(c, sql, 1, p, err);
    if (!r) return err->code;
    cf_err rc = CF_OK;
    if (PQntuples(r) == 1) read_job(r, 0, out);
    else rc = cf_error_set(err, CF_ERR_NOT_FOUND, "job %s not found", value);
    PQclear(r);
    return rc;
}

/* Appends the event of change c (cf_job_event) for job id with its snapshot; takes the next id
 * from the counter row (see the file comment), so call it as the last write of the transaction
 * that made the change. */
/* Runs a statement that returns at most one job row (RETURNING JOB_COLS) into *out; *found
 * says whether it did. Saves reading back a row the statement has just written. */
static cf_err run_job_row(PGconn *c, const char *sql, int n, const char *const *p, cf_job_record *out,
                          bool *found, cf_error *err) {
    PGresult *r = q(c, sql, n, p, err);
    if (!r) return err->code;
    *found = PQntuples(r) == 1;
    if (*found) read_job(r, 0, out);
    PQclear(r);
    return CF_OK;
}

/* Appends the event of change c of job j as it is now (the caller's fresh row). */
static cf_err append_event_of(PGconn *c, cf_job_change change, const cf_job_record *j, int64_t now,
                              int64_t retry_at, cf_error *err) {
    const char *type;
    char *data;
    cf_err rc = cf_job_event(change, j, retry_at, &type, &data, err);
    if (rc) return rc;
    num at = n64(now);
    const char *p[] = {type, j->id, at.s, data};
    rc = run(c,
             "WITH c AS (UPDATE event_counter SET last_id=last_id+1 RETURNING last_id),"
             " i AS (INSERT INTO events(id,type,job_id,at,data) SELECT last_id,$1,$2,$3,$4"
             " FROM c RETURNING id) SELECT pg_notify('cf_events_' || current_schema(), '')"
             " FROM i",
             4, p, NULL, err);
    free(data);
    return rc;
}

/* A text[] literal of v[0..n), every element quoted (NULL elements as NULL); malloc'd, NULL
 * when out of memory. */
static char *text_array(const char *const *v, size_t n) {
    size_t cap = 3;
    for (size_t i = 0; i < n; i++) cap += v[i] ? 2 * strlen(v[i]) + 3 : 5;
    char *out = malloc(cap), *w = out;
    if (!out) return NULL;
    *w++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i) *w++ = ',';
        if (!v[i]) {
            memcpy(w, "NULL", 4);
            w += 4;
            continue;
        }
        *w++ = '"';
        for (const char *r = v[i]; *r; r++) {
            if (*r == '"' || *r == '\\') *w++ = '\\';
            *w++ = *r;
        }
        *w++ = '"';
    }
    *w++ = '}';
    *w = '\0';
    return out;
}

/* A bigint[] literal of v[0..n); malloc'd, NULL when out of memory. */
static char *int_array(const int64_t *v, size_t n) {
    char *out = malloc(n * 21 + 3), *w = out;
    if (!out) return NULL;
    *w++ = '{';
    for (size_t i = 0; i < n; i++) w += sprintf(w, i ? ",%lld" : "%lld", (long long)v[i]);
    *w++ = '}';
    *w = '\0';
    return out;
}

/* Runs sql over a batch of one owner's jobs in one statement: $1 is the text[] of ids[0..n), $2
 * the bigint[] of attempts[0..n) when attempts is not NULL, then the owner, the new lease expiry
 * (now + lease_ms) and now. Returns the result (caller PQclear) and *taken, a flag per row for
 * take_row (caller frees), or NULL with err set. */
static PGresult *lease_q(PGconn *c, const char *sql, const char *const *ids, const int64_t *attempts,
                         size_t n, const char *owner, int64_t lease_ms, int64_t now, bool **taken,
                         cf_error *err) {
    num exp = n64(now + lease_ms), at = n64(now);
    char *ia = text_array(ids, n), *aa = attempts ? int_array(attempts, n) : NULL;
    const char *p[5] = {ia};
    int k = 1;
    if (attempts) p[k++] = aa;
    p[k++] = owner, p[k++] = exp.s, p[k++] = at.s;
    PGresult *r = NULL;
    *taken = NULL;
    if (!ia || (attempts && !aa)) cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    else r = q(c, sql, k, p, err);
    if (r && !(*taken = calloc((size_t)PQntuples(r) + 1, sizeof **taken))) {
        PQclear(r), r = NULL;
        cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    free(ia), free(aa);
    return r;
}

/* The first row of r not taken yet whose column 0 is id (and, when attempt_col >= 0, whose column
 * attempt_col is attempt), now taken; -1 when there is none. */
static int take_row(const PGresult *r, bool *taken, const char *id, int attempt_col, int64_t attempt) {
    for (int row = 0; row < PQntuples(r); row++) {
        if (taken[row] || strcmp(PQgetvalue(r, row, 0), id)) continue;
        if (attempt_col >= 0 && int_at(r, row, attempt_col) != attempt) continue;
        taken[row] = true;
        return row;
    }
    return -1;
}

/* append_event_of for jobs[0..n) in one statement: their ids come from the counter in order;
 * event i happened at ats[i], or at now for all when ats is NULL. Sent with the COMMIT (later):
 * the batch's last write, whose failure fails the transaction. */
static cf_err append_events_of(PGconn *c, cf_job_change change, cf_job_record *const *jobs, size_t n,
                               int64_t now, const int64_t *ats, cf_error *err) {
    if (!n) return CF_OK;
    const char **types = calloc(n, sizeof *types), **ids = calloc(n, sizeof *ids);
    char **data = calloc(n, sizeof *data), **at = calloc(n, sizeof *at);
    cf_err rc = types && ids && data && at ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; rc == CF_OK && i < n; i++) {
        ids[i] = jobs[i]->id;
        rc = cf_job_event(change, jobs[i], 0, &types[i], &data[i], err);
        num t = n64(ats ? ats[i] : now);
        if (rc == CF_OK && !(at[i] = strdup(t.s))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    char *ta = rc ? NULL : text_array(types, n), *ia = rc ? NULL : text_array(ids, n);
    char *da = rc ? NULL : text_array((const char *const *)data, n);
    char *aa = rc ? NULL : text_array((const char *const *)at, n);
    if (rc == CF_OK && (!ta || !ia || !da || !aa)) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) {
        num count = n64((int64_t)n);
        const char *p[] = {count.s, aa, ta, ia, da};
        rc =
            later(c,
                  "WITH c AS (UPDATE event_counter SET last_id=last_id+$1::bigint RETURNING last_id),"
                  " i AS (INSERT INTO events(id,type,job_id,at,data) SELECT c.last_id-$1::bigint+e.n,"
                  " e.type,e.job_id,e.at,e.data FROM c, unnest($2::bigint[],$3::text[],$4::text[],$5::text[])"
                  " WITH ORDINALITY AS e(at,type,job_id,data,n) RETURNING id)"
                  " SELECT pg_notify('cf_events_' || current_schema(), '') WHERE EXISTS (SELECT 1 FROM i)",
                  5, p, err);
    }
    for (size_t i = 0; data && at && i < n; i++) free(data[i]), free(at[i]);
    free(types), free(ids), free(data), free(at), free(ta), free(ia), free(da), free(aa);
    return rc;
}

/* Re-reads job id and appends the event of change c with its snapshot. */
static cf_err append_event(PGconn *c, cf_job_change change, const char *id, int64_t now, int64_t retry_at,
                           cf_error *err) {
    cf_job_record j = {0};
    cf_err rc = load_job(c, sql_job_by_id, id, &j, err);
    if (rc == CF_OK) rc = append_event_of(c, change, &j, now, retry_at, err);
    cf_job_record_free(&j);
    return rc;
}

static cf_err add_outbox(PGconn *c, const char *topic, const char *payload, int64_t at, cf_error *err) {
    num a = n64(at);
    const char *p[] = {topic, payload, a.s};
    return run(c, "INSERT INTO outbox(topic,payload,available_at) VALUES($1,$2,$3)", 3, p, NULL, err);
}

/* The usage record of job j's finished run into the outbox (cf_job_usage), in the caller's
 * transaction. */
static cf_err add_usage_of(PGconn *c, const cf_job_record *j, int64_t now, cf_error *err) {
    char *data = NULL;
    cf_err rc = cf_job_usage(j, &data, err);
    if (rc == CF_OK && data) rc = add_outbox(c, CF_USAGE_TOPIC, data, now, err);
    free(data);
    return rc;
}

/* NOT_FOUND when id does not exist, else CONFLICT with what. */
static cf_err not_found_or_conflict(PGconn *c, const char *id, const char *what, cf_error *err) {
    cf_job_record j = {0};
    cf_err rc = load_job(c, sql_job_by_id, id, &j, err);
    if (rc) return rc;
    rc = cf_error_set(err, CF_ERR_CONFLICT, "job %s is %s: %s", id, cf_job_state_to_string(j.status), what);
    cf_job_record_free(&j);
    return rc;
}

/* ---- open, migrate, close ---- */

static cf_err migrate_tx(PGconn *c, void *arg, cf_error *err) {
    pg_store *st = arg;
    num lock = n64(MIGRATION_LOCK);
    const char *p[] = {lock.s};
    cf_err rc = run(c, "SELECT pg_advisory_xact_lock($1)", 1, p, NULL, err);
    if (rc == CF_OK && st->schema) {
        char *ident = PQescapeIdentifier(c, st->schema, strlen(st->schema));
        char sql[256];
        snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS %s", ident ? ident : "\"\"");
        PQfreemem(ident);
        rc = run(c, sql, 0, NULL, NULL, err);
    }
    if (rc == CF_OK)
        rc = run(c,
                 "CREATE TABLE IF NOT EXISTS schema_migrations(version BIGINT PRIMARY KEY,"
                 " applied_at BIGINT NOT NULL)",
                 0, NULL, NULL, err);
    PGresult *r = rc ? NULL : q(c, "SELECT coalesce(max(version),0) FROM schema_migrations", 0, NULL, err);
    if (!r) return rc ? rc : err->code;
    int64_t have = int_at(r, 0, 0);
    PQclear(r);
    int64_t known = (int64_t)(sizeof migrations / sizeof migrations[0]);
    if (have < 0)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "store: database schema version %lld is not valid",
                            (long long)have);
    if (have > known)
        return cf_error_set(err, CF_ERR_UNSUPPORTED,
                            "store: database schema version %lld is newer than this program (%lld)",
                            (long long)have, (long long)known);
    for (int64_t v = have + 1; rc == CF_OK && v <= known; v++) {
        rc = collect(c, NULL, err); /* several statements: simple protocol, not in a pipeline */
        PGresult *m = rc ? NULL : PQexec(c, migrations[v - 1]);
        if (rc == CF_OK && PQresultStatus(m) != PGRES_COMMAND_OK) rc = pg_fail(c, m, err, "migration");
        PQclear(m);
        num ver = n64(v);
        const char *vp[] = {ver.s};
        if (rc == CF_OK)
            rc = run(c, "INSERT INTO schema_migrations VALUES($1, extract(epoch from now()))", 1, vp, NULL,
                     err);
    }
    return rc;
}

static void pg_close(void *self) {
    pg_store *st = self;
    if (!st) return;
    if (st->watching) {
        atomic_store(&st->stop_watch, true);
        pthread_join(st->watcher, NULL);
    }
    for (int i = 0; i < st->n_idle; i++) PQfinish(st->idle[i]);
    free(st->conninfo);
    free(st->schema);
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->freed);
    free(st);
}

/* Splits "schema=NAME" out of the URL's query; the rest is libpq's. */
static cf_err parse_url(pg_store *st, const char *url, cf_error *err) {
    st->conninfo = strdup(url);
    if (!st->conninfo) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    char *query = strchr(st->conninfo, '?');
    char *opt = query ? strstr(query, "schema=") : NULL;
    if (!opt) return CF_OK;
    if (opt[-1] != '?' && opt[-1] != '&') return CF_OK;
    size_t len = strcspn(opt + 7, "&");
    st->schema = strndup(opt + 7, len);
    if (!st->schema) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!*st->schema || len > 63)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "store URL: bad schema name");
    char *rest = opt + 7 + len;
    if (*rest == '&') rest++;
    memmove(opt, rest, strlen(rest) + 1);
    size_t n = strlen(st->conninfo);
    if (n && (st->conninfo[n - 1] == '?' || st->conninfo[n - 1] == '&')) st->conninfo[n - 1] = 0;
    return CF_OK;
}

static cf_err pg_open(const char *url, void **self, cf_error *err) {
    pg_store *st = calloc(1, sizeof *st);
    if (!st) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->freed, NULL);
    cf_err rc = parse_url(st, url, err);
    if (rc == CF_OK) rc = with_conn(st, true, migrate_tx, st, err);
    atomic_store(&st->migrated, rc == CF_OK);
    /* The migration's connection and READY_CONNS - 1 more, all warmed: a worker leases a batch on
     * one while it stores the batch before on another (job_runner.c), its relay publishes usage
     * records on a third and its keeper reaps (at start, and every half lease) on a fourth; the
     * first of each would otherwise wait for a connection to be opened and warmed, in the way of
     * a job (with three, a fourth was opened during the first batches of a drain: its warming,
     * which compiles the trigger function, took 58 ms of PostgreSQL at load 12). */
    PGconn *ready[READY_CONNS] = {0};
    for (int i = 0; rc == CF_OK && i < READY_CONNS; i++) {
        cf_error ignored; /* one that cannot open now opens at its first use */
        if (!(ready[i] = borrow(st, &ignored))) break;
    }
    if (ready[0]) warm(st, ready[0]); /* the others were warmed when opened */
    for (int i = 0; i < READY_CONNS; i++)
        if (ready[i]) give_back(st, ready[i]);
    if (rc) {
        pg_close(st);
        return rc;
    }
    *self = st;
    return CF_OK;
}

/* ---- jobs ---- */

typedef struct create_args {
    const cf_job_new *in;
    cf_job_record *out;
    bool *replayed;
} create_args;

static cf_err create_tx(PGconn *c, void *arg, cf_error *err) {
    create_args *a = arg;
    const cf_job_new *in = a->in;
    if (in->idempotency_key) {
        cf_err rc = load_job(c, sql_job_by_key, in->idempotency_key, a->out, err);
        if (rc == CF_OK) {
            rc = cf_job_replay(a->out, in, err);
            if (rc) cf_job_record_free(a->out);
            *a->replayed = rc == CF_OK;
            return rc;
        }
        if (rc != CF_ERR_NOT_FOUND) return rc;
    }
    num max = n64(in->max_attempts), now = n64(in->now);
    const char *p[] = {in->id,        in->kind,          max.s,     now.s, in->request, in->idempotency_key,
                       in->parent_id, in->trace_context, in->tenant};
    bool found = false;
    cf_err rc =
        run_job_row(c,
                    "INSERT INTO jobs(id,kind,status,stage,max_attempts,budget,created_at,"
                    "updated_at,request,idempotency_key,run_after,parent_id,trace_context,tenant)"
                    " VALUES($1,$2,'queued','queued',$3,$3,$4,$4,$5,$6,$4,$7,$8,"
                    " coalesce($9,(SELECT tenant FROM jobs WHERE id=$7),'default')) RETURNING " JOB_COLS,
                    9, p, a->out, &found, err);
    if (rc == CF_OK && !found) rc = cf_error_set(err, CF_ERR_INTERNAL, "job %s: not inserted", in->id);
    if (rc == CF_OK) rc = add_outbox(c, "jobs", in->id, in->now, err);
    if (rc == CF_OK) rc = append_event_of(c, CF_JOB_CHANGE_REQUESTED, a->out, in->now, 0, err);
    return rc;
}

static cf_err pg_job_create(void *self, const cf_job_new *in, cf_job_record *out, bool *replayed,
                            cf_error *err) {
    *replayed = false;
    memset(out, 0, sizeof *out);
    create_args a = {in, out, replayed};
    cf_err rc = with_conn(self, true, create_tx, &a, err);
    /* Two creates racing on one idempotency key: the loser sees the winner's job. */
    if (rc == CF_ERR_CONFLICT && in->idempotency_key && !*replayed) {
        cf_job_record_free(out);
        cf_error again;
        if (with_conn(self, true, create_tx, &a, &again) == CF_OK) return CF_OK;
        *err = again;
        rc = again.code;
    }
    if (rc && rc != CF_ERR_CONFLICT) cf_job_record_free(out);
    return rc;
}

typedef struct many_args {
    cf_job_submission *subs;
    size_t n;
} many_args;

/* Each creation of a batch in its savepoint, so that one that fails is undone alone. */
static cf_err create_many_tx(PGconn *c, void *arg, cf_error *err) {
    many_args *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        cf_job_submission *sub = &a->subs[i];
        cf_err rc = run(c, "SAVEPOINT one", 0, NULL, NULL, err);
        if (rc) return rc;
        create_args ca = {&sub->in, &sub->out, &sub->replayed};
        sub->rc = create_tx(c, &ca, &sub->err);
        if (sub->rc) {
            cf_job_record_free(&sub->out);
            rc = run(c, "ROLLBACK TO SAVEPOINT one", 0, NULL, NULL, err);
        }
        if (rc == CF_OK) rc = run(c, "RELEASE SAVEPOINT one", 0, NULL, NULL, err);
        if (rc) return rc;
    }
    return CF_OK;
}

/* The common batch, no creation with an idempotency key, set-wise: one INSERT of every job
 * returning their rows, then their outbox rows and their events (one statement each) sent with
 * the COMMIT: two round trips whatever the batch's size, where a creation in its savepoint costs
 * six. Any failure fails the whole transaction: the caller then takes the batch one savepoint at a
 * time. */
static cf_err create_set_tx(PGconn *c, void *arg, cf_error *err) {
    many_args *a = arg;
    size_t n = a->n;
    enum { COLS = 8 };
    const char **cols[COLS];
    char **nums = calloc(2 * n, sizeof *nums), *arrays[COLS] = {0};
    cf_job_record **made = calloc(n, sizeof *made);
    int64_t *ats = calloc(n, sizeof *ats);
    cf_err rc = nums && made && ats ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (int k = 0; k < COLS; k++)
        if (!(cols[k] = calloc(n, sizeof *cols[k])))
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; rc == CF_OK && i < n; i++) {
        const cf_job_new *in = &a->subs[i].in;
        num max = n64(in->max_attempts), now = n64(in->now);
        if (!(nums[2 * i] = strdup(max.s)) || !(nums[2 * i + 1] = strdup(now.s)))
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        const char *v[COLS] = {in->id,      in->kind,      nums[2 * i],       nums[2 * i + 1],
                               in->request, in->parent_id, in->trace_context, in->tenant};
        for (int k = 0; k < COLS; k++) cols[k][i] = v[k];
    }
    for (int k = 0; rc == CF_OK && k < COLS; k++)
        if (!(arrays[k] = text_array(cols[k], n))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    PGresult *r = NULL;
    if (rc == CF_OK) {
        r = q(c,
              "INSERT INTO jobs(id,kind,status,stage,max_attempts,budget,created_at,updated_at,request,"
              "run_after,parent_id,trace_context,tenant) SELECT v.id,v.kind,'queued','queued',v.m,v.m,v.t,"
              "v.t,v.request,v.t,v.parent,v.trace,"
              "coalesce(v.tenant,(SELECT p.tenant FROM jobs p WHERE p.id=v.parent),'default')"
              " FROM unnest($1::text[],$2::text[],$3::bigint[],$4::bigint[],$5::text[],$6::text[],"
              "$7::text[],$8::text[]) WITH ORDINALITY AS v(id,kind,m,t,request,parent,trace,tenant,n)"
              " ORDER BY v.n RETURNING " JOB_COLS,
              COLS, (const char *const *)arrays, err);
        if (!r) rc = err->code;
    }
    size_t n_made = 0;
    for (size_t i = 0; rc == CF_OK && i < n; i++) { /* the rows in the batch's order */
        cf_job_submission *sub = &a->subs[i];
        sub->rc = cf_error_set(&sub->err, CF_ERR_INTERNAL, "job %s: not inserted", sub->in.id);
        for (int row = 0; sub->rc && row < PQntuples(r); row++)
            if (!strcmp(PQgetvalue(r, row, 0), sub->in.id)) read_job(r, row, &sub->out), sub->rc = CF_OK;
        if (sub->rc) rc = cf_error_set(err, CF_ERR_INTERNAL, "job %s: not inserted", sub->in.id);
        else made[n_made] = &sub->out, ats[n_made++] = sub->in.now;
    }
    PQclear(r);
    if (rc == CF_OK) {
        const char *p[] = {arrays[0], arrays[3]};
        rc = later(c,
                   "INSERT INTO outbox(topic,payload,available_at) SELECT 'jobs',o.id,o.t FROM"
                   " unnest($1::text[],$2::bigint[]) WITH ORDINALITY AS o(id,t,n) ORDER BY o.n",
                   2, p, err);
    }
    if (rc == CF_OK) rc = append_events_of(c, CF_JOB_CHANGE_REQUESTED, made, n_made, 0, ats, err);
    for (size_t i = 0; nums && i < 2 * n; i++) free(nums[i]);
    for (int k = 0; k < COLS; k++) free(cols[k]), free(arrays[k]);
    free(nums), free(made), free(ats);
    return rc;
}

static cf_err pg_job_create_many(void *self, cf_job_submission *subs, size_t n, cf_error *err) {
    many_args a = {subs, n};
    bool keyless = true;
    for (size_t i = 0; keyless && i < n; i++) keyless = !subs[i].in.idempotency_key;
    if (keyless && with_conn(self, true, create_set_tx, &a, err) == CF_OK) return CF_OK;
    for (size_t i = 0; keyless && i < n; i++) { /* taken again one at a time */
        cf_job_record_free(&subs[i].out);
        subs[i].rc = CF_OK;
    }
    cf_err rc = with_conn(self, true, create_many_tx, &a, err);
    for (size_t i = 0; i < n; i++) {
        cf_job_submission *sub = &subs[i];
        if (rc) {
            cf_job_record_free(&sub->out);
            sub->rc = rc;
            sub->err = *err;
            sub->replayed = false;
        } else if (sub->rc == CF_ERR_CONFLICT && sub->in.idempotency_key && !sub->replayed) {
            /* another node's transaction took the key meanwhile: decided as a single create */
            sub->rc = pg_job_create(self, &sub->in, &sub->out, &sub->replayed, &sub->err);
        }
    }
    return rc;
}

typedef struct get_args {
    const char *id;
    cf_job_record *out;
} get_args;

static cf_err get_fn(PGconn *c, void *arg, cf_error *err) {
    get_args *a = arg;
    return load_job(c, sql_job_by_id, a->id, a->out, err);
}

static cf_err pg_job_get(void *self, const char *id, cf_job_record *out, cf_error *err) {
    get_args a = {id, out};
    return with_conn(self, false, get_fn, &a, err);
}

typedef struct list_args {
    const cf_job_filter *f;
    cf_job_record *rows;
    size_t limit, n;
} list_args;

/* The statement that lists the jobs f asks for ($1 status, $2 kind, $3 before seq, $4 limit, $5
 * tenant, $6 parent; it names the first *nparams). Each has conditions an index serves in a
 * generic plan, which a prepared statement ends up with, not "$5 IS NULL OR tenant=$5" (no index
 * serves that in a generic plan): a tenant's jobs through jobs_by_tenant, a parent's children
 * through jobs_by_parent, the running jobs through jobs_running (no index of jobs names the
 * status), all jobs newest first by seq. The status and kind are checked on the rows read; the
 * cursor bounds the range (the largest seq for none). A tenant's list names its tenant as a range
 * and orders by (tenant, seq), which only jobs_by_tenant gives read backwards from ($5, $3): with
 * tenant=$5 and the order by seq alone, the generic plan read jobs newest first by jobs_pkey and
 * dropped the other tenants' (the planner takes a tenant's jobs to be spread evenly over time), so
 * a tenant whose jobs were old read nearly the whole table: 99,000 rows and 80 ms for 50 jobs of
 * the tenant with the oldest 1,000 of 100,000 jobs of six tenants, against 50 rows and 0.07 ms. */
const char *cf_store_postgres_job_list_sql(const cf_job_filter *f, int *nparams) {
#define LIST_WHERE " ($1::text IS NULL OR status=$1) AND ($2::text IS NULL OR kind=$2) AND seq<$3::bigint"
#define LIST_ORDER " ORDER BY seq DESC LIMIT $4"
    bool running = !f->parent_id && f->status == (int)CF_JOB_STATE_RUNNING;
    *nparams = f->parent_id ? 6 : f->tenant || running ? 5 : 4;
    if (f->parent_id)
        return "SELECT " JOB_COLS " FROM jobs WHERE parent_id=$6 AND" LIST_WHERE
               " AND ($5::text IS NULL OR tenant=$5)" LIST_ORDER;
    if (running)
        return "SELECT " JOB_COLS " FROM jobs WHERE seq IN (SELECT seq FROM jobs_running) AND" LIST_WHERE
               " AND ($5::text IS NULL OR tenant=$5)" LIST_ORDER;
    if (f->tenant)
        return "SELECT " JOB_COLS " FROM jobs WHERE tenant>=$5 AND tenant<=$5 AND" LIST_WHERE
               " ORDER BY tenant DESC, seq DESC LIMIT $4";
    return "SELECT " JOB_COLS " FROM jobs WHERE" LIST_WHERE LIST_ORDER;
#undef LIST_WHERE
#undef LIST_ORDER
}

static cf_err list_fn(PGconn *c, void *arg, cf_error *err) {
    list_args *a = arg;
    num before = n64(a->f->before_seq > 0 ? a->f->before_seq : INT64_MAX), lim = n64((int64_t)a->limit);
    const char *p[] = {a->f->status >= 0 ? cf_job_state_to_string((cf_job_state)a->f->status) : NULL,
                       a->f->kind,
                       before.s,
                       lim.s,
                       a->f->tenant,
                       a->f->parent_id};
    int n;
    const char *sql = cf_store_postgres_job_list_sql(a->f, &n);
    PGresult *r = q(c, sql, n, p, err);
    if (!r) return err->code;
    for (int i = 0; i < PQntuples(r) && a->n < a->limit; i++) read_job(r, i, &a->rows[a->n++]);
    PQclear(r);
    return CF_OK;
}

static cf_err pg_job_list(void *self, const cf_job_filter *f, cf_job_record **out, size_t *n, cf_error *err) {
    *out = NULL;
    *n = 0;
    list_args a = {f, NULL, f->limit ? f->limit : 50, 0};
    a.rows = calloc(a.limit, sizeof *a.rows);
    if (!a.rows) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = with_conn(self, false, list_fn, &a, err);
    if (rc) {
        cf_job_records_free(a.rows, a.n);
        return rc;
    }
    *out = a.rows;
    *n = a.n;
    return CF_OK;
}

typedef struct lease_args {
    const char *id, *owner;
    int64_t lease_ms, now;
    cf_job_record *out;
} lease_args;

static cf_err lease_tx(PGconn *c, void *arg, cf_error *err) {
    lease_args *a = arg;
    num exp = n64(a->now + a->lease_ms), now = n64(a->now);
    const char *p[] = {a->id, a->owner, exp.s, now.s};
    bool found = false;
    cf_err rc = run_job_row(c,
                            "UPDATE jobs SET status='running', attempts=attempts+1, lease_owner=$2,"
                            " lease_expires_at=$3, started_at=$4, updated_at=$4, stage='started',"
                            " progress=0, finished_at=0 WHERE id=(SELECT id FROM jobs WHERE id=$1 AND"
                            " status='queued' AND run_after<=$4 FOR UPDATE SKIP LOCKED) RETURNING " JOB_COLS,
                            4, p, a->out, &found, err);
    if (rc) return rc;
    if (!found) return not_found_or_conflict(c, a->id, "not leasable", err);
    return append_event_of(c, CF_JOB_CHANGE_LEASED, a->out, a->now, 0, err);
}

static cf_err pg_job_lease(void *self, const char *id, const char *owner, int64_t lease_ms, int64_t now,
                           cf_job_record *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    lease_args a = {id, owner, lease_ms, now, out};
    cf_err rc = with_conn(self, true, lease_tx, &a, err);
    if (rc) cf_job_record_free(out);
    return rc;
}

typedef struct lease_many_args {
    cf_job_lease_req *reqs;
    size_t n;
    const char *owner;
    int64_t lease_ms, now;
} lease_many_args;

/* Every job of the batch that is queued and due, and not being leased by another worker, in one
 * UPDATE; the others are told apart (not found or not leasable) afterwards; the events of the
 * leased ones in one statement, sent with the COMMIT. The jobs are found by id ("status||''"
 * kept the planner off jobs_by_status while there was one: it took it when its statistics had
 * few jobs queued, reading every queued job of a backlog for each batch, 14.5 against 3.0 ms for
 * 64 out of 1,000 queued). */
static cf_err lease_many_tx(PGconn *c, void *arg, cf_error *err) {
    lease_many_args *a = arg;
    const char **ids = calloc(a->n, sizeof *ids);
    cf_job_record **leased = calloc(a->n, sizeof *leased);
    cf_err rc = ids && leased ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; rc == CF_OK && i < a->n; i++) ids[i] = a->reqs[i].id;
    bool *taken = NULL;
    PGresult *r =
        rc ? NULL : lease_q(c, sql_lease_many, ids, NULL, a->n, a->owner, a->lease_ms, a->now, &taken, err);
    if (rc == CF_OK && !r) rc = err->code;
    size_t n_leased = 0;
    for (size_t i = 0; rc == CF_OK && i < a->n; i++) {
        cf_job_lease_req *req = &a->reqs[i];
        int row = take_row(r, taken, req->id, -1, 0);
        if (row >= 0) {
            read_job(r, row, &req->out);
            req->rc = CF_OK;
            leased[n_leased++] = &req->out;
            continue;
        }
        req->rc = not_found_or_conflict(c, req->id, "not leasable", &req->err);
        if (req->rc != CF_ERR_NOT_FOUND && req->rc != CF_ERR_CONFLICT) *err = req->err, rc = req->rc;
    }
    PQclear(r);
    if (rc == CF_OK) rc = append_events_of(c, CF_JOB_CHANGE_LEASED, leased, n_leased, a->now, NULL, err);
    free(ids);
    free(leased);
    free(taken);
    return rc;
}

static cf_err pg_job_lease_many(void *self, cf_job_lease_req *reqs, size_t n, const char *owner,
                                int64_t lease_ms, int64_t now, cf_error *err) {
    lease_many_args a = {reqs, n, owner, lease_ms, now};
    cf_err rc = with_conn(self, true, lease_many_tx, &a, err);
    for (size_t i = 0; rc && i < n; i++) {
        cf_job_record_free(&reqs[i].out);
        reqs[i].rc = rc;
        reqs[i].err = *err;
    }
    return rc;
}

typedef struct beat_args {
    const char *id, *owner, *stage;
    int64_t attempt, lease_ms, now;
    double progress;
    bool emit, cancel;
} beat_args;

static cf_err beat_tx(PGconn *c, void *arg, cf_error *err) {
    beat_args *a = arg;
    num att = n64(a->attempt), exp = n64(a->now + a->lease_ms), now = n64(a->now);
    char prog[32];
    snprintf(prog, sizeof prog, "%.17g", a->progress);
    const char *p[] = {a->id, a->owner, att.s, exp.s, now.s, prog, a->stage};
    PGresult *r = q(c,
                    "UPDATE jobs SET lease_expires_at=$4, updated_at=$5,"
                    " progress=greatest(progress, $6::float8), stage=coalesce($7, stage)"
                    " WHERE id=$1 AND status='running' AND lease_owner=$2 AND attempts=$3"
                    " RETURNING cancel_requested",
                    7, p, err);
    if (!r) return err->code;
    bool hit = PQntuples(r) == 1;
    if (hit) a->cancel = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!hit) return cf_error_set(err, CF_ERR_CONFLICT, "job %s: lease lost", a->id);
    return a->emit ? append_event(c, CF_JOB_CHANGE_PROGRESSED, a->id, a->now, 0, err) : CF_OK;
}

static cf_err pg_job_heartbeat(void *self, const char *id, const char *owner, int64_t attempt,
                               int64_t lease_ms, int64_t now, double progress, const char *stage, bool emit,
                               bool *cancel_requested, cf_error *err) {
    beat_args a = {id, owner, stage, attempt, lease_ms, now, progress, emit, false};
    cf_err rc = with_conn(self, true, beat_tx, &a, err);
    if (cancel_requested) *cancel_requested = a.cancel;
    return rc;
}

typedef struct renew_args {
    cf_job_renew_req *reqs;
    size_t n;
    const char *owner;
    int64_t lease_ms, now;
} renew_args;

/* Every lease of the batch in one UPDATE, the ones lost told apart by the rows it returns. */
static cf_err renew_many_fn(PGconn *c, void *arg, cf_error *err) {
    renew_args *a = arg;
    const char **ids = calloc(a->n, sizeof *ids);
    int64_t *attempts = calloc(a->n, sizeof *attempts);
    cf_err rc = ids && attempts ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; rc == CF_OK && i < a->n; i++) ids[i] = a->reqs[i].id, attempts[i] = a->reqs[i].attempt;
    bool *taken = NULL;
    PGresult *r = rc ? NULL
                     : lease_q(c,
                               "UPDATE jobs SET lease_expires_at=$4, updated_at=$5 FROM"
                               " unnest($1::text[],$2::bigint[]) AS v(vid,vattempt) WHERE id=v.vid AND"
                               " status='running' AND lease_owner=$3 AND attempts=v.vattempt"
                               " RETURNING id, attempts, cancel_requested",
                               ids, attempts, a->n, a->owner, a->lease_ms, a->now, &taken, err);
    if (rc == CF_OK && !r) rc = err->code;
    for (size_t i = 0; rc == CF_OK && i < a->n; i++) {
        cf_job_renew_req *req = &a->reqs[i];
        int row = take_row(r, taken, req->id, 1, req->attempt);
        req->rc = row >= 0 ? CF_OK : CF_ERR_CONFLICT;
        req->cancel_requested = row >= 0 && PQgetvalue(r, row, 2)[0] == 't';
    }
    PQclear(r);
    free(ids), free(attempts), free(taken);
    return rc;
}

static cf_err pg_job_renew_many(void *self, cf_job_renew_req *reqs, size_t n, const char *owner,
                                int64_t lease_ms, int64_t now, cf_error *err) {
    renew_args a = {reqs, n, owner, lease_ms, now};
    cf_err rc = with_conn(self, false, renew_many_fn, &a, err);
    for (size_t i = 0; rc && i < n; i++) reqs[i].rc = rc;
    return rc;
}

/* running -> queued again (retry), with its JobFailed event and the delayed outbox row. */
static cf_err requeue(PGconn *c, const char *id, const char *owner, int64_t attempt, const char *error,
                      int64_t retry_at, int64_t now, cf_error *err) {
    num att = n64(attempt), nw = n64(now), at = n64(retry_at);
    const char *p[] = {id, owner ? owner : "", att.s, error, nw.s, at.s};
    int changes = 0;
    cf_err rc = run(c,
                    "UPDATE jobs SET status='queued', stage='retrying', error=$4, updated_at=$5,"
                    " run_after=$6, lease_owner=NULL, lease_expires_at=0"
                    " WHERE id=$1 AND status='running' AND coalesce(lease_owner,'')=$2"
                    " AND attempts=$3",
                    6, p, &changes, err);
    if (rc) return rc;
    if (!changes) return cf_error_set(err, CF_ERR_CONFLICT, "job %s: lease lost", id);
    rc = add_outbox(c, "jobs", id, retry_at, err);
    return rc ? rc : append_event(c, CF_JOB_CHANGE_REQUEUED, id, now, retry_at, err);
}

/* running -> queued at once, the run not counted (shutdown), with its event and outbox row. */
static cf_err release(PGconn *c, const char *id, const char *owner, int64_t attempt, int64_t now,
                      cf_error *err) {
    num att = n64(attempt), nw = n64(now);
    const char *p[] = {id, owner, att.s, nw.s};
    int changes = 0;
    cf_err rc = run(c,
                    "UPDATE jobs SET status='queued', stage='queued', progress=0, updated_at=$4,"
                    " run_after=$4, lease_owner=NULL, lease_expires_at=0,"
                    " max_attempts=max_attempts+1"
                    " WHERE id=$1 AND status='running' AND lease_owner=$2 AND attempts=$3",
                    4, p, &changes, err);
    if (rc) return rc;
    if (!changes) return cf_error_set(err, CF_ERR_CONFLICT, "job %s: lease lost", id);
    rc = add_outbox(c, "jobs", id, now, err);
    return rc ? rc : append_event(c, CF_JOB_CHANGE_RELEASED, id, now, 0, err);
}

static cf_err finish(PGconn *c, const char *id, const char *owner, int64_t attempt, const cf_job_outcome *o,
                     int64_t now, cf_error *err) {
    cf_job_change change;
    cf_err rc = cf_job_outcome_change(id, o, &change, err);
    if (rc) return rc;
    if (change == CF_JOB_CHANGE_REQUEUED)
        return requeue(c, id, owner, attempt, o->error, o->retry_at, now, err);
    if (change == CF_JOB_CHANGE_RELEASED) return release(c, id, owner, attempt, now, err);
    num att = n64(attempt), nw = n64(now);
    bool ok = o->status == CF_JOB_STATE_SUCCEEDED;
    const char *p[] = {
        id,  owner, att.s, cf_job_state_to_string(o->status), ok ? o->result : NULL, ok ? NULL : o->error,
        nw.s};
    bool found = false;
    cf_job_record j = {0};
    rc = run_job_row(
        c,
        "UPDATE jobs SET status=$4::text, stage=$4::text, result=$5, error=$6,"
        " finished_at=$7, updated_at=$7, lease_owner=NULL, lease_expires_at=0,"
        " progress=CASE WHEN $4::text='succeeded' THEN 1 ELSE progress END"
        " WHERE id=$1 AND status='running' AND lease_owner=$2 AND attempts=$3 RETURNING " JOB_COLS,
        7, p, &j, &found, err);
    if (rc) return rc;
    if (!found) return cf_error_set(err, CF_ERR_CONFLICT, "job %s: lease lost", id);
    rc = add_usage_of(c, &j, now, err);
    if (rc == CF_OK) rc = append_event_of(c, CF_JOB_CHANGE_FINISHED, &j, now, 0, err);
    cf_job_record_free(&j);
    return rc;
}

typedef struct finish_args {
    const char *id, *owner;
    int64_t attempt;
    const cf_job_outcome *o;
    int64_t now;
} finish_args;

static cf_err finish_tx(PGconn *c, void *arg, cf_error *err) {
    finish_args *a = arg;
    return finish(c, a->id, a->owner, a->attempt, a->o, a->now, err);
}

static cf_err pg_job_finish(void *self, const char *id, const char *owner, int64_t attempt,
                            const cf_job_outcome *o, int64_t now, cf_error *err) {
    finish_args a = {id, owner, attempt, o, now};
    return with_conn(self, true, finish_tx, &a, err);
}

/* Runs sql (several statements, no parameters) for its effect. */
static cf_err run_plain(PGconn *c, const char *sql, cf_error *err) {
    cf_err rc = collect(c, NULL, err); /* several statements: not in a pipeline */
    if (rc) return rc;
    PGresult *r = PQexec(c, sql);
    rc = PQresultStatus(r) == PGRES_COMMAND_OK ? CF_OK : pg_fail(c, r, err, sql);
    PQclear(r);
    return rc;
}

typedef struct finish_many_args {
    cf_job_finish_req *reqs;
    size_t n;
    int64_t now;
} finish_many_args;

/* Each finish of a batch in its savepoint, so that one that fails is undone alone; releasing one
 * savepoint and opening the next share a round trip. */
static cf_err finish_many_tx(PGconn *c, void *arg, cf_error *err) {
    finish_many_args *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        cf_job_finish_req *req = &a->reqs[i];
        cf_err rc = run_plain(c, i ? "RELEASE SAVEPOINT one; SAVEPOINT one" : "SAVEPOINT one", err);
        if (rc) return rc;
        req->rc = finish(c, req->id, req->owner, req->attempt, &req->outcome, a->now, &req->err);
        if (req->rc && (rc = run_plain(c, "ROLLBACK TO SAVEPOINT one", err))) return rc;
    }
    return CF_OK;
}

/* The common batch, every outcome final (succeeded, failed for good, cancelled), set-wise: one
 * UPDATE for all, one INSERT of their usage records, one of their events, whatever the batch's
 * size. A job whose lease was lost is not updated (CONFLICT) and changes nothing else. Any
 * failure fails the whole transaction: the caller then takes the batch one savepoint at a time. */
static cf_err finish_final_tx(PGconn *c, void *arg, cf_error *err) {
    finish_many_args *a = arg;
    size_t n = a->n;
    const char **ids = calloc(n, sizeof *ids), **owners = calloc(n, sizeof *owners);
    const char **states = calloc(n, sizeof *states), **results = calloc(n, sizeof *results);
    const char **errors = calloc(n, sizeof *errors), **usage = calloc(n, sizeof *usage);
    char **attempts = calloc(n, sizeof *attempts);
    cf_job_record *rows = calloc(n, sizeof *rows), **done = calloc(n, sizeof *done);
    char *arrays[6] = {0};
    cf_err rc = ids && owners && states && results && errors && usage && attempts && rows && done
                    ? CF_OK
                    : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; rc == CF_OK && i < n; i++) {
        const cf_job_finish_req *req = &a->reqs[i];
        bool ok = req->outcome.status == CF_JOB_STATE_SUCCEEDED;
        ids[i] = req->id;
        owners[i] = req->owner;
        states[i] = cf_job_state_to_string(req->outcome.status);
        results[i] = ok ? req->outcome.result : NULL;
        errors[i] = ok ? NULL : req->outcome.error;
        num att = n64(req->attempt);
        if (!(attempts[i] = strdup(att.s))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    const char *const *cols[] = {ids, owners, (const char *const *)attempts, states, results, errors};
    for (int k = 0; rc == CF_OK && k < 6; k++)
        if (!(arrays[k] = text_array(cols[k], n))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    PGresult *r = NULL;
    if (rc == CF_OK) {
        num now = n64(a->now);
        const char *p[] = {now.s, arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], arrays[5]};
        r = q(c, sql_finish_final, 7, p, err);
        if (!r) rc = err->code;
    }
    size_t n_done = 0, n_usage = 0;
    for (int row = 0; r && row < PQntuples(r) && (size_t)row < n; row++) {
        read_job(r, row, &rows[n_done]);
        done[n_done] = &rows[n_done];
        n_done++;
    }
    PQclear(r);
    bool *told = rc == CF_OK ? calloc(n_done + 1, sizeof *told) : NULL;
    if (rc == CF_OK && !told) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; rc == CF_OK && i < n; i++) { /* who was finished, who lost the lease */
        cf_job_finish_req *req = &a->reqs[i];
        req->rc = cf_error_set(&req->err, CF_ERR_CONFLICT, "job %s: lease lost", req->id);
        for (size_t k = 0; k < n_done && req->rc; k++)
            if (!told[k] && !strcmp(rows[k].id, req->id)) told[k] = true, req->rc = CF_OK;
    }
    free(told);
    for (size_t k = 0; rc == CF_OK && k < n_done; k++) {
        char *data = NULL;
        rc = cf_job_usage(&rows[k], &data, err);
        if (data) usage[n_usage++] = data;
    }
    char *ua = NULL;
    if (rc == CF_OK && n_usage && !(ua = text_array(usage, n_usage)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK && n_usage) {
        num now = n64(a->now);
        const char *p[] = {ua, now.s};
        rc = later(c,
                   "INSERT INTO outbox(topic,payload,available_at) SELECT '" CF_USAGE_TOPIC "',u,$2"
                   " FROM unnest($1::text[]) AS u",
                   2, p, err);
    }
    if (rc == CF_OK) rc = append_events_of(c, CF_JOB_CHANGE_FINISHED, done, n_done, a->now, NULL, err);
    for (size_t i = 0; i < n; i++) {
        if (attempts) free(attempts[i]);
        if (usage) free((char *)usage[i]);
        if (rows) cf_job_record_free(&rows[i]);
    }
    for (int k = 0; k < 6; k++) free(arrays[k]);
    free(ids), free(owners), free(states), free(results), free(errors), free(usage), free(attempts);
    free(rows), free(done), free(ua);
    return rc;
}

static cf_err pg_job_finish_many(void *self, cf_job_finish_req *reqs, size_t n, int64_t now, cf_error *err) {
    finish_many_args a = {reqs, n, now};
    bool final = true;
    for (size_t i = 0; final && i < n; i++) {
        cf_job_change change;
        cf_error ignored;
        final = cf_job_outcome_change(reqs[i].id, &reqs[i].outcome, &change, &ignored) == CF_OK &&
                change == CF_JOB_CHANGE_FINISHED;
    }
    if (final && with_conn(self, true, finish_final_tx, &a, err) == CF_OK) return CF_OK;
    cf_err rc = with_conn(self, true, finish_many_tx, &a, err);
    for (size_t i = 0; rc && i < n; i++) {
        reqs[i].rc = rc;
        reqs[i].err = *err;
    }
    return rc;
}

typedef struct change_args {
    const char *id;
    int64_t now;
    cf_job_record *out;
} change_args;

/* queued -> cancelled with its event, or running -> cancel requested; *changes = 0 when neither. */
static cf_err cancel_one(PGconn *c, const char *id, int64_t now, int *changes, cf_error *err) {
    num nw = n64(now);
    char *problem = cf_job_cancelled_problem();
    if (!problem) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    const char *p[] = {id, nw.s, problem};
    cf_err rc = run(c,
                    "UPDATE jobs SET status='cancelled', stage='cancelled', error=$3,"
                    " finished_at=$2, updated_at=$2, lease_owner=NULL, lease_expires_at=0"
                    " WHERE id=$1 AND status='queued'",
                    3, p, changes, err);
    free(problem);
    if (rc == CF_OK && *changes) return append_event(c, CF_JOB_CHANGE_FINISHED, id, now, 0, err);
    if (rc) return rc;
    return run(c,
               "UPDATE jobs SET cancel_requested=true, updated_at=$2"
               " WHERE id=$1 AND status='running'",
               2, p, changes, err);
}

/* The ids of id's children that are not final, locked. Taken before the change of the parent
 * appends an event: a worker finishing a child holds the child's row and then wants the event
 * counter, so taking the counter first and the child's row second could deadlock. */
static PGresult *lock_live_children(PGconn *c, const char *id, cf_error *err) {
    const char *p[] = {id};
    return q(c,
             "SELECT id FROM jobs WHERE parent_id=$1 AND status IN ('queued','running')"
             " ORDER BY seq FOR UPDATE",
             1, p, err);
}

/* Cancels the parent, then every child of it that is not final (one level: children have no
 * children). */
static cf_err cancel_tx(PGconn *c, void *arg, cf_error *err) {
    change_args *a = arg;
    PGresult *kids = lock_live_children(c, a->id, err);
    if (!kids) return err->code;
    int changes = 0;
    cf_err rc = cancel_one(c, a->id, a->now, &changes, err);
    if (rc == CF_OK && !changes) rc = not_found_or_conflict(c, a->id, "already final", err);
    for (int i = 0; rc == CF_OK && i < PQntuples(kids); i++)
        rc = cancel_one(c, PQgetvalue(kids, i, 0), a->now, &changes, err);
    PQclear(kids);
    return rc ? rc : load_job(c, sql_job_by_id, a->id, a->out, err);
}

static cf_err pg_job_cancel(void *self, const char *id, int64_t now, cf_job_record *out, cf_error *err) {
    change_args a = {id, now, out};
    return with_conn(self, true, cancel_tx, &a, err);
}

static cf_err retry_tx(PGconn *c, void *arg, cf_error *err) {
    change_args *a = arg;
    num now = n64(a->now);
    const char *p[] = {a->id, now.s};
    int changes = 0;
    cf_err rc = run(c,
                    "UPDATE jobs SET status='queued', stage='queued', result=NULL, error=NULL,"
                    " cancel_requested=false, finished_at=0, progress=0, run_after=$2,"
                    " updated_at=$2, max_attempts=attempts+budget"
                    " WHERE id=$1 AND status IN ('failed','cancelled')",
                    2, p, &changes, err);
    if (rc == CF_OK && !changes)
        rc = not_found_or_conflict(c, a->id, "only failed or cancelled jobs can be retried", err);
    if (rc == CF_OK) rc = add_outbox(c, "jobs", a->id, a->now, err);
    if (rc == CF_OK) rc = append_event(c, CF_JOB_CHANGE_RETRIED, a->id, a->now, 0, err);
    return rc ? rc : load_job(c, sql_job_by_id, a->id, a->out, err);
}

static cf_err pg_job_retry(void *self, const char *id, int64_t now, cf_job_record *out, cf_error *err) {
    change_args a = {id, now, out};
    return with_conn(self, true, retry_tx, &a, err);
}

/* ---- reaper, redispatch ---- */

typedef struct reap_args {
    int64_t now, delay;
    size_t n;
} reap_args;

static cf_err reap_row(PGconn *c, const PGresult *r, int i, reap_args *a, cf_error *err) {
    const char *id = PQgetvalue(r, i, 0), *owner = PQgetvalue(r, i, 1);
    int64_t attempts = int_at(r, i, 2), max_attempts = int_at(r, i, 3);
    bool cancel = PQgetvalue(r, i, 4)[0] == 't';
    cf_job_outcome o;
    char *problem = NULL;
    cf_err rc = cf_job_expired_outcome(attempts, max_attempts, cancel, a->now, a->delay, &o, &problem, err);
    if (rc == CF_OK) rc = finish(c, id, owner, attempts, &o, a->now, err);
    free(problem);
    return rc;
}

static cf_err reap_tx(PGconn *c, void *arg, cf_error *err) {
    reap_args *a = arg;
    num now = n64(a->now);
    const char *p[] = {now.s};
    PGresult *r = q(c,
                    "SELECT id, coalesce(lease_owner,''), attempts, max_attempts, cancel_requested"
                    " FROM jobs WHERE seq IN (SELECT seq FROM jobs_running) AND status='running'"
                    " AND lease_expires_at<$1 ORDER BY seq FOR UPDATE SKIP LOCKED",
                    1, p, err);
    if (!r) return err->code;
    cf_err rc = CF_OK;
    for (int i = 0; rc == CF_OK && i < PQntuples(r); i++) rc = reap_row(c, r, i, a, err);
    if (rc == CF_OK) a->n = (size_t)PQntuples(r);
    PQclear(r);
    return rc;
}

static cf_err usage_fold(pg_store *st, cf_error *err);

/* Also folds the changes of usage, so that they stay few where no quota reads them. */
static cf_err pg_reap(void *self, int64_t now, int64_t retry_delay_ms, size_t *n, cf_error *err) {
    reap_args a = {now, retry_delay_ms, 0};
    cf_err rc = with_conn(self, true, reap_tx, &a, err);
    *n = rc ? 0 : a.n;
    return rc ? rc : usage_fold(self, err);
}

typedef struct count_args {
    int64_t now;
    int changes;
} count_args;

static cf_err redispatch_fn(PGconn *c, void *arg, cf_error *err) {
    count_args *a = arg;
    num now = n64(a->now);
    const char *p[] = {now.s};
    return run(
        c,
        "INSERT INTO outbox(topic,payload,available_at)"
        " SELECT 'jobs', id, greatest(run_after, $1) FROM jobs WHERE status='queued'"
        " AND lease_expires_at<$1 AND id NOT IN (SELECT payload FROM outbox WHERE topic='jobs') ORDER BY seq",
        1, p, &a->changes, err);
}

static cf_err pg_redispatch(void *self, int64_t now, size_t *n, cf_error *err) {
    count_args a = {now, 0};
    cf_err rc = with_conn(self, false, redispatch_fn, &a, err);
    *n = rc ? 0 : (size_t)a.changes;
    return rc;
}

/* ---- events, outbox ---- */

typedef struct events_args {
    int64_t after_id;
    const char *job_id, *tenant;
    size_t limit, n;
    cf_event_record *rows;
} events_args;

static cf_err events_fn(PGconn *c, void *arg, cf_error *err) {
    events_args *a = arg;
    num after = n64(a->after_id), lim = n64((int64_t)a->limit);
    const char *p[] = {after.s, lim.s, a->job_id ? a->job_id : a->tenant};
    const char *sql = a->job_id   ? "SELECT e.id,e.type,e.job_id,e.at,e.data,j.tenant FROM events e"
                                    " LEFT JOIN jobs j ON j.id=e.job_id WHERE e.job_id=$3 AND"
                                    " e.id>$1 ORDER BY e.id LIMIT $2"
                      : a->tenant ? "SELECT e.id,e.type,e.job_id,e.at,e.data,j.tenant FROM events e"
                                    " JOIN jobs j ON j.id=e.job_id WHERE e.id>$1 AND j.tenant=$3"
                                    " ORDER BY e.id LIMIT $2"
                                  : "SELECT e.id,e.type,e.job_id,e.at,e.data,j.tenant FROM events e"
                                    " LEFT JOIN jobs j ON j.id=e.job_id WHERE e.id>$1 ORDER BY e.id LIMIT $2";
    PGresult *r = q(c, sql, p[2] ? 3 : 2, p, err);
    if (!r) return err->code;
    for (int i = 0; i < PQntuples(r) && a->n < a->limit; i++) {
        cf_event_record *e = &a->rows[a->n++];
        e->id = int_at(r, i, 0);
        e->type = dup_or_null(r, i, 1);
        e->job_id = dup_or_null(r, i, 2);
        e->at = int_at(r, i, 3);
        e->data = dup_or_null(r, i, 4);
        e->tenant = dup_or_null(r, i, 5);
    }
    PQclear(r);
    return CF_OK;
}

static cf_err pg_events_after(void *self, int64_t after_id, const char *job_id, const char *tenant,
                              size_t limit, cf_event_record **out, size_t *n, cf_error *err) {
    *out = NULL;
    *n = 0;
    if (!limit) return CF_OK;
    events_args a = {after_id, job_id, tenant, limit, 0, calloc(limit, sizeof(cf_event_record))};
    if (!a.rows) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = with_conn(self, false, events_fn, &a, err);
    if (rc) {
        cf_event_records_free(a.rows, a.n);
        return rc;
    }
    *out = a.rows;
    *n = a.n;
    return CF_OK;
}

typedef struct outbox_args {
    int64_t now;
    size_t limit, n;
    cf_outbox_record *rows;
} outbox_args;

/* Every node runs a relay. Returned rows are claimed (made due again only OUTBOX_CLAIM_MS
 * later, skipping rows another relay is claiming right now), so that relays publish each row
 * once; a relay that dies before deleting its rows leaves them to the others after the claim. */
static cf_err outbox_fn(PGconn *c, void *arg, cf_error *err) {
    outbox_args *a = arg;
    num now = n64(a->now), lim = n64((int64_t)a->limit), until = n64(a->now + OUTBOX_CLAIM_MS);
    const char *p[] = {now.s, lim.s, until.s};
    PGresult *r = q(c,
                    "WITH c AS (UPDATE outbox SET claimed_until=$3 WHERE id IN (SELECT id FROM"
                    " outbox WHERE available_at<=$1 AND claimed_until<=$1 ORDER BY id LIMIT $2"
                    " FOR UPDATE SKIP LOCKED)"
                    " RETURNING id,topic,payload) SELECT c.id,c.topic,c.payload,j.trace_context"
                    " FROM c LEFT JOIN jobs j ON c.topic='jobs' AND j.id=c.payload ORDER BY c.id",
                    3, p, err);
    if (!r) return err->code;
    for (int i = 0; i < PQntuples(r) && a->n < a->limit; i++) {
        cf_outbox_record *o = &a->rows[a->n++];
        o->id = int_at(r, i, 0);
        o->topic = dup_or_null(r, i, 1);
        o->payload = dup_or_null(r, i, 2);
        o->trace_context = dup_or_null(r, i, 3);
    }
    PQclear(r);
    return CF_OK;
}

static cf_err pg_outbox_due(void *self, int64_t now, size_t limit, cf_outbox_record **out, size_t *n,
                            cf_error *err) {
    *out = NULL;
    *n = 0;
    if (!limit) return CF_OK;
    outbox_args a = {now, limit, 0, calloc(limit, sizeof(cf_outbox_record))};
    if (!a.rows) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = with_conn(self, false, outbox_fn, &a, err);
    if (rc) {
        cf_outbox_records_free(a.rows, a.n);
        return rc;
    }
    *out = a.rows;
    *n = a.n;
    return CF_OK;
}

/* One statement with one parameter, run outside a transaction. */
typedef struct simple_args {
    const char *sql, *param;
    int changes;
} simple_args;

static cf_err simple_fn(PGconn *c, void *arg, cf_error *err) {
    simple_args *a = arg;
    const char *p[] = {a->param};
    return run(c, a->sql, 1, p, &a->changes, err);
}

static cf_err pg_outbox_delete(void *self, int64_t id, cf_error *err) {
    num v = n64(id);
    simple_args a = {"DELETE FROM outbox WHERE id=$1", v.s, 0};
    return with_conn(self, false, simple_fn, &a, err);
}

typedef struct hold_args {
    int64_t id;
    const char *holder;
    int64_t until;
    size_t n;
} hold_args;

/* The outbox row is gone and the hold recorded in one transaction: a crash between the two
 * would otherwise leave a published job that nobody republishes. */
static cf_err published_tx(PGconn *c, void *arg, cf_error *err) {
    hold_args *a = arg;
    num id = n64(a->id), until = n64(a->until);
    const char *p[] = {id.s, a->holder, until.s};
    cf_err rc = CF_OK;
    if (a->holder)
        rc = run(c,
                 "UPDATE jobs SET lease_owner=$2, lease_expires_at=$3 WHERE status='queued'"
                 " AND id=(SELECT payload FROM outbox WHERE id=$1 AND topic='jobs')",
                 3, p, NULL, err);
    return rc ? rc : run(c, "DELETE FROM outbox WHERE id=$1", 1, p, NULL, err);
}

static cf_err pg_outbox_published(void *self, int64_t id, const char *holder, int64_t until, cf_error *err) {
    hold_args a = {id, holder, until, 0};
    return with_conn(self, true, published_tx, &a, err);
}

typedef struct published_many_args {
    const int64_t *ids;
    size_t n;
    const char *holder;
    int64_t until;
} published_many_args;

static cf_err published_many_tx(PGconn *c, void *arg, cf_error *err) {
    published_many_args *a = arg;
    if (!a->holder) { /* a durable bus: no holds, one DELETE for the batch */
        char *arr = int_array(a->ids, a->n);
        const char *p[] = {arr};
        cf_err rc = arr ? run(c, "DELETE FROM outbox WHERE id = ANY($1::bigint[])", 1, p, NULL, err)
                        : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        free(arr);
        return rc;
    }
    cf_err rc = CF_OK;
    for (size_t i = 0; rc == CF_OK && i < a->n; i++) {
        hold_args h = {a->ids[i], a->holder, a->until, 0};
        rc = published_tx(c, &h, err);
    }
    return rc;
}

/* Without holds the batch is one DELETE, atomic alone: no transaction around it (one round trip
 * instead of two). */
static cf_err pg_outbox_published_many(void *self, const int64_t *ids, size_t n, const char *holder,
                                       int64_t until, cf_error *err) {
    published_many_args a = {ids, n, holder, until};
    return with_conn(self, holder != NULL, published_many_tx, &a, err);
}

static cf_err renew_fn(PGconn *c, void *arg, cf_error *err) {
    hold_args *a = arg;
    num until = n64(a->until);
    const char *p[] = {a->holder, until.s};
    int changes = 0;
    cf_err rc = run(c,
                    "UPDATE jobs SET lease_expires_at=$2::bigint, lease_owner=CASE WHEN"
                    " $2::bigint=0 THEN NULL ELSE lease_owner END"
                    " WHERE status='queued' AND lease_owner=$1",
                    2, p, &changes, err);
    a->n = rc ? 0 : (size_t)changes;
    return rc;
}

static cf_err pg_holds_renew(void *self, const char *holder, int64_t until, size_t *n, cf_error *err) {
    hold_args a = {0, holder, until, 0};
    cf_err rc = with_conn(self, false, renew_fn, &a, err);
    *n = a.n;
    return rc;
}

/* ---- media, stats ---- */

static cf_err media_insert_fn(PGconn *c, void *arg, cf_error *err) {
    const cf_media_record *m = arg;
    num bytes = n64(m->bytes), at = n64(m->created_at);
    const char *p[] = {m->id, m->key, m->mime, bytes.s, m->probe, at.s, m->filename, m->tenant, m->sha256};
    return run(c,
               "INSERT INTO media(id,key,mime,bytes,probe,created_at,filename,tenant,sha256)"
               " VALUES($1,$2,$3,$4,$5,$6,$7,coalesce($8,'default'),$9)",
               9, p, NULL, err);
}

static cf_err pg_media_insert(void *self, const cf_media_record *m, cf_error *err) {
    return with_conn(self, false, media_insert_fn, (void *)m, err);
}

typedef struct media_args {
    const char *id;
    cf_media_record *out;
} media_args;

/* Reads row i of MEDIA_COLS. */
static void read_media(PGresult *r, int i, cf_media_record *m) {
    m->id = dup_or_null(r, i, 0);
    m->key = dup_or_null(r, i, 1);
    m->mime = dup_or_null(r, i, 2);
    m->bytes = int_at(r, i, 3);
    m->probe = dup_or_null(r, i, 4);
    m->created_at = int_at(r, i, 5);
    m->filename = dup_or_null(r, i, 6);
    m->tenant = dup_or_null(r, i, 7);
    m->sha256 = dup_or_null(r, i, 8);
}

static cf_err media_get_fn(PGconn *c, void *arg, cf_error *err) {
    media_args *a = arg;
    const char *p[] = {a->id};
    PGresult *r = q(c, "SELECT " MEDIA_COLS " FROM media WHERE id=$1", 1, p, err);
    if (!r) return err->code;
    cf_err rc = CF_OK;
    if (PQntuples(r) == 1) {
        read_media(r, 0, a->out);
    } else {
        rc = cf_error_set(err, CF_ERR_NOT_FOUND, "media %s not found", a->id);
    }
    PQclear(r);
    return rc;
}

static cf_err pg_media_get(void *self, const char *id, cf_media_record *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    media_args a = {id, out};
    return with_conn(self, false, media_get_fn, &a, err);
}

typedef struct media_list_args {
    const cf_media_filter *f;
    size_t limit, n;
    cf_media_record *rows;
} media_list_args;

static cf_err media_list_fn(PGconn *c, void *arg, cf_error *err) {
    media_list_args *a = arg;
    num at = n64(a->f->before_at), lim = n64((int64_t)a->limit);
    const char *p[] = {at.s, a->f->before_id, lim.s, a->f->tenant};
    PGresult *r = q(c,
                    "SELECT " MEDIA_COLS " FROM media WHERE ($4::text IS NULL OR tenant=$4) AND"
                    " ($2::text IS NULL OR created_at<$1 OR (created_at=$1 AND id<$2))"
                    " ORDER BY created_at DESC, id DESC LIMIT $3",
                    4, p, err);
    if (!r) return err->code;
    for (int i = 0; i < PQntuples(r) && a->n < a->limit; i++) read_media(r, i, &a->rows[a->n++]);
    PQclear(r);
    return CF_OK;
}

static cf_err pg_media_list(void *self, const cf_media_filter *f, cf_media_record **out, size_t *n,
                            cf_error *err) {
    *out = NULL;
    *n = 0;
    size_t limit = f->limit ? f->limit : 50;
    media_list_args a = {f, limit, 0, calloc(limit, sizeof(cf_media_record))};
    if (!a.rows) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = with_conn(self, false, media_list_fn, &a, err);
    if (rc) {
        cf_media_records_free(a.rows, a.n);
        return rc;
    }
    *out = a.rows;
    *n = a.n;
    return CF_OK;
}

static cf_err pg_media_delete(void *self, const char *id, cf_error *err) {
    simple_args a = {"DELETE FROM media WHERE id=$1", id, 0};
    cf_err rc = with_conn(self, false, simple_fn, &a, err);
    if (rc == CF_OK && !a.changes) rc = cf_error_set(err, CF_ERR_NOT_FOUND, "media %s not found", id);
    return rc;
}

static cf_err media_set_sha256_fn(PGconn *c, void *arg, cf_error *err) {
    const char **p = arg;
    return run(c, "UPDATE media SET sha256=$2 WHERE id=$1 AND sha256 IS NULL", 2, p, NULL, err);
}

static cf_err pg_media_set_sha256(void *self, const char *id, const char *sha256, cf_error *err) {
    const char *p[] = {id, sha256};
    return with_conn(self, false, media_set_sha256_fn, p, err);
}

static cf_err stats_fn(PGconn *c, void *arg, cf_error *err) {
    cf_job_stats *out = arg;
    PGresult *r = q(c, "SELECT status, count(*) FROM jobs GROUP BY status", 0, NULL, err);
    if (!r) return err->code;
    for (int i = 0; i < PQntuples(r); i++) {
        cf_job_state state;
        if (cf_job_state_from_string(PQgetvalue(r, i, 0), &state)) out->by_status[state] = int_at(r, i, 1);
    }
    PQclear(r);
    r = q(c,
          "SELECT (SELECT count(*) FROM outbox), (SELECT coalesce(max(id), 0) FROM events),"
          " (SELECT coalesce(min(run_after), 0) FROM jobs WHERE status='queued')",
          0, NULL, err);
    if (!r) return err->code;
    out->outbox_pending = int_at(r, 0, 0);
    out->last_event_id = int_at(r, 0, 1); /* where a live event stream starts */
    out->oldest_queued_at = int_at(r, 0, 2);
    PQclear(r);
    return CF_OK;
}

static cf_err pg_stats(void *self, cf_job_stats *out, cf_error *err) {
    return with_conn(self, false, stats_fn, out, err);
}

/* ---- API keys ---- */

static cf_err key_insert_fn(PGconn *c, void *arg, cf_error *err) {
    const cf_key_record *k = arg;
    num at = n64(k->created_at);
    const char *p[] = {k->id, k->tenant, k->role, k->name, k->salt, k->hash, at.s};
    return run(c, "INSERT INTO api_keys(" KEY_COLS ") VALUES($1,$2,$3,$4,$5,$6,$7,0)", 7, p, NULL, err);
}

static cf_err pg_key_insert(void *self, const cf_key_record *k, cf_error *err) {
    return with_conn(self, false, key_insert_fn, (void *)k, err);
}

typedef struct keys_args {
    const char *id, *tenant; /* by id, or the tenant's (NULL = all) */
    cf_key_record *rows;
    size_t n;
} keys_args;

static cf_err keys_fn(PGconn *c, void *arg, cf_error *err) {
    keys_args *a = arg;
    const char *p[] = {a->id ? a->id : a->tenant};
    PGresult *r = q(c,
                    a->id ? "SELECT " KEY_COLS " FROM api_keys WHERE id=$1"
                          : "SELECT " KEY_COLS " FROM api_keys WHERE $1::text IS NULL OR tenant=$1"
                            " ORDER BY created_at DESC, id DESC",
                    1, p, err);
    if (!r) return err->code;
    int rows = PQntuples(r);
    a->rows = rows ? calloc((size_t)rows, sizeof *a->rows) : NULL;
    cf_err rc = rows && !a->rows ? cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory") : CF_OK;
    for (int i = 0; rc == CF_OK && i < rows; i++) {
        cf_key_record *k = &a->rows[a->n++];
        char **v[] = {&k->id, &k->tenant, &k->role, &k->name, &k->salt, &k->hash};
        for (int f = 0; f < 6; f++) *v[f] = dup_or_null(r, i, f);
        k->created_at = int_at(r, i, 6);
        k->revoked_at = int_at(r, i, 7);
    }
    PQclear(r);
    return rc;
}

static cf_err pg_key_list(void *self, const char *tenant, cf_key_record **out, size_t *n, cf_error *err) {
    keys_args a = {NULL, tenant, NULL, 0};
    cf_err rc = with_conn(self, false, keys_fn, &a, err);
    if (rc) {
        cf_key_records_free(a.rows, a.n);
        return rc;
    }
    *out = a.rows;
    *n = a.n;
    return CF_OK;
}

static cf_err pg_key_get(void *self, const char *id, cf_key_record *out, cf_error *err) {
    keys_args a = {id, NULL, NULL, 0};
    cf_err rc = with_conn(self, false, keys_fn, &a, err);
    if (rc == CF_OK && a.n == 1) {
        *out = a.rows[0];
        free(a.rows);
        return CF_OK;
    }
    cf_key_records_free(a.rows, a.n);
    return rc ? rc : cf_error_set(err, CF_ERR_NOT_FOUND, "key %s not found", id);
}

typedef struct revoke_args {
    const char *id, *tenant;
    int64_t now;
    int changes;
} revoke_args;

static cf_err revoke_fn(PGconn *c, void *arg, cf_error *err) {
    revoke_args *a = arg;
    num now = n64(a->now);
    const char *p[] = {a->id, a->tenant, now.s};
    return run(c,
               "UPDATE api_keys SET revoked_at=$3 WHERE id=$1 AND ($2::text IS NULL OR tenant=$2)"
               " AND revoked_at=0",
               3, p, &a->changes, err);
}

static cf_err pg_key_revoke(void *self, const char *id, const char *tenant, int64_t now, cf_error *err) {
    revoke_args a = {id, tenant, now, 0};
    cf_err rc = with_conn(self, false, revoke_fn, &a, err);
    if (rc == CF_OK && !a.changes) rc = cf_error_set(err, CF_ERR_NOT_FOUND, "no valid key %s", id);
    return rc;
}

/* Moves every change of usage into tenant_usage, in a transaction of its own; does nothing while
 * another connection does it. */
static cf_err usage_fold_tx(PGconn *c, void *arg, cf_error *err) {
    (void)arg;
    num lock = n64(USAGE_FOLD_LOCK);
    const char *p[] = {lock.s};
    PGresult *r = q(c, "SELECT pg_try_advisory_xact_lock($1)", 1, p, err);
    if (!r) return err->code;
    bool mine = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!mine) return CF_OK;
    return run(c,
               "WITH d AS (DELETE FROM tenant_usage_changes RETURNING *)"
               " INSERT INTO tenant_usage(tenant,month,stored_bytes,active_jobs,run_ms,running,running_since)"
               " SELECT tenant,month,sum(stored_bytes),sum(active_jobs),sum(run_ms),sum(running),"
               "sum(running_since) FROM d GROUP BY tenant,month ON CONFLICT(tenant,month) DO UPDATE SET"
               " stored_bytes=tenant_usage.stored_bytes+excluded.stored_bytes,"
               " active_jobs=tenant_usage.active_jobs+excluded.active_jobs,"
               " run_ms=tenant_usage.run_ms+excluded.run_ms, running=tenant_usage.running+excluded.running,"
               " running_since=tenant_usage.running_since+excluded.running_since",
               0, NULL, NULL, err);
}

static cf_err usage_fold(pg_store *st, cf_error *err) {
    return with_conn(st, true, usage_fold_tx, NULL, err);
}

typedef struct usage_args {
    const char *tenant;
    int64_t month, now;
    cf_tenant_usage *out;
    int64_t changes; /* rows of tenant_usage_changes read */
} usage_args;

static cf_err usage_fn(PGconn *c, void *arg, cf_error *err) {
    usage_args *a = arg;
    num month = n64(a->month), now = n64(a->now);
    const char *p[] = {a->tenant, month.s, now.s};
    PGresult *r =
        q(c,
          "SELECT coalesce(sum(stored_bytes),0), coalesce(sum(active_jobs),0),"
          " coalesce(sum(CASE WHEN month=$2::bigint THEN run_ms ELSE 0 END + CASE WHEN month<$2::bigint"
          " THEN running*($3::bigint-$2::bigint) ELSE running*$3::bigint-running_since END),0), count(id)"
          " FROM (SELECT NULL::bigint AS id,month,stored_bytes,active_jobs,run_ms,running,running_since"
          " FROM tenant_usage WHERE tenant=$1 UNION ALL SELECT id,month,stored_bytes,active_jobs,run_ms,"
          "running,running_since FROM tenant_usage_changes WHERE tenant=$1) u",
          3, p, err);
    if (!r) return err->code;
    cf_err rc = CF_OK;
    if (PQntuples(r) == 1) {
        a->out->stored_bytes = int_at(r, 0, 0);
        a->out->active_jobs = int_at(r, 0, 1);
        a->out->processing_ms = int_at(r, 0, 2);
        a->changes = int_at(r, 0, 3);
    } else {
        rc = cf_error_set(err, CF_ERR_IO, "store: tenant usage: no row");
    }
    PQclear(r);
    return rc;
}

/* One statement's snapshot: the fold moves changes into tenant_usage atomically, so a read sees
 * each change once, folded or not. */
static cf_err pg_tenant_usage(void *self, const char *tenant, int64_t month, int64_t now,
                              cf_tenant_usage *out, cf_error *err) {
    usage_args a = {tenant, month, now, out, 0};
    cf_err rc = with_conn(self, false, usage_fn, &a, err);
    cf_error ignored;
    if (rc == CF_OK && a.changes > USAGE_FOLD_AT) usage_fold(self, &ignored); /* next time, then */
    return rc;
}

/* ---- feature flags ---- */

static cf_err flag_set_fn(PGconn *c, void *arg, cf_error *err) {
    const cf_flag_record *f = arg;
    num at = n64(f->updated_at);
    const char *p[] = {f->name, f->setting, at.s};
    return run(c,
               "INSERT INTO flags(name,setting,updated_at) VALUES($1,$2,$3) ON CONFLICT(name)"
               " DO UPDATE SET setting=excluded.setting, updated_at=excluded.updated_at",
               3, p, NULL, err);
}

static cf_err pg_flag_set(void *self, const cf_flag_record *f, cf_error *err) {
    return with_conn(self, false, flag_set_fn, (void *)f, err);
}

typedef struct flags_args {
    cf_flag_record *rows;
    size_t n;
} flags_args;

static cf_err flags_fn(PGconn *c, void *arg, cf_error *err) {
    flags_args *a = arg;
    PGresult *r = q(c, "SELECT name,setting,updated_at FROM flags ORDER BY name", 0, NULL, err);
    if (!r) return err->code;
    int rows = PQntuples(r);
    a->rows = rows ? calloc((size_t)rows, sizeof *a->rows) : NULL;
    cf_err rc = rows && !a->rows ? cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory") : CF_OK;
    for (int i = 0; rc == CF_OK && i < rows; i++) {
        cf_flag_record *f = &a->rows[a->n++];
        f->name = dup_or_null(r, i, 0);
        f->setting = dup_or_null(r, i, 1);
        f->updated_at = int_at(r, i, 2);
        if (!f->name || !f->setting) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "store: out of memory");
    }
    PQclear(r);
    return rc;
}

static cf_err pg_flag_list(void *self, cf_flag_record **out, size_t *n, cf_error *err) {
    flags_args a = {NULL, 0};
    cf_err rc = with_conn(self, false, flags_fn, &a, err);
    if (rc) {
        cf_flag_records_free(a.rows, a.n);
        return rc;
    }
    *out = a.rows;
    *n = a.n;
    return CF_OK;
}

typedef struct flag_delete_args {
    const char *name;
    int changes;
} flag_delete_args;

static cf_err flag_delete_fn(PGconn *c, void *arg, cf_error *err) {
    flag_delete_args *a = arg;
    const char *p[] = {a->name};
    return run(c, "DELETE FROM flags WHERE name=$1", 1, p, &a->changes, err);
}

static cf_err pg_flag_delete(void *self, const char *name, cf_error *err) {
    flag_delete_args a = {name, 0};
    cf_err rc = with_conn(self, false, flag_delete_fn, &a, err);
    if (rc == CF_OK && !a.changes) rc = cf_error_set(err, CF_ERR_NOT_FOUND, "no flag %s is set", name);
    return rc;
}

typedef struct quota_args {
    const char *tenant;
    cf_tenant_quota *q;
} quota_args;

static cf_err quota_get_fn(PGconn *c, void *arg, cf_error *err) {
    quota_args *a = arg;
    const char *p[] = {a->tenant};
    PGresult *r = q(c,
                    "SELECT processing_minutes,storage_bytes,concurrent_jobs,upload_bytes FROM tenant_quotas"
                    " WHERE tenant=$1",
                    1, p, err);
    if (!r) return err->code;
    if (PQntuples(r) == 1)
        *a->q = (cf_tenant_quota){int_at(r, 0, 0), int_at(r, 0, 1), int_at(r, 0, 2), int_at(r, 0, 3)};
    PQclear(r);
    return CF_OK;
}

static cf_err pg_quota_get(void *self, const char *tenant, cf_tenant_quota *out, cf_error *err) {
    quota_args a = {tenant, out};
    return with_conn(self, false, quota_get_fn, &a, err);
}

static cf_err quota_set_fn(PGconn *c, void *arg, cf_error *err) {
    quota_args *a = arg;
    const cf_tenant_quota *qt = a->q;
    if (qt->processing_minutes < 0 && qt->storage_bytes < 0 && qt->concurrent_jobs < 0 &&
        qt->upload_bytes < 0) {
        const char *p[] = {a->tenant};
        return run(c, "DELETE FROM tenant_quotas WHERE tenant=$1", 1, p, NULL, err);
    }
    num m = n64(qt->processing_minutes), s = n64(qt->storage_bytes), j = n64(qt->concurrent_jobs),
        u = n64(qt->upload_bytes);
    const char *p[] = {a->tenant, m.s, s.s, j.s, u.s};
    return run(c,
               "INSERT INTO tenant_quotas VALUES($1,$2,$3,$4,$5) ON CONFLICT(tenant) DO UPDATE SET"
               " processing_minutes=$2, storage_bytes=$3, concurrent_jobs=$4, upload_bytes=$5",
               5, p, NULL, err);
}

static cf_err pg_quota_set(void *self, const char *tenant, const cf_tenant_quota *qt, cf_error *err) {
    quota_args a = {tenant, (cf_tenant_quota *)qt};
    return with_conn(self, false, quota_set_fn, &a, err);
}

/* ---- labels ---- */

static cf_err label_insert_fn(PGconn *c, void *arg, cf_error *err) {
    const cf_label_record *l = arg;
    num at = n64(l->created_at);
    const char *p[] = {l->id, l->media_id, at.s, l->body};
    return run(c, "INSERT INTO labels(id,media_id,created_at,body) VALUES($1,$2,$3,$4)", 4, p, NULL, err);
}

static cf_err pg_label_insert(void *self, const cf_label_record *l, cf_error *err) {
    return with_conn(self, false, label_insert_fn, (void *)l, err);
}

typedef struct labels_args {
    const char *media_id;
    size_t limit, n;
    cf_label_record *rows;
} labels_args;

static cf_err labels_fn(PGconn *c, void *arg, cf_error *err) {
    labels_args *a = arg;
    num lim = n64((int64_t)a->limit);
    const char *p[] = {a->media_id, lim.s};
    PGresult *r = q(c,
                    "SELECT id,media_id,created_at,body FROM labels WHERE media_id=$1"
                    " ORDER BY created_at, id LIMIT $2",
                    2, p, err);
    if (!r) return err->code;
    for (int i = 0; i < PQntuples(r) && a->n < a->limit; i++) {
        cf_label_record *l = &a->rows[a->n++];
        l->id = dup_or_null(r, i, 0);
        l->media_id = dup_or_null(r, i, 1);
        l->created_at = int_at(r, i, 2);
        l->body = dup_or_null(r, i, 3);
    }
    PQclear(r);
    return CF_OK;
}

static cf_err pg_labels_list(void *self, const char *media_id, size_t limit, cf_label_record **out, size_t *n,
                             cf_error *err) {
    *out = NULL;
    *n = 0;
    if (!limit) return CF_OK;
    labels_args a = {media_id, limit, 0, calloc(limit, sizeof(cf_label_record))};
    if (!a.rows) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = with_conn(self, false, labels_fn, &a, err);
    if (rc) {
        cf_label_records_free(a.rows, a.n);
        return rc;
    }
    *out = a.rows;
    *n = a.n;
    return CF_OK;
}

/* ---- notifications ---- */

/* LISTENs on the store's channel on a fresh connection; NULL with err set on failure. */
static PGconn *listen_conn(pg_store *st, cf_error *err) {
    PGconn *c = connect_one(st, err);
    PGresult *r = c ? q(c, "SELECT 'cf_events_' || current_schema()", 0, NULL, err) : NULL;
    char *channel = r ? PQescapeIdentifier(c, PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0))) : NULL;
    PQclear(r);
    char sql[160];
    cf_err rc = channel ? CF_OK : CF_ERR_IO;
    if (channel) {
        snprintf(sql, sizeof sql, "LISTEN %s", channel);
        rc = run(c, sql, 0, NULL, NULL, err);
    }
    PQfreemem(channel);
    if (rc == CF_OK) return c;
    PQfinish(c);
    return NULL;
}

/* Waits up to 250 ms for notifications; false when the connection broke. */
static bool pump(pg_store *st, PGconn *c) {
    struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
    if (poll(&pfd, 1, 250) < 0 || !PQconsumeInput(c)) return false;
    bool any = false;
    PGnotify *n;
    while ((n = PQnotifies(c))) {
        any = true;
        PQfreemem(n);
    }
    if (any) st->hook(st->hook_user);
    return true;
}

static void *watch_main(void *arg) {
    pg_store *st = arg;
    PGconn *c = NULL;
    while (!atomic_load(&st->stop_watch)) {
        if (!c) {
            cf_error err;
            c = listen_conn(st, &err);
            /* Events may have been missed while not listening: let readers look. */
            if (c) st->hook(st->hook_user);
            else poll(NULL, 0, 500);
            continue;
        }
        if (!pump(st, c)) {
            PQfinish(c);
            c = NULL;
        }
    }
    PQfinish(c);
    return NULL;
}

static cf_err pg_watch_events(void *self, void (*hook)(void *user), void *user, cf_error *err) {
    pg_store *st = self;
    if (st->watching) return cf_error_set(err, CF_ERR_CONFLICT, "store: already watching for events");
    st->hook = hook;
    st->hook_user = user;
    if (pthread_create(&st->watcher, NULL, watch_main, st))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "store: cannot start the event watcher");
    st->watching = true;
    return CF_OK;
}

static const cf_store_methods methods = {
    .version = 1,
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .job_create = pg_job_create,
    .job_create_many = pg_job_create_many,
    .outbox_published_many = pg_outbox_published_many,
    .job_lease_many = pg_job_lease_many,
    .job_finish_many = pg_job_finish_many,
    .job_renew_many = pg_job_renew_many,
    .job_get = pg_job_get,
    .job_list = pg_job_list,
    .job_lease = pg_job_lease,
    .job_heartbeat = pg_job_heartbeat,
    .job_finish = pg_job_finish,
    .job_cancel = pg_job_cancel,
    .job_retry = pg_job_retry,
    .reap = pg_reap,
    .redispatch_queued = pg_redispatch,
    .events_after = pg_events_after,
    .outbox_due = pg_outbox_due,
    .outbox_delete = pg_outbox_delete,
    .media_insert = pg_media_insert,
    .media_get = pg_media_get,
    .media_delete = pg_media_delete,
    .media_set_sha256 = pg_media_set_sha256,
    .media_list = pg_media_list,
    .stats = pg_stats,
    .watch_events = pg_watch_events,
    .label_insert = pg_label_insert,
    .labels_list = pg_labels_list,
    .outbox_published = pg_outbox_published,
    .holds_renew = pg_holds_renew,
    .key_insert = pg_key_insert,
    .key_get = pg_key_get,
    .key_list = pg_key_list,
    .key_revoke = pg_key_revoke,
    .tenant_usage = pg_tenant_usage,
    .flag_set = pg_flag_set,
    .flag_list = pg_flag_list,
    .flag_delete = pg_flag_delete,
    .quota_get = pg_quota_get,
    .quota_set = pg_quota_set,
};

const cf_store_methods *cf_store_postgres_methods(void) {
    return &methods;
}

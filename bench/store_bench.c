/* store_bench.c — cf_store_bench: what a tenant's job list costs, the statement the store runs
 * against the one it ran before (one "(?6 IS NULL OR tenant=?6)" statement for every list), in
 * one run on the same data, side by side.
 *   cf_store_bench URL [JOBS] [TENANTS] [ROUNDS]
 * URL is a new store: sqlite:/path/new.db, or postgres://... of an empty database (its public
 * schema). Fills it through the store with JOBS jobs (100,000): the first 1 % of tenant t0 (a
 * tenant whose jobs are old), the rest spread in turn over t1..t(TENANTS-1); on SQLite a second
 * file filled batch for batch with the first, without jobs_by_tenant, gives what the index costs
 * the creations. Then each list, best of ROUNDS (20) runs of each statement taken in turn on one
 * connection of the bench's own (each statement prepared once for all the lists and run ten
 * times first, as a server's connection runs it), prints the time, the rows the engine stepped
 * through (SQLite: virtual machine steps; PostgreSQL: the rows its filter dropped and the
 * buffers, EXPLAIN ANALYZE) and the plan of each. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/store.h"
#include "infrastructure/backends.h"
#include "infrastructure/store_postgres.h"
#include "infrastructure/store_sqlite.h"

#define COLS                                                                                                 \
    "id,kind,status,stage,progress,attempts,max_attempts,created_at,updated_at,started_at,"                  \
    "finished_at,request,result,error,idempotency_key,lease_owner,lease_expires_at,run_after,"               \
    "cancel_requested,seq,parent_id,trace_context,tenant"
/* The list statements before (main at 9122e5c), for every list without a parent. */
static const char *const sqlite_before =
    "SELECT " COLS " FROM jobs WHERE (?1 IS NULL OR status=?1) AND (?2 IS NULL OR kind=?2)"
    " AND (?3=0 OR seq<?3) AND (?6 IS NULL OR tenant=?6) ORDER BY seq DESC LIMIT ?4";
static const char *const pg_before =
    "SELECT " COLS " FROM jobs WHERE ($1::text IS NULL OR status=$1) AND"
    " ($2::text IS NULL OR kind=$2) AND ($3::bigint=0 OR seq<$3) AND ($5::text IS NULL OR tenant=$5)"
    " ORDER BY seq DESC LIMIT $4";

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "cf_store_bench: %s: %s\n", what, msg);
    exit(1);
}

typedef struct list_case {
    const char *name;
    cf_job_filter f;
} list_case;

/* ---- filling ---- */

typedef struct filler {
    cf_store *store;
    double ms; /* time spent in its creations */
} filler;

/* Creates jobs [first, first + n) in every store of fs (the same batch in each, timed apart, the
 * stores taken in turn in the order of turn). */
static void fill_batch(filler *fs, int nfs, int first, int n, int jobs, int tenants, int turn) {
    cf_job_submission *subs = calloc((size_t)n, sizeof *subs);
    char(*names)[2][24] = calloc((size_t)n, sizeof *names);
    if (!subs || !names) die("fill", "out of memory");
    for (int t = 0; t < nfs; t++) {
        int k = (t + turn) % nfs;
        for (int i = 0; i < n; i++) {
            int j = first + i, old = jobs / 100;
            snprintf(names[i][0], sizeof names[i][0], "j%07d", j);
            snprintf(names[i][1], sizeof names[i][1], "t%d", j < old ? 0 : 1 + (j - old) % (tenants - 1));
            subs[i] = (cf_job_submission){
                .in = {.id = names[i][0],
                       .kind = "clip_processing",
                       .request = "{\"clip_id\":\"c\",\"source_uri\":\"media://m_0123456789abcdef\","
                                  "\"operations\":[{\"op\":\"trim\",\"start_ms\":0,\"end_ms\":500}]}",
                       .tenant = names[i][1],
                       .max_attempts = 3,
                       .now = 1767225600000LL + j}};
        }
        cf_error err;
        double t0 = now_ms();
        if (cf_store_job_create_many(fs[k].store, subs, (size_t)n, &err)) die("create", err.msg);
        fs[k].ms += now_ms() - t0;
        for (int i = 0; i < n; i++) {
            if (subs[i].rc) die("create", subs[i].err.msg);
            cf_job_record_free(&subs[i].out);
        }
    }
    free(subs);
    free(names);
}

/* ---- SQLite ---- */

static sqlite3_stmt *sq_prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(db));
    return s;
}

/* Runs s for f (the store's parameters; before: the old statement's "0 = no cursor"); returns the
 * rows it gave, *steps the virtual machine steps it took. */
static int sq_run(sqlite3_stmt *s, const cf_job_filter *f, bool before, int *steps) {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (f->status >= 0) sqlite3_bind_text(s, 1, cf_job_state_to_string((cf_job_state)f->status), -1, NULL);
    sqlite3_bind_int64(s, 3, f->before_seq ? f->before_seq : before ? 0 : INT64_MAX);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)f->limit);
    if (f->tenant) sqlite3_bind_text(s, 6, f->tenant, -1, NULL);
    int rows = 0;
    sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 1);
    for (; sqlite3_step(s) == SQLITE_ROW; rows++) /* every column read, as the store reads a row */
        for (int c = 0; c < sqlite3_column_count(s); c++) (void)sqlite3_column_text(s, c);
    *steps = sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 1);
    return rows;
}

static void sq_plan(sqlite3 *db, const char *sql, char *out, size_t cap) {
    char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *s = sq_prepare(db, q);
    out[0] = '\0';
    while (sqlite3_step(s) == SQLITE_ROW)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "; " : "", sqlite3_column_text(s, 3));
    sqlite3_finalize(s);
    sqlite3_free(q);
}

static void sq_case(sqlite3 *db, const list_case *c, int rounds) {
    sqlite3_stmt *st[2] = {sq_prepare(db, sqlite_before),
                           sq_prepare(db, cf_store_sqlite_job_list_sql(&c->f))};
    double best[2] = {1e18, 1e18};
    int rows[2] = {0, 0}, steps[2] = {0, 0};
    for (int r = 0; r < rounds + 10; r++)
        for (int k = 0; k < 2; k++) {
            double t0 = now_ms();
            rows[k] = sq_run(st[k], &c->f, k == 0, &steps[k]);
            double ms = now_ms() - t0;
            if (r >= 10 && ms < best[k]) best[k] = ms;
        }
    if (rows[0] != rows[1]) die(c->name, "the two statements gave different rows");
    char plan[2][512];
    for (int k = 0; k < 2; k++) sq_plan(db, sqlite3_sql(st[k]), plan[k], sizeof plan[k]);
    printf("| %s | %d | %.3f / %.3f | %.1fx | %d / %d | %s / %s |\n", c->name, rows[1], best[0], best[1],
           best[0] / best[1], steps[0], steps[1], plan[0], plan[1]);
    for (int k = 0; k < 2; k++) sqlite3_finalize(st[k]);
}

/* ---- PostgreSQL ---- */

static PGresult *pg_ok(PGconn *c, PGresult *r, const char *what) {
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) die(what, PQerrorMessage(c));
    return r;
}

/* The parameters of f's list ($1..$6), the old statement's "0 = no cursor" when before. */
static void pg_params(const cf_job_filter *f, bool before, char bufs[2][24], const char *p[6]) {
    snprintf(bufs[0], 24, "%lld", (long long)(f->before_seq ? f->before_seq : before ? 0 : INT64_MAX));
    snprintf(bufs[1], 24, "%zu", f->limit);
    p[0] = f->status >= 0 ? cf_job_state_to_string((cf_job_state)f->status) : NULL;
    p[1] = f->kind;
    p[2] = bufs[0];
    p[3] = bufs[1];
    p[4] = f->tenant;
    p[5] = f->parent_id;
}

/* The rows the plan read and the buffers it touched (EXPLAIN ANALYZE of the prepared statement,
 * so the plan its connection uses), and the plan's first scan line. */
static void pg_explain(PGconn *c, const char *name, const char *const p[6], int n, char *out, size_t cap) {
    char sql[256] = "";
    snprintf(sql, sizeof sql, "EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) EXECUTE %s(", name);
    for (int i = 0; i < n; i++) {
        char *lit = p[i] ? PQescapeLiteral(c, p[i], strlen(p[i])) : NULL;
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql), "%s%s", i ? "," : "", lit ? lit : "NULL");
        PQfreemem(lit);
    }
    snprintf(sql + strlen(sql), sizeof sql - strlen(sql), ")");
    PGresult *r = pg_ok(c, PQexec(c, sql), "explain");
    long removed = 0, buffers = 0;
    char scan[160] = "";
    for (int i = 0; i < PQntuples(r); i++) {
        const char *line = PQgetvalue(r, i, 0), *at;
        if ((at = strstr(line, "Rows Removed by Filter: "))) removed += atol(at + 24);
        if (!buffers && (at = strstr(line, "shared hit="))) buffers = atol(at + 11);
        if (!scan[0] && (at = strstr(line, "Scan")))
            snprintf(scan, sizeof scan, "%.*s", (int)strcspn(line + strspn(line, " ->"), "("),
                     line + strspn(line, " ->"));
    }
    PQclear(r);
    snprintf(out, cap, "%ld removed, %ld buffers: %s", removed, buffers, scan);
}

/* Runs lc by the statements prepared as "before" and "after" on c: one of each for every list,
 * as a server's connection has, so that the plan PostgreSQL keeps for a statement comes from all
 * the lists it ran (after five runs it may keep a generic plan for every later one). */
static void pg_case(PGconn *c, const list_case *lc, int rounds) {
    int n_after = 0;
    cf_store_postgres_job_list_sql(&lc->f, &n_after);
    const char *name[2] = {"before", "after"};
    int n[2] = {5, n_after};
    const char *p[2][6];
    char bufs[2][2][24];
    for (int k = 0; k < 2; k++) pg_params(&lc->f, k == 0, bufs[k], p[k]);
    double best[2] = {1e18, 1e18};
    int rows[2] = {0, 0};
    for (int r = 0; r < rounds + 10; r++)
        for (int k = 0; k < 2; k++) {
            double t0 = now_ms();
            PGresult *res = pg_ok(c, PQexecPrepared(c, name[k], n[k], p[k], NULL, NULL, 0), lc->name);
            rows[k] = PQntuples(res);
            PQclear(res);
            double ms = now_ms() - t0;
            if (r >= 10 && ms < best[k]) best[k] = ms;
        }
    if (rows[0] != rows[1]) die(lc->name, "the two statements gave different rows");
    char how[2][256];
    for (int k = 0; k < 2; k++) pg_explain(c, name[k], p[k], n[k], how[k], sizeof how[k]);
    printf("| %s | %d | %.3f / %.3f | %.1fx | %s / %s |\n", lc->name, rows[1], best[0], best[1],
           best[0] / best[1], how[0], how[1]);
}

/* The cursor after a tenant's n newest jobs (the half-way page: n is half of t0's jobs and
 * about half of another tenant's). */
static int64_t cursor_after(cf_store *s, const char *tenant, size_t n) {
    cf_job_filter f = {.status = -1, .tenant = tenant, .limit = n};
    cf_job_record *rows = NULL;
    size_t got = 0;
    cf_error err;
    if (cf_store_job_list(s, &f, &rows, &got, &err)) die("list", err.msg);
    if (got != n) die("list", "the tenant has too few jobs");
    int64_t seq = rows[n - 1].seq;
    cf_job_records_free(rows, got);
    return seq;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: cf_store_bench URL [JOBS] [TENANTS] [ROUNDS]\n");
        return 2;
    }
    const char *url = argv[1];
    int jobs = argc > 2 ? atoi(argv[2]) : 100000, tenants = argc > 3 ? atoi(argv[3]) : 100;
    int rounds = argc > 4 ? atoi(argv[4]) : 20;
    if (jobs < 1000 || tenants < 2 || tenants > jobs / 200 || rounds < 1)
        die("arguments", "JOBS >= 1000, 2 <= TENANTS <= JOBS / 200, ROUNDS >= 1");
    bool sqlite = !strncmp(url, "sqlite:", 7);
    cf_backends_register();
    cf_error err;
    filler fs[2] = {{0}};
    int nfs = sqlite ? 2 : 1;
    char peer[1024];
    snprintf(peer, sizeof peer, "%s-noindex", url);
    for (int k = 0; k < nfs; k++)
        if (cf_store_open(k ? peer : url, &fs[k].store, &err)) die("open", err.msg);
    if (sqlite) { /* the store of the schema before: no jobs_by_tenant */
        sqlite3 *db = NULL;
        char *msg = NULL;
        if (sqlite3_open(peer + 7, &db) != SQLITE_OK ||
            sqlite3_exec(db, "DROP INDEX jobs_by_tenant", NULL, NULL, &msg) != SQLITE_OK)
            die("drop index", msg ? msg : sqlite3_errmsg(db));
        sqlite3_close(db);
    }
    for (int first = 0; first < jobs; first += 500)
        fill_batch(fs, nfs, first, jobs - first < 500 ? jobs - first : 500, jobs, tenants, first / 500);
    printf("%s: %d jobs of %d tenants (t0 the first %d), creations %.0f jobs/s",
           sqlite ? "SQLite" : "PostgreSQL", jobs, tenants, jobs / 100, jobs / fs[0].ms * 1e3);
    if (sqlite)
        printf(" (without jobs_by_tenant %.0f jobs/s, %.3fx)", jobs / fs[1].ms * 1e3, fs[1].ms / fs[0].ms);
    printf("\n");
    char active[16];
    snprintf(active, sizeof active, "t%d", tenants / 2);
    list_case cases[] = {
        {"active tenant, first page", {.status = -1, .tenant = active, .limit = 50}},
        {"active tenant, half-way page", {.status = -1, .tenant = active, .limit = 50}},
        {"active tenant, queued", {.status = CF_JOB_STATE_QUEUED, .tenant = active, .limit = 50}},
        {"active tenant, failed (none)", {.status = CF_JOB_STATE_FAILED, .tenant = active, .limit = 50}},
        {"old tenant (t0), first page", {.status = -1, .tenant = "t0", .limit = 50}},
        {"old tenant (t0), half-way page", {.status = -1, .tenant = "t0", .limit = 50}},
    };
    int ncases = (int)(sizeof cases / sizeof cases[0]);
    cases[1].f.before_seq = cursor_after(fs[0].store, active, (size_t)jobs / 200);
    cases[5].f.before_seq = cursor_after(fs[0].store, "t0", (size_t)jobs / 200);
    for (int k = 0; k < nfs; k++) cf_store_close(fs[k].store);
    if (sqlite) {
        sqlite3 *db = NULL;
        if (sqlite3_open(url + 7, &db) != SQLITE_OK) die("open", sqlite3_errmsg(db));
        printf(
            "| list (50 a page) | rows | ms before / after | ratio | VM steps before / after | plan before / "
            "after |\n|---|---:|---:|---:|---:|---|\n");
        for (int i = 0; i < ncases; i++) sq_case(db, &cases[i], rounds);
        sqlite3_close(db);
        return 0;
    }
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) die("connect", PQerrorMessage(c));
    PQclear(pg_ok(c, PQexec(c, "ANALYZE jobs"), "analyze")); /* as autovacuum keeps it */
    printf("| list (50 a page) | rows | ms before / after | ratio | read before / after "
           "|\n|---|---:|---:|---:|---|\n");
    int n_after = 0; /* every case is a tenant's list: one statement after as before */
    PQclear(pg_ok(c, PQprepare(c, "before", pg_before, 5, NULL), "prepare"));
    PQclear(pg_ok(c,
                  PQprepare(c, "after", cf_store_postgres_job_list_sql(&cases[0].f, &n_after), n_after, NULL),
                  "prepare"));
    for (int i = 0; i < ncases; i++) pg_case(c, &cases[i], rounds);
    PQfinish(c);
    return 0;
}

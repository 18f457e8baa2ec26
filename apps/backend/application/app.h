/* app.h — the composition root of `clipforge serve`: configuration, the store, bus and storage
 * opened from it, the outbox relay, and the signal that wakes event-stream readers. The API and
 * the job runner reach infrastructure only through this struct's interfaces. */
#ifndef CLIPFORGE_APP_H
#define CLIPFORGE_APP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "clipforge/bus.h"
#include "clipforge/config.h"
#include "clipforge/flags.h"
#include "clipforge/storage.h"
#include "clipforge/store.h"
#include "infrastructure/outbox_relay.h"

typedef struct cf_job_runner cf_job_runner;
typedef struct cf_ai_remote cf_ai_remote;
typedef struct cf_ai_events cf_ai_events;
typedef struct cf_billing cf_billing;
typedef struct cf_job_committer cf_job_committer;

typedef struct cf_app {
    cf_config cfg; /* owned */
    cf_store *store;
    cf_bus *bus;
    cf_storage *storage;
    cf_outbox_relay *relay;
    cf_job_committer *committer; /* the group commit of API submissions (job_committer.h) */
    cf_job_runner *runner;       /* NULL with --no-workers */
    cf_ai_remote *remote;        /* inference services (CLIPFORGE_AI_URL), or NULL */
    cf_ai_events *ai_events;     /* the AI workspace's events on the bus */
    cf_billing *billing;         /* usage records to CLIPFORGE_BILLING_WEBHOOK_URL, or NULL */
    char instance_id[40];        /* unique per process: lease owner prefix */
    char *work_dir;              /* DATA_DIR/work: per-attempt temp dirs */
    /* Event signal: seq grows after each committed event; listeners wait on it. */
    pthread_mutex_t event_lock;
    pthread_cond_t event_cond;
    uint64_t event_seq;
    void (*on_event)(void *user); /* extra listener (the SSE hub), set by the API */
    void *on_event_user;
    cf_flags *flags; /* feature flags: the store's over CLIPFORGE_FLAGS (application/feature_flags.h) */
} cf_app;

/* Opens everything from cfg (taking ownership of its strings): the data dir (sweeping temp
 * dirs of runs that are over), the store (default sqlite:DATA_DIR/clipforge.db), bus, storage
 * (default local:DATA_DIR/storage), the relay. consumes: this process runs workers; on a
 * volatile bus only such processes relay, and they republish queued jobs no process holds. */
cf_err cf_app_open(cf_config *cfg, bool consumes, cf_app **out, cf_error *err);
/* Opens the storage cfg names (CLIPFORGE_STORAGE_URL, default local:DATA_DIR/storage) with the
 * data dir's signing key, as serve does; for commands that need storage without the rest. */
cf_err cf_app_open_storage(const cf_config *cfg, cf_storage **out, cf_error *err);
/* The job store of cfg (CLIPFORGE_STORE_URL, else SQLite in the data dir), for commands that
 * need the store alone. */
cf_err cf_app_open_store(const cf_config *cfg, cf_store **out, cf_error *err);
/* Volatile bus only (else a no-op): renews this process's holds on queued jobs' messages for a
 * lease and republishes queued jobs whose hold expired (their process died). Called by the
 * reaper at least every lease/3. */
cf_err cf_app_keep_holds(cf_app *app, int64_t now, cf_error *err);
/* Removes the temp dirs under work/ of runs that are over: their job is final, or not running
 * that attempt, or its lease expired. Dirs of live runs (of any process sharing the data dir)
 * stay; a store error keeps a dir for a later sweep. */
void cf_app_sweep_work_dirs(cf_app *app);
/* Stops the relay and the group commit, releases this process's holds and closes everything.
 * NULL-safe. The runner must be stopped first, and the HTTP server (whose submissions wait on
 * the group commit) after cf_job_committer_close(app->committer). */
void cf_app_close(cf_app *app);

/* Milliseconds since the epoch. */
int64_t cf_now_ms(void);
/* Writes prefix + 16 random hex digits (8 bytes of OpenSSL's generator) into out; cap must be at
 * least strlen(prefix) + 17 (else out is ""). Thread-safe; a forked child never repeats an id. */
void cf_new_id(const char *prefix, char *out, size_t cap);
/* Writes prefix + 11 hex digits of the current time in milliseconds + 16 random hex digits (as
 * cf_new_id's) into out; cap must be at least strlen(prefix) + 28 (else out is ""). Ids made
 * later sort after (to the clock's resolution and steadiness), so a store's indexes on them
 * grow at one end: a batch of new rows touches a few pages instead of one per row. */
void cf_new_ordered_id(const char *prefix, char *out, size_t cap);

#endif

/* app.c — opens and wires the infrastructure for serve; steered by CLIPFORGE_DATA_DIR,
 * CLIPFORGE_STORE_URL, CLIPFORGE_BUS_URL, CLIPFORGE_STORAGE_URL, CLIPFORGE_SIGNING_KEY. */
#include "application/app.h"

#include <assert.h>
#include <dirent.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "application/metrics.h"
#include "clipforge/fs.h"
#include "clipforge/log.h"
#include "application/ai_events.h"
#include "application/billing.h"
#include "infrastructure/billing_webhook.h"
#include "application/feature_flags.h"
#include "application/job_committer.h"
#include "infrastructure/ai_remote.h"
#include "infrastructure/backends.h"
#include "infrastructure/storage_local.h"

int64_t cf_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Ids take their random bytes from a per-thread batch that one RAND_bytes call fills (one call
 * per ID_BATCH ids instead of one each: the generator's lock and setup cost more than the bytes).
 * A forked child starts without the batch of the thread that forked, so it never repeats the
 * parent's ids. */
#define ID_BYTES 8
#define ID_BATCH 32
/* Hex digits of the milliseconds that lead an ordered id: enough until the year 2527. */
#define ORDERED_TIME_DIGITS 11

static _Thread_local unsigned char id_pool[ID_BYTES * ID_BATCH];
static _Thread_local size_t id_left; /* unused ids in id_pool, taken from its end */
static pthread_once_t id_fork_once = PTHREAD_ONCE_INIT;

static void id_forget_after_fork(void) {
    id_left = 0;
}

static void id_watch_forks(void) {
    pthread_atfork(NULL, NULL, id_forget_after_fork);
}

static void random_id_bytes(unsigned char b[ID_BYTES], const char *salt) {
    pthread_once(&id_fork_once, id_watch_forks);
    if (!id_left && RAND_bytes(id_pool, sizeof id_pool) == 1) id_left = ID_BATCH;
    if (id_left) {
        id_left--;
        memcpy(b, id_pool + id_left * ID_BYTES, ID_BYTES);
        memset(id_pool + id_left * ID_BYTES, 0, ID_BYTES); /* a used id's bytes do not stay behind */
        return;
    }
    /* Never expected; fall back to time and address entropy rather than fail a request. */
    uint64_t v = (uint64_t)cf_now_ms() ^ ((uint64_t)(uintptr_t)salt << 17) ^ (uint64_t)clock();
    memcpy(b, &v, ID_BYTES);
}

void cf_new_id(const char *prefix, char *out, size_t cap) {
    static const char hex[] = "0123456789abcdef";
    unsigned char b[ID_BYTES];
    random_id_bytes(b, out);
    size_t n = strlen(prefix);
    assert(cap >= n + 2 * ID_BYTES + 1);
    if (cap < n + 2 * ID_BYTES + 1) { /* a cut id would be another one */
        if (cap) out[0] = '\0';
        return;
    }
    memcpy(out, prefix, n);
    for (size_t i = 0; i < ID_BYTES; i++) {
        out[n + 2 * i] = hex[b[i] >> 4];
        out[n + 2 * i + 1] = hex[b[i] & 15];
    }
    out[n + 2 * ID_BYTES] = '\0';
}

void cf_new_ordered_id(const char *prefix, char *out, size_t cap) {
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(prefix);
    assert(cap >= n + ORDERED_TIME_DIGITS + 2 * ID_BYTES + 1);
    if (cap < n + ORDERED_TIME_DIGITS + 2 * ID_BYTES + 1) {
        if (cap) out[0] = '\0';
        return;
    }
    uint64_t ms = (uint64_t)cf_now_ms();
    memcpy(out, prefix, n);
    for (int i = ORDERED_TIME_DIGITS - 1; i >= 0; i--, ms >>= 4) out[n + (size_t)i] = hex[ms & 15];
    cf_new_id("", out + n + ORDERED_TIME_DIGITS, cap - n - ORDERED_TIME_DIGITS);
}

/* A commit of this process kicks its relay; another process's commit does only with a volatile
 * bus: with a durable one that process's own relay publishes its rows (and the relays of the
 * others take them at their next poll should it die first), where every relay looking for them at
 * every commit of every process cost an outbox query per relay per commit. */
static void on_store_event(void *user, bool remote) {
    cf_app *app = user;
    pthread_mutex_lock(&app->event_lock);
    app->event_seq++;
    pthread_cond_broadcast(&app->event_cond);
    pthread_mutex_unlock(&app->event_lock);
    if (!remote || !cf_bus_durable(app->bus)) cf_outbox_relay_kick(app->relay);
    if (app->on_event) app->on_event(app->on_event_user);
}

/* url when set, else SCHEME:DATA_DIR/leaf (malloc'd). */
static char *default_url(const char *url, const char *scheme, const char *data_dir, const char *leaf) {
    if (url && *url) return strdup(url);
    size_t n = strlen(scheme) + strlen(data_dir) + strlen(leaf) + 3;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s:%s/%s", scheme, data_dir, leaf);
    return s;
}

cf_err cf_app_open_storage(const cf_config *cfg, cf_storage **out, cf_error *err) {
    cf_backends_register();
    unsigned char key[256];
    size_t key_len = 0;
    cf_err rc = cf_mkdir_p(cfg->data_dir, err);
    if (rc == CF_OK)
        rc = cf_signing_key_load(cfg->signing_key, cfg->data_dir, key, sizeof key, &key_len, err);
    char *url = default_url(cfg->storage_url, "local", cfg->data_dir, "storage");
    if (rc == CF_OK && !url) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = cf_storage_open(url, key, key_len, out, err);
    free(url);
    memset(key, 0, sizeof key);
    return rc;
}

cf_err cf_app_open_store(const cf_config *cfg, cf_store **out, cf_error *err) {
    cf_backends_register();
    cf_err rc = cf_mkdir_p(cfg->data_dir, err);
    char *url = default_url(cfg->store_url, "sqlite", cfg->data_dir, "clipforge.db");
    if (rc == CF_OK && !url) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = cf_store_open(url, out, err);
    free(url);
    return rc;
}

static cf_err open_storage(cf_app *app, cf_error *err) {
    return cf_app_open_storage(&app->cfg, &app->storage, err);
}

/* True when the work dir `name` ("<job id>-<attempt>") may belong to a live run: its job is
 * running that attempt under a lease that has not expired. Another process sharing the data
 * dir may be running it; anything else is left over from a run that is over. */
static bool work_dir_live(cf_app *app, const char *name, int64_t now) {
    const char *dash = strrchr(name, '-');
    char *end = NULL;
    long long attempt = dash ? strtoll(dash + 1, &end, 10) : 0;
    if (!dash || dash == name || !end || *end || (size_t)(dash - name) >= 64) return false;
    char id[64];
    snprintf(id, sizeof id, "%.*s", (int)(dash - name), name);
    cf_job_record j;
    cf_error err;
    if (cf_store_job_get(app->store, id, &j, &err)) return err.code != CF_ERR_NOT_FOUND;
    bool live = j.status == CF_JOB_STATE_RUNNING && j.attempts == attempt && j.lease_expires_at >= now;
    cf_job_record_free(&j);
    return live;
}

void cf_app_sweep_work_dirs(cf_app *app) {
    DIR *d = opendir(app->work_dir);
    if (!d) return;
    int64_t now = cf_now_ms();
    size_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (work_dir_live(app, e->d_name, now)) continue;
        char *path = cf_path_join(app->work_dir, e->d_name);
        cf_error err;
        if (path && cf_remove_tree(path, &err) == CF_OK) removed++;
        free(path);
    }
    closedir(d);
    if (removed) cf_log_info("app", "removed %zu temp dirs of runs that are over", removed);
}

/* With a durable bus the bus answers for published messages; with a volatile one, this
 * process does, for a lease at a time (renewed by the reaper, released at close). */
static cf_outbox_hold relay_hold(const cf_app *app) {
    if (cf_bus_durable(app->bus)) return (cf_outbox_hold){NULL, 0};
    return (cf_outbox_hold){app->instance_id, app->cfg.lease_ms};
}

/* The billing adapter when CLIPFORGE_BILLING_WEBHOOK_URL names one. */
static cf_err start_billing(cf_app *app, cf_error *err) {
    if (!app->cfg.billing_webhook_url[0]) return CF_OK;
    cf_billing_sink sink;
    cf_err rc = cf_billing_webhook(app->cfg.billing_webhook_url, app->cfg.billing_webhook_secret, &sink, err);
    return rc ? rc : cf_billing_start(app->bus, sink, &app->billing, err);
}

static cf_err open_parts(cf_app *app, bool consumes, cf_error *err) {
    cf_err rc = cf_mkdir_p(app->cfg.data_dir, err);
    app->work_dir = cf_path_join(app->cfg.data_dir, "work");
    if (rc == CF_OK && !app->work_dir) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK) rc = cf_mkdir_p(app->work_dir, err);
    if (rc == CF_OK) rc = cf_app_open_store(&app->cfg, &app->store, err);
    if (rc == CF_OK) rc = cf_job_committer_new(app->store, &app->committer, err);
    if (rc == CF_OK) rc = cf_feature_flags_open(&app->cfg, app->store, &app->flags, err);
    if (rc == CF_OK) cf_app_sweep_work_dirs(app);
    if (rc == CF_OK) rc = cf_bus_open(app->cfg.bus_url, &app->bus, err);
    if (rc == CF_OK) rc = cf_bus_subscribe(app->bus, "jobs", "workers", err);
    if (rc == CF_OK) rc = open_storage(app, err);
    if (rc == CF_OK) rc = cf_ai_remote_new(&app->cfg, &app->remote, err);
    if (rc == CF_OK) rc = cf_ai_events_start(app->bus, &app->ai_events, err);
    if (rc == CF_OK) rc = start_billing(app, err);
    /* A volatile bus is read by this process's workers only: without them, publishing into
     * it would hide jobs from every worker; the relays of processes with workers publish. */
    bool relay = consumes || (rc == CF_OK && cf_bus_durable(app->bus));
    if (rc == CF_OK && relay)
        rc = cf_outbox_relay_start(app->store, app->bus, relay_hold(app), 250, &app->relay, err);
    return rc;
}

cf_err cf_app_keep_holds(cf_app *app, int64_t now, cf_error *err) {
    if (cf_bus_durable(app->bus)) return CF_OK;
    size_t n = 0;
    cf_err rc = cf_store_holds_renew(app->store, app->instance_id, now + app->cfg.lease_ms, NULL, err);
    if (rc == CF_OK) rc = cf_store_redispatch_queued(app->store, now, &n, err);
    if (rc == CF_OK && n) {
        cf_log_info("app", "put %zu queued jobs whose messages were lost back on the bus", n);
        cf_outbox_relay_kick(app->relay);
    }
    return rc;
}

cf_err cf_app_open(cf_config *cfg, bool consumes, cf_app **out, cf_error *err) {
    cf_backends_register();
    cf_metrics_init();
    cf_app *app = calloc(1, sizeof *app);
    if (!app) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    app->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    pthread_mutex_init(&app->event_lock, NULL);
    pthread_cond_init(&app->event_cond, NULL);
    cf_new_id("i_", app->instance_id, sizeof app->instance_id);
    cf_err rc = open_parts(app, consumes, err);
    if (rc == CF_OK) {
        cf_store_set_event_hook(app->store, on_store_event, app);
        /* Jobs whose messages no live process holds (released at a stop, or never held). */
        rc = cf_app_keep_holds(app, cf_now_ms(), err);
    }
    if (rc) {
        cf_app_close(app);
        return rc;
    }
    cf_outbox_relay_kick(app->relay);
    *out = app;
    return CF_OK;
}

void cf_app_close(cf_app *app) {
    if (!app) return;
    cf_job_committer_free(app->committer);
    cf_outbox_relay_stop(app->relay);
    cf_error err;
    /* Messages left in a volatile bus die with it: release their holds so that a restart, or
     * another process, publishes those jobs again at once. */
    if (app->relay && app->store && !cf_bus_durable(app->bus) &&
        cf_store_holds_renew(app->store, app->instance_id, 0, NULL, &err))
        cf_log_warn("app", "releasing held jobs: %s", err.msg);
    cf_ai_events_stop(app->ai_events);
    cf_billing_stop(app->billing);
    cf_bus_close(app->bus);
    cf_ai_remote_free(app->remote);
    cf_storage_close(app->storage);
    cf_flags_free(app->flags);
    cf_store_close(app->store);
    free(app->work_dir);
    cf_config_free(&app->cfg);
    pthread_cond_destroy(&app->event_cond);
    pthread_mutex_destroy(&app->event_lock);
    free(app);
}

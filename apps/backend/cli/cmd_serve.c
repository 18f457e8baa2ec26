/* cmd_serve.c — `clipforge serve`: the API, the outbox relay and N embedded workers in one
 * process. SIGTERM/SIGINT stop it gracefully: stop accepting, release running jobs back to the
 * queue at once (not counted as an attempt; they start over in the next process that takes
 * them), finish requests in flight, release held messages, close the store. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/http_server.h"
#include "application/app.h"
#include "application/job_committer.h"
#include "application/job_runner.h"
#include "cli/cli.h"
#include "clipforge/config.h"
#include "clipforge/log.h"

static void usage(FILE *out) {
    fprintf(out, "Usage: clipforge serve [--listen HOST:PORT] [--data-dir DIR] [--workers N] "
                 "[--no-workers]\n\n"
                 "Runs the HTTP API (see /openapi.json), the outbox relay and N worker threads.\n\n"
                 "  --listen HOST:PORT  address to listen on (CLIPFORGE_LISTEN, default 127.0.0.1:8080)\n"
                 "  --data-dir DIR      database, storage and temp files (CLIPFORGE_DATA_DIR, ./data)\n"
                 "  --workers N         worker threads (CLIPFORGE_WORKERS, 0 = number of cores)\n"
                 "  --no-workers        API only; jobs wait for `clipforge worker` processes\n"
                 "  -h, --help          this help\n\n"
                 "Every CLIPFORGE_* setting is listed by `clipforge --help`.\n");
}

typedef struct serve_opts {
    bool no_workers;
} serve_opts;

static int parse_args(int argc, char **argv, cf_config *cfg, serve_opts *o) {
    static const struct option longs[] = {
        {"listen", required_argument, NULL, 'l'},  {"data-dir", required_argument, NULL, 'd'},
        {"workers", required_argument, NULL, 'w'}, {"no-workers", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    cf_error err;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        cf_err rc = CF_OK;
        switch (c) {
        case 'l': rc = cf_config_set(cfg, "CLIPFORGE_LISTEN", optarg, &err); break;
        case 'd': rc = cf_config_set(cfg, "CLIPFORGE_DATA_DIR", optarg, &err); break;
        case 'w': rc = cf_config_set(cfg, "CLIPFORGE_WORKERS", optarg, &err); break;
        case 'n': o->no_workers = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (rc) return cf_cli_usage_error("serve", "%s", err.msg);
    }
    if (optind < argc) return cf_cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    return -1;
}

static int worker_count(const cf_config *cfg) {
    if (cfg->workers > 0) return (int)cfg->workers;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Waits for SIGTERM or SIGINT (blocked in every thread, taken here). */
static int wait_for_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

static int run(cf_config *cfg, const serve_opts *o) {
    cf_error err;
    cf_app *app = NULL;
    cf_reaper *reaper = NULL;
    cf_http_server *http = NULL;
    char listen[256];
    snprintf(listen, sizeof listen, "%s", cfg->listen);
    int workers = worker_count(cfg);
    cf_err rc = cf_app_open(cfg, !o->no_workers, &app, &err);
    if (rc == CF_OK)
        rc = o->no_workers ? cf_reaper_start(app, &reaper, &err)
                           : cf_job_runner_start(app, workers, &app->runner, &err);
    if (rc == CF_OK) rc = cf_http_server_start(app, listen, (int)app->cfg.http_threads, &http, &err);
    if (rc) {
        cf_job_runner_stop(app ? app->runner : NULL);
        cf_reaper_stop(reaper);
        cf_app_close(app);
        return cf_cli_fail("serve", &err);
    }
    cf_log_info("serve", "listening on %s (port %d), %d workers, data in %s", listen,
                cf_http_server_port(http), o->no_workers ? 0 : workers, app->cfg.data_dir);
    fprintf(stderr, "clipforge serve: listening on http://%s\n", listen);
    int sig = wait_for_signal();
    cf_log_info("serve", "signal %d: shutting down", sig);
    cf_http_server_quiesce(http);
    cf_job_runner_stop(app->runner);
    app->runner = NULL;
    cf_reaper_stop(reaper);
    /* Submissions waiting for their commit hold suspended connections: answer them first. */
    cf_job_committer_close(app->committer);
    cf_http_server_stop(http);
    cf_app_close(app);
    return 0;
}

int cf_cmd_serve(int argc, char **argv) {
    cf_config cfg;
    cf_error err;
    if (cf_config_load(&cfg, &err)) return cf_cli_fail("serve", &err);
    serve_opts o = {0};
    int code = parse_args(argc, argv, &cfg, &o);
    if (code >= 0) {
        cf_config_free(&cfg);
        return code;
    }
    /* Block the stop signals before any thread starts, so only sigwait() sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    code = run(&cfg, &o);
    cf_config_free(&cfg);
    return code;
}

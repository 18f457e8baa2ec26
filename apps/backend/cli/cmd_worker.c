/* cmd_worker.c — `clipforge worker`: a distributed worker process. It opens the store, bus and
 * storage named by CLIPFORGE_STORE_URL, CLIPFORGE_BUS_URL and CLIPFORGE_STORAGE_URL and runs
 * the same job runner as serve's embedded workers (CLIPFORGE_WORKERS threads, leases,
 * heartbeats, the reaper), without the HTTP API. SIGTERM/SIGINT stop it gracefully: running
 * jobs are released back to the queue at once. A worker killed outright loses nothing either: its leases
 * expire and any other worker or API node's reaper requeues the jobs. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/metrics_server.h"
#include "application/app.h"
#include "application/job_runner.h"
#include "cli/cli.h"
#include "clipforge/config.h"
#include "clipforge/log.h"

static void usage(FILE *out) {
    fprintf(out, "Usage: clipforge worker [--data-dir DIR] [--workers N] [--metrics-listen HOST:PORT]\n\n"
                 "Runs job workers for a distributed deployment: the job store, bus and storage come\n"
                 "from CLIPFORGE_STORE_URL (postgres://...), CLIPFORGE_BUS_URL (redis://..., nats://...,\n"
                 "kafka://...) and CLIPFORGE_STORAGE_URL (s3://...), shared with `clipforge serve\n"
                 "--no-workers` API nodes.\n\n"
                 "  --data-dir DIR  this worker's temp files (CLIPFORGE_DATA_DIR; one per process)\n"
                 "  --workers N     worker threads (CLIPFORGE_WORKERS, 0 = number of cores)\n"
                 "  --metrics-listen HOST:PORT  serve /metrics, /healthz, /readyz there\n"
                 "                  (CLIPFORGE_METRICS_LISTEN; default: none)\n"
                 "  -h, --help      this help\n");
}

static int parse_args(int argc, char **argv, cf_config *cfg) {
    static const struct option longs[] = {{"data-dir", required_argument, NULL, 'd'},
                                          {"workers", required_argument, NULL, 'w'},
                                          {"metrics-listen", required_argument, NULL, 'm'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    cf_error err;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        cf_err rc = CF_OK;
        switch (c) {
        case 'd': rc = cf_config_set(cfg, "CLIPFORGE_DATA_DIR", optarg, &err); break;
        case 'w': rc = cf_config_set(cfg, "CLIPFORGE_WORKERS", optarg, &err); break;
        case 'm': rc = cf_config_set(cfg, "CLIPFORGE_METRICS_LISTEN", optarg, &err); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (rc) return cf_cli_usage_error("worker", "%s", err.msg);
    }
    if (optind < argc) return cf_cli_usage_error("worker", "unexpected argument '%s'", argv[optind]);
    return -1;
}

static int run(cf_config *cfg) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cfg->workers > 0 ? (int)cfg->workers : cores > 0 ? (int)cores : 1;
    cf_error err;
    cf_app *app = NULL;
    cf_metrics_server *metrics = NULL;
    cf_err rc = cf_app_open(cfg, true, &app, &err);
    if (rc == CF_OK) rc = cf_job_runner_start(app, n, &app->runner, &err);
    if (rc == CF_OK) rc = cf_metrics_server_start(app, app->cfg.metrics_listen, &metrics, &err);
    if (rc) {
        cf_job_runner_stop(app ? app->runner : NULL);
        if (app) app->runner = NULL;
        cf_app_close(app);
        return cf_cli_fail("worker", &err);
    }
    cf_log_info("worker", "%s: %d workers on %s", app->instance_id, n, app->cfg.bus_url);
    fprintf(stderr, "clipforge worker: %d workers\n", n);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    cf_log_info("worker", "signal %d: putting running jobs back and stopping", sig);
    cf_job_runner_stop(app->runner);
    app->runner = NULL;
    cf_metrics_server_stop(metrics);
    cf_app_close(app);
    return 0;
}

int cf_cmd_worker(int argc, char **argv) {
    cf_config cfg;
    cf_error err;
    if (cf_config_load(&cfg, &err)) return cf_cli_fail("worker", &err);
    int code = parse_args(argc, argv, &cfg);
    if (code < 0) {
        /* Block the stop signals before any thread starts, so only sigwait() sees them. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        code = run(&cfg);
    }
    cf_config_free(&cfg);
    return code;
}

/* cmd_ai.c — `clipforge ai serve`: the inference service as a process of its own (same binary,
 * own command; see apps/ai/services/ai_service.h). SIGTERM/SIGINT stop it like `serve`: stop
 * accepting, cancel detections in flight (their clients see an error and go elsewhere), close. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ai_cli.h"
#include "cli/ai_common.h"
#include "cli/cli.h"
#include "clipforge/log.h"
#include "services/ai_service.h"

static const char *ai_help =
    "Usage: clipforge ai serve [--listen HOST:PORT] [--models-dir DIR] [--data-dir DIR]\n"
    "                          [--max-inflight N]\n"
    "Runs the inference service: highlight detection over media it reads by HTTP byte ranges\n"
    "from signed URLs (POST /v1/detect), warm models (POST /v1/warm), the model registry with\n"
    "online evaluation (GET /v1/models), /healthz, /readyz, /metrics. Backends send it their\n"
    "detection jobs when CLIPFORGE_AI_URL names it.\n"
    "  --listen HOST:PORT  address (CLIPFORGE_AI_LISTEN, default 127.0.0.1:8090; port 0 = any)\n"
    "  --models-dir DIR    the model registry (CLIPFORGE_HIGHLIGHT_MODELS_DIR)\n"
    "  --data-dir DIR      where the default storage and caches live (CLIPFORGE_DATA_DIR)\n"
    "  --max-inflight N    detections at once, more get 503 (CLIPFORGE_AI_MAX_INFLIGHT, 0 = cores)\n"
    "  -h, --help          this help\n"
    "The feature store is the configured storage (CLIPFORGE_STORAGE_URL), events go over\n"
    "CLIPFORGE_BUS_URL. Every CLIPFORGE_* setting is listed by `clipforge --help`.\n";

typedef struct ai_args {
    const char *models_dir;
} ai_args;

static int parse_args(int argc, char **argv, cf_config *cfg, ai_args *a) {
    static const struct option longs[] = {
        {"listen", required_argument, NULL, 'l'},   {"models-dir", required_argument, NULL, 'm'},
        {"data-dir", required_argument, NULL, 'd'}, {"max-inflight", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return fputs(ai_help, argc < 2 ? stderr : stdout), argc < 2 ? 2 : 0;
    if (strcmp(argv[1], "serve")) return cf_cli_usage_error("ai", "unknown action '%s' (serve)", argv[1]);
    optind = 2;
    int c;
    cf_error err;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        cf_err rc = CF_OK;
        switch (c) {
        case 'l': rc = cf_config_set(cfg, "CLIPFORGE_AI_LISTEN", optarg, &err); break;
        case 'd': rc = cf_config_set(cfg, "CLIPFORGE_DATA_DIR", optarg, &err); break;
        case 'i': rc = cf_config_set(cfg, "CLIPFORGE_AI_MAX_INFLIGHT", optarg, &err); break;
        case 'm': a->models_dir = optarg; break;
        case 'h': fputs(ai_help, stdout); return 0;
        default: fputs(ai_help, stderr); return 2;
        }
        if (rc) return cf_cli_usage_error("ai", "%s", err.msg);
    }
    if (optind < argc) return cf_cli_usage_error("ai", "unexpected argument '%s'", argv[optind]);
    return -1;
}

static int serve(cf_config *cfg, const ai_args *a) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread: only sigwait sees them */
    signal(SIGPIPE, SIG_IGN);
    cf_ai_service *svc = NULL;
    cf_error err;
    int port = 0;
    if (cf_ai_service_start(cfg, cf_ai_models_dir(cfg, a->models_dir), &svc, &port, &err))
        return cf_cli_fail("ai serve", &err);
    cf_log_info("ai", "listening on %s, models in %s, %d detections at once", svc->listen, svc->models_dir,
                svc->max_inflight);
    fprintf(stderr, "clipforge ai serve: listening on http://%s\n", svc->listen);
    int sig = 0;
    sigwait(&set, &sig);
    cf_log_info("ai", "signal %d: shutting down", sig);
    cf_ai_service_stop(svc);
    return 0;
}

int cf_cmd_ai(int argc, char **argv) {
    cf_config cfg;
    cf_error err;
    if (cf_config_load(&cfg, &err)) return cf_cli_fail("ai", &err);
    ai_args a = {0};
    int code = parse_args(argc, argv, &cfg, &a);
    if (code < 0) code = serve(&cfg, &a);
    cf_config_free(&cfg);
    return code;
}

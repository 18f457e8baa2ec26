/* main.c — the `clipforge` binary: a table of subcommands, dispatched by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "application/pipelines.h"
#include "cli/cli.h"
#include "clipforge/config.h"
#include "clipforge/log.h"
#include "clipforge/trace.h"

static int cmd_help(int argc, char **argv);

/* One row per subcommand; `clipforge --help` lists them in this order. The commands that run a
 * pipeline are in the pipelines module, loaded when one of them runs (application/pipelines.h). */
static const cf_command commands[] = {
    {"help", "", "show this help", cmd_help},
    {"probe", "FILE [--json]", "show the container, duration and streams of a media file",
     cf_pipelines_command},
    {"clip", "--input FILE --output FILE [--format mp4|webm|gif] [--trim START:END] ...",
     "make one clip: trim, scale, crop, fps, loudness, speed, mute, thumbnail", cf_pipelines_command},
    {"detect", "--input FILE [--profile NAME] [--model-version V] [--top N] [--json]",
     "find the moments worth a short clip (highlight detection)", cf_pipelines_command},
    {"render", "--request FILE | --template ID --input FILE --span S:E --format F --output FILE",
     "render a finished video (layouts, titles, captions, music) from a template or timeline",
     cf_pipelines_command},
    {"transcribe", "--input FILE [--format json|srt|vtt] [--output FILE] [--json]",
     "speech to text: transcript JSON or SRT/WebVTT captions", cf_pipelines_command},
    {"serve", "[--listen HOST:PORT] [--data-dir DIR] [--workers N] [--no-workers]",
     "run the HTTP API, job orchestration and embedded workers", cf_cmd_serve},
    {"worker", "[--data-dir DIR] [--workers N] [--metrics-listen HOST:PORT]",
     "run job workers of a distributed deployment (store, bus, storage from CLIPFORGE_*_URL)", cf_cmd_worker},
    {"keys", "create --tenant T --role R | list [--tenant T] | revoke ID  [--data-dir DIR] [--json]",
     "API keys: each belongs to a tenant with a role (admin, editor, viewer)", cf_cmd_keys},
    {"autoclip", "--input FILE --output-dir DIR [--count N] [--template ID] [--profile NAME]",
     "the best N shorts of a long video: captioned, titled, reframed, with a manifest", cf_pipelines_command},
    {"ai", "serve [--listen HOST:PORT] [--models-dir DIR] [--max-inflight N]",
     "the inference service: detection over signed media URLs, model registry, online evaluation",
     cf_pipelines_command},
    {"models", "list|show|publish|pin|split [VERSION] [--kind K] [--models-dir DIR] [--json]",
     "the model registry: versions, metadata, defaults, pins and A/B splits", cf_pipelines_command},
    {"train", "--data-dir DIR --out-dir DIR [--base VERSION] [--profile P] [--publish] [--json]",
     "a new highlight model version fitted on reviewers' labels, cross-validated by media",
     cf_pipelines_command},
    {"eval", "--model V [--model V2] --set DIR [--profile P] [--json]",
     "compare model versions on a held-out evaluation set", cf_pipelines_command},
    {"features", "ls [--all] [--long] [--json]",
     "the feature store: feature tracks by media content hash in the configured storage",
     cf_pipelines_command},
    {"openapi", "", "print the HTTP API's OpenAPI document (what GET /openapi.json serves)", cf_cmd_openapi},
};

static void write_help(FILE *out) {
    fprintf(out, "clipforge %s — turn long videos into short highlight clips\n\n", CF_VERSION_STRING);
    fprintf(out, "Usage: clipforge COMMAND [ARGS]   (clipforge COMMAND --help for details)\n\n");
    fprintf(out, "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n%s%s%s", commands[i].name, commands[i].summary,
                commands[i].usage[0] ? "             " : "", commands[i].usage,
                commands[i].usage[0] ? "\n" : "");
    fprintf(out, "\nExit codes: 0 success, 1 processing error, 2 usage or input error.\n");
    fprintf(out, "\nEnvironment:\n");
    cf_config_print_help(out);
}

/* In one write: a reader that stops at the line it wanted (`clipforge --help | grep -q`) must
 * not cut a second write short with SIGPIPE. */
static void print_help(FILE *out) {
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        write_help(out);
        return;
    }
    write_help(mem);
    fclose(mem);
    fflush(out);
    if (write(fileno(out), text, len) < 0) { /* nobody reads: nothing to report to */
    }
    free(text);
}

static int cmd_help(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_help(stdout);
    return 0;
}

/* Long-running roles trace each request and job; a one-shot command is one trace, continuing
 * the caller's when TRACEPARENT/TRACESTATE are set in the environment (as a script that traces
 * itself passes them). */
static bool serves(const char *name, int argc, char **argv) {
    return !strcmp(name, "serve") || !strcmp(name, "worker") ||
           (!strcmp(name, "ai") && argc > 1 && !strcmp(argv[1], "serve"));
}

static int run_traced(const cf_command *c, int argc, char **argv) {
    char service[64];
    snprintf(service, sizeof service, "clipforge-%s", !strcmp(c->name, "serve") ? "api" : c->name);
    cf_trace_init(service, NULL);
    cf_span *root = NULL;
    if (!serves(c->name, argc, argv)) {
        cf_trace_ctx parent;
        cf_trace_parse(getenv("TRACEPARENT"), getenv("TRACESTATE"), &parent);
        root = cf_span_start(c->name, CF_SPAN_INTERNAL, &parent);
        cf_trace_set_current(cf_span_ctx(root), NULL);
    }
    int code = c->run(argc, argv);
    if (code) cf_span_set_error(root, "exit status not 0");
    cf_span_set_int(root, "process.exit.code", code);
    cf_span_end(root);
    cf_trace_set_current(NULL, NULL);
    cf_trace_shutdown();
    return code;
}

/* The pipelines take their settings from the config table when the module is loaded; what can
 * be checked without it is checked before any command runs, so that every command refuses a
 * bad value at start. */
static int configure_pipelines(const char *cmd) {
    cf_config cfg;
    cf_error err;
    cf_error_clear(&err);
    if (cf_config_load(&cfg, &err)) return cf_cli_fail(cmd, &err);
    cf_err rc = cf_pipelines_check(&cfg, &err);
    cf_config_free(&cfg);
    return rc ? cf_cli_fail(cmd, &err) : 0;
}

static int run_command(const cf_command *c, int argc, char **argv) {
    int code = configure_pipelines(c->name);
    return code ? code : run_traced(c, argc, argv);
}

int main(int argc, char **argv) {
    cf_log_init_from_env();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_help(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("clipforge %s\n", CF_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return run_command(&commands[i], argc - 1, argv + 1);
    fprintf(stderr, "clipforge: unknown command '%s'\n", argv[1]);
    print_help(stderr);
    return 2;
}

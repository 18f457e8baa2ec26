/* cli.h — the subcommands of the `clipforge` binary and what they share: error reporting with
 * exit codes (0 ok, 1 processing error, 2 usage or input error) and a terminal progress bar. */
#ifndef CLIPFORGE_CLI_H
#define CLIPFORGE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "clipforge/error.h"
#include "clipforge/media.h"
#include "clipforge/progress.h"

/* One row of the command table in main.c. run() returns the process exit code. */
typedef struct cf_command {
    const char *name;
    const char *usage;   /* one line: arguments */
    const char *summary; /* one line: what it does */
    int (*run)(int argc, char **argv);
} cf_command;

/* Prints "clipforge <cmd>: error: <msg>" to stderr; returns the exit code for err->code. */
int cf_cli_fail(const char *cmd, const cf_error *err);
enum { CF_CLI_USAGE_EXIT = 2 }; /* the exit code of a usage error */
/* Prints a usage error for cmd and returns CF_CLI_USAGE_EXIT. */
int cf_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For clang-analyzer, the same call with its result in sight of the caller, so that it knows an option
 * parser stops there (it would otherwise follow "it returned -1, parsing went on" paths). */
#ifdef __clang_analyzer__ /* only for it: compilers and cppcheck see the plain call */
#define cf_cli_usage_error(...)                                                                              \
    __extension__({                                                                                          \
        cf_cli_usage_error(__VA_ARGS__);                                                                     \
        CF_CLI_USAGE_EXIT;                                                                                   \
    })
#endif
/* The integer value of an option in [lo, hi]: 0, or the usage error's exit code after saying why. */
int cf_cli_int(const char *cmd, const char *flag, const char *text, int64_t lo, int64_t hi, int64_t *out);
/* Parses a stream index flag value (a non-negative integer) into doc[key]; on a bad value prints
 * the usage error of cmd and returns 2, else 0. */
int cf_cli_set_stream(json_t *doc, const char *key, const char *value, const char *cmd);
/* The same index as a cf_media_select request for audio; 2 after a usage error, else 0. */
int cf_cli_audio_select(const char *value, const char *cmd, cf_media_select *sel);

/* A progress bar on stderr when it is a terminal (and not --json); silent otherwise. */
typedef struct cf_cli_bar {
    bool enabled;
    double last_drawn;
    const char *label;
} cf_cli_bar;
void cf_cli_bar_init(cf_cli_bar *bar, const char *label, bool quiet);
/* cf_progress callback: user is a cf_cli_bar. */
void cf_cli_bar_update(void *user, double fraction, const char *stage);
/* Ends the bar's line. */
void cf_cli_bar_finish(cf_cli_bar *bar);

/* Installs SIGINT/SIGTERM handlers that cancel p (cooperatively); NULL uninstalls. */
void cf_cli_cancel_on_signal(cf_progress *p);

/* Subcommand entry points (argv[0] is the subcommand name). */
int cf_cmd_probe(int argc, char **argv);
int cf_cmd_clip(int argc, char **argv);
int cf_cmd_detect(int argc, char **argv);
int cf_cmd_render(int argc, char **argv);
int cf_cmd_transcribe(int argc, char **argv);
int cf_cmd_serve(int argc, char **argv);
int cf_cmd_worker(int argc, char **argv);
int cf_cmd_keys(int argc, char **argv);
int cf_cmd_autoclip(int argc, char **argv);
int cf_cmd_openapi(int argc, char **argv);

#endif

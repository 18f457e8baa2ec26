/* cli_common.c — error output, progress bar and signal-driven cancellation for subcommands. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clipforge/log.h"

int cf_cli_fail(const char *cmd, const cf_error *err) {
    fprintf(stderr, "clipforge %s: error: %s\n", cmd, err->msg[0] ? err->msg : cf_strerror(err->code));
    if (err->code == CF_ERR_NO_SPACE) { /* which disk: the output's, or the work files' */
        const char *tmp = getenv("TMPDIR");
        fprintf(stderr,
                "clipforge %s: a disk is full: the output's, or the work files' (%s; TMPDIR sets it)\n", cmd,
                tmp && *tmp ? tmp : "/tmp");
    }
    return cf_err_exit_code(err->code);
}

int(cf_cli_usage_error)(const char *cmd, const char *fmt, ...) {
    fprintf(stderr, "clipforge %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'clipforge %s --help'.\n", cmd);
    return CF_CLI_USAGE_EXIT;
}

int cf_cli_int(const char *cmd, const char *flag, const char *text, int64_t lo, int64_t hi, int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return cf_cli_usage_error(cmd, "%s: expected an integer in [%lld, %lld], got '%s'", flag,
                                  (long long)lo, (long long)hi, text);
    *out = v;
    return 0;
}

void cf_cli_bar_init(cf_cli_bar *bar, const char *label, bool quiet) {
    bar->enabled = !quiet && isatty(STDERR_FILENO);
    bar->last_drawn = -1;
    bar->label = label;
}

void cf_cli_bar_update(void *user, double fraction, const char *stage) {
    cf_cli_bar *bar = user;
    if (!bar->enabled || fraction - bar->last_drawn < 0.005) return;
    bar->last_drawn = fraction;
    int width = 40, filled = (int)(fraction * width + 0.5);
    char cells[41];
    for (int i = 0; i < width; i++) cells[i] = i < filled ? '#' : '.';
    cells[width] = '\0';
    fprintf(stderr, "\r%-10s [%s] %5.1f%% %-12s", stage && *stage ? stage : bar->label, cells,
            fraction * 100.0, "");
    fflush(stderr);
}

void cf_cli_bar_finish(cf_cli_bar *bar) {
    if (bar->enabled && bar->last_drawn >= 0) fputc('\n', stderr);
    bar->last_drawn = -1;
}

static cf_progress *volatile g_cancel_target;

static void on_signal(int sig) {
    (void)sig;
    cf_progress *p = g_cancel_target;
    if (p) cf_progress_cancel(p);
}

void cf_cli_cancel_on_signal(cf_progress *p) {
    g_cancel_target = p;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = p ? on_signal : SIG_DFL;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Tests (and supervisors) wait for this line before signalling: earlier, the default
     * action still ends the process without the clean cancel. */
    if (p) cf_log_debug("cli", "SIGINT and SIGTERM now cancel the run");
}

static int parse_index(const char *value, long *out) {
    char *end = NULL;
    long v = value ? strtol(value, &end, 10) : -1;
    if (!value || end == value || *end || v < 0 || v > 1023) return -1;
    *out = v;
    return 0;
}

int cf_cli_set_stream(json_t *doc, const char *key, const char *value, const char *cmd) {
    long v;
    if (parse_index(value, &v))
        return cf_cli_usage_error(cmd, "--audio-stream: '%s' is not a stream index (0..1023)", value);
    json_object_set_new(doc, key, json_integer(v));
    return 0;
}

int cf_cli_audio_select(const char *value, const char *cmd, cf_media_select *sel) {
    long v;
    if (!value) return 0;
    if (parse_index(value, &v))
        return cf_cli_usage_error(cmd, "--audio-stream: '%s' is not a stream index (0..1023)", value);
    sel->has_audio_stream = true;
    sel->audio_stream = (int)v;
    return 0;
}

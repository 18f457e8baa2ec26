/* log.c — JSON-lines logger. One fprintf per line under a lock, so lines from worker threads
 * never interleave. Each line carries the trace_id and span_id of the thread's current trace
 * context (clipforge/trace.h), when there is one. Steered by CLIPFORGE_LOG_LEVEL. */
#include "clipforge/log.h"
#include "clipforge/trace.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static atomic_int g_level = CF_LOG_INFO;
static pthread_mutex_t g_write_lock = PTHREAD_MUTEX_INITIALIZER; /* guards stderr writes */

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void cf_log_set_level(cf_log_level level) {
    atomic_store(&g_level, (int)level);
}

cf_log_level cf_log_get_level(void) {
    return (cf_log_level)atomic_load(&g_level);
}

int cf_log_level_parse(const char *s, cf_log_level *out) {
    if (!s) return -1;
    for (int i = 0; i <= CF_LOG_OFF; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (cf_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = CF_LOG_WARN;
        return 0;
    }
    return -1;
}

void cf_log_init_from_env(void) {
    cf_log_level level;
    if (cf_log_level_parse(getenv("CLIPFORGE_LOG_LEVEL"), &level) == 0) cf_log_set_level(level);
}

static void format_timestamp(char *buf, size_t len) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03dZ", (int)(tv.tv_usec / 1000));
}

void cf_log(cf_log_level level, const char *component, const char *fmt, ...) {
    if (level < CF_LOG_DEBUG || level >= CF_LOG_OFF || (int)level < atomic_load(&g_level)) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char ts[40];
    format_timestamp(ts, sizeof ts);

    json_t *line = json_object();
    if (!line) return;
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(level_names[level]));
    if (component) json_object_set_new(line, "component", json_string(component));
    /* json_stringn_nocheck would accept invalid UTF-8 from media metadata; sanitize instead. */
    json_t *m = json_string(msg);
    json_object_set_new(line, "msg", m ? m : json_string("<invalid utf-8 message>"));
    cf_trace_ctx tc;
    cf_trace_current(&tc);
    if (cf_trace_ctx_valid(&tc)) {
        char trace_id[33], span_id[17];
        cf_trace_ids_hex(&tc, trace_id, span_id);
        json_object_set_new(line, "trace_id", json_string(trace_id));
        json_object_set_new(line, "span_id", json_string(span_id));
    }
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    if (!text) return;
    pthread_mutex_lock(&g_write_lock);
    fprintf(stderr, "%s\n", text);
    pthread_mutex_unlock(&g_write_lock);
    free(text);
}

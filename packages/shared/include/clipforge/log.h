/* log.h — JSON-lines logging to stderr, one object per line:
 * {"ts":"2026-01-01T00:00:00.000Z","level":"info","component":"api","msg":"...","trace_id":"...",
 *  "span_id":"..."} — the ids of the thread's current trace context (clipforge/trace.h), if any.
 * The threshold comes from CLIPFORGE_LOG_LEVEL (debug|info|warn|error|off; default info). */
#ifndef CLIPFORGE_LOG_H
#define CLIPFORGE_LOG_H

typedef enum cf_log_level {
    CF_LOG_DEBUG = 0,
    CF_LOG_INFO = 1,
    CF_LOG_WARN = 2,
    CF_LOG_ERROR = 3,
    CF_LOG_OFF = 4
} cf_log_level;

/* Sets the threshold; messages below it are dropped. Thread-safe. */
void cf_log_set_level(cf_log_level level);
cf_log_level cf_log_get_level(void);
/* Parses "debug"/"info"/"warn"/"error"/"off"; returns 0 or -1 when unknown. */
int cf_log_level_parse(const char *s, cf_log_level *out);
/* Reads CLIPFORGE_LOG_LEVEL once; unknown values keep the default. */
void cf_log_init_from_env(void);

void cf_log(cf_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define cf_log_debug(component, ...) cf_log(CF_LOG_DEBUG, component, __VA_ARGS__)
#define cf_log_info(component, ...) cf_log(CF_LOG_INFO, component, __VA_ARGS__)
#define cf_log_warn(component, ...) cf_log(CF_LOG_WARN, component, __VA_ARGS__)
#define cf_log_error(component, ...) cf_log(CF_LOG_ERROR, component, __VA_ARGS__)

#endif

/* config.c — the table of CLIPFORGE_* settings and their loading. Order of precedence:
 * built-in default < CLIPFORGE_CONFIG_FILE (KEY=VALUE lines, # comments) < environment. */
#include "clipforge/config.h"
#include "clipforge/paths.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { CFG_STRING, CFG_INT } cfg_type;

typedef struct cfg_key {
    const char *name;
    cfg_type type;
    size_t offset;
    const char *def;
    int64_t min, max; /* CFG_INT only */
    const char *help;
} cfg_key;

#define STR(field, name, def, help)                                                                          \
    { name, CFG_STRING, offsetof(cf_config, field), def, 0, 0, help }
#define INT(field, name, def, lo, hi, help)                                                                  \
    { name, CFG_INT, offsetof(cf_config, field), def, lo, hi, help }

static const cfg_key keys[] = {
    STR(listen, "CLIPFORGE_LISTEN", "127.0.0.1:8080", "HTTP listen address host:port"),
    STR(data_dir, "CLIPFORGE_DATA_DIR", "",
        "database, local storage and temp files (empty = $STATE_DIRECTORY, else "
        "$XDG_STATE_HOME/clipforge, else ~/.local/state/clipforge)"),
    INT(workers, "CLIPFORGE_WORKERS", "0", 0, 256, "worker threads in serve (0 = number of cores)"),
    STR(store_url, "CLIPFORGE_STORE_URL", "", "job store (empty = sqlite in the data dir)"),
    STR(bus_url, "CLIPFORGE_BUS_URL",
        "memory:", "message bus: memory:, redis://..., nats://..., kafka://host:port[,host:port...]"),
    STR(storage_url, "CLIPFORGE_STORAGE_URL", "", "object storage (empty = files in the data dir)"),
    STR(log_level, "CLIPFORGE_LOG_LEVEL", "info", "debug, info, warn, error or off"),
    STR(signing_key, "CLIPFORGE_SIGNING_KEY", "", "HMAC key for signed URLs (empty = generated)"),
    INT(url_ttl_s, "CLIPFORGE_URL_TTL_S", "3600", 1, 604800, "lifetime of signed URLs, seconds"),
    INT(max_upload_bytes, "CLIPFORGE_MAX_UPLOAD_BYTES", "10737418240", 1, INT64_MAX,
        "largest accepted media upload"),
    INT(max_body_bytes, "CLIPFORGE_MAX_BODY_BYTES", "1048576", 1, INT64_MAX, "largest JSON body"),
    INT(max_url_bytes, "CLIPFORGE_MAX_URL_BYTES", "8192", 256, 1048576,
        "longest request URL with its query string (more: 414 uri-too-long)"),
    INT(max_header_bytes, "CLIPFORGE_MAX_HEADER_BYTES", "16384", 1024, 1048576,
        "most bytes of request headers, all together (more: 431 header-fields-too-large)"),
    INT(max_json_depth, "CLIPFORGE_MAX_JSON_DEPTH", "32", 1, 1024, "deepest JSON nesting accepted"),
    INT(max_dimension, "CLIPFORGE_MAX_DIMENSION", "8192", 16, 65536, "largest output width/height"),
    INT(max_duration_ms, "CLIPFORGE_MAX_DURATION_MS", "43200000", 1, INT64_MAX, "longest input media, ms"),
    INT(max_pixels, "CLIPFORGE_MAX_PIXELS", "67108864", 256, INT64_MAX,
        "largest input picture, width x height (8192x8192: 8K, 360-degree and stereo 8K pass); "
        "also bounds what a decoder allocates for a frame"),
    INT(max_streams, "CLIPFORGE_MAX_STREAMS", "64", 1, 100000, "most streams an input media file may have"),
    INT(max_fps, "CLIPFORGE_MAX_FPS", "1000", 1, 1000000, "highest frame rate an input video may declare"),
    INT(max_frames, "CLIPFORGE_MAX_FRAMES", "50000000", 1, INT64_MAX,
        "most frames an input video may declare (or its duration x frame rate)"),
    INT(probe_bytes, "CLIPFORGE_PROBE_BYTES", "5000000", 32, INT64_MAX,
        "bytes of an input read to find its format and streams"),
    INT(probe_ms, "CLIPFORGE_PROBE_MS", "30000", 100, 3600000,
        "longest opening an input and reading its stream information may take (wall clock)"),
    INT(autoclip_transcribe_all, "CLIPFORGE_AUTOCLIP_TRANSCRIBE_ALL", "0", 0, 1,
        "1 = autoclip transcribes the whole input (a complete transcript), 0 = the shorts' stretches"),
    INT(threads, "CLIPFORGE_THREADS", "0", 0, 256, "codec threads per job (0 = auto)"),
    STR(feature_cache_dir, "CLIPFORGE_FEATURE_CACHE_DIR", "",
        "highlight feature cache (empty = <data dir>/features, off = none)"),
    STR(highlight_profiles_dir, "CLIPFORGE_HIGHLIGHT_PROFILES_DIR", "",
        "detection profile files (empty = profiles in the data files beside the binary)"),
    STR(highlight_models_dir, "CLIPFORGE_HIGHLIGHT_MODELS_DIR", "",
        "model registry: model files and registry.json (empty = models in the data files "
        "beside the binary)"),
    STR(template_dir, "CLIPFORGE_TEMPLATE_DIR", "",
        "render template files (empty = templates in the data files beside the binary)"),
    STR(web_dir, "CLIPFORGE_WEB_DIR", "",
        "the built web UI served at / (empty = web in the data files beside the binary)"),
    INT(lease_ms, "CLIPFORGE_LEASE_MS", "30000", 200, 86400000,
        "job lease in serve/worker; a job whose worker stops renewing it is requeued"),
    INT(max_attempts, "CLIPFORGE_MAX_ATTEMPTS", "3", 1, 100, "runs of a job before it fails"),
    INT(retry_base_ms, "CLIPFORGE_RETRY_BASE_MS", "1000", 0, 3600000,
        "backoff before the first retry (doubles each attempt)"),
    INT(noop_jobs, "CLIPFORGE_NOOP_JOBS", "0", 0, 1,
        "1 = accept jobs of kind noop, which do nothing (to measure the queue alone)"),
    INT(sse_heartbeat_ms, "CLIPFORGE_SSE_HEARTBEAT_MS", "15000", 100, 600000,
        "idle interval after which an event stream sends a heartbeat comment; a WebSocket event "
        "stream pings at this interval and drops a client that has not answered by the next"),
    INT(sse_batch_ms, "CLIPFORGE_SSE_BATCH_MS", "50", 0, 1000,
        "least time between two wakes of every event stream: events committed meanwhile go out "
        "together, one write per stream (an event after a quiet spell goes at once)"),
    INT(event_window, "CLIPFORGE_EVENT_WINDOW", "65536", 64, 16777216,
        "newest events kept in memory, each formatted once, for every event stream to read; "
        "a stream further behind reads older events from the store in runs shared with the "
        "streams near it"),
    INT(ws_max_frame_bytes, "CLIPFORGE_WS_MAX_FRAME_BYTES", "65536", 125, 16777216,
        "largest message a WebSocket client may send (a frame, or fragments together); more is "
        "closed with 1009"),
    INT(ws_max_buffer_bytes, "CLIPFORGE_WS_MAX_BUFFER_BYTES", "1048576", 4096, 1073741824,
        "unsent bytes a WebSocket event stream may hold for a client that does not read; past "
        "it the client is dropped. Also the kernel send buffer of each event stream's socket "
        "(WebSocket and SSE)"),
    INT(streams_nice, "CLIPFORGE_STREAMS_NICE", "5", 0, 19,
        "how much lower the thread that writes every event stream runs than the rest of the "
        "server (a nice increment): requests come before the streams' bulk writes; 0 = the same"),
    INT(http_threads, "CLIPFORGE_HTTP_THREADS", "0", 0, 256,
        "HTTP thread pool (0 = 4 per core for the API, one per core for the inference service)"),
    STR(cors_origins, "CLIPFORGE_CORS_ORIGINS", "",
        "origins a browser may call the API from (comma-separated, or *); empty = same origin only"),
    STR(auth, "CLIPFORGE_AUTH", "auto",
        "API keys: on | off | auto (on unless the API listens on a loopback address)"),
    STR(rate_limit, "CLIPFORGE_RATE_LIMIT", "",
        "requests per key and per client address, N/s or N/m (a token bucket of N); empty = no limit"),
    INT(quota_minutes, "CLIPFORGE_QUOTA_PROCESSING_MINUTES", "0", 0, INT64_MAX,
        "processing minutes a tenant's jobs may run per calendar month (UTC); 0 = no limit"),
    INT(quota_storage_bytes, "CLIPFORGE_QUOTA_STORAGE_BYTES", "0", 0, INT64_MAX,
        "bytes of uploaded media a tenant may keep; 0 = no limit"),
    INT(quota_concurrent_jobs, "CLIPFORGE_QUOTA_CONCURRENT_JOBS", "0", 0, 1000000,
        "jobs a tenant may have queued or running at once (children not counted); 0 = no limit"),
    STR(private_urls, "CLIPFORGE_PRIVATE_URLS", "refuse",
        "URLs clients give (render webhooks): refuse = public addresses only (no loopback, private,"
        " link-local or metadata endpoints, checked on the resolved address); allow = any"),
    STR(source_allow, "CLIPFORGE_SOURCE_ALLOW", "",
        "hosts media may be imported from by https:// URL (POST /v1/media/import), comma-separated: "
        "host, *.domain (its subdomains) or * (any); empty = no remote sources. Their addresses must "
        "be public, at every redirect"),
    INT(source_timeout_s, "CLIPFORGE_SOURCE_TIMEOUT_S", "300", 1, 86400,
        "longest an import by URL may take, redirects included"),
    STR(billing_webhook_url, "CLIPFORGE_BILLING_WEBHOOK_URL", "",
        "where usage records (one per finished job run) are POSTed, signed; empty = nowhere"),
    STR(billing_webhook_secret, "CLIPFORGE_BILLING_WEBHOOK_SECRET", "",
        "the key of the usage records' X-Clipforge-Signature (HMAC-SHA256)"),
    INT(quota_upload_bytes, "CLIPFORGE_QUOTA_UPLOAD_BYTES", "0", 0, INT64_MAX,
        "largest upload of a tenant; 0 = CLIPFORGE_MAX_UPLOAD_BYTES alone"),
    STR(metrics_listen, "CLIPFORGE_METRICS_LISTEN", "",
        "worker: HOST:PORT serving /metrics, /healthz, /readyz (empty = none)"),
    STR(public_url, "CLIPFORGE_PUBLIC_URL", "",
        "the API's base URL in signed URLs given to other services (empty = http://LISTEN)"),
    STR(ai_url, "CLIPFORGE_AI_URL", "",
        "inference services for detection jobs, comma-separated (empty = detect in process)"),
    INT(ai_timeout_ms, "CLIPFORGE_AI_TIMEOUT_MS", "3600000", 1000, 86400000,
        "longest a remote detection may take"),
    INT(ai_connect_timeout_ms, "CLIPFORGE_AI_CONNECT_TIMEOUT_MS", "2000", 10, 600000,
        "connecting to an inference service"),
    INT(ai_idle_timeout_ms, "CLIPFORGE_AI_IDLE_TIMEOUT_MS", "15000", 100, 3600000,
        "an inference service silent this long is taken for dead (it reports every second)"),
    INT(ai_retries, "CLIPFORGE_AI_RETRIES", "2", 0, 20, "further attempts after a remote failure"),
    INT(ai_retry_base_ms, "CLIPFORGE_AI_RETRY_BASE_MS", "200", 0, 600000,
        "first backoff before a remote retry (doubled each time, with jitter)"),
    INT(ai_breaker_failures, "CLIPFORGE_AI_BREAKER_FAILURES", "3", 1, 1000,
        "consecutive failures that open a service's circuit breaker"),
    INT(ai_breaker_cooldown_ms, "CLIPFORGE_AI_BREAKER_COOLDOWN_MS", "10000", 10, 3600000,
        "how long an open breaker waits before one trial request (half-open)"),
    STR(ai_listen, "CLIPFORGE_AI_LISTEN", "127.0.0.1:8090", "where `clipforge ai serve` listens"),
    INT(ai_max_inflight, "CLIPFORGE_AI_MAX_INFLIGHT", "0", 0, 1024,
        "detections `ai serve` runs at once; more are refused with 503 (0 = cores)"),
    STR(highlight_model_version, "CLIPFORGE_HIGHLIGHT_MODEL_VERSION", "",
        "the learned engine's model version when a request names none (empty = the newest)"),
    STR(audio_events_model_version, "CLIPFORGE_AUDIO_EVENTS_MODEL_VERSION", "",
        "the audio-events model version feature extraction uses (empty = the newest)"),
    STR(pocketsphinx_args, "CLIPFORGE_POCKETSPHINX_ARGS", "",
        "extra pocketsphinx decoder settings as \"-name value\" pairs, over the tuned ones"),
    STR(pocketsphinx_confidence, "CLIPFORGE_POCKETSPHINX_CONFIDENCE", "calibrated",
        "word confidences: calibrated, or posterior (the decoder's raw posterior, for refitting)"),
    STR(pocketsphinx_fold_db, "CLIPFORGE_POCKETSPHINX_FOLD_DB", "",
        "gain in dB of the high band folded into narrowband speech, off = none (empty = -20)"),
    STR(pocketsphinx_mllr, "CLIPFORGE_POCKETSPHINX_MLLR", "on",
        "on = adapt (MLLR) to each recording's words: its first two minutes decoded twice; off = "
        "one pass; needs sphinxtrain, sphinxbase-utils and pocketsphinx (without them, one pass)"),
    STR(sphinxtrain_dir, "CLIPFORGE_SPHINXTRAIN_DIR", "",
        "where sphinxtrain's bw and mllr_solve are, for CLIPFORGE_POCKETSPHINX_MLLR (empty = "
        "/usr/lib/sphinxtrain)"),
    STR(s3_access_key, "CLIPFORGE_S3_ACCESS_KEY", "",
        "s3 storage access key (empty = AWS_ACCESS_KEY_ID, with AWS_SECRET_ACCESS_KEY and "
        "AWS_SESSION_TOKEN)"),
    STR(s3_secret_key, "CLIPFORGE_S3_SECRET_KEY", "",
        "s3 storage secret key (empty = AWS_SECRET_ACCESS_KEY)"),
    STR(flags, "CLIPFORGE_FLAGS", "",
        "feature flags, comma-separated name=on|off|N% (N% = on for that share of tenants); "
        "admins override them at run time with PUT /v1/flags/{name}"),
#ifdef CF_TEST_HOOKS
    STR(test_fail_jobs, "CLIPFORGE_TEST_FAIL_JOBS", "",
        "test builds only: every run of a job whose stored request contains this text fails"),
    STR(test_slow_jobs, "CLIPFORGE_TEST_SLOW_JOBS", "",
        "test builds only: TEXT:MS, every run of a job whose idempotency key contains TEXT first "
        "waits MS milliseconds"),
    STR(autoclip_fail_renders, "CLIPFORGE_AUTOCLIP_FAIL_RENDERS", "",
        "test builds only: autoclip clips (1-based, comma-separated) whose every render fails"),
    STR(test_source_ca, "CLIPFORGE_TEST_SOURCE_CA", "",
        "test builds only: CA certificates the import by URL verifies servers with (empty = the system's)"),
    STR(test_source_pins, "CLIPFORGE_TEST_SOURCE_PINS", "",
        "test builds only: host:port:address,... an imported URL's host is resolved to; that address "
        "is then reachable for that host even when private"),
#endif
};

static const cfg_key *find_key(const char *name) {
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].name, name) == 0) return &keys[i];
    return NULL;
}

static cf_err set_value(cf_config *cfg, const cfg_key *k, const char *value, cf_error *err) {
    char *base = (char *)cfg + k->offset;
    if (k->type == CFG_STRING) {
        char *copy = strdup(value);
        if (!copy) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", k->name);
        free(*(char **)base);
        *(char **)base = copy;
        return CF_OK;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end != '\0')
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: '%s' is not an integer", k->name, value);
    if (v < k->min || v > k->max)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: %lld is out of range [%lld, %lld]", k->name, v,
                            (long long)k->min, (long long)k->max);
    *(int64_t *)base = (int64_t)v;
    return CF_OK;
}

cf_err cf_config_set(cf_config *cfg, const char *key, const char *value, cf_error *err) {
    const cfg_key *k = find_key(key);
    if (!k) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "unknown setting %s", key);
    return set_value(cfg, k, value, err);
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

static cf_err load_file(cf_config *cfg, const char *path, cf_error *err) {
    FILE *f = fopen(path, "r");
    if (!f) return cf_error_set(err, CF_ERR_NOT_FOUND, "config file %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    cf_err rc = CF_OK;
    while (rc == CF_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s:%d: expected KEY=VALUE", path, lineno);
            break;
        }
        *eq = '\0';
        rc = cf_config_set(cfg, trim(s), trim(eq + 1), err);
        if (rc) cf_error_prefix(err, "%s:%d", path, lineno);
    }
    free(line);
    fclose(f);
    return rc;
}

/* State never defaults to the current directory: the service manager's or the user's. */
static cf_err default_data_dir(cf_config *cfg, cf_error *err) {
    char *dir = cf_default_state_dir();
    if (!dir)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "CLIPFORGE_DATA_DIR: not set, and neither STATE_DIRECTORY, "
                            "XDG_STATE_HOME nor HOME to put the state under");
    free(cfg->data_dir);
    cfg->data_dir = dir;
    return CF_OK;
}

cf_err cf_config_load(cf_config *cfg, cf_error *err) {
    memset(cfg, 0, sizeof *cfg);
    cf_err rc = CF_OK;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && rc == CF_OK; i++)
        rc = set_value(cfg, &keys[i], keys[i].def, err);
    const char *file = getenv("CLIPFORGE_CONFIG_FILE");
    if (rc == CF_OK && file && *file) rc = load_file(cfg, file, err);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && rc == CF_OK; i++) {
        const char *v = getenv(keys[i].name);
        if (v) rc = set_value(cfg, &keys[i], v, err);
    }
    if (rc == CF_OK && !cfg->data_dir[0]) rc = default_data_dir(cfg, err);
    if (rc) cf_config_free(cfg);
    return rc;
}

void cf_config_free(cf_config *cfg) {
    if (!cfg) return;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (keys[i].type != CFG_STRING) continue;
        char **p = (char **)((char *)cfg + keys[i].offset);
        free(*p);
        *p = NULL;
    }
}

cf_err cf_config_keep(char **slot, const char *value, cf_error *err) {
    char *copy = value && *value ? strdup(value) : NULL;
    if (value && *value && !copy) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    free(*slot);
    *slot = copy;
    return CF_OK;
}

void cf_config_print_help(FILE *out) {
    fprintf(out, "  %-36s %s\n", "CLIPFORGE_CONFIG_FILE",
            "KEY=VALUE file of the settings below, read first (the environment wins)");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        fprintf(out, "  %-36s %s (default: %s)\n", keys[i].name, keys[i].help,
                keys[i].def[0] ? keys[i].def : "\"\"");
}

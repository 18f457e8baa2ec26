/* config.h — 12-factor settings: every key is a CLIPFORGE_* environment variable, optionally
 * preloaded from a KEY=VALUE file named by CLIPFORGE_CONFIG_FILE (the environment wins).
 * Keys are rows of one table in config.c (name, type, field, default, limits, help). */
#ifndef CLIPFORGE_CONFIG_H
#define CLIPFORGE_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "clipforge/error.h"

typedef struct cf_config {
    char *listen;                    /* CLIPFORGE_LISTEN host:port */
    char *data_dir;                  /* CLIPFORGE_DATA_DIR, else cf_default_state_dir() (never empty) */
    int64_t workers;                 /* CLIPFORGE_WORKERS, 0 = number of cores */
    char *store_url;                 /* CLIPFORGE_STORE_URL */
    char *bus_url;                   /* CLIPFORGE_BUS_URL */
    char *storage_url;               /* CLIPFORGE_STORAGE_URL */
    char *log_level;                 /* CLIPFORGE_LOG_LEVEL */
    char *signing_key;               /* CLIPFORGE_SIGNING_KEY, empty = generated per data dir */
    int64_t url_ttl_s;               /* CLIPFORGE_URL_TTL_S */
    int64_t max_upload_bytes;        /* CLIPFORGE_MAX_UPLOAD_BYTES */
    int64_t max_body_bytes;          /* CLIPFORGE_MAX_BODY_BYTES (JSON bodies) */
    int64_t max_url_bytes;           /* CLIPFORGE_MAX_URL_BYTES (request URL with its query) */
    int64_t max_header_bytes;        /* CLIPFORGE_MAX_HEADER_BYTES (request headers together) */
    int64_t max_json_depth;          /* CLIPFORGE_MAX_JSON_DEPTH */
    int64_t max_dimension;           /* CLIPFORGE_MAX_DIMENSION (pixels, width or height) */
    int64_t max_duration_ms;         /* CLIPFORGE_MAX_DURATION_MS (input media) */
    int64_t max_pixels;              /* CLIPFORGE_MAX_PIXELS (input picture width x height) */
    int64_t max_streams;             /* CLIPFORGE_MAX_STREAMS (input media) */
    int64_t max_fps;                 /* CLIPFORGE_MAX_FPS (declared input frame rate) */
    int64_t max_frames;              /* CLIPFORGE_MAX_FRAMES (declared input frame count) */
    int64_t probe_bytes;             /* CLIPFORGE_PROBE_BYTES (read to find format and streams) */
    int64_t probe_ms;                /* CLIPFORGE_PROBE_MS (wall clock to open an input) */
    int64_t autoclip_transcribe_all; /* CLIPFORGE_AUTOCLIP_TRANSCRIBE_ALL: 1 = whole input, 0 = shorts */
    int64_t threads;                 /* CLIPFORGE_THREADS: codec threads per job, 0 = auto */
    char *feature_cache_dir;         /* CLIPFORGE_FEATURE_CACHE_DIR, "" = <data dir>/features, off */
    char *highlight_profiles_dir;    /* CLIPFORGE_HIGHLIGHT_PROFILES_DIR, "" = cf_share_path("profiles") */
    char *highlight_models_dir;      /* CLIPFORGE_HIGHLIGHT_MODELS_DIR, "" = cf_share_path("models") */
    char *template_dir;       /* CLIPFORGE_TEMPLATE_DIR: render templates, "" = cf_share_path("templates") */
    char *web_dir;            /* CLIPFORGE_WEB_DIR: the built web UI, "" = cf_share_path("web") */
    int64_t lease_ms;         /* CLIPFORGE_LEASE_MS: job lease, renewed by heartbeats */
    int64_t max_attempts;     /* CLIPFORGE_MAX_ATTEMPTS: runs of a job before it fails */
    int64_t retry_base_ms;    /* CLIPFORGE_RETRY_BASE_MS: first retry backoff, doubled after */
    int64_t noop_jobs;        /* CLIPFORGE_NOOP_JOBS: 1 = accept the noop kind (benchmarks) */
    int64_t sse_heartbeat_ms; /* CLIPFORGE_SSE_HEARTBEAT_MS: idle SSE comment interval, WebSocket ping */
    int64_t event_window;     /* CLIPFORGE_EVENT_WINDOW: newest events kept for every stream */
    int64_t sse_batch_ms;     /* CLIPFORGE_SSE_BATCH_MS: least time between event-stream wakes */
    int64_t ws_max_frame_bytes;    /* CLIPFORGE_WS_MAX_FRAME_BYTES: largest client message */
    int64_t ws_max_buffer_bytes;   /* CLIPFORGE_WS_MAX_BUFFER_BYTES: unsent bytes before a drop */
    int64_t streams_nice;          /* CLIPFORGE_STREAMS_NICE: the stream hub's nice increment */
    int64_t http_threads;          /* CLIPFORGE_HTTP_THREADS: HTTP thread pool, 0 = default */
    char *cors_origins;            /* CLIPFORGE_CORS_ORIGINS: browser origins allowed, "" = none */
    char *auth;                    /* CLIPFORGE_AUTH: on | off | auto (on unless on loopback) */
    char *rate_limit;              /* CLIPFORGE_RATE_LIMIT: "N/s" or "N/m" per key and per address */
    int64_t quota_minutes;         /* CLIPFORGE_QUOTA_PROCESSING_MINUTES: per tenant and month, 0 = none */
    int64_t quota_storage_bytes;   /* CLIPFORGE_QUOTA_STORAGE_BYTES: media kept per tenant, 0 = none */
    int64_t quota_concurrent_jobs; /* CLIPFORGE_QUOTA_CONCURRENT_JOBS: queued + running, 0 = none */
    char *private_urls;        /* CLIPFORGE_PRIVATE_URLS: refuse | allow client URLs to private addresses */
    char *source_allow;        /* CLIPFORGE_SOURCE_ALLOW: hosts of imports by URL, "" = none */
    int64_t source_timeout_s;  /* CLIPFORGE_SOURCE_TIMEOUT_S: one import by URL at most */
    char *billing_webhook_url; /* CLIPFORGE_BILLING_WEBHOOK_URL: usage records go there, "" = nowhere */
    char *billing_webhook_secret;     /* CLIPFORGE_BILLING_WEBHOOK_SECRET: their HMAC-SHA256 key */
    int64_t quota_upload_bytes;       /* CLIPFORGE_QUOTA_UPLOAD_BYTES: one upload, 0 = the server's limit */
    char *metrics_listen;             /* CLIPFORGE_METRICS_LISTEN: worker's metrics endpoint, "" = none */
    char *public_url;                 /* CLIPFORGE_PUBLIC_URL: the API's base URL in signed URLs */
    char *ai_url;                     /* CLIPFORGE_AI_URL: inference services, comma-separated */
    int64_t ai_timeout_ms;            /* CLIPFORGE_AI_TIMEOUT_MS: one remote detection at most */
    int64_t ai_connect_timeout_ms;    /* CLIPFORGE_AI_CONNECT_TIMEOUT_MS */
    int64_t ai_idle_timeout_ms;       /* CLIPFORGE_AI_IDLE_TIMEOUT_MS: silence that means dead */
    int64_t ai_retries;               /* CLIPFORGE_AI_RETRIES: further attempts after a failure */
    int64_t ai_retry_base_ms;         /* CLIPFORGE_AI_RETRY_BASE_MS: first backoff, doubled, jittered */
    int64_t ai_breaker_failures;      /* CLIPFORGE_AI_BREAKER_FAILURES: failures that open it */
    int64_t ai_breaker_cooldown_ms;   /* CLIPFORGE_AI_BREAKER_COOLDOWN_MS: open before a trial */
    char *ai_listen;                  /* CLIPFORGE_AI_LISTEN: where `ai serve` listens */
    int64_t ai_max_inflight;          /* CLIPFORGE_AI_MAX_INFLIGHT: detections at once, 0 = cores */
    char *highlight_model_version;    /* CLIPFORGE_HIGHLIGHT_MODEL_VERSION, "" = newest in the registry */
    char *audio_events_model_version; /* CLIPFORGE_AUDIO_EVENTS_MODEL_VERSION, "" = newest */
    char *pocketsphinx_args;          /* CLIPFORGE_POCKETSPHINX_ARGS: extra "-name value" pairs */
    char *pocketsphinx_confidence;    /* CLIPFORGE_POCKETSPHINX_CONFIDENCE: calibrated or posterior */
    char *pocketsphinx_fold_db;       /* CLIPFORGE_POCKETSPHINX_FOLD_DB: dB, "off", "" = built-in */
    char *pocketsphinx_mllr;          /* CLIPFORGE_POCKETSPHINX_MLLR: on (default) = adapted pass */
    char *sphinxtrain_dir;            /* CLIPFORGE_SPHINXTRAIN_DIR: bw, mllr_solve, "" = Debian's */
    char *s3_access_key;              /* CLIPFORGE_S3_ACCESS_KEY, "" = AWS_ACCESS_KEY_ID */
    char *s3_secret_key;              /* CLIPFORGE_S3_SECRET_KEY, "" = AWS_SECRET_ACCESS_KEY */
    char *flags;                      /* CLIPFORGE_FLAGS: feature flags "name=on,other=25%" */
#ifdef CF_TEST_HOOKS                  /* test builds only (CMake option CF_TEST_HOOKS) */
    char *test_fail_jobs;             /* CLIPFORGE_TEST_FAIL_JOBS: jobs whose request contains it fail */
    char *test_slow_jobs;             /* CLIPFORGE_TEST_SLOW_JOBS: "TEXT:MS": such jobs wait MS first */
    char *autoclip_fail_renders;      /* CLIPFORGE_AUTOCLIP_FAIL_RENDERS: "1,2": clips whose renders fail */
    char *test_source_ca;             /* CLIPFORGE_TEST_SOURCE_CA: CA file for imports by URL */
    char *test_source_pins;           /* CLIPFORGE_TEST_SOURCE_PINS: host:port:address,... */
#endif
} cf_config;

/* Fills cfg from defaults, then the file, then the environment. Strings are owned by cfg.
 * Returns CF_ERR_INVALID_ARGUMENT naming the key on a malformed or out-of-range value. */
cf_err cf_config_load(cf_config *cfg, cf_error *err);
/* Sets one key by its full name ("CLIPFORGE_WORKERS") from text, validating it. */
cf_err cf_config_set(cf_config *cfg, const char *key, const char *value, cf_error *err);
/* Frees the strings of cfg (not cfg itself). NULL-safe. */
void cf_config_free(cf_config *cfg);
/* Replaces *slot (freed) with a malloc'd copy of value, or NULL when value is NULL or "": how a
 * package keeps a setting the app gave it. CF_ERR_NO_MEMORY leaves *slot as it was. */
cf_err cf_config_keep(char **slot, const char *value, cf_error *err);
/* Writes "  KEY  (default ...)  help" lines for every key, for --help output. */
void cf_config_print_help(FILE *out);

#endif

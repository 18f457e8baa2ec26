/* job_kinds.c — the kinds table and what kinds share: source resolution and output storage. */
#include "jobs/job_kinds.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "application/auth.h"
#include "application/pipelines.h"
#include "clipforge/uri.h"

/* The kinds of the pipelines module: validated and run there (the module is loaded by the first
 * of them), each through a pair of stubs that find its row in the module's table. */
static const cf_job_handler *in_module(const char *kind, cf_error *err) {
    const cf_pipelines *pl = cf_pipelines_get(err);
    const cf_job_handler *h = pl ? pl->job_handler(kind) : NULL;
    if (pl && !h) cf_error_set(err, CF_ERR_UNSUPPORTED, "kind '%s' is not in the pipelines module", kind);
    return h;
}

#define MODULE_KIND(fn, kind)                                                                                \
    static cf_err fn##_validate(const json_t *request, const cf_config *cfg, json_t **normalized,            \
                                cf_error *err) {                                                             \
        const cf_job_handler *h = in_module(kind, err);                                                      \
        return h ? h->validate(request, cfg, normalized, err) : err->code;                                   \
    }                                                                                                        \
    static cf_err fn##_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err) {     \
        const cf_job_handler *h = in_module(kind, err);                                                      \
        return h ? h->run(ctx, request, result, err) : err->code;                                            \
    }
MODULE_KIND(clip, "clip_processing")
MODULE_KIND(highlight, "highlight_detection")
MODULE_KIND(render, "render")
MODULE_KIND(autoclip, "autoclip")
#ifdef CF_HAVE_TRANSCRIBE
MODULE_KIND(transcription, "transcription")
#define TRANSCRIPTION transcription_validate, transcription_run
#else
#define TRANSCRIPTION NULL, NULL
#endif

/* noop: nothing to do, so that a benchmark measures the queue alone (lease, start, finish and
 * their events); optionally it walks through named stages, each for some milliseconds, so that
 * tests can watch what the runner makes of a job's progress. Refused unless the server enables
 * it: on a real server it would only be a way to fill the queue. */
#define NOOP_STAGES_MAX 16
#define NOOP_STAGE_MS_MAX 10000

static bool noop_enabled(const cf_config *cfg) {
    return cfg->noop_jobs != 0;
}

static cf_err noop_stage_valid(const json_t *st, size_t i, cf_error *err) {
    const char *name = json_string_value(json_object_get(st, "name"));
    const json_t *ms = json_object_get(st, "ms");
    if (!name || !*name || strlen(name) > 40)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "stages[%zu].name: a string of 1 to 40 characters",
                            i);
    if (!json_is_integer(ms) || json_integer_value(ms) < 0 || json_integer_value(ms) > NOOP_STAGE_MS_MAX)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "stages[%zu].ms: an integer from 0 to %d", i,
                            NOOP_STAGE_MS_MAX);
    return CF_OK;
}

static cf_err noop_validate(const json_t *request, const cf_config *cfg, json_t **normalized, cf_error *err) {
    if (!json_is_object(request))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "request: must be an object");
    const json_t *stages = json_object_get(request, "stages");
    if (stages && (!json_is_array(stages) || json_array_size(stages) > NOOP_STAGES_MAX))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "stages: an array of at most %d stages",
                            NOOP_STAGES_MAX);
    for (size_t i = 0; stages && i < json_array_size(stages); i++) {
        cf_err rc = noop_stage_valid(json_array_get(stages, i), i, err);
        if (rc) return rc;
    }
    *normalized = stages ? json_pack("{sO}", "stages", stages) : json_object();
    return *normalized ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* Spends ms in a stage, looking at the cancel flag every 10 ms. */
static cf_err noop_wait(cf_progress *progress, json_int_t ms, cf_error *err) {
    for (json_int_t left = ms; left > 0; left -= 10) {
        if (cf_progress_cancelled(progress)) return cf_error_set(err, CF_ERR_CANCELLED, "cancelled");
        struct timespec ts = {0, (long)(left < 10 ? left : 10) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return CF_OK;
}

static cf_err noop_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err) {
    const json_t *stages = json_object_get(request, "stages");
    size_t n = json_array_size(stages);
    for (size_t i = 0; i < n; i++) {
        const json_t *st = json_array_get(stages, i);
        cf_progress_report(ctx->progress, (double)i / (double)n,
                           json_string_value(json_object_get(st, "name")));
        cf_err rc = noop_wait(ctx->progress, json_integer_value(json_object_get(st, "ms")), err);
        if (rc) return rc;
    }
    *result = json_object();
    return *result ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

static const cf_job_handler kinds[] = {
    {"clip_processing", clip_validate, clip_run, false, NULL, false},
    {"highlight_detection", highlight_validate, highlight_run, false, NULL, false},
    {"transcription", TRANSCRIPTION, false, NULL, false},
    {"render", render_validate, render_run, false, NULL, false},
    {"autoclip", autoclip_validate, autoclip_run, true, NULL, false},
    {"noop", noop_validate, noop_run, false, noop_enabled, true},
};

const cf_job_handler *cf_job_handler_find(const char *name) {
    for (size_t i = 0; name && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, name)) return &kinds[i];
    return NULL;
}

const cf_job_handler *cf_job_handlers(size_t *n) {
    *n = sizeof kinds / sizeof kinds[0];
    return kinds;
}

const char *cf_job_handler_names(void) {
    return "clip_processing, highlight_detection, transcription, render, autoclip (noop when enabled)";
}

cf_err cf_job_require_media(const char *field, const char *uri, cf_error *err) {
    if (cf_uri_rest(uri, "media")) return CF_OK;
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: must be media://<id> (upload with POST /v1/media)",
                        field);
}

cf_err cf_job_require_transcript(const char *field, const char *uri, cf_error *err) {
    if (cf_uri_rest(uri, "storage")) return CF_OK;
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                        "%s: must be storage://<key> (upload with POST /v1/transcripts, or a job's "
                        "transcript.json or captions)",
                        field);
}

/* Records that uri was resolved to path, for cf_job_name_sources. */
static cf_err remember_source(cf_job_context *ctx, const char *uri, const char *path, cf_error *err) {
    char **grown = realloc(ctx->sources, (ctx->n_sources + 2) * sizeof *grown);
    if (!grown) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    ctx->sources = grown;
    if (!(grown[ctx->n_sources] = strdup(uri)) || !(grown[ctx->n_sources + 1] = strdup(path))) {
        free(grown[ctx->n_sources]);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    ctx->n_sources += 2;
    return CF_OK;
}

/* Resolves uri without recording it. */
static cf_err resolve_source(cf_job_context *ctx, const char *uri, char **path, cf_error *err) {
    if (!uri) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "source_uri: missing");
    const char *id = cf_uri_rest(uri, "media"), *key = cf_uri_rest(uri, "storage");
    if (id) {
        cf_media_record m;
        cf_err rc = cf_owned_media(ctx->store, ctx->tenant, id, &m, err);
        if (rc == CF_OK) rc = cf_storage_local_path(ctx->storage, m.key, path, err);
        cf_media_record_free(&m);
        if (rc == CF_ERR_NOT_FOUND)
            cf_error_set(err, CF_ERR_INVALID_MEDIA, "source_uri: media %s does not exist", uri);
        return rc == CF_ERR_NOT_FOUND ? CF_ERR_INVALID_MEDIA : rc;
    }
    if (key && !cf_tenant_key_allowed(ctx->store, ctx->tenant, key))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "source_uri: %s is not this job's to read (another job's outputs, or outside"
                            " the tenant's storage)",
                            uri);
    if (key) return cf_storage_local_path(ctx->storage, key, path, err);
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                        "source_uri: '%s' must be media://<id> (upload with POST /v1/media)", uri);
}

cf_err cf_job_resolve_source(cf_job_context *ctx, const char *uri, char **path, cf_error *err) {
    cf_err rc = resolve_source(ctx, uri, path, err);
    if (rc == CF_OK && (rc = remember_source(ctx, uri, *path, err))) free(*path), *path = NULL;
    return rc;
}

/* text with every occurrence of path replaced by uri: a new string, or NULL when there is none
 * (or memory ran out: then it stays as it was). */
static char *replace_all(const char *text, const char *path, const char *uri) {
    size_t lp = strlen(path), lu = strlen(uri), n = 0;
    for (const char *p = lp ? strstr(text, path) : NULL; p; p = strstr(p + lp, path)) n++;
    char *out = n ? malloc(strlen(text) + n * lu + 1) : NULL, *o = out;
    if (!out) return NULL;
    const char *p = text;
    for (const char *q; (q = strstr(p, path)); p = q + lp) {
        memcpy(o, p, (size_t)(q - p)), o += q - p;
        memcpy(o, uri, lu), o += lu;
    }
    strcpy(o, p);
    return out;
}

/* text with every recorded path in it named by its URI; NULL when it names none. */
static char *named(const cf_job_context *ctx, const char *text) {
    char *out = NULL;
    for (size_t i = 0; i + 1 < ctx->n_sources; i += 2) {
        char *next = replace_all(out ? out : text, ctx->sources[i + 1], ctx->sources[i]);
        if (next) free(out), out = next;
    }
    return out;
}

static void name_in_json(const cf_job_context *ctx, json_t *v) {
    if (json_is_string(v)) {
        char *text = named(ctx, json_string_value(v));
        if (text) json_string_set(v, text);
        free(text);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) name_in_json(ctx, json_array_get(v, i));
    } else if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) name_in_json(ctx, m);
    }
}

void cf_job_name_sources(const cf_job_context *ctx, json_t *result, cf_error *err) {
    if (!ctx->n_sources) return;
    if (result) name_in_json(ctx, result);
    char *msg = err && err->code ? named(ctx, err->msg) : NULL;
    if (msg) snprintf(err->msg, sizeof err->msg, "%s", msg);
    free(msg);
}

void cf_job_context_free_sources(cf_job_context *ctx) {
    for (size_t i = 0; i < ctx->n_sources; i++) free(ctx->sources[i]);
    free(ctx->sources);
    ctx->sources = NULL, ctx->n_sources = 0;
}

cf_err cf_job_store_output(cf_job_context *ctx, const char *src, const char *name, char **uri,
                           cf_error *err) {
    size_t n = strlen(ctx->output_prefix) + strlen(name) + 2;
    char *key = malloc(n);
    char **grown = realloc(ctx->output_keys, (ctx->n_output_keys + 1) * sizeof *grown);
    if (grown) ctx->output_keys = grown;
    if (!key || !grown) {
        free(key);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    snprintf(key, n, "%s/%s", ctx->output_prefix, name);
    cf_err rc = cf_storage_put_file(ctx->storage, key, src, err);
    if (rc) {
        free(key);
        return rc;
    }
    ctx->output_keys[ctx->n_output_keys++] = key;
    size_t un = strlen(key) + 11;
    *uri = malloc(un);
    if (!*uri) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    snprintf(*uri, un, "storage://%s", key);
    return CF_OK;
}

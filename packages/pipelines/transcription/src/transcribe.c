/* transcribe.c — the transcriber registry and the transcription run: audio -> chunks at pauses
 * -> recognisers on worker threads (one per thread, chunks taken from a shared counter) ->
 * transcript; for a backend that adapts to the recording, a second pass with the adaptation it
 * made from a first pass over the recording's start (ADAPT_FROM_MS). The calling thread only
 * waits, reports progress and watches for cancellation, so the progress callback is never called
 * from two threads. */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"
#include "load_audio.h"
#include "vad.h"
#include "clipforge/fs.h"
#include "clipforge/log.h"
#include "clipforge/uri.h"

#define MAX_TRANSCRIBERS 16
/* The first pass of an adapting backend covers the chunks that start in this much of the
 * recording (cf_transcribe_options.adapt_from_ms), so a long video is decoded once plus its first
 * two minutes. On the development speech reels of apps/ai/experiments/speech (147 and 181 s)
 * adapting from their first two minutes made 296 errors, from all of their words 303. */
#define ADAPT_FROM_MS 120000

/* The registry: one lock, held only while the table is read or changed. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static const cf_transcriber *registry[MAX_TRANSCRIBERS] = {&cf__pocketsphinx_transcriber};
static size_t n_registered = 1;

cf_err cf_transcriber_register(const cf_transcriber *t, cf_error *err) {
    if (!t || !t->name || !t->open || !t->decode || !t->close)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "transcriber: incomplete table");
    if (t->version > CF_TRANSCRIBER_VERSION || t->version < 1)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "transcriber %s: table version %d unknown", t->name,
                            t->version);
    cf_err e = CF_OK;
    pthread_mutex_lock(&registry_lock);
    size_t i = 0;
    while (i < n_registered && strcmp(registry[i]->name, t->name)) i++;
    if (i < n_registered) registry[i] = t;
    else if (n_registered < MAX_TRANSCRIBERS) registry[n_registered++] = t;
    else e = cf_error_set(err, CF_ERR_TOO_LARGE, "transcriber registry is full");
    pthread_mutex_unlock(&registry_lock);
    return e;
}

const cf_transcriber *cf_transcriber_find(const char *name) {
    const cf_transcriber *t = NULL;
    pthread_mutex_lock(&registry_lock);
    if (!name || !*name) t = registry[0]; /* the default: the first registered, NULL when none is */
    else
        for (size_t i = 0; !t && i < n_registered; i++)
            if (!strcmp(registry[i]->name, name)) t = registry[i];
    pthread_mutex_unlock(&registry_lock);
    return t;
}

void cf_transcriber_list(char *buf, size_t size) {
    if (!size) return;
    buf[0] = '\0';
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0, at = 0; i < n_registered && at < size; i++) {
        assert(registry[i]); /* cf_transcriber_register takes only complete tables */
        int w = snprintf(buf + at, size - at, "%s%s", i ? "," : "", registry[i]->name);
        if (w < 0) break;
        at += (size_t)w;
    }
    pthread_mutex_unlock(&registry_lock);
}

/* Shared by the workers of one run. */
typedef struct run_state {
    const cf_transcriber *t;
    cf_transcriber_config cfg;
    const int16_t *pcm;
    const cf__vad_chunk *chunks;
    size_t n_chunks;
    size_t n_todo;                   /* this pass decodes chunks [next, n_todo) */
    cf_transcript_segment *segments; /* one per chunk, each written by the worker that took it */
    atomic_size_t next;
    atomic_size_t samples_done;
    atomic_int workers_left;
    atomic_bool stop;
    cf_progress *progress;    /* the pass running: a part of the caller's */
    pthread_mutex_t err_lock; /* guards first_err */
    cf_error first_err;
} run_state;

static void fail_run(run_state *s, const cf_error *e) {
    pthread_mutex_lock(&s->err_lock);
    if (s->first_err.code == CF_OK) s->first_err = *e;
    pthread_mutex_unlock(&s->err_lock);
    atomic_store(&s->stop, true);
}

static cf_err decode_chunk(run_state *s, void *rec, size_t i, cf_error *err) {
    const cf__vad_chunk *c = &s->chunks[i];
    cf_transcript_segment *seg = &s->segments[i];
    cf_err e = s->t->decode(rec, s->pcm + c->start, c->end - c->start, seg, err);
    if (e) return e;
    int64_t offset = (int64_t)(c->start / (CF_STT_SAMPLE_RATE / 1000));
    for (size_t w = 0; w < seg->n_words; w++) {
        seg->words[w].start_ms += offset;
        seg->words[w].end_ms += offset;
    }
    seg->start_ms = seg->n_words ? seg->words[0].start_ms : offset;
    seg->end_ms = seg->n_words ? seg->words[seg->n_words - 1].end_ms : offset;
    return cf_transcript_segment_join_text(seg, err);
}

static void *worker(void *arg) {
    run_state *s = arg;
    void *rec = NULL;
    cf_error err = {0};
    if (s->t->open(&s->cfg, &rec, &err) != CF_OK) fail_run(s, &err);
    while (rec && !atomic_load(&s->stop)) {
        if (cf_progress_cancelled(s->progress)) break;
        size_t i = atomic_fetch_add(&s->next, 1);
        if (i >= s->n_todo) break;
        cf_err e = decode_chunk(s, rec, i, &err);
        if (e == CF_ERR_CANCELLED) break; /* run_chunks reports it */
        if (e != CF_OK) {
            cf_error_prefix(&err, "chunk at %.1f s", s->chunks[i].start / (double)CF_STT_SAMPLE_RATE);
            fail_run(s, &err);
            break;
        }
        atomic_fetch_add(&s->samples_done, s->chunks[i].end - s->chunks[i].start);
    }
    s->t->close(rec);
    atomic_fetch_sub(&s->workers_left, 1);
    return NULL;
}

static void wait_workers(run_state *s, size_t total) {
    const struct timespec tick = {0, 50 * 1000 * 1000};
    while (atomic_load(&s->workers_left) > 0) {
        nanosleep(&tick, NULL);
        if (cf_progress_cancelled(s->progress)) atomic_store(&s->stop, true);
        size_t done = atomic_load(&s->samples_done);
        cf_progress_report(s->progress, total ? (double)done / (double)total : 1.0, "recognising");
    }
}

static int thread_count(int wanted, size_t n_chunks) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int t = wanted > 0 ? wanted : (cores > 0 ? (int)cores : 1);
    if (t > 64) t = 64;
    if ((size_t)t > n_chunks) t = (int)n_chunks;
    return t;
}

static size_t samples_of(const run_state *s, size_t from, size_t to) {
    size_t total = 0;
    for (size_t i = from; i < to; i++) total += s->chunks[i].end - s->chunks[i].start;
    return total;
}

/* Runs the workers over chunks [next, n_todo); segments[i] is filled for each chunk decoded. */
static cf_err run_chunks(run_state *s, int threads, cf_error *err) {
    pthread_t tid[64];
    int started = 0;
    size_t total = samples_of(s, atomic_load(&s->next), s->n_todo);
    atomic_store(&s->samples_done, 0);
    atomic_store(&s->workers_left, threads);
    for (; started < threads; started++)
        if (pthread_create(&tid[started], NULL, worker, s) != 0) break;
    if (started < threads) {
        atomic_fetch_sub(&s->workers_left, threads - started);
        if (started == 0) return cf_error_set(err, CF_ERR_INTERNAL, "transcription: cannot start threads");
    }
    wait_workers(s, total);
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
    if (s->first_err.code != CF_OK) {
        *err = s->first_err;
        return err->code;
    }
    if (cf_progress_cancelled(s->progress))
        return cf_error_set(err, CF_ERR_CANCELLED, "transcription cancelled");
    return CF_OK;
}

/* How many chunks the first pass of an adapting backend decodes: those that start in the first
 * window_ms of the recording (at least one). */
static size_t first_pass_chunks(const cf__vad_chunk *chunks, size_t n_chunks, int64_t window_ms) {
    size_t window = (size_t)(window_ms > 0 ? window_ms : ADAPT_FROM_MS) * (CF_STT_SAMPLE_RATE / 1000);
    size_t k = 1;
    while (k < n_chunks && chunks[k].start < window) k++;
    return k;
}

/* The second pass: every chunk decoded with the adaptation the backend makes from the first
 * pass's n_first chunks. When it cannot make one, the first pass's words stand and the chunks
 * after them are decoded unadapted. */
static cf_err adapted_pass(run_state *s, size_t n, size_t n_first, int threads, cf_progress *second,
                           cf_error *err) {
    char *dir = NULL, path[4096];
    cf_error aerr = {0};
    cf_err e = cf_make_temp_dir(NULL, "cf-adapt-", &dir, &aerr);
    if (!e) {
        cf_progress_report(second, 0.0, "adapting");
        e = s->t->adapt(&s->cfg, s->pcm, n, s->segments, n_first, dir, path, sizeof path, &aerr);
    }
    s->n_todo = s->n_chunks;
    s->progress = second;
    if (e == CF_ERR_CANCELLED || (e && cf_progress_cancelled(second))) {
        if (dir) cf_remove_tree(dir, &aerr);
        free(dir);
        return cf_error_set(err, CF_ERR_CANCELLED, "transcription cancelled");
    }
    if (e) {
        cf_log_warn("transcribe", "%s: no adapted pass (%s); the first pass stands", s->t->name, aerr.msg);
        if (dir) cf_remove_tree(dir, &aerr);
        free(dir);
        atomic_store(&s->next, n_first);
        return n_first < s->n_chunks ? run_chunks(s, threads, err) : CF_OK;
    }
    cf_log_info("transcribe", "%s: adapted from the first %zu of %zu chunks", s->t->name, n_first,
                s->n_chunks);
    for (size_t i = 0; i < n_first; i++) {
        cf_transcript_segment_free(&s->segments[i]);
        memset(&s->segments[i], 0, sizeof s->segments[i]);
    }
    atomic_store(&s->next, 0);
    s->cfg.adaptation = path;
    e = run_chunks(s, threads, err);
    s->cfg.adaptation = NULL;
    cf_remove_tree(dir, &aerr);
    free(dir);
    return e;
}

/* Moves the non-empty segments into out. */
static cf_err gather(run_state *s, cf_transcript *out, cf_error *err) {
    size_t n = 0;
    for (size_t i = 0; i < s->n_chunks; i++) n += s->segments[i].n_words > 0;
    if (n && !(out->segments = calloc(n, sizeof *out->segments)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "transcription: out of memory");
    for (size_t i = 0; i < s->n_chunks; i++) {
        if (s->segments[i].n_words == 0) continue;
        out->segments[out->n_segments++] = s->segments[i];
        memset(&s->segments[i], 0, sizeof s->segments[i]);
    }
    return CF_OK;
}

static cf_err set_header(cf_transcript *out, const cf_transcriber *t, const char *language, size_t n,
                         cf_error *err) {
    size_t len = strlen(t->name) + strlen(t->model_version ? t->model_version : "") + 2;
    out->language = strdup(language);
    out->model = malloc(len);
    if (!out->language || !out->model)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "transcription: out of memory");
    snprintf(out->model, len, "%s/%s", t->name, t->model_version ? t->model_version : "");
    out->duration_ms = (int64_t)(n / (CF_STT_SAMPLE_RATE / 1000));
    return CF_OK;
}

static cf_err pick_backend(const cf_transcribe_options *o, const char *language, const cf_transcriber **t,
                           cf_error *err) {
    char names[256];
    *t = cf_transcriber_find(o ? o->engine : NULL);
    if (!*t) {
        cf_transcriber_list(names, sizeof names);
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "unknown transcription engine '%s' (have: %s)",
                            o->engine, names);
    }
    if ((*t)->supports_language && !(*t)->supports_language(language))
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "engine %s does not support language '%s'", (*t)->name,
                            language);
    return CF_OK;
}

/* Keeps, in order, the chunks that overlap one of o's ranges (all of them when o names none). */
static size_t keep_in_ranges(cf__vad_chunk *chunks, size_t n, const cf_transcribe_options *o) {
    if (!o || !o->ranges) return n;
    const size_t per_ms = CF_STT_SAMPLE_RATE / 1000;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t from = (int64_t)(chunks[i].start / per_ms),
                to = (int64_t)((chunks[i].end + per_ms - 1) / per_ms);
        bool hit = false;
        for (size_t k = 0; k < o->n_ranges && !hit; k++)
            hit = o->ranges[k].start_ms < to && from < o->ranges[k].end_ms;
        if (hit) chunks[kept++] = chunks[i];
    }
    return kept;
}

cf_err cf_transcribe_pcm(const int16_t *pcm, size_t n, const cf_transcribe_options *opts,
                         cf_progress *progress, cf_transcript *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    const char *language = opts && opts->language ? opts->language : "en-us";
    const cf_transcriber *t = NULL;
    cf_err e = pick_backend(opts, language, &t, err);
    if (e) return e;
    cf__vad_options vo = {.max_chunk_ms = opts ? opts->max_chunk_ms : 0,
                          .item_ms = opts && opts->item_ms > 0 ? opts->item_ms : -1};
    run_state s = {.t = t, .pcm = pcm, .progress = progress};
    s.cfg = (cf_transcriber_config){language, opts ? opts->model_dir : NULL, NULL, progress};
    cf__vad_chunk *chunks = NULL;
    if ((e = cf__vad_split(pcm, n, CF_STT_SAMPLE_RATE, &vo, &chunks, &s.n_chunks, err))) return e;
    s.n_chunks = keep_in_ranges(chunks, s.n_chunks, opts);
    s.chunks = chunks;
    pthread_mutex_init(&s.err_lock, NULL);
    if (s.n_chunks && !(s.segments = calloc(s.n_chunks, sizeof *s.segments)))
        e = cf_error_set(err, CF_ERR_NO_MEMORY, "transcription: out of memory");
    int threads = thread_count(opts ? opts->threads : 0, s.n_chunks);
    /* adapt_from_ms < 0: one pass (autoclip: its transcription is on its critical path) */
    bool one_pass = opts && opts->adapt_from_ms < 0;
    bool adapt = t->version >= 2 && t->adapts && t->adapt && s.n_chunks && !one_pass && t->adapts(&s.cfg);
    s.n_todo = adapt ? first_pass_chunks(chunks, s.n_chunks, opts ? opts->adapt_from_ms : 0) : s.n_chunks;
    /* progress: the two passes share it by the audio each decodes */
    double once = (double)samples_of(&s, 0, s.n_todo), all = (double)samples_of(&s, 0, s.n_chunks);
    const double mid = adapt && all > 0 ? once / (once + all) : 1.0;
    cf_progress first, second;
    cf_progress_part(&first, progress, 0, mid);
    cf_progress_part(&second, progress, mid, 1);
    s.progress = &first;
    if (!e && s.n_chunks) e = run_chunks(&s, threads, err);
    if (!e && adapt) e = adapted_pass(&s, n, s.n_todo, threads, &second, err);
    s.progress = progress;
    if (!e) e = gather(&s, out, err);
    if (!e) e = set_header(out, t, language, n, err);
    for (size_t i = 0; i < s.n_chunks && s.segments; i++) cf_transcript_segment_free(&s.segments[i]);
    free(s.segments);
    free(chunks);
    pthread_mutex_destroy(&s.err_lock);
    if (e) cf_transcript_free(out);
    else cf_progress_report(progress, 1.0, "recognising");
    return e;
}

cf_err cf_transcribe_file(const char *path, const cf_transcribe_options *opts, cf_progress *progress,
                          cf_transcript *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    const cf_transcriber *t = NULL;
    cf_err e = pick_backend(opts, opts && opts->language ? opts->language : "en-us", &t, err);
    if (e) return e;
    int16_t *pcm = NULL;
    size_t n = 0;
    /* Decoding audio is fast next to recognition: it gets the first 10% of the bar. */
    cf_progress load, rec;
    cf_progress_part(&load, progress, 0.0, 0.1);
    cf_progress_part(&rec, progress, 0.1, 1.0);
    e = cf__stt_load_audio(path, opts ? &opts->select : NULL, opts ? opts->max_duration_ms : 0, &load, &pcm,
                           &n, err);
    if (!e) e = cf_transcribe_pcm(pcm, n, opts, &rec, out, err);
    free(pcm);
    return e;
}

/* Splits "name/version" into the engine name (copied into buf) and the version (or NULL). */
static const char *split_model(const char *model, char *buf, size_t size) {
    const char *slash = strchr(model, '/');
    size_t n = slash ? (size_t)(slash - model) : strlen(model);
    if (n >= size) n = size - 1;
    memcpy(buf, model, n);
    buf[n] = '\0';
    return slash ? slash + 1 : NULL;
}

cf_err cf_transcribe_request(const cf_transcription_request *req, const cf_transcribe_options *opts,
                             cf_progress *progress, cf_transcript *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (!req || !req->media_uri || !*req->media_uri)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_uri: is required");
    cf_transcribe_options o = opts ? *opts : (cf_transcribe_options){0};
    char engine[128] = "";
    const char *version = req->model ? split_model(req->model, engine, sizeof engine) : NULL;
    o.engine = engine;
    o.language = req->language;
    if (req->has_audio_stream) {
        o.select.has_audio_stream = true;
        o.select.audio_stream = (int)req->audio_stream;
    }
    const cf_transcriber *t = cf_transcriber_find(engine);
    if (t && version && (!t->model_version || strcmp(version, t->model_version)))
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "model: %s has version %s, not %s", t->name,
                            t->model_version ? t->model_version : "(none)", version);
    const char *path = req->media_uri;
    if (!cf_uri_rest(path, "file") && strstr(path, "://"))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "media_uri: only local paths and file:// URIs can be read here");
    return cf_transcribe_file(cf_uri_local_path(path), &o, progress, out, err);
}

/* autoclip_service.c — AutoclipService: the stages of one autoclip run, their threads, progress,
 * cancellation, retries and the result (manifest). Each stage runs in its own thread while the
 * calling thread relays a cancel from the caller's cf_progress to the stage's own, so every
 * pipeline stops at its next cancellation check. Settings come through cf_autoclip_options (the
 * CLI and the job kind fill them from CLIPFORGE_THREADS, CLIPFORGE_FEATURE_CACHE_DIR, ...). */
#include "application/autoclip_service.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "application/autoclip_cut.h"
#include "application/autoclip_title.h"
#include "clipforge/clock.h"
#include "clipforge/domain/notes.h"
#include "clipforge/fs.h"
#include "clipforge/json.h"
#include "clipforge/log.h"
#include "clipforge/metrics.h"
#include "clipforge/render.h"
#include "clipforge/trace.h"
#include "clipforge/transcribe.h" /* its types: the functions are called only with CF_HAVE_TRANSCRIBE */
#include "clipforge/subtitles.h"  /* the same */
#ifdef CF_HAVE_TRANSCRIBE
#include "clipforge/uri.h"
#endif

#define CANCEL_POLL_NS (20 * 1000 * 1000)
#define MAX_CLIPS 20
/* Words transcribed this far around each short's span: detection moves an edge by at most its
 * snap distance (2.5 s by default), and sentence edges need the words just outside. */
#define CONTEXT_MS 10000

enum { ST_TRANSCRIBE, ST_FEATURES, ST_DETECT, ST_RENDER0 };

static bool retryable(cf_err rc);

typedef struct run run;

typedef struct slot {
    run *run;
    int index;
    char name[24];
    double weight, fraction;
    cf_autoclip_stage_state state;
    int64_t started_ms, elapsed_ms;
    char note[512];
    cf_progress progress;
    cf_err (*fn)(struct slot *s);
    pthread_t thread;
    bool threaded;
    bool ended; /* elapsed_ms holds the stage's own end (guarded by run lock) */
    atomic_bool finished;
    cf_err rc;
    cf_error err;
    cf_trace_ctx trace; /* the caller's context when the stage started: its span's parent */
} slot;

struct run {
    const cf_autoclip_request *req;
    const cf_autoclip_options *opts;
    cf_progress *parent;
    pthread_mutex_t lock; /* guards the slots' progress fields and the callbacks */
    slot slots[CF_AUTOCLIP_MAX_STAGES];
    int n_slots, deliver_slot;
    int64_t t0;
    const char *path;
    cf_feature_track *track;
    cf_transcript transcript;
    bool have_transcript;
    char *transcript_path;
    bool transcribe;                     /* captions asked for and a transcriber built in */
    cf_subtitle_stream subs;             /* the media's text subtitles, when read (index >= 0) */
    bool from_subtitles;                 /* the transcript is theirs */
    bool from_file;                      /* the transcript is the request's (transcript_uri) */
    const char *transcript_read_as;      /* its text's encoding when not UTF-8 (static), else NULL */
    cf_time_range ranges[2 * MAX_CLIPS]; /* what transcription covers (none: all) */
    size_t n_ranges;
    cf_highlight_detection_result detection;
    size_t n_confident;  /* the first spans of detection scored over the threshold */
    size_t n_candidates; /* ... then candidates under it; the rest are even slices */
    double threshold;    /* the least score of a confident span */
    cf_render_result renders[MAX_CLIPS];
    cf_autoclip_result *out;
};

bool cf_autoclip_can_transcribe(void) {
#ifdef CF_HAVE_TRANSCRIBE
    return true;
#else
    return false;
#endif
}

/* ---- progress -------------------------------------------------------------------------------- */

/* Called with r->lock held. */
static void notify_locked(run *r, slot *s) {
    double done = 0, total = 0;
    for (int i = 0; i < r->n_slots; i++) {
        const slot *o = &r->slots[i];
        bool over =
            o->state == CF_AUTOCLIP_DONE || o->state == CF_AUTOCLIP_SKIPPED || o->state == CF_AUTOCLIP_FAILED;
        done += o->weight * (over ? 1.0 : o->fraction);
        total += o->weight;
    }
    cf_progress_report(r->parent, total > 0 ? done / total : 0, s->name);
    if (r->opts->on_stage)
        r->opts->on_stage(r->opts->stage_user, s->index, r->n_slots, s->name, s->fraction, s->state);
}

static void on_slot_progress(void *user, double fraction, const char *stage) {
    (void)stage;
    slot *s = user;
    pthread_mutex_lock(&s->run->lock);
    if (fraction > s->fraction) s->fraction = fraction;
    notify_locked(s->run, s);
    pthread_mutex_unlock(&s->run->lock);
}

static void set_state(slot *s, cf_autoclip_stage_state state, const char *note) {
    pthread_mutex_lock(&s->run->lock);
    int64_t t = cf_clock_ms() - s->run->t0;
    if (state == CF_AUTOCLIP_RUNNING) s->started_ms = t, s->ended = false;
    else if (s->state == CF_AUTOCLIP_RUNNING && !s->ended) s->elapsed_ms = t - s->started_ms;
    if (state == CF_AUTOCLIP_DONE || state == CF_AUTOCLIP_SKIPPED) s->fraction = 1;
    if (state == CF_AUTOCLIP_SKIPPED && s->state == CF_AUTOCLIP_PENDING) s->started_ms = t;
    s->state = state;
    if (note) snprintf(s->note, sizeof s->note, "%s", note);
    notify_locked(s->run, s);
    pthread_mutex_unlock(&s->run->lock);
}

static void add_slot(run *r, const char *name, double weight) {
    slot *s = &r->slots[r->n_slots];
    s->run = r;
    s->index = r->n_slots++;
    snprintf(s->name, sizeof s->name, "%s", name);
    s->weight = weight;
    cf_progress_init(&s->progress, on_slot_progress, s);
    atomic_init(&s->finished, false);
    cf_error_clear(&s->err);
}

/* ---- running stages in threads ---------------------------------------------------------------- */

/* "render 3" -> "render": the stage's kind, for span names and metric labels. */
static void stage_kind(const char *name, char *out, size_t cap) {
    size_t n = strcspn(name, " ");
    snprintf(out, cap, "%.*s", (int)n, name);
}

/* Runs the stage in a span of its own under the caller's context (stages run in threads of
 * their own, which start with none), current while it runs, and records its duration. */
static cf_err traced_stage(slot *s) {
    char kind[24];
    stage_kind(s->name, kind, sizeof kind);
    cf_trace_ctx prev;
    cf_span *span = cf_span_start(kind, CF_SPAN_INTERNAL, &s->trace);
    if (strcmp(kind, s->name)) cf_span_set_str(span, "clipforge.stage", s->name);
    cf_trace_set_current(span ? cf_span_ctx(span) : &s->trace, &prev);
    double t0 = cf_metric_now();
    cf_err rc = s->fn(s);
    static cf_metric *hist;
    if (!hist)
        hist = cf_metric_histogram("clipforge_stage_duration_seconds",
                                   "Pipeline stage durations by stage and job kind.", "stage,kind");
    cf_metric_observe(hist, kind, "autoclip", cf_metric_now() - t0);
    if (rc) cf_span_set_error(span, s->err.msg);
    cf_span_end(span);
    cf_trace_set_current(&prev, NULL);
    return rc;
}

static void *stage_main(void *arg) {
    slot *s = arg;
    s->rc = traced_stage(s);
    /* The stage's own end: stages waited for together are recorded only when the last ends. */
    pthread_mutex_lock(&s->run->lock);
    s->elapsed_ms = cf_clock_ms() - s->run->t0 - s->started_ms;
    s->ended = true;
    pthread_mutex_unlock(&s->run->lock);
    atomic_store(&s->finished, true);
    return NULL;
}

static void start_stage(slot *s, cf_err (*fn)(slot *)) {
    s->fn = fn;
    s->rc = CF_OK;
    cf_error_clear(&s->err);
    atomic_store(&s->progress.cancel, false);
    atomic_store(&s->finished, false);
    set_state(s, CF_AUTOCLIP_RUNNING, NULL);
    cf_trace_current(&s->trace);
    s->threaded = pthread_create(&s->thread, NULL, stage_main, s) == 0;
    if (!s->threaded) stage_main(s); /* no thread to spare: run it here, cancel still polled */
}

/* Waits for every started stage of list, relaying the caller's cancel; then records outcomes. */
static void wait_stages(run *r, slot **list, int n) {
    for (;;) {
        bool all = true;
        for (int i = 0; i < n; i++) all &= atomic_load(&list[i]->finished);
        if (all) break;
        if (cf_progress_cancelled(r->parent))
            for (int i = 0; i < n; i++) cf_progress_cancel(&list[i]->progress);
        nanosleep(&(struct timespec){0, CANCEL_POLL_NS}, NULL);
    }
    for (int i = 0; i < n; i++) {
        slot *s = list[i];
        if (s->threaded) pthread_join(s->thread, NULL);
        s->threaded = false;
        if (s->rc) set_state(s, CF_AUTOCLIP_FAILED, s->err.msg);
        else set_state(s, CF_AUTOCLIP_DONE, NULL);
    }
}

static void run_stage(run *r, slot *s, cf_err (*fn)(slot *)) {
    start_stage(s, fn);
    wait_stages(r, &s, 1);
}

/* Runs a stage that already ran once more; its record keeps the first start and adds the times. */
static void run_stage_again(run *r, slot *s, cf_err (*fn)(slot *)) {
    int64_t started = s->started_ms, spent = s->elapsed_ms;
    run_stage(r, s, fn);
    pthread_mutex_lock(&r->lock);
    s->started_ms = started, s->elapsed_ms += spent;
    pthread_mutex_unlock(&r->lock);
}

/* ---- analysis: transcription and features --------------------------------------------------- */

#ifdef CF_HAVE_TRANSCRIBE
static cf_err write_transcript(run *r, cf_error *err) {
    json_t *j = cf_transcript_to_json(&r->transcript);
    r->transcript_path = cf_path_join(r->opts->work_dir, "transcript.json");
    cf_err rc = j && r->transcript_path ? cf_json_write_file(j, r->transcript_path, err)
                                        : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    json_decref(j);
    return rc;
}
#endif

/* Every stage reads the same audio stream: the one the request names, else the default. */
static cf_media_select audio_select(const cf_autoclip_request *req) {
    return (cf_media_select){.has_audio_stream = req->has_audio_stream,
                             .audio_stream = (int)req->audio_stream};
}

static cf_err transcribe_stage(slot *s) {
#ifdef CF_HAVE_TRANSCRIBE
    run *r = s->run;
    cf_transcribe_options o = {.language = r->req->language,
                               .threads = r->opts->threads,
                               .select = audio_select(r->req),
                               .ranges = r->n_ranges ? r->ranges : NULL,
                               .n_ranges = r->n_ranges,
                               .adapt_from_ms = -1}; /* one pass: on the critical path */
    cf_transcript_free(&r->transcript);              /* a second run covers more */
    r->have_transcript = false;
    free(r->transcript_path);
    r->transcript_path = NULL;
    cf_err rc = cf_transcribe_file(r->path, &o, &s->progress, &r->transcript, &s->err);
    if (rc) return rc;
    r->have_transcript = true;
    return write_transcript(r, &s->err);
#else
    return cf_error_set(&s->err, CF_ERR_UNSUPPORTED, "no transcriber in this build");
#endif
}

/* The transcript the request brings (transcript_uri): read in a moment, all of the media. */
static cf_err given_stage(slot *s) {
#ifdef CF_HAVE_TRANSCRIBE
    run *r = s->run;
    cf_err rc = cf_transcript_load_file(cf_uri_local_path(r->req->transcript_uri), 0, &r->transcript,
                                        &r->transcript_read_as, &s->err);
    /* a file that cannot be read is the request's fault; writing our copy of it, a failure of this
     * machine's (a full disk), keeps its code: the request was not wrong, and a job is retried */
    if (rc) return rc == CF_ERR_NO_MEMORY ? rc : (s->err.code = CF_ERR_INVALID_ARGUMENT);
    r->have_transcript = r->from_file = true;
    return write_transcript(r, &s->err);
#else
    return cf_error_set(&s->err, CF_ERR_UNSUPPORTED, "no transcript reader in this build");
#endif
}

#ifdef CF_HAVE_TRANSCRIBE
/* The media's own text subtitles in the request's language, when it asks for them and has them. */
static bool subtitles_found(run *r, cf_subtitle_stream *st) {
    cf_error err;
    if (!r->req->subtitles) return false;
    cf_err rc = cf_subtitles_find(r->path, r->req->language, st, &err);
    if (rc && rc != CF_ERR_NOT_FOUND) cf_log_warn("autoclip", "subtitles not read: %s", err.msg);
    return rc == CF_OK;
}

/* The transcript from the subtitle stream st: words spread over each cue, all of the media. */
static cf_err subtitles_stage(slot *s) {
    run *r = s->run;
    cf_err rc = cf_subtitles_transcript(r->path, &r->subs, r->req->language, &r->transcript, &s->err);
    if (rc) return rc;
    r->have_transcript = r->from_subtitles = true;
    return write_transcript(r, &s->err);
}
#endif

static cf_err features_stage(slot *s) {
    run *r = s->run;
    cf_feature_options o = {.threads = r->opts->threads,
                            .cache_dir = r->opts->feature_cache_dir,
                            .skip_loop_filter = true,
                            .select = audio_select(r->req)};
    return cf_features_extract(r->path, &o, &s->progress, &r->track, &s->err);
}

/* A failed transcription costs the captions, not the clips. */
static void transcription_failed(run *r, slot *t) {
    char note[sizeof t->note];
    snprintf(note, sizeof note, "transcription failed, clips have no captions: %.400s", t->err.msg);
    cf_log_warn("autoclip", "%s", note);
    set_state(t, CF_AUTOCLIP_FAILED, note);
    cf_transcript_free(&r->transcript);
    r->have_transcript = false;
    r->transcribe = false;
}

/* The whole transcript beside the features: the media's own subtitles when it has them (read in a
 * moment), or all of its speech when the options ask for it; else only the shorts' stretches are
 * transcribed, after detection. True when a stage started. */
static bool start_transcript(run *r, slot *t) {
    r->subs.index = -1;
#ifdef CF_HAVE_TRANSCRIBE
    if (subtitles_found(r, &r->subs)) return start_stage(t, subtitles_stage), true;
#endif
    if (r->opts->transcribe_all) return start_stage(t, transcribe_stage), true;
    return false;
}

/* Subtitles read: said; a stream that could not be read gives way to speech recognition. */
static cf_err after_subtitles(run *r, slot *t) {
    char note[sizeof t->note], name[96];
    if (r->from_subtitles) {
        cf_subtitle_stream_name(&r->subs, name, sizeof name);
        snprintf(
            note, sizeof note,
            "captions from the media's %s, not speech recognition (subtitles: false to recognise the speech)",
            name);
        set_state(t, CF_AUTOCLIP_DONE, note);
        return CF_OK;
    }
    cf_log_warn("autoclip", "subtitle stream %d not read (%s): the speech is recognised", r->subs.index,
                t->err.msg);
    r->subs.index = -1;
    set_state(t, CF_AUTOCLIP_PENDING, "");
    if (r->opts->transcribe_all) {
        run_stage(r, t, transcribe_stage);
        if (t->rc && !cf_progress_cancelled(r->parent)) transcription_failed(r, t);
    }
    return CF_OK;
}

/* The request's transcript, read before anything else (a moment's work: no decoding is spent on
 * a request that cannot be served). */
static cf_err read_given(run *r, slot *t, cf_error *err) {
    run_stage(r, t, given_stage);
    if (t->rc) {
        *err = t->err;
        cf_error_prefix(err, "transcript");
        return err->code;
    }
    char note[sizeof t->note], as[96] = "";
    if (r->transcript_read_as) /* a guess of the reader's: letters may be wrong, and the user can tell */
        snprintf(as, sizeof as, " (not UTF-8: read as %s; save it as UTF-8 if letters look wrong)",
                 r->transcript_read_as);
    snprintf(note, sizeof note, "captions from the transcript %.300s%s, not speech recognition",
             r->req->transcript_uri, as);
    set_state(t, CF_AUTOCLIP_DONE, note);
    return CF_OK;
}

/* Features, and beside them the whole transcription when the options ask for all of it. */
static cf_err analyse(run *r, cf_error *err) {
    slot *t = &r->slots[ST_TRANSCRIBE], *f = &r->slots[ST_FEATURES];
    slot *list[2] = {f, t};
    int n = 1;
    if (r->req->transcript_uri) { /* with captions (cf_autoclip_check) */
        cf_err rc = read_given(r, t, err);
        if (rc) return rc;
    }
    start_stage(f, features_stage);
    if (r->from_file) r->transcribe = false;
    else if (!r->req->captions) set_state(t, CF_AUTOCLIP_SKIPPED, "captions off");
    else if (!cf_autoclip_can_transcribe())
        set_state(t, CF_AUTOCLIP_SKIPPED, "transcription is not built into this binary: no captions");
    else r->transcribe = true;
    if (r->transcribe && start_transcript(r, t)) n = 2;
    wait_stages(r, list, n);
    if (cf_progress_cancelled(r->parent)) return cf_error_set(err, CF_ERR_CANCELLED, "cancelled");
    if (f->rc) {
        *err = f->err;
        return f->rc;
    }
    if (n == 2 && r->subs.index >= 0) return after_subtitles(r, t);
    if (n == 2 && t->rc) transcription_failed(r, t);
    return CF_OK;
}

/* ---- detection -------------------------------------------------------------------------------- */

static cf_hl_word *transcript_words(const cf_transcript *t, size_t *n) {
    size_t total = 0, k = 0;
    for (size_t s = 0; s < t->n_segments; s++) total += t->segments[s].n_words;
    cf_hl_word *w = total ? calloc(total, sizeof *w) : NULL;
    for (size_t s = 0; w && s < t->n_segments; s++)
        for (size_t i = 0; i < t->segments[s].n_words; i++)
            w[k++] = (cf_hl_word){t->segments[s].words[i].start_ms, t->segments[s].words[i].end_ms};
    *n = w ? total : 0;
    return w;
}

static bool overlaps(const cf_highlight_span *a, const cf_highlight_span *b) {
    return a->start_ms < b->end_ms && b->start_ms < a->end_ms;
}

#define SPREAD_DEFAULT_MS 10000

/* The free slot of length len nearest to the middle of part k of n of the media, or -1. */
static int64_t free_slot(const cf_highlight_detection_result *det, int64_t duration, int64_t len, size_t k,
                         size_t n) {
    int64_t want = duration * (int64_t)(2 * k + 1) / (int64_t)(2 * n) - len / 2;
    for (int64_t step = 0; step <= duration; step += len / 2 > 0 ? len / 2 : 1)
        for (int sign = -1; sign <= 1; sign += 2) {
            cf_highlight_span at = {.start_ms = want + sign * step, .end_ms = want + sign * step + len};
            if (at.start_ms < 0 || at.end_ms > duration) continue;
            bool clash = false;
            for (size_t i = 0; i < det->n_highlights && !clash; i++)
                clash = overlaps(&at, &det->highlights[i]);
            if (!clash) return at.start_ms;
        }
    return -1;
}

/* An even slice's edges by detection's rule (sentence ends, pauses, silences; never in a word),
 * its length kept within the request's bounds around len. */
static void place_slice(const run *r, int64_t len, cf_highlight_span *h) {
    size_t n_words = 0;
    cf_hl_word *words = r->have_transcript ? transcript_words(&r->transcript, &n_words) : NULL;
    const cf_autoclip_request *q = r->req;
    int64_t lo = q->has_min_length_ms ? q->min_length_ms : len,
            hi = q->has_max_length_ms ? q->max_length_ms : len;
    if (lo > len) lo = len;
    if (hi < len) hi = len;
    cf_hl_place_edges(r->track, words, n_words, r->have_transcript ? &r->transcript : NULL, lo, hi, len,
                      CF_HL_SNAP_MS, &h->start_ms, &h->end_ms, h->boundary_reasons);
    free(words);
}

/* The widest stretch of the media that no span holds: its start in *start; its length. */
static int64_t widest_gap(const cf_highlight_detection_result *det, int64_t duration, int64_t *start) {
    int64_t best = -1;
    for (size_t i = 0; i <= det->n_highlights; i++) { /* from the media's start, or a span's end */
        int64_t from = i < det->n_highlights ? det->highlights[i].end_ms : 0, to = duration;
        bool inside = false;
        for (size_t j = 0; j < det->n_highlights; j++) {
            const cf_highlight_span *h = &det->highlights[j];
            inside |= h->start_ms <= from && from < h->end_ms;
            if (h->start_ms >= from && h->start_ms < to) to = h->start_ms;
        }
        if (!inside && to - from > best) best = to - from, *start = from;
    }
    return best;
}

/* An even slice of length len from start, its edges placed by detection's rule. */
static cf_err add_slice(run *r, int64_t start, int64_t len, cf_error *err) {
    cf_highlight_detection_result *det = &r->detection;
    cf_highlight_span *h = &det->highlights[det->n_highlights++];
    cf_highlight_span_init(h);
    h->start_ms = start, h->end_ms = start + len;
    if ((h->boundary_reasons = malloc(sizeof *h->boundary_reasons))) place_slice(r, len, h);
    h->label = strdup("excerpt"); /* its title when no words name it */
    h->reasons = calloc(1, sizeof *h->reasons);
    if (h->reasons && (h->reasons[0] = strdup("no moment stood out: an even slice of the media")))
        h->n_reasons = 1;
    if (!h->label || !h->n_reasons || !h->boundary_reasons)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return CF_OK;
}

/* A media whose score never rises (a steady picture and sound) has no candidate at all: the
 * count is made up of slices spread evenly over it, as long as the clips found (or
 * min_length_ms, or 10 s), so that every video still gets its shorts; where the even places are
 * taken, in the middle of the widest stretches left, for as many as the media has room for. */
static cf_err spread_evenly(run *r, cf_error *err) {
    cf_highlight_detection_result *det = &r->detection;
    size_t want = (size_t)r->req->count;
    int64_t duration = r->track->duration_ms, len = r->req->has_target_length_ms ? r->req->target_length_ms
                                                    : r->req->has_min_length_ms  ? r->req->min_length_ms
                                                                                 : 0;
    for (size_t i = 0, n = det->n_highlights; !len && i < n; i++)
        len += (det->highlights[i].end_ms - det->highlights[i].start_ms) / (int64_t)n;
    if (!len) len = SPREAD_DEFAULT_MS;
    if (len > duration) len = duration;
    cf_err rc = CF_OK;
    /* as many parts as slices fit in the media, at most (more would crowd out each other) */
    size_t parts = len > 0 && (size_t)(duration / len) < want ? (size_t)(duration / len) : want;
    for (size_t k = 0; !rc && det->n_highlights < want && len > 0 && k < parts; k++) {
        int64_t start = free_slot(det, duration, len, k, parts);
        if (start >= 0) rc = add_slice(r, start, len, err);
    }
    int64_t at = 0, gap;
    while (!rc && det->n_highlights < want && len > 0 && (gap = widest_gap(det, duration, &at)) >= len)
        rc = add_slice(r, at + (gap - len) / 2, len, err);
    return rc;
}

/* Fewer confident spans than clips asked for: the best other candidates (detection again with
 * no threshold, on the track already in memory) make up the count, after the confident ones,
 * when they do not overlap them; then even slices (spread_evenly). */
static cf_err add_candidates(run *r, cf_highlight_detection_request d, const cf_hl_options *o,
                             cf_error *err) {
    cf_highlight_detection_result more;
    cf_highlight_detection_result_init(&more);
    d.has_min_score = true, d.min_score = 0;
    d.top_n = r->req->count + (int64_t)r->detection.n_highlights;
    cf_hl_options quiet = *o;
    quiet.note = NULL, quiet.note_len = 0;
    cf_err rc = cf_highlight_detect_track(&d, &quiet, r->track, &more, err);
    cf_highlight_detection_result *det = &r->detection;
    size_t room = (size_t)r->req->count, have = det->n_highlights;
    cf_highlight_span *grown = rc ? NULL : realloc(det->highlights, room * sizeof *grown);
    if (!rc && !grown) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (grown) det->highlights = grown;
    for (size_t k = 0; !rc && k < more.n_highlights && det->n_highlights < room; k++) {
        bool clash = false;
        for (size_t i = 0; i < det->n_highlights && !clash; i++)
            clash = overlaps(&more.highlights[k], &det->highlights[i]);
        if (clash) continue;
        det->highlights[det->n_highlights++] = more.highlights[k]; /* moved: */
        memset(&more.highlights[k], 0, sizeof more.highlights[k]);
    }
    cf_highlight_detection_result_free(&more);
    r->n_candidates = det->n_highlights;
    if (!rc) rc = spread_evenly(r, err);
    if (!rc && det->n_highlights > have)
        cf_log_info("autoclip",
                    "%zu confident moment(s); %zu more candidate(s) under the threshold %.2f added", have,
                    det->n_highlights - have, r->threshold);
    return rc;
}

static cf_err detect_stage(slot *s) {
    run *r = s->run;
    const cf_autoclip_request *q = r->req;
    cf_highlight_detection_request d = {.clip_id = q->clip_id ? q->clip_id : "autoclip",
                                        .media_uri = (char *)r->path,
                                        .model_version = q->model_version,
                                        .detection_profile = q->profile,
                                        .has_top_n = true,
                                        .top_n = q->count,
                                        .has_min_score = q->has_min_score,
                                        .min_score = q->min_score,
                                        .has_min_length_ms = q->has_min_length_ms,
                                        .min_length_ms = q->min_length_ms,
                                        .has_max_length_ms = q->has_max_length_ms,
                                        .max_length_ms = q->max_length_ms,
                                        .has_target_length_ms = q->has_target_length_ms,
                                        .target_length_ms = q->target_length_ms};
    size_t n_words = 0;
    cf_hl_word *words = r->have_transcript ? transcript_words(&r->transcript, &n_words) : NULL;
    char note[512] = "";
    cf_hl_options o = {.paths = r->opts->paths,
                       .note = note,
                       .note_len = sizeof note,
                       .words = words,
                       .n_words = n_words,
                       .sentences = r->have_transcript ? &r->transcript : NULL};
    cf_err rc = cf_highlight_detect_track(&d, &o, r->track, &r->detection, &s->err);
    if (!rc) {
        r->n_confident = r->n_candidates = r->detection.n_highlights;
        r->threshold = r->detection.score_curve ? r->detection.score_curve->threshold : q->min_score;
    }
    /* min_score asks for the strict behaviour: nothing under it */
    if (!rc && !q->has_min_score && r->detection.n_highlights < (size_t)q->count)
        rc = add_candidates(r, d, &o, &s->err);
    free(words);
    if (!rc && note[0]) snprintf(s->note, sizeof s->note, "routing: %.480s", note);
    return rc;
}

/* ---- words for the shorts -------------------------------------------------------------------- */

static size_t clips_wanted(const run *r) {
    size_t n = r->detection.n_highlights, want = (size_t)r->req->count;
    return n < want ? n : want;
}

static bool covered(const run *r, const cf_highlight_span *h) {
    for (size_t k = 0; k < r->n_ranges; k++)
        if (r->ranges[k].start_ms <= h->start_ms && h->end_ms <= r->ranges[k].end_ms) return true;
    return false;
}

/* Adds a range (the span with context) for each of the first n spans that none holds yet;
 * how many were added. */
static size_t cover_spans(run *r, size_t n) {
    size_t added = 0;
    for (size_t i = 0; i < n && r->n_ranges < 2 * MAX_CLIPS; i++) {
        const cf_highlight_span *h = &r->detection.highlights[i];
        if (covered(r, h)) continue;
        r->ranges[r->n_ranges++] =
            (cf_time_range){h->start_ms > CONTEXT_MS ? h->start_ms - CONTEXT_MS : 0, h->end_ms + CONTEXT_MS};
        added++;
    }
    return added;
}

static int by_start(const void *a, const void *b) {
    int64_t x = ((const cf_time_range *)a)->start_ms, y = ((const cf_time_range *)b)->start_ms;
    return (x > y) - (x < y);
}

/* How much of the media the ranges cover together. */
static int64_t covered_ms(const run *r) {
    cf_time_range v[2 * MAX_CLIPS];
    memcpy(v, r->ranges, r->n_ranges * sizeof *v);
    qsort(v, r->n_ranges, sizeof *v, by_start);
    int64_t total = 0, end = 0, duration = r->track->duration_ms;
    for (size_t k = 0; k < r->n_ranges; k++) {
        int64_t a = v[k].start_ms > end ? v[k].start_ms : end,
                b = v[k].end_ms < duration ? v[k].end_ms : duration;
        if (b > a) total += b - a, end = b;
    }
    return total;
}

/* Transcription of what the shorts need, after detection: their spans with context. Detection
 * then runs again with those words, so edges land on sentences and pauses as with a whole
 * transcript; a short whose edges moved out of the stretches gets its own, once. */
static cf_err transcribe_for_clips(run *r, cf_error *err) {
    slot *t = &r->slots[ST_TRANSCRIBE], *d = &r->slots[ST_DETECT];
    if (!cover_spans(r, clips_wanted(r))) {
        set_state(t, CF_AUTOCLIP_SKIPPED, "no short to caption");
        return CF_OK;
    }
    run_stage(r, t, transcribe_stage);
    if (t->rc) {
        if (!cf_progress_cancelled(r->parent)) transcription_failed(r, t);
        return CF_OK;
    }
    cf_highlight_detection_result_free(&r->detection);
    run_stage_again(r, d, detect_stage);
    if (d->rc) return *err = d->err, d->rc;
    if (cover_spans(r, clips_wanted(r))) {
        run_stage_again(r, t, transcribe_stage);
        if (t->rc && !cf_progress_cancelled(r->parent)) transcription_failed(r, t);
    }
    if (r->have_transcript) {
        char note[160];
        snprintf(note, sizeof note,
                 "transcribed the shorts' stretches: %.0f s of %.0f s (CLIPFORGE_AUTOCLIP_TRANSCRIBE_ALL=1 "
                 "for all of it)",
                 (double)covered_ms(r) / 1000.0, (double)r->track->duration_ms / 1000.0);
        set_state(t, CF_AUTOCLIP_DONE, note);
    }
    return CF_OK;
}

/* ---- renders ---------------------------------------------------------------------------------- */

static void clip_name(int index, const char *ext, char *buf, size_t size) {
    snprintf(buf, size, "clip-%02d%s", index, ext);
}

/* Records on c the ranges the cut leaves out and the short's length. */
static cf_err record_cut(cf_autoclip_clip *c, const cf_jump_cut *cut, cf_error *err) {
    free(c->removed_ranges);
    c->has_duration_ms = true, c->duration_ms = cut->duration_ms;
    return cf_jump_cut_copy_removed(cut->removed, cut->n_removed, &c->removed_ranges, &c->n_removed_ranges,
                                    err);
}

/* remove_silence: the template compiled here and cut into the pieces that sound; *rq then
 * renders that timeline (tl, owned by the caller) into the same output. */
static cf_err cut_request(run *r, cf_autoclip_clip *c, cf_render_request *rq, cf_timeline *tl,
                          cf_error *err) {
    cf_err rc = cf_render_compile(rq, tl, err);
    if (rc) return rc;
    char name[40];
    clip_name((int)c->index, ".cut-words.json", name, sizeof name);
    char *captions = cf_path_join(r->opts->work_dir, name);
    if (!captions) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_jump_cut cut;
    rc = cf_autoclip_cut(r->have_transcript ? &r->transcript : NULL, r->track, c->start_ms, c->end_ms,
                         captions, tl, &cut, err);
    free(captions);
    if (rc) return rc;
    rc = record_cut(c, &cut, err);
    cf_log_info("autoclip", "clip %lld: %zu pause(s) removed, %lld ms of %lld", (long long)c->index,
                cut.n_removed, (long long)(c->end_ms - c->start_ms - cut.duration_ms),
                (long long)(c->end_ms - c->start_ms));
    cf_jump_cut_free(&cut);
    *rq = (cf_render_request){.clip_id = rq->clip_id, .timeline = tl, .output_uri = rq->output_uri};
    return rc;
}

static cf_err render_stage(slot *s) {
    run *r = s->run;
    int i = s->index - ST_RENDER0;
    cf_autoclip_clip *c = &r->out->clips[i];
#ifdef CF_TEST_HOOKS
    if (r->opts->fail_renders & (1u << i))
        return cf_error_set(&s->err, CF_ERR_PROCESSING, "render failed (injected by the test hook)");
#endif
    char name[32], *output;
    clip_name((int)c->index, "", name, sizeof name); /* the render adds its format's extension */
    if (!(output = cf_path_join(r->opts->work_dir, name)))
        return cf_error_set(&s->err, CF_ERR_NO_MEMORY, "out of memory");
    const cf_autoclip_request *q = r->req;
    cf_render_request rq = {.clip_id = name,
                            .template_id = q->template_id,
                            .source_uri = (char *)r->path,
                            .start_ms = c->start_ms,
                            .has_end_ms = true,
                            .end_ms = c->end_ms,
                            .format = q->format,
                            .has_width = q->has_width,
                            .width = q->width,
                            .has_height = q->has_height,
                            .height = q->height,
                            .title = c->title,
                            .brand_color = q->brand_color,
                            .captions_uri = c->words > 0 ? r->transcript_path : NULL,
                            .output_uri = output,
                            .has_audio_stream = q->has_audio_stream,
                            .audio_stream = q->audio_stream};
    cf_render_options o = {.output_path = output, .temp_dir = r->opts->work_dir, .threads = r->opts->threads};
    cf_timeline tl;
    cf_timeline_init(&tl);
    cf_err rc = q->remove_silence ? cut_request(r, c, &rq, &tl, &s->err) : CF_OK;
    const cf_autoclip_renderer *rd = r->opts->renderer;
    if (!rc)
        rc =
            rd ? rd->render(rd->user, (int)c->index, &rq, &s->progress, &r->renders[i], &c->attempts, &s->err)
               : cf_render_run(&rq, &o, &s->progress, &r->renders[i], &s->err);
    cf_timeline_free(&tl);
    free(output);
    return rc;
}

static cf_err fill_clip(run *r, size_t i, cf_autoclip_clip *c, cf_error *err) {
    const cf_highlight_span *h = &r->detection.highlights[i];
    cf_autoclip_clip_init(c);
    c->index = (int64_t)i + 1;
    c->start_ms = h->start_ms, c->end_ms = h->end_ms, c->score = h->score;
    c->has_duration_ms = true, c->duration_ms = h->end_ms - h->start_ms;
    c->status = CF_AUTOCLIP_STATUS_SKIPPED;
    char title[CF_AUTOCLIP_TITLE_MAX_CHARS + 8];
    const cf_transcript *t = r->have_transcript ? &r->transcript : NULL;
    c->words = (int64_t)cf_autoclip_words_in(t, h->start_ms, h->end_ms);
    const char *before[MAX_CLIPS];
    for (size_t k = 0; k < i && k < MAX_CLIPS; k++) before[k] = r->out->clips[k].title;
    if (!cf_autoclip_title(t, h->start_ms, h->end_ms, before, i < MAX_CLIPS ? i : MAX_CLIPS, title,
                           sizeof title))
        cf_autoclip_event_title(h->label, h->start_ms, title, sizeof title);
    if (i >= r->n_confident) {
        char why[256];
        if (i >= r->n_candidates)
            snprintf(
                why, sizeof why,
                "no other moment of the media rose above the rest (threshold %.2f): an evenly spaced excerpt",
                r->threshold);
        else
            snprintf(why, sizeof why,
                     "scored %.2f, under the threshold %.2f of the %s engine (%s profile): no clearer moment "
                     "was left",
                     h->score, r->threshold, r->detection.engine ? r->detection.engine : "detection",
                     cf_detection_profile_to_string(r->req->profile));
        c->low_confidence = true;
        if (!(c->confidence_note = strdup(why))) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    c->label = strdup(h->label);
    c->title = strdup(title);
    c->reasons = h->n_reasons ? calloc(h->n_reasons, sizeof *c->reasons) : NULL;
    for (size_t k = 0; c->reasons && k < h->n_reasons; k++, c->n_reasons++)
        if (!(c->reasons[k] = strdup(h->reasons[k]))) break;
    if (!c->label || !c->title || c->n_reasons != h->n_reasons)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (h->boundary_reasons && !(c->boundary_reasons = malloc(sizeof *c->boundary_reasons)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (h->boundary_reasons) *c->boundary_reasons = *h->boundary_reasons;
    return CF_OK;
}

/* Records on clip i how its render ended: a failure is reported there, not returned. */
static void record_clip(run *r, size_t i, int64_t render_ms) {
    const slot *s = &r->slots[ST_RENDER0 + (int)i];
    cf_autoclip_clip *c = &r->out->clips[i];
    c->render_ms = render_ms;
    c->status = !s->rc                      ? CF_AUTOCLIP_STATUS_SUCCEEDED
                : s->rc == CF_ERR_CANCELLED ? CF_AUTOCLIP_STATUS_CANCELLED
                                            : CF_AUTOCLIP_STATUS_FAILED;
    if (s->rc) c->error = strdup(s->err.msg);
}

/* Renders clip i here, retrying processing failures (or once through a serial renderer, which
 * retries by its own policy). */
static void render_clip(run *r, size_t i) {
    slot *s = &r->slots[ST_RENDER0 + (int)i];
    cf_autoclip_clip *c = &r->out->clips[i];
    int attempts = r->opts->renderer ? 1 : r->opts->render_attempts > 0 ? r->opts->render_attempts : 2;
    int64_t t0 = cf_clock_ms();
    do {
        c->attempts++;
        s->fraction = 0;
        run_stage(r, s, render_stage);
        if (s->rc && s->rc != CF_ERR_CANCELLED)
            cf_log_warn("autoclip", "%s attempt %lld failed: %s", s->name, (long long)c->attempts,
                        s->err.msg);
    } while (s->rc && retryable(s->rc) && c->attempts < attempts && !cf_progress_cancelled(r->parent));
    record_clip(r, i, cf_clock_ms() - t0);
}

/* Renders the first n clips: one after the other here, or all at once through a parallel
 * renderer (each render stage then waits for its clip wherever it runs). */
static void render_clips(run *r, size_t n) {
    const cf_autoclip_renderer *rd = r->opts->renderer;
    if (!rd || !rd->parallel) {
        for (size_t i = 0; i < n && !cf_progress_cancelled(r->parent); i++) render_clip(r, i);
        return;
    }
    slot *list[MAX_CLIPS];
    for (size_t i = 0; i < n; i++) {
        list[i] = &r->slots[ST_RENDER0 + (int)i];
        start_stage(list[i], render_stage);
    }
    wait_stages(r, list, (int)n);
    for (size_t i = 0; i < n; i++) record_clip(r, i, list[i]->elapsed_ms);
}

/* ---- delivery --------------------------------------------------------------------------------- */

static const char *base_name(const char *p) {
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static cf_err deliver_file(run *r, const char *path, char **uri, cf_error *err) {
    if (r->opts->deliver) return r->opts->deliver(r->opts->deliver_user, path, base_name(path), uri, err);
    return (*uri = strdup(path)) ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static cf_err deliver_clip(run *r, size_t i, cf_error *err) {
    cf_autoclip_clip *c = &r->out->clips[i];
    cf_render_result *res = &r->renders[i];
    if (!(c->outputs = calloc(res->n_outputs ? res->n_outputs : 1, sizeof *c->outputs)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t k = 0; k < res->n_outputs; k++) {
        cf_artifact *a = &c->outputs[c->n_outputs];
        char *uri = NULL;
        cf_err rc = r->opts->renderer && r->opts->renderer->delivered
                        ? (uri = strdup(res->outputs[k].uri))
                              ? CF_OK
                              : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory")
                        : deliver_file(r, res->outputs[k].uri, &uri, err);
        if (rc) return rc;
        *a = res->outputs[k];
        memset(&res->outputs[k], 0, sizeof res->outputs[k]); /* ownership moves to the clip */
        free(a->uri);
        a->uri = uri;
        c->n_outputs++;
        char **slot_uri = a->kind == CF_ARTIFACT_KIND_VIDEO && !c->video_uri ? &c->video_uri
                          : a->kind == CF_ARTIFACT_KIND_THUMBNAIL            ? &c->thumbnail_uri
                          : ends_with(uri, ".srt")                           ? &c->srt_uri
                          : ends_with(uri, ".vtt")                           ? &c->vtt_uri
                                                                             : NULL;
        if (slot_uri && !*slot_uri && !(*slot_uri = strdup(uri)))
            return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    return CF_OK;
}

static cf_err deliver_stage(slot *s) {
    run *r = s->run;
    for (size_t i = 0; i < r->out->n_clips; i++) {
        if (r->out->clips[i].status != CF_AUTOCLIP_STATUS_SUCCEEDED) continue;
        cf_err rc = deliver_clip(r, i, &s->err);
        if (rc) return rc;
        on_slot_progress(s, (double)(i + 1) / (double)r->out->n_clips, s->name);
    }
    if (r->have_transcript && r->transcript_path)
        return deliver_file(r, r->transcript_path, &r->out->transcript_uri, &s->err);
    return CF_OK;
}

/* ---- the result ------------------------------------------------------------------------------- */

static cf_autoclip_status stage_status(const slot *s) {
    if (s->state == CF_AUTOCLIP_DONE) return CF_AUTOCLIP_STATUS_SUCCEEDED;
    if (s->state == CF_AUTOCLIP_SKIPPED) return CF_AUTOCLIP_STATUS_SKIPPED;
    if (s->state == CF_AUTOCLIP_FAILED && s->rc != CF_ERR_CANCELLED) return CF_AUTOCLIP_STATUS_FAILED;
    return CF_AUTOCLIP_STATUS_CANCELLED;
}

static cf_err fill_stages(run *r, cf_error *err) {
    cf_autoclip_result *o = r->out;
    if (!(o->stages = calloc((size_t)r->n_slots, sizeof *o->stages)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (int i = 0; i < r->n_slots; i++) {
        const slot *s = &r->slots[i];
        if (i >= ST_RENDER0 && i < r->deliver_slot && (size_t)(i - ST_RENDER0) >= o->n_clips) continue;
        cf_autoclip_stage *st = &o->stages[o->n_stages++];
        cf_autoclip_stage_init(st);
        st->name = strdup(s->name);
        st->status = stage_status(s);
        st->started_ms = s->started_ms;
        st->elapsed_ms = s->elapsed_ms;
        if (s->note[0]) st->note = strdup(s->note);
        if (!st->name || (s->note[0] && !st->note))
            return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        if (i == ST_TRANSCRIBE && cf_notes_add(&o->notes, &o->n_notes, s->note, err)) return err->code;
    }
    return CF_OK;
}

/* What the renders say once (every clip comes from the same source, so they say the same). */
static cf_err render_notes(run *r, size_t n, cf_error *err) {
    cf_autoclip_result *o = r->out;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < r->renders[i].n_notes; k++)
            if (cf_notes_add(&o->notes, &o->n_notes, r->renders[i].notes[k], err)) return err->code;
    return CF_OK;
}

static cf_err fill_header(run *r, cf_error *err) {
    cf_autoclip_result *o = r->out;
    const cf_autoclip_request *q = r->req;
    o->clip_id = q->clip_id ? strdup(q->clip_id) : NULL;
    o->media_uri = strdup(q->media_uri);
    o->template_id = strdup(q->template_id);
    o->format = q->format;
    o->profile = q->profile;
    if ((q->clip_id && !o->clip_id) || !o->media_uri || !o->template_id)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return CF_OK;
}

static void plan_slots(run *r) {
    add_slot(r, "transcribe", 0.25);
    add_slot(r, "features", 0.25);
    add_slot(r, "detect", 0.02);
    for (int64_t i = 0; i < r->req->count; i++) {
        char name[24];
        snprintf(name, sizeof name, "render %d", (int)(i + 1) % 100);
        add_slot(r, name, 0.45 / (double)r->req->count);
    }
    r->deliver_slot = r->n_slots;
    add_slot(r, "deliver", 0.03);
}

/* Fewer shorts than asked for: said, with why (the strict score, or a media with no room for
 * more shorts of their length that do not overlap). */
static cf_err note_fewer(const run *r, size_t n, cf_error *err) {
    size_t want = (size_t)r->req->count;
    if (n >= want) return CF_OK;
    char note[256];
    int at = snprintf(note, sizeof note, "%zu of the %zu clips asked for: ", n, want);
    if (r->req->has_min_score) {
        snprintf(note + at, sizeof note - (size_t)at, "only %zu moment(s) scored %.2f or more (min_score)", n,
                 r->req->min_score);
    } else {
        int64_t len = 0;
        for (size_t i = 0; i < n; i++)
            len += (r->detection.highlights[i].end_ms - r->detection.highlights[i].start_ms) / (int64_t)n;
        snprintf(note + at, sizeof note - (size_t)at,
                 "the %.1f s media has no room for more shorts of about %.1f s that do not overlap",
                 r->track->duration_ms / 1000.0, len / 1000.0);
    }
    return cf_notes_add(&r->out->notes, &r->out->n_notes, note, err);
}

static cf_err after_analysis(run *r, cf_error *err) {
    cf_autoclip_result *o = r->out;
    slot *d = &r->slots[ST_DETECT];
    run_stage(r, d, detect_stage);
    if (d->rc) return *err = d->err, d->rc;
    cf_err rc = r->transcribe && !r->opts->transcribe_all && !r->from_subtitles ? transcribe_for_clips(r, err)
                                                                                : CF_OK;
    if (rc) return rc;
    if (cf_progress_cancelled(r->parent)) return cf_error_set(err, CF_ERR_CANCELLED, "cancelled");
    o->media_duration_ms = r->track->duration_ms;
    o->engine = strdup(r->detection.engine);
    o->model_version = strdup(r->detection.model_version);
    o->captions = r->have_transcript;
    if (r->have_transcript) {
        o->transcript_model = strdup(r->transcript.model);
        o->transcript_words = (int64_t)cf_autoclip_words_in(&r->transcript, 0, INT64_MAX);
    }
    size_t n = clips_wanted(r);
    if (n && !(o->clips = calloc(n, sizeof *o->clips)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (; o->n_clips < n; o->n_clips++)
        if (fill_clip(r, o->n_clips, &o->clips[o->n_clips], err)) return o->n_clips++, err->code;
    for (int i = ST_RENDER0 + (int)n; i < r->deliver_slot; i++)
        set_state(&r->slots[i], CF_AUTOCLIP_SKIPPED, "no span");
    o->has_threshold = true, o->threshold = r->threshold;
    if (!n && r->req->has_min_score)
        return cf_error_set(err, CF_ERR_PROCESSING, "no moment of %s scored %.2f or more (min_score)",
                            r->path, r->req->min_score);
    if (!n)
        return cf_error_set(err, CF_ERR_PROCESSING,
                            "no moment of %s could be told apart: its score never rises", r->path);
    if ((rc = note_fewer(r, n, err))) return rc;
    if (n > r->n_confident) {
        char note[256];
        snprintf(note, sizeof note,
                 "%zu of %zu clips are low-confidence: only %zu moment(s) scored over the threshold %.2f",
                 n - r->n_confident, n, r->n_confident, r->threshold);
        if (cf_notes_add(&o->notes, &o->n_notes, note, err)) return err->code;
    }
    render_clips(r, n);
    if (cf_progress_cancelled(r->parent)) return cf_error_set(err, CF_ERR_CANCELLED, "cancelled");
    if ((rc = render_notes(r, n, err))) return rc;
    for (size_t i = 0; i < n; i++) {
        o->succeeded += o->clips[i].status == CF_AUTOCLIP_STATUS_SUCCEEDED;
        o->failed += o->clips[i].status != CF_AUTOCLIP_STATUS_SUCCEEDED;
    }
    slot *dv = &r->slots[r->deliver_slot];
    run_stage(r, dv, deliver_stage);
    if (dv->rc) return *err = dv->err, dv->rc;
    if (!o->succeeded)
        return cf_error_set(err, CF_ERR_PROCESSING, "every render failed; the first: %s",
                            o->clips[0].error ? o->clips[0].error : "?");
    return CF_OK;
}

/* An unknown template is the caller's mistake: refuse it before minutes of analysis. */
static cf_err check_template(const char *id, cf_error *err) {
    if (!id || !*id || strchr(id, '/') || id[0] == '.')
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "template_id: '%s' is not a template name",
                            id ? id : "");
    char file[128];
    snprintf(file, sizeof file, "%.64s.json", id);
    char *path = cf_path_join(cf_render_template_dir(), file);
    bool ok = path && access(path, R_OK) == 0;
    free(path);
    if (!ok)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "template_id: unknown template '%s' (none in %s)",
                            id, cf_render_template_dir());
    return CF_OK;
}

/* Input errors fail the same way every time; only processing failures are worth a retry. */
static bool retryable(cf_err rc) {
    return rc != CF_ERR_CANCELLED && rc != CF_ERR_INVALID_ARGUMENT && rc != CF_ERR_NOT_FOUND &&
           rc != CF_ERR_UNSUPPORTED && rc != CF_ERR_INVALID_MEDIA;
}

cf_err cf_autoclip_check(const cf_autoclip_request *req, cf_error *err) {
    if (req->transcript_uri && !req->captions)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "transcript_uri: its words make the captions, which captions: false turns off");
    return CF_OK;
}

cf_err cf_autoclip_run(const cf_autoclip_request *req, const cf_autoclip_options *opts, cf_progress *progress,
                       cf_autoclip_result *out, cf_error *err) {
    cf_autoclip_result_init(out);
    cf_err rc = cf_autoclip_check(req, err);
    if (rc) return rc;
    if (!opts || !opts->work_dir)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "autoclip: a work directory is required");
    if (req->count > MAX_CLIPS)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "count: at most %d", MAX_CLIPS);
    rc = check_template(req->template_id, err);
    if (rc) return rc;
    run *r = calloc(1, sizeof *r);
    if (!r) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    r->req = req, r->opts = opts, r->parent = progress, r->out = out, r->t0 = cf_clock_ms();
    r->path = cf_uri_local_path(req->media_uri);
    pthread_mutex_init(&r->lock, NULL);
    plan_slots(r);
    rc = fill_header(r, err);
    if (!rc) rc = analyse(r, err);
    if (!rc) rc = after_analysis(r, err);
    cf_error e2;
    cf_error_clear(&e2);
    if (fill_stages(r, &e2) && !rc) rc = e2.code, *err = e2;
    out->total_ms = cf_clock_ms() - r->t0;
    for (int i = 0; i < MAX_CLIPS; i++) cf_render_result_free(&r->renders[i]);
    cf_highlight_detection_result_free(&r->detection);
    cf_transcript_free(&r->transcript);
    cf_feature_track_free(r->track);
    free(r->transcript_path);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return rc;
}

/* engine.c — the engine registry and routing, and the result type's helpers.
 *
 * Engines are classes (cf_hl_engine_methods, SQLite-VFS style) instantiated once per registry.
 * Routing for a request: the engine named in the request first, then the rest in registry order
 * (heuristic, learned). When a model version is requested, a first round asks each engine to
 * warm_start that version; a second round takes every engine's default. An engine that does not
 * support the profile, cannot load its model or fails is skipped, and the reason is kept: the
 * result names the engine that answered and carries the notes of those that did not. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/clock.h"
#include "clipforge/metrics.h"
#include "clipforge/trace.h"
#include "engine_common.h"

#define MAX_ENGINES 8

typedef struct engine_slot {
    const cf_hl_engine_methods *m;
    void *self;
} engine_slot;

struct cf_hl_registry {
    cf_hl_paths paths;
    engine_slot e[MAX_ENGINES];
    size_t n;
};

static const cf_hl_engine_methods *const builtins[] = {&hl_engine_heuristic, &hl_engine_learned};

const cf_hl_engine_methods *cf_hl_engine_builtin(const char *name) {
    for (size_t i = 0; name && i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i]->name, name) == 0) return builtins[i];
    return NULL;
}

cf_err cf_hl_registry_new(const cf_hl_paths *paths, cf_hl_registry **out, cf_error *err) {
    cf_hl_registry *r = calloc(1, sizeof *r);
    if (!r) return cf_error_set(err, CF_ERR_NO_MEMORY, "engine registry: out of memory");
    r->paths.profiles_dir = strdup(hl_profiles_dir(paths));
    r->paths.models_dir = strdup(hl_models_dir(paths));
    cf_err rc = r->paths.profiles_dir && r->paths.models_dir
                    ? CF_OK
                    : cf_error_set(err, CF_ERR_NO_MEMORY, "engine registry: out of memory");
    for (size_t i = 0; !rc && i < sizeof builtins / sizeof builtins[0]; i++)
        rc = cf_hl_registry_add(r, builtins[i], err);
    if (rc) {
        cf_hl_registry_free(r);
        return rc;
    }
    *out = r;
    return CF_OK;
}

void cf_hl_registry_free(cf_hl_registry *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) r->e[i].m->destroy(r->e[i].self);
    free((char *)r->paths.profiles_dir);
    free((char *)r->paths.models_dir);
    free(r);
}

cf_err cf_hl_registry_add(cf_hl_registry *r, const cf_hl_engine_methods *m, cf_error *err) {
    if (!m || m->version != CF_HL_ENGINE_VERSION || !m->name || !m->create || !m->detect)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "engine registry: incomplete engine class");
    void *self = NULL;
    cf_err rc = m->create(&r->paths, &self, err);
    if (rc) return rc;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->e[i].m->name, m->name) == 0) {
            r->e[i].m->destroy(r->e[i].self);
            r->e[i] = (engine_slot){m, self};
            return CF_OK;
        }
    if (r->n == MAX_ENGINES) {
        m->destroy(self);
        return cf_error_set(err, CF_ERR_TOO_LARGE, "engine registry: more than %d engines", MAX_ENGINES);
    }
    r->e[r->n++] = (engine_slot){m, self};
    return CF_OK;
}

cf_err cf_hl_registry_warm(cf_hl_registry *r, const char *version, const char **engine, cf_error *err) {
    cf_err rc = cf_error_set(err, CF_ERR_NOT_FOUND, "no engine");
    for (size_t i = 0; i < r->n; i++) {
        if (!r->e[i].m->warm_start) continue;
        rc = r->e[i].m->warm_start(r->e[i].self, version, err);
        if (rc == CF_OK) {
            if (engine) *engine = r->e[i].m->name;
            return CF_OK;
        }
    }
    return rc;
}

static void note(char *notes, size_t len, const char *engine, const char *why) {
    size_t used = strlen(notes);
    if (used < len) snprintf(notes + used, len - used, "%s%.32s: %.300s", used ? "; " : "", engine, why);
}

/* clipforge_engine_call_duration_seconds{engine, outcome}: every engine's calls, measured
 * where routing calls them (local and remote engines alike). */
static void observe_call(const char *engine, cf_err rc, double seconds) {
    static cf_metric *m;
    if (!m)
        m = cf_metric_histogram("clipforge_engine_call_duration_seconds",
                                "Highlight engine calls by engine and outcome.", "engine,outcome");
    cf_metric_observe(m, engine, rc ? "error" : "ok", seconds);
}

/* One engine, one attempt: true when it answered into out. */
static bool attempt(engine_slot *s, const cf_highlight_detection_request *req, const char *version,
                    const cf_hl_detect_input *in, cf_highlight_detection_result *out, char *notes,
                    size_t len) {
    cf_error e;
    cf_error_clear(&e);
    if (s->m->warm_start && s->m->warm_start(s->self, version, &e) != CF_OK) {
        note(notes, len, s->m->name, e.msg);
        return false;
    }
    if (s->m->supports_profile && !s->m->supports_profile(s->self, in->profile)) {
        char why[96];
        snprintf(why, sizeof why, "does not support profile '%s'", in->profile);
        note(notes, len, s->m->name, why);
        return false;
    }
    double t0 = (cf_clock_ns() / 1e6);
    cf_highlight_detection_result r = {0};
    cf_span *span = cf_span_begin("engine detect"); /* a remote engine's call joins the trace */
    cf_span_set_str(span, "clipforge.engine", s->m->name);
    cf_err rc = s->m->detect(s->self, in, &r, &e);
    observe_call(s->m->name, rc, ((cf_clock_ns() / 1e6) - t0) / 1000.0);
    if (rc) cf_span_set_error(span, e.msg);
    cf_span_finish(span);
    if (rc != CF_OK) {
        note(notes, len, s->m->name, e.msg);
        cf_highlight_detection_result_free(&r);
        return false;
    }
    r.inference_ms = (int64_t)((cf_clock_ns() / 1e6) - t0 + 0.5);
    r.engine = strdup(s->m->name);
    r.clip_id = strdup(req->clip_id && *req->clip_id ? req->clip_id : "unnamed");
    if (!r.engine || !r.clip_id) {
        note(notes, len, s->m->name, "out of memory");
        cf_highlight_detection_result_free(&r);
        return false;
    }
    *out = r;
    return true;
}

cf_err cf_hl_route(cf_hl_registry *r, const cf_highlight_detection_request *req, const char *engine,
                   const cf_hl_detect_input *in, cf_highlight_detection_result *out, char *note_out,
                   size_t note_len, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (note_out && note_len) note_out[0] = '\0';
    size_t order[MAX_ENGINES], n = 0;
    if (engine) {
        for (size_t i = 0; i < r->n; i++)
            if (strcmp(r->e[i].m->name, engine) == 0) order[n++] = i;
        if (!n) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "unknown engine '%s'", engine);
    }
    for (size_t i = 0; i < r->n; i++)
        if (!engine || strcmp(r->e[i].m->name, engine) != 0) order[n++] = i;
    char notes[CF_ERROR_MSG_MAX - 64] = "";
    bool done = false;
    for (int round = req->model_version ? 0 : 1; round < 2 && !done; round++) {
        for (size_t k = 0; k < n && !done; k++)
            done = attempt(&r->e[order[k]], req, round == 0 ? req->model_version : NULL, in, out, notes,
                           sizeof notes);
        if (done && round == 0) notes[0] = '\0'; /* the version was found: others lacking it is no news */
    }
    if (!done) return cf_error_set(err, CF_ERR_UNSUPPORTED, "no engine answered: %s", notes);
    if (note_out && note_len) snprintf(note_out, note_len, "%s", notes);
    return CF_OK;
}

/* Score curves longer than this many values get a coarser step (14400 = 4 h at one per second). */
#define CURVE_MAX_VALUES 14400

/* The smoothed curve at one value per second (whole seconds per value past 4 h), each the mean
 * of its step, rounded to 1/256: a binary fraction prints in a few digits, so an hour's curve
 * stays a few tens of kB of JSON in every job result. */
static cf_score_curve *score_curve(const float *smooth, size_t n, double threshold) {
    size_t per_s = 1000 / CF_HL_HOP_MS, step = per_s;
    while ((n + step - 1) / step > CURVE_MAX_VALUES) step += per_s;
    cf_score_curve *c = calloc(1, sizeof *c);
    size_t n_values = (n + step - 1) / step;
    if (!c || !(c->values = calloc(n_values ? n_values : 1, sizeof *c->values))) {
        free(c);
        return NULL;
    }
    c->step_ms = (int64_t)step * CF_HL_HOP_MS;
    c->threshold = threshold;
    for (size_t v = 0; v < n_values; v++) {
        double sum = 0;
        size_t end = (v + 1) * step < n ? (v + 1) * step : n;
        for (size_t i = v * step; i < end; i++) sum += smooth[i];
        double mean = sum / (double)(end - v * step);
        c->values[v] = round((mean < 0 ? 0 : mean > 1 ? 1 : mean) * 256) / 256;
    }
    c->n_values = n_values;
    return c;
}

cf_err hl_emit(const cf_hl_detect_input *in, const float *score, const hl_profile *prof, double min_score,
               const hl_signal *signals, size_t n_signals, cf_highlight_detection_result *out,
               cf_error *err) {
    hl_span_params p = prof->span;
    p.min_score = in->has_min_score ? in->min_score : min_score;
    if (in->min_len_ms > 0) p.min_len_ms = in->min_len_ms;
    if (in->max_len_ms > 0) p.max_len_ms = in->max_len_ms;
    /* one bound given against the profile's other: the given one wins */
    if (p.min_len_ms > p.max_len_ms) {
        if (in->min_len_ms > 0) p.max_len_ms = p.min_len_ms;
        else p.min_len_ms = p.max_len_ms;
    }
    p.target_len_ms = in->target_len_ms < p.min_len_ms   ? (in->target_len_ms > 0 ? p.min_len_ms : 0)
                      : in->target_len_ms > p.max_len_ms ? p.max_len_ms
                                                         : in->target_len_ms;
    min_score = p.min_score;
    size_t top_n = in->top_n > 0 ? (size_t)in->top_n : (size_t)p.top_n, n = 0;
    hl_span *spans = NULL;
    hl_span_stats st;
    float *smooth = malloc((in->track->n_hops ? in->track->n_hops : 1) * sizeof *smooth);
    if (!smooth) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    const cf_transcript *sentences = in->transcript ? in->transcript : in->sentences;
    cf_err rc = hl_select_spans(score, in->track, in->words, in->n_words, sentences, &p, top_n, &spans, &n,
                                &st, smooth, err);
    if (!rc) out->score_curve = score_curve(smooth, in->track->n_hops, min_score);
    free(smooth);
    if (rc) return rc;
    out->highlights = calloc(n ? n : 1, sizeof *out->highlights);
    out->confidence_summary =
        json_pack("{s:f, s:f, s:f, s:f, s:I}", "mean", st.mean, "max", st.max, "p90", st.p90, "coverage",
                  st.coverage, "candidates", (json_int_t)st.candidates);
    if (!out->highlights || !out->confidence_summary || !out->score_curve)
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!rc) rc = cf_audio_events_from_track(in->track, &out->audio_events, &out->n_audio_events, err);
    for (size_t i = 0; !rc && i < n; i++) {
        cf_highlight_span *h = &out->highlights[out->n_highlights++];
        h->start_ms = spans[i].start_ms;
        h->end_ms = spans[i].end_ms;
        h->score = spans[i].score;
        if (!(h->boundary_reasons = malloc(sizeof *h->boundary_reasons))) {
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
            break;
        }
        *h->boundary_reasons = (cf_span_boundaries){spans[i].start_why, spans[i].end_why};
        rc = hl_explain(in->track, &spans[i], signals, n_signals, in->transcript, prof, h, err);
    }
    free(spans);
    return rc;
}

/* clip_cuts.c — jump cuts of a clip (see clip_cuts.h). Settings: the request's min_pause_ms and
 * margin_ms, its filler list (default below), CFCLIP_CUT_MAX_PIECES, CFCLIP_CUT_XFADE_S. */
#include "clip_cuts.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/jump_cut.h"
#include "clipforge/transcribe.h"
#include "cut_chain.h"
#include "decode_driver.h"
#include "voice_activity.h"

static const char *const default_fillers[] = {"um", "umm", "uh", "uhm", "er", "erm", "ah", "hmm", "mm"};

bool cfclip_plan_cuts(const cfclip_plan *p) {
    return p->remove_silence || p->remove_fillers;
}

/* ---- the audio pass ---- */

typedef struct listener {
    cfclip_vad *vad;
    bool keep_pcm; /* for the transcriber */
    int16_t *pcm;
    size_t n, cap;
    cf_err rc;
    cf_error *err;
} listener;

static cf_err keep_pcm(listener *l, const float *x, size_t n) {
    if (l->n + n > l->cap) {
        size_t cap = l->cap ? l->cap : 1 << 16;
        while (cap < l->n + n) cap *= 2;
        int16_t *p = realloc(l->pcm, cap * sizeof *p);
        if (!p) return cf_error_set(l->err, CF_ERR_NO_MEMORY, "out of memory");
        l->pcm = p, l->cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        l->pcm[l->n++] = (int16_t)lrintf(fmaxf(-1.0f, fminf(1.0f, x[i])) * 32767.0f);
    return CF_OK;
}

static int listen_consume(void *ctx, cfclip_lane *lane, AVFrame *frame) {
    listener *l = ctx;
    (void)lane;
    if (!frame) return 0;
    const float *x = (const float *)frame->data[0];
    size_t n = (size_t)frame->nb_samples;
    if (!(l->rc = cfclip_vad_push(l->vad, x, n, l->err)) && l->keep_pcm) l->rc = keep_pcm(l, x, n);
    return l->rc ? AVERROR(ENOMEM) : 0;
}

/* Decodes the span's sound at 16 kHz mono into the listener, from output time 0 (sound that
 * starts late is preceded by silence, as in the clip). */
static cf_err listen_span(cf_media_input *in, int threads, const cfclip_span *span, cf_progress *p,
                          listener *l, cf_error *err) {
    cfclip_lane lane;
    memset(&lane, 0, sizeof lane);
    lane.index = in->audio_index, lane.end_s = span->end_s, lane.data_end_s = -1, lane.fill_from_s = -1;
    cf_media_decode_opts dopts = {.threads = threads};
    cf_err rc = cf_media_open_decoder(in, in->audio_index, &dopts, &lane.dec, err);
    AVBPrint args, desc;
    av_bprint_init(&args, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprint_init(&desc, 0, AV_BPRINT_SIZE_UNLIMITED);
    if (!rc) {
        cf_media_audio_src_args(lane.dec, &args);
        av_bprintf(&desc, "[in0]atrim=start=%.6f", span->origin_s);
        if (span->end_s >= 0) av_bprintf(&desc, ":end=%.6f", span->end_s);
        av_bprintf(&desc,
                   ",asetpts=round(PTS-%.6f/TB),aresample=%d:" CF_MEDIA_SOUND_AT_ITS_TIME ","
                   "aformat=sample_fmts=flt:sample_rates=%d:channel_layouts=mono[out]",
                   span->origin_s, CFCLIP_VAD_RATE, CFCLIP_VAD_RATE);
        const char *srcs[1] = {args.str};
        rc = cfclip_graph_build(&lane.graph, false, srcs, 1, desc.str, threads, err);
    }
    if (!rc) {
        lane.consume = listen_consume, lane.ctx = l, l->err = err;
        rc = cfclip_drive(in, &lane, 1, span->origin_s, p, "voice activity", err);
        if (l->rc) rc = cf_error_set(err, l->rc, "voice activity: out of memory");
    }
    av_bprint_finalize(&args, NULL);
    av_bprint_finalize(&desc, NULL);
    cfclip_lane_free(&lane);
    return rc;
}

/* ---- words and fillers ---- */

/* "Um," "UH(2)" -> "um", "uh": letters only, lower case, up to a pronunciation variant. */
static void normalise(const char *w, char *buf, size_t len) {
    size_t n = 0;
    for (; *w && *w != '(' && n + 1 < len; w++)
        if (isalpha((unsigned char)*w)) buf[n++] = (char)tolower((unsigned char)*w);
    buf[n] = '\0';
}

static bool is_filler(const cfclip_plan *p, const char *word) {
    char w[64], f[64];
    normalise(word, w, sizeof w);
    size_t n = p->fillers ? p->n_fillers : sizeof default_fillers / sizeof *default_fillers;
    for (size_t i = 0; i < n && *w; i++) {
        normalise(p->fillers ? p->fillers[i] : default_fillers[i], f, sizeof f);
        if (!strcmp(w, f)) return true;
    }
    return false;
}

/* Appends the words of t (times + shift_ms) overlapping [s, e): fillers (when the plan removes
 * them) to drop, the rest to sound. Both arrays have room for every word. */
static void words_of(const cf_transcript *t, int64_t shift_ms, const cfclip_plan *p, int64_t s, int64_t e,
                     cf_time_range *sound, size_t *ns, cf_time_range *drop, size_t *nd) {
    for (size_t i = 0; t && i < t->n_segments; i++)
        for (size_t k = 0; k < t->segments[i].n_words; k++) {
            const cf_transcript_word *w = &t->segments[i].words[k];
            cf_time_range r = {w->start_ms + shift_ms, w->end_ms + shift_ms};
            if (r.end_ms <= s || r.start_ms >= e || r.end_ms <= r.start_ms) continue;
            if (p->remove_fillers && is_filler(p, w->word)) drop[(*nd)++] = r;
            else sound[(*ns)++] = r;
        }
}

static size_t count_words(const cf_transcript *t) {
    size_t n = 0;
    for (size_t i = 0; t && i < t->n_segments; i++) n += t->segments[i].n_words;
    return n;
}

/* ---- pieces on the frame grid ---- */

typedef struct grid {
    double base_s;  /* container start: ms times are from here */
    double first_s; /* the first frame's time */
    double frame_s; /* frame interval, 0 = no video */
} grid;

static double snap(const grid *g, double t) {
    return g->frame_s > 0 ? g->first_s + (double)llround((t - g->first_s) / g->frame_s) * g->frame_s : t;
}

/* The plan's pieces in source seconds, each starting on the nearest frame and lasting whole
 * frames (at least one); pieces the snapping brings closer than a crossfade are joined. */
static size_t snap_pieces(const cf_jump_cut *jc, const grid *g, cfclip_piece *out) {
    size_t n = 0;
    for (size_t i = 0; i < jc->n_keep; i++) {
        double a = snap(g, g->base_s + jc->keep[i].start_ms / 1000.0);
        double b = snap(g, g->base_s + jc->keep[i].end_ms / 1000.0);
        if (b - a < (g->frame_s > 0 ? g->frame_s : 2 * CFCLIP_CUT_XFADE_S) - 1e-9)
            b = a + (g->frame_s > 0 ? g->frame_s : 2 * CFCLIP_CUT_XFADE_S);
        if (n && a < out[n - 1].end_s + CFCLIP_CUT_XFADE_S) {
            if (b > out[n - 1].end_s) out[n - 1].end_s = b;
            continue;
        }
        out[n++] = (cfclip_piece){a, b};
    }
    return n;
}

static int64_t ms_of(const grid *g, double t) {
    int64_t ms = llround((t - g->base_s) * 1000.0);
    return ms > 0 ? ms : 0;
}

/* What the pieces leave out of [s_ms, e_ms), in ms; at the span's ends, less than a frame is
 * the snapping's rounding, not a cut. */
static size_t removed_of(const cfclip_cuts *c, const grid *g, int64_t s_ms, int64_t e_ms,
                         cf_time_range *out) {
    size_t k = 0;
    int64_t frame_ms = llround(g->frame_s * 1000.0);
    for (size_t i = 0; i <= c->n_pieces; i++) {
        int64_t a = i ? ms_of(g, c->pieces[i - 1].end_s) : s_ms;
        int64_t b = i < c->n_pieces ? ms_of(g, c->pieces[i].start_s) : e_ms;
        bool edge = i == 0 || i == c->n_pieces;
        if (b > a && (!edge || b - a >= frame_ms)) out[k++] = (cf_time_range){a, b};
    }
    return k;
}

static grid grid_of(const cf_media_input *in) {
    grid g = {in->start_us / 1e6, in->start_us / 1e6, 0};
    if (in->video_index < 0) return g;
    const AVStream *st = in->fmt->streams[in->video_index];
    double fps = cf_media_stream_fps(st);
    if (st->start_time != AV_NOPTS_VALUE) g.first_s = st->start_time * av_q2d(st->time_base);
    g.frame_s = fps > 0 ? 1.0 / fps : 0;
    return g;
}

/* ---- the plan ---- */

/* Sound (voice activity and words) and drops (fillers) of [s_ms, e_ms); the arrays are the
 * caller's to free. */
static cf_err gather(const cfclip_plan *plan, const listener *l, int64_t s_ms, int64_t e_ms,
                     cf_time_range **sound, size_t *ns, cf_time_range **drop, size_t *nd, cf_error *err) {
    cf_transcript heard;
    const cf_transcript *t = plan->transcript;
    int64_t shift = 0;
    cf_transcript_init(&heard);
    cf_err rc = CF_OK;
    if (plan->remove_fillers && !t) {
        cf_transcribe_options o = {.threads = plan->threads, .adapt_from_ms = -1}; /* one pass: a clip */
        if ((rc = cf_transcribe_pcm(l->pcm, l->n, &o, NULL, &heard, err))) return rc;
        t = &heard, shift = s_ms;
    }
    cf_time_range *vad = NULL;
    size_t n_vad = 0, n_words = count_words(t);
    if ((rc = cfclip_vad_ranges(l->vad, s_ms, &vad, &n_vad, err))) goto end;
    *sound = malloc((n_vad + n_words + 1) * sizeof **sound);
    *drop = malloc((n_words + 1) * sizeof **drop);
    if (!*sound || !*drop) {
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        goto end;
    }
    memcpy(*sound, vad, n_vad * sizeof *vad);
    *ns = n_vad, *nd = 0;
    words_of(t, shift, plan, s_ms, e_ms, *sound, ns, *drop, nd);
end:
    free(vad);
    cf_transcript_free(&heard);
    return rc;
}

static cf_err place(const cf_jump_cut *jc, const cf_media_input *in, int64_t s_ms, int64_t e_ms,
                    cfclip_span *span, cfclip_cuts *out, cf_error *err) {
    grid g = grid_of(in);
    out->pieces = malloc(jc->n_keep * sizeof *out->pieces);
    out->removed = malloc((jc->n_keep + 1) * sizeof *out->removed);
    if (!out->pieces || !out->removed) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    out->n_pieces = snap_pieces(jc, &g, out->pieces);
    out->n_removed = removed_of(out, &g, s_ms, e_ms, out->removed);
    for (size_t i = 0; i < out->n_pieces; i++)
        out->duration_s += out->pieces[i].end_s - out->pieces[i].start_s;
    span->trim = true;
    span->origin_s = out->pieces[0].start_s;
    span->end_s = out->pieces[out->n_pieces - 1].end_s;
    span->pieces = out->pieces, span->n_pieces = out->n_pieces, span->frame_s = g.frame_s;
    return CF_OK;
}

cf_err cfclip_cuts_make(cf_media_input *in, const cfclip_plan *plan, cfclip_span *span, cf_progress *progress,
                        cfclip_cuts *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (in->audio_index < 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s needs an audio stream and %s has none",
                            plan->remove_silence ? "remove_silence" : "remove_fillers", plan->input);
    double base = in->start_us / 1e6;
    int64_t s_ms = llround((span->origin_s - base) * 1000.0);
    int64_t e_ms = span->end_s >= 0 ? llround((span->end_s - base) * 1000.0) : in->duration_ms;
    listener l = {.keep_pcm = plan->remove_fillers && !plan->transcript};
    cf_time_range *sound = NULL, *drop = NULL;
    size_t ns = 0, nd = 0;
    cf_jump_cut jc = {0};
    cf_progress_report(progress, 0.0, "voice activity");
    cf_err rc = cfclip_vad_new(&l.vad, err);
    if (!rc) rc = listen_span(in, plan->threads, span, progress, &l, err);
    if (!rc) rc = gather(plan, &l, s_ms, e_ms, &sound, &ns, &drop, &nd, err);
    if (!rc) {
        cf_jump_cut_options o = {.min_pause_ms = plan->min_pause_ms,
                                 .margin_ms = plan->margin_ms,
                                 .drop = drop,
                                 .n_drop = nd,
                                 .keep_pauses = !plan->remove_silence,
                                 .max_pieces = CFCLIP_CUT_MAX_PIECES};
        rc = cf_jump_cut_plan(sound, ns, s_ms, e_ms, &o, &jc, err);
    }
    if (!rc) rc = place(&jc, in, s_ms, e_ms, span, out, err);
    cf_jump_cut_free(&jc);
    free(sound), free(drop), free(l.pcm);
    cfclip_vad_free(l.vad);
    if (rc) cfclip_cuts_free(out);
    return rc;
}

void cfclip_cuts_free(cfclip_cuts *c) {
    if (!c) return;
    free(c->pieces);
    free(c->removed);
    memset(c, 0, sizeof *c);
}

cf_err cf_jump_cut_voice(const char *path, const cf_media_select *select, int64_t start_ms, int64_t end_ms,
                         int threads, cf_progress *progress, cf_time_range **out, size_t *n, cf_error *err) {
    cf_media_input in;
    listener l = {0};
    *out = NULL, *n = 0;
    cf_err rc = cf_media_open(path, select, &in, err);
    if (rc) return rc;
    double base = in.start_us / 1e6;
    cfclip_span span = {.origin_s = base + start_ms / 1000.0, .end_s = base + end_ms / 1000.0, .trim = true};
    if (in.audio_index < 0)
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s has no audio to find pauses in", path);
    if (!rc) rc = cfclip_vad_new(&l.vad, err);
    if (!rc) rc = listen_span(&in, threads, &span, progress, &l, err);
    if (!rc) rc = cfclip_vad_ranges(l.vad, start_ms, out, n, err);
    cfclip_vad_free(l.vad);
    cf_media_close(&in);
    return rc;
}

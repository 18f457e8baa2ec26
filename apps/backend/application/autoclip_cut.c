/* autoclip_cut.c — the sound of a short's span, its jump cut, and its captions on the cut
 * timeline (see autoclip_cut.h). */
#include "application/autoclip_cut.h"

#include <stdlib.h>
#include <string.h>

/* The words of t overlapping [s, e) as stretches; *n = 0 when there are none. */
static cf_time_range *word_sound(const cf_transcript *t, int64_t s, int64_t e, size_t *n) {
    size_t total = 0;
    *n = 0;
    for (size_t i = 0; t && i < t->n_segments; i++) total += t->segments[i].n_words;
    cf_time_range *r = total ? malloc(total * sizeof *r) : NULL;
    for (size_t i = 0; r && i < t->n_segments; i++)
        for (size_t k = 0; k < t->segments[i].n_words; k++) {
            const cf_transcript_word *w = &t->segments[i].words[k];
            if (w->end_ms > s && w->start_ms < e) r[(*n)++] = (cf_time_range){w->start_ms, w->end_ms};
        }
    return r;
}

/* Where [s, e) sounds by the feature track: each run of hops not marked silent, less what the
 * loudness window hears early and late (a silent hop has no sound anywhere in its window, so a
 * run's sound starts AFTER hops after its first hop begins and ends BEFORE hops before its end),
 * then trim_ms less at each end when the run is long enough. */
static cf_time_range *track_sound(const cf_feature_track *tr, int64_t s, int64_t e, int64_t trim_ms,
                                  size_t *n) {
    *n = 0;
    if (!tr || tr->hop_ms <= 0 || !tr->n_hops) return NULL;
    size_t h0 = (size_t)(s / tr->hop_ms), h1 = (size_t)((e + tr->hop_ms - 1) / tr->hop_ms);
    if (h1 > tr->n_hops) h1 = tr->n_hops;
    cf_time_range *r = h1 > h0 ? malloc((h1 - h0) * sizeof *r) : NULL;
    for (size_t h = h0; r && h < h1;) {
        size_t a = h;
        while (h < h1 && cf_feat(tr, h, CF_FEAT_SILENCE) <= 0) h++;
        if (h == a) {
            h++;
            continue;
        }
        int64_t from = (int64_t)(a + (a > 0 ? CF_HL_MOMENTARY_AFTER : 0)) * tr->hop_ms;
        int64_t to = (int64_t)(h < tr->n_hops ? h - CF_HL_MOMENTARY_BEFORE : h) * tr->hop_ms;
        /* a run too short to place by the window: all of it */
        if (to <= from) from = (int64_t)a * tr->hop_ms, to = (int64_t)h * tr->hop_ms;
        if (to - from > 2 * trim_ms) from += trim_ms, to -= trim_ms;
        r[(*n)++] = (cf_time_range){from, to};
    }
    return r;
}

/* Where [s, e) sounds, in *out (malloc'd; *n = 0 when nothing does): the words and the track's
 * sound both, so a gap between words is a pause only where the audio is silent too (to the hop).
 * Recognised words stop where music, a crowd or laughter goes on (or are stray words heard in
 * it), and cutting their gaps would chop the music, not a pause. */
static cf_err span_sound(const cf_transcript *t, const cf_feature_track *tr, int64_t s, int64_t e,
                         cf_time_range **out, size_t *n, cf_error *err) {
    size_t nw = 0, nt = 0;
    cf_time_range *words = word_sound(t, s, e, &nw);
    /* beside words, a run's hop-sized edges are the words' own sound (the words place those) */
    cf_time_range *heard = track_sound(tr, s, e, nw && tr ? tr->hop_ms : 0, &nt);
    cf_time_range *all = nt ? realloc(words, (nw + nt) * sizeof *all) : words;
    if (nt && !all) {
        free(words), free(heard);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    if (nt) memcpy(all + nw, heard, nt * sizeof *all);
    free(heard);
    *out = all, *n = nw + nt;
    return CF_OK;
}

cf_err cf_autoclip_cut(const cf_transcript *t, const cf_feature_track *track, int64_t start_ms,
                       int64_t end_ms, const char *captions_path, cf_timeline *tl, cf_jump_cut *cut,
                       cf_error *err) {
    size_t n = 0;
    cf_time_range *sound = NULL;
    cf_err rc = span_sound(t, track, start_ms, end_ms, &sound, &n, err);
    if (rc) return rc;
    cf_jump_cut_options o = {.fps = tl->canvas.fps};
    rc = cf_jump_cut_plan(sound, n, start_ms, end_ms, &o, cut, err);
    free(sound);
    if (!rc) rc = cf_jump_cut_timeline(cut, tl, err);
    if (!rc && tl->captions && t) rc = cf_jump_cut_captions(cut, t, captions_path, tl, err);
    if (rc) cf_jump_cut_free(cut);
    return rc;
}

/* render_cut.c — remove_silence for a template render (see render_cut.h). Where the span speaks:
 * the clip pipeline's voice activity of the source's sound (cf_jump_cut_voice) and the words of
 * the captions, when there are some; the rule's defaults for pauses and margins. */
#include "render_cut.h"

#include <stdlib.h>
#include <string.h>

#include "clipforge/fs.h"
#include "clipforge/transcript.h"
#include "clipforge/uri.h"

/* The voiced stretches of [s, e) plus the words of t there, in *out (malloc'd). */
static cf_err sound_of(const cf_render_request *req, const cf_timeline_scene *sc, const cf_transcript *t,
                       int threads, cf_progress *progress, cf_time_range **out, size_t *n, cf_error *err) {
    cf_media_select sel = {.has_audio_stream = sc->has_audio_stream, .audio_stream = (int)sc->audio_stream};
    cf_time_range *voice = NULL;
    size_t n_voice = 0, n_words = 0;
    cf_err rc = cf_jump_cut_voice(cf_uri_local_path(req->source_uri), &sel, sc->in_ms, sc->out_ms, threads,
                                  progress, &voice, &n_voice, err);
    if (rc) return cf_error_prefix(err, "remove_silence"), rc;
    for (size_t i = 0; t && i < t->n_segments; i++) n_words += t->segments[i].n_words;
    cf_time_range *all = realloc(voice, (n_voice + n_words + 1) * sizeof *all);
    if (!all) return free(voice), cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; t && i < t->n_segments; i++)
        for (size_t k = 0; k < t->segments[i].n_words; k++)
            all[n_voice++] =
                (cf_time_range){t->segments[i].words[k].start_ms, t->segments[i].words[k].end_ms};
    *out = all, *n = n_voice;
    return CF_OK;
}

cf_err cf_render_cut(const cf_render_request *req, const char *dir, int threads, cf_progress *progress,
                     cf_timeline *tl, cf_jump_cut *cut, cf_error *err) {
    memset(cut, 0, sizeof *cut);
    if (!req->template_id || tl->n_scenes != 1)
        return cf_error_set(
            err, CF_ERR_INVALID_ARGUMENT,
            "remove_silence: needs template_id and source_uri (a timeline is cut by its scenes)");
    cf_transcript words;
    cf_transcript_init(&words);
    cf_err rc = CF_OK;
    bool captions = tl->captions && tl->captions->source_uri;
    if (captions &&
        (rc = cf_transcript_load_file(cf_uri_local_path(tl->captions->source_uri), 0, &words, NULL, err)))
        return cf_error_prefix(err, "captions_uri"), rc;
    cf_time_range *sound = NULL;
    size_t n = 0;
    rc = sound_of(req, &tl->scenes[0], captions ? &words : NULL, threads, progress, &sound, &n, err);
    cf_jump_cut_options o = {.fps = tl->canvas.fps};
    if (!rc) rc = cf_jump_cut_plan(sound, n, tl->scenes[0].in_ms, tl->scenes[0].out_ms, &o, cut, err);
    free(sound);
    if (!rc) rc = cf_jump_cut_timeline(cut, tl, err);
    char *path = captions && !rc ? cf_path_join(dir, "captions.json") : NULL;
    if (captions && !rc)
        rc = path ? cf_jump_cut_captions(cut, &words, path, tl, err)
                  : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    free(path);
    cf_transcript_free(&words);
    if (rc) cf_jump_cut_free(cut);
    return rc;
}

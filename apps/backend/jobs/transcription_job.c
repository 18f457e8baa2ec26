/* transcription_job.c — transcription: parse the request with the generated domain parser,
 * resolve media://, transcribe (progress "decoding audio" then "recognising", cancellable) or
 * read the media's own text subtitles (subtitles: true),
 * write the transcript as JSON, SRT and WebVTT into the attempt's work dir, store the three
 * files under jobs/<id>/<attempt>/ and answer a TranscriptionResult. Built only when the
 * transcription pipeline is (CF_HAVE_TRANSCRIBE). */
#include "jobs/transcription_job.h"

#ifdef CF_HAVE_TRANSCRIBE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/clock.h"
#include "clipforge/domain/notes.h"
#include "clipforge/domain/types.h"
#include "clipforge/fs.h"
#include "clipforge/json.h"
#include "clipforge/media.h"
#include "clipforge/subtitles.h"
#include "clipforge/transcribe.h"

cf_err cf_transcription_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                                     cf_error *err) {
    (void)cfg;
    cf_transcription_request req;
    memset(&req, 0, sizeof req);
    cf_err rc = cf_transcription_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = cf_job_require_media("media_uri", req.media_uri, err);
    if (rc == CF_OK && !(*normalized = cf_transcription_request_to_json(&req)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_transcription_request_free(&req);
    return rc;
}

/* The files a transcript is stored as. */
static const struct {
    const char *name, *mime;
    cf_artifact_kind kind;
} files[] = {
    {"transcript.json", "application/json", CF_ARTIFACT_KIND_TRANSCRIPT},
    {"captions.srt", "application/x-subrip", CF_ARTIFACT_KIND_CAPTIONS},
    {"captions.vtt", "text/vtt", CF_ARTIFACT_KIND_CAPTIONS},
};
enum { N_FILES = sizeof files / sizeof files[0] };

/* Writes file i of the transcript t to path. */
static cf_err write_file(size_t i, const cf_transcript *t, const cf_caption_track *track, const char *path,
                         cf_error *err) {
    if (i > 0) return cf_captions_write_file(track, i == 1 ? CF_CAPTION_SRT : CF_CAPTION_VTT, path, err);
    json_t *j = cf_transcript_to_json(t);
    cf_err rc = j ? cf_json_write_file(j, path, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    json_decref(j);
    return rc;
}

/* Writes every file of res->transcript into the work dir, stores it and lists it as an
 * artifact of res. */
static cf_err store_files(cf_job_context *ctx, cf_transcription_result *res, cf_error *err) {
    cf_caption_track track = {0};
    cf_err rc = cf_captions_from_transcript(&res->transcript, NULL, &track, err);
    if (rc == CF_OK && !(res->artifacts = calloc(N_FILES, sizeof *res->artifacts)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; rc == CF_OK && i < N_FILES; i++) {
        char *path = cf_path_join(ctx->work_dir, files[i].name);
        cf_artifact *a = &res->artifacts[res->n_artifacts];
        rc = path ? write_file(i, &res->transcript, &track, path, err)
                  : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        if (rc == CF_OK) rc = cf_job_store_output(ctx, path, files[i].name, &a->uri, err);
        if (rc == CF_OK) {
            res->n_artifacts++;
            a->kind = files[i].kind;
            a->bytes = cf_file_size(path);
            a->has_duration_ms = true;
            a->duration_ms = res->transcript.duration_ms;
            if (!(a->mime = strdup(files[i].mime))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        }
        free(path);
    }
    cf_caption_track_free(&track);
    return rc;
}

/* Names in res the audio streams of the media at path that were not transcribed. */
static cf_err note_left_out(const cf_transcription_request *req, const char *path,
                            cf_transcription_result *res, cf_error *err) {
    cf_media_select sel = {.has_audio_stream = req->has_audio_stream, .audio_stream = (int)req->audio_stream};
    char left_out[CF_NOTE_MAX_BYTES];
    cf_media_left_out_of(path, &sel, false, true, left_out, sizeof left_out);
    return cf_notes_add(&res->notes, &res->n_notes, left_out, err);
}

/* The words of the media's own text subtitles at path (req->subtitles), the notes naming the
 * stream. A media without them is the request's fault: invalid, with the streams it has. */
static cf_err read_subtitles(const cf_transcription_request *req, const char *path,
                             cf_transcription_result *res, cf_error *err) {
    cf_subtitle_stream s;
    cf_err rc = cf_subtitles_find(path, req->language, &s, err);
    if (rc == CF_ERR_NOT_FOUND) err->code = rc = CF_ERR_INVALID_ARGUMENT;
    if (rc == CF_OK) rc = cf_subtitles_transcript(path, &s, req->language, &res->transcript, err);
    if (rc) return rc;
    char name[96], note[160];
    cf_subtitle_stream_name(&s, name, sizeof name);
    snprintf(note, sizeof note, "the words of the media's %s, not speech recognition", name);
    return cf_notes_add(&res->notes, &res->n_notes, note, err);
}

/* Transcribes the resolved media of req (media_uri swapped for the local path meanwhile, so
 * the result names the media as the client did). */
static cf_err transcribe(cf_job_context *ctx, cf_transcription_request *req, cf_transcription_result *res,
                         cf_error *err) {
    char *path = NULL;
    cf_err rc = cf_job_resolve_source(ctx, req->media_uri, &path, err);
    if (rc) return rc;
    char *media_id = req->media_uri;
    req->media_uri = path;
    cf_transcribe_options o = {.threads = (int)ctx->cfg->threads,
                               .max_duration_ms = ctx->cfg->max_duration_ms};
    if (req->subtitles) {
        rc = read_subtitles(req, path, res, err);
    } else {
        rc = cf_transcribe_request(req, &o, ctx->progress, &res->transcript, err);
        if (rc == CF_OK) rc = note_left_out(req, path, res, err);
    }
    req->media_uri = media_id;
    free(path);
    if (rc == CF_OK && cf_progress_cancelled(ctx->progress))
        rc = cf_error_set(err, CF_ERR_CANCELLED, "cancelled");
    return rc;
}

cf_err cf_transcription_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err) {
    int64_t t0 = cf_clock_ms();
    cf_transcription_request req;
    cf_transcription_result res;
    memset(&req, 0, sizeof req);
    cf_transcription_result_init(&res);
    cf_err rc = cf_transcription_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = transcribe(ctx, &req, &res, err);
    if (rc == CF_OK) {
        cf_progress_report(ctx->progress, 1.0, "storing");
        rc = store_files(ctx, &res, err);
    }
    if (rc == CF_OK) {
        res.clip_id = strdup(req.clip_id);
        res.media_uri = strdup(req.media_uri);
        res.words = (int64_t)cf_transcript_word_count(&res.transcript);
        res.processing_time_ms = cf_clock_ms() - t0;
        if (!res.clip_id || !res.media_uri || !(*result = cf_transcription_result_to_json(&res)))
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    cf_transcription_request_free(&req);
    cf_transcription_result_free(&res);
    return rc;
}
#endif

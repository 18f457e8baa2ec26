/* detect.c — one detection request end to end: validate, extract (or load cached) features,
 * route to an engine, return the result. This is what the CLI and the job runner call. */
#include <stdlib.h>
#include <string.h>

#include "clipforge/domain/notes.h"
#include "clipforge/highlight.h"
#include "clipforge/log.h"
#include "clipforge/subtitles.h"
#include "clipforge/transcript.h"
#include "clipforge/uri.h"
#include "profile.h"
#include "transcript_features.h"

static bool remote(const char *uri) {
    return uri && strstr(uri, "://") && !cf_uri_rest(uri, "file");
}

static cf_err validate(const cf_highlight_detection_request *req, cf_error *err) {
    if (!req->media_uri || !*req->media_uri)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "media_uri: required");
    if (remote(req->media_uri))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "media_uri: only local paths and file:// URIs can be analysed here");
    if (remote(req->transcript_uri))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "transcript_uri: only local paths and file:// URIs can be read here");
    if (!cf_detection_profile_to_string(req->detection_profile))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "detection_profile: unknown");
    if (req->has_top_n && (req->top_n < 1 || req->top_n > 100))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "top_n: must be in [1, 100]");
    const struct {
        const char *name;
        bool has;
        int64_t v;
    } len[] = {{"min_length_ms", req->has_min_length_ms, req->min_length_ms},
               {"max_length_ms", req->has_max_length_ms, req->max_length_ms},
               {"target_length_ms", req->has_target_length_ms, req->target_length_ms}};
    for (size_t i = 0; i < 3; i++)
        if (len[i].has && (len[i].v < 1000 || len[i].v > 600000))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: must be in [1000, 600000] ms",
                                len[i].name);
    if (req->has_min_length_ms && req->has_max_length_ms && req->max_length_ms < req->min_length_ms)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "max_length_ms: must be >= min_length_ms");
    return CF_OK;
}

/* The media's own text subtitles as its transcript, into *own, and a note of it; nothing when it
 * has none (a local file only: a remote one is not opened here). */
static void subtitles_transcript(const cf_highlight_detection_request *req, cf_transcript *own,
                                 const cf_transcript **tr, char *note, size_t cap) {
    const char *path = cf_uri_local_path(req->media_uri);
    cf_subtitle_stream s;
    cf_error err;
    if (remote(req->media_uri) || !path) return;
    cf_err rc = cf_subtitles_find(path, "en-us", &s, &err);
    if (!rc) rc = cf_subtitles_transcript(path, &s, NULL, own, &err);
    if (rc && rc != CF_ERR_NOT_FOUND) cf_log_warn("highlight", "subtitles not read: %s", err.msg);
    if (rc) return;
    *tr = own;
    char name[96];
    cf_subtitle_stream_name(&s, name, sizeof name);
    snprintf(note, cap, "speech from the media's %s: its words weigh in", name);
}

/* The request's transcript: opts' own, else read from req->transcript_uri into *own (which the
 * caller frees with cf_transcript_free), else the media's subtitles when opts ask for them (said
 * in note, when given); NULL when there is none. */
static cf_err request_transcript(const cf_highlight_detection_request *req, const cf_hl_options *opts,
                                 cf_transcript *own, const cf_transcript **tr, char *note, size_t cap,
                                 cf_error *err) {
    memset(own, 0, sizeof *own);
    *tr = opts->transcript;
    if (!*tr && !req->transcript_uri && opts->subtitles && note)
        subtitles_transcript(req, own, tr, note, cap);
    if (*tr || !req->transcript_uri) return CF_OK;
    cf_err rc = cf_transcript_load_file(cf_uri_local_path(req->transcript_uri), 0, own, NULL, err);
    if (rc) {
        cf_error_prefix(err, "transcript_uri");
        return rc == CF_ERR_NO_MEMORY ? rc : (err->code = CF_ERR_INVALID_ARGUMENT);
    }
    *tr = own;
    return CF_OK;
}

/* Routes over track, with the transcript's columns and word bounds when tr is given. */
static cf_err route(const cf_highlight_detection_request *req, const cf_hl_options *opts,
                    const cf_feature_track *track, const cf_transcript *tr, const cf_speech_features *sf,
                    cf_highlight_detection_result *out, cf_error *err) {
    const char *profile = cf_detection_profile_to_string(req->detection_profile);
    cf_hl_detect_input in = {.track = track,
                             .profile = profile,
                             .top_n = req->has_top_n ? req->top_n : 0,
                             .words = opts->words,
                             .n_words = opts->n_words,
                             .transcript = tr,
                             .sentences = opts->sentences,
                             .has_min_score = req->has_min_score,
                             .min_score = req->min_score,
                             .min_len_ms = req->has_min_length_ms ? req->min_length_ms : 0,
                             .max_len_ms = req->has_max_length_ms ? req->max_length_ms : 0,
                             .target_len_ms = req->has_target_length_ms ? req->target_length_ms : 0};
    cf_feature_track *with = NULL;
    cf_hl_word *words = NULL;
    cf_hl_registry *reg = NULL;
    cf_err rc = CF_OK;
    if (tr) {
        hl_profile p; /* for its keywords; an engine reports a profile that does not load */
        cf_error perr;
        bool have = hl_profile_load(hl_profiles_dir(&opts->paths), profile, &p, &perr) == CF_OK;
        rc = hl_track_with_transcript(track, tr, sf, have ? &p : NULL, &with, err);
        if (!rc && !(words = hl_transcript_words(tr, &in.n_words)))
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        in.track = with, in.words = words;
    }
    if (!rc && !opts->registry) rc = cf_hl_registry_new(&opts->paths, &reg, err);
    if (!rc)
        rc = cf_hl_route(reg ? reg : opts->registry, req, opts->engine, &in, out, opts->note, opts->note_len,
                         err);
    cf_hl_registry_free(reg);
    cf_feature_track_free(with);
    free(words);
    return rc;
}

/* Speech features of tr at 100 ms steps: from the media's audio when it has some (emphasis is
 * a word's level), else from the words alone. */
static cf_err speech_features(const cf_highlight_detection_request *req, const cf_feature_track *track,
                              const cf_transcript *tr, cf_speech_features *sf, cf_error *err) {
    static const cf_speech_features_options steps = {.hop_ms = CF_HL_HOP_MS};
    if (!track->has_audio) return cf_speech_features_compute(tr, NULL, 0, &steps, sf, err);
    return cf_speech_features_from_file(cf_uri_local_path(req->media_uri), tr, &steps, sf, err);
}

/* Says that a quiet recording's sound was analysed louder, and how quiet it is. */
static cf_err note_quiet(const cf_feature_track *t, cf_highlight_detection_result *out, cf_error *err) {
    char note[160];
    snprintf(note, sizeof note, "the sound is quiet (%.0f LUFS): analysed %.0f dB louder",
             cf_track_own_lufs(t), t->gain_db);
    return cf_notes_add(&out->notes, &out->n_notes, note, err);
}

cf_err cf_highlight_detect_track(const cf_highlight_detection_request *req, const cf_hl_options *opts,
                                 const cf_feature_track *track, cf_highlight_detection_result *out,
                                 cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_hl_options none = {0};
    if (!opts) opts = &none;
    cf_transcript own = {0};
    const cf_transcript *tr = NULL;
    cf_speech_features sf = {0};
    char note[160] = "";
    cf_err rc = validate(req, err);
    if (!rc) rc = request_transcript(req, opts, &own, &tr, note, sizeof note, err);
    if (!rc && tr && !opts->speech) rc = speech_features(req, track, tr, &sf, err);
    if (!rc) rc = route(req, opts, track, tr, opts->speech ? opts->speech : &sf, out, err);
    if (!rc) rc = cf_notes_add(&out->notes, &out->n_notes, track->left_out, err);
    if (!rc && track->gain_db > 0) rc = note_quiet(track, out, err);
    if (!rc && note[0]) rc = cf_notes_add(&out->notes, &out->n_notes, note, err);
    cf_speech_features_free(&sf);
    cf_transcript_free(&own);
    return rc;
}

cf_err cf_highlight_detect(const cf_highlight_detection_request *req, const cf_hl_options *opts,
                           cf_progress *progress, cf_highlight_detection_result *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_hl_options o = {0};
    if (opts) o = *opts;
    if (!o.features.models_dir) o.features.models_dir = o.paths.models_dir; /* audio events */
    cf_transcript own = {0};
    cf_feature_track *track = NULL;
    cf_err rc = validate(req, err);
    /* before the long part (the media's subtitles are read with the track, and said there) */
    if (!rc) rc = request_transcript(req, &o, &own, &o.transcript, NULL, 0, err);
    if (req->has_audio_stream) {
        o.features.select.has_audio_stream = true;
        o.features.select.audio_stream = (int)req->audio_stream;
    }
    if (!rc) rc = cf_features_extract(req->media_uri, &o.features, progress, &track, err);
    if (!rc) {
        cf_progress_report(progress, 0.96, "scoring");
        rc = cf_highlight_detect_track(req, &o, track, out, err);
    }
    if (rc == CF_OK) cf_progress_report(progress, 1.0, "done");
    cf_feature_track_free(track);
    cf_transcript_free(&own);
    return rc;
}

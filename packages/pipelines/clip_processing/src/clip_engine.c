/* clip_engine.c — the decisions of a clip job: what the source allows, whether the trim can be
 * a stream copy (nothing else needs decoding, the codecs already fit the target, and either
 * mode "copy" or a start on a keyframe), and which decoding passes run: loudness measurement
 * (normalize_audio), palette (gif), then the main encode. */
#include "clip_engine.h"

#include <libavutil/pixdesc.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clip_cuts.h"
#include "clipforge/log.h"
#include "clipforge/media_pictures.h"
#include "loudness.h"
#include "smart_cut.h"
#include "stream_copy.h"
#include "transcode.h"

/* A trim may end this far past the input's stated end (rounding of ms times) and is clamped. */
#define END_SLACK_MS 100

static cf_err need_video(const cfclip_plan *p, const cf_media_input *in, cf_error *err) {
    const char *what = p->format == CFCLIP_GIF      ? "gif output"
                       : p->thumbnail               ? "thumbnail"
                       : p->crop                    ? "crop"
                       : (p->scale_w || p->scale_h) ? "scale"
                       : p->fps > 0                 ? "fps"
                                                    : NULL;
    if (what && in->video_index < 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s needs a video stream and %s has none", what,
                            p->input);
    return CF_OK;
}

static cf_err check_audio(const cfclip_plan *p, const cf_media_input *in, cf_error *err) {
    if (p->normalize && p->mute)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "normalize_audio and mute contradict each other");
    if (p->normalize && in->audio_index < 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "normalize_audio needs an audio stream and %s has none", p->input);
    if (p->normalize && p->format == CFCLIP_GIF)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "normalize_audio: gif output has no audio");
    return CF_OK;
}

static void upright_size(const cf_media_input *in, int *w, int *h) {
    const AVCodecParameters *par = in->fmt->streams[in->video_index]->codecpar;
    cf_media_shown_size(par->width, par->height, in->sar, in->rotation, w, h);
}

static cf_err check_crop(const cfclip_plan *p, const cf_media_input *in, cf_error *err) {
    if (!p->crop) return CF_OK;
    int w, h;
    upright_size(in, &w, &h);
    if ((int64_t)p->crop_x + p->crop_w > w || (int64_t)p->crop_y + p->crop_h > h)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "crop %d:%d:%d:%d does not fit in the %dx%d picture", p->crop_w, p->crop_h,
                            p->crop_x, p->crop_y, w, h);
    return CF_OK;
}

/* Resolves the span; *dur_ms is the clip's source duration. */
static cf_err check_trim(const cfclip_plan *p, const cf_media_input *in, cfclip_span *span, int64_t *dur_ms,
                         cf_error *err) {
    int64_t total = in->duration_ms;
    double base = in->start_us / 1e6;
    span->trim = p->trim;
    span->origin_s = base + (p->trim ? p->start_ms / 1000.0 : 0);
    span->end_s = -1;
    *dur_ms = total;
    if (!p->trim)
        return total > 0 ? CF_OK
                         : cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s has no known duration", p->input);
    if (total >= 0 && p->start_ms >= total)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "trim start %.3f s is past the end of %s (%.3f s long)", p->start_ms / 1000.0,
                            p->input, total / 1000.0);
    if (total >= 0 && p->end_ms > total + END_SLACK_MS)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "trim end %.3f s is past the end of %s (%.3f s long)", p->end_ms / 1000.0,
                            p->input, total / 1000.0);
    int64_t end = total >= 0 && p->end_ms > total ? total : p->end_ms;
    span->end_s = base + end / 1000.0;
    *dur_ms = end - p->start_ms;
    return CF_OK;
}

static cf_err check_source(const cfclip_plan *p, const cf_media_input *in, int64_t max_ms, cfclip_span *span,
                           double *out_s, cf_error *err) {
    int64_t dur_ms;
    cf_err rc;
    if (in->duration_ms > max_ms)
        return cf_error_set(err, CF_ERR_TOO_LARGE, "%s is %.0f s long; the limit is %.0f s", p->input,
                            in->duration_ms / 1000.0, max_ms / 1000.0);
    if ((rc = need_video(p, in, err)) || (rc = check_audio(p, in, err)) || (rc = check_crop(p, in, err)) ||
        (rc = check_trim(p, in, span, &dur_ms, err)))
        return rc;
    *out_s = dur_ms / 1000.0 / p->speed;
    if (p->thumbnail && p->thumb_ms / 1000.0 > *out_s + 0.001)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "thumbnail time %.3f s is past the end of the clip (%.3f s long)",
                            p->thumb_ms / 1000.0, *out_s);
    return CF_OK;
}

static bool codecs_are_target(const cf_media_input *in, cfclip_format f, bool use_audio) {
    enum AVCodecID v = f == CFCLIP_MP4 ? AV_CODEC_ID_H264 : AV_CODEC_ID_VP9;
    enum AVCodecID a = f == CFCLIP_MP4 ? AV_CODEC_ID_AAC : AV_CODEC_ID_OPUS;
    if (in->video_index >= 0 && in->fmt->streams[in->video_index]->codecpar->codec_id != v) return false;
    return !use_audio || in->fmt->streams[in->audio_index]->codecpar->codec_id == a;
}

typedef enum { PATH_ENCODE, PATH_COPY, PATH_SMART } trim_path;

static cf_err check_copy_mode(const cfclip_plan *p, cf_media_input *in, bool use_audio, cf_error *err) {
    if (cfclip_plan_needs_decoding(p))
        return cf_error_set(
            err, CF_ERR_INVALID_ARGUMENT,
            "trim mode copy cannot be combined with operations that re-encode "
            "(scale, crop, fps, normalize_audio, speed, gif, remove_silence, remove_fillers)");
    if (!cfclip_copy_supported(in, p->format, use_audio))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "trim mode copy: the codecs of %s cannot be stored in %s", p->input,
                            cfclip_format_name(p->format));
    return CF_OK;
}

/* A cut this near a keyframe is on it. Half a frame interval, but no more than 20 ms: a copy
 * starts at the keyframe, sound included, so a slideshow's keyframe 1 s before the start gave
 * a clip 1 s longer than asked, its sound from before the start. */
#define CUT_ON_KEYFRAME_MAX_S 0.02

/* The video's stated frame rate, 0 when unknown or when there is no video. */
static double video_fps(const cf_media_input *in) {
    return in->video_index >= 0 ? cf_media_stream_fps(in->fmt->streams[in->video_index]) : 0;
}

/* True when both cuts fall on keyframes (or the end at the end of the input): a copy is then
 * exactly what re-encoding would give. */
static cf_err cuts_on_keyframes(cf_media_input *in, const cfclip_span *span, bool *yes, cf_error *err) {
    double kf_start, kf_end, input_end = in->start_us / 1e6 + in->duration_ms / 1000.0;
    double fps = video_fps(in);
    double tolerance = fps > 0 ? fmin(0.5 / fps, CUT_ON_KEYFRAME_MAX_S) : 0.001;
    *yes = false;
    cf_err rc = cfclip_keyframe_before(in, span->origin_s, &kf_start, NULL, err);
    /* written so that NAN (no keyframe read) is no match */
    if (rc || !(fabs(kf_start - span->origin_s) <= tolerance)) return rc;
    if (span->end_s >= input_end - tolerance) {
        *yes = true;
        return CF_OK;
    }
    /* an end keyframe with leading pictures: those are shown before it, inside the span, and
     * come after it in the file, where a copy stops (an open picture group lost its last ones) */
    bool leading = false;
    if ((rc = cfclip_keyframe_before(in, span->end_s, &kf_end, &leading, err))) return rc;
    *yes = fabs(kf_end - span->end_s) <= tolerance && !leading;
    return CF_OK;
}

/* How the trim is done: mode copy and smart are honoured (copy errs when it cannot be; smart
 * falls back later, saying why); auto copies when that is exact (the cuts on keyframes, the
 * pictures as an encode would make them, the sound kept as it is), cuts smartly when nothing
 * else needs the pictures decoded and the source allows it (the sound is re-encoded there, so
 * normalized too), and re-encodes otherwise. */
static cf_err choose_path(const cfclip_plan *p, cf_media_input *in, bool use_audio, const cfclip_span *span,
                          trim_path *path, cfclip_report *report, cf_error *err) {
    *path = PATH_ENCODE;
    if (!p->trim || p->trim_mode == CFCLIP_TRIM_ACCURATE) return CF_OK;
    if (p->trim_mode == CFCLIP_TRIM_SMART) {
        *path = PATH_SMART;
        return CF_OK;
    }
    if (p->trim_mode == CFCLIP_TRIM_COPY) {
        cf_err rc = check_copy_mode(p, in, use_audio, err);
        if (!rc) *path = PATH_COPY;
        return rc;
    }
    if (cfclip_plan_needs_pictures(p) || in->rotation != 0) return CF_OK;
    bool exact = false;
    cf_err rc = codecs_are_target(in, p->format, use_audio) && !cfclip_pictures_unlike_encode(in)
                    ? cuts_on_keyframes(in, span, &exact, err)
                    : CF_OK;
    cf_error ignored;
    if (rc) return rc;
    if (exact && !p->normalize) {
        *path = PATH_COPY;
        return CF_OK;
    }
    if (cfclip_smart_check(in, p, &ignored) == CF_OK) *path = PATH_SMART;
    return CF_OK;
}

/* The span has no sound: the stream carries no packets, or it ends before the span (a
 * recording whose sound stopped while its pictures went on). */
static void drop_empty_audio(const cf_media_input *in, cfclip_report *report) {
    snprintf(report->note, sizeof report->note, "audio stream %d of the source %s: the clip has no audio",
             report->audio_source, in->audio_empty ? "carries no packets" : "has no sound in the range");
    report->audio_source = -1;
}

/* A file name beside output_path (NULL when out of memory): output_path + suffix. */
static char *beside(const char *output_path, const char *suffix) {
    size_t len = strlen(output_path) + strlen(suffix) + 1;
    char *path = malloc(len);
    if (path) snprintf(path, len, "%s%s", output_path, suffix);
    return path;
}

/* normalize_audio's gain and limiter for a re-encode; its trial encodes, if any, go beside the
 * output and are removed (the main pass encodes the sound again, with the video). */
static cf_err normalize_plan(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                             const cfclip_stage *st, const char *output_path, cfclip_loudness *loud,
                             cfclip_report *report, cf_error *err) {
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".sound.%s", cfclip_format_name(plan->format));
    char *trial_path = beside(output_path, suffix);
    if (!trial_path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    bool kept = false;
    cf_err rc = cfclip_plan_loudness(in, plan, span, st, trial_path, loud, &kept, report, err);
    unlink(trial_path);
    free(trial_path);
    return rc;
}

static cf_err transcode(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span, double out_s,
                        bool use_audio, const char *output_path, const char *thumb_path,
                        cf_progress *progress, cfclip_report *report, cf_error *err) {
    cfclip_loudness loud = {0};
    AVFrame *palette = NULL;
    double base = 0, measure_w = plan->normalize ? 0.15 : 0;
    double palette_w = plan->format == CFCLIP_GIF ? 0.35 : 0;
    cf_err rc = CF_OK;
    if (plan->normalize) {
        cfclip_stage st = {progress, base, measure_w, out_s * plan->speed, "loudness"};
        if ((rc = normalize_plan(in, plan, span, &st, output_path, &loud, report, err))) return rc;
        base += measure_w;
    }
    if (plan->format == CFCLIP_GIF) {
        cfclip_stage st = {progress, base, palette_w, out_s, "palette"};
        if ((rc = cfclip_make_palette(in, plan, span, &st, &palette, err))) return rc;
        base += palette_w;
    }
    cfclip_encode_job job = {.plan = plan,
                             .span = *span,
                             .use_video = in->video_index >= 0,
                             .use_audio = use_audio,
                             .loudness = report->normalized ? &loud : NULL,
                             .palette = palette,
                             .output_path = output_path,
                             .thumb_path = thumb_path};
    cfclip_stage st = {progress, base, 1.0 - base, out_s, "encode"};
    rc = cfclip_encode(in, &job, &st, err);
    /* an audio stream without a packet is left out by the muxer (or makes the clip "empty") */
    if ((rc == CF_OK || rc == CF_ERR_INVALID_MEDIA) && job.audio_had_nothing && job.use_video) {
        drop_empty_audio(in, report);
        job.use_audio = false;
        rc = cfclip_encode(in, &job, &st, err);
    }
    av_frame_free(&palette);
    return rc;
}

/* The audio of the span, re-encoded sample-accurately (and normalized when asked), into a file
 * beside output_path that the smart cut muxes in; *audio_path is NULL when the clip has none.
 * The loudness's last trial encode, when it made one, is that file already. */
static cf_err smart_audio(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span, double out_s,
                          const char *output_path, cf_progress *progress, cfclip_report *report,
                          char **audio_path, cf_error *err) {
    cfclip_loudness loud = {0};
    bool kept = false;
    double measure_w = plan->normalize ? 0.05 : 0;
    cfclip_stage measure = {progress, 0, measure_w, out_s, "loudness"};
    if (!(*audio_path = beside(output_path, ".audio.mp4")))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = plan->normalize
                    ? cfclip_plan_loudness(in, plan, span, &measure, *audio_path, &loud, &kept, report, err)
                    : CF_OK;
    if (rc || kept) return rc;
    cfclip_encode_job job = {.plan = plan,
                             .span = *span,
                             .use_audio = true,
                             .loudness = report->normalized ? &loud : NULL,
                             .output_path = *audio_path};
    cfclip_stage st = {progress, measure_w, 0.1 - measure_w, out_s, "audio"};
    rc = cfclip_encode(in, &job, &st, err);
    if (rc == CF_ERR_INVALID_MEDIA && job.audio_had_nothing) {
        unlink(*audio_path);
        drop_empty_audio(in, report);
        free(*audio_path);
        *audio_path = NULL;
        rc = CF_OK;
    }
    return rc;
}

static cf_err smart_cut(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span, double out_s,
                        bool use_audio, const char *output_path, const char *thumb_path,
                        cf_progress *progress, cfclip_report *report, cf_error *err) {
    char *audio = NULL;
    cfclip_smart_stats stats;
    cf_err rc = cfclip_smart_check(in, plan, err);
    if (!rc && use_audio) rc = smart_audio(in, plan, span, out_s, output_path, progress, report, &audio, err);
    if (!rc) rc = cfclip_smart_cut(in, plan, span, audio, output_path, progress, &stats, err);
    if (!rc && thumb_path)
        rc = cf_picture_write_jpeg(output_path, plan->thumb_ms, plan->thumb_w, thumb_path, err);
    if (audio) unlink(audio);
    free(audio);
    if (!rc && !*report->note)
        snprintf(report->note, sizeof report->note,
                 "smart cut: %.3f s encoded at the start, %.3f s copied, %.3f s encoded at the end",
                 stats.head_s, stats.copied_s, stats.tail_s);
    return rc;
}

/* The note of a copy that starts more than a picture before the start asked for (a keyframe
 * into WebM, a slideshow's picture); within a picture (of a video, not a slideshow) the copy
 * starts with the picture on screen there, not worth a note. */
static void copy_note(const cf_media_input *in, double start_s, double started_s, cfclip_report *report) {
    double fps = video_fps(in), frame_s = fps > 0 ? 1.0 / fps : 0;
    if (started_s >= start_s - fmin(fmax(frame_s, CUT_ON_KEYFRAME_MAX_S), 0.1) - 1e-3 || *report->note)
        return;
    snprintf(report->note, sizeof report->note,
             "copy: starts %.3f s before the start asked for (a copy cuts at keyframes; trim mode smart "
             "or accurate cuts at the start)",
             start_s - started_s);
}

/* A copy's thumbnail: the source's picture the copy shows at the time asked (the copy holds the
 * source's pictures as they are, shown from started_s), decoded from the source. */
static cf_err copy_thumbnail(const cf_media_input *in, const cfclip_plan *plan, double started_s,
                             const char *thumb_path, cf_error *err) {
    int64_t at_ms = llround((started_s - in->start_us / 1e6) * 1000.0) + plan->thumb_ms;
    return cf_picture_write_jpeg(plan->input, at_ms, plan->thumb_w, thumb_path, err);
}

/* How a re-encode changed the pictures to show them as players do, for the result's notes. */
static void shown_note(const cf_media_input *in, char *note, size_t n) {
    const AVCodecParameters *par = in->video_index >= 0 ? in->fmt->streams[in->video_index]->codecpar : NULL;
    if (!par) return;
    bool hdr = cf_media_is_hdr(in), interlaced = cf_media_is_interlaced(in);
    char hdr_part[80] = "";
    if (hdr)
        snprintf(hdr_part, sizeof hdr_part, "HDR (%s): tone-mapped to SDR (BT.709)",
                 av_color_transfer_name(par->color_trc));
    if (interlaced && hdr) snprintf(note, n, "the source is interlaced and %s; deinterlaced", hdr_part);
    else if (interlaced)
        snprintf(note, n, "the source is interlaced (%s field first): deinterlaced",
                 par->field_order == AV_FIELD_BB || par->field_order == AV_FIELD_BT ? "bottom" : "top");
    else if (hdr) snprintf(note, n, "the source is %s", hdr_part);
}

cf_err cfclip_execute(const cfclip_plan *plan, const char *output_path, const char *thumb_path,
                      cf_progress *progress, cfclip_report *report, cf_error *err) {
    cf_media_input in;
    cfclip_span span = {0};
    cfclip_cuts cuts = {0};
    double out_s = 0;
    trim_path path = PATH_ENCODE;
    memset(report, 0, sizeof *report);
    cf_err rc = cfclip_plan_check(plan, err);
    if (rc) return rc;
    cf_media_select sel = plan->select;
    sel.progress = progress; /* a cancel stops the copy of joined recordings too */
    if ((rc = cf_media_open(plan->input, &sel, &in, err))) return rc;
    int64_t max_ms = plan->max_duration_ms > 0 ? plan->max_duration_ms : INT64_MAX;
    bool want_audio = !plan->mute && plan->format != CFCLIP_GIF;
    bool use_audio = in.audio_index >= 0 && want_audio;
    report->video_source = in.video_index;
    report->audio_source = use_audio ? in.audio_index : -1;
    AVBPrint left;
    av_bprint_init_for_buffer(&left, report->left_out, sizeof report->left_out);
    cf_media_note_left_out(&in, true, use_audio, &left);
    if (want_audio && in.audio_empty)
        snprintf(report->note, sizeof report->note,
                 "the audio stream of the source carries no packets: the clip has no audio");
    if ((rc = cf_media_require(&in, true, want_audio, plan->input, err)) ||
        (rc = check_source(plan, &in, max_ms, &span, &out_s, err)))
        goto end;
    if (cfclip_plan_cuts(plan)) {
        if ((rc = cfclip_cuts_make(&in, plan, &span, progress, &cuts, err))) goto end;
        out_s = cuts.duration_s / plan->speed;
        report->removed = cuts.removed, report->n_removed = cuts.n_removed, cuts.removed = NULL;
    }
    report->expected_s = out_s;
    if ((rc = choose_path(plan, &in, use_audio, &span, &path, report, err))) goto end;
    if (cuts.n_pieces && path == PATH_SMART) { /* the pieces' joints are made by decoding */
        if (plan->trim_mode == CFCLIP_TRIM_SMART)
            snprintf(report->note, sizeof report->note,
                     "smart cut not possible (jump cuts join pieces by decoding): re-encoded");
        path = PATH_ENCODE;
    }
    if (path == PATH_COPY) {
        double started_s = span.origin_s;
        rc = cfclip_stream_copy(&in, plan->format, use_audio, span.origin_s, span.end_s, output_path,
                                &started_s, progress, err);
        /* an input the fast path cannot read to the end is left to the decoding path, which
         * knows holes, empty streams and damage, and fails with the right error if it must */
        report->stream_copied = rc != CF_ERR_INVALID_MEDIA;
        if (!report->stream_copied) path = PATH_ENCODE;
        if (!rc) copy_note(&in, span.origin_s, started_s, report);
        if (!rc && report->stream_copied && thumb_path)
            rc = copy_thumbnail(&in, plan, started_s, thumb_path, err);
    }
    if (path == PATH_SMART) {
        rc = smart_cut(&in, plan, &span, out_s, use_audio, output_path, thumb_path, progress, report, err);
        if (rc == CF_ERR_UNSUPPORTED) {
            snprintf(report->note, sizeof report->note, "smart cut not possible (%.200s): re-encoded",
                     err->msg);
            cf_log_info("clip", "%s", report->note);
            report->audio_source = use_audio ? in.audio_index : -1;
            path = PATH_ENCODE;
        }
    }
    if (path == PATH_ENCODE)
        rc = transcode(&in, plan, &span, out_s, use_audio, output_path, thumb_path, progress, report, err);
    if (path == PATH_ENCODE) shown_note(&in, report->shown, sizeof report->shown);
    if (!rc) cf_progress_report(progress, 1.0, "done");
end:
    cfclip_cuts_free(&cuts);
    cf_media_close(&in);
    return rc;
}

cf_err cfclip_validate(const cfclip_plan *plan, cf_error *err) {
    cf_media_input in;
    cfclip_span span = {0};
    double out_s;
    cf_err rc = cfclip_plan_check(plan, err);
    if (rc || (rc = cf_media_open(plan->input, &plan->select, &in, err))) return rc;
    int64_t max_ms = plan->max_duration_ms > 0 ? plan->max_duration_ms : INT64_MAX;
    rc = check_source(plan, &in, max_ms, &span, &out_s, err);
    cf_media_close(&in);
    return rc;
}

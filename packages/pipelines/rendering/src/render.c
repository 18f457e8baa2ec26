/* render.c — renders a timeline in-process: prepares the inputs in a private temp directory
 * (links to the sources, smart-crop camera paths as sendcmd files, caption scripts, overlay
 * texts), builds one libavfilter graph for the whole timeline, pulls every output through its
 * encoders and muxer, and records the artifacts. Progress follows the first output's video
 * time; cancellation is polled between frames. Temp files go on every path. */
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "captions.h"
#include "debug_video.h"
#include "clipforge/clock.h"
#include "clipforge/domain/notes.h"
#include "clipforge/encode.h"
#include "clipforge/fs.h"
#include "clipforge/json.h"
#include "clipforge/log.h"
#include "clipforge/measure.h"
#include "clipforge/media.h"
#include "clipforge/render.h"
#include "clipforge/uri.h"
#include "gray_reader.h"
#include "output_file.h"
#include "reframe.h"
#include "render_graph.h"
#include "render_source.h"
#include "sound_meter.h"
#include "timeline_check.h"

/* A file made beside the videos (poster, captions, debug video): written in the temp dir, moved
 * to its path with them (all or none). Both paths are the job's. */
typedef struct side_file {
    const char *work, *path;
    bool published;
} side_file;

typedef struct job {
    const cf_timeline *tl;
    const cf_render_options *opts;
    cf_progress *progress;
    char *tmp;
    render_plan plan;
    json_t *debug; /* camera paths, one per smart_crop scene */
    bool debug_video_done;
    char *debug_video_work;
    cf_captions captions;
    bool has_captions;
    render_source *sources; /* one per scene, per music track, per overlay (n_sources) */
    AVFilterGraph *graph;
    output_file *outs;
    size_t n_outs;
    char *thumb_path, *thumb_work;
    char *srt_path, *srt_work, *vtt_path, *vtt_work;
    side_file sides[4];
    size_t n_sides;
    bool thumb_done;
    cf_err thumb_err;
    double thumb_at_s;
    double last_s;
    char loudness_note[160]; /* the target missed: the loudness reached, for the notes */
} job;

/* The render's sources: one per scene, then one per music track, then one per overlay (opened
 * for image overlays only). */
static size_t n_sources(const job *j) {
    return j->tl->n_scenes + j->tl->n_audio_tracks + j->tl->n_overlays;
}

/* Overlay k's source in srcs. */
static render_source *image_source(const job *j, render_source *srcs, size_t k) {
    return &srcs[j->tl->n_scenes + j->tl->n_audio_tracks + k];
}

/* ---- inputs ------------------------------------------------------------------------------- */

/* Links the file at uri as <tmp>/<name><ext>; *out is the link path (malloc'd). */
static cf_err link_input(job *j, const char *uri, const char *field, const char *name, char **out,
                         cf_error *err) {
    const char *path = cf_uri_local_path(uri);
    char real[PATH_MAX];
    if (!realpath(path, real))
        return cf_error_set(err, CF_ERR_NOT_FOUND, "%s: %s: no such file", field, path);
    const char *dot = strrchr(real, '.'), *slash = strrchr(real, '/');
    char ext[16] = "";
    if (dot && dot > slash && strlen(dot) < sizeof ext) {
        snprintf(ext, sizeof ext, "%s", dot);
        for (char *p = ext + 1; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) *p = '_';
    }
    size_t n = strlen(j->tmp) + strlen(name) + sizeof ext + 2;
    if (!(*out = malloc(n))) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    snprintf(*out, n, "%s/%s%s", j->tmp, name, ext);
    if (symlink(real, *out) != 0) return cf_error_set(err, CF_ERR_IO, "%s: cannot link %s", field, real);
    return CF_OK;
}

static cf_err write_text(const char *path, const char *text, cf_error *err) {
    FILE *f = fopen(path, "wb");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0) ok = false;
    return ok ? CF_OK : cf_error_set(err, CF_ERR_IO, "%s: cannot write", path);
}

static char *tmp_file(const job *j, const char *fmt, size_t i) {
    char name[64];
    snprintf(name, sizeof name, fmt, i);
    return cf_path_join(j->tmp, name);
}

/* The sendcmd script that moves crop@sc<i> along the camera path (only where it changes). */
static cf_err write_crop_commands(job *j, size_t i, const cf_camera_path *cp, cf_error *err) {
    char *path = tmp_file(j, "crop%zu.cmd", i);
    FILE *f = path ? fopen(path, "wb") : NULL;
    if (!f) {
        free(path);
        return cf_error_set(err, CF_ERR_IO, "cannot write the crop path");
    }
    int px = -1, py = -1;
    for (size_t k = 0; k < cp->n_samples; k++) {
        const cf_camera_sample *s = &cp->samples[k];
        if (s->crop_x == px && s->crop_y == py) continue;
        fprintf(f, "%.3f crop@sc%zu x %d, crop@sc%zu y %d;\n", k ? s->t_ms / 1000.0 : 0.0, i, s->crop_x, i,
                s->crop_y);
        px = s->crop_x, py = s->crop_y;
    }
    bool ok = fclose(f) == 0;
    j->plan.scenes[i].cmd_file = path;
    j->plan.scenes[i].crop_w = cp->crop_w, j->plan.scenes[i].crop_h = cp->crop_h;
    return ok ? CF_OK : cf_error_set(err, CF_ERR_IO, "cannot write the crop path");
}

/* The reframe settings of a smart_crop scene on a canvas of aspect width / height: one rule
 * for the render and for the paths previews are given. */
static void smart_crop_params(cf_reframe_params *p, double aspect) {
    cf_reframe_params_default(p);
    p->aspect = aspect;
}

cf_err cf_render_camera_path(const char *path, int64_t start_ms, int64_t end_ms, double aspect,
                             cf_progress *progress, json_t **out, cf_error *err) {
    *out = NULL;
    cf_reframe_params p;
    smart_crop_params(&p, aspect);
    cf_camera_path cp;
    cf_err e = cf_reframe_analyze(path, start_ms, end_ms, &p, progress, &cp, err);
    if (e) return e;
    *out = cf_camera_path_to_json(&cp);
    cf_camera_path_free(&cp);
    return *out ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* The passes before the encode (the framing of each smart-crop or split scene: a decode of the
 * scene, a fifth of a split render's time) take up to PREPARE_SHARE of a render's progress: that
 * share times the part of the timeline they read, each scene's pass in proportion to its length,
 * so the bar moves by each pass's share and never back, and a render without them starts its
 * encode at 0. The sound's measures take SOUND_SHARE after them (a render with sound), the
 * encode the rest up to ENCODE_END (the outputs' finishing, the rest). */
#define PREPARE_SHARE 0.2
#define ENCODE_END 0.95

static bool framed(const cf_timeline_scene *s) {
    return s->layout == CF_SCENE_LAYOUT_SMART_CROP || s->layout == CF_SCENE_LAYOUT_SPLIT;
}

static double scene_ms(const cf_timeline_scene *s) {
    return s->out_ms > s->in_ms ? (double)(s->out_ms - s->in_ms) : 0.0;
}

/* The framed length of scenes [0, upto) and of the whole timeline. */
static double framed_ms(const job *j, size_t upto, double *total) {
    double f = 0;
    *total = 0;
    for (size_t k = 0; k < j->tl->n_scenes; k++) {
        const cf_timeline_scene *s = &j->tl->scenes[k];
        if (k < upto && framed(s)) f += scene_ms(s);
        *total += scene_ms(s);
    }
    return f;
}

static double prepare_share(const job *j) {
    double total, f = framed_ms(j, j->tl->n_scenes, &total);
    return total > 0 ? PREPARE_SHARE * f / total : 0.0;
}

static void scene_part(const job *j, size_t i, cf_progress *part) {
    double total, before = framed_ms(j, i, &total), len = scene_ms(&j->tl->scenes[i]);
    double per_ms = total > 0 ? PREPARE_SHARE / total : 0;
    cf_progress_part(part, j->progress, per_ms * before, per_ms * (before + len));
}

static cf_err smart_crop(job *j, size_t i, const char *source, cf_error *err) {
    const cf_timeline_scene *s = &j->tl->scenes[i];
    cf_reframe_params p;
    smart_crop_params(&p, (double)j->tl->canvas.width / j->tl->canvas.height);
    cf_camera_path cp;
    cf_progress part;
    scene_part(j, i, &part);
    cf_err e = cf_reframe_analyze(source, s->in_ms, s->out_ms, &p, &part, &cp, err);
    if (e) return cf_error_prefix(err, "scenes[%zu] smart crop", i), e;
    e = write_crop_commands(j, i, &cp, err);
    if (!e && j->opts->debug_video_path && !j->debug_video_done) {
        /* the first smart-crop scene only: one file, one path */
        char *cmd = tmp_file(j, "box%zu.cmd", i), shown[1024];
        snprintf(shown, sizeof shown, "%s%s", j->plan.scenes[i].upright, j->plan.scenes[i].tone_map);
        if (!j->debug_video_work) j->debug_video_work = cf_path_join(j->tmp, "debug.mp4");
        double t0 = j->plan.scenes[i].start_s + s->in_ms / 1000.0,
               t1 = j->plan.scenes[i].start_s + s->out_ms / 1000.0;
        e = cmd && j->debug_video_work ? cf_debug_video_write(source, shown, t0, t1, j->opts->threads, &cp,
                                                              cmd, j->debug_video_work, &part, err)
                                       : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        j->debug_video_done = !e;
        free(cmd);
    }
    if (!e && j->debug) {
        json_t *d = cf_camera_path_to_json(&cp);
        json_object_set_new(d, "scene", json_integer((json_int_t)i));
        json_array_append_new(j->debug, d);
    }
    cf_camera_path_free(&cp);
    return e;
}

/* The aspect of each panel of a split scene on a canvas of aspect width / height: half its
 * height. One rule for the render and for the framings previews are given. */
static double split_panel_aspect(double aspect) {
    return aspect * 2.0;
}

cf_err cf_render_split_framing(const char *path, int64_t start_ms, int64_t end_ms, double aspect,
                               cf_progress *progress, json_t **out, cf_error *err) {
    cf_rect r[2];
    cf_error ferr;
    json_t *regions = json_array();
    cf_err e = cf_split_regions(path, start_ms, end_ms, split_panel_aspect(aspect), progress, r, &ferr);
    if (e && e != CF_ERR_NOT_FOUND) {
        json_decref(regions);
        *out = NULL;
        return *err = ferr, e;
    }
    for (int k = 0; !e && k < 2; k++)
        json_array_append_new(
            regions, json_pack("{si si si si}", "x", r[k].x, "y", r[k].y, "width", r[k].w, "height", r[k].h));
    *out = json_pack("{so}", "regions", regions);
    return *out ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* Frames each panel of a split scene on a person; without two people the halves stay. */
static cf_err split_faces(job *j, size_t i, const char *source, cf_error *err) {
    const cf_timeline_scene *s = &j->tl->scenes[i];
    plan_scene *ps = &j->plan.scenes[i];
    double panel = split_panel_aspect((double)j->tl->canvas.width / j->tl->canvas.height);
    cf_error ferr;
    cf_progress part;
    scene_part(j, i, &part);
    cf_err e = cf_split_regions(source, s->in_ms, s->out_ms, panel, &part, ps->split, &ferr);
    if (e == CF_ERR_NOT_FOUND) {
        cf_log_info("render", "scenes[%zu] split: %s; showing the halves", i, ferr.msg);
        return CF_OK;
    }
    if (e) return *err = ferr, cf_error_prefix(err, "scenes[%zu] split", i), e;
    ps->split_faces = true;
    if (j->debug) {
        json_t *d =
            json_pack("{sI s[{sisisisi}{sisisisi}]}", "scene", (json_int_t)i, "split", "x", ps->split[0].x,
                      "y", ps->split[0].y, "w", ps->split[0].w, "h", ps->split[0].h, "x", ps->split[1].x, "y",
                      ps->split[1].y, "w", ps->split[1].w, "h", ps->split[1].h);
        json_array_append_new(j->debug, d);
    }
    return CF_OK;
}

/* Opens the scene's source and checks the scene fits in it. */
/* Every render is BT.709: a canvas holds pictures of several sources and what is drawn on them. */
static void in_bt709(const cf_media_input *in, AVBPrint *up) {
    if (in->video_index < 0) return;
    const AVCodecParameters *par = in->fmt->streams[in->video_index]->codecpar;
    int w, h;
    cf_media_shown_size(par->width, par->height, in->sar, in->rotation, &w, &h);
    cf_media_matrix_filter(cf_media_shown_colors(in).matrix, AVCOL_SPC_BT709, w, h, up);
}

/* The streams scene i reads (its audio_stream, else libcfmedia's choice). */
static cf_media_select scene_select(const job *j, size_t i) {
    const cf_timeline_scene *s = &j->tl->scenes[i];
    return (cf_media_select){.has_audio_stream = s->has_audio_stream,
                             .audio_stream = (int)s->audio_stream,
                             .progress = j->progress};
}

static cf_err open_scene(job *j, size_t i, const char *path, cf_error *err) {
    const cf_timeline_scene *s = &j->tl->scenes[i];
    plan_scene *ps = &j->plan.scenes[i];
    render_source *src = &j->sources[i];
    cf_media_select sel = scene_select(j, i);
    cf_err e = cf_media_open(path, &sel, &src->in, err); /* for the start time and length */
    if (e) return cf_error_prefix(err, "scenes[%zu].source_uri", i), e;
    AVBPrint left;
    av_bprint_init_for_buffer(&left, ps->left_out, sizeof ps->left_out);
    cf_media_note_left_out(&src->in, true, cf_timeline_has_sound(j->tl), &left);
    double start = src->in.start_us / 1e6;
    int64_t dur = src->in.duration_ms;
    /* the stated length may be short of the data (an ASF file with a hole): look there */
    if (dur > 0 && (s->in_ms >= dur || s->out_ms > dur + 100) &&
        cf_media_reaches(&src->in, (s->out_ms - 100) / 1000.0))
        dur = -1;
    cf_media_close(&src->in);
    if (dur > 0 && s->in_ms >= dur)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "scenes[%zu].in_ms: after the end of the source (%lld ms)", i, (long long)dur);
    if (dur > 0 && s->out_ms > dur + 100)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "scenes[%zu].out_ms: after the end of the source (%lld ms)", i, (long long)dur);
    e = cf_render_source_open(src, path, &sel,
                              cf_timeline_has_sound(j->tl) ? RENDER_SOURCE_BOTH : RENDER_SOURCE_PICTURES,
                              start + s->in_ms / 1000.0, start + s->out_ms / 1000.0, j->opts->threads, err);
    if (e) return cf_error_prefix(err, "scenes[%zu].source_uri", i), e;
    if (src->in.audio_empty)
        cf_log_info("render", "scenes[%zu]: the audio stream of %s carries no packets", i, path);
    ps->start_s = start;
    AVBPrint up;
    av_bprint_init_for_buffer(&up, ps->upright, sizeof ps->upright);
    cf_media_upright_filters(&src->in, j->tl->canvas.fps, 1.0, &up);
    in_bt709(&src->in, &up);
    AVBPrint tm;
    av_bprint_init_for_buffer(&tm, ps->tone_map, sizeof ps->tone_map);
    cf_media_tone_map_filters(&src->in, &tm);
    if (!av_bprint_is_complete(&up) || !av_bprint_is_complete(&tm))
        return cf_error_set(err, CF_ERR_INTERNAL, "scenes[%zu]: the source's picture filters are too long",
                            i);

    ps->video_index = src->video.index;
    ps->audio_index = src->audio.index;
    ps->cover_index = src->cover_index;
    AVBPrint v, a, c;
    av_bprint_init(&v, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprint_init(&a, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprint_init(&c, 0, AV_BPRINT_SIZE_UNLIMITED);
    cf_render_source_args(src, &v, &a, &c);
    av_bprint_finalize(&v, &ps->video_args);
    av_bprint_finalize(&a, &ps->audio_args);
    av_bprint_finalize(&c, &ps->cover_args);
    if (src->cover) {
        AVBPrint cc;
        av_bprint_init_for_buffer(&cc, ps->cover_colors, sizeof ps->cover_colors);
        cf_media_color_filters((enum AVPixelFormat)src->cover->format, src->cover->colorspace,
                               src->cover->color_range, src->cover->width, src->cover->height,
                               AVCOL_SPC_BT709, &cc);
    }
    return ps->video_args && ps->audio_args && ps->cover_args
               ? CF_OK
               : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* Refuses an output that is one of the sources: it would be truncated while being read. */
static cf_err check_not_source(const job *j, const char *source, size_t scene, cf_error *err) {
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(source, a)) return CF_OK;
    for (size_t i = 0; i < j->n_outs; i++)
        if (realpath(j->outs[i].path, b) && !strcmp(a, b))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "outputs[%zu]: %s is also scenes[%zu].source_uri", i, j->outs[i].path, scene);
    return CF_OK;
}

static cf_err prepare_scenes(job *j, cf_error *err) {
    for (size_t i = 0; i < j->tl->n_scenes; i++) {
        char field[48], name[32];
        snprintf(field, sizeof field, "scenes[%zu].source_uri", i);
        snprintf(name, sizeof name, "src%zu", i);
        const char *path = cf_uri_local_path(j->tl->scenes[i].source_uri);
        cf_err e = check_not_source(j, path, i, err);
        if (!e) e = link_input(j, j->tl->scenes[i].source_uri, field, name, &j->plan.scenes[i].link, err);
        if (!e) e = open_scene(j, i, path, err);
        /* a source without pictures is drawn as its sound: no layout to frame */
        bool pictures = !e && j->plan.scenes[i].video_index >= 0;
        if (pictures && j->tl->scenes[i].layout == CF_SCENE_LAYOUT_SMART_CROP)
            e = smart_crop(j, i, path, err);
        if (pictures && j->tl->scenes[i].layout == CF_SCENE_LAYOUT_SPLIT) e = split_faces(j, i, path, err);
        if (e) return e;
    }
    return CF_OK;
}

/* An image overlay's first picture is decoded here first (the analyses' reader, a still or a
 * video), so that a file without one (a sound, a text) or one that cannot be decoded (a
 * truncated PNG) is refused by name before the render, not left out of it. */
static cf_err check_image(const job *j, size_t k, cf_error *err) {
    const char *path = cf_uri_local_path(j->tl->overlays[k].image_uri);
    cf_gray_reader *r = NULL;
    cf_gray_image img;
    int64_t at_ms;
    bool eof = false;
    cf_error why = {0};
    cf_err e = cf_gray_reader_open(path, 0, 16, 16, &r, err);
    if (!e && (cf_gray_reader_next(r, &img, &at_ms, &eof, &why) || eof))
        e = cf_error_set(err, CF_ERR_INVALID_MEDIA,
                         "%s: its picture cannot be decoded, the file is damaged or cut short (%s)", path,
                         eof ? "the file ends before one" : why.msg);
    cf_gray_reader_close(r);
    if (e) cf_error_prefix(err, "overlays[%zu].image_uri", k);
    return e;
}

/* Music track m read by s from its file's start (RENDER_SOURCE_MUSIC): the media layer's stream
 * choice, a damaged packet skipped, a layout or rate that changes midway converted. A file
 * without sound (a picture, a silent video) is refused by name before the render. */
static cf_err open_music(const job *j, size_t m, render_source *s, cf_error *err) {
    const char *path = cf_uri_local_path(j->tl->audio_tracks[m].source_uri);
    cf_err e = cf_render_source_open(s, path, NULL, RENDER_SOURCE_MUSIC, 0, 0, j->opts->threads, err);
    if (!e && s->audio.index < 0)
        e = cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s has no sound to play as music", path);
    if (e) cf_error_prefix(err, "audio_tracks[%zu].source_uri", m);
    return e;
}

/* The render's reading of music track m (its changes of layout logged), and its graph's terms;
 * nothing for a render without sound (GIF alone), whose graph has no music. */
static cf_err prepare_music(job *j, size_t m, cf_error *err) {
    render_source *s = &j->sources[j->tl->n_scenes + m];
    if (!cf_timeline_has_sound(j->tl)) return CF_OK;
    cf_err e = open_music(j, m, s, err);
    if (e) return e;
    s->audio.fit.changed = false;
    j->plan.music_streams[m] = s->audio.index;
    AVBPrint a;
    av_bprint_init(&a, 0, AV_BPRINT_SIZE_UNLIMITED);
    cf_media_audio_src_args(s->audio.dec, &a);
    av_bprint_finalize(&a, &j->plan.music_args[m]);
    return j->plan.music_args[m] ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* Image overlay k read by its render source (RENDER_SOURCE_IMAGE: an animated image or a video
 * plays from the overlay's start and loops to its end), and its buffer's terms. Its pictures stop
 * before the render's last one: overlay goes on while either input does, and a picture after
 * the last scene picture would add a picture to the render. */
static cf_err prepare_image(job *j, size_t k, cf_error *err) {
    const cf_timeline_overlay *o = &j->tl->overlays[k];
    render_source *s = image_source(j, j->sources, k);
    double last = j->plan.duration_ms / 1000.0 - 1.0 / j->tl->canvas.fps;
    cf_err e = check_image(j, k, err);
    if (e) return e;
    e = cf_render_source_open(s, cf_uri_local_path(o->image_uri), NULL, RENDER_SOURCE_IMAGE,
                              o->start_ms / 1000.0, fmin(o->end_ms / 1000.0, last), j->opts->threads, err);
    if (e) return cf_error_prefix(err, "overlays[%zu].image_uri", k), e;
    AVBPrint v;
    av_bprint_init(&v, 0, AV_BPRINT_SIZE_UNLIMITED);
    cf_render_source_args(s, &v, NULL, NULL);
    cf_media_shape_filters(&s->in, &v); /* a phone's video turned as players turn it */
    av_bprint_finalize(&v, &j->plan.image_args[k]);
    return j->plan.image_args[k] ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

static cf_err prepare_overlays(job *j, cf_error *err) {
    for (size_t k = 0; k < j->tl->n_overlays; k++) {
        const cf_timeline_overlay *o = &j->tl->overlays[k];
        char field[48], name[32];
        cf_err e = CF_OK;
        if (o->kind == CF_OVERLAY_KIND_TEXT) {
            if (!(j->plan.text_files[k] = tmp_file(j, "text%zu.txt", k)))
                return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
            e = write_text(j->plan.text_files[k], o->text, err);
        } else if (o->kind == CF_OVERLAY_KIND_IMAGE) {
            snprintf(field, sizeof field, "overlays[%zu].image_uri", k);
            snprintf(name, sizeof name, "img%zu", k);
            e = link_input(j, o->image_uri, field, name, &j->plan.image_links[k], err);
            if (!e) e = prepare_image(j, k, err);
        }
        if (e) return e;
    }
    for (size_t m = 0; m < j->tl->n_audio_tracks; m++) {
        char field[48], name[32];
        snprintf(field, sizeof field, "audio_tracks[%zu].source_uri", m);
        snprintf(name, sizeof name, "music%zu", m);
        cf_err e =
            link_input(j, j->tl->audio_tracks[m].source_uri, field, name, &j->plan.music_links[m], err);
        if (!e) e = prepare_music(j, m, err);
        if (e) return e;
    }
    return CF_OK;
}

static cf_err prepare_captions(job *j, cf_error *err) {
    const cf_timeline_captions *c = j->tl->captions;
    if (!c) return CF_OK;
    cf_err e = cf_captions_load(cf_uri_local_path(c->source_uri), c->offset_ms, j->plan.duration_ms,
                                &j->captions, err);
    if (e) return cf_error_prefix(err, "captions.source_uri"), e;
    j->has_captions = true;
    if (!(j->plan.ass_path = tmp_file(j, "captions%zu.ass", 0)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return cf_captions_write_ass(&j->captions, c, (int)j->tl->canvas.width, (int)j->tl->canvas.height,
                                 j->plan.ass_path, err);
}

static cf_err alloc_plan(job *j, cf_error *err) {
    const cf_timeline *tl = j->tl;
    j->plan.tl = tl;
    j->plan.duration_ms = cf_timeline_duration_ms(tl);
    j->plan.scenes = calloc(tl->n_scenes, sizeof *j->plan.scenes);
    j->sources = calloc(n_sources(j), sizeof *j->sources);
    j->plan.text_files = calloc(tl->n_overlays + 1, sizeof *j->plan.text_files);
    j->plan.image_links = calloc(tl->n_overlays + 1, sizeof *j->plan.image_links);
    j->plan.image_args = calloc(tl->n_overlays + 1, sizeof *j->plan.image_args);
    j->plan.music_links = calloc(tl->n_audio_tracks + 1, sizeof *j->plan.music_links);
    j->plan.music_streams = calloc(tl->n_audio_tracks + 1, sizeof *j->plan.music_streams);
    j->plan.music_args = calloc(tl->n_audio_tracks + 1, sizeof *j->plan.music_args);
    j->outs = calloc(tl->n_outputs, sizeof *j->outs);
    j->n_outs = tl->n_outputs;
    if (!j->plan.scenes || !j->sources || !j->plan.text_files || !j->plan.image_links ||
        !j->plan.image_args || !j->plan.music_links || !j->plan.music_streams || !j->plan.music_args ||
        !j->outs)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return CF_OK;
}

/* ---- output names -------------------------------------------------------------------------- */

/* "<stem><suffix>" where stem is output_path without its extension. */
static char *sibling(const char *output_path, const char *suffix) {
    const char *dot = strrchr(output_path, '.'), *slash = strrchr(output_path, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - output_path) : strlen(output_path);
    size_t n = stem + strlen(suffix) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%.*s%s", (int)stem, output_path, suffix);
    return s;
}

/* The first output's file: output_path, with its format's extension when it has none of the
 * known ones; one that names another format is refused (an MP4 in out.gif misleads every
 * program that opens it, and the file server's type). */
static cf_err first_output(job *j, char **path, cf_error *err) {
    cf_target_format named, f = j->tl->outputs[0].format;
    const char *p = j->opts->output_path;
    if (!cf_encoder_format_of_name(p, &named)) {
        *path = malloc(strlen(p) + 8);
        if (*path) sprintf(*path, "%s%s", p, cf_encoder_extension(f));
    } else if (named != f) {
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "output %s: the render's first output is %s (outputs[0].format): name it %s, or "
                            "make the first output %s",
                            p, cf_target_format_to_string(f), cf_encoder_extension(f),
                            cf_target_format_to_string(named));
    } else *path = strdup(p);
    return *path ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

static cf_err name_outputs(job *j, cf_error *err) {
    for (size_t i = 0; i < j->n_outs; i++) {
        const cf_timeline_output *o = &j->tl->outputs[i];
        char suffix[32];
        snprintf(suffix, sizeof suffix, "-%zu%s", i, cf_encoder_extension(o->format));
        if (o->uri) j->outs[i].path = strdup(cf_uri_local_path(o->uri));
        else if (i == 0) {
            cf_err e = first_output(j, &j->outs[i].path, err);
            if (e) return e;
        } else j->outs[i].path = sibling(j->opts->output_path, suffix);
        j->outs[i].format = o->format;
        if (!j->outs[i].path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    if (!(j->thumb_path = sibling(j->outs[0].path, ".jpg")))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return CF_OK;
}

/* ---- the graph ------------------------------------------------------------------------------ */

static cf_err attach_sink(job *j, AVFilterInOut *open, cf_error *err) {
    const char *label = open->name ? open->name : "";
    size_t idx;
    char kind;
    if (sscanf(label, "out%c%zu", &kind, &idx) != 2 || idx >= j->n_outs || (kind != 'v' && kind != 'a'))
        return cf_error_set(err, CF_ERR_INTERNAL, "render: unexpected open pad '%s'", label);
    AVFilterContext *sink = NULL;
    int ret = avfilter_graph_create_filter(
        &sink, avfilter_get_by_name(kind == 'v' ? "buffersink" : "abuffersink"), label, NULL, NULL, j->graph);
    if (ret < 0) return cf_av_fail(err, CF_ERR_PROCESSING, "render", "create sink", ret);
    if ((ret = avfilter_link(open->filter_ctx, open->pad_idx, sink, 0)) < 0)
        return cf_av_fail(err, CF_ERR_PROCESSING, "render", "link sink", ret);
    if (kind == 'v') j->outs[idx].vsink = sink;
    else j->outs[idx].asink = sink;
    return CF_OK;
}

/* Logs the graph in the form the ffmpeg CLI can run (to reproduce a render by hand). */
static void log_graph(const job *j) {
    if (cf_log_get_level() > CF_LOG_DEBUG) return;
    char *cli = cf_render_graph_describe(&j->plan, RENDER_GRAPH_CLI);
    if (cli) cf_log_debug("render", "filter graph: %s", cli);
    free(cli);
}

/* The music tracks' sources (srcs[n_scenes + m]) to their abuffers in g. */
static cf_err bind_music(const job *j, render_source *srcs, AVFilterGraph *g, cf_error *err) {
    for (size_t m = 0; m < j->tl->n_audio_tracks; m++) {
        char a[32];
        snprintf(a, sizeof a, "abuffer@sm%zu", m);
        cf_err e = cf_render_source_bind(&srcs[j->tl->n_scenes + m], g, "", a, "", err);
        if (e) return e;
    }
    return CF_OK;
}

static cf_err bind_sources(job *j, cf_error *err) {
    for (size_t i = 0; i < j->tl->n_scenes; i++) {
        char v[32], a[32], c[32];
        snprintf(v, sizeof v, "buffer@sv%zu", i);
        snprintf(a, sizeof a, "abuffer@sa%zu", i);
        snprintf(c, sizeof c, "buffer@sc%zu", i);
        cf_err e = cf_render_source_bind(&j->sources[i], j->graph, v, a, c, err);
        if (e) return e;
    }
    for (size_t k = 0; k < j->tl->n_overlays; k++) {
        char v[32];
        snprintf(v, sizeof v, "buffer@si%zu", k);
        render_source *s = image_source(j, j->sources, k);
        cf_err e = s->in.fmt ? cf_render_source_bind(s, j->graph, v, "", "", err) : CF_OK;
        if (e) return e;
    }
    return bind_music(j, j->sources, j->graph, err);
}

static cf_err build_graph(job *j, cf_error *err) {
    char *desc = cf_render_graph_describe(&j->plan, RENDER_GRAPH_RUN);
    if (!desc) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    log_graph(j);
    AVFilterInOut *ins = NULL, *outs = NULL;
    cf_err e = CF_OK;
    int ret;
    if (!(j->graph = avfilter_graph_alloc())) {
        e = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        goto end;
    }
    j->graph->nb_threads = j->opts->threads;
    if ((ret = avfilter_graph_parse2(j->graph, desc, &ins, &outs)) < 0) {
        e = cf_av_fail(err, CF_ERR_PROCESSING, "render", "build the filter graph", ret);
        goto end;
    }
    for (AVFilterInOut *o = outs; o && !e; o = o->next) e = attach_sink(j, o, err);
    if (e) goto end;
    if (ins) {
        e = cf_error_set(err, CF_ERR_INTERNAL, "render: the filter graph has an unconnected input");
        goto end;
    }
    if ((ret = avfilter_graph_config(j->graph, NULL)) < 0)
        e = cf_av_fail(err, CF_ERR_PROCESSING, "render", "configure the filter graph", ret);
    if (!e) e = bind_sources(j, err);
end:
    avfilter_inout_free(&ins);
    avfilter_inout_free(&outs);
    free(desc);
    return e;
}

/* ---- sources ------------------------------------------------------------------------------- */

/* Of srcs[0..n) (those not opened are left out): the one the graph waits for most (failed
 * requests on its buffers), else the first one not done; NULL when every source has ended. */
static render_source *wanted_source(render_source *srcs, size_t n) {
    render_source *best = NULL, *any = NULL;
    unsigned most = 0;
    for (size_t i = 0; i < n; i++) {
        render_source *s = &srcs[i];
        if (!s->in.fmt || cf_render_source_done(s)) continue;
        if (!any) any = s;
        unsigned k = cf_render_source_wanted(s);
        if (k > most) most = k, best = s;
    }
    return best ? best : any;
}

/* The graph waits for input: the source it waits for is read until it pushes a frame. */
static cf_err feed_wanted(render_source *srcs, size_t n, cf_error *err) {
    render_source *s = wanted_source(srcs, n);
    if (!s) return cf_error_set(err, CF_ERR_PROCESSING, "render: the graph waits for input that has ended");
    int ret = cf_render_source_feed(s);
    if (ret < 0 && cf_render_source_went_back(s, "a source", err)) return err->code;
    if (ret < 0) return cf_av_fail(err, CF_ERR_PROCESSING, "render", "read the source", ret);
    return CF_OK;
}

/* ---- loudness ------------------------------------------------------------------------------- */

/* Measures of the sound as it ships at most (trials: its mix encoded as an output's sound and
 * decoded, no pictures), and the share of the progress all the measures take (after the
 * framing's, before the encode's). */
#define TRIALS 6
#define SOUND_PASSES (1 + TRIALS)
#define SOUND_SHARE 0.1

static bool outputs_sound(const job *j) {
    for (size_t i = 0; i < j->tl->n_outputs; i++)
        if (cf_encoder_has_sound(j->tl->outputs[i].format)) return true;
    return false;
}

/* Whether the render's sound has anything to measure (known once the scenes are open): a
 * scene's sound or music, going into an output with sound. */
static bool measures_sound(const job *j) {
    bool heard = j->tl->n_audio_tracks > 0;
    for (size_t i = 0; i < j->tl->n_scenes && !heard; i++) heard = j->plan.scenes[i].audio_index >= 0;
    return heard && cf_timeline_has_sound(j->tl) && outputs_sound(j);
}

/* Where the encode's share of the progress starts. */
static double encode_from(const job *j) {
    return prepare_share(j) + (measures_sound(j) ? SOUND_SHARE : 0.0);
}

/* The scenes' sound read as the render reads it, by sources of their own that decode only the
 * sound: the same streams, seeks and fitting of a layout or rate that changes midway. */
static cf_err open_sound_sources(job *j, render_source *srcs, AVFilterGraph *g, cf_error *err) {
    for (size_t i = 0; i < j->tl->n_scenes; i++) {
        const render_source *r = &j->sources[i];
        if (j->plan.scenes[i].audio_index < 0) continue;
        cf_media_select sel = scene_select(j, i);
        char name[32];
        snprintf(name, sizeof name, "abuffer@sa%zu", i);
        cf_err e = cf_render_source_open(&srcs[i], cf_uri_local_path(j->tl->scenes[i].source_uri), &sel,
                                         RENDER_SOURCE_SOUND, r->start_s, r->end_s, j->opts->threads, err);
        if (!e) e = cf_render_source_bind(&srcs[i], g, "", name, "", err);
        if (e) return cf_error_prefix(err, "scenes[%zu].source_uri", i), e;
    }
    for (size_t m = 0; m < j->tl->n_audio_tracks; m++) {
        cf_err e = open_music(j, m, &srcs[j->tl->n_scenes + m], err);
        if (e) return e;
    }
    return bind_music(j, srcs, g, err);
}

/* One measure of the mix: its graph, sources, and a meter per sound output of the graph (per
 * format of the outputs for a trial, else one). */
typedef struct sound_pass {
    AVFilterGraph *g;
    render_source *srcs;
    size_t n;
    AVFilterContext *sinks[2];
    sound_meter meters[2];
    bool done[2];
    double t; /* the mix's time reached */
} sound_pass;

/* Takes what sink k holds into its meter, the end too. */
static cf_err drain_sound(sound_pass *p, size_t k, AVFrame *f, cf_error *err) {
    cf_err e = CF_OK;
    while (!e && !p->done[k]) {
        int ret = av_buffersink_get_frame_flags(p->sinks[k], f, AV_BUFFERSINK_FLAG_NO_REQUEST);
        if (ret == AVERROR(EAGAIN)) break;
        if (ret == AVERROR_EOF) p->done[k] = true;
        else if (ret < 0) return cf_av_fail(err, CF_ERR_PROCESSING, "render", "mix the sound", ret);
        else if (k == 0 && f->pts != AV_NOPTS_VALUE)
            p->t = f->pts * av_q2d(p->sinks[k]->inputs[0]->time_base);
        e = cf_sound_meter_add(&p->meters[k], p->done[k] ? NULL : f, err);
    }
    return e;
}

/* Runs the sound graph to its end, feeding its sources, into the meters, as the render's pump
 * does. Progress: pass of SOUND_PASSES, by the mix's time. */
static cf_err run_sound(job *j, sound_pass *p, int pass, cf_error *err) {
    AVFrame *f = av_frame_alloc();
    if (!f) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err e = CF_OK;
    double dur = j->plan.duration_ms / 1000.0, from = prepare_share(j);
    for (int ret = 0; !e && ret != AVERROR_EOF;) {
        if (cf_progress_cancelled(j->progress)) {
            e = cf_error_set(err, CF_ERR_CANCELLED, "render cancelled");
            break;
        }
        ret = avfilter_graph_request_oldest(p->g);
        if (ret == AVERROR(EAGAIN)) e = feed_wanted(p->srcs, n_sources(j), err);
        else if (ret < 0 && ret != AVERROR_EOF)
            e = cf_av_fail(err, CF_ERR_PROCESSING, "render", "mix the sound", ret);
        for (size_t k = 0; k < p->n && !e; k++) e = drain_sound(p, k, f, err);
        double done = dur > 0 ? fmin(p->t / dur, 1.0) : 0;
        cf_progress_report(j->progress, from + SOUND_SHARE * (pass + done) / SOUND_PASSES, "loudness");
    }
    for (size_t k = 0; k < p->n && !e; k++) /* every meter ended, whatever the graph said */
        if (!p->done[k]) p->done[k] = true, e = cf_sound_meter_add(&p->meters[k], NULL, err);
    av_frame_free(&f);
    return e;
}

/* The graph of the sound form with a sink per output ("outa<k>"), meter k encoding as formats[k]
 * for a trial (n of them, else one meter measuring the mix as it is), its frame size set. */
static cf_err open_sound_pass(job *j, sound_pass *p, const cf_target_format *formats, size_t n,
                              cf_error *err) {
    char *desc = cf_render_graph_describe(&j->plan, RENDER_GRAPH_SOUND);
    AVFilterInOut *ins = NULL, *outs = NULL;
    cf_err e = CF_OK;
    for (p->n = 0; p->n < n && !e; p->n++) /* counted first: each is closed whatever happens */
        e = cf_sound_meter_open(&p->meters[p->n], j->plan.loud.trial, formats[p->n], j->opts->threads, err);
    int ret = e                                         ? 0
              : desc && (p->g = avfilter_graph_alloc()) ? avfilter_graph_parse2(p->g, desc, &ins, &outs)
                                                        : AVERROR(ENOMEM);
    if (ret >= 0 && ins) ret = AVERROR_BUG;
    for (AVFilterInOut *o = outs; ret >= 0 && !e && o; o = o->next) {
        size_t k; /* the outputs come in any order */
        if (!o->name || sscanf(o->name, "outa%zu", &k) != 1 || k >= p->n || p->sinks[k]) {
            ret = AVERROR_BUG;
            break;
        }
        ret = avfilter_graph_create_filter(&p->sinks[k], avfilter_get_by_name("abuffersink"), o->name, NULL,
                                           NULL, p->g);
        if (ret >= 0) ret = avfilter_link(o->filter_ctx, o->pad_idx, p->sinks[k], 0);
    }
    for (size_t k = 0; ret >= 0 && !e && k < p->n; k++)
        if (!p->sinks[k]) ret = AVERROR_BUG;
    if (ret >= 0 && !e) ret = avfilter_graph_config(p->g, NULL);
    for (size_t k = 0; ret >= 0 && !e && k < p->n; k++)
        if (cf_sound_meter_frame_size(&p->meters[k]) > 0)
            av_buffersink_set_frame_size(p->sinks[k], (unsigned)cf_sound_meter_frame_size(&p->meters[k]));
    if (!e && ret < 0) e = cf_av_fail(err, CF_ERR_PROCESSING, "render", "build the sound's meter", ret);
    avfilter_inout_free(&ins);
    avfilter_inout_free(&outs);
    free(desc);
    return e;
}

/* The mix alone (scenes' sound, joints, music), with plan.loud as decided so far, measured as it is
 * or, for a trial, as the outputs' encoders make it (the pass-th measure): *lufs as the first
 * output will have it, *peak_db the highest of them. */
static cf_err measure_mix(job *j, int pass, double *lufs, double *peak_db, cf_error *err) {
    cf_target_format formats[2] = {CF_TARGET_FORMAT_MP4, CF_TARGET_FORMAT_MP4};
    size_t n = j->plan.loud.trial ? cf_render_sound_formats(j->tl, formats) : 1;
    sound_pass p = {.srcs = calloc(n_sources(j), sizeof *p.srcs)};
    cf_err e = p.srcs ? open_sound_pass(j, &p, formats, n, err)
                      : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!e) e = open_sound_sources(j, p.srcs, p.g, err);
    if (!e) e = run_sound(j, &p, pass, err);
    *lufs = p.n ? p.meters[0].lufs : CF_MEDIA_R128_FLOOR_LUFS, *peak_db = -99.0;
    for (size_t k = 0; k < p.n; k++) {
        if (p.meters[k].peak_db > *peak_db) *peak_db = p.meters[k].peak_db;
        cf_sound_meter_close(&p.meters[k]);
    }
    for (size_t i = 0; p.srcs && i < n_sources(j); i++) cf_render_source_close(&p.srcs[i]);
    free(p.srcs);
    avfilter_graph_free(&p.g);
    return e;
}

static void take(const cf_loudness_setting *set, render_loudness *l) {
    l->gain_db = set->gain_db, l->limit = set->limit, l->limit_db = set->limit_db;
}

/* EBU R128 as clips do it (libcfmedia's search): the mix measured, one gain to the timeline's
 * target; when that brings the peaks near the ceiling, the mix is encoded as each output's
 * encoder will encode it (AAC, Opus) and measured as it comes out of the decoder, and the gain and the
 * limiter's ceiling corrected, the best of a few trials kept. (loudnorm's dynamic mode, one
 * pass, left sparse speech 17-19 LU short and let peaks reach +1.9 dBTP.) A silent mix is left
 * as it is. */
static cf_err decide_loudness(job *j, cf_error *err) {
    render_loudness *l = &j->plan.loud;
    double lufs, peak;
    memset(l, 0, sizeof *l);
    if (!measures_sound(j)) return CF_OK;
    cf_err e = measure_mix(j, 0, &lufs, &peak, err);
    if (e || cf_media_r128_silent(lufs)) return e;
    cf_loudness_search search;
    bool more =
        cf_loudness_search_start(&search, j->tl->loudness_lufs, RENDER_CEILING_DBTP, lufs, peak, TRIALS);
    take(&search.next, l);
    l->decided = true;
    cf_log_debug("render", "sound: %.2f LUFS, true peak %.2f dBTP; gain %.2f dB%s", lufs, peak, l->gain_db,
                 l->limit ? " with limiter" : "");
    l->trial = more;
    for (int pass = 1; more; pass++) {
        if ((e = measure_mix(j, pass, &lufs, &peak, err))) return e;
        cf_log_debug("render", "trial: gain %.2f dB, limiter %s%.2f dBTP -> %.2f LUFS, true peak %.2f dBTP",
                     l->gain_db, l->limit ? "at " : "off, ", l->limit_db, lufs, peak);
        more = cf_loudness_search_record(&search, lufs, peak);
        take(&search.next, l);
    }
    l->trial = false;
    if (search.trials && fabs(search.best_lufs - search.target_lufs) > CF_LOUDNESS_TOLERANCE_LU)
        snprintf(j->loudness_note, sizeof j->loudness_note,
                 "sound normalized to %.1f LUFS (%.1f LUFS asked, true peaks under %.1f dBTP)",
                 search.best_lufs, search.target_lufs, search.ceiling_db);
    return CF_OK;
}

/* ---- thumbnail ------------------------------------------------------------------------------ */

static void on_video(void *user, const AVFrame *f, AVRational tb) {
    job *j = user;
    double t = f->pts == AV_NOPTS_VALUE ? 0 : f->pts * av_q2d(tb);
    j->last_s = t;
    if (!j->thumb_done && t >= j->thumb_at_s && f->format != AV_PIX_FMT_PAL8) {
        cf_error terr;
        j->thumb_done = true;
        j->thumb_err = cf_write_jpeg(f, AVCOL_SPC_BT709, 0, j->thumb_work, &terr);
        if (j->thumb_err) cf_log_warn("render", "%s", terr.msg);
    }
}

/* ---- the run -------------------------------------------------------------------------------- */

/* A scene whose source ends well before the scene does, an image overlay's before the end its file
 * states: a truncated or damaged file. */
static cf_err check_sources(job *j, cf_error *err) {
    for (size_t i = 0; i < j->tl->n_scenes; i++) {
        double at = cf_render_source_short(&j->sources[i]);
        if (at >= 0)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                                "scenes[%zu].source_uri: the file stops at %.3f s, before the scene ends "
                                "at %.3f s: it is truncated or damaged",
                                i, at, j->tl->scenes[i].out_ms / 1000.0);
    }
    for (size_t k = 0; k < j->tl->n_overlays; k++) {
        if (j->tl->overlays[k].kind != CF_OVERLAY_KIND_IMAGE) continue;
        const render_source *s = image_source(j, j->sources, k);
        if (s->in.gif_unended) /* an overlay has no notes to say it in: refused as a scene's file */
            return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                                "overlays[%zu].image_uri: the GIF is cut short (it lacks the end marker of a "
                                "whole one): it is truncated or damaged",
                                k);
        double at = cf_render_source_short(s);
        if (at >= 0)
            return cf_error_set(
                err, CF_ERR_INVALID_MEDIA,
                "overlays[%zu].image_uri: the file stops at %.3f s of the %.3f s it states: it "
                "is truncated or damaged",
                k, at, cf_media_stated_end(&s->in, s->video.index, NULL) - s->in.start_us / 1e6);
    }
    return CF_OK;
}

/* One request brings one frame to the sink that lags most; when the graph waits for input, the
 * source it waits for is read until it pushes a frame; the drains then take only what the sinks
 * already hold. So each turn is about a frame of work, and cancellation and progress are seen
 * every frame however large the render. */
static cf_err pump(job *j, cf_error *err) {
    double dur = j->plan.duration_ms / 1000.0, from = encode_from(j);
    for (;;) {
        if (cf_progress_cancelled(j->progress)) {
            cf_log_debug("render", "cancelled at %.3f s of %.3f s", j->last_s, dur);
            return cf_error_set(err, CF_ERR_CANCELLED, "render cancelled");
        }
        int ret = avfilter_graph_request_oldest(j->graph);
        if (ret == AVERROR(EAGAIN)) {
            cf_err e = feed_wanted(j->sources, n_sources(j), err);
            if (e) return e;
        } else if (ret < 0 && ret != AVERROR_EOF) {
            return cf_av_fail(err, CF_ERR_PROCESSING, "render", "filter", ret);
        }
        for (size_t i = 0; i < j->n_outs; i++) {
            cf_err e = cf_render_output_drain(&j->outs[i], i == 0 ? on_video : NULL, j, err);
            if (e) return e;
        }
        cf_progress_report(j->progress, dur > 0 ? from + (ENCODE_END - from) * j->last_s / dur : 0.5,
                           "encode");
        if (ret == AVERROR_EOF) return check_sources(j, err);
    }
}

static cf_err add_artifact(cf_render_result *r, cf_artifact_kind kind, const char *path, const char *mime) {
    cf_artifact *v = realloc(r->outputs, (r->n_outputs + 1) * sizeof *v);
    if (!v) return CF_ERR_NO_MEMORY;
    r->outputs = v;
    cf_artifact *a = &v[r->n_outputs++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->uri = strdup(path);
    a->mime = strdup(mime);
    a->bytes = cf_file_size(path);
    return a->uri && a->mime ? CF_OK : CF_ERR_NO_MEMORY;
}

/* The source stream every scene takes for kind, or -1 when they differ (or there is none). */
static int common_source(const job *j, bool video) {
    int idx = -1;
    for (size_t i = 0; i < j->tl->n_scenes; i++) {
        const plan_scene *ps = &j->plan.scenes[i];
        int k = video ? ps->video_index : ps->audio_index;
        if (k < 0 ||
            (i > 0 && (k != idx || strcmp(j->tl->scenes[i].source_uri, j->tl->scenes[0].source_uri))))
            return -1;
        idx = k;
    }
    return idx;
}

static cf_err video_artifacts(job *j, cf_render_result *r, cf_error *err) {
    for (size_t i = 0; i < j->n_outs; i++) {
        const output_file *o = &j->outs[i];
        const char *mime = o->format == CF_TARGET_FORMAT_WEBM  ? "video/webm"
                           : o->format == CF_TARGET_FORMAT_GIF ? "image/gif"
                                                               : "video/mp4";
        cf_artifact *v = realloc(r->outputs, (r->n_outputs + 1) * sizeof *v);
        if (!v) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        r->outputs = v;
        cf_artifact *a = &v[r->n_outputs++];
        cf_err e = cf_media_measure(
            o->work_path, o->format == CF_TARGET_FORMAT_GIF ? CF_ARTIFACT_KIND_IMAGE : CF_ARTIFACT_KIND_VIDEO,
            mime, a, err);
        if (e) return e;
        free(a->uri);
        if (!(a->uri = strdup(o->path))) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        cf_media_note_sources(a, common_source(j, true), common_source(j, false));
        /* a short always has its picture and, but for a gif, its sound */
        if ((e = cf_media_expect_streams(a, true, cf_encoder_has_sound(o->format), err))) return e;
    }
    return CF_OK;
}

/* One note per source whose streams the render leaves out or that has no pictures (scenes of one
 * file share it). */
static cf_err left_out_notes(const job *j, cf_render_result *r, cf_error *err) {
    for (size_t i = 0; i < j->tl->n_scenes; i++) {
        const char *what = j->plan.scenes[i].left_out;
        const plan_scene *ps = &j->plan.scenes[i];
        if (ps->video_index < 0)
            what = ps->cover_args[0]
                       ? "it has no video: its sound is drawn as a waveform under its cover picture"
                       : "it has no pictures: its sound is drawn as a waveform";
        if (!what[0]) continue;
        char *text = NULL;
        if (asprintf(&text, "%.200s: %s", j->tl->scenes[i].source_uri, what) < 0)
            return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        cf_err rc = cf_notes_add(&r->notes, &r->n_notes, text, err);
        free(text);
        if (rc) return rc;
    }
    return CF_OK;
}

static cf_err loudness_notes(const job *j, cf_render_result *r, cf_error *err) {
    return j->loudness_note[0] ? cf_notes_add(&r->notes, &r->n_notes, j->loudness_note, err) : CF_OK;
}

/* A caption file that was not UTF-8 was read as another encoding: said, as the letters of a
 * Windows code page's guess may be wrong. */
static cf_err captions_notes(const job *j, cf_render_result *r, cf_error *err) {
    if (!j->has_captions || !j->captions.read_as) return CF_OK;
    char text[CF_NOTE_MAX_BYTES];
    bool guessed = !strncmp(j->captions.read_as, "Windows-", 8);
    snprintf(text, sizeof text, "captions: %.200s is not UTF-8: read as %s%s", j->tl->captions->source_uri,
             j->captions.read_as, guessed ? " (save it as UTF-8 if letters look wrong)" : "");
    return cf_notes_add(&r->notes, &r->n_notes, text, err);
}

/* One note per scene whose source's streams end before the scene does. */
static cf_err ended_notes(const job *j, cf_render_result *r, cf_error *err) {
    for (size_t i = 0; i < j->tl->n_scenes; i++) {
        char text[CF_NOTE_MAX_BYTES];
        AVBPrint bp;
        av_bprint_init_for_buffer(&bp, text, sizeof text);
        av_bprintf(&bp, "%.200s: ", j->tl->scenes[i].source_uri);
        unsigned head = bp.len;
        cf_render_source_ended(&j->sources[i], &bp);
        cf_err rc = bp.len > head ? cf_notes_add(&r->notes, &r->n_notes, text, err) : CF_OK;
        if (rc) return rc;
    }
    return CF_OK;
}

static cf_err side_artifacts(job *j, cf_render_result *r, cf_error *err) {
    if (j->thumb_done && !j->thumb_err &&
        add_artifact(r, CF_ARTIFACT_KIND_THUMBNAIL, j->thumb_path, "image/jpeg"))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (j->has_captions && (add_artifact(r, CF_ARTIFACT_KIND_CAPTIONS, j->srt_path, "application/x-subrip") ||
                            add_artifact(r, CF_ARTIFACT_KIND_CAPTIONS, j->vtt_path, "text/vtt")))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (j->debug_video_done &&
        add_artifact(r, CF_ARTIFACT_KIND_DEBUG, j->opts->debug_video_path, "video/mp4"))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (j->debug && j->opts->debug_path) {
        cf_err e = cf_json_write_file(j->debug, j->opts->debug_path, err);
        if (e) return e;
        if (add_artifact(r, CF_ARTIFACT_KIND_DEBUG, j->opts->debug_path, "application/json"))
            return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    return CF_OK;
}

static cf_err run(job *j, cf_error *err) {
    cf_err e;
    if ((e = alloc_plan(j, err)) || (e = name_outputs(j, err))) return e;
    if ((e = cf_make_temp_dir(j->opts->temp_dir, "cfrender", &j->tmp, err))) return e;
    if (strpbrk(j->tmp, ":,;[]'\\= "))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "temp dir %s: characters the filter graph cannot take", j->tmp);
    for (size_t i = 0; i < j->n_outs; i++) {
        char name[32];
        snprintf(name, sizeof name, "out%zu%s", i, cf_encoder_extension(j->outs[i].format));
        if (!(j->outs[i].work_path = cf_path_join(j->tmp, name)))
            return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    if (!(j->thumb_work = cf_path_join(j->tmp, "poster.jpg")))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_progress_report(j->progress, 0, "prepare");
    if ((e = prepare_scenes(j, err)) || (e = prepare_overlays(j, err)) || (e = prepare_captions(j, err)))
        return e;
    if ((e = decide_loudness(j, err)) || (e = build_graph(j, err))) return e;
    for (size_t i = 0; i < j->n_outs; i++) {
        const cf_timeline_output *o = &j->tl->outputs[i];
        if ((e = cf_render_output_open(&j->outs[i], o->has_bitrate ? o->bitrate : 0, j->opts->threads, err)))
            return e;
    }
    if ((e = pump(j, err))) return e;
    for (size_t i = 0; i < j->n_outs; i++) {
        cf_log_debug("render", "%s: %lld video frames", j->outs[i].path, (long long)j->outs[i].frames);
        if ((e = cf_render_output_finish(&j->outs[i], err))) return e;
    }
    return CF_OK;
}

/* The caption files of the captions burned in, in the temp dir. */
static cf_err write_captions(job *j, cf_error *err) {
    int per = (int)j->tl->captions->words_per_line;
    j->srt_path = sibling(j->outs[0].path, ".srt"), j->vtt_path = sibling(j->outs[0].path, ".vtt");
    j->srt_work = cf_path_join(j->tmp, "captions.srt"), j->vtt_work = cf_path_join(j->tmp, "captions.vtt");
    if (!j->srt_path || !j->vtt_path || !j->srt_work || !j->vtt_work)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err e = cf_captions_write_srt(&j->captions, per, j->srt_work, err);
    return e ? e : cf_captions_write_vtt(&j->captions, per, j->vtt_work, err);
}

/* The files made beside the videos, each once it is whole in the temp dir. */
static cf_err list_sides(job *j, cf_error *err) {
    if (j->thumb_done && !j->thumb_err)
        j->sides[j->n_sides++] = (side_file){j->thumb_work, j->thumb_path, false};
    if (j->has_captions) {
        cf_err e = write_captions(j, err);
        if (e) return e;
        j->sides[j->n_sides++] = (side_file){j->srt_work, j->srt_path, false};
        j->sides[j->n_sides++] = (side_file){j->vtt_work, j->vtt_path, false};
    }
    if (j->debug_video_done)
        j->sides[j->n_sides++] = (side_file){j->debug_video_work, j->opts->debug_video_path, false};
    return CF_OK;
}

static cf_err move_into_place(const char *work, const char *path, bool *published, cf_error *err) {
    chmod(work, 0644); /* a private temp file's mode is wrong for published media */
    cf_err e = cf_move_file(work, path, err);
    *published = !e;
    return e;
}

/* The videos, measured whole in the temp dir, and the files beside them moved to their places:
 * all or none. */
static cf_err publish(job *j, cf_error *err) {
    cf_err e = list_sides(j, err);
    for (size_t i = 0; !e && i < j->n_outs; i++)
        e = move_into_place(j->outs[i].work_path, j->outs[i].path, &j->outs[i].published, err);
    for (size_t i = 0; !e && i < j->n_sides; i++)
        e = move_into_place(j->sides[i].work, j->sides[i].path, &j->sides[i].published, err);
    return e;
}

static void release(job *j, bool remove_outputs) {
    avfilter_graph_free(&j->graph);
    for (size_t i = 0; i < j->n_outs; i++) {
        cf_render_output_close(&j->outs[i]);
        if (remove_outputs && j->outs[i].published) unlink(j->outs[i].path);
        free(j->outs[i].path);
        free(j->outs[i].work_path);
    }
    for (size_t i = 0; i < j->n_sides; i++)
        if (remove_outputs && j->sides[i].published) unlink(j->sides[i].path);
    free(j->outs);
    free(j->thumb_path);
    free(j->thumb_work);
    free(j->srt_path);
    free(j->srt_work);
    free(j->vtt_path);
    free(j->vtt_work);
    free(j->debug_video_work);
    for (size_t i = 0; j->plan.scenes && i < j->tl->n_scenes; i++) {
        free(j->plan.scenes[i].link);
        free(j->plan.scenes[i].cmd_file);
        free(j->plan.scenes[i].video_args);
        free(j->plan.scenes[i].audio_args);
        free(j->plan.scenes[i].cover_args);
    }
    for (size_t i = 0; j->sources && i < n_sources(j); i++) cf_render_source_close(&j->sources[i]);
    free(j->sources);
    for (size_t k = 0; j->plan.text_files && k < j->tl->n_overlays; k++) free(j->plan.text_files[k]);
    for (size_t k = 0; j->plan.image_links && k < j->tl->n_overlays; k++) free(j->plan.image_links[k]);
    for (size_t k = 0; j->plan.image_args && k < j->tl->n_overlays; k++) free(j->plan.image_args[k]);
    for (size_t m = 0; j->plan.music_links && m < j->tl->n_audio_tracks; m++) free(j->plan.music_links[m]);
    free(j->plan.scenes);
    free(j->plan.text_files);
    free(j->plan.image_links);
    free(j->plan.image_args);
    free(j->plan.music_links);
    free(j->plan.music_streams);
    for (size_t m = 0; j->plan.music_args && m < j->tl->n_audio_tracks; m++) free(j->plan.music_args[m]);
    free(j->plan.music_args);
    free(j->plan.ass_path);
    cf_captions_free(&j->captions);
    json_decref(j->debug);
    if (j->tmp) {
        cf_error ignored;
        cf_remove_tree(j->tmp, &ignored);
        free(j->tmp);
    }
}

cf_err cf_render_timeline(const cf_timeline *tl, const char *clip_id, const cf_render_options *opts,
                          cf_progress *progress, cf_render_result *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (!opts || !opts->output_path || !*opts->output_path)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "render: an output path is required");
    cf_err e = cf_timeline_check(tl, err);
    if (e) return e;
    int64_t t0 = cf_clock_ms();
    job j = {.tl = tl, .opts = opts, .progress = progress};
    j.thumb_at_s = cf_timeline_duration_ms(tl) / 3000.0;
    if (opts->debug_path && !(j.debug = json_array()))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    e = run(&j, err);
    if (!e) {
        out->clip_id = strdup(clip_id ? clip_id : "render");
        out->render_uri = strdup(j.outs[0].path);
        out->duration_ms = j.plan.duration_ms;
        if (!out->clip_id || !out->render_uri) e = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        if (!e) e = video_artifacts(&j, out, err);
        if (!e) e = publish(&j, err);
        if (!e) e = side_artifacts(&j, out, err);
        if (!e) e = left_out_notes(&j, out, err);
        if (!e) e = ended_notes(&j, out, err);
        if (!e) e = loudness_notes(&j, out, err);
        if (!e) e = captions_notes(&j, out, err);
        out->processing_time_ms = cf_clock_ms() - t0;
    }
    if (e) cf_render_result_free(out);
    release(&j, e != CF_OK);
    if (!e) cf_progress_report(progress, 1, "done");
    return e;
}

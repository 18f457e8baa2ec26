/* render_graph.c — writes the filter-graph description of a render plan, section by section:
 * scenes, their concatenation, overlays, captions, the audio mix, then the outputs. */
#include "render_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output_file.h"
#include "clipforge/encode.h"
#include "clipforge/media.h"
#include "clipforge/textbuf.h"
#include "timeline_check.h"

typedef struct ctx {
    const render_plan *p;
    render_graph_form form;
    cf_textbuf b;
    int W, H;
    double fps;
    bool sound;                /* some output carries sound (not a GIF alone) */
    char cur_v[32], cur_a[32]; /* labels of the stream built so far */
} ctx;

static int even(double v) {
    int i = (int)v;
    return i - i % 2;
}

/* FFmpeg colour syntax for a colour the timeline check accepted, as drawing must say it. */
static const char *color(const char *name, char buf[16]) {
    uint32_t rgb = 0;
    cf_color_parse(name, &rgb);
    snprintf(buf, 16, "0x%06X", (unsigned)cf_color_for_drawing(rgb));
    return buf;
}

/* Each layout tone-maps an HDR source (ps->tone_map, float RGB: the costly part) where its
 * pictures are smallest: after the crops and scales, and before a scale that enlarges them. */
static void layout(ctx *c, size_t i, const cf_timeline_scene *s, const plan_scene *ps) {
    cf_textbuf *b = &c->b;
    char bg[16];
    int W = c->W, H = c->H;
    const char *tm = ps->tone_map;
    switch (s->layout) {
    case CF_SCENE_LAYOUT_FILL:
        cf_textbuf_printf(
            b,
            "[pre%zu]scale=%d:%d:force_original_aspect_ratio=increase:force_divisible_by=2,crop=%d:%"
            "d%s[lay%zu];",
            i, W, H, W, H, tm, i);
        break;
    case CF_SCENE_LAYOUT_BLUR_FILL: {
        /* the blurred cover is made at 1/8 size: the same look for a fraction of the work */
        int bw = even(W / 8.0) < 16 ? 16 : even(W / 8.0), bh = even(H / 8.0) < 16 ? 16 : even(H / 8.0);
        int r = (bw < bh ? bw : bh) / 4 - 1;
        r = r > 10 ? 10 : r < 1 ? 1 : r;
        cf_textbuf_printf(b, "[pre%zu]split=2[bgs%zu][fgs%zu];", i, i, i);
        cf_textbuf_printf(
            b,
            "[bgs%zu]scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d%s,boxblur=%d:2,scale=%"
            "d:%d[bgb%zu];",
            i, bw, bh, bw, bh, tm, r, W, H, i);
        cf_textbuf_printf(
            b, "[fgs%zu]scale=%d:%d:force_original_aspect_ratio=decrease:force_divisible_by=2%s[fgf%zu];", i,
            W, H, tm, i);
        cf_textbuf_printf(b, "[bgb%zu][fgf%zu]overlay=(W-w)/2:(H-h)/2[lay%zu];", i, i, i);
        break;
    }
    case CF_SCENE_LAYOUT_SMART_CROP: {
        bool enlarges = (double)W * H > (double)ps->crop_w * ps->crop_h;
        cf_textbuf_printf(b, "[pre%zu]sendcmd=f=%s,crop@sc%zu=%d:%d:0:0:exact=1%s,scale=%d:%d%s[lay%zu];", i,
                          ps->cmd_file, i, ps->crop_w, ps->crop_h, enlarges ? tm : "", W, H,
                          enlarges ? "" : tm, i);
        break;
    }
    case CF_SCENE_LAYOUT_SPLIT: {
        int top = even(H / 2.0), bot = H - top;
        cf_textbuf_printf(b, "[pre%zu]split=2[spl%zu][spr%zu];", i, i, i);
        if (ps->split_faces) {
            for (int k = 0; k < 2; k++) {
                const cf_rect *r = &ps->split[k];
                cf_textbuf_printf(
                    b,
                    "[sp%c%zu]crop=%d:%d:%d:%d,scale=%d:%d:force_original_aspect_ratio=increase:"
                    "force_divisible_by=2,crop=%d:%d%s[sp%c%zu];",
                    k ? 'r' : 'l', i, r->w, r->h, r->x, r->y, W, k ? bot : top, W, k ? bot : top, tm,
                    k ? 'b' : 't', i);
            }
            cf_textbuf_printf(b, "[spt%zu][spb%zu]vstack[lay%zu];", i, i, i);
            break;
        }
        cf_textbuf_printf(
            b,
            "[spl%zu]crop=iw/"
            "2:ih:0:0,scale=%d:%d:force_original_aspect_ratio=increase:force_divisible_by=2,crop=%d:%"
            "d%s[spt%zu];",
            i, W, top, W, top, tm, i);
        cf_textbuf_printf(
            b,
            "[spr%zu]crop=iw/2:ih:iw/"
            "2:0,scale=%d:%d:force_original_aspect_ratio=increase:force_divisible_by=2,crop=%d:%d%s[spb%zu];",
            i, W, bot, W, bot, tm, i);
        cf_textbuf_printf(b, "[spt%zu][spb%zu]vstack[lay%zu];", i, i, i);
        break;
    }
    default:
        cf_textbuf_printf(
            b,
            "[pre%zu]scale=%d:%d:force_original_aspect_ratio=decrease:force_divisible_by=2%s,pad=%d:%d:"
            "(ow-iw)/2:(oh-ih)/2:color=%s[lay%zu];",
            i, W, H, tm, W, H, color(c->p->tl->canvas.background, bg), i);
    }
}

/* The scene's frames: from the renderer's own decoders (buffer sources, the frames keep their
 * stream timestamps), or, in the form the ffmpeg CLI can run, from movie sources reading the
 * same streams from the same point (sp is relative to the file's start, as our seek is). */
static void scene_source(ctx *c, size_t i, const plan_scene *ps) {
    cf_textbuf *b = &c->b;
    double in_s = c->p->tl->scenes[i].in_ms / 1000.0;
    if (c->form == RENDER_GRAPH_SOUND && ps->audio_index >= 0)
        cf_textbuf_printf(b, "abuffer@sa%zu=%s[%s%zu];", i, ps->audio_args,
                          ps->video_index < 0 ? "mas" : "ma", i);
    else if (c->form == RENDER_GRAPH_SOUND) return;
    else if (ps->video_index < 0 && c->form == RENDER_GRAPH_CLI)
        cf_textbuf_printf(b, "amovie=filename=%s:sp=%.3f:s=%d[ma%zu];", ps->link, in_s, ps->audio_index, i);
    else if (ps->video_index < 0) cf_textbuf_printf(b, "abuffer@sa%zu=%s[ma%zu];", i, ps->audio_args, i);
    else if (c->form == RENDER_GRAPH_CLI && ps->audio_index >= 0)
        cf_textbuf_printf(b, "movie=filename=%s:sp=%.3f:s=%d+%d[mv%zu][ma%zu];", ps->link, in_s,
                          ps->video_index, ps->audio_index, i, i);
    else if (c->form == RENDER_GRAPH_CLI)
        cf_textbuf_printf(b, "movie=filename=%s:sp=%.3f:s=%d[mv%zu];", ps->link, in_s, ps->video_index, i);
    else {
        cf_textbuf_printf(b, "buffer@sv%zu=%s[mv%zu];", i, ps->video_args, i);
        if (ps->audio_index >= 0) cf_textbuf_printf(b, "abuffer@sa%zu=%s[ma%zu];", i, ps->audio_args, i);
    }
}

/* Whether scene i starts with a plain cut from the one before it. */
static bool cut_into(const cf_timeline *tl, size_t i) {
    const cf_scene_transition *t = i > 0 && i < tl->n_scenes ? tl->scenes[i].transition : NULL;
    return i > 0 && i < tl->n_scenes && (!t || t->kind == CF_TRANSITION_KIND_CUT);
}

/* A plain cut joins two waveforms wherever they happen to be: a click, unless the sound fades
 * out and back in over a few ms at the joint (jump cuts make many such joints). */
#define JOINT_FADE_S 0.005

/* The sound from the pad labelled in, trimmed as its pictures are, at 48 kHz (a chain goes on). */
static void trimmed_sound(ctx *c, const char *in, double t0, double t1) {
    cf_textbuf_printf(
        &c->b,
        "[%s]atrim=start=%.6f:end=%.6f,asetpts=round(PTS-%.6f/TB),aresample=48000:" CF_MEDIA_SOUND_AT_ITS_TIME
        ",",
        in, t0, t1, t0);
}

/* A light waveform on a dark background, a dark one on a light background. */
static const char *wave_color(const char *background_hex) {
    unsigned long rgb = strtoul(background_hex + 2, NULL, 16);
    double r = (double)(rgb >> 16), g = (double)((rgb >> 8) & 255), bl = (double)(rgb & 255);
    return (0.2126 * r + 0.7152 * g + 0.0722 * bl) / 255.0 < 0.5 ? "0xF0F0F0" : "0x202020";
}

/* The cover picture fitted in the upper part of the canvas ([wbg<i>] becomes [wbc<i>]). */
static void cover_picture(ctx *c, size_t i, const plan_scene *ps) {
    cf_textbuf *b = &c->b;
    if (c->form == RENDER_GRAPH_CLI)
        cf_textbuf_printf(b, "movie=filename=%s:s=%d[cv%zu];", ps->link, ps->cover_index, i);
    else cf_textbuf_printf(b, "buffer@sc%zu=%s[cv%zu];", i, ps->cover_args, i);
    int bw = even(c->W * 0.8), bh = even(c->H * 0.4);
    cf_textbuf_printf(
        b,
        "[cv%zu]scale=%d:%d:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1%s["
        "cvs%zu];[wbg%zu][cvs%zu]overlay=x=(W-w)/2:y=%d[wbc%zu];",
        i, bw < 2 ? 2 : bw, bh < 2 ? 2 : bh, ps->cover_colors, i, i, i, even(c->H * 0.12), i);
}

/* A source without pictures (a podcast's audio) is shown as its sound: a waveform on the
 * canvas's background, across its middle third, or, under the file's cover picture (fitted in
 * the upper 40 %), a sixth of the height around 65 % down; the sound itself goes on from
 * [mas<i>]. */
static void waveform_scene(ctx *c, size_t i, const plan_scene *ps, double t0, double t1, double d) {
    cf_textbuf *b = &c->b;
    char bg[16], in[32];
    const char *bgc = color(c->p->tl->canvas.background, bg);
    bool cover = ps->cover_args && ps->cover_args[0];
    int wh = even(c->H / (cover ? 6.0 : 3.0));
    wh = wh < 2 ? 2 : wh;
    cf_textbuf_printf(b, "[ma%zu]asplit=2[mas%zu][maw%zu];", i, i, i);
    snprintf(in, sizeof in, "maw%zu", i);
    trimmed_sound(c, in, t0, t1);
    cf_textbuf_printf(
        b,
        "aformat=channel_layouts=mono,showwaves=s=%dx%d:mode=cline:scale=sqrt:rate=%.3f:colors=%s[wav%zu];",
        c->W, wh, c->fps, wave_color(bgc), i);
    cf_textbuf_printf(b, "color=c=%s:s=%dx%d:r=%.3f:d=%.3f[wbg%zu];", bgc, c->W, c->H, c->fps, d, i);
    if (cover) cover_picture(c, i, ps);
    cf_textbuf_printf(b, "[%s%zu][wav%zu]overlay=x=0:y=%d:eof_action=repeat[lay%zu];", cover ? "wbc" : "wbg",
                      i, i, cover ? even(c->H * 0.65) - wh / 2 : even((c->H - wh) / 2.0), i);
}

/* The scene's sound: its audio stream (or silence) trimmed as its pictures are, at 48 kHz stereo. */
static void scene_sound(ctx *c, size_t i, const plan_scene *ps, double t0, double t1, double d) {
    cf_textbuf *b = &c->b;
    char in[32];
    snprintf(in, sizeof in, ps->video_index < 0 ? "mas%zu" : "ma%zu", i);
    if (ps->audio_index >= 0) trimmed_sound(c, in, t0, t1);
    else cf_textbuf_printf(b, "anullsrc=r=48000:cl=stereo,");
    cf_textbuf_printf(
        b, "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,apad,atrim=duration=%.3f", d);
    if (cut_into(c->p->tl, i) && d > 2 * JOINT_FADE_S)
        cf_textbuf_printf(b, ",afade=t=in:d=%.3f", JOINT_FADE_S);
    if (cut_into(c->p->tl, i + 1) && d > 2 * JOINT_FADE_S)
        cf_textbuf_printf(b, ",afade=t=out:st=%.3f:d=%.3f", d - JOINT_FADE_S, JOINT_FADE_S);
    cf_textbuf_printf(b, "[a%zu];", i);
}

static void scene(ctx *c, size_t i) {
    const cf_timeline_scene *s = &c->p->tl->scenes[i];
    const plan_scene *ps = &c->p->scenes[i];
    cf_textbuf *b = &c->b;
    double t0 = ps->start_s + s->in_ms / 1000.0, t1 = ps->start_s + s->out_ms / 1000.0;
    double d = (s->out_ms - s->in_ms) / 1000.0;
    scene_source(c, i, ps);
    if (c->form == RENDER_GRAPH_SOUND) {
        scene_sound(c, i, ps, t0, t1, d);
        return;
    }
    if (ps->video_index < 0) {
        waveform_scene(c, i, ps, t0, t1, d);
    } else {
        /* shifted by the scene's start, not by its first frame: a stream that starts late or
         * a seek that lands late must not pull the pictures earlier than their sound */
        cf_textbuf_printf(b, "[mv%zu]trim=start=%.6f:end=%.6f,setpts=round(PTS-%.6f/TB)%s[pre%zu];", i, t0,
                          t1, t0, ps->upright, i);
        layout(c, i, s, ps);
    }
    /* the last picture is held to the scene's end (a picture that stops early, and fps, which
     * drops the last frame when the end equals its timestamp), the first one back to its start */
    cf_textbuf_printf(
        b,
        "[lay%zu]tpad=stop_duration=%.3f:stop_mode=clone,fps=%.3f:start_time=0,trim=duration=%.3f,"
        "format=yuv420p,setsar=1[v%zu];",
        i, d, c->fps, d, i);
    if (c->sound) scene_sound(c, i, ps, t0, t1, d);
}

static const char *xfade_name(cf_transition_kind k) {
    const char *s = cf_transition_kind_to_string(k);
    return s ? s : "fade";
}

static void join_scenes(ctx *c) {
    const cf_timeline *tl = c->p->tl;
    cf_textbuf *b = &c->b;
    snprintf(c->cur_v, sizeof c->cur_v, "v0");
    snprintf(c->cur_a, sizeof c->cur_a, "a0");
    double acc = (tl->scenes[0].out_ms - tl->scenes[0].in_ms) / 1000.0;
    for (size_t i = 1; i < tl->n_scenes; i++) {
        const cf_timeline_scene *s = &tl->scenes[i];
        double d = (s->out_ms - s->in_ms) / 1000.0;
        if (s->transition && s->transition->kind != CF_TRANSITION_KIND_CUT) {
            double t = s->transition->duration_ms / 1000.0;
            if (c->form != RENDER_GRAPH_SOUND)
                cf_textbuf_printf(b, "[%s][v%zu]xfade=transition=%s:duration=%.3f:offset=%.3f[jv%zu];",
                                  c->cur_v, i, xfade_name(s->transition->kind), t, acc - t, i);
            if (c->sound) cf_textbuf_printf(b, "[%s][a%zu]acrossfade=d=%.3f[ja%zu];", c->cur_a, i, t, i);
            acc += d - t;
        } else {
            if (c->form == RENDER_GRAPH_SOUND)
                cf_textbuf_printf(b, "[%s][a%zu]concat=n=2:v=0:a=1[ja%zu];", c->cur_a, i, i);
            else if (c->sound)
                cf_textbuf_printf(b, "[%s][%s][v%zu][a%zu]concat=n=2:v=1:a=1[jv%zu][ja%zu];", c->cur_v,
                                  c->cur_a, i, i, i, i);
            else cf_textbuf_printf(b, "[%s][v%zu]concat=n=2:v=1:a=0[jv%zu];", c->cur_v, i, i);
            acc += d;
        }
        snprintf(c->cur_v, sizeof c->cur_v, "jv%zu", i);
        snprintf(c->cur_a, sizeof c->cur_a, "ja%zu", i);
    }
}

/* Anchor expressions: (x, y) of an item of size (iw, ih) named by the filter's variables. */
static void anchor(const cf_timeline_overlay *o, const char *cw, const char *ch, const char *iw,
                   const char *ih, char *x, char *y, size_t n) {
    switch (o->position) {
    case CF_OVERLAY_POSITION_CENTER:
        snprintf(x, n, "(%s-%s)/2", cw, iw), snprintf(y, n, "(%s-%s)/2", ch, ih);
        break;
    case CF_OVERLAY_POSITION_BOTTOM:
        snprintf(x, n, "(%s-%s)/2", cw, iw), snprintf(y, n, "%s*0.92-%s", ch, ih);
        break;
    case CF_OVERLAY_POSITION_TOP_LEFT: snprintf(x, n, "%s*0.05", cw), snprintf(y, n, "%s*0.05", ch); break;
    case CF_OVERLAY_POSITION_TOP_RIGHT:
        snprintf(x, n, "%s*0.95-%s", cw, iw), snprintf(y, n, "%s*0.05", ch);
        break;
    case CF_OVERLAY_POSITION_BOTTOM_LEFT:
        snprintf(x, n, "%s*0.05", cw), snprintf(y, n, "%s*0.95-%s", ch, ih);
        break;
    case CF_OVERLAY_POSITION_BOTTOM_RIGHT:
        snprintf(x, n, "%s*0.95-%s", cw, iw), snprintf(y, n, "%s*0.95-%s", ch, ih);
        break;
    case CF_OVERLAY_POSITION_CUSTOM:
        snprintf(x, n, "%s*%.4f", cw, o->x), snprintf(y, n, "%s*%.4f", ch, o->y);
        break;
    default: snprintf(x, n, "(%s-%s)/2", cw, iw), snprintf(y, n, "%s*0.08", ch);
    }
}

/* 0..1: how far the overlay is in (animation ramps at both ends). */
static void ramp(const cf_timeline_overlay *o, char *out, size_t n) {
    double s = o->start_ms / 1000.0, e = o->end_ms / 1000.0, a = o->animation_ms / 1000.0;
    if (o->animation == CF_OVERLAY_ANIMATION_NONE || a <= 0) snprintf(out, n, "1");
    else snprintf(out, n, "clip(min((t-%.3f)/%.3f,(%.3f-t)/%.3f),0,1)", s, a, e, a);
}

static void text_overlay(ctx *c, size_t k, const cf_timeline_overlay *o) {
    char x[96], y[96], r[160], col[16], bgc[16];
    const cf_overlay_style *st = o->style;
    const char *font = cf_font_file(st ? st->font : "DejaVu Sans Bold");
    if (!font) font = cf_font_file("DejaVu Sans");
    int size = st ? (int)st->font_size : 48;
    double op = st ? st->opacity : 1;
    anchor(o, "w", "h", "text_w", "text_h", x, y, sizeof x);
    ramp(o, r, sizeof r);
    cf_textbuf *b = &c->b;
    cf_textbuf_printf(b, "[%s]drawtext=fontfile=%s:textfile=%s:expansion=none:fontsize=%d:fontcolor=%s@%.3f",
                      c->cur_v, font, c->p->text_files[k], size, color(st ? st->color : "white", col), op);
    if (st && st->background_color)
        cf_textbuf_printf(b, ":box=1:boxcolor=%s@%.3f:boxborderw=%d", color(st->background_color, bgc), op,
                          size / 3 + 1);
    if (o->animation == CF_OVERLAY_ANIMATION_SLIDE)
        cf_textbuf_printf(b, ":x=%s:y='%s+(1-%s)*h*0.08'", x, y, r);
    else cf_textbuf_printf(b, ":x=%s:y=%s", x, y);
    cf_textbuf_printf(b, ":alpha='%s':enable='between(t,%.3f,%.3f)'[ov%zu];", r, o->start_ms / 1000.0,
                      o->end_ms / 1000.0, k);
}

static void image_overlay(ctx *c, size_t k, const cf_timeline_overlay *o) {
    char x[96], y[96], r[160], ys[400];
    int w = even(c->W * (o->has_width ? o->width : 0.2));
    anchor(o, "W", "H", "w", "h", x, y, sizeof x);
    ramp(o, r, sizeof r);
    /* slide: rises into place as it fades in (8 % of the canvas, like text) and sinks out */
    bool slide = o->animation == CF_OVERLAY_ANIMATION_SLIDE;
    if (slide) snprintf(ys, sizeof ys, "'%s+(1-%s)*H*0.08':eval=frame", y, r);
    else snprintf(ys, sizeof ys, "%s", y);
    double s = o->start_ms / 1000.0, e = o->end_ms / 1000.0, a = o->animation_ms / 1000.0;
    bool cli = c->form == RENDER_GRAPH_CLI, faded = o->animation != CF_OVERLAY_ANIMATION_NONE && a > 0;
    if (cli) cf_textbuf_printf(&c->b, "movie=filename=%s", c->p->image_links[k]);
    else cf_textbuf_printf(&c->b, "buffer@si%zu=%s", k, c->p->image_args[k]);
    cf_textbuf_printf(&c->b, ",scale=%d:-2,format=rgba", w < 2 ? 2 : w);
    if (faded) {
        /* the alpha fade runs on pictures at the canvas rate: a still's one picture (movie's) is
           repeated; the source's pictures span the overlay, and fps fills between them */
        if (cli) cf_textbuf_printf(&c->b, ",loop=loop=-1:size=1,setpts=N/(%.3f*TB)", c->fps);
        else cf_textbuf_printf(&c->b, ",fps=%.3f", c->fps);
        cf_textbuf_printf(&c->b, ",fade=t=in:st=%.3f:d=%.3f:alpha=1,fade=t=out:st=%.3f:d=%.3f:alpha=1", s, a,
                          e - a, a);
    }
    /* into the canvas's BT.709 here: overlay's own conversion would use BT.601 */
    cf_textbuf_printf(&c->b, ",scale=out_color_matrix=bt709:out_range=tv,format=yuva420p");
    /* movie's looped still never ends: the main input decides the end; the source's pictures end
     * with the overlay, and the last one is repeated (enable hides it after the end) */
    cf_textbuf_printf(
        &c->b, "[img%zu];[%s][img%zu]overlay=x=%s:y=%s:shortest=%d:enable='between(t,%.3f,%.3f)'[ov%zu];", k,
        c->cur_v, k, x, ys, cli && faded, s, e, k);
}

static void bar_overlay(ctx *c, size_t k, const cf_timeline_overlay *o) {
    char col[16];
    const cf_overlay_style *st = o->style;
    int h = even(c->H * (o->has_height ? o->height : 0.01));
    h = h < 4 ? 4 : h;
    double s = o->start_ms / 1000.0, e = o->end_ms / 1000.0;
    bool top = o->position == CF_OVERLAY_POSITION_TOP || o->position == CF_OVERLAY_POSITION_TOP_LEFT ||
               o->position == CF_OVERLAY_POSITION_TOP_RIGHT;
    cf_textbuf_printf(&c->b, "color=c=%s:s=%dx%d:r=%.3f:d=%.3f[bar%zu];",
                      color(st ? st->color : "white", col), c->W, h, c->fps, c->p->duration_ms / 1000.0, k);
    cf_textbuf_printf(&c->b,
                      "[%s][bar%zu]overlay=x='-w+w*clip((t-%.3f)/"
                      "%.3f,0,1)':y=%s:eval=frame:enable='between(t,%.3f,%.3f)'[ov%zu];",
                      c->cur_v, k, s, e - s, top ? "0" : "H-h", s, e, k);
}

static void shape_overlay(ctx *c, size_t k, const cf_timeline_overlay *o) {
    char col[16];
    const cf_overlay_style *st = o->style;
    int w = even(c->W * (o->has_width ? o->width : 0.3)), h = even(c->H * (o->has_height ? o->height : 0.1));
    int x = o->has_x ? (int)(c->W * o->x) : (c->W - w) / 2,
        y = o->has_y ? (int)(c->H * o->y) : (c->H - h) / 2;
    cf_textbuf_printf(
        &c->b, "[%s]drawbox=x=%d:y=%d:w=%d:h=%d:color=%s@%.3f:t=fill:enable='between(t,%.3f,%.3f)'[ov%zu];",
        c->cur_v, x, y, w, h, color(st ? st->color : "white", col), st ? st->opacity : 1.0,
        o->start_ms / 1000.0, o->end_ms / 1000.0, k);
}

static void overlays(ctx *c) {
    const cf_timeline *tl = c->p->tl;
    for (size_t k = 0; k < tl->n_overlays; k++) {
        const cf_timeline_overlay *o = &tl->overlays[k];
        switch (o->kind) {
        case CF_OVERLAY_KIND_TEXT: text_overlay(c, k, o); break;
        case CF_OVERLAY_KIND_IMAGE: image_overlay(c, k, o); break;
        case CF_OVERLAY_KIND_PROGRESS_BAR: bar_overlay(c, k, o); break;
        default: shape_overlay(c, k, o);
        }
        snprintf(c->cur_v, sizeof c->cur_v, "ov%zu", k);
    }
    if (c->p->ass_path) {
        cf_textbuf_printf(&c->b, "[%s]ass=filename=%s:fontsdir=%s[capt];", c->cur_v, c->p->ass_path,
                          CF_FONT_DIR);
        snprintf(c->cur_v, sizeof c->cur_v, "capt");
    }
}

static void music(ctx *c) {
    const cf_timeline *tl = c->p->tl;
    cf_textbuf *b = &c->b;
    if (!tl->n_audio_tracks || !c->sound) return;
    double dur = c->p->duration_ms / 1000.0;
    size_t ducked = 0;
    for (size_t m = 0; m < tl->n_audio_tracks; m++) ducked += tl->audio_tracks[m].duck_under_speech;
    /* the scenes' sound: one copy for the mix, one per ducked track as its sidechain */
    cf_textbuf_printf(b, "[%s]asplit=%zu[sp]", c->cur_a, ducked + 1);
    for (size_t m = 0; m < ducked; m++) cf_textbuf_printf(b, "[sc%zu]", m);
    cf_textbuf_printf(b, ";");
    size_t d = 0;
    for (size_t m = 0; m < tl->n_audio_tracks; m++) {
        const cf_timeline_audio_track *t = &tl->audio_tracks[m];
        if (c->form == RENDER_GRAPH_CLI)
            cf_textbuf_printf(b, "amovie=filename=%s:s=%d,", c->p->music_links[m], c->p->music_streams[m]);
        else cf_textbuf_printf(b, "abuffer@sm%zu=%s,", m, c->p->music_args[m]);
        /* a track plays from its first sample, counted by samples: the file's own times (an
         * MPEG-TS starts at 1.4 s, a recording's may jump) would move the fades and the trim,
         * and a fade-out placed before the first time silences the whole track */
        cf_textbuf_printf(b,
                          "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,asetpts=N/SR/"
                          "TB,volume=%.2fdB",
                          t->gain_db);
        if (t->fade_in_ms) cf_textbuf_printf(b, ",afade=t=in:d=%.3f", t->fade_in_ms / 1000.0);
        if (t->fade_out_ms)
            cf_textbuf_printf(b, ",afade=t=out:st=%.3f:d=%.3f", dur - t->fade_out_ms / 1000.0,
                              t->fade_out_ms / 1000.0);
        cf_textbuf_printf(b, ",apad,atrim=duration=%.3f[mu%zu];", dur, m);
        if (t->duck_under_speech) {
            cf_textbuf_printf(
                b,
                "[mu%zu][sc%zu]sidechaincompress=threshold=0.015:ratio=20:attack=15:release=350:"
                "makeup=1[mu%zud];",
                m, d++, m);
        }
    }
    cf_textbuf_printf(b, "[sp]");
    for (size_t m = 0; m < tl->n_audio_tracks; m++)
        cf_textbuf_printf(b, "[mu%zu%s]", m, tl->audio_tracks[m].duck_under_speech ? "d" : "");
    cf_textbuf_printf(b, "amix=inputs=%zu:duration=first:dropout_transition=0:normalize=0[mix];",
                      tl->n_audio_tracks + 1);
    snprintf(c->cur_a, sizeof c->cur_a, "mix");
}

/* The loudness decided for the mix (render.c measures it), as clips apply theirs. */
static void loudness_gain(ctx *c) {
    const render_loudness *l = &c->p->loud;
    if (!l->decided) return;
    AVBPrint chain;
    av_bprint_init(&chain, 0, AV_BPRINT_SIZE_UNLIMITED);
    cf_media_loudness_filters(l->gain_db, l->limit, l->limit_db, 48000, &chain);
    cf_textbuf_printf(&c->b, "%s", chain.str);
    av_bprint_finalize(&chain, NULL);
}

static void outputs(ctx *c) {
    const cf_timeline *tl = c->p->tl;
    cf_textbuf *b = &c->b;
    size_t n = tl->n_outputs, na = 0;
    for (size_t j = 0; j < n; j++) na += cf_encoder_has_sound(tl->outputs[j].format);
    if (na) {
        cf_textbuf_printf(b, "[%s]anull", c->cur_a);
        loudness_gain(c);
        cf_textbuf_printf(b, "[loud];");
    }
    if (n > 1) {
        cf_textbuf_printf(b, "[%s]split=%zu", c->cur_v, n);
        for (size_t j = 0; j < n; j++) cf_textbuf_printf(b, "[fv%zu]", j);
        cf_textbuf_printf(b, ";");
    }
    if (na) {
        cf_textbuf_printf(b, "[loud]asplit=%zu", na);
        for (size_t j = 0; j < na; j++) cf_textbuf_printf(b, "[fa%zu]", j);
        cf_textbuf_printf(b, ";");
    }
    size_t a = 0;
    for (size_t j = 0; j < n; j++) {
        const cf_timeline_output *o = &tl->outputs[j];
        int w = o->has_width ? (int)o->width : c->W, h = o->has_height ? (int)o->height : c->H;
        if (n > 1) cf_textbuf_printf(b, "[fv%zu]", j);
        else cf_textbuf_printf(b, "[%s]", c->cur_v);
        cf_textbuf_printf(b, "scale=%d:%d", w, h);
        if (o->format == CF_TARGET_FORMAT_GIF)
            cf_textbuf_printf(b,
                              ":in_color_matrix=bt709:in_range=tv,fps=%.3f,split[gfa%zu][gfb%zu];[gfa%zu]"
                              "palettegen=stats_mode=diff[gfp%zu];"
                              "[gfb%zu][gfp%zu]paletteuse=dither=bayer[outv%zu];",
                              c->fps > 15 ? 15.0 : c->fps, j, j, j, j, j, j, j);
        else
            cf_textbuf_printf(
                b,
                ",format=yuv420p[outv%zu];[fa%zu]aformat=sample_fmts=%s:sample_rates=48000:channel_"
                "layouts=stereo[outa%zu];",
                j, a++, cf_render_output_sample_fmt(o->format), j);
    }
}

/* The sound's output for the meter: the mix with its loudness gain, as the encoder a trial goes
 * through takes it, else as it is (planar float: a mix may pass full scale before its gain). */
static void meter(ctx *c) {
    cf_target_format formats[2];
    size_t n = c->p->loud.trial ? cf_render_sound_formats(c->p->tl, formats) : 0;
    cf_textbuf_printf(&c->b, "[%s]anull", c->cur_a);
    loudness_gain(c);
    if (n < 2) {
        cf_textbuf_printf(&c->b, ",aformat=sample_fmts=%s:sample_rates=48000:channel_layouts=stereo[outa0]",
                          n ? cf_render_output_sample_fmt(formats[0]) : "fltp");
        return;
    }
    cf_textbuf_printf(&c->b, ",asplit=%zu", n);
    for (size_t k = 0; k < n; k++) cf_textbuf_printf(&c->b, "[mt%zu]", k);
    for (size_t k = 0; k < n; k++)
        cf_textbuf_printf(&c->b,
                          ";[mt%zu]aformat=sample_fmts=%s:sample_rates=48000:channel_layouts=stereo[outa%zu]",
                          k, cf_render_output_sample_fmt(formats[k]), k);
}

size_t cf_render_sound_formats(const cf_timeline *tl, cf_target_format out[2]) {
    size_t n = 0;
    for (size_t i = 0; i < tl->n_outputs && n < 2; i++) {
        cf_target_format f = tl->outputs[i].format;
        if (cf_encoder_has_sound(f) && !(n == 1 && out[0] == f)) out[n++] = f;
    }
    return n;
}

char *cf_render_graph_describe(const render_plan *p, render_graph_form form) {
    ctx c = {.p = p,
             .form = form,
             .W = (int)p->tl->canvas.width,
             .H = (int)p->tl->canvas.height,
             .fps = p->tl->canvas.fps,
             .sound = cf_timeline_has_sound(p->tl)};
    for (size_t i = 0; i < p->tl->n_scenes; i++) scene(&c, i);
    join_scenes(&c);
    if (form != RENDER_GRAPH_SOUND) overlays(&c);
    music(&c);
    if (form == RENDER_GRAPH_SOUND) meter(&c);
    else outputs(&c);
    if (c.b.len && c.b.s[c.b.len - 1] == ';') c.b.s[--c.b.len] = 0;
    return cf_textbuf_take(&c.b);
}

/* filter_graph.c — building libavfilter graphs and the text of the operation chains. The chains
 * are text because that is libavfilter's stable interface and it reads like the ffmpeg command
 * a user could run to check us. */
#include "filter_graph.h"

#include "cut_chain.h"

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/pixdesc.h>
#include <math.h>

static AVFilterInOut *inout(const char *name, AVFilterContext *ctx, AVFilterInOut *next) {
    AVFilterInOut *io = avfilter_inout_alloc();
    if (!io) return NULL;
    io->name = av_strdup(name);
    io->filter_ctx = ctx;
    io->pad_idx = 0;
    io->next = next;
    if (!io->name) avfilter_inout_free(&io);
    return io;
}

static int make_ends(cfclip_graph *g, bool video, const char *const *src_args, int n_src) {
    int ret;
    const AVFilter *src = avfilter_get_by_name(video ? "buffer" : "abuffer");
    const AVFilter *sink = avfilter_get_by_name(video ? "buffersink" : "abuffersink");
    for (int i = 0; i < n_src; i++) {
        char name[16];
        snprintf(name, sizeof name, "in%d", i);
        if ((ret = avfilter_graph_create_filter(&g->src[i], src, name, src_args[i], NULL, g->graph)) < 0)
            return ret;
    }
    g->n_src = n_src;
    return avfilter_graph_create_filter(&g->sink, sink, "out", NULL, NULL, g->graph);
}

cf_err cfclip_graph_build(cfclip_graph *g, bool video, const char *const *src_args, int n_src,
                          const char *desc, int threads, cf_error *err) {
    AVFilterInOut *outputs = NULL, *inputs = NULL;
    int ret = AVERROR(ENOMEM);
    memset(g, 0, sizeof *g);
    if (!(g->graph = avfilter_graph_alloc())) goto end;
    g->graph->nb_threads = threads;
    if ((ret = make_ends(g, video, src_args, n_src)) < 0) goto end;
    ret = AVERROR(ENOMEM);
    for (int i = n_src - 1; i >= 0; i--) {
        char name[16];
        snprintf(name, sizeof name, "in%d", i);
        AVFilterInOut *io = inout(name, g->src[i], outputs);
        if (!io) goto end;
        outputs = io;
    }
    if (!(inputs = inout("out", g->sink, NULL))) goto end;
    if ((ret = avfilter_graph_parse_ptr(g->graph, desc, &inputs, &outputs, NULL)) < 0) goto end;
    ret = avfilter_graph_config(g->graph, NULL);
end:
    avfilter_inout_free(&inputs);
    avfilter_inout_free(&outputs);
    if (ret < 0) {
        cfclip_graph_free(g);
        return cf_error_set(err, CF_ERR_PROCESSING, "cannot set up the %s filters \"%s\": %s",
                            video ? "video" : "audio", desc, av_err2str(ret));
    }
    return CF_OK;
}

void cfclip_graph_free(cfclip_graph *g) {
    if (g) {
        avfilter_graph_free(&g->graph);
        memset(g, 0, sizeof *g);
    }
}

/* trim + shift to output time 0 + speed, shared by both media types (prefix "" or "a").
 * Rounded: with a coarse time base (1/15 s in some AVI files) PTS-x/TB is fractional, and
 * setpts truncates, which gave two frames one timestamp. */
static void timing(const cfclip_plan *plan, const cfclip_span *span, const char *a, bool speed,
                   AVBPrint *out) {
    /* Sped up, frames of a coarse time base (1/15 s in an AVI) land on fractions of a tick, and
     * two of them rounded to one tick made the encoder fail ("Invalid argument"): 1/90000 holds
     * them apart (and is exact for every usual frame rate). */
    if (speed && plan->speed != 1.0 && !*a) av_bprintf(out, "settb=1/90000,");
    if (span->n_pieces) {
        cfclip_cut_timing(span, *a == 'a', speed ? plan->speed : 1.0, out);
        return;
    }
    if (span->trim) {
        av_bprintf(out, "%strim=start=%.6f", a, span->origin_s);
        if (span->end_s >= 0) av_bprintf(out, ":end=%.6f", span->end_s);
        av_bprintf(out, ",");
    }
    if (speed && plan->speed != 1.0)
        av_bprintf(out, "%ssetpts=round((PTS-%.6f/TB)/%.6f)", a, span->origin_s, plan->speed);
    else av_bprintf(out, "%ssetpts=round(PTS-%.6f/TB)", a, span->origin_s);
}

static double gif_fps(const cfclip_plan *plan, double source_fps) {
    double fps = plan->fps > 0 ? plan->fps : source_fps > 0 ? source_fps : CFCLIP_GIF_DEFAULT_FPS;
    return fps > CFCLIP_GIF_MAX_FPS ? CFCLIP_GIF_MAX_FPS : fps;
}

/* True when the plan's scale makes the (cropped, upright) pictures narrower. */
static bool scale_shrinks(const cfclip_plan *plan, const cf_media_input *in) {
    const AVCodecParameters *par = in->fmt->streams[in->video_index]->codecpar;
    int w = plan->crop_w, h = plan->crop_h;
    if (!plan->crop) cf_media_shown_size(par->width, par->height, in->sar, in->rotation, &w, &h);
    if (plan->scale_w > 0) return plan->scale_w < w;
    return plan->scale_h > 0 && h > 0 && plan->scale_h < h;
}

void cfclip_video_chain(const cfclip_plan *plan, const cfclip_span *span, const cf_media_input *in,
                        cfclip_gif_pass gif, AVBPrint *out) {
    bool yuv = plan->format != CFCLIP_GIF;
    double source_fps = cf_media_stream_fps(in->fmt->streams[in->video_index]);
    av_bprintf(out, "[in0]");
    timing(plan, span, "", true, out);
    cf_media_upright_filters(in, gif != CFCLIP_GIF_NONE ? gif_fps(plan, source_fps) : plan->fps, plan->speed,
                             out);
    if (plan->crop)
        av_bprintf(out, ",crop=%d:%d:%d:%d:exact=1", plan->crop_w, plan->crop_h, plan->crop_x, plan->crop_y);
    bool shrinks = scale_shrinks(plan, in);
    if (!shrinks) cf_media_tone_map_filters(in, out);
    if (plan->scale_w || plan->scale_h) {
        /* yuv420p needs even sides: -2 keeps the aspect on an even size. */
        int w = plan->scale_w, h = plan->scale_h;
        if (yuv) {
            w = w == -1 ? -2 : w & ~1;
            h = h == -1 ? -2 : h & ~1;
        }
        av_bprintf(out, ",scale=%d:%d:flags=bicubic", w, h);
    }
    if (shrinks) cf_media_tone_map_filters(in, out);
    if (gif != CFCLIP_GIF_NONE)
        av_bprintf(out, ",fps=%.6f,scale=w='min(iw,%d)':h=-1:flags=lanczos:in_color_matrix=%s:in_range=tv",
                   gif_fps(plan, source_fps), CFCLIP_GIF_MAX_WIDTH,
                   cf_media_matrix_name(cf_media_shown_colors(in).matrix));
    else if (plan->fps > 0) av_bprintf(out, ",fps=%.6f", plan->fps);
    if (gif == CFCLIP_GIF_PALETTE) av_bprintf(out, ",palettegen=stats_mode=full[out]");
    if (gif == CFCLIP_GIF_APPLY) av_bprintf(out, "[pic];[pic][in1]paletteuse=dither=sierra2_4a[out]");
    if (yuv) av_bprintf(out, ",scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1,format=yuv420p[out]");
}

/* atempo keeps pitch; one instance sounds best between 0.5 and 2, so chain them. */
static void tempo(double speed, AVBPrint *out) {
    while (speed > 2.0 + 1e-9) {
        av_bprintf(out, ",atempo=2");
        speed /= 2.0;
    }
    while (speed < 0.5 - 1e-9) {
        av_bprintf(out, ",atempo=0.5");
        speed /= 0.5;
    }
    if (fabs(speed - 1.0) > 1e-9) av_bprintf(out, ",atempo=%.6f", speed);
}

void cfclip_audio_chain(const cfclip_plan *plan, const cfclip_span *span, const cfclip_loudness *loud,
                        const char *sample_fmt, int sample_rate, const char *layout, AVBPrint *out) {
    av_bprintf(out, "[in0]");
    timing(plan, span, "a", false, out);
    tempo(plan->speed, out);
    /* EBU R128's second pass (loudness.c decides it); loudnorm's dynamic mode was tried first and
     * missed the target by more than 1 LU on short clips with sharp peaks */
    if (loud) cf_media_loudness_filters(loud->gain_db, loud->limit, loud->limit_db, sample_rate, out);
    /* every sample at its time, so the track starts with the picture */
    av_bprintf(out,
               ",aresample=%d:" CF_MEDIA_SOUND_AT_ITS_TIME ",aformat=sample_fmts=%s:sample_rates=%d:"
               "channel_layouts=%s[out]",
               sample_rate, sample_fmt, sample_rate, layout);
}

void cfclip_meter_chain(const cfclip_plan *plan, const cfclip_span *span, AVBPrint *out) {
    cfclip_plan no_speed = *plan;
    no_speed.speed = 1.0; /* tempo does not change loudness; measure without it */
    av_bprintf(out, "[in0]");
    timing(&no_speed, span, "a", false, out);
    av_bprintf(out, ",ebur128=metadata=1:peak=true[out]");
}

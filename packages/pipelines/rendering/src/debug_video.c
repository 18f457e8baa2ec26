/* debug_video.c — source span (read by a render source) + drawbox moved by sendcmd, through the
 * render output writer. */
#include "debug_video.h"

#include <libavfilter/avfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clipforge/media.h"
#include "output_file.h"
#include "render_source.h"

static cf_err write_commands(const cf_camera_path *cp, const char *path, cf_error *err) {
    FILE *f = fopen(path, "wb");
    if (!f) return cf_error_set(err, CF_ERR_IO, "%s: cannot write", path);
    int px = -1, py = -1;
    for (size_t k = 0; k < cp->n_samples; k++) {
        const cf_camera_sample *s = &cp->samples[k];
        if (s->crop_x == px && s->crop_y == py) continue;
        fprintf(f, "%.3f drawbox@db x %d, drawbox@db y %d;\n", k ? s->t_ms / 1000.0 : 0.0, s->crop_x,
                s->crop_y);
        px = s->crop_x, py = s->crop_y;
    }
    return fclose(f) == 0 ? CF_OK : cf_error_set(err, CF_ERR_IO, "%s: cannot write", path);
}

static cf_err build(AVFilterGraph *g, const char *desc, AVFilterContext **sink, cf_error *err) {
    AVFilterInOut *ins = NULL, *outs = NULL;
    int ret = avfilter_graph_parse2(g, desc, &ins, &outs);
    if (ret >= 0 && (!outs || outs->next || ins)) ret = AVERROR(EINVAL);
    if (ret >= 0)
        ret = avfilter_graph_create_filter(sink, avfilter_get_by_name("buffersink"), "outv0", NULL, NULL, g);
    if (ret >= 0) ret = avfilter_link(outs->filter_ctx, outs->pad_idx, *sink, 0);
    if (ret >= 0) ret = avfilter_graph_config(g, NULL);
    avfilter_inout_free(&ins);
    avfilter_inout_free(&outs);
    return ret < 0 ? cf_av_fail(err, CF_ERR_PROCESSING, "debug video", "filter graph", ret) : CF_OK;
}

/* The graph: the span's pictures from the source's buffer, shifted by its start (as a scene's),
 * upright, the crop drawn. */
static char *describe(const render_source *src, const char *upright, double t0, double t1,
                      const cf_camera_path *cp, const char *cmd_path) {
    AVBPrint args, d;
    av_bprint_init(&args, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprint_init(&d, 0, AV_BPRINT_SIZE_UNLIMITED);
    cf_render_source_args(src, &args, NULL, NULL);
    av_bprintf(&d,
               "buffer@sv0=%s,trim=start=%.6f:end=%.6f,setpts=round(PTS-%.6f/TB)%s,sendcmd=f=%s,"
               "drawbox@db=x=0:y=0:w=%d:h=%d:color=red:t=%d,scale=640:-2,format=yuv420p[outv0]",
               args.str, t0, t1, t0, upright, cmd_path, cp->crop_w, cp->crop_h, cp->src_w / 160 + 2);
    av_bprint_finalize(&args, NULL);
    char *desc = NULL;
    if (av_bprint_is_complete(&d)) av_bprint_finalize(&d, &desc);
    else av_bprint_finalize(&d, NULL);
    return desc;
}

/* Pulls the graph to its end, reading the source when it waits for it. */
static cf_err pump(AVFilterGraph *g, render_source *src, output_file *o, cf_progress *progress,
                   cf_error *err) {
    for (;;) {
        if (cf_progress_cancelled(progress)) return cf_error_set(err, CF_ERR_CANCELLED, "render cancelled");
        int ret = avfilter_graph_request_oldest(g);
        if (ret == AVERROR(EAGAIN) && !cf_render_source_done(src)) ret = cf_render_source_feed(src);
        else if (ret == AVERROR(EAGAIN)) ret = AVERROR_BUG; /* waits for input that has ended */
        if (ret < 0 && cf_render_source_went_back(src, "debug video", err)) return err->code;
        if (ret < 0 && ret != AVERROR_EOF && ret != AVERROR(EAGAIN))
            return cf_av_fail(err, CF_ERR_PROCESSING, "debug video", "filter", ret);
        cf_err e = cf_render_output_drain(o, NULL, NULL, err);
        if (e || ret == AVERROR_EOF) return e;
    }
}

cf_err cf_debug_video_write(const char *path, const char *upright, double t0, double t1, int threads,
                            const cf_camera_path *cp, const char *cmd_path, const char *out_path,
                            cf_progress *progress, cf_error *err) {
    cf_err e = write_commands(cp, cmd_path, err);
    if (e) return e;
    render_source src;
    char *desc = NULL;
    /* a debugging aid, one file: written where the render says (its temp dir) */
    output_file o = {.path = (char *)out_path, .work_path = (char *)out_path, .format = CF_TARGET_FORMAT_MP4};
    AVFilterGraph *g = avfilter_graph_alloc();
    e = cf_render_source_open(&src, path, NULL, RENDER_SOURCE_PICTURES, t0, t1, threads, err);
    if (!e && (!g || !(desc = describe(&src, upright, t0, t1, cp, cmd_path))))
        e = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!e) e = build(g, desc, &o.vsink, err);
    if (!e) e = cf_render_source_bind(&src, g, "buffer@sv0", "", "", err);
    if (!e) e = cf_render_output_open(&o, 0, 0, err);
    if (!e) e = pump(g, &src, &o, progress, err);
    if (!e) e = cf_render_output_finish(&o, err);
    cf_render_output_close(&o);
    avfilter_graph_free(&g);
    cf_render_source_close(&src);
    free(desc);
    if (e && o.created) unlink(out_path);
    return e;
}

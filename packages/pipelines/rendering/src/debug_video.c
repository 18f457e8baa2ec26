/* debug_video.c — source span + drawbox moved by sendcmd, through the render output writer. */
#include "debug_video.h"

#include <libavfilter/avfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clipforge/media.h"
#include "output_file.h"

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

cf_err cf_debug_video_write(const char *link, const char *upright, double seek_s, double t0, double t1,
                            const cf_camera_path *cp, const char *cmd_path, const char *out_path,
                            cf_progress *progress, cf_error *err) {
    cf_err e = write_commands(cp, cmd_path, err);
    if (e) return e;
    char desc[2048];
    int n = snprintf(desc, sizeof desc,
                     "movie=filename=%s:sp=%.3f,trim=start=%.3f:end=%.3f,setpts=PTS-STARTPTS%s,sendcmd=f=%s,"
                     "drawbox@db=x=0:y=0:w=%d:h=%d:color=red:t=%d,scale=640:-2,format=yuv420p[outv0]",
                     link, seek_s, t0, t1, upright, cmd_path, cp->crop_w, cp->crop_h, cp->src_w / 160 + 2);
    if (n < 0 || (size_t)n >= sizeof desc)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "debug video: path too long");
    /* a debugging aid, one file: written where the render says (its temp dir) */
    output_file o = {.path = (char *)out_path, .work_path = (char *)out_path, .format = CF_TARGET_FORMAT_MP4};
    AVFilterGraph *g = avfilter_graph_alloc();
    if (!g) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!(e = build(g, desc, &o.vsink, err)) && !(e = cf_render_output_open(&o, 0, 0, err))) {
        for (;;) {
            if (cf_progress_cancelled(progress)) {
                e = cf_error_set(err, CF_ERR_CANCELLED, "render cancelled");
                break;
            }
            int ret = avfilter_graph_request_oldest(g);
            if (ret < 0 && ret != AVERROR_EOF && ret != AVERROR(EAGAIN)) {
                e = cf_av_fail(err, CF_ERR_PROCESSING, "debug video", "filter", ret);
                break;
            }
            if ((e = cf_render_output_drain(&o, NULL, NULL, err)) || ret == AVERROR_EOF) break;
        }
        if (!e) e = cf_render_output_finish(&o, err);
    }
    cf_render_output_close(&o);
    avfilter_graph_free(&g);
    if (e && o.created) unlink(out_path);
    return e;
}

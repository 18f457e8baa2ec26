/* fit_picture.c — a picture of another size than its stream's first, fitted into that size as a
 * player shows it: whole, its shape kept, centred, black bars where the shapes differ. Filter
 * graphs are built for the first size (FFmpeg 5.1's filters write past their buffers when a
 * frame of another size reaches them), so every pipeline that feeds a graph conforms frames
 * here first. */
#include "clipforge/media.h"

#include "fit.h"

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "clipforge/log.h"

/* Where a w x h picture goes in an ow x oh one: whole, its shape kept, centred; even offsets
 * and sizes, as halved chroma planes need. */
static void fit(int w, int h, int ow, int oh, int *x, int *y, int *fw, int *fh) {
    if ((int64_t)w * oh > (int64_t)ow * h) *fw = ow, *fh = (int)((int64_t)h * ow / w) & ~1;
    else *fh = oh, *fw = (int)((int64_t)w * oh / h) & ~1;
    if (*fw < 2) *fw = 2 < ow ? 2 : ow;
    if (*fh < 2) *fh = 2 < oh ? 2 : oh;
    *x = ((ow - *fw) / 2) & ~1, *y = ((oh - *fh) / 2) & ~1;
}

/* The data pointers of f at (x, y), plane by plane; false for a layout where the components of
 * a plane disagree on where that is. */
static bool planes_at(const AVFrame *f, int x, int y, uint8_t *dst[4]) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)f->format);
    if (!d || (d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_PAL)))
        return false;
    bool set[4] = {false};
    for (int p = 0; p < 4; p++) dst[p] = f->data[p];
    for (int c = 0; c < d->nb_components; c++) {
        const AVComponentDescriptor *k = &d->comp[c];
        bool chroma = (c == 1 || c == 2) && !(d->flags & AV_PIX_FMT_FLAG_RGB);
        uint8_t *at = f->data[k->plane] +
                      (ptrdiff_t)(y >> (chroma ? d->log2_chroma_h : 0)) * f->linesize[k->plane] +
                      (ptrdiff_t)(x >> (chroma ? d->log2_chroma_w : 0)) * k->step;
        if (set[k->plane] && dst[k->plane] != at) return false;
        dst[k->plane] = at, set[k->plane] = true;
    }
    return true;
}

int cf_media_fit_picture(AVFrame *frame, int w, int h, enum AVPixelFormat format, struct SwsContext **sws) {
    int x, y, fw, fh;
    fit(frame->width, frame->height, w, h, &x, &y, &fw, &fh);
    AVFrame *out = av_frame_alloc();
    int ret = out ? 0 : AVERROR(ENOMEM);
    if (!ret) out->width = w, out->height = h, out->format = format;
    if (!ret) ret = av_frame_get_buffer(out, 0);
    if (!ret) ret = av_frame_copy_props(out, frame);
    uint8_t *dst[4];
    /* a layout the bars cannot be drawn around is stretched to the size, as before */
    if (!ret && !planes_at(out, x, y, dst)) x = y = 0, fw = w, fh = h, planes_at(out, 0, 0, dst);
    if (!ret) {
        ptrdiff_t ls[4] = {out->linesize[0], out->linesize[1], out->linesize[2], out->linesize[3]};
        av_image_fill_black(out->data, ls, format, out->color_range, w, h);
        *sws = sws_getCachedContext(*sws, frame->width, frame->height, frame->format, fw, fh, format,
                                    SWS_BICUBIC, NULL, NULL, NULL);
        ret = *sws ? 0 : AVERROR(ENOMEM);
    }
    if (!ret && sws_scale(*sws, (const uint8_t *const *)frame->data, frame->linesize, 0, frame->height, dst,
                          out->linesize) < 0)
        ret = AVERROR(EINVAL);
    if (!ret) {
        av_frame_unref(frame);
        av_frame_move_ref(frame, out);
    }
    av_frame_free(&out);
    return ret;
}

int cf_media_fitter_apply(cf_media_fitter *ft, AVFrame *frame, const AVFilterContext *src,
                          const char *component, int index, double t_s) {
    const AVFilterLink *l = src->outputs[0];
    if (l->type == AVMEDIA_TYPE_AUDIO) return cfmedia_fit_sound_to_link(ft, frame, l, component, index, t_s);
    if (frame->width == l->w && frame->height == l->h && frame->format == l->format) return 0;
    if (!ft->changed)
        cf_log_warn(component,
                    "video stream %d changes its picture size at %.3f s (%dx%d, was %dx%d): fitted in %dx%d",
                    index, cfmedia_log_time(t_s), frame->width, frame->height, l->w, l->h, l->w, l->h);
    ft->changed = true;
    return cf_media_fit_picture(frame, l->w, l->h, (enum AVPixelFormat)l->format, &ft->sws);
}

void cf_media_fitter_free(cf_media_fitter *ft) {
    sws_freeContext(ft->sws);
    ft->sws = NULL;
    cfmedia_fit_sound_free(ft);
}

/* video_analysis.c — picture measurements for highlight detection on a 64x36 luma thumbnail.
 *
 * The thumbnail is built by sampling the decoder's luma plane directly (16 points per cell) when
 * the frame is 8-bit YUV or gray, which costs a few microseconds per frame whatever the source
 * resolution; other formats go through libswscale (area filter to GRAY8). Per frame:
 *  - cut score: half the L1 distance between 32-bin luma histograms of consecutive frames; a cut
 *    when it exceeds both an absolute floor and a multiple of its recent mean (adaptive, so busy
 *    footage does not read as a string of cuts);
 *  - motion: mean absolute luma change, per frame interval of the stream (not counted on cuts,
 *    where it measures the cut). The decoder may skip pictures (non-reference frames): a step
 *    over k frame intervals counts a k-th of its change, so motion means the same whichever
 *    pictures were decoded (change grows about linearly with time for the motion that matters
 *    here, and a k-th keeps the undecimated values exactly);
 *  - brightness: mean luma. */
#include "video_analysis.h"

#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HIST_BINS 32
#define RECENT 30
#define NPIX (CF_THUMB_W * CF_THUMB_H)

struct video_analyzer {
    uint8_t cur[NPIX], prev[NPIX];
    int hist_prev[HIST_BINS];
    bool have_prev;
    double frame_ms, prev_ms;
    float recent[RECENT]; /* recent non-cut scores, for the adaptive threshold */
    int n_recent, recent_pos;
    struct SwsContext *sws;
};

cf_err hl_video_analyzer_new(video_analyzer **out, double frame_ms, cf_error *err) {
    *out = calloc(1, sizeof **out);
    if (!*out) return cf_error_set(err, CF_ERR_NO_MEMORY, "video analysis: out of memory");
    (*out)->frame_ms = frame_ms > 0 ? frame_ms : 0;
    return CF_OK;
}

void hl_video_analyzer_free(video_analyzer *v) {
    if (!v) return;
    sws_freeContext(v->sws);
    free(v);
}

/* True when data[0] holds 8-bit luma we can sample directly. */
static bool direct_luma(enum AVPixelFormat fmt) {
    switch (fmt) {
    case AV_PIX_FMT_YUV420P:
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUV422P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUV444P:
    case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_NV12:
    case AV_PIX_FMT_NV21:
    case AV_PIX_FMT_GRAY8:
    case AV_PIX_FMT_YUVA420P: return true;
    default: return false;
    }
}

static void sample_luma(const AVFrame *f, uint8_t *dst) {
    for (int cy = 0; cy < CF_THUMB_H; cy++) {
        for (int cx = 0; cx < CF_THUMB_W; cx++) {
            unsigned sum = 0;
            for (int sy = 0; sy < 4; sy++) {
                int y = (int)(((cy * 4 + sy) * 2 + 1) * (int64_t)f->height / (CF_THUMB_H * 8));
                const uint8_t *row = f->data[0] + (ptrdiff_t)y * f->linesize[0];
                for (int sx = 0; sx < 4; sx++)
                    sum += row[((cx * 4 + sx) * 2 + 1) * (int64_t)f->width / (CF_THUMB_W * 8)];
            }
            dst[cy * CF_THUMB_W + cx] = (uint8_t)(sum / 16);
        }
    }
}

static cf_err scale_luma(video_analyzer *v, const AVFrame *f, uint8_t *dst, cf_error *err) {
    v->sws = sws_getCachedContext(v->sws, f->width, f->height, f->format, CF_THUMB_W, CF_THUMB_H,
                                  AV_PIX_FMT_GRAY8, SWS_AREA, NULL, NULL, NULL);
    if (!v->sws)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "video analysis: cannot convert %s frames",
                            av_get_pix_fmt_name(f->format) ? av_get_pix_fmt_name(f->format) : "?");
    uint8_t *planes[4] = {dst, NULL, NULL, NULL};
    int strides[4] = {CF_THUMB_W, 0, 0, 0};
    int ret = sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, planes, strides);
    if (ret < 0) return cf_error_set(err, CF_ERR_PROCESSING, "video analysis: scaling failed (%d)", ret);
    return CF_OK;
}

/* How many frame intervals lie between the previous frame analysed and one at t_ms (at least 1). */
static double intervals_since(const video_analyzer *v, double t_ms) {
    if (v->frame_ms <= 0 || t_ms <= v->prev_ms) return 1;
    double k = round((t_ms - v->prev_ms) / v->frame_ms);
    return k > 1 ? k : 1;
}

static float recent_mean(const video_analyzer *v) {
    if (v->n_recent == 0) return 0;
    float s = 0;
    for (int i = 0; i < v->n_recent; i++) s += v->recent[i];
    return s / (float)v->n_recent;
}

cf_err hl_video_analyzer_push(video_analyzer *v, const AVFrame *frame, double t_ms, video_frame_stats *out,
                              cf_error *err) {
    if (frame->width < 8 || frame->height < 8)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "video analysis: frame %dx%d too small", frame->width,
                            frame->height);
    cf_err rc = CF_OK;
    if (direct_luma(frame->format)) sample_luma(frame, v->cur);
    else if ((rc = scale_luma(v, frame, v->cur, err)) != CF_OK) return rc;
    int hist[HIST_BINS] = {0};
    unsigned long bright = 0, diff = 0;
    for (int i = 0; i < NPIX; i++) {
        hist[v->cur[i] * HIST_BINS / 256]++;
        bright += v->cur[i];
        diff += (unsigned long)abs((int)v->cur[i] - (int)v->prev[i]);
    }
    memset(out, 0, sizeof *out);
    out->brightness = (float)bright / NPIX;
    if (v->have_prev) {
        int l1 = 0;
        for (int b = 0; b < HIST_BINS; b++) l1 += abs(hist[b] - v->hist_prev[b]);
        out->cut_score = (float)l1 / (2.0f * NPIX);
        float mad = (float)diff / NPIX / (float)intervals_since(v, t_ms);
        out->is_cut = out->cut_score > 0.3f && out->cut_score > 3.0f * recent_mean(v) + 0.1f;
        out->motion = out->is_cut ? 0.0f : mad;
        if (!out->is_cut) {
            v->recent[v->recent_pos] = out->cut_score;
            v->recent_pos = (v->recent_pos + 1) % RECENT;
            if (v->n_recent < RECENT) v->n_recent++;
        }
    }
    memcpy(v->prev, v->cur, NPIX);
    memcpy(v->hist_prev, hist, sizeof hist);
    v->have_prev = true;
    v->prev_ms = t_ms;
    return CF_OK;
}

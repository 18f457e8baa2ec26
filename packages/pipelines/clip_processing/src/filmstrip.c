/* filmstrip.c — frames of a video as pictures: a filmstrip sprite sheet and a poster. Each
 * picture is one seek: the decoder decodes keyframes only (a fraction of the work of decoding
 * the span), and only when the keyframe found lies far before the wanted time does it decode
 * forward to that time. Frames are scaled by libswscale and turned upright by hand (quarter
 * turns of small 8-bit planes), then encoded as JPEG in memory. */
#include "clipforge/media_pictures.h"

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/encode.h"
#include "decode_driver.h"
#include "filter_graph.h"
#include "clipforge/media.h"

#define DEFAULT_TILES 20
#define DEFAULT_TILE_WIDTH 160
#define DEFAULT_POSTER_WIDTH 640
#define MAX_FORWARD_FRAMES 600 /* decoding forward from a keyframe stops here */

void cf_jpeg_free(cf_jpeg *j) {
    if (!j) return;
    free(j->data);
    memset(j, 0, sizeof *j);
}

typedef struct grabber {
    cf_media_input in;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    const char *path;
    cfclip_graph hdr; /* an HDR source's tone mapping (graph NULL for SDR) */
} grabber;

/* HDR pictures go through the tone mapping of clips and renders, else thumbnails of a phone's
 * HLG video are grey and washed out. */
static cf_err open_tone_map(grabber *g, cf_error *err) {
    AVBPrint args, desc;
    av_bprint_init(&args, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprint_init(&desc, 0, AV_BPRINT_SIZE_UNLIMITED);
    cf_media_video_src_args(g->dec, g->in.fmt->streams[g->in.video_index], &args);
    av_bprintf(&desc, "[in0]null");
    cf_media_tone_map_filters(&g->in, &desc);
    av_bprintf(&desc, "[out]");
    const char *src[1] = {args.str};
    cf_err rc = av_bprint_is_complete(&args) && av_bprint_is_complete(&desc)
                    ? cfclip_graph_build(&g->hdr, true, src, 1, desc.str, 1, err)
                    : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    av_bprint_finalize(&args, NULL);
    av_bprint_finalize(&desc, NULL);
    return rc;
}

static cf_err grabber_open(grabber *g, const char *path, cf_error *err) {
    memset(g, 0, sizeof *g);
    g->path = path;
    cf_err rc = cf_media_open(path, NULL, &g->in, err);
    if (rc) return rc;
    if (g->in.video_index < 0) {
        cf_media_close(&g->in);
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "%s has no video stream to picture", path);
    }
    for (unsigned i = 0; i < g->in.fmt->nb_streams; i++)
        if ((int)i != g->in.video_index) g->in.fmt->streams[i]->discard = AVDISCARD_ALL;
    rc =
        cf_media_open_decoder(&g->in, g->in.video_index, &(cf_media_decode_opts){.threads = 1}, &g->dec, err);
    g->pkt = av_packet_alloc(), g->frame = av_frame_alloc();
    if (!rc && (!g->pkt || !g->frame)) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!rc && cf_media_is_hdr(&g->in)) rc = open_tone_map(g, err);
    return rc;
}

static void grabber_close(grabber *g) {
    cfclip_graph_free(&g->hdr);
    av_packet_free(&g->pkt);
    av_frame_free(&g->frame);
    avcodec_free_context(&g->dec);
    cf_media_close(&g->in);
}

static int64_t frame_ms(const grabber *g, const AVFrame *f) {
    int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
    if (ts == AV_NOPTS_VALUE) return -1;
    AVStream *st = g->in.fmt->streams[g->in.video_index];
    int64_t ms = av_rescale_q(ts, st->time_base, (AVRational){1, 1000}) - g->in.start_us / 1000;
    return ms < 0 ? 0 : ms;
}

/* The next decoded frame into g->frame: 1, 0 at the end of the stream, < 0 on error. */
static int next_frame(grabber *g) {
    for (;;) {
        int ret = avcodec_receive_frame(g->dec, g->frame);
        if (ret >= 0) return 1;
        if (ret == AVERROR_EOF) return 0;
        if (ret != AVERROR(EAGAIN)) return ret;
        for (;;) {
            ret = av_read_frame(g->in.fmt, g->pkt);
            if (ret == AVERROR_EOF) {
                ret = avcodec_send_packet(g->dec, NULL);
                break;
            }
            if (ret < 0) return ret;
            bool ours = g->pkt->stream_index == g->in.video_index;
            if (ours) ret = avcodec_send_packet(g->dec, g->pkt);
            av_packet_unref(g->pkt);
            if (ret == AVERROR_INVALIDDATA) ret = 0; /* a damaged packet: the next one may do */
            if (ret < 0 && ret != AVERROR(EAGAIN)) return ret;
            if (ours) break;
        }
        if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF) return ret;
    }
}

/* Decodes the frame shown at at_ms into g->frame: the keyframe at or before it, or, when that
 * lies more than slack_ms before it, the first frame at or after at_ms. 1 found, 0 none. */
static int decode_at(grabber *g, int64_t at_ms, int64_t slack_ms) {
    av_frame_unref(g->frame);
    avcodec_flush_buffers(g->dec);
    /* at_ms counts from the file's start (frame_ms), a seek from the container's zero: an
     * MPEG-TS recording starts anywhere (1000 s), and the tiles after the first seconds were all
     * the one picture decoding forward from the start stopped at */
    double at_s = g->in.start_us / 1e6 + (double)at_ms / 1000.0;
    int ret = cf_media_rewind(&g->in, at_s);
    if (ret < 0) return ret;
    g->dec->skip_frame = AVDISCARD_NONKEY;
    ret = next_frame(g);
    if (ret <= 0) return ret;
    int64_t t = frame_ms(g, g->frame);
    if (t < 0 || t + slack_ms >= at_ms) return 1;
    /* Keyframes are far apart here: decode on to the wanted time. Frames already in the
     * decoder were decoded as keyframes only, so start again from the keyframe. */
    avcodec_flush_buffers(g->dec);
    g->dec->skip_frame = AVDISCARD_DEFAULT;
    if ((ret = cf_media_rewind(&g->in, at_s)) < 0) return ret;
    for (int i = 0; i < MAX_FORWARD_FRAMES; i++) {
        av_frame_unref(g->frame);
        if ((ret = next_frame(g)) <= 0) return ret;
        if (frame_ms(g, g->frame) >= at_ms) return 1;
    }
    return 1;
}

/* decode_at, then the picture in the SDR colours it is shown in (g->frame's fields say them). */
static int grab(grabber *g, int64_t at_ms, int64_t slack_ms) {
    int ret = decode_at(g, at_ms, slack_ms);
    if (ret <= 0 || !g->hdr.graph) return ret;
    ret = av_buffersrc_add_frame_flags(g->hdr.src[0], g->frame, AV_BUFFERSRC_FLAG_KEEP_REF);
    av_frame_unref(g->frame);
    if (ret >= 0) ret = av_buffersink_get_frame(g->hdr.sink, g->frame);
    g->frame->colorspace = AVCOL_SPC_BT709;
    g->frame->color_range = AVCOL_RANGE_MPEG;
    return ret < 0 ? ret : 1;
}

/* The upright size of the video scaled to width (even numbers). */
static void upright_size(const grabber *g, int width, int *w, int *h) {
    int sw, sh;
    cf_media_shown_size(g->dec->width, g->dec->height, g->in.sar, g->in.rotation, &sw, &sh);
    double dw = sw, dh = sh;
    if (width > sw) width = sw;
    *w = width & ~1;
    *h = (int)lround(dh * width / dw) & ~1;
    if (*w < 2) *w = 2;
    if (*h < 2) *h = 2;
    if (*h > 1024) *h = 1024;
}

/* frame scaled to w x h upright (YUVJ420P, full range as JPEG wants); NULL on failure. */
static AVFrame *upright(const AVFrame *f, int rotation, int w, int h) {
    bool swap = rotation == 90 || rotation == 270;
    int sw = swap ? h : w, sh = swap ? w : h;
    AVFrame *scaled = av_frame_alloc(), *out = NULL;
    struct SwsContext *sws = sws_getContext(f->width, f->height, (enum AVPixelFormat)f->format, sw, sh,
                                            AV_PIX_FMT_YUVJ420P, SWS_BICUBIC, NULL, NULL, NULL);
    if (!scaled || !sws) goto end;
    enum AVPixelFormat fmt = (enum AVPixelFormat)f->format;
    cf_jpeg_sws_colors(sws, cf_media_yuv_matrix(f->colorspace, fmt, f->width, f->height),
                       cf_media_full_range(f->color_range, fmt));
    scaled->width = sw, scaled->height = sh, scaled->format = AV_PIX_FMT_YUVJ420P;
    if (av_frame_get_buffer(scaled, 0) < 0) goto end;
    if (sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, scaled->data,
                  scaled->linesize) < 0)
        goto end;
    if (!rotation) {
        out = scaled, scaled = NULL;
        goto end;
    }
    if (!(out = av_frame_alloc())) goto end;
    out->width = w, out->height = h, out->format = AV_PIX_FMT_YUVJ420P;
    if (av_frame_get_buffer(out, 0) < 0) {
        av_frame_free(&out);
        goto end;
    }
    for (int p = 0; p < 3; p++) {
        int pw = p ? sw / 2 : sw, ph = p ? sh / 2 : sh;
        cf_media_turn_plane(scaled->data[p], scaled->linesize[p], pw, ph, out->data[p], out->linesize[p],
                            rotation);
    }
end:
    sws_freeContext(sws);
    av_frame_free(&scaled);
    return out;
}

/* A black YUVJ420P picture of w x h. */
static AVFrame *black_picture(int w, int h) {
    AVFrame *f = av_frame_alloc();
    if (!f) return NULL;
    f->width = w, f->height = h, f->format = AV_PIX_FMT_YUVJ420P;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    for (int y = 0; y < h; y++) memset(f->data[0] + y * f->linesize[0], 0, (size_t)w);
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < h / 2; y++) memset(f->data[p] + y * f->linesize[p], 128, (size_t)w / 2);
    return f;
}

static void paste(AVFrame *sheet, const AVFrame *tile, int x, int y) {
    for (int p = 0; p < 3; p++) {
        int k = p ? 2 : 1;
        for (int r = 0; r < tile->height / k; r++)
            memcpy(sheet->data[p] + (y / k + r) * sheet->linesize[p] + x / k,
                   tile->data[p] + r * tile->linesize[p], (size_t)(tile->width / k));
    }
}

static cf_err fill_layout(cf_media_filmstrip *out, int count, int columns, int tw, int th,
                          int64_t duration_ms) {
    out->duration_ms = duration_ms;
    out->count = count;
    out->columns = columns;
    out->rows = (count + columns - 1) / columns;
    out->tile_width = tw, out->tile_height = th;
    out->times_ms = calloc((size_t)count, sizeof *out->times_ms);
    out->n_times_ms = out->times_ms ? (size_t)count : 0;
    return out->times_ms ? CF_OK : CF_ERR_NO_MEMORY;
}

cf_err cf_filmstrip_compute(const char *path, const cf_filmstrip_options *o, cf_progress *progress,
                            cf_media_filmstrip *out, cf_jpeg *sheet_jpeg, cf_error *err) {
    cf_media_filmstrip_init(out);
    memset(sheet_jpeg, 0, sizeof *sheet_jpeg);
    int count = o && o->count > 0 ? o->count : DEFAULT_TILES;
    if (count > 400) count = 400;
    int columns = o && o->columns > 0 ? o->columns : count < 10 ? count : 10;
    grabber g;
    cf_err rc = grabber_open(&g, path, err);
    if (rc) return rc;
    int64_t duration = g.in.duration_ms > 0 ? g.in.duration_ms : 0;
    if (!duration) count = columns = 1;
    int tw, th;
    upright_size(&g, o && o->tile_width > 0 ? o->tile_width : DEFAULT_TILE_WIDTH, &tw, &th);
    AVFrame *sheet = NULL;
    if (fill_layout(out, count, columns, tw, th, duration) ||
        !(sheet = black_picture(tw * columns, th * (int)out->rows)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    int64_t slack = duration / count / 2;
    for (int i = 0; !rc && i < count; i++) {
        int64_t at = duration * (2 * i + 1) / (2 * count);
        out->times_ms[i] = at;
        int got = grab(&g, at, slack);
        if (got < 0 && got != AVERROR_INVALIDDATA)
            rc = cf_error_set(err, CF_ERR_INVALID_MEDIA,
                              "filmstrip of %s: cannot read the frame at %lld ms: %s", path, (long long)at,
                              av_err2str(got));
        AVFrame *tile = got > 0 ? upright(g.frame, g.in.rotation, tw, th) : NULL;
        if (tile) {
            int64_t t = frame_ms(&g, g.frame);
            if (t >= 0) out->times_ms[i] = t;
            paste(sheet, tile, (i % columns) * tw, (i / columns) * th);
            av_frame_free(&tile);
        }
        cf_progress_report(progress, (double)(i + 1) / count, "filmstrip");
        if (!rc && cf_progress_cancelled(progress))
            rc = cf_error_set(err, CF_ERR_CANCELLED, "filmstrip: cancelled");
    }
    if (!rc) rc = cf_jpeg_encode(sheet, AVCOL_SPC_SMPTE170M, 0, &sheet_jpeg->data, &sheet_jpeg->size, err);
    if (!rc) sheet_jpeg->width = sheet->width, sheet_jpeg->height = sheet->height;
    av_frame_free(&sheet);
    grabber_close(&g);
    if (rc) cf_media_filmstrip_free(out);
    return rc;
}

/* Mean and standard deviation of the luma on a sparse grid. */
static void luma_stats(const AVFrame *f, double *mean, double *sd) {
    double s = 0, s2 = 0;
    int n = 0, sx = f->width / 64 + 1, sy = f->height / 36 + 1;
    for (int y = 0; y < f->height; y += sy)
        for (int x = 0; x < f->width; x += sx, n++) {
            double v = f->data[0][y * f->linesize[0] + x];
            s += v, s2 += v * v;
        }
    *mean = n ? s / n : 0;
    *sd = n ? sqrt(fmax(0, s2 / n - *mean * *mean)) : 0;
}

/* Where posters are looked for, as fractions of the duration: past a title card, not the end. */
static const double POSTER_AT[] = {0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.03};

/* The poster of a file without video: its cover picture (an mp3's or m4a's artwork), at most
 * width pixels wide; CF_ERR_UNSUPPORTED when it has none. */
static cf_err cover_poster(const char *path, int width, cf_jpeg *out, int64_t *at_ms, cf_error *err) {
    cf_media_input in;
    cf_err rc = cf_media_open(path, NULL, &in, err);
    if (rc) return rc;
    int index;
    AVFrame *cover = cf_media_cover_picture(&in, &index), *pic = NULL;
    cf_media_close(&in);
    if (!cover) return cf_error_set(err, CF_ERR_UNSUPPORTED, "%s has no video stream or cover picture", path);
    int w = (width < cover->width ? width : cover->width) & ~1;
    w = w < 2 ? 2 : w;
    int h = (int)lround((double)cover->height * w / cover->width) & ~1;
    h = h < 2 ? 2 : h;
    if (!(pic = upright(cover, 0, w, h))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "%s: cover picture", path);
    if (!rc) rc = cf_jpeg_encode(pic, AVCOL_SPC_SMPTE170M, 0, &out->data, &out->size, err);
    if (!rc) out->width = w, out->height = h;
    if (at_ms) *at_ms = 0;
    av_frame_free(&pic);
    av_frame_free(&cover);
    return rc;
}

cf_err cf_poster_compute(const char *path, int width, cf_jpeg *out, int64_t *at_ms, cf_error *err) {
    memset(out, 0, sizeof *out);
    grabber g;
    cf_err rc = grabber_open(&g, path, err);
    if (rc == CF_ERR_UNSUPPORTED)
        return cover_poster(path, width > 0 ? width : DEFAULT_POSTER_WIDTH, out, at_ms, err);
    if (rc) return rc;
    int w, h;
    upright_size(&g, width > 0 ? width : DEFAULT_POSTER_WIDTH, &w, &h);
    int64_t duration = g.in.duration_ms > 0 ? g.in.duration_ms : 0;
    AVFrame *best = NULL;
    double best_sd = -1;
    int64_t best_at = 0;
    for (size_t i = 0; i < sizeof POSTER_AT / sizeof POSTER_AT[0]; i++) {
        int64_t at = (int64_t)(duration * POSTER_AT[i]);
        if (grab(&g, at, 2000) <= 0) continue;
        AVFrame *pic = upright(g.frame, g.in.rotation, w, h);
        if (!pic) continue;
        double mean, sd;
        luma_stats(pic, &mean, &sd);
        bool worth = mean >= 24 && mean <= 232 && sd >= 16; /* not black, white or flat */
        if (worth || sd > best_sd) {
            av_frame_free(&best);
            best = pic, best_sd = sd, best_at = frame_ms(&g, g.frame);
        } else {
            av_frame_free(&pic);
        }
        if (worth || !duration) break;
    }
    if (!best) rc = cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: no video frame could be decoded", path);
    if (!rc) rc = cf_jpeg_encode(best, AVCOL_SPC_SMPTE170M, 0, &out->data, &out->size, err);
    if (!rc) {
        out->width = best->width, out->height = best->height;
        if (at_ms) *at_ms = best_at < 0 ? 0 : best_at;
    }
    av_frame_free(&best);
    grabber_close(&g);
    return rc;
}

cf_err cf_picture_write_jpeg(const char *path, int64_t at_ms, int width, const char *jpeg_path,
                             cf_error *err) {
    grabber g;
    cf_err rc = grabber_open(&g, path, err);
    if (rc) return rc;
    int ret = grab(&g, at_ms, 0);
    AVFrame *pic = NULL;
    if (ret <= 0) {
        rc = ret < 0 ? cf_av_fail(err, CF_ERR_PROCESSING, path, "thumbnail", ret)
                     : cf_error_set(err, CF_ERR_PROCESSING, "thumbnail: %s has no picture at %.3f s", path,
                                    (double)at_ms / 1000.0);
    } else {
        int sw, sh;
        cf_media_shown_size(g.dec->width, g.dec->height, g.in.sar, g.in.rotation, &sw, &sh);
        int w = (width > 0 ? width : sw) & ~1, h = (int)lround((double)sh * w / sw) & ~1;
        pic = upright(g.frame, g.in.rotation, w < 2 ? 2 : w, h < 2 ? 2 : h);
        rc = pic ? cf_write_jpeg(pic, AVCOL_SPC_SMPTE170M, 0, jpeg_path, err)
                 : cf_error_set(err, CF_ERR_NO_MEMORY, "thumbnail: out of memory");
    }
    av_frame_free(&pic);
    grabber_close(&g);
    return rc;
}

/* gray_reader.c — demux + decode + swscale to GRAY8, one frame at a time, for the analyses of a
 * render (smart crop, faces). The video stream, the timeline and the seek are libcfmedia's, so
 * frame times are media times, the ones scenes are written in. */
#include "gray_reader.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>

#include "clipforge/media.h"

struct cf_gray_reader {
    cf_media_input in;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    int stream;
    int out_w, out_h;    /* the picture as shown (square pixels, upright), scaled */
    int rotation;        /* clockwise quarter turns from the scaled picture to the shown one */
    uint8_t *buf, *turn; /* the picture given out; the scaled one before its turn (rotated only) */
    int64_t start_ms;
    bool draining, done;
    cf_video_info info;
};

static void pick_size(cf_gray_reader *r, int want_w, int want_h) {
    int sw = r->info.width, sh = r->info.height;
    if (!want_w && !want_h) want_w = sw, want_h = sh;
    else if (!want_w) want_w = (int)((int64_t)sw * want_h / sh);
    else if (!want_h) want_h = (int)((int64_t)sh * want_w / sw);
    r->out_w = want_w > 0 ? want_w : 1;
    r->out_h = want_h > 0 ? want_h : 1;
}

static cf_err open_decoder(cf_gray_reader *r, const char *path, bool sparse, cf_error *err) {
    cf_err e = cf_media_open(path, NULL, &r->in, err);
    /* analysis reads a still picture too (a face to frame) */
    if (e || (!r->in.still && (e = cf_media_require(&r->in, true, false, path, err)))) return e;
    if (r->in.video_index < 0) return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: no video stream", path);
    r->stream = r->in.video_index;
    r->in.audio_index = -1; /* analysis reads the pictures only */
    cf_media_discard_others(&r->in);
    AVStream *st = r->in.fmt->streams[r->stream];
    cf_media_decode_opts opts = {.skip_nonref = sparse};
    if ((e = cf_media_open_decoder(&r->in, r->stream, &opts, &r->dec, err))) return e;
    if (r->dec->width <= 0 || r->dec->height <= 0 || r->dec->width > 16384 || r->dec->height > 16384)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: bad frame size", path);
    /* analyses see what a player shows, so their coordinates are those of the render's pictures */
    r->rotation = r->in.rotation;
    cf_media_shown_size(r->dec->width, r->dec->height, r->in.sar, r->rotation, &r->info.width,
                        &r->info.height);
    r->info.fps = cf_media_stream_fps(st);
    r->info.duration_ms = r->in.duration_ms > 0 ? r->in.duration_ms : 0;
    return CF_OK;
}

static cf_err open_reader(const char *path, int64_t start_ms, int out_w, int out_h, bool sparse,
                          cf_gray_reader **out, cf_error *err) {
    *out = NULL;
    cf_gray_reader *r = calloc(1, sizeof *r);
    if (!r) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    cf_err e = open_decoder(r, path, sparse, err);
    if (e) goto end;
    pick_size(r, out_w, out_h);
    r->pkt = av_packet_alloc();
    r->frame = av_frame_alloc();
    r->buf = malloc((size_t)r->out_w * r->out_h);
    if (r->rotation) r->turn = malloc((size_t)r->out_w * r->out_h);
    if (!r->pkt || !r->frame || !r->buf || (r->rotation && !r->turn)) {
        e = cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
        goto end;
    }
    r->start_ms = start_ms > 0 ? start_ms : 0;
    /* keyframe at or before the start; frames before it are dropped in next() */
    if (r->start_ms > 0 && cf_media_rewind(&r->in, r->in.start_us / 1e6 + r->start_ms / 1000.0) < 0)
        cf_media_rewind(&r->in, 0);
    *out = r;
    r = NULL;
end:
    cf_gray_reader_close(r);
    return e;
}

cf_err cf_gray_reader_open(const char *path, int64_t start_ms, int out_w, int out_h, cf_gray_reader **out,
                           cf_error *err) {
    return open_reader(path, start_ms, out_w, out_h, false, out, err);
}

cf_err cf_gray_reader_open_sparse(const char *path, int64_t start_ms, int out_w, int out_h,
                                  cf_gray_reader **out, cf_error *err) {
    return open_reader(path, start_ms, out_w, out_h, true, out, err);
}

void cf_gray_reader_skip_to(cf_gray_reader *r, int64_t at_ms) {
    if (at_ms > r->start_ms) r->start_ms = at_ms;
}

void cf_gray_reader_info(const cf_gray_reader *r, cf_video_info *info) {
    *info = r->info;
}

/* Converts the decoded frame, rebuilding the scaler when the frame size changes. */
static cf_err convert(cf_gray_reader *r, cf_gray_image *img, cf_error *err) {
    bool turned = r->rotation == 90 || r->rotation == 270;
    int w = turned ? r->out_h : r->out_w, h = turned ? r->out_w : r->out_h;
    r->sws = sws_getCachedContext(r->sws, r->frame->width, r->frame->height, r->frame->format, w, h,
                                  AV_PIX_FMT_GRAY8, SWS_BILINEAR, NULL, NULL, NULL);
    if (!r->sws) return cf_error_set(err, CF_ERR_INVALID_MEDIA, "cannot convert frame to grey");
    uint8_t *dst[4] = {r->rotation ? r->turn : r->buf};
    int stride[4] = {w};
    sws_scale(r->sws, (const uint8_t *const *)r->frame->data, r->frame->linesize, 0, r->frame->height, dst,
              stride);
    if (r->rotation) cf_media_turn_plane(r->turn, w, w, h, r->buf, r->out_w, r->rotation);
    *img = (cf_gray_image){r->buf, r->out_w, r->out_h, r->out_w};
    return CF_OK;
}

static int64_t frame_ms(const cf_gray_reader *r) {
    int64_t ts = r->frame->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE) ts = r->frame->pts;
    if (ts == AV_NOPTS_VALUE) return 0;
    return llround(cf_media_time(&r->in, r->stream, ts) * 1000.0);
}

/* Feeds the decoder one packet of our stream (or the flush when the file ends). */
static cf_err feed(cf_gray_reader *r, cf_error *err) {
    for (;;) {
        int ret = av_read_frame(r->in.fmt, r->pkt);
        if (ret == AVERROR_EOF || (ret < 0 && avio_feof(r->in.fmt->pb))) {
            r->draining = true;
            avcodec_send_packet(r->dec, NULL);
            return CF_OK;
        }
        if (ret < 0) return cf_av_fail(err, CF_ERR_INVALID_MEDIA, r->in.fmt->url, "read", ret);
        bool ours = r->pkt->stream_index == r->stream;
        if (ours) ret = avcodec_send_packet(r->dec, r->pkt);
        av_packet_unref(r->pkt);
        if (ours && ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_INVALIDDATA)
            return cf_av_fail(err, CF_ERR_INVALID_MEDIA, r->in.fmt->url, "decode", ret);
        if (ours) return CF_OK;
    }
}

cf_err cf_gray_reader_next(cf_gray_reader *r, cf_gray_image *img, int64_t *pts_ms, bool *eof, cf_error *err) {
    *eof = false;
    while (!r->done) {
        int ret = avcodec_receive_frame(r->dec, r->frame);
        if (ret == AVERROR_EOF) break;
        if (ret == AVERROR(EAGAIN)) {
            if (r->draining) break;
            cf_err e = feed(r, err);
            if (e) return e;
            continue;
        }
        if (ret < 0) return cf_av_fail(err, CF_ERR_INVALID_MEDIA, r->in.fmt->url, "decode", ret);
        int64_t ms = frame_ms(r);
        if (ms < r->start_ms) {
            av_frame_unref(r->frame);
            continue;
        }
        *pts_ms = ms;
        cf_err e = convert(r, img, err);
        av_frame_unref(r->frame);
        return e;
    }
    r->done = true;
    *eof = true;
    return CF_OK;
}

void cf_gray_reader_close(cf_gray_reader *r) {
    if (!r) return;
    sws_freeContext(r->sws);
    av_frame_free(&r->frame);
    av_packet_free(&r->pkt);
    avcodec_free_context(&r->dec);
    cf_media_close(&r->in);
    free(r->buf);
    free(r->turn);
    free(r);
}

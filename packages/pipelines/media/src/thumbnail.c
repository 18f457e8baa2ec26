/* thumbnail.c — JPEG thumbnails with libswscale and the MJPEG encoder, full-range YUV as JPEG
 * viewers expect. */
#include "clipforge/encode.h"
#include "clipforge/fs.h"

#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* swscale's colour spaces (SWS_CS_*) are numbered as AVColorSpace for the matrices it has. */
void cf_jpeg_sws_colors(struct SwsContext *sws, enum AVColorSpace m, bool full) {
    sws_setColorspaceDetails(sws, sws_getCoefficients((int)m), full, sws_getCoefficients(SWS_CS_ITU601), 1, 0,
                             1 << 16, 1 << 16);
}

static int convert(const AVFrame *src, enum AVColorSpace m, int w, int h, AVFrame **out) {
    AVFrame *dst = av_frame_alloc();
    struct SwsContext *sws = NULL;
    int ret = AVERROR(ENOMEM);
    if (!dst) goto end;
    dst->width = w;
    dst->height = h;
    dst->format = AV_PIX_FMT_YUVJ420P;
    if ((ret = av_frame_get_buffer(dst, 0)) < 0) goto end;
    sws = sws_getContext(src->width, src->height, (enum AVPixelFormat)src->format, w, h, AV_PIX_FMT_YUVJ420P,
                         SWS_BICUBIC, NULL, NULL, NULL);
    ret = AVERROR(EINVAL);
    if (!sws) goto end;
    cf_jpeg_sws_colors(sws, m, cf_media_full_range(AVCOL_RANGE_UNSPECIFIED, (enum AVPixelFormat)src->format));
    ret = sws_scale(sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height, dst->data,
                    dst->linesize);
end:
    sws_freeContext(sws);
    if (ret < 0) av_frame_free(&dst);
    *out = dst;
    return ret < 0 ? ret : 0;
}

static int encode(const AVFrame *pic, AVPacket *pkt) {
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    AVCodecContext *enc = codec ? avcodec_alloc_context3(codec) : NULL;
    int ret = AVERROR(ENOMEM);
    if (!enc) goto end;
    enc->width = pic->width;
    enc->height = pic->height;
    enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
    enc->time_base = (AVRational){1, 25};
    enc->flags |= AV_CODEC_FLAG_QSCALE;
    enc->global_quality = FF_QP2LAMBDA * 3; /* visually clean, small */
    if ((ret = avcodec_open2(enc, codec, NULL)) < 0) goto end;
    if ((ret = avcodec_send_frame(enc, pic)) < 0) goto end;
    if ((ret = avcodec_send_frame(enc, NULL)) < 0) goto end;
    ret = avcodec_receive_packet(enc, pkt);
end:
    avcodec_free_context(&enc);
    return ret;
}

cf_err cf_jpeg_encode(const AVFrame *frame, enum AVColorSpace m, int width, uint8_t **data, size_t *size,
                      cf_error *err) {
    *data = NULL;
    *size = 0;
    int w = width > 0 ? width : frame->width;
    int h = (int)((int64_t)frame->height * w / frame->width) & ~1;
    w &= ~1;
    if (w < 2 || h < 2) w = h = 2;
    AVFrame *pic = NULL;
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? convert(frame, m, w, h, &pic) : AVERROR(ENOMEM);
    if (ret >= 0) {
        pic->pts = 0;
        ret = encode(pic, pkt);
    }
    av_frame_free(&pic);
    if (ret >= 0 && !(*data = malloc((size_t)pkt->size))) ret = AVERROR(ENOMEM);
    if (ret < 0) {
        av_packet_free(&pkt);
        return cf_error_set(err, ret == AVERROR(ENOMEM) ? CF_ERR_NO_MEMORY : CF_ERR_PROCESSING,
                            "thumbnail: cannot encode JPEG: %s", av_err2str(ret));
    }
    memcpy(*data, pkt->data, (size_t)pkt->size);
    *size = (size_t)pkt->size;
    av_packet_free(&pkt);
    return CF_OK;
}

cf_err cf_write_jpeg(const AVFrame *frame, enum AVColorSpace m, int width, const char *path, cf_error *err) {
    uint8_t *data = NULL;
    size_t size = 0;
    cf_err rc = cf_jpeg_encode(frame, m, width, &data, &size, err);
    if (rc) return rc;
    rc = cf_write_file(path, data, size, err); /* whole or not at all: a reader never sees half */
    free(data);
    return rc;
}

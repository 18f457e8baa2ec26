/* output_file.c — encoders and muxer of one render output. */
#include "output_file.h"

#include <libavfilter/buffersink.h>
#include <libavutil/opt.h>
#include <stdio.h>

static cf_err av_fail(cf_error *err, const output_file *o, const char *step, int ret) {
    char msg[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(ret, msg, sizeof msg);
    return cf_error_set(err, CF_ERR_PROCESSING, "%s: %s: %s", o->path, step, msg);
}

const char *output_sample_fmt(cf_target_format format) {
    return format == CF_TARGET_FORMAT_WEBM ? "flt" : "fltp";
}

static const char *muxer_name(cf_target_format f) {
    return f == CF_TARGET_FORMAT_WEBM ? "webm" : f == CF_TARGET_FORMAT_GIF ? "gif" : "mp4";
}

static void video_options(output_file *o, int64_t bitrate) {
    AVCodecContext *c = o->venc;
    if (o->format == CF_TARGET_FORMAT_MP4) {
        av_opt_set(c->priv_data, "preset", "veryfast", 0);
        if (!bitrate) av_opt_set(c->priv_data, "crf", "23", 0);
    } else if (o->format == CF_TARGET_FORMAT_WEBM) {
        av_opt_set(c->priv_data, "deadline", "realtime", 0);
        av_opt_set(c->priv_data, "cpu-used", "8", 0);
        av_opt_set(c->priv_data, "row-mt", "1", 0);
        if (!bitrate) av_opt_set(c->priv_data, "crf", "32", 0);
    }
    if (bitrate) c->bit_rate = bitrate;
}

static cf_err open_video(output_file *o, int64_t bitrate, int threads, cf_error *err) {
    const char *name = o->format == CF_TARGET_FORMAT_WEBM ? "libvpx-vp9"
                       : o->format == CF_TARGET_FORMAT_GIF ? "gif" : "libx264";
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec) return cf_error_set(err, CF_ERR_UNSUPPORTED, "%s: encoder %s is not available", o->path, name);
    if (!(o->venc = avcodec_alloc_context3(codec)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", o->path);
    AVCodecContext *c = o->venc;
    c->width = av_buffersink_get_w(o->vsink);
    c->height = av_buffersink_get_h(o->vsink);
    c->pix_fmt = av_buffersink_get_format(o->vsink);
    c->sample_aspect_ratio = (AVRational){1, 1};
    c->time_base = av_buffersink_get_time_base(o->vsink);
    c->framerate = av_buffersink_get_frame_rate(o->vsink);
    if (c->framerate.num) c->gop_size = (int)(2 * av_q2d(c->framerate));
    c->thread_count = threads;
    if (o->oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    video_options(o, bitrate);
    int ret;
    if ((ret = avcodec_open2(c, codec, NULL)) < 0) return av_fail(err, o, "open video encoder", ret);
    if (!(o->vst = avformat_new_stream(o->oc, NULL))) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    o->vst->time_base = c->time_base;
    if ((ret = avcodec_parameters_from_context(o->vst->codecpar, c)) < 0)
        return av_fail(err, o, "video parameters", ret);
    return CF_OK;
}

static cf_err open_audio(output_file *o, cf_error *err) {
    const char *name = o->format == CF_TARGET_FORMAT_WEBM ? "libopus" : "aac";
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec) return cf_error_set(err, CF_ERR_UNSUPPORTED, "%s: encoder %s is not available", o->path, name);
    if (!(o->aenc = avcodec_alloc_context3(codec)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", o->path);
    AVCodecContext *c = o->aenc;
    c->sample_rate = av_buffersink_get_sample_rate(o->asink);
    c->sample_fmt = av_buffersink_get_format(o->asink);
    int ret;
    if ((ret = av_buffersink_get_ch_layout(o->asink, &c->ch_layout)) < 0)
        return av_fail(err, o, "audio layout", ret);
    c->time_base = (AVRational){1, c->sample_rate};
    c->bit_rate = o->format == CF_TARGET_FORMAT_WEBM ? 96000 : 128000;
    if (o->oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((ret = avcodec_open2(c, codec, NULL)) < 0) return av_fail(err, o, "open audio encoder", ret);
    if (!(c->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
        av_buffersink_set_frame_size(o->asink, (unsigned)c->frame_size);
    if (!(o->ast = avformat_new_stream(o->oc, NULL))) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    o->ast->time_base = c->time_base;
    if ((ret = avcodec_parameters_from_context(o->ast->codecpar, c)) < 0)
        return av_fail(err, o, "audio parameters", ret);
    return CF_OK;
}

cf_err output_open(output_file *o, int64_t bitrate, int threads, cf_error *err) {
    int ret;
    if ((ret = avformat_alloc_output_context2(&o->oc, NULL, muxer_name(o->format), o->path)) < 0)
        return av_fail(err, o, "create output", ret);
    if (!(o->frame = av_frame_alloc()) || !(o->pkt = av_packet_alloc()))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err e = open_video(o, bitrate, threads, err);
    if (e) return e;
    if (o->asink && (e = open_audio(o, err))) return e;
    o->a_done = !o->asink;
    if ((ret = avio_open(&o->oc->pb, o->path, AVIO_FLAG_WRITE)) < 0) return av_fail(err, o, "open for writing", ret);
    o->created = true;
    AVDictionary *mux = NULL;
    if (o->format == CF_TARGET_FORMAT_MP4) av_dict_set(&mux, "movflags", "+faststart", 0);
    ret = avformat_write_header(o->oc, &mux);
    av_dict_free(&mux);
    if (ret < 0) return av_fail(err, o, "write header", ret);
    return CF_OK;
}

/* Sends frame (NULL = flush) and writes every packet the encoder returns. */
static cf_err encode(output_file *o, AVCodecContext *enc, AVStream *st, AVFrame *frame, cf_error *err) {
    int ret = avcodec_send_frame(enc, frame);
    if (ret < 0 && ret != AVERROR_EOF) return av_fail(err, o, "encode", ret);
    for (;;) {
        ret = avcodec_receive_packet(enc, o->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return CF_OK;
        if (ret < 0) return av_fail(err, o, "encode", ret);
        av_packet_rescale_ts(o->pkt, enc->time_base, st->time_base);
        o->pkt->stream_index = st->index;
        if ((ret = av_interleaved_write_frame(o->oc, o->pkt)) < 0) return av_fail(err, o, "write", ret);
    }
}

static cf_err drain_sink(output_file *o, AVFilterContext *sink, AVCodecContext *enc, AVStream *st,
                         bool *done, void (*on_video)(void *, const AVFrame *, AVRational), void *user,
                         cf_error *err) {
    while (!*done) {
        int ret = av_buffersink_get_frame_flags(sink, o->frame, 0);
        if (ret == AVERROR(EAGAIN)) return CF_OK;
        if (ret == AVERROR_EOF) {
            *done = true;
            return CF_OK;
        }
        if (ret < 0) return av_fail(err, o, "filter", ret);
        AVRational tb = av_buffersink_get_time_base(sink);
        if (o->frame->pts != AV_NOPTS_VALUE) o->frame->pts = av_rescale_q(o->frame->pts, tb, enc->time_base);
        if (enc == o->venc) {
            if (on_video) on_video(user, o->frame, enc->time_base);
            o->frame->pict_type = AV_PICTURE_TYPE_NONE;
            o->frames++;
        }
        cf_err e = encode(o, enc, st, o->frame, err);
        av_frame_unref(o->frame);
        if (e) return e;
    }
    return CF_OK;
}

cf_err output_drain(output_file *o, void (*on_video)(void *, const AVFrame *, AVRational), void *user,
                    cf_error *err) {
    cf_err e = drain_sink(o, o->vsink, o->venc, o->vst, &o->v_done, on_video, user, err);
    if (!e && o->asink) e = drain_sink(o, o->asink, o->aenc, o->ast, &o->a_done, NULL, NULL, err);
    return e;
}

cf_err output_finish(output_file *o, cf_error *err) {
    cf_err e = encode(o, o->venc, o->vst, NULL, err);
    if (!e && o->aenc) e = encode(o, o->aenc, o->ast, NULL, err);
    if (e) return e;
    int ret = av_write_trailer(o->oc);
    if (ret < 0) return av_fail(err, o, "write trailer", ret);
    return CF_OK;
}

void output_close(output_file *o) {
    avcodec_free_context(&o->venc);
    avcodec_free_context(&o->aenc);
    if (o->oc && o->oc->pb) avio_closep(&o->oc->pb);
    avformat_free_context(o->oc);
    o->oc = NULL;
    av_frame_free(&o->frame);
    av_packet_free(&o->pkt);
}

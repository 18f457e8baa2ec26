/* output_file.c — one render output: encoders and file set up by the shared clipforge/encode.h
 * (the clip engine's), fed from the graph's sinks. */
#include "output_file.h"

#include <libavfilter/buffersink.h>
#include <stdio.h>

#include "clipforge/encode.h"
#include "clipforge/media.h"

const char *cf_render_output_sample_fmt(cf_target_format format) {
    return av_get_sample_fmt_name(cf_encoder_sample_fmt(format));
}

static cf_err add_stream(output_file *o, AVCodecContext *enc, AVStream **st, cf_error *err) {
    if (!(*st = avformat_new_stream(o->oc, NULL)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    (*st)->time_base = enc->time_base;
    int ret = avcodec_parameters_from_context((*st)->codecpar, enc);
    return ret < 0 ? cf_av_fail(err, CF_ERR_PROCESSING, o->path, "stream parameters", ret) : CF_OK;
}

/* Keyframes every 2 s: shorts are scrubbed and cut again. */
static cf_err open_video(output_file *o, int64_t bitrate, int threads, cf_error *err) {
    cf_encoder_options eo = {.threads = threads,
                             .bitrate = bitrate,
                             .keyframe_s = 2,
                             .global_header = o->oc->oformat->flags & AVFMT_GLOBALHEADER};
    cf_err e = cf_encoder_open_video(o->format, o->vsink, &eo, &o->venc, err);
    if (e) return cf_error_prefix(err, "%s", o->path), e;
    return add_stream(o, o->venc, &o->vst, err);
}

/* The graph already delivers the encoder's sample format at 48 kHz stereo. */
static cf_err open_audio(output_file *o, int threads, cf_error *err) {
    AVChannelLayout layout = {0};
    int ret = av_buffersink_get_ch_layout(o->asink, &layout);
    if (ret < 0) return cf_av_fail(err, CF_ERR_PROCESSING, o->path, "audio layout", ret);
    cf_encoder_options eo = {.threads = threads, .global_header = o->oc->oformat->flags & AVFMT_GLOBALHEADER};
    int rate = av_buffersink_get_sample_rate(o->asink);
    cf_err e = cf_encoder_open_audio(o->format, rate, &layout, &eo, &o->aenc, err);
    av_channel_layout_uninit(&layout);
    if (e) return cf_error_prefix(err, "%s", o->path), e;
    if (o->aenc->sample_rate != rate)
        return cf_error_set(err, CF_ERR_INTERNAL, "%s: the audio encoder wants %d Hz, the graph gives %d",
                            o->path, o->aenc->sample_rate, rate);
    if (!(o->aenc->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
        av_buffersink_set_frame_size(o->asink, (unsigned)o->aenc->frame_size);
    return add_stream(o, o->aenc, &o->ast, err);
}

cf_err cf_render_output_open(output_file *o, int64_t bitrate, int threads, cf_error *err) {
    int ret;
    if ((ret = cf_output_alloc(&o->oc, cf_encoder_muxer(o->format), o->work_path)) < 0)
        return cf_av_fail(err, CF_ERR_PROCESSING, o->path, "create output", ret);
    if (!(o->frame = av_frame_alloc()) || !(o->pkt = av_packet_alloc()))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err e = open_video(o, bitrate, threads, err);
    if (e) return e;
    if (o->asink && (e = open_audio(o, threads, err))) return e;
    o->a_done = !o->asink;
    e = cf_output_start(o->oc, o->format, o->work_path, err);
    o->created = o->oc->pb != NULL;
    o->unfinished = e == CF_OK;
    return e;
}

/* Sends frame (NULL = flush) and writes every packet the encoder returns. */
static cf_err encode(output_file *o, AVCodecContext *enc, AVStream *st, AVFrame *frame, cf_error *err) {
    int ret = avcodec_send_frame(enc, frame);
    if (ret < 0 && ret != AVERROR_EOF) return cf_av_fail(err, CF_ERR_PROCESSING, o->path, "encode", ret);
    for (;;) {
        ret = avcodec_receive_packet(enc, o->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return CF_OK;
        if (ret < 0) return cf_av_fail(err, CF_ERR_PROCESSING, o->path, "encode", ret);
        av_packet_rescale_ts(o->pkt, enc->time_base, st->time_base);
        o->pkt->stream_index = st->index;
        if ((ret = cf_output_write(o->oc, o->pkt)) < 0)
            return cf_av_fail(err, CF_ERR_PROCESSING, o->path, "write", ret);
    }
}

static cf_err drain_sink(output_file *o, AVFilterContext *sink, AVCodecContext *enc, AVStream *st, bool *done,
                         void (*on_video)(void *, const AVFrame *, AVRational), void *user, cf_error *err) {
    while (!*done) {
        /* NO_REQUEST: asking the sink for more would run the graph to the end of the stream
         * inside this loop (no cancel, no progress, the other sinks' frames piling up). */
        int ret = av_buffersink_get_frame_flags(sink, o->frame, AV_BUFFERSINK_FLAG_NO_REQUEST);
        if (ret == AVERROR(EAGAIN)) return CF_OK;
        if (ret == AVERROR_EOF) {
            *done = true;
            return CF_OK;
        }
        if (ret < 0) return cf_av_fail(err, CF_ERR_PROCESSING, o->path, "filter", ret);
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

cf_err cf_render_output_drain(output_file *o, void (*on_video)(void *, const AVFrame *, AVRational),
                              void *user, cf_error *err) {
    cf_err e = drain_sink(o, o->vsink, o->venc, o->vst, &o->v_done, on_video, user, err);
    if (!e && o->asink) e = drain_sink(o, o->asink, o->aenc, o->ast, &o->a_done, NULL, NULL, err);
    return e;
}

cf_err cf_render_output_finish(output_file *o, cf_error *err) {
    /* a file with no picture is a loss, not a result (the muxer writes one without complaint) */
    if (!o->frames) return cf_error_set(err, CF_ERR_PROCESSING, "%s: the render gave no picture", o->path);
    cf_err e = encode(o, o->venc, o->vst, NULL, err);
    if (!e && o->aenc) e = encode(o, o->aenc, o->ast, NULL, err);
    if (e) return e;
    int ret = av_write_trailer(o->oc);
    o->unfinished = false;
    if (ret < 0) return cf_av_fail(err, CF_ERR_PROCESSING, o->path, "write trailer", ret);
    return CF_OK;
}

void cf_render_output_close(output_file *o) {
    avcodec_free_context(&o->venc);
    avcodec_free_context(&o->aenc);
    cf_output_close(&o->oc, o->unfinished);
    av_frame_free(&o->frame);
    av_packet_free(&o->pkt);
}

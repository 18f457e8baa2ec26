/* media_decode.c — decoders for the chosen streams and the arguments of the filter sources that
 * take their frames. Every pipeline opens its decoders here, so threading, the packet time base
 * and the checks on what a decoder reports are the same everywhere. */
#include <libavutil/channel_layout.h>
#include <libavutil/cpu.h>
#include <math.h>

#include "clipforge/media.h"
#include "media_limits.h"

/* FFmpeg's own limit on the threads it chooses for a decoder (MAX_AUTO_THREADS). */
#define CF_MEDIA_MAX_DECODER_THREADS 16

/* How many times the codec may halve the picture while it stays at least min_w x min_h. */
static int lowres_for(const AVCodec *codec, const AVCodecParameters *par, int min_w, int min_h) {
    int l = 0;
    if (min_w <= 0 && min_h <= 0) return 0;
    while (l < codec->max_lowres && (par->width >> (l + 1)) >= min_w && (par->height >> (l + 1)) >= min_h)
        l++;
    return l;
}

/* Frame threads of a decoder. One that skips the pictures no other refers to still passes each
 * of them through a frame thread, where it is dropped at once: with B-frames about half of the
 * threads hold such a picture, so twice the threads keep as many pictures decoding at once as
 * there are cores (1080p H.264 with B-frames on 2 cores, 2 threads: 7.1 s, 4 threads: 5.3 s, CPU
 * time alike; without B-frames 4 threads gain nothing). */
static int decoder_threads(const AVStream *st, const cf_media_decode_opts *opts) {
    int threads = opts && opts->threads > 0 ? opts->threads : 0;
    if (!opts || !opts->skip_nonref || st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO ||
        st->codecpar->video_delay <= 0)
        return threads;
    return FFMIN(2 * (threads > 0 ? threads : av_cpu_count()), CF_MEDIA_MAX_DECODER_THREADS);
}

cf_err cf_media_open_decoder(const cf_media_input *in, int index, const cf_media_decode_opts *opts,
                             AVCodecContext **out, cf_error *err) {
    AVStream *st = in->fmt->streams[index];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    AVCodecContext *dec = NULL;
    int ret = AVERROR(ENOMEM);
    *out = NULL;
    if (!codec)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "no decoder for the %s codec of stream %d",
                            avcodec_get_name(st->codecpar->codec_id), index);
    if (!(dec = avcodec_alloc_context3(codec))) goto end;
    if ((ret = avcodec_parameters_to_context(dec, st->codecpar)) < 0) goto end;
    dec->pkt_timebase = st->time_base;
    dec->thread_count = decoder_threads(st, opts);
    dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    if (opts && opts->skip_loop_filter && dec->codec_type == AVMEDIA_TYPE_VIDEO)
        dec->skip_loop_filter = AVDISCARD_ALL;
    if (opts && opts->skip_nonref && dec->codec_type == AVMEDIA_TYPE_VIDEO)
        dec->skip_frame = AVDISCARD_NONREF;
    if (opts && dec->codec_type == AVMEDIA_TYPE_VIDEO)
        dec->lowres = lowres_for(codec, st->codecpar, opts->min_width, opts->min_height);
    /* a stream may change its picture size after the header: the decoder refuses frames over the
     * limit instead of allocating them */
    if (cfmedia_limits_max_pixels() > 0) dec->max_pixels = cfmedia_limits_max_pixels();
    if ((ret = avcodec_open2(dec, codec, NULL)) < 0) goto end;
    if (dec->codec_type == AVMEDIA_TYPE_VIDEO &&
        (dec->width <= 0 || dec->height <= 0 || dec->pix_fmt == AV_PIX_FMT_NONE)) {
        ret = AVERROR_INVALIDDATA;
        goto end;
    }
    *out = dec;
    return CF_OK;
end:
    avcodec_free_context(&dec);
    return cf_error_set(err, ret == AVERROR(ENOMEM) ? CF_ERR_NO_MEMORY : CF_ERR_INVALID_MEDIA,
                        "cannot decode stream %d (%s): %s", index, avcodec_get_name(st->codecpar->codec_id),
                        av_err2str(ret));
}

void cf_media_video_src_args(const AVCodecContext *dec, const AVStream *st, AVBPrint *out) {
    AVRational sar = dec->sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0) sar = (AVRational){1, 1};
    av_bprintf(out, "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d", dec->width, dec->height,
               dec->pix_fmt, st->time_base.num, st->time_base.den, sar.num, sar.den);
    AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (fr.num > 0 && fr.den > 0) av_bprintf(out, ":frame_rate=%d/%d", fr.num, fr.den);
}

int cf_media_known_layout(const AVChannelLayout *layout, AVChannelLayout *out) {
    if (layout->order != AV_CHANNEL_ORDER_UNSPEC && layout->nb_channels > 0)
        return av_channel_layout_copy(out, layout);
    av_channel_layout_default(out, layout->nb_channels > 0 ? layout->nb_channels : 1);
    return 0;
}

bool cf_media_rate_is_slideshow(AVRational fr) {
    return fr.num > 0 && fr.den > 0 && av_q2d(av_inv_q(fr)) > CF_MEDIA_START_GAP_S;
}

void cf_media_audio_src_args(const AVCodecContext *dec, AVBPrint *out) {
    char layout[128] = "";
    AVChannelLayout def = {0};
    if (cf_media_known_layout(&dec->ch_layout, &def) >= 0)
        av_channel_layout_describe(&def, layout, sizeof layout);
    /* Decoded frames carry the stream's timestamps (pkt_timebase): 1/90000 in MPEG-TS, 1/1000
     * in Matroska and FLV; only some containers use 1/sample_rate. */
    AVRational tb = dec->pkt_timebase;
    if (tb.num <= 0 || tb.den <= 0) tb = (AVRational){1, dec->sample_rate};
    av_bprintf(out, "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s", tb.num, tb.den,
               dec->sample_rate, av_get_sample_fmt_name(dec->sample_fmt), layout);
    av_channel_layout_uninit(&def);
}

/* Timestamp jitter and codec padding stay under this; real holes and late starts are larger. */
#define GAP_TOLERANCE_S 0.040

int64_t cf_media_audio_gap(double t_s, int64_t emitted, int rate) {
    double at = (double)emitted / rate;
    if (t_s - at > GAP_TOLERANCE_S || at - t_s > GAP_TOLERANCE_S) return llround((t_s - at) * rate);
    return 0;
}

bool cf_media_went_back(const cf_media_input *m, double prev_s, double t_s) {
    return t_s < prev_s - 1.0 && !(m->fmt->iformat->flags & AVFMT_TS_DISCONT);
}

bool cf_media_stopped_short(double last_s, double prev_s, double want_s) {
    double interval = last_s > prev_s ? last_s - prev_s : 0;
    return last_s < want_s - fmax(0.5, 1.5 * interval);
}

double cf_media_stated_end(const cf_media_input *in, int index, bool *own) {
    const AVStream *st = in->fmt->streams[index];
    bool stated = st->duration != AV_NOPTS_VALUE && st->duration > 0;
    if (own) *own = stated;
    if (stated) {
        int64_t start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
        return (double)(start + st->duration) * av_q2d(st->time_base);
    }
    return in->duration_ms > 0 ? in->start_us / 1e6 + in->duration_ms / 1000.0 : -1;
}

bool cf_media_cut_short(const cf_media_input *in, bool own, double last_s, double prev_s, double want_s) {
    if (!cf_media_stopped_short(last_s, prev_s, want_s)) return false;
    return own || cf_media_stopped_short(in->read_to_s, in->read_to_s, want_s);
}

double cf_media_progress(const cf_media_input *in, double at_s) {
    double f = -1;
    if (in->duration_ms > 0) f = at_s * 1000.0 / (double)in->duration_ms;
    else if (in->fmt->pb) {
        int64_t size = avio_size(in->fmt->pb), pos = avio_tell(in->fmt->pb);
        if (size > 0 && pos >= 0) f = (double)pos / (double)size;
    }
    return f < 0 ? -1 : f > 1 ? 1 : f;
}

int cf_media_read(cf_media_input *in, AVPacket *pkt) {
    int ret = av_read_frame(in->fmt, pkt);
    if (ret < 0) return ret;
    const AVStream *st = in->fmt->streams[pkt->stream_index];
    enum AVMediaType type = st->codecpar->codec_type;
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if ((type == AVMEDIA_TYPE_VIDEO || type == AVMEDIA_TYPE_AUDIO) && ts != AV_NOPTS_VALUE &&
        !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
        double end = (double)(ts + (pkt->duration > 0 ? pkt->duration : 0)) * av_q2d(st->time_base);
        if (end > in->read_to_s) in->read_to_s = end;
    }
    return ret;
}

cf_err cf_media_went_back_error(const char *what, int index, double at_s, cf_error *err) {
    return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                        "%s: the timestamps of stream %d go back from %.3f s to an earlier time: the "
                        "file is damaged (two parts of it claim the same time)",
                        what, index, at_s);
}

AVFrame *cf_media_cover_picture(const cf_media_input *in, int *index) {
    for (unsigned i = 0; i < in->fmt->nb_streams; i++) {
        const AVStream *st = in->fmt->streams[i];
        if (!(st->disposition & AV_DISPOSITION_ATTACHED_PIC) || st->attached_pic.size <= 0) continue;
        AVCodecContext *dec = NULL;
        AVFrame *f = av_frame_alloc();
        cf_error ignored;
        bool got = f && cf_media_open_decoder(in, (int)i, NULL, &dec, &ignored) == CF_OK &&
                   avcodec_send_packet(dec, &st->attached_pic) >= 0 && avcodec_send_packet(dec, NULL) >= 0 &&
                   avcodec_receive_frame(dec, f) >= 0;
        avcodec_free_context(&dec);
        if (got) {
            *index = (int)i;
            return f;
        }
        av_frame_free(&f); /* a damaged picture: perhaps another one decodes */
    }
    return NULL;
}

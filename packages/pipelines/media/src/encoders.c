/* encoders.c — encoder choice and settings per target format, and the start of an output file
 * (clipforge/encode.h). Settings favour speed on small machines: clips and shorts are short and
 * re-encoded often, so x264 "veryfast" and VP9 "good" with cpu-used 5. */
#include <libavfilter/buffersink.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>

#include "clipforge/encode.h"

#include <string.h>
#include <strings.h>

static const char *video_codec_name(cf_target_format f) {
    return f == CF_TARGET_FORMAT_MP4 ? "libx264" : f == CF_TARGET_FORMAT_WEBM ? "libvpx-vp9" : "gif";
}

static const char *audio_codec_name(cf_target_format f) {
    return f == CF_TARGET_FORMAT_WEBM ? "libopus" : "aac";
}

const char *cf_encoder_muxer(cf_target_format f) {
    return f == CF_TARGET_FORMAT_WEBM ? "webm" : f == CF_TARGET_FORMAT_GIF ? "gif" : "mp4";
}

const char *cf_encoder_extension(cf_target_format f) {
    return f == CF_TARGET_FORMAT_WEBM ? ".webm" : f == CF_TARGET_FORMAT_GIF ? ".gif" : ".mp4";
}

bool cf_encoder_format_of_name(const char *name, cf_target_format *f) {
    const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
    if (!dot || (slash && dot < slash)) return false;
    static const struct {
        const char *ext;
        cf_target_format f;
    } known[] = {{".mp4", CF_TARGET_FORMAT_MP4},   {".m4v", CF_TARGET_FORMAT_MP4},
                 {".m4a", CF_TARGET_FORMAT_MP4},   {".mov", CF_TARGET_FORMAT_MP4},
                 {".webm", CF_TARGET_FORMAT_WEBM}, {".gif", CF_TARGET_FORMAT_GIF}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcasecmp(dot, known[i].ext)) {
            *f = known[i].f;
            return true;
        }
    return false;
}

bool cf_encoder_has_sound(cf_target_format f) {
    return f != CF_TARGET_FORMAT_GIF;
}

static void video_options(cf_target_format f, int64_t bitrate, AVCodecContext *enc) {
    if (f == CF_TARGET_FORMAT_MP4) {
        av_opt_set(enc->priv_data, "preset", CF_X264_PRESET, 0);
        if (!bitrate) av_opt_set(enc->priv_data, "crf", CF_X264_CRF, 0);
        enc->profile = FF_PROFILE_H264_HIGH;
    } else if (f == CF_TARGET_FORMAT_WEBM) {
        if (!bitrate) av_opt_set(enc->priv_data, "crf", "32", 0);
        av_opt_set(enc->priv_data, "deadline", "good", 0);
        av_opt_set(enc->priv_data, "cpu-used", "5", 0);
        av_opt_set(enc->priv_data, "row-mt", "1", 0);
    }
    enc->bit_rate = bitrate; /* 0 with a CRF: constant quality */
}

static cf_err open_failed(const char *name, int ret, AVCodecContext **enc, cf_error *err) {
    avcodec_free_context(enc);
    return cf_error_set(err, ret == AVERROR(ENOMEM) ? CF_ERR_NO_MEMORY : CF_ERR_PROCESSING,
                        "cannot open the %s encoder: %s", name, av_err2str(ret));
}

cf_err cf_encoder_open_video(cf_target_format f, AVFilterContext *sink, const cf_encoder_options *o,
                             AVCodecContext **out, cf_error *err) {
    const char *name = video_codec_name(f);
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec) return cf_error_set(err, CF_ERR_UNSUPPORTED, "the %s encoder is not available", name);
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    if (!enc) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    enc->width = av_buffersink_get_w(sink);
    enc->height = av_buffersink_get_h(sink);
    enc->pix_fmt = (enum AVPixelFormat)av_buffersink_get_format(sink);
    enc->sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(sink);
    enc->time_base = av_buffersink_get_time_base(sink);
    /* a time base like 33333/500000 (an AVI at 15 fps) has x264 and the MP4 muxer round two
     * timestamps to one; 1/90000 holds every usual frame rate exactly */
    if (enc->time_base.num != 1) enc->time_base = (AVRational){1, 90000};
    AVRational fr = av_buffersink_get_frame_rate(sink);
    if (fr.num > 0 && fr.den > 0) enc->framerate = fr;
    if (o->keyframe_s > 0 && fr.num > 0 && fr.den > 0)
        enc->gop_size = (int)(o->keyframe_s * av_q2d(fr) + 0.5);
    enc->thread_count = o->threads;
    if (o->global_header) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (f != CF_TARGET_FORMAT_GIF) {
        cf_media_colors c = o->colors;
        if (c.matrix == 0) c = (cf_media_colors){AVCOL_SPC_BT709, AVCOL_PRI_BT709, AVCOL_TRC_BT709};
        enc->colorspace = c.matrix;
        enc->color_primaries = c.primaries;
        enc->color_trc = c.transfer;
        enc->color_range = AVCOL_RANGE_MPEG;
    }
    video_options(f, o->bitrate, enc);
    /* Pictures seconds apart (a slideshow): reordered ones put the MP4's decoding times seconds
     * before their showing, and the muxer's edit list then cut as much off the last picture (a
     * clip of 27 s of a 0.2 frame/s video had 25 s of pictures). No B-frames there. */
    if (cf_media_rate_is_slideshow(fr)) enc->max_b_frames = 0;
    int ret = avcodec_open2(enc, codec, NULL);
    if (ret < 0) return open_failed(name, ret, &enc, err);
    *out = enc;
    return CF_OK;
}

static int pick_rate(const AVCodec *codec, int want) {
    if (!codec->supported_samplerates) return want > 0 ? want : 48000;
    int best = codec->supported_samplerates[0];
    for (const int *r = codec->supported_samplerates; *r; r++) {
        if (*r == want) return want;
        if (abs(*r - want) < abs(best - want)) best = *r;
    }
    return best;
}

/* The encoder's layout for a source layout: the same one when the encoder lists it, else one of
 * its layouts with the same number of channels (5.1(side) -> 5.1: the resampler maps the side
 * speakers to the back ones), else stereo. An encoder that lists none (libopus) takes the
 * standard layout of the channel count, up to 7.1. */
static int pick_layout(const AVCodec *codec, const AVChannelLayout *src, AVChannelLayout *out) {
    AVChannelLayout def = {0};
    int n = src->nb_channels > 0 ? src->nb_channels : 2;
    av_channel_layout_default(&def, n);
    const AVChannelLayout *want = src->order == AV_CHANNEL_ORDER_NATIVE ? src : &def;
    const AVChannelLayout *chosen = NULL, *same_count = NULL;
    for (const AVChannelLayout *l = codec->ch_layouts; !chosen && l && l->nb_channels; l++) {
        if (!av_channel_layout_compare(l, want)) chosen = l;
        else if (!same_count && l->nb_channels == n) same_count = l;
    }
    if (!chosen) chosen = same_count;
    if (!chosen && !codec->ch_layouts && n <= 8) chosen = &def;
    int ret = chosen ? av_channel_layout_copy(out, chosen)
                     : av_channel_layout_copy(out, &(AVChannelLayout)AV_CHANNEL_LAYOUT_STEREO);
    av_channel_layout_uninit(&def);
    return ret;
}

enum AVSampleFormat cf_encoder_sample_fmt(cf_target_format f) {
    const AVCodec *codec = avcodec_find_encoder_by_name(audio_codec_name(f));
    return codec && codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
}

cf_err cf_encoder_open_audio(cf_target_format f, int sample_rate, const AVChannelLayout *layout,
                             const cf_encoder_options *o, AVCodecContext **out, cf_error *err) {
    const char *name = audio_codec_name(f);
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec) return cf_error_set(err, CF_ERR_UNSUPPORTED, "the %s encoder is not available", name);
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    if (!enc) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    int ret = pick_layout(codec, layout, &enc->ch_layout);
    if (ret < 0) return open_failed(name, ret, &enc, err);
    enc->sample_rate = pick_rate(codec, sample_rate);
    enc->sample_fmt = cf_encoder_sample_fmt(f);
    enc->time_base = (AVRational){1, enc->sample_rate};
    int per_channel = f == CF_TARGET_FORMAT_WEBM ? 48000 : 64000;
    enc->bit_rate = (int64_t)per_channel * (enc->ch_layout.nb_channels > 6 ? 6 : enc->ch_layout.nb_channels);
    enc->thread_count = o->threads;
    if (o->global_header) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((ret = avcodec_open2(enc, codec, NULL)) < 0) return open_failed(name, ret, &enc, err);
    *out = enc;
    return CF_OK;
}

cf_err cf_output_start(AVFormatContext *oc, cf_target_format f, const char *path, cf_error *err) {
    AVDictionary *opts = NULL;
    int ret = cf_output_open_file(oc);
    if (ret < 0) return cf_error_set(err, CF_ERR_IO, "cannot write %s: %s", path, av_err2str(ret));
    /* faststart puts the index (moov) first so a browser can play while downloading. */
    if (f == CF_TARGET_FORMAT_MP4) av_dict_set(&opts, "movflags", "+faststart", 0);
    ret = avformat_write_header(oc, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        return cf_error_set(err, cf_av_code(ret, CF_ERR_PROCESSING), "cannot start %s: %s", path,
                            av_err2str(ret));
    return CF_OK;
}

/* Whether oc's muxer writes an Opus track's blocks at its packets' times without the CodecDelay
 * it states (fixed after libavformat 59.30.100, where the muxer adds it itself). */
static bool blocks_lack_codec_delay(const AVFormatContext *oc) {
    return avformat_version() <= AV_VERSION_INT(59, 30, 100) &&
           (!strcmp(oc->oformat->name, "matroska") || !strcmp(oc->oformat->name, "webm"));
}

int cf_output_write(AVFormatContext *oc, AVPacket *pkt) {
    const AVStream *st = oc->streams[pkt->stream_index];
    const AVCodecParameters *par = st->codecpar;
    if (par->codec_id == AV_CODEC_ID_OPUS && par->initial_padding > 0 && blocks_lack_codec_delay(oc)) {
        /* the muxer states the delay in 48 kHz samples whatever the rate (RFC 7845) */
        int64_t delay = av_rescale_q(par->initial_padding, (AVRational){1, 48000}, st->time_base);
        if (pkt->pts != AV_NOPTS_VALUE) pkt->pts += delay;
        if (pkt->dts != AV_NOPTS_VALUE) pkt->dts += delay;
    }
    return av_interleaved_write_frame(oc, pkt);
}

void cf_output_close(AVFormatContext **oc, bool unfinished) {
    if (!*oc) return;
    if (unfinished) (void)av_write_trailer(*oc);
    if ((*oc)->pb) avio_closep(&(*oc)->pb);
    avformat_free_context(*oc);
    *oc = NULL;
}

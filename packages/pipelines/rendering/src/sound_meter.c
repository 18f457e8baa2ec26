/* sound_meter.c — a render's sound measured as it is or as it will ship (sound_meter.h). The
 * encoded sound is decoded from the encoder's packets directly, without a file, and measured
 * from where a player starts it (the encoder's delay left out). */
#include "sound_meter.h"

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <stdio.h>
#include <string.h>

#include "clipforge/encode.h"
#include "clipforge/media.h"

/* The decoder of what enc makes, given enc's stream parameters (extradata included). */
static int open_decoder(sound_meter *m) {
    const AVCodec *codec = avcodec_find_decoder(m->enc->codec_id);
    AVCodecParameters *par = avcodec_parameters_alloc();
    int ret = !codec ? AVERROR_DECODER_NOT_FOUND : !par ? AVERROR(ENOMEM) : 0;
    if (ret >= 0) ret = avcodec_parameters_from_context(par, m->enc);
    if (ret >= 0 && !(m->dec = avcodec_alloc_context3(codec))) ret = AVERROR(ENOMEM);
    if (ret >= 0) ret = avcodec_parameters_to_context(m->dec, par);
    if (ret >= 0) ret = avcodec_open2(m->dec, codec, NULL);
    avcodec_parameters_free(&par);
    return ret;
}

cf_err cf_sound_meter_open(sound_meter *m, bool encode, cf_target_format format, int threads, cf_error *err) {
    memset(m, 0, sizeof *m);
    m->lufs = CF_MEDIA_R128_FLOOR_LUFS, m->peak_db = -99.0;
    if (!(m->pkt = av_packet_alloc()) || !(m->decoded = av_frame_alloc()) ||
        !(m->measured = av_frame_alloc()))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!encode) return CF_OK;
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    cf_encoder_options eo = {.threads = threads};
    cf_err e = cf_encoder_open_audio(format, 48000, &stereo, &eo, &m->enc, err);
    if (e) return e;
    m->skip = m->enc->initial_padding;
    int ret = open_decoder(m);
    return ret < 0 ? cf_av_fail(err, CF_ERR_PROCESSING, "render", "open the sound's decoder", ret) : CF_OK;
}

int cf_sound_meter_frame_size(const sound_meter *m) {
    return m->enc && !(m->enc->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) ? m->enc->frame_size
                                                                                       : 0;
}

/* abuffer -> ebur128 -> abuffersink for frames like f. */
static int make_graph(sound_meter *m, const AVFrame *f) {
    AVChannelLayout known = {0};
    char layout[64], args[256];
    int ret = cf_media_known_layout(&f->ch_layout, &known);
    if (ret < 0) return ret;
    av_channel_layout_describe(&known, layout, sizeof layout);
    av_channel_layout_uninit(&known);
    snprintf(args, sizeof args, "sample_rate=%d:sample_fmt=%s:channel_layout=%s:time_base=1/%d",
             f->sample_rate, av_get_sample_fmt_name(f->format), layout, f->sample_rate);
    AVFilterContext *meter = NULL;
    if (!(m->g = avfilter_graph_alloc())) return AVERROR(ENOMEM);
    ret = avfilter_graph_create_filter(&m->src, avfilter_get_by_name("abuffer"), "in", args, NULL, m->g);
    if (ret >= 0)
        ret = avfilter_graph_create_filter(&meter, avfilter_get_by_name("ebur128"), "meter",
                                           "metadata=1:peak=true", NULL, m->g);
    if (ret >= 0)
        ret = avfilter_graph_create_filter(&m->sink, avfilter_get_by_name("abuffersink"), "out", NULL, NULL,
                                           m->g);
    if (ret >= 0) ret = avfilter_link(m->src, 0, meter, 0);
    if (ret >= 0) ret = avfilter_link(meter, 0, m->sink, 0);
    if (ret >= 0) ret = avfilter_graph_config(m->g, NULL);
    return ret;
}

/* Puts f (its reference taken; NULL: the end) through ebur128 and reads the figures so far (they
 * are cumulative). */
static int measure(sound_meter *m, AVFrame *f) {
    if (!m->g && !f) return 0; /* nothing came */
    int ret = m->g ? 0 : make_graph(m, f);
    if (ret >= 0) ret = av_buffersrc_add_frame_flags(m->src, f, 0);
    while (ret >= 0) {
        ret = av_buffersink_get_frame(m->sink, m->measured);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
        if (ret >= 0) cf_media_r128_read(m->measured, &m->lufs, NULL, &m->peak_db);
        av_frame_unref(m->measured);
    }
    return ret;
}

/* Drops from f what is left of the encoder's delay (m->skip samples): a player does not play it
 * (the muxer marks it), and on a sound of sparse clicks 21 ms moved the gated loudness by 0.9 LU.
 * False when nothing of f is left. */
static bool skip_delay(sound_meter *m, AVFrame *f) {
    int n = m->skip < f->nb_samples ? m->skip : f->nb_samples;
    m->skip -= n;
    if (n == f->nb_samples) return false;
    if (n > 0 && av_frame_make_writable(f) >= 0) {
        av_samples_copy(f->extended_data, f->extended_data, 0, n, f->nb_samples - n, f->ch_layout.nb_channels,
                        f->format);
        f->nb_samples -= n;
    }
    return true;
}

/* Decodes pkt (NULL: the encoder's end) and measures what comes out. */
static int decode(sound_meter *m, const AVPacket *pkt) {
    int ret = avcodec_send_packet(m->dec, pkt);
    if (ret < 0 && ret != AVERROR_EOF) return ret;
    for (;;) {
        ret = avcodec_receive_frame(m->dec, m->decoded);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
        if (ret >= 0 && skip_delay(m, m->decoded)) ret = measure(m, m->decoded);
        av_frame_unref(m->decoded);
        if (ret < 0) return ret;
    }
}

/* Encodes f (NULL: the end) and decodes every packet the encoder returns. */
static int encode(sound_meter *m, AVFrame *f) {
    if (f) f->pts = m->next_pts, m->next_pts += f->nb_samples;
    int ret = avcodec_send_frame(m->enc, f);
    if (ret < 0 && ret != AVERROR_EOF) return ret;
    for (;;) {
        ret = avcodec_receive_packet(m->enc, m->pkt);
        if (ret == AVERROR(EAGAIN)) return 0;
        if (ret == AVERROR_EOF) return decode(m, NULL);
        if (ret >= 0) ret = decode(m, m->pkt);
        av_packet_unref(m->pkt);
        if (ret < 0) return ret;
    }
}

cf_err cf_sound_meter_add(sound_meter *m, AVFrame *f, cf_error *err) {
    int ret = m->enc ? encode(m, f) : measure(m, f);
    if (ret >= 0 && !f && m->enc) ret = measure(m, NULL);
    if (f) av_frame_unref(f);
    return ret < 0 ? cf_av_fail(err, CF_ERR_PROCESSING, "render", "measure the sound", ret) : CF_OK;
}

void cf_sound_meter_close(sound_meter *m) {
    avcodec_free_context(&m->enc);
    avcodec_free_context(&m->dec);
    av_packet_free(&m->pkt);
    av_frame_free(&m->decoded);
    av_frame_free(&m->measured);
    avfilter_graph_free(&m->g);
}

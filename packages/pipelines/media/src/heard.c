/* heard.c — which audio streams of a file have sound, sampled: WINDOWS windows of WINDOW_S
 * seconds spread over the file, each stream decoded there until a peak reaches HEARD_DBFS.
 * Screen and game recorders write a track per source (OBS: desktop sound, microphone), and a
 * recording whose first track stayed empty is common: FFmpeg's ranking takes that track, and
 * its clips were silent while the notes named the track with the sound. */
#include "heard.h"

#include <libavcodec/avcodec.h>
#include <math.h>
#include <stdbool.h>

#define WINDOWS 6
#define WINDOW_S 1.0
/* A peak this high is sound (a tone 58 dB down is a track with something on it); a silent track
 * is digital zeros, or dither 90 dB down. */
#define HEARD_DBFS (-70.0)
/* Packets read for one window at most (a stream interleaved far apart from the others). */
#define MAX_PACKETS 2000

/* The largest magnitude of f's samples, full scale 1. */
static double frame_peak(const AVFrame *f) {
    enum AVSampleFormat fmt = av_get_packed_sample_fmt(f->format);
    int planes = av_sample_fmt_is_planar(f->format) ? f->ch_layout.nb_channels : 1;
    int per_plane = f->nb_samples * (planes == 1 ? f->ch_layout.nb_channels : 1);
    double peak = 0;
    for (int p = 0; p < planes; p++) {
        const uint8_t *d = f->extended_data[p];
        for (int i = 0; i < per_plane; i++) {
            double v = fmt == AV_SAMPLE_FMT_FLT   ? ((const float *)d)[i]
                       : fmt == AV_SAMPLE_FMT_DBL ? ((const double *)d)[i]
                       : fmt == AV_SAMPLE_FMT_S16 ? ((const int16_t *)d)[i] / 32768.0
                       : fmt == AV_SAMPLE_FMT_S32 ? ((const int32_t *)d)[i] / 2147483648.0
                       : fmt == AV_SAMPLE_FMT_U8  ? (d[i] - 128) / 128.0
                                                  : 1.0; /* unknown: taken as sound */
            if (fabs(v) > peak) peak = fabs(v);
        }
    }
    return peak;
}

/* Decodes stream index from where f stands until WINDOW_S of its sound: 1 when a peak reaches
 * the threshold, 0 when not, negative on an error. */
static int window_heard(AVFormatContext *f, int index, AVCodecContext *dec, AVPacket *pkt, AVFrame *fr) {
    double threshold = pow(10.0, HEARD_DBFS / 20.0);
    int64_t want = (int64_t)(WINDOW_S * dec->sample_rate), got = 0;
    int ret = 0;
    for (int n = 0; n < MAX_PACKETS && got < want; n++) {
        if ((ret = av_read_frame(f, pkt)) < 0) return ret == AVERROR_EOF ? 0 : ret;
        ret = pkt->stream_index == index ? avcodec_send_packet(dec, pkt) : 0;
        av_packet_unref(pkt);
        if (ret < 0 && ret != AVERROR_INVALIDDATA) return ret;
        while (avcodec_receive_frame(dec, fr) >= 0) {
            got += fr->nb_samples;
            double peak = frame_peak(fr);
            av_frame_unref(fr);
            if (peak >= threshold) return 1;
        }
    }
    return 0;
}

/* Whether stream index (decoded by par) has sound in one of the windows: 1, 0, or negative when it
 * could not be told. */
static int stream_heard(AVFormatContext *f, int index, const AVCodecParameters *par) {
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    AVCodecContext *dec = codec ? avcodec_alloc_context3(codec) : NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    int ret = dec && pkt && fr ? avcodec_parameters_to_context(dec, par) : AVERROR(ENOMEM);
    if (ret >= 0) ret = avcodec_open2(dec, codec, NULL);
    double start = f->start_time != AV_NOPTS_VALUE ? f->start_time / 1e6 : 0;
    double length = f->duration > 0 ? f->duration / 1e6 : 0;
    /* short, or of unknown length: its first windows one after the other */
    bool spread = length > 4 * WINDOWS * WINDOW_S;
    for (int k = 0; ret >= 0 && k < WINDOWS; k++) {
        if (spread || k == 0) {
            int64_t at = (int64_t)((start + (spread ? length * (k + 0.5) / WINDOWS : 0)) * AV_TIME_BASE);
            if ((ret = avformat_seek_file(f, -1, INT64_MIN, at, at, 0)) < 0) break;
            avcodec_flush_buffers(dec);
        }
        if ((ret = window_heard(f, index, dec, pkt, fr)) != 0) break;
    }
    avcodec_free_context(&dec);
    av_packet_free(&pkt);
    av_frame_free(&fr);
    return ret;
}

int cfmedia_heard_audio(AVFormatContext *again, const AVFormatContext *fmt, int chosen, const int *others,
                        int n_others) {
    if (stream_heard(again, chosen, fmt->streams[chosen]->codecpar) != 0) return chosen; /* or untold */
    for (int i = 0; i < n_others; i++)
        if (stream_heard(again, others[i], fmt->streams[others[i]]->codecpar) == 1) return others[i];
    return chosen;
}

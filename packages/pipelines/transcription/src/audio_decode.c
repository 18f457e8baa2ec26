/* audio_decode.c — reads the chosen audio stream of a media file (libcfmedia's rule: the default
 * one, or the one asked for) and turns it into 16 kHz mono signed 16-bit samples in memory, the
 * input every speech backend takes. Sample i is at media time i / 16000 s: audio that starts
 * after the container does, or has holes, is padded with silence, so word times are media times.
 * 16 kHz is 32 KB per second, so a two-hour recording fits in about 230 MB;
 * CLIPFORGE_MAX_DURATION_MS bounds it. */
#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clipforge/media.h"
#include "load_audio.h"

typedef struct pcm_buf {
    int16_t *data;
    size_t n, cap;
    size_t max; /* 0 = unlimited */
} pcm_buf;

typedef struct decoder {
    cf_media_input in;
    AVFormatContext *fmt; /* in.fmt */
    AVCodecContext *codec;
    SwrContext *swr;
    cf_media_fitter fit; /* the sound swr was made for, should the stream change it */
    int stream;
    AVPacket *pkt;
    AVFrame *frame;
} decoder;

static cf_err pcm_reserve(pcm_buf *b, size_t extra, cf_error *err) {
    if (b->n + extra <= b->cap) return CF_OK;
    size_t cap = b->cap ? b->cap * 2 : 16000 * 60;
    while (cap < b->n + extra) cap *= 2;
    int16_t *d = realloc(b->data, cap * sizeof *d);
    if (!d) return cf_error_set(err, CF_ERR_NO_MEMORY, "audio buffer: out of memory");
    b->data = d;
    b->cap = cap;
    return CF_OK;
}

/* Puts n samples of silence into b. */
static cf_err pad(pcm_buf *b, int64_t n, cf_error *err) {
    cf_err e = pcm_reserve(b, (size_t)n, err);
    if (e) return e;
    memset(b->data + b->n, 0, (size_t)n * sizeof *b->data);
    b->n += (size_t)n;
    return CF_OK;
}

/* Converts one frame (or flushes the resampler when frame is NULL) into b, at its media time. */
static cf_err convert(decoder *d, AVFrame *frame, pcm_buf *b, const char *path, cf_error *err) {
    int64_t skip = 0, ts = frame ? frame->best_effort_timestamp : AV_NOPTS_VALUE;
    double at =
        ts != AV_NOPTS_VALUE ? cf_media_time(&d->in, d->stream, ts) : (double)b->n / CF_STT_SAMPLE_RATE;
    int ret = frame ? cf_media_fit_sound(&d->fit, frame, "transcribe", d->stream, at) : 0;
    if (ret < 0) return cf_av_fail(err, CF_ERR_INVALID_MEDIA, path, "converting the sound", ret);
    int in = frame ? frame->nb_samples : 0;
    if (ts != AV_NOPTS_VALUE) {
        int64_t gap = cf_media_audio_gap(at, (int64_t)b->n, CF_STT_SAMPLE_RATE);
        cf_err e = gap > 0 ? pad(b, gap, err) : CF_OK;
        if (e) return e;
        if (gap < 0) skip = -gap;
    }
    int room = swr_get_out_samples(d->swr, in);
    if (room < 0) return cf_av_fail(err, CF_ERR_PROCESSING, path, "resampler", room);
    cf_err e = pcm_reserve(b, (size_t)room + 1, err);
    if (e) return e;
    uint8_t *outp = (uint8_t *)(b->data + b->n);
    int got = swr_convert(d->swr, &outp, room, frame ? (const uint8_t **)frame->extended_data : NULL, in);
    if (got < 0) return cf_av_fail(err, CF_ERR_PROCESSING, path, "resampling", got);
    if (skip >= got) return CF_OK; /* all of it was heard already */
    if (skip > 0) memmove(b->data + b->n, b->data + b->n + skip, (size_t)(got - skip) * sizeof *b->data);
    b->n += (size_t)(got - skip);
    if (b->max && b->n > b->max)
        return cf_error_set(err, CF_ERR_TOO_LARGE, "%s: audio is longer than the limit of %lld ms", path,
                            (long long)(b->max / 16));
    return CF_OK;
}

static cf_err open_input(decoder *d, const char *path, const cf_media_select *sel, cf_error *err) {
    cf_err e = cf_media_open(path, sel, &d->in, err);
    if (e || (e = cf_media_require(&d->in, false, true, path, err))) return e;
    d->fmt = d->in.fmt;
    d->stream = d->in.audio_index;
    if (d->stream < 0)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: no audio stream%s", path,
                            d->in.audio_empty ? " with data (it carries no packets)" : "");
    /* the video's packets are read (not decoded): they show where a cut-short file stops */
    cf_media_discard_others(&d->in);
    e = cf_media_open_decoder(&d->in, d->stream, NULL, &d->codec, err);
    if (e) cf_error_prefix(err, "%s", path);
    return e;
}

static cf_err open_resampler(decoder *d, const char *path, cf_error *err) {
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    AVChannelLayout in_layout = {0};
    int ret = cf_media_known_layout(&d->codec->ch_layout, &in_layout);
    if (ret < 0) return cf_av_fail(err, CF_ERR_NO_MEMORY, path, "channel layout", ret);
    if (d->codec->sample_rate <= 0) {
        av_channel_layout_uninit(&in_layout);
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: audio has no sample rate", path);
    }
    ret = swr_alloc_set_opts2(&d->swr, &mono, AV_SAMPLE_FMT_S16, CF_STT_SAMPLE_RATE, &in_layout,
                              d->codec->sample_fmt, d->codec->sample_rate, 0, NULL);
    if (ret >= 0)
        ret = cf_media_fitter_sound(&d->fit, &in_layout, d->codec->sample_rate, d->codec->sample_fmt);
    av_channel_layout_uninit(&in_layout);
    if (ret < 0) return cf_av_fail(err, CF_ERR_PROCESSING, path, "resampler setup", ret);
    if ((ret = swr_init(d->swr)) < 0) return cf_av_fail(err, CF_ERR_PROCESSING, path, "resampler", ret);
    return CF_OK;
}

/* Receives every frame the decoder has ready; EAGAIN and EOF are flow, not failure. */
static cf_err drain(decoder *d, pcm_buf *b, const char *path, cf_error *err) {
    for (;;) {
        int ret = avcodec_receive_frame(d->codec, d->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return CF_OK;
        if (ret < 0) return cf_av_fail(err, CF_ERR_INVALID_MEDIA, path, "decoding audio", ret);
        cf_err e = convert(d, d->frame, b, path, err);
        av_frame_unref(d->frame);
        if (e) return e;
    }
}

static void report(decoder *d, cf_progress *progress) {
    if (d->pkt->pts == AV_NOPTS_VALUE) return;
    double f = cf_media_progress(&d->in, cf_media_time(&d->in, d->stream, d->pkt->pts));
    if (f >= 0) cf_progress_report(progress, f, "decoding audio");
}

static cf_err read_all(decoder *d, pcm_buf *b, cf_progress *progress, const char *path, cf_error *err) {
    cf_err e = CF_OK;
    int ret;
    unsigned count = 0;
    double last_s = -1;
    while ((ret = av_read_frame(d->fmt, d->pkt)) >= 0) {
        int64_t ts = d->pkt->pts != AV_NOPTS_VALUE ? d->pkt->pts : d->pkt->dts;
        if (ts != AV_NOPTS_VALUE) {
            double t = cf_media_time(&d->in, d->pkt->stream_index, ts);
            if (t > last_s) last_s = t;
        }
        if (d->pkt->stream_index == d->stream) {
            if ((++count & 63) == 0) {
                if (cf_progress_cancelled(progress))
                    e = cf_error_set(err, CF_ERR_CANCELLED, "%s: cancelled", path);
                else report(d, progress);
            }
            ret = e ? 0 : avcodec_send_packet(d->codec, d->pkt);
            /* A damaged packet is skipped: the rest of the audio is still worth transcribing. */
            if (!e && ret >= 0) e = drain(d, b, path, err);
        }
        av_packet_unref(d->pkt);
        if (e) return e;
    }
    if (ret != AVERROR_EOF && ret != AVERROR_INVALIDDATA)
        return cf_av_fail(err, CF_ERR_INVALID_MEDIA, path, "reading", ret);
    if ((e = cf_media_check_complete(&d->in, last_s, path, err))) return e;
    if ((ret = avcodec_send_packet(d->codec, NULL)) < 0 && ret != AVERROR_EOF)
        return cf_av_fail(err, CF_ERR_INVALID_MEDIA, path, "flushing decoder", ret);
    if ((e = drain(d, b, path, err))) return e;
    return convert(d, NULL, b, path, err);
}

cf_err cf__stt_load_audio(const char *path, const cf_media_select *sel, int64_t max_duration_ms,
                          cf_progress *progress, int16_t **out, size_t *n_out, cf_error *err) {
    decoder d = {.stream = -1};
    pcm_buf b = {.max = max_duration_ms > 0 ? (size_t)max_duration_ms * 16 : 0};
    *out = NULL;
    *n_out = 0;
    if (!path || !*path) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "no input file");
    cf_media_select run = sel ? *sel : (cf_media_select){0};
    run.progress = progress; /* a cancel stops the copy of joined recordings too */
    cf_err e = open_input(&d, path, &run, err);
    if (!e) e = open_resampler(&d, path, err);
    if (!e && (!(d.pkt = av_packet_alloc()) || !(d.frame = av_frame_alloc())))
        e = cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    if (!e) e = read_all(&d, &b, progress, path, err);
    if (!e && b.n == 0) e = cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: audio stream is empty", path);
    av_frame_free(&d.frame);
    av_packet_free(&d.pkt);
    swr_free(&d.swr);
    cf_media_fitter_free(&d.fit);
    avcodec_free_context(&d.codec);
    cf_media_close(&d.in);
    if (e) {
        free(b.data);
        return e;
    }
    cf_progress_report(progress, 1.0, "decoding audio");
    *out = b.data;
    *n_out = b.n;
    return CF_OK;
}

cf_err cf_stt_load_audio(const char *path, int64_t max_duration_ms, cf_progress *progress, int16_t **out,
                         size_t *n_out, cf_error *err) {
    return cf__stt_load_audio(path, NULL, max_duration_ms, progress, out, n_out, err);
}

/* waveform.c — the audio of a media file as peaks for drawing: one decode of the best audio
 * stream (other streams discarded), samples converted to planar float (cf_media_fit_sound) when
 * the decoder gives another format, and the largest absolute sample over all channels kept per
 * step. The largest sample rather than a downmix, so that channels in opposite phase do not
 * cancel out of the picture. */
#include "clipforge/media_pictures.h"

#include <libavutil/opt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode_driver.h"
#include "clipforge/media.h"

typedef struct peaks_acc {
    double *v; /* step values */
    size_t n, cap, max;
    int64_t step_ms;
    int sample_rate;
    int64_t pos; /* samples since the start of the media */
    bool started;
} peaks_acc;

static int64_t step_for(int64_t duration_ms, size_t max_points) {
    int64_t step = duration_ms > 0 ? (duration_ms + (int64_t)max_points - 1) / (int64_t)max_points : 0;
    return step < CF_WAVEFORM_MIN_STEP_MS ? CF_WAVEFORM_MIN_STEP_MS : step;
}

/* Grows the step array to hold index i (steps past max are dropped: a stream longer than
 * its container said). */
static bool reach(peaks_acc *a, size_t i) {
    if (i >= a->max) return false;
    if (i >= a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 1024;
        while (cap <= i) cap *= 2;
        if (cap > a->max) cap = a->max;
        double *v = realloc(a->v, cap * sizeof *v);
        if (!v) return false;
        memset(v + a->cap, 0, (cap - a->cap) * sizeof *v);
        a->v = v, a->cap = cap;
    }
    if (i >= a->n) a->n = i + 1;
    return true;
}

static void add_samples(peaks_acc *a, const float *const *planes, int channels, int n) {
    int64_t per_step_num = (int64_t)a->sample_rate * a->step_ms; /* samples per step x 1000 */
    for (int s = 0; s < n; s++, a->pos++) {
        float m = 0;
        for (int c = 0; c < channels; c++) {
            float v = fabsf(planes[c][s]);
            if (v > m) m = v;
        }
        size_t i = (size_t)(a->pos * 1000 / per_step_num);
        if (!reach(a, i)) return;
        if (m > a->v[i]) a->v[i] = m;
    }
}

typedef struct wave_run {
    cf_media_input in;
    AVCodecContext *dec;
    cf_media_fitter fit;
    AVFrame *frame;
    AVPacket *pkt;
    peaks_acc acc;
} wave_run;

/* The frame as planar float at the rate the steps are counted in, in the layout of the first
 * frame: converted when the decoder speaks another format or the stream changes its sound. */
static int as_float(wave_run *w, AVFrame *f, const float *const **planes, int *n) {
    int ret = w->fit.out_rate > 0
                  ? 0
                  : cf_media_fitter_sound(&w->fit, &f->ch_layout, w->acc.sample_rate, AV_SAMPLE_FMT_FLTP);
    double t = f->pts != AV_NOPTS_VALUE ? cf_media_time(&w->in, w->in.audio_index, f->pts) : 0;
    if (ret >= 0) ret = cf_media_fit_sound(&w->fit, f, "waveform", w->in.audio_index, t);
    *planes = (const float *const *)f->extended_data;
    *n = f->nb_samples;
    return ret;
}

/* Positions the accumulator at the first frame's time, so a stream that starts late (or
 * after the container's start) is drawn where it plays. */
static void start_at(wave_run *w, const AVFrame *f) {
    if (w->acc.started) return;
    w->acc.started = true;
    AVStream *st = w->in.fmt->streams[w->in.audio_index];
    if (f->pts == AV_NOPTS_VALUE) return;
    int64_t us = av_rescale_q(f->pts, st->time_base, AV_TIME_BASE_Q) - w->in.start_us;
    if (us > 0) w->acc.pos = av_rescale(us, w->acc.sample_rate, AV_TIME_BASE);
}

static int drain(wave_run *w) {
    int ret;
    while ((ret = avcodec_receive_frame(w->dec, w->frame)) >= 0) {
        const float *const *planes = NULL;
        int n = 0;
        start_at(w, w->frame);
        if ((ret = as_float(w, w->frame, &planes, &n)) < 0) return ret;
        add_samples(&w->acc, planes, w->frame->ch_layout.nb_channels, n);
        av_frame_unref(w->frame);
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

static cf_err decode_all(wave_run *w, cf_progress *progress, const char *path, cf_error *err) {
    int ret = 0;
    int64_t duration_us = w->in.duration_ms > 0 ? w->in.duration_ms * 1000 : 0;
    AVStream *st = w->in.fmt->streams[w->in.audio_index];
    while ((ret = av_read_frame(w->in.fmt, w->pkt)) >= 0) {
        if (w->pkt->stream_index == w->in.audio_index) {
            if (duration_us && w->pkt->pts != AV_NOPTS_VALUE)
                cf_progress_report(
                    progress, (double)av_rescale_q(w->pkt->pts, st->time_base, AV_TIME_BASE_Q) / duration_us,
                    "waveform");
            ret = avcodec_send_packet(w->dec, w->pkt);
            /* a damaged packet costs a few ms of the picture, not the picture */
            if (ret >= 0 || ret == AVERROR_INVALIDDATA) ret = drain(w);
        }
        av_packet_unref(w->pkt);
        if (ret < 0) break;
        if (cf_progress_cancelled(progress))
            return cf_error_set(err, CF_ERR_CANCELLED, "waveform: cancelled");
    }
    if (ret == AVERROR_EOF) ret = 0;
    if (ret >= 0 && (ret = avcodec_send_packet(w->dec, NULL)) >= 0) ret = drain(w);
    if (ret < 0)
        return cf_error_set(err, CF_ERR_PROCESSING, "waveform of %s: cannot decode the audio: %s", path,
                            av_err2str(ret));
    return CF_OK;
}

static cf_err fill_result(wave_run *w, cf_media_waveform *out, cf_error *err) {
    AVCodecParameters *par = w->in.fmt->streams[w->in.audio_index]->codecpar;
    int64_t heard_ms = w->acc.pos * 1000 / w->acc.sample_rate;
    out->duration_ms = w->in.duration_ms > 0 ? w->in.duration_ms : heard_ms;
    out->step_ms = w->acc.step_ms;
    out->has_sample_rate = true, out->sample_rate = par->sample_rate;
    out->has_channels = par->ch_layout.nb_channels > 0, out->channels = par->ch_layout.nb_channels;
    size_t n = (size_t)((out->duration_ms + out->step_ms - 1) / out->step_ms);
    if (n > w->acc.max) n = w->acc.max;
    if (n && !(out->peaks = calloc(n, sizeof *out->peaks)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < n && i < w->acc.n; i++) {
        double v = w->acc.v[i] > 1 ? 1 : w->acc.v[i];
        out->peaks[i] = round(v * 1000) / 1000; /* three digits draw the same and print short */
    }
    out->n_peaks = n;
    return CF_OK;
}

cf_err cf_waveform_compute(const char *path, size_t max_points, cf_progress *progress, cf_media_waveform *out,
                           cf_error *err) {
    cf_media_waveform_init(out);
    if (!max_points || max_points > CF_WAVEFORM_MAX_POINTS) max_points = CF_WAVEFORM_MAX_POINTS;
    wave_run w;
    memset(&w, 0, sizeof w);
    cf_err rc = cf_media_open(path, NULL, &w.in, err);
    if (rc) return rc;
    if (w.in.audio_index < 0) {
        cf_media_close(&w.in);
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "%s has no audio stream to draw", path);
    }
    for (unsigned i = 0; i < w.in.fmt->nb_streams; i++)
        if ((int)i != w.in.audio_index) w.in.fmt->streams[i]->discard = AVDISCARD_ALL;
    rc = cf_media_open_decoder(&w.in, w.in.audio_index, &(cf_media_decode_opts){.threads = 1}, &w.dec, err);
    w.frame = av_frame_alloc(), w.pkt = av_packet_alloc();
    if (!rc && (!w.frame || !w.pkt)) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!rc && w.dec->sample_rate <= 0)
        rc = cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: the audio has no sample rate", path);
    if (!rc) {
        w.acc.sample_rate = w.dec->sample_rate;
        w.acc.step_ms = step_for(w.in.duration_ms, max_points);
        w.acc.max = w.in.duration_ms > 0 ? max_points : CF_WAVEFORM_MAX_POINTS;
        rc = decode_all(&w, progress, path, err);
    }
    if (!rc) rc = fill_result(&w, out, err);
    if (rc) cf_media_waveform_free(out);
    free(w.acc.v);
    cf_media_fitter_free(&w.fit);
    av_frame_free(&w.frame);
    av_packet_free(&w.pkt);
    avcodec_free_context(&w.dec);
    cf_media_close(&w.in);
    return rc;
}

/* features.c — the one decode pass that turns a media file into a feature track.
 *
 * Audio and video are decoded together (multithreaded decoders, other streams discarded):
 * audio is resampled to 16 kHz mono float and measured per 100 ms hop (audio_analysis.c, on a
 * thread of its own beside the decoding: audio_worker.c); the video decoder skips non-reference
 * pictures and the frames that remain are reduced to a 64x36 luma thumbnail and measured per
 * frame interval (video_analysis.c). When
 * the pass ends, finalize() turns the raw per-hop measurements into the features of
 * CF_FEATURE_MAP: loudness over centred windows, baselines, rates, likelihoods, and the
 * audio-event classifier's probabilities (audio_events.c, model from models_dir). The cache
 * (feature_cache.c) sits in front of all this; a track made with another audio-events model is
 * a miss. Settings: cf_feature_options (threads, cache_dir, skip_loop_filter, models_dir). */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio_analysis.h"
#include "audio_worker.h"
#include "audio_events.h"
#include "clipforge/clock.h"
#include "clipforge/log.h"
#include "clipforge/media.h"
#include "clipforge/uri.h"
#include "feature_cache.h"
#include "feature_math.h"
#include "profile.h"
#include "video_analysis.h"

typedef struct raw_hop {
    bool audio;
    audio_hop a;
    int frames, cuts;
    float cut_max;
    double motion_sum, bright_sum;
} raw_hop;

typedef struct pass {
    const char *path;
    cf_media_input in;    /* the file and its chosen streams */
    AVFormatContext *fmt; /* in.fmt */
    AVCodecContext *adec, *vdec;
    int astream, vstream;
    SwrContext *mix;     /* several channels to mono at the input rate (NULL for mono input) */
    SwrContext *swr;     /* mono to CF_AUDIO_RATE */
    cf_media_fitter fit; /* the sound the two were made for, should the stream change it */
    float *mixed, *resampled;
    int mixed_cap, resampled_cap;
    audio_worker *aw;
    video_analyzer *va;
    AVPacket *pkt;
    AVFrame *frame;
    raw_hop *hops;
    size_t n_hops, cap_hops;
    int64_t audio_samples; /* samples given to the audio analyzer, from media time 0 */
    int64_t start_us;      /* media start time */
    int64_t duration_ms;
    int64_t max_ms; /* latest media time seen */
    int64_t end_ms; /* where the last frame decoded ends (media time) */
    cf_progress *progress;
    double last_reported;
    bool oom;
    bool audio_only; /* the pass again for a quiet recording: its sound alone, */
    float gain;      /* made this much louder (a factor) */
} pass;

static const char *const feature_names[] = {
#define CF_FEATURE_NAME(id, name, help) name,
    CF_FEATURE_MAP(CF_FEATURE_NAME)
#undef CF_FEATURE_NAME
};

const char *cf_feature_name(cf_feature_id id) {
    return (int)id >= 0 && id < CF_FEAT_COUNT ? feature_names[id] : NULL;
}

int cf_feature_find(const char *name) {
    for (int i = 0; name && i < CF_FEAT_COUNT; i++)
        if (strcmp(feature_names[i], name) == 0) return i;
    return -1;
}

static raw_hop *hop_at(pass *p, size_t i) {
    if (i >= p->cap_hops) {
        size_t cap = p->cap_hops ? p->cap_hops * 2 : 1024;
        while (cap <= i) cap *= 2;
        raw_hop *h = realloc(p->hops, cap * sizeof *h);
        if (!h) {
            p->oom = true;
            return NULL;
        }
        memset(h + p->cap_hops, 0, (cap - p->cap_hops) * sizeof *h);
        p->hops = h;
        p->cap_hops = cap;
    }
    if (i >= p->n_hops) p->n_hops = i + 1;
    return &p->hops[i];
}

/* The video decoder skips the pictures no other picture refers to (most B-frames of most
 * encodes; none where there are no B-frames): cuts and motion are measured on the frames that
 * remain, per frame interval (video_analysis.c), and a hop without a frame holds the values of
 * the one before (feature_math.c), as hops between the frames of a slow stream always did.
 * Codecs that can decode at a reduced size (MPEG-2, MPEG-4 part 2, MJPEG ...) do, down to the
 * grid the thumbnail samples. */
static cf_err open_decoder(pass *p, int stream, const cf_feature_options *o, AVCodecContext **out,
                           cf_error *err) {
    cf_media_decode_opts d = {.threads = o ? o->threads : 0,
                              .skip_loop_filter = o && o->skip_loop_filter,
                              .skip_nonref = true,
                              .min_width = CF_THUMB_SOURCE_W,
                              .min_height = CF_THUMB_SOURCE_H};
    cf_err rc = cf_media_open_decoder(&p->in, stream, &d, out, err);
    if (rc) cf_error_prefix(err, "%s", p->path);
    return rc;
}

/* The audio is mixed down to mono before it is resampled, in two resamplers: libswresample would
 * filter every channel at the input rate and mix after (48 kHz stereo: twice the filtering). The
 * mix keeps libswresample's coefficients for every layout. */
static cf_err open_resampler(pass *p, cf_error *err) {
    AVChannelLayout in = {0}, mono = AV_CHANNEL_LAYOUT_MONO;
    int rate = p->adec->sample_rate;
    int ret = cf_media_known_layout(&p->adec->ch_layout, &in);
    bool mix = ret >= 0 && in.nb_channels > 1;
    if (mix)
        ret = swr_alloc_set_opts2(&p->mix, &mono, AV_SAMPLE_FMT_FLT, rate, &in, p->adec->sample_fmt, rate, 0,
                                  NULL);
    if (ret >= 0)
        ret = swr_alloc_set_opts2(&p->swr, &mono, AV_SAMPLE_FMT_FLT, CF_AUDIO_RATE, mix ? &mono : &in,
                                  mix ? AV_SAMPLE_FMT_FLT : p->adec->sample_fmt, rate, 0, NULL);
    if (ret >= 0) ret = cf_media_fitter_sound(&p->fit, &in, rate, p->adec->sample_fmt);
    av_channel_layout_uninit(&in);
    if (ret >= 0 && mix) ret = swr_init(p->mix);
    if (ret >= 0) ret = swr_init(p->swr);
    if (ret < 0)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: cannot resample audio (%d Hz): %s", p->path, rate,
                            av_err2str(ret));
    return hl_audio_worker_new(&p->aw, err);
}

/* The video stream's nominal frame interval; 0 (steps count as one interval) when the stream
 * states no plausible rate. */
static double frame_interval_ms(const pass *p) {
    double fps = cf_media_stream_fps(p->fmt->streams[p->vstream]);
    return fps >= 1 && fps <= 240 ? 1000.0 / fps : 0;
}

static cf_err pass_open(pass *p, const cf_feature_options *o, cf_error *err) {
    cf_media_select sel = o ? o->select : (cf_media_select){0};
    sel.progress = p->progress; /* a cancel stops the copy of joined recordings too */
    /* the caller's reader (ranged HTTP ...) stays the caller's */
    cf_err rc = o && o->io ? cf_media_open_io(p->path, o->io, &sel, &p->in, err)
                           : cf_media_open(p->path, &sel, &p->in, err);
    /* analysing the picture without the sound (or the reverse) would score a different film */
    if (rc || (rc = cf_media_require(&p->in, true, true, p->path, err))) return rc;
    p->fmt = p->in.fmt;
    p->astream = p->in.audio_index;
    p->vstream = p->audio_only ? -1 : p->in.video_index;
    cf_media_discard_others(&p->in);
    if (p->astream >= 0 && (rc = open_decoder(p, p->astream, o, &p->adec, err)) != CF_OK) return rc;
    if (p->astream >= 0 && (rc = open_resampler(p, err)) != CF_OK) return rc;
    if (p->vstream >= 0 && (rc = open_decoder(p, p->vstream, o, &p->vdec, err)) != CF_OK) return rc;
    if (p->vstream >= 0 && (rc = hl_video_analyzer_new(&p->va, frame_interval_ms(p), err)) != CF_OK)
        return rc;
    p->start_us = p->in.start_us;
    p->duration_ms = p->in.duration_ms > 0 ? p->in.duration_ms : 0;
    p->pkt = av_packet_alloc();
    p->frame = av_frame_alloc();
    if (!p->pkt || !p->frame) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", p->path);
    return CF_OK;
}

static void pass_close(pass *p) {
    avcodec_free_context(&p->adec);
    avcodec_free_context(&p->vdec);
    cf_media_close(&p->in);
    swr_free(&p->mix);
    swr_free(&p->swr);
    cf_media_fitter_free(&p->fit);
    av_free(p->mixed);
    av_free(p->resampled);
    hl_audio_worker_free(p->aw);
    hl_video_analyzer_free(p->va);
    av_packet_free(&p->pkt);
    av_frame_free(&p->frame);
    free(p->hops);
}

static int64_t frame_ms(const pass *p, const AVFrame *f, int stream) {
    int64_t ts = f->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE) return -1;
    int64_t us = av_rescale_q(ts, p->fmt->streams[stream]->time_base, AV_TIME_BASE_Q);
    return (us - p->start_us) / 1000;
}

/* Pushes n samples of silence (the audio starts late or has a hole). */
static void push_silence(pass *p, int64_t n) {
    static const float zeros[CF_AUDIO_HOP];
    for (; n > 0; n -= CF_AUDIO_HOP) {
        size_t k = n < CF_AUDIO_HOP ? (size_t)n : CF_AUDIO_HOP;
        hl_audio_worker_push(p->aw, zeros, k);
        p->audio_samples += (int64_t)k;
    }
}

static void note_end(pass *p, double end_ms) {
    if (end_ms > p->end_ms) p->end_ms = (int64_t)end_ms;
}

/* Makes *buf hold at least want floats; false when out of memory. */
static bool grow(float **buf, int *cap, int want) {
    if (want <= *cap) return true;
    av_free(*buf);
    *buf = av_malloc_array(want, sizeof(float));
    *cap = *buf ? want : 0;
    return *buf != NULL;
}

static cf_err push_audio(pass *p, AVFrame *f, cf_error *err) {
    int64_t skip = 0; /* samples of this frame that overlap what was pushed */
    int64_t ts = f ? f->best_effort_timestamp : AV_NOPTS_VALUE;
    double at = ts != AV_NOPTS_VALUE ? cf_media_time(&p->in, p->astream, ts) : p->end_ms / 1000.0;
    int ret = f ? cf_media_fit_sound(&p->fit, f, "detect", p->astream, at) : 0;
    if (ret < 0)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: converting the sound failed: %s", p->path,
                            av_err2str(ret));
    if (ts != AV_NOPTS_VALUE) {
        note_end(p, at * 1000.0 + (f->sample_rate > 0 ? f->nb_samples * 1000.0 / f->sample_rate : 0));
        int64_t gap = cf_media_audio_gap(at, p->audio_samples, CF_AUDIO_RATE);
        if (gap > 0) push_silence(p, gap);
        else skip = -gap;
    }
    const uint8_t *const *in = f ? (const uint8_t *const *)f->extended_data : NULL;
    int n_in = f ? f->nb_samples : 0;
    const uint8_t *mono[1];
    if (p->mix && f) { /* at the same rate the mix holds nothing back: there is no tail to flush */
        if (!grow(&p->mixed, &p->mixed_cap, n_in))
            return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", p->path);
        uint8_t *mixed = (uint8_t *)p->mixed;
        n_in = swr_convert(p->mix, &mixed, n_in, (const uint8_t **)in, n_in);
        if (n_in < 0)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: mixing down failed: %s", p->path,
                                av_err2str(n_in));
        mono[0] = (const uint8_t *)p->mixed;
        in = mono;
    }
    int want = swr_get_out_samples(p->swr, n_in);
    if (!grow(&p->resampled, &p->resampled_cap, want))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", p->path);
    uint8_t *out = (uint8_t *)p->resampled;
    int n = swr_convert(p->swr, &out, want, (const uint8_t **)in, n_in);
    if (n < 0)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: resampling failed: %s", p->path, av_err2str(n));
    if (skip >= n) return CF_OK;
    if (p->gain != 1.0f)
        for (int i = (int)skip; i < n; i++) p->resampled[i] *= p->gain;
    hl_audio_worker_push(p->aw, p->resampled + skip, (size_t)(n - skip));
    p->audio_samples += n - skip;
    return CF_OK;
}

static cf_err push_video(pass *p, const AVFrame *f, cf_error *err) {
    int64_t t = frame_ms(p, f, p->vstream);
    if (t < 0) return CF_OK; /* frames before the start or without time carry no position */
    video_frame_stats s;
    double at_ms = cf_media_time(&p->in, p->vstream, f->best_effort_timestamp) * 1000.0;
    cf_err rc = hl_video_analyzer_push(p->va, f, at_ms, &s, err);
    if (rc) {
        cf_error_prefix(err, "%s", p->path);
        return rc;
    }
    raw_hop *h = hop_at(p, (size_t)(t / CF_HL_HOP_MS));
    if (!h) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", p->path);
    note_end(p, (double)t + (f->pkt_duration > 0
                                 ? f->pkt_duration * av_q2d(p->fmt->streams[p->vstream]->time_base) * 1000.0
                                 : 0));
    h->frames++;
    h->motion_sum += s.motion;
    h->bright_sum += s.brightness;
    if (s.is_cut) {
        h->cuts++;
        if (s.cut_score > h->cut_max) h->cut_max = s.cut_score;
    }
    if (t > p->max_ms) p->max_ms = t;
    return CF_OK;
}

static void report(pass *p, int64_t t_ms) {
    if (t_ms > p->max_ms) p->max_ms = t_ms;
    double f = cf_media_progress(&p->in, (double)p->max_ms / 1000.0);
    if (f >= 0 && f - p->last_reported >= 0.01) {
        p->last_reported = f;
        /* the quiet recording's second look: at the end of the first, as it costs a fraction */
        if (p->audio_only) cf_progress_report(p->progress, 0.95, "analysing the quiet sound louder");
        else cf_progress_report(p->progress, f * 0.95, "analysing");
    }
}

/* Drains decoded frames from dec into the analyzers. */
static cf_err drain(pass *p, AVCodecContext *dec, int stream, cf_error *err) {
    for (;;) {
        int ret = avcodec_receive_frame(dec, p->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return CF_OK;
        if (ret < 0)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: decoding stream %d failed: %s", p->path,
                                stream, av_err2str(ret));
        cf_err rc = stream == p->astream ? push_audio(p, p->frame, err) : push_video(p, p->frame, err);
        if (rc == CF_OK && stream == p->astream) report(p, frame_ms(p, p->frame, stream));
        av_frame_unref(p->frame);
        if (rc) return rc;
        if (p->oom) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", p->path);
    }
}

static cf_err send(pass *p, AVCodecContext *dec, int stream, const AVPacket *pkt, cf_error *err) {
    int ret = avcodec_send_packet(dec, pkt);
    /* a damaged packet is skipped, as players do; the pass fails only when nothing decodes */
    if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF && ret != AVERROR_INVALIDDATA)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: decoding stream %d failed: %s", p->path, stream,
                            av_err2str(ret));
    return drain(p, dec, stream, err);
}

/* The audio analyzer's hops into the track, once it has analysed everything. */
static cf_err take_audio_hops(pass *p, cf_error *err) {
    audio_hop *hops = NULL;
    size_t n = 0;
    cf_err rc = hl_audio_worker_finish(p->aw, &hops, &n, err);
    for (size_t i = 0; rc == CF_OK && i < n; i++) {
        raw_hop *h = hop_at(p, i);
        if (!h) break;
        h->audio = true;
        h->a = hops[i];
    }
    free(hops);
    return rc;
}

static cf_err run_pass(pass *p, cf_error *err) {
    cf_err rc = CF_OK;
    int ret;
    double last_s = -1;
    while (rc == CF_OK && (ret = av_read_frame(p->fmt, p->pkt)) >= 0) {
        int s = p->pkt->stream_index;
        int64_t ts = p->pkt->pts != AV_NOPTS_VALUE ? p->pkt->pts : p->pkt->dts;
        if (ts != AV_NOPTS_VALUE && cf_media_time(&p->in, s, ts) > last_s)
            last_s = cf_media_time(&p->in, s, ts);
        if (s == p->astream) rc = send(p, p->adec, s, p->pkt, err);
        else if (s == p->vstream) rc = send(p, p->vdec, s, p->pkt, err);
        if (s == p->vstream && p->astream < 0 && p->pkt->pts != AV_NOPTS_VALUE)
            report(p, av_rescale_q(p->pkt->pts, p->fmt->streams[s]->time_base, (AVRational){1, 1000}) -
                          p->start_us / 1000);
        av_packet_unref(p->pkt);
        if (rc == CF_OK && cf_progress_cancelled(p->progress))
            rc = cf_error_set(err, CF_ERR_CANCELLED, "%s: analysis cancelled", p->path);
    }
    if (rc) return rc;
    if (ret != AVERROR_EOF && ret != AVERROR_INVALIDDATA)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: read failed: %s", p->path, av_err2str(ret));
    if ((rc = cf_media_check_complete(&p->in, last_s, p->path, err))) return rc;
    if (p->adec && (rc = send(p, p->adec, p->astream, NULL, err)) != CF_OK) return rc;
    if (p->vdec && (rc = send(p, p->vdec, p->vstream, NULL, err)) != CF_OK) return rc;
    if (p->aw) {
        if ((rc = push_audio(p, NULL, err)) != CF_OK) return rc; /* resampler tail */
        if ((rc = take_audio_hops(p, err)) != CF_OK) return rc;
    }
    if (p->oom) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", p->path);
    if (p->n_hops == 0)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: nothing could be decoded", p->path);
    return CF_OK;
}

/* A recording whose loudest 5 % of tenths of a second stay under QUIET_LUFS is analysed again
 * with its sound made louder, so that those reach LOUD_LUFS (at most MAX_GAIN_DB): the analysis
 * has absolute levels in it (silence, the onsets' and the flux's floors, the audio events'
 * silence by level), and a lecture recorded from the back of the room, or a 32-bit float
 * recorder's take with its headroom, was silence from end to end (no events, no highlights).
 * Recordings at any usual level are analysed once, as they are. */
#define QUIET_LUFS (-35.0)
#define LOUD_LUFS (-20.0)
#define MAX_GAIN_DB 40.0
#define NOTHING_LUFS (-75.0) /* under this, silence or a 16-bit recording's dither: nothing to hear */

/* The gain (dB) the pass's sound needs, 0 when it is loud enough (or has none). */
static double quiet_gain_db(const pass *p) {
    float *lufs = malloc((p->n_hops ? p->n_hops : 1) * sizeof *lufs);
    size_t n = 0;
    for (size_t i = 0; lufs && i < p->n_hops; i++)
        if (p->hops[i].audio) lufs[n++] = (float)cf_lufs_from_power(p->hops[i].a.kpower);
    double loud = n ? hl_curve_quantile(lufs, n, 0.95) : 0, gain = 0;
    if (n && loud < QUIET_LUFS && loud > NOTHING_LUFS) gain = fmin(LOUD_LUFS - loud, MAX_GAIN_DB);
    free(lufs);
    return gain;
}

/* Analyses first's sound again, gain_db louder, and puts its hops in first's place. */
static cf_err analyse_louder(pass *first, const cf_feature_options *o, double gain_db, cf_error *err) {
    pass p = {.path = first->path,
              .astream = -1,
              .vstream = -1,
              .progress = first->progress,
              .audio_only = true,
              .gain = (float)pow(10.0, gain_db / 20.0)};
    cf_err rc = pass_open(&p, o, err);
    if (rc == CF_OK) rc = run_pass(&p, err);
    for (size_t i = 0; rc == CF_OK && i < p.n_hops && i < first->n_hops; i++)
        if (p.hops[i].audio) first->hops[i].a = p.hops[i].a;
    pass_close(&p);
    return rc;
}

/* Names in t the streams of the open input that t leaves out. */
static void note_left_out(const cf_media_input *in, cf_feature_track *t) {
    AVBPrint bp;
    av_bprint_init_for_buffer(&bp, t->left_out, sizeof t->left_out);
    cf_media_note_left_out(in, t->has_video, t->has_audio, &bp);
}

static cf_err decode_track(const char *path, const cf_feature_options *o, const ev_model *events,
                           cf_progress *progress, cf_feature_track **out, cf_error *err) {
    double t0 = (cf_clock_ns() / 1e6);
    pass p = {.path = path, .astream = -1, .vstream = -1, .progress = progress, .gain = 1.0f};
    cf_err rc = pass_open(&p, o, err);
    if (rc == CF_OK) rc = run_pass(&p, err);
    double gain_db = rc == CF_OK ? quiet_gain_db(&p) : 0;
    if (gain_db > 0) {
        cf_log_info("detect", "%s: the sound is quiet: analysed %.0f dB louder", path, gain_db);
        rc = analyse_louder(&p, o, gain_db, err);
    }
    if (rc == CF_OK) {
        /* a header may understate the length (ASF with a hole, FLV without duration): the
         * track runs to the last frame decoded, the resampler's pad after it dropped */
        if (p.end_ms > p.duration_ms) p.duration_ms = p.end_ms;
        size_t n = p.n_hops;
        if ((size_t)((p.duration_ms + CF_HL_HOP_MS - 1) / CF_HL_HOP_MS) < n)
            n = (size_t)((p.duration_ms + CF_HL_HOP_MS - 1) / CF_HL_HOP_MS);
        feature_inputs in = {.n = n,
                             .has_audio = p.astream >= 0,
                             .has_video = p.vstream >= 0,
                             .events = events,
                             .keep_event_inputs = o && o->keep_event_inputs};
        in.audio = calloc(n, sizeof *in.audio);
        in.audio_ok = calloc(n, sizeof *in.audio_ok);
        in.video = calloc(n, sizeof *in.video);
        if (!in.audio || !in.audio_ok || !in.video) {
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
        } else {
            for (size_t i = 0; i < n; i++) {
                const raw_hop *h = &p.hops[i];
                in.audio[i] = h->a;
                in.audio_ok[i] = h->audio;
                in.video[i] = (video_hop){.frames = h->frames,
                                          .cuts = h->cuts,
                                          .cut_max = h->cut_max,
                                          .motion = h->frames ? (float)(h->motion_sum / h->frames) : 0,
                                          .brightness = h->frames ? (float)(h->bright_sum / h->frames) : 0};
            }
            rc = hl_features_finalize(&in, out, err);
            if (rc == CF_OK) note_left_out(&p.in, *out);
            if (rc == CF_OK) (*out)->gain_db = gain_db;
        }
        free(in.audio);
        free(in.audio_ok);
        free(in.video);
    }
    pass_close(&p);
    if (rc == CF_OK) {
        (*out)->decode_ms = (cf_clock_ns() / 1e6) - t0;
        int64_t d = (int64_t)(*out)->n_hops * CF_HL_HOP_MS;
        (*out)->duration_ms = p.duration_ms > 0 ? p.duration_ms : d;
    }
    return rc;
}

/* The audio-events model of models_dir; *m stays NULL when there is none (detection goes on
 * without events), a malformed one is an error. */
static cf_err events_model(const cf_feature_options *opts, ev_model **m, cf_error *err) {
    cf_hl_paths paths = {.models_dir = opts ? opts->models_dir : NULL};
    cf_error e;
    cf_err rc = hl_ev_model_load(hl_models_dir(&paths), m, &e);
    if (rc == CF_ERR_NOT_FOUND) return CF_OK;
    if (rc) *err = e;
    return rc;
}

cf_err cf_features_extract(const char *path, const cf_feature_options *opts, cf_progress *progress,
                           cf_feature_track **out, cf_error *err) {
    *out = NULL;
    if (!path || !*path) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "no input file given");
    path = cf_uri_local_path(path);
    ev_model *events = NULL;
    cf_err rc = events_model(opts, &events, err);
    if (rc) return rc;
    /* a caller's reader has no file identity */
    const char *dir =
        opts && opts->cache_dir && *opts->cache_dir && cf_feature_options_keepable(opts) && !opts->io
            ? opts->cache_dir
            : NULL;
    char *cache = dir ? cf_feature_cache_path(dir, path) : NULL;
    if (dir && !cache) {
        hl_ev_model_free(events);
        return cf_error_set(err, CF_ERR_NOT_FOUND, "%s: no such file", path);
    }
    if (cache && hl_feature_cache_load(cache, events ? hl_ev_model_version(events) : "", out) == CF_OK) {
        free(cache);
        hl_ev_model_free(events);
        cf_media_left_out_of(path, NULL, (*out)->has_video, (*out)->has_audio, (*out)->left_out,
                             sizeof(*out)->left_out);
        cf_progress_report(progress, 0.95, "cached");
        return CF_OK;
    }
    rc = decode_track(path, opts, events, progress, out, err);
    hl_ev_model_free(events);
    if (rc == CF_OK && cache) {
        cf_error ignored;
        /* a cache that cannot be written costs a decode next time, nothing more */
        (void)hl_feature_cache_store(cache, *out, &ignored);
    }
    free(cache);
    return rc;
}

bool cf_feature_options_keepable(const cf_feature_options *o) {
    /* a track of another audio stream than the default one is decoded every time rather than
     * mistaken for the default's */
    return !o || (!o->keep_event_inputs && !o->select.has_audio_stream && !o->select.has_video_stream);
}

void cf_feature_track_free(cf_feature_track *t) {
    if (!t) return;
    free(t->v);
    free(t->event_inputs);
    free(t);
}

static json_t *event_inputs_json(const cf_feature_track *t) {
    json_t *names = json_array(), *rows = json_array();
    for (size_t f = 0; f < t->n_event_inputs; f++)
        json_array_append_new(names, json_string(hl_ev_input_names[f]));
    for (size_t i = 0; i < t->n_hops; i++) {
        json_t *row = json_array();
        for (size_t f = 0; f < t->n_event_inputs; f++)
            json_array_append_new(row,
                                  json_real(round(t->event_inputs[i * t->n_event_inputs + f] * 1e4) / 1e4));
        json_array_append_new(rows, row);
    }
    return json_pack("{s:o, s:o}", "names", names, "rows", rows);
}

json_t *cf_feature_track_to_json(const cf_feature_track *t) {
    json_t *names = json_array(), *rows = json_array();
    for (int f = 0; f < CF_FEAT_COUNT; f++) json_array_append_new(names, json_string(feature_names[f]));
    for (size_t i = 0; i < t->n_hops; i++) {
        json_t *row = json_array();
        for (int f = 0; f < CF_FEAT_COUNT; f++)
            json_array_append_new(row, json_real(round(cf_feat(t, i, f) * 1e4) / 1e4));
        json_array_append_new(rows, row);
    }
    json_t *j =
        json_pack("{s:i, s:i, s:I, s:b, s:b, s:f, s:f, s:s, s:o, s:o}", "extractor_version",
                  cf_features_version(), "hop_ms", t->hop_ms, "duration_ms", (json_int_t)t->duration_ms,
                  "has_audio", t->has_audio, "has_video", t->has_video, "integrated_lufs", t->integrated_lufs,
                  "gain_db", t->gain_db, "events_model", t->events_model, "features", names, "rows", rows);
    if (j && t->event_inputs) json_object_set_new(j, "event_inputs", event_inputs_json(t));
    return j;
}

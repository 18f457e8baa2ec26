/* continuous.c — MPEG-TS files whose timestamps start again or jump ahead. Recordings joined end
 * to end (`cat a.ts b.ts`, a camcorder's .MTS files, a recorder restarted, two recordings of one
 * channel hours apart) hold two timelines in one file: the second part claims the first part's
 * times, or times hours later. FFmpeg states the file's length from its first and last
 * timestamps, so an 8 s file of two 4 s recordings was 4 s long to every pipeline (a clip past
 * 4 s was refused, detection and transcription laid the second part over the first, without a
 * word) or two hours long (a hole). Such a file is found by sampling its timestamps at evenly
 * spaced bytes, then copied once (packets, no decoding) to a temp file whose timestamps follow
 * on where each part ends, as the ffmpeg CLI reads MPEG-TS; every pipeline reads the copy. */
#include "continuous.h"

#include <inttypes.h>
#include <libavutil/time.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/fs.h"
#include "clipforge/log.h"

#define SAMPLES 32                 /* byte positions whose timestamps are read */
#define SAMPLE_PACKETS 4096        /* packets read at one position looking for the stream's */
#define BACK_US (1 * AV_TIME_BASE) /* a step back this large is a new timeline, not reordering */
/* A step forward this much past every stream's time is a new timeline, as the ffmpeg CLI reads
 * MPEG-TS (its dts_delta_threshold): a hole in a recording this long is closed up too. */
#define AHEAD_US (10 * AV_TIME_BASE)

static double time_at_byte(AVFormatContext *fmt, int index, int64_t pos, AVPacket *pkt) {
    if (avformat_seek_file(fmt, -1, pos, pos, pos, AVSEEK_FLAG_BYTE) < 0) return NAN;
    for (int n = 0; n < SAMPLE_PACKETS && av_read_frame(fmt, pkt) >= 0; n++) {
        int64_t ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
        bool hit = pkt->stream_index == index && ts != AV_NOPTS_VALUE;
        av_packet_unref(pkt);
        if (hit) return ts * av_q2d(fmt->streams[index]->time_base);
    }
    return NAN;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Whether the times sampled at evenly spaced bytes step back by more than BACK_US, or forward
 * by more than AHEAD_US past three times the usual step (bytes hold time unevenly; a file
 * flagged wrongly costs a copy, not its timing: the copy places packets by the rules of
 * follow_on). *at_s: the time before the step. */
static bool steps_apart(const double *t, int n, double *at_s) {
    double from[SAMPLES] = {0}, step[SAMPLES] = {0}, sorted[SAMPLES] = {0}, prev = NAN;
    int m = 0;
    for (int i = 0; i < n && i < SAMPLES; i++) {
        if (isnan(t[i])) continue;
        if (!isnan(prev)) from[m] = prev, step[m++] = t[i] - prev;
        prev = t[i];
    }
    memcpy(sorted, step, sizeof sorted);
    qsort(sorted, (size_t)m, sizeof *sorted, by_value);
    double usual = m ? fmax(sorted[m / 2], 0) : 0;
    for (int k = 0; k < m; k++)
        if (step[k] < -BACK_US / (double)AV_TIME_BASE ||
            step[k] > AHEAD_US / (double)AV_TIME_BASE + 3 * usual) {
            *at_s = from[k];
            return true;
        }
    return false;
}

bool cfmedia_restarts(cf_media_input *in, double *at_s) {
    AVFormatContext *fmt = in->fmt;
    int index = in->video_index >= 0 ? in->video_index : in->audio_index;
    if (!(fmt->iformat->flags & AVFMT_TS_DISCONT) || strcmp(fmt->iformat->name, "mpegts") || index < 0 ||
        !fmt->pb || !(fmt->pb->seekable & AVIO_SEEKABLE_NORMAL))
        return false;
    int64_t size = avio_size(fmt->pb);
    AVPacket *pkt = size > 0 ? av_packet_alloc() : NULL;
    if (!pkt) return false;
    double t[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) t[i] = time_at_byte(fmt, index, size / SAMPLES * i, pkt);
    av_packet_free(&pkt);
    /* back to the first byte, where the pipelines' first pass reads from */
    (void)avformat_seek_file(fmt, -1, 0, 0, 0, AVSEEK_FLAG_BYTE);
    bool found = steps_apart(t, SAMPLES, at_s);
    if (found) *at_s -= in->start_us / 1e6;
    return found;
}

/* Where each stream is on the continuous timeline (its time base, after the offset). */
typedef struct timeline {
    int64_t offset_us; /* added to every timestamp read: the sum of the restarts' steps */
    int64_t *last_dts, *next_dts;
    int64_t clock_us; /* the latest next_dts of any stream; AV_NOPTS_VALUE before the first */
    int restarts;
} timeline;

/* Whether a packet decoded at dts (after the offset) starts a new timeline: its stream steps back
 * by more than BACK_US, or it comes more than AHEAD_US after every stream's time (a stream that
 * alone jumps ahead, a slideshow's next picture, sound after a hole, is not one). */
static bool restarts_at(const timeline *tl, unsigned i, int64_t dts, AVRational tb) {
    if (tl->last_dts[i] == AV_NOPTS_VALUE) return false; /* a stream may start late */
    return dts < tl->last_dts[i] - av_rescale_q(BACK_US, AV_TIME_BASE_Q, tb) ||
           av_rescale_q(dts, tb, AV_TIME_BASE_Q) > tl->clock_us + AHEAD_US;
}

/* pkt: the first packet after the jump, shifted; step: what was added to its time. */
static void log_restart(const AVPacket *pkt, int64_t step, AVRational tb, double start_s) {
    cf_log_warn("media",
                "the timestamps jump %s %.3f s at byte %" PRId64 ": what follows is read from %.3f s on",
                step > 0 ? "back" : "ahead", fabs(step * av_q2d(tb)), pkt->pos,
                (pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts) * av_q2d(tb) - start_s);
}

/* Shifts pkt onto the continuous timeline: a new timeline (restarts_at) is placed where the
 * stream's last packet ended; every
 * stream takes the same offset, so the parts keep their own sound and picture in step. */
static void follow_on(timeline *tl, AVPacket *pkt, const AVStream *st, double start_s) {
    unsigned i = (unsigned)pkt->stream_index;
    AVRational tb = st->time_base;
    int64_t off = av_rescale_q(tl->offset_us, AV_TIME_BASE_Q, tb);
    bool restart = pkt->dts != AV_NOPTS_VALUE && restarts_at(tl, i, pkt->dts + off, tb);
    int64_t step = 0;
    if (restart) {
        step = tl->next_dts[i] - (pkt->dts + off);
        tl->offset_us += av_rescale_q(step, tb, AV_TIME_BASE_Q);
        off += step;
    }
    if (pkt->pts != AV_NOPTS_VALUE) pkt->pts += off;
    if (pkt->dts == AV_NOPTS_VALUE) return;
    pkt->dts += off;
    /* the streams' first packets of a part need not start where each one's last ended */
    int64_t bump =
        tl->last_dts[i] != AV_NOPTS_VALUE && pkt->dts <= tl->last_dts[i] ? tl->last_dts[i] + 1 - pkt->dts : 0;
    pkt->dts += bump;
    if (pkt->pts != AV_NOPTS_VALUE) pkt->pts += bump;
    if (restart && !tl->restarts++) log_restart(pkt, step, tb, start_s);
    tl->last_dts[i] = pkt->dts;
    tl->next_dts[i] = pkt->dts + (pkt->duration > 0 ? pkt->duration : 1);
    int64_t next_us = av_rescale_q(tl->next_dts[i], tb, AV_TIME_BASE_Q);
    if (tl->clock_us == AV_NOPTS_VALUE || next_us > tl->clock_us) tl->clock_us = next_us;
}

static int add_streams(AVFormatContext *oc, const AVFormatContext *fmt) {
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *ist = fmt->streams[i];
        AVStream *st = avformat_new_stream(oc, NULL);
        if (!st) return AVERROR(ENOMEM);
        int ret = avcodec_parameters_copy(st->codecpar, ist->codecpar);
        if (ret < 0) return ret;
        st->codecpar->codec_tag = 0;
        st->time_base = ist->time_base;
        st->id = ist->id; /* the same stream ids */
        st->disposition = ist->disposition;
        cf_media_keep_stream_tags(st, ist);
    }
    return 0;
}

static int copy_packets(AVFormatContext *fmt, AVFormatContext *oc, timeline *tl, double start_s) {
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? avformat_seek_file(fmt, -1, 0, 0, 0, AVSEEK_FLAG_BYTE) : AVERROR(ENOMEM);
    while (ret >= 0 && (ret = av_read_frame(fmt, pkt)) >= 0) {
        const AVStream *st = fmt->streams[pkt->stream_index];
        follow_on(tl, pkt, st, start_s);
        av_packet_rescale_ts(pkt, st->time_base, oc->streams[pkt->stream_index]->time_base);
        pkt->pos = -1;
        ret = av_interleaved_write_frame(oc, pkt);
    }
    av_packet_free(&pkt);
    return ret == AVERROR_EOF ? 0 : ret;
}

static int write_copy(cf_media_input *in, const char *out, timeline *tl) {
    AVFormatContext *oc = NULL;
    int ret = avformat_alloc_output_context2(&oc, NULL, "mpegts", out);
    if (ret >= 0) ret = add_streams(oc, in->fmt);
    if (ret >= 0) ret = avio_open(&oc->pb, out, AVIO_FLAG_WRITE);
    if (ret >= 0) ret = avformat_write_header(oc, NULL);
    if (ret >= 0) ret = copy_packets(in->fmt, oc, tl, in->start_us / 1e6);
    if (ret >= 0) ret = av_write_trailer(oc);
    if (oc) avio_closep(&oc->pb);
    avformat_free_context(oc);
    return ret;
}

cf_err cfmedia_continuous_copy(cf_media_input *in, const char *path, double at_s, char **dir, char **copy,
                               cf_error *err) {
    unsigned n = in->fmt->nb_streams;
    timeline tl = {.last_dts = malloc(n * sizeof *tl.last_dts),
                   .next_dts = malloc(n * sizeof *tl.next_dts),
                   .clock_us = AV_NOPTS_VALUE};
    cf_err rc = tl.last_dts && tl.next_dts ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    for (unsigned i = 0; !rc && i < n; i++) tl.last_dts[i] = tl.next_dts[i] = AV_NOPTS_VALUE;
    if (!rc) rc = cf_make_temp_dir(NULL, "cf-continuous-", dir, err);
    if (!rc && !(*copy = cf_path_join(*dir, "continuous.ts")))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!rc) {
        cf_log_info("media",
                    "%s: its timestamps jump after about %.1f s (recordings joined?): copying it to %s "
                    "with timestamps that follow on",
                    path, at_s, *copy);
        int64_t t0 = av_gettime_relative();
        int ret = write_copy(in, *copy, &tl);
        if (ret < 0)
            rc = cf_error_set(err, CF_ERR_INVALID_MEDIA,
                              "%s: its timestamps jump after about %.1f s (recordings joined?), and "
                              "a copy with timestamps that follow on could not be made: %s",
                              path, at_s, av_err2str(ret));
        else
            cf_log_info("media", "%s: %d jump(s) followed on in %.1f s", path, tl.restarts,
                        (av_gettime_relative() - t0) / 1e6);
    }
    free(tl.last_dts);
    free(tl.next_dts);
    return rc;
}

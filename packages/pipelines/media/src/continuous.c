/* continuous.c — MPEG-TS and MPEG-PS files whose timestamps start again or jump ahead. Recordings
 * joined end to end (`cat a.ts b.ts`, a camcorder's .MTS files, a recorder restarted, two recordings of one
 * channel hours apart) hold two timelines in one file: the second part claims the first part's
 * times, or times hours later. FFmpeg states the file's length from its first and last
 * timestamps, so an 8 s file of two 4 s recordings was 4 s long to every pipeline (a clip past
 * 4 s was refused, detection and transcription laid the second part over the first, without a
 * word) or two hours long (a hole). Such a file is found by sampling its timestamps at evenly
 * spaced bytes, then copied once (packets, no decoding) to a temp file whose timestamps follow
 * on where each part ends, as the ffmpeg CLI reads MPEG-TS; every pipeline reads the copy. MP4
 * files joined end to end (found by joined_files.c) are copied the same way, file after file. */
#include "continuous.h"

#include <inttypes.h>
#include <libavutil/time.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

#include "clipforge/encode.h"
#include "clipforge/fs.h"
#include "clipforge/log.h"
#include "joined_files.h"
#include "media_access.h"

#define SAMPLES 32                 /* byte positions whose timestamps are read */
#define SAMPLE_PACKETS 4096        /* packets read at one position looking for the stream's */
#define BACK_US (1 * AV_TIME_BASE) /* a step back this large is a new timeline, not reordering */
/* A step forward this much past every stream's time is a new timeline, as the ffmpeg CLI reads
 * MPEG-TS (its dts_delta_threshold): a hole in a recording this long is closed up too. */
#define AHEAD_US (10 * AV_TIME_BASE)

/* The time of stream index's first packet after byte pos (NAN when none comes within
 * SAMPLE_PACKETS); *other: a packet with a time of another stream of its kind came. */
static double time_at_byte(AVFormatContext *fmt, int index, int64_t pos, AVPacket *pkt, bool *other) {
    *other = false;
    if (avformat_seek_file(fmt, -1, pos, pos, pos, AVSEEK_FLAG_BYTE) < 0) return NAN;
    enum AVMediaType kind = fmt->streams[index]->codecpar->codec_type;
    for (int n = 0; n < SAMPLE_PACKETS && av_read_frame(fmt, pkt) >= 0; n++) {
        int64_t ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
        bool timed = ts != AV_NOPTS_VALUE, hit = timed && pkt->stream_index == index;
        *other |= timed && !hit && fmt->streams[pkt->stream_index]->codecpar->codec_type == kind;
        av_packet_unref(pkt);
        if (hit) return ts * av_q2d(fmt->streams[index]->time_base);
    }
    return NAN;
}

/* Whether b could carry a's stream on: the same kind and codec (a decoder is made for one). */
static bool same_kind(const AVStream *a, const AVStream *b) {
    return a->codecpar->codec_type == b->codecpar->codec_type &&
           a->codecpar->codec_id == b->codecpar->codec_id;
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
    bool mpeg = !strcmp(fmt->iformat->name, "mpegts") || !strcmp(fmt->iformat->name, "mpeg"); /* TS, PS */
    if (!(fmt->iformat->flags & AVFMT_TS_DISCONT) || !mpeg || index < 0 || !fmt->pb ||
        !(fmt->pb->seekable & AVIO_SEEKABLE_NORMAL))
        return false;
    int64_t size = avio_size(fmt->pb);
    AVPacket *pkt = size > 0 ? av_packet_alloc() : NULL;
    if (!pkt) return false;
    double t[SAMPLES], before = NAN;
    bool gone = false; /* the stream stops where another of its kind goes on: another recording's */
    for (int i = 0; i < SAMPLES; i++) {
        bool other;
        t[i] = time_at_byte(fmt, index, size / SAMPLES * i, pkt, &other);
        if (!gone && isnan(t[i]) && other) gone = true;
        if (!gone && !isnan(t[i])) before = t[i];
    }
    av_packet_free(&pkt);
    /* back to the first byte, where the pipelines' first pass reads from */
    (void)avformat_seek_file(fmt, -1, 0, 0, 0, AVSEEK_FLAG_BYTE);
    bool found = steps_apart(t, SAMPLES, at_s);
    if (!found && gone) *at_s = isnan(before) ? in->start_us / 1e6 : before;
    if (found || gone) *at_s -= in->start_us / 1e6;
    return found || gone;
}

/* Where each stream is on the continuous timeline (its time base, after the offset). */
typedef struct timeline {
    int64_t offset_us; /* added to every timestamp read: the sum of the restarts' steps */
    int64_t *last_dts, *next_dts;
    int64_t clock_us; /* where the last shown packet of any stream ends; AV_NOPTS_VALUE before the first */
    int restarts;
    bool new_part;         /* the next packet is the first of another file (MP4 or FLV files joined) */
    int64_t part_start_us; /* that file's start time (AV_NOPTS_VALUE: unknown) */
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
 * last packet of any stream ended, as the recording it starts came after the whole of the one
 * before (placed where its own stream ended, a recording whose sound stops before its picture had
 * the next one's picture laid over its last pictures); every stream takes the same offset, so
 * the parts keep their own sound and picture in step. */
static void follow_on(timeline *tl, AVPacket *pkt, const AVStream *st, double start_s) {
    unsigned i = (unsigned)pkt->stream_index;
    AVRational tb = st->time_base;
    int64_t off = av_rescale_q(tl->offset_us, AV_TIME_BASE_Q, tb);
    bool restart = pkt->dts != AV_NOPTS_VALUE && (tl->new_part || restarts_at(tl, i, pkt->dts + off, tb));
    bool logged = !tl->new_part; /* a file's start is logged as a file's */
    if (pkt->dts != AV_NOPTS_VALUE) tl->new_part = false;
    int64_t step = 0;
    if (restart && !logged && tl->part_start_us != AV_NOPTS_VALUE) {
        /* a file: its start (its first sound or picture shown, past an edit list's lead-in) where
         * the one before ended, not its first packet, which may be decoded well before it */
        int64_t was = off;
        tl->offset_us = tl->clock_us - tl->part_start_us;
        off = av_rescale_q_rnd(tl->offset_us, AV_TIME_BASE_Q, tb, AV_ROUND_UP);
        step = off - was;
    } else if (restart) {
        int64_t clock = av_rescale_q_rnd(tl->clock_us, AV_TIME_BASE_Q, tb, AV_ROUND_UP);
        step = FFMAX(tl->next_dts[i], clock) - (pkt->dts + off);
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
    if (restart && !tl->restarts++ && logged) log_restart(pkt, step, tb, start_s);
    tl->last_dts[i] = pkt->dts;
    int64_t length = pkt->duration > 0 ? pkt->duration : 1;
    tl->next_dts[i] = pkt->dts + length;
    /* where the packet's picture or sound stops being shown: a picture is shown after it is
     * decoded (its pts); a frame of sound is all of its samples, as the copy cannot keep an MP4
     * edit list's cut of the last one (the next file's sound laid over them came 18 ms late) */
    const AVCodecParameters *par = st->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_AUDIO && par->frame_size > 0 && par->sample_rate > 0)
        length = FFMAX(length, av_rescale_q(par->frame_size, (AVRational){1, par->sample_rate}, tb));
    int64_t end_us = av_rescale_q(FFMAX(pkt->pts, pkt->dts) + length, tb, AV_TIME_BASE_Q);
    if (tl->clock_us == AV_NOPTS_VALUE || end_us > tl->clock_us) tl->clock_us = end_us;
}

#define LATE_MAX 64 /* packets of a recording's streams read after the next recording began */

/* How the copy takes the source's streams: route[i], the stream whose place stream i takes (i
 * itself when none); next[i], the stream that carries stream i on (-1: none); out[i], the copy's
 * stream. late: packets read after the stream that carries theirs on began (MPEG-TS hands out a
 * stream's last packet when that stream's next one starts, which for a recording followed by one
 * with other stream ids is at the end of the file), written before it; tl, where each stream is
 * on the copy's timeline. */
typedef struct parts {
    int *route, *next, *out;
    AVPacket *late[LATE_MAX];
    bool late_written[LATE_MAX];
    int n_late;
    int64_t *first, *last; /* each stream's first and last packet's bytes */
    timeline tl;
    cf_progress *progress; /* whose cancel flag the reads poll */
    unsigned reads;
} parts;

/* av_read_frame, or AVERROR_EXIT once the run is cancelled (looked at every 256 packets: a
 * multi-GB file is copied in tens of seconds, and a job cancelled meanwhile waited for it). */
static int read_packet(AVFormatContext *fmt, parts *pt, AVPacket *pkt) {
    if (!(++pt->reads & 255) && cf_progress_cancelled(pt->progress)) return AVERROR_EXIT;
    return av_read_frame(fmt, pkt);
}

/* Reads the whole file: where each stream's packets are, and the packets that come after a
 * stream of their kind that starts past them (candidates for late). */
static int survey(AVFormatContext *fmt, parts *pt) {
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? avformat_seek_file(fmt, -1, 0, 0, 0, AVSEEK_FLAG_BYTE) : AVERROR(ENOMEM);
    int64_t k = 0;
    while (ret >= 0 && (ret = read_packet(fmt, pt, pkt)) >= 0) {
        unsigned i = (unsigned)pkt->stream_index;
        int64_t at = pkt->pos >= 0 ? pkt->pos : k; /* where it is in the file */
        k = at;
        bool late = false;
        for (unsigned j = 0; j < fmt->nb_streams; j++)
            late |= j != i && pt->first[j] > at && same_kind(fmt->streams[i], fmt->streams[j]);
        if (pt->first[i] < 0) pt->first[i] = at;
        if (at > pt->last[i]) pt->last[i] = at;
        if (late && pt->n_late < LATE_MAX) {
            pt->late[pt->n_late++] = pkt;
            if (!(pkt = av_packet_alloc())) ret = AVERROR(ENOMEM);
        } else {
            av_packet_unref(pkt);
        }
    }
    av_packet_free(&pkt);
    return ret == AVERROR_EOF ? 0 : ret;
}

/* The first stream after stream cur (a chosen one, or one that carries it on) of its kind and
 * codec, not chosen nor already carrying one on, whose first packet comes after cur's last; -1
 * when none. */
static int later_part(const AVFormatContext *fmt, const int chosen[2], int cur, const parts *pt) {
    int next = -1;
    for (unsigned j = 0; j < fmt->nb_streams; j++) {
        bool free_part = (int)j != chosen[0] && (int)j != chosen[1] && pt->route[j] == (int)j;
        if (free_part && pt->first[j] >= 0 && pt->first[j] > pt->last[cur] &&
            same_kind(fmt->streams[cur], fmt->streams[j]) && (next < 0 || pt->first[j] < pt->first[next]))
            next = (int)j;
    }
    return next;
}

/* A chosen stream is carried on by each stream of its kind and codec whose first packet comes
 * after the last one's (by their bytes): a recording joined after another with other stream ids. */
static void plan_routes(const AVFormatContext *fmt, const cf_media_input *in, parts *pt) {
    int chosen[2] = {in->video_index, in->audio_index};
    for (int c = 0; c < 2; c++)
        for (int cur = chosen[c]; cur >= 0;) {
            int next = later_part(fmt, chosen, cur, pt);
            pt->next[cur] = next;
            if (next >= 0) {
                pt->route[next] = chosen[c];
                const char *kind = av_get_media_type_string(fmt->streams[next]->codecpar->codec_type);
                cf_log_warn("media", "%s stream %d carries on %s stream %d: a recording joined after it",
                            kind, next, kind, chosen[c]);
            }
            cur = next;
        }
}

/* The copy's streams: the source's in their order, but for those that carry on another. */
static int add_streams(AVFormatContext *oc, const AVFormatContext *fmt, parts *pt) {
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        if (pt->route[i] != (int)i) continue;
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
        pt->out[i] = st->index;
    }
    for (unsigned i = 0; i < fmt->nb_streams; i++) pt->out[i] = pt->out[pt->route[i]];
    return 0;
}

/* Writes pkt, read from src, on the timeline of file's stream it carries on (src is file but for
 * the later files of MP4 or FLV files joined, whose streams are file's in its order). */
static int write_one(const AVFormatContext *src, const AVFormatContext *file, AVFormatContext *oc, parts *pt,
                     AVPacket *pkt, double start_s) {
    int i = pkt->stream_index, to = pt->route[i];
    const AVStream *st = file->streams[to];
    av_packet_rescale_ts(pkt, src->streams[i]->time_base, st->time_base);
    pkt->stream_index = to; /* on the timeline of the stream it carries on */
    follow_on(&pt->tl, pkt, st, start_s);
    pkt->stream_index = pt->out[to];
    av_packet_rescale_ts(pkt, st->time_base, oc->streams[pt->out[to]]->time_base);
    pkt->pos = -1;
    return cf_output_write(oc, pkt);
}

/* The late packet pkt is (already written, so not again), or -1. */
static int late_index(const parts *pt, const AVPacket *pkt) {
    for (int l = 0; l < pt->n_late; l++)
        if (pt->late[l]->stream_index == pkt->stream_index && pt->late[l]->pos == pkt->pos &&
            pt->late[l]->dts == pkt->dts && pt->late[l]->size == pkt->size)
            return l;
    return -1;
}

/* Before the first packet of stream j that carries another on: the other's late packets. */
static int write_late(AVFormatContext *fmt, AVFormatContext *oc, parts *pt, int j, double start_s) {
    int ret = 0;
    for (int l = 0; ret >= 0 && l < pt->n_late; l++) {
        int i = pt->late[l]->stream_index;
        if (pt->next[i] != j || pt->late_written[l] || pt->late[l]->pos >= pt->first[j]) continue;
        AVPacket *copy = av_packet_clone(pt->late[l]);
        ret = copy ? write_one(fmt, fmt, oc, pt, copy, start_s) : AVERROR(ENOMEM);
        pt->late_written[l] = true;
        av_packet_free(&copy);
    }
    return ret;
}

static int copy_packets(AVFormatContext *fmt, AVFormatContext *oc, parts *pt, double start_s) {
    AVPacket *pkt = av_packet_alloc();
    bool *begun = calloc(fmt->nb_streams, sizeof *begun);
    int ret = pkt && begun ? avformat_seek_file(fmt, -1, 0, 0, 0, AVSEEK_FLAG_BYTE) : AVERROR(ENOMEM);
    while (ret >= 0 && (ret = read_packet(fmt, pt, pkt)) >= 0) {
        int i = pkt->stream_index, l = late_index(pt, pkt);
        if (!begun[i] && pt->route[i] != i) ret = write_late(fmt, oc, pt, i, start_s);
        begun[i] = true;
        if (ret >= 0 && !(l >= 0 && pt->late_written[l])) ret = write_one(fmt, fmt, oc, pt, pkt, start_s);
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    free(begun);
    return ret == AVERROR_EOF ? 0 : ret;
}

/* Whether a stream could carry a chosen one on: another of its kind and codec. Without one the
 * copy is a single read of the file. */
static bool may_carry_on(const AVFormatContext *fmt, const cf_media_input *in) {
    int chosen[2] = {in->video_index, in->audio_index};
    for (int c = 0; c < 2; c++)
        for (unsigned j = 0; chosen[c] >= 0 && j < fmt->nb_streams; j++)
            if ((int)j != chosen[0] && (int)j != chosen[1] &&
                same_kind(fmt->streams[chosen[c]], fmt->streams[j]))
                return true;
    return false;
}

/* The copy's output, its streams those of in's file (parts of pt), opened and its header written. */
static int open_copy(const cf_media_input *in, const char *format, const char *out, parts *pt,
                     AVFormatContext **oc) {
    int ret = cf_output_alloc(oc, format, out);
    if (ret >= 0) ret = add_streams(*oc, in->fmt, pt);
    if (ret >= 0) ret = cf_output_open_file(*oc);
    if (ret >= 0) ret = avformat_write_header(*oc, NULL);
    return ret;
}

static int close_copy(AVFormatContext *oc, int ret) {
    if (ret >= 0) ret = av_write_trailer(oc);
    if (oc) avio_closep(&oc->pb);
    avformat_free_context(oc);
    return ret;
}

static int write_copy(cf_media_input *in, const char *out, parts *pt) {
    AVFormatContext *oc = NULL;
    int ret = may_carry_on(in->fmt, in) ? survey(in->fmt, pt) : 0;
    if (ret >= 0) plan_routes(in->fmt, in, pt);
    if (ret >= 0) ret = open_copy(in, "mpegts", out, pt, &oc);
    if (ret >= 0) ret = copy_packets(in->fmt, oc, pt, in->start_us / 1e6);
    return close_copy(oc, ret);
}

/* ---- MP4 or FLV files joined end to end ---------------------------------------------
 * Each file is read by a reader of its own over its bytes (FFmpeg's subfile protocol), its streams
 * taken as the first file's in their order (the same kinds and codecs, else CF_ERR_UNSUPPORTED:
 * they are not one recording), and placed after the file before it. */
#define MAX_FILES 64

/* The copy's format: MP4, whose edit list keeps the first file's start as it was (AAC's and MP3's
 * lead-in frame before 0; Matroska started the copy 33 ms earlier, and every media time moved),
 * when it holds every stream, else Matroska, which holds the rest ("mp4" or "matroska"). */
static const char *files_format(const AVFormatContext *file) {
    const AVOutputFormat *mp4 = av_guess_format("mp4", NULL, NULL);
    for (unsigned i = 0; mp4 && i < file->nb_streams; i++)
        if (avformat_query_codec(mp4, file->streams[i]->codecpar->codec_id, FF_COMPLIANCE_NORMAL) != 1)
            return "matroska";
    return mp4 ? "mp4" : "matroska";
}

static int open_file_part(const char *path, int64_t from, int64_t to, AVFormatContext **part) {
    char url[4200];
    int n = snprintf(url, sizeof url, "subfile,,start,%" PRId64 ",end,%" PRId64 ",,:file:%s", from, to, path);
    if (n < 0 || (size_t)n >= sizeof url) return AVERROR(ENAMETOOLONG);
    AVDictionary *opts = NULL;
    int ret = cfmedia_access_options(&opts, "subfile,file");
    if (ret >= 0) ret = avformat_open_input(part, url, NULL, &opts);
    av_dict_free(&opts);
    if (ret >= 0) ret = avformat_find_stream_info(*part, NULL);
    return ret;
}

static bool same_streams(const AVFormatContext *part, const AVFormatContext *file) {
    if (part->nb_streams != file->nb_streams) return false;
    for (unsigned i = 0; i < part->nb_streams; i++)
        if (!same_kind(part->streams[i], file->streams[i])) return false;
    return true;
}

static int copy_file_part(AVFormatContext *part, const AVFormatContext *file, AVFormatContext *oc, parts *pt,
                          double start_s) {
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? 0 : AVERROR(ENOMEM);
    bool later = pt->tl.clock_us != AV_NOPTS_VALUE; /* after the file before */
    pt->tl.new_part = later;
    pt->tl.part_start_us = part->start_time;
    while (ret >= 0 && (ret = read_packet(part, pt, pkt)) >= 0) {
        /* a later file's lead-in (AAC's priming frame, before its edit list's start): the copy
         * cannot say to drop its sound in the middle, and it came out as 23 ms of noise laid
         * over the end of the file before (the first file's stays: the copy's edit list) */
        if (!(later && (pkt->flags & AV_PKT_FLAG_DISCARD))) ret = write_one(part, file, oc, pt, pkt, start_s);
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    return ret == AVERROR_EOF ? 0 : ret;
}

/* Whether every file of the n starting at starts holds the first's streams (0), else
 * AVERROR_PATCHWELCOME or the error opening one: looked at before anything is copied. */
static int files_alike(const char *path, const AVFormatContext *file, const int64_t *starts, int n) {
    int ret = 0;
    for (int k = 1; ret >= 0 && k < n; k++) {
        AVFormatContext *part = NULL;
        ret = open_file_part(path, starts[k], starts[k + 1], &part);
        if (ret >= 0 && !same_streams(part, file)) ret = AVERROR_PATCHWELCOME;
        avformat_close_input(&part);
    }
    return ret;
}

/* The copy in format (files_format); AVERROR_PATCHWELCOME when a file's streams are not the first's. */
static int write_files_copy(cf_media_input *in, const char *path, const char *format, const char *out,
                            parts *pt) {
    int64_t starts[MAX_FILES + 1];
    int n = cfmedia_joined_files(path, in->fmt->iformat->name, starts, MAX_FILES);
    if (n < 2) return AVERROR_INVALIDDATA;
    starts[n] = cf_file_size(path);
    AVFormatContext *oc = NULL;
    int ret = files_alike(path, in->fmt, starts, n);
    if (ret >= 0) ret = open_copy(in, format, out, pt, &oc);
    for (int k = 0; ret >= 0 && k < n; k++) {
        AVFormatContext *part = NULL;
        ret = open_file_part(path, starts[k], starts[k + 1], &part); /* its streams: files_alike */
        if (ret >= 0 && k > 0)
            cf_log_warn("media",
                        "%s: file %d of %d joined end to end begins at byte %" PRId64
                        ": read after the one before, from %.3f s on",
                        path, k + 1, n, starts[k], (pt->tl.clock_us - in->start_us) / 1e6);
        if (ret >= 0) ret = copy_file_part(part, in->fmt, oc, pt, in->start_us / 1e6);
        avformat_close_input(&part);
    }
    return close_copy(oc, ret);
}

static void parts_free(parts *pt) {
    free(pt->route);
    free(pt->next);
    free(pt->out);
    free(pt->first);
    free(pt->last);
    free(pt->tl.last_dts);
    free(pt->tl.next_dts);
    for (int l = 0; l < pt->n_late; l++) av_packet_free(&pt->late[l]);
}

static bool parts_init(parts *pt, unsigned n) {
    memset(pt, 0, sizeof *pt);
    pt->route = malloc(n * sizeof *pt->route), pt->next = malloc(n * sizeof *pt->next);
    pt->out = malloc(n * sizeof *pt->out);
    pt->first = malloc(n * sizeof *pt->first), pt->last = malloc(n * sizeof *pt->last);
    pt->tl.last_dts = malloc(n * sizeof *pt->tl.last_dts),
    pt->tl.next_dts = malloc(n * sizeof *pt->tl.next_dts);
    pt->tl.clock_us = AV_NOPTS_VALUE;
    if (!pt->route || !pt->next || !pt->out || !pt->first || !pt->last || !pt->tl.last_dts ||
        !pt->tl.next_dts)
        return false;
    for (unsigned i = 0; i < n; i++) {
        pt->route[i] = (int)i, pt->next[i] = -1, pt->first[i] = pt->last[i] = -1;
        pt->tl.last_dts[i] = pt->tl.next_dts[i] = AV_NOPTS_VALUE;
    }
    return true;
}

static cf_err copy_failed(cf_media_input *in, const char *path, double at_s, int ret, cf_error *err) {
    bool files = in->second_file_at > 0;
    if (ret == AVERROR_EXIT)
        return cf_error_set(err, CF_ERR_CANCELLED, "%s: cancelled while copying it as one recording", path);
    if (files && ret == AVERROR_PATCHWELCOME)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "its files hold other streams, not one recording");
    if (files)
        return cf_error_set(err, CF_ERR_UNSUPPORTED,
                            "a copy of its files as one recording could not be made: %s", av_err2str(ret));
    return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                        "%s: its timestamps or streams change after about %.1f s (recordings "
                        "joined?), and a copy of it as one recording could not be made: %s",
                        path, at_s, av_err2str(ret));
}

static cf_err continuous_copy(cf_media_input *in, const char *path, double at_s, cf_progress *progress,
                              char **dir, char **copy, int chosen[2], cf_error *err) {
    parts pt;
    bool files = in->second_file_at > 0; /* MP4 or FLV files joined, else an MPEG-TS/PS file */
    cf_err rc =
        parts_init(&pt, in->fmt->nb_streams) ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    pt.progress = progress;
    if (!rc) rc = cf_make_temp_dir(NULL, "cf-continuous-", dir, err);
    const char *format = files ? files_format(in->fmt) : "mpegts";
    const char *name = !files ? "continuous.ts" : strcmp(format, "mp4") ? "continuous.mkv" : "continuous.mp4";
    if (!rc && !(*copy = cf_path_join(*dir, name))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!rc) {
        if (files)
            cf_log_info("media",
                        "%s: a second file begins at byte %" PRId64
                        " (files joined end to end?): copying them to %s as one recording",
                        path, in->second_file_at, *copy);
        else
            cf_log_info("media",
                        "%s: its timestamps or streams change after about %.1f s (recordings joined?): "
                        "copying it to %s as one recording",
                        path, at_s, *copy);
        int64_t t0 = av_gettime_relative();
        int ret = files ? write_files_copy(in, path, format, *copy, &pt) : write_copy(in, *copy, &pt);
        if (ret < 0) rc = copy_failed(in, path, at_s, ret, err);
        else
            cf_log_info("media", "%s: %d jump(s) followed on in %.1f s", path, pt.tl.restarts,
                        (av_gettime_relative() - t0) / 1e6);
        chosen[0] = in->video_index >= 0 ? pt.out[in->video_index] : -1;
        chosen[1] = in->audio_index >= 0 ? pt.out[in->audio_index] : -1;
    }
    parts_free(&pt);
    return rc;
}

/* ---- copies kept for the process ------------------------------------------------------------
 * An autoclip opens its source five times or more (detection, transcription, each short): each
 * opening made a copy of the whole file again. A copy is kept while it is read, and the last one
 * read after that (one file's worth of disk at most), for the next opening of the same file
 * (device, inode, size, modification time) with the same stream choice; the others are removed
 * when their last reader closes, all of this process's at its exit. */
typedef struct kept {
    struct stat id; /* st_ino 0: a reader's input, never matched */
    int video, audio, users;
    int chosen[2]; /* the copy's streams of the chosen video and audio */
    pid_t owner;
    char *dir, *path;
    struct kept *next;
} kept;

static pthread_mutex_t g_kept_lock = PTHREAD_MUTEX_INITIALIZER;
static kept *g_kept;

bool cfmedia_same_file(const struct stat *a, const struct stat *b) {
    return a->st_ino && a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void drop(kept *k) {
    (void)cf_remove_tree(k->dir, &(cf_error){0});
    free(k->dir);
    free(k->path);
    free(k);
}

static void drop_all_at_exit(void) {
    pthread_mutex_lock(&g_kept_lock);
    for (kept **p = &g_kept; *p;) {
        kept *k = *p;
        if (k->owner != getpid()) { /* a forked child's table: its parent's copies */
            p = &k->next;
            continue;
        }
        *p = k->next;
        drop(k);
    }
    pthread_mutex_unlock(&g_kept_lock);
}

static void register_drop_at_exit(void) {
    (void)atexit(drop_all_at_exit);
}

static kept *find_kept(const struct stat *id, int video, int audio) {
    for (kept *k = g_kept; k; k = k->next)
        if (cfmedia_same_file(&k->id, id) && k->video == video && k->audio == audio) return k;
    return NULL;
}

/* A new copy of in's file, kept (called with g_kept_lock held). */
static cf_err make_kept(cf_media_input *in, const char *path, double at_s, cf_progress *progress,
                        const struct stat *id, kept **out, cf_error *err) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    kept *k = calloc(1, sizeof *k);
    cf_err rc = k ? continuous_copy(in, path, at_s, progress, &k->dir, &k->path, k->chosen, err)
                  : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc) {
        if (k && k->dir) (void)cf_remove_tree(k->dir, &(cf_error){0});
        if (k) free(k->dir), free(k->path), free(k);
        return rc;
    }
    k->id = *id, k->video = in->video_index, k->audio = in->audio_index, k->owner = getpid();
    k->next = g_kept, g_kept = k;
    pthread_once(&once, register_drop_at_exit);
    *out = k;
    return CF_OK;
}

cf_err cfmedia_continuous_get(cf_media_input *in, const char *path, double at_s, cf_progress *progress,
                              char **copy, int chosen[2], cf_error *err) {
    struct stat id = {0};
    if (in->io || !in->path || stat(in->path, &id) < 0) memset(&id, 0, sizeof id);
    cf_err rc = CF_OK;
    pthread_mutex_lock(&g_kept_lock); /* held while copying: a second opening of the file waits */
    kept *k = find_kept(&id, in->video_index, in->audio_index);
    if (k) cf_log_info("media", "%s: read through the copy made as one recording before (%s)", path, k->path);
    else rc = make_kept(in, path, at_s, progress, &id, &k, err);
    if (!rc && k && !(*copy = strdup(k->path))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!rc && k) k->users++, chosen[0] = k->chosen[0], chosen[1] = k->chosen[1];
    pthread_mutex_unlock(&g_kept_lock);
    return rc;
}

void cfmedia_continuous_release(const char *copy) {
    if (!copy) return;
    pthread_mutex_lock(&g_kept_lock);
    kept *done = NULL;
    for (kept *k = g_kept; k; k = k->next)
        if (!strcmp(k->path, copy) && k->users > 0 && --k->users == 0) done = k;
    /* the one just released stays for the next opening; other unread ones go */
    for (kept **p = &g_kept; done && *p;) {
        kept *k = *p;
        if (k == done || k->users > 0) {
            p = &k->next;
            continue;
        }
        *p = k->next;
        drop(k);
    }
    pthread_mutex_unlock(&g_kept_lock);
}

/* stream_copy.c — the fast path of trim: no decoding, packets are copied with their timestamps
 * shifted so the clip starts at 0. The copy can only start on a keyframe: into MP4 the pictures
 * before the start are hidden by the file's edit list, into WebM they are shown. The end is exact when
 * it falls on a keyframe without leading pictures (or the end of the input); otherwise it is
 * cut in decode order, so with B-frames the last pictures may run a few frames past it (at a
 * keyframe of an open picture group, the keyframe and its leading pictures are copied: they are
 * shown before it, inside the clip). The display matrix is copied, so rotated video still plays
 * upright. */
#include "stream_copy.h"

#include <libavcodec/avcodec.h>
#include <libavutil/intreadwrite.h>
#include <math.h>
#include <string.h>

#include "clipforge/encode.h"
#include "clipforge/log.h"

cf_err cfclip_keyframe_before(cf_media_input *in, double at_s, double *out, bool *leading, cf_error *err) {
    *out = in->video_index < 0 && in->audio_index < 0 ? at_s : NAN;
    if (leading) *leading = false;
    /* without pictures, every packet of the sound is a place to start (a frame of AAC is 23 ms:
     * starting at the first one after at_s lost the sound before it) */
    bool sound = in->video_index < 0;
    if (sound && in->audio_index < 0) return CF_OK;
    AVStream *st = in->fmt->streams[sound ? in->audio_index : in->video_index];
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    int ret = cf_media_rewind(in, at_s);
    bool found = false, next_of_key = false, lead = false;
    /* The seek may land before the keyframe we want (always, for formats without an index):
     * keep the last keyframe at or before at_s. */
    while (ret >= 0 && (ret = av_read_frame(in->fmt, pkt)) >= 0) {
        bool ours = pkt->stream_index == st->index;
        bool key = ours && (sound || (pkt->flags & AV_PKT_FLAG_KEY)) && pkt->pts != AV_NOPTS_VALUE;
        double t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts * av_q2d(st->time_base) : NAN;
        av_packet_unref(pkt);
        if (!ours) continue;
        /* the picture decoded after a keyframe but shown before it: a leading picture of an
         * open picture group, decodable only from the group before */
        if (next_of_key && !key) lead = t < *out - 1e-6;
        next_of_key = false;
        if (!key) continue;
        if (found && t > at_s + 1e-6) break;
        *out = t;
        found = next_of_key = true;
        lead = false;
        if (t > at_s + 1e-6) break;
    }
    av_packet_free(&pkt);
    if (leading) *leading = lead;
    if (ret < 0 && ret != AVERROR_EOF)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "cannot read the input: %s", av_err2str(ret));
    return CF_OK;
}

const char *cfclip_x264_profile(int profile) {
    switch (profile) {
    case FF_PROFILE_H264_BASELINE:
    case FF_PROFILE_H264_CONSTRAINED_BASELINE: return "baseline";
    case FF_PROFILE_H264_MAIN: return "main";
    case FF_PROFILE_H264_HIGH: return "high";
    default: return NULL;
    }
}

const char *cfclip_pictures_unlike_encode(const cf_media_input *in) {
    if (in->video_index < 0) return NULL;
    const AVCodecParameters *par = in->fmt->streams[in->video_index]->codecpar;
    if (par->format != AV_PIX_FMT_YUV420P && par->format != AV_PIX_FMT_YUVJ420P)
        return "the source's pixel format is not 8-bit 4:2:0";
    if (cf_media_is_interlaced(in)) return "the source is interlaced";
    if (cf_media_is_hdr(in)) return "the source is HDR";
    if (par->codec_id == AV_CODEC_ID_H264 && !cfclip_x264_profile(par->profile))
        return "the source's H.264 profile is not Baseline, Main or High (8-bit 4:2:0)";
    if (par->codec_id == AV_CODEC_ID_HEVC && par->profile != FF_PROFILE_HEVC_MAIN)
        return "the source's HEVC profile is not Main (8-bit 4:2:0)";
    if (par->codec_id == AV_CODEC_ID_VP9 && par->profile > FF_PROFILE_VP9_0)
        return "the source's VP9 profile is not 0 (8-bit 4:2:0)";
    return NULL;
}

bool cfclip_copy_supported(const cf_media_input *in, cfclip_format format, bool use_audio) {
    if (format == CFCLIP_GIF) return false;
    const AVOutputFormat *of = av_guess_format(cfclip_format_name(format), NULL, NULL);
    if (!of) return false;
    int idx[2] = {in->video_index, use_audio ? in->audio_index : -1};
    for (int i = 0; i < 2; i++)
        if (idx[i] >= 0 &&
            avformat_query_codec(of, in->fmt->streams[idx[i]]->codecpar->codec_id, FF_COMPLIANCE_NORMAL) != 1)
            return false;
    return true;
}

typedef struct copy_map {
    AVStream *in, *out;
    bool video, started, done;
    int64_t written;    /* packets written */
    double last_s;      /* source time of the last packet seen */
    AVPacket *end_key;  /* the keyframe at or past the end, held until a picture says it is needed */
    double end_key_s;   /* when it is shown; NAN while none is held */
    double from_s;      /* sound: its packets from here on (before the start: pre-roll); NAN: as a rule */
    int64_t last_dts;   /* decode time of the last packet written (the source's time base) */
    int64_t overlapped; /* sound's packets dropped as they went back in time */
    double back_s;      /* pictures: where their times went back (source time) */
} copy_map;

/* A copy of pictures whose times go back (keep: a copy cannot drop a picture the next ones are
 * decoded from). */
#define COPY_WENT_BACK AVERROR(ERANGE)

enum { COPY_DROP, COPY_WRITE, COPY_HOLD };

/* HEVC from an hvc1 track (a phone's: its parameter sets in the sample entry alone) copied into
 * MP4 stays hvc1: FFmpeg's muxer tags it hev1 by default, which Apple's players (QuickTime,
 * Safari, iOS) do not play, so a copy of an iPhone's HEVC did not play where it was recorded.
 * Other HEVC (MPEG-TS, Matroska, hev1) may carry its parameter sets in the stream too, which
 * hvc1 forbids: it stays hev1. */
static int add_copy_stream(AVFormatContext *oc, AVStream *ist, cfclip_format format, copy_map *m) {
    m->in = ist;
    m->video = ist->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
    if (!(m->out = avformat_new_stream(oc, NULL))) return AVERROR(ENOMEM);
    int ret = avcodec_parameters_copy(m->out->codecpar, ist->codecpar);
    if (ret < 0) return ret;
    bool keep_hvc1 = format == CFCLIP_MP4 && ist->codecpar->codec_tag == CFCLIP_HVC1;
    m->out->codecpar->codec_tag = keep_hvc1 ? CFCLIP_HVC1 : 0;
    m->out->time_base = ist->time_base;
    cf_media_keep_stream_tags(m->out, ist);
    return cf_media_keep_display_matrix(m->out, ist);
}

/* After the keyframe at or past the end: the pictures decoded after it but shown before it (the
 * leading pictures of an open picture group) are inside the clip and are decoded from it, so they
 * are written, the keyframe first; the first picture shown after it ends the stream. */
static int after_end_key(copy_map *m, double pts) {
    if (pts < m->end_key_s - 1e-6) return COPY_WRITE;
    m->done = true;
    return COPY_DROP;
}

/* Decides what to do with a packet (COPY_DROP, COPY_WRITE, COPY_HOLD). Updates the stream's state. */
static int keep_packet(copy_map *m, const AVPacket *pkt, double origin_s, double end_s) {
    AVRational tb = m->in->time_base;
    int64_t ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
    if (ts == AV_NOPTS_VALUE || m->done) return COPY_DROP;
    double t = ts * av_q2d(tb);
    m->last_s = t;
    double pts = (pkt->pts != AV_NOPTS_VALUE ? pkt->pts : ts) * av_q2d(tb);
    if (!isnan(m->end_key_s)) return after_end_key(m, pts);
    /* A keyframe at or after the end starts a picture group the clip does not show, but for the
     * pictures an open group shows before it. */
    if (m->started && m->video && (pkt->flags & AV_PKT_FLAG_KEY) && pts >= end_s - 1e-6) {
        m->end_key_s = pts;
        return COPY_HOLD;
    }
    if (t >= end_s) {
        m->done = true;
        return COPY_DROP;
    }
    if (!m->started && !m->video && !isnan(m->from_s)) {
        if (pts < m->from_s - 1e-6) return COPY_DROP;
        m->started = true;
    }
    if (!m->started) {
        /* the sound's frame that plays across the start is kept (it starts before the clip,
         * which the muxer's edit list hides): without it the sound began up to a frame late. A
         * frame of unknown length (a browser's fragmented MP4 states none) is kept from the start
         * on: the first frame of such a file, at the start, was dropped. */
        bool before = pkt->duration > 0 ? pts + (double)pkt->duration * av_q2d(tb) <= origin_s + 1e-6
                                        : pts < origin_s - 1e-6;
        if (m->video ? !(pkt->flags & AV_PKT_FLAG_KEY) || pts < origin_s - 1e-6 : before) return COPY_DROP;
        m->started = true;
    }
    /* the first keyframe's leading pictures (an open picture group): shown before the clip,
     * and decodable only from the group before it */
    return !m->video || pts >= origin_s - 1e-6 ? COPY_WRITE : COPY_DROP;
}

/* Writes a packet of the source with its time shifted so that zero_s is at 0. */
static int write_copied(AVFormatContext *oc, const copy_map *m, AVPacket *pkt, double zero_s) {
    int64_t shift = av_rescale_q(llround(zero_s * AV_TIME_BASE), AV_TIME_BASE_Q, m->in->time_base);
    if (pkt->pts != AV_NOPTS_VALUE) pkt->pts -= shift;
    if (pkt->dts != AV_NOPTS_VALUE) pkt->dts -= shift;
    av_packet_rescale_ts(pkt, m->in->time_base, m->out->time_base);
    pkt->stream_index = m->out->index;
    pkt->pos = -1;
    return cf_output_write(oc, pkt);
}

/* Joined recordings (segments of a stream cat'ed together) often overlap at a joint by a frame
 * or two: the packets there go back in decode time, which a muxer refuses ("Invalid argument").
 * The sound's are dropped, as the decoding paths hear the overlap once; the pictures' cannot be. */
static bool goes_back(copy_map *m, const AVPacket *pkt) {
    if (!m->written || pkt->dts == AV_NOPTS_VALUE || pkt->dts > m->last_dts) return false;
    if (m->video) m->back_s = pkt->dts * av_q2d(m->in->time_base);
    else m->overlapped++;
    return true;
}

static int keep(AVFormatContext *oc, copy_map *m, AVPacket *pkt, double zero_s, int what) {
    if (what == COPY_HOLD) {
        if (!m->end_key && !(m->end_key = av_packet_alloc())) return AVERROR(ENOMEM);
        return av_packet_ref(m->end_key, pkt);
    }
    if (goes_back(m, pkt)) return m->video ? COPY_WENT_BACK : 0;
    if (pkt->dts != AV_NOPTS_VALUE) m->last_dts = pkt->dts;
    int ret = 0;
    m->written++;
    if (m->end_key && m->end_key->data) ret = write_copied(oc, m, m->end_key, zero_s);
    if (m->end_key) av_packet_unref(m->end_key);
    return ret < 0 ? ret : write_copied(oc, m, pkt, zero_s);
}

/* Copies the packets from the keyframe at origin_s to end_s, the source time zero_s at 0. */
static int copy_loop(cf_media_input *in, AVFormatContext *oc, copy_map *maps, int n, double origin_s,
                     double zero_s, double end_s, cf_progress *p) {
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? 0 : AVERROR(ENOMEM);
    while (ret >= 0) {
        bool all_done = true;
        for (int i = 0; i < n; i++) all_done &= maps[i].done;
        if (all_done) break;
        if (cf_progress_cancelled(p)) {
            ret = AVERROR_EXIT;
            break;
        }
        if ((ret = cf_media_read(in, pkt)) < 0) break;
        copy_map *m = NULL;
        for (int i = 0; i < n; i++)
            if (maps[i].in->index == pkt->stream_index) m = &maps[i];
        int what = m ? keep_packet(m, pkt, origin_s, end_s) : COPY_DROP;
        if (what != COPY_DROP) {
            double t = pkt->dts != AV_NOPTS_VALUE ? pkt->dts * av_q2d(m->in->time_base) : origin_s;
            ret = keep(oc, m, pkt, zero_s, what);
            if (end_s > origin_s) cf_progress_report(p, (t - origin_s) / (end_s - origin_s), "copy");
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    return ret == AVERROR_EOF || ret == AVERROR_INVALIDDATA ? 0 : ret;
}

/* A stream cut short by a truncated or damaged file (cf_media_cut_short) before the end asked for. */
static const copy_map *ended_early(const cf_media_input *in, const copy_map *maps, int n, double end_s) {
    for (int i = 0; i < n; i++) {
        bool own;
        double stated = cf_media_stated_end(in, maps[i].in->index, &own);
        double want = end_s < stated ? end_s : stated;
        if (!maps[i].done && stated > 0 && cf_media_cut_short(in, own, maps[i].last_s, maps[i].last_s, want))
            return &maps[i];
    }
    return NULL;
}

static const copy_map *nothing_written(const copy_map *maps, int n) {
    for (int i = 0; i < n; i++)
        if (!maps[i].written) return &maps[i];
    return NULL;
}

/* Opus copied from inside the stream: its decoder starts converged only after 80 ms of sound
 * (RFC 7845's pre-roll), and it drops the stream's pre-skip from the first packet it gets.
 * Started at the clip's first packet, the copy's first 80 ms were wrong (the first 10 ms silent,
 * 66 % of the signal's level in error at 10-40 ms, 27 % at 40-80 ms). The copy starts at the
 * packet that starts 80 ms or more before, and says that that much is to be dropped (into WebM
 * CodecDelay and the OpusHead's pre-skip, into MP4 the edit list): the decoder converges on sound
 * no one hears. */
#define OPUS_PREROLL_S 0.08

/* Source time of the sound's packet that starts at or before at_s (its first packet when none
 * does; NAN when that is not before the start, origin_s); leaves the read position anywhere. */
static double sound_from(cf_media_input *in, double at_s, double origin_s) {
    AVPacket *pkt = av_packet_alloc();
    double found = NAN;
    const AVStream *st = in->fmt->streams[in->audio_index];
    if (!pkt || cf_media_rewind(in, at_s) < 0) {
        av_packet_free(&pkt);
        return NAN;
    }
    for (int n = 0; n < 10000 && cf_media_read(in, pkt) >= 0; n++) {
        double t = pkt->pts != AV_NOPTS_VALUE ? (double)pkt->pts * av_q2d(st->time_base) : NAN;
        bool sound = pkt->stream_index == st->index && !isnan(t);
        av_packet_unref(pkt);
        if (!sound) continue;
        if (t > at_s + 1e-6 && !isnan(found)) break;
        found = t;
        if (t > at_s + 1e-6) break;
    }
    av_packet_free(&pkt);
    return found < origin_s - 1e-6 ? found : NAN;
}

/* Sets the copied sound of m, when it is Opus, to start by its pre-roll before zero_s (where the
 * copy is shown from) when that is before the copy's first picture at origin_s and there is sound
 * there. Into WebM its delay then covers the pre-roll; into MP4 its edit list does. */
static void preroll_sound(cf_media_input *in, cfclip_format format, copy_map *m, double origin_s,
                          double zero_s) {
    AVCodecParameters *par = m->out->codecpar;
    m->from_s = NAN;
    if (par->codec_id != AV_CODEC_ID_OPUS) return;
    double from = sound_from(in, zero_s - OPUS_PREROLL_S, origin_s);
    if (isnan(from)) return;
    m->from_s = from;
    if (cfclip_copy_hides_lead_in(format)) return;
    par->initial_padding = (int)lround((origin_s - from) * 48000.0);
    if (par->extradata_size >= 19 && !memcmp(par->extradata, "OpusHead", 8))
        AV_WL16(par->extradata + 10, (unsigned)par->initial_padding);
}

/* Source time of the picture on screen at at_s: the latest picture from the keyframe at origin_s
 * on that is shown at or before it (NAN when none is read). Leaves the read position anywhere. */
static double picture_at(cf_media_input *in, double origin_s, double at_s) {
    AVPacket *pkt = av_packet_alloc();
    const AVStream *st = in->fmt->streams[in->video_index];
    double found = NAN;
    if (!pkt || cf_media_rewind(in, origin_s) < 0) {
        av_packet_free(&pkt);
        return NAN;
    }
    /* a picture is shown no sooner than it is decoded: past a packet decoded after at_s, none
     * to come is shown at or before it */
    while (cf_media_read(in, pkt) >= 0) {
        bool ours = pkt->stream_index == st->index && pkt->pts != AV_NOPTS_VALUE;
        double pts = ours ? (double)pkt->pts * av_q2d(st->time_base) : NAN;
        double dts = ours && pkt->dts != AV_NOPTS_VALUE ? (double)pkt->dts * av_q2d(st->time_base) : pts;
        av_packet_unref(pkt);
        if (!ours) continue;
        if (dts > at_s + 1e-6) break;
        if (pts >= origin_s - 1e-6 && pts <= at_s + 1e-6 && !(pts <= found)) found = pts;
    }
    av_packet_free(&pkt);
    return found;
}

/* An MP4 says where its tracks are shown from (an edit list: the muxer writes one for a track
 * that starts before 0). Copied into it with the start at 0, the keyframe and the pictures and
 * sound from it to the start are at negative times: they are in the file (the start's picture is
 * decoded from them) and players show it from the start, as the ffmpeg CLI's `-ss` copy does. A
 * player that ignores edit lists shows them, the sound with its pictures. Matroska has no such
 * list: its copy starts at the keyframe. */
bool cfclip_copy_hides_lead_in(cfclip_format format) {
    return format == CFCLIP_MP4;
}

cf_err cfclip_stream_copy(cf_media_input *in, cfclip_format format, bool use_audio, double start_s,
                          double end_s, const char *path, double *started_s, cf_progress *p, cf_error *err) {
    AVFormatContext *oc = NULL;
    copy_map maps[2];
    int n = 0, ret;
    double origin_s = start_s;
    memset(maps, 0, sizeof maps);
    maps[0].end_key_s = maps[1].end_key_s = NAN;
    maps[0].from_s = maps[1].from_s = NAN;
    cf_err rc = cfclip_keyframe_before(in, start_s, &origin_s, NULL, err);
    if (rc) return rc;
    /* No keyframe at or before the start (none read, or the pictures begin after it): the copy
     * starts at the start, the sound with it and the pictures at their first keyframe, as in the
     * source; starting both at that keyframe lost the sound before it. */
    if (isnan(origin_s) || origin_s > start_s) origin_s = start_s;
    /* hidden, the lead-in ends where a picture begins: FFmpeg's reader (and so Chromium's) shows
     * the first picture after a start inside a picture at that start, the pictures early (a
     * copy from 1.5 s of 25 fps video had its pictures 20 ms before its sound) */
    double zero_s = origin_s;
    if (cfclip_copy_hides_lead_in(format))
        zero_s = in->video_index < 0 ? start_s : picture_at(in, origin_s, start_s);
    if (isnan(zero_s)) zero_s = origin_s;
    if (started_s) *started_s = zero_s;
    if ((ret = cf_output_alloc(&oc, cfclip_format_name(format), path)) < 0) goto end;
    cf_media_keep_tags(oc, in->fmt);
    int idx[2] = {in->video_index, use_audio ? in->audio_index : -1};
    for (int i = 0; i < 2; i++)
        if (idx[i] >= 0 && (ret = add_copy_stream(oc, in->fmt->streams[idx[i]], format, &maps[n++])) < 0)
            goto end;
    double read_from = origin_s;
    if (use_audio && in->audio_index >= 0) {
        preroll_sound(in, format, &maps[n - 1], origin_s, zero_s);
        if (!isnan(maps[n - 1].from_s)) read_from = maps[n - 1].from_s;
    }
    if ((ret = cf_output_open_file(oc)) < 0) goto end;
    AVDictionary *opts = NULL;
    if (format == CFCLIP_MP4) av_dict_set(&opts, "movflags", "+faststart", 0);
    ret = avformat_write_header(oc, &opts);
    av_dict_free(&opts);
    if (ret < 0) goto end;
    if ((ret = cf_media_rewind(in, read_from)) < 0) goto end;
    if ((ret = copy_loop(in, oc, maps, n, origin_s, zero_s, end_s, p)) < 0) goto end;
    for (int i = 0; i < n; i++)
        if (maps[i].overlapped)
            cf_log_info("clip",
                        "stream copy: audio stream %d: %lld packets that went back in time (joined "
                        "recordings) dropped",
                        maps[i].in->index, (long long)maps[i].overlapped);
    const copy_map *empty = nothing_written(maps, n), *early = ended_early(in, maps, n, end_s);
    if (empty) /* the decoding path leaves such a stream out and says why */
        rc = cf_error_set(err, CF_ERR_INVALID_MEDIA, "stream copy: stream %d has nothing in the range",
                          empty->in->index);
    else if (early)
        rc = cf_error_set(err, CF_ERR_INVALID_MEDIA,
                          "stream copy: the input stops at %.3f s, before the %.3f s asked for: "
                          "the file is truncated or damaged",
                          early->last_s, end_s);
    if (rc) goto end;
    ret = av_write_trailer(oc);
end:
    for (int i = 0; i < n; i++) av_packet_free(&maps[i].end_key);
    if (oc) {
        avio_closep(&oc->pb);
        avformat_free_context(oc);
    }
    if (rc) return rc;
    if (ret == AVERROR_EXIT) return cf_error_set(err, CF_ERR_CANCELLED, "stream copy: cancelled");
    for (int i = 0; ret == COPY_WENT_BACK && i < n; i++)
        if (maps[i].video)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                                "stream copy: the pictures' times go back at %.3f s (joined recordings or "
                                "a damaged file): a copy cannot keep them; trim mode accurate or smart "
                                "makes that stretch again",
                                maps[i].back_s - in->start_us / 1e6);
    if (ret < 0)
        return cf_error_set(err, cf_av_code(ret, CF_ERR_PROCESSING), "stream copy to %s: %s", path,
                            av_err2str(ret));
    return CF_OK;
}

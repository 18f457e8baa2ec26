/* decode_driver.c — reads packets, decodes them, pushes frames through each lane's filter graph
 * and hands filtered frames to the lane's consumer. EAGAIN and EOF are flow, not failure.
 * Cancellation is checked between packets: a packet takes milliseconds to decode, so a request
 * to stop is honoured well within a second. */
#include "decode_driver.h"

#include "clipforge/log.h"

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <math.h>

void cfclip_lane_free(cfclip_lane *lane) {
    if (!lane) return;
    avcodec_free_context(&lane->dec);
    av_frame_free(&lane->held);
    cf_media_fitter_free(&lane->fit);
    cfclip_graph_free(&lane->graph);
}

/* Hands everything the graph has ready to the consumer; at_eof drains the end. */
static int pull(cfclip_lane *lane, AVFrame *frame) {
    while (!lane->output_done) {
        int ret = av_buffersink_get_frame(lane->graph.sink, frame);
        if (ret == AVERROR(EAGAIN)) return 0;
        if (ret == AVERROR_EOF) {
            lane->output_done = true;
            ret = lane->consume(lane->ctx, lane, NULL);
            return ret < 0 ? ret : 0;
        }
        if (ret < 0) return ret;
        ret = lane->consume(lane->ctx, lane, frame);
        av_frame_unref(frame);
        if (ret == CFCLIP_LANE_DONE) {
            lane->output_done = lane->input_done = true;
            return 0;
        }
        if (ret < 0) return ret;
    }
    return 0;
}

static int close_input(cfclip_lane *lane, AVFrame *frame) {
    lane->input_done = true;
    int ret = av_buffersrc_add_frame_flags(lane->graph.src[0], NULL, 0);
    if (ret < 0 && ret != AVERROR_EOF) return ret;
    return pull(lane, frame);
}

/* The picture has a hole that runs past the span's end (the stream goes on after it, as in
 * some ASF files): the last picture stays on screen to the end, as in a player, instead of the
 * clip's video stopping early. It is fed again one frame interval before the end. */
static int hold_last(cfclip_lane *lane, AVRational tb) {
    if (!lane->held || !lane->held->buf[0]) return 0;
    /* the stream's base rate: the gaps of a variable-rate stream say nothing about it */
    const AVStream *st = lane->in->fmt->streams[lane->index];
    AVRational fr =
        st->r_frame_rate.num > 0 && st->r_frame_rate.den > 0 ? st->r_frame_rate : st->avg_frame_rate;
    double step = fr.num > 0 && fr.den > 0 ? av_q2d(av_inv_q(fr)) : 0.04;
    if (!(step > 0.001 && step < 0.25)) step = 0.04;
    /* a gap the muxer covers by lengthening the last frame (up to twice the latest frame
     * interval, see transcode.c) needs no extra picture: a variable-rate clip keeps its frames */
    double reach = 2 * fmax(step, lane->last_s - lane->prev_s);
    if (lane->end_s - lane->last_s <= reach) return 0;
    double at = lane->end_s - step;
    lane->held->pts = llrint(at / av_q2d(tb));
    return av_buffersrc_add_frame_flags(lane->graph.src[0], lane->held, 0);
}

/* The span starts between two pictures far apart (CF_MEDIA_START_GAP_S): the one on screen at
 * the start is fed again at the start, as a player shows it. Called with the first picture at
 * or after the start, before it is kept; the held one is the picture before it. */
static int fill_start(cfclip_lane *lane, double t, AVRational tb) {
    double from = lane->fill_from_s;
    lane->fill_from_s = -1;
    if (!lane->held || !lane->held->buf[0] || t <= from + CF_MEDIA_START_GAP_S) return 0;
    lane->held->pts = llrint(from / av_q2d(tb));
    return av_buffersrc_add_frame_flags(lane->graph.src[0], lane->held, AV_BUFFERSRC_FLAG_KEEP_REF);
}

/* Keeps a reference to the picture just fed (a reference, not a copy). */
static int keep(cfclip_lane *lane, const AVFrame *frame) {
    if (lane->dec->codec_type != AVMEDIA_TYPE_VIDEO) return 0;
    if (!lane->held && !(lane->held = av_frame_alloc())) return AVERROR(ENOMEM);
    av_frame_unref(lane->held);
    return av_frame_ref(lane->held, frame);
}

static int feed(cfclip_lane *lane, AVFrame *frame, AVFrame *filtered) {
    int64_t pts = frame->best_effort_timestamp;
    frame->pts = pts;
    AVRational tb = lane->dec->pkt_timebase;
    /* A picture at or before the last one (two files joined: the decoder may give one of the
     * first file after one of the second) would reach the muxer out of order, which refuses
     * the whole clip; it is dropped, as a player would skip it. Audio is placed by aresample. */
    if (lane->dec->codec_type == AVMEDIA_TYPE_VIDEO && lane->frames && pts != AV_NOPTS_VALUE &&
        pts * av_q2d(tb) <= lane->last_s && !cf_media_went_back(lane->in, lane->last_s, pts * av_q2d(tb))) {
        cf_log_debug("clip", "video stream %d: a picture at %.3f s after one at %.3f s: dropped", lane->index,
                     pts * av_q2d(tb), lane->last_s);
        av_frame_unref(frame);
        return 0;
    }
    /* the graph and the encoder keep the first size, and the sound they were built for (a
     * change logged at its media time, as a user sees it) */
    double t = (pts == AV_NOPTS_VALUE ? lane->last_s : pts * av_q2d(tb)) - lane->in->start_us / 1e6;
    int rc = cf_media_fitter_apply(&lane->fit, frame, lane->graph.src[0], "clip", lane->index, t);
    if (rc < 0) return rc;
    bool past_end = lane->end_s >= 0 && pts != AV_NOPTS_VALUE && pts * av_q2d(tb) >= lane->end_s;
    int ret = 0;
    if (lane->fill_from_s >= 0 && pts != AV_NOPTS_VALUE && pts * av_q2d(tb) >= lane->fill_from_s)
        ret = fill_start(lane, pts * av_q2d(tb), tb);
    if (ret >= 0) ret = past_end ? hold_last(lane, tb) : keep(lane, frame);
    if (ret < 0 && ret != AVERROR_EOF) return ret;
    if (pts != AV_NOPTS_VALUE) {
        if (lane->frames && cf_media_went_back(lane->in, lane->last_s, pts * av_q2d(tb))) {
            lane->went_back = true;
            lane->back_from_s = lane->last_s;
            av_frame_unref(frame);
            return AVERROR_INVALIDDATA;
        }
        lane->prev_s = lane->last_s;
        lane->last_s = pts * av_q2d(tb);
    }
    lane->frames++;
    if (lane->on_decoded && pts != AV_NOPTS_VALUE) lane->on_decoded(lane->ctx, lane->last_s);
    ret = av_buffersrc_add_frame_flags(lane->graph.src[0], frame, AV_BUFFERSRC_FLAG_KEEP_REF);
    av_frame_unref(frame);
    if (ret == AVERROR_EOF) past_end = true;
    else if (ret < 0) return ret;
    if ((ret = pull(lane, filtered)) < 0) return ret;
    if (past_end && !lane->input_done) {
        lane->input_done = true;
        ret = av_buffersrc_add_frame_flags(lane->graph.src[0], NULL, 0);
        if (ret < 0 && ret != AVERROR_EOF) return ret;
        return pull(lane, filtered);
    }
    return 0;
}

/* Decodes pkt (NULL = flush) and feeds every frame it yields. */
static int decode(cfclip_lane *lane, const AVPacket *pkt, AVFrame *frame, AVFrame *filtered) {
    int ret = avcodec_send_packet(lane->dec, pkt);
    /* A damaged packet is skipped, as players do; a flush that fails is a real error. */
    if (ret < 0 && pkt && ret != AVERROR(EAGAIN)) return ret == AVERROR_INVALIDDATA ? 0 : ret;
    while (!lane->input_done) {
        ret = avcodec_receive_frame(lane->dec, frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
        if (ret < 0) return ret;
        if ((ret = feed(lane, frame, filtered)) < 0) return ret;
    }
    return 0;
}

static bool all_done(const cfclip_lane *lanes, int n) {
    for (int i = 0; i < n; i++)
        if (!lanes[i].input_done) return false;
    return true;
}

static cfclip_lane *lane_of(cfclip_lane *lanes, int n, int index) {
    for (int i = 0; i < n; i++)
        if (lanes[i].index == index) return &lanes[i];
    return NULL;
}

static int run_loop(cf_media_input *in, cfclip_lane *lanes, int n, cf_progress *p, AVPacket *pkt,
                    AVFrame *frame, AVFrame *filtered) {
    int ret = 0;
    while (!all_done(lanes, n)) {
        if (cf_progress_cancelled(p)) return AVERROR_EXIT;
        ret = cf_media_read(in, pkt);
        if (ret == AVERROR_EOF) return 0;
        if (ret < 0) return ret == AVERROR_INVALIDDATA ? 0 : ret; /* damaged tail: see ended_early */
        cfclip_lane *lane = lane_of(lanes, n, pkt->stream_index);
        if (lane && !lane->input_done) ret = decode(lane, pkt, frame, filtered);
        av_packet_unref(pkt);
        if (ret < 0) return ret;
    }
    return 0;
}

/* A stream cut short by a truncated or damaged file (cf_media_cut_short): failing is better than
 * a clip shorter than asked for. Looked at once the decoders are drained (a decoder holds
 * pictures back: at 1 frame/s, seconds of them). */
static const cfclip_lane *ended_early(const cf_media_input *in, const cfclip_lane *lanes, int n) {
    for (int i = 0; i < n; i++) {
        const cfclip_lane *l = &lanes[i];
        if (l->cut_short && l->data_end_s > 0 &&
            cf_media_cut_short(in, l->data_end_own, l->last_s, l->prev_s, l->data_end_s))
            return l;
    }
    return NULL;
}

static const cfclip_lane *went_back(const cfclip_lane *lanes, int n) {
    for (int i = 0; i < n; i++)
        if (lanes[i].went_back) return &lanes[i];
    return NULL;
}

static int flush_all(cfclip_lane *lanes, int n, AVFrame *frame, AVFrame *filtered) {
    int ret = 0;
    for (int i = 0; i < n && ret >= 0; i++) {
        cfclip_lane *lane = &lanes[i];
        if (!lane->input_done) {
            ret = decode(lane, NULL, frame, filtered);
            /* no picture came at or after the start: the last one before it shows on */
            if (ret >= 0 && !lane->input_done && lane->fill_from_s >= 0)
                ret = fill_start(lane, INFINITY, lane->dec->pkt_timebase);
            if (ret >= 0 && !lane->input_done) ret = close_input(lane, filtered);
        }
        if (ret >= 0 && !lane->output_done) ret = pull(lane, filtered);
    }
    return ret;
}

cf_err cfclip_drive(cf_media_input *in, cfclip_lane *lanes, int n_lanes, double seek_s, cf_progress *p,
                    const char *what, cf_error *err) {
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc(), *filtered = av_frame_alloc();
    int ret = AVERROR(ENOMEM);
    if (!pkt || !frame || !filtered) goto end;
    if ((ret = cf_media_rewind_to_decode(in, seek_s)) < 0) goto end;
    for (int i = 0; i < n_lanes; i++) lanes[i].in = in;
    if ((ret = run_loop(in, lanes, n_lanes, p, pkt, frame, filtered)) < 0) {
        const cfclip_lane *back = went_back(lanes, n_lanes);
        if (back) {
            cf_media_went_back_error(what, back->index, back->back_from_s - in->start_us / 1e6, err);
            ret = 1;
        }
        goto end;
    }
    if (cf_progress_cancelled(p)) {
        ret = AVERROR_EXIT;
        goto end;
    }
    for (int i = 0; i < n_lanes; i++) lanes[i].cut_short = !lanes[i].input_done;
    if ((ret = flush_all(lanes, n_lanes, frame, filtered)) < 0) goto end;
    const cfclip_lane *early = ended_early(in, lanes, n_lanes);
    if (early) {
        cf_error_set(err, CF_ERR_INVALID_MEDIA,
                     "%s: the input stops at %.3f s, before %.3f s where it should go on: the "
                     "file is truncated or damaged",
                     what, early->last_s, early->data_end_s);
        ret = 1;
    }
end:
    av_packet_free(&pkt);
    av_frame_free(&frame);
    av_frame_free(&filtered);
    if (ret == AVERROR_EXIT) {
        cf_log_debug("clip", "%s: cancelled", what);
        return cf_error_set(err, CF_ERR_CANCELLED, "%s: cancelled", what);
    }
    if (ret == AVERROR(ENOMEM)) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", what);
    /* only reading and decoding the source say INVALIDDATA: the file is at fault, not us */
    if (ret == AVERROR_INVALIDDATA)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: the input is damaged or truncated (%s)", what,
                            av_err2str(ret));
    if (ret < 0)
        return cf_error_set(err, cf_av_code(ret, CF_ERR_PROCESSING), "%s: %s", what, av_err2str(ret));
    return ret > 0 ? err->code : CF_OK;
}

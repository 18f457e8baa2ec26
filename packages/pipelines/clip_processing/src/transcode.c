/* transcode.c — the passes that decode: loudness metering (first pass of EBU R128
 * normalization), GIF palette generation (first pass of the two-pass GIF), and the main pass
 * that encodes and muxes. Each pass is a set of lanes given to the decode driver; this file
 * holds what each lane does with its filtered frames. */
#include "transcode.h"

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <math.h>
#include <stdlib.h>

#include "decode_driver.h"
#include "clipforge/encode.h"
#include "clipforge/log.h"

static void stage_report(const cfclip_stage *s, double t) {
    if (!s || s->expect_s <= 0) return;
    double f = t / s->expect_s;
    if (f > 1) f = 1;
    if (f < 0) f = 0;
    cf_progress_report(s->progress, s->base + s->weight * f, s->name);
}

static double frame_seconds(const AVFrame *frame, AVFilterContext *sink) {
    if (frame->pts == AV_NOPTS_VALUE) return 0;
    return frame->pts * av_q2d(av_buffersink_get_time_base(sink));
}

/* Where the stream's data should reach for this clip: the trim end, capped by the stream's own
 * stated end (a soundtrack may stop before the picture); -1 when unknown. */
static double stream_end(const cf_media_input *in, int index, const cfclip_span *span, bool *own) {
    double end = cf_media_stated_end(in, index, own);
    if (span->end_s >= 0 && (end < 0 || span->end_s < end)) end = span->end_s;
    /* The last frame starts a frame before the end; allow for it. */
    return end > 0 ? end - 0.1 : -1;
}

/* Sets up a lane's decoder and its graph from the chain text made by describe. */
static cf_err lane_setup(cf_media_input *in, int index, const cfclip_plan *plan, const cfclip_span *span,
                         const char *desc, bool with_palette, const char *palette_args, cfclip_lane *lane,
                         cf_error *err) {
    memset(lane, 0, sizeof *lane);
    lane->index = index;
    lane->end_s = span->end_s;
    lane->data_end_s = stream_end(in, index, span, &lane->data_end_own);
    lane->fill_from_s = index == in->video_index && span->trim && !span->n_pieces ? span->origin_s : -1;
    cf_media_decode_opts dopts = {.threads = plan->threads};
    cf_err rc = cf_media_open_decoder(in, index, &dopts, &lane->dec, err);
    if (rc) return rc;
    AVBPrint args;
    av_bprint_init(&args, 0, AV_BPRINT_SIZE_UNLIMITED);
    bool video = lane->dec->codec_type == AVMEDIA_TYPE_VIDEO;
    if (video) cf_media_video_src_args(lane->dec, in->fmt->streams[index], &args);
    else cf_media_audio_src_args(lane->dec, &args);
    const char *srcs[2] = {args.str, palette_args};
    rc = cfclip_graph_build(&lane->graph, video, srcs, with_palette ? 2 : 1, desc, plan->threads, err);
    av_bprint_finalize(&args, NULL);
    return rc;
}

/* ---- loudness measurement ---- */

typedef struct meter {
    const cfclip_stage *stage;
    cfclip_loudness result;
    bool seen;
} meter;

static int meter_consume(void *ctx, cfclip_lane *lane, AVFrame *frame) {
    meter *m = ctx;
    if (!frame) return 0;
    cfclip_loudness *r = &m->result;
    if (!cf_media_r128_read(frame, &r->integrated, &r->range, &r->true_peak)) return 0;
    m->seen = true;
    stage_report(m->stage, frame_seconds(frame, lane->graph.sink));
    return 0;
}

cf_err cfclip_measure_loudness(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                               const cfclip_stage *stage, cfclip_loudness *out, cf_error *err) {
    cfclip_lane lane;
    meter m = {.stage = stage, .result = {.integrated = CF_MEDIA_R128_FLOOR_LUFS, .true_peak = -99.0}};
    AVBPrint desc;
    av_bprint_init(&desc, 0, AV_BPRINT_SIZE_UNLIMITED);
    cfclip_meter_chain(plan, span, &desc);
    cf_err rc = lane_setup(in, in->audio_index, plan, span, desc.str, false, NULL, &lane, err);
    av_bprint_finalize(&desc, NULL);
    if (!rc) {
        lane.consume = meter_consume;
        lane.ctx = &m;
        rc = cfclip_drive(in, &lane, 1, span->origin_s, stage->progress, "loudness measurement", err);
    }
    cfclip_lane_free(&lane);
    out->integrated = m.result.integrated;
    out->range = m.result.range;
    out->true_peak = m.result.true_peak;
    return rc;
}

/* ---- GIF palette ---- */

typedef struct palette_catch {
    const cfclip_stage *stage;
    double origin_s, speed;
    AVFrame *palette;
} palette_catch;

static int palette_consume(void *ctx, cfclip_lane *lane, AVFrame *frame) {
    palette_catch *c = ctx;
    (void)lane;
    if (!frame || c->palette) return 0;
    c->palette = av_frame_clone(frame);
    return c->palette ? 0 : AVERROR(ENOMEM);
}

/* palettegen gives its one frame at the end, so this pass reports decoded source time. */
static void palette_progress(void *ctx, double source_s) {
    palette_catch *c = ctx;
    stage_report(c->stage, (source_s - c->origin_s) / c->speed);
}

cf_err cfclip_make_palette(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                           const cfclip_stage *stage, AVFrame **palette, cf_error *err) {
    cfclip_lane lane;
    palette_catch c = {.stage = stage, .origin_s = span->origin_s, .speed = plan->speed};
    AVBPrint desc;
    av_bprint_init(&desc, 0, AV_BPRINT_SIZE_UNLIMITED);
    cfclip_video_chain(plan, span, in, CFCLIP_GIF_PALETTE, &desc);
    cf_err rc = lane_setup(in, in->video_index, plan, span, desc.str, false, NULL, &lane, err);
    av_bprint_finalize(&desc, NULL);
    if (!rc) {
        lane.consume = palette_consume;
        lane.on_decoded = palette_progress;
        lane.ctx = &c;
        rc = cfclip_drive(in, &lane, 1, span->origin_s, stage->progress, "GIF palette", err);
    }
    cfclip_lane_free(&lane);
    if (!rc && !c.palette) rc = cf_error_set(err, CF_ERR_PROCESSING, "GIF palette: the clip has no pictures");
    if (rc) av_frame_free(&c.palette);
    else cf_log_debug("clip", "GIF palette: done, encoding");
    *palette = c.palette;
    return rc;
}

/* ---- the main pass: encode and mux ---- */

typedef struct muxer muxer;
/* Presentation times of the pictures sent to a video encoder, to give each packet its
 * duration (encoders leave it unset; the muxer needs it for the last picture, and
 * variable-frame-rate clips need the real one). */
#define PTS_RING 512
typedef struct pts_ring {
    int64_t pts[PTS_RING];
    int n, head; /* entries, index of the oldest */
} pts_ring;

typedef struct out_lane {
    muxer *mux;
    AVCodecContext *enc; /* owned */
    AVStream *st;
    bool video, reports, flushing;
    pts_ring sent;
    int64_t packets; /* written */
} out_lane;

static void ring_push(pts_ring *r, int64_t pts) {
    if (r->n == PTS_RING) {
        r->head = (r->head + 1) % PTS_RING;
        r->n--;
    }
    r->pts[(r->head + r->n++) % PTS_RING] = pts;
}

/* Duration of the picture at pts: up to the next picture, or for the last one up to the end
 * of the clip (end_pts) when that is plausible, else the previous spacing. */
static int64_t ring_duration(const pts_ring *r, int64_t pts, int64_t end_pts) {
    int64_t prev_gap = 0;
    for (int i = 0; i < r->n; i++) {
        int64_t p = r->pts[(r->head + i) % PTS_RING];
        bool last = i + 1 == r->n;
        int64_t next = last ? 0 : r->pts[(r->head + i + 1) % PTS_RING];
        if (!last) prev_gap = next - p;
        if (p != pts) continue;
        if (!last) return next - p;
        if (end_pts > p && (prev_gap <= 0 || end_pts - p <= 2 * prev_gap)) return end_pts - p;
        return prev_gap > 0 ? prev_gap : 0;
    }
    return 0;
}

static cf_target_format target(cfclip_format f) {
    return f == CFCLIP_WEBM  ? CF_TARGET_FORMAT_WEBM
           : f == CFCLIP_GIF ? CF_TARGET_FORMAT_GIF
                             : CF_TARGET_FORMAT_MP4;
}

struct muxer {
    AVFormatContext *oc; /* owned, with its file */
    out_lane out[2];
    AVPacket *pkt;
    const cfclip_stage *stage;
    bool want_thumb, thumb_final;
    double thumb_s;
    AVFrame *thumb;  /* the chosen picture, or the latest one until it is reached */
    int64_t packets; /* written so far */
    bool unfinished; /* the header is written, the trailer not */
};

static int drain_encoder(out_lane *o) {
    muxer *m = o->mux;
    for (;;) {
        int ret = avcodec_receive_packet(o->enc, m->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
        if (ret < 0) return ret;
        m->pkt->stream_index = o->st->index;
        if (o->video && m->pkt->duration <= 0 && m->pkt->pts != AV_NOPTS_VALUE) {
            int64_t end = (int64_t)llround(m->stage->expect_s / av_q2d(o->enc->time_base));
            m->pkt->duration = ring_duration(&o->sent, m->pkt->pts, o->flushing ? end : 0);
        }
        av_packet_rescale_ts(m->pkt, o->enc->time_base, o->st->time_base);
        if ((ret = cf_output_write(m->oc, m->pkt)) < 0) return ret;
        m->packets++;
        o->packets++;
    }
}

static int offer_thumbnail(muxer *m, const AVFrame *frame, double t) {
    if (!m->want_thumb || m->thumb_final) return 0;
    av_frame_free(&m->thumb);
    if (!(m->thumb = av_frame_clone(frame))) return AVERROR(ENOMEM);
    m->thumb_final = t >= m->thumb_s - 0.0005;
    return 0;
}

static int encode_consume(void *ctx, cfclip_lane *lane, AVFrame *frame) {
    out_lane *o = ctx;
    if (frame) {
        double t = frame_seconds(frame, lane->graph.sink);
        if (o->reports) stage_report(o->mux->stage, t);
        if (o->video) {
            int ret = offer_thumbnail(o->mux, frame, t);
            if (ret < 0) return ret;
            /* The decoder's picture types must not force the encoder's keyframes. */
            frame->pict_type = AV_PICTURE_TYPE_NONE;
        }
        if (frame->pts != AV_NOPTS_VALUE)
            frame->pts =
                av_rescale_q(frame->pts, av_buffersink_get_time_base(lane->graph.sink), o->enc->time_base);
        if (o->video && frame->pts != AV_NOPTS_VALUE) ring_push(&o->sent, frame->pts);
    } else {
        o->flushing = true;
    }
    int ret = avcodec_send_frame(o->enc, frame);
    if (ret < 0 && ret != AVERROR_EOF) return ret;
    return drain_encoder(o);
}

/* The output stream of o's encoder, described as the source stream it comes from. */
static cf_err add_stream(muxer *m, out_lane *o, const AVStream *source, cf_error *err) {
    int ret = AVERROR(ENOMEM);
    if (!(o->st = avformat_new_stream(m->oc, NULL))) goto fail;
    if ((ret = avcodec_parameters_from_context(o->st->codecpar, o->enc)) < 0) goto fail;
    o->st->time_base = o->enc->time_base;
    cf_media_keep_stream_tags(o->st, source);
    if (o->video && o->enc->framerate.num > 0) o->st->avg_frame_rate = o->enc->framerate;
    return CF_OK;
fail:
    return cf_error_set(err, CF_ERR_PROCESSING, "cannot add an output stream: %s", av_err2str(ret));
}

static cf_err setup_video(cf_media_input *in, const cfclip_encode_job *job, muxer *m, cfclip_lane *lane,
                          cf_error *err) {
    const cfclip_plan *plan = job->plan;
    AVBPrint desc, pal;
    av_bprint_init(&desc, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprint_init(&pal, 0, AV_BPRINT_SIZE_UNLIMITED);
    const AVFrame *p = job->palette;
    if (p)
        av_bprintf(&pal, "video_size=%dx%d:pix_fmt=%d:time_base=1/1:pixel_aspect=1/1", p->width, p->height,
                   p->format);
    cfclip_video_chain(plan, &job->span, in, p ? CFCLIP_GIF_APPLY : CFCLIP_GIF_NONE, &desc);
    cf_err rc = lane_setup(in, in->video_index, plan, &job->span, desc.str, p != NULL, pal.str, lane, err);
    av_bprint_finalize(&desc, NULL);
    av_bprint_finalize(&pal, NULL);
    if (!rc && p) {
        /* paletteuse keeps the last palette it was given for the rest of the stream. */
        AVFrame *copy = av_frame_clone(p);
        int ret = copy ? av_buffersrc_add_frame(lane->graph.src[1], copy) : AVERROR(ENOMEM);
        av_frame_free(&copy);
        if (ret >= 0) ret = av_buffersrc_add_frame(lane->graph.src[1], NULL);
        if (ret < 0) rc = cf_error_set(err, CF_ERR_PROCESSING, "GIF palette: %s", av_err2str(ret));
    }
    out_lane *o = &m->out[0];
    o->mux = m;
    o->video = true;
    cf_encoder_options eo = {.threads = plan->threads,
                             .global_header = m->oc->oformat->flags & AVFMT_GLOBALHEADER,
                             .colors = cf_media_shown_colors(in)};
    if (!rc) rc = cf_encoder_open_video(target(plan->format), lane->graph.sink, &eo, &o->enc, err);
    if (!rc) rc = add_stream(m, o, in->fmt->streams[in->video_index], err);
    lane->consume = encode_consume;
    lane->ctx = o;
    return rc;
}

static cf_err setup_audio(cf_media_input *in, const cfclip_encode_job *job, muxer *m, cfclip_lane *lane,
                          cf_error *err) {
    const cfclip_plan *plan = job->plan;
    out_lane *o = &m->out[1];
    o->mux = m;
    cf_encoder_options eo = {.threads = plan->threads,
                             .global_header = m->oc->oformat->flags & AVFMT_GLOBALHEADER};
    const AVCodecParameters *par = in->fmt->streams[in->audio_index]->codecpar;
    cf_err rc =
        cf_encoder_open_audio(target(plan->format), par->sample_rate, &par->ch_layout, &eo, &o->enc, err);
    if (rc) return rc;
    char layout[128] = "";
    av_channel_layout_describe(&o->enc->ch_layout, layout, sizeof layout);
    AVBPrint desc;
    av_bprint_init(&desc, 0, AV_BPRINT_SIZE_UNLIMITED);
    cfclip_audio_chain(plan, &job->span, job->loudness, av_get_sample_fmt_name(o->enc->sample_fmt),
                       o->enc->sample_rate, layout, &desc);
    rc = lane_setup(in, in->audio_index, plan, &job->span, desc.str, false, NULL, lane, err);
    av_bprint_finalize(&desc, NULL);
    if (rc) return rc;
    if (!(o->enc->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
        av_buffersink_set_frame_size(lane->graph.sink, (unsigned)o->enc->frame_size);
    lane->consume = encode_consume;
    lane->ctx = o;
    return add_stream(m, o, in->fmt->streams[in->audio_index], err);
}

static cf_err open_file(muxer *m, const cfclip_encode_job *job, cf_error *err) {
    cf_err rc = cf_output_start(m->oc, target(job->plan->format), job->output_path, err);
    m->unfinished = rc == CF_OK;
    return rc;
}

static cf_err finish(muxer *m, const cfclip_encode_job *job, cf_error *err) {
    if (m->packets == 0)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                            "the clip is empty: %s has no decodable frames in the range", job->plan->input);
    int ret = av_write_trailer(m->oc);
    m->unfinished = false;
    if (ret < 0)
        return cf_error_set(err, CF_ERR_IO, "cannot finish %s: %s", job->output_path, av_err2str(ret));
    if ((ret = avio_closep(&m->oc->pb)) < 0)
        return cf_error_set(err, CF_ERR_IO, "cannot close %s: %s", job->output_path, av_err2str(ret));
    if (!job->thumb_path) return CF_OK;
    if (!m->thumb) return cf_error_set(err, CF_ERR_PROCESSING, "thumbnail: the clip has no pictures");
    /* the pictures are in the colours the clip states */
    enum AVColorSpace matrix = m->out[0].enc ? m->out[0].enc->colorspace : AVCOL_SPC_BT709;
    return cf_write_jpeg(m->thumb, matrix, job->plan->thumb_w, job->thumb_path, err);
}

static void muxer_free(muxer *m) {
    for (int i = 0; i < 2; i++) avcodec_free_context(&m->out[i].enc);
    cf_output_close(&m->oc, m->unfinished);
    av_packet_free(&m->pkt);
    av_frame_free(&m->thumb);
}

cf_err cfclip_encode(cf_media_input *in, cfclip_encode_job *job, const cfclip_stage *stage, cf_error *err) {
    muxer m = {
        .stage = stage, .want_thumb = job->thumb_path != NULL, .thumb_s = job->plan->thumb_ms / 1000.0};
    cfclip_lane lanes[2];
    int n = 0;
    memset(lanes, 0, sizeof lanes);
    cf_err rc = CF_OK;
    int ret = cf_output_alloc(&m.oc, cfclip_format_name(job->plan->format), job->output_path);
    if (ret < 0 || !(m.pkt = av_packet_alloc())) {
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "cannot create the output muxer");
        goto end;
    }
    cf_media_keep_tags(m.oc, in->fmt);
    if (job->use_video && (rc = setup_video(in, job, &m, &lanes[n++], err))) goto end;
    if (job->use_audio && (rc = setup_audio(in, job, &m, &lanes[n++], err))) goto end;
    m.out[job->use_video ? 0 : 1].reports = true;
    if ((rc = open_file(&m, job, err))) goto end;
    rc = cfclip_drive(in, lanes, n, job->span.origin_s, stage->progress, "encoding", err);
    /* decoded frames before the span do not count: the span's sound is what was written */
    job->audio_had_nothing = job->use_audio && m.out[1].packets == 0;
    if (rc) goto end;
    rc = finish(&m, job, err);
end:
    for (int i = 0; i < 2; i++) cfclip_lane_free(&lanes[i]);
    muxer_free(&m);
    return rc;
}

/* smart_cut.c — trim mode "smart" (see smart_cut.h). One pass over the source's video packets:
 * a head [start, first keyframe) decoded and encoded, the picture groups up to the last
 * keyframe at or before the end copied, a tail [last keyframe, end) encoded. The encoded edges
 * have no B-frames; their decode times are their presentation times less the reorder delay of
 * the copied packets beside them, so decode times rise across both joints.
 *
 * HEVC's open picture groups are joined too: a CRA keyframe's leading pictures (shown before
 * it, decoded after it) are left out of the copy and encoded with the head, the CRA becomes a
 * BLA (a splice point), and when the tail's keyframe has leading pictures, decoding starts a
 * group earlier so that they decode.
 *
 * H.264 and HEVC in Annex B form (MPEG-TS: start codes, parameter sets repeated in the stream)
 * are joined too: the configuration becomes an avcC or hvcC and the copied packets
 * length-prefixed ones, without the repeated sets so long as those are the configuration's own.
 *
 * The edges' parameter sets go in the output's configuration beside the source's, under ids the
 * source does not use: x264 is told its ids; x265's sets and slices are renumbered (nal.c). So
 * HEVC comes out as an hvc1 track (every set in the sample entry, as phones write it and as
 * Apple's players require); a source whose sets change within the range keeps them in the
 * stream, in an hev1 track, and so do the edges' there.
 *
 * Settings: the plan's threads; edge quality SMART_CRF / SMART_CRF_HEVC on preset
 * CF_X264_PRESET. */
#include "smart_cut.h"

#include <libavutil/pixdesc.h>
#include <stdio.h>
#include <stdlib.h>

#include "clipforge/encode.h"
#include "nal.h"
#include "stream_copy.h"

/* The edges are a small share of the clip: encode them well above the format's usual quality
 * so the joints do not show (x265's scale sits about 4 above x264's for the same quality). */
#define SMART_CRF "16"
#define SMART_CRF_HEVC "20"
#define DUR_RING 256
/* copied packets that wait for the head's last ones: a keyframe's leading pictures and the
 * decoder's delay */
#define HELD_MAX 128
/* a copied packet carries parameter sets the configuration does not hold (past the scan: a cut
 * to the end stops scanning at its first copied pictures) */
#define SETS_CHANGED AVERROR(EILSEQ)

typedef struct edge {
    AVCodecContext *enc; /* owned */
    int64_t lo, hi;      /* source pts range it encodes, [lo, hi) */
    int64_t delay;       /* subtracted from pts to make dts */
    AVFrame *pending;    /* the latest picture, sent once its duration is known */
    AVFrame *before;     /* head: the latest picture before lo, until one at or after lo comes */
    int64_t gap;         /* the latest spacing of pictures */
    int64_t dur_pts[DUR_RING], dur[DUR_RING];
    int n_dur;
    int frames;
    int64_t first; /* pts of the first picture taken */
    bool finished;
    bool sets_sent; /* HEVC: its parameter sets went ahead of its first packet */
} edge;

typedef enum { PHASE_HEAD, PHASE_COPY, PHASE_TAIL, PHASE_DONE } phase;

typedef struct smart {
    cf_media_input *in;
    const cfclip_plan *plan;
    int vindex;
    AVRational tb;            /* of the source video stream, also the output's */
    int64_t start, end;       /* source pts range of the clip (end: INT64_MAX to the end) */
    int64_t last;             /* where the clip ends, also when it runs to the end */
    bool to_eof;              /* the range runs to the end of the input */
    bool copy, tail_needed;   /* something is copied; a tail is encoded after it */
    int64_t ka, kb;           /* copied: [ka, kb) */
    int64_t kp;               /* the keyframe before kb: decoding for the tail starts there when
                               * kb has leading pictures */
    int64_t delay_a, delay_b; /* pts - dts of the keyframes ka and kb */
    cfclip_key_kind kind_a, kind_b;
    bool lead_a, lead_b; /* ka / kb have leading pictures (shown before, decoded after) */
    int64_t copied_max;  /* the latest picture copied */
    bool copied_any, fed_last, tail_feed;
    AVPacket *held[HELD_MAX]; /* copied, written once the head is */
    int n_held;
    cfclip_nal_codec codec;
    int length_size;
    bool annexb;         /* as MPEG-TS carries it: packets converted as they are copied */
    bool sets_change;    /* annexb H.264: a packet in range carries other parameter sets */
    uint8_t avcc_ext[4]; /* annexb H.264: a high profile's avcC extension */
    uint8_t *hvcc_made;  /* annexb HEVC: the hvcC made from the extradata (owned); s->hvcc's units
                          * point into it */
    size_t hvcc_made_size;
    bool hvc1;           /* HEVC: every parameter set in the sample entry, none in the stream */
    bool sets_foreign;   /* HEVC: a packet in range carries a set the configuration lacks (or
                          * one past the scan did: the cut is made again, hev1) */
    cfclip_hevc_ids ids; /* hvc1: the edges' parameter set ids */
    uint8_t *config;     /* hvc1: the output's hvcC (owned) */
    size_t config_size;
    cfclip_avcc avcc;
    cfclip_hvcc hvcc;
    edge head, tail;
    AVCodecContext *dec; /* owned */
    AVFormatContext *oc; /* owned */
    AVStream *ost;
    AVPacket *opkt;
    phase ph;
    int64_t last_dts;
    bool wrote;
    cf_progress *progress;
    cfclip_smart_stats *stats;
} smart;

static cf_err cannot(cf_error *err, const char *why) {
    return cf_error_set(err, CF_ERR_UNSUPPORTED, "%s", why);
}

static cf_err check_h264(const AVCodecParameters *par, cf_error *err) {
    cfclip_avcc avcc;
    if (cfclip_avcc_parse(par->extradata, (size_t)par->extradata_size, &avcc) < 0 &&
        cfclip_avcc_from_annexb(par->extradata, (size_t)par->extradata_size, &avcc) < 0)
        return cannot(err, "the source's H.264 configuration holds no parameter sets");
    if (!avcodec_find_encoder_by_name("libx264")) return cannot(err, "libx264 is not available");
    return CF_OK;
}

/* The chroma format (0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4) and bit depth of par's pictures;
 * false when its pixel format is unknown. */
static bool format_of(const AVCodecParameters *par, int *chroma, int *depth) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(par->format);
    if (!d) return false;
    *chroma = d->nb_components < 3 ? 0 : d->log2_chroma_h ? 1 : d->log2_chroma_w ? 2 : 3;
    *depth = d->comp[0].depth;
    return true;
}

/* The HEVC source's configuration as *hvcc: its hvcC as it is, or (Annex B, as MPEG-TS carries
 * it) one made from its extradata into *made (malloc'd, the caller's; hvcc's units point into
 * it; NULL for an hvcC source). 0, or -1 when there is none. */
static int hevc_config(const AVCodecParameters *par, cfclip_hvcc *hvcc, uint8_t **made, size_t *made_size) {
    *made = NULL;
    if (cfclip_hvcc_parse(par->extradata, (size_t)par->extradata_size, hvcc) == 0) return 0;
    int chroma, depth;
    if (!format_of(par, &chroma, &depth) ||
        cfclip_hvcc_from_annexb(par->extradata, (size_t)par->extradata_size, chroma, depth, made, made_size) <
            0)
        return -1;
    return cfclip_hvcc_parse(*made, *made_size, hvcc);
}

static cf_err check_hevc(const AVCodecParameters *par, cf_error *err) {
    cfclip_hvcc hvcc;
    uint8_t *made = NULL;
    size_t size = 0;
    int sets = hevc_config(par, &hvcc, &made, &size) == 0 ? hvcc.n_sets : 0;
    free(made);
    if (sets == 0) return cannot(err, "the source's HEVC configuration holds no parameter sets");
    if (!avcodec_find_encoder_by_name("libx265")) return cannot(err, "libx265 is not available");
    return CF_OK;
}

cf_err cfclip_smart_check(const cf_media_input *in, const cfclip_plan *plan, cf_error *err) {
    if (plan->format != CFCLIP_MP4) return cannot(err, "smart cut writes mp4 only");
    if (cfclip_plan_needs_pictures(plan))
        return cannot(err, "the request has operations that re-encode every picture");
    if (in->video_index < 0) return cannot(err, "the source has no video");
    const AVCodecParameters *par = in->fmt->streams[in->video_index]->codecpar;
    cf_err rc = par->codec_id == AV_CODEC_ID_H264 ? check_h264(par, err)
                : par->codec_id == AV_CODEC_ID_HEVC
                    ? check_hevc(par, err)
                    : cannot(err, "the source video is neither H.264 nor HEVC");
    if (rc) return rc;
    const char *unlike = cfclip_pictures_unlike_encode(in);
    if (unlike) return cannot(err, unlike);
    /* the edges are encoded from the pictures inside the span: a span starting inside a long
     * picture began without one (a re-encode shows the picture on screen at the start) */
    if (cf_media_rate_is_slideshow(in->fmt->streams[in->video_index]->avg_frame_rate))
        return cannot(err, "the source shows each picture for seconds (a slideshow)");
    return CF_OK;
}

/* ---- finding the copy range ---- */

static int64_t to_ts(double s, AVRational tb) {
    return av_rescale_q(llround(s * 1e6), AV_TIME_BASE_Q, tb);
}

/* The kind of random access point pkt is. */
static cfclip_key_kind key_kind(const smart *s, const AVPacket *pkt) {
    if (!s->annexb) return cfclip_mp4_key_kind(pkt->data, (size_t)pkt->size, s->length_size, s->codec);
    uint8_t *d;
    size_t n;
    if (cfclip_annexb_to_mp4(pkt->data, (size_t)pkt->size, s->codec, s->length_size, &d, &n) < 0)
        return CFCLIP_KEY_NONE;
    cfclip_key_kind kind = cfclip_mp4_key_kind(d, n, s->length_size, s->codec);
    free(d);
    return kind;
}

/* Notes the parameter sets an HEVC packet in range carries. */
static void scan_hevc_sets(smart *s, const AVPacket *pkt) {
    uint8_t *made = NULL;
    size_t n = (size_t)pkt->size;
    if (s->annexb && cfclip_annexb_to_mp4(pkt->data, n, s->codec, s->length_size, &made, &n) < 0) {
        s->sets_foreign = true;
        return;
    }
    int found = cfclip_hevc_sets_in(made ? made : pkt->data, n, s->length_size, &s->hvcc);
    free(made);
    s->sets_foreign |= found == 2;
}

/* Notes a keyframe met while scanning. */
static void scan_key(smart *s, const AVPacket *pkt) {
    cfclip_key_kind kind = key_kind(s, pkt);
    int64_t delay = pkt->dts != AV_NOPTS_VALUE ? pkt->pts - pkt->dts : 0;
    if (!s->copy && pkt->pts >= s->start) {
        s->copy = true;
        s->ka = pkt->pts;
        s->delay_a = delay;
        s->kind_a = kind;
    } else if (s->copy && pkt->pts > s->ka && pkt->pts <= s->end) {
        s->kp = s->kb == AV_NOPTS_VALUE ? s->ka : s->kb;
        s->kb = pkt->pts;
        s->delay_b = delay;
        s->kind_b = kind;
        s->lead_b = false;
    }
}

/* Notes a picture after the copy's first keyframe in decode order that is shown before the
 * latest keyframe: a leading picture of it. */
static void scan_picture(smart *s, const AVPacket *pkt) {
    if (!s->copy) return;
    if (s->kb == AV_NOPTS_VALUE) s->lead_a |= pkt->pts < s->ka;
    else s->lead_b |= pkt->pts < s->kb;
}

/* Finds the keyframes that bound the copied stretch. Reads packets only. */
static cf_err scan(smart *s, double start_s, cf_error *err) {
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? cf_media_rewind(s->in, start_s) : AVERROR(ENOMEM);
    s->kb = AV_NOPTS_VALUE;
    while (ret >= 0 && (ret = av_read_frame(s->in->fmt, pkt)) >= 0) {
        bool video = pkt->stream_index == s->vindex && pkt->pts != AV_NOPTS_VALUE;
        bool key = video && (pkt->flags & AV_PKT_FLAG_KEY);
        /* leading pictures precede the trailing ones in decode order: a cut to the end knows
         * all it needs at the first picture shown after the copy's first keyframe */
        bool done = s->copy && s->to_eof && video && pkt->pts > s->ka;
        if ((key && !s->to_eof && pkt->pts > s->end) || done) break;
        if (video && s->annexb && s->codec == CFCLIP_NAL_H264 &&
            !cfclip_annexb_sets_known(pkt->data, (size_t)pkt->size, &s->avcc))
            s->sets_change = true;
        if (video && s->codec == CFCLIP_NAL_HEVC) scan_hevc_sets(s, pkt);
        if (key) scan_key(s, pkt);
        else if (video) scan_picture(s, pkt);
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    if (ret < 0 && ret != AVERROR_EOF && ret != AVERROR_INVALIDDATA)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "smart cut: cannot read the input: %s",
                            av_err2str(ret));
    if (s->sets_change) return cannot(err, "the source's parameter sets change within the range");
    /* without a keyframe after the first one in range, its group runs past the end: nothing
     * can be copied and the whole range is encoded */
    if (s->copy && !s->to_eof && s->kb == AV_NOPTS_VALUE) s->copy = false;
    /* a keyframe at the very end still needs a tail when its leading pictures are in range */
    s->tail_needed = s->copy && !s->to_eof && (s->kb < s->end || s->lead_b);
    bool clean_b = !s->tail_needed || s->kind_b != CFCLIP_KEY_NONE;
    if (s->copy && (s->kind_a == CFCLIP_KEY_NONE || !clean_b))
        return cannot(err, "the source's keyframes are not IDR pictures (open picture groups)");
    /* an H.264 IDR has no leading pictures: pictures shown before it are an open group */
    if (s->copy && s->codec == CFCLIP_NAL_H264 && (s->lead_a || (s->tail_needed && s->lead_b)))
        return cannot(err, "a picture group of the source refers to the one before it (open GOP)");
    return CF_OK;
}

/* ---- the edge encoders ---- */

/* The lowest parameter set id the source's SPS and PPS do not use, above floor. */
static int free_id(const cfclip_avcc *a, int floor) {
    for (int id = floor; id < 32; id++) {
        bool used = false;
        for (int i = 0; i < a->n_sps; i++) used |= cfclip_h264_ps_id(&a->sps[i]) == id;
        for (int i = 0; i < a->n_pps; i++) used |= cfclip_h264_ps_id(&a->pps[i]) == id;
        if (!used) return id;
    }
    return -1;
}

/* libx264 set to write parameter sets with ids the source does not use, for the avcC. */
static void x264_options(const AVCodecParameters *par, int ps_id, AVDictionary **o) {
    char params[96];
    /* stitchable: headers that do not depend on the content, made to be joined to others */
    snprintf(params, sizeof params, "sps-id=%d:stitchable=1:bframes=0", ps_id);
    av_dict_set(o, "crf", SMART_CRF, 0);
    av_dict_set(o, "profile", cfclip_x264_profile(par->profile), 0);
    av_dict_set(o, "x264-params", params, 0);
}

/* libx265 cannot pick parameter set ids: its sets go in the stream ahead of the edge's first
 * picture, and the source's ahead of the first copied one (an hev1 track allows that). */
static void x265_options(const AVCodecParameters *par, AVDictionary **o) {
    char params[160];
    int level = par->level > 0 ? par->level : 0; /* general_level_idc: 30 times the level */
    int n = snprintf(params, sizeof params, "bframes=0:open-gop=0:info=0:aud=0:log-level=error");
    if (level && n > 0 && (size_t)n < sizeof params)
        snprintf(params + n, sizeof params - (size_t)n, ":level-idc=%d.%d", level / 30, level % 30 / 3);
    av_dict_set(o, "crf", SMART_CRF_HEVC, 0);
    av_dict_set(o, "profile", "main", 0);
    av_dict_set(o, "x265-params", params, 0);
}

static cf_err open_edge(smart *s, edge *e, int ps_id, cf_error *err) {
    const AVStream *st = s->in->fmt->streams[s->vindex];
    const AVCodecParameters *par = st->codecpar;
    const char *name = s->codec == CFCLIP_NAL_HEVC ? "libx265" : "libx264";
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    AVDictionary *o = NULL;
    if (!codec || !(e->enc = avcodec_alloc_context3(codec)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "smart cut: cannot set up the encoder");
    AVCodecContext *c = e->enc;
    c->width = par->width;
    c->height = par->height;
    c->pix_fmt = par->format;
    c->sample_aspect_ratio = par->sample_aspect_ratio;
    c->time_base = st->time_base;
    c->framerate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    c->color_range = par->color_range;
    c->color_primaries = par->color_primaries;
    c->color_trc = par->color_trc;
    c->colorspace = par->color_space;
    c->chroma_sample_location = par->chroma_location;
    c->level = par->level;
    c->max_b_frames = 0;
    c->thread_count = s->plan->threads;
    c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_dict_set(&o, "preset", CF_X264_PRESET, 0);
    if (s->codec == CFCLIP_NAL_HEVC) x265_options(par, &o);
    else x264_options(par, ps_id, &o);
    int ret = avcodec_open2(c, codec, &o);
    av_dict_free(&o);
    if (ret < 0)
        return cf_error_set(err, CF_ERR_UNSUPPORTED,
                            "smart cut: %s refuses the source's "
                            "settings: %s",
                            name, av_err2str(ret));
    return CF_OK;
}

/* par's extradata becomes a copy of size bytes of d. */
static cf_err set_extradata(AVCodecParameters *par, const uint8_t *d, size_t size, cf_error *err) {
    av_freep(&par->extradata);
    par->extradata = av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (par->extradata) memcpy(par->extradata, d, size);
    par->extradata_size = par->extradata ? (int)size : 0;
    return par->extradata ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* The output's decoder configuration: for H.264 the source's avcC with the edge encoders'
 * parameter sets added; for HEVC the hvcC plan_hvc1 made for an hvc1 track, else the source's
 * (or the one made from its Annex B configuration) in an hev1 track, the edges' sets in the
 * stream. */
static cf_err make_config(smart *s, AVCodecParameters *par, cf_error *err) {
    if (s->hvc1) {
        par->codec_tag = CFCLIP_HVC1;
        return set_extradata(par, s->config, s->config_size, err);
    }
    if (s->codec == CFCLIP_NAL_HEVC) {
        par->codec_tag = MKTAG('h', 'e', 'v', '1');
        return s->annexb ? set_extradata(par, s->hvcc_made, s->hvcc_made_size, err) : CF_OK;
    }
    cfclip_nal extra[16];
    int n = 0;
    edge *edges[2] = {&s->head, &s->tail};
    for (int i = 0; i < 2; i++) {
        const AVCodecContext *c = edges[i]->enc;
        if (!c) continue;
        int k = cfclip_annexb_split(c->extradata, (size_t)c->extradata_size, extra + n, 8);
        if (k < 0) return cannot(err, "libx264 gave headers that are not Annex B");
        n += k;
    }
    uint8_t *avcc;
    size_t size;
    if (cfclip_avcc_build(&s->avcc, extra, n, &avcc, &size) < 0)
        return cannot(err, "the source's configuration has no room for more parameter sets");
    cf_err rc = set_extradata(par, avcc, size, err);
    free(avcc);
    return rc;
}

/* ---- writing ---- */

static int write_video(smart *s, AVPacket *pkt) {
    if (pkt->dts != AV_NOPTS_VALUE && s->wrote && pkt->dts <= s->last_dts) return AVERROR_BUG2;
    if (pkt->dts != AV_NOPTS_VALUE && pkt->pts != AV_NOPTS_VALUE && pkt->dts > pkt->pts) return AVERROR_BUG2;
    s->last_dts = pkt->dts;
    s->wrote = true;
    pkt->stream_index = s->ost->index;
    pkt->pos = -1;
    av_packet_rescale_ts(pkt, s->tb, s->ost->time_base);
    return cf_output_write(s->oc, pkt);
}

/* The video pass is the last 90 % of the job (the audio went first). */
static void report(const smart *s, int64_t pts) {
    if (s->last > s->start)
        cf_progress_report(s->progress, 0.1 + 0.9 * (double)(pts - s->start) / (double)(s->last - s->start),
                           "smart cut");
}

static int64_t ring_take(edge *e, int64_t pts) {
    for (int i = 0; i < e->n_dur; i++)
        if (e->dur_pts[i] == pts) {
            int64_t d = e->dur[i];
            e->dur_pts[i] = e->dur_pts[--e->n_dur];
            e->dur[i] = e->dur[e->n_dur];
            return d;
        }
    return 0;
}

/* Replaces pkt's data with data (malloc'd; freed here), keeping its times and flags. */
static int set_data(AVPacket *pkt, uint8_t *data, size_t size) {
    AVPacket *tmp = av_packet_alloc();
    int ret = tmp ? av_new_packet(tmp, (int)size) : AVERROR(ENOMEM);
    if (ret >= 0) ret = av_packet_copy_props(tmp, pkt);
    if (ret >= 0) {
        memcpy(tmp->data, data, size);
        av_packet_unref(pkt);
        av_packet_move_ref(pkt, tmp);
    }
    free(data);
    av_packet_free(&tmp);
    return ret;
}

/* An encoded packet as length-prefixed NAL units; for HEVC its slices renumbered in an hvc1
 * track, else the edge's parameter sets ahead of its first packet. */
static int edge_payload(smart *s, edge *e, AVPacket *pkt) {
    uint8_t *data, *joined;
    size_t size, joined_size;
    if (cfclip_annexb_to_mp4(pkt->data, (size_t)pkt->size, s->codec, s->length_size, &data, &size) < 0)
        return AVERROR_BUG2;
    if (s->hvc1) {
        int ret = cfclip_mp4_hevc_rewrite(data, size, s->length_size, &s->ids, &joined, &joined_size);
        free(data);
        if (ret < 0) return AVERROR_BUG2;
        data = joined;
        size = joined_size;
    } else if (s->codec == CFCLIP_NAL_HEVC && !e->sets_sent) {
        cfclip_nal sets[8];
        int n = cfclip_annexb_split(e->enc->extradata, (size_t)e->enc->extradata_size, sets, 8);
        int ret = n < 0 ? -1 : cfclip_mp4_join(sets, n, s->length_size, data, size, &joined, &joined_size);
        free(data);
        if (ret < 0) return AVERROR_BUG2;
        data = joined;
        size = joined_size;
        e->sets_sent = true;
    }
    return set_data(pkt, data, size);
}

/* Writes what the encoder has ready, as length-prefixed NAL units with the output's times. A
 * decode time that would not rise past the copied packets' (a tail after leading pictures)
 * moves up; it stays at or below the presentation time since no copied picture is shown after
 * the tail's first. */
static int drain(smart *s, edge *e) {
    for (;;) {
        int ret = avcodec_receive_packet(e->enc, s->opkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
        if (ret < 0) return ret;
        int64_t pts = s->opkt->pts;
        ret = edge_payload(s, e, s->opkt);
        if (ret >= 0) {
            s->opkt->pts = pts - s->start;
            s->opkt->dts = s->opkt->pts - e->delay;
            if (s->wrote && s->opkt->dts <= s->last_dts) s->opkt->dts = s->last_dts + 1;
            s->opkt->duration = ring_take(e, pts);
            ret = write_video(s, s->opkt);
        }
        av_packet_unref(s->opkt);
        if (ret < 0) return ret;
    }
}

/* Sends the pending picture, lasting dur, to the encoder. */
static int send_pending(smart *s, edge *e, int64_t dur) {
    AVFrame *f = e->pending;
    if (e->n_dur == DUR_RING) e->n_dur--; /* an encoder this far behind: lose the oldest note */
    e->dur_pts[e->n_dur] = f->pts;
    e->dur[e->n_dur++] = dur;
    f->pict_type = AV_PICTURE_TYPE_NONE;
    int ret = avcodec_send_frame(e->enc, f);
    av_frame_unref(f);
    e->frames++;
    return ret < 0 ? ret : drain(s, e);
}

/* The head's span starts inside a picture shown for long (a screen recording's still page):
 * that picture, the last before lo, becomes the edge's first, at lo, when the next one (at pts,
 * or none before the edge ends) comes more than CF_MEDIA_START_GAP_S after lo. */
static void start_with_before(smart *s, edge *e, int64_t pts, bool ended) {
    if (!e->before || !e->before->buf[0]) return;
    bool late = ended || (double)(pts - e->lo) * av_q2d(s->tb) > CF_MEDIA_START_GAP_S;
    if (late && !e->frames && !e->pending->buf[0]) {
        av_frame_move_ref(e->pending, e->before);
        e->pending->pts = e->first = e->lo;
    }
    av_frame_unref(e->before);
}

static int take_frame(smart *s, edge *e, AVFrame *frame) {
    int64_t pts = frame->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE || (pts < e->lo && !e->before)) return 0;
    if (frame->width != e->enc->width || frame->height != e->enc->height || frame->format != e->enc->pix_fmt)
        return AVERROR_PATCHWELCOME; /* the picture changed size or format mid-stream */
    if (pts < e->lo) {
        av_frame_unref(e->before);
        av_frame_move_ref(e->before, frame);
        return 0;
    }
    start_with_before(s, e, pts, false);
    int ret = 0;
    if (!e->frames && !e->pending->buf[0]) e->first = pts;
    if (e->pending->buf[0]) {
        if (pts <= e->pending->pts) return AVERROR_INVALIDDATA;
        e->gap = pts - e->pending->pts;
        if ((ret = send_pending(s, e, e->gap)) < 0) return ret;
    }
    av_frame_move_ref(e->pending, frame);
    e->pending->pts = pts;
    report(s, pts);
    return 0;
}

/* Encodes the last picture (lasting up to hi, or its predecessor's spacing) and drains. */
static int finish_edge(smart *s, edge *e) {
    if (e->finished || !e->enc) return 0;
    e->finished = true;
    start_with_before(s, e, 0, true);
    int ret = 0;
    if (e->pending->buf[0]) {
        int64_t left = e->hi - e->pending->pts;
        int64_t dur = left > 0 && (e->gap <= 0 || left <= 2 * e->gap) ? left : e->gap;
        ret = send_pending(s, e, dur);
    }
    if (ret >= 0) ret = avcodec_send_frame(e->enc, NULL);
    return ret < 0 ? ret : drain(s, e);
}

/* The edge the decoder's pictures go to now; NULL while it decodes only to have the pictures
 * the tail's leading ones refer to. */
static edge *receiver(smart *s) {
    if (s->head.enc && !s->head.finished) return &s->head;
    return s->ph == PHASE_TAIL && !s->tail.finished ? &s->tail : NULL;
}

/* A decoded picture: taken by the edge it belongs to; one at or past the edge's end ends it
 * (and the cut, unless copied pictures follow). */
static int on_frame(smart *s, AVFrame *frame) {
    edge *e = receiver(s);
    int64_t pts = frame->best_effort_timestamp;
    if (!e) return 0;
    if (pts == AV_NOPTS_VALUE || pts < e->hi) return take_frame(s, e, frame);
    int ret = finish_edge(s, e);
    if (e == &s->tail || !s->copy) s->ph = PHASE_DONE;
    return ret;
}

/* Decodes pkt (NULL flushes) and hands its pictures on. */
static int decode(smart *s, const AVPacket *pkt, AVFrame *frame) {
    int ret = avcodec_send_packet(s->dec, pkt);
    if (ret < 0 && pkt && ret != AVERROR(EAGAIN)) return ret == AVERROR_INVALIDDATA ? 0 : ret;
    while (s->ph != PHASE_DONE) {
        ret = avcodec_receive_frame(s->dec, frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
        if (ret < 0) return ret;
        ret = on_frame(s, frame);
        av_frame_unref(frame);
        if (ret < 0) return ret;
    }
    return 0;
}

/* The first copied packet after a head, in HEVC: a CRA becomes a BLA so that decoders start
 * afresh there, and in an hev1 track the source's parameter sets go ahead of it (the head's,
 * of the same ids, replaced them). */
static int splice_in(smart *s, AVPacket *pkt) {
    uint8_t *data;
    size_t size;
    int ret = av_packet_make_writable(pkt);
    if (ret < 0) return ret;
    if (cfclip_mp4_cra_to_bla(pkt->data, (size_t)pkt->size, s->length_size) < 0) return AVERROR_BUG2;
    if (s->hvc1) return 0;
    if (cfclip_mp4_join(s->hvcc.sets, s->hvcc.n_sets, s->length_size, pkt->data, (size_t)pkt->size, &data,
                        &size) < 0)
        return AVERROR_BUG2;
    return set_data(pkt, data, size);
}

/* An Annex B packet as the length-prefixed one MP4 stores (delimiters left out, and H.264's
 * parameter sets, which the output's avcC holds). */
static int length_prefixed(smart *s, AVPacket *pkt) {
    uint8_t *data;
    size_t size;
    if (cfclip_annexb_to_mp4(pkt->data, (size_t)pkt->size, s->codec, s->length_size, &data, &size) < 0)
        return AVERROR_BUG2;
    if (size == 0) return free(data), AVERROR_BUG2; /* no picture in it */
    return set_data(pkt, data, size);
}

/* A copied HEVC packet without the parameter sets it repeats (an hvc1 track holds them);
 * SETS_CHANGED when one of them is not the configuration's. */
static int without_sets(smart *s, AVPacket *pkt) {
    uint8_t *data;
    size_t size;
    int found = cfclip_hevc_sets_in(pkt->data, (size_t)pkt->size, s->length_size, &s->hvcc);
    s->sets_foreign |= found == 2;
    if (found != 1) return found ? SETS_CHANGED : 0;
    if (cfclip_mp4_hevc_rewrite(pkt->data, (size_t)pkt->size, s->length_size, NULL, &data, &size) < 0)
        return AVERROR_BUG2;
    if (size == 0) return free(data), AVERROR_BUG2; /* no picture in it */
    return set_data(pkt, data, size);
}

/* Writes the copied packets that waited for the head. */
static int write_held(smart *s) {
    int ret = 0;
    for (int i = 0; i < s->n_held; i++) {
        if (ret >= 0) ret = write_video(s, s->held[i]);
        av_packet_free(&s->held[i]);
    }
    s->n_held = 0;
    return ret;
}

/* A copied packet goes out after the head's last one: held while the head still encodes. */
static int write_copied(smart *s, AVPacket *pkt) {
    if (!s->head.enc || s->head.finished) return write_video(s, pkt);
    if (s->n_held == HELD_MAX) return AVERROR_BUG2;
    return (s->held[s->n_held++] = av_packet_clone(pkt)) ? 0 : AVERROR(ENOMEM);
}

/* A copied packet: shifted onto the output timeline. Leading pictures of the first keyframe
 * (shown before it) are the head's, encoded there. */
static int copy_packet(smart *s, AVPacket *pkt) {
    if (pkt->pts == AV_NOPTS_VALUE) return AVERROR(ENOSYS);
    if (pkt->pts < s->ka) return s->lead_a ? 0 : AVERROR(ENOSYS);
    int ret = 0;
    /* H.264's repeated sets leave with the conversion: they must be the configuration's */
    if (s->annexb && s->codec == CFCLIP_NAL_H264 &&
        !cfclip_annexb_sets_known(pkt->data, (size_t)pkt->size, &s->avcc))
        return SETS_CHANGED;
    if (s->annexb && (ret = length_prefixed(s, pkt)) < 0) return ret;
    if (s->hvc1 && (ret = without_sets(s, pkt)) < 0) return ret;
    if (!s->copied_any && s->codec == CFCLIP_NAL_HEVC && s->head.enc && (ret = splice_in(s, pkt)) < 0)
        return ret;
    s->copied_any = true;
    s->copied_max = FFMAX(s->copied_max, pkt->pts);
    report(s, pkt->pts);
    pkt->pts -= s->start;
    if (pkt->dts != AV_NOPTS_VALUE) pkt->dts -= s->start;
    return write_copied(s, pkt);
}

/* At the first copied keyframe without leading pictures: the head has all its pictures once
 * the decoder is flushed. */
static int end_head(smart *s, AVFrame *frame) {
    int ret = s->head.enc ? decode(s, NULL, frame) : 0;
    if (ret >= 0) ret = finish_edge(s, &s->head);
    avcodec_flush_buffers(s->dec);
    return ret;
}

/* Whether the decoder takes this packet: through the head (past the first copied keyframe
 * while its leading pictures come), from the keyframe before the tail's when that one has
 * leading pictures, and through the tail. */
static bool decoding(const smart *s) {
    if (s->ph == PHASE_HEAD || s->ph == PHASE_TAIL) return true;
    return s->ph == PHASE_COPY && ((s->head.enc && !s->head.finished) || s->tail_feed);
}

/* Moves the phase on at a keyframe of the copy. */
static void copy_key(smart *s, const AVPacket *pkt) {
    if (s->tail_needed && s->lead_b && pkt->pts == s->kp) s->tail_feed = true;
    if (s->tail_needed && pkt->pts == s->kb) {
        s->ph = PHASE_TAIL;
        s->tail.lo = s->lead_b ? s->copied_max + 1 : s->kb;
    } else if (!s->to_eof && pkt->pts >= s->end) {
        s->ph = PHASE_DONE;
    }
}

static int on_video(smart *s, AVPacket *pkt, AVFrame *frame) {
    bool key = (pkt->flags & AV_PKT_FLAG_KEY) && pkt->pts != AV_NOPTS_VALUE;
    int ret = 0;
    if (s->ph == PHASE_HEAD && s->copy && key && pkt->pts == s->ka) {
        s->ph = PHASE_COPY;
        if (!s->lead_a && (ret = end_head(s, frame)) < 0) return ret;
        s->fed_last = s->lead_a;
    }
    if (s->ph == PHASE_COPY && key) copy_key(s, pkt);
    bool feed = decoding(s);
    /* the decoder starts afresh at a keyframe when it skipped packets before it */
    if (feed && !s->fed_last) avcodec_flush_buffers(s->dec);
    s->fed_last = feed;
    if (feed && (ret = decode(s, pkt, frame)) < 0) return ret;
    if (s->n_held && s->head.finished && (ret = write_held(s)) < 0) return ret;
    return s->ph == PHASE_COPY ? copy_packet(s, pkt) : 0;
}

static int video_pass(smart *s, double start_s) {
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    int ret = pkt && frame ? cf_media_rewind(s->in, start_s) : AVERROR(ENOMEM);
    s->ph = s->copy && s->ka == s->start ? PHASE_COPY : PHASE_HEAD;
    s->fed_last = s->ph == PHASE_HEAD;
    while (ret >= 0 && s->ph != PHASE_DONE) {
        if (cf_progress_cancelled(s->progress)) {
            ret = AVERROR_EXIT;
            break;
        }
        if ((ret = av_read_frame(s->in->fmt, pkt)) < 0) break;
        if (pkt->stream_index == s->vindex) ret = on_video(s, pkt, frame);
        av_packet_unref(pkt);
    }
    if (ret == AVERROR_EOF || ret == AVERROR_INVALIDDATA) ret = 0;
    if (ret >= 0 && s->dec && s->fed_last && s->ph != PHASE_DONE) ret = decode(s, NULL, frame);
    if (ret >= 0) ret = finish_edge(s, &s->head);
    if (ret >= 0) ret = write_held(s);
    if (ret >= 0) ret = finish_edge(s, &s->tail);
    av_packet_free(&pkt);
    av_frame_free(&frame);
    return ret;
}

/* ---- the audio beside it ---- */

static cf_err add_audio(smart *s, const char *audio_path, cf_media_input *a, AVStream **ast, cf_error *err) {
    cf_err rc = cf_media_open(audio_path, NULL, a, err);
    if (rc) return rc;
    if (a->audio_index < 0) return cf_error_set(err, CF_ERR_INTERNAL, "smart cut: no audio made");
    const AVStream *ist = a->fmt->streams[a->audio_index];
    if (!(*ast = avformat_new_stream(s->oc, NULL)) ||
        avcodec_parameters_copy((*ast)->codecpar, ist->codecpar) < 0)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    (*ast)->codecpar->codec_tag = 0;
    (*ast)->time_base = ist->time_base;
    cf_media_keep_stream_tags(*ast, ist); /* the encoded audio kept the source's */
    return CF_OK;
}

/* Hands the muxer every audio packet; it holds them until the video catches up. */
static int feed_audio(cf_media_input *a, AVStream *ast, AVFormatContext *oc) {
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? 0 : AVERROR(ENOMEM);
    const AVStream *ist = a->fmt->streams[a->audio_index];
    while (ret >= 0 && (ret = av_read_frame(a->fmt, pkt)) >= 0) {
        if (pkt->stream_index == ist->index) {
            av_packet_rescale_ts(pkt, ist->time_base, ast->time_base);
            pkt->stream_index = ast->index;
            pkt->pos = -1;
            ret = cf_output_write(oc, pkt);
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    return ret == AVERROR_EOF ? 0 : ret;
}

/* ---- the whole cut ---- */

static cf_err add_video(smart *s, cf_error *err) {
    const AVStream *ist = s->in->fmt->streams[s->vindex];
    if (!(s->ost = avformat_new_stream(s->oc, NULL)) ||
        avcodec_parameters_copy(s->ost->codecpar, ist->codecpar) < 0)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    s->ost->codecpar->codec_tag = 0;
    s->ost->time_base = s->tb;
    cf_media_keep_stream_tags(s->ost, ist);
    if (cf_media_keep_display_matrix(s->ost, ist) < 0)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return make_config(s, s->ost->codecpar, err);
}

/* The hvc1 configuration: the source's record with the edges' parameter sets renumbered to
 * s->ids (both edges' encoders write the same sets); NULL, or why it cannot be made. */
static const char *hvc1_config(smart *s) {
    const AVCodecContext *a = s->head.enc ? s->head.enc : s->tail.enc, *b = s->tail.enc;
    if (a && b && a != b &&
        (a->extradata_size != b->extradata_size ||
         memcmp(a->extradata, b->extradata, (size_t)a->extradata_size)))
        return "the edge encoders wrote different parameter sets";
    cfclip_nal sets[8];
    uint8_t *renumbered[8] = {0};
    int n = a ? cfclip_annexb_split(a->extradata, (size_t)a->extradata_size, sets, 8) : 0, edge_pps = -1;
    if (n < 0) return "libx265 gave headers that are not Annex B";
    for (int i = 0; i < n; i++)
        if (sets[i].size >= 2 && (sets[i].data[0] >> 1 & 0x3f) == 34) edge_pps = cfclip_hevc_ps_id(&sets[i]);
    if (a && cfclip_hevc_free_ids(s->hvcc.sets, s->hvcc.n_sets, edge_pps, &s->ids) < 0)
        return "the source uses the parameter set ids the edges need";
    const char *why = NULL;
    for (int i = 0; i < n && !why; i++) {
        size_t size;
        if (cfclip_hevc_renumber(&sets[i], &s->ids, &renumbered[i], &size) < 0)
            why = "libx265's parameter sets could not be renumbered";
        else sets[i] = (cfclip_nal){renumbered[i], size};
    }
    const AVCodecParameters *par = s->in->fmt->streams[s->vindex]->codecpar;
    const uint8_t *base = s->hvcc_made ? s->hvcc_made : par->extradata;
    size_t base_size = s->hvcc_made ? s->hvcc_made_size : (size_t)par->extradata_size;
    if (!why && cfclip_hvcc_build(base, base_size, sets, n, &s->config, &s->config_size) < 0)
        why = "the source's configuration has no room for the edges' parameter sets";
    for (int i = 0; i < n; i++) free(renumbered[i]);
    return why;
}

/* Whether the output is an hvc1 track. A phone's hvc1 source is cut into hvc1 or not at all:
 * its players do not play hev1. */
static cf_err plan_hvc1(smart *s, cf_error *err) {
    const char *why = s->sets_foreign ? "its parameter sets change within the range" : hvc1_config(s);
    s->hvc1 = why == NULL;
    if (why && s->in->fmt->streams[s->vindex]->codecpar->codec_tag == CFCLIP_HVC1)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "the hvc1 source cannot be cut into hvc1: %s", why);
    return CF_OK;
}

static cf_err set_up(smart *s, const cfclip_span *span, cf_error *err) {
    int id_a = free_id(&s->avcc, 1), id_b = id_a >= 0 ? free_id(&s->avcc, id_a + 1) : -1;
    bool head = !s->copy || s->ka > s->start;
    if (s->codec == CFCLIP_NAL_H264 && id_b < 0) return cannot(err, "the source uses every parameter set id");
    s->head = (edge){.lo = s->start, .hi = s->copy ? s->ka : s->end, .delay = s->copy ? s->delay_a : 0};
    s->tail = (edge){.lo = s->kb, .hi = s->end, .delay = s->delay_b};
    cf_err rc = CF_OK;
    if (head) rc = open_edge(s, &s->head, id_a, err);
    if (!rc && s->tail_needed) rc = open_edge(s, &s->tail, id_b, err);
    if (!rc && (!(s->head.pending = av_frame_alloc()) || !(s->tail.pending = av_frame_alloc()) ||
                !(s->head.before = av_frame_alloc()) || !(s->opkt = av_packet_alloc())))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_media_decode_opts dopts = {.threads = s->plan->threads};
    if (!rc && (head || s->tail_needed)) rc = cf_media_open_decoder(s->in, s->vindex, &dopts, &s->dec, err);
    if (!rc && s->codec == CFCLIP_NAL_HEVC) rc = plan_hvc1(s, err);
    (void)span;
    return rc;
}

static void stats_of(const smart *s, cfclip_smart_stats *st) {
    double tb = av_q2d(s->tb);
    /* the tail starts at its first picture: before its keyframe when that has leading ones */
    int64_t tail_from = s->tail.frames ? s->tail.first : s->kb;
    int64_t copy_end = s->tail_needed ? tail_from : s->last;
    st->head_s = ((s->copy ? s->ka : s->last) - s->start) * tb;
    st->copied_s = s->copy ? (copy_end - s->ka) * tb : 0;
    st->tail_s = s->tail_needed ? (s->last - tail_from) * tb : 0;
}

static cf_err run(smart *s, const cfclip_span *span, const char *audio_path, const char *path,
                  cf_error *err) {
    cf_media_input audio = {0};
    AVStream *ast = NULL;
    cf_err rc = scan(s, span->origin_s, err);
    if (!rc) rc = set_up(s, span, err);
    if (!rc && cf_output_alloc(&s->oc, "mp4", path) < 0)
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "smart cut: cannot create the output muxer");
    if (!rc) cf_media_keep_tags(s->oc, s->in->fmt);
    if (!rc) rc = add_video(s, err);
    if (!rc && audio_path) rc = add_audio(s, audio_path, &audio, &ast, err);
    if (!rc) {
        s->oc->max_interleave_delta = 0; /* the audio comes first, all of it: wait for video */
        rc = cf_output_start(s->oc, CF_TARGET_FORMAT_MP4, path, err);
    }
    int ret = 0;
    if (!rc && ast) ret = feed_audio(&audio, ast, s->oc);
    if (!rc && ret >= 0) ret = video_pass(s, span->origin_s);
    if (!rc && ret >= 0 && !s->wrote) ret = AVERROR_INVALIDDATA;
    if (!rc && ret >= 0) ret = av_write_trailer(s->oc);
    if (audio.fmt) cf_media_close(&audio);
    if (rc) return rc;
    if (ret == SETS_CHANGED) return cannot(err, "the source's parameter sets change within the range");
    if (ret == AVERROR(ENOSYS))
        return cannot(err, "a picture group of the source refers to the one before it (open GOP)");
    if (ret == AVERROR_BUG2 || ret == AVERROR_PATCHWELCOME)
        return cannot(err, "the source's timestamps or picture format do not allow joining");
    if (ret == AVERROR_EXIT) return cf_error_set(err, CF_ERR_CANCELLED, "smart cut: cancelled");
    if (ret == AVERROR_INVALIDDATA)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                            "smart cut: %s has no decodable video in the "
                            "range",
                            s->plan->input);
    if (ret < 0)
        return cf_error_set(err, cf_av_code(ret, CF_ERR_PROCESSING), "smart cut to %s: %s", path,
                            av_err2str(ret));
    stats_of(s, s->stats);
    return CF_OK;
}

static void release(smart *s) {
    edge *edges[2] = {&s->head, &s->tail};
    for (int i = 0; i < 2; i++) {
        avcodec_free_context(&edges[i]->enc);
        av_frame_free(&edges[i]->pending);
        av_frame_free(&edges[i]->before);
    }
    avcodec_free_context(&s->dec);
    av_packet_free(&s->opkt);
    free(s->hvcc_made);
    free(s->config);
    for (int i = 0; i < s->n_held; i++) av_packet_free(&s->held[i]);
    if (s->oc) {
        avio_closep(&s->oc->pb);
        avformat_free_context(s->oc);
    }
}

/* The avcC of an Annex B source: its sets, and for a high profile the chroma format and bit
 * depths the record ends with (ISO/IEC 14496-15, 5.3.3.1.2), from the source's pixel format. */
static void annexb_config(smart *s, const AVCodecParameters *par) {
    cfclip_avcc_from_annexb(par->extradata, (size_t)par->extradata_size, &s->avcc); /* checked */
    int p = s->avcc.profile, chroma, depth;
    if ((p != 100 && p != 110 && p != 122 && p != 144) || !format_of(par, &chroma, &depth)) return;
    s->avcc_ext[0] = (uint8_t)(0xfc | chroma);
    s->avcc_ext[1] = s->avcc_ext[2] = (uint8_t)(0xf8 | ((depth - 8) & 7));
    s->avcc_ext[3] = 0; /* no SPS extensions */
    s->avcc.tail = s->avcc_ext;
    s->avcc.tail_size = sizeof s->avcc_ext;
}

/* Fills s for a cut of span: the source's configuration and the span's times. */
static cf_err prepare(smart *s, const cfclip_span *span, cf_error *err) {
    const cf_media_input *in = s->in;
    double input_end = in->start_us / 1e6 + in->duration_ms / 1000.0;
    const AVCodecParameters *par = in->fmt->streams[s->vindex]->codecpar;
    /* both checked by cfclip_smart_check */
    if (par->codec_id == AV_CODEC_ID_HEVC) {
        s->codec = CFCLIP_NAL_HEVC;
        if (hevc_config(par, &s->hvcc, &s->hvcc_made, &s->hvcc_made_size) < 0)
            return cf_error_set(err, CF_ERR_NO_MEMORY, "smart cut: out of memory");
        s->annexb = s->hvcc_made != NULL;
        s->length_size = s->hvcc.length_size;
    } else {
        s->codec = CFCLIP_NAL_H264;
        s->annexb = cfclip_avcc_parse(par->extradata, (size_t)par->extradata_size, &s->avcc) < 0;
        if (s->annexb) annexb_config(s, par);
        s->length_size = s->avcc.length_size;
    }
    s->tb = in->fmt->streams[s->vindex]->time_base;
    s->start = to_ts(span->origin_s, s->tb);
    s->to_eof = span->end_s < 0 || span->end_s >= input_end - 0.001;
    s->end = s->to_eof ? INT64_MAX : to_ts(span->end_s, s->tb);
    s->last = s->to_eof ? to_ts(input_end, s->tb) : s->end;
    return CF_OK;
}

/* One cut; *again when HEVC met parameter sets past the scan that its hvc1 track cannot hold. */
static cf_err cut_once(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                       const char *audio_path, const char *path, cf_progress *progress,
                       cfclip_smart_stats *stats, bool hev1, bool *again, cf_error *err) {
    smart s = {.in = in,
               .plan = plan,
               .vindex = in->video_index,
               .progress = progress,
               .stats = stats,
               .sets_foreign = hev1};
    cf_err rc = prepare(&s, span, err);
    if (!rc) rc = run(&s, span, audio_path, path, err);
    *again = rc == CF_ERR_UNSUPPORTED && s.hvc1 && s.sets_foreign;
    release(&s);
    return rc;
}

cf_err cfclip_smart_cut(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                        const char *audio_path, const char *path, cf_progress *progress,
                        cfclip_smart_stats *stats, cf_error *err) {
    cf_err rc = cfclip_smart_check(in, plan, err);
    if (rc) return rc;
    memset(stats, 0, sizeof *stats);
    bool again = false;
    rc = cut_once(in, plan, span, audio_path, path, progress, stats, false, &again, err);
    /* HEVC whose sets change past the scan: made again as hev1, the sets in the stream (a
     * phone's hvc1 source has no sets in the stream) */
    return again ? cut_once(in, plan, span, audio_path, path, progress, stats, true, &again, err) : rc;
}

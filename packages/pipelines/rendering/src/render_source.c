/* render_source.c — reads one scene's source for the render graph. Frames keep their stream
 * timestamps (the graph trims and shifts them by the scene's absolute source times), so a file
 * that starts at 1.4 s, wraps its PTS or has audio that starts late stays in sync. Packets are
 * read only as far as the scene needs: a stream whose frames pass the scene's end gets its end
 * of stream at once. A damaged packet is skipped, as players do; a file that ends before the
 * scene does is reported by cf_render_source_short. */
#include "render_source.h"

#include <libavfilter/buffersrc.h>
#include <libavutil/samplefmt.h>
#include <math.h>
#include <string.h>

/* Frames this far before the scene cannot be shown (trim drops them): not worth pushing. */
#define PREROLL_S 1.0

static cf_err lane_open(render_source *s, render_lane *l, int index, int threads, cf_error *err) {
    l->index = index;
    l->last_s = l->prev_s = -1e9;
    if (index < 0) {
        l->done = true;
        return CF_OK;
    }
    cf_media_decode_opts o = {.threads = threads};
    return cf_media_open_decoder(&s->in, index, &o, &l->dec, err);
}

cf_err cf_render_source_open(render_source *s, const char *path, const cf_media_select *sel,
                             render_source_streams streams, double start_s, double end_s, int threads,
                             cf_error *err) {
    memset(s, 0, sizeof *s);
    s->video.index = s->audio.index = -1;
    s->cover_index = -1;
    s->start_s = start_s;
    s->end_s = end_s;
    s->counted = (streams & RENDER_SOURCE_MUSIC) == RENDER_SOURCE_MUSIC;
    s->looped = (streams & RENDER_SOURCE_IMAGE) == RENDER_SOURCE_IMAGE;
    s->first_s = -1e9;
    s->cut_s = -1;
    bool pictures = streams & RENDER_SOURCE_PICTURES, sound = streams & RENDER_SOURCE_SOUND;
    cf_err e = cf_media_open(path, sel, &s->in, err);
    /* an image overlay may be a still picture; its sound is not read */
    if (!e && s->looped) s->in.audio_index = -1;
    if (e || (e = cf_media_require(&s->in, pictures && !(s->looped && s->in.still), sound, path, err)))
        return e;
    /* a source without pictures is drawn as its sound (render_graph.c), which needs its sound */
    if (pictures && s->in.video_index < 0 && (!sound || s->in.audio_index < 0))
        return cf_error_set(
            err, CF_ERR_INVALID_MEDIA, "%s has no video%s", path,
            s->in.audio_index >= 0 ? ", and a render without sound (GIF alone) cannot draw its sound" : "");
    cf_media_discard_others(&s->in);
    if (s->looped) s->plays = cf_media_plays(&s->in);
    if (s->counted) s->start_s = s->in.start_us / 1e6, s->end_s = 1e18;
    if ((e = lane_open(s, &s->video, pictures ? s->in.video_index : -1, threads, err)) ||
        (e = lane_open(s, &s->audio, sound ? s->in.audio_index : -1, threads, err)))
        return e;
    /* the sound alone is a reading beside the render's own (its meter): a change of the sound
     * midway is logged once, by the render's */
    s->audio.fit.changed = !pictures;
    if (!(s->pkt = av_packet_alloc()) || !(s->frame = av_frame_alloc()))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (pictures && s->video.index < 0) s->cover = cf_media_cover_picture(&s->in, &s->cover_index);
    double from = s->looped ? s->in.start_us / 1e6 : s->start_s;
    int ret = cf_media_rewind_to_decode(&s->in, from);
    if (ret < 0)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: cannot seek to %.3f s: %s", path,
                            from - s->in.start_us / 1e6, av_err2str(ret));
    return CF_OK;
}

void cf_render_source_args(const render_source *s, AVBPrint *video, AVBPrint *audio, AVBPrint *cover) {
    if (s->video.dec) cf_media_video_src_args(s->video.dec, s->in.fmt->streams[s->video.index], video);
    if (s->audio.dec) cf_media_audio_src_args(s->audio.dec, audio);
    if (s->cover)
        av_bprintf(cover, "video_size=%dx%d:pix_fmt=%d:time_base=1/1:pixel_aspect=1/1", s->cover->width,
                   s->cover->height, s->cover->format);
}

cf_err cf_render_source_bind(render_source *s, AVFilterGraph *g, const char *vname, const char *aname,
                             const char *cname, cf_error *err) {
    s->video.src = s->video.dec ? avfilter_graph_get_filter(g, vname) : NULL;
    s->audio.src = s->audio.dec ? avfilter_graph_get_filter(g, aname) : NULL;
    s->cover_src = s->cover ? avfilter_graph_get_filter(g, cname) : NULL;
    if ((s->video.dec && !s->video.src) || (s->audio.dec && !s->audio.src) || (s->cover && !s->cover_src))
        return cf_error_set(err, CF_ERR_INTERNAL, "render: the graph has no source %s", vname);
    if (s->cover) {
        s->cover->pts = 0;
        int ret = av_buffersrc_add_frame_flags(s->cover_src, s->cover, AV_BUFFERSRC_FLAG_KEEP_REF);
        if (ret >= 0) ret = av_buffersrc_add_frame_flags(s->cover_src, NULL, 0);
        if (ret < 0) return cf_av_fail(err, CF_ERR_PROCESSING, "render", "push the cover picture", ret);
    }
    return CF_OK;
}

unsigned cf_render_source_wanted(const render_source *s) {
    unsigned n = 0;
    if (!s->video.done) n += av_buffersrc_get_nb_failed_requests(s->video.src);
    if (!s->audio.done) n += av_buffersrc_get_nb_failed_requests(s->audio.src);
    return n;
}

bool cf_render_source_done(const render_source *s) {
    return s->video.done && s->audio.done;
}

/* The time base of the lane's frames: its stream's. */
static double lane_tb(const render_source *s, const render_lane *l) {
    return av_q2d(s->in.fmt->streams[l->index]->time_base);
}

/* A scene with no sound of its stream (a recording whose sound stopped before the scene while its
 * pictures went on) gets one silent frame at its start, which the graph pads to the scene's length:
 * with none, the sound of the render was empty and its muxer failed ("Invalid argument"). */
static int push_silence(render_source *s, render_lane *l) {
    AVFrame *f = av_frame_alloc();
    int ret = f ? 0 : AVERROR(ENOMEM);
    if (ret >= 0) {
        f->format = l->dec->sample_fmt;
        f->sample_rate = l->dec->sample_rate;
        f->nb_samples = 1024;
        ret = cf_media_known_layout(&l->dec->ch_layout, &f->ch_layout);
    }
    if (ret >= 0) ret = av_frame_get_buffer(f, 0);
    if (ret >= 0) {
        av_samples_set_silence(f->extended_data, 0, f->nb_samples, f->ch_layout.nb_channels, f->format);
        f->pts = llrint(s->start_s / lane_tb(s, l));
        ret = av_buffersrc_add_frame_flags(l->src, f, 0);
    }
    av_frame_free(&f);
    return ret == AVERROR_EOF ? 0 : ret;
}

static int close_lane(render_lane *l) {
    if (l->done) return 0;
    l->done = true;
    av_frame_free(&l->before);
    av_frame_free(&l->shown);
    int ret = av_buffersrc_add_frame_flags(l->src, NULL, 0);
    return ret == AVERROR_EOF ? 0 : ret;
}

static int hold_to_end(render_source *s, render_lane *l, double until);

/* The stream's part of the scene is over (until: where its pictures should reach): the last
 * picture held there, silence for a scene it had no sound in, then its end. */
static int end_lane(render_source *s, render_lane *l, double until) {
    int ret = hold_to_end(s, l, until);
    if (ret >= 0 && l->dec->codec_type == AVMEDIA_TYPE_AUDIO && !l->reached) ret = push_silence(s, l);
    return ret < 0 ? ret : close_lane(l);
}

/* *slot becomes a reference to f. */
static int keep_ref(AVFrame **slot, const AVFrame *f) {
    if (!*slot && !(*slot = av_frame_alloc())) return AVERROR(ENOMEM);
    av_frame_unref(*slot);
    return av_frame_ref(*slot, f);
}

/* Pushes a video picture at source time t, kept as the latest one shown. */
static int push_picture(render_source *s, render_lane *l, AVFrame *f, double t) {
    int ret = keep_ref(&l->shown, f);
    l->shown_s = t;
    if (ret >= 0) ret = av_buffersrc_add_frame_flags(l->src, f, 0);
    return ret;
}

/* The scene starts between two pictures far apart (CF_MEDIA_START_GAP_S): the one on screen at
 * its start is pushed again at the start, as a player shows it. Called with the first picture
 * at or after the start (t), or at the end of the stream (t < 0). */
static int push_before(render_source *s, render_lane *l, double t) {
    AVFrame *b = l->before;
    l->before = NULL;
    int ret = 0;
    if (b && (t < 0 || t > s->start_s + CF_MEDIA_START_GAP_S)) {
        b->pts = llrint(s->start_s / lane_tb(s, l));
        ret = push_picture(s, l, b, s->start_s);
    }
    av_frame_free(&b);
    return ret == AVERROR_EOF ? 0 : ret;
}

/* The scene goes on well past the last picture pushed (pictures a minute apart): it is pushed
 * again just before until, so the pictures span the scene. FFmpeg 5.1's overlay ends its output
 * at its inputs' last picture, and fps makes none after that: a scene of 10 s inside a picture
 * that lasts a minute came out with no video. */
static int hold_to_end(render_source *s, render_lane *l, double until) {
    AVFrame *h = l->shown;
    l->shown = NULL;
    int ret = 0;
    if (h && h->buf[0] && until - l->shown_s > CF_MEDIA_START_GAP_S) {
        h->pts = llrint((until - 0.01) / lane_tb(s, l));
        ret = av_buffersrc_add_frame_flags(l->src, h, 0);
    }
    av_frame_free(&h);
    return ret == AVERROR_EOF ? 0 : ret;
}

/* What the graph's answer to a frame means: EOF, it needs no more of the stream. */
static int pushed_one(render_lane *l, int ret, int *pushed) {
    if (ret == AVERROR_EOF) {
        l->went_on = true;
        return close_lane(l);
    }
    if (ret >= 0) (*pushed)++;
    return ret;
}

/* A frame of a music track, timed by the samples before it (after the fitting: one rate). */
static int push_counted(render_source *s, render_lane *l, int *pushed) {
    AVFrame *f = s->frame;
    int ret = cf_media_fitter_apply(&l->fit, f, l->src, "render", l->index,
                                    f->sample_rate > 0 ? (double)l->samples / f->sample_rate : 0);
    if (ret >= 0) {
        f->pts = av_rescale_q(l->samples, (AVRational){1, f->sample_rate}, l->dec->pkt_timebase);
        l->samples += f->nb_samples;
        l->reached = true;
        ret = av_buffersrc_add_frame_flags(l->src, f, 0);
    }
    av_frame_unref(f);
    return pushed_one(l, ret, pushed);
}

/* A picture of an image overlay, at the render time its place in the file gives (after the
 * passes played before, from the overlay's start); one at or past the overlay's end ends it,
 * the picture before held to there. A picture that would go back in time is passed over. */
static int push_looped(render_source *s, render_lane *l, int *pushed) {
    AVFrame *f = s->frame;
    int64_t pts = f->best_effort_timestamp;
    double own = pts != AV_NOPTS_VALUE ? pts * lane_tb(s, l) : l->last_s > -1e8 ? l->last_s : 0;
    if (s->first_s < -1e8) s->first_s = own;
    double t = s->start_s + s->loop_s + own - s->first_s;
    if (t >= s->end_s) {
        av_frame_unref(f);
        l->went_on = true;
        return end_lane(s, l, s->end_s);
    }
    if (l->shown && t <= l->shown_s) return av_frame_unref(f), 0;
    l->prev_s = l->last_s, l->last_s = own;
    l->frame_s = f->pkt_duration > 0 ? f->pkt_duration * lane_tb(s, l) : 0;
    s->pass_pictures++;
    int ret = cf_media_fitter_apply(&l->fit, f, l->src, "render", l->index, own - s->in.start_us / 1e6);
    if (ret >= 0) {
        f->pts = llrint(t / lane_tb(s, l));
        ret = push_picture(s, l, f, t);
    }
    av_frame_unref(f);
    return pushed_one(l, ret, pushed);
}

/* Pushes one decoded frame; *pushed counts it. */
static int push(render_source *s, render_lane *l, int *pushed) {
    if (s->counted) return push_counted(s, l, pushed);
    if (s->looped) return push_looped(s, l, pushed);
    AVFrame *f = s->frame;
    f->pts = f->best_effort_timestamp;
    double t = f->pts == AV_NOPTS_VALUE ? l->last_s : f->pts * lane_tb(s, l);
    int ret = l->before && f->pts != AV_NOPTS_VALUE && t >= s->start_s ? push_before(s, l, t) : 0;
    if (ret < 0) return ret;
    if (f->pts != AV_NOPTS_VALUE && t >= s->end_s) {
        av_frame_unref(f);
        l->went_on = true;
        return end_lane(s, l, s->end_s); /* the scene is over for this stream */
    }
    bool video = l->dec->codec_type == AVMEDIA_TYPE_VIDEO;
    bool early = f->pts != AV_NOPTS_VALUE && t < s->start_s;
    if (ret >= 0) /* as the graph's; a change logged at its media time */
        ret = cf_media_fitter_apply(&l->fit, f, l->src, "render", l->index, t - s->in.start_us / 1e6);
    if (ret >= 0 && video && early) ret = keep_ref(&l->before, f);
    if (ret < 0) return av_frame_unref(f), ret;
    if (early && t < s->start_s - PREROLL_S) {
        l->prev_s = l->last_s, l->last_s = t;
        av_frame_unref(f);
        return 0;
    }
    if (l->last_s > -1e8 && cf_media_went_back(&s->in, l->last_s, t)) {
        av_frame_unref(f);
        l->went_back = true;
        return AVERROR_INVALIDDATA;
    }
    l->prev_s = l->last_s, l->last_s = t;
    if (!video && f->sample_rate > 0 && t + (double)f->nb_samples / f->sample_rate > s->start_s)
        l->reached = true;
    ret = video ? push_picture(s, l, f, t) : av_buffersrc_add_frame_flags(l->src, f, 0);
    av_frame_unref(f);
    return pushed_one(l, ret, pushed);
}

/* Decodes pkt (NULL = flush) and pushes what comes out. */
static int decode(render_source *s, render_lane *l, const AVPacket *pkt, int *pushed) {
    int ret = avcodec_send_packet(l->dec, pkt);
    if (ret < 0 && pkt && ret != AVERROR(EAGAIN)) return ret == AVERROR_INVALIDDATA ? 0 : ret;
    while (!l->done) {
        ret = avcodec_receive_frame(l->dec, s->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
        if (ret == AVERROR_INVALIDDATA) continue;
        if (ret < 0 || (ret = push(s, l, pushed)) < 0) return ret;
    }
    return 0;
}

static double stated_end(const render_source *s, int index, bool *own);

/* Passes shorter than this are not played again (a still with two pictures at one time). */
#define MIN_PASS_S 0.02

/* An image overlay's file ended before the overlay: when it holds several pictures and asks to
 * be played again (cf_media_plays) it is read again from its start, the next pass timed after this one (its
 * pictures' span and the last one's duration, else their mean interval). True when so. */
static bool replay(render_source *s, render_lane *l) {
    bool own;
    double end = stated_end(s, l->index, &own);
    /* a file cut short would loop its readable part: said, for the render to refuse (a file
     * that states no end of its stream, a still, cannot be told from a whole one) */
    if (s->loop_s == 0 && own && cf_media_cut_short(&s->in, own, l->last_s, l->prev_s, end))
        s->cut_s = l->last_s - s->in.start_us / 1e6;
    if (s->plays > 0 && ++s->passes >= s->plays) return false; /* as often as it asks */
    int n = s->pass_pictures;
    double span = l->last_s - s->first_s;
    double last = l->frame_s > 0 ? l->frame_s : n > 1 ? span / (n - 1) : 0;
    if (n < 2 || span + last < MIN_PASS_S || cf_media_rewind_to_decode(&s->in, s->in.start_us / 1e6) < 0)
        return false;
    avcodec_flush_buffers(l->dec);
    s->loop_s += span + last;
    s->pass_pictures = 0;
    return true;
}

static int finish(render_source *s) {
    int pushed = 0, ret = 0;
    render_lane *lanes[2] = {&s->video, &s->audio};
    for (int i = 0; i < 2 && ret >= 0; i++) {
        if (lanes[i]->done) continue;
        ret = decode(s, lanes[i], NULL, &pushed);
        if (ret >= 0 && !lanes[i]->done && s->looped && replay(s, lanes[i])) continue;
        if (ret >= 0 && !lanes[i]->done) ret = push_before(s, lanes[i], -1); /* nothing came after it */
        if (ret >= 0 && !lanes[i]->done)
            ret = end_lane(s, lanes[i],
                           s->looped ? s->end_s : fmin(s->end_s, stated_end(s, lanes[i]->index, NULL)));
    }
    return ret;
}

int cf_render_source_feed(render_source *s) {
    int pushed = 0;
    while (!pushed && !cf_render_source_done(s)) {
        int ret = cf_media_read(&s->in, s->pkt);
        /* the end of the file, or of its readable part (cf_render_source_short tells which) */
        if (ret == AVERROR_EOF || ret == AVERROR_INVALIDDATA) return finish(s);
        if (ret < 0) return ret;
        render_lane *l = s->pkt->stream_index == s->video.index   ? &s->video
                         : s->pkt->stream_index == s->audio.index ? &s->audio
                                                                  : NULL;
        ret = l && !l->done ? decode(s, l, s->pkt, &pushed) : 0;
        av_packet_unref(s->pkt);
        if (ret < 0) return ret;
    }
    return 0;
}

/* Where the stream's data ends by the file's own account (cf_media_stated_end; own may be NULL);
 * far away when unknown. */
static double stated_end(const render_source *s, int index, bool *own) {
    double end = cf_media_stated_end(&s->in, index, own);
    return end >= 0 ? end : 1e18;
}

cf_err cf_render_source_went_back(const render_source *s, const char *what, cf_error *err) {
    const render_lane *l = s->video.went_back ? &s->video : s->audio.went_back ? &s->audio : NULL;
    if (!l) return CF_OK;
    return cf_media_went_back_error(what, l->index, l->last_s - s->in.start_us / 1e6, err);
}

double cf_render_source_short(const render_source *s) {
    if (s->looped) return s->cut_s;
    const render_lane *lanes[2] = {&s->video, &s->audio};
    for (int i = 0; i < 2; i++) {
        const render_lane *l = lanes[i];
        /* a stream that went on past the scene has a hole before it, not a missing end */
        if (l->index < 0 || l->went_on) continue;
        bool own;
        double want = stated_end(s, l->index, &own);
        if (s->end_s < want) want = s->end_s;
        if (cf_media_cut_short(&s->in, own, l->last_s, l->prev_s, want))
            return l->last_s - s->in.start_us / 1e6;
    }
    return -1;
}

void cf_render_source_ended(const render_source *s, AVBPrint *bp) {
    const render_lane *lanes[2] = {&s->video, &s->audio};
    double start = s->in.start_us / 1e6;
    int n = 0;
    for (int i = 0; i < 2; i++) {
        const render_lane *l = lanes[i];
        bool own = false;
        double end = l->index >= 0 && !l->went_on ? stated_end(s, l->index, &own) : 1e18;
        /* a slideshow's last picture lasts its interval, which a stated end may leave out; a
         * stream without an end of its own ends with its last frame */
        if (l->last_s > -1e8 && l->prev_s > -1e8) {
            double data_end = 2 * l->last_s - l->prev_s;
            end = own || end > 1e17 ? fmax(end, data_end) : fmin(end, data_end);
        }
        if (end > s->end_s - 0.5) continue;
        av_bprintf(bp, "%s%s stream %d ends at %.1f s, before the scene does (%.1f s): %s", n++ ? "; " : "",
                   i ? "audio" : "video", l->index, end - start, s->end_s - start,
                   i ? "silence after it" : "its last picture is held");
    }
}

void cf_render_source_close(render_source *s) {
    if (!s) return;
    avcodec_free_context(&s->video.dec);
    cf_media_fitter_free(&s->video.fit);
    cf_media_fitter_free(&s->audio.fit);
    av_frame_free(&s->video.before);
    av_frame_free(&s->video.shown);
    avcodec_free_context(&s->audio.dec);
    av_packet_free(&s->pkt);
    av_frame_free(&s->frame);
    av_frame_free(&s->cover);
    cf_media_close(&s->in);
}

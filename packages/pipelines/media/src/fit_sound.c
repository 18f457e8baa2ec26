/* fit_sound.c — sound of another layout, rate or sample format than its filter graph or
 * resampler was made for, converted to what they take. A broadcast recording goes from stereo to
 * 5.1 when the film starts after the adverts, joined recordings change their rate: FFmpeg 5.1's
 * buffer source refuses such a frame ("changing audio frame properties on the fly is not
 * supported"), which failed the whole clip or render with "Invalid argument", and a resampler
 * made for two channels reads past a frame of one. */
#include "fit.h"

#include <libswresample/swresample.h>

#include "clipforge/log.h"

static bool same_sound(const AVChannelLayout *layout, int rate, int format, const AVFrame *f) {
    AVChannelLayout have = {0};
    bool same = cf_media_known_layout(&f->ch_layout, &have) >= 0 &&
                !av_channel_layout_compare(&have, layout) && f->sample_rate == rate && f->format == format;
    av_channel_layout_uninit(&have);
    return same;
}

int cf_media_fitter_sound(cf_media_fitter *ft, const AVChannelLayout *layout, int rate, int format) {
    av_channel_layout_uninit(&ft->sound_out);
    ft->out_rate = rate, ft->out_format = format;
    return cf_media_known_layout(layout, &ft->sound_out);
}

/* The converter from the frame's sound to the fitter's, made anew when the frame's changes. */
static int converter(cf_media_fitter *ft, const AVFrame *f) {
    if (ft->swr && same_sound(&ft->sound_in, ft->in_rate, ft->in_format, f)) return 0;
    swr_free(&ft->swr);
    av_channel_layout_uninit(&ft->sound_in);
    int ret = cf_media_known_layout(&f->ch_layout, &ft->sound_in);
    ft->in_rate = f->sample_rate, ft->in_format = f->format;
    if (ret >= 0)
        ret = swr_alloc_set_opts2(&ft->swr, &ft->sound_out, (enum AVSampleFormat)ft->out_format, ft->out_rate,
                                  &ft->sound_in, (enum AVSampleFormat)f->format, f->sample_rate, 0, NULL);
    return ret < 0 ? ret : swr_init(ft->swr);
}

static void describe(const AVChannelLayout *layout, int rate, AVBPrint *bp) {
    av_channel_layout_describe_bprint(layout, bp);
    av_bprintf(bp, " %d Hz", rate);
}

static void log_change(const cf_media_fitter *ft, const AVFrame *f, const char *component, int index,
                       double t_s) {
    AVChannelLayout have = {0};
    AVBPrint was, now;
    av_bprint_init(&was, 0, AV_BPRINT_SIZE_AUTOMATIC);
    av_bprint_init(&now, 0, AV_BPRINT_SIZE_AUTOMATIC);
    if (cf_media_known_layout(&f->ch_layout, &have) >= 0) describe(&have, f->sample_rate, &now);
    describe(&ft->sound_out, ft->out_rate, &was);
    cf_log_warn(component, "audio stream %d changes its sound at %.3f s (%s, was %s): converted to %s", index,
                cfmedia_log_time(t_s), now.str, was.str, was.str);
    av_bprint_finalize(&was, NULL);
    av_bprint_finalize(&now, NULL);
    av_channel_layout_uninit(&have);
}

int cf_media_fit_sound(cf_media_fitter *ft, AVFrame *frame, const char *component, int index, double t_s) {
    if (ft->out_rate <= 0 || same_sound(&ft->sound_out, ft->out_rate, ft->out_format, frame)) return 0;
    if (frame->sample_rate <= 0 || frame->ch_layout.nb_channels <= 0) return AVERROR_INVALIDDATA;
    if (!ft->changed) log_change(ft, frame, component, index, t_s);
    ft->changed = true;
    AVFrame *out = av_frame_alloc();
    int ret = out ? converter(ft, frame) : AVERROR(ENOMEM);
    if (ret >= 0) ret = av_frame_copy_props(out, frame); /* the sample rate too: set after */
    if (ret >= 0) ret = av_channel_layout_copy(&out->ch_layout, &ft->sound_out);
    if (ret >= 0) {
        out->sample_rate = ft->out_rate, out->format = ft->out_format;
        out->nb_samples = swr_get_out_samples(ft->swr, frame->nb_samples);
        ret = out->nb_samples > 0 ? av_frame_get_buffer(out, 0) : AVERROR(EINVAL);
    }
    if (ret >= 0)
        ret = swr_convert(ft->swr, out->extended_data, out->nb_samples,
                          (const uint8_t **)frame->extended_data, frame->nb_samples);
    if (ret >= 0) {
        out->nb_samples = ret;
        av_frame_unref(frame);
        av_frame_move_ref(frame, out);
    }
    av_frame_free(&out);
    return ret < 0 ? ret : 0;
}

int cfmedia_fit_sound_to_link(cf_media_fitter *ft, AVFrame *frame, const AVFilterLink *l,
                              const char *component, int index, double t_s) {
    int ret = ft->out_rate > 0 ? 0 : cf_media_fitter_sound(ft, &l->ch_layout, l->sample_rate, l->format);
    return ret < 0 ? ret : cf_media_fit_sound(ft, frame, component, index, t_s);
}

void cfmedia_fit_sound_free(cf_media_fitter *ft) {
    swr_free(&ft->swr);
    av_channel_layout_uninit(&ft->sound_in);
    av_channel_layout_uninit(&ft->sound_out);
    ft->out_rate = 0;
}

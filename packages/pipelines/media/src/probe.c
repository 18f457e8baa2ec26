/* probe.c — `cf_probe_file`: the facts of a media file as JSON. The same function measures the
 * outputs of the clip pipeline, so what a user sees in `clipforge probe` and the artifact figures
 * come from one place. */
#include "clipforge/probe.h"

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/pixdesc.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clipforge/fs.h"
#include "clipforge/media.h"

/* Sets key to value, taking the reference; returns -1 when value is NULL (allocation failed). */
static int put(json_t *obj, const char *key, json_t *value) {
    return value ? json_object_set_new(obj, key, value) : -1;
}

static int64_t ts_to_ms(int64_t ts, AVRational tb) {
    return av_rescale_q(ts, tb, (AVRational){1, 1000});
}

static double round3(double v) {
    return round(v * 1000.0) / 1000.0;
}

/* The colour description the stream states (what players read its pictures with), and whether
 * it is HDR; nothing stated, nothing put. */
static int put_colors(json_t *s, const AVCodecParameters *par) {
    const char *space =
                   par->color_space != AVCOL_SPC_UNSPECIFIED ? av_color_space_name(par->color_space) : NULL,
               *range =
                   par->color_range != AVCOL_RANGE_UNSPECIFIED ? av_color_range_name(par->color_range) : NULL,
               *pri = par->color_primaries != AVCOL_PRI_UNSPECIFIED
                          ? av_color_primaries_name(par->color_primaries)
                          : NULL,
               *trc = par->color_trc != AVCOL_TRC_UNSPECIFIED ? av_color_transfer_name(par->color_trc) : NULL;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)par->format);
    if (d && (d->flags & AV_PIX_FMT_FLAG_RGB)) range = NULL; /* RGB is full range by nature */
    int rc = 0;
    if (space) rc |= put(s, "color_space", json_string(space));
    if (range) rc |= put(s, "color_range", json_string(range));
    if (pri) rc |= put(s, "color_primaries", json_string(pri));
    if (trc) rc |= put(s, "color_transfer", json_string(trc));
    if (par->color_trc == AVCOL_TRC_SMPTE2084 || par->color_trc == AVCOL_TRC_ARIB_STD_B67)
        rc |= put(s, "hdr", json_true());
    return rc;
}

/* rot: the turn that shows the stream upright (the chosen stream's is the media layer's, which
 * reads a still's from its picture) */
static int put_video(json_t *s, const AVStream *st, int rot) {
    const AVCodecParameters *par = st->codecpar;
    int rc = 0;
    const char *pix = av_get_pix_fmt_name((enum AVPixelFormat)par->format);
    rc |= put(s, "width", json_integer(par->width));
    rc |= put(s, "height", json_integer(par->height));
    if (pix) rc |= put(s, "pix_fmt", json_string(pix));
    if (st->r_frame_rate.num > 0 && st->r_frame_rate.den > 0)
        rc |= put(s, "frame_rate", json_real(round3(av_q2d(st->r_frame_rate))));
    if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0)
        rc |= put(s, "avg_frame_rate", json_real(round3(av_q2d(st->avg_frame_rate))));
    rc |= put(s, "rotation", json_integer(rot));
    AVRational sar = cf_media_stream_sar(st);
    char shape[32];
    snprintf(shape, sizeof shape, "%d:%d", sar.num, sar.den);
    rc |= put(s, "pixel_aspect", json_string(shape));
    int dw, dh;
    cf_media_shown_size(par->width, par->height, sar, rot, &dw, &dh);
    rc |= put(s, "display_width", json_integer(dw));
    rc |= put(s, "display_height", json_integer(dh));
    return rc | put_colors(s, par);
}

static int put_audio(json_t *s, const AVStream *st) {
    const AVCodecParameters *par = st->codecpar;
    int rc = 0;
    char layout[128];
    rc |= put(s, "sample_rate", json_integer(par->sample_rate));
    rc |= put(s, "channels", json_integer(par->ch_layout.nb_channels));
    if (av_channel_layout_describe(&par->ch_layout, layout, sizeof layout) > 0)
        rc |= put(s, "channel_layout", json_string(layout));
    const char *fmt = av_get_sample_fmt_name((enum AVSampleFormat)par->format);
    if (fmt) rc |= put(s, "sample_fmt", json_string(fmt));
    return rc;
}

static json_t *stream_json(const cf_media_input *in, const AVStream *st) {
    const AVCodecParameters *par = st->codecpar;
    json_t *s = json_object();
    if (!s) return NULL;
    const AVCodecDescriptor *desc = avcodec_descriptor_get(par->codec_id);
    const char *type = av_get_media_type_string(par->codec_type);
    int rc = put(s, "index", json_integer(st->index));
    rc |= put(s, "type", json_string(type ? type : "unknown"));
    rc |= put(s, "codec", json_string(desc ? desc->name : "unknown"));
    if (desc && desc->long_name) rc |= put(s, "codec_long", json_string(desc->long_name));
    if (par->bit_rate > 0) rc |= put(s, "bit_rate", json_integer(par->bit_rate));
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        rc |= put(s, "duration_ms", json_integer(ts_to_ms(st->duration, st->time_base)));
    if (st->start_time != AV_NOPTS_VALUE) /* media time: after the container's start */
        rc |= put(s, "start_ms", json_integer(llround(cf_media_time(in, st->index, st->start_time) * 1000)));
    rc |= put(s, "default", json_boolean(st->disposition & AV_DISPOSITION_DEFAULT));
    if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) rc |= put(s, "cover_picture", json_true());
    const AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0),
                            *title = av_dict_get(st->metadata, "title", NULL, 0);
    if (lang && lang->value[0] && strcmp(lang->value, "und"))
        rc |= put(s, "language", json_string(lang->value));
    if (title && title->value[0]) rc |= put(s, "title", json_string(title->value));
    if (par->codec_type == AVMEDIA_TYPE_VIDEO)
        rc |= put_video(s, st, st->index == in->video_index ? in->rotation : cf_media_stream_rotation(st));
    if (par->codec_type == AVMEDIA_TYPE_AUDIO) rc |= put_audio(s, st);
    if (rc) {
        json_decref(s);
        return NULL;
    }
    return s;
}

/* What a reader of the facts should know: a second file left unread, a length measured, a GIF cut
 * short. */
static json_t *probe_notes(const cf_media_input *in) {
    char note[200];
    json_t *notes = json_array();
    if (notes && in->second_file_at > 0) {
        snprintf(note, sizeof note,
                 "not read: the second file joined at byte %" PRId64
                 " (a %s file holds one recording; join recordings with the ffmpeg CLI's concat demuxer)",
                 in->second_file_at, cf_media_container_name(in));
        if (json_array_append_new(notes, json_string(note)) < 0) json_decref(notes), notes = NULL;
    }
    if (notes && in->duration_measured &&
        json_array_append_new(
            notes, json_string("the file states no length (a live recording's) or only one guessed from "
                               "its bit rate: the duration is measured to the end of its last packet")) < 0)
        json_decref(notes), notes = NULL;
    if (notes && in->gif_unended &&
        json_array_append_new(notes, json_string("the GIF is cut short (it lacks the end marker of a whole "
                                                 "one): its length is that of its readable part")) < 0)
        json_decref(notes), notes = NULL;
    return notes;
}

static json_t *format_json(const char *path, const cf_media_input *in) {
    const AVFormatContext *fmt = in->fmt;
    /* recordings joined are read through a copy (continuous.c): the file's own format and rate */
    const AVInputFormat *format = in->source_format ? in->source_format : fmt->iformat;
    int64_t size = cf_file_size(path), rate = fmt->bit_rate;
    if (in->source_format) rate = size > 0 && in->duration_ms > 0 ? size * 8000 / in->duration_ms : 0;
    json_t *root = json_object(), *streams = json_array();
    int rc = root && streams ? 0 : -1;
    if (!rc) {
        rc |= put(root, "path", json_string(path));
        rc |= put(root, "format", json_string(format->name));
        if (format->long_name) rc |= put(root, "format_long", json_string(format->long_name));
        rc |= put(root, "size_bytes", json_integer(size));
        if (in->duration_ms >= 0) rc |= put(root, "duration_ms", json_integer(in->duration_ms));
        rc |= put(root, "start_ms", json_integer(in->start_us / 1000));
        if (rate > 0) rc |= put(root, "bit_rate", json_integer(rate));
        /* the streams every pipeline uses unless asked for others */
        if (in->video_index >= 0) rc |= put(root, "video_stream", json_integer(in->video_index));
        if (in->audio_index >= 0) rc |= put(root, "audio_stream", json_integer(in->audio_index));
        if (in->still) rc |= put(root, "still_picture", json_true());
        if (in->second_file_at > 0 || in->duration_measured || in->gif_unended)
            rc |= put(root, "notes", probe_notes(in));
    }
    for (unsigned i = 0; !rc && i < fmt->nb_streams; i++)
        rc |= json_array_append_new(streams, stream_json(in, fmt->streams[i]));
    if (!rc) {
        rc = json_object_set(root, "streams", streams);
    }
    json_decref(streams);
    if (rc) {
        json_decref(root);
        return NULL;
    }
    return root;
}

cf_err cf_probe_file(const char *path, json_t **out, cf_error *err) {
    *out = NULL;
    cf_media_input in;
    cf_err rc = cf_media_open(path, NULL, &in, err);
    if (rc != CF_OK) return rc;
    *out = format_json(path, &in);
    cf_media_close(&in);
    if (!*out) return cf_error_set(err, CF_ERR_NO_MEMORY, "probe %s: out of memory", path);
    return CF_OK;
}

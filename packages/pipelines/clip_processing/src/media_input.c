/* media_input.c — opening inputs with messages a user can act on. libav* reports "Invalid data
 * found when processing input" for most bad files; we check the cheap cases (missing, directory,
 * empty) first so the message says what is actually wrong. */
#include "media_input.h"

#include <errno.h>
#include <libavutil/display.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

static cf_err check_file(const char *path, cf_error *err) {
    struct stat st;
    if (stat(path, &st) != 0) {
        cf_err code = errno == ENOENT || errno == ENOTDIR ? CF_ERR_NOT_FOUND
                      : errno == EACCES                   ? CF_ERR_PERMISSION
                                                          : CF_ERR_IO;
        return cf_error_set(err, code, "cannot open %s: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s is a directory, not a media file",
                            path);
    if (!S_ISREG(st.st_mode))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s is not a regular file", path);
    if (st.st_size == 0)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s is empty (0 bytes)", path);
    return CF_OK;
}

static bool is_cover_picture(const AVStream *st) {
    return (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
}

static int pick_stream(AVFormatContext *fmt, enum AVMediaType type) {
    int best = av_find_best_stream(fmt, type, -1, -1, NULL, 0);
    if (best >= 0 && !is_cover_picture(fmt->streams[best])) return best;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVStream *st = fmt->streams[i];
        if (st->codecpar->codec_type == type && !is_cover_picture(st)) return (int)i;
    }
    return -1;
}

int cfclip_stream_rotation(const AVStream *st) {
    const uint8_t *matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!matrix) return 0;
    double ccw = av_display_rotation_get((const int32_t *)matrix);
    if (isnan(ccw)) return 0;
    /* av_display_rotation_get is counter-clockwise; showing the picture upright means turning
     * it clockwise by the same angle. Snap to quarter turns. */
    long quarter = lround(-ccw / 90.0);
    int deg = (int)(((quarter % 4) + 4) % 4) * 90;
    return deg;
}

double cfclip_stream_fps(const AVStream *st) {
    AVRational r = st->avg_frame_rate;
    if (r.num <= 0 || r.den <= 0) r = st->r_frame_rate;
    if (r.num <= 0 || r.den <= 0) return 0;
    return av_q2d(r);
}

static void fill_facts(cfclip_input *in) {
    AVFormatContext *fmt = in->fmt;
    in->video_index = pick_stream(fmt, AVMEDIA_TYPE_VIDEO);
    in->audio_index = pick_stream(fmt, AVMEDIA_TYPE_AUDIO);
    in->start_us = fmt->start_time != AV_NOPTS_VALUE ? fmt->start_time : 0;
    in->duration_ms = fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0
                          ? av_rescale(fmt->duration, 1, 1000)
                          : -1;
    in->rotation = in->video_index >= 0 ? cfclip_stream_rotation(fmt->streams[in->video_index]) : 0;
}

cf_err cfclip_input_open(const char *path, cfclip_input *in, cf_error *err) {
    memset(in, 0, sizeof *in);
    in->video_index = in->audio_index = -1;
    cf_err rc = check_file(path, err);
    if (rc != CF_OK) return rc;
    int ret = avformat_open_input(&in->fmt, path, NULL, NULL);
    if (ret < 0)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                            "%s is not a readable media file (unknown format, truncated or "
                            "corrupt: %s)", path, av_err2str(ret));
    if ((ret = avformat_find_stream_info(in->fmt, NULL)) < 0) {
        cfclip_input_close(in);
        return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                            "cannot read the streams of %s (truncated or corrupt: %s)", path,
                            av_err2str(ret));
    }
    fill_facts(in);
    if (in->video_index < 0 && in->audio_index < 0) {
        cfclip_input_close(in);
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s has no audio or video stream", path);
    }
    return CF_OK;
}

void cfclip_input_close(cfclip_input *in) {
    if (in && in->fmt) avformat_close_input(&in->fmt);
}

int cfclip_input_rewind(cfclip_input *in, double at_s) {
    bool fresh = !in->was_read;
    in->was_read = true;
    if (at_s <= 0 && fresh) return 0;
    /* Formats without an index (MPEG-PS/TS) seek by bisecting timestamps and can land after
     * the keyframe we need; start well before and let the trim filters drop the extra. */
    if (at_s > 0 && (in->fmt->iformat->flags & AVFMT_TS_DISCONT))
        at_s = at_s - 3.0 > in->start_us / 1e6 ? at_s - 3.0 : 0;
    int64_t ts = at_s > 0 ? (int64_t)(at_s * AV_TIME_BASE) : in->start_us;
    int ret = avformat_seek_file(in->fmt, -1, INT64_MIN, ts, ts, 0);
    if (ret < 0) ret = av_seek_frame(in->fmt, -1, ts, AVSEEK_FLAG_BACKWARD);
    if (ret < 0) ret = avformat_seek_file(in->fmt, -1, INT64_MIN, INT64_MIN, INT64_MIN, 0);
    return ret;
}

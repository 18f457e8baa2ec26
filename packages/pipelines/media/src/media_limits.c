/* media_limits.c — the limits on what cf_media_open accepts, so a hostile or absurd file is
 * refused before any pipeline spends memory or time on it: pixels per picture, stated duration,
 * number of streams, declared frame rate and frame count, and the bytes and wall-clock time
 * spent finding the streams. Steered by cf_media_configure (CLIPFORGE_MAX_PIXELS,
 * CLIPFORGE_MAX_DURATION_MS, CLIPFORGE_MAX_STREAMS, CLIPFORGE_MAX_FPS, CLIPFORGE_MAX_FRAMES,
 * CLIPFORGE_PROBE_BYTES, CLIPFORGE_PROBE_MS). Every refusal has the one form "<what>: <value> is
 * over the <limit> limit (<SETTING>)", which cf_media_is_limit_error recognises. */
#include <inttypes.h>
#include <libavutil/time.h>
#include <limits.h>
#include <string.h>

#include "media_limits.h"

static cf_media_limits g_limits; /* set before any media is opened; read-only after */

void cf_media_configure(const cf_media_limits *limits) {
    if (limits) g_limits = *limits;
    else memset(&g_limits, 0, sizeof g_limits);
}

#define LIMIT_MARK " limit (CLIPFORGE_"

bool cf_media_is_limit_error(const cf_error *err) {
    return err && err->code == CF_ERR_INVALID_MEDIA && strstr(err->msg, LIMIT_MARK) != NULL;
}

static cf_err over(cf_error *err, const char *what, const char *value, int64_t limit, const char *unit,
                   const char *setting) {
    return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: %s is over the %" PRId64 "-%s%s%s)", what, value,
                        limit, unit, LIMIT_MARK, setting + strlen("CLIPFORGE_"));
}

int64_t cfmedia_limits_max_pixels(void) {
    return g_limits.max_pixels;
}

static int past_deadline(void *opaque) {
    const int64_t *deadline_us = opaque;
    return *deadline_us > 0 && av_gettime_relative() > *deadline_us;
}

void cfmedia_limits_begin(AVFormatContext *fmt, int64_t *deadline_us) {
    if (g_limits.probe_bytes > 0) fmt->probesize = g_limits.probe_bytes;
    /* FFmpeg's own bound (max_streams, 1000) makes most demuxers fail with ENOMEM, which says
     * nothing of streams: it stays above the limit, so that an input over the limit opens and is
     * named by the check after it */
    if (g_limits.max_streams >= fmt->max_streams && g_limits.max_streams < INT_MAX)
        fmt->max_streams = (int)g_limits.max_streams + 1;
    *deadline_us = g_limits.probe_ms > 0 ? av_gettime_relative() + g_limits.probe_ms * 1000 : 0;
    fmt->interrupt_callback = (AVIOInterruptCB){.callback = past_deadline, .opaque = deadline_us};
}

static cf_err too_slow(cf_error *err) {
    return over(err, "the file", "reading its stream information", g_limits.probe_ms, "ms",
                "CLIPFORGE_PROBE_MS");
}

cf_err cfmedia_limits_end(AVFormatContext *fmt, int64_t *deadline_us, cf_error *err) {
    /* FFmpeg polls the callback only in some loops (not while a demuxer reads its header from a
     * caller's reader): an opening that finished late is over the limit all the same */
    bool expired = *deadline_us > 0 && av_gettime_relative() > *deadline_us;
    *deadline_us = 0;
    if (fmt) fmt->interrupt_callback = (AVIOInterruptCB){0};
    return expired ? too_slow(err) : CF_OK;
}

cf_err cfmedia_limits_failed(int ret, int64_t *deadline_us, cf_error *err) {
    bool expired = *deadline_us > 0 && av_gettime_relative() > *deadline_us;
    *deadline_us = 0;
    if (expired && (ret == AVERROR_EXIT || ret == AVERROR(EINTR))) return too_slow(err);
    return CF_OK;
}

static cf_err check_streams(const AVFormatContext *fmt, cf_error *err) {
    if (g_limits.max_streams <= 0 || fmt->nb_streams <= (unsigned)g_limits.max_streams) return CF_OK;
    char value[64];
    snprintf(value, sizeof value, "%u streams", fmt->nb_streams);
    return over(err, "the file", value, g_limits.max_streams, "stream", "CLIPFORGE_MAX_STREAMS");
}

cf_err cfmedia_limits_check_duration(int64_t duration_ms, bool at_least, cf_error *err) {
    if (g_limits.max_duration_ms <= 0 || duration_ms <= g_limits.max_duration_ms) return CF_OK;
    char value[64];
    snprintf(value, sizeof value, "%s%" PRId64 " ms", at_least ? "at least " : "", duration_ms);
    return over(err, "duration", value, g_limits.max_duration_ms, "ms", "CLIPFORGE_MAX_DURATION_MS");
}

int64_t cfmedia_limits_max_duration_ms(void) {
    return g_limits.max_duration_ms > 0 ? g_limits.max_duration_ms : 0;
}

bool cfmedia_length_guessed(const AVFormatContext *fmt) {
    return fmt->duration != AV_NOPTS_VALUE && fmt->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE;
}

/* A length unknown or guessed is measured when the file is opened, and checked then. */
static cf_err check_duration(const AVFormatContext *fmt, cf_error *err) {
    return fmt->duration == AV_NOPTS_VALUE || cfmedia_length_guessed(fmt)
               ? CF_OK
               : cfmedia_limits_check_duration(fmt->duration / 1000, false, err);
}

/* Frames the stream says it has, else its length times its frame rate; 0 when unknown. */
static double declared_frames(const AVFormatContext *fmt, const AVStream *st, double fps) {
    if (st->nb_frames > 0) return (double)st->nb_frames;
    double seconds = st->duration != AV_NOPTS_VALUE && st->duration > 0 ? st->duration * av_q2d(st->time_base)
                     : fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0
                         ? fmt->duration / (double)AV_TIME_BASE
                         : 0;
    return seconds * fps;
}

static cf_err check_video(const AVFormatContext *fmt, unsigned index, cf_error *err) {
    const AVStream *st = fmt->streams[index];
    char what[48], value[64];
    snprintf(what, sizeof what, "video stream %u", index);
    int64_t pixels = (int64_t)st->codecpar->width * st->codecpar->height;
    if (g_limits.max_pixels > 0 && pixels > g_limits.max_pixels) {
        snprintf(value, sizeof value, "%dx%d", st->codecpar->width, st->codecpar->height);
        return over(err, what, value, g_limits.max_pixels, "pixel", "CLIPFORGE_MAX_PIXELS");
    }
    /* the average rate the file states; r_frame_rate is FFmpeg's guess and often only the time
     * base (1000 in Matroska) */
    double fps = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? av_q2d(st->avg_frame_rate) : 0;
    if (g_limits.max_fps > 0 && fps > (double)g_limits.max_fps) {
        snprintf(value, sizeof value, "a frame rate of %.6g fps", fps);
        return over(err, what, value, g_limits.max_fps, "fps", "CLIPFORGE_MAX_FPS");
    }
    double frames = declared_frames(fmt, st, fps);
    if (g_limits.max_frames > 0 && frames > (double)g_limits.max_frames) {
        snprintf(value, sizeof value, "%.0f frames", frames);
        return over(err, what, value, g_limits.max_frames, "frame", "CLIPFORGE_MAX_FRAMES");
    }
    return CF_OK;
}

cf_err cfmedia_limits_check(const AVFormatContext *fmt, cf_error *err) {
    cf_err rc = check_streams(fmt, err);
    if (!rc) rc = check_duration(fmt, err);
    for (unsigned i = 0; !rc && i < fmt->nb_streams; i++) {
        const AVStream *st = fmt->streams[i];
        /* a cover picture is never decoded */
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            rc = check_video(fmt, i, err);
    }
    return rc;
}

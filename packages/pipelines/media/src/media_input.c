/* media_input.c — opening inputs with messages a user can act on, and the one rule that chooses
 * their streams. libav* reports "Invalid data found when processing input" for most bad files; we
 * check the cheap cases (missing, directory, empty) first so the message says what is actually
 * wrong. */
#include "clipforge/media.h"

#include <inttypes.h>
#include <errno.h>
#include <libavutil/display.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "clipforge/fs.h"
#include "clipforge/log.h"
#include "continuous.h"
#include "heard.h"
#include "joined_files.h"
#include "media_access.h"
#include "media_limits.h"
#include "plays.h"

static cf_err check_file(const char *path, cf_error *err) {
    struct stat st;
    if (stat(path, &st) != 0) {
        cf_err code = errno == ENOENT || errno == ENOTDIR ? CF_ERR_NOT_FOUND
                      : errno == EACCES                   ? CF_ERR_PERMISSION
                                                          : CF_ERR_IO;
        return cf_error_set(err, code, "cannot open %s: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s is a directory, not a media file", path);
    if (!S_ISREG(st.st_mode))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s is not a regular file", path);
    if (st.st_size == 0) return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s is empty (0 bytes)", path);
    return CF_OK;
}

static bool is_cover_picture(const AVStream *st) {
    return (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
}

/* A stream whose parameters were never filled (no packet was seen while probing). */
static bool looks_empty(const AVStream *st) {
    const AVCodecParameters *par = st->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_AUDIO)
        return par->sample_rate <= 0 || par->ch_layout.nb_channels <= 0;
    return par->codec_type == AVMEDIA_TYPE_VIDEO && (par->width <= 0 || par->height <= 0);
}

static bool usable(const AVStream *st, enum AVMediaType type) {
    return st->codecpar->codec_type == type && !is_cover_picture(st) && !looks_empty(st) &&
           avcodec_find_decoder(st->codecpar->codec_id) != NULL;
}

/* The default choice: FFmpeg's ranking (default disposition first, then the stream with the
 * most decoded frames and the highest bit rate), limited to usable streams; among the streams of
 * related's program first (the sound of the chosen picture's programme, not of another one
 * multiplexed or joined with it), as players choose. */
static int pick_stream(AVFormatContext *fmt, enum AVMediaType type, int related) {
    int best = av_find_best_stream(fmt, type, -1, related, NULL, 0);
    if (best >= 0 && usable(fmt->streams[best], type)) return best;
    int fallback = -1;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        if (!usable(fmt->streams[i], type)) continue;
        if (fmt->streams[i]->disposition & AV_DISPOSITION_DEFAULT) return (int)i;
        if (fallback < 0) fallback = (int)i;
    }
    return fallback;
}

/* A stream of type that exists but cannot be used: -1 when there is none, else its index
 * (*empty when every such stream carries no packets). */
static int unusable_stream(const AVFormatContext *fmt, enum AVMediaType type, bool *empty) {
    int found = -1;
    *empty = false;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *st = fmt->streams[i];
        if (st->codecpar->codec_type != type || is_cover_picture(st)) continue;
        if (!looks_empty(st)) return (int)i;
        if (found < 0) found = (int)i;
    }
    *empty = found >= 0;
    return found;
}

static cf_err pick_requested(const char *path, AVFormatContext *fmt, enum AVMediaType type, int want,
                             int *out, cf_error *err) {
    const char *name = av_get_media_type_string(type);
    if (want < 0 || want >= (int)fmt->nb_streams || fmt->streams[want]->codecpar->codec_type != type)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "%s has no %s stream %d (`clipforge probe` lists its streams)", path, name, want);
    if (!usable(fmt->streams[want], type))
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s stream %d of %s (%s) cannot be decoded", name,
                            want, path, avcodec_get_name(fmt->streams[want]->codecpar->codec_id));
    *out = want;
    return CF_OK;
}

static cf_err pick(const char *path, const cf_media_select *sel, cf_media_input *m, cf_error *err) {
    cf_media_select def = {0};
    if (!sel) sel = &def;
    cf_err rc = CF_OK;
    m->video_index = pick_stream(m->fmt, AVMEDIA_TYPE_VIDEO, -1);
    if (sel->has_video_stream)
        rc = pick_requested(path, m->fmt, AVMEDIA_TYPE_VIDEO, sel->video_stream, &m->video_index, err);
    m->audio_index = pick_stream(m->fmt, AVMEDIA_TYPE_AUDIO, m->video_index);
    if (!rc && sel->has_audio_stream)
        rc = pick_requested(path, m->fmt, AVMEDIA_TYPE_AUDIO, sel->audio_stream, &m->audio_index, err);
    bool empty = false;
    m->unusable_video = m->unusable_audio = -1;
    /* a video stream without pictures is no video; an audio one is noted (audio_empty) */
    if (m->video_index < 0 &&
        (m->unusable_video = unusable_stream(m->fmt, AVMEDIA_TYPE_VIDEO, &empty)) >= 0 && empty)
        m->unusable_video = -1;
    if (m->audio_index < 0 &&
        (m->unusable_audio = unusable_stream(m->fmt, AVMEDIA_TYPE_AUDIO, &empty)) >= 0 && empty) {
        m->unusable_audio = -1;
        m->audio_empty = true;
    }
    return rc;
}

/* Clockwise degrees (0, 90, 180, 270) that show upright a picture with display matrix m. */
static int matrix_rotation(const int32_t *matrix) {
    if (!matrix) return 0;
    double ccw = av_display_rotation_get(matrix);
    if (isnan(ccw)) return 0;
    /* av_display_rotation_get is counter-clockwise; showing the picture upright means turning
     * it clockwise by the same angle. Snap to quarter turns. */
    long quarter = lround(-ccw / 90.0);
    int deg = (int)(((quarter % 4) + 4) % 4) * 90;
    return deg;
}

int cf_media_stream_rotation(const AVStream *st) {
    return matrix_rotation((const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL));
}

double cf_media_stream_fps(const AVStream *st) {
    AVRational r = st->avg_frame_rate;
    if (r.num <= 0 || r.den <= 0) r = st->r_frame_rate;
    if (r.num <= 0 || r.den <= 0) return 0;
    return av_q2d(r);
}

/* FFmpeg reads a lone picture file with its image demuxers: "image2" and the "<codec>_pipe" ones
 * (png_pipe, jpeg_pipe, webp_pipe...). An animated GIF has its own demuxer, "gif". */
static bool image_format(const AVFormatContext *fmt) {
    const char *name = fmt->iformat->name;
    size_t n = strlen(name);
    return !strcmp(name, "image2") || (n > 5 && !strcmp(name + n - 5, "_pipe"));
}

static void fill_facts(cf_media_input *in) {
    AVFormatContext *fmt = in->fmt;
    in->start_us = fmt->start_time != AV_NOPTS_VALUE ? fmt->start_time : 0;
    in->duration_ms =
        fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0 ? av_rescale(fmt->duration, 1, 1000) : -1;
    in->rotation = in->video_index >= 0 ? cf_media_stream_rotation(fmt->streams[in->video_index]) : 0;
    in->sar = in->video_index >= 0 ? cf_media_stream_sar(fmt->streams[in->video_index]) : (AVRational){1, 1};
    in->still = in->video_index >= 0 && in->audio_index < 0 && image_format(fmt);
}

/* Opens *fmt as avformat_open_input does. MPEG-TS: every program's table is read before the
 * streams are, as FFmpeg's own tools do (scan_all_pmts): without it the streams of a recording
 * joined from two with other stream ids were found without their parameters and the second
 * half was lost. */
static int open_format(AVFormatContext **fmt, const char *path, const AVInputFormat *iformat) {
    AVDictionary *opts = NULL;
    /* a file of the caller's reader (pb set) is named, not opened */
    char *url = (*fmt)->pb ? av_strdup(path) : cfmedia_file_url(path);
    int ret = url ? cfmedia_access_options(&opts, "file") : AVERROR(ENOMEM);
    av_dict_set(&opts, "scan_all_pmts", "1", 0);
    if (ret >= 0) {
        ret = avformat_open_input(fmt, url, iformat, &opts);
    } else {
        avformat_free_context(*fmt);
        *fmt = NULL;
    }
    av_dict_free(&opts); /* left unused by every other demuxer */
    av_free(url);
    return ret;
}

AVFormatContext *cf_media_open_header(const char *path) {
    AVFormatContext *fmt = avformat_alloc_context();
    return fmt && open_format(&fmt, path, NULL) >= 0 ? fmt : NULL;
}

/* Allocates in->fmt over io (NULL = the file at path) with the configured limits. */
static int alloc_input(AVFormatContext **fmt, AVIOContext *io, int64_t **deadline_us) {
    if (!*deadline_us && !(*deadline_us = calloc(1, sizeof **deadline_us))) return AVERROR(ENOMEM);
    if (!(*fmt = avformat_alloc_context())) return AVERROR(ENOMEM);
    if (io) {
        (*fmt)->pb = io;
        (*fmt)->flags |= AVFMT_FLAG_CUSTOM_IO;
    }
    cfmedia_limits_begin(*fmt, *deadline_us);
    return 0;
}

/* Opens in's file again from its first byte into *out with the format found the first time and
 * reads its stream information over up to analyse_us of it (0: FFmpeg's default), by the time
 * limit of the first opening (same_deadline) or a time limit of its own. */
static int open_again(cf_media_input *in, int64_t analyse_us, bool same_deadline, AVFormatContext **out) {
    if (!in->path) return AVERROR(ENOSYS);
    if (in->io && avio_seek(in->io, 0, SEEK_SET) < 0) return AVERROR(EIO);
    AVFormatContext *fmt = NULL;
    int64_t deadline = in->probe_deadline ? *in->probe_deadline : 0;
    int ret = alloc_input(&fmt, in->io, &in->probe_deadline);
    if (ret < 0) return ret;
    if (same_deadline) *in->probe_deadline = deadline;
    fmt->max_analyze_duration = analyse_us;
    if ((ret = open_format(&fmt, in->path, in->fmt->iformat)) < 0) return ret;
    ret = avformat_find_stream_info(fmt, NULL);
    if (ret >= 0 && fmt->nb_streams != in->fmt->nb_streams) ret = AVERROR_INVALIDDATA;
    if (ret < 0) avformat_close_input(&fmt);
    *out = fmt;
    return ret;
}

/* The turn of a still picture, which its decoder states on the picture, not the stream: a
 * phone photo's EXIF orientation (JPEG). Read from a reading of its own (the caller's starts at
 * the picture), under the same limits, by the media layer's decoder at its smallest size (only
 * the picture's side data is wanted); 0 when none is stated or the picture cannot be read. */
static int still_rotation(cf_media_input *in) {
    AVFormatContext *fmt = NULL;
    if (open_again(in, 0, true, &fmt) < 0) return 0;
    cf_media_input again = {.fmt = fmt};
    cf_media_decode_opts smallest = {.threads = 1, .min_width = 1, .min_height = 1};
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    cf_error ignored;
    int ret =
        pkt && frame && !cf_media_open_decoder(&again, in->video_index, &smallest, &dec, &ignored) ? 0 : -1;
    while (ret >= 0 && (ret = av_read_frame(fmt, pkt)) >= 0 && pkt->stream_index != in->video_index)
        av_packet_unref(pkt);
    /* a still is one picture: its packet, then the end */
    bool got = ret >= 0 && avcodec_send_packet(dec, pkt) >= 0 && avcodec_send_packet(dec, NULL) >= 0 &&
               avcodec_receive_frame(dec, frame) >= 0;
    AVFrameSideData *sd = got ? av_frame_get_side_data(frame, AV_FRAME_DATA_DISPLAYMATRIX) : NULL;
    int deg = sd && sd->size >= 9 * sizeof(int32_t) ? matrix_rotation((const int32_t *)sd->data) : 0;
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return deg;
}

/* ---- a silent default audio stream ---- */

/* Whether streams a and b are in one programme (or the file has no more than one). */
static bool same_programme(AVFormatContext *fmt, int a, int b) {
    if (fmt->nb_programs < 2 || a < 0 || b < 0) return true;
    for (AVProgram *p = NULL; (p = av_find_program_from_stream(fmt, p, a));)
        for (unsigned i = 0; i < p->nb_stream_indexes; i++)
            if ((int)p->stream_index[i] == b) return true;
    return false;
}

/* The files sampled, by identity and default stream: the answer of each (a render opens its
 * sources many times). */
typedef struct heard_entry {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    int chosen, used;
} heard_entry;
static heard_entry heard_cache[16];
static unsigned heard_next;
static pthread_mutex_t heard_lock = PTHREAD_MUTEX_INITIALIZER;

static bool heard_cached(const struct stat *st, int chosen, int *used) {
    bool found = false;
    pthread_mutex_lock(&heard_lock);
    for (unsigned i = 0; i < 16 && !found; i++) {
        const heard_entry *e = &heard_cache[i];
        found = e->size == st->st_size && e->dev == st->st_dev && e->ino == st->st_ino &&
                e->chosen == chosen && e->mtime.tv_sec == st->st_mtim.tv_sec &&
                e->mtime.tv_nsec == st->st_mtim.tv_nsec && e->size > 0;
        if (found) *used = e->used;
    }
    pthread_mutex_unlock(&heard_lock);
    return found;
}

static void heard_remember(const struct stat *st, int chosen, int used) {
    pthread_mutex_lock(&heard_lock);
    heard_cache[heard_next++ % 16] =
        (heard_entry){st->st_dev, st->st_ino, st->st_size, st->st_mtim, chosen, used};
    pthread_mutex_unlock(&heard_lock);
}

/* When the file has other audio streams than the one chosen by default, and that one is silent
 * where sampled while another has sound, the other is used (heard.c). A file of the caller's
 * reader is not sampled (its reader cannot be shared). */
static void prefer_heard(cf_media_input *in, const cf_media_select *sel) {
    if (sel && sel->has_audio_stream) return;
    int others[32], n = 0, chosen = in->audio_index;
    for (unsigned i = 0; chosen >= 0 && i < in->fmt->nb_streams && n < 32; i++)
        if ((int)i != chosen && usable(in->fmt->streams[i], AVMEDIA_TYPE_AUDIO) &&
            same_programme(in->fmt, in->video_index, (int)i))
            others[n++] = (int)i;
    struct stat st;
    if (!n || in->io || stat(in->path, &st) != 0) return;
    int used = chosen;
    if (!heard_cached(&st, chosen, &used)) {
        AVFormatContext *again = NULL;
        if (open_again(in, 0, false, &again) < 0) return;
        used = cfmedia_heard_audio(again, in->fmt, chosen, others, n);
        avformat_close_input(&again);
        heard_remember(&st, chosen, used);
        if (used != chosen)
            cf_log_info(
                "media",
                "%s: audio stream %d is silent where sampled and audio stream %d has sound: stream %d "
                "is used (choose another with audio_stream / --audio-stream)",
                in->path, chosen, used, used);
    }
    in->audio_index = used;
    in->silent_audio = used != chosen ? chosen : -1;
}

static bool has_unfilled_stream(const AVFormatContext *fmt) {
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if (!is_cover_picture(fmt->streams[i]) && looks_empty(fmt->streams[i])) return true;
    return false;
}

/* FFmpeg looks at the first 5 s of a file for the streams' parameters (7 s in MPEG-TS and
 * MPEG-PS, whose pictures must be parsed to learn their size): a slideshow or a still page in
 * a transport stream shows its first picture later than that, and its video was read as a stream
 * without pictures and left out without a word. Such a file is read again with a window as long
 * as the byte and time limits allow (CLIPFORGE_PROBE_BYTES, CLIPFORGE_PROBE_MS); the first
 * reading stands if the second fails. */
#define CF_MEDIA_ANALYSE_LONGER_US (600 * (int64_t)AV_TIME_BASE)

static int analyse_longer(cf_media_input *in) {
    AVFormatContext *fmt = NULL;
    int ret = open_again(in, CF_MEDIA_ANALYSE_LONGER_US, true, &fmt);
    if (ret == AVERROR_EXIT) return ret; /* over the time limit: read_streams names it */
    if (ret < 0) return 0;
    avformat_close_input(&in->fmt);
    in->fmt = fmt;
    return 0;
}

/* Reads the stream information of the opened in->fmt and checks it against the limits. */
static cf_err read_streams(const char *path, cf_media_input *in, cf_error *err) {
    int ret = avformat_find_stream_info(in->fmt, NULL);
    if (ret >= 0 && has_unfilled_stream(in->fmt)) ret = analyse_longer(in);
    if (ret < 0) {
        if (cfmedia_limits_failed(ret, in->probe_deadline, err)) return err->code;
        return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                            "cannot read the streams of %s (truncated or corrupt: %s)", path,
                            av_err2str(ret));
    }
    cf_err rc = cfmedia_limits_end(in->fmt, in->probe_deadline, err);
    return rc ? rc : cfmedia_limits_check(in->fmt, err);
}

static cf_err open_input(const char *path, AVIOContext *io, const cf_media_select *sel, cf_media_input *in,
                         cf_error *err);

/* The end of the file's last audio or video packet, in AV_TIME_BASE units, read without decoding;
 * AV_NOPTS_VALUE when none has a time. Stops once past stop_us (> 0): 1. */
static int last_packet_end(AVFormatContext *fmt, int64_t stop_us, int64_t *end_us) {
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) return AVERROR(ENOMEM);
    int ret;
    *end_us = AV_NOPTS_VALUE;
    while ((ret = av_read_frame(fmt, pkt)) >= 0) {
        const AVStream *st = fmt->streams[pkt->stream_index];
        enum AVMediaType type = st->codecpar->codec_type;
        int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        if ((type == AVMEDIA_TYPE_VIDEO || type == AVMEDIA_TYPE_AUDIO) && !is_cover_picture(st) &&
            ts != AV_NOPTS_VALUE) {
            int64_t end =
                av_rescale_q(ts + (pkt->duration > 0 ? pkt->duration : 0), st->time_base, AV_TIME_BASE_Q);
            if (*end_us == AV_NOPTS_VALUE || end > *end_us) *end_us = end;
        }
        av_packet_unref(pkt);
        if (stop_us > 0 && *end_us != AV_NOPTS_VALUE && *end_us > stop_us) break;
    }
    av_packet_free(&pkt);
    /* a damaged tail ends the file where it is readable, as the pipelines read it */
    return ret == AVERROR(ENOMEM) ? ret : ret >= 0;
}

/* Lengths measured, kept for the process: a file that states none is read to its end once, not
 * at every opening (an OBS recording cut off by a crash is a Matroska file of gigabytes without
 * its length, and a job opens its source five times or more). */
#define MEASURED_KEPT 16
typedef struct measured {
    struct stat id;
    int64_t end_us;
} measured;
static measured g_measured[MEASURED_KEPT];
static unsigned g_measured_next;
static pthread_mutex_t g_measured_lock = PTHREAD_MUTEX_INITIALIZER;

static bool measured_get(const struct stat *id, int64_t *end_us) {
    bool found = false;
    pthread_mutex_lock(&g_measured_lock);
    for (unsigned i = 0; i < MEASURED_KEPT && !found; i++)
        if (cfmedia_same_file(&g_measured[i].id, id)) *end_us = g_measured[i].end_us, found = true;
    pthread_mutex_unlock(&g_measured_lock);
    return found;
}

static void measured_put(const struct stat *id, int64_t end_us) {
    pthread_mutex_lock(&g_measured_lock);
    g_measured[g_measured_next++ % MEASURED_KEPT] = (measured){.id = *id, .end_us = end_us};
    pthread_mutex_unlock(&g_measured_lock);
}

/* Reads in's file to its end (last_packet_end) and opens it again at its first byte (a file
 * without an index cannot seek back): 1 when the reading stopped at stop_us, else 0 or < 0. */
static int read_to_end(cf_media_input *in, int64_t stop_us, int64_t *end_us) {
    int ret = last_packet_end(in->fmt, stop_us, end_us);
    AVFormatContext *fmt = NULL;
    int again = ret >= 0 ? open_again(in, in->fmt->max_analyze_duration, false, &fmt) : ret;
    (void)cfmedia_limits_end(fmt, in->probe_deadline, NULL); /* the file was read in time once */
    if (again < 0) return again;
    avformat_close_input(&in->fmt);
    in->fmt = fmt;
    return ret;
}

/* A file that states no length (a browser's MediaRecorder WebM, a live FLV, a recording whose
 * writer stopped before finishing its header) is measured: read to its end without decoding, from
 * its start to the end of its last packet (read_to_end), once per file as it is. Without it, a
 * trim past its end was refused as a damaged file, progress had no total, and the duration limit
 * never applied (the reading stops at it). So is one whose length FFmpeg guessed from its first
 * frames' bit rate (an MP3 of varying bit rate without a Xing header, ADTS AAC): an MP3 of 20 s
 * of silence then 40 s of sound said 152.9 s, and detection and transcription refused it as
 * truncated ("stops at 60.003 s although it says it is 152.861 s long"). */
static cf_err measure_length(const char *path, cf_media_input *in, cf_error *err) {
    if ((in->duration_ms >= 0 && !cfmedia_length_guessed(in->fmt)) || in->still || !in->fmt->pb ||
        !(in->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL))
        return CF_OK;
    int64_t limit_ms = cfmedia_limits_max_duration_ms(), end_us;
    struct stat id = {0};
    if (in->io || stat(path, &id) < 0) memset(&id, 0, sizeof id);
    int ret = 0;
    if (!measured_get(&id, &end_us)) {
        if ((ret = read_to_end(in, limit_ms > 0 ? in->start_us + limit_ms * 1000 : 0, &end_us)) < 0)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                                "%s: cannot measure its length (it states none): %s", path, av_err2str(ret));
        if (ret == 0) measured_put(&id, end_us); /* read to its end, not stopped at the limit */
    }
    if (end_us == AV_NOPTS_VALUE || end_us <= in->start_us) return CF_OK;
    in->duration_ms = (end_us - in->start_us) / 1000;
    in->duration_measured = true;
    return cfmedia_limits_check_duration(in->duration_ms, ret == 1, err);
}

/* A GIF cut short: FFmpeg's reader counts the pictures it finds and says nothing, so that a
 * download cut midway passes for a shorter animation. Every whole GIF ends with its trailer byte
 * (';', 0x3B); some writers pad after it with zeros. */
static void check_gif_end(const char *path, cf_media_input *in) {
    int64_t size = in->io || strcmp(in->fmt->iformat->name, "gif") ? -1 : cf_file_size(path);
    FILE *f = size > 0 ? fopen(path, "rb") : NULL;
    if (!f) return;
    unsigned char tail[64];
    size_t n = fseek(f, (long)(size > (int64_t)sizeof tail ? size - (int64_t)sizeof tail : 0), SEEK_SET) == 0
                   ? fread(tail, 1, sizeof tail, f)
                   : 0;
    fclose(f);
    while (n > 0 && tail[n - 1] == 0) n--;
    in->gif_unended = n > 0 && tail[n - 1] != 0x3B;
}

int cf_media_plays(const cf_media_input *in) {
    const char *name = in->fmt->iformat->name;
    int apng = !strcmp(name, "apng");
    FILE *f = !in->io && (apng || !strcmp(name, "gif")) ? fopen(in->path, "rb") : NULL;
    if (!f) return 0;
    int plays = cfmedia_plays(f, apng);
    fclose(f);
    return plays < 0 ? 0 : plays;
}

/* An MP4/MOV or FLV file with a second one joined after it (cat): where the second begins. */
static void find_second_file(const char *path, cf_media_input *in) {
    int64_t starts[2];
    if (!in->io && cfmedia_joined_files(path, in->fmt->iformat->name, starts, 2) == 2)
        in->second_file_at = starts[1];
}

/* An MPEG-TS or MPEG-PS file of recordings joined (timestamps that start again or jump ahead,
 * streams that stop where others of their kind go on), or MP4 or FLV files joined end to end, is read
 * through a copy made as one recording (continuous.c): in is closed and opened again on the copy,
 * with the same stream choice; its format stays the file's own in what probe says. Files whose
 * streams differ are read as players read them, the first alone, and said (second_file_at). */
static cf_err follow_restarts(const char *path, const cf_media_select *sel, cf_media_input *in,
                              cf_error *err) {
    double at_s = 0;
    bool files = in->second_file_at > 0;
    if (in->continuous || !(files || cfmedia_restarts(in, &at_s))) return CF_OK;
    char *copy = NULL;
    const AVInputFormat *format = in->fmt->iformat;
    int chosen[2] = {-1, -1};
    cf_err rc = cfmedia_continuous_get(in, path, at_s, sel ? sel->progress : NULL, &copy, chosen, err);
    if (rc == CF_ERR_UNSUPPORTED && files) {
        cf_log_warn("media",
                    "%s: a second file begins at byte %" PRId64 " of %" PRId64
                    " (files joined end to end?): %s; only the first is read",
                    path, in->second_file_at, cf_file_size(path), err ? err->msg : "");
        cf_error_clear(err);
        return CF_OK;
    }
    cf_media_close(in);
    memset(in, 0, sizeof *in);
    in->video_index = in->audio_index = in->silent_audio = -1;
    in->continuous = copy;
    in->source_format = format;
    /* the same streams: the copy holds them in one program, so the choice could differ there */
    cf_media_select same = {.has_video_stream = chosen[0] >= 0,
                            .video_stream = chosen[0],
                            .has_audio_stream = chosen[1] >= 0,
                            .audio_stream = chosen[1]};
    return rc ? rc : open_input(copy, NULL, &same, in, err);
}

static bool unfinished_recording(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    bool yes = fseeko(f, 0, SEEK_END) == 0 && cfmedia_mp4_unfinished(f, (int64_t)ftello(f));
    fclose(f);
    return yes;
}

/* A WebP whose picture size FFmpeg could not read: an animated one (Debian 12's FFmpeg 5.1
 * decodes still WebP only, and leaves an animation's stream without a size). */
static bool animated_webp(const AVFormatContext *fmt) {
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if (fmt->streams[i]->codecpar->codec_id == AV_CODEC_ID_WEBP && looks_empty(fmt->streams[i]))
            return true;
    return false;
}

static cf_err open_input(const char *path, AVIOContext *io, const cf_media_select *sel, cf_media_input *in,
                         cf_error *err) {
    cf_err rc = CF_OK;
    in->io = io;
    if (!(in->path = strdup(path))) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    int ret = alloc_input(&in->fmt, io, &in->probe_deadline);
    if (ret < 0) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    if ((ret = open_format(&in->fmt, path, NULL)) < 0) {
        if (cfmedia_limits_failed(ret, in->probe_deadline, err)) return err->code;
        const char *refused = io ? NULL : cfmedia_refused_format(path);
        if (refused)
            return cf_error_set(
                err, CF_ERR_INVALID_MEDIA,
                "%s is not media but %s: it names other files or addresses to read, which are not "
                "read (give the media file itself)",
                path, refused);
        if (!io && unfinished_recording(path))
            return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                                "%s is a recording that was never finished: it holds its media but not "
                                "the index (moov) a camera or phone writes when it stops recording (a "
                                "flat battery, a crash), and nothing can be read without it",
                                path);
        return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                            "%s is not a readable media file (unknown format, truncated or "
                            "corrupt: %s)",
                            path, av_err2str(ret));
    }
    if ((rc = read_streams(path, in, err))) {
        cf_media_close(in);
        return rc;
    }
    if ((rc = pick(path, sel, in, err))) {
        cf_media_close(in);
        return rc;
    }
    prefer_heard(in, sel);
    fill_facts(in);
    if (in->still && !in->rotation && !io) in->rotation = still_rotation(in);
    if (in->video_index < 0 && in->audio_index < 0 && in->unusable_video < 0 && in->unusable_audio < 0) {
        bool webp = animated_webp(in->fmt), picture = image_format(in->fmt) && in->fmt->nb_streams > 0;
        cf_media_close(in);
        if (webp)
            return cf_error_set(err, CF_ERR_UNSUPPORTED,
                                "%s is an animated WebP, whose pictures this FFmpeg build cannot decode "
                                "(give a GIF, a PNG or a video)",
                                path);
        /* a picture file whose size FFmpeg could not read: a damaged header, or over its limits */
        if (picture)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                                "%s: its picture cannot be read (a damaged header, or a size too large to "
                                "decode)",
                                path);
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s has no audio or video stream%s", path,
                            in->audio_empty ? " with data (its audio stream carries no packets)" : "");
    }
    if ((rc = measure_length(path, in, err))) return rc;
    find_second_file(path, in);
    check_gif_end(path, in);
    return follow_restarts(path, sel, in, err);
}

cf_err cf_media_open(const char *path, const cf_media_select *sel, cf_media_input *in, cf_error *err) {
    memset(in, 0, sizeof *in);
    in->video_index = in->audio_index = in->silent_audio = -1;
    cf_err rc = check_file(path, err);
    if (rc == CF_OK && (rc = open_input(path, NULL, sel, in, err)) != CF_OK) cf_media_close(in);
    return rc;
}

cf_err cf_media_open_io(const char *name, AVIOContext *io, const cf_media_select *sel, cf_media_input *in,
                        cf_error *err) {
    memset(in, 0, sizeof *in);
    in->video_index = in->audio_index = in->silent_audio = -1;
    cf_err rc = open_input(name, io, sel, in, err);
    if (rc != CF_OK) cf_media_close(in);
    return rc;
}

static cf_err refuse(const cf_media_input *m, int index, const char *path, cf_error *err) {
    const AVStream *st = m->fmt->streams[index];
    return cf_error_set(err, CF_ERR_UNSUPPORTED,
                        "%s stream %d of %s (%s) cannot be decoded by this FFmpeg build",
                        av_get_media_type_string(st->codecpar->codec_type), index, path,
                        avcodec_get_name(st->codecpar->codec_id));
}

cf_err cf_media_require(const cf_media_input *m, bool video, bool audio, const char *path, cf_error *err) {
    /* a photo given by mistake: it read as a 40 ms video before, a "truncated" file or a short */
    if (video && m->still)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                            "%s is a still picture (%s), not a video or a recording", path,
                            avcodec_get_name(m->fmt->streams[m->video_index]->codecpar->codec_id));
    if (video && m->unusable_video >= 0) return refuse(m, m->unusable_video, path, err);
    if (audio && m->unusable_audio >= 0) return refuse(m, m->unusable_audio, path, err);
    return CF_OK;
}

/* Whether a result carrying the chosen streams (video, audio) leaves stream i out. */
static bool left_out(const cf_media_input *m, unsigned i, bool video, bool audio) {
    const AVStream *st = m->fmt->streams[i];
    if (is_cover_picture(st) || looks_empty(st)) return false;
    switch (st->codecpar->codec_type) {
    case AVMEDIA_TYPE_VIDEO: return video && m->video_index >= 0 && (int)i != m->video_index;
    case AVMEDIA_TYPE_AUDIO: return audio && m->audio_index >= 0 && (int)i != m->audio_index;
    case AVMEDIA_TYPE_SUBTITLE: return video && m->video_index >= 0;
    default: return false;
    }
}

static void describe_stream(const AVStream *st, unsigned i, bool silent, AVBPrint *bp) {
    const AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
    const AVDictionaryEntry *title = av_dict_get(st->metadata, "title", NULL, 0);
    av_bprintf(bp, "%s stream %u (%s", av_get_media_type_string(st->codecpar->codec_type), i,
               avcodec_get_name(st->codecpar->codec_id));
    if (lang && strcmp(lang->value, "und")) av_bprintf(bp, ", %.16s", lang->value);
    if (title) av_bprintf(bp, ", \"%.64s\"", title->value);
    av_bprintf(bp, "%s)", silent ? ", silent where sampled" : "");
}

void cf_media_note_left_out(const cf_media_input *m, bool video, bool audio, AVBPrint *bp) {
    unsigned n = 0;
    bool other_audio = false;
    for (unsigned i = 0; i < m->fmt->nb_streams && n < 16; i++) {
        if (!left_out(m, i, video, audio)) continue;
        av_bprintf(bp, n++ ? ", " : "left out of the result: ");
        describe_stream(m->fmt->streams[i], i, (int)i == m->silent_audio, bp);
        other_audio |= m->fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
    }
    if (other_audio)
        av_bprintf(bp, "; it carries audio stream %d (choose another with audio_stream / --audio-stream)",
                   m->audio_index);
    if (m->second_file_at > 0)
        av_bprintf(bp, "%sthe second file joined at byte %" PRId64 " (a %s file holds one recording)",
                   n++ ? "; " : "left out of the result: ", m->second_file_at, cf_media_container_name(m));
    if (m->gif_unended)
        av_bprintf(
            bp, "%sthe pictures after %.2f s: the GIF is cut short (it lacks the end marker of a whole one)",
            n ? "; " : "left out of the result: ", m->duration_ms / 1000.0);
}

void cf_media_left_out_of(const char *path, const cf_media_select *sel, bool video, bool audio, char *buf,
                          size_t size) {
    cf_media_input in = {0};
    cf_error ignored;
    AVBPrint bp;
    av_bprint_init_for_buffer(&bp, buf, (unsigned)size);
    if (cf_media_open(path, sel, &in, &ignored) == CF_OK) cf_media_note_left_out(&in, video, audio, &bp);
    cf_media_close(&in);
}

const char *cf_media_container_name(const cf_media_input *m) {
    const AVInputFormat *f = m->source_format ? m->source_format : m->fmt->iformat;
    return !strcmp(f->name, "flv") ? "FLV" : !strncmp(f->name, "mov,", 4) ? "MP4" : f->name;
}

void cf_media_discard_others(cf_media_input *m) {
    for (unsigned i = 0; i < m->fmt->nb_streams; i++)
        if ((int)i != m->video_index && (int)i != m->audio_index) m->fmt->streams[i]->discard = AVDISCARD_ALL;
}

double cf_media_time(const cf_media_input *m, int index, int64_t ts) {
    return ts * av_q2d(m->fmt->streams[index]->time_base) - m->start_us / 1e6;
}

void cf_media_close(cf_media_input *in) {
    if (!in) return;
    if (in->fmt) avformat_close_input(&in->fmt);
    for (size_t i = 0; i < in->n_retired; i++) avformat_close_input(&in->retired[i]);
    free(in->retired);
    in->retired = NULL;
    in->n_retired = 0;
    free(in->path);
    in->path = NULL;
    free(in->probe_deadline); /* after the readers that point to it are closed */
    in->probe_deadline = NULL;
    cfmedia_continuous_release(in->continuous);
    free(in->continuous);
    in->continuous = NULL;
}

/* Opens the input again from its first byte; the old contexts are kept until cf_media_close, as
 * callers may hold their streams (time bases, parameters: the same in the new one). */
static int reopen(cf_media_input *in) {
    AVFormatContext **kept = realloc(in->retired, (in->n_retired + 1) * sizeof *kept);
    if (!kept) return AVERROR(ENOMEM);
    in->retired = kept;
    AVFormatContext *fmt = NULL;
    int ret = open_again(in, in->fmt->max_analyze_duration, false, &fmt);
    (void)cfmedia_limits_end(fmt, in->probe_deadline, NULL); /* the file was read in time once */
    if (ret < 0) return ret;
    for (unsigned i = 0; i < fmt->nb_streams; i++) fmt->streams[i]->discard = in->fmt->streams[i]->discard;
    in->retired[in->n_retired++] = in->fmt;
    in->fmt = fmt;
    return 0;
}

static bool seeks_by_bytes(const cf_media_input *in) {
    return in->fmt->iformat->flags & AVFMT_TS_DISCONT;
}

static int seek_near(cf_media_input *in, double at_s) {
    double start = in->start_us / 1e6;
    int64_t ts = at_s > start ? (int64_t)(at_s * AV_TIME_BASE) : in->start_us;
    int ret;
    /* their bisection looks for a keyframe at or before the time: at the start there is none
     * (video starts after the container's first timestamp) and it lands past the first group */
    if (at_s <= start && seeks_by_bytes(in)) ret = avformat_seek_file(in->fmt, -1, 0, 0, 0, AVSEEK_FLAG_BYTE);
    else ret = avformat_seek_file(in->fmt, -1, INT64_MIN, ts, ts, 0);
    if (ret < 0) ret = av_seek_frame(in->fmt, -1, ts, AVSEEK_FLAG_BACKWARD);
    if (ret < 0) ret = avformat_seek_file(in->fmt, -1, INT64_MIN, INT64_MIN, INT64_MIN, 0);
    return ret;
}

/* Reads on to the next keyframe of video stream st, giving its time (NAN when a picture decoded
 * after until_s, or the end, comes first) and its bytes' position (-1 when unknown). */
static int next_keyframe(AVFormatContext *fmt, const AVStream *st, double until_s, double *t, int64_t *pos) {
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) return AVERROR(ENOMEM);
    int ret;
    *t = NAN, *pos = -1;
    while ((ret = av_read_frame(fmt, pkt)) >= 0) {
        bool video = pkt->stream_index == st->index;
        bool key = video && (pkt->flags & AV_PKT_FLAG_KEY) && pkt->pts != AV_NOPTS_VALUE;
        int64_t decoded = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
        bool past = video && decoded != AV_NOPTS_VALUE && decoded * av_q2d(st->time_base) > until_s;
        if (key) {
            *t = pkt->pts * av_q2d(st->time_base);
            *pos = pkt->pos;
        }
        av_packet_unref(pkt);
        if (key || past) break;
    }
    av_packet_free(&pkt);
    return ret == AVERROR_EOF ? 0 : ret;
}

/* Back to the first packet. A seek by time goes where the pictures start: Matroska's cues index
 * the pictures alone, MP4, MOV and NUT move every stream to the first picture's time. The sound
 * before the first picture was lost (silence in a clip's second pass, a copy or a smart cut
 * without it, and every clip starting between the sound's start and the pictures'), and an AAC
 * track in MP4 restarted without its priming. Opening the file again starts where the first pass
 * did; formats read without an index (MPEG-TS, PS) go to their first byte, as cheap and as right. */
static int to_start(cf_media_input *in) {
    if (!seeks_by_bytes(in) && reopen(in) >= 0) return 0;
    return seek_near(in, in->start_us / 1e6);
}

/* A seek must land on a keyframe shown at or before at_s, or the pictures between the time and
 * the keyframe are lost. Formats without an index (MPEG-PS/TS) seek by bisecting timestamps and
 * land near the time: 3 s before it covers the groups of pictures of broadcasts and cameras, not
 * those of a slideshow or a screen recording holding a page (one keyframe in a minute). Formats
 * with one land on the keyframe decoded at or before the time, and in a fragmented MP4 without
 * an edit list (a recorder's, a browser's) that picture is shown later than it is decoded (the
 * B-frames' delay): the two pictures before it were lost. So the seek looks at the first
 * keyframe it reads and steps back until that one is shown at or before at_s; then it goes to
 * its bytes (without an index) or seeks there again. */
static int seek_before_keyframe(cf_media_input *in, double at_s) {
    bool by_bytes = seeks_by_bytes(in);
    double start = in->start_us / 1e6, back = by_bytes ? 3.0 : 0.25;
    double from = by_bytes ? at_s - back : at_s;
    if (from <= start) return to_start(in);
    int ret = seek_near(in, from);
    bool video = in->video_index >= 0 && in->fmt->streams[in->video_index]->discard < AVDISCARD_ALL;
    while (ret >= 0 && video) {
        double t;
        int64_t pos;
        if ((ret = next_keyframe(in->fmt, in->fmt->streams[in->video_index], at_s, &t, &pos)) < 0) break;
        /* with an index, no keyframe before the time is a stream without keyframe flags */
        if (!by_bytes && isnan(t)) return seek_near(in, from);
        if (t <= at_s + 1e-6)
            return by_bytes && pos >= 0 ? avformat_seek_file(in->fmt, -1, pos, pos, pos, AVSEEK_FLAG_BYTE)
                                        : seek_near(in, from);
        back *= 4;
        if ((from -= back) <= start) return to_start(in); /* no keyframe shown before at_s */
        ret = seek_near(in, from);
    }
    return ret;
}

int cf_media_rewind(cf_media_input *in, double at_s) {
    double start = in->start_us / 1e6;
    bool fresh = !in->was_read;
    in->was_read = true;
    in->read_to_s = 0;
    if (at_s <= start + 1e-6 && fresh) return 0;
    int ret = at_s > start + 1e-6 ? seek_before_keyframe(in, at_s) : to_start(in);
    /* A file without an index (Matroska without cues, as a recording cut off leaves it) may
     * refuse every seek, after reading to its end looking for one: it is opened again and
     * read from the start (the caller drops what comes before at_s). */
    if (ret < 0) ret = reopen(in);
    return ret;
}

/* MP3's bit reservoir reaches two frames back (52 ms at 44.1 kHz), AAC and Vorbis overlap one
 * frame; Opus states its pre-roll (80 ms), and gets a margin for Matroska's ms timestamps. */
#define SOUND_WARMUP_S 0.1

int cf_media_rewind_to_decode(cf_media_input *in, double at_s) {
    const AVStream *st = in->audio_index >= 0 ? in->fmt->streams[in->audio_index] : NULL;
    double back = 0;
    if (st && st->discard < AVDISCARD_ALL) {
        const AVCodecParameters *par = st->codecpar;
        back = SOUND_WARMUP_S;
        if (par->seek_preroll > 0 && par->sample_rate > 0)
            back = fmax(back, (double)par->seek_preroll / par->sample_rate + 0.02);
    }
    return cf_media_rewind(in, at_s - back);
}

/* Stated lengths round up the last frame's duration and index gaps; a second is far beyond that
 * and far below what losing half a file costs. */
#define TRUNCATION_SLACK_S 1.0

/* Some muxers write the last timestamp as the length (FFmpeg's Matroska and MP4 ones when the
 * timestamps were kept, -copyts), so a file that starts late states its start more than it
 * holds: reaching the stated length counted from zero is complete too. */
cf_err cf_media_check_complete(const cf_media_input *m, double last_s, const char *path, cf_error *err) {
    double stated = m->duration_ms / 1000.0, start = m->start_us > 0 ? m->start_us / 1e6 : 0;
    if (m->duration_ms <= 0 || last_s + start >= stated - TRUNCATION_SLACK_S) return CF_OK;
    return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                        "%s stops at %.3f s although it says it is %.3f s long: the file is "
                        "truncated or damaged",
                        path, last_s > 0 ? last_s : 0, stated);
}

bool cf_media_reaches(cf_media_input *in, double media_s) {
    if (cf_media_rewind(in, in->start_us / 1e6 + media_s) < 0) return false;
    AVPacket *pkt = av_packet_alloc();
    bool found = false;
    for (int n = 0; pkt && !found && n < 100000 && av_read_frame(in->fmt, pkt) >= 0; n++) {
        int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        bool chosen = pkt->stream_index == in->video_index || pkt->stream_index == in->audio_index;
        found = chosen && ts != AV_NOPTS_VALUE && cf_media_time(in, pkt->stream_index, ts) >= media_s;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    return found;
}

cf_err cf_av_code(int ret, cf_err code) {
    if (ret == AVERROR(ENOMEM)) return CF_ERR_NO_MEMORY;
    return ret < 0 && cf_err_of_write(AVUNERROR(ret)) == CF_ERR_NO_SPACE ? CF_ERR_NO_SPACE : code;
}

cf_err cf_av_fail(cf_error *err, cf_err code, const char *where, const char *step, int ret) {
    char msg[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(ret, msg, sizeof msg);
    return cf_error_set(err, cf_av_code(ret, code), "%s: %s: %s", where, step, msg);
}

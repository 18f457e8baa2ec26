/* encode.h — the encoders and output files of each target format, one setup for every
 * pipeline that writes video (the clip engine, the renderer): mp4 = libx264 (veryfast, CRF 23,
 * High profile) + AAC, moov first (faststart); webm = libvpx-vp9 (CRF 32, "good", cpu-used 5,
 * row-mt) + libopus; gif = the GIF encoder on a palette. Audio is 64 kbit/s per channel (AAC) or
 * 48 (Opus). Thumbnails are baseline JPEG. */
#ifndef CLIPFORGE_ENCODE_H
#define CLIPFORGE_ENCODE_H

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
#include <stdbool.h>
#include <stdint.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"
#include "clipforge/media.h"

/* The libx264 settings, also used by the benchmarks' ffmpeg peers. */
#define CF_X264_PRESET "veryfast"
#define CF_X264_CRF "23"

typedef struct cf_encoder_options {
    int threads;            /* codec threads, 0 = auto */
    int64_t bitrate;        /* video bits/s, 0 = the format's constant quality */
    double keyframe_s;      /* keyframe interval in seconds, 0 = the encoder's default */
    bool global_header;     /* the muxer wants global headers (AVFMT_GLOBALHEADER) */
    cf_media_colors colors; /* the pictures' colours, stated in the stream; zero-initialised: BT.709 */
} cf_encoder_options;

/* Opens the video encoder of format f for the frames sink delivers (size, pixel format, time
 * base, frame rate), stating o->colors in limited range, so that no player has to guess them.
 * *out is the caller's (avcodec_free_context). */
cf_err cf_encoder_open_video(cf_target_format f, AVFilterContext *sink, const cf_encoder_options *o,
                             AVCodecContext **out, cf_error *err);
/* Opens the audio encoder of format f at the sample rate and channel layout closest to
 * sample_rate / layout that it takes, in cf_encoder_sample_fmt(f). */
cf_err cf_encoder_open_audio(cf_target_format f, int sample_rate, const AVChannelLayout *layout,
                             const cf_encoder_options *o, AVCodecContext **out, cf_error *err);
/* The sample format the audio encoder of f takes (for aformat in a filter graph). */
enum AVSampleFormat cf_encoder_sample_fmt(cf_target_format f);
/* The muxer name of f ("mp4", "webm", "gif"). */
const char *cf_encoder_muxer(cf_target_format f);
/* The file extension of format f: ".mp4", ".webm" or ".gif". */
const char *cf_encoder_extension(cf_target_format f);
/* The format the extension of a file name names (.mp4, .m4v, .mov; .webm; .gif; any case) into
 * *f; false for a name without one of these. */
bool cf_encoder_format_of_name(const char *name, cf_target_format *f);
/* Whether an output of format f carries sound (a GIF has none). */
bool cf_encoder_has_sound(cf_target_format f);
/* Allocates *oc for writing the file at path in format (a muxer name; NULL: by path's
 * extension), as avformat_alloc_output_context2 does, but as a file: URL that may open that
 * file alone: FFmpeg takes the text of a name before a colon for a protocol ("out: 1.mp4" was
 * "Protocol not found", "pipe:1.mp4" standard output). *oc is NULL on failure. */
int cf_output_alloc(AVFormatContext **oc, const char *format, const char *path);
/* Opens the file of an *oc from cf_output_alloc for writing (oc->pb). */
int cf_output_open_file(AVFormatContext *oc);
/* Opens path for oc and writes the header (mp4: faststart). */
cf_err cf_output_start(AVFormatContext *oc, cf_target_format f, const char *path, cf_error *err);
/* Writes pkt (in its output stream's time base) to oc, as av_interleaved_write_frame does, and
 * every pipeline writes through it. An Opus track in Matroska/WebM: libavformat up to 59.30
 * (FFmpeg 5.1) writes the CodecDelay that readers take off every block's time but not the blocks
 * later by it, so the sound played early by its pre-skip (80 ms for a browser's MP4 copied to
 * WebM), or, for the encoder's first packet before 0, every track was moved later instead (the
 * pictures 7 ms late in every WebM made). Here the packet goes later by the delay first. */
int cf_output_write(AVFormatContext *oc, AVPacket *pkt);
/* Closes *oc's file and frees it (NULL-safe; *oc becomes NULL). unfinished: its header was
 * written and its trailer not (a failure or a cancel): the muxer gets its trailer first, to free
 * what it holds (FFmpeg 5.1's GIF muxer frees the packet it holds back only there); what that
 * writes does not matter, the caller removes the file. */
void cf_output_close(AVFormatContext **oc, bool unfinished);

/* Sets sws to turn YUV pictures of matrix m (cf_media_yuv_matrix) and range (full or limited)
 * into JPEG's colours: BT.601, full range. */
void cf_jpeg_sws_colors(struct SwsContext *sws, enum AVColorSpace m, bool full);
/* Scales frame to width (0 = its own width; the height keeps the aspect, even) and writes it
 * to path as a baseline JPEG. frame is YUV of matrix m, limited range, or full range in a JPEG
 * format (yuvj420p), whatever its fields say (FFmpeg 5.1's scale leaves a converted frame's old
 * matrix in them). */
cf_err cf_write_jpeg(const AVFrame *frame, enum AVColorSpace m, int width, const char *path, cf_error *err);
/* The same JPEG in memory: *data (malloc'd, the caller frees) holds *size bytes. */
cf_err cf_jpeg_encode(const AVFrame *frame, enum AVColorSpace m, int width, uint8_t **data, size_t *size,
                      cf_error *err);

#endif

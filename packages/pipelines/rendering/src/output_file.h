/* output_file.h — one encoded output of a render: the encoders (video, optional audio) fed from
 * buffersinks and the muxer writing the file. Formats: mp4 (H.264 + AAC), webm (VP9 + Opus),
 * gif (palette GIF, no audio). */
#ifndef CF_RENDER_OUTPUT_FILE_H
#define CF_RENDER_OUTPUT_FILE_H

#include <libavfilter/avfilter.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdbool.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"

typedef struct output_file {
    char *path;      /* where the result goes (published there whole, cf_render_timeline) */
    char *work_path; /* where it is written: the job's temp dir, so a crash leaves no part of it at path */
    cf_target_format format;
    AVFilterContext *vsink, *asink; /* asink NULL for gif */
    AVFormatContext *oc;
    AVCodecContext *venc, *aenc;
    AVStream *vst, *ast;
    AVFrame *frame;
    AVPacket *pkt;
    bool v_done, a_done;
    bool created;    /* work_path was opened for writing */
    bool published;  /* work_path was moved to path (ours to remove if the job fails after) */
    bool unfinished; /* the header is written, the trailer not */
    int64_t frames;
} output_file;

/* Audio sample format the encoder of format wants (for the graph's aformat). */
const char *cf_render_output_sample_fmt(cf_target_format format);
/* Opens encoders from the configured sinks and writes the header. bitrate 0 = quality mode;
 * threads 0 = auto. */
cf_err cf_render_output_open(output_file *o, int64_t bitrate, int threads, cf_error *err);
/* Pulls every frame the sinks hold and encodes it. on_video (may be NULL) sees each video frame
 * before it is encoded. */
cf_err cf_render_output_drain(output_file *o, void (*on_video)(void *user, const AVFrame *f, AVRational tb),
                              void *user, cf_error *err);
/* Flushes encoders and writes the trailer; fails when no picture was encoded. */
cf_err cf_render_output_finish(output_file *o, cf_error *err);
/* Frees everything (NULL-safe fields); does not delete the file. */
void cf_render_output_close(output_file *o);

#endif

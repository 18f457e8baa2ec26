/* video_analysis.h — per-frame picture measurements on a small luma thumbnail: scene-cut score
 * (luma histogram change with an adaptive threshold), motion energy and brightness. Internal. */
#ifndef CF_VIDEO_ANALYSIS_H
#define CF_VIDEO_ANALYSIS_H

#include <libavutil/frame.h>
#include <stdbool.h>

#include "clipforge/error.h"

#define CF_THUMB_W 64
#define CF_THUMB_H 36
/* The smallest picture a decoder may reduce a frame to for the thumbnail (lowres). A reduced
 * picture averages the pixels the thumbnail would sample, which smooths moving edges: at 4 pixels
 * per cell side motion reads 16 % lower than from the whole picture (MPEG-4, test pattern), at 8
 * 5 % lower. */
#define CF_THUMB_SOURCE_W (CF_THUMB_W * 8)
#define CF_THUMB_SOURCE_H (CF_THUMB_H * 8)

typedef struct video_frame_stats {
    float cut_score;  /* histogram change 0..1 */
    bool is_cut;      /* passed the adaptive threshold */
    float motion;     /* mean absolute luma change per frame interval since the previous frame
                       * analysed (0 on cuts) */
    float brightness; /* mean luma 0..255 */
} video_frame_stats;

typedef struct video_analyzer video_analyzer;

/* frame_ms: the stream's nominal frame interval (0 when unknown: every step counts as one). */
cf_err hl_video_analyzer_new(video_analyzer **out, double frame_ms, cf_error *err);
/* Analyses one decoded frame (any pixel format libswscale reads) shown at t_ms; frames may be
 * missing between two pushes (a decoder that skips pictures). */
cf_err hl_video_analyzer_push(video_analyzer *v, const AVFrame *frame, double t_ms, video_frame_stats *out,
                              cf_error *err);
void hl_video_analyzer_free(video_analyzer *v);

#endif

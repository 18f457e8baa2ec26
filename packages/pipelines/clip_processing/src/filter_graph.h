/* filter_graph.h — a libavfilter graph with one or two buffer sources and one sink, built from a
 * text description ("[in0]...[out]"), plus the filter chains of the clip operations.
 * Internal to libcfclip. */
#ifndef CFCLIP_FILTER_GRAPH_H
#define CFCLIP_FILTER_GRAPH_H

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/bprint.h>
#include <stdbool.h>

#include "clip_plan.h"
#include "clipforge/error.h"
#include "clipforge/media.h"

typedef struct cfclip_graph {
    AVFilterGraph *graph; /* owns the filter contexts below */
    AVFilterContext *src[2];
    AVFilterContext *sink;
    int n_src;
} cfclip_graph;

/* Builds and configures a graph. src_args[i] are the arguments of source "in<i>" ("buffer" for
 * video, "abuffer" for audio); desc connects [in0] (and [in1]) to [out]. */
cf_err cfclip_graph_build(cfclip_graph *g, bool video, const char *const *src_args, int n_src,
                          const char *desc, int threads, cf_error *err);
/* Frees the graph; NULL-safe and idempotent. */
void cfclip_graph_free(cfclip_graph *g);

/* One piece a jump cut keeps, in source seconds from timestamp 0. */
typedef struct cfclip_piece {
    double start_s, end_s;
} cfclip_piece;

/* Where the clip sits on the source timeline, in seconds from timestamp 0. */
typedef struct cfclip_span {
    double origin_s; /* source time that becomes output time 0 */
    double end_s;    /* source time where the clip ends; < 0 = end of input */
    bool trim;
    /* Jump cuts (see cut_chain.h): the pieces played, in order, from origin_s to end_s; borrowed.
     * NULL = all of the span. frame_s is the video's frame interval (the pieces lie on its
     * grid), 0 without video. */
    const cfclip_piece *pieces;
    size_t n_pieces;
    double frame_s;
} cfclip_span;

typedef enum { CFCLIP_GIF_NONE, CFCLIP_GIF_PALETTE, CFCLIP_GIF_APPLY } cfclip_gif_pass;

/* Video chain of in's video stream: trim, time shift and speed, the picture as shown (square
 * pixels, upright: cf_media_upright_filters), crop, scale, fps, then the target's pixel format
 * (yuv420p with even sides) or the GIF palette pass. */
void cfclip_video_chain(const cfclip_plan *plan, const cfclip_span *span, const cf_media_input *in,
                        cfclip_gif_pass gif, AVBPrint *out);

/* Measured loudness of the clip's audio (EBU R128). */
typedef struct cfclip_loudness {
    double integrated, range, true_peak; /* measured: LUFS, LU, dBTP */
    double gain_db;                      /* decided: gain for the whole clip */
    bool limit;                          /* decided: a true-peak limiter follows the gain */
    double limit_db;                     /* decided: the limiter's ceiling, dBTP */
} cfclip_loudness;

/* Audio chain: trim, time shift, tempo, loudness (when loud != NULL), conversion to the
 * encoder's sample format, rate and layout. */
void cfclip_audio_chain(const cfclip_plan *plan, const cfclip_span *span, const cfclip_loudness *loud,
                        const char *sample_fmt, int sample_rate, const char *layout, AVBPrint *out);
/* Audio chain of a measuring pass: trim, then the ebur128 meter. */
void cfclip_meter_chain(const cfclip_plan *plan, const cfclip_span *span, AVBPrint *out);

#endif

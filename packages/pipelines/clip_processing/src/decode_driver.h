/* decode_driver.h — the read → decode → filter loop shared by every pass of the clip pipeline.
 * Each "lane" is one input stream with its decoder and filter graph; what happens to the
 * filtered frames (encode, meter, keep a palette) is the lane's consume callback.
 * Internal to libcfclip. */
#ifndef CFCLIP_DECODE_DRIVER_H
#define CFCLIP_DECODE_DRIVER_H

#include <stdbool.h>

#include "clipforge/progress.h"
#include "filter_graph.h"
#include "clipforge/media.h"

typedef struct cfclip_lane cfclip_lane;
/* Takes a filtered frame (NULL once the graph is drained); returns 0 or a negative AVERROR, or
 * CFCLIP_LANE_DONE when it needs no more frames. The frame stays owned by the driver. */
typedef int (*cfclip_consume_fn)(void *ctx, cfclip_lane *lane, AVFrame *frame);
#define CFCLIP_LANE_DONE 1

struct cfclip_lane {
    int index;                /* input stream index */
    AVCodecContext *dec;      /* owned */
    cfclip_graph graph;       /* owned */
    double end_s;             /* stop feeding once a decoded frame reaches this source time; <0 none */
    double fill_from_s;       /* video: the picture on screen at this source time (the span's start) is
                                 fed at it when the next one comes later; <0 none */
    double data_end_s;        /* source time the stream should reach; <0 unknown */
    bool data_end_own;        /* ... by the stream's own stated end, not the file's */
    double last_s;            /* source time of the last decoded frame */
    double prev_s;            /* and of the one before it */
    AVFrame *held;            /* video: the last picture fed, shown on through a hole at the end */
    const cf_media_input *in; /* set by cfclip_drive */
    bool went_back;           /* the stream's timestamps went back (damaged file) ... */
    double back_from_s;       /* ... from this source time */
    int64_t frames;           /* frames decoded */
    cfclip_consume_fn consume;
    void (*on_decoded)(void *ctx, double source_s); /* optional: each decoded frame's time */
    void *ctx;
    cf_media_fitter fit; /* pictures of another size, sound of another layout or rate: fitted */
    bool input_done;     /* no more frames go into the graph */
    bool cut_short;      /* the file ended before the lane reached its end point */
    bool output_done;    /* the consumer has seen the end */
};

/* Seeks to seek_s (source seconds, <= 0 = from the start) and runs the lanes until every lane
 * is done or the input ends, then flushes them. Checks p for cancellation between packets.
 * what names the pass in error messages. */
cf_err cfclip_drive(cf_media_input *in, cfclip_lane *lanes, int n_lanes, double seek_s, cf_progress *p,
                    const char *what, cf_error *err);
/* Frees a lane's decoder and graph; NULL-safe. */
void cfclip_lane_free(cfclip_lane *lane);

#endif

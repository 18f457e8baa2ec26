/* media_input.h — opening an input file with clear errors, and the facts every part of the clip
 * pipeline needs about it (chosen streams, duration, rotation). Internal to libcfclip. */
#ifndef CFCLIP_MEDIA_INPUT_H
#define CFCLIP_MEDIA_INPUT_H

#include <libavformat/avformat.h>
#include <stdbool.h>
#include <stdint.h>

#include "clipforge/error.h"

typedef struct cfclip_input {
    AVFormatContext *fmt; /* owned */
    int video_index;      /* best video stream (not a cover picture), -1 when none */
    int audio_index;      /* best audio stream, -1 when none */
    int64_t start_us;     /* container start time, 0 when unknown */
    int64_t duration_ms;  /* -1 when unknown */
    int rotation;         /* clockwise degrees to show video upright: 0, 90, 180 or 270 */
    bool was_read;        /* packets were read: a new pass must seek back first */
} cfclip_input;

/* Positions the input for a pass that starts at source time at_s (<= 0 = the beginning): on
 * the keyframe at or before it. */
int cfclip_input_rewind(cfclip_input *in, double at_s);

/* Opens path and reads its stream information. Missing, empty, unreadable, non-media and
 * truncated files fail with a one-line message naming the file. On failure *in is closed. */
cf_err cfclip_input_open(const char *path, cfclip_input *in, cf_error *err);
/* Closes the file; NULL-safe and idempotent. */
void cfclip_input_close(cfclip_input *in);
/* Clockwise rotation (0/90/180/270) from a stream's display matrix, 0 when it has none. */
int cfclip_stream_rotation(const AVStream *st);
/* The stream's frame rate (r_frame_rate, else avg_frame_rate), 0 when unknown. */
double cfclip_stream_fps(const AVStream *st);

#endif

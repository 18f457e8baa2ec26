/* encoders.h — the encoders of each target format and their settings: mp4 = libx264 (yuv420p,
 * veryfast, CRF 23) + AAC; webm = libvpx-vp9 (CRF 32) + libopus; gif = the GIF encoder on a
 * palette. Internal to libcfclip. */
#ifndef CFCLIP_ENCODERS_H
#define CFCLIP_ENCODERS_H

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <stdbool.h>

#include "clip_plan.h"
#include "clipforge/error.h"

/* Opens the video encoder of format f for the frames the sink delivers. */
cf_err cfclip_open_video_encoder(cfclip_format f, AVFilterContext *sink, int threads,
                                 bool global_header, AVCodecContext **out, cf_error *err);
/* Opens the audio encoder of format f, choosing the sample rate and layout closest to the
 * source's (par) that the encoder takes. */
cf_err cfclip_open_audio_encoder(cfclip_format f, const AVCodecParameters *par, int threads,
                                 bool global_header, AVCodecContext **out, cf_error *err);
/* The libx264 settings, also used by the benchmark's ffmpeg peer. */
#define CFCLIP_X264_PRESET "veryfast"
#define CFCLIP_X264_CRF "23"

#endif

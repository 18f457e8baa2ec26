/* stream_copy.h — trimming without re-encoding: packets are copied from the keyframe at or
 * before the start up to the end. Internal to libcfclip. */
#ifndef CFCLIP_STREAM_COPY_H
#define CFCLIP_STREAM_COPY_H

#include <stdbool.h>

#include "clip_plan.h"
#include "clipforge/progress.h"
#include "clipforge/media.h"

/* Source time (seconds) of the video keyframe at or before at_s (the first one after when there
 * is none before, NAN when none is read); for audio-only inputs, of the sound's packet at or
 * before at_s. *leading (may be NULL): the keyframe has leading pictures (an open picture group:
 * the picture decoded after it is shown before it). Leaves the read position anywhere. */
cf_err cfclip_keyframe_before(cf_media_input *in, double at_s, double *out, bool *leading, cf_error *err);
/* libx264's name of an H.264 profile it writes (Baseline, Main, High: 8-bit 4:2:0), else NULL. */
const char *cfclip_x264_profile(int profile);
/* Why the source's pictures are not what an encode of them gives, or NULL when they are. The
 * encoders write 8-bit 4:2:0, progressive SDR pictures, in the profiles players decode most
 * widely (H.264 Baseline, Main or High, HEVC Main, VP9 profile 0; HEVC plays in Chromium and
 * Apple's players, not in Firefox, and is copied only as the source's own codec); copied,
 * anything else would differ from the encode (fields, HDR) or not play (High 10, 4:2:2 and
 * 4:4:4 H.264 in a browser). */
const char *cfclip_pictures_unlike_encode(const cf_media_input *in);
/* The MP4 sample entry tag of HEVC whose parameter sets are in the sample entry alone, as
 * phones and cameras write it; FFmpeg's muxer writes HEVC as hev1 unless told. */
#define CFCLIP_HVC1 MKTAG('h', 'v', 'c', '1')
/* True when format's muxer takes the codecs of the streams that would be copied. */
bool cfclip_copy_supported(const cf_media_input *in, cfclip_format format, bool use_audio);
/* Whether a copy into format hides what it holds before the start (the pictures from the
 * keyframe before it): shown from the start, not from the keyframe. */
bool cfclip_copy_hides_lead_in(cfclip_format format);
/* Copies [start_s, end_s) (source seconds) of the input's video and (use_audio) audio streams
 * into path. The output holds the packets from the keyframe at or before start_s, and is shown
 * from it, or, when cfclip_copy_hides_lead_in(format), from the picture on screen at start_s:
 * *started_s (may be NULL), the source time shown first. */
cf_err cfclip_stream_copy(cf_media_input *in, cfclip_format format, bool use_audio, double start_s,
                          double end_s, const char *path, double *started_s, cf_progress *p, cf_error *err);

#endif

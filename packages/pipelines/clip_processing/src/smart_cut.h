/* smart_cut.h — trim mode "smart": the picture groups that lie wholly inside the range are
 * copied as they are, only the partial groups at the two edges are decoded and encoded again,
 * with libx264 / libx265 set to match the source (profile, level, size, colour, time base).
 * H.264: the edges' parameter sets get ids the source does not use, so that the joined stream
 * is one valid H.264 stream whose avcC holds both sets. HEVC: every part's sets go in the stream
 * ahead of its first picture (an hev1 track), and open picture groups (CRA) are spliced as BLA. The audio
 * (made beforehand, sample-accurately, by the re-encoding path) is muxed alongside. Internal to libcfclip. */
#ifndef CFCLIP_SMART_CUT_H
#define CFCLIP_SMART_CUT_H

#include "clip_plan.h"
#include "clipforge/media.h"
#include "clipforge/progress.h"
#include "filter_graph.h"

typedef struct cfclip_smart_stats {
    double head_s, copied_s, tail_s; /* source seconds encoded before, copied, encoded after */
} cfclip_smart_stats;

/* CF_OK when the video of in can be smart-cut into plan's format; CF_ERR_UNSUPPORTED with the
 * reason in err when it cannot (other codec or container, interlaced, 10-bit, no encoder). */
cf_err cfclip_smart_check(const cf_media_input *in, const cfclip_plan *plan, cf_error *err);

/* Writes path: the span of in's video, smart-cut, with the audio packets of audio_path (a file
 * holding the span's audio from time 0, or NULL for none). CF_ERR_UNSUPPORTED (reason in err)
 * when the source turns out not to allow it (H.264 keyframes that are not IDR, an open picture
 * group, an hvc1 HEVC source whose cut could not be hvc1); then path holds nothing worth keeping
 * and the caller re-encodes. HEVC comes out hvc1, or hev1 when the source's parameter sets
 * change within the span. */
cf_err cfclip_smart_cut(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                        const char *audio_path, const char *path, cf_progress *progress,
                        cfclip_smart_stats *stats, cf_error *err);

#endif

/* debug_video.h — a video of the smart-crop camera path: the source span with the crop drawn
 * as a red frame that moves as the virtual camera does (for people tuning or checking it). */
#ifndef CF_RENDER_DEBUG_VIDEO_H
#define CF_RENDER_DEBUG_VIDEO_H

#include "clipforge/error.h"
#include "clipforge/progress.h"
#include "reframe.h"

/* link: the source (a name without characters special to filter graphs); [t0, t1) its span in
 * stream seconds, seek_s the seek point; upright: the filters showing its pictures as players do
 * (the camera path is in that picture); cmd_path: where to write the sendcmd script; the video
 * (H.264, 640 wide, no audio) goes to out_path, removed again on failure. */
cf_err cf_debug_video_write(const char *link, const char *upright, double seek_s, double t0, double t1,
                            const cf_camera_path *cp, const char *cmd_path, const char *out_path,
                            cf_progress *progress, cf_error *err);

#endif

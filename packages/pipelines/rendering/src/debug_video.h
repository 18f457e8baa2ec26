/* debug_video.h — a video of the smart-crop camera path: the source span with the crop drawn
 * as a red frame that moves as the virtual camera does (for people tuning or checking it). */
#ifndef CF_RENDER_DEBUG_VIDEO_H
#define CF_RENDER_DEBUG_VIDEO_H

#include "clipforge/error.h"
#include "clipforge/progress.h"
#include "reframe.h"

/* path: the source, read by a render source (the scenes' reading: stream choice, seek, damaged
 * packets skipped); [t0, t1) its span in stream seconds; upright: the filters showing its
 * pictures as players do (the camera path is in that picture); cmd_path: where to write the
 * sendcmd script (a name without characters special to filter graphs); the video (H.264, 640
 * wide, no audio) goes to out_path, removed again on failure. */
cf_err cf_debug_video_write(const char *path, const char *upright, double t0, double t1, int threads,
                            const cf_camera_path *cp, const char *cmd_path, const char *out_path,
                            cf_progress *progress, cf_error *err);

#endif

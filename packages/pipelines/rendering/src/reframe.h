/* reframe.h — smart reframing: where a fixed-size crop (e.g. 9:16 out of a 16:9 source) should
 * sit in every frame so the action and the faces stay in view.
 *
 * Analysis decodes the span once at a small size: motion saliency from frame differences on a
 * downscaled luma, faces from the Haar cascade every few frames, scene cuts from large global
 * differences. The per-frame region of interest is then smoothed into a virtual camera with a
 * dead zone (small moves of the subject do not move the camera), bounded speed and bounded
 * acceleration; the camera only jumps at a scene cut. */
#ifndef CF_RENDER_REFRAME_H
#define CF_RENDER_REFRAME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"
#include "clipforge/progress.h"
#include "haar_cascade.h"

typedef struct cf_reframe_params {
    double aspect;            /* crop width / height, e.g. 9/16 */
    int analysis_width;       /* frames analysed at this width (320) */
    int64_t face_interval_ms; /* face detection period (200); 0 = faces off */
    const char *cascade_path; /* NULL = the frontal face cascade of opencv-data */
    double dead_zone;         /* fraction of the crop size the subject may drift freely (0.1) */
    double gain;              /* camera speed per pixel of error, 1/s (6) */
    double max_speed;         /* fraction of the source size per second (0.6) */
    double max_accel;         /* fraction of the source size per second^2 (1.5) */
    double cut_threshold;     /* mean absolute luma difference (0..255) that is a cut (40) */
} cf_reframe_params;

void cf_reframe_params_default(cf_reframe_params *p);

/* One analysed frame: the time, what was seen, and where the crop goes. */
typedef struct cf_camera_sample {
    int64_t t_ms;                              /* from the span start */
    double roi_x, roi_y;                       /* centre of the region of interest (source pixels) */
    double subj_x0, subj_x1, subj_y0, subj_y1; /* subject extent, or roi when nothing was seen */
    double motion;                             /* fraction of pixels that changed */
    int faces;                                 /* faces seen (latest detection) */
    bool cut;                                  /* first frame of a new shot */
    bool seen;                                 /* a subject (motion or face) was found in this frame */
    int crop_x, crop_y;                        /* top-left of the crop (source pixels) */
} cf_camera_sample;

typedef struct cf_camera_path {
    int src_w, src_h;
    int crop_w, crop_h;
    double fps;
    cf_camera_sample *samples;
    size_t n_samples;
} cf_camera_path;

/* Analyses [start_ms, end_ms) of the video at path (end_ms <= 0 = to the end) and fills out.
 * Reports progress in [0,1] and stops with CF_ERR_CANCELLED when asked. out is owned by the
 * caller (cf_camera_path_free). */
cf_err cf_reframe_analyze(const char *path, int64_t start_ms, int64_t end_ms, const cf_reframe_params *p,
                          cf_progress *progress, cf_camera_path *out, cf_error *err);

/* Turns per-frame regions of interest (samples with t_ms, roi_*, subj_*, seen, cut) into crop
 * positions: the virtual camera; frames where nothing was seen hold the
 * last region of the shot (or the next one, at the start of a shot). Exposed for tests and for callers with
 * their own analysis. */
void cf_reframe_plan(cf_camera_path *path, const cf_reframe_params *p);

/* The sample for time t_ms (the latest at or before it). path must have samples. */
const cf_camera_sample *cf_camera_path_at(const cf_camera_path *path, int64_t t_ms);

/* The split layout's two regions of the source, each framed on a face: faces are detected every
 * 500 ms over [start_ms, end_ms); their centres are split into a left and a right group at the
 * widest gap (wider than a face); each group's median face gives a region of the panel's aspect
 * (panel_aspect = width / height), 3.5 face heights tall with the face in the upper middle,
 * clamped inside the frame. regions[0] is the left person (the top panel). CF_ERR_NOT_FOUND
 * when there are not two people to frame; CF_ERR_CANCELLED when progress asks. */
cf_err cf_split_regions(const char *path, int64_t start_ms, int64_t end_ms, double panel_aspect,
                        cf_progress *progress, cf_rect regions[2], cf_error *err);

/* {"source":{w,h},"crop":{w,h},"fps","samples":[{t_ms,x,y,roi_x,roi_y,motion,faces,cut}]} */
json_t *cf_camera_path_to_json(const cf_camera_path *path);
void cf_camera_path_free(cf_camera_path *path);

#endif

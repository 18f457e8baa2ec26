/* media_pictures.h — pictures of a media file for the people who choose and review it: the
 * audio's waveform as peaks, a filmstrip (frames spread over the duration on one JPEG sprite
 * sheet) and a poster frame that is not black. In-process on the FFmpeg libraries; the results
 * are memory buffers, so a caller can keep them wherever it keeps things. Part of libcfclip. */
#ifndef CLIPFORGE_MEDIA_PICTURES_H
#define CLIPFORGE_MEDIA_PICTURES_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"
#include "clipforge/progress.h"

/* Steps of the waveform: at least this long, and no more steps than the schema allows. */
#define CF_WAVEFORM_MIN_STEP_MS 20
#define CF_WAVEFORM_MAX_POINTS 8000

/* Decodes the best audio stream of path once and fills out (all but media_id): step_ms (at
 * least CF_WAVEFORM_MIN_STEP_MS, long enough for at most max_points steps; 0 =
 * CF_WAVEFORM_MAX_POINTS), the largest absolute sample of each step over every channel (0..1
 * of full scale), the stream's rate and channels. The caller frees out with
 * cf_media_waveform_free. CF_ERR_UNSUPPORTED when the media has no audio stream;
 * CF_ERR_CANCELLED when progress is cancelled. */
cf_err cf_waveform_compute(const char *path, size_t max_points, cf_progress *progress, cf_media_waveform *out,
                           cf_error *err);

/* A JPEG in memory: data (malloc'd) holds size bytes of a width x height picture. */
typedef struct cf_jpeg {
    uint8_t *data;
    size_t size;
    int width, height;
} cf_jpeg;
void cf_jpeg_free(cf_jpeg *j); /* frees data, zeroes *j; NULL-safe */

typedef struct cf_filmstrip_options {
    int count;      /* tiles, 0 = 20 */
    int columns;    /* per row, 0 = min(count, 10) */
    int tile_width; /* pixels, 0 = 160; the height keeps the upright picture's shape */
} cf_filmstrip_options;

/* Frames of path's video at the middles of count equal parts of its duration (upright, as the
 * display matrix says), left to right in rows of columns on one JPEG sheet. out is filled with
 * all but media_id and url; times_ms are the times of the frames shown (a keyframe near the
 * target, or the first frame at or after it when keyframes are far apart). The caller frees
 * out (cf_media_filmstrip_free) and sheet (cf_jpeg_free). CF_ERR_UNSUPPORTED without a video
 * stream; CF_ERR_CANCELLED when progress is cancelled. */
cf_err cf_filmstrip_compute(const char *path, const cf_filmstrip_options *o, cf_progress *progress,
                            cf_media_filmstrip *out, cf_jpeg *sheet, cf_error *err);

/* A poster: the first of a few frames spread over the video (from 10 % on) that is neither
 * near-black, near-white nor flat, else the most detailed of them, upright, at most width
 * pixels wide (0 = 640) as a JPEG; *at_ms (optional) is its time. A file without video gives
 * its cover picture (an mp3's or m4a's artwork, time 0); CF_ERR_UNSUPPORTED without either. */
cf_err cf_poster_compute(const char *path, int width, cf_jpeg *out, int64_t *at_ms, cf_error *err);

/* Writes jpeg_path (whole or not at all): the picture of path's video shown at at_ms (the first
 * at or after it), upright, width pixels wide (0 = as shown). A clip's thumbnail when its
 * pictures were not encoded one by one (a smart cut). CF_ERR_PROCESSING when no picture is
 * there. */
cf_err cf_picture_write_jpeg(const char *path, int64_t at_ms, int width, const char *jpeg_path,
                             cf_error *err);

#endif

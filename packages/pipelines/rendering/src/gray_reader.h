/* gray_reader.h — decodes the first video stream of a file (or a still image) into 8-bit grey
 * frames of a chosen size, for analysis (face detection, motion saliency). */
#ifndef CF_RENDER_GRAY_READER_H
#define CF_RENDER_GRAY_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "clipforge/error.h"
#include "haar_cascade.h"

typedef struct cf_gray_reader cf_gray_reader;

typedef struct cf_video_info {
    int width, height;   /* the source picture as shown: square pixels, upright (cf_media_shown_size) */
    double fps;          /* average frame rate, 0 when unknown */
    int64_t duration_ms; /* container duration, 0 when unknown */
} cf_video_info;

/* Opens path and positions at start_ms (frames before it are decoded and dropped). Frames come
 * out as shown (square pixels, upright) in out_w x out_h grey; 0 for one side keeps the aspect,
 * 0 for both keeps the shown size. *out is owned by the caller (cf_gray_reader_close). */
cf_err cf_gray_reader_open(const char *path, int64_t start_ms, int out_w, int out_h, cf_gray_reader **out,
                           cf_error *err);
/* The same for an analysis that looks at one frame in many: pictures no other picture refers to
 * (most B-frames) are not decoded, so the frames given out are the reference ones. */
cf_err cf_gray_reader_open_sparse(const char *path, int64_t start_ms, int out_w, int out_h,
                                  cf_gray_reader **out, cf_error *err);
/* The next frame given out is the first at or after at_ms: those before it are decoded only
 * (not scaled). */
void cf_gray_reader_skip_to(cf_gray_reader *r, int64_t at_ms);
void cf_gray_reader_info(const cf_gray_reader *r, cf_video_info *info);
/* Decodes the next frame into *img (valid until the next call) with its time in ms.
 * Sets *eof and returns CF_OK at the end of the stream. */
cf_err cf_gray_reader_next(cf_gray_reader *r, cf_gray_image *img, int64_t *pts_ms, bool *eof, cf_error *err);
void cf_gray_reader_close(cf_gray_reader *r);

#endif

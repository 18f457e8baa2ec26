/* thumbnail.h — writing one picture as a JPEG file. Internal to libcfclip. */
#ifndef CFCLIP_THUMBNAIL_H
#define CFCLIP_THUMBNAIL_H

#include <libavutil/frame.h>

#include "clipforge/error.h"

/* Scales frame to width (0 = its own width; the height keeps the aspect, even) and writes it
 * to path as a baseline JPEG. */
cf_err cfclip_write_jpeg(const AVFrame *frame, int width, const char *path, cf_error *err);

#endif

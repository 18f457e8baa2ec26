/* clip_run_internal.h — helpers of cf_clip_run shared with the service. Internal. */
#ifndef CFCLIP_CLIP_RUN_INTERNAL_H
#define CFCLIP_CLIP_RUN_INTERNAL_H

#include <stddef.h>

#include "clipforge/domain/types.h"

/* "cfclip-<clip id with only [A-Za-z0-9_]>-": the temp dir prefix of a clip's jobs. */
void cfclip_temp_prefix(const char *clip_id, char *buf, size_t len);
/* Renames src to dst, copying when they are on different filesystems. */
cf_err cfclip_move_into_place(const char *src, const char *dst, cf_error *err);
/* The configured data directory (cf_clip_configure), or NULL. */
const char *cfclip_data_dir(void);
/* "<output without extension>.jpg"; malloc'd. */
char *cfclip_default_thumb_path(const char *output);

#endif

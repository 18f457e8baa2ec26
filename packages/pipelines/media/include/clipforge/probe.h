/* probe.h — what a media file holds: container, duration, streams (codec, size, frame rate,
 * rotation, sample rate, channels, bit rate), as JSON. Part of libcfmedia. */
#ifndef CLIPFORGE_PROBE_H
#define CLIPFORGE_PROBE_H

#include <jansson.h>

#include "clipforge/error.h"

/* Probes the local file at path. On success *out is a new JSON object the caller releases with
 * json_decref:
 *   {"path", "format", "format_long", "size_bytes", "duration_ms", "start_ms", "bit_rate",
 *    "video_stream", "audio_stream" (the streams the pipelines use unless asked for others),
 *    "still_picture": true for one still picture (png, jpeg...: no pipeline takes it),
 *    "streams": [{"index", "type": "video"|"audio"|"subtitle"|"data"|..., "codec", "codec_long",
 *                 "bit_rate", "duration_ms", "start_ms" (after the container's start),
 *                 "default" (the file marks it as the default of its type),
 *                 video: "width", "height", "pix_fmt", "frame_rate", "avg_frame_rate",
 *                        "rotation" (clockwise degrees to show it upright: 0, 90, 180, 270),
 *                        "pixel_aspect" ("1:1", or the shape of wide or narrow pixels,
 *                        "32:27" in a DVD), "display_width", "display_height" (as shown:
 *                        square pixels, upright; cf_media_shown_size),
 *                 audio: "sample_rate", "channels", "channel_layout", "sample_fmt"}]}
 * Numbers that the file does not state are left out. Errors: CF_ERR_NOT_FOUND (missing file),
 * CF_ERR_INVALID_MEDIA (empty, not media, truncated or corrupt), CF_ERR_PERMISSION. */
cf_err cf_probe_file(const char *path, json_t **out, cf_error *err);

#endif

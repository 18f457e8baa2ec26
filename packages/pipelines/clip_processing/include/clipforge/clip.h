/* clip.h — the clip-processing pipeline (libcfclip): one ClipProcessingRequest in, one clip
 * (mp4, webm or gif) and its thumbnail out, processed in-process on the FFmpeg libraries.
 *
 * Operations (applied in this order whatever their order in the request): trim (source time),
 * speed, rotation to upright (from the display matrix), crop (on the upright picture), scale,
 * fps, normalize_audio (EBU R128, two passes), mute (drops the audio track), thumbnail (JPEG of
 * the output picture at at_ms on the output timeline). A trim alone is a stream copy when the
 * codecs already fit the target and the start is on a keyframe (mode "auto"), or always
 * (mode "copy", starting at the keyframe at or before start_ms). */
#ifndef CLIPFORGE_CLIP_H
#define CLIPFORGE_CLIP_H

#include "clipforge/domain/types.h"
#include "clipforge/error.h"
#include "clipforge/progress.h"

/* Settings the app gives the pipeline from its configuration (it reads no environment). */
typedef struct cf_clip_settings {
    const char *data_dir;    /* CLIPFORGE_DATA_DIR: where the service's outputs go (it needs one) */
    int max_dimension;       /* CLIPFORGE_MAX_DIMENSION: largest width/height, 0 = 8192 */
    int64_t max_duration_ms; /* CLIPFORGE_MAX_DURATION_MS: longest input, 0 = no limit */
    int threads;             /* CLIPFORGE_THREADS: codec threads when the options say 0, 0 = auto */
} cf_clip_settings;
/* Copies s (NULL = built-in defaults) as the settings of later clips. Call it at startup, before
 * any clip runs: clips read the settings without a lock. CF_ERR_NO_MEMORY. */
cf_err cf_clip_configure(const cf_clip_settings *s, cf_error *err);

typedef struct cf_clip_options {
    const char *output_path; /* local file to write */
    const char *temp_dir;    /* parent for temp files, NULL = $TMPDIR */
    int threads;             /* 0 = auto */
} cf_clip_options;

/* Runs req. source_uri is a local path or file:// URI (the service resolves media:// ids before
 * calling). The clip is written to a temp file in a fresh temp dir and renamed to
 * opts->output_path only on success; the thumbnail goes to its op's output_uri, or beside the
 * output as <output without extension>.jpg. Temp files are removed on every path, and nothing
 * is left at the output paths on failure. progress (may be NULL) gets 0..1 from the output
 * timestamps; setting its cancel flag stops the job within a second (CF_ERR_CANCELLED).
 * On success *out holds the result (artifacts measured by probing the written files); the
 * caller frees it with cf_clip_processing_result_free. Input errors return CF_ERR_NOT_FOUND,
 * CF_ERR_INVALID_ARGUMENT, CF_ERR_INVALID_MEDIA or CF_ERR_TOO_LARGE; processing errors
 * CF_ERR_PROCESSING or CF_ERR_IO. */
cf_err cf_clip_run(const cf_clip_processing_request *req, const cf_clip_options *opts, cf_progress *progress,
                   cf_clip_processing_result *out, cf_error *err);

/* DESIGN §2 contract: a versioned table of functions with an opaque self. */
typedef struct cf_clip_service {
    int version; /* 1 */
    const char *name;
    void *self;
    /* Validates the request (fields, the source file and what it allows) and makes room for
     * the clip's output. Nothing is processed. */
    cf_err (*prepare)(void *self, const cf_clip_processing_request *req, cf_error *err);
    /* Processes the request with cf_clip_run into the service's output directory. */
    cf_err (*execute)(void *self, const cf_clip_processing_request *req, cf_progress *progress,
                      cf_clip_processing_result *out, cf_error *err);
    /* Removes temp data a job of clip_id may have left (after a crash); ok when none. */
    cf_err (*cleanup)(void *self, const char *clip_id, cf_error *err);
} cf_clip_service;

/* The local service: outputs go to <data_dir>/clips/<clip_id>/clip.<ext> (the configured
 * cf_clip_settings.data_dir; CF_ERR_INVALID_ARGUMENT without one; thumbnail beside it unless the
 * request names one), temp files under $TMPDIR (cf_temp_parent), codec threads from the settings. */
const cf_clip_service *cf_clip_service_default(void);

#endif

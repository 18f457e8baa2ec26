/* render.h — the rendering pipeline (libcfrender): turns a timeline (hand-written, or compiled
 * from a template, a source and a span) into finished videos with a thumbnail and caption files,
 * and delivers them (storage directory, or a webhook through the app's adapter).
 *
 * Types come from the domain schemas: cf_timeline (Timeline.json), cf_render_request,
 * cf_render_result, cf_render_destination. */
#ifndef CLIPFORGE_RENDER_H
#define CLIPFORGE_RENDER_H

#include <jansson.h>
#include <stdint.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"
#include "clipforge/progress.h"

typedef struct cf_render_options {
    const char *output_path;      /* file of the first output; output i > 0 is "<stem>-<i>.<ext>" */
    const char *temp_dir;         /* parent for temp files, NULL = $TMPDIR */
    const char *debug_path;       /* when set: the smart-crop camera path(s) as JSON here */
    const char *debug_video_path; /* when set: the first smart-crop scene's source with the crop
                                   * drawn as a moving red frame (mp4) */
    int threads;                  /* encoder threads, 0 = auto */
    const char *template_dir;     /* where templates are, NULL or "" = cf_render_template_dir() */
} cf_render_options;

/* Parses and validates a timeline (schema + cross-field rules); errors name the field.
 * out is owned by the caller (cf_timeline_free). */
cf_err cf_render_timeline_from_json(const json_t *j, cf_timeline *out, cf_error *err);
cf_err cf_render_timeline_load(const char *path, cf_timeline *out, cf_error *err);

/* Delivery of a finished render to a webhook destination, an adapter the app provides: the
 * pipeline does no HTTP. post() sends body (the RenderResult JSON) to d->url, signed with
 * d->secret, retrying as its own policy says; it is called from render threads. */
typedef struct cf_render_webhook {
    int version; /* 1 */
    cf_err (*post)(void *self, const cf_render_destination *d, const char *body, cf_error *err);
    void *self;
} cf_render_webhook;

/* Settings the app gives the pipeline (it reads no environment). */
typedef struct cf_render_settings {
    const char *template_dir;         /* CLIPFORGE_TEMPLATE_DIR; NULL or "" = the installed ones */
    const char *data_dir;             /* CLIPFORGE_DATA_DIR: where the service's outputs go (it needs one) */
    int threads;                      /* CLIPFORGE_THREADS: the service's encoder threads, 0 = auto */
    const cf_render_webhook *webhook; /* not copied, must outlive renders; NULL = webhook
                                       * destinations fail as unsupported */
} cf_render_settings;
/* Copies s (NULL = built-in defaults) as the settings of later renders. Call it at startup,
 * before any render runs: renders read the settings without a lock. CF_ERR_NO_MEMORY. */
cf_err cf_render_configure(const cf_render_settings *s, cf_error *err);
/* The directory of template files (<id>.json): the configured one, else the installed one. */
const char *cf_render_template_dir(void);
/* compile(request) -> timeline: takes the inline req->timeline, reads req->timeline_uri, or
 * applies template req->template_id (from template_dir, NULL = cf_render_template_dir()) to
 * req->source_uri [start_ms, end_ms) with the variables (title, brand_color, logo_uri, font),
 * captions and music. The result is validated. out is owned by the caller. */
cf_err cf_render_compile_in(const cf_render_request *req, const char *template_dir, cf_timeline *out,
                            cf_error *err);
/* Applies a template given as its JSON text (what templates/<id>.json holds) to req's source span
 * [req->start_ms, end_ms) without probing the source: the timeline, checked like a file's, into
 * *out (the caller frees it with cf_timeline_free on CF_OK). Errors name what is wrong. */
cf_err cf_render_template_apply(const char *text, size_t len, const cf_render_request *req, int64_t end_ms,
                                cf_timeline *out, cf_error *err);
/* cf_render_compile_in with the default template directory. */
cf_err cf_render_compile(const cf_render_request *req, cf_timeline *out, cf_error *err);

/* Renders tl: every output, a thumbnail (<stem>.jpg) and, with captions, <stem>.srt and
 * <stem>.vtt. Temp files are removed on every path; on failure or cancellation
 * (CF_ERR_CANCELLED) the partial outputs are removed too. out is owned by the caller
 * (cf_render_result_free). */
cf_err cf_render_timeline(const cf_timeline *tl, const char *clip_id, const cf_render_options *opts,
                          cf_progress *progress, cf_render_result *out, cf_error *err);

/* The camera path a smart_crop scene follows over [start_ms, end_ms) of the video at path on a
 * canvas of aspect width / height: the analysis the render makes, as JSON (schema SmartCropPath:
 * {source, crop, fps, samples: [{t_ms, x, y, ...}]}, t_ms from start_ms), so a preview frames
 * the shot where the render will. progress may be NULL. *out is owned by the caller. */
cf_err cf_render_camera_path(const char *path, int64_t start_ms, int64_t end_ms, double aspect,
                             cf_progress *progress, json_t **out, cf_error *err);

/* How a split scene over [start_ms, end_ms) of the video at path frames its two panels on a
 * canvas of aspect width / height: the faces the render looks for, as JSON (schema
 * SplitFraming: {regions: [{x, y, width, height}, ...]}, the top panel's region first; no
 * regions when there are not two people, and the panels show the halves). *out is owned by the
 * caller. */
cf_err cf_render_split_framing(const char *path, int64_t start_ms, int64_t end_ms, double aspect,
                               cf_progress *progress, json_t **out, cf_error *err);

/* Sends a finished render to one destination: storage copies every artifact into the directory
 * d->uri (a path or file:// URI); webhook hands the RenderResult JSON for d->url to the
 * configured cf_render_webhook (CF_ERR_UNSUPPORTED without one). */
cf_err cf_render_deliver(const cf_render_result *res, const cf_render_destination *d, cf_error *err);

/* compile + render + deliver to every destination of req. */
cf_err cf_render_run(const cf_render_request *req, const cf_render_options *opts, cf_progress *progress,
                     cf_render_result *out, cf_error *err);

/* The pipeline as the service sees it (DESIGN §2): compile, render, cancel by clip id. */
typedef struct cf_render_service {
    int version; /* 1 */
    const char *name;
    void *self;
    cf_err (*compile)(void *self, const cf_render_request *req, cf_timeline *out, cf_error *err);
    /* cf_render_run into req->output_uri, or <data_dir>/renders/<clip_id>/render.<ext> (the
     * configured data_dir, CF_ERR_INVALID_ARGUMENT without one);
     * progress may be NULL (the service then makes one, so cancel still works). */
    cf_err (*render)(void *self, const cf_render_request *req, cf_progress *progress, cf_render_result *out,
                     cf_error *err);
    /* Asks the running render of clip_id to stop (it returns CF_ERR_CANCELLED and cleans up);
     * CF_ERR_NOT_FOUND when none runs. Any thread. */
    cf_err (*cancel)(void *self, const char *clip_id, cf_error *err);
} cf_render_service;

/* The local service (settings: cf_render_settings data_dir and threads). */
const cf_render_service *cf_render_service_default(void);

#endif

/* autoclip_service.h — AutoclipService, the main job: one long media in, the best N shorts out.
 *
 *   media ─┬─ transcribe (thread) ─┐
 *          └─ features   (thread) ─┴─ detect (spans never cut a word) ─ render 1..N ─ deliver
 *
 * Each render applies the template to one span with the span's transcript words as captions
 * (the spoken word highlighted) and a title drawn from them. Progress is reported per stage and
 * aggregated over all of them; a cancel of the caller's cf_progress reaches every running stage
 * within a few tens of milliseconds. A failed render is retried, then reported in the result
 * without sinking the other clips. Without a transcriber in the build (or with captions off, or
 * when transcription fails) the clips come out without captions and the result says why. */
#ifndef CLIPFORGE_AUTOCLIP_SERVICE_H
#define CLIPFORGE_AUTOCLIP_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"
#include "clipforge/highlight.h"
#include "clipforge/progress.h"
#include "clipforge/render.h"

/* Stage slots: transcribe, features, detect, render 1..count, deliver. */
#define CF_AUTOCLIP_MAX_STAGES 24

typedef enum cf_autoclip_stage_state {
    CF_AUTOCLIP_PENDING,
    CF_AUTOCLIP_RUNNING,
    CF_AUTOCLIP_DONE,
    CF_AUTOCLIP_FAILED,
    CF_AUTOCLIP_SKIPPED,
} cf_autoclip_stage_state;

/* Where the renders run. Without one (the CLI) each render runs here, one after the other,
 * retried by render_attempts. The job kind passes one that makes every render a child job. */
typedef struct cf_autoclip_renderer {
    bool parallel;  /* all clips' renders are waited for at once (they run elsewhere) */
    bool delivered; /* outputs come back as final URIs: the deliver stage only names them */
    /* Renders clip `index` (1-based) as rq says (its source, captions and output are local
     * paths of this run) until it is final, retrying as the renderer's own policy says.
     * Called from a stage thread of its own; reports through progress and returns
     * CF_ERR_CANCELLED soon after progress is cancelled. Fills *res (outputs) on success and
     * *attempts (runs made) in every case. */
    cf_err (*render)(void *user, int index, const cf_render_request *rq, cf_progress *progress,
                     cf_render_result *res, int64_t *attempts, cf_error *err);
    void *user;
} cf_autoclip_renderer;

typedef struct cf_autoclip_options {
    const char *work_dir;          /* renders land here before delivery (required, must exist) */
    const char *feature_cache_dir; /* NULL = no feature cache */
    cf_hl_paths paths;             /* highlight profiles and models */
    int threads;                   /* codec threads per stage, 0 = auto */
    int render_attempts;           /* per clip, 0 = 2 (one retry); without a renderer only */
    /* true: the whole input is transcribed, beside the features; false: after detection, only
     * the stretches the shorts need (their spans with context), which is what captions, titles
     * and edges read, and the transcript delivered covers only those. */
    bool transcribe_all;
    const cf_autoclip_renderer *renderer; /* NULL = render here */
    /* Delivery of one local file under its final name; *uri (malloc'd) is what the result
     * names. NULL = files stay in work_dir and the result names their paths. */
    cf_err (*deliver)(void *user, const char *path, const char *name, char **uri, cf_error *err);
    void *deliver_user;
    /* Per-stage progress, called under the service's lock from any of its threads: stage index
     * (0 .. n_stages-1, stable for a run), name, fraction 0..1 and state. May be NULL. */
    void (*on_stage)(void *user, int index, int n_stages, const char *name, double fraction,
                     cf_autoclip_stage_state state);
    void *stage_user;
#ifdef CF_TEST_HOOKS
    /* Test hook (test builds only): bit i set makes every attempt of clip i+1 fail before
     * rendering. */
    uint32_t fail_renders;
#endif
} cf_autoclip_options;

/* Runs req (media_uri: a local path or file:// URI). *out is always initialised and filled as
 * far as the run got; the caller frees it (cf_autoclip_result_free) whatever is returned.
 * CF_OK even when some clips failed: out->failed counts them and each says why. The run fails
 * when no clip could be made (CF_ERR_PROCESSING), on bad input (CF_ERR_INVALID_MEDIA,
 * CF_ERR_NOT_FOUND, CF_ERR_INVALID_ARGUMENT) or when cancelled (CF_ERR_CANCELLED; the renderer
 * removes its partial files). */
cf_err cf_autoclip_run(const cf_autoclip_request *req, const cf_autoclip_options *opts, cf_progress *progress,
                       cf_autoclip_result *out, cf_error *err);

/* What the request's schema cannot say: transcript_uri makes the captions, so it needs captions
 * (CF_ERR_INVALID_ARGUMENT naming both). The API checks it when a job is submitted. */
cf_err cf_autoclip_check(const cf_autoclip_request *req, cf_error *err);

/* True when this build can transcribe (captions, word-aware spans, titles from speech). */
bool cf_autoclip_can_transcribe(void);

#endif

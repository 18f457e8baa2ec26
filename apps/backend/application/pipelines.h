/* pipelines.h — the media pipelines as a module loaded on first use. The pipelines (clip,
 * detection, transcription, rendering, the AI commands) and the FFmpeg, pocketsphinx, libass and
 * libxml2 libraries they pull in (about 140 shared libraries) live in clipforge-pipelines.so, which
 * the binary opens the first time something needs them: a job, an upload's probe, a picture of a
 * media file, or a command of the module. An idle `clipforge serve` never maps them, which is most
 * of its resident memory (docs/architecture.md, "Memory of an idle server").
 *
 * The module is looked for beside the binary, then in ../lib/clipforge/ (installed). It resolves
 * the core's symbols (store, storage, log, config, domain types) against the binary, which exports
 * them, so both share one copy of every global. */
#ifndef CLIPFORGE_PIPELINES_H
#define CLIPFORGE_PIPELINES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/config.h"
#include "clipforge/error.h"
#include "clipforge/media_pictures.h"
#include "clipforge/render.h"
#include "jobs/job_kinds.h"

#define CF_PIPELINES_FILE "clipforge-pipelines.so"
#define CF_PIPELINES_SYMBOL "cf_pipelines_module"
#define CF_PIPELINES_VERSION 1

/* What the module offers the core: a versioned table, as SQLite's VFS. A module whose version
 * or size differs from the binary's (another build) is refused. */
typedef struct cf_pipelines {
    int version;
    size_t size; /* sizeof(cf_pipelines) where the module was built */
    /* Hands the pipelines their settings (application/pipeline_settings.h). */
    cf_err (*configure)(const cf_config *cfg, cf_error *err);
    /* The module's subcommand name (argv[0] of its run), or NULL. */
    int (*(*command)(const char *name))(int argc, char **argv);
    /* The row of a job kind the module runs, or NULL. */
    const cf_job_handler *(*job_handler)(const char *kind);
    cf_err (*probe_file)(const char *path, json_t **out, cf_error *err);
    bool (*media_is_limit_error)(const cf_error *err);
    cf_err (*render_compile_in)(const cf_render_request *req, const char *template_dir, cf_timeline *out,
                                cf_error *err);
    cf_err (*waveform_compute)(const char *path, size_t max_points, cf_progress *progress,
                               cf_media_waveform *out, cf_error *err);
    cf_err (*filmstrip_compute)(const char *path, const cf_filmstrip_options *o, cf_progress *progress,
                                cf_media_filmstrip *out, cf_jpeg *sheet, cf_error *err);
    cf_err (*poster_compute)(const char *path, int width, cf_jpeg *out, int64_t *at_ms, cf_error *err);
    void (*jpeg_free)(cf_jpeg *j);
    cf_err (*camera_path)(const char *path, int64_t start_ms, int64_t end_ms, double aspect,
                          cf_progress *progress, json_t **out, cf_error *err);
    cf_err (*split_framing)(const char *path, int64_t start_ms, int64_t end_ms, double aspect,
                            cf_progress *progress, json_t **out, cf_error *err);
    /* A transcript file a client brought (Transcript JSON, SRT or WebVTT; at most max_bytes) as
     * Transcript JSON; CF_ERR_UNSUPPORTED in a build without the transcription package. */
    cf_err (*transcript_load)(const char *path, size_t max_bytes, json_t **out, cf_error *err);
} cf_pipelines;

/* The module, opened and configured (from the environment's CLIPFORGE_* settings) on the first
 * call of the process; later calls return the same table. NULL with err filled
 * (CF_ERR_UNAVAILABLE naming the file and the loader's reason) when it cannot be loaded; the
 * failure is remembered. Thread-safe. */
const cf_pipelines *cf_pipelines_get(cf_error *err);

/* Checks the pipeline settings that need no module (CLIPFORGE_PRIVATE_URLS), so that every
 * command refuses a bad value at start, as before the module was loaded lazily. */
cf_err cf_pipelines_check(const cf_config *cfg, cf_error *err);

/* Runs the module's subcommand argv[0] (a cf_command run function). */
int cf_pipelines_command(int argc, char **argv);

#endif

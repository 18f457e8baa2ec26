/* pipelines_module.c — the table clipforge-pipelines.so offers the binary (pipelines.h): the
 * job kinds whose pipelines it holds, its subcommands, and the pipeline calls the API's routes
 * make. Built into the module only. */
#include <libavutil/log.h>
#include <string.h>

#include "application/pipeline_settings.h"
#include "application/pipelines.h"
#include "cli/ai_cli.h"
#include "cli/cli.h"
#include "clipforge/clip.h"
#include "clipforge/log.h"
#include "clipforge/media.h"
#include "clipforge/probe.h"
#ifdef CF_HAVE_TRANSCRIBE
#include "clipforge/transcribe.h"
#endif
#include "jobs/autoclip_job.h"
#include "jobs/clip_job.h"
#include "jobs/highlight_job.h"
#include "jobs/render_job.h"
#include "jobs/transcription_job.h"

/* validate and run of each kind; the binary's own table (jobs/job_kinds.c) names the kinds and
 * their flags, and calls these through the module. */
static const cf_job_handler kinds[] = {
    {"clip_processing", cf_clip_job_validate, cf_clip_job_run, false, NULL, false},
    {"highlight_detection", cf_highlight_job_validate, cf_highlight_job_run, false, NULL, false},
#ifdef CF_HAVE_TRANSCRIBE
    {"transcription", cf_transcription_job_validate, cf_transcription_job_run, false, NULL, false},
#endif
    {"render", cf_render_job_validate, cf_render_job_run, false, NULL, false},
    {"autoclip", cf_autoclip_job_validate, cf_autoclip_job_run, true, NULL, false},
};

static const cf_job_handler *job_handler(const char *kind) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, kind)) return &kinds[i];
    return NULL;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"probe", cf_cmd_probe},
    {"clip", cf_cmd_clip},
    {"detect", cf_cmd_detect},
    {"render", cf_cmd_render},
    {"transcribe", cf_cmd_transcribe},
    {"autoclip", cf_cmd_autoclip},
    {"ai", cf_cmd_ai},
    {"models", cf_cmd_models},
    {"train", cf_cmd_train},
    {"eval", cf_cmd_eval},
    {"features", cf_cmd_features},
};

static int (*command(const char *name))(int, char **) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name)) return commands[i].run;
    return NULL;
}

static cf_err transcript_load(const char *path, size_t max_bytes, json_t **out, cf_error *err) {
    *out = NULL;
#ifdef CF_HAVE_TRANSCRIBE
    cf_transcript t;
    cf_err rc = cf_transcript_load_file(path, max_bytes, &t, NULL, err);
    if (rc) return rc;
    *out = cf_transcript_to_json(&t);
    cf_transcript_free(&t);
    return *out ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
#else
    (void)path, (void)max_bytes;
    return cf_error_set(err, CF_ERR_UNSUPPORTED, "this build has no transcript reader");
#endif
}

static cf_err configure(const cf_config *cfg, cf_error *err) {
    /* libav* prints to stderr by default; our own errors carry the message instead. */
    av_log_set_level(cf_log_get_level() == CF_LOG_DEBUG ? AV_LOG_INFO : AV_LOG_QUIET);
    return cf_pipelines_configure(cfg, err);
}

/* Read by the binary with dlsym (pipelines.c). */
extern const cf_pipelines cf_pipelines_module;
const cf_pipelines cf_pipelines_module = {
    .version = CF_PIPELINES_VERSION,
    .size = sizeof(cf_pipelines),
    .configure = configure,
    .command = command,
    .job_handler = job_handler,
    .probe_file = cf_probe_file,
    .media_is_limit_error = cf_media_is_limit_error,
    .render_compile_in = cf_render_compile_in,
    .waveform_compute = cf_waveform_compute,
    .filmstrip_compute = cf_filmstrip_compute,
    .poster_compute = cf_poster_compute,
    .jpeg_free = cf_jpeg_free,
    .camera_path = cf_render_camera_path,
    .split_framing = cf_render_split_framing,
    .transcript_load = transcript_load,
};

/* pipeline_settings.c — the config table's pipeline keys, given to each pipeline package. */
#include "application/pipeline_settings.h"
#include "application/pipelines.h"

#include <string.h>

#include "clipforge/clip.h"
#include "clipforge/highlight.h"
#include "clipforge/media.h"
#include "clipforge/render.h"
#include "infrastructure/webhook_http.h"
#ifdef CF_HAVE_TRANSCRIBE
#include "clipforge/transcribe.h"
#endif

cf_err cf_pipelines_configure(const cf_config *cfg, cf_error *err) {
    cf_err rc = cf_pipelines_check(cfg, err);
    if (rc) return rc;
    cf_render_settings render = {.template_dir = cfg->template_dir,
                                 .data_dir = cfg->data_dir,
                                 .threads = (int)cfg->threads,
                                 .webhook = cf_webhook_http(!strcmp(cfg->private_urls, "allow"))};
    cf_clip_settings clip = {.data_dir = cfg->data_dir,
                             .max_dimension = (int)cfg->max_dimension,
                             .max_duration_ms = cfg->max_duration_ms,
                             .threads = (int)cfg->threads};
    cf_hl_settings hl = {.profiles_dir = cfg->highlight_profiles_dir,
                         .models_dir = cfg->highlight_models_dir,
                         .model_version = cfg->highlight_model_version,
                         .audio_events_model_version = cfg->audio_events_model_version};
    cf_media_limits media = {.max_pixels = cfg->max_pixels,
                             .max_duration_ms = cfg->max_duration_ms,
                             .max_streams = cfg->max_streams,
                             .max_fps = cfg->max_fps,
                             .max_frames = cfg->max_frames,
                             .probe_bytes = cfg->probe_bytes,
                             .probe_ms = cfg->probe_ms};
    cf_media_configure(&media);
    rc = cf_render_configure(&render, err);
    if (!rc) rc = cf_clip_configure(&clip, err);
    if (!rc) rc = cf_hl_configure(&hl, err);
#ifdef CF_HAVE_TRANSCRIBE
    cf_transcribe_settings stt = {.pocketsphinx_args = cfg->pocketsphinx_args,
                                  .pocketsphinx_confidence = cfg->pocketsphinx_confidence,
                                  .pocketsphinx_fold_db = cfg->pocketsphinx_fold_db,
                                  .pocketsphinx_mllr = cfg->pocketsphinx_mllr,
                                  .sphinxtrain_dir = cfg->sphinxtrain_dir};
    if (!rc) rc = cf_transcribe_configure(&stt, err);
#endif
    return rc;
}

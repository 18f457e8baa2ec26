/* clip_engine.h — runs a clip plan against its input: checks the plan against the source,
 * chooses stream copy or re-encoding, and runs the passes. Writes exactly the paths it is
 * given (the caller handles temp files and renaming). Internal to libcfclip. */
#ifndef CFCLIP_CLIP_ENGINE_H
#define CFCLIP_CLIP_ENGINE_H

#include <stdbool.h>

#include "clip_plan.h"
#include "clipforge/domain/notes.h"
#include "clipforge/progress.h"

typedef struct cfclip_report {
    bool stream_copied;               /* the trim fast path was taken */
    int video_source;                 /* the input stream the output's video comes from, -1 = none */
    int audio_source;                 /* the same for audio */
    char note[256];                   /* what a caller should know ("" = nothing), e.g. audio without data */
    char left_out[CF_NOTE_MAX_BYTES]; /* the source's streams the clip does not carry ("" = none) */
    char shown[128];                  /* how the pictures were changed to be shown (HDR tone-mapped) */
    double expected_s;                /* how long the clip should be (the span, cuts and speed applied) */
    bool normalized;                  /* loudness was measured and applied */
    double measured_lufs;             /* integrated loudness of the source span (when normalized) */
    char loudness[160];               /* what normalize_audio did, for the notes ("" = not asked) */
    cf_time_range *removed;           /* jump cuts: what the clip leaves out (ms); the caller frees it */
    size_t n_removed;
} cfclip_report;

/* Processes plan->input into output_path (and plan->thumbnail into thumb_path). Input errors
 * (bad file, trim past the end, crop outside the picture, an operation the streams do not
 * allow) fail with CF_ERR_INVALID_* / CF_ERR_NOT_FOUND before anything is written. */
cf_err cfclip_execute(const cfclip_plan *plan, const char *output_path, const char *thumb_path,
                      cf_progress *progress, cfclip_report *report, cf_error *err);

/* Only the checks of cfclip_execute: the plan, the input file, and what its streams allow. */
cf_err cfclip_validate(const cfclip_plan *plan, cf_error *err);

#endif

/* load_audio.h — the audio loader with a media selection (the public cf_stt_load_audio takes
 * none); it reports into whatever part of a caller's progress it is given (cf_progress_part). */
#ifndef CLIPFORGE_STT_LOAD_AUDIO_H
#define CLIPFORGE_STT_LOAD_AUDIO_H

#include <stdint.h>

#include "clipforge/media.h"
#include "clipforge/progress.h"
#include "clipforge/transcribe.h"

cf_err cf__stt_load_audio(const char *path, const cf_media_select *sel, int64_t max_duration_ms,
                          cf_progress *progress, int16_t **out, size_t *n_out, cf_error *err);

#endif

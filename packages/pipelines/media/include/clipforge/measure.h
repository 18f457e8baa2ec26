/* measure.h — what a pipeline wrote, measured on the file itself (libcfmedia): an Artifact with
 * its size, duration, picture size, codecs and every audio/video stream, and the check that no
 * stream class of the source went missing on the way. Clip and render results are made here, so
 * "what came out" is one probe, not what the encoder was asked for. */
#ifndef CLIPFORGE_MEASURE_H
#define CLIPFORGE_MEASURE_H

#include <stdbool.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"

/* Probes path into *a (initialised here; the caller frees it with cf_artifact_free) as an
 * artifact of kind and mime, streams included. */
cf_err cf_media_measure(const char *path, cf_artifact_kind kind, const char *mime, cf_artifact *a,
                        cf_error *err);
/* Records which source stream each output stream carries (-1 = none of that kind). */
void cf_media_note_sources(cf_artifact *a, int video_source, int audio_source);
/* Fails (CF_ERR_PROCESSING, naming the stream) when a holds no video stream although want_video,
 * or no audio stream although want_audio: a result without them would lose them silently. */
cf_err cf_media_expect_streams(const cf_artifact *a, bool want_video, bool want_audio, cf_error *err);

#endif

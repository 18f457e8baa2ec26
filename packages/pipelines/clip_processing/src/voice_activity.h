/* voice_activity.h — where a recording speaks, from features of its 10 ms frames (16 kHz mono):
 * energy in the speech band (250-3800 Hz) against the recording's own noise floor and loud level,
 * and noisy high-band frames (zero crossings) for the fricatives and stops that end words.
 * Frames are judged once all are in, so the thresholds adapt to the whole span. Runs stay on
 * through short quiet (the closures inside and between words: hangover), blips too short to be
 * a syllable are dropped, and each run ends where its sound does (margins for the cut are the
 * jump-cut rule's). Internal to libcfclip. */
#ifndef CFCLIP_VOICE_ACTIVITY_H
#define CFCLIP_VOICE_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"

#define CFCLIP_VAD_RATE 16000
#define CFCLIP_VAD_FRAME_MS 10
#define CFCLIP_VAD_HANGOVER_MS 200 /* quiet this short inside a run keeps it on */
#define CFCLIP_VAD_MIN_RUN_MS 40   /* voiced runs shorter than this are clicks, not speech */

typedef struct cfclip_vad cfclip_vad;

cf_err cfclip_vad_new(cfclip_vad **out, cf_error *err);
/* Feeds n samples in [-1, 1] at CFCLIP_VAD_RATE, in order. */
cf_err cfclip_vad_push(cfclip_vad *v, const float *x, size_t n, cf_error *err);
/* The voiced stretches, in ms from the first sample plus origin_ms, in order; *out is malloc'd
 * (the caller frees it), NULL with *n = 0 when nothing speaks. */
cf_err cfclip_vad_ranges(const cfclip_vad *v, int64_t origin_ms, cf_time_range **out, size_t *n,
                         cf_error *err);
void cfclip_vad_free(cfclip_vad *v);

#endif

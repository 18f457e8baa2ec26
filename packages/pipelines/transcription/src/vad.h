/* vad.h — energy-based voice activity detection: finds pauses in 16 kHz mono audio and splits
 * it into chunks that start and end inside pauses, so each can be recognised on its own. */
#ifndef CLIPFORGE_STT_VAD_H
#define CLIPFORGE_STT_VAD_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"

typedef struct cf__vad_chunk {
    size_t start, end; /* sample range [start, end) */
} cf__vad_chunk;

typedef struct cf__vad_options {
    int64_t max_chunk_ms; /* no chunk longer than this (default 20000) */
    int64_t min_chunk_ms; /* prefer not to cut before this (default 4000) */
    int64_t min_pause_ms; /* quiet shorter than this is not a pause (default 250) */
    int64_t pad_ms;       /* quiet kept around speech in a chunk (default 250) */
    /* A stretch of speech shorter than item_ms between pauses of at least item_pause_ms (or the
     * recording's ends) is a chunk of its own: a word or name said alone (default 2000, negative =
     * no such rule; item_pause_ms default 500). */
    int64_t item_ms, item_pause_ms;
} cf__vad_options;

/* Splits n samples at rate Hz into speech chunks; chunks without speech are left out, so *n_out
 * may be 0 for silence. *out is malloc'd (caller frees). */
cf_err cf__vad_split(const int16_t *pcm, size_t n, int rate, const cf__vad_options *opts, cf__vad_chunk **out,
                     size_t *n_out, cf_error *err);

/* Marks each frame_ms frame of pcm as speech (1) or not (0) into a malloc'd array of
 * *n_frames bytes (caller frees). */
cf_err cf__vad_mask(const int16_t *pcm, size_t n, int rate, int frame_ms, uint8_t **mask, size_t *n_frames,
                    cf_error *err);

#endif

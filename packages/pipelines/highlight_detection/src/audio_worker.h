/* audio_worker.h — the audio analyzer (audio_analysis.c) on a thread of its own, fed through a
 * bounded queue, so that analysis runs beside decoding and resampling. The hops are the same as
 * the analyzer's on the caller's thread, in the same order. Internal to cfhighlight. */
#ifndef CF_AUDIO_WORKER_H
#define CF_AUDIO_WORKER_H

#include <stddef.h>

#include "audio_analysis.h"
#include "clipforge/error.h"

typedef struct audio_worker audio_worker;

cf_err hl_audio_worker_new(audio_worker **out, cf_error *err);
/* Queues n mono samples at CF_AUDIO_RATE (copied); waits while the queue is full. */
void hl_audio_worker_push(audio_worker *w, const float *samples, size_t n);
/* Analyses what is queued, completes a partial last hop and hands over the hops (*hops is the
 * caller's to free). */
cf_err hl_audio_worker_finish(audio_worker *w, audio_hop **hops, size_t *n, cf_error *err);
/* Stops the thread (if still running) and frees the worker. */
void hl_audio_worker_free(audio_worker *w);

#endif

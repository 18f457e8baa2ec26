/* span.h — a part [lo, hi] of a caller's progress, so sub-steps report into one bar while
 * cancellation stays the caller's single flag. */
#ifndef CLIPFORGE_STT_SPAN_H
#define CLIPFORGE_STT_SPAN_H

#include <stdint.h>

#include "clipforge/media.h"
#include "clipforge/progress.h"

typedef struct cf__span {
    cf_progress *p;
    double lo, hi;
} cf__span;

static inline void cf__span_report(const cf__span *s, double f, const char *stage) {
    cf_progress_report(s->p, s->lo + (s->hi - s->lo) * f, stage);
}

/* Internal entry points that report into a span (the public ones use [0, 1]). */
#include "clipforge/transcribe.h"
cf_err cf__stt_load_audio(const char *path, const cf_media_select *sel, int64_t max_duration_ms,
                          const cf__span *span, int16_t **out, size_t *n_out, cf_error *err);
cf_err cf__transcribe_pcm(const int16_t *pcm, size_t n, const cf_transcribe_options *opts,
                          const cf__span *span, cf_transcript *out, cf_error *err);

#endif

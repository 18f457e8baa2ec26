/* loudness.h — normalize_audio's decisions: the gain and limiter that bring a clip's sound to its
 * target loudness under its true-peak ceiling, as the clip ships. Internal to libcfclip. */
#ifndef CFCLIP_LOUDNESS_H
#define CFCLIP_LOUDNESS_H

#include "clip_engine.h"
#include "transcode.h"

/* Measures the span's sound and decides loud (report says what was done, for the notes). When
 * the gain brings the peaks near the ceiling, the sound is encoded as it ships into trial_path
 * and measured there (the limiter takes loudness away with the peaks, the encoder puts some peak
 * back), and the gain and the limiter's ceiling corrected, a few times at most. *kept: trial_path
 * holds the span's sound encoded with the final loud (else it does not exist or is stale); the
 * caller removes it. st: the share of the job's progress these passes take. */
cf_err cfclip_plan_loudness(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                            const cfclip_stage *st, const char *trial_path, cfclip_loudness *loud, bool *kept,
                            cfclip_report *report, cf_error *err);

#endif

/* transcode.h — the decoding passes of the clip pipeline: the loudness measurement, the GIF
 * palette, and the main decode → filter → encode → mux pass. Internal to libcfclip. */
#ifndef CFCLIP_TRANSCODE_H
#define CFCLIP_TRANSCODE_H

#include "clip_plan.h"
#include "clipforge/progress.h"
#include "filter_graph.h"
#include "clipforge/media.h"

/* Progress of one pass mapped into a share of the whole job: base + weight * fraction. */
typedef struct cfclip_stage {
    cf_progress *progress;
    double base, weight;
    double expect_s; /* output duration the pass is expected to reach */
    const char *name;
} cfclip_stage;

/* Measures the integrated loudness, range and true peak of the clip's audio. Only the measured
 * fields of *out are set. */
cf_err cfclip_measure_loudness(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                               const cfclip_stage *stage, cfclip_loudness *out, cf_error *err);
/* Computes the GIF palette of the clip's pictures; *palette is the caller's to free. */
cf_err cfclip_make_palette(cf_media_input *in, const cfclip_plan *plan, const cfclip_span *span,
                           const cfclip_stage *stage, AVFrame **palette, cf_error *err);

typedef struct cfclip_encode_job {
    const cfclip_plan *plan;
    cfclip_span span;
    bool use_video, use_audio;
    const cfclip_loudness *loudness; /* NULL = no normalization */
    const AVFrame *palette;          /* GIF only */
    const char *output_path;         /* file to write (a temp file) */
    const char *thumb_path;          /* JPEG to write, NULL = none */
    bool audio_had_nothing;          /* out: not one packet of sound written for the span */
} cfclip_encode_job;

/* The main pass: writes job->output_path (and the thumbnail). */
cf_err cfclip_encode(cf_media_input *in, cfclip_encode_job *job, const cfclip_stage *stage, cf_error *err);

#endif

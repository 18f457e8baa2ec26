/* clip_cuts.h — the jump cuts of a clip (remove_silence, remove_fillers). One audio pass over the
 * span finds where it speaks (voice_activity.h) and, when fillers need words and the request
 * gave none, keeps the 16 kHz sound for the transcriber. The jump-cut rule
 * (clipforge/jump_cut.h) turns the speech, the words and the fillers into pieces; the pieces
 * are then moved onto the video's frame grid (each starts on the nearest frame and lasts whole
 * frames, so sound and pictures end together). Internal to libcfclip. */
#ifndef CFCLIP_CLIP_CUTS_H
#define CFCLIP_CLIP_CUTS_H

#include "clip_plan.h"
#include "clipforge/media.h"
#include "clipforge/progress.h"
#include "filter_graph.h"

#define CFCLIP_CUT_MAX_PIECES 512 /* joints of one clip; beyond, the shortest pauses stay */

typedef struct cfclip_cuts {
    cfclip_piece *pieces; /* source seconds from timestamp 0 */
    size_t n_pieces;
    cf_time_range *removed; /* ms from the container start (trim's times), in order */
    size_t n_removed;
    double duration_s; /* the pieces' total */
} cfclip_cuts;

/* True when the plan asks for jump cuts. */
bool cfclip_plan_cuts(const cfclip_plan *plan);

/* Plans the cuts of span (resolved by the engine) and points span at the pieces (which stay
 * owned by out: free it after the span's last use with cfclip_cuts_free). */
cf_err cfclip_cuts_make(cf_media_input *in, const cfclip_plan *plan, cfclip_span *span, cf_progress *progress,
                        cfclip_cuts *out, cf_error *err);
void cfclip_cuts_free(cfclip_cuts *c);

#endif

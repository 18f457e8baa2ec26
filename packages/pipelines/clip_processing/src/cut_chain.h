/* cut_chain.h — the filters that play a jump cut's pieces back to back. Pictures: the frames
 * whose times lie in a piece (the pieces lie on the frame grid, so each keeps whole frames)
 * shifted onto the output timeline. Sound: each piece trimmed sample-accurately and joined to
 * the next by a crossfade of CFCLIP_CUT_XFADE_S; each side of a joint lends half of it from the
 * removed stretch, so the pieces keep their exact lengths and the sound ends with the pictures.
 * Internal to libcfclip. */
#ifndef CFCLIP_CUT_CHAIN_H
#define CFCLIP_CUT_CHAIN_H

#include <libavutil/bprint.h>
#include <stdbool.h>

#include "filter_graph.h"

#define CFCLIP_CUT_XFADE_S 0.010

/* Appends the timing filters of span's pieces (in place of trim + shift): for video
 * (audio = false) with the speed factor applied to the timestamps, for audio at speed 1 (tempo
 * follows). The text continues the chain that "[in0]" opened and leaves it open. */
void cfclip_cut_timing(const cfclip_span *span, bool audio, double speed, AVBPrint *out);

#endif

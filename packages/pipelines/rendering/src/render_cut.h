/* render_cut.h — remove_silence for a template render: the span's scene cut into the pieces
 * that speak (the shared jump-cut rule, clipforge/jump_cut.h), the captions moved onto the cut
 * timeline. Internal to cfrender. */
#ifndef CF_RENDER_CUT_H
#define CF_RENDER_CUT_H

#include "clipforge/jump_cut.h"
#include "clipforge/render.h"

/* Cuts tl (compiled from req's template: one scene) by the voice activity of the scene's source
 * and the words of its captions; moved captions are written into dir. *cut is the caller's to
 * free (cf_jump_cut_free) on success. */
cf_err cf_render_cut(const cf_render_request *req, const char *dir, int threads, cf_progress *progress,
                     cf_timeline *tl, cf_jump_cut *cut, cf_error *err);

#endif

/* autoclip_cut.h — remove_silence for one short: where its span sounds (the transcript's words
 * and the feature track's hops that are not silent: a pause has neither), the jump cut planned from
 * that (clipforge/jump_cut.h holds the rule), applied to the short's compiled timeline, and the
 * captions moved onto the shortened timeline. */
#ifndef CLIPFORGE_AUTOCLIP_CUT_H
#define CLIPFORGE_AUTOCLIP_CUT_H

#include "clipforge/highlight.h"
#include "clipforge/jump_cut.h"

/* Cuts tl (one scene over [start_ms, end_ms), compiled from the template) into the pieces that
 * sound. t may be NULL. When tl has captions, the moved words are written to captions_path and
 * tl's captions read them from there. cut is owned by the caller (cf_jump_cut_free). */
cf_err cf_autoclip_cut(const cf_transcript *t, const cf_feature_track *track, int64_t start_ms,
                       int64_t end_ms, const char *captions_path, cf_timeline *tl, cf_jump_cut *cut,
                       cf_error *err);

#endif

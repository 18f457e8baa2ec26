/* feature_cache.h — feature tracks on disk, one binary file per media identity. Internal. */
#ifndef CF_FEATURE_CACHE_H
#define CF_FEATURE_CACHE_H

#include "clipforge/highlight.h"

/* Bumped whenever extraction changes what a feature means: old files then stop matching. 9: an
 * MPEG-TS file whose timestamps start again or jump ahead is read whole (its second part was laid over
 * its first, or after a hole). 11: a default audio stream silent where another has sound is passed
 * over (libcfmedia's heard.c): such a file's features were of the silent one. */
#define CF_FEATURES_VERSION 11

/* Loads a cached track; CF_ERR_NOT_FOUND when absent, stale, made with another audio-events
 * model than events_model ("" = none) or unreadable (never fatal). */
cf_err hl_feature_cache_load(const char *file, const char *events_model, cf_feature_track **out);
/* Writes the track atomically (temp file + rename), creating the directory. */
cf_err hl_feature_cache_store(const char *file, const cf_feature_track *t, cf_error *err);

#endif

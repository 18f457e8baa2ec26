/* transcript_features.h — a transcript's part of the feature track: speech rate, pauses and
 * emphasis (from cf_speech_features) and the profile's keywords. Internal. */
#ifndef CF_HL_TRANSCRIPT_FEATURES_H
#define CF_HL_TRANSCRIPT_FEATURES_H

#include "profile.h"

/* word lower-cased, without the punctuation around it ("Goal!" -> "goal"), into out. */
void hl_word_normalise(const char *word, char *out, size_t len);
/* True when word (as recognised: any case, punctuation around it) is one of p's keywords. */
bool hl_keyword_match(const hl_profile *p, const char *word);

/* A copy of t (caller frees with cf_feature_track_free) with the transcript columns filled:
 * speech rate, pauses and emphasis from sf (NULL or another step: left 0, but for the pause
 * past the transcript's end), keywords of p (NULL: none) said in tr; has_transcript set. */
cf_err hl_track_with_transcript(const cf_feature_track *t, const cf_transcript *tr,
                                const cf_speech_features *sf, const hl_profile *p, cf_feature_track **out,
                                cf_error *err);

/* Every word's times in transcript order (malloc'd, *n of them; NULL when out of memory). */
cf_hl_word *hl_transcript_words(const cf_transcript *tr, size_t *n);

#endif

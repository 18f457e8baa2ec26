/* autoclip_title.h — a short title for a highlight, drawn from what is said in it: the most
 * salient stretch of speech inside the span (words that are rare in the whole transcript and
 * not filler), trimmed at word boundaries to a length that fits a short's title bar. Only words
 * recognised with confidence CF_AUTOCLIP_TITLE_MIN_CONFIDENCE or more are used (confidences are
 * calibrated: a word at 0.8 is right about 80% of the time), and a title needs
 * CF_AUTOCLIP_TITLE_MIN_CONTENT such content words; otherwise the title is made from what the
 * detector heard (cf_autoclip_event_title). */
#ifndef CLIPFORGE_AUTOCLIP_TITLE_H
#define CLIPFORGE_AUTOCLIP_TITLE_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/domain/types.h"

#define CF_AUTOCLIP_TITLE_MAX_CHARS 48
#define CF_AUTOCLIP_TITLE_MAX_WORDS 7
#define CF_AUTOCLIP_TITLE_MIN_CONFIDENCE 0.75
#define CF_AUTOCLIP_TITLE_MIN_CONTENT 2

/* Writes into buf (size >= 2) the title of [start_ms, end_ms) drawn from t, first letter upper
 * case, other than any of titles[0..n_titles) (the run's other clips: a line said again gives
 * way to the span's next best stretch). Returns the number of words used; 0 when t is NULL or
 * the span has no such stretch of confident words with enough content (buf is then ""). */
size_t cf_autoclip_title(const cf_transcript *t, int64_t start_ms, int64_t end_ms, const char *const *titles,
                         size_t n_titles, char *buf, size_t size);

/* Writes into buf a title made from the highlight's label (or an audio event class such as
 * "crowd", "laughter", "applause") and where it starts: "Crowd erupts at 12:40", "Big laugh at
 * 3:05". Unknown labels are written out as words ("slide changes at 0:40"). */
void cf_autoclip_event_title(const char *label, int64_t start_ms, char *buf, size_t size);

/* Words of t whose middle lies in [start_ms, end_ms) (the captions of that span). */
size_t cf_autoclip_words_in(const cf_transcript *t, int64_t start_ms, int64_t end_ms);

#endif

/* autoclip_title.h — a short title for a highlight, drawn from what is said in it: the most
 * salient stretch of speech inside the span (words that are rare in the whole transcript and
 * not filler), trimmed at word boundaries to a length that fits a short's title bar. */
#ifndef CLIPFORGE_AUTOCLIP_TITLE_H
#define CLIPFORGE_AUTOCLIP_TITLE_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/domain/types.h"

#define CF_AUTOCLIP_TITLE_MAX_CHARS 48
#define CF_AUTOCLIP_TITLE_MAX_WORDS 7

/* Writes into buf (size >= 2) the title of [start_ms, end_ms) drawn from t, first letter upper
 * case. Returns the number of words used; 0 when t is NULL or has no usable word in the span
 * (buf is then ""). */
size_t cf_autoclip_title(const cf_transcript *t, int64_t start_ms, int64_t end_ms, char *buf,
                         size_t size);

/* Words of t whose middle lies in [start_ms, end_ms) (the captions of that span). */
size_t cf_autoclip_words_in(const cf_transcript *t, int64_t start_ms, int64_t end_ms);

#endif

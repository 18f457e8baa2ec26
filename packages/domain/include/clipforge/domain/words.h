/* words.h — how a recognised word is shown in captions and titles. The recogniser writes lower
 * case only and a transcript keeps its words as recognised (keywords, fillers and titles match
 * them without regard to case); what a viewer reads is cased here, in one place for the captions
 * the transcription writes, the captions a render draws and autoclip's titles. */
#ifndef CLIPFORGE_DOMAIN_WORDS_H
#define CLIPFORGE_DOMAIN_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/* Copies word into out (size bytes, cut to fit) with its first letter upper-cased where it
 * reads so: the pronoun "i" and its contractions ("i'm", "i'll"...) always, any word that starts
 * a sentence (a transcript segment: speech between pauses). A caption file's own text is not
 * for this: it is cased as its author wrote it. */
void cf_word_display(const char *word, bool sentence_start, char *out, size_t size);

#endif

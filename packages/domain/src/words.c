/* words.c — how a recognised word is shown (see clipforge/domain/words.h). */
#include "clipforge/domain/words.h"

#include <stdio.h>

void cf_word_display(const char *word, bool sentence_start, char *out, size_t size) {
    if (!size) return;
    snprintf(out, size, "%s", word);
    bool pronoun = word[0] == 'i' && (word[1] == '\0' || word[1] == '\'');
    if ((sentence_start || pronoun) && out[0] >= 'a' && out[0] <= 'z') out[0] = (char)(out[0] - 'a' + 'A');
}

/* fuzz_input.h — the prologue the text harnesses share: libFuzzer's bytes as a NUL-terminated
 * string, as a C caller hands text to a parser (it never sees what follows a NUL). */
#ifndef CF_FUZZ_INPUT_H
#define CF_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd copy of data[0..size) with a NUL after it; NULL when size is over max (inputs that
 * long only slow the fuzzer down) or out of memory. The caller frees it. */
static inline char *fuzz_input_text(const uint8_t *data, size_t size, size_t max) {
    if (size > max) return NULL;
    char *text = malloc(size + 1);
    if (!text) return NULL;
    if (size) memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

#endif

/* Fuzzes the readers of an animation's play count (media plays.c) on raw bytes read as a GIF and
 * as an APNG file: whatever the bytes, the answer is -1 (cannot tell) or a count, a GIF's at most
 * its 16-bit field plus one, and only a file of that kind answers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plays.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int plays(const uint8_t *data, size_t size, int apng) {
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f) return -1;
    int n = cfmedia_plays(f, apng);
    fclose(f);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int gif = plays(data, size, 0), apng = plays(data, size, 1);
    if (gif < -1 || gif > 65536 || apng < -1) abort();
    if (gif != -1 && (size < 13 || memcmp(data, "GIF8", 4))) abort();
    if (apng != -1 && (size < 8 || memcmp(data, "\x89PNG", 4) || !memmem(data, size, "acTL", 4))) abort();
    return 0;
}

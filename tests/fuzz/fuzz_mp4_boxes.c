/* Fuzzes the top-level box reader that finds MP4 files joined end to end (joined_files.c) from raw
 * bytes read as a file: whatever it returns is -1 or the offset of a box header inside the data,
 * past the first box, and the files it finds from there on start further on each time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "joined_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f) return 0;
    int64_t at = cfmedia_mp4_next_file(f, 0, (int64_t)size);
    fclose(f);
    if (at == -1) return 0;
    if (at <= 0 || (size_t)at + 8 > size) abort();
    f = fmemopen((void *)data, size, "rb");
    if (!f) return 0;
    for (int n = 0; n < 64 && at >= 0; n++) {
        int64_t next = cfmedia_mp4_next_file(f, at, (int64_t)size);
        if (next != -1 && (next <= at || (size_t)next + 8 > size)) abort();
        at = next;
    }
    fclose(f);
    return 0;
}

/* Fuzzes the top-level box reader that finds MP4 files joined end to end (joined_files.c) from raw
 * bytes read as a file: whatever it returns is -1 or the offset of an `ftyp` or `moov` box header
 * inside the data, past the first box. */
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
    int64_t at = cfmedia_mp4_second_file(f, (int64_t)size);
    fclose(f);
    if (at == -1) return 0;
    if (at <= 0 || (size_t)at + 8 > size) abort();
    if (memcmp(data + at + 4, "ftyp", 4) != 0 && memcmp(data + at + 4, "moov", 4) != 0) abort();
    return 0;
}

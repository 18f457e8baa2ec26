/* Fuzzes the readers that find MP4 and FLV files joined end to end (joined_files.c: top-level MP4
 * boxes, FLV tags) from raw bytes read as a file: whatever each returns is -1 or an offset inside
 * the data past the file it starts from, and the files it finds from there on start further on
 * each time. The reader of unfinished recordings says so only of data holding an mdat box. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "joined_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const uint8_t *data, size_t size, int64_t (*next)(FILE *, int64_t, int64_t)) {
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f) return;
    int64_t at = 0;
    for (int n = 0; n < 64 && at >= 0; n++) {
        int64_t found = next(f, at, (int64_t)size);
        if (found != -1 && (found <= at || (size_t)found + 8 > size)) abort();
        at = found;
    }
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    walk(data, size, cfmedia_mp4_next_file);
    walk(data, size, cfmedia_flv_next_file);
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f) return 0;
    /* an unfinished recording has media and no index: never a file whose boxes name an index */
    bool unfinished = cfmedia_mp4_unfinished(f, (int64_t)size);
    if (unfinished && size >= 8 && !memmem(data, size, "mdat", 4)) abort();
    fclose(f);
    return 0;
}

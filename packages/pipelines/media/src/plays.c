/* plays.c — an animation's own play count. FFmpeg's GIF and APNG readers parse it but keep it to
 * themselves (and ignore it by default), so a logo made to play once looped for as long as the
 * overlay lasted. Read here by walking the file's blocks up to the one that says. */
#include "plays.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#define MAX_BLOCKS 10000000 /* GIF sub-blocks of 255 bytes: a 2.5 GB file */

/* Skips GIF data sub-blocks up to their terminator; 0 when it is found. */
static int skip_subblocks(FILE *f) {
    for (long n = 0; n < MAX_BLOCKS; n++) {
        int len = getc(f);
        if (len <= 0) return len; /* 0: the terminator; EOF: cut short */
        if (fseek(f, len, SEEK_CUR) != 0) return -1;
    }
    return -1;
}

/* An application extension's block, after its label: the loop count it states (>= 0), or -2 for
 * another application's block (its data then skipped), -1 when cut short. */
static int loop_block(FILE *f) {
    unsigned char id[12], sub[4];
    if (fread(id, 1, 12, f) != 12) return -1;
    bool loop = id[0] == 11 && (!memcmp(id + 1, "NETSCAPE2.0", 11) || !memcmp(id + 1, "ANIMEXTS1.0", 11));
    if (!loop) return fseek(f, -12, SEEK_CUR) == 0 && skip_subblocks(f) == 0 ? -2 : -1;
    if (fread(sub, 1, 4, f) != 4) return -1;
    if (sub[0] == 3 && sub[1] == 1) return sub[2] | sub[3] << 8;
    /* another sub-block of the loop's application (a buffering size): passed over */
    return fseek(f, -4, SEEK_CUR) == 0 && skip_subblocks(f) == 0 ? -2 : -1;
}

static int gif_plays(FILE *f) {
    unsigned char h[13];
    if (fread(h, 1, 13, f) != 13 || memcmp(h, "GIF8", 4)) return -1;
    if ((h[10] & 0x80) && fseek(f, 3L << ((h[10] & 7) + 1), SEEK_CUR) != 0) return -1;
    for (long n = 0; n < MAX_BLOCKS; n++) {
        int b = getc(f);
        if (b == 0x3B) return 1; /* the trailer, and no loop block: played once */
        if (b == 0x2C) {         /* a picture: its descriptor, colours, code size, then its data */
            unsigned char d[9];
            if (fread(d, 1, 9, f) != 9) return -1;
            if ((d[8] & 0x80) && fseek(f, 3L << ((d[8] & 7) + 1), SEEK_CUR) != 0) return -1;
            if (getc(f) == EOF || skip_subblocks(f) != 0) return -1;
        } else if (b == 0x21) {
            int label = getc(f), count = label == 0xFF ? loop_block(f) : -2;
            if (count >= 0) return count == 0 ? 0 : count + 1;
            if (count == -1 || (label != 0xFF && skip_subblocks(f) != 0)) return -1;
        } else {
            return -1; /* not a block of a GIF: damaged */
        }
    }
    return -1;
}

static unsigned long be32(const unsigned char *b) {
    return (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3];
}

/* acTL comes before the first picture's data (IDAT) in every APNG; a PNG without it is a still. */
static int apng_plays(FILE *f) {
    unsigned char h[16];
    if (fread(h, 1, 8, f) != 8 || memcmp(h, "\x89PNG\r\n\x1a\n", 8)) return -1;
    for (long n = 0; n < MAX_BLOCKS; n++) {
        if (fread(h, 1, 8, f) != 8) return -1;
        unsigned long len = be32(h);
        if (!memcmp(h + 4, "IDAT", 4)) return -1;
        if (!memcmp(h + 4, "acTL", 4)) {
            if (len < 8 || fread(h + 8, 1, 8, f) != 8) return -1;
            unsigned long plays = be32(h + 12);
            return plays > INT_MAX ? INT_MAX : (int)plays;
        }
        if (len > 0x7fffffffUL || fseek(f, (long)len + 4, SEEK_CUR) != 0) return -1; /* data, CRC */
    }
    return -1;
}

int cfmedia_plays(FILE *f, int apng) {
    return apng ? apng_plays(f) : gif_plays(f);
}

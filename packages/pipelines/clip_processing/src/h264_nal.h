/* h264_nal.h — the bits of H.264's bitstream format a smart cut needs: the MP4 decoder
 * configuration (avcC: profile, NAL length size, parameter sets), the ids of SPS and PPS, Annex B
 * NAL units (what encoders write) turned into length-prefixed ones (what MP4 stores), and whether
 * an access unit holds an IDR picture. Plain C over byte buffers (no libav), so the parsers can be
 * fuzzed alone. Every parser takes untrusted bytes and fails with -1 instead of reading past them.
 * Internal to libcfclip. */
#ifndef CFCLIP_H264_NAL_H
#define CFCLIP_H264_NAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFCLIP_AVCC_MAX_SETS 32

typedef struct cfclip_nal {
    const uint8_t *data; /* from the NAL header byte on; borrowed from the parsed buffer */
    size_t size;
} cfclip_nal;

typedef struct cfclip_avcc {
    uint8_t profile, compat, level;
    int length_size; /* bytes of each NAL unit's length prefix: 1, 2 or 4 */
    int n_sps, n_pps;
    cfclip_nal sps[CFCLIP_AVCC_MAX_SETS], pps[CFCLIP_AVCC_MAX_SETS];
    const uint8_t *tail; /* the high profiles' extension bytes after the PPS list */
    size_t tail_size;
} cfclip_avcc;

/* Parses an avcC record; 0, or -1 when d is not one (Annex B extradata is not). */
int cfclip_avcc_parse(const uint8_t *d, size_t n, cfclip_avcc *out);
/* The id an SPS (NAL type 7) or PPS (type 8) declares; -1 when nal is neither or is cut short. */
int cfclip_h264_ps_id(const cfclip_nal *nal);
/* Splits Annex B bytes (start code separated) into NAL units; returns how many it wrote (the
 * first max), or -1 when d does not start with a start code. */
int cfclip_annexb_split(const uint8_t *d, size_t n, cfclip_nal *out, int max);
/* Writes the avcC of base with the parameter sets of extra added (SPS and PPS among extra's
 * NAL units; others ignored). *out is malloc'd and the caller's; 0 or -1 (too many sets, or
 * out of memory). */
int cfclip_avcc_build(const cfclip_avcc *base, const cfclip_nal *extra, int n_extra,
                      uint8_t **out, size_t *out_size);
/* Rewrites the Annex B access unit d as NAL units with length_size-byte prefixes, leaving out
 * parameter sets and access unit delimiters (the avcC holds the sets). *out is malloc'd and the
 * caller's; returns 0, or -1 when d is not Annex B, a unit is too long for the prefix, or out of
 * memory. */
int cfclip_annexb_to_mp4(const uint8_t *d, size_t n, int length_size, uint8_t **out,
                         size_t *out_size);
/* True when the length-prefixed access unit d holds a slice of an IDR picture (NAL type 5). */
bool cfclip_mp4_has_idr(const uint8_t *d, size_t n, int length_size);

#endif

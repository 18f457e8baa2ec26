/* nal.h — the bits of the H.264 and HEVC bitstream formats a smart cut needs: the MP4 decoder
 * configurations (avcC, hvcC: NAL length size, parameter sets), the ids of H.264's SPS and PPS,
 * Annex B NAL units (what encoders write) turned into length-prefixed ones (what MP4 stores), what
 * kind of random access point an access unit is, and HEVC's splice rewrite (CRA to BLA). Plain C
 * over byte buffers (no libav), so the parsers can be fuzzed alone. Every parser takes untrusted
 * bytes and fails with -1 instead of reading past them. Internal to libcfclip. */
#ifndef CFCLIP_NAL_H
#define CFCLIP_NAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFCLIP_AVCC_MAX_SETS 32
#define CFCLIP_HVCC_MAX_SETS 64

typedef enum { CFCLIP_NAL_H264, CFCLIP_NAL_HEVC } cfclip_nal_codec;

/* What an access unit is to a decoder starting or joining there: IDR (H.264 IDR; HEVC IDR or BLA:
 * nothing before it is referred to), CRA (HEVC clean random access: its leading pictures may
 * refer to the group before it), or none of these. */
typedef enum { CFCLIP_KEY_NONE, CFCLIP_KEY_IDR, CFCLIP_KEY_CRA } cfclip_key_kind;

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

typedef struct cfclip_hvcc {
    int length_size; /* 1, 2 or 4 */
    int n_sets;      /* every unit of the record's arrays (VPS, SPS, PPS, SEI), in order */
    cfclip_nal sets[CFCLIP_HVCC_MAX_SETS];
} cfclip_hvcc;

/* Parses an hvcC record; 0, or -1 when d is not one. */
int cfclip_hvcc_parse(const uint8_t *d, size_t n, cfclip_hvcc *out);
/* Parses an avcC record; 0, or -1 when d is not one (Annex B extradata is not). */
int cfclip_avcc_parse(const uint8_t *d, size_t n, cfclip_avcc *out);
/* The avcC an Annex B configuration (an MPEG-TS stream's extradata: start codes, SPS and PPS)
 * stands for, with 4-byte length prefixes and no extension bytes; 0, or -1 when d holds no SPS
 * or no PPS. out's units point into d. */
int cfclip_avcc_from_annexb(const uint8_t *d, size_t n, cfclip_avcc *out);
/* True when every SPS and PPS in the Annex B access unit d is, byte for byte, one of a's (an
 * MPEG-TS stream repeats its parameter sets; a stream whose sets change cannot be described by
 * one avcC); false too when d is not Annex B. */
bool cfclip_annexb_sets_known(const uint8_t *d, size_t n, const cfclip_avcc *a);
/* The hvcC an HEVC Annex B configuration (VPS, SPS, PPS with start codes) stands for, with
 * 4-byte length prefixes: profile, tier, level and temporal layers from its first SPS; chroma
 * format (0-3) and bit depth as the caller knows them from the decoded format. *out is malloc'd
 * and the caller's; 0, or -1 when d holds no VPS, SPS or PPS, or its SPS is cut short. */
int cfclip_hvcc_from_annexb(const uint8_t *d, size_t n, int chroma_format, int bit_depth, uint8_t **out,
                            size_t *out_size);
/* The id an SPS (NAL type 7) or PPS (type 8) declares; -1 when nal is neither or is cut short. */
int cfclip_h264_ps_id(const cfclip_nal *nal);
/* Splits Annex B bytes (start code separated) into NAL units; returns how many it wrote (the
 * first max), or -1 when d does not start with a start code. */
int cfclip_annexb_split(const uint8_t *d, size_t n, cfclip_nal *out, int max);
/* Writes the avcC of base with the parameter sets of extra added (SPS and PPS among extra's
 * NAL units; others ignored). *out is malloc'd and the caller's; 0 or -1 (too many sets, or
 * out of memory). */
int cfclip_avcc_build(const cfclip_avcc *base, const cfclip_nal *extra, int n_extra, uint8_t **out,
                      size_t *out_size);
/* Rewrites the Annex B access unit d as NAL units with length_size-byte prefixes, leaving out
 * access unit delimiters, and for H.264 the parameter sets (the avcC holds them; HEVC's stay in
 * the stream, where an hev1 track may carry them). *out is malloc'd and the caller's; returns 0,
 * or -1 when d is not Annex B, a unit is too long for the prefix, or out of memory. */
int cfclip_annexb_to_mp4(const uint8_t *d, size_t n, cfclip_nal_codec codec, int length_size, uint8_t **out,
                         size_t *out_size);
/* units written one after the other with length_size-byte prefixes, then the tail bytes (an
 * access unit already length-prefixed; may be NULL). *out is malloc'd and the caller's; 0 or -1. */
int cfclip_mp4_join(const cfclip_nal *units, int n, int length_size, const uint8_t *tail, size_t tail_size,
                    uint8_t **out, size_t *out_size);
/* The kind of random access point the length-prefixed access unit d is. */
cfclip_key_kind cfclip_mp4_key_kind(const uint8_t *d, size_t n, int length_size, cfclip_nal_codec codec);
/* Turns the HEVC CRA slices of the length-prefixed access unit d into BLA ones (type 16, same
 * syntax), in place: a CRA that follows other pictures keeps its place in their picture order
 * count and decodes its leading pictures; a BLA starts afresh, which is what a splice needs.
 * Returns how many units changed, -1 when d is not length-prefixed. */
int cfclip_mp4_cra_to_bla(uint8_t *d, size_t n, int length_size);

/* ---- HEVC parameter set ids (an hvc1 track holds every set in its sample entry, so sets an
 * encoder writes beside the source's need ids of their own) ---- */

typedef struct cfclip_hevc_ids {
    int vps, sps, pps;
} cfclip_hevc_ids;

/* The id a VPS (NAL type 32), SPS (33) or PPS (34) declares; -1 when u is none of these or is cut
 * short. */
int cfclip_hevc_ps_id(const cfclip_nal *u);
/* Ids none of the parameter sets among sets use, for an encoder whose slices name PPS
 * edge_pps: the lowest free VPS and SPS ids, and the lowest free PPS id whose exp-Golomb code is
 * a whole number of bytes longer or shorter than edge_pps's (a slice's header then moves its
 * slice data by whole bytes: see cfclip_hevc_renumber). 0, or -1 when the source uses them all. */
int cfclip_hevc_free_ids(const cfclip_nal *sets, int n, int edge_pps, cfclip_hevc_ids *out);
/* u with the ids it declares or names replaced by ids': a VPS's own, an SPS's own and its VPS's,
 * a PPS's own and its SPS's, a slice segment's PPS (other units copied). *out is malloc'd and
 * the caller's (NAL header included, emulation prevention redone). 0, or -1 when u is cut short,
 * an id is out of range, or a slice's new PPS id does not move its data by whole bytes. */
int cfclip_hevc_renumber(const cfclip_nal *u, const cfclip_hevc_ids *ids, uint8_t **out, size_t *out_size);
/* What parameter sets (VPS, SPS, PPS) the HEVC access unit d (length_size-byte prefixes) carries:
 * 0 none, 1 only sets byte for byte among h's, 2 another (or d is not length-prefixed). */
int cfclip_hevc_sets_in(const uint8_t *d, size_t n, int length_size, const cfclip_hvcc *h);
/* The length-prefixed HEVC access unit d without parameter sets and access unit delimiters (an
 * hvc1 track's sample entry holds the sets), its slices renumbered to ids when ids is not NULL.
 * *out is malloc'd and the caller's; 0 or -1. */
int cfclip_mp4_hevc_rewrite(const uint8_t *d, size_t n, int length_size, const cfclip_hevc_ids *ids,
                            uint8_t **out, size_t *out_size);
/* The hvcC record base (d, n) with the VPS, SPS and PPS among extra added to its arrays, every
 * parameter set array marked complete (none in the stream: what an hvc1 track declares); other
 * units of extra are left out. *out is malloc'd and the caller's; 0, or -1 when base is not an
 * hvcC, a unit is too long, there are too many, or out of memory. */
int cfclip_hvcc_build(const uint8_t *d, size_t n, const cfclip_nal *extra, int n_extra, uint8_t **out,
                      size_t *out_size);

#endif

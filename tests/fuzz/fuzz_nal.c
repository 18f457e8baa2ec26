/* Fuzzes the H.264 and HEVC bitstream readers of the smart cut (nal.c) from raw bytes: the input
 * is read as an avcC and an hvcC record, as Annex B NAL units and as a length-prefixed access
 * unit. An avcC that parses must build back (with the Annex B units added) into a record that
 * parses to the same sets; Annex B converted to length prefixes must read back unit by unit, and
 * so must an hvcC's sets joined ahead of an access unit; the CRA to BLA rewrite changes only NAL
 * unit headers; an Annex B configuration made an avcC or hvcC builds into one that parses back.
 * HEVC renumbering: a parameter set renumbered declares the new id, and renumbered back its own;
 * an access unit rewritten for hvc1 reads back unit by unit without parameter sets; an hvcC
 * built with the Annex B units added parses back with at least its own sets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_avcc(const uint8_t *data, size_t size, const cfclip_nal *units, int n) {
    cfclip_avcc a, b;
    if (cfclip_avcc_parse(data, size, &a) < 0) return;
    for (int i = 0; i < a.n_sps; i++) (void)cfclip_h264_ps_id(&a.sps[i]);
    for (int i = 0; i < a.n_pps; i++) (void)cfclip_h264_ps_id(&a.pps[i]);
    uint8_t *out;
    size_t out_size;
    if (cfclip_avcc_build(&a, units, n, &out, &out_size) < 0) return;
    if (cfclip_avcc_parse(out, out_size, &b) < 0 || b.n_sps < a.n_sps || b.n_pps < a.n_pps ||
        b.length_size != a.length_size || b.tail_size != a.tail_size)
        abort();
    free(out);
}

/* How many 4-byte-prefixed units out holds; aborts when they do not fill it exactly. */
static int count_units(const uint8_t *out, size_t out_size) {
    size_t at = 0;
    int kept = 0;
    while (at + 4 <= out_size) {
        size_t len =
            (size_t)out[at] << 24 | (size_t)out[at + 1] << 16 | (size_t)out[at + 2] << 8 | out[at + 3];
        if (len == 0 || len > out_size - at - 4) abort();
        at += 4 + len;
        kept++;
    }
    if (at != out_size) abort();
    return kept;
}

static void check_annexb(const uint8_t *data, size_t size, const cfclip_nal *units, int n,
                         cfclip_nal_codec codec) {
    uint8_t *out;
    size_t out_size;
    if (n < 0 || cfclip_annexb_to_mp4(data, size, codec, 4, &out, &out_size) < 0) return;
    if (n < 64 && count_units(out, out_size) > n) abort();
    (void)cfclip_mp4_key_kind(out, out_size, 4, codec);
    uint8_t *copy = malloc(out_size ? out_size : 1);
    if (!copy) abort();
    if (out_size) memcpy(copy, out, out_size);
    if (cfclip_mp4_cra_to_bla(copy, out_size, 4) < 0) abort();
    for (size_t i = 0; i < out_size; i++) /* only the type bits of header bytes may change */
        if ((copy[i] ^ out[i]) & 0x81) abort();
    free(copy);
    free(out);
}

/* An MPEG-TS configuration made an avcC: it builds into a record that parses back with its sets,
 * and the bytes it came from know their own sets. */
static void check_avcc_from_annexb(const uint8_t *data, size_t size) {
    cfclip_avcc a, b;
    if (cfclip_avcc_from_annexb(data, size, &a) < 0) return;
    if (a.n_sps < 1 || a.n_pps < 1 || a.length_size != 4) abort();
    bool all_kept = a.n_sps < 31 && a.n_pps < CFCLIP_AVCC_MAX_SETS; /* the record's limits */
    if (all_kept && !cfclip_annexb_sets_known(data, size, &a)) abort();
    uint8_t *out;
    size_t out_size;
    if (cfclip_avcc_build(&a, NULL, 0, &out, &out_size) < 0) return;
    if (cfclip_avcc_parse(out, out_size, &b) < 0 || b.n_sps != a.n_sps || b.n_pps != a.n_pps) abort();
    free(out);
}

/* An MPEG-TS HEVC configuration made an hvcC: it parses back with 4-byte lengths and its sets. */
static void check_hvcc_from_annexb(const uint8_t *data, size_t size) {
    uint8_t *out;
    size_t out_size;
    cfclip_hvcc h;
    if (cfclip_hvcc_from_annexb(data, size, 1, 8, &out, &out_size) < 0) return;
    if (cfclip_hvcc_parse(out, out_size, &h) < 0 || h.length_size != 4 || h.n_sets < 3) abort();
    free(out);
}

static void check_hvcc(const uint8_t *data, size_t size) {
    cfclip_hvcc h;
    if (cfclip_hvcc_parse(data, size, &h) < 0) return;
    if (h.length_size != 1 && h.length_size != 2 && h.length_size != 4) abort();
    uint8_t *out;
    size_t out_size;
    if (cfclip_mp4_join(h.sets, h.n_sets, 4, data, 0, &out, &out_size) < 0) return;
    if (count_units(out, out_size) != h.n_sets) abort();
    free(out);
}

static void check_renumber(const cfclip_nal *u) {
    static const cfclip_hevc_ids ids = {.vps = 3, .sps = 5, .pps = 15};
    uint8_t *out, *back;
    size_t out_size, back_size;
    int id = cfclip_hevc_ps_id(u);
    if (cfclip_hevc_renumber(u, &ids, &out, &out_size) < 0) return;
    int type = u->size >= 2 ? (u->data[0] >> 1) & 0x3f : -1;
    cfclip_nal r = {out, out_size};
    int want = type == 32 ? 3 : type == 33 ? 5 : type == 34 ? 15 : -1;
    if (id >= 0 && cfclip_hevc_ps_id(&r) != want) abort();
    cfclip_hevc_ids own = {.vps = id, .sps = id, .pps = id};
    if (id >= 0 && cfclip_hevc_renumber(&r, &own, &back, &back_size) == 0) {
        if (cfclip_hevc_ps_id(&(cfclip_nal){back, back_size}) != id) abort();
        free(back);
    }
    free(out);
}

static void check_hvc1(const uint8_t *data, size_t size, const cfclip_nal *units, int n) {
    static const cfclip_hevc_ids ids = {.vps = 1, .sps = 1, .pps = 15};
    uint8_t *out;
    size_t out_size;
    for (int k = 0; k < 2; k++)
        if (cfclip_mp4_hevc_rewrite(data, size, 4, k ? &ids : NULL, &out, &out_size) == 0) {
            (void)count_units(out, out_size);
            for (size_t at = 0; at + 4 < out_size;) { /* no parameter set left */
                size_t len = (size_t)out[at] << 24 | (size_t)out[at + 1] << 16 | (size_t)out[at + 2] << 8 |
                             out[at + 3];
                int type = (out[at + 4] >> 1) & 0x3f;
                if (type >= 32 && type <= 34) abort();
                at += 4 + len;
            }
            free(out);
        }
    cfclip_hvcc base, built;
    if (cfclip_hvcc_parse(data, size, &base) < 0) return;
    (void)cfclip_hevc_sets_in(data, size, 4, &base);
    cfclip_hevc_ids free_ids;
    (void)cfclip_hevc_free_ids(base.sets, base.n_sets, 0, &free_ids);
    if (cfclip_hvcc_build(data, size, units, n, &out, &out_size) < 0) return;
    if (cfclip_hvcc_parse(out, out_size, &built) < 0 || built.n_sets < base.n_sets) abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cfclip_nal units[64];
    int n = cfclip_annexb_split(data, size, units, 64);
    for (int i = 0; i < n; i++) (void)cfclip_h264_ps_id(&units[i]);
    for (int i = 0; i < n; i++) check_renumber(&units[i]);
    check_hvc1(data, size, units, n > 0 ? n : 0);
    check_avcc(data, size, units, n > 0 ? n : 0);
    check_hvcc(data, size);
    check_avcc_from_annexb(data, size);
    check_hvcc_from_annexb(data, size);
    check_annexb(data, size, units, n, CFCLIP_NAL_H264);
    check_annexb(data, size, units, n, CFCLIP_NAL_HEVC);
    for (int len = 1; len <= 4; len *= 2) {
        (void)cfclip_mp4_key_kind(data, size, len, CFCLIP_NAL_H264);
        (void)cfclip_mp4_key_kind(data, size, len, CFCLIP_NAL_HEVC);
    }
    return 0;
}

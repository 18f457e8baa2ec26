/* nal.c — avcC and hvcC records, parameter set ids, Annex B to length-prefixed NAL units, random
 * access points (see nal.h). Layouts from ISO/IEC 14496-15 (avcC 5.3.3, hvcC 8.3.3), ITU-T H.264
 * 7.3 (NAL units, SPS, PPS) and H.265 7.3.1 (the two-byte NAL unit header). */
#include "nal.h"

#include <stdlib.h>
#include <string.h>

/* ---- reading exp-Golomb codes over the RBSP (emulation prevention bytes skipped) ---- */

typedef struct bits {
    const uint8_t *d;
    size_t n, byte; /* byte: index of the next byte to load */
    int zeros;      /* zero bytes just read, for the 00 00 03 rule */
    uint8_t cur;
    int left;   /* bits left in cur */
    bool raw;   /* d is RBSP already: no emulation prevention bytes to skip */
    size_t pos; /* bits read */
} bits;

static int next_bit(bits *b) {
    if (b->left == 0) {
        if (b->byte >= b->n) return -1;
        uint8_t v = b->d[b->byte++];
        if (!b->raw && b->zeros >= 2 && v == 3) { /* emulation prevention: not part of the payload */
            b->zeros = 0;
            if (b->byte >= b->n) return -1;
            v = b->d[b->byte++];
        }
        b->zeros = v == 0 ? b->zeros + 1 : 0;
        b->cur = v;
        b->left = 8;
    }
    b->pos++;
    return (b->cur >> --b->left) & 1;
}

/* Skips k bits; false when cut short. */
static bool skip_bits(bits *b, size_t k) {
    while (k--)
        if (next_bit(b) < 0) return false;
    return true;
}

/* ue(v); -1 when cut short or longer than 31 bits. */
static long read_ue(bits *b) {
    int lead = 0, bit;
    while ((bit = next_bit(b)) == 0)
        if (++lead > 31) return -1;
    if (bit < 0) return -1;
    unsigned long v = 0;
    for (int i = 0; i < lead; i++) {
        if ((bit = next_bit(b)) < 0) return -1;
        v = v << 1 | (unsigned long)bit;
    }
    return (long)((1ul << lead) - 1 + v);
}

int cfclip_h264_ps_id(const cfclip_nal *nal) {
    if (!nal->data || nal->size < 2) return -1;
    int type = nal->data[0] & 0x1f;
    /* an SPS starts with profile_idc, the constraint flags and level_idc before its id */
    size_t skip = type == 7 ? 4 : type == 8 ? 1 : 0;
    if (!skip || nal->size <= skip) return -1;
    bits b = {.d = nal->data + skip, .n = nal->size - skip};
    long id = read_ue(&b);
    return id < 0 || id > 255 ? -1 : (int)id;
}

/* ---- avcC ---- */

static int read_sets(const uint8_t *d, size_t n, size_t *at, int count, cfclip_nal *out) {
    for (int i = 0; i < count; i++) {
        if (*at + 2 > n) return -1;
        size_t len = (size_t)d[*at] << 8 | d[*at + 1];
        *at += 2;
        if (len == 0 || *at + len > n) return -1;
        out[i] = (cfclip_nal){d + *at, len};
        *at += len;
    }
    return 0;
}

int cfclip_avcc_parse(const uint8_t *d, size_t n, cfclip_avcc *out) {
    memset(out, 0, sizeof *out);
    if (!d || n < 7 || d[0] != 1) return -1;
    out->profile = d[1];
    out->compat = d[2];
    out->level = d[3];
    out->length_size = (d[4] & 3) + 1;
    if (out->length_size == 3) return -1;
    out->n_sps = d[5] & 0x1f;
    size_t at = 6;
    if (read_sets(d, n, &at, out->n_sps, out->sps) < 0 || at >= n) return -1;
    out->n_pps = d[at++];
    if (out->n_pps > CFCLIP_AVCC_MAX_SETS || read_sets(d, n, &at, out->n_pps, out->pps) < 0) return -1;
    out->tail = at < n ? d + at : NULL;
    out->tail_size = n - at;
    return 0;
}

/* ---- hvcC ---- */

int cfclip_hvcc_parse(const uint8_t *d, size_t n, cfclip_hvcc *out) {
    memset(out, 0, sizeof *out);
    /* 22 bytes of profile, level and format fields, then the count of arrays */
    if (!d || n < 23 || d[0] != 1) return -1;
    out->length_size = (d[21] & 3) + 1;
    if (out->length_size == 3) return -1;
    size_t at = 23;
    for (int a = 0; a < d[22]; a++) {
        if (at + 3 > n) return -1;
        int count = d[at + 1] << 8 | d[at + 2];
        at += 3;
        if (count > CFCLIP_HVCC_MAX_SETS - out->n_sets ||
            read_sets(d, n, &at, count, out->sets + out->n_sets) < 0)
            return -1;
        out->n_sets += count;
    }
    return 0;
}

static size_t sets_size(const cfclip_nal *s, int n) {
    size_t size = 0;
    for (int i = 0; i < n; i++) size += 2 + s[i].size;
    return size;
}

static uint8_t *write_sets(uint8_t *p, const cfclip_nal *s, int n) {
    for (int i = 0; i < n; i++) {
        *p++ = (uint8_t)(s[i].size >> 8);
        *p++ = (uint8_t)s[i].size;
        memcpy(p, s[i].data, s[i].size);
        p += s[i].size;
    }
    return p;
}

int cfclip_avcc_build(const cfclip_avcc *base, const cfclip_nal *extra, int n_extra, uint8_t **out,
                      size_t *out_size) {
    cfclip_avcc all = *base;
    *out = NULL;
    for (int i = 0; i < n_extra; i++) {
        int type = extra[i].size ? extra[i].data[0] & 0x1f : 0;
        if (extra[i].size > 0xffff) return -1;
        if (type == 7 && all.n_sps < 31) all.sps[all.n_sps++] = extra[i];
        else if (type == 8 && all.n_pps < CFCLIP_AVCC_MAX_SETS) all.pps[all.n_pps++] = extra[i];
        else if (type == 7 || type == 8) return -1;
    }
    size_t size = 7 + sets_size(all.sps, all.n_sps) + sets_size(all.pps, all.n_pps) + all.tail_size;
    uint8_t *p = malloc(size);
    if (!p) return -1;
    *out = p;
    *out_size = size;
    *p++ = 1;
    *p++ = all.profile;
    *p++ = all.compat;
    *p++ = all.level;
    *p++ = (uint8_t)(0xfc | (all.length_size - 1));
    *p++ = (uint8_t)(0xe0 | all.n_sps);
    p = write_sets(p, all.sps, all.n_sps);
    *p++ = (uint8_t)all.n_pps;
    p = write_sets(p, all.pps, all.n_pps);
    if (all.tail_size) memcpy(p, all.tail, all.tail_size);
    return 0;
}

/* ---- Annex B ---- */

/* Index just past the next start code at or after from; n when there is none. */
static size_t after_start_code(const uint8_t *d, size_t n, size_t from, size_t *code_at) {
    for (size_t i = from; i + 3 <= n; i++)
        if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
            *code_at = i > from && d[i - 1] == 0 ? i - 1 : i;
            return i + 3;
        }
    *code_at = n;
    return n;
}

/* The unit that starts at *at (just past a start code), moving *at past the next start code;
 * false at the end. Trailing zero bytes belong to no unit. */
static bool next_unit(const uint8_t *d, size_t n, size_t *at, cfclip_nal *unit) {
    while (*at < n) {
        size_t next_code, next = after_start_code(d, n, *at, &next_code), end = next_code;
        while (end > *at && d[end - 1] == 0) end--;
        size_t from = *at;
        *at = next;
        if (end > from) {
            *unit = (cfclip_nal){d + from, end - from};
            return true;
        }
    }
    return false;
}

/* Where the first unit starts; n when d does not begin with 00 00 01 or 00 00 00 01. */
static size_t first_unit(const uint8_t *d, size_t n) {
    size_t code_at, at = d ? after_start_code(d, n, 0, &code_at) : n;
    return d && code_at == 0 ? at : n;
}

int cfclip_avcc_from_annexb(const uint8_t *d, size_t n, cfclip_avcc *out) {
    memset(out, 0, sizeof *out);
    size_t at = first_unit(d, n);
    cfclip_nal u;
    while (at < n && next_unit(d, n, &at, &u)) {
        int type = u.data[0] & 0x1f;
        if ((type == 7 || type == 8) && u.size > 0xffff) return -1;
        if (type == 7 && out->n_sps < 31) out->sps[out->n_sps++] = u;
        else if (type == 8 && out->n_pps < CFCLIP_AVCC_MAX_SETS) out->pps[out->n_pps++] = u;
    }
    if (out->n_sps == 0 || out->n_pps == 0 || out->sps[0].size < 4) return -1;
    out->profile = out->sps[0].data[1];
    out->compat = out->sps[0].data[2];
    out->level = out->sps[0].data[3];
    out->length_size = 4;
    return 0;
}

static bool among(const cfclip_nal *u, const cfclip_nal *sets, int n) {
    for (int i = 0; i < n; i++)
        if (sets[i].size == u->size && !memcmp(sets[i].data, u->data, u->size)) return true;
    return false;
}

bool cfclip_annexb_sets_known(const uint8_t *d, size_t n, const cfclip_avcc *a) {
    size_t at = first_unit(d, n);
    if (at >= n) return false;
    cfclip_nal u;
    while (next_unit(d, n, &at, &u)) {
        int type = u.data[0] & 0x1f;
        if ((type == 7 && !among(&u, a->sps, a->n_sps)) || (type == 8 && !among(&u, a->pps, a->n_pps)))
            return false;
    }
    return true;
}

int cfclip_annexb_split(const uint8_t *d, size_t n, cfclip_nal *out, int max) {
    size_t at = first_unit(d, n);
    if (at >= n) return -1;
    int count = 0;
    cfclip_nal unit;
    while (count < max && next_unit(d, n, &at, &unit)) out[count++] = unit;
    return count;
}

static int hevc_type(const uint8_t *nal) {
    return (nal[0] >> 1) & 0x3f;
}

static bool kept_in_mp4(const cfclip_nal *u, cfclip_nal_codec codec) {
    if (codec == CFCLIP_NAL_HEVC) return hevc_type(u->data) != 35; /* access unit delimiter */
    int type = u->data[0] & 0x1f;
    return type != 7 && type != 8 && type != 9;
}

/* ---- hvcC from Annex B ---- */

/* Up to cap bytes of u's payload after skip header bytes, emulation prevention bytes (the 03 of
 * 00 00 03) removed; how many. */
static size_t rbsp(const cfclip_nal *u, size_t skip, uint8_t *out, size_t cap) {
    size_t n = 0, zeros = 0;
    for (size_t i = skip; i < u->size && n < cap; i++) {
        uint8_t b = u->data[i];
        if (zeros >= 2 && b == 3) {
            zeros = 0;
            continue;
        }
        zeros = b == 0 ? zeros + 1 : 0;
        out[n++] = b;
    }
    return n;
}

static uint8_t *put16(uint8_t *p, size_t v) {
    *p++ = (uint8_t)(v >> 8);
    *p++ = (uint8_t)v;
    return p;
}

/* The VPS (32), SPS (33) and PPS (34) units of d as hvcC arrays: with p NULL, measured (counts
 * set, the bytes returned; -1 for a unit too long or too many); else written at p with the
 * counts measured. */
static long hvcc_arrays(const uint8_t *d, size_t n, uint8_t *p, int counts[3]) {
    long size = 0;
    int total = 0; /* the record's reader takes CFCLIP_HVCC_MAX_SETS units in all */
    for (int type = 32; type <= 34; type++) {
        if (p) {
            *p++ = (uint8_t)(0x80 | type); /* array_completeness: every unit of the type is here */
            p = put16(p, (size_t)counts[type - 32]);
        }
        size += 3;
        int count = 0;
        size_t at = first_unit(d, n);
        cfclip_nal u;
        while (at < n && next_unit(d, n, &at, &u)) {
            if (u.size < 2 || hevc_type(u.data) != type) continue;
            count++;
            if (u.size > 0xffff || ++total > CFCLIP_HVCC_MAX_SETS) return -1;
            if (p) {
                p = put16(p, u.size);
                memcpy(p, u.data, u.size);
                p += u.size;
            }
            size += 2 + (long)u.size;
        }
        if (!p) counts[type - 32] = count;
    }
    return size;
}

/* The first SPS of d, its payload after the NAL header as RBSP: 13 bytes hold the layer count
 * and the general profile, tier and level (ITU-T H.265 7.3.2.2, 7.3.3). */
static bool first_sps(const uint8_t *d, size_t n, uint8_t sps[13]) {
    size_t at = first_unit(d, n);
    cfclip_nal u;
    while (at < n && next_unit(d, n, &at, &u))
        if (u.size >= 2 && hevc_type(u.data) == 33) return rbsp(&u, 2, sps, 13) == 13;
    return false;
}

int cfclip_hvcc_from_annexb(const uint8_t *d, size_t n, int chroma_format, int bit_depth, uint8_t **out,
                            size_t *out_size) {
    *out = NULL;
    uint8_t sps[13];
    int counts[3];
    long arrays = hvcc_arrays(d, n, NULL, counts);
    if (arrays < 0 || !counts[0] || !counts[1] || !counts[2] || !first_sps(d, n, sps)) return -1;
    uint8_t *p = malloc(23 + (size_t)arrays);
    if (!p) return -1;
    *out = p;
    *out_size = 23 + (size_t)arrays;
    int layers = ((sps[0] >> 1) & 7) + 1, nested = sps[0] & 1;
    *p++ = 1;               /* configurationVersion */
    memcpy(p, sps + 1, 12); /* profile space, tier, profile; compatibility; constraints; level */
    p += 12;
    *p++ = 0xf0, *p++ = 0x00; /* min_spatial_segmentation_idc: none said */
    *p++ = 0xfc;              /* parallelismType: unknown */
    *p++ = (uint8_t)(0xfc | (chroma_format & 3));
    *p++ = (uint8_t)(0xf8 | ((bit_depth - 8) & 7));
    *p++ = (uint8_t)(0xf8 | ((bit_depth - 8) & 7));
    *p++ = 0, *p++ = 0;                              /* avgFrameRate: unknown */
    *p++ = (uint8_t)(layers << 3 | nested << 2 | 3); /* constant rate unknown; 4-byte lengths */
    *p++ = 3;                                        /* arrays: VPS, SPS, PPS */
    hvcc_arrays(d, n, p, counts);
    return 0;
}

static uint8_t *put_unit(uint8_t *p, const cfclip_nal *u, int length_size) {
    for (int k = length_size - 1; k >= 0; k--) *p++ = (uint8_t)(u->size >> (8 * k));
    memcpy(p, u->data, u->size);
    return p + u->size;
}

static bool valid_length_size(int length_size) {
    return length_size == 1 || length_size == 2 || length_size == 4;
}

static size_t length_limit(int length_size) {
    return length_size == 4 ? 0xffffffffu : (1u << (8 * length_size)) - 1;
}

int cfclip_annexb_to_mp4(const uint8_t *d, size_t n, cfclip_nal_codec codec, int length_size, uint8_t **out,
                         size_t *out_size) {
    *out = NULL;
    size_t start = first_unit(d, n), at = start, size = 0;
    if (start >= n || !valid_length_size(length_size)) return -1;
    cfclip_nal u;
    while (next_unit(d, n, &at, &u)) {
        if (u.size > length_limit(length_size)) return -1;
        if (kept_in_mp4(&u, codec)) size += (size_t)length_size + u.size;
    }
    uint8_t *p = malloc(size ? size : 1);
    if (!p) return -1;
    *out = p;
    for (at = start; next_unit(d, n, &at, &u);)
        if (kept_in_mp4(&u, codec)) p = put_unit(p, &u, length_size);
    *out_size = size;
    return 0;
}

int cfclip_mp4_join(const cfclip_nal *units, int n, int length_size, const uint8_t *tail, size_t tail_size,
                    uint8_t **out, size_t *out_size) {
    *out = NULL;
    size_t size = tail_size;
    if (!valid_length_size(length_size)) return -1;
    for (int i = 0; i < n; i++) {
        if (units[i].size > length_limit(length_size)) return -1;
        size += (size_t)length_size + units[i].size;
    }
    uint8_t *p = malloc(size ? size : 1);
    if (!p) return -1;
    *out = p;
    for (int i = 0; i < n; i++) p = put_unit(p, &units[i], length_size);
    if (tail_size) memcpy(p, tail, tail_size);
    *out_size = size;
    return 0;
}

/* ---- length-prefixed access units ---- */

/* The unit at *at, moving *at past it: 1, 0 at the end, -1 when the prefix runs past d. */
static int next_mp4_unit(const uint8_t *d, size_t n, int length_size, size_t *at, cfclip_nal *u) {
    if (!d || !valid_length_size(length_size) || *at + (size_t)length_size > n) return 0;
    size_t len = 0;
    for (int k = 0; k < length_size; k++) len = len << 8 | d[*at + (size_t)k];
    *at += (size_t)length_size;
    if (len == 0 || len > n - *at) return -1;
    *u = (cfclip_nal){d + *at, len};
    *at += len;
    return 1;
}

static cfclip_key_kind key_kind_of(const cfclip_nal *u, cfclip_nal_codec codec) {
    if (codec == CFCLIP_NAL_H264) return (u->data[0] & 0x1f) == 5 ? CFCLIP_KEY_IDR : CFCLIP_KEY_NONE;
    int type = hevc_type(u->data);
    if (type >= 16 && type <= 20) return CFCLIP_KEY_IDR; /* BLA and IDR */
    return type == 21 ? CFCLIP_KEY_CRA : CFCLIP_KEY_NONE;
}

cfclip_key_kind cfclip_mp4_key_kind(const uint8_t *d, size_t n, int length_size, cfclip_nal_codec codec) {
    size_t at = 0;
    cfclip_nal u;
    while (next_mp4_unit(d, n, length_size, &at, &u) > 0) {
        cfclip_key_kind kind = key_kind_of(&u, codec);
        if (kind != CFCLIP_KEY_NONE) return kind;
    }
    return CFCLIP_KEY_NONE;
}

int cfclip_mp4_cra_to_bla(uint8_t *d, size_t n, int length_size) {
    size_t at = 0;
    int changed = 0, r;
    cfclip_nal u;
    while ((r = next_mp4_unit(d, n, length_size, &at, &u)) > 0) {
        if (u.size < 2 || hevc_type(u.data) != 21) continue;
        d[u.data - d] = (uint8_t)((u.data[0] & 0x81) | 16 << 1); /* keeps forbidden and layer bits */
        changed++;
    }
    return r < 0 ? -1 : changed;
}

/* ---- HEVC parameter set ids (H.265 7.3.1.2, 7.3.2.1-7.3.2.3, 7.3.3, 7.3.6.1) ---- */

typedef enum { ID_VPS, ID_SPS, ID_PPS } id_role;

/* An id field of a unit's RBSP: bits [from, to), u(4) or ue(v). */
typedef struct id_field {
    size_t from, to;
    id_role role;
    bool ue;
    long value;
} id_field;

static bool read_field(bits *b, id_role role, bool ue, id_field *f) {
    f->from = b->pos;
    f->role = role;
    f->ue = ue;
    if (ue) f->value = read_ue(b);
    else {
        f->value = 0;
        for (int i = 0; i < 4; i++) {
            int bit = next_bit(b);
            if (bit < 0) return false;
            f->value = f->value << 1 | bit;
        }
    }
    f->to = b->pos;
    return f->value >= 0;
}

/* profile_tier_level(1, max_sub_layers_minus1): the general part, the sub-layer flags and the
 * sub-layers' parts they announce. */
static bool skip_ptl(bits *b, int max_sub_layers_minus1) {
    int present[8] = {0};
    if (!skip_bits(b, 96)) return false;
    for (int i = 0; i < max_sub_layers_minus1; i++) {
        int p = next_bit(b), l = next_bit(b);
        if (p < 0 || l < 0) return false;
        present[i] = p << 1 | l;
    }
    if (max_sub_layers_minus1 > 0 && !skip_bits(b, 2 * (size_t)(8 - max_sub_layers_minus1))) return false;
    for (int i = 0; i < max_sub_layers_minus1; i++)
        if (!skip_bits(b, (present[i] & 2 ? 88 : 0) + (present[i] & 1 ? 8 : 0))) return false;
    return true;
}

/* The id fields of a unit of type over its RBSP r (after the NAL header), in order; how many
 * (0 for a unit without ids), -1 when cut short. */
static int id_fields(int type, const uint8_t *r, size_t m, id_field f[2]) {
    bits b = {.d = r, .n = m, .raw = true};
    if (type == 32) return read_field(&b, ID_VPS, false, &f[0]) ? 1 : -1;
    if (type == 33) {
        if (!read_field(&b, ID_VPS, false, &f[0])) return -1;
        int layers = 0;
        for (int i = 0; i < 3; i++) {
            int bit = next_bit(&b);
            if (bit < 0) return -1;
            layers = layers << 1 | bit;
        }
        return skip_bits(&b, 1) && skip_ptl(&b, layers) && read_field(&b, ID_SPS, true, &f[1]) ? 2 : -1;
    }
    if (type == 34)
        return read_field(&b, ID_PPS, true, &f[0]) && read_field(&b, ID_SPS, true, &f[1]) ? 2 : -1;
    if (type > 31) return 0;
    /* a slice segment: first_slice_segment_in_pic_flag, an IRAP's no_output_of_prior_pics_flag */
    return skip_bits(&b, type >= 16 && type <= 23 ? 2 : 1) && read_field(&b, ID_PPS, true, &f[0]) ? 1 : -1;
}

/* u's payload after its NAL header as RBSP, malloc'd into *r; false when out of memory. */
static bool whole_rbsp(const cfclip_nal *u, uint8_t **r, size_t *m) {
    *r = malloc(u->size);
    if (!*r) return false;
    *m = rbsp(u, 2, *r, u->size);
    return true;
}

int cfclip_hevc_ps_id(const cfclip_nal *u) {
    if (!u->data || u->size < 3) return -1;
    int type = hevc_type(u->data);
    if (type < 32 || type > 34) return -1;
    uint8_t r[64]; /* a VPS id is at the start, an SPS's after 12 to 35 bytes, a PPS's first */
    id_field f[2];
    int n = id_fields(type, r, rbsp(u, 2, r, sizeof r), f);
    if (n <= 0) return -1;
    return (int)f[type == 33 ? 1 : 0].value;
}

/* Bits of ue(v) for v. */
static int ue_bits(long v) {
    int len = 0;
    while ((unsigned long)(v + 1) >> (len + 1)) len++;
    return 2 * len + 1;
}

static bool id_used(const cfclip_nal *sets, int n, int type, long id) {
    for (int i = 0; i < n; i++)
        if (sets[i].size >= 2 && hevc_type(sets[i].data) == type && cfclip_hevc_ps_id(&sets[i]) == id)
            return true;
    return false;
}

int cfclip_hevc_free_ids(const cfclip_nal *sets, int n, int edge_pps, cfclip_hevc_ids *out) {
    out->vps = out->sps = out->pps = -1;
    for (int id = 15; id >= 0; id--) {
        if (!id_used(sets, n, 32, id)) out->vps = id;
        if (!id_used(sets, n, 33, id)) out->sps = id;
    }
    for (int id = 63; edge_pps >= 0 && edge_pps <= 63 && id >= 0; id--)
        if ((ue_bits(id) - ue_bits(edge_pps)) % 8 == 0 && !id_used(sets, n, 34, id)) out->pps = id;
    return out->vps < 0 || out->sps < 0 || out->pps < 0 ? -1 : 0;
}

typedef struct wbits {
    uint8_t *d; /* zeroed, large enough */
    size_t pos; /* bits written */
} wbits;

static void put_bits(wbits *w, unsigned long v, int k) {
    while (k-- > 0) {
        if ((v >> k) & 1) w->d[w->pos >> 3] |= (uint8_t)(0x80 >> (w->pos & 7));
        w->pos++;
    }
}

static void copy_bits(wbits *w, const uint8_t *r, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) put_bits(w, (r[i >> 3] >> (7 - (i & 7))) & 1, 1);
}

/* The position of the RBSP stop bit (the last 1 of r); SIZE_MAX when r holds none. */
static size_t stop_bit(const uint8_t *r, size_t m) {
    while (m > 0 && r[m - 1] == 0) m--;
    if (m == 0) return SIZE_MAX;
    size_t pos = 8 * m - 1;
    for (uint8_t v = r[m - 1]; !(v & 1); v >>= 1) pos--;
    return pos;
}

static long new_id(const cfclip_hevc_ids *ids, id_role role) {
    return role == ID_VPS ? ids->vps : role == ID_SPS ? ids->sps : ids->pps;
}

/* r's bits with the fields rewritten, into w. A shift of whole bytes leaves what follows the
 * last field (a slice's data after its aligned header) as it was; a parameter set's other shift
 * moves its bits up to the stop bit and aligns again after it. False when neither applies. */
static bool rewrite_fields(const uint8_t *r, size_t m, const id_field *f, int n, bool is_slice,
                           const cfclip_hevc_ids *ids, wbits *w) {
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        long v = new_id(ids, f[i].role);
        if (v < 0 || v > (f[i].ue ? (f[i].role == ID_PPS ? 63 : 15) : 15)) return false;
        copy_bits(w, r, at, f[i].from);
        if (f[i].ue) put_bits(w, (unsigned long)v + 1, ue_bits(v));
        else put_bits(w, (unsigned long)v, 4);
        at = f[i].to;
    }
    if ((w->pos - at) % 8 == 0) {
        size_t whole = (at + 7) / 8 * 8; /* to the reader's next byte, then bytes as they are */
        copy_bits(w, r, at, whole < 8 * m ? whole : 8 * m);
        if (whole < 8 * m) memcpy(w->d + w->pos / 8, r + whole / 8, m - whole / 8);
        w->pos += whole < 8 * m ? 8 * (m - whole / 8) : 0;
        return true;
    }
    size_t stop = stop_bit(r, m);
    if (is_slice || stop == SIZE_MAX || stop < at) return false;
    copy_bits(w, r, at, stop);
    put_bits(w, 1, 1);
    w->pos = (w->pos + 7) / 8 * 8;
    return true;
}

/* The header and RBSP r (bits bytes) as a NAL unit, emulation prevention bytes put back. */
static uint8_t *escape(const uint8_t *header, const uint8_t *r, size_t m, size_t *size) {
    uint8_t *out = malloc(2 + m + m / 2 + 2);
    if (!out) return NULL;
    size_t n = 2, zeros = 0;
    memcpy(out, header, 2);
    for (size_t i = 0; i < m; i++) {
        if (zeros >= 2 && r[i] <= 3) out[n++] = 3, zeros = 0;
        out[n++] = r[i];
        zeros = r[i] == 0 ? zeros + 1 : 0;
    }
    if (m && r[m - 1] == 0) out[n++] = 3; /* a unit may not end with a zero byte */
    *size = n;
    return out;
}

int cfclip_hevc_renumber(const cfclip_nal *u, const cfclip_hevc_ids *ids, uint8_t **out, size_t *out_size) {
    *out = NULL;
    if (!u->data || u->size < 3) return -1;
    int type = hevc_type(u->data);
    uint8_t *r = NULL, *w = NULL;
    size_t m = 0;
    id_field f[2];
    int n = 0;
    if (!whole_rbsp(u, &r, &m) || (n = id_fields(type, r, m, f)) < 0) return free(r), -1;
    bool ok = true;
    if (n == 0) { /* no ids: the unit as it is */
        *out = malloc(u->size);
        if (*out) memcpy(*out, u->data, u->size), *out_size = u->size;
        ok = *out != NULL;
    } else if ((w = calloc(m + 16, 1)) != NULL) { /* two ids grow by 26 bits at most */
        wbits wb = {w, 0};
        ok = rewrite_fields(r, m, f, n, type <= 31, ids, &wb) &&
             (*out = escape(u->data, w, wb.pos / 8, out_size)) != NULL;
    } else {
        ok = false;
    }
    free(r);
    free(w);
    return ok ? 0 : -1;
}

static bool is_hevc_set(const cfclip_nal *u) {
    int type = hevc_type(u->data);
    return type >= 32 && type <= 34;
}

int cfclip_hevc_sets_in(const uint8_t *d, size_t n, int length_size, const cfclip_hvcc *h) {
    size_t at = 0;
    int found = 0, r;
    cfclip_nal u;
    while ((r = next_mp4_unit(d, n, length_size, &at, &u)) > 0)
        if (u.size >= 2 && is_hevc_set(&u)) {
            if (!among(&u, h->sets, h->n_sets)) return 2;
            found = 1;
        }
    return r < 0 || at != n ? 2 : found;
}

/* One unit of an access unit being rewritten: kept (renumbered), or left out. */
static int rewrite_unit(const cfclip_nal *u, const cfclip_hevc_ids *ids, cfclip_nal *kept, uint8_t **owned) {
    *owned = NULL;
    if (u->size < 2 || is_hevc_set(u) || hevc_type(u->data) == 35) return 0;
    *kept = *u;
    size_t size;
    if (!ids || hevc_type(u->data) > 31) return 1;
    if (cfclip_hevc_renumber(u, ids, owned, &size) < 0) return -1;
    *kept = (cfclip_nal){*owned, size};
    return 1;
}

int cfclip_mp4_hevc_rewrite(const uint8_t *d, size_t n, int length_size, const cfclip_hevc_ids *ids,
                            uint8_t **out, size_t *out_size) {
    enum { MAX_UNITS = 256 };
    cfclip_nal units[MAX_UNITS], u;
    uint8_t *owned[MAX_UNITS];
    int count = 0, r = 0, ret = 0;
    size_t at = 0;
    *out = NULL;
    while (ret >= 0 && (r = next_mp4_unit(d, n, length_size, &at, &u)) > 0) {
        if (count == MAX_UNITS) ret = -1;
        else if ((ret = rewrite_unit(&u, ids, &units[count], &owned[count])) > 0) count++;
    }
    if (ret >= 0 && (r < 0 || at != n)) ret = -1;
    if (ret >= 0) ret = cfclip_mp4_join(units, count, length_size, NULL, 0, out, out_size);
    for (int i = 0; i < count; i++) free(owned[i]);
    return ret < 0 ? -1 : 0;
}

/* The array of type: base's units of that type, then extra's; counted into *count. With p NULL,
 * measured only. */
static uint8_t *put_array(uint8_t *p, int type, bool complete, const cfclip_hvcc *base,
                          const cfclip_nal *extra, int n_extra, size_t *size, int *count) {
    const cfclip_nal *lists[2] = {base->sets, extra};
    int lens[2] = {base->n_sets, n_extra};
    *count = 0;
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < lens[l]; i++)
            *count += lists[l][i].size >= 2 && hevc_type(lists[l][i].data) == type;
    if (!*count) return p;
    *size += 3;
    if (p) *p++ = (uint8_t)((complete ? 0x80 : 0) | type), p = put16(p, (size_t)*count);
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < lens[l]; i++) {
            const cfclip_nal *u = &lists[l][i];
            if (u->size < 2 || hevc_type(u->data) != type) continue;
            *size += 2 + u->size;
            if (p) p = put16(p, u->size), memcpy(p, u->data, u->size), p += u->size;
        }
    return p;
}

/* Every array of the record: VPS, SPS, PPS (base's and extra's, complete), then base's other
 * types in the order they come (extra's not taken). */
static uint8_t *put_arrays(uint8_t *p, const cfclip_hvcc *base, const cfclip_nal *extra, int n_extra,
                           size_t *size, int *arrays) {
    int count;
    *arrays = 0;
    for (int type = 32; type <= 34; type++) {
        p = put_array(p, type, true, base, extra, n_extra, size, &count);
        *arrays += count > 0;
    }
    for (int i = 0; i < base->n_sets; i++) {
        int type = hevc_type(base->sets[i].data);
        bool first = type < 32 || type > 34;
        for (int k = 0; k < i && first; k++) first = hevc_type(base->sets[k].data) != type;
        if (!first) continue;
        p = put_array(p, type, false, base, NULL, 0, size, &count);
        (*arrays)++;
    }
    return p;
}

int cfclip_hvcc_build(const uint8_t *d, size_t n, const cfclip_nal *extra, int n_extra, uint8_t **out,
                      size_t *out_size) {
    cfclip_hvcc base;
    *out = NULL;
    if (cfclip_hvcc_parse(d, n, &base) < 0 || n_extra < 0 || n_extra > CFCLIP_HVCC_MAX_SETS - base.n_sets)
        return -1;
    for (int i = 0; i < base.n_sets; i++)
        if (base.sets[i].size < 2) return -1;
    for (int i = 0; i < n_extra; i++)
        if (extra[i].size > 0xffff) return -1;
    size_t size = 23;
    int arrays;
    put_arrays(NULL, &base, extra, n_extra, &size, &arrays);
    uint8_t *p = malloc(size);
    if (!p) return -1;
    *out = p;
    *out_size = size;
    memcpy(p, d, 22);
    p[22] = (uint8_t)arrays;
    size_t written = 23;
    put_arrays(p + 23, &base, extra, n_extra, &written, &arrays);
    return 0;
}

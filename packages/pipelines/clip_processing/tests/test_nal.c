/* test_nal.c — HEVC parameter set renumbering (nal.c) on units built bit by bit here: the ids a
 * VPS, SPS, PPS and slice carry are rewritten and nothing else moves, emulation prevention bytes
 * are taken out and put back, a slice's data shifts by whole bytes only; free ids avoid the
 * source's; the hvc1 record keeps the source's header and holds every set, marked complete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nal.h"

/* ---- a small bit writer for the units of the tests (RBSP, then escaped) ---- */

typedef struct wr {
    uint8_t d[256];
    size_t pos;
} wr;

static void bits_put(wr *w, unsigned long v, int k) {
    while (k-- > 0) {
        if ((v >> k) & 1) w->d[w->pos >> 3] |= (uint8_t)(0x80 >> (w->pos & 7));
        w->pos++;
    }
}

static void ue_put(wr *w, unsigned long v) {
    int len = 0;
    while ((v + 1) >> (len + 1)) len++;
    bits_put(w, 0, len);
    bits_put(w, v + 1, len + 1);
}

/* Ends the RBSP (stop bit, alignment), escapes it behind a two-byte header of type; the unit's
 * size. */
static size_t finish(wr *w, int type, uint8_t *out) {
    bits_put(w, 1, 1);
    size_t m = (w->pos + 7) / 8, n = 2, zeros = 0;
    out[0] = (uint8_t)(type << 1);
    out[1] = 1;
    for (size_t i = 0; i < m; i++) {
        if (zeros >= 2 && w->d[i] <= 3) out[n++] = 3, zeros = 0;
        out[n++] = w->d[i];
        zeros = w->d[i] == 0 ? zeros + 1 : 0;
    }
    return n;
}

static size_t make_vps(int id, uint8_t *out) {
    wr w = {0};
    bits_put(&w, (unsigned)id, 4);
    bits_put(&w, 0x3, 2);
    bits_put(&w, 0, 6);
    bits_put(&w, 0xabcdef, 24); /* stands for the rest */
    return finish(&w, 32, out);
}

/* An SPS with one sub-layer above the base (so the profile_tier_level has sub-layer flags) */
static size_t make_sps(int vps, int id, uint8_t *out) {
    wr w = {0};
    bits_put(&w, (unsigned)vps, 4);
    bits_put(&w, 1, 3); /* sps_max_sub_layers_minus1 */
    bits_put(&w, 1, 1);
    bits_put(&w, 0x01600000, 32); /* general profile space, tier, idc, first compatibility bits */
    bits_put(&w, 0, 32);
    bits_put(&w, 0, 24);
    bits_put(&w, 93, 8); /* general_level_idc */
    bits_put(&w, 1, 2);  /* sub-layer 0: level present, profile not */
    bits_put(&w, 0, 14); /* reserved_zero_2bits for sub-layers 1-7 */
    bits_put(&w, 90, 8); /* its level */
    ue_put(&w, (unsigned)id);
    ue_put(&w, 1);            /* chroma_format_idc */
    bits_put(&w, 0x0000, 16); /* zeros: emulation prevention after the id */
    bits_put(&w, 0x01, 8);
    return finish(&w, 33, out);
}

static size_t make_pps(int id, int sps, uint8_t *out) {
    wr w = {0};
    ue_put(&w, (unsigned)id);
    ue_put(&w, (unsigned)sps);
    bits_put(&w, 0x5a, 8);
    return finish(&w, 34, out);
}

/* A slice segment of type: its header (the PPS id and eight more bits) aligned, then data bytes
 * with zeros that need emulation prevention. */
static size_t make_slice(int type, int pps, uint8_t *out) {
    wr w = {0};
    bits_put(&w, 1, 1);
    if (type >= 16 && type <= 23) bits_put(&w, 0, 1);
    ue_put(&w, (unsigned)pps);
    bits_put(&w, 0xc3, 8);
    bits_put(&w, 1, 1); /* byte_alignment() */
    w.pos = (w.pos + 7) / 8 * 8;
    static const uint8_t data[] = {0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x00, 0x02, 0x55};
    for (size_t i = 0; i < sizeof data; i++) bits_put(&w, data[i], 8);
    return finish(&w, type, out); /* rbsp_slice_segment_trailing_bits */
}

static void renumbered(const uint8_t *u, size_t n, const cfclip_hevc_ids *ids, uint8_t *out, size_t *out_n) {
    uint8_t *r;
    size_t size;
    cfclip_nal nal = {u, n};
    assert_int_equal(cfclip_hevc_renumber(&nal, ids, &r, &size), 0);
    assert_true(size <= 256);
    memcpy(out, r, size);
    *out_n = size;
    free(r);
}

static void expect_same(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
}

static void test_parameter_sets_take_the_new_ids_and_nothing_else_changes(void **state) {
    (void)state;
    uint8_t u[256], want[256], got[256];
    size_t n, nw, ng;
    cfclip_hevc_ids ids = {.vps = 3, .sps = 5, .pps = 15};
    n = make_vps(0, u);
    renumbered(u, n, &ids, got, &ng);
    nw = make_vps(3, want);
    expect_same(got, ng, want, nw);
    assert_int_equal(cfclip_hevc_ps_id(&(cfclip_nal){got, ng}), 3);

    n = make_sps(0, 0, u);
    renumbered(u, n, &ids, got, &ng);
    nw = make_sps(3, 5, want);
    expect_same(got, ng, want, nw);
    assert_int_equal(cfclip_hevc_ps_id(&(cfclip_nal){got, ng}), 5);

    n = make_pps(0, 0, u);
    renumbered(u, n, &ids, got, &ng);
    nw = make_pps(15, 5, want);
    expect_same(got, ng, want, nw);
    assert_int_equal(cfclip_hevc_ps_id(&(cfclip_nal){got, ng}), 15);
    /* and back */
    cfclip_hevc_ids zero = {0, 0, 0};
    renumbered(want, nw, &zero, got, &ng);
    expect_same(got, ng, u, n);
}

static void test_slices_move_their_data_by_whole_bytes(void **state) {
    (void)state;
    uint8_t u[256], want[256], got[256];
    cfclip_hevc_ids ids = {.vps = 1, .sps = 1, .pps = 15};
    int types[] = {1, 19, 21}; /* a trailing picture, an IDR and a CRA (one more header bit) */
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        size_t n = make_slice(types[i], 0, u), nw = make_slice(types[i], 15, want), ng;
        renumbered(u, n, &ids, got, &ng);
        expect_same(got, ng, want, nw);
    }
    /* ue(0) is 1 bit, ue(1) 3: the data would move by 2 bits, which the aligned header forbids */
    size_t n = make_slice(1, 0, u);
    uint8_t *r = NULL;
    size_t size;
    ids.pps = 1;
    assert_int_equal(cfclip_hevc_renumber(&(cfclip_nal){u, n}, &ids, &r, &size), -1);
    assert_null(r);
    /* a unit cut short inside its id */
    uint8_t cut[] = {0x02, 0x01, 0x80 >> 1};
    assert_int_equal(cfclip_hevc_renumber(&(cfclip_nal){cut, 3}, &ids, &r, &size), -1);
}

static void test_free_ids_avoid_the_sources(void **state) {
    (void)state;
    uint8_t vps[64], sps[64], pps0[64], pps15[64];
    cfclip_nal sets[] = {{vps, make_vps(0, vps)},
                         {sps, make_sps(0, 0, sps)},
                         {pps0, make_pps(0, 0, pps0)},
                         {pps15, make_pps(15, 0, pps15)}};
    cfclip_hevc_ids ids;
    assert_int_equal(cfclip_hevc_free_ids(sets, 4, 0, &ids), 0);
    assert_int_equal(ids.vps, 1);
    assert_int_equal(ids.sps, 1);
    assert_int_equal(ids.pps, 16); /* 15 is taken; 16-30 are 9 bits like 15 */
    assert_int_equal(cfclip_hevc_free_ids(sets, 2, 0, &ids), 0);
    assert_int_equal(ids.pps, 0); /* no PPS in the source: the encoder's own id */
    assert_int_equal(cfclip_hevc_free_ids(sets, 4, 64, &ids), -1);
}

static void test_the_hvc1_record_holds_every_set_marked_complete(void **state) {
    (void)state;
    uint8_t rec[256] = {1}, vps[64], sps[64], pps[64], sei[] = {39 << 1, 1, 5, 1, 0x80};
    for (int i = 1; i < 21; i++) rec[i] = (uint8_t)(0x10 + i);
    rec[21] = 0x0f; /* 4-byte lengths */
    size_t at = 23;
    cfclip_nal units[] = {
        {vps, make_vps(0, vps)}, {sps, make_sps(0, 0, sps)}, {pps, make_pps(0, 0, pps)}, {sei, sizeof sei}};
    for (int i = 0; i < 4; i++) { /* one array per unit, the SEI's first, none complete */
        rec[at++] = (uint8_t)((units[3 - i].data[0] >> 1) & 0x3f);
        rec[at++] = 0, rec[at++] = 1;
        rec[at++] = 0, rec[at++] = (uint8_t)units[3 - i].size;
        memcpy(rec + at, units[3 - i].data, units[3 - i].size);
        at += units[3 - i].size;
    }
    rec[22] = 4;
    uint8_t esps[64], epps[64];
    cfclip_nal extra[] = {{esps, make_sps(0, 1, esps)}, {epps, make_pps(16, 1, epps)}, {sei, sizeof sei}};
    uint8_t *out;
    size_t size;
    assert_int_equal(cfclip_hvcc_build(rec, at, extra, 3, &out, &size), 0);
    assert_memory_equal(out, rec, 22);
    cfclip_hvcc h;
    assert_int_equal(cfclip_hvcc_parse(out, size, &h), 0);
    assert_int_equal(h.n_sets, 6); /* the extra SEI is not taken */
    int types[] = {32, 33, 33, 34, 34, 39};
    for (int i = 0; i < 6; i++) assert_int_equal((h.sets[i].data[0] >> 1) & 0x3f, types[i]);
    assert_int_equal(cfclip_hevc_ps_id(&h.sets[2]), 1);
    assert_int_equal(cfclip_hevc_ps_id(&h.sets[4]), 16);
    assert_int_equal(out[23], 0x80 | 32); /* parameter set arrays complete, the SEI's not */
    assert_int_equal(out[size - sizeof sei - 5], 39);
    free(out);
    /* in-band sets: the source's own SPS, or another */
    cfclip_hvcc src;
    assert_int_equal(cfclip_hvcc_parse(rec, at, &src), 0);
    for (int k = 0; k < 2; k++) {
        const cfclip_nal *u = k ? &extra[0] : &units[1];
        uint8_t au[128];
        size_t n = 0;
        au[n++] = 0, au[n++] = 0, au[n++] = 0, au[n++] = (uint8_t)u->size;
        memcpy(au + n, u->data, u->size);
        n += u->size;
        assert_int_equal(cfclip_hevc_sets_in(au, n, 4, &src), k ? 2 : 1);
    }
}

static void test_access_units_lose_their_sets_and_their_slices_are_renumbered(void **state) {
    (void)state;
    uint8_t au[256], slice[64], sps[64], aud[] = {35 << 1, 1, 0x50};
    size_t ns = make_slice(19, 0, slice), np = make_sps(0, 0, sps), n = 0;
    const cfclip_nal units[] = {{aud, sizeof aud}, {sps, np}, {slice, ns}};
    for (int i = 0; i < 3; i++) {
        au[n++] = 0, au[n++] = 0, au[n++] = 0, au[n++] = (uint8_t)units[i].size;
        memcpy(au + n, units[i].data, units[i].size);
        n += units[i].size;
    }
    cfclip_hevc_ids ids = {1, 1, 15};
    uint8_t *out, want[64];
    size_t size, nw = make_slice(19, 15, want);
    assert_int_equal(cfclip_mp4_hevc_rewrite(au, n, 4, &ids, &out, &size), 0);
    assert_int_equal(size, 4 + nw);
    assert_int_equal(out[3], nw);
    assert_memory_equal(out + 4, want, nw);
    free(out);
    assert_int_equal(cfclip_mp4_hevc_rewrite(au, n, 4, NULL, &out, &size), 0);
    assert_int_equal(size, 4 + ns);
    assert_memory_equal(out + 4, slice, ns);
    free(out);
    assert_int_equal(cfclip_mp4_hevc_rewrite(au, n - 1, 4, NULL, &out, &size), -1); /* cut short */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parameter_sets_take_the_new_ids_and_nothing_else_changes),
        cmocka_unit_test(test_slices_move_their_data_by_whole_bytes),
        cmocka_unit_test(test_free_ids_avoid_the_sources),
        cmocka_unit_test(test_the_hvc1_record_holds_every_set_marked_complete),
        cmocka_unit_test(test_access_units_lose_their_sets_and_their_slices_are_renumbered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

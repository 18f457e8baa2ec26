/* jump_cut.c — jump cuts (see clipforge/jump_cut.h): the plan of a span without its pauses, the
 * timeline that plays it, and caption words moved onto it. Settings: the options' min_pause_ms,
 * margin_ms and the canvas fps (pieces last whole frames, so the sound of each piece ends where
 * its pictures do and the joints add no drift), the drops (filler words) and keep_pauses. */
#include "clipforge/jump_cut.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/json.h"

static int by_start(const void *a, const void *b) {
    const cf_time_range *x = a, *y = b;
    return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

/* The sounding stretches clipped to [s, e), sorted and merged; returns their count. */
static size_t merged_sound(const cf_time_range *in, size_t n, int64_t s, int64_t e, cf_time_range *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t a = in[i].start_ms > s ? in[i].start_ms : s, b = in[i].end_ms < e ? in[i].end_ms : e;
        if (b > a) out[k++] = (cf_time_range){a, b};
    }
    qsort(out, k, sizeof *out, by_start);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m && out[i].start_ms <= out[m - 1].end_ms) {
            if (out[i].end_ms > out[m - 1].end_ms) out[m - 1].end_ms = out[i].end_ms;
        } else out[m++] = out[i];
    }
    return m;
}

/* The sound less the drops; a fragment shorter than CF_JUMP_CUT_MIN_SOUND_MS left beside a drop
 * is the drop's own edge heard by the voice activity, not a word, and goes too. Returns the
 * count (at most m + n_drop); snd stays sorted. */
static size_t without_drops(const cf_time_range *snd, size_t m, const cf_time_range *drop, size_t n_drop,
                            cf_time_range *out) {
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        int64_t at = snd[i].start_ms;
        bool after_drop = false;
        for (;;) {
            const cf_time_range *next = NULL; /* the earliest drop overlapping [at, end) */
            for (size_t d = 0; d < n_drop; d++)
                if (drop[d].end_ms > at && drop[d].start_ms < snd[i].end_ms &&
                    (!next || drop[d].start_ms < next->start_ms))
                    next = &drop[d];
            int64_t b = next ? next->start_ms : snd[i].end_ms;
            bool beside = after_drop || next;
            if (b > at && (!beside || b - at >= CF_JUMP_CUT_MIN_SOUND_MS)) out[k++] = (cf_time_range){at, b};
            if (!next) break;
            at = next->end_ms;
            after_drop = true;
        }
    }
    return k;
}

/* The drops whose middle lies in [a, b]: the first one's start and the last one's end; false
 * when there is none. */
static bool drops_in(const cf_time_range *drop, size_t n, int64_t a, int64_t b, int64_t *first,
                     int64_t *last) {
    bool any = false;
    for (size_t d = 0; d < n; d++) {
        int64_t mid = drop[d].start_ms + (drop[d].end_ms - drop[d].start_ms) / 2;
        if (mid < a || mid > b) continue;
        if (!any || drop[d].start_ms < *first) *first = drop[d].start_ms;
        if (!any || drop[d].end_ms > *last) *last = drop[d].end_ms;
        any = true;
    }
    return any;
}

/* The pauses to remove: gaps of min_pause or more (unless keep_pauses) and gaps holding a drop,
 * less a margin at each edge that touches speech (the span's own ends are cuts already; a drop
 * is never kept to make room for a margin). Returns their count (at most m + 1). */
static size_t pauses(const cf_time_range *snd, size_t m, int64_t s, int64_t e, int64_t min_pause,
                     int64_t margin, const cf_jump_cut_options *o, cf_time_range *out) {
    size_t k = 0;
    for (size_t i = 0; i <= m; i++) {
        int64_t a = i ? snd[i - 1].end_ms : s, b = i < m ? snd[i].start_ms : e, first = 0, last = 0;
        bool filler = o && drops_in(o->drop, o->n_drop, a, b, &first, &last);
        if (!filler && ((o && o->keep_pauses) || b - a < min_pause)) continue;
        bool only = filler && o->keep_pauses; /* a pause at the span's end is not cut then either */
        if (i) a = filler && a + margin > first ? first : a + margin;
        else if (only) a = first;
        if (i < m) b = filler && b - margin < last ? last : b - margin;
        else if (only) b = last;
        if (b > a) out[k++] = (cf_time_range){a, b};
    }
    return k;
}

/* Keeps the longest inner pauses when there are more joints than a timeline has scenes. */
static size_t limit_joints(cf_time_range *p, size_t k, int64_t s, int64_t e, size_t max_pieces) {
    for (;;) {
        size_t inner = 0, shortest = k;
        for (size_t i = 0; i < k; i++) {
            if (p[i].start_ms == s || p[i].end_ms == e) continue;
            inner++;
            if (shortest == k || p[i].end_ms - p[i].start_ms < p[shortest].end_ms - p[shortest].start_ms)
                shortest = i;
        }
        if (inner < max_pieces) return k;
        memmove(&p[shortest], &p[shortest + 1], (k - shortest - 1) * sizeof *p);
        k--;
    }
}

/* The pieces between the pauses; each but the last ends on a whole frame. */
static size_t pieces(const cf_time_range *p, size_t k, int64_t s, int64_t e, double fps, cf_time_range *out) {
    size_t n = 0;
    int64_t at = s;
    for (size_t i = 0; i <= k; i++) {
        int64_t b = i < k ? p[i].start_ms : e;
        if (b > at) out[n++] = (cf_time_range){at, b};
        if (i < k) at = p[i].end_ms;
    }
    for (size_t i = 0; fps > 0 && i + 1 < n; i++) {
        double frames = fmax(1.0, round((double)(out[i].end_ms - out[i].start_ms) * fps / 1000.0));
        int64_t end = out[i].start_ms + (int64_t)floor(frames * 1000.0 / fps);
        out[i].end_ms = end < out[i + 1].start_ms ? end : out[i + 1].start_ms;
    }
    return n;
}

static size_t gaps_between(const cf_time_range *keep, size_t n, int64_t s, int64_t e, cf_time_range *out) {
    size_t k = 0;
    for (size_t i = 0; i <= n; i++) {
        int64_t a = i ? keep[i - 1].end_ms : s, b = i < n ? keep[i].start_ms : e;
        if (b > a) out[k++] = (cf_time_range){a, b};
    }
    return k;
}

cf_err cf_jump_cut_plan(const cf_time_range *sound, size_t n_sound, int64_t start_ms, int64_t end_ms,
                        const cf_jump_cut_options *opts, cf_jump_cut *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (end_ms <= start_ms) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "jump cut: an empty span");
    int64_t min_pause = opts && opts->min_pause_ms > 0 ? opts->min_pause_ms : CF_JUMP_CUT_MIN_PAUSE_MS;
    int64_t margin = opts && opts->margin_ms > 0 ? opts->margin_ms : CF_JUMP_CUT_MARGIN_MS;
    size_t max_pieces = opts && opts->max_pieces ? opts->max_pieces : CF_JUMP_CUT_MAX_PIECES;
    size_t n_drop = opts && opts->drop ? opts->n_drop : 0, cap = n_sound + n_drop + 2;
    cf_time_range *snd = malloc(cap * sizeof *snd), *kept = malloc(cap * sizeof *kept),
                  *p = malloc(cap * sizeof *p);
    out->keep = malloc(cap * sizeof *out->keep);
    out->removed = malloc(cap * sizeof *out->removed);
    if (!snd || !kept || !p || !out->keep || !out->removed) {
        free(snd), free(kept), free(p), cf_jump_cut_free(out);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    size_t m = merged_sound(sound, n_sound, start_ms, end_ms, snd);
    if (n_drop) m = without_drops(snd, m, opts->drop, n_drop, kept);
    else memcpy(kept, snd, m * sizeof *kept);
    size_t k = m || n_drop ? pauses(kept, m, start_ms, end_ms, min_pause, margin, opts, p) : 0;
    k = limit_joints(p, k, start_ms, end_ms, max_pieces);
    out->n_keep = pieces(p, k, start_ms, end_ms, opts ? opts->fps : 0, out->keep);
    out->n_removed = gaps_between(out->keep, out->n_keep, start_ms, end_ms, out->removed);
    for (size_t i = 0; i < out->n_keep; i++) out->duration_ms += out->keep[i].end_ms - out->keep[i].start_ms;
    free(snd), free(kept), free(p);
    if (out->n_keep) return CF_OK;
    cf_jump_cut_free(out);
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "jump cut: nothing of the span is left");
}

int64_t cf_jump_cut_map(const cf_jump_cut *c, int64_t t) {
    int64_t acc = 0;
    for (size_t i = 0; i < c->n_keep; i++) {
        const cf_time_range *k = &c->keep[i];
        if (t < k->start_ms) return acc;
        if (t <= k->end_ms) return acc + t - k->start_ms;
        acc += k->end_ms - k->start_ms;
    }
    return acc;
}

cf_err cf_jump_cut_timeline(const cf_jump_cut *c, cf_timeline *tl, cf_error *err) {
    if (tl->n_scenes != 1 || !c->n_keep)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "jump cut: the timeline must have one scene (has %zu)", tl->n_scenes);
    cf_timeline_scene *s = realloc(tl->scenes, c->n_keep * sizeof *s);
    if (!s) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    tl->scenes = s;
    for (size_t i = 1; i < c->n_keep; i++, tl->n_scenes++) {
        cf_timeline_scene_init(&s[i]);
        s[i].layout = s[0].layout;
        s[i].has_audio_stream = s[0].has_audio_stream, s[i].audio_stream = s[0].audio_stream;
        if (!(s[i].source_uri = strdup(s[0].source_uri)))
            return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < c->n_keep; i++) s[i].in_ms = c->keep[i].start_ms, s[i].out_ms = c->keep[i].end_ms;
    for (size_t i = 0; i < tl->n_overlays;) {
        cf_timeline_overlay *o = &tl->overlays[i];
        if (o->end_ms > c->duration_ms) o->end_ms = c->duration_ms;
        if (o->start_ms < o->end_ms) {
            i++;
            continue;
        }
        cf_timeline_overlay_free(o);
        memmove(o, o + 1, (tl->n_overlays - i - 1) * sizeof *o);
        tl->n_overlays--;
    }
    if (tl->captions) tl->captions->offset_ms = 0;
    return CF_OK;
}

/* The piece holding t, or NULL. */
static const cf_time_range *piece_of(const cf_jump_cut *c, int64_t t) {
    for (size_t i = 0; i < c->n_keep; i++)
        if (t >= c->keep[i].start_ms && t < c->keep[i].end_ms) return &c->keep[i];
    return NULL;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* Moves the words of src whose middle is played into seg; false when out of memory. */
static bool cut_segment(const cf_jump_cut *c, const cf_transcript_segment *src, cf_transcript_segment *seg) {
    cf_transcript_segment_init(seg);
    if (!(seg->words = calloc(src->n_words ? src->n_words : 1, sizeof *seg->words))) return false;
    for (size_t i = 0; i < src->n_words; i++) {
        const cf_transcript_word *w = &src->words[i];
        const cf_time_range *k = piece_of(c, w->start_ms + (w->end_ms - w->start_ms) / 2);
        if (!k) continue;
        cf_transcript_word *o = &seg->words[seg->n_words];
        cf_transcript_word_init(o);
        o->start_ms = cf_jump_cut_map(c, clamp64(w->start_ms, k->start_ms, k->end_ms));
        o->end_ms = cf_jump_cut_map(c, clamp64(w->end_ms, k->start_ms, k->end_ms));
        o->confidence = w->confidence;
        if (!(o->word = strdup(w->word))) return false;
        seg->n_words++;
    }
    if (seg->n_words) {
        seg->start_ms = seg->words[0].start_ms, seg->end_ms = seg->words[seg->n_words - 1].end_ms;
        if (!(seg->text = strdup(src->text ? src->text : ""))) return false;
    }
    return true;
}

cf_err cf_jump_cut_transcript(const cf_jump_cut *c, const cf_transcript *src, cf_transcript *out,
                              cf_error *err) {
    cf_transcript_init(out);
    out->duration_ms = c->duration_ms;
    out->language = strdup(src->language ? src->language : "en-us");
    out->model = strdup(src->model ? src->model : "unknown");
    out->segments = calloc(src->n_segments ? src->n_segments : 1, sizeof *out->segments);
    bool ok = out->language && out->model && out->segments;
    for (size_t s = 0; ok && s < src->n_segments; s++) {
        cf_transcript_segment *seg = &out->segments[out->n_segments];
        ok = cut_segment(c, &src->segments[s], seg);
        if (!ok || seg->n_words) out->n_segments++;
        else cf_transcript_segment_free(seg);
    }
    if (ok) return CF_OK;
    cf_transcript_free(out);
    return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

cf_err cf_jump_cut_captions(const cf_jump_cut *c, const cf_transcript *t, const char *path, cf_timeline *tl,
                            cf_error *err) {
    cf_transcript moved;
    cf_err rc = cf_jump_cut_transcript(c, t, &moved, err);
    if (rc) return rc;
    json_t *j = cf_transcript_to_json(&moved);
    cf_transcript_free(&moved);
    rc = j ? cf_json_write_file(j, path, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    json_decref(j);
    char *uri = rc ? NULL : strdup(path);
    if (!rc && !uri) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc) return rc;
    free(tl->captions->source_uri);
    tl->captions->source_uri = uri;
    return CF_OK;
}

void cf_jump_cut_free(cf_jump_cut *c) {
    if (!c) return;
    free(c->keep);
    free(c->removed);
    memset(c, 0, sizeof *c);
}

cf_err cf_jump_cut_copy_removed(const cf_time_range *removed, size_t n, cf_time_range **out, size_t *n_out,
                                cf_error *err) {
    *out = NULL;
    *n_out = 0;
    if (!n) return CF_OK;
    if (!(*out = malloc(n * sizeof **out))) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    memcpy(*out, removed, n * sizeof **out);
    *n_out = n;
    return CF_OK;
}

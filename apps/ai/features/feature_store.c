/* feature_store.c — feature tracks in object storage by content hash (see feature_store.h). */
#include "features/feature_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clipforge/json.h"
#include "clipforge/log.h"

#define PREFIX "features/"
#define FORMAT 1
#define HEADER 56
#define MAX_OBJECT (256u << 20)
#define MAX_META (64u << 10)

enum { FLAG_AUDIO = 1, FLAG_VIDEO = 2, FLAG_TRANSCRIPT = 4 };

/* ---- little-endian fields ------------------------------------------------------------------ */

static bool host_le(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static void put_le(unsigned char *p, const void *v, size_t n) {
    const unsigned char *b = v;
    for (size_t i = 0; i < n; i++) p[i] = b[host_le() ? i : n - 1 - i];
}

static void get_le(const unsigned char *p, void *v, size_t n) {
    unsigned char *b = v;
    for (size_t i = 0; i < n; i++) b[host_le() ? i : n - 1 - i] = p[i];
}

/* ---- encoding ------------------------------------------------------------------------------ */

static json_t *description(const cf_feature_track *t, const json_t *meta) {
    char at[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *d = json_pack("{s:s, s:i, s:f, s:s, s:s, s:f}", "stored_at", at, "extractor",
                          cf_features_version(), "decode_ms", t->decode_ms, "events_model", t->events_model,
                          "left_out", t->left_out, "gain_db", t->gain_db);
    if (meta) json_object_update(d, (json_t *)meta);
    return d;
}

cf_err cf_feature_track_encode(const cf_feature_track *t, const json_t *meta, unsigned char **buf,
                               size_t *len, cf_error *err) {
    json_t *d = description(t, meta);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    size_t mlen = text ? strlen(text) : 0, rows = t->n_hops * CF_FEAT_COUNT;
    unsigned char *b = text && mlen <= MAX_META ? malloc(HEADER + mlen + rows * 4) : NULL;
    if (!b) {
        free(text);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "feature store: out of memory");
    }
    uint32_t u[6] = {FORMAT,
                     (uint32_t)cf_features_version(),
                     CF_FEAT_COUNT,
                     (uint32_t)t->hop_ms,
                     (t->has_audio ? FLAG_AUDIO : 0) | (t->has_video ? FLAG_VIDEO : 0) |
                         (t->has_transcript ? FLAG_TRANSCRIPT : 0),
                     0};
    uint64_t hops = t->n_hops;
    uint32_t ml = (uint32_t)mlen, reserved = 0;
    memcpy(b, "CFFS", 4);
    for (int i = 0; i < 5; i++) put_le(b + 4 + 4 * i, &u[i], 4);
    put_le(b + 24, &hops, 8);
    put_le(b + 32, &t->duration_ms, 8);
    put_le(b + 40, &t->integrated_lufs, 8);
    put_le(b + 48, &ml, 4);
    put_le(b + 52, &reserved, 4);
    memcpy(b + HEADER, text, mlen);
    for (size_t i = 0; i < rows; i++) put_le(b + HEADER + mlen + 4 * i, &t->v[i], 4);
    free(text);
    *buf = b;
    *len = HEADER + mlen + rows * 4;
    return CF_OK;
}

static cf_err bad(cf_error *err, const char *why) {
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "feature store: %s", why);
}

cf_err cf_feature_track_decode(const unsigned char *buf, size_t len, cf_feature_track **out, json_t **meta,
                               cf_error *err) {
    uint32_t u[5], ml = 0;
    uint64_t hops = 0;
    if (len < HEADER || memcmp(buf, "CFFS", 4)) return bad(err, "not a feature track");
    for (int i = 0; i < 5; i++) get_le(buf + 4 + 4 * i, &u[i], 4);
    get_le(buf + 24, &hops, 8);
    get_le(buf + 48, &ml, 4);
    if (u[0] != FORMAT || u[1] != (uint32_t)cf_features_version() || u[2] != CF_FEAT_COUNT ||
        u[3] != CF_HL_HOP_MS)
        return bad(err, "a track of another format or extractor version");
    if (hops == 0 || hops > (1u << 26) || ml > MAX_META || len != HEADER + ml + hops * CF_FEAT_COUNT * 4)
        return bad(err, "truncated or damaged track");
    cf_feature_track *t = calloc(1, sizeof *t);
    if (!t || !(t->v = malloc(hops * CF_FEAT_COUNT * sizeof *t->v))) {
        free(t);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "feature store: out of memory");
    }
    t->n_hops = hops;
    t->hop_ms = CF_HL_HOP_MS;
    get_le(buf + 32, &t->duration_ms, 8);
    get_le(buf + 40, &t->integrated_lufs, 8);
    t->has_audio = u[4] & FLAG_AUDIO;
    t->has_video = u[4] & FLAG_VIDEO;
    t->has_transcript = u[4] & FLAG_TRANSCRIPT;
    t->from_cache = true;
    for (size_t i = 0; i < hops * CF_FEAT_COUNT; i++) get_le(buf + HEADER + ml + 4 * i, &t->v[i], 4);
    json_t *m = json_loadb((const char *)buf + HEADER, ml, 0, NULL);
    const char *events = json_string_value(json_object_get(m, "events_model")); /* audio events' model */
    if (events) snprintf(t->events_model, sizeof t->events_model, "%s", events);
    const char *left_out = json_string_value(json_object_get(m, "left_out")); /* streams not analysed */
    if (left_out) snprintf(t->left_out, sizeof t->left_out, "%s", left_out);
    /* a quiet recording's sound was analysed this much louder (features.c) */
    t->gain_db = json_real_value(json_object_get(m, "gain_db"));
    if (meta) *meta = m;
    else json_decref(m);
    *out = t;
    return CF_OK;
}

/* ---- the store ----------------------------------------------------------------------------- */

cf_err cf_feature_store_open(cf_storage *storage, const char *memo_dir, cf_feature_store **out,
                             cf_error *err) {
    cf_feature_store *fs = calloc(1, sizeof *fs);
    if (!fs || (memo_dir && !(fs->memo_dir = strdup(memo_dir)))) {
        free(fs);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    fs->storage = storage;
    *out = fs;
    return CF_OK;
}

void cf_feature_store_free(cf_feature_store *fs) {
    if (!fs) return;
    free(fs->memo_dir);
    free(fs);
}

/* features/v<extractor>/<sha256>.<audio-events model, or none>.cft: a track's event columns
 * depend on the model that filled them, so nodes on different models never share one. */
static void object_key(const char *sha256, const char *events, char *key, size_t cap) {
    snprintf(key, cap, PREFIX "v%d/%s.%s.cft", cf_features_version(), sha256,
             events && *events ? events : "none");
}

/* Reads the whole object at key into a malloc'd buffer. */
static cf_err read_object(cf_storage *s, const char *key, unsigned char **buf, size_t *len, cf_error *err) {
    int fd = -1;
    cf_storage_info st;
    cf_err rc = cf_storage_open_read(s, key, &fd, &st, err);
    if (rc) return rc;
    unsigned char *b = st.size > 0 && st.size <= MAX_OBJECT ? malloc((size_t)st.size) : NULL;
    size_t got = 0;
    ssize_t n = 0;
    while (b && got < (size_t)st.size && (n = read(fd, b + got, (size_t)st.size - got)) > 0) got += (size_t)n;
    close(fd);
    if (!b || got != (size_t)st.size) {
        free(b);
        return cf_error_set(err, CF_ERR_IO, "feature store: cannot read %s", key);
    }
    *buf = b;
    *len = got;
    return CF_OK;
}

cf_err cf_feature_store_get(cf_feature_store *fs, const char *sha256, const char *events,
                            cf_feature_track **out, json_t **meta, cf_error *err) {
    *out = NULL;
    if (!cf_sha256_valid(sha256)) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bad content hash");
    char key[256];
    object_key(sha256, events, key, sizeof key);
    unsigned char *buf = NULL;
    size_t len = 0;
    cf_err rc = read_object(fs->storage, key, &buf, &len, err);
    if (!rc) rc = cf_feature_track_decode(buf, len, out, meta, err);
    free(buf);
    if (rc && rc != CF_ERR_NOT_FOUND) cf_log_warn("features", "%s: %s (decoding again)", key, err->msg);
    if (rc) {
        atomic_fetch_add(&fs->misses, 1);
        return cf_error_set(err, CF_ERR_NOT_FOUND, "no stored features for %s", sha256);
    }
    atomic_fetch_add(&fs->hits, 1);
    return CF_OK;
}

cf_err cf_feature_store_put(cf_feature_store *fs, const char *sha256, const cf_feature_track *t,
                            const json_t *meta, cf_error *err) {
    if (!cf_sha256_valid(sha256)) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "bad content hash");
    char key[256];
    object_key(sha256, t->events_model, key, sizeof key);
    unsigned char *buf = NULL;
    size_t len = 0;
    cf_storage_writer *w = NULL;
    cf_err rc = cf_feature_track_encode(t, meta, &buf, &len, err);
    if (!rc) rc = cf_storage_put_begin(fs->storage, key, &w, err);
    if (!rc && (rc = cf_storage_put_write(fs->storage, w, buf, len, err)) != CF_OK)
        cf_storage_put_abort(fs->storage, w);
    else if (!rc) rc = cf_storage_put_commit(fs->storage, w, err);
    free(buf);
    if (!rc) atomic_fetch_add(&fs->puts, 1);
    return rc;
}

cf_err cf_feature_store_extract(cf_feature_store *fs, const char *path, const cf_feature_options *o,
                                const json_t *meta, cf_progress *progress, cf_feature_track **out,
                                char *sha256, cf_error *err) {
    char hex[CF_SHA256_HEX] = "";
    if (sha256 && cf_sha256_valid(sha256)) memcpy(hex, sha256, CF_SHA256_HEX);
    if (sha256) sha256[0] = '\0';
    if (!fs || !cf_feature_options_keepable(o)) return cf_features_extract(path, o, progress, out, err);
    cf_progress hashing, decoding;
    cf_progress_part(&hashing, progress, 0, CF_HASH_SHARE);
    cf_progress_part(&decoding, progress, CF_HASH_SHARE, 1);
    cf_err rc = hex[0] ? CF_OK : cf_content_hash_file(path, fs->memo_dir, &hashing, hex, err);
    if (rc) return rc;
    if (sha256) memcpy(sha256, hex, CF_SHA256_HEX);
    char events[64]; /* a track whose audio events came from another model is another object */
    cf_audio_events_model_current(o ? o->models_dir : NULL, events, sizeof events);
    cf_error miss;
    if (cf_feature_store_get(fs, hex, events, out, NULL, &miss) == CF_OK) {
        cf_progress_report(progress, 0.95, "stored features");
        return CF_OK;
    }
    if ((rc = cf_features_extract(path, o, &decoding, out, err))) return rc;
    cf_error perr;
    if (cf_feature_store_put(fs, hex, *out, meta, &perr))
        cf_log_warn("features", "cannot store the features of %s: %s", path, perr.msg);
    return CF_OK;
}

/* ---- catalogue ----------------------------------------------------------------------------- */

typedef struct listing {
    cf_feature_entry *e;
    size_t n;
    bool oom;
} listing;

static bool take_entry(void *user, const char *key, const cf_storage_info *st) {
    listing *l = user;
    int v = 0, used = 0;
    size_t n = strlen(key);
    char hex[CF_SHA256_HEX] = "";
    /* features/v<N>/<64 hex>.<events>.cft; anything else is a stray object, not in the catalogue */
    if (sscanf(key, PREFIX "v%d/%n", &v, &used) != 1 || n < (size_t)used + 64 + 6 ||
        strcmp(key + n - 4, ".cft") || key[used + 64] != '.')
        return true;
    memcpy(hex, key + used, 64);
    size_t elen = n - 4 - ((size_t)used + 65);
    if (!cf_sha256_valid(hex) || elen == 0 || elen >= sizeof l->e[0].events) return true;
    cf_feature_entry *grown = realloc(l->e, (l->n + 1) * sizeof *grown);
    if (!grown) return !(l->oom = true);
    l->e = grown;
    cf_feature_entry *e = &l->e[l->n++];
    memcpy(e->sha256, hex, CF_SHA256_HEX);
    snprintf(e->events, sizeof e->events, "%.*s", (int)elen, key + used + 65);
    e->extractor = v;
    e->bytes = st->size;
    e->stored_at = st->mtime;
    e->current = v == cf_features_version();
    return true;
}

/* Older extractors first, by number: the keys' order put v10 before v9. */
static int by_version(const void *a, const void *b) {
    const cf_feature_entry *x = a, *y = b;
    if (x->extractor != y->extractor) return x->extractor < y->extractor ? -1 : 1;
    int c = strcmp(x->sha256, y->sha256);
    return c ? c : strcmp(x->events, y->events);
}

cf_err cf_feature_store_list(cf_feature_store *fs, cf_feature_entry **out, size_t *n, cf_error *err) {
    listing l = {0};
    cf_err rc = cf_storage_list(fs->storage, PREFIX, take_entry, &l, err);
    if (!rc && l.oom) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc) {
        free(l.e);
        return rc;
    }
    if (l.n > 1) qsort(l.e, l.n, sizeof *l.e, by_version);
    *out = l.e;
    *n = l.n;
    return CF_OK;
}

/* feature_cache.c — feature tracks cached on disk so that a second detection of the same media
 * (another profile, engine or model) does not decode again.
 *
 * The key is a 64-bit FNV-1a hash of the file's real path, size, modification time (ns), the
 * extractor version and the feature count: editing or replacing the file, or changing what the
 * features mean, misses the cache; so does a track whose audio-event columns came from another
 * model than the one now installed (its version is in the header). The file is a small header and the float
 * rows, native byte order (the cache is local to the machine), written to a temp file and renamed into place.
 */
#include "feature_cache.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clipforge/fs.h"
#include "clipforge/uri.h"

typedef struct cache_header {
    char magic[4]; /* "CFFT" */
    uint32_t version, n_features, hop_ms, flags;
    uint64_t n_hops;
    int64_t duration_ms;
    double integrated_lufs, gain_db;
    char events_model[48];
} cache_header;

enum { FLAG_AUDIO = 1, FLAG_VIDEO = 2 };

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    /* The analyzer reads the bytes of an initialised int64_t array (the file's identity) as undefined. */
    /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): every byte hashed is set */
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

int cf_features_version(void) {
    return CF_FEATURES_VERSION;
}

char *cf_feature_cache_dir(const char *setting, const char *data_dir) {
    if (!setting || !strcmp(setting, "off")) return NULL;
    return *setting ? strdup(setting) : cf_path_join(data_dir ? data_dir : ".", "features");
}

char *cf_feature_cache_path(const char *cache_dir, const char *path) {
    struct stat st;
    char real[PATH_MAX];
    path = cf_uri_local_path(path);
    if (stat(path, &st) != 0 || !realpath(path, real)) return NULL;
    uint64_t h = 0xcbf29ce484222325ULL;
    int64_t ident[5] = {(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec, (int64_t)st.st_mtim.tv_nsec,
                        CF_FEATURES_VERSION, CF_FEAT_COUNT};
    h = fnv1a(h, real, strlen(real));
    h = fnv1a(h, ident, sizeof ident);
    size_t len = strlen(cache_dir) + 32;
    char *out = malloc(len);
    if (out) snprintf(out, len, "%s/%016llx.cft", cache_dir, (unsigned long long)h);
    return out;
}

cf_err hl_feature_cache_load(const char *file, const char *events_model, cf_feature_track **out) {
    FILE *f = fopen(file, "rb");
    if (!f) return CF_ERR_NOT_FOUND;
    cache_header h;
    cf_feature_track *t = NULL;
    cf_err rc = CF_ERR_NOT_FOUND;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, "CFFT", 4) != 0 ||
        h.version != CF_FEATURES_VERSION || h.n_features != CF_FEAT_COUNT || h.hop_ms != CF_HL_HOP_MS ||
        h.n_hops == 0 || h.n_hops > (1u << 26) ||
        strncmp(h.events_model, events_model, sizeof h.events_model) != 0)
        goto end;
    if (!(t = calloc(1, sizeof *t)) || !(t->v = malloc(h.n_hops * CF_FEAT_COUNT * sizeof(float)))) goto end;
    if (fread(t->v, sizeof(float) * CF_FEAT_COUNT, h.n_hops, f) != h.n_hops) goto end;
    t->n_hops = h.n_hops;
    t->hop_ms = (int)h.hop_ms;
    t->duration_ms = h.duration_ms;
    t->integrated_lufs = h.integrated_lufs;
    t->gain_db = h.gain_db;
    t->has_audio = h.flags & FLAG_AUDIO;
    t->has_video = h.flags & FLAG_VIDEO;
    t->from_cache = true;
    memcpy(t->events_model, h.events_model, sizeof t->events_model);
    t->events_model[sizeof t->events_model - 1] = '\0';
    *out = t;
    t = NULL;
    rc = CF_OK;
end:
    fclose(f);
    cf_feature_track_free(t);
    return rc;
}

cf_err hl_feature_cache_store(const char *file, const cf_feature_track *t, cf_error *err) {
    char *dir = strdup(file);
    if (!dir) return cf_error_set(err, CF_ERR_NO_MEMORY, "feature cache: out of memory");
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    cf_err rc = slash ? cf_mkdir_p(dir, err) : CF_OK;
    free(dir);
    if (rc) return rc;
    size_t len = strlen(file) + 16;
    char *tmp = malloc(len);
    if (!tmp) return cf_error_set(err, CF_ERR_NO_MEMORY, "feature cache: out of memory");
    snprintf(tmp, len, "%s.%d.tmp", file, (int)getpid());
    cache_header h = {.magic = {'C', 'F', 'F', 'T'},
                      .version = CF_FEATURES_VERSION,
                      .n_features = CF_FEAT_COUNT,
                      .hop_ms = CF_HL_HOP_MS,
                      .flags = (t->has_audio ? FLAG_AUDIO : 0) | (t->has_video ? FLAG_VIDEO : 0),
                      .n_hops = t->n_hops,
                      .duration_ms = t->duration_ms,
                      .integrated_lufs = t->integrated_lufs,
                      .gain_db = t->gain_db};
    memcpy(h.events_model, t->events_model, sizeof h.events_model);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(&h, sizeof h, 1, f) == 1 &&
              fwrite(t->v, sizeof(float) * CF_FEAT_COUNT, t->n_hops, f) == t->n_hops;
    if (f && fclose(f) != 0) ok = false;
    if (ok && rename(tmp, file) != 0) ok = false;
    if (!ok) {
        rc = cf_error_set(err, CF_ERR_IO, "feature cache %s: %s", file, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

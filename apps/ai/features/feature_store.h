/* feature_store.h — feature tracks shared by every node through the configured object storage
 * (CLIPFORGE_STORAGE_URL: a local directory, or S3 for a cluster), keyed by the media's content
 * (SHA-256 of its bytes) and the extractor version:
 *
 *     features/v<extractor version>/<sha256>.<audio-events model, or none>.cft
 *
 * The same bytes uploaded twice, analysed by the backend, the inference service, training or
 * evaluation, are decoded once. The object is portable: a fixed little-endian header (magic
 * "CFFS", format, extractor version, feature count, hop, flags, hops, duration, integrated
 * loudness), a JSON description (what was analysed, when, by whom) and the rows as little-endian
 * float32. A stale extractor version lives under another prefix and is never read as current.
 * The catalogue is the storage listing of features/ (`clipforge features ls`). */
#ifndef CLIPFORGE_AI_FEATURE_STORE_H
#define CLIPFORGE_AI_FEATURE_STORE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "clipforge/highlight.h"
#include "clipforge/storage.h"
#include "features/content_hash.h"

typedef struct cf_feature_store {
    cf_storage *storage; /* borrowed */
    char *memo_dir;      /* where content hashes of local files are remembered, or NULL */
    atomic_long hits, misses, puts;
} cf_feature_store;

/* A store over storage (borrowed; must outlive it). memo_dir may be NULL. */
cf_err cf_feature_store_open(cf_storage *storage, const char *memo_dir, cf_feature_store **out,
                             cf_error *err);
void cf_feature_store_free(cf_feature_store *fs);

/* The track stored for sha256 by the current extractor with the audio-events model events ("" =
 * none; cf_audio_events_model_current names the current one). CF_ERR_NOT_FOUND when there is none or
 * the object cannot be read as a current track (never fatal: the caller decodes). *meta
 * (optional) gets the stored description. */
cf_err cf_feature_store_get(cf_feature_store *fs, const char *sha256, const char *events,
                            cf_feature_track **out, json_t **meta, cf_error *err);
/* Stores t under sha256 (and its events model) with meta (may be NULL) added to the description. */
cf_err cf_feature_store_put(cf_feature_store *fs, const char *sha256, const cf_feature_track *t,
                            const json_t *meta, cf_error *err);

/* The whole path for a local file: its content hash (remembered), the stored track, else
 * cf_features_extract with o (whose cache_dir, a local cache by path, comes next) and a put. sha256
 * (optional, CF_SHA256_HEX bytes): on entry the file's hash when it is known (taken as the media
 * was uploaded: the file is not read for it), else ""; on return the hash. A put that fails is
 * logged, not fatal. Without a store (fs NULL), or when o asks for another track than the file's
 * ordinary one (another audio stream: cf_feature_options_keepable), this is cf_features_extract
 * and sha256 is "". progress sees the hash as its first CF_HASH_SHARE ("hashing") and can cancel
 * it. */
cf_err cf_feature_store_extract(cf_feature_store *fs, const char *path, const cf_feature_options *o,
                                const json_t *meta, cf_progress *progress, cf_feature_track **out,
                                char *sha256, cf_error *err);

/* One entry of the catalogue. */
typedef struct cf_feature_entry {
    char sha256[CF_SHA256_HEX];
    char events[64]; /* the audio-events model of its event columns, "none" */
    int extractor;
    int64_t bytes, stored_at;
    bool current; /* written by this extractor version */
} cf_feature_entry;

/* Every stored track (all extractor versions), by version then hash; *out is freed by free(). */
cf_err cf_feature_store_list(cf_feature_store *fs, cf_feature_entry **out, size_t *n, cf_error *err);

/* Serialises t with its description into a malloc'd buffer (*len bytes), and back; the reader
 * refuses (CF_ERR_INVALID_ARGUMENT) anything that is not a current track. Exposed for tests. */
cf_err cf_feature_track_encode(const cf_feature_track *t, const json_t *meta, unsigned char **buf,
                               size_t *len, cf_error *err);
cf_err cf_feature_track_decode(const unsigned char *buf, size_t len, cf_feature_track **out, json_t **meta,
                               cf_error *err);

#endif

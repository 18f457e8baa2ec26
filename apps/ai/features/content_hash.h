/* content_hash.h — the identity of media by content: SHA-256 of its bytes, the key of the
 * feature store and of A/B splits for files without a media id. Hashing a file reads all of it,
 * so results are remembered in memo_dir under the file's identity (real path, size, mtime):
 * the same unchanged file is hashed once. */
#ifndef CLIPFORGE_AI_CONTENT_HASH_H
#define CLIPFORGE_AI_CONTENT_HASH_H

#include <stdbool.h>

#include "clipforge/error.h"
#include "clipforge/progress.h"
#include "clipforge/sha256.h"

/* The share of a job's progress its media's hash takes when the hash is not remembered: hashing
 * reads every byte once at memory speed, tens of times faster than a decode, yet a few GB still
 * take seconds, which should move a bar and be cancellable. */
#define CF_HASH_SHARE 0.02

/* SHA-256 of path's bytes as lower-case hex into hex. memo_dir may be NULL (no memo). Progress
 * reports the share read; cancel stops it (CF_ERR_CANCELLED). */
cf_err cf_content_hash_file(const char *path, const char *memo_dir, cf_progress *progress,
                            char hex[CF_SHA256_HEX], cf_error *err);

#endif

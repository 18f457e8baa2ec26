/* storage_local.h — the "local" object storage backend (URL "local:/path/to/dir"): objects are
 * files under DIR/objects, uploads in progress are temp files under DIR/tmp (swept at open, so a
 * crash mid-upload leaves no orphan), signed URLs are HMAC-SHA256 over key and expiry. */
#ifndef CLIPFORGE_STORAGE_LOCAL_H
#define CLIPFORGE_STORAGE_LOCAL_H

#include <stddef.h>

#include "clipforge/storage.h"

const cf_storage_methods *cf_storage_local_methods(void);

/* The signing key for data_dir: the bytes of configured when it is non-empty, else the key in
 * data_dir/signing.key, created (32 random bytes, mode 0600) on first use. */
cf_err cf_signing_key_load(const char *configured, const char *data_dir, unsigned char *key, size_t cap,
                           size_t *len, cf_error *err);

#endif

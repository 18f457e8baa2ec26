/* storage_s3.h — the "s3" object storage backend (URL
 * "s3://BUCKET?endpoint=http://HOST:PORT&region=R&prefix=P&part_size=N&cache=DIR"): S3 or an
 * S3-compatible server over libcurl with SigV4; sign() returns presigned GET URLs. */
#ifndef CLIPFORGE_STORAGE_S3_H
#define CLIPFORGE_STORAGE_S3_H

#include "clipforge/storage.h"

const cf_storage_methods *cf_storage_s3_methods(void);

#endif

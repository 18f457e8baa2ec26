/* storage_file.h — the "file" object storage backend: URL "file:///path/to/dir", the same as
 * "local:/path/to/dir" (the local backend under the URL form people expect). */
#ifndef CLIPFORGE_STORAGE_FILE_H
#define CLIPFORGE_STORAGE_FILE_H

#include "clipforge/storage.h"

const cf_storage_methods *cf_storage_file_methods(void);

#endif

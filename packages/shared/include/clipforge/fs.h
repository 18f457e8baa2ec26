/* fs.h — small filesystem helpers used by every package: directories, temp dirs, removal. */
#ifndef CLIPFORGE_FS_H
#define CLIPFORGE_FS_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"

/* Creates dir and its parents (mode 0755); ok when it exists. */
cf_err cf_mkdir_p(const char *dir, cf_error *err);
/* Creates a fresh private temp dir "<parent or $TMPDIR or /tmp>/<prefix>XXXXXX".
 * *out is malloc'd; the caller frees it (and removes the dir with cf_remove_tree). */
cf_err cf_make_temp_dir(const char *parent, const char *prefix, char **out, cf_error *err);
/* Removes a file or a directory tree; ok when it does not exist. */
cf_err cf_remove_tree(const char *path, cf_error *err);
/* Size of a regular file in bytes, or -1 when it cannot be stat'ed. */
int64_t cf_file_size(const char *path);
/* Joins a and b with one '/'; malloc'd, caller frees; NULL on out of memory. */
char *cf_path_join(const char *a, const char *b);

#endif

/* fs.h — small filesystem helpers used by every package: directories, temp dirs, removal, and
 * copying or moving a file so that the destination is either the whole file or untouched. */
#ifndef CLIPFORGE_FS_H
#define CLIPFORGE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"

/* Creates dir and its parents (mode 0755); ok when it exists. Each directory made is made durable
 * (its parent fsynced), as the files later renamed into it are. */
cf_err cf_mkdir_p(const char *dir, cf_error *err);
/* The directory temp files go to: parent when given (not NULL or ""), else $TMPDIR, else /tmp.
 * The one place TMPDIR is read; the result lives as long as parent or the environment. */
const char *cf_temp_parent(const char *parent);
/* Creates a fresh private temp dir "<cf_temp_parent(parent)>/<prefix>XXXXXX". In the temp parent
 * (parent NULL or ""), "<prefix><owner>-XXXXXX", where owner names a file this process holds
 * locked while it lives: the first temp dir a process makes there removes those of processes that
 * died (killed outright, they could not). A parent the caller names is the caller's to clean.
 * *out is malloc'd; the caller frees it (and removes the dir with cf_remove_tree). */
cf_err cf_make_temp_dir(const char *parent, const char *prefix, char **out, cf_error *err);
/* A temp dir in parent (a folder the caller names, not the temp parent) made as in the temp
 * parent: with an owner's token, so the first one a process makes in parent removes there those
 * of processes that died (the autoclip CLI's work dir in its output folder). */
cf_err cf_make_owned_temp_dir(const char *parent, const char *prefix, char **out, cf_error *err);
/* True when name (a file name, no directory) is one cf_make_temp_dir gives with prefix. */
bool cf_is_temp_dir_name(const char *name, const char *prefix);
/* Removes a file or a directory tree; ok when it does not exist. */
cf_err cf_remove_tree(const char *path, cf_error *err);
/* Size of a regular file in bytes, or -1 when it cannot be stat'ed. */
int64_t cf_file_size(const char *path);
/* Copies from to to (mode 0644) through a temp file beside to, renamed over it once complete
 * and on the disk: a failure (disk full, a read error) leaves no partial file and an old to as
 * it was, and after a power cut to is the old file or the whole new one (the data and then the
 * directory are fsynced before CF_OK). */
cf_err cf_copy_file(const char *from, const char *to, cf_error *err);
/* Writes n bytes of data to path the same way (mode 0644, whole or not at all). */
cf_err cf_write_file(const char *path, const void *data, size_t n, cf_error *err);
/* Moves from to to: a rename, or across filesystems cf_copy_file and then removing from; durable
 * as cf_copy_file (from is fsynced before the rename, to's directory after). */
cf_err cf_move_file(const char *from, const char *to, cf_error *err);
/* Joins a and b with one '/'; malloc'd, caller frees; NULL on out of memory. */
char *cf_path_join(const char *a, const char *b);

#endif

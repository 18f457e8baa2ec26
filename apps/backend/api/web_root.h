/* web_root.h — the files of the web UI (the SPA built into apps/frontend/dist) and how the
 * server answers for them: a request path is mapped to a file under the web root, refusing any
 * path that could leave it (".." segments, backslashes, control characters, symlinks pointing
 * out); a route of the app itself (/jobs, /jobs/{id}, /review/{id}...) gets index.html; each
 * file gets its content type and cache policy (content-hashed files under /assets/ are
 * immutable, everything else is revalidated). Steered by CLIPFORGE_WEB_DIR. */
#ifndef CLIPFORGE_API_WEB_ROOT_H
#define CLIPFORGE_API_WEB_ROOT_H

#include <stdbool.h>

#include "clipforge/error.h"

typedef struct cf_web_file {
    char *path;                /* absolute file path, malloc'd */
    const char *content_type;  /* static string */
    const char *cache_control; /* static string */
    bool fallback;             /* index.html answering a client-side route */
} cf_web_file;

/* Maps url_path (decoded, starting with '/') to a file under root. CF_ERR_NOT_FOUND when there
 * is nothing to serve, CF_ERR_INVALID_ARGUMENT for a path that tries to leave the root. On success
 * the caller frees out with cf_web_file_free. */
cf_err cf_web_resolve(const char *root, const char *url_path, cf_web_file *out, cf_error *err);
void cf_web_file_free(cf_web_file *f);

/* The content type for a file name by its extension; application/octet-stream when unknown. */
const char *cf_web_content_type(const char *name);

/* The web root: configured (non-empty) or the build's default (the source tree's
 * apps/frontend/dist). Never NULL. */
const char *cf_web_root(const char *configured);

#endif

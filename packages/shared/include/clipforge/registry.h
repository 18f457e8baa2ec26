/* registry.h — a small, thread-safe table of backends found by name (store, bus, storage), and
 * the URL scheme split that picks one ("redis://host" -> "redis"). */
#ifndef CLIPFORGE_REGISTRY_H
#define CLIPFORGE_REGISTRY_H

#include <pthread.h>
#include <stddef.h>

#include "clipforge/error.h"

#define CF_REGISTRY_MAX 8

typedef struct cf_registry {
    pthread_mutex_t lock; /* guards names and entries */
    const char *names[CF_REGISTRY_MAX];
    const void *entries[CF_REGISTRY_MAX];
} cf_registry;

#define CF_REGISTRY_INIT                                                                                     \
    {                                                                                                        \
        PTHREAD_MUTEX_INITIALIZER, {0}, {                                                                    \
            0                                                                                                \
        }                                                                                                    \
    }

/* Adds entry under name, replacing one of the same name; CF_ERR_NO_MEMORY when full.
 * name and entry must outlive the registry (static tables). */
cf_err cf_registry_add(cf_registry *r, const char *name, const void *entry);
/* The entry registered under name, or NULL. */
const void *cf_registry_find(cf_registry *r, const char *name);
/* Copies url's scheme (text before the first ':') into name; what names the URL in errors. */
cf_err cf_url_scheme(const char *url, char *name, size_t len, const char *what, cf_error *err);

#endif

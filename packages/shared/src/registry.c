/* registry.c — backend tables found by name, shared by the store, bus and storage wrappers. */
#include "clipforge/registry.h"

#include <string.h>

cf_err cf_registry_add(cf_registry *r, const char *name, const void *entry) {
    cf_err rc = CF_ERR_NO_MEMORY;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < CF_REGISTRY_MAX; i++) {
        if (!r->names[i] || !strcmp(r->names[i], name)) {
            r->names[i] = name;
            r->entries[i] = entry;
            rc = CF_OK;
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

const void *cf_registry_find(cf_registry *r, const char *name) {
    const void *found = NULL;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < CF_REGISTRY_MAX && r->names[i] && !found; i++)
        if (!strcmp(r->names[i], name)) found = r->entries[i];
    pthread_mutex_unlock(&r->lock);
    return found;
}

cf_err cf_url_scheme(const char *url, char *name, size_t len, const char *what, cf_error *err) {
    size_t n = strcspn(url, ":");
    if (url[n] != ':' || n == 0 || n >= len)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s URL '%s': expected SCHEME:...", what, url);
    memcpy(name, url, n);
    name[n] = '\0';
    return CF_OK;
}

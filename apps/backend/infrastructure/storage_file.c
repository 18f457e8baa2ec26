/* storage_file.c — "file:///dir" URLs for the local directory storage: the local backend's
 * methods under another name, with an open that turns the URL into the local form. */
#include "infrastructure/storage_file.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infrastructure/storage_local.h"

static cf_storage_methods methods;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static cf_err file_open(const char *url, const unsigned char *key, size_t key_len, void **self,
                        cf_error *err) {
    const char *path = url + strlen("file:");
    if (!strncmp(path, "//", 2)) path += 2;
    if (path[0] != '/')
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "storage URL '%s': expected file:///absolute/dir",
                            url);
    char *local = NULL;
    if (asprintf(&local, "local:%s", path) < 0) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = cf_storage_local_methods()->open(local, key, key_len, self, err);
    free(local);
    return rc;
}

static void build(void) {
    methods = *cf_storage_local_methods();
    methods.name = "file";
    methods.open = file_open;
}

const cf_storage_methods *cf_storage_file_methods(void) {
    pthread_once(&once, build);
    return &methods;
}

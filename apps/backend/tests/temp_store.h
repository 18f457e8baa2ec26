/* temp_store.h — a SQLite store in a fresh temporary directory, for the backend's unit tests. */
#ifndef CF_BACKEND_TESTS_TEMP_STORE_H
#define CF_BACKEND_TESTS_TEMP_STORE_H

#include <stdio.h>
#include <stdlib.h>

#include "clipforge/fs.h"
#include "clipforge/store.h"
#include "infrastructure/backends.h"

/* Opens sqlite:<new dir>/db.sqlite (the directory named prefix + a random suffix, under the
 * temporary directory); *dir is the directory to give temp_store_close. NULL on failure. */
static inline cf_store *temp_store_open(const char *prefix, char **dir) {
    cf_backends_register();
    cf_error err;
    cf_store *store = NULL;
    if (cf_make_temp_dir(NULL, prefix, dir, &err)) return NULL;
    char url[512];
    snprintf(url, sizeof url, "sqlite:%s/db.sqlite", *dir);
    if (cf_store_open(url, &store, &err)) fprintf(stderr, "%s: %s\n", url, err.msg);
    return store;
}

/* Closes the store and removes its directory. */
static inline void temp_store_close(cf_store *store, char *dir) {
    cf_store_close(store);
    cf_error err;
    if (dir) cf_remove_tree(dir, &err);
    free(dir);
}

#endif

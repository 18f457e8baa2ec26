/* flags_store.c — the "store" feature flag source (flags_store.h). Every read goes to the store
 * (a few rows, one cached statement on SQLite): no cache means no process answers with a value
 * another process has already changed. A stored setting this program cannot read (written by a
 * newer one) is skipped with a warning, leaving the flag to the sources below. */
#include "infrastructure/flags_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clipforge/log.h"

static void store_close(void *self) {
    (void)self; /* the store is the app's */
}

/* The readable flags of the store into *out (malloc'd). */
static cf_err store_list(void *self, cf_flag_entry **out, size_t *n, cf_error *err) {
    cf_flag_record *rows = NULL;
    size_t nrows = 0;
    *out = NULL;
    *n = 0;
    cf_err rc = cf_store_flag_list(self, &rows, &nrows, err);
    if (rc == CF_OK && nrows && !(*out = calloc(nrows, sizeof **out)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "flags: out of memory");
    for (size_t i = 0; rc == CF_OK && i < nrows; i++) {
        cf_flag_entry *e = &(*out)[*n];
        cf_error bad;
        if (!cf_flag_name_valid(rows[i].name) || cf_flag_setting_parse(rows[i].setting, &e->setting, &bad)) {
            cf_log_warn("flags", "stored flag %.64s=%.16s skipped: not a flag this program reads",
                        rows[i].name, rows[i].setting);
            continue;
        }
        snprintf(e->name, sizeof e->name, "%s", rows[i].name);
        (*n)++;
    }
    cf_flag_records_free(rows, nrows);
    return rc;
}

static cf_err store_get(void *self, const char *name, cf_flag_setting *out, bool *found, cf_error *err) {
    cf_flag_entry *e = NULL;
    size_t n = 0;
    *found = false;
    cf_err rc = store_list(self, &e, &n, err);
    for (size_t i = 0; rc == CF_OK && i < n && !*found; i++)
        if (!strcmp(e[i].name, name)) {
            *out = e[i].setting;
            *found = true;
        }
    free(e);
    return rc;
}

static cf_err store_set(void *self, const char *name, const cf_flag_setting *s, cf_error *err) {
    char text[CF_FLAG_SETTING_MAX];
    cf_flag_setting_format(s, text);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    cf_flag_record r = {.name = (char *)name,
                        .setting = text,
                        .updated_at = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000};
    return cf_store_flag_set(self, &r, err);
}

static cf_err store_unset(void *self, const char *name, cf_error *err) {
    return cf_store_flag_delete(self, name, err);
}

static const cf_flags_methods methods = {
    .version = 1,
    .name = "store",
    .source = CF_FLAG_SOURCE_STORE,
    .close = store_close,
    .get = store_get,
    .list = store_list,
    .set = store_set,
    .unset = store_unset,
};

const cf_flags_methods *cf_flags_store_methods(void) {
    return &methods;
}

cf_err cf_flags_store_open(cf_store *store, void **self, cf_error *err) {
    (void)err;
    *self = store;
    return CF_OK;
}

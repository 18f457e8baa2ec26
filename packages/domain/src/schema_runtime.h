/* schema_runtime.h — the small, hand-written runtime the generated parsers and serializers in
 * generated/src/types.c call: field paths, typed reads with bounds, enum lookup and error
 * messages of the form "operations[2].end_ms: must be > start_ms". Internal to libcfdomain. */
#ifndef CLIPFORGE_DOMAIN_SCHEMA_RUNTIME_H
#define CLIPFORGE_DOMAIN_SCHEMA_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"

/* Field paths are built from schema names and array indices only, so they are bounded by the
 * schemas' nesting; longer paths are truncated in messages, never overflowed. */
#define CFD_PATH_MAX 256
/* Nesting allowed inside free-form members (Job.request, Media.probe, Event.data). */
#define CFD_FREE_FORM_MAX_DEPTH 32

/* dst = "parent.key" ("key" at the root). dst holds CFD_PATH_MAX bytes. */
void cfd_path_key(char *dst, const char *parent, const char *key);
/* dst = "parent[i]". */
void cfd_path_index(char *dst, const char *parent, size_t i);

/* Sets err to CF_ERR_INVALID_ARGUMENT with "path: message"; returns that code. */
cf_err cfd_fail(cf_error *err, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
cf_err cfd_no_memory(cf_error *err, const char *path);

/* Checks that j is an object and, when closed, that every key is one of keys[0..n_keys). */
cf_err cfd_object(const json_t *j, const char *path, const char *const *keys, size_t n_keys, bool closed,
                  cf_error *err);
/* Looks key up in obj (already checked to be an object). *out is NULL when absent; absence is an
 * error only when required. `p` receives the member's path. JSON null is a present value. */
cf_err cfd_member(const json_t *obj, const char *key, bool required, const char *path, char *p, json_t **out,
                  cf_error *err);

cf_err cfd_int(const json_t *v, const char *path, int64_t *out, cf_error *err);
cf_err cfd_number(const json_t *v, const char *path, double *out, cf_error *err);
cf_err cfd_bool(const json_t *v, const char *path, bool *out, cf_error *err);
/* Copies a string of min_len..max_len characters (UTF-8 code points) into *out (malloc'd). */
cf_err cfd_string(const json_t *v, const char *path, size_t min_len, size_t max_len, char **out,
                  cf_error *err);
/* Checks an RFC 3339 date-time ("2026-11-24T18:49:33Z", "...33.5+01:00"). */
cf_err cfd_date_time(const char *s, const char *path, cf_error *err);
/* Checks that v is the string `value` (a discriminator constant). */
cf_err cfd_const_string(const json_t *v, const char *path, const char *value, cf_error *err);
/* "path: unknown <tag> '<value>'" for a discriminator value no variant has. */
cf_err cfd_unknown_tag(cf_error *err, const char *path, const char *tag, const char *value);
/* Finds v among names[0..n); the message lists them all. */
cf_err cfd_enum(const json_t *v, const char *path, const char *const *names, size_t n, size_t *index,
                cf_error *err);
/* Checks that v is an array of min_items..max_items elements; *n receives its size. */
cf_err cfd_array(const json_t *v, const char *path, size_t min_items, size_t max_items, size_t *n,
                 cf_error *err);
/* Takes a reference to a free-form object (bounded nesting, at most max_props members). When
 * numbers_only, every member must be a number (a name -> number map). */
cf_err cfd_free_object(const json_t *v, const char *path, size_t max_props, bool numbers_only, json_t **out,
                       cf_error *err);
/* Copies a string default into *out. */
cf_err cfd_default_string(const char *value, const char *path, char **out, cf_error *err);

/* Serialization helpers: each steals `value` and returns -1 when it is NULL or cannot be added. */
int cfd_put(json_t *obj, const char *key, json_t *value);
int cfd_append(json_t *arr, json_t *value);
/* A number as JSON: integral values within +-2^53 become integers, so -14 stays -14. */
json_t *cfd_number_json(double v);
/* A new reference to a free-form member. */
json_t *cfd_ref(json_t *v);

#endif

/* json.h — jansson helpers: bounded parsing (size and depth limits) and typed field access
 * that reports the field path on error ("operations[2].end_ms: must be an integer"). */
#ifndef CLIPFORGE_JSON_H
#define CLIPFORGE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"
#include "clipforge/textbuf.h"

/* Parses text of len bytes; rejects more than max_depth levels of nesting (before building the
 * tree, so hostile input cannot exhaust the stack). Returns a new reference or NULL with err set
 * (CF_ERR_INVALID_ARGUMENT with line/column, or CF_ERR_TOO_LARGE for depth). */
json_t *cf_json_parse(const char *text, size_t len, size_t max_depth, cf_error *err);
/* JSON text the program stored itself (a job's request, result or error) as a value: a new
 * reference, JSON null when text is NULL or unreadable, so that one bad column never hides the
 * record it belongs to. No limits: use cf_json_parse for input from outside. */
json_t *cf_json_or_null(const char *text);
/* json (an object or an array) as json_dumps(json, JSON_COMPACT), or with sort_keys as
 * json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS), byte for byte (jansson 2.14's escapes and
 * number forms), at a fraction of its cost: jansson formats every integer and real with
 * snprintf, checks every container against a hash table of its parents for cycles, and calls a
 * callback for each piece of text. malloc'd text the caller frees; NULL for anything else, a
 * cycle, or when out of memory. */
char *cf_json_dump(const json_t *json, bool sort_keys);
/* A JSON object written member by member, in the order given, as cf_json_dump writes the same
 * object, without building it first (a job's event, written for every change of every job, cost
 * more to build with json_pack than to store). cf_json_obj_begin, the members, cf_json_obj_end.
 * The fields are the writer's own. */
typedef struct cf_json_obj {
    cf_textbuf text;
    bool any;
} cf_json_obj;
void cf_json_obj_begin(cf_json_obj *w);
/* value NULL is written as null */
void cf_json_obj_string(cf_json_obj *w, const char *key, const char *value);
void cf_json_obj_int(cf_json_obj *w, const char *key, int64_t value);
void cf_json_obj_real(cf_json_obj *w, const char *key, double value);
void cf_json_obj_bool(cf_json_obj *w, const char *key, bool value);
/* any value as cf_json_dump writes it (keys in their order) */
void cf_json_obj_value(cf_json_obj *w, const char *key, const json_t *value);
/* The object's text, malloc'd, the caller frees it; NULL when out of memory or a value could not
 * be written (a cycle). */
char *cf_json_obj_end(cf_json_obj *w);
/* Reads and parses a file (at most max_bytes). */
json_t *cf_json_load_file(const char *path, size_t max_bytes, size_t max_depth, cf_error *err);
/* Writes json to path pretty-printed, as cf_write_file does (whole and on the disk, or not at all). */
cf_err cf_json_write_file(const json_t *json, const char *path, cf_error *err);

/* Typed getters: `path` names the field in messages. Missing fields return CF_ERR_NOT_FOUND
 * without touching err when optional is true, else CF_ERR_INVALID_ARGUMENT. */
cf_err cf_json_get_int(const json_t *obj, const char *key, bool optional, int64_t *out, const char *path,
                       cf_error *err);
cf_err cf_json_get_number(const json_t *obj, const char *key, bool optional, double *out, const char *path,
                          cf_error *err);
cf_err cf_json_get_string(const json_t *obj, const char *key, bool optional, const char **out,
                          const char *path, cf_error *err);
cf_err cf_json_get_bool(const json_t *obj, const char *key, bool optional, bool *out, const char *path,
                        cf_error *err);

#endif

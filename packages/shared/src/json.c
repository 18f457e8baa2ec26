/* json.c — bounded JSON parsing and typed field access with field paths in errors. */
#include "clipforge/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Scans the text for nesting depth outside strings; cheap and done before jansson recurses. */
static bool depth_within(const char *text, size_t len, size_t max_depth) {
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') i++;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return false;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return true;
}

json_t *cf_json_parse(const char *text, size_t len, size_t max_depth, cf_error *err) {
    if (!depth_within(text, len, max_depth)) {
        cf_error_set(err, CF_ERR_TOO_LARGE, "JSON nesting deeper than %zu levels", max_depth);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "invalid JSON at line %d column %d: %s", jerr.line,
                     jerr.column, jerr.text);
    return root;
}

json_t *cf_json_or_null(const char *text) {
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_null();
}

json_t *cf_json_load_file(const char *path, size_t max_bytes, size_t max_depth, cf_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        cf_error_set(err, errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(max_bytes + 1);
    json_t *root = NULL;
    if (!buf) {
        cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
        goto end;
    }
    size_t n = fread(buf, 1, max_bytes + 1, f);
    if (ferror(f)) {
        cf_error_set(err, CF_ERR_IO, "%s: read error", path);
        goto end;
    }
    if (n > max_bytes) {
        cf_error_set(err, CF_ERR_TOO_LARGE, "%s: larger than %zu bytes", path, max_bytes);
        goto end;
    }
    root = cf_json_parse(buf, n, max_depth, err);
    if (!root) cf_error_prefix(err, "%s", path);
end:
    free(buf);
    fclose(f);
    return root;
}

cf_err cf_json_write_file(const json_t *json, const char *path, cf_error *err) {
    size_t plen = strlen(path) + 16;
    char *tmp = malloc(plen);
    if (!tmp) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    snprintf(tmp, plen, "%s.tmp%d", path, (int)getpid());
    cf_err rc = CF_OK;
    if (json_dump_file(json, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
        rc = cf_error_set(err, CF_ERR_IO, "cannot write %s", path);
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        rc = cf_error_set(err, CF_ERR_IO, "cannot rename to %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

static cf_err lookup(const json_t *obj, const char *key, bool optional, const char *path, json_t **out,
                     cf_error *err) {
    *out = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (*out && !json_is_null(*out)) return CF_OK;
    if (optional) return CF_ERR_NOT_FOUND;
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s%s%s: is required", path ? path : "",
                        path && *path ? "." : "", key);
}

#define TYPE_ERROR(what)                                                                                     \
    cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s%s%s: must be " what, path ? path : "",                    \
                 path &&*path ? "." : "", key)

cf_err cf_json_get_int(const json_t *obj, const char *key, bool optional, int64_t *out, const char *path,
                       cf_error *err) {
    json_t *v;
    cf_err rc = lookup(obj, key, optional, path, &v, err);
    if (rc) return rc;
    if (!json_is_integer(v)) return TYPE_ERROR("an integer");
    *out = json_integer_value(v);
    return CF_OK;
}

cf_err cf_json_get_number(const json_t *obj, const char *key, bool optional, double *out, const char *path,
                          cf_error *err) {
    json_t *v;
    cf_err rc = lookup(obj, key, optional, path, &v, err);
    if (rc) return rc;
    if (!json_is_number(v)) return TYPE_ERROR("a number");
    *out = json_number_value(v);
    return CF_OK;
}

cf_err cf_json_get_string(const json_t *obj, const char *key, bool optional, const char **out,
                          const char *path, cf_error *err) {
    json_t *v;
    cf_err rc = lookup(obj, key, optional, path, &v, err);
    if (rc) return rc;
    if (!json_is_string(v)) return TYPE_ERROR("a string");
    *out = json_string_value(v);
    return CF_OK;
}

cf_err cf_json_get_bool(const json_t *obj, const char *key, bool optional, bool *out, const char *path,
                        cf_error *err) {
    json_t *v;
    cf_err rc = lookup(obj, key, optional, path, &v, err);
    if (rc) return rc;
    if (!json_is_boolean(v)) return TYPE_ERROR("a boolean");
    *out = json_is_true(v);
    return CF_OK;
}

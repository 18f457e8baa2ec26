/* json.c — bounded JSON parsing and typed field access with field paths in errors. */
#include "clipforge/json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clipforge/fs.h"
#include "clipforge/textbuf.h"

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
    char *text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) return cf_error_set(err, CF_ERR_NO_MEMORY, "cannot write %s: out of memory", path);
    cf_err rc = cf_write_file(path, text, strlen(text), err); /* whole and durable, or not at all */
    free(text);
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

static bool put_int(cf_textbuf *b, json_int_t v) {
    char d[24], *e = d + sizeof d, *p = e;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0) *--p = '-';
    return cf_textbuf_put(b, p, (size_t)(e - p));
}

/* A real as jansson writes it: "%.17g", a ".0" when that has neither '.' nor 'e', no '+' and no
 * leading zeros in the exponent. Whole numbers below 2^53 (progress 0 and 1 most often) skip
 * printf: "%.17g" writes those as their digits. */
static bool put_real(cf_textbuf *b, double v) {
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v) {
        if (v == 0 && signbit(v) && !cf_textbuf_put(b, "-", 1)) return false;
        return put_int(b, (json_int_t)v) && cf_textbuf_put(b, ".0", 2);
    }
    char s[64];
    int len = snprintf(s, sizeof s, "%.17g", v);
    if (len < 0 || (size_t)len >= sizeof s - 3) return false;
    const char *point = localeconv()->decimal_point;
    char *at = point && point[0] && point[0] != '.' ? strchr(s, point[0]) : NULL;
    if (at) *at = '.';
    if (!strchr(s, '.') && !strchr(s, 'e')) {
        memcpy(s + len, ".0", 3);
        len += 2;
    }
    char *e = strchr(s, 'e');
    if (e) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-') start++;
        while (*end == '0') end++;
        memmove(start, end, (size_t)(s + len - end) + 1);
        len -= (int)(end - start);
    }
    return cf_textbuf_put(b, s, (size_t)len);
}

/* A string with jansson's escapes: quote, backslash and control characters; the rest (UTF-8,
 * which jansson checked when the string was made) as it is. */
static bool put_string(cf_textbuf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    if (!cf_textbuf_put(b, "\"", 1)) return false;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (!cf_textbuf_put(b, s + run, i - run)) return false;
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t len = 2;
        switch (c) {
        case '"':
        case '\\': break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        if (!cf_textbuf_put(b, esc, len)) return false;
        run = i + 1;
    }
    return cf_textbuf_put(b, s + run, n - run) && cf_textbuf_put(b, "\"", 1);
}

typedef struct dump_key {
    const char *key;
    size_t len;
    json_t *value;
} dump_key;

/* jansson's order of sorted keys: bytes, then the shorter first. */
static int key_order(const void *a, const void *b) {
    const dump_key *x = a, *y = b;
    int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The containers from the root to the one being written, for jansson's refusal of cycles. */
typedef struct dump_path {
    const json_t *node;
    const struct dump_path *up;
} dump_path;

static bool dump_value(cf_textbuf *b, const json_t *v, bool sort, const dump_path *up);

static bool dump_object(cf_textbuf *b, const json_t *o, bool sort, const dump_path *path) {
    size_t n = json_object_size(o), i = 0;
    dump_key small[16], *keys = n <= 16 ? small : malloc(n * sizeof *keys);
    if (!keys) return false;
    for (void *it = json_object_iter((json_t *)o); it && i < n; it = json_object_iter_next((json_t *)o, it))
        keys[i++] =
            (dump_key){json_object_iter_key(it), json_object_iter_key_len(it), json_object_iter_value(it)};
    if (sort && i > 1) qsort(keys, i, sizeof *keys, key_order);
    bool ok = cf_textbuf_put(b, "{", 1);
    for (size_t k = 0; ok && k < i; k++)
        ok = (!k || cf_textbuf_put(b, ",", 1)) && put_string(b, keys[k].key, keys[k].len) &&
             cf_textbuf_put(b, ":", 1) && dump_value(b, keys[k].value, sort, path);
    if (keys != small) free(keys);
    return ok && cf_textbuf_put(b, "}", 1);
}

static bool dump_value(cf_textbuf *b, const json_t *v, bool sort, const dump_path *up) {
    switch (json_typeof(v)) {
    case JSON_NULL: return cf_textbuf_put(b, "null", 4);
    case JSON_TRUE: return cf_textbuf_put(b, "true", 4);
    case JSON_FALSE: return cf_textbuf_put(b, "false", 5);
    case JSON_INTEGER: return put_int(b, json_integer_value(v));
    case JSON_REAL: return put_real(b, json_real_value(v));
    case JSON_STRING: return put_string(b, json_string_value(v), json_string_length(v));
    default: break;
    }
    for (const dump_path *p = up; p; p = p->up)
        if (p->node == v) return false; /* a cycle */
    dump_path path = {v, up};
    if (json_is_object(v)) return dump_object(b, v, sort, &path);
    bool ok = cf_textbuf_put(b, "[", 1);
    for (size_t i = 0; ok && i < json_array_size(v); i++)
        ok = (!i || cf_textbuf_put(b, ",", 1)) && dump_value(b, json_array_get(v, i), sort, &path);
    return ok && cf_textbuf_put(b, "]", 1);
}

char *cf_json_dump(const json_t *json, bool sort_keys) {
    if (!json_is_object(json) && !json_is_array(json)) return NULL;
    cf_textbuf b = {0};
    if (!dump_value(&b, json, sort_keys, NULL)) {
        cf_textbuf_free(&b);
        return NULL;
    }
    return cf_textbuf_take(&b);
}

void cf_json_obj_begin(cf_json_obj *w) {
    *w = (cf_json_obj){0};
    cf_textbuf_put(&w->text, "{", 1);
}

/* The separator and the key of the next member. */
static bool member(cf_json_obj *w, const char *key) {
    cf_textbuf *b = &w->text;
    bool ok = (!w->any || cf_textbuf_put(b, ",", 1)) && put_string(b, key, strlen(key)) &&
              cf_textbuf_put(b, ":", 1);
    w->any = true;
    return ok;
}

void cf_json_obj_string(cf_json_obj *w, const char *key, const char *value) {
    if (!member(w, key)) return;
    if (value) put_string(&w->text, value, strlen(value));
    else cf_textbuf_put(&w->text, "null", 4);
}

void cf_json_obj_int(cf_json_obj *w, const char *key, int64_t value) {
    if (member(w, key)) put_int(&w->text, (json_int_t)value);
}

void cf_json_obj_real(cf_json_obj *w, const char *key, double value) {
    /* jansson has no NaN or infinity (json_real refuses them) */
    if (member(w, key) && (!isfinite(value) || !put_real(&w->text, value))) w->text.failed = true;
}

void cf_json_obj_bool(cf_json_obj *w, const char *key, bool value) {
    if (member(w, key)) cf_textbuf_put(&w->text, value ? "true" : "false", value ? 4 : 5);
}

void cf_json_obj_value(cf_json_obj *w, const char *key, const json_t *value) {
    if (member(w, key) && !dump_value(&w->text, value, false, NULL)) w->text.failed = true;
}

char *cf_json_obj_end(cf_json_obj *w) {
    cf_textbuf_put(&w->text, "}", 1);
    char *text = cf_textbuf_take(&w->text);
    *w = (cf_json_obj){0};
    return text;
}

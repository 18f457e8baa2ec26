/* schema_runtime.c — checks and conversions shared by every generated parser and serializer.
 * Messages follow one shape, "<field path>: <what is wrong>", so API clients and CLI users see
 * the same text. No settings steer it; the limits come from the schemas. */
#include "schema_runtime.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of a client-supplied name or value is echoed back in a message. */
#define ECHO_MAX 64

/* Appends n bytes of src at dst + *len, cut at CFD_PATH_MAX - 1 bytes as snprintf would cut. Every
 * member a parser reads gets its path (its parsers pass it on), so this runs for every member of
 * every request: copies, not snprintf. */
static void path_put(char *dst, size_t *len, const char *src, size_t n) {
    size_t room = CFD_PATH_MAX - 1 - *len;
    if (n > room) n = room;
    memcpy(dst + *len, src, n);
    *len += n;
}

void cfd_path_key(char *dst, const char *parent, const char *key) {
    size_t len = 0;
    if (parent && *parent) {
        path_put(dst, &len, parent, strlen(parent));
        path_put(dst, &len, ".", 1);
    }
    path_put(dst, &len, key, strlen(key));
    dst[len] = '\0';
}

void cfd_path_index(char *dst, const char *parent, size_t i) {
    char digits[24];
    size_t n = sizeof digits;
    digits[--n] = ']';
    do digits[--n] = (char)('0' + i % 10);
    while (i /= 10);
    digits[--n] = '[';
    size_t len = 0;
    if (parent) path_put(dst, &len, parent, strlen(parent));
    path_put(dst, &len, digits + n, sizeof digits - n);
    dst[len] = '\0';
}

cf_err cfd_fail(cf_error *err, const char *path, const char *fmt, ...) {
    char what[CF_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: %s", path && *path ? path : "(root)", what);
}

cf_err cfd_no_memory(cf_error *err, const char *path) {
    return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path && *path ? path : "(root)");
}

/* Copies at most ECHO_MAX bytes of untrusted text, replacing control characters, so an echoed
 * key or value cannot break a log line or a terminal. */
static void echo(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    for (; src[i] && i < cap - 1 && i < ECHO_MAX; i++) dst[i] = iscntrl((unsigned char)src[i]) ? '?' : src[i];
    dst[i] = '\0';
}

cf_err cfd_object(const json_t *j, const char *path, const char *const *keys, size_t n_keys, bool closed,
                  cf_error *err) {
    if (!json_is_object(j)) return cfd_fail(err, path, "must be an object");
    if (!closed) return CF_OK;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)j, key, value) {
        size_t i = 0;
        while (i < n_keys && strcmp(keys[i], key) != 0) i++;
        if (i == n_keys) {
            char shown[ECHO_MAX + 1], p[CFD_PATH_MAX];
            echo(shown, sizeof shown, key);
            cfd_path_key(p, path, shown);
            return cfd_fail(err, p, "unknown field");
        }
    }
    return CF_OK;
}

cf_err cfd_member(const json_t *obj, const char *key, bool required, const char *path, char *p, json_t **out,
                  cf_error *err) {
    cfd_path_key(p, path, key);
    *out = json_object_get(obj, key);
    if (!*out && required) return cfd_fail(err, p, "is required");
    return CF_OK;
}

/* JSON Schema counts 5000.0 as an integer (a number with no fractional part), and clients in
 * languages with one number type send such values, so integral reals within int64 are accepted. */
cf_err cfd_int(const json_t *v, const char *path, int64_t *out, cf_error *err) {
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return CF_OK;
    }
    double d = json_is_real(v) ? json_real_value(v) : 0.5;
    if (d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return cfd_fail(err, path, "must be an integer");
    *out = (int64_t)d;
    return CF_OK;
}

cf_err cfd_number(const json_t *v, const char *path, double *out, cf_error *err) {
    if (!json_is_number(v)) return cfd_fail(err, path, "must be a number");
    *out = json_number_value(v);
    if (!isfinite(*out)) return cfd_fail(err, path, "must be finite");
    return CF_OK;
}

cf_err cfd_bool(const json_t *v, const char *path, bool *out, cf_error *err) {
    if (!json_is_boolean(v)) return cfd_fail(err, path, "must be a boolean");
    *out = json_is_true(v);
    return CF_OK;
}

/* Counts UTF-8 code points (jansson has already checked the encoding). */
static size_t utf8_length(const char *s, size_t bytes) {
    size_t n = 0;
    for (size_t i = 0; i < bytes; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}

cf_err cfd_string(const json_t *v, const char *path, size_t min_len, size_t max_len, char **out,
                  cf_error *err) {
    if (!json_is_string(v)) return cfd_fail(err, path, "must be a string");
    const char *s = json_string_value(v);
    size_t bytes = json_string_length(v);
    if (strlen(s) != bytes) return cfd_fail(err, path, "must not contain NUL characters");
    size_t len = utf8_length(s, bytes);
    if (len < min_len)
        return min_len == 1 ? cfd_fail(err, path, "must not be empty")
                            : cfd_fail(err, path, "must be at least %zu characters", min_len);
    if (len > max_len) return cfd_fail(err, path, "must be at most %zu characters", max_len);
    *out = strdup(s);
    return *out ? CF_OK : cfd_no_memory(err, path);
}

static bool digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return true;
}

static int number_at(const char *s, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in_month(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return month == 2 && leap ? 29 : days[month - 1];
}

/* RFC 3339 §5.6: full-date "T" partial-time time-offset; ranges checked field by field. */
static bool is_date_time(const char *s) {
    if (strlen(s) < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return false;
    int year = number_at(s, 4), month = number_at(s + 5, 2), day = number_at(s + 8, 2);
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || number_at(s + 11, 2) > 23 ||
        number_at(s + 14, 2) > 59 || number_at(s + 17, 2) > 60)
        return false;
    const char *t = s + 19;
    if (*t == '.') {
        const char *frac = ++t;
        while (isdigit((unsigned char)*t)) t++;
        if (t == frac) return false;
    }
    if ((*t == 'Z' || *t == 'z') && t[1] == '\0') return true;
    return (*t == '+' || *t == '-') && strlen(t) == 6 && digits(t + 1, 2) && t[3] == ':' &&
           digits(t + 4, 2) && number_at(t + 1, 2) <= 23 && number_at(t + 4, 2) <= 59;
}

cf_err cfd_date_time(const char *s, const char *path, cf_error *err) {
    if (is_date_time(s)) return CF_OK;
    return cfd_fail(err, path, "must be an RFC 3339 date-time (e.g. 2026-01-31T12:00:00Z)");
}

cf_err cfd_const_string(const json_t *v, const char *path, const char *value, cf_error *err) {
    if (json_is_string(v) && strcmp(json_string_value(v), value) == 0) return CF_OK;
    return cfd_fail(err, path, "must be '%s'", value);
}

cf_err cfd_unknown_tag(cf_error *err, const char *path, const char *tag, const char *value) {
    char shown[ECHO_MAX + 1];
    echo(shown, sizeof shown, value);
    return cfd_fail(err, path, "unknown %s '%s'", tag, shown);
}

cf_err cfd_enum(const json_t *v, const char *path, const char *const *names, size_t n, size_t *index,
                cf_error *err) {
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(names[i], s) == 0) {
                *index = i;
                return CF_OK;
            }
        }
    }
    char list[CF_ERROR_MSG_MAX] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    return cfd_fail(err, path, "must be one of %s", list);
}

cf_err cfd_array(const json_t *v, const char *path, size_t min_items, size_t max_items, size_t *n,
                 cf_error *err) {
    if (!json_is_array(v)) return cfd_fail(err, path, "must be an array");
    *n = json_array_size(v);
    if (*n < min_items) return cfd_fail(err, path, "must have at least %zu items", min_items);
    if (*n > max_items) return cfd_fail(err, path, "must have at most %zu items", max_items);
    return CF_OK;
}

/* Recursion stops one level past the limit, so hostile nesting cannot exhaust the stack. */
static bool depth_within(const json_t *v, size_t left) {
    if (!json_is_object(v) && !json_is_array(v)) return true;
    if (left == 0) return false;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!depth_within(json_array_get(v, i), left - 1)) return false;
        return true;
    }
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)v, key, member) {
        if (!depth_within(member, left - 1)) return false;
    }
    return true;
}

cf_err cfd_free_object(const json_t *v, const char *path, size_t max_props, bool numbers_only, json_t **out,
                       cf_error *err) {
    if (!json_is_object(v)) return cfd_fail(err, path, "must be an object");
    if (json_object_size(v) > max_props)
        return cfd_fail(err, path, "must have at most %zu members", max_props);
    if (!depth_within(v, CFD_FREE_FORM_MAX_DEPTH))
        return cfd_fail(err, path, "must not nest deeper than %d levels", CFD_FREE_FORM_MAX_DEPTH);
    if (numbers_only) {
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)v, key, member) {
            if (!json_is_number(member)) {
                char shown[ECHO_MAX + 1], p[CFD_PATH_MAX];
                echo(shown, sizeof shown, key);
                cfd_path_key(p, path, shown);
                return cfd_fail(err, p, "must be a number");
            }
        }
    }
    *out = json_incref((json_t *)v);
    return CF_OK;
}

cf_err cfd_default_string(const char *value, const char *path, char **out, cf_error *err) {
    *out = strdup(value);
    return *out ? CF_OK : cfd_no_memory(err, path);
}

int cfd_put(json_t *obj, const char *key, json_t *value) {
    if (!value) return -1;
    return json_object_set_new(obj, key, value); /* steals value, also on failure */
}

int cfd_append(json_t *arr, json_t *value) {
    if (!value) return -1;
    return json_array_append_new(arr, value);
}

json_t *cfd_number_json(double v) {
    if (v == floor(v) && fabs(v) <= 9007199254740992.0) return json_integer((json_int_t)v);
    return json_real(v);
}

json_t *cfd_ref(json_t *v) {
    return json_incref(v);
}

/* flags.c — feature flag settings, the rollout hash, and the stack of sources (flags.h). */
#include "clipforge/flags.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clipforge/log.h"

typedef struct flags_layer {
    const cf_flags_methods *m;
    void *self;
} flags_layer;

struct cf_flags {
    const cf_flag_def *defs;
    size_t n_defs;
    flags_layer *layers; /* lowest first */
    size_t n_layers;
};

/* ---- settings ---- */

bool cf_flag_name_valid(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > CF_FLAG_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
    }
    return true;
}

static bool parse_percent(const char *text, int *out) {
    size_t n = strlen(text);
    if (n < 2 || n > 4 || text[n - 1] != '%') return false;
    int v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (text[i] < '0' || text[i] > '9') return false;
        v = v * 10 + (text[i] - '0');
    }
    if (v > 100) return false;
    *out = v;
    return true;
}

cf_err cf_flag_setting_parse(const char *text, cf_flag_setting *out, cf_error *err) {
    if (text && (!strcasecmp(text, "on") || !strcasecmp(text, "true"))) {
        *out = (cf_flag_setting){.percent = 100, .rollout = false};
        return CF_OK;
    }
    if (text && (!strcasecmp(text, "off") || !strcasecmp(text, "false"))) {
        *out = (cf_flag_setting){.percent = 0, .rollout = false};
        return CF_OK;
    }
    int percent;
    if (text && parse_percent(text, &percent)) {
        *out = (cf_flag_setting){.percent = percent, .rollout = true};
        return CF_OK;
    }
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "'%.40s' is not a flag setting (on, off or 0%%..100%%)",
                        text ? text : "");
}

void cf_flag_setting_format(const cf_flag_setting *s, char out[CF_FLAG_SETTING_MAX]) {
    if (s->rollout) snprintf(out, CF_FLAG_SETTING_MAX, "%d%%", s->percent);
    else snprintf(out, CF_FLAG_SETTING_MAX, "%s", s->percent >= 100 ? "on" : "off");
}

/* One "name=setting" item (blanks around it already cut) into e. */
static cf_err parse_item(const char *item, size_t len, cf_flag_entry *e, cf_error *err) {
    const char *eq = memchr(item, '=', len);
    size_t name_len = eq ? (size_t)(eq - item) : 0;
    char setting[16];
    size_t setting_len = eq ? len - name_len - 1 : 0;
    while (name_len && (item[name_len - 1] == ' ' || item[name_len - 1] == '\t')) name_len--;
    while (eq && setting_len && (eq[1] == ' ' || eq[1] == '\t')) eq++, setting_len--;
    if (!eq || name_len == 0 || name_len > CF_FLAG_NAME_MAX || setting_len >= sizeof setting)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "'%.*s': not name=setting",
                            (int)(len > 80 ? 80 : len), item);
    memcpy(e->name, item, name_len);
    e->name[name_len] = '\0';
    memcpy(setting, eq + 1, setting_len);
    setting[setting_len] = '\0';
    if (!cf_flag_name_valid(e->name))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "'%s': not a flag name ([a-z0-9._-])", e->name);
    cf_err rc = cf_flag_setting_parse(setting, &e->setting, err);
    if (rc) cf_error_prefix(err, "%s", e->name);
    return rc;
}

/* Index of name among a[0..n), or n. */
static size_t entry_index(const cf_flag_entry *a, size_t n, const char *name) {
    size_t i = 0;
    while (i < n && strcmp(a[i].name, name)) i++;
    return i;
}

cf_err cf_flags_parse_list(const char *text, cf_flag_entry **out, size_t *n, cf_error *err) {
    *out = NULL;
    *n = 0;
    for (const char *p = text ? text : ""; *p;) {
        size_t len = strcspn(p, ",");
        const char *item = p;
        p += len + (p[len] == ',');
        while (len && (*item == ' ' || *item == '\t')) item++, len--;
        while (len && (item[len - 1] == ' ' || item[len - 1] == '\t')) len--;
        if (!len) continue;
        cf_flag_entry e;
        cf_err rc = parse_item(item, len, &e, err);
        size_t at = rc ? 0 : entry_index(*out, *n, e.name);
        cf_flag_entry *grown = rc || at < *n ? *out : realloc(*out, (*n + 1) * sizeof **out);
        if (!rc && !grown) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "flags: out of memory");
        if (rc) {
            free(*out);
            *out = NULL;
            *n = 0;
            return rc;
        }
        *out = grown;
        grown[at] = e;
        if (at == *n) (*n)++;
    }
    return CF_OK;
}

/* FNV-1a over name, a separator and the subject, then the splitmix64 finaliser: FNV alone
 * leaves its low bits poorly mixed for short keys that differ at the end, and mod 100 reads
 * them. Both are fixed, public functions, so a bucket never changes between processes. */
int cf_flag_bucket(const char *name, const char *subject) {
    uint64_t h = 14695981039346656037ULL;
    const char *parts[] = {name ? name : "", "\n", subject ? subject : ""};
    for (size_t i = 0; i < 3; i++)
        for (const unsigned char *c = (const unsigned char *)parts[i]; *c; c++)
            h = (h ^ *c) * 1099511628211ULL;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return (int)(h % 100);
}

bool cf_flag_setting_on(const cf_flag_setting *s, const char *name, const char *subject) {
    if (s->percent >= 100) return true;
    if (s->percent <= 0 || !subject) return false;
    return cf_flag_bucket(name, subject) < s->percent;
}

const char *cf_flag_source_name(cf_flag_source s) {
    return s == CF_FLAG_SOURCE_STORE ? "store" : s == CF_FLAG_SOURCE_CONFIG ? "config" : "default";
}

/* ---- the stack ---- */

static const cf_flag_def *find_def(const cf_flags *f, const char *name) {
    for (size_t i = 0; i < f->n_defs; i++)
        if (!strcmp(f->defs[i].name, name)) return &f->defs[i];
    return NULL;
}

cf_err cf_flags_new(const cf_flag_def *defs, size_t n_defs, cf_flags **out, cf_error *err) {
    *out = NULL;
    for (size_t i = 0; i < n_defs; i++) {
        cf_flag_setting s;
        if (!cf_flag_name_valid(defs[i].name) || cf_flag_setting_parse(defs[i].default_setting, &s, err))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "flag %s: bad name or default", defs[i].name);
    }
    cf_flags *f = calloc(1, sizeof *f);
    if (!f) return cf_error_set(err, CF_ERR_NO_MEMORY, "flags: out of memory");
    f->defs = defs;
    f->n_defs = n_defs;
    *out = f;
    return CF_OK;
}

cf_err cf_flags_add(cf_flags *f, const cf_flags_methods *m, void *self, cf_error *err) {
    flags_layer *grown = realloc(f->layers, (f->n_layers + 1) * sizeof *grown);
    if (!grown) {
        m->close(self);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "flags: out of memory");
    }
    f->layers = grown;
    f->layers[f->n_layers++] = (flags_layer){m, self};
    return CF_OK;
}

void cf_flags_free(cf_flags *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n_layers; i++) f->layers[i].m->close(f->layers[i].self);
    free(f->layers);
    free(f);
}

/* The default of name into v: the known flag's, else off. False when name is not known. */
static bool default_value(const cf_flags *f, const char *name, cf_flag_value *v) {
    const cf_flag_def *d = find_def(f, name);
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    v->source = CF_FLAG_SOURCE_DEFAULT;
    if (!d) return false;
    cf_error ignored; /* checked in cf_flags_new */
    cf_flag_setting_parse(d->default_setting, &v->setting, &ignored);
    v->by_media = d->by_media;
    v->description = d->description;
    return true;
}

cf_err cf_flags_get(cf_flags *f, const char *name, cf_flag_value *out, cf_error *err) {
    char own[CF_FLAG_NAME_MAX + 1]; /* name may be out->name */
    snprintf(own, sizeof own, "%s", name);
    name = own;
    bool known = default_value(f, name, out);
    for (size_t i = f->n_layers; i-- > 0;) {
        bool found = false;
        cf_flag_setting s;
        cf_err rc = f->layers[i].m->get(f->layers[i].self, name, &s, &found, err);
        if (rc) return rc;
        if (found) {
            out->setting = s;
            out->source = f->layers[i].m->source;
            return CF_OK;
        }
    }
    return known ? CF_OK : cf_error_set(err, CF_ERR_NOT_FOUND, "no flag %s", name);
}

bool cf_flag_value_on(const cf_flag_value *v, const char *tenant, const char *media_id) {
    if (!v->by_media || !media_id) return cf_flag_setting_on(&v->setting, v->name, tenant);
    char subject[256];
    snprintf(subject, sizeof subject, "%s/%s", tenant ? tenant : "", media_id);
    return cf_flag_setting_on(&v->setting, v->name, subject);
}

bool cf_flags_on(cf_flags *f, const char *name, const char *tenant, const char *media_id) {
    cf_flag_value v;
    cf_error err;
    cf_err rc = cf_flags_get(f, name, &v, &err);
    if (rc && rc != CF_ERR_NOT_FOUND) {
        cf_log_warn("flags", "flag %s at its default: %s", name, err.msg);
        default_value(f, name, &v);
    } else if (rc) {
        return false;
    }
    return cf_flag_value_on(&v, tenant, media_id);
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const cf_flag_value *)a)->name, ((const cf_flag_value *)b)->name);
}

/* Adds every flag of layer i to *out (known and earlier ones were added first). */
static cf_err add_layer_names(cf_flags *f, size_t i, cf_flag_value **out, size_t *n, cf_error *err) {
    cf_flag_entry *e = NULL;
    size_t ne = 0;
    cf_err rc = f->layers[i].m->list(f->layers[i].self, &e, &ne, err);
    for (size_t k = 0; rc == CF_OK && k < ne; k++) {
        size_t at = 0;
        while (at < *n && strcmp((*out)[at].name, e[k].name)) at++;
        if (at < *n) continue;
        cf_flag_value *grown = realloc(*out, (*n + 1) * sizeof *grown);
        if (!grown) {
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "flags: out of memory");
            break;
        }
        *out = grown;
        default_value(f, e[k].name, &grown[(*n)++]);
    }
    free(e);
    return rc;
}

cf_err cf_flags_list(cf_flags *f, cf_flag_value **out, size_t *n, cf_error *err) {
    *n = 0;
    *out = f->n_defs ? calloc(f->n_defs, sizeof **out) : NULL;
    if (f->n_defs && !*out) return cf_error_set(err, CF_ERR_NO_MEMORY, "flags: out of memory");
    for (; *n < f->n_defs; (*n)++) default_value(f, f->defs[*n].name, &(*out)[*n]);
    cf_err rc = CF_OK;
    for (size_t i = 0; rc == CF_OK && i < f->n_layers; i++) rc = add_layer_names(f, i, out, n, err);
    for (size_t k = 0; rc == CF_OK && k < *n; k++) rc = cf_flags_get(f, (*out)[k].name, &(*out)[k], err);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    if (*n) qsort(*out, *n, sizeof **out, by_name);
    return CF_OK;
}

static flags_layer *top_writable(cf_flags *f) {
    for (size_t i = f->n_layers; i-- > 0;)
        if (f->layers[i].m->set && f->layers[i].m->unset) return &f->layers[i];
    return NULL;
}

cf_err cf_flags_set(cf_flags *f, const char *name, const cf_flag_setting *s, cf_error *err) {
    flags_layer *l = top_writable(f);
    if (!cf_flag_name_valid(name))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "'%.80s': not a flag name ([a-z0-9._-])", name);
    if (!l) return cf_error_set(err, CF_ERR_UNSUPPORTED, "no flag source here can be changed");
    return l->m->set(l->self, name, s, err);
}

cf_err cf_flags_unset(cf_flags *f, const char *name, cf_error *err) {
    flags_layer *l = top_writable(f);
    if (!l) return cf_error_set(err, CF_ERR_UNSUPPORTED, "no flag source here can be changed");
    return l->m->unset(l->self, name, err);
}

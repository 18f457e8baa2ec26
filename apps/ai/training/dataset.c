/* dataset.c — training media from the store's labels and from label files (see dataset.h). */
#include "training/dataset.h"

#include <stdlib.h>
#include <string.h>

#define PAGE 200
#define MAX_LABELS_PER_MEDIA 10000

bool cf_label_to_span(const json_t *label, cf_eval_span *out) {
    const char *verdict = json_string_value(json_object_get(label, "verdict"));
    const json_t *s = json_object_get(label, "start_ms"), *e = json_object_get(label, "end_ms");
    if (!verdict || !json_is_integer(s) || !json_is_integer(e) ||
        json_integer_value(e) <= json_integer_value(s))
        return false;
    *out = (cf_eval_span){.start_ms = json_integer_value(s),
                          .end_ms = json_integer_value(e),
                          .accept = !strcmp(verdict, "accept")};
    const json_t *ds = json_object_get(label, "detected_start_ms"),
                 *de = json_object_get(label, "detected_end_ms");
    if (json_is_integer(ds) && json_is_integer(de) && json_integer_value(de) > json_integer_value(ds))
        out->detected_start_ms = json_integer_value(ds), out->detected_end_ms = json_integer_value(de);
    return !strcmp(verdict, "accept") || !strcmp(verdict, "reject");
}

/* Takes spans (n of them, malloc'd) and the track for media. */
static cf_err add(cf_train_set *set, const cf_eval_media *media, const char *media_id, cf_eval_span *spans,
                  size_t n, const cf_track_source *src, cf_error *err) {
    cf_train_media *grown = realloc(set->m, (set->n + 1) * sizeof *grown);
    if (!grown) return free(spans), cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    set->m = grown;
    cf_train_media *m = &set->m[set->n];
    memset(m, 0, sizeof *m);
    m->spans = spans;
    m->n_spans = n;
    m->name = strdup(media->name);
    m->media_id = media_id ? strdup(media_id) : NULL;
    cf_err rc =
        m->name ? src->get(src->user, media, &m->track, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "oom");
    if (rc) {
        cf_error_prefix(err, "%s", media->name);
        free(m->name), free(m->media_id), free(spans);
        return rc;
    }
    set->n++;
    for (size_t i = 0; i < n; i++) set->accepted += spans[i].accept, set->rejected += !spans[i].accept;
    set->labels += n;
    return CF_OK;
}

/* The labels of one stored media as spans (malloc'd, *n of them). */
static cf_err stored_spans(cf_store *store, const char *media_id, cf_eval_span **out, size_t *n,
                           cf_error *err) {
    cf_label_record *rows = NULL;
    size_t count = 0;
    *out = NULL;
    *n = 0;
    cf_err rc = cf_store_labels_list(store, media_id, MAX_LABELS_PER_MEDIA, &rows, &count, err);
    if (rc) return rc;
    *out = calloc(count + 1, sizeof **out);
    for (size_t i = 0; *out && i < count; i++) {
        json_t *j = json_loads(rows[i].body, 0, NULL);
        if (j && cf_label_to_span(j, &(*out)[*n])) (*n)++;
        json_decref(j);
    }
    cf_label_records_free(rows, count);
    return *out ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

static cf_err add_stored(cf_train_set *set, cf_store *store, cf_storage *storage, const cf_media_record *r,
                         const cf_track_source *src, cf_error *err) {
    cf_eval_span *spans = NULL;
    size_t n = 0;
    cf_err rc = stored_spans(store, r->id, &spans, &n, err);
    if (rc || !n) return free(spans), rc;
    char *path = NULL;
    if ((rc = cf_storage_local_path(storage, r->key, &path, err))) return free(spans), rc;
    cf_eval_media media = {.path = path, .name = r->id};
    rc = add(set, &media, r->id, spans, n, src, err);
    free(path);
    return rc;
}

cf_err cf_train_set_add_store(cf_train_set *set, cf_store *store, cf_storage *storage,
                              const cf_track_source *src, cf_error *err) {
    cf_media_filter f = {.limit = PAGE};
    char before[64] = "";
    cf_err rc = CF_OK;
    for (;;) {
        cf_media_record *rows = NULL;
        size_t n = 0;
        if ((rc = cf_store_media_list(store, &f, &rows, &n, err))) break;
        for (size_t i = 0; !rc && i < n; i++) rc = add_stored(set, store, storage, &rows[i], src, err);
        if (n) {
            f.before_at = rows[n - 1].created_at;
            snprintf(before, sizeof before, "%s", rows[n - 1].id);
            f.before_id = before;
        }
        cf_media_records_free(rows, n);
        if (rc || n < PAGE) break;
    }
    if (!rc) {
        if (!set->sources) set->sources = json_array();
        json_array_append_new(set->sources, json_string("store"));
    }
    return rc;
}

cf_err cf_train_set_add_files(cf_train_set *set, const char *dir, const cf_track_source *src, cf_error *err) {
    cf_eval_set *files = NULL;
    cf_err rc = cf_eval_set_load(dir, &files, err);
    for (size_t i = 0; !rc && i < files->n_media; i++) {
        const cf_eval_media *m = &files->media[i];
        cf_eval_span *spans = calloc(m->n_spans + 1, sizeof *spans);
        if (!spans) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        else memcpy(spans, m->spans, m->n_spans * sizeof *spans);
        if (!rc && m->n_spans) rc = add(set, m, NULL, spans, m->n_spans, src, err);
        else free(spans);
    }
    if (!rc) {
        if (!set->sources) set->sources = json_array();
        json_array_append_new(set->sources, json_sprintf("files:%s", dir));
    }
    cf_eval_set_free(files);
    return rc;
}

void cf_train_set_free(cf_train_set *set) {
    for (size_t i = 0; i < set->n; i++) {
        free(set->m[i].name);
        free(set->m[i].media_id);
        free(set->m[i].spans);
        cf_feature_track_free(set->m[i].track);
    }
    free(set->m);
    json_decref(set->sources);
    memset(set, 0, sizeof *set);
}

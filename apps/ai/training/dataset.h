/* dataset.h — what training learns from: media with reviewers' verdicts on spans of them, from
 * the labels the API stored (POST /v1/labels: the job store's labels joined to its media in the
 * storage) and from label files (an evaluation-set directory), each with its feature track from
 * the feature store. */
#ifndef CLIPFORGE_AI_DATASET_H
#define CLIPFORGE_AI_DATASET_H

#include <jansson.h>

#include "clipforge/storage.h"
#include "clipforge/store.h"
#include "features/content_hash.h"
#include "training/evaluate.h"

typedef struct cf_train_media {
    char *name;     /* the media id, or the file's name */
    char *media_id; /* NULL for a label file's media */
    cf_feature_track *track;
    cf_eval_span *spans;
    size_t n_spans;
} cf_train_media;

typedef struct cf_train_set {
    cf_train_media *m;
    size_t n;
    size_t labels, accepted, rejected;
    json_t *sources; /* ["store", "files:DIR"] */
} cf_train_set;

/* Adds every media of store that has labels (media from storage, tracks from src). */
cf_err cf_train_set_add_store(cf_train_set *set, cf_store *store, cf_storage *storage,
                              const cf_track_source *src, cf_error *err);
/* Adds the media of an evaluation-set directory (label files). */
cf_err cf_train_set_add_files(cf_train_set *set, const char *dir, const cf_track_source *src, cf_error *err);
void cf_train_set_free(cf_train_set *set);

/* Parses one stored Label document into a span; false when it is not one. */
bool cf_label_to_span(const json_t *label, cf_eval_span *out);

#endif

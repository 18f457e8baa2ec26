/* assign.h — the highlight model version a detection runs when its request names none: the
 * registry's choice for the request's profile and media (pin, A/B split, default). */
#ifndef CLIPFORGE_AI_ASSIGN_H
#define CLIPFORGE_AI_ASSIGN_H

#include <stddef.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"

/* Computes the media's key (its id, or its content hash) into key (cap bytes); called only when
 * the choice depends on the media. */
typedef cf_err (*cf_media_key_fn)(void *user, char *key, size_t cap, cf_error *err);

/* When req names no model_version and the registry in models_dir assigns one, sets
 * req->model_version to a malloc'd copy (the caller frees it and puts NULL back) and writes why
 * into why ("split generic: arm v2 ..."); otherwise leaves req alone and why "". A models_dir
 * that does not exist assigns nothing; a malformed registry.json is an error naming it. */
cf_err cf_highlight_assign(const char *models_dir, cf_highlight_detection_request *req,
                           cf_media_key_fn key_fn, void *user, char *why, size_t why_len, cf_error *err);

#endif

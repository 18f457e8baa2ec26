/* problem.h — RFC 9457 problem details: one stable type URI per kind of error, shared by HTTP
 * responses and by the "error" of failed jobs. */
#ifndef CLIPFORGE_PROBLEM_H
#define CLIPFORGE_PROBLEM_H

#include <jansson.h>

#include "clipforge/error.h"

#define CF_PROBLEM_BASE "https://clipforge.dev/problems/"

typedef struct cf_problem_kind {
    const char *slug;  /* "validation" -> CF_PROBLEM_BASE "validation" */
    const char *title; /* short, stable */
    int status;        /* HTTP status */
} cf_problem_kind;

/* The kind for an error code (validation, not-found, conflict, payload-too-large, forbidden,
 * invalid-media, unsupported, cancelled, unavailable, processing-failed, internal). */
const cf_problem_kind *cf_problem_for(cf_err code);
/* The kind with that slug (e.g. "method-not-allowed"); NULL when unknown. */
const cf_problem_kind *cf_problem_find(const char *slug);
/* {"type", "title", "status", "detail"}; new reference. */
json_t *cf_problem_json(const cf_problem_kind *k, const char *detail);
/* The same as compact JSON text (the form stored as a job's error); malloc'd, the caller frees
 * it; NULL when out of memory. */
char *cf_problem_text(const cf_problem_kind *k, const char *detail);
/* Every kind, for the OpenAPI document; *n = count. */
const cf_problem_kind *cf_problem_kinds(size_t *n);

#endif

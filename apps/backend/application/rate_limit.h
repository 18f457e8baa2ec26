/* rate_limit.h — token buckets by name (an API key, a client address): each holds up to N
 * tokens and refills N per period; a request takes one. Kept in a fixed table in memory (one
 * process's view: behind several API nodes each node limits on its own). */
#ifndef CLIPFORGE_RATE_LIMIT_H
#define CLIPFORGE_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "clipforge/error.h"

typedef struct cf_rate_limit cf_rate_limit;

/* spec: "N/s" or "N/m" (N >= 1); "" or NULL makes *out NULL (no limit). */
cf_err cf_rate_limit_new(const char *spec, cf_rate_limit **out, cf_error *err);
void cf_rate_limit_free(cf_rate_limit *rl);
/* Takes a token of name's bucket at now_ms; false when it is empty, with *retry_after_s the
 * whole seconds until a token is back (at least 1). A NULL limiter allows everything. */
bool cf_rate_limit_take(cf_rate_limit *rl, const char *name, int64_t now_ms, int64_t *retry_after_s);

#endif

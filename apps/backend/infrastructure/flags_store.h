/* flags_store.h — the "store" feature flag source: flags set at run time (PUT /v1/flags/{name})
 * kept in the job store, so every process sharing the store sees a change at its next read. */
#ifndef CLIPFORGE_FLAGS_STORE_H
#define CLIPFORGE_FLAGS_STORE_H

#include "clipforge/flags.h"
#include "clipforge/store.h"

const cf_flags_methods *cf_flags_store_methods(void);
/* A source over store (not owned: it must outlive the source). */
cf_err cf_flags_store_open(cf_store *store, void **self, cf_error *err);

#endif

/* store_sqlite.h — the "sqlite" job store backend (URL "sqlite:/path/to/clipforge.db"). */
#ifndef CLIPFORGE_STORE_SQLITE_H
#define CLIPFORGE_STORE_SQLITE_H

#include "clipforge/store.h"

/* The method table; register it with cf_store_register(). */
const cf_store_methods *cf_store_sqlite_methods(void);

/* The SQL text of the statement a job list with filter f runs, and of the one reading a tenant's
 * events (static strings), for the tests that check their query plans. */
const char *cf_store_sqlite_job_list_sql(const cf_job_filter *f);
const char *cf_store_sqlite_events_after_tenant_sql(void);

#endif

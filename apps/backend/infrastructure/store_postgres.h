/* store_postgres.h — the "postgres" job store backend (URL "postgres://user@host:port/db", any
 * libpq URI, plus "schema=NAME" to keep the tables in their own schema). */
#ifndef CLIPFORGE_STORE_POSTGRES_H
#define CLIPFORGE_STORE_POSTGRES_H

#include "clipforge/store.h"

/* The method table; register it with cf_store_register(). */
const cf_store_methods *cf_store_postgres_methods(void);

/* The SQL text of the statement a job list with filter f runs (a static string) and, in
 * *nparams, how many of the parameters $1 status, $2 kind, $3 before seq, $4 limit, $5 tenant,
 * $6 parent it takes; for the tests that check its query plan. */
const char *cf_store_postgres_job_list_sql(const cf_job_filter *f, int *nparams);

#endif

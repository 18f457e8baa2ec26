/* store_postgres.h — the "postgres" job store backend (URL "postgres://user@host:port/db", any
 * libpq URI, plus "schema=NAME" to keep the tables in their own schema). */
#ifndef CLIPFORGE_STORE_POSTGRES_H
#define CLIPFORGE_STORE_POSTGRES_H

#include "clipforge/store.h"

/* The method table; register it with cf_store_register(). */
const cf_store_methods *cf_store_postgres_methods(void);

#endif

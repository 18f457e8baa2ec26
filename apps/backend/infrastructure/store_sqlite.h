/* store_sqlite.h — the "sqlite" job store backend (URL "sqlite:/path/to/clipforge.db"). */
#ifndef CLIPFORGE_STORE_SQLITE_H
#define CLIPFORGE_STORE_SQLITE_H

#include "clipforge/store.h"

/* The method table; register it with cf_store_register(). */
const cf_store_methods *cf_store_sqlite_methods(void);

#endif

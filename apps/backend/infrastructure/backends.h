/* backends.h — registers the store, bus and storage backends built into this binary. */
#ifndef CLIPFORGE_BACKENDS_H
#define CLIPFORGE_BACKENDS_H

/* Idempotent and thread-safe. */
void cf_backends_register(void);

#endif

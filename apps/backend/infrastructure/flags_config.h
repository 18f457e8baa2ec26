/* flags_config.h — the "config" feature flag source: the flags of CLIPFORGE_FLAGS (the
 * environment or the config file), "name=on,other=25%", read once; read-only. */
#ifndef CLIPFORGE_FLAGS_CONFIG_H
#define CLIPFORGE_FLAGS_CONFIG_H

#include "clipforge/flags.h"

const cf_flags_methods *cf_flags_config_methods(void);
/* Parses text (cf_flags_parse_list); CF_ERR_INVALID_ARGUMENT names CLIPFORGE_FLAGS and the item. */
cf_err cf_flags_config_open(const char *text, void **self, cf_error *err);

#endif

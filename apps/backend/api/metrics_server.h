/* metrics_server.h — /metrics, /healthz and /readyz on their own port, for processes that do not
 * run the API (`clipforge worker`). */
#ifndef CLIPFORGE_METRICS_SERVER_H
#define CLIPFORGE_METRICS_SERVER_H

#include "application/app.h"

typedef struct cf_metrics_server cf_metrics_server;

/* Listens on listen ("HOST:PORT"); an empty listen starts nothing (*out = NULL, CF_OK). */
cf_err cf_metrics_server_start(cf_app *app, const char *listen, cf_metrics_server **out, cf_error *err);
/* NULL-safe. */
void cf_metrics_server_stop(cf_metrics_server *s);

#endif

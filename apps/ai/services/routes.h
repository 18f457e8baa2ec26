/* routes.h — the HTTP routes of the inference service (internal). Handlers get the service as
 * req->user. */
#ifndef CLIPFORGE_AI_ROUTES_H
#define CLIPFORGE_AI_ROUTES_H

#include "api/api.h"

/* The route table (service_routes.c). */
const cf_route *cf_ai_service_routes(size_t *n);
/* POST /v1/detect (detect_tasks.c). */
enum MHD_Result cf_ai_route_detect(cf_http_request *req);

#endif

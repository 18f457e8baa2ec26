/* clip_request.h — turning a ClipProcessingRequest into the engine's plan. Internal. */
#ifndef CFCLIP_CLIP_REQUEST_H
#define CFCLIP_CLIP_REQUEST_H

#include "clip_plan.h"
#include "clipforge/domain/types.h"

/* Local path of a source or output URI (a plain path or file://...); NULL for other schemes. */
const char *cfclip_local_path(const char *uri);
/* Fills plan from req (borrowing its strings). An operation given twice, an unknown URI
 * scheme or a value out of range fail with the field path ("operations[2]: ..."). */
cf_err cfclip_plan_from_request(const cf_clip_processing_request *req, cfclip_plan *plan, cf_error *err);

#endif

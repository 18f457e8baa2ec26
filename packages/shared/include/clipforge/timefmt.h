/* timefmt.h — command-line times: seconds ("12.5") or [hh:]mm:ss[.mmm], to integer ms. */
#ifndef CLIPFORGE_TIMEFMT_H
#define CLIPFORGE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"

/* Parses one time; rejects negatives, garbage, minutes/seconds fields >= 60 in clock form. */
cf_err cf_parse_time_ms(const char *text, int64_t *out_ms, cf_error *err);
/* Parses a range "START:END" ("5:15.5" = 5 s to 15.5 s), "START-END" or "START,END".
 * With colons only, an odd number of them splits in the middle ("01:05:01:20" = 65 s to 80 s);
 * an even number is ambiguous and refused with a hint to use '-'. */
cf_err cf_parse_range_ms(const char *text, int64_t *start_ms, int64_t *end_ms, cf_error *err);
/* Formats ms as h:mm:ss.mmm into buf. */
void cf_format_time_ms(int64_t ms, char *buf, size_t len);

#endif

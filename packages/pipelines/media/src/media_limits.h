/* media_limits.h — internal to libcfmedia: how cf_media_open applies the configured limits
 * (cf_media_configure) to an input. */
#ifndef CFMEDIA_LIMITS_H
#define CFMEDIA_LIMITS_H

#include "clipforge/media.h"

/* Sets the FFmpeg bounds (probesize, max_streams, the probe deadline) on fmt before it is opened.
 * The readers FFmpeg opens keep the interrupt callback, which reads *deadline_us: it must outlive
 * fmt and everything it opened. */
void cfmedia_limits_begin(AVFormatContext *fmt, int64_t *deadline_us);
/* Ends the probe deadline once the stream information is read (the readers' callback then never
 * interrupts): the limit error when it had passed, else CF_OK. */
cf_err cfmedia_limits_end(AVFormatContext *fmt, int64_t *deadline_us, cf_error *err);
/* When an FFmpeg open step failed with ret (ends the deadline): the limit error if the probe deadline or the
 * stream limit caused it (then CF_ERR_INVALID_MEDIA), else CF_OK and the caller reports ret. */
cf_err cfmedia_limits_failed(int ret, int64_t *deadline_us, cf_error *err);
/* Checks the opened input against the limits: CF_ERR_INVALID_MEDIA naming the first one it is
 * over, else CF_OK. */
cf_err cfmedia_limits_check(const AVFormatContext *fmt, cf_error *err);
/* Checks a length measured by reading the file (it states none) against the duration limit;
 * at_least: the reading stopped there, past the limit. */
cf_err cfmedia_limits_check_duration(int64_t duration_ms, bool at_least, cf_error *err);
/* Whether fmt's length is FFmpeg's guess from the bit rate of its first frames (an MP3 without a
 * Xing header, ADTS AAC), not a length the file states: it is measured (media_input.c). */
bool cfmedia_length_guessed(const AVFormatContext *fmt);
/* The duration limit in ms, 0 = none. */
int64_t cfmedia_limits_max_duration_ms(void);
/* The max_pixels a decoder takes (0 = FFmpeg's own). */
int64_t cfmedia_limits_max_pixels(void);

#endif

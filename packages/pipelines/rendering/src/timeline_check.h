/* timeline_check.h — the rules of a timeline that its schema cannot state (text overlays need
 * text, colours must be known, transitions must fit their scenes...), colour parsing and font
 * lookup. Messages name the field: "overlays[1].text: required for a text overlay". */
#ifndef CF_RENDER_TIMELINE_CHECK_H
#define CF_RENDER_TIMELINE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"

#define CF_FONT_DIR "/usr/share/fonts/truetype/dejavu"

/* Checks tl beyond its schema; CF_ERR_INVALID_ARGUMENT naming the field on failure. */
cf_err cf_timeline_check(const cf_timeline *tl, cf_error *err);
/* Parses a colour name (white, black, red, ...) or #RRGGBB into 0xRRGGBB. */
bool cf_color_parse(const char *text, uint32_t *rgb);
/* The RGB to give FFmpeg's drawing (color, pad, drawbox, drawtext, ASS captions) so that the
 * canvas shows rgb: they turn RGB into YUV with BT.601's matrix, the canvas is BT.709. */
uint32_t cf_color_for_drawing(uint32_t rgb);
/* Resolves a font family ("DejaVu Sans Bold") or an existing .ttf path to a file path; the
 * result is a static string or font itself. NULL when unknown. */
const char *cf_font_file(const char *font);
/* Timeline length in ms: the scenes minus the transition overlaps. */
int64_t cf_timeline_duration_ms(const cf_timeline *tl);
/* Whether an output carries sound: a GIF has none, so a render to GIFs alone reads no audio,
 * builds no sound and leaves no audio stream out. */
bool cf_timeline_has_sound(const cf_timeline *tl);

#endif

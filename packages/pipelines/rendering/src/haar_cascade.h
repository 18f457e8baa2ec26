/* haar_cascade.h — Viola-Jones face (object) detection with the boosted Haar cascades that
 * OpenCV publishes as XML (Debian's opencv-data: /usr/share/opencv4/haarcascades/).
 * Stump and tree weak classifiers are supported; tilted (45°) features are refused on load. */
#ifndef CF_RENDER_HAAR_CASCADE_H
#define CF_RENDER_HAAR_CASCADE_H

#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"

#define CF_DEFAULT_FACE_CASCADE "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

typedef struct cf_haar_cascade cf_haar_cascade;

typedef struct cf_rect {
    int x, y, w, h;
} cf_rect;

/* A borrowed 8-bit grey image. */
typedef struct cf_gray_image {
    const uint8_t *data;
    int width, height, stride;
} cf_gray_image;

typedef struct cf_detect_params {
    double scale_factor; /* step between window sizes, > 1 (1.1 when 0) */
    int min_neighbors;   /* a group needs more raw hits than this (0 = no grouping) */
    int min_size;        /* smallest window side in pixels (the cascade's own when 0) */
    int max_size;        /* largest window side (the image when 0) */
    int threads;         /* threads scanning the scales (0: one per core, up to 4); same result */
} cf_detect_params;

/* Fills p with the usual defaults: 1.1, 3 neighbours, no size limits. */
void cf_detect_params_default(cf_detect_params *p);

/* Loads a cascade file. *out is owned by the caller (cf_haar_free). Errors name the file and
 * the element that is missing or malformed. */
cf_err cf_haar_load(const char *path, cf_haar_cascade **out, cf_error *err);
void cf_haar_free(cf_haar_cascade *c);
/* The window the cascade was trained on (24x24 for the frontal face cascades). */
void cf_haar_window(const cf_haar_cascade *c, int *width, int *height);

/* Scans img at every scale, groups overlapping hits, and returns the groups in *out
 * (malloc'd, caller frees; NULL with *n_out 0 when nothing is found). */
cf_err cf_haar_detect(const cf_haar_cascade *c, const cf_gray_image *img, const cf_detect_params *p,
                      cf_rect **out, size_t *n_out, cf_error *err);

/* Groups raw hits like OpenCV's groupRectangles: clusters of similar rectangles (eps relative to
 * size) with more than min_neighbors members become their average; groups inside a stronger
 * group are dropped. Rewrites rects in place and returns the new count. */
size_t cf_group_rects(cf_rect *rects, size_t n, int min_neighbors, double eps);

#endif

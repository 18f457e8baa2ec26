/* timeline_check.c — cross-field validation of timelines, colours and fonts. */
#include "timeline_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clipforge/encode.h"

static const struct {
    const char *name;
    uint32_t rgb;
} colors[] = {
    {"black", 0x000000}, {"white", 0xFFFFFF},  {"red", 0xFF0000},    {"green", 0x008000},
    {"blue", 0x0000FF},  {"yellow", 0xFFFF00}, {"cyan", 0x00FFFF},   {"magenta", 0xFF00FF},
    {"gray", 0x808080},  {"grey", 0x808080},   {"orange", 0xFFA500}, {"purple", 0x800080},
    {"pink", 0xFFC0CB},  {"lime", 0x00FF00},   {"navy", 0x000080},   {"teal", 0x008080},
};

bool cf_color_parse(const char *text, uint32_t *rgb) {
    if (!text) return false;
    if (text[0] == '#' && strlen(text) == 7) {
        char *end;
        unsigned long v = strtoul(text + 1, &end, 16);
        if (*end) return false;
        *rgb = (uint32_t)v;
        return true;
    }
    for (size_t i = 0; i < sizeof colors / sizeof colors[0]; i++)
        if (!strcasecmp(text, colors[i].name)) {
            *rgb = colors[i].rgb;
            return true;
        }
    return false;
}

static double clamp_255(double v) {
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* FFmpeg 5.1's drawing utilities convert with fixed BT.601 weights whatever the pictures are.
 * The YUV of rgb under BT.709 (Y and the two colour differences, range scaling cancels out)
 * turned back into RGB with BT.601's weights gives the colour that draws it exactly; a colour
 * outside BT.601's reach (the most saturated reds and blues) comes out clipped, still closer. */
uint32_t cf_color_for_drawing(uint32_t rgb) {
    const double kr709 = 0.2126, kb709 = 0.0722, kr601 = 0.299, kb601 = 0.114;
    double r = (double)(rgb >> 16), g = (double)((rgb >> 8) & 255), b = (double)(rgb & 255);
    double y = kr709 * r + (1 - kr709 - kb709) * g + kb709 * b;
    double pb = (b - y) / (2 * (1 - kb709)), pr = (r - y) / (2 * (1 - kr709));
    double r2 = y + 2 * (1 - kr601) * pr, b2 = y + 2 * (1 - kb601) * pb;
    double g2 = (y - kr601 * r2 - kb601 * b2) / (1 - kr601 - kb601);
    return (uint32_t)lround(clamp_255(r2)) << 16 | (uint32_t)lround(clamp_255(g2)) << 8 |
           (uint32_t)lround(clamp_255(b2));
}

static const struct {
    const char *family, *file;
} fonts[] = {
    {"DejaVu Sans", CF_FONT_DIR "/DejaVuSans.ttf"},
    {"DejaVu Sans Bold", CF_FONT_DIR "/DejaVuSans-Bold.ttf"},
    {"DejaVu Sans Mono", CF_FONT_DIR "/DejaVuSansMono.ttf"},
    {"DejaVu Sans Mono Bold", CF_FONT_DIR "/DejaVuSansMono-Bold.ttf"},
    {"DejaVu Serif", CF_FONT_DIR "/DejaVuSerif.ttf"},
    {"DejaVu Serif Bold", CF_FONT_DIR "/DejaVuSerif-Bold.ttf"},
};

const char *cf_font_file(const char *font) {
    if (!font) return NULL;
    for (size_t i = 0; i < sizeof fonts / sizeof fonts[0]; i++)
        if (!strcasecmp(font, fonts[i].family))
            return access(fonts[i].file, R_OK) == 0 ? fonts[i].file : NULL;
    size_t n = strlen(font);
    if (font[0] == '/' && n > 4 && (!strcasecmp(font + n - 4, ".ttf") || !strcasecmp(font + n - 4, ".otf")) &&
        access(font, R_OK) == 0)
        return font;
    return NULL;
}

int64_t cf_timeline_duration_ms(const cf_timeline *tl) {
    int64_t total = 0;
    for (size_t i = 0; i < tl->n_scenes; i++) {
        const cf_timeline_scene *s = &tl->scenes[i];
        total += s->out_ms - s->in_ms;
        if (i > 0 && s->transition && s->transition->kind != CF_TRANSITION_KIND_CUT)
            total -= s->transition->duration_ms;
    }
    return total;
}

bool cf_timeline_has_sound(const cf_timeline *tl) {
    for (size_t i = 0; i < tl->n_outputs; i++)
        if (cf_encoder_has_sound(tl->outputs[i].format)) return true;
    return false;
}

#define FAIL(...) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, __VA_ARGS__)

static cf_err check_color(const char *c, const char *field, size_t i, cf_error *err) {
    uint32_t rgb;
    if (c && !cf_color_parse(c, &rgb))
        FAIL("%s: unknown colour '%s' (use a name like white or #RRGGBB)", field, c);
    return CF_OK;
}

static cf_err check_overlay(const cf_timeline_overlay *o, size_t i, cf_error *err) {
    char f[96];
    if (o->kind == CF_OVERLAY_KIND_TEXT && !o->text)
        FAIL("overlays[%zu].text: required for a text overlay", i);
    if (o->kind == CF_OVERLAY_KIND_IMAGE && !o->image_uri)
        FAIL("overlays[%zu].image_uri: required for an image overlay", i);
    if (o->position == CF_OVERLAY_POSITION_CUSTOM && (!o->has_x || !o->has_y))
        FAIL("overlays[%zu].x: x and y are required with position custom", i);
    if (o->style) {
        snprintf(f, sizeof f, "overlays[%zu].style.color", i);
        cf_err e = check_color(o->style->color, f, i, err);
        if (e) return e;
        snprintf(f, sizeof f, "overlays[%zu].style.background_color", i);
        if ((e = check_color(o->style->background_color, f, i, err))) return e;
        if (o->kind == CF_OVERLAY_KIND_TEXT && !cf_font_file(o->style->font))
            FAIL("overlays[%zu].style.font: font '%s' is not installed", i, o->style->font);
    }
    return CF_OK;
}

/* A scene's longest length: 24 h. With the schema's 64 scenes at most, the timeline's length
 * (and every sum of scene times after it) stays far inside int64, whatever a client sends. */
#define MAX_SCENE_MS INT64_C(86400000)

static cf_err check_scenes(const cf_timeline *tl, cf_error *err) {
    for (size_t i = 0; i < tl->n_scenes; i++)
        if (tl->scenes[i].out_ms - tl->scenes[i].in_ms > MAX_SCENE_MS)
            FAIL("scenes[%zu].out_ms: a scene lasts at most 24 h (%lld ms)", i,
                 (long long)(tl->scenes[i].out_ms - tl->scenes[i].in_ms));
    for (size_t i = 0; i < tl->n_scenes; i++) {
        const cf_timeline_scene *s = &tl->scenes[i];
        const cf_scene_transition *t = s->transition;
        if (!t || t->kind == CF_TRANSITION_KIND_CUT) continue;
        if (i == 0) FAIL("scenes[0].transition: the first scene has nothing to transition from");
        int64_t shortest = s->out_ms - s->in_ms;
        int64_t prev = tl->scenes[i - 1].out_ms - tl->scenes[i - 1].in_ms;
        if (prev < shortest) shortest = prev;
        if (t->duration_ms <= 0 || t->duration_ms >= shortest)
            FAIL("scenes[%zu].transition.duration_ms: must be > 0 and shorter than both scenes (%lld ms)", i,
                 (long long)shortest);
    }
    return CF_OK;
}

cf_err cf_timeline_check(const cf_timeline *tl, cf_error *err) {
    cf_err e = check_scenes(tl, err);
    if (e) return e;
    if ((e = check_color(tl->canvas.background, "canvas.background", 0, err))) return e;
    if (tl->canvas.width % 2 || tl->canvas.height % 2)
        FAIL("canvas.width: width and height must be even (%lldx%lld)", (long long)tl->canvas.width,
             (long long)tl->canvas.height);
    int64_t dur = cf_timeline_duration_ms(tl);
    for (size_t i = 0; i < tl->n_overlays; i++) {
        if ((e = check_overlay(&tl->overlays[i], i, err))) return e;
        if (tl->overlays[i].start_ms >= dur)
            FAIL("overlays[%zu].start_ms: after the end of the timeline (%lld ms)", i, (long long)dur);
    }
    if (tl->captions) {
        const cf_timeline_captions *c = tl->captions;
        if ((e = check_color(c->color, "captions.color", 0, err)) ||
            (e = check_color(c->outline_color, "captions.outline_color", 0, err)) ||
            (e = check_color(c->highlight_color, "captions.highlight_color", 0, err)))
            return e;
        if (!cf_font_file(c->font)) FAIL("captions.font: font '%s' is not installed", c->font);
    }
    for (size_t i = 0; i < tl->n_outputs; i++) {
        const cf_timeline_output *o = &tl->outputs[i];
        if ((o->has_width && o->width % 2) || (o->has_height && o->height % 2))
            FAIL("outputs[%zu].width: width and height must be even", i);
    }
    return CF_OK;
}

/* haar_cascade.c — loads OpenCV's boosted Haar cascades (the "opencv-cascade-classifier" XML
 * format, read with libxml2) and evaluates them over an image pyramid.
 *
 * Evaluation follows the Viola-Jones scheme: the image is resized per scale so the features
 * stay at their trained size; an integral image and a squared integral give each rectangle sum
 * in four look-ups; each window's feature values are normalised by area * standard deviation of
 * the window's inner (border-less) region, so the trained thresholds apply whatever the
 * lighting. A window is a hit when every stage's summed leaf values reach the stage threshold. */
#include "haar_cascade.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FEATURE_RECTS 3
#define MAX_CASCADE_ITEMS 1000000 /* bound on stages, classifiers, nodes, features */

typedef struct hrect {
    int x, y, w, h;
    float weight;
} hrect;

typedef struct feature {
    hrect r[MAX_FEATURE_RECTS];
    int n;
} feature;

typedef struct node {
    int left, right; /* > 0: next node of the same tree; <= 0: leaf -value */
    int feature;
    float threshold;
} node;

typedef struct weak {
    int first_node, n_nodes, first_leaf, n_leaves;
} weak;

typedef struct stage {
    int first_weak, n_weak;
    float threshold;
} stage;

struct cf_haar_cascade {
    int win_w, win_h;
    feature *features;
    size_t n_features;
    node *nodes;
    size_t n_nodes;
    float *leaves;
    size_t n_leaves;
    weak *weaks;
    size_t n_weaks;
    stage *stages;
    size_t n_stages;
};

/* ---- XML helpers ---------------------------------------------------------------------- */

static xmlNode *child(xmlNode *parent, const char *name) {
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name)) return c;
    return NULL;
}

static size_t count_items(xmlNode *list) {
    size_t n = 0;
    for (xmlNode *c = list ? list->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "_")) n++;
    return n;
}

static xmlNode *next_item(xmlNode *c) {
    for (; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "_")) return c;
    return NULL;
}

/* Parses up to max whitespace-separated numbers of an element's text; returns how many, or -1
 * when a token is not a number or there are more than max. */
static int numbers(xmlNode *el, double *out, int max) {
    if (!el) return -1;
    xmlChar *text = xmlNodeGetContent(el);
    if (!text) return -1;
    const char *p = (const char *)text;
    int n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
        if (!*p) break;
        char *endp;
        double v = strtod(p, &endp);
        if (endp == p || n == max || !isfinite(v)) {
            n = -1;
            break;
        }
        out[n++] = v;
        p = endp;
    }
    xmlFree(text);
    return n;
}

static bool int_of(xmlNode *el, int *out) {
    double v;
    if (numbers(el, &v, 1) != 1 || v != floor(v) || fabs(v) > MAX_CASCADE_ITEMS) return false;
    *out = (int)v;
    return true;
}

/* ---- loading -------------------------------------------------------------------------- */

static cf_err load_feature(xmlNode *item, feature *f, int win_w, int win_h, size_t idx, const char *path,
                           cf_error *err) {
    int tilted = 0;
    if (child(item, "tilted") && int_of(child(item, "tilted"), &tilted) && tilted)
        return cf_error_set(err, CF_ERR_UNSUPPORTED, "%s: features[%zu]: tilted features are not supported",
                            path, idx);
    xmlNode *rects = child(item, "rects");
    size_t n = count_items(rects);
    if (n < 1 || n > MAX_FEATURE_RECTS)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: features[%zu].rects: need 1..3 rects", path, idx);
    f->n = (int)n;
    xmlNode *r = next_item(rects->children);
    for (int i = 0; i < f->n; i++, r = next_item(r->next)) {
        double v[5];
        if (numbers(r, v, 5) != 5)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                                "%s: features[%zu].rects[%d]: expected 'x y w h weight'", path, idx, i);
        hrect *h = &f->r[i];
        h->x = (int)v[0], h->y = (int)v[1], h->w = (int)v[2], h->h = (int)v[3];
        h->weight = (float)v[4];
        if (h->x < 0 || h->y < 0 || h->w <= 0 || h->h <= 0 || h->x + h->w > win_w || h->y + h->h > win_h)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                                "%s: features[%zu].rects[%d]: outside the %dx%d window", path, idx, i, win_w,
                                win_h);
    }
    return CF_OK;
}

static cf_err load_features(cf_haar_cascade *c, xmlNode *root, const char *path, cf_error *err) {
    xmlNode *list = child(root, "features");
    c->n_features = count_items(list);
    if (!c->n_features || c->n_features > MAX_CASCADE_ITEMS)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: <features> missing or empty", path);
    c->features = calloc(c->n_features, sizeof *c->features);
    if (!c->features) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    xmlNode *it = next_item(list->children);
    for (size_t i = 0; i < c->n_features; i++, it = next_item(it->next)) {
        cf_err e = load_feature(it, &c->features[i], c->win_w, c->win_h, i, path, err);
        if (e) return e;
    }
    return CF_OK;
}

/* One weak classifier: internalNodes holds 4 numbers per node (left right feature threshold),
 * leafValues one more value than there are nodes. */
static cf_err load_weak(cf_haar_cascade *c, xmlNode *item, size_t si, size_t wi, const char *path,
                        cf_error *err) {
    enum { MAX_NODES = 64 };
    double nv[MAX_NODES * 4], lv[MAX_NODES + 1];
    int nn = numbers(child(item, "internalNodes"), nv, MAX_NODES * 4);
    int nl = numbers(child(item, "leafValues"), lv, MAX_NODES + 1);
    if (nn <= 0 || nn % 4 || nl != nn / 4 + 1)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                            "%s: stages[%zu].weakClassifiers[%zu]: malformed internalNodes/leafValues", path,
                            si, wi);
    weak *w = &c->weaks[c->n_weaks++];
    w->first_node = (int)c->n_nodes, w->n_nodes = nn / 4;
    w->first_leaf = (int)c->n_leaves, w->n_leaves = nl;
    for (int k = 0; k < w->n_nodes; k++) {
        node *nd = &c->nodes[c->n_nodes++];
        nd->left = (int)nv[k * 4], nd->right = (int)nv[k * 4 + 1];
        nd->feature = (int)nv[k * 4 + 2];
        nd->threshold = (float)nv[k * 4 + 3];
        /* children must point forward (no cycles) and stay inside this tree */
        bool ok = nd->feature >= 0 && (size_t)nd->feature < c->n_features;
        int kids[2] = {nd->left, nd->right};
        for (int j = 0; j < 2; j++)
            ok = ok && (kids[j] > 0 ? kids[j] > k && kids[j] < w->n_nodes : -kids[j] < nl);
        if (!ok)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA,
                                "%s: stages[%zu].weakClassifiers[%zu]: node %d out of range", path, si, wi,
                                k);
    }
    for (int k = 0; k < nl; k++) c->leaves[c->n_leaves++] = (float)lv[k];
    return CF_OK;
}

/* Counts classifiers, nodes and leaves first so each array is allocated once. */
static cf_err size_stages(cf_haar_cascade *c, xmlNode *list, const char *path, cf_error *err) {
    size_t weaks = 0, nodes = 0;
    for (xmlNode *s = next_item(list->children); s; s = next_item(s->next)) {
        xmlNode *wl = child(s, "weakClassifiers");
        for (xmlNode *w = next_item(wl ? wl->children : NULL); w; w = next_item(w->next)) {
            double nv[256];
            int nn = numbers(child(w, "internalNodes"), nv, 256);
            if (nn <= 0 || nn % 4)
                return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: malformed internalNodes", path);
            weaks++, nodes += (size_t)nn / 4;
        }
    }
    if (!weaks || weaks > MAX_CASCADE_ITEMS || nodes > MAX_CASCADE_ITEMS)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: no weak classifiers", path);
    c->weaks = calloc(weaks, sizeof *c->weaks);
    c->nodes = calloc(nodes, sizeof *c->nodes);
    c->leaves = calloc(nodes + weaks, sizeof *c->leaves);
    if (!c->weaks || !c->nodes || !c->leaves)
        return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    return CF_OK;
}

static cf_err load_stages(cf_haar_cascade *c, xmlNode *root, const char *path, cf_error *err) {
    xmlNode *list = child(root, "stages");
    c->n_stages = count_items(list);
    if (!c->n_stages || c->n_stages > MAX_CASCADE_ITEMS)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: <stages> missing or empty", path);
    cf_err e = size_stages(c, list, path, err);
    if (e) return e;
    c->stages = calloc(c->n_stages, sizeof *c->stages);
    if (!c->stages) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    xmlNode *s = next_item(list->children);
    for (size_t i = 0; i < c->n_stages; i++, s = next_item(s->next)) {
        double thr;
        if (numbers(child(s, "stageThreshold"), &thr, 1) != 1)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: stages[%zu].stageThreshold missing", path, i);
        stage *st = &c->stages[i];
        st->threshold = (float)thr - 1e-5f; /* tolerance for thresholds printed in decimal */
        st->first_weak = (int)c->n_weaks;
        xmlNode *wl = child(s, "weakClassifiers");
        size_t wi = 0;
        for (xmlNode *w = next_item(wl ? wl->children : NULL); w; w = next_item(w->next), wi++)
            if ((e = load_weak(c, w, i, wi, path, err))) return e;
        st->n_weak = (int)wi;
        if (!wi)
            return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: stages[%zu] has no classifiers", path, i);
    }
    return CF_OK;
}

static cf_err load_root(cf_haar_cascade *c, xmlNode *root, const char *path, cf_error *err) {
    xmlNode *type = child(root, "featureType");
    xmlChar *t = type ? xmlNodeGetContent(type) : NULL;
    bool haar = t && strstr((const char *)t, "HAAR");
    xmlFree(t);
    if (!haar)
        return cf_error_set(err, CF_ERR_UNSUPPORTED,
                            "%s: not a Haar cascade in the opencv-cascade-classifier format", path);
    if (!int_of(child(root, "width"), &c->win_w) || !int_of(child(root, "height"), &c->win_h) ||
        c->win_w < 4 || c->win_h < 4 || c->win_w > 512 || c->win_h > 512)
        return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: window <width>/<height> missing or bad", path);
    cf_err e = load_features(c, root, path, err);
    return e ? e : load_stages(c, root, path, err);
}

cf_err cf_haar_load(const char *path, cf_haar_cascade **out, cf_error *err) {
    *out = NULL;
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) return cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: not readable XML", path);
    cf_err e = CF_OK;
    cf_haar_cascade *c = calloc(1, sizeof *c);
    if (!c) {
        e = cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
        goto end;
    }
    xmlNode *top = xmlDocGetRootElement(doc);
    xmlNode *root = NULL;
    for (xmlNode *k = top ? top->children : NULL; k && !root; k = k->next)
        if (k->type == XML_ELEMENT_NODE && child(k, "stages")) root = k;
    if (!root) {
        e = cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: no cascade element with <stages>", path);
        goto end;
    }
    if ((e = load_root(c, root, path, err))) goto end;
    *out = c;
    c = NULL;
end:
    cf_haar_free(c);
    xmlFreeDoc(doc);
    return e;
}

void cf_haar_free(cf_haar_cascade *c) {
    if (!c) return;
    free(c->features);
    free(c->nodes);
    free(c->leaves);
    free(c->weaks);
    free(c->stages);
    free(c);
}

void cf_haar_window(const cf_haar_cascade *c, int *width, int *height) {
    *width = c->win_w;
    *height = c->win_h;
}

void cf_detect_params_default(cf_detect_params *p) {
    p->scale_factor = 1.1;
    p->min_neighbors = 3;
    p->min_size = 0;
    p->max_size = 0;
    p->threads = 0;
}

/* ---- evaluation ----------------------------------------------------------------------- */

/* Per-scale look-up tables: for each feature rect, the four integral offsets relative to the
 * window's top-left corner (integral stride differs per scale). */
typedef struct scan {
    int stride;
    uint32_t *sum;
    uint64_t *sq;
    int (*ofs)[MAX_FEATURE_RECTS][4];
    int norm[4];
    double norm_area;
} scan;

static void rect_offsets(int stride, int x, int y, int w, int h, int o[4]) {
    o[0] = y * stride + x;
    o[1] = y * stride + x + w;
    o[2] = (y + h) * stride + x;
    o[3] = (y + h) * stride + x + w;
}

static void resize_bilinear(const cf_gray_image *src, uint8_t *dst, int dw, int dh) {
    double sx = (double)src->width / dw, sy = (double)src->height / dh;
    for (int y = 0; y < dh; y++) {
        double fy = (y + 0.5) * sy - 0.5;
        if (fy < 0) fy = 0;
        int y0 = (int)fy, y1 = y0 + 1 < src->height ? y0 + 1 : y0;
        double ay = fy - y0;
        const uint8_t *r0 = src->data + (size_t)y0 * src->stride;
        const uint8_t *r1 = src->data + (size_t)y1 * src->stride;
        for (int x = 0; x < dw; x++) {
            double fx = (x + 0.5) * sx - 0.5;
            if (fx < 0) fx = 0;
            int x0 = (int)fx, x1 = x0 + 1 < src->width ? x0 + 1 : x0;
            double ax = fx - x0;
            double top = r0[x0] + (r0[x1] - r0[x0]) * ax;
            double bot = r1[x0] + (r1[x1] - r1[x0]) * ax;
            dst[(size_t)y * dw + x] = (uint8_t)(top + (bot - top) * ay + 0.5);
        }
    }
}

/* Unsigned wrap-around keeps four-corner differences exact even past 2^32. */
static void integrate(const uint8_t *img, int w, int h, uint32_t *sum, uint64_t *sq) {
    int stride = w + 1;
    memset(sum, 0, sizeof *sum * (size_t)stride);
    memset(sq, 0, sizeof *sq * (size_t)stride);
    for (int y = 0; y < h; y++) {
        uint32_t rs = 0;
        uint64_t rq = 0;
        uint32_t *srow = sum + (size_t)(y + 1) * stride;
        uint64_t *qrow = sq + (size_t)(y + 1) * stride;
        srow[0] = 0, qrow[0] = 0;
        for (int x = 0; x < w; x++) {
            uint32_t v = img[(size_t)y * w + x];
            rs += v, rq += (uint64_t)v * v;
            srow[x + 1] = srow[x + 1 - stride] + rs;
            qrow[x + 1] = qrow[x + 1 - stride] + rq;
        }
    }
}

#define RSUM(t, p, o) ((t)[(p) + (o)[0]] - (t)[(p) + (o)[1]] - (t)[(p) + (o)[2]] + (t)[(p) + (o)[3]])

/* True when every stage accepts the window whose top-left integral index is p. */
static bool window_passes(const cf_haar_cascade *c, const scan *s, int p) {
    double wsum = (double)(uint32_t)RSUM(s->sum, p, s->norm);
    double wsq = (double)(uint64_t)RSUM(s->sq, p, s->norm);
    double nf = s->norm_area * wsq - wsum * wsum;
    nf = nf > 0 ? sqrt(nf) : 1.0;
    for (size_t si = 0; si < c->n_stages; si++) {
        const stage *st = &c->stages[si];
        double total = 0;
        for (int wi = st->first_weak; wi < st->first_weak + st->n_weak; wi++) {
            const weak *w = &c->weaks[wi];
            int idx = 0;
            do {
                const node *nd = &c->nodes[w->first_node + idx];
                const feature *f = &c->features[nd->feature];
                double v = 0;
                for (int r = 0; r < f->n; r++)
                    v += f->r[r].weight * (double)(int32_t)RSUM(s->sum, p, s->ofs[nd->feature][r]);
                idx = v < nd->threshold * nf ? nd->left : nd->right;
            } while (idx > 0);
            total += c->leaves[w->first_leaf - idx];
        }
        if (total < st->threshold) return false;
    }
    return true;
}

static void prepare_scan(const cf_haar_cascade *c, scan *s, int stride) {
    s->stride = stride;
    for (size_t i = 0; i < c->n_features; i++)
        for (int r = 0; r < c->features[i].n; r++) {
            const hrect *h = &c->features[i].r[r];
            rect_offsets(stride, h->x, h->y, h->w, h->h, s->ofs[i][r]);
        }
    rect_offsets(stride, 1, 1, c->win_w - 2, c->win_h - 2, s->norm);
    s->norm_area = (double)(c->win_w - 2) * (c->win_h - 2);
}

typedef struct hits {
    cf_rect *v;
    size_t n, cap;
} hits;

static bool push_hit(hits *h, cf_rect r) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        cf_rect *v = realloc(h->v, cap * sizeof *v);
        if (!v) return false;
        h->v = v, h->cap = cap;
    }
    h->v[h->n++] = r;
    return true;
}

/* Scans one pyramid level of size sw x sh (image shrunk by factor). */
static bool scan_level(const cf_haar_cascade *c, const cf_gray_image *img, double factor, int sw, int sh,
                       scan *s, uint8_t *small, hits *h) {
    resize_bilinear(img, small, sw, sh);
    integrate(small, sw, sh, s->sum, s->sq);
    prepare_scan(c, s, sw + 1);
    int step = factor > 2.0 ? 1 : 2;
    for (int y = 0; y + c->win_h <= sh; y += step)
        for (int x = 0; x + c->win_w <= sw; x += step) {
            if (!window_passes(c, s, y * s->stride + x)) continue;
            cf_rect r = {(int)lround(x * factor), (int)lround(y * factor), (int)lround(c->win_w * factor),
                         (int)lround(c->win_h * factor)};
            if (!push_hit(h, r)) return false;
        }
    return true;
}

/* One pyramid level: the image shrunk by f to sw x sh, and the windows found there. */
typedef struct level {
    double f;
    int sw, sh;
    hits h;
} level;

/* A thread's share of the levels (every step-th from first), with its own buffers. */
typedef struct worker {
    const cf_haar_cascade *c;
    const cf_gray_image *img;
    level *levels;
    size_t n, first, step;
    bool ok;
} worker;

static void *scan_levels(void *arg) {
    worker *w = arg;
    size_t px = (size_t)(w->img->width + 1) * (w->img->height + 1);
    scan s = {0};
    uint8_t *small = malloc((size_t)w->img->width * w->img->height);
    s.sum = malloc(px * sizeof *s.sum);
    s.sq = malloc(px * sizeof *s.sq);
    s.ofs = malloc(w->c->n_features * sizeof *s.ofs);
    w->ok = small && s.sum && s.sq && s.ofs;
    for (size_t i = w->first; w->ok && i < w->n; i += w->step) {
        level *l = &w->levels[i];
        w->ok = scan_level(w->c, w->img, l->f, l->sw, l->sh, &s, small, &l->h);
    }
    free(small);
    free(s.sum);
    free(s.sq);
    free(s.ofs);
    return NULL;
}

/* The pyramid's levels for p, largest first, in *out (*n of them); false when out of memory. */
static bool pyramid(const cf_haar_cascade *c, const cf_gray_image *img, const cf_detect_params *p,
                    level **out, size_t *n) {
    size_t cap = 0;
    *out = NULL, *n = 0;
    for (double f = 1.0;; f *= p->scale_factor) {
        int sw = (int)lround(img->width / f), sh = (int)lround(img->height / f);
        int win = (int)lround(c->win_w * f);
        if (sw < c->win_w || sh < c->win_h || (p->max_size > 0 && win > p->max_size)) break;
        if (win < p->min_size) continue;
        if (*n == cap) {
            level *g = realloc(*out, (cap = cap ? cap * 2 : 32) * sizeof *g);
            if (!g) return false;
            *out = g;
        }
        (*out)[(*n)++] = (level){.f = f, .sw = sw, .sh = sh};
    }
    return true;
}

/* The levels are scanned on up to HAAR_THREADS threads (a level's windows do not depend on
 * another's; a split render's face pass waits for them with the other cores idle), each taking
 * every n-th level so that large and small levels are shared; the hits are then joined in level
 * order, so the result is the one a single thread gives. */
#define HAAR_THREADS 4

static bool scan_pyramid(const cf_haar_cascade *c, const cf_gray_image *img, level *levels, size_t n,
                         int threads) {
    long want = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
    size_t t = want > 1 ? (size_t)(want < HAAR_THREADS ? want : HAAR_THREADS) : 1;
    if (t > n) t = n ? n : 1;
    worker w[HAAR_THREADS] = {{0}};
    pthread_t th[HAAR_THREADS];
    bool started[HAAR_THREADS] = {false};
    for (size_t i = 0; i < t; i++) w[i] = (worker){c, img, levels, n, i, t, false};
    for (size_t i = 1; i < t; i++) started[i] = pthread_create(&th[i], NULL, scan_levels, &w[i]) == 0;
    scan_levels(&w[0]);
    bool ok = w[0].ok;
    for (size_t i = 1; i < t; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else scan_levels(&w[i]); /* no thread to be had: this share here */
        ok &= w[i].ok;
    }
    return ok;
}

cf_err cf_haar_detect(const cf_haar_cascade *c, const cf_gray_image *img, const cf_detect_params *p,
                      cf_rect **out, size_t *n_out, cf_error *err) {
    *out = NULL;
    *n_out = 0;
    cf_detect_params def;
    if (!p) cf_detect_params_default(&def), p = &def;
    if (!img || !img->data || img->width <= 0 || img->height <= 0 || img->stride < img->width ||
        img->width > 16384 || img->height > 16384)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "face detection: bad image size");
    if (!(p->scale_factor > 1.0) || p->scale_factor > 4.0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "face detection: scale_factor must be in (1,4]");
    size_t n = 0;
    level *levels = NULL;
    hits h = {0};
    bool ok = pyramid(c, img, p, &levels, &n) && (n == 0 || scan_pyramid(c, img, levels, n, p->threads));
    for (size_t i = 0; ok && i < n; i++)
        for (size_t k = 0; ok && k < levels[i].h.n; k++) ok = push_hit(&h, levels[i].h.v[k]);
    for (size_t i = 0; i < n; i++) free(levels[i].h.v);
    free(levels);
    if (!ok) {
        free(h.v);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "face detection: out of memory");
    }
    if (p->min_neighbors > 0) h.n = cf_group_rects(h.v, h.n, p->min_neighbors, 0.2);
    if (h.n) *out = h.v, *n_out = h.n;
    else free(h.v);
    return CF_OK;
}

/* ---- grouping ------------------------------------------------------------------------- */

static bool similar(const cf_rect *a, const cf_rect *b, double eps) {
    double d = eps * (fmin(a->w, b->w) + fmin(a->h, b->h)) * 0.5;
    return fabs((double)a->x - b->x) <= d && fabs((double)a->y - b->y) <= d &&
           fabs((double)a->x + a->w - b->x - b->w) <= d && fabs((double)a->y + a->h - b->y - b->h) <= d;
}

static size_t find_root(size_t *parent, size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

static bool inside(const cf_rect *in, const cf_rect *out, double eps) {
    int dx = (int)lround(out->w * eps), dy = (int)lround(out->h * eps);
    return in->x >= out->x - dx && in->y >= out->y - dy && in->x + in->w <= out->x + out->w + dx &&
           in->y + in->h <= out->y + out->h + dy;
}

size_t cf_group_rects(cf_rect *rects, size_t n, int min_neighbors, double eps) {
    if (n == 0) return 0;
    size_t *parent = malloc(n * sizeof *parent);
    size_t *count = calloc(n, sizeof *count);
    double *acc = calloc(n * 4, sizeof *acc);
    size_t kept = 0;
    if (!parent || !count || !acc) goto end;
    for (size_t i = 0; i < n; i++) parent[i] = i;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (similar(&rects[i], &rects[j], eps)) parent[find_root(parent, i)] = find_root(parent, j);
    for (size_t i = 0; i < n; i++) {
        size_t r = find_root(parent, i);
        count[r]++;
        acc[r * 4] += rects[i].x, acc[r * 4 + 1] += rects[i].y;
        acc[r * 4 + 2] += rects[i].w, acc[r * 4 + 3] += rects[i].h;
    }
    /* averages of the groups that have enough members, with their sizes in count[] */
    size_t groups = 0;
    for (size_t i = 0; i < n; i++) {
        if (!count[i] || count[i] <= (size_t)min_neighbors) continue;
        double k = (double)count[i];
        rects[groups] = (cf_rect){(int)lround(acc[i * 4] / k), (int)lround(acc[i * 4 + 1] / k),
                                  (int)lround(acc[i * 4 + 2] / k), (int)lround(acc[i * 4 + 3] / k)};
        count[groups++] = count[i];
    }
    /* a small group inside a clearly stronger one is the same object seen at a finer scale;
     * parent[] is reused as the keep flags so the comparisons see the uncompacted groups */
    for (size_t i = 0; i < groups; i++) {
        bool drop = false;
        for (size_t j = 0; j < groups && !drop; j++)
            drop = j != i && count[j] > (count[i] > 3 ? count[i] : 3) && inside(&rects[i], &rects[j], eps);
        parent[i] = !drop;
    }
    for (size_t i = 0; i < groups; i++)
        if (parent[i]) rects[kept++] = rects[i];
end:
    free(parent);
    free(count);
    free(acc);
    return kept;
}

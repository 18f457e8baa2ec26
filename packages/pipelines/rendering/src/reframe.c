/* reframe.c — motion + face saliency per frame, then a virtual camera over it.
 * Settings: cf_reframe_params (dead zone, speed, acceleration, analysis size, face cadence). */
#include "reframe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gray_reader.h"
#include "haar_cascade.h"

#define DIFF_THRESHOLD 20  /* luma change that counts as motion */
#define MIN_MOTION 0.0004  /* fraction of changed pixels below which nothing moved */
#define MAX_MOTION 0.6     /* above it the whole frame moves (camera pan, flash) */
#define LOOK_BEHIND_MS 100 /* window of the target smoothing */
#define LOOK_AHEAD_MS 300
#define FACE_HOLD_MS 1000 /* a detection stays valid this long */

void cf_reframe_params_default(cf_reframe_params *p) {
    *p = (cf_reframe_params){.aspect = 9.0 / 16.0,
                             .analysis_width = 320,
                             .face_interval_ms = 200,
                             .cascade_path = NULL,
                             .dead_zone = 0.1,
                             .gain = 6.0,
                             .max_speed = 0.6,
                             .max_accel = 1.5,
                             .cut_threshold = 40.0};
}

/* ---- analysis ----------------------------------------------------------------------------- */

typedef struct analysis {
    const cf_reframe_params *p;
    cf_haar_cascade *cascade;
    double scale;  /* source pixels per analysis pixel */
    uint8_t *prev; /* previous frame at analysis size */
    int w, h;
    int64_t last_face_ms;
    cf_rect *faces;
    size_t n_faces;
    size_t *hist_x, *hist_y;
} analysis;

typedef struct samples {
    cf_camera_sample *v;
    size_t n, cap;
} samples;

static bool push_sample(samples *s, const cf_camera_sample *x) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        cf_camera_sample *v = realloc(s->v, cap * sizeof *v);
        if (!v) return false;
        s->v = v, s->cap = cap;
    }
    s->v[s->n++] = *x;
    return true;
}

/* Quantile position of a histogram (q in [0,1]). */
static int quantile(const size_t *hist, int n, size_t total, double q) {
    size_t want = (size_t)(q * (double)total), acc = 0;
    for (int i = 0; i < n; i++)
        if ((acc += hist[i]) > want) return i;
    return n - 1;
}

/* Motion between prev and cur: changed-pixel fraction, its centroid and robust extent. Returns
 * the mean absolute difference (for cut detection). */
static double motion(analysis *a, const cf_gray_image *cur, cf_camera_sample *s) {
    size_t changed = 0;
    double sum_abs = 0, sx = 0, sy = 0;
    memset(a->hist_x, 0, sizeof *a->hist_x * (size_t)a->w);
    memset(a->hist_y, 0, sizeof *a->hist_y * (size_t)a->h);
    for (int y = 0; y < a->h; y++)
        for (int x = 0; x < a->w; x++) {
            int d = abs(cur->data[(size_t)y * cur->stride + x] - a->prev[(size_t)y * a->w + x]);
            sum_abs += d;
            if (d < DIFF_THRESHOLD) continue;
            changed++, sx += x, sy += y;
            a->hist_x[x]++, a->hist_y[y]++;
        }
    double total = (double)a->w * a->h;
    s->motion = changed / total;
    if (s->motion >= MIN_MOTION && s->motion <= MAX_MOTION) {
        s->seen = true;
        s->roi_x = (sx / changed + 0.5) * a->scale;
        s->roi_y = (sy / changed + 0.5) * a->scale;
        s->subj_x0 = quantile(a->hist_x, a->w, changed, 0.02) * a->scale;
        s->subj_x1 = (quantile(a->hist_x, a->w, changed, 0.98) + 1) * a->scale;
        s->subj_y0 = quantile(a->hist_y, a->h, changed, 0.02) * a->scale;
        s->subj_y1 = (quantile(a->hist_y, a->h, changed, 0.98) + 1) * a->scale;
    }
    return sum_abs / total;
}

/* The detector's settings for a reframe's and a split's faces: one rule for both. */
static void face_params(cf_detect_params *dp) {
    cf_detect_params_default(dp);
    dp->scale_factor = 1.15;
    dp->min_size = 20;
}

static cf_err detect_faces(analysis *a, const cf_gray_image *img, int64_t t_ms, cf_error *err) {
    if (!a->cascade || t_ms - a->last_face_ms < a->p->face_interval_ms) return CF_OK;
    free(a->faces);
    a->faces = NULL;
    a->last_face_ms = t_ms;
    cf_detect_params dp;
    face_params(&dp);
    return cf_haar_detect(a->cascade, img, &dp, &a->faces, &a->n_faces, err);
}

/* Faces override motion: the area-weighted centre of the faces, their union as the subject. */
static void apply_faces(const analysis *a, int64_t t_ms, cf_camera_sample *s) {
    if (!a->n_faces || t_ms - a->last_face_ms > FACE_HOLD_MS) return;
    double wsum = 0, cx = 0, cy = 0, x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
    for (size_t i = 0; i < a->n_faces; i++) {
        const cf_rect *f = &a->faces[i];
        double area = (double)f->w * f->h;
        wsum += area;
        cx += area * (f->x + f->w / 2.0), cy += area * (f->y + f->h / 2.0);
        x0 = fmin(x0, f->x), x1 = fmax(x1, f->x + f->w);
        y0 = fmin(y0, f->y), y1 = fmax(y1, f->y + f->h);
    }
    s->faces = (int)a->n_faces;
    s->seen = true;
    s->roi_x = cx / wsum * a->scale, s->roi_y = cy / wsum * a->scale;
    s->subj_x0 = x0 * a->scale, s->subj_x1 = x1 * a->scale;
    s->subj_y0 = y0 * a->scale, s->subj_y1 = y1 * a->scale;
}

static cf_err analyse_frame(analysis *a, const cf_gray_image *img, int64_t t_ms, samples *out,
                            cf_error *err) {
    cf_camera_sample s = {.t_ms = t_ms};
    if (!a->prev) {
        a->w = img->width, a->h = img->height;
        a->prev = malloc((size_t)a->w * a->h);
        a->hist_x = malloc(sizeof *a->hist_x * (size_t)a->w);
        a->hist_y = malloc(sizeof *a->hist_y * (size_t)a->h);
        if (!a->prev || !a->hist_x || !a->hist_y)
            return cf_error_set(err, CF_ERR_NO_MEMORY, "reframe: out of memory");
        s.cut = true;
    } else if (motion(a, img, &s) > a->p->cut_threshold) {
        s = (cf_camera_sample){.t_ms = t_ms, .cut = true};
        a->last_face_ms = INT64_MIN / 2; /* faces of the old shot no longer apply */
    }
    for (int y = 0; y < a->h; y++)
        memcpy(a->prev + (size_t)y * a->w, img->data + (size_t)y * img->stride, (size_t)a->w);
    if (s.cut) a->n_faces = 0;
    cf_err e = detect_faces(a, img, t_ms, err);
    if (e) return e;
    apply_faces(a, t_ms, &s);
    if (!push_sample(out, &s)) return cf_error_set(err, CF_ERR_NO_MEMORY, "reframe: out of memory");
    return CF_OK;
}

static void crop_size(cf_camera_path *path, double aspect) {
    double w = path->src_h * aspect, h = path->src_h;
    if (w > path->src_w) w = path->src_w, h = path->src_w / aspect;
    path->crop_w = ((int)w) & ~1;
    path->crop_h = ((int)h) & ~1;
    if (path->crop_w < 2) path->crop_w = 2;
    if (path->crop_h < 2) path->crop_h = 2;
}

static cf_err analyse(const char *file, int64_t start_ms, int64_t end_ms, analysis *a, cf_progress *progress,
                      cf_camera_path *path, samples *out, cf_error *err) {
    cf_gray_reader *r = NULL;
    int aw = a->p->analysis_width > 0 ? a->p->analysis_width : 320;
    cf_err e = cf_gray_reader_open(file, start_ms, aw, 0, &r, err);
    if (e) return e;
    cf_video_info info;
    cf_gray_reader_info(r, &info);
    path->src_w = info.width, path->src_h = info.height, path->fps = info.fps;
    int64_t span = end_ms > start_ms ? end_ms - start_ms : info.duration_ms - start_ms;
    for (;;) {
        cf_gray_image img;
        int64_t ms;
        bool eof;
        if ((e = cf_gray_reader_next(r, &img, &ms, &eof, err)) || eof) break;
        if (end_ms > 0 && ms >= end_ms) break;
        if (cf_progress_cancelled(progress)) {
            e = cf_error_set(err, CF_ERR_CANCELLED, "reframe: cancelled");
            break;
        }
        a->scale = (double)info.width / img.width;
        if ((e = analyse_frame(a, &img, ms - start_ms, out, err))) break;
        if (span > 0) cf_progress_report(progress, (double)(ms - start_ms) / span, "reframe");
    }
    cf_gray_reader_close(r);
    return e;
}

cf_err cf_reframe_analyze(const char *file, int64_t start_ms, int64_t end_ms, const cf_reframe_params *p,
                          cf_progress *progress, cf_camera_path *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_reframe_params def;
    if (!p) cf_reframe_params_default(&def), p = &def;
    if (!(p->aspect > 0.05 && p->aspect < 20))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "reframe: aspect out of range");
    analysis a = {.p = p, .last_face_ms = INT64_MIN / 2};
    samples s = {0};
    cf_err e = CF_OK;
    if (p->face_interval_ms > 0 &&
        (e = cf_haar_load(p->cascade_path ? p->cascade_path : CF_DEFAULT_FACE_CASCADE, &a.cascade, err)))
        goto end;
    if ((e = analyse(file, start_ms, end_ms, &a, progress, out, &s, err))) goto end;
    if (!s.n) {
        e = cf_error_set(err, CF_ERR_INVALID_MEDIA, "%s: no video frames in the span", file);
        goto end;
    }
    crop_size(out, p->aspect);
    out->samples = s.v, out->n_samples = s.n;
    s.v = NULL;
    cf_reframe_plan(out, p);
end:
    free(s.v);
    free(a.prev);
    free(a.faces);
    free(a.hist_x);
    free(a.hist_y);
    cf_haar_free(a.cascade);
    return e;
}

/* ---- split regions ------------------------------------------------------------------------ */

#define SPLIT_FACE_INTERVAL_MS 500

static double clampd(double v, double lo, double hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

typedef struct face_hit {
    double cx, cy, size;
} face_hit;

static int by_cx(const void *a, const void *b) {
    double d = ((const face_hit *)a)->cx - ((const face_hit *)b)->cx;
    return (d > 0) - (d < 0);
}

static int by_double(const void *a, const void *b) {
    double d = *(const double *)a - *(const double *)b;
    return (d > 0) - (d < 0);
}

/* The median of field (0 cx, 1 cy, 2 size) over hits[0..n); 0 when there are none or out of memory. */
static double median_of(const face_hit *hits, size_t n, int field) {
    if (n == 0) return 0;
    double *v = malloc(n * sizeof *v), m = 0;
    if (!v) return 0;
    for (size_t i = 0; i < n; i++) v[i] = field == 0 ? hits[i].cx : field == 1 ? hits[i].cy : hits[i].size;
    qsort(v, n, sizeof v[0], by_double);
    m = v[n / 2];
    free(v);
    return m;
}

static cf_err collect_faces(const char *path, int64_t start_ms, int64_t end_ms, cf_progress *progress,
                            face_hit **hits, size_t *n, int *src_w, int *src_h, cf_error *err) {
    cf_haar_cascade *cascade = NULL;
    cf_gray_reader *r = NULL;
    cf_err e = cf_haar_load(CF_DEFAULT_FACE_CASCADE, &cascade, err);
    /* twice the reframe width: two people share the frame, so each face is small; one frame in
     * SPLIT_FACE_INTERVAL_MS is looked at, so the others are neither decoded (those no other
     * refers to) nor scaled */
    if (!e) e = cf_gray_reader_open_sparse(path, start_ms, 640, 0, &r, err);
    cf_video_info info = {0};
    if (!e) cf_gray_reader_info(r, &info);
    *src_w = info.width, *src_h = info.height;
    size_t cap = 0;
    int64_t next_ms = start_ms, span = end_ms > start_ms ? end_ms - start_ms : info.duration_ms - start_ms;
    while (!e) {
        cf_gray_image img;
        int64_t ms;
        bool eof;
        cf_gray_reader_skip_to(r, next_ms);
        if ((e = cf_gray_reader_next(r, &img, &ms, &eof, err)) || eof || (end_ms > 0 && ms >= end_ms)) break;
        if (cf_progress_cancelled(progress)) e = cf_error_set(err, CF_ERR_CANCELLED, "split: cancelled");
        if (e) break;
        if (span > 0) cf_progress_report(progress, (double)(ms - start_ms) / span, "faces");
        next_ms = ms + SPLIT_FACE_INTERVAL_MS;
        cf_detect_params dp;
        face_params(&dp);
        cf_rect *faces = NULL;
        size_t nf = 0;
        if ((e = cf_haar_detect(cascade, &img, &dp, &faces, &nf, err))) break;
        double k = (double)info.width / img.width;
        for (size_t i = 0; i < nf && !e; i++) {
            if (*n == cap) {
                face_hit *v = realloc(*hits, (cap = cap ? cap * 2 : 16) * sizeof *v);
                if (!v) e = cf_error_set(err, CF_ERR_NO_MEMORY, "split: out of memory");
                else *hits = v;
            }
            if (!e)
                (*hits)[(*n)++] = (face_hit){(faces[i].x + faces[i].w / 2.0) * k,
                                             (faces[i].y + faces[i].h / 2.0) * k, faces[i].h * k};
        }
        free(faces);
    }
    cf_gray_reader_close(r);
    cf_haar_free(cascade);
    return e;
}

/* A region of the panel's aspect around one person, inside the frame. */
static cf_rect frame_face(double cx, double cy, double size, double aspect, int src_w, int src_h) {
    double h = size * 3.5, w = h * aspect;
    if (w > src_w) w = src_w, h = w / aspect;
    if (h > src_h) h = src_h, w = h * aspect;
    double x = clampd(cx - w / 2, 0, src_w - w), y = clampd(cy + size * 0.4 - h / 2, 0, src_h - h);
    return (cf_rect){(int)x & ~1, (int)y & ~1, (int)w & ~1, (int)h & ~1};
}

cf_err cf_split_regions(const char *path, int64_t start_ms, int64_t end_ms, double panel_aspect,
                        cf_progress *progress, cf_rect regions[2], cf_error *err) {
    face_hit *hits = NULL;
    size_t n = 0;
    int src_w = 0, src_h = 0;
    cf_err e = collect_faces(path, start_ms, end_ms, progress, &hits, &n, &src_w, &src_h, err);
    size_t split = 0;
    double gap = 0;
    if (!e && n >= 2) {
        qsort(hits, n, sizeof *hits, by_cx);
        for (size_t i = 1; i < n; i++)
            if (hits[i].cx - hits[i - 1].cx > gap) gap = hits[i].cx - hits[i - 1].cx, split = i;
    }
    /* two people: the faces fall into two groups further apart than a face is tall, each seen
     * in at least a fifth of the hits (and twice): a face in one look of many is a passer-by, a
     * cutaway or a detector's mistake, and gets no half of the picture */
    size_t least = n / 5 > 2 ? n / 5 : 2;
    if (!e && (n < 2 || gap <= median_of(hits, n, 2) || split < least || n - split < least))
        e = cf_error_set(err, CF_ERR_NOT_FOUND, "split: %zu face(s) seen, not two people", n);
    for (int g = 0; !e && g < 2; g++) {
        const face_hit *part = g ? hits + split : hits;
        size_t m = g ? n - split : split;
        regions[g] = frame_face(median_of(part, m, 0), median_of(part, m, 1), median_of(part, m, 2),
                                panel_aspect, src_w, src_h);
    }
    free(hits);
    return e;
}

/* ---- the virtual camera ------------------------------------------------------------------ */

/* Frames with nothing seen take the last region of their shot, or the first one ahead. */
static void fill_unseen(cf_camera_path *path, size_t from, size_t to) {
    cf_camera_sample *v = path->samples;
    size_t first = to;
    for (size_t i = from; i < to && first == to; i++)
        if (v[i].seen) first = i;
    for (size_t i = from; i < to; i++) {
        const cf_camera_sample *src = NULL;
        if (i < first) src = first < to ? &v[first] : NULL;
        else if (!v[i].seen) src = &v[i - 1];
        if (i < first && !src) {
            v[i].roi_x = path->src_w / 2.0, v[i].roi_y = path->src_h / 2.0;
            v[i].subj_x0 = v[i].subj_x1 = v[i].roi_x;
            v[i].subj_y0 = v[i].subj_y1 = v[i].roi_y;
        } else if (src) {
            v[i].roi_x = src->roi_x, v[i].roi_y = src->roi_y;
            v[i].subj_x0 = src->subj_x0, v[i].subj_x1 = src->subj_x1;
            v[i].subj_y0 = src->subj_y0, v[i].subj_y1 = src->subj_y1;
        }
    }
}

/* One axis of the camera. At rest it ignores the subject inside the dead zone; once the subject
 * leaves it, the camera re-centres on it at a speed that grows with the distance (with a floor,
 * so it does not creep for seconds over the last pixels), never beyond what can still brake in
 * time, with bounded acceleration, and comes to rest when it arrives. */
typedef struct axis {
    double pos, vel;
    double lo, hi; /* allowed centre range */
    double dead, gain, vmin, vmax, amax;
    bool moving;
} axis;

static void axis_step(axis *ax, double target, double dt) {
    target = clampd(target, ax->lo, ax->hi);
    double e = target - ax->pos;
    if (!ax->moving && fabs(e) > ax->dead) ax->moving = true;
    double want = 0;
    if (ax->moving) {
        double brake = sqrt(2 * ax->amax * fabs(e));
        want = copysign(fmin(fmin(fmax(ax->gain * fabs(e), ax->vmin), brake), ax->vmax), e);
    }
    ax->vel += clampd(want - ax->vel, -ax->amax * dt, ax->amax * dt);
    ax->pos += ax->vel * dt;
    double after = target - ax->pos;
    if (ax->moving && (fabs(after) < 0.5 || (after > 0) != (e > 0)) && fabs(ax->vel) <= ax->vmin * 2) {
        ax->pos = target; /* arrived: rest exactly on the subject */
        ax->vel = 0;
        ax->moving = false;
    }
    if (ax->pos < ax->lo || ax->pos > ax->hi) ax->pos = clampd(ax->pos, ax->lo, ax->hi), ax->vel = 0;
}

/* When the subject fits the crop but pokes out of it, shift just enough to contain it. */
static void contain(axis *ax, double half, double s0, double s1) {
    if (s1 - s0 > 2 * half) return;
    if (s0 < ax->pos - half) ax->pos = s0 + half;
    if (s1 > ax->pos + half) ax->pos = s1 - half;
    ax->pos = clampd(ax->pos, ax->lo, ax->hi);
}

static double smoothed(const cf_camera_sample *v, size_t from, size_t to, size_t i, bool x) {
    double sum = 0;
    int n = 0;
    for (size_t j = i; j > from && v[j - 1].t_ms >= v[i].t_ms - LOOK_BEHIND_MS; j--)
        sum += x ? v[j - 1].roi_x : v[j - 1].roi_y, n++;
    for (size_t j = i; j < to && v[j].t_ms <= v[i].t_ms + LOOK_AHEAD_MS; j++)
        sum += x ? v[j].roi_x : v[j].roi_y, n++;
    return sum / n;
}

static void init_axis(axis *ax, double src, double crop, const cf_reframe_params *p) {
    ax->lo = crop / 2, ax->hi = src - crop / 2;
    ax->dead = p->dead_zone * crop / 2;
    ax->gain = p->gain, ax->vmax = p->max_speed * src, ax->amax = p->max_accel * src;
    ax->vmin = 0.1 * ax->vmax;
}

static void plan_shot(cf_camera_path *path, size_t from, size_t to, const cf_reframe_params *p) {
    cf_camera_sample *v = path->samples;
    axis ax = {0}, ay = {0};
    init_axis(&ax, path->src_w, path->crop_w, p);
    init_axis(&ay, path->src_h, path->crop_h, p);
    double dt_default = path->fps > 0 ? 1.0 / path->fps : 1.0 / 30;
    for (size_t i = from; i < to; i++) {
        double tx = smoothed(v, from, to, i, true), ty = smoothed(v, from, to, i, false);
        if (i == from) {
            ax.pos = clampd(tx, ax.lo, ax.hi), ay.pos = clampd(ty, ay.lo, ay.hi);
        } else {
            double dt = (v[i].t_ms - v[i - 1].t_ms) / 1000.0;
            if (!(dt > 0 && dt < 1)) dt = dt_default;
            axis_step(&ax, tx, dt);
            axis_step(&ay, ty, dt);
        }
        contain(&ax, path->crop_w / 2.0, v[i].subj_x0, v[i].subj_x1);
        contain(&ay, path->crop_h / 2.0, v[i].subj_y0, v[i].subj_y1);
        int x = (int)lround(ax.pos - path->crop_w / 2.0), y = (int)lround(ay.pos - path->crop_h / 2.0);
        v[i].crop_x = (int)clampd(x, 0, path->src_w - path->crop_w);
        v[i].crop_y = (int)clampd(y, 0, path->src_h - path->crop_h);
    }
}

void cf_reframe_plan(cf_camera_path *path, const cf_reframe_params *p) {
    cf_reframe_params def;
    if (!p) cf_reframe_params_default(&def), p = &def;
    size_t from = 0;
    for (size_t i = 1; i <= path->n_samples; i++) {
        if (i < path->n_samples && !path->samples[i].cut) continue;
        fill_unseen(path, from, i);
        plan_shot(path, from, i, p);
        from = i;
    }
}

const cf_camera_sample *cf_camera_path_at(const cf_camera_path *path, int64_t t_ms) {
    size_t lo = 0, hi = path->n_samples;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (path->samples[mid].t_ms <= t_ms) lo = mid;
        else hi = mid;
    }
    return &path->samples[lo];
}

json_t *cf_camera_path_to_json(const cf_camera_path *path) {
    json_t *arr = json_array();
    for (size_t i = 0; i < path->n_samples; i++) {
        const cf_camera_sample *s = &path->samples[i];
        json_array_append_new(arr, json_pack("{sI sI sI sf sf sf si sb sb}", "t_ms", (json_int_t)s->t_ms, "x",
                                             (json_int_t)s->crop_x, "y", (json_int_t)s->crop_y, "roi_x",
                                             s->roi_x, "roi_y", s->roi_y, "motion", s->motion, "faces",
                                             s->faces, "seen", s->seen, "cut", s->cut));
    }
    return json_pack("{s{si si} s{si si} sf so}", "source", "width", path->src_w, "height", path->src_h,
                     "crop", "width", path->crop_w, "height", path->crop_h, "fps", path->fps, "samples", arr);
}

void cf_camera_path_free(cf_camera_path *path) {
    if (!path) return;
    free(path->samples);
    path->samples = NULL;
    path->n_samples = 0;
}

/* fit.c — logistic regression rows and Newton fitting (see fit.h). */
#include "training/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/json.h"

#define MAX_ITER 60
#define TOL 1e-7

cf_err cf_lr_from_json(const json_t *doc, cf_lr_model *m, cf_error *err) {
    memset(m, 0, sizeof *m);
    const json_t *inputs = json_object_get(doc, "inputs"), *weights = json_object_get(doc, "weights");
    size_t n = json_array_size(inputs);
    if (!n || n > CF_LR_MAX_INPUTS || json_array_size(weights) != n)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "inputs/weights: arrays of the same length 1..%d",
                            CF_LR_MAX_INPUTS);
    cf_err rc = cf_json_get_number(doc, "bias", false, &m->bias, "", err);
    if (!rc) rc = cf_json_get_number(doc, "threshold", false, &m->threshold, "", err);
    for (size_t i = 0; !rc && i < n; i++) {
        const json_t *in = json_array_get(inputs, i);
        char path[32];
        snprintf(path, sizeof path, "inputs[%zu]", i);
        const char *feature = NULL;
        int64_t half = 0;
        rc = cf_json_get_string(in, "feature", false, &feature, path, err);
        if (!rc) rc = cf_json_get_int(in, "half_hops", false, &half, path, err);
        if (!rc) rc = cf_json_get_number(in, "mean", false, &m->in[i].mean, path, err);
        if (!rc) rc = cf_json_get_number(in, "std", false, &m->in[i].std, path, err);
        if (!rc && ((m->in[i].feature = cf_feature_find(feature)) < 0 || half < 0 || half > 3000 ||
                    !(m->in[i].std > 0)))
            rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: a known feature, half_hops 0..3000, std > 0",
                              path);
        m->in[i].half = (size_t)half;
        if (!rc && !json_is_number(json_array_get(weights, i)))
            rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "weights[%zu]: not a number", i);
        if (!rc) m->w[i] = json_number_value(json_array_get(weights, i));
    }
    m->n = n;
    return rc;
}

static double round6(double v) {
    return round(v * 1e6) / 1e6;
}

void cf_lr_to_json(const cf_lr_model *m, json_t *doc) {
    json_t *inputs = json_array(), *weights = json_array();
    for (size_t i = 0; i < m->n; i++) {
        json_array_append_new(inputs,
                              json_pack("{s:s, s:I, s:f, s:f}", "feature", cf_feature_name(m->in[i].feature),
                                        "half_hops", (json_int_t)m->in[i].half, "mean", round6(m->in[i].mean),
                                        "std", round6(m->in[i].std)));
        json_array_append_new(weights, json_real(round6(m->w[i])));
    }
    json_object_set_new(doc, "inputs", inputs);
    json_object_set_new(doc, "weights", weights);
    json_object_set_new(doc, "bias", json_real(round6(m->bias)));
    json_object_set_new(doc, "threshold", json_real(round(m->threshold * 100) / 100));
}

/* Centred mean over [i - half, i + half], truncated at the ends: the engine's hl_curve_smooth. */
static void smooth(const float *x, double *y, size_t n, size_t half) {
    double sum = 0;
    size_t lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++) {
        size_t want_lo = i > half ? i - half : 0, want_hi = i + half + 1 < n ? i + half + 1 : n;
        while (hi < want_hi) sum += x[hi++];
        while (lo < want_lo) sum -= x[lo++];
        y[i] = (float)(sum / (double)(hi - lo)); /* through float, as the engine keeps it */
    }
}

cf_err cf_lr_inputs(const cf_lr_model *m, const cf_feature_track *track, double **x, cf_error *err) {
    size_t n = track->n_hops, d = m->n;
    float *col = malloc((n ? n : 1) * sizeof *col);
    double *win = malloc((n ? n : 1) * sizeof *win);
    *x = malloc((n ? n : 1) * (d ? d : 1) * sizeof **x);
    if (!col || !win || !*x) {
        free(col), free(win), free(*x);
        *x = NULL;
        return cf_error_set(err, CF_ERR_NO_MEMORY, "training: out of memory");
    }
    for (size_t k = 0; k < d; k++) {
        for (size_t i = 0; i < n; i++) col[i] = cf_feat(track, i, m->in[k].feature);
        smooth(col, win, n, m->in[k].half);
        for (size_t i = 0; i < n; i++) (*x)[i * d + k] = (win[i] - m->in[k].mean) / m->in[k].std;
    }
    free(col);
    free(win);
    return CF_OK;
}

cf_err cf_lr_data_add(cf_lr_data *data, const double *x, size_t d, double t, double c, cf_error *err) {
    if (data->n == data->cap) {
        size_t cap = data->cap ? data->cap * 2 : 4096;
        double *nx = realloc(data->x, cap * d * sizeof *nx);
        if (nx) data->x = nx;
        double *nt = nx ? realloc(data->t, cap * sizeof *nt) : NULL;
        if (nt) data->t = nt;
        double *nc = nt ? realloc(data->c, cap * sizeof *nc) : NULL;
        if (!nc) return cf_error_set(err, CF_ERR_NO_MEMORY, "training: out of memory");
        data->c = nc;
        data->cap = cap;
    }
    data->d = d;
    memcpy(data->x + data->n * d, x, d * sizeof *x);
    data->t[data->n] = t;
    data->c[data->n++] = c;
    return CF_OK;
}

void cf_lr_data_free(cf_lr_data *data) {
    free(data->x);
    free(data->t);
    free(data->c);
    memset(data, 0, sizeof *data);
}

static double sigmoid(double z) {
    if (z > 35) z = 35;
    if (z < -35) z = -35;
    return 1.0 / (1.0 + exp(-z));
}

double cf_lr_predict(const cf_lr_model *m, const double *x) {
    double z = m->bias;
    for (size_t k = 0; k < m->n; k++) z += m->w[k] * x[k];
    return sigmoid(z);
}

/* theta = (w_0 .. w_{d-1}, bias). */
static double loss(const double *theta, size_t d, const cf_lr_data *data, const double *prior, double l2) {
    double sum = 0;
    for (size_t i = 0; i < data->n; i++) {
        const double *x = data->x + i * d;
        double z = theta[d];
        for (size_t k = 0; k < d; k++) z += theta[k] * x[k];
        double p = sigmoid(z), t = data->t[i];
        sum -= data->c[i] * (t * log(p + 1e-12) + (1 - t) * log(1 - p + 1e-12));
    }
    for (size_t k = 0; k <= d; k++) sum += 0.5 * l2 * (theta[k] - prior[k]) * (theta[k] - prior[k]);
    return sum;
}

/* Solves the symmetric positive definite system a x = b (n x n, row-major) in place by Cholesky;
 * false when a is not positive definite. */
static bool cholesky_solve(double *a, double *b, size_t n) {
    for (size_t j = 0; j < n; j++) {
        double s = a[j * n + j];
        for (size_t k = 0; k < j; k++) s -= a[j * n + k] * a[j * n + k];
        if (!(s > 0)) return false;
        a[j * n + j] = sqrt(s);
        for (size_t i = j + 1; i < n; i++) {
            double v = a[i * n + j];
            for (size_t k = 0; k < j; k++) v -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = v / a[j * n + j];
        }
    }
    for (size_t i = 0; i < n; i++) { /* L y = b */
        for (size_t k = 0; k < i; k++) b[i] -= a[i * n + k] * b[k];
        b[i] /= a[i * n + i];
    }
    for (size_t i = n; i-- > 0;) { /* L^T x = y */
        for (size_t k = i + 1; k < n; k++) b[i] -= a[k * n + i] * b[k];
        b[i] /= a[i * n + i];
    }
    return true;
}

/* Gradient g and Hessian h of the loss at theta (dimension q = d + 1). */
static void derivatives(const double *theta, size_t d, const cf_lr_data *data, const double *prior, double l2,
                        double *g, double *h) {
    size_t q = d + 1;
    memset(g, 0, q * sizeof *g);
    memset(h, 0, q * q * sizeof *h);
    double row[CF_LR_MAX_INPUTS + 1];
    for (size_t i = 0; i < data->n; i++) {
        memcpy(row, data->x + i * d, d * sizeof *row);
        row[d] = 1;
        double z = 0;
        for (size_t k = 0; k < q; k++) z += theta[k] * row[k];
        double p = sigmoid(z), r = data->c[i] * (p - data->t[i]), s = data->c[i] * p * (1 - p);
        for (size_t a = 0; a < q; a++) {
            g[a] += r * row[a];
            for (size_t b = 0; b <= a; b++) h[a * q + b] += s * row[a] * row[b];
        }
    }
    for (size_t a = 0; a < q; a++) {
        for (size_t b = 0; b < a; b++) h[b * q + a] = h[a * q + b];
        g[a] += l2 * (theta[a] - prior[a]);
        h[a * q + a] += l2;
    }
}

cf_err cf_lr_fit(cf_lr_model *m, const cf_lr_model *prior, const cf_lr_data *data, double l2, cf_error *err) {
    size_t d = m->n, q = d + 1;
    if (!data->n || data->d != d)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "training: no rows to fit");
    if (!(l2 > 0)) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "training: l2 must be > 0");
    double theta[CF_LR_MAX_INPUTS + 1], p0[CF_LR_MAX_INPUTS + 1], g[CF_LR_MAX_INPUTS + 1],
        step[CF_LR_MAX_INPUTS + 1];
    double *h = malloc(q * q * sizeof *h);
    if (!h) return cf_error_set(err, CF_ERR_NO_MEMORY, "training: out of memory");
    for (size_t k = 0; k < d; k++) theta[k] = m->w[k], p0[k] = prior->w[k];
    theta[d] = m->bias, p0[d] = prior->bias;
    double f = loss(theta, d, data, p0, l2);
    cf_err rc = CF_OK;
    for (int it = 0; it < MAX_ITER && !rc; it++) {
        derivatives(theta, d, data, p0, l2, g, h);
        memcpy(step, g, q * sizeof *g);
        if (!cholesky_solve(h, step, q)) {
            rc = cf_error_set(err, CF_ERR_PROCESSING, "training: the problem is degenerate");
            break;
        }
        double scale = 1, next = f, trial[CF_LR_MAX_INPUTS + 1], change = 0;
        for (int halvings = 0; halvings < 30; halvings++, scale /= 2) { /* backtracking */
            for (size_t k = 0; k < q; k++) trial[k] = theta[k] - scale * step[k];
            if ((next = loss(trial, d, data, p0, l2)) <= f) break;
        }
        if (next > f) break; /* no step lowers the loss: at the minimum */
        for (size_t k = 0; k < q; k++) change = fmax(change, fabs(trial[k] - theta[k])), theta[k] = trial[k];
        f = next;
        if (change < TOL) break;
    }
    free(h);
    for (size_t k = 0; k < d; k++) m->w[k] = theta[k];
    m->bias = theta[d];
    return rc;
}

/* online_eval.c — per-version review counts (see online_eval.h). */
#include "registry/online_eval.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "ai/labels/"

typedef struct counts {
    long labels, accepted, corrected, shifts;
    double start_shift, end_shift;
} counts;

struct cf_online_eval {
    cf_storage *storage;
    pthread_mutex_t lock; /* guards seen and versions */
    json_t *seen;         /* label id -> true */
    json_t *versions;     /* version -> counts, as a JSON object of numbers */
};

/* Usable in a key segment: [A-Za-z0-9_-], and '.' when dot is true (versions; ids end at a dot). */
static bool key_safe(const char *s, bool dot) {
    size_t n = s ? strlen(s) : 0;
    if (!n || n > 64 || s[0] == '.') return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '-' || s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z') || (dot && s[i] == '.')))
            return false;
    return true;
}

/* Folds one fact; caller holds the lock. shifts < 0 = not known. */
static bool fold(cf_online_eval *ev, const char *id, const char *version, bool accept, long ds, long de) {
    if (json_object_get(ev->seen, id)) return false;
    json_object_set_new(ev->seen, id, json_true());
    json_t *v = json_object_get(ev->versions, version);
    if (!v)
        json_object_set_new(ev->versions, version,
                            v = json_pack("{s:i, s:i, s:i, s:i, s:f, s:f}", "labels", 0, "accepted", 0,
                                          "corrected", 0, "shifts", 0, "start_shift", 0.0, "end_shift", 0.0));
#define BUMP(k, d) json_object_set_new(v, k, json_real(json_number_value(json_object_get(v, k)) + (d)))
    BUMP("labels", 1);
    BUMP("accepted", accept);
    if (ds >= 0 && de >= 0) {
        BUMP("shifts", 1);
        BUMP("corrected", ds > 0 || de > 0);
        BUMP("start_shift", ds);
        BUMP("end_shift", de);
    }
#undef BUMP
    return true;
}

static bool from_key(void *user, const char *key, const cf_storage_info *st) {
    (void)st;
    cf_online_eval *ev = user;
    char version[80], id[80], verdict = 0, ds[24], de[24];
    if (sscanf(key, PREFIX "%79[^/]/%79[^.].%c.%23[0-9x].%23[0-9x]", version, id, &verdict, ds, de) != 5 ||
        (verdict != 'a' && verdict != 'r'))
        return true;
    fold(ev, id, version, verdict == 'a', ds[0] == 'x' ? -1 : atol(ds), de[0] == 'x' ? -1 : atol(de));
    return true;
}

cf_err cf_online_eval_refresh(cf_online_eval *ev, cf_error *err) {
    if (!ev->storage) return CF_OK;
    pthread_mutex_lock(&ev->lock);
    cf_err rc = cf_storage_list(ev->storage, PREFIX, from_key, ev, err);
    pthread_mutex_unlock(&ev->lock);
    return rc;
}

cf_err cf_online_eval_open(cf_storage *storage, cf_online_eval **out, cf_error *err) {
    cf_online_eval *ev = calloc(1, sizeof *ev);
    if (!ev) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    ev->storage = storage;
    pthread_mutex_init(&ev->lock, NULL);
    ev->seen = json_object();
    ev->versions = json_object();
    cf_err rc = cf_online_eval_refresh(ev, err);
    if (rc == CF_ERR_UNSUPPORTED) rc = CF_OK, ev->storage = NULL; /* counts live in memory only */
    if (rc) {
        cf_online_eval_free(ev);
        return rc;
    }
    *out = ev;
    return CF_OK;
}

void cf_online_eval_free(cf_online_eval *ev) {
    if (!ev) return;
    json_decref(ev->seen);
    json_decref(ev->versions);
    pthread_mutex_destroy(&ev->lock);
    free(ev);
}

static long shift(const json_t *label, const char *edge, const char *detected) {
    const json_t *a = json_object_get(label, edge), *b = json_object_get(label, detected);
    if (!json_is_integer(a) || !json_is_integer(b)) return -1;
    return labs((long)(json_integer_value(a) - json_integer_value(b)));
}

/* Records the fact as an object (its key carries it); a failure only costs a rebuild. */
static cf_err record(cf_online_eval *ev, const char *version, const char *id, bool accept, long ds, long de,
                     const json_t *label, cf_error *err) {
    char key[256], a[24] = "x", b[24] = "x";
    if (ds >= 0) snprintf(a, sizeof a, "%ld", ds);
    if (de >= 0) snprintf(b, sizeof b, "%ld", de);
    snprintf(key, sizeof key, PREFIX "%s/%s.%c.%s.%s", version, id, accept ? 'a' : 'r', a, b);
    char *body = json_dumps(label, JSON_COMPACT);
    cf_storage_writer *w = NULL;
    cf_err rc =
        body ? cf_storage_put_begin(ev->storage, key, &w, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "oom");
    if (!rc && (rc = cf_storage_put_write(ev->storage, w, body, strlen(body), err)))
        cf_storage_put_abort(ev->storage, w);
    else if (!rc) rc = cf_storage_put_commit(ev->storage, w, err);
    free(body);
    return rc;
}

cf_err cf_online_eval_add(cf_online_eval *ev, const json_t *label, bool *added, cf_error *err) {
    const char *id = json_string_value(json_object_get(label, "id"));
    const char *verdict = json_string_value(json_object_get(label, "verdict"));
    const char *version = json_string_value(json_object_get(label, "model_version"));
    *added = false;
    if (!key_safe(id, false) || !verdict || (strcmp(verdict, "accept") && strcmp(verdict, "reject")))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "label: needs an id and a verdict");
    if (!key_safe(version, true)) version = "unknown";
    bool accept = !strcmp(verdict, "accept");
    long ds = shift(label, "start_ms", "detected_start_ms"), de = shift(label, "end_ms", "detected_end_ms");
    if (ds < 0 || de < 0) ds = de = -1;
    pthread_mutex_lock(&ev->lock);
    *added = fold(ev, id, version, accept, ds, de);
    pthread_mutex_unlock(&ev->lock);
    return *added && ev->storage ? record(ev, version, id, accept, ds, de, label, err) : CF_OK;
}

static double num(const json_t *v, const char *k) {
    return json_number_value(json_object_get(v, k));
}

json_t *cf_online_eval_json(cf_online_eval *ev) {
    json_t *out = json_object();
    pthread_mutex_lock(&ev->lock);
    const char *version;
    json_t *v;
    json_object_foreach(ev->versions, version, v) {
        double labels = num(v, "labels"), shifts = num(v, "shifts");
        json_t *o =
            json_pack("{s:I, s:I, s:I, s:f, s:I, s:I}", "labels", (json_int_t)labels, "accepted",
                      (json_int_t)num(v, "accepted"), "rejected", (json_int_t)(labels - num(v, "accepted")),
                      "acceptance_rate", labels ? num(v, "accepted") / labels : 0.0, "with_boundaries",
                      (json_int_t)shifts, "corrected", (json_int_t)num(v, "corrected"));
        if (shifts) {
            json_object_set_new(o, "correction_rate", json_real(num(v, "corrected") / shifts));
            json_object_set_new(o, "mean_start_shift_ms", json_real(num(v, "start_shift") / shifts));
            json_object_set_new(o, "mean_end_shift_ms", json_real(num(v, "end_shift") / shifts));
        }
        json_object_set_new(out, version, o);
    }
    pthread_mutex_unlock(&ev->lock);
    return out;
}

void cf_online_eval_metrics(cf_online_eval *ev, FILE *out) {
    json_t *all = cf_online_eval_json(ev);
    fprintf(out, "# HELP clipforge_model_labels_total Review labels of spans a model version proposed.\n"
                 "# TYPE clipforge_model_labels_total counter\n");
    const char *version;
    json_t *v;
    json_object_foreach(all, version, v) {
        fprintf(out, "clipforge_model_labels_total{version=\"%s\",verdict=\"accept\"} %lld\n", version,
                (long long)num(v, "accepted"));
        fprintf(out, "clipforge_model_labels_total{version=\"%s\",verdict=\"reject\"} %lld\n", version,
                (long long)num(v, "rejected"));
    }
    fprintf(out, "# HELP clipforge_model_acceptance_rate Share of reviewed spans accepted.\n"
                 "# TYPE clipforge_model_acceptance_rate gauge\n");
    json_object_foreach(all, version, v) fprintf(
        out, "clipforge_model_acceptance_rate{version=\"%s\"} %.4f\n", version, num(v, "acceptance_rate"));
    fprintf(out,
            "# HELP clipforge_model_boundary_corrections_total Reviewed spans whose start or end was moved.\n"
            "# TYPE clipforge_model_boundary_corrections_total counter\n");
    json_object_foreach(all, version, v)
        fprintf(out, "clipforge_model_boundary_corrections_total{version=\"%s\"} %lld\n", version,
                (long long)num(v, "corrected"));
    fprintf(out, "# HELP clipforge_model_boundary_shift_ms Mean distance a reviewer moved an edge.\n"
                 "# TYPE clipforge_model_boundary_shift_ms gauge\n");
    json_object_foreach(all, version, v) {
        if (!json_object_get(v, "mean_start_shift_ms")) continue;
        fprintf(out, "clipforge_model_boundary_shift_ms{version=\"%s\",edge=\"start\"} %.1f\n", version,
                num(v, "mean_start_shift_ms"));
        fprintf(out, "clipforge_model_boundary_shift_ms{version=\"%s\",edge=\"end\"} %.1f\n", version,
                num(v, "mean_end_shift_ms"));
    }
    json_decref(all);
}
